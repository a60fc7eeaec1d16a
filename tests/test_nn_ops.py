"""Neural-network ops against NumPy: one line of OPS per op and case (see op_testing.py)."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op, run_with_threads, run_with_vector_widths, runnable_gemm_kernels
from tensorlib.framework import ops

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _log_softmax(x, axis=-1):
    s = x - x.max(axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis, keepdims=True))


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _onehot(z):
    return np.eye(z.shape[-1], dtype=z.dtype)[np.argmax(z, -1)]


def _big(x):
    """Logits around +-1000 (the same product on both sides)."""
    return x * 1000.0


# Tensor-side helpers: labels derived in the graph from a second float input.
def _xent(x, z):
    return tf.nn.softmax_cross_entropy_with_logits_v2(labels=tf.nn.softmax(z), logits=x)


def _xent_backprop(x, z):
    return ops.apply_op("SoftmaxCrossEntropyWithLogits", [x, tf.nn.softmax(z)]).outputs[1]


def _sparse_xent(x, z, output_type=tf.int64):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.argmax(z, -1, output_type=output_type), logits=x)


def _sparse_xent_backprop(x, z):
    return ops.apply_op("SparseSoftmaxCrossEntropyWithLogits",
                        [x, tf.argmax(z, -1, output_type=tf.int32)]).outputs[1]


def _grad_op(op_type, *inputs, **attrs):
    return ops.apply_op(op_type, list(inputs), attrs).outputs[0]


def _activation_grad_cases(dtype, shape):
    """OPS lines of the activation gradient ops, as (gradients, x) -> backprops."""
    z = np.zeros((), dtype)
    refs = {
        "ReluGrad": lambda g, x: np.where(x > 0, g, z),
        "Relu6Grad": lambda g, x: np.where((x > 0) & (x < 6), g, z),
        "EluGrad": lambda g, y: np.where(y < 0, g * (y + dtype(1)), g),
        "SeluGrad": lambda g, y: np.where(y < 0, g * (y + dtype(SELU_SCALE * SELU_ALPHA)),
                                          g * dtype(SELU_SCALE)),
        "SoftplusGrad": lambda g, x: g / (dtype(1) + np.exp(-x)),
    }
    name = np.dtype(dtype).name
    cases = [(f"{op.lower()}_{name}_{shape[0]}", [op], lambda g, x, op=op: _grad_op(op, g, x),
              ref, [shape, shape], dtype, {}) for op, ref in refs.items()]
    cases.append((f"leakyrelugrad_{name}_{shape[0]}", ["LeakyReluGrad"],
                  lambda g, x: _grad_op("LeakyReluGrad", g, x, alpha=0.3),
                  lambda g, x: np.where(x > 0, g, g * dtype(0.3)), [shape, shape], dtype, {}))
    return cases


def _bias_add_grad_ref(x, data_format="NHWC"):
    axis = x.ndim - 3 if data_format == "NCHW" else x.ndim - 1
    return x.sum(tuple(d for d in range(x.ndim) if d != axis)).astype(x.dtype)


def _xent_ref(x, z, axis=-1):
    return -(_softmax(z, axis) * _log_softmax(x, axis)).sum(axis)


def _l2_normalize_ref(x, axis=None, epsilon=1e-12):
    return x / np.sqrt(np.maximum((x * x).sum(axis, keepdims=True), epsilon))


def _batch_norm_ref(x, mean, var, offset, scale, eps=1e-3):
    return (x - mean) / np.sqrt(var + eps) * scale + offset


def _sparse_xent_ref(x, z):
    return -np.take_along_axis(_log_softmax(x), np.argmax(z, -1)[..., None], -1)[..., 0]


def _sigmoid_xent_ref(x, z):
    z = _sigmoid(z)
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


def _moments_ref(x, axes, keepdims=False):
    return x.mean(axes, keepdims=keepdims), x.var(axes, keepdims=keepdims)


OPS = [
    ("nn_tanh", ["Tanh"], tf.nn.tanh, np.tanh, [(3, 4)], np.float32, {}),
    ("nn_sigmoid", ["Sigmoid"], tf.nn.sigmoid, lambda x: 1 / (1 + np.exp(-x)), [(5,)],
     np.float64, {}),
    ("relu", ["Relu"], tf.nn.relu, lambda x: np.maximum(x, 0), [(5, 5)], np.float32, {}),
    ("relu_large", ["Relu"], tf.nn.relu, lambda x: np.maximum(x, 0), [(300, 1000)],
     np.float32, {}),
    ("relu6", ["Relu6"], lambda x: tf.nn.relu6(x * 4.0), lambda x: np.clip(x * 4, 0, 6),
     [(7, 13)], np.float32, {}),
    ("relu6_large", ["Relu6"], lambda x: tf.nn.relu6(x * 4.0), lambda x: np.clip(x * 4, 0, 6),
     [(300, 1000)], np.float32, {}),
    ("relu6_float64", ["Relu6"], lambda x: tf.nn.relu6(x * 4.0),
     lambda x: np.clip(x * 4, 0, 6), [(3, 5)], np.float64, {}),
    ("relu6_int", ["Relu6"], tf.nn.relu6, lambda x: np.clip(x, 0, 6), [(4, 6)], np.int32, {}),
    ("relu6_int64", ["Relu6"], tf.nn.relu6, lambda x: np.clip(x, 0, 6), [(9,)], np.int64, {}),
    ("elu", ["Elu"], tf.nn.elu, lambda x: np.where(x < 0, np.expm1(x), x), [(7, 13)],
     np.float32, {}),
    ("elu_large", ["Elu"], tf.nn.elu, lambda x: np.where(x < 0, np.expm1(x), x),
     [(300, 1000)], np.float32, {}),
    ("elu_float64", ["Elu"], tf.nn.elu, lambda x: np.where(x < 0, np.expm1(x), x), [(4, 5)],
     np.float64, {}),
    ("selu", ["Selu"], tf.nn.selu,
     lambda x: SELU_SCALE * np.where(x < 0, SELU_ALPHA * np.expm1(x), x), [(3, 17)],
     np.float32, {}),
    ("selu_float64", ["Selu"], tf.nn.selu,
     lambda x: SELU_SCALE * np.where(x < 0, SELU_ALPHA * np.expm1(x), x), [(2, 3, 4)],
     np.float64, {}),
    ("leaky_relu", ["LeakyRelu"], tf.nn.leaky_relu, lambda x: np.where(x > 0, x, x * 0.2),
     [(5, 9)], np.float32, {}),
    ("leaky_relu_alpha", ["LeakyRelu"], lambda x: tf.nn.leaky_relu(x, alpha=0.01),
     lambda x: np.where(x > 0, x, x * 0.01), [(4, 4)], np.float64, {}),
    ("leaky_relu_int_to_float", ["LeakyRelu"], tf.nn.leaky_relu,
     lambda x: np.where(x > 0, x, x * 0.2).astype(np.float32), [(10,)], np.int32, {}),
    ("softplus", ["Softplus"], tf.nn.softplus, lambda x: np.logaddexp(0, x), [(7, 13)],
     np.float32, {}),
    ("softplus_extreme", ["Softplus"], lambda x: tf.nn.softplus(_big(x)),
     lambda x: np.logaddexp(0, _big(x)), [(40,)], np.float32, {}),
    ("softplus_float64_extreme", ["Softplus"], lambda x: tf.nn.softplus(_big(x)),
     lambda x: np.logaddexp(0, _big(x)), [(5, 8)], np.float64, {}),
    ("softplus_large", ["Softplus"], tf.nn.softplus, lambda x: np.logaddexp(0, x),
     [(200, 1000)], np.float32, {}),
    ("softmax", ["Softmax"], tf.nn.softmax, _softmax, [(4, 10)], np.float32, {}),
    ("softmax_float64", ["Softmax"], tf.nn.softmax, _softmax, [(3, 4, 7)], np.float64, {}),
    ("softmax_extreme", ["Softmax"], lambda x: tf.nn.softmax(_big(x)), lambda x: _softmax(_big(x)),
     [(6, 9)], np.float32, {}),
    ("softmax_one_class", ["Softmax"], tf.nn.softmax, _softmax, [(3, 1)], np.float32, {}),
    ("softmax_vector", ["Softmax"], lambda x: tf.nn.softmax(x, axis=0), _softmax, [(1,)],
     np.float64, {}),
    ("softmax_no_rows", ["Softmax"], tf.nn.softmax, _softmax, [(0, 4)], np.float32, {}),
    ("softmax_many_classes", ["Softmax"], lambda x: tf.nn.softmax(x, dim=-1), _softmax,
     [(3, 5003)], np.float32, {}),
    ("softmax_many_rows", ["Softmax"], tf.nn.softmax, _softmax, [(2000, 33)], np.float32, {}),
    ("log_softmax", ["LogSoftmax"], tf.nn.log_softmax, _log_softmax, [(5, 11)], np.float32,
     {}),
    ("log_softmax_float64_extreme", ["LogSoftmax"], lambda x: tf.nn.log_softmax(_big(x)),
     lambda x: _log_softmax(_big(x)), [(4, 6)], np.float64, {}),
    ("log_softmax_extreme", ["LogSoftmax"], lambda x: tf.nn.log_softmax(_big(x), axis=1),
     lambda x: _log_softmax(_big(x)), [(4, 17)], np.float32, {}),
    ("log_softmax_many_classes", ["LogSoftmax"], tf.nn.log_softmax, _log_softmax,
     [(2, 4099)], np.float32, {}),
    ("xent", ["SoftmaxCrossEntropyWithLogits"], _xent, _xent_ref, [(4, 9), (4, 9)],
     np.float32, {}),
    ("xent_float64", ["SoftmaxCrossEntropyWithLogits"], _xent, _xent_ref, [(3, 5), (3, 5)],
     np.float64, {}),
    ("xent_extreme", ["SoftmaxCrossEntropyWithLogits"], lambda x, z: _xent(_big(x), z),
     lambda x, z: _xent_ref(_big(x), z), [(5, 7), (5, 7)], np.float32, {}),
    ("xent_rank3", ["SoftmaxCrossEntropyWithLogits"], _xent, _xent_ref,
     [(2, 3, 4), (2, 3, 4)], np.float32, {}),
    ("xent_many_classes", ["SoftmaxCrossEntropyWithLogits"], _xent, _xent_ref,
     [(3, 3001), (3, 3001)], np.float32, {}),
    ("xent_one_class", ["SoftmaxCrossEntropyWithLogits"], _xent, _xent_ref, [(4, 1), (4, 1)],
     np.float64, {}),
    ("xent_v1", ["SoftmaxCrossEntropyWithLogits"],
     lambda x, z: tf.nn.softmax_cross_entropy_with_logits(labels=tf.nn.softmax(z), logits=x),
     _xent_ref, [(6, 3), (6, 3)], np.float32, {}),
    ("xent_backprop", ["SoftmaxCrossEntropyWithLogits"], _xent_backprop,
     lambda x, z: _softmax(x) - _softmax(z), [(5, 13), (5, 13)], np.float32, {}),
    ("xent_backprop_extreme", ["SoftmaxCrossEntropyWithLogits"],
     lambda x, z: _xent_backprop(_big(x), z), lambda x, z: _softmax(_big(x)) - _softmax(z),
     [(3, 8), (3, 8)], np.float64, {}),
    ("sparse_xent", ["SparseSoftmaxCrossEntropyWithLogits"], _sparse_xent, _sparse_xent_ref,
     [(6, 5), (6, 5)], np.float32, {}),
    ("sparse_xent_int32_labels", ["SparseSoftmaxCrossEntropyWithLogits"],
     lambda x, z: _sparse_xent(x, z, tf.int32), _sparse_xent_ref, [(4, 7), (4, 7)],
     np.float64, {}),
    ("sparse_xent_extreme", ["SparseSoftmaxCrossEntropyWithLogits"],
     lambda x, z: _sparse_xent(_big(x), z), lambda x, z: _sparse_xent_ref(_big(x), z),
     [(8, 6), (8, 6)], np.float32, {}),
    ("sparse_xent_rank3", ["SparseSoftmaxCrossEntropyWithLogits"], _sparse_xent,
     _sparse_xent_ref, [(2, 3, 4), (2, 3, 4)], np.float32, {}),
    ("sparse_xent_many_classes", ["SparseSoftmaxCrossEntropyWithLogits"], _sparse_xent,
     _sparse_xent_ref, [(3, 4001), (3, 4001)], np.float32, {}),
    ("sparse_xent_one_class", ["SparseSoftmaxCrossEntropyWithLogits"], _sparse_xent,
     _sparse_xent_ref, [(1, 1), (1, 1)], np.float32, {}),
    ("sparse_xent_backprop", ["SparseSoftmaxCrossEntropyWithLogits"], _sparse_xent_backprop,
     lambda x, z: _softmax(x) - _onehot(z), [(5, 9), (5, 9)], np.float32, {}),
    ("sigmoid_xent", ["Relu", "Softplus"],
     lambda x, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.sigmoid(z), logits=x),
     _sigmoid_xent_ref, [(4, 6), (4, 6)], np.float32, {}),
    ("sigmoid_xent_extreme", ["Relu", "Softplus"],
     lambda x, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.sigmoid(z),
                                                          logits=_big(x)),
     lambda x, z: _sigmoid_xent_ref(_big(x), z), [(3, 5), (3, 5)], np.float64, {}),
    ("bias_add", ["BiasAdd"], tf.nn.bias_add, np.add, [(2, 3, 4), (4,)], np.float32, {}),
    ("bias_add_large", ["BiasAdd"], tf.nn.bias_add, np.add, [(500, 300), (300,)],
     np.float32, {}),
    ("bias_add_float64", ["BiasAdd"], tf.nn.bias_add, np.add, [(3, 1), (1,)], np.float64, {}),
    ("bias_add_int", ["BiasAdd"], tf.nn.bias_add, np.add, [(5, 2), (2,)], np.int32, {}),
    ("bias_add_nchw", ["BiasAdd"], lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"),
     lambda x, b: x + b[:, None, None], [(2, 3, 4, 5), (3,)], np.float32, {}),
    ("bias_add_nchw_rank3", ["BiasAdd"], lambda x, b: tf.nn.bias_add(x, b, "NCHW"),
     lambda x, b: x + b[:, None, None], [(3, 2, 2), (3,)], np.int64, {}),
    ("bias_add_no_rows", ["BiasAdd"], tf.nn.bias_add, np.add, [(0, 3), (3,)], np.float32, {}),
    ("l2_loss", ["L2Loss"], tf.nn.l2_loss, lambda x: np.sum(x * x) / 2, [(3, 4)], np.float32,
     {}),
    ("l2_loss_large", ["L2Loss"], tf.nn.l2_loss,
     lambda x: np.float32(np.sum(x.astype(np.float64) ** 2) / 2), [(300, 1001)], np.float32,
     {}),
    ("l2_loss_float64", ["L2Loss"], tf.nn.l2_loss, lambda x: np.sum(x * x) / 2, [(7,)],
     np.float64, {}),
    ("l2_loss_scalar", ["L2Loss"], tf.nn.l2_loss, lambda x: x * x / 2, [()], np.float64, {}),
    ("l2_loss_empty", ["L2Loss"], tf.nn.l2_loss, lambda x: np.sum(x * x) / 2, [(0, 5)],
     np.float32, {}),
    ("moments", ["Mean", "SquaredDifference", "Squeeze"], lambda x: tf.nn.moments(x, [0, 2]),
     lambda x: _moments_ref(x, (0, 2)), [(4, 3, 5)], np.float32, {}),
    ("moments_keep_dims", ["Mean"], lambda x: tf.nn.moments(x, [0], keep_dims=True),
     lambda x: _moments_ref(x, (0,), keepdims=True), [(6, 2)], np.float64, {}),
    ("moments_negative_axis", ["Mean", "Squeeze"], lambda x: tf.nn.moments(x, [-1]),
     lambda x: _moments_ref(x, (-1,)), [(3, 1, 4)], np.float64, {}),
    ("moments_empty_kept_dim", ["Mean", "Squeeze"], lambda x: tf.nn.moments(x, [1]),
     lambda x: _moments_ref(x, (1,)), [(0, 3)], np.float32, {}),
    ("softmax_axis0", ["Softmax", "Transpose"], lambda x: tf.nn.softmax(x, axis=0),
     lambda x: _softmax(x, 0), [(5, 3)], np.float32, {}),
    ("softmax_middle_axis", ["Softmax", "Transpose"], lambda x: tf.nn.softmax(x, axis=1),
     lambda x: _softmax(x, 1), [(2, 4, 3)], np.float64, {}),
    ("softmax_negative_axis", ["Softmax", "Transpose"], lambda x: tf.nn.softmax(x, dim=-3),
     lambda x: _softmax(x, -3), [(3, 1, 2, 2)], np.float32, {}),
    ("softmax_axis0_empty", ["Softmax", "Transpose"], lambda x: tf.nn.softmax(x, axis=0),
     lambda x: _softmax(x, 0), [(2, 0)], np.float32, {}),
    ("log_softmax_axis0", ["LogSoftmax", "Transpose"], lambda x: tf.nn.log_softmax(x, 0),
     lambda x: _log_softmax(x, 0), [(6, 2)], np.float64, {}),
    ("log_softmax_middle_axis", ["LogSoftmax", "Transpose"],
     lambda x: tf.nn.log_softmax(_big(x), axis=-2), lambda x: _log_softmax(_big(x), -2),
     [(2, 5, 3)], np.float32, {}),
    ("xent_axis0", ["SoftmaxCrossEntropyWithLogits", "Transpose"],
     lambda x, z: tf.nn.softmax_cross_entropy_with_logits_v2(
         labels=tf.nn.softmax(z, axis=0), logits=x, axis=0),
     lambda x, z: _xent_ref(x, z, 0), [(5, 3), (5, 3)], np.float32, {}),
    ("xent_v1_middle_dim", ["SoftmaxCrossEntropyWithLogits", "Transpose"],
     lambda x, z: tf.nn.softmax_cross_entropy_with_logits(
         labels=tf.nn.softmax(z, axis=1), logits=x, dim=-2),
     lambda x, z: _xent_ref(x, z, 1), [(2, 4, 3), (2, 4, 3)], np.float64, {}),
    ("l2_normalize", ["Sum", "Square", "Maximum", "Rsqrt", "Mul"],
     lambda x: tf.nn.l2_normalize(x, axis=1), lambda x: _l2_normalize_ref(x, 1), [(3, 4)],
     np.float32, {}),
    ("l2_normalize_all_axes", ["Sum", "Rsqrt"], tf.nn.l2_normalize, _l2_normalize_ref,
     [(2, 3, 2)], np.float64, {}),
    ("l2_normalize_axes_list", ["Sum", "Rsqrt"], lambda x: tf.nn.l2_normalize(x, [0, -1]),
     lambda x: _l2_normalize_ref(x, (0, 2)), [(2, 3, 4)], np.float32, {}),
    ("l2_normalize_dim_epsilon", ["Maximum", "Rsqrt"],
     lambda x: tf.nn.l2_normalize(x * 1e-4, dim=0, epsilon=1e-4),
     lambda x: _l2_normalize_ref(x * 1e-4, 0, 1e-4), [(5,)], np.float64, {}),
    ("l2_normalize_zeros", ["Maximum", "Rsqrt"], lambda x: tf.nn.l2_normalize(x * 0.0, -1),
     lambda x: _l2_normalize_ref(x * 0.0, -1), [(2, 3)], np.float32, {}),
    ("l2_normalize_empty", ["Sum", "Rsqrt"], lambda x: tf.nn.l2_normalize(x, 1),
     lambda x: _l2_normalize_ref(x, 1), [(0, 3)], np.float32, {}),
    ("batch_normalization", ["Rsqrt", "Mul", "Sub", "Add"],
     lambda x, m, v, o, g: tf.nn.batch_normalization(x, m, v * v, o, g, 1e-3),
     lambda x, m, v, o, g: _batch_norm_ref(x, m, v * v, o, g), [(4, 3), (3,), (3,), (3,), (3,)],
     np.float32, {}),
    ("batch_normalization_kept_dims", ["Rsqrt", "Mul", "Sub", "Add"],
     lambda x, m, v, o, g: tf.nn.batch_normalization(x, m, v * v, o, g, 1e-3),
     lambda x, m, v, o, g: _batch_norm_ref(x, m, v * v, o, g),
     [(2, 3, 4), (1, 3, 1), (1, 3, 1), (1, 3, 1), (1, 3, 1)], np.float64, {}),
    ("batch_normalization_no_offset_scale", ["Rsqrt", "Neg"],
     lambda x, m, v: tf.nn.batch_normalization(x, m, v * v, None, None, 1e-3),
     lambda x, m, v: _batch_norm_ref(x, m, v * v, 0.0, 1.0), [(5, 2), (2,), (2,)],
     np.float64, {}),
    ("batch_normalization_scale_only", ["Rsqrt", "Mul"],
     lambda x, m, v, g: tf.nn.batch_normalization(x, m, v * v, None, g, 1e-3),
     lambda x, m, v, g: _batch_norm_ref(x, m, v * v, 0.0, g), [(0, 3), (3,), (3,), (3,)],
     np.float32, {}),
    ("bias_add_grad", ["BiasAddGrad"], lambda x: _grad_op("BiasAddGrad", x), _bias_add_grad_ref,
     [(3, 4, 5)], np.float32, {}),
    ("bias_add_grad_large", ["BiasAddGrad"], lambda x: _grad_op("BiasAddGrad", x),
     _bias_add_grad_ref, [(500, 300)], np.float64, {}),
    ("bias_add_grad_int", ["BiasAddGrad"], lambda x: _grad_op("BiasAddGrad", x),
     _bias_add_grad_ref, [(4, 3)], np.int32, {}),
    ("bias_add_grad_nchw", ["BiasAddGrad"],
     lambda x: _grad_op("BiasAddGrad", x, data_format="NCHW"),
     lambda x: _bias_add_grad_ref(x, "NCHW"), [(2, 3, 4, 5)], np.float32, {}),
    ("bias_add_grad_nchw_large", ["BiasAddGrad"],
     lambda x: _grad_op("BiasAddGrad", x, data_format="NCHW"),
     lambda x: _bias_add_grad_ref(x, "NCHW"), [(8, 16, 30, 30)], np.float64, {}),
    ("bias_add_grad_empty", ["BiasAddGrad"], lambda x: _grad_op("BiasAddGrad", x),
     _bias_add_grad_ref, [(0, 3)], np.int64, {}),
] + [case for dtype, shape in [(np.float32, (7, 13)), (np.float32, (300, 1000)),
                               (np.float64, (3, 7))]
     for case in _activation_grad_cases(dtype, shape)]


def _second_order(op_type, **attrs):
    return lambda g, x: _grad_op(op_type, g, x, **attrs)


def _xent_outputs(x, z):
    loss, backprop = ops.apply_op("SoftmaxCrossEntropyWithLogits",
                                  [x, tf.nn.softmax(z)]).outputs
    return backprop * tf.expand_dims(loss, -1)


def _sparse_xent_outputs(x):
    loss, backprop = ops.apply_op("SparseSoftmaxCrossEntropyWithLogits",
                                  [x, tf.constant([1, 0, 3])]).outputs
    return backprop * tf.expand_dims(loss, -1)


AWAY = {"away_from_zero": True}

GRADS = [
    ("relu", ["Relu"], tf.nn.relu, [(3, 4)], AWAY),
    ("relu6", ["Relu6"], lambda x: tf.nn.relu6(x * 4.0), [(3, 4)], AWAY),
    ("elu", ["Elu"], tf.nn.elu, [(3, 4)], AWAY),
    ("selu", ["Selu"], tf.nn.selu, [(3, 4)], AWAY),
    ("leaky_relu", ["LeakyRelu"], lambda x: tf.nn.leaky_relu(x, 0.1), [(3, 4)], AWAY),
    ("softplus", ["Softplus"], tf.nn.softplus, [(3, 4)], {}),
    ("relu_grad", ["ReluGrad"], _second_order("ReluGrad"), [(3, 4), (3, 4)], AWAY),
    ("relu6_grad", ["Relu6Grad"], lambda g, x: _grad_op("Relu6Grad", g, x * 4.0),
     [(3, 4), (3, 4)], AWAY),
    ("elu_grad", ["EluGrad"], _second_order("EluGrad"), [(3, 4), (3, 4)], AWAY),
    ("selu_grad", ["SeluGrad"], _second_order("SeluGrad"), [(3, 4), (3, 4)], AWAY),
    ("leaky_relu_grad", ["LeakyReluGrad"], _second_order("LeakyReluGrad", alpha=0.1),
     [(3, 4), (3, 4)], AWAY),
    ("softplus_grad", ["SoftplusGrad"], _second_order("SoftplusGrad"), [(3, 4), (3, 4)], {}),
    ("softmax", ["Softmax"], tf.nn.softmax, [(3, 4)], {}),
    ("softmax_axis0", ["Softmax"], lambda x: tf.nn.softmax(x, axis=0), [(3, 4)], {}),
    ("log_softmax", ["LogSoftmax"], tf.nn.log_softmax, [(3, 4)], {}),
    # The labels of a softmax cross-entropy are distributions (the op's gradient is
    # softmax - labels): made with a softmax here.
    ("softmax_xent", ["SoftmaxCrossEntropyWithLogits"], _xent, [(3, 4), (3, 4)], {}),
    ("softmax_xent_axis0", ["SoftmaxCrossEntropyWithLogits"],
     lambda x, z: tf.nn.softmax_cross_entropy_with_logits_v2(
         labels=tf.nn.softmax(z, axis=0), logits=x, axis=0), [(3, 4), (3, 4)], {}),
    ("softmax_xent_both_outputs", ["SoftmaxCrossEntropyWithLogits"], _xent_outputs,
     [(3, 4), (3, 4)], {}),
    ("sparse_softmax_xent", ["SparseSoftmaxCrossEntropyWithLogits"],
     lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 0, 3], logits=x),
     [(3, 4)], {}),
    ("sparse_softmax_xent_both_outputs", ["SparseSoftmaxCrossEntropyWithLogits"],
     _sparse_xent_outputs, [(3, 4)], {}),
    ("bias_add", ["BiasAdd"], tf.nn.bias_add, [(2, 3, 4), (4,)], {}),
    ("bias_add_nchw", ["BiasAdd"], lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"),
     [(2, 3, 2, 2), (3,)], {}),
    ("bias_add_grad", ["BiasAddGrad"], lambda x: _grad_op("BiasAddGrad", x), [(2, 3, 4)], {}),
    ("bias_add_grad_nchw", ["BiasAddGrad"],
     lambda x: _grad_op("BiasAddGrad", x, data_format="NCHW"), [(2, 3, 2, 2)], {}),
    ("l2_loss", ["L2Loss"], tf.nn.l2_loss, [(3, 4)], {}),
]


def _top_k(k, output):
    """NumPy's top k along the last axis, ties lower index first: values (0) or indices (1)."""
    def ref(x):
        order = np.argsort(-x, axis=-1, kind="stable")[..., :k].astype(I32)
        return np.take_along_axis(x, order, -1) if output == 0 else order
    return ref


