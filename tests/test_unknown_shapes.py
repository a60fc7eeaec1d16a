"""Tensors of unknown rank and partially known shapes, as TF1 allows and infers them."""
import numpy as np
import pytest

import tensorlib as tf


def test_classic_linear_regression_with_shapeless_placeholders_trains():
    rng = np.random.RandomState(0)
    train_x = rng.uniform(0, 10, 17)
    train_y = 0.5 * train_x + 2.0 + rng.normal(0, 0.1, 17)
    X = tf.placeholder("float")
    Y = tf.placeholder("float")
    W = tf.Variable(0.1, name="weight")
    b = tf.Variable(0.0, name="bias")
    pred = tf.add(tf.multiply(X, W), b)
    cost = tf.reduce_sum(tf.pow(pred - Y, 2)) / (2 * 17)
    train = tf.train.GradientDescentOptimizer(0.01).minimize(cost)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(2000):
            sess.run(train, {X: train_x, Y: train_y})
        w, c = sess.run([W, b])
    slope, intercept = np.polyfit(train_x, train_y, 1)
    assert w == pytest.approx(slope, abs=0.02) and c == pytest.approx(intercept, abs=0.15)


@pytest.mark.parametrize("build, value, expected", [
    (lambda x: tf.shape(x), np.zeros((2, 3)), [2, 3]),
    (lambda x: tf.reshape(x, [-1]), np.arange(6.0).reshape(2, 3), np.arange(6.0)),
    (lambda x: x + tf.ones([3]), np.zeros((2, 3)), np.ones((2, 3))),
    (lambda x: tf.reduce_mean(x, axis=1), np.arange(6.0).reshape(2, 3), [1.0, 4.0]),
    (lambda x: tf.nn.softmax(x), np.zeros((2, 2)), np.full((2, 2), 0.5)),
    (lambda x: tf.transpose(x), np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3).T),
    (lambda x: tf.concat([x, x], 0), np.ones((1, 2)), np.ones((2, 2))),
    (lambda x: tf.argmax(x, 1), np.array([[0.0, 2.0, 1.0]]), [1]),
    (lambda x: tf.squeeze(x), np.ones((1, 3)), np.ones(3)),
    (lambda x: tf.stack([tf.size(x), tf.rank(x)]), np.ones((2, 3)), [6, 2]),
    (lambda x: tf.nn.l2_loss(x), np.ones((2, 3)), 3.0),
])
def test_unknown_rank_flows_through_ops(build, value, expected):
    x = tf.placeholder(tf.float32)
    y = build(x)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: value}), expected)


def test_gradients_through_unknown_rank_and_broadcasting():
    x = tf.placeholder(tf.float32)
    y = tf.placeholder(tf.float32)
    gx, gy = tf.gradients(tf.reduce_sum(x * y), [x, y])
    with tf.Session() as sess:
        a, b = sess.run([gx, gy], {x: np.ones((2, 3)), y: np.array([1.0, 2.0, 3.0])})
    np.testing.assert_allclose(a, np.tile([1.0, 2.0, 3.0], (2, 1)))
    np.testing.assert_allclose(b, [2.0, 2.0, 2.0])


def test_shape_arithmetic_keeps_what_is_known():
    p = tf.placeholder(tf.float32, [None, 4])
    s = tf.shape(p)
    assert tf.reshape(p, tf.stack([s[0], 2, 2])).shape.as_list() == [None, 2, 2]
    assert tf.reshape(p, [s[0], -1, 2]).shape.as_list() == [None, None, 2]
    assert tf.reshape(p, tf.concat([s[:1], [2, 2]], 0)).shape.as_list() == [None, 2, 2]
    assert tf.reshape(p, tf.shape(tf.zeros([3, 4]))).shape.as_list() == [3, 4]
    assert tf.zeros(tf.stack([s[0], 3])).shape.as_list() == [None, 3]
    assert tf.fill([s[0], 3], 1.0).shape.as_list() == [None, 3]
    assert tf.random_normal(tf.stack([s[1], s[0]])).shape.as_list() == [4, None]
    assert tf.broadcast_to(1.0, tf.stack([s[0], 5])).shape.as_list() == [None, 5]
    with tf.Session() as sess:
        out = sess.run(tf.reshape(p, tf.stack([s[0], 2, 2])), {p: np.arange(8.0).reshape(2, 4)})
    np.testing.assert_array_equal(out, np.arange(8.0).reshape(2, 2, 2))


def test_get_static_value():
    p = tf.placeholder(tf.float32, [None, 4])
    np.testing.assert_array_equal(tf.get_static_value(tf.shape(tf.zeros([2, 3]))), [2, 3])
    assert tf.get_static_value(tf.shape(p)) is None
    assert tf.get_static_value(tf.stack([1, 2]) * 1) is None
    assert tf.get_static_value(tf.rank(p)) == 2
