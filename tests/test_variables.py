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


@pytest.mark.parametrize("np_dtype", [np.float32, np.float64, np.int32, np.int64])
def test_assign_add_and_sub_accumulate_like_numpy(np_dtype):
    rng = np.random.default_rng(0)
    start = (rng.standard_normal((3, 4)) * 10).astype(np_dtype)
    delta = (rng.standard_normal((3, 4)) * 10).astype(np_dtype)
    v = tf.Variable(start)
    add, sub = v.assign_add(delta), tf.assign_sub(v, delta * 3)
    with tf.Session() as sess:
        sess.run(v.initializer)
        ref = start
        for op, step in [(add, delta), (tf.assign_add(v, delta), delta), (sub, -delta * 3)]:
            ref = (ref + step).astype(np_dtype)
            np.testing.assert_array_equal(sess.run(op), ref)
        np.testing.assert_array_equal(sess.run(v), ref)


def test_assign_add_leaves_earlier_fetches_and_reads_alone():
    v = tf.Variable([1.0, 2.0])
    inc = v.assign_add([10.0, 10.0])
    read_then_add = [v + 0.0, inc]
    with tf.Session() as sess:
        sess.run(v.initializer)
        before = sess.run(v)
        sess.run(inc)
        assert before.tolist() == [1.0, 2.0]
        # Scalars and empty variables, and a variable updated by itself.
        s, e = tf.Variable(3), tf.Variable(np.zeros((0, 2)))
        sess.run([s.initializer, e.initializer])
        assert sess.run(s.assign_sub(s)) == 0
        assert sess.run(e.assign_add(np.zeros((0, 2)))).shape == (0, 2)
        _, after = sess.run(read_then_add)
        assert after.tolist() == [21.0, 22.0]


def test_assign_variants_return_ops_and_module_functions():
    v = tf.Variable(5.0)
    ops_ = [v.assign(1.0, read_value=False), v.assign_add(2.0, read_value=False),
            v.assign_sub(0.5, read_value=False)]
    assert [op.type for op in ops_] == ["Assign", "AssignAdd", "AssignSub"]
    assert ops_[1].get_attr("use_locking") is False
    with tf.Session() as sess:
        sess.run(v.initializer)
        for op in ops_:
            sess.run(op)
        assert sess.run(v) == 2.5
        assert sess.run(tf.assign(v, 7.0)) == 7.0
    with pytest.raises(TypeError, match="needs a variable"):
        tf.assign_add(tf.constant(1.0), 1.0)


def test_assign_add_checks_dtype_and_shape():
    v = tf.Variable(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="does not match type float32"):
        v.assign_add(tf.constant([1, 2, 3]))
    with pytest.raises(ValueError, match="Shapes must be equal"):
        v.assign_sub(tf.zeros([4]))
    p = tf.placeholder(tf.float32, [None])
    add = v.assign_add(p)
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="shapes of both tensors"):
            sess.run(add, {p: np.zeros(5, np.float32)})


def test_assign_add_on_uninitialized_variable_is_a_failed_precondition():
    v = tf.Variable(1.0, name="counter")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match="uninitialized value(.|\n)*node counter"):
            sess.run(v.assign_add(1.0))


def test_is_variable_initialized():
    v = tf.Variable([1, 2])
    flag = tf.is_variable_initialized(v)
    assert flag.dtype == tf.bool and flag.shape.ndims == 0
    with tf.Session() as sess:
        assert not sess.run(flag)
        sess.run(v.initializer)
        assert sess.run(flag)


def test_state_ops_are_not_differentiable():
    from tensorlib.framework import ops
    v = tf.Variable(1.0)
    for op in [v.op, v.initializer, v.assign_add(1.0).op, v.assign_sub(1.0).op,
               tf.is_variable_initialized(v).op]:
        assert ops.get_gradient_function(op) == (None, False), op.type


def test_trainable_flag_and_collections():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(1.0, name="b", trainable=False)
    c = tf.Variable(1.0, name="c", trainable=False,
                    collections=[tf.GraphKeys.LOCAL_VARIABLES])
    d = tf.Variable(1.0, name="d", collections=[tf.GraphKeys.MODEL_VARIABLES,
                                                tf.GraphKeys.GLOBAL_VARIABLES])
    e = tf.Variable(1.0, name="e", trainable=False,
                    collections=[tf.GraphKeys.MOVING_AVERAGE_VARIABLES])
    assert tf.global_variables() == [a, b, d]
    assert tf.trainable_variables() == [a, d]
    assert tf.local_variables() == [c]
    assert tf.model_variables() == [d] and tf.moving_average_variables() == [e]
    with pytest.raises(ValueError, match="must be a list, tuple, or set"):
        tf.Variable(1.0, collections=tf.GraphKeys.LOCAL_VARIABLES)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run(c) == 1.0
        with pytest.raises(tf.errors.FailedPreconditionError):
            sess.run(a)


def test_get_collection_scope_is_a_regex_matched_at_the_start():
    with tf.name_scope("block"):
        x = tf.Variable(1.0)
    with tf.name_scope("block_2"):
        y = tf.Variable(1.0)
    with tf.name_scope("other"):
        with tf.name_scope("block"):
            z = tf.Variable(1.0)
    assert tf.global_variables("block") == [x, y]
    assert tf.global_variables("block/") == [x]
    assert tf.global_variables(".*block/") == [x, z]


def test_variable_made_from_a_callable_puts_its_ops_under_initializer():
    v = tf.Variable(lambda: tf.ones([2]), name="w")
    assert v.initial_value.name.startswith("w/Initializer/")


def test_initialized_value_initializes_dependent_variables():
    tf.set_random_seed(3)
    v = tf.Variable(tf.random_normal([3, 2]))
    w = tf.Variable(v.initialized_value() * 2.0)
    with tf.Session() as sess:
        sess.run(w.initializer)  # runs v's initializer too, once
        np.testing.assert_array_equal(sess.run(w), sess.run(v) * 2.0)
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(w), sess.run(v) * 2.0)