def _in_top_k(targets, k):
    def ref(p):
        target = p[np.arange(len(targets)), targets]
        larger = (p > target[:, None]).sum(-1)
        return np.isfinite(p).all(-1) & (larger < k)
    return ref


F32, F64, I32, I64 = np.float32, np.float64, np.int32, np.int64
SMALL = {"small_ints": True}
TARGETS = np.array([0, 3, 4, 1], I32)

OPS += [
    ("top_k_values", ["TopKV2"], lambda x: tf.nn.top_k(x, 3)[0], _top_k(3, 0), [(4, 7)], F32,
     {}),
    ("top_k_indices", ["TopKV2"], lambda x: tf.nn.top_k(x, k=3)[1], _top_k(3, 1), [(4, 7)],
     F64, {}),
    ("top_k_ties", ["TopKV2"], lambda x: tf.nn.top_k(x, 4)[1], _top_k(4, 1), [(2, 3, 9)], I32,
     SMALL),
    ("top_k_tie_values", ["TopKV2"], lambda x: tf.nn.top_k(x, 2, sorted=False)[0],
     _top_k(2, 0), [(5, 6)], I64, SMALL),
    ("top_k_default_k", ["TopKV2"], lambda x: tf.nn.top_k(x)[1], _top_k(1, 1), [(6,)], F32, {}),
    ("top_k_all", ["TopKV2"], lambda x: tf.nn.top_k(x, 5)[0], _top_k(5, 0), [(3, 5)], F32, {}),
    ("top_k_zero", ["TopKV2"], lambda x: tf.nn.top_k(x, 0)[0], _top_k(0, 0), [(3, 5)], F32, {}),
    ("in_top_k", ["InTopKV2"], lambda p: tf.nn.in_top_k(p, TARGETS, 2), _in_top_k(TARGETS, 2),
     [(4, 5)], F32, {}),
    ("in_top_k_int64", ["InTopKV2"], lambda p: tf.nn.in_top_k(p, TARGETS.astype(I64), 1),
     _in_top_k(TARGETS, 1), [(4, 6)], F64, {}),
]

