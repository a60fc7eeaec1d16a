"""Bad input at run time gives a clear exception, never a crash or a wrong answer."""
import numpy as np
import pytest

import tensorlib as tf


@pytest.fixture
def sess():
    with tf.Session() as s:
        yield s


def test_feeding_ints_that_do_not_fit_is_a_type_error(sess):
    s = tf.placeholder(tf.int32, [None])
    with pytest.raises(TypeError, match="outside the range of int32"):
        sess.run(s * 2, {s: [2 ** 40]})


def test_shapes_too_large_to_allocate_are_rejected(sess):
    dims = tf.placeholder(tf.int64, [None])
    for op in (tf.fill(dims, 1.0), tf.random_normal(dims)):
        with pytest.raises(tf.errors.InvalidArgumentError, match="too many elements"):
            sess.run(op, {dims: [2 ** 40, 2 ** 40]})


def test_negative_dims_are_rejected(sess):
    dims = tf.placeholder(tf.int32, [None])
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative"):
        sess.run(tf.fill(dims, 1.0), {dims: [-1, 2]})


def test_shapes_only_known_at_run_time_are_still_checked(sess):
    a = tf.placeholder(tf.float32, [None, None])
    b = tf.placeholder(tf.float32, [None, None])
    feed = {a: np.ones((2, 3), np.float32), b: np.ones((4, 5), np.float32)}
    for op in (tf.matmul(a, b), a + b):
        with pytest.raises(tf.errors.InvalidArgumentError, match="Dimensions must be equal"):
            sess.run(op, feed)


def test_run_time_axis_out_of_range(sess):
    x = tf.placeholder(tf.float32, None)
    axis = tf.placeholder(tf.int32, None)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid reduction dimension"):
        sess.run(tf.reduce_sum(x, axis), {x: np.ones((2, 3), np.float32), axis: 5})


def test_argmax_over_an_empty_axis(sess):
    x = tf.placeholder(tf.float32, [None, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="empty"):
        sess.run(tf.argmax(x, 0), {x: np.zeros((0, 3), np.float32)})


def test_session_survives_errors(sess):
    x = tf.placeholder(tf.float32, [None])
    r = tf.reshape(x, [2, -1])
    with pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(r, {x: np.ones(3, np.float32)})
    assert sess.run(r, {x: np.arange(4, dtype=np.float32)}).tolist() == [[0, 1], [2, 3]]


def test_a_shape_fed_as_a_matrix_is_rejected(sess):
    x = tf.placeholder(tf.float32, None)
    dims = tf.placeholder(tf.int32, None)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be a vector"):
        sess.run(tf.reshape(x, dims), {x: np.ones(6, np.float32), dims: [[2, 3]]})
