"""Variables: per-session state, initialization, assignment."""
import numpy as np
import pytest

import tensorlib as tf


def test_initializers_and_values():
    tf.set_random_seed(1)
    a = tf.Variable(tf.zeros([2, 3]), name="a")
    b = tf.Variable([1.0, 2.0])
    c = tf.Variable(tf.random_normal([4, 4], stddev=0.1))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        va, vb, vc = sess.run([a, b, c])
    assert va.shape == (2, 3) and not va.any()
    assert vb.tolist() == [1.0, 2.0]
    assert vc.shape == (4, 4) and 0 < vc.std() < 0.3


def test_uninitialized_variable_is_a_failed_precondition():
    v = tf.Variable(1.0, name="lonely")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value lonely"):
            sess.run(v)


def test_state_is_per_session_and_persists_between_runs():
    v = tf.Variable(0.0)
    step = v.assign(v + 1.0)
    s1, s2 = tf.Session(), tf.Session()
    s1.run(v.initializer)
    s2.run(v.initializer)
    for _ in range(3):
        s1.run(step)
    assert s1.run(v) == 3.0 and s2.run(v) == 0.0
    s1.close()
    s2.close()


def test_fetched_value_is_not_changed_by_later_assignments():
    v = tf.Variable([1.0, 2.0])
    inc = v.assign(v * 10.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        before = sess.run(v)
        sess.run(inc)
        assert before.tolist() == [1.0, 2.0]
        assert sess.run(v).tolist() == [10.0, 20.0]


def test_assign_shape_is_validated():
    v = tf.Variable(tf.zeros([3]))
    with pytest.raises(ValueError):
        v.assign(tf.zeros([4]))
    p = tf.placeholder(tf.float32, [None])
    op = v.assign(p)
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(op, {p: np.zeros(5, np.float32)})


def test_load_and_variables_initializer():
    v = tf.Variable(np.zeros(2))
    w = tf.Variable(1)
    with tf.Session() as sess:
        sess.run(tf.variables_initializer([w]))
        v.load([3.0, 4.0], sess)
        assert sess.run(v).tolist() == [3.0, 4.0] and sess.run(w) == 1


def test_variables_index_and_compute_like_tensors():
    v = tf.Variable(np.arange(6.0).reshape(2, 3))
    with tf.Session() as sess:
        sess.run(v.initializer)
        row, col, expr = sess.run([v[1], v[:, 2], -v * 2 + 1])
    np.testing.assert_array_equal(row, [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(col, [2.0, 5.0])
    np.testing.assert_array_equal(expr, -np.arange(6.0).reshape(2, 3) * 2 + 1)


def test_variables_forward_every_tensor_operator():
    import operator as op
    binary = [  # (Python operator, NumPy reference, variable's value, other operand)
        (op.add, np.add, [1.5, -2.0], 3.0), (op.sub, np.subtract, [1.5, -2.0], 3.0),
        (op.mul, np.multiply, [1.5, -2.0], 3.0), (op.truediv, np.divide, [1.5, -2.0], 4.0),
        (op.floordiv, np.floor_divide, [7.0, -7.0], 2.0), (op.mod, np.mod, [7.0, -7.0], 3.0),
        (op.pow, np.power, [2.0, 3.0], 2.0),
        (op.matmul, np.matmul, [[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]),
        (op.and_, np.logical_and, [True, False], True),
        (op.or_, np.logical_or, [True, False], False),
        (op.xor, np.logical_xor, [True, False], True), (op.lt, np.less, [1.0, 3.0], 2.0),
        (op.le, np.less_equal, [1.0, 2.0], 2.0), (op.gt, np.greater, [1.0, 3.0], 2.0),
        (op.ge, np.greater_equal, [1.0, 2.0], 2.0),
    ]
    fetches, expected = [], []
    for fn, ref, value, other in binary:
        value, v = np.array(value), tf.Variable(np.array(value))
        other = np.array(other, dtype=value.dtype)
        fetches += [fn(v, other), fn(other, v)]
        expected += [ref(value, other), ref(other, value)]
    w_value, b_value = np.array([[1.0, -2.0], [3.0, -4.0]]), np.array([True, False])
    w, b = tf.Variable(w_value), tf.Variable(b_value)
    fetches += [-w, abs(w), ~b, w[1, ::-1]]
    expected += [-w_value, np.abs(w_value), ~b_value, w_value[1, ::-1]]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for got, want in zip(sess.run(fetches), expected):
            np.testing.assert_allclose(got, want)
    for operator in tf.Tensor.OVERLOADABLE_OPERATORS:
        assert getattr(tf.Tensor, operator) is not getattr(object, operator, None), operator
        assert getattr(tf.Variable, operator) is not getattr(object, operator, None), operator
    with pytest.raises(ValueError, match="not allowed"):
        tf.Tensor._override_operator("__eq__", lambda self, other: None)