GRADS += [
    ("top_k", ["TopKV2"], lambda x: tf.nn.top_k(x, 2)[0], [(3, 5)], {}),
    ("top_k_3d", ["TopKV2"], lambda x: tf.nn.top_k(x, 3, sorted=False)[0], [(2, 2, 4)], {}),
]


def test_top_k_puts_nan_first_and_checks_k():
    x = tf.constant([[1.0, np.nan, 3.0, 3.0]])
    values, indices = tf.nn.top_k(x, 3)
    with tf.Session() as sess:
        got_values, got_indices = sess.run([values, indices])
    np.testing.assert_array_equal(got_indices, [[1, 2, 3]])
    np.testing.assert_array_equal(got_values, [[np.nan, 3.0, 3.0]])
    with pytest.raises(ValueError, match="at least k columns"):
        tf.nn.top_k(x, 5)
    k = tf.placeholder(tf.int32, [])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="at least k columns"):
            sess.run(tf.nn.top_k(x, k)[0], {k: 5})


def test_in_top_k_ties_non_finite_rows_and_bad_targets():
    predictions = np.array([[0.1, 0.3, 0.3, 0.2],     # target 2 ties the 1st: in top 1
                            [0.1, 0.3, 0.3, 0.2],     # target 3 is 3rd: not in top 2
                            [np.inf, 0.1, 0.5, 0.2],  # a non-finite row: False
                            [np.nan, 0.1, 0.5, 0.2],
                            [0.4, 0.1, 0.5, 0.2]], np.float32)
    targets = [[2, 3, 2, 2, 2], [1, 2, 1, 1, 4], [-1, 1, 0, 0, 0]]
    want = [[True, False, False, False, True], [True, True, False, False, False],
            [False, True, False, False, True]]
    for t, k, w in zip(targets, (1, 2, 2), want):
        with tf.Session() as sess:
            got = sess.run(tf.nn.in_top_k(predictions, t, k))
        np.testing.assert_array_equal(got, w)
    with pytest.raises(ValueError, match="must match length of targets"):
        tf.nn.in_top_k(predictions, [0, 1], 1)


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed, rng):
    check_op(case, feed, rng)


