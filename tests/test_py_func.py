"""tf.py_func / tf.numpy_function: Python functions inside a run."""
import threading

import numpy as np
import pytest

import tensorlib as tf


def test_py_func_computes_with_numpy_and_feeds_the_graph():
    x = tf.placeholder(tf.float32, [None])
    y = tf.py_func(lambda a: np.sort(a)[::-1].copy(), [x], tf.float32)
    z = y * 2.0
    with tf.Session() as sess:
        out = sess.run(z, {x: np.array([3, 1, 2], np.float32)})
    np.testing.assert_array_equal(out, [6, 4, 2])
    assert y.dtype == tf.float32 and y.shape.ndims is None


def test_several_inputs_and_outputs_of_several_dtypes():
    a = tf.constant([1, 2, 3])
    b = tf.constant([0.5, 1.5])

    def f(ints, floats):
        return ints.sum().astype(np.int64), floats * 2, np.array([b"x", b"yz"], dtype=object)

    total, doubled, strings = tf.py_func(f, [a, b], [tf.int64, tf.float32, tf.string])
    with tf.Session() as sess:
        t, d, s = sess.run([total, doubled, strings])
    assert t == 6 and t.dtype == np.int64
    np.testing.assert_array_equal(d, [1.0, 3.0])
    assert list(s) == [b"x", b"yz"]


def test_python_numbers_are_converted_to_the_declared_dtype():
    y = tf.numpy_function(lambda: 1.5, [], tf.float32)
    with tf.Session() as sess:
        assert sess.run(y) == np.float32(1.5)


def test_inputs_are_read_only_views():
    x = tf.constant([1.0, 2.0])

    def f(a):
        a[0] = 5.0
        return a

    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="read-only"):
            sess.run(tf.py_func(f, [x], tf.float32))
        np.testing.assert_array_equal(sess.run(x), [1.0, 2.0])


@pytest.mark.parametrize("exc, error", [
    (ValueError("bad value"), tf.errors.InvalidArgumentError),
    (StopIteration(), tf.errors.OutOfRangeError),
    (NotImplementedError("later"), tf.errors.UnimplementedError),
    (RuntimeError("boom"), tf.errors.UnknownError),
])
def test_exceptions_map_to_tf1_errors(exc, error):
    def f():
        raise exc
    y = tf.py_func(f, [], tf.float32)
    with tf.Session() as sess:
        with pytest.raises(error, match=type(exc).__name__):
            sess.run(y)


def test_wrong_result_dtype_or_count_is_an_invalid_argument():
    x = tf.constant([1.0])
    wrong_dtype = tf.py_func(lambda a: a.astype(np.float64), [x], tf.float32)
    wrong_count = tf.py_func(lambda a: (a, a), [x], [tf.float32])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="float64"):
            sess.run(wrong_dtype)
        with pytest.raises(tf.errors.InvalidArgumentError, match="returns 2 values"):
            sess.run(wrong_count)


def test_runs_once_per_step_with_state_in_python():
    calls = []

    def count(a):
        calls.append(threading.get_ident())
        return np.int32(len(calls))

    y = tf.py_func(count, [tf.constant(0)], tf.int32)
    with tf.Session() as sess:
        assert [sess.run(y) for _ in range(3)] == [1, 2, 3]


def test_py_func_inside_a_while_loop_body():
    def body(i, acc):
        sq = tf.py_func(lambda v: np.float32(v * v), [i], tf.float32)
        sq.set_shape([])
        return i + 1, acc + sq

    _, acc = tf.while_loop(lambda i, acc: i < 4, body, [tf.constant(0), tf.constant(0.0)])
    with tf.Session() as sess:
        assert sess.run(acc) == 0 + 1 + 4 + 9


def test_sessions_on_threads_call_python_concurrently():
    x = tf.placeholder(tf.float64, [])
    y = tf.py_func(lambda v: v + 1, [x], tf.float64)
    results = {}
    with tf.Session() as sess:
        def work(k):
            results[k] = [sess.run(y, {x: float(k * 100 + i)}) for i in range(20)]
        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for k in range(4):
        assert results[k] == [k * 100 + i + 1 for i in range(20)]


def test_py_func_has_no_gradient():
    x = tf.constant([1.0])
    y = tf.py_func(lambda a: a, [x], tf.float32)
    assert tf.gradients(tf.reduce_sum(y), x) == [None]
