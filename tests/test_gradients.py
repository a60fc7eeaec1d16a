"""The gradient driver: graph structure, fan-in, broadcasting, unconnected inputs,
stop_gradient, grad_ys, second derivatives; and the gradient tables of every op family."""
import importlib
import pathlib

import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_gradient
from tensorlib import _core
from tensorlib.framework import ops

# The GRADS tables of every op family's test module (tests/test_*_ops.py).
GRADS = [case for path in sorted(pathlib.Path(__file__).parent.glob("test_*_ops.py"))
         for case in getattr(importlib.import_module(path.stem), "GRADS", [])]

# Differentiable ops whose gradient is checked outside the GRADS tables, and where.
GRADS_ELSEWHERE = {
    "Cast": "test_math_ops.py::test_cast_gradient_is_the_gradient_cast_back",
    "Print": "test_debugging.py::test_print_gradient_flows_to_its_input",
    "CheckNumerics": "test_debugging.py::test_check_numerics_checks_gradients_too",
    # float32 output whatever the input: checked in float32, where resizing's linearity makes
    # finite differences exact.
    "ResizeBilinear": "test_image_ops.py::test_resize_gradient_matches_finite_differences",
    "ResizeBicubic": "test_image_ops.py::test_resize_gradient_matches_finite_differences",
}


@pytest.mark.parametrize("case", GRADS, ids=[c[0] for c in GRADS])
def test_gradient_matches_finite_differences(case):
    check_gradient(case, np.random.default_rng(0))


def test_every_op_has_a_gradient_rule_or_is_not_differentiable():
    ops.load_all_gradient_rules()  # as a gradient lookup that misses does
    missing = [op for op in _core.registered_ops() if op not in ops._gradient_registry]
    assert not missing, f"ops with neither a gradient rule nor NotDifferentiable: {missing}"


def test_every_gradient_rule_is_checked():
    checked = {t for case in GRADS for t in case[1]} | set(GRADS_ELSEWHERE)
    rules = {op for op, (rule, _) in ops._gradient_registry.items()
             if rule is not None and not _core.op_library_of(op)}  # op libraries' own tests
    assert not sorted(rules - checked)


def test_fan_in_is_summed_and_broadcast_reduced():
    x = tf.placeholder(tf.float64, [None, 3])
    b = tf.constant(np.arange(3.0))
    c = tf.constant(2.0, tf.float64)
    y = (x * b + c) * x
    gx, gb, gc = tf.gradients(y, [x, b, c])
    assert gb.shape.as_list() == [3] and gc.shape.as_list() == []
    xv = np.arange(6.0).reshape(2, 3)
    with tf.Session() as sess:
        gx, gb, gc = sess.run([gx, gb, gc], {x: xv})
    np.testing.assert_allclose(gx, 2 * xv * np.arange(3.0) + 2)
    np.testing.assert_allclose(gb, (xv * xv).sum(0))
    np.testing.assert_allclose(gc, xv.sum())


@pytest.mark.parametrize("x_shape,y_shape", [((2, 1, 3), (4, 1)), ((1,), (2, 3)), ((), (2,))])
def test_broadcast_reduction_with_unknown_shapes(x_shape, y_shape):
    x = tf.placeholder(tf.float64, [None] * len(x_shape))
    y = tf.placeholder(tf.float64, [None] * len(y_shape))
    gx, gy = tf.gradients(x * y, [x, y])
    rng = np.random.default_rng(1)
    xv, yv = rng.standard_normal(x_shape), rng.standard_normal(y_shape)
    with tf.Session() as sess:
        gx, gy = sess.run([gx, gy], {x: xv, y: yv})
    out_shape = np.broadcast_shapes(x_shape, y_shape)
    np.testing.assert_allclose(gx, _np_sum_to(np.broadcast_to(yv, out_shape), x_shape))
    np.testing.assert_allclose(gy, _np_sum_to(np.broadcast_to(xv, out_shape), y_shape))


def _np_sum_to(a, shape):
    lead = a.ndim - len(shape)
    a = a.sum(axis=tuple(range(lead)))
    return a.sum(axis=tuple(i for i, d in enumerate(shape) if d == 1), keepdims=True)


def test_sum_to_shape_rejects_shapes_that_do_not_broadcast():
    x = tf.placeholder(tf.float64)
    out = ops.apply_op("SumToShape", [x, tf.constant([3])]).outputs[0]
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="broadcast"):
        sess.run(out, {x: np.ones((2, 2))})


def test_unconnected_and_integer_inputs_get_none():
    x = tf.placeholder(tf.float64, [2])
    z = tf.placeholder(tf.float64, [2])
    n = tf.placeholder(tf.int32, [2])
    y = x * 3.0
    assert tf.gradients(y, [z, n]) == [None, None]


def test_stop_gradient_blocks_both_forms():
    x = tf.constant([1.0, 2.0], tf.float64)
    y = x * x
    assert tf.gradients(tf.stop_gradient(y) * x, x)[0] is not None
    g_op, = tf.gradients(tf.stop_gradient(x) * x, x)
    g_arg, = tf.gradients(y * x, x, stop_gradients=[y])
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(g_op), [1.0, 2.0])
        np.testing.assert_allclose(sess.run(g_arg), [1.0, 4.0])


def test_grad_ys_weights_the_outputs_and_is_checked():
    x = tf.constant([1.0, 2.0], tf.float64)
    g, = tf.gradients(x * x, x, grad_ys=[tf.constant([10.0, 100.0], tf.float64)])
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(g), [20.0, 400.0])
    with pytest.raises(ValueError, match="grad_ys"):
        tf.gradients(x * x, x, grad_ys=[tf.constant([1.0, 2.0, 3.0], tf.float64)])


def test_op_without_a_rule_raises_lookup_error(monkeypatch):
    x = tf.constant([1.0, 2.0])
    y = ops.apply_op("SumToShape", [x, tf.constant([2])]).outputs[0]
    monkeypatch.delitem(ops._gradient_registry, "SumToShape", raising=False)
    with pytest.raises(LookupError, match="No gradient defined for operation"):
        tf.gradients(y, x)


def test_gradient_ops_are_ordinary_named_graph_nodes():
    x = tf.placeholder(tf.float32, [2], name="x")
    g, = tf.gradients(x * x, x)
    assert g.op.name.startswith("gradients/")
    assert g.dtype == tf.float32


def test_a_gradient_lookup_loads_the_rules_of_namespaces_not_yet_imported():
    # tf.train, tf.summary and the fused RNN cells load on first use; a graph read from a file
    # can hold their ops all the same. A fresh process shows the lookup loading them.
    import subprocess
    import sys
    code = """
import types
import tensorlib as tf
from tensorlib.framework import ops
assert "ApplyAdam" not in ops._gradient_registry, "tf.train was imported by import tensorlib"
for op_type in ("ApplyAdam", "ScalarSummary", "MakeIterator"):
    assert ops.get_gradient_function(types.SimpleNamespace(type=op_type, name="x"))[0] is None
rule, _ = ops.get_gradient_function(types.SimpleNamespace(type="LSTMBlockCell", name="x"))
assert callable(rule)
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd="/", timeout=120)  # the installed package, not the source tree
    assert out.returncode == 0 and out.stdout.split() == ["ok"], out.stdout + out.stderr