def test_activation_gradient_ops_check_shapes_and_dtypes():
    with pytest.raises(ValueError, match="same shape"):
        _grad_op("ReluGrad", tf.zeros([2, 3]), tf.zeros([3, 2]))
    with pytest.raises(TypeError):
        _grad_op("EluGrad", tf.zeros([2]), tf.zeros([2], tf.float64))
    with pytest.raises(TypeError):
        _grad_op("SoftplusGrad", tf.zeros([2], tf.int32), tf.zeros([2], tf.int32))
    g = tf.placeholder(tf.float32, [None])
    out = _grad_op("SeluGrad", g, tf.zeros([3]))
    assert out.shape.as_list() == [3]
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="same shape"):
        sess.run(out, {g: np.zeros(4, np.float32)})


@pytest.mark.parametrize("fn", [
    lambda x: tf.nn.l2_loss(tf.nn.softplus(x)),
    lambda x: tf.nn.l2_loss(tf.nn.elu(x)),
    lambda x: tf.nn.l2_loss(tf.nn.selu(x)),
    lambda x: tf.nn.l2_loss(tf.nn.leaky_relu(x) + tf.nn.relu(x) + tf.nn.relu6(x * 4.0)),
    lambda x: tf.nn.l2_loss(tf.nn.softmax(x) + tf.nn.log_softmax(x)),
    lambda x: tf.nn.l2_loss(tf.nn.bias_add(x, tf.constant([1.0, -2.0, 0.5], tf.float64))),
    lambda x: tf.nn.softmax_cross_entropy_with_logits_v2(
        labels=tf.constant([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], tf.float64), logits=x),
    lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2, 0], logits=x),
], ids=["softplus", "elu", "selu", "relus", "softmax", "bias_add", "xent", "sparse_xent"])
def test_hessians_match_finite_differences_of_the_gradient(fn):
    rng = np.random.default_rng(2)
    xv = np.sign(rng.standard_normal((2, 3))) * (rng.random((2, 3)) + 0.2)
    x = tf.placeholder(tf.float64, [2, 3])
    y = fn(x)
    g, = tf.gradients(y, x)
    h, = tf.hessians(y, x)
    delta = 1e-6
    with tf.Session() as sess:
        got = sess.run(h, {x: xv})
        for i in np.ndindex(2, 3):
            plus, minus = xv.copy(), xv.copy()
            plus[i] += delta
            minus[i] -= delta
            want = (sess.run(g, {x: plus}) - sess.run(g, {x: minus})) / (2 * delta)
            np.testing.assert_allclose(got[i], want, rtol=1e-6, atol=1e-6)


