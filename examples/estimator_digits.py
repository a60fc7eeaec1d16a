"""Classify scikit-learn's bundled 8x8 digits with a TF1-style custom Estimator.

    pip install scikit-learn
    python examples/estimator_digits.py [--steps N] [--model-dir DIR]

A model_fn builds an MLP with tf.layers for each mode; numpy_input_fn feeds NumPy batches;
train() saves checkpoints and summaries to the model directory (run it again to continue from
the last checkpoint), evaluate() reports accuracy, per-class accuracy and the loss on the
held-out quarter, and predict() classifies a few test images.
"""
import argparse
import logging

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


def model_fn(features, labels, mode, params):
    """An MLP over features["pixels"]: logits, class predictions, loss and metrics."""
    hidden = tf.layers.dense(features["pixels"], params["hidden"], activation=tf.nn.relu,
                             name="hidden")
    logits = tf.layers.dense(hidden, 10, name="logits")
    classes = tf.argmax(logits, axis=1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(
            mode, predictions={"class": classes, "probabilities": tf.nn.softmax(logits)})
    loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.train.AdamOptimizer(params["learning_rate"]).minimize(
        loss, global_step=tf.train.get_global_step())
    metrics = {"accuracy": tf.metrics.accuracy(labels, classes),
               "mean_per_class_accuracy": tf.metrics.mean_per_class_accuracy(labels, classes,
                                                                             10)}
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op,
                                      eval_metric_ops=metrics)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--model-dir", default=None, help="default: a temporary directory")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:%(name)s:%(message)s")

    train_x, train_y, test_x, test_y = load_data()
    estimator = tf.estimator.Estimator(
        model_fn, model_dir=args.model_dir, params={"hidden": 128, "learning_rate": 0.01},
        config=tf.estimator.RunConfig(tf_random_seed=0, save_checkpoints_steps=200))
    estimator.train(tf.estimator.inputs.numpy_input_fn(
        {"pixels": train_x}, train_y, batch_size=64, num_epochs=None, shuffle=True),
        steps=args.steps)
    results = estimator.evaluate(tf.estimator.inputs.numpy_input_fn(
        {"pixels": test_x}, test_y, batch_size=128, shuffle=False))
    print("evaluation:", {k: float(v) for k, v in results.items()})
    predictions = estimator.predict(tf.estimator.inputs.numpy_input_fn(
        {"pixels": test_x[:10]}, shuffle=False), predict_keys="class")
    print("predicted:", [int(p["class"]) for p in predictions])
    print("true:     ", test_y[:10].tolist())


if __name__ == "__main__":
    main()
