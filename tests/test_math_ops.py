"""Math ops against NumPy: one line of OPS per op and case (see op_testing.py)."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


OPS = [
    ("add", ["Add"], tf.add, np.add, [(3, 4), (3, 4)], np.float32, {}),
    ("add_broadcast", ["Add"], tf.add, np.add, [(2, 1, 4), (3, 1)], np.float64, {}),
    ("add_scalar", ["Add"], tf.add, np.add, [(5,), ()], np.int32, {}),
    ("add_empty", ["Add"], tf.add, np.add, [(0, 3), (1, 3)], np.float32, {}),
    ("subtract", ["Sub"], tf.subtract, np.subtract, [(4, 5), (5,)], np.float32, {}),
    ("subtract_int64", ["Sub"], tf.subtract, np.subtract, [(7,), (7,)], np.int64, {}),
    ("multiply", ["Mul"], tf.multiply, np.multiply, [(2, 3, 4), (2, 1, 4)], np.float32, {}),
    ("divide", ["RealDiv"], tf.divide, np.divide, [(3, 3), (3,)], np.float64, {}),
    ("negative", ["Neg"], tf.negative, np.negative, [(6,)], np.float32, {}),
    ("negative_int", ["Neg"], tf.negative, np.negative, [(2, 2)], np.int32, {}),
    ("exp", ["Exp"], tf.exp, np.exp, [(100,)], np.float32, {}),
    ("log", ["Log"], tf.log, np.log, [(4, 25)], np.float64, {"positive": True}),
    ("sigmoid", ["Sigmoid"], tf.sigmoid, _sigmoid, [(3, 7)], np.float32, {}),
    ("relu", ["Relu"], tf.nn.relu, lambda x: np.maximum(x, 0), [(5, 5)], np.float32, {}),
    ("relu_large", ["Relu"], tf.nn.relu, lambda x: np.maximum(x, 0), [(300, 1000)],
     np.float32, {}),
    ("equal", ["Equal"], tf.equal, np.equal, [(4, 3), (3,)], np.int32, {"small_ints": True}),
    ("reduce_sum_all", ["Sum"], tf.reduce_sum, np.sum, [(4, 5, 6)], np.float32, {}),
    ("reduce_sum_axis", ["Sum"], lambda x: tf.reduce_sum(x, axis=1),
     lambda x: x.sum(axis=1), [(4, 5, 6)], np.float64, {}),
    ("reduce_sum_neg_axes_keepdims", ["Sum"],
     lambda x: tf.reduce_sum(x, axis=[0, -1], keepdims=True),
     lambda x: x.sum(axis=(0, 2), keepdims=True), [(3, 4, 5)], np.float32, {}),
    ("reduce_sum_int", ["Sum"], lambda x: tf.reduce_sum(x, 0), lambda x: x.sum(0),
     [(6, 2)], np.int64, {}),
    ("reduce_sum_empty", ["Sum"], tf.reduce_sum, np.sum, [(0, 3)], np.float32, {}),
    ("reduce_mean", ["Mean"], lambda x: tf.reduce_mean(x, axis=0),
     lambda x: x.mean(axis=0), [(10, 3)], np.float32, {}),
    ("reduce_mean_keep_dims", ["Mean"], lambda x: tf.reduce_mean(x, 1, keep_dims=True),
     lambda x: x.mean(1, keepdims=True), [(4, 9)], np.float64, {}),
    ("argmax", ["ArgMax"], lambda x: tf.argmax(x, axis=1), lambda x: np.argmax(x, axis=1),
     [(5, 8)], np.float32, {}),
    ("argmax_default_axis", ["ArgMax"], tf.argmax, lambda x: np.argmax(x, axis=0),
     [(6, 3)], np.int32, {}),
    ("cast_float_to_int", ["Cast"], lambda x: tf.cast(x * 10, tf.int32),
     lambda x: (x * 10).astype(np.int32), [(4, 4)], np.float32, {}),
    ("cast_to_half", ["Cast"], lambda x: tf.cast(x, tf.float16),
     lambda x: x.astype(np.float16), [(10,)], np.float32, {}),
    ("cast_to_bool", ["Cast"], lambda x: tf.cast(x, tf.bool), lambda x: x.astype(bool),
     [(10,)], np.int64, {"small_ints": True}),
    ("reshape", ["Reshape"], lambda x: tf.reshape(x, [3, -1]), lambda x: x.reshape(3, -1),
     [(2, 3, 4)], np.float32, {}),
    ("identity", ["Identity"], tf.identity, lambda x: x, [(3, 2)], np.int64, {}),
]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed, rng):
    check_op(case, feed, rng)


def test_fill_zeros_ones():
    with tf.Session() as sess:
        z, o, f = sess.run([tf.zeros([2, 3]), tf.ones((4,), tf.int64), tf.fill([2, 2], 7.5)])
    np.testing.assert_array_equal(z, np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(o, np.ones(4, np.int64))
    np.testing.assert_array_equal(f, np.full((2, 2), 7.5, np.float32))
    assert z.dtype == np.float32 and o.dtype == np.int64


def test_random_normal_statistics_and_seed():
    tf.set_random_seed(42)
    x = tf.random_normal([200_000], mean=3.0, stddev=2.0)
    with tf.Session() as sess:
        a, b = sess.run(x), sess.run(x)
    assert abs(a.mean() - 3.0) < 0.02 and abs(a.std() - 2.0) < 0.02
    assert not np.array_equal(a, b)  # a stateful op draws new numbers every run
    tf.reset_default_graph()
    tf.set_random_seed(42)
    y = tf.random_normal([200_000], mean=3.0, stddev=2.0)
    with tf.Session() as sess:
        c = sess.run(y)
    np.testing.assert_array_equal(a, c)  # same seeds, same graph: the same numbers


def test_random_normal_same_for_any_thread_count():
    x = tf.random_normal([100_000], seed=7, dtype=tf.float64)
    results = []
    for threads in (1, 2):
        with tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=threads)) as sess:
            results.append(sess.run(x))
    np.testing.assert_array_equal(results[0], results[1])


def test_python_operators_follow_numpy():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
    b = np.full((3,), 2.0, np.float32)
    x, y = tf.constant(a), tf.constant(b)
    m = tf.constant(a.T.copy())
    exprs = [x + y, x - y, x * y, x / y, -x, 2 * x, 1 - x, 6 / x, b + x, x @ m]
    with tf.Session() as sess:
        got = sess.run(exprs)
    want = [a + b, a - b, a * b, a / b, -a, 2 * a, 1 - a, 6 / a, b + a, a @ a.T]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_operators_are_named_as_in_tf1():
    x = tf.constant(1.0)
    assert tf.add(x, x).op.name == "Add" and (x + x).op.name == "add_1"  # case-insensitive
    assert (x * x).op.name == "mul" and (-x).op.name == "neg"


def test_integer_division_is_true_division():
    with tf.Session() as sess:
        got = sess.run(tf.constant([7, -7]) / tf.constant([2, 2]))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [3.5, -3.5])