def _with_fed_vector(build):
    p = tf.placeholder(tf.float32, [None])
    return build(p), p


@pytest.mark.parametrize("build,match", [
    (lambda p: tf.nn.bias_add(tf.ones([2, 3]), p), "as many biases|Dimensions must be equal"),
    (lambda p: tf.nn.softmax_cross_entropy_with_logits_v2(labels=tf.reshape(p, [2, -1]),
                                                          logits=tf.ones([2, 3])), "same size"),
    (lambda p: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(p, tf.int32),
                                                              logits=tf.ones([2, 3])),
     "same first dimensions"),
])
def test_static_output_shapes_do_not_skip_the_input_checks(build, match):
    # The output's shape is fully known while building, from partially known inputs.
    out, p = _with_fed_vector(build)
    assert out.shape.is_fully_defined()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match=match):
        sess.run(out, {p: np.zeros(4, np.float32)})


def test_bias_add_grad_checks_rank_and_format():
    with pytest.raises(ValueError):
        _grad_op("BiasAddGrad", tf.zeros([3]))
    with pytest.raises(ValueError):
        _grad_op("BiasAddGrad", tf.zeros([2, 3]), data_format="NCHW")
    with pytest.raises(ValueError, match="data_format"):
        _grad_op("BiasAddGrad", tf.zeros([2, 3, 4]), data_format="CHWN")
    assert _grad_op("BiasAddGrad", tf.placeholder(tf.float32, [None, 5, None, None]),
                    data_format="NCHW").shape.as_list() == [5]


