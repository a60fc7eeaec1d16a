"""Train a small MLP on scikit-learn's bundled 8x8 digits, TF1 style.

    pip install scikit-learn
    python examples/train_digits.py [--epochs N] [--checkpoint-dir DIR]

Builds the graph once (placeholders, tf.layers, a loss, an optimizer), then runs the training
op on shuffled minibatches, printing the loss and the test accuracy after each epoch, and saves
the trained variables with tf.train.Saver.
"""
import argparse
import os
import tempfile
import time

import numpy as np

import tensorlib as tf


def load_data(seed=0):
    """(train_x, train_y, test_x, test_y): 8x8 digits scaled to [0, 1], a 75/25 split."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_train = len(x) * 3 // 4
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def build_model(hidden=128, learning_rate=0.01, seed=0):
    """The graph's inputs, outputs and training op, as a dict."""
    tf.set_random_seed(seed)
    images = tf.placeholder(tf.float32, [None, 64], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    h = tf.layers.dense(images, hidden, activation=tf.nn.relu, name="hidden")
    logits = tf.layers.dense(h, 10, name="logits")
    loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss, global_step=global_step)
    correct = tf.equal(tf.argmax(logits, axis=1), labels)
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    return {"images": images, "labels": labels, "loss": loss, "train_op": train_op,
            "accuracy": accuracy, "global_step": global_step}


def train(epochs=20, batch_size=64, seed=0, checkpoint_dir=None, verbose=True):
    """Trains the model; returns (per-epoch mean losses, final test accuracy)."""
    train_x, train_y, test_x, test_y = load_data(seed)
    tf.reset_default_graph()
    m = build_model(seed=seed)
    saver = tf.train.Saver()
    rng = np.random.RandomState(seed)
    losses = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        start = time.perf_counter()
        for epoch in range(epochs):
            order = rng.permutation(len(train_x))
            epoch_losses = []
            for i in range(0, len(order), batch_size):
                batch = order[i:i + batch_size]
                loss, _ = sess.run([m["loss"], m["train_op"]],
                                   {m["images"]: train_x[batch], m["labels"]: train_y[batch]})
                epoch_losses.append(loss)
            losses.append(float(np.mean(epoch_losses)))
            accuracy = sess.run(m["accuracy"], {m["images"]: test_x, m["labels"]: test_y})
            if verbose:
                print(f"epoch {epoch + 1:3d}  loss {losses[-1]:.4f}  "
                      f"test accuracy {accuracy:.3f}  ({time.perf_counter() - start:.2f} s)")
        if checkpoint_dir is not None:
            path = saver.save(sess, os.path.join(checkpoint_dir, "digits"),
                              global_step=m["global_step"])
            if verbose:
                print("saved", path)
    return losses, float(accuracy)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--checkpoint-dir", default=None)
    args = parser.parse_args()
    checkpoint_dir = args.checkpoint_dir or tempfile.mkdtemp(prefix="digits-")
    _, accuracy = train(args.epochs, checkpoint_dir=checkpoint_dir)
    print(f"final test accuracy: {accuracy:.3f}")


if __name__ == "__main__":
    main()
