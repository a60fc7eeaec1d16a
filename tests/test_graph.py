"""Graph construction: names, scopes, shapes, collections and build-time errors."""
import os

import numpy as np
import pytest

import tensorlib as tf


def test_tensor_names_shapes_and_dtypes():
    x = tf.placeholder("float", [None, 3], name="x")
    y = tf.reduce_sum(x * 2.0, axis=1)
    assert x.name == "x:0" and x.op.name == "x" and x.op.type == "Placeholder"
    assert x.dtype == tf.float32
    assert x.shape.as_list() == [None, 3] and str(x.shape) == "(?, 3)"
    assert y.shape.as_list() == [None]
    assert x.get_shape()[1].value == 3 and int(x.shape[1]) == 3
    assert x.graph is tf.get_default_graph()


def test_unique_names_and_name_scopes():
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    with tf.name_scope("layer"):
        c = tf.add(a, b)
        with tf.name_scope("inner"):
            d = tf.constant(0, name="d")
    with tf.name_scope("layer"):
        e = tf.constant(3.0)
    assert (a.op.name, b.op.name) == ("Const", "Const_1")
    assert c.op.name == "layer/Add" and d.op.name == "layer/inner/d"
    assert e.op.name == "layer_1/Const"
    v = tf.Variable(tf.zeros([2]), name="v")
    assert v.name == "v:0" and v.initializer.name == "v/Assign"
    assert tf.zeros([3]).op.name == "zeros_1"


def test_graph_as_default_and_isolation():
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(1)
        assert tf.get_default_graph() is g
    assert x.graph is g and tf.get_default_graph() is not g
    y = tf.constant(2)
    with pytest.raises(ValueError, match="same graph"):
        tf.add(x, y)


def test_reset_default_graph_inside_a_graph_block_fails():
    with tf.Graph().as_default():
        with pytest.raises(AssertionError):
            tf.reset_default_graph()


def test_finalized_graph_refuses_new_ops():
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0)
        g.finalize()
        with pytest.raises(RuntimeError, match="finalized"):
            tf.constant(2.0)


def test_shape_error_names_op_shapes_and_user_line():
    a = tf.placeholder(tf.float32, [2, 3])
    b = tf.placeholder(tf.float32, [4])
    with pytest.raises(ValueError) as info:
        tf.add(a, b, name="bad_add")  # this line is in the message
    msg = str(info.value)
    assert "Dimensions must be equal" in msg and "bad_add" in msg
    assert "[2,3]" in msg and "[4]" in msg
    assert f"{os.path.basename(__file__)}:" in msg


def test_matmul_inner_dimension_mismatch_raises_value_error():
    with pytest.raises(ValueError, match="MatMul"):
        tf.matmul(tf.ones([2, 3]), tf.ones([4, 5]))


def test_dtype_mismatch_raises_type_error():
    a = tf.constant([1.0, 2.0])
    b = tf.constant(np.array([1.0, 2.0]))  # float64
    with pytest.raises(TypeError, match="float64"):
        tf.add(a, b)
    with pytest.raises(TypeError):
        tf.add(tf.constant([1, 2]), 0.5)  # 0.5 is not an int32


def test_reshape_errors_at_graph_construction():
    with pytest.raises(ValueError, match="reshape"):
        tf.reshape(tf.zeros([2, 3]), [4])
    assert tf.reshape(tf.zeros([2, 3]), [-1]).shape.as_list() == [6]


def test_reduction_axis_out_of_range():
    with pytest.raises(ValueError, match="Invalid reduction dimension"):
        tf.reduce_sum(tf.zeros([2, 3]), axis=2)


def test_constant_values_and_dtypes():
    cases = [(1.5, tf.float32), (3, tf.int32), (2 ** 40, tf.int64), (True, tf.bool),
             ([[1.0, 2.0]], tf.float32), (np.zeros(2), tf.float64), (b"hi", tf.string),
             (["a", "bc"], tf.string)]
    tensors = [tf.constant(v) for v, _ in cases]
    for t, (_, dtype) in zip(tensors, cases):
        assert t.dtype == dtype
    with tf.Session() as sess:
        got = sess.run(tensors)
    assert got[0] == np.float32(1.5) and isinstance(got[0], np.float32)
    assert got[2] == 2 ** 40
    assert got[6] == b"hi" and list(got[7]) == [b"a", b"bc"]
    assert tf.constant(0, shape=[2, 2]).shape.as_list() == [2, 2]
    with pytest.raises(TypeError):
        tf.constant(1.5, dtype=tf.int32)
    with pytest.raises(ValueError, match="non-rectangular"):
        tf.constant([[1, 2], [3]])


def test_set_shape_narrows_and_rejects_contradictions():
    x = tf.placeholder(tf.float32, [None, 3])
    x.set_shape([5, 3])
    assert x.shape.as_list() == [5, 3]
    with pytest.raises(ValueError):
        x.set_shape([4, 3])


def test_collections_and_lookup_by_name():
    v = tf.Variable(1.0, name="w")
    assert tf.global_variables() == [v] and tf.trainable_variables() == [v]
    u = tf.Variable(2.0, trainable=False)
    assert tf.trainable_variables() == [v] and tf.global_variables() == [v, u]
    tf.add_to_collection("mine", 42)
    assert tf.get_collection("mine") == [42]
    g = tf.get_default_graph()
    assert g.get_tensor_by_name("w:0") is v.value()
    assert g.get_operation_by_name("w") is v.op
    with pytest.raises(KeyError):
        g.get_operation_by_name("nope")


def test_control_dependencies_are_recorded():
    a = tf.constant(1.0)
    with tf.control_dependencies([a]):
        b = tf.constant(2.0)
    assert b.op.control_inputs == (a.op,)


def test_tensor_is_not_a_bool():
    with pytest.raises(TypeError):
        bool(tf.constant(True))


def test_rank_above_the_limit_is_a_clear_error():
    with pytest.raises(ValueError, match="rank up to 8"):
        tf.placeholder(tf.float32, [1] * 9)