def test_sparse_label_out_of_range_is_invalid_argument():
    logits = tf.placeholder(tf.float32, [None, 3])
    labels = tf.placeholder(tf.int32, [None])
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    x = np.zeros((2, 3), np.float32)
    with tf.Session() as sess:
        for bad in ([0, 3], [-1, 0]):
            with pytest.raises(tf.errors.InvalidArgumentError, match="valid range of \\[0, 3\\)"):
                sess.run(loss, {logits: x, labels: bad})
        np.testing.assert_allclose(sess.run(loss, {logits: x, labels: [2, 0]}),
                                   np.full(2, np.log(3), np.float32), rtol=1e-6)


def test_sparse_label_out_of_range_int64_constant():
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.constant([1, 10**12], tf.int64), logits=tf.zeros([2, 4]))
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(loss)


def test_sparse_rank_and_shape_mismatch_is_value_error():
    with pytest.raises(ValueError, match="Rank mismatch"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.zeros([2, 3], tf.int32),
                                                       logits=tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="Shape mismatch"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.zeros([4], tf.int32),
                                                       logits=tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="scalars"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.zeros([], tf.int32),
                                                       logits=tf.constant(1.0))


def test_sparse_labels_must_be_integers():
    with pytest.raises(TypeError):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.zeros([2]),
                                                       logits=tf.zeros([2, 3]))


