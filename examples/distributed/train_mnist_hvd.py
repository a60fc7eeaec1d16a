"""Data-parallel training of a LeNet-style network on MNIST, in Horovod's TensorFlow 1 style: a
Horovod script whose only changes are its two imports.

    pip install "tensorlib[mpi]"
    python -m tensorlib.distribute.run -np 2 examples/distributed/train_mnist_hvd.py
    python -m tensorlib.distribute.run -np 2 examples/distributed/train_mnist_hvd.py \\
        --fake-data --steps 20          # no MNIST files needed

Every rank trains on its own batches; DistributedOptimizer averages the gradients over the
ranks at each step, BroadcastGlobalVariablesHook starts every rank from rank 0's initial
values, and only rank 0 writes checkpoints and summaries (to --model-dir).
"""
import argparse

import numpy as np

import tensorlib as tf
import tensorlib.distribute as hvd
from tensorlib.examples.tutorials.mnist import input_data


def conv_model(images, labels, keep_prob):
    """LeNet: two 5x5 convolutions with max pooling, a hidden layer of 1024, 10 logits."""
    x = tf.reshape(images, [-1, 28, 28, 1])
    x = tf.layers.conv2d(x, 32, 5, padding="same", activation=tf.nn.relu)
    x = tf.layers.max_pooling2d(x, 2, 2)
    x = tf.layers.conv2d(x, 64, 5, padding="same", activation=tf.nn.relu)
    x = tf.layers.max_pooling2d(x, 2, 2)
    x = tf.layers.dense(tf.reshape(x, [-1, 7 * 7 * 64]), 1024, activation=tf.nn.relu)
    x = tf.nn.dropout(x, keep_prob=keep_prob)
    logits = tf.layers.dense(x, 10)
    loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return logits, loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="MNIST-data",
                        help="where the MNIST files are (downloaded there when missing)")
    parser.add_argument("--fake-data", action="store_true", help="train on fake images")
    parser.add_argument("--steps", type=int, default=2000,
                        help="training steps of the whole job (each rank takes its share)")
    parser.add_argument("--batch-size", type=int, default=100, help="images per rank and step")
    parser.add_argument("--model-dir", default="checkpoints",
                        help="rank 0's checkpoints and summaries")
    args = parser.parse_args()

    hvd.init()
    print(f"rank {hvd.rank()} of {hvd.size()} (local rank {hvd.local_rank()})", flush=True)
    mnist = input_data.read_data_sets(f"{args.data_dir}-{hvd.rank()}", fake_data=args.fake_data)

    with tf.name_scope("input"):
        images = tf.placeholder(tf.float32, [None, 784], name="images")
        labels = tf.placeholder(tf.int64, [None], name="labels")
    _, loss = conv_model(images, labels, keep_prob=0.5)
    tf.summary.scalar("loss", loss)

    # The learning rate grows with the number of ranks, as the effective batch does.
    optimizer = hvd.DistributedOptimizer(tf.train.AdamOptimizer(0.001 * hvd.size()))
    global_step = tf.train.get_or_create_global_step()
    train_op = optimizer.minimize(loss, global_step=global_step)

    hooks = [
        # Rank 0's initial values on every rank, once the session has initialised them.
        hvd.BroadcastGlobalVariablesHook(0),
        # Each rank takes its share of the steps.
        tf.train.StopAtStepHook(last_step=max(1, args.steps // hvd.size())),
        tf.train.LoggingTensorHook(tensors={"step": global_step, "loss": loss},
                                   every_n_iter=10),
    ]
    config = tf.ConfigProto()
    config.gpu_options.allow_growth = True
    config.gpu_options.visible_device_list = str(hvd.local_rank())
    # Only rank 0 saves checkpoints and summaries: the other ranks hold the same values.
    checkpoint_dir = args.model_dir if hvd.rank() == 0 else None

    with tf.train.MonitoredTrainingSession(checkpoint_dir=checkpoint_dir, hooks=hooks,
                                           config=config, save_summaries_steps=5) as session:
        while not session.should_stop():
            batch_images, batch_labels = mnist.train.next_batch(args.batch_size,
                                                                fake_data=args.fake_data)
            session.run(train_op, feed_dict={images: np.asarray(batch_images),
                                             labels: np.asarray(batch_labels)})


if __name__ == "__main__":
    main()
