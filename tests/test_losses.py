"""tf.losses against NumPy versions of TF1's formulas: each loss, its weights and every
reduction, label smoothing, the LOSSES collection and get_total_loss."""
import numpy as np
import pytest

import tensorlib as tf


def _reduce(losses, weights, reduction):
    weighted = losses * weights
    every = np.broadcast_to(weights, losses.shape)
    if reduction == tf.losses.Reduction.NONE:
        return weighted
    total = weighted.sum()
    if reduction == tf.losses.Reduction.SUM:
        return total
    if reduction == tf.losses.Reduction.MEAN:
        return total / every.sum()
    if reduction == tf.losses.Reduction.SUM_OVER_BATCH_SIZE:
        return total / losses.size
    return total / np.count_nonzero(every)


def _sigmoid_xent(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def _softmax_xent(labels, logits):
    shifted = logits - logits.max(1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return -(labels * log_softmax).sum(1)


RNG = np.random.default_rng(0)
LABELS = RNG.random((4, 3)).astype(np.float32)
PREDS = RNG.random((4, 3)).astype(np.float32)
WEIGHTS = np.array([[1.0], [0.0], [2.0], [0.5]], np.float32)

ELEMENTWISE = [
    ("mean_squared_error", lambda l, p: (p - l) ** 2),
    ("absolute_difference", lambda l, p: np.abs(p - l)),
    ("huber_loss", lambda l, p: np.where(np.abs(p - l) <= 1.0, 0.5 * (p - l) ** 2,
                                         np.abs(p - l) - 0.5)),
    ("log_loss", lambda l, p: -l * np.log(p + 1e-7) - (1 - l) * np.log(1 - p + 1e-7)),
    ("hinge_loss", lambda l, p: np.maximum(0, 1 - (2 * np.round(l) - 1) * p)),
    ("sigmoid_cross_entropy", _sigmoid_xent),
]


@pytest.mark.parametrize("reduction", tf.losses.Reduction.all())
@pytest.mark.parametrize("name,ref", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_elementwise_losses_match_numpy(name, ref, reduction):
    labels = np.round(LABELS) if name == "hinge_loss" else LABELS
    preds = PREDS * 4 - 2 if name in ("hinge_loss", "sigmoid_cross_entropy") else PREDS
    fn = getattr(tf.losses, name)
    loss = fn(tf.constant(labels), tf.constant(preds), weights=tf.constant(WEIGHTS),
              reduction=reduction)
    with tf.Session() as sess:
        got = sess.run(loss)
    want = _reduce(ref(labels, preds).astype(np.float64), WEIGHTS, reduction)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_softmax_losses_with_label_smoothing_and_per_example_weights():
    logits = RNG.standard_normal((4, 5)).astype(np.float32)
    classes = np.array([0, 3, 4, 1])
    onehot = np.eye(5, dtype=np.float32)[classes]
    w = np.array([1.0, 2.0, 0.0, 1.0], np.float32)
    dense = tf.losses.softmax_cross_entropy(onehot, logits, weights=w, label_smoothing=0.1)
    sparse = tf.losses.sparse_softmax_cross_entropy(classes, logits, weights=w)
    with tf.Session() as sess:
        got_dense, got_sparse = sess.run([dense, sparse])
    smoothed = onehot * 0.9 + 0.1 / 5
    np.testing.assert_allclose(got_dense, _reduce(_softmax_xent(smoothed, logits), w,
                                                  tf.losses.Reduction.SUM_BY_NONZERO_WEIGHTS),
                               rtol=1e-5)
    np.testing.assert_allclose(got_sparse, _reduce(_softmax_xent(onehot, logits), w,
                                                   tf.losses.Reduction.SUM_BY_NONZERO_WEIGHTS),
                               rtol=1e-5)


def test_cosine_distance_and_mean_pairwise_squared_error():
    a = RNG.standard_normal((3, 4)).astype(np.float32)
    b = RNG.standard_normal((3, 4)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    cos = tf.losses.cosine_distance(a, b, axis=1)
    pairwise = tf.losses.mean_pairwise_squared_error(a, b)
    with tf.Session() as sess:
        got_cos, got_pairs = sess.run([cos, pairwise])
    np.testing.assert_allclose(got_cos, (1 - (a * b).sum(1)).mean(), rtol=1e-5)
    d = b - a
    per_example = [np.mean([(d[k, i] - d[k, j]) ** 2 for i in range(4) for j in range(4)])
                   for k in range(3)]
    np.testing.assert_allclose(got_pairs, np.mean(per_example), rtol=1e-5)


def test_losses_collect_and_total_loss_adds_regularization():
    x = tf.constant(RNG.standard_normal((5, 3)).astype(np.float32))
    y = tf.layers.dense(x, 2, kernel_regularizer=lambda w: 0.1 * tf.reduce_sum(w * w))
    mse = tf.losses.mean_squared_error(tf.zeros_like(y), y)
    extra = tf.losses.absolute_difference(tf.zeros_like(y), y, loss_collection=None)
    assert tf.losses.get_losses() == [mse] and extra not in tf.losses.get_losses()
    total = tf.losses.get_total_loss()
    without = tf.losses.get_total_loss(add_regularization_losses=False)
    regularization = tf.losses.get_regularization_loss()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        t, m, r, w = sess.run([total, mse, regularization, without])
    np.testing.assert_allclose(t, m + r, rtol=1e-6)
    assert w == m and r > 0
    with pytest.raises(ValueError, match="Invalid Reduction Key"):
        tf.losses.mean_squared_error(y, y, reduction="average")


def test_losses_train_a_model():
    x = tf.placeholder(tf.float32, [None, 2])
    y = tf.placeholder(tf.float32, [None, 1])
    pred = tf.layers.dense(x, 1)
    loss = tf.losses.huber_loss(y, pred)
    train = tf.train.GradientDescentOptimizer(0.5).minimize(tf.losses.get_total_loss())
    xv = RNG.standard_normal((64, 2)).astype(np.float32)
    yv = xv @ np.array([[1.5], [-2.0]], np.float32) + 0.3
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, {x: xv, y: yv})
        for _ in range(200):
            sess.run(train, {x: xv, y: yv})
        assert sess.run(loss, {x: xv, y: yv}) < 0.01 * first