def test_xent_shape_mismatch_is_value_error():
    with pytest.raises(ValueError, match="same size"):
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=tf.zeros([2, 4]),
                                                   logits=tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros([2, 4]),
                                                logits=tf.zeros([2, 3]))


def test_xent_needs_named_arguments():
    for fn in (tf.nn.softmax_cross_entropy_with_logits,
               tf.nn.sparse_softmax_cross_entropy_with_logits,
               tf.nn.sigmoid_cross_entropy_with_logits):
        with pytest.raises(ValueError, match="named arguments"):
            fn(tf.zeros([2, 3]), tf.zeros([2, 3]))
        with pytest.raises(ValueError, match="Both labels and logits"):
            fn(logits=tf.zeros([2, 3]))


def test_bias_size_mismatch_is_value_error_at_graph_build():
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4"):
        tf.nn.bias_add(tf.zeros([2, 3]), tf.zeros([4]))
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.nn.bias_add(tf.zeros([2, 3, 4, 5]), tf.zeros([5]), data_format="NCHW")
    with pytest.raises(ValueError, match="rank"):
        tf.nn.bias_add(tf.zeros([3]), tf.zeros([3]))
    with pytest.raises(ValueError, match="data_format"):
        tf.nn.bias_add(tf.zeros([2, 3]), tf.zeros([3]), data_format="HWC")


def test_bias_size_mismatch_in_feeds_is_invalid_argument():
    x = tf.placeholder(tf.float32, [None, None])
    y = tf.nn.bias_add(x, tf.zeros([4]))
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(y, {x: np.zeros((2, 3), np.float32)})


def test_softmax_axis_errors():
    x = tf.zeros([2, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="range"):
        tf.nn.log_softmax(x, axis=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="range"):
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=x, logits=x, axis=-3)
    with pytest.raises(ValueError, match="both"):
        tf.nn.softmax(x, axis=0, dim=0)
    with pytest.raises(ValueError, match="rank"):
        tf.nn.softmax(tf.constant(1.0))
    with pytest.raises(TypeError):
        tf.nn.softmax(tf.zeros([2, 3], tf.int32))
    with pytest.raises(TypeError):
        tf.nn.softmax(x, axis=tf.constant(0))


def test_softmax_over_any_axis_of_unknown_rank(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    z = rng.standard_normal((2, 3, 4)).astype(np.float32)
    holder = tf.placeholder(tf.float32)
    labels = tf.placeholder(tf.float32)
    outs = [tf.nn.softmax(holder, axis=0), tf.nn.log_softmax(holder, axis=-2),
            tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=holder, axis=1),
            tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=holder, axis=-3)]
    with tf.Session() as sess:
        got = sess.run(outs, {holder: x, labels: _softmax(z, 1)})
    np.testing.assert_allclose(got[0], _softmax(x, 0), rtol=1e-5)
    np.testing.assert_allclose(got[1], _log_softmax(x, -2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[2], -(_softmax(z, 1) * _log_softmax(x, 1)).sum(1),
                               rtol=1e-5)
    np.testing.assert_allclose(got[3], -(_softmax(z, 1) * _log_softmax(x, 0)).sum(0),
                               rtol=1e-5)


def test_l2_normalize_and_batch_normalization_errors():
    x = tf.zeros([2, 3])
    with pytest.raises(ValueError, match="both"):
        tf.nn.l2_normalize(x, axis=0, dim=0)
    with pytest.raises(ValueError):
        tf.nn.l2_normalize(x, axis=2)
    with pytest.raises(ValueError):
        tf.nn.batch_normalization(x, tf.zeros([4]), tf.ones([3]), None, None, 1e-3)
    with pytest.raises(TypeError):
        tf.nn.batch_normalization(x, tf.zeros([3], tf.float64), tf.ones([3]), None, None, 1e-3)


@pytest.mark.parametrize("classes", [3, 20])
def test_softmax_nan_row_stays_in_its_row(classes, rng):
    x = rng.standard_normal((4, classes)).astype(np.float32)
    x[0, 0] = x[1, 1] = x[2, -1] = np.nan
    with tf.Session() as sess:
        got = sess.run([tf.nn.softmax(x), tf.nn.log_softmax(x)])
    for g in got:
        assert np.isnan(g[:3]).all()
    np.testing.assert_allclose(got[0][3], _softmax(x[3]), rtol=1e-5)


def test_l2_loss_same_for_any_thread_count(rng):
    x = tf.constant(rng.standard_normal(300_000).astype(np.float32))
    results = run_with_threads(tf.nn.l2_loss(x))
    assert results[0] == results[1]


def test_moments_shift_is_ignored_and_keepdims_aliases():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    mean, var = tf.nn.moments(tf.constant(x), [1], shift=5.0, keepdims=True)
    with tf.Session() as sess:
        m, v = sess.run([mean, var])
    np.testing.assert_allclose(m, x.mean(1, keepdims=True))
    np.testing.assert_allclose(v, x.var(1, keepdims=True))
    with pytest.raises(ValueError):
        tf.nn.moments(tf.constant(x), [1], keep_dims=True, keepdims=True)


def test_dropout_argument_errors():
    x = tf.ones([4, 4])
    with pytest.raises(ValueError, match="both"):
        tf.nn.dropout(x, keep_prob=0.5, rate=0.5)
    with pytest.raises(ValueError, match="provide a rate"):
        tf.nn.dropout(x)
    with pytest.raises(ValueError, match="range"):
        tf.nn.dropout(x, rate=1.0)
    with pytest.raises(ValueError, match="floating point"):
        tf.nn.dropout(tf.ones([2], tf.int32), 0.5)
    assert tf.nn.dropout(x, keep_prob=1.0) is x


def test_dropout_keeps_about_keep_prob_and_scales():
    x = tf.ones([400, 250])
    y = tf.nn.dropout(x, keep_prob=0.8, seed=3)
    rows = tf.nn.dropout(x, rate=0.5, noise_shape=[400, 1], seed=4)
    with tf.Session() as sess:
        got, got_rows = sess.run([y, rows])
    assert set(np.unique(got)) <= {0.0, np.float32(1 / 0.8)}
    assert abs((got != 0).mean() - 0.8) < 0.01
    assert (got_rows == got_rows[:, :1]).all()  # one decision per row
    assert abs((got_rows[:, 0] != 0).mean() - 0.5) < 0.1


def test_dropout_of_unknown_shape_and_fed_rate():
    x = tf.placeholder(tf.float64, [None, None])
    rate = tf.placeholder(tf.float64, [])
    y = tf.nn.dropout(x, rate=rate, seed=5)
    cols = tf.nn.dropout(x, keep_prob=0.25, noise_shape=[1, None], seed=6)
    unranked = tf.placeholder(tf.float32)
    anything = tf.nn.dropout(unranked, rate=0.5, seed=7)
    assert y.shape.as_list() == [None, None] and anything.shape.ndims is None
    value = np.full((300, 200), 2.0)
    with tf.Session() as sess:
        got, got_cols = sess.run([y, cols], {x: value, rate: 0.3})
        got_any = sess.run(anything, {unranked: np.ones((2, 3, 4), np.float32)})
    assert got_any.shape == (2, 3, 4) and set(np.unique(got_any)) <= {0.0, 2.0}
    assert got.shape == value.shape
    assert set(np.unique(got)) <= {0.0, 2.0 / 0.7}
    assert abs((got != 0).mean() - 0.7) < 0.02
    assert (got_cols == got_cols[:1]).all()  # one decision per column
    assert set(np.unique(got_cols)) <= {0.0, 8.0}
    with pytest.raises(ValueError, match="unknown dims"):
        tf.nn.dropout(tf.placeholder(tf.float32), rate=0.5, noise_shape=[None, 1])


def test_static_shapes_from_partial_inputs():
    x = tf.placeholder(tf.float32, [None, 5])
    assert tf.nn.bias_add(x, tf.placeholder(tf.float32, [None])).shape.as_list() == [None, 5]
    assert tf.nn.bias_add(tf.placeholder(tf.float32, [2, None]),
                          tf.zeros([7])).shape.as_list() == [2, 7]
    assert tf.nn.softmax(x).shape.as_list() == [None, 5]
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.placeholder(tf.int32, [4]), logits=x)
    assert sparse.shape.as_list() == [4]
    dense = tf.nn.softmax_cross_entropy_with_logits_v2(
        labels=tf.placeholder(tf.float32, [3, None, None]),
        logits=tf.placeholder(tf.float32, [None, 2, None]))
    assert dense.shape.as_list() == [3, 2]
    assert tf.nn.l2_loss(tf.placeholder(tf.float64)).shape.as_list() == []
    assert tf.nn.softmax(tf.placeholder(tf.float32)).shape.ndims is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_at_special_values(dtype):
    x = np.array([-np.inf, -1000, -90, -20, -1, -1e-3, -1e-30, 0, 1e-30, 1e-3, 1, 20, 90, 1000,
                  np.inf, np.nan] * 2, dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        want = {
            tf.nn.relu6: np.clip(x, 0, 6),
            tf.nn.elu: np.where(x < 0, np.expm1(x), x),
            tf.nn.selu: SELU_SCALE * np.where(x < 0, SELU_ALPHA * np.expm1(x), x),
            tf.nn.leaky_relu: np.where(x > 0, x, x * 0.2),
            tf.nn.softplus: np.logaddexp(0, x),
        }
    with tf.Session() as sess:
        got = sess.run([fn(tf.constant(x)) for fn in want])
    for g, w in zip(got, want.values()):
        np.testing.assert_allclose(g, w.astype(dtype), rtol=1e-6, atol=0)


@pytest.mark.skipif("avx512" not in runnable_gemm_kernels(), reason="needs an AVX-512 CPU")
def test_softmax_family_gives_the_same_bits_in_avx2_and_avx512_vectors(rng):
    # The exponentials run 16 lanes wide where the kernels use AVX-512, their sums 8 lanes wide
    # in the AVX2 order: row lengths around both widths, and a row of 1000 classes.
    fetches = []
    for classes in (1, 7, 8, 15, 16, 17, 24, 33, 1000):
        x = tf.constant(rng.standard_normal((5, classes)).astype(np.float32) * 4)
        labels = tf.constant(rng.random((5, classes)).astype(np.float32))
        loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=x)
        fetches += [tf.nn.softmax(x), tf.nn.log_softmax(x), *loss.op.outputs]
    narrow, wide = run_with_vector_widths(lambda sess: sess.run(fetches))
    for got, want in zip(wide, narrow):
        np.testing.assert_array_equal(got, want)


@pytest.mark.skipif("avx512" not in runnable_gemm_kernels(), reason="needs an AVX-512 CPU")
def test_transcendental_activations_give_the_same_bits_in_avx2_and_avx512_vectors(rng):
    # elu, selu, softplus and softplus's gradient run 16 lanes wide where the kernels use
    # AVX-512: the same operations lane for lane as the AVX2 form, tails included.
    x = tf.placeholder(tf.float32, [None])
    fetches = [tf.nn.elu(x), tf.nn.selu(x), tf.nn.softplus(x),
               tf.gradients(tf.nn.softplus(x), x, grad_ys=tf.cos(x))[0]]
    values = np.concatenate([rng.standard_normal(200_003).astype(np.float32) * 8,
                             np.array([0.0, -0.0, 1e-30, -1e-30, 90.0, -90.0, np.inf, -np.inf,
                                       np.nan], np.float32)])
    results = run_with_vector_widths(
        lambda sess: [sess.run(fetches, {x: values[:n]}) for n in (len(values), 5, 16, 21)])
    for got_n, want_n in zip(results[1], results[0]):
        for got, want in zip(got_n, want_n):
            np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
