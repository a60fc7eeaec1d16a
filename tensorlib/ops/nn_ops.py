"""Neural-network ops (`tf.nn`): activations, softmax, losses, bias_add, dropout, moments."""
import builtins
import collections
import numbers

from tensorlib import dtypes as _dtypes
from tensorlib import errors
from tensorlib.framework import ops, tensor_shape
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops, math_ops, random_ops
from tensorlib.ops.math_ops import sigmoid  # noqa: F401 (tf.nn.sigmoid)


def _unary(op_type, features, name, attrs=None):
    return ops.apply_op(op_type, [convert_to_tensor(features, name="features")], attrs,
                        name=name).outputs[0]


def _activation_grad(op_type, gradients, x, attrs=None):
    """The fused gradient op `op_type` (ReluGrad, EluGrad, ...) of gradients and x."""
    return ops.apply_op(op_type, [gradients, x], attrs).outputs[0]


def _piecewise_linear_grad_grad(op, grad):
    """The rule of ReluGrad, Relu6Grad and LeakyReluGrad (g, x): linear in g with x's mask,
    piecewise constant in x."""
    x = op.inputs[1]
    return _activation_grad(op.type, grad, x, dict(op._attrs)), array_ops.zeros_like(x)


def _exponential_grad_grad(op, grad):
    """The rule of EluGrad and SeluGrad (g, y), y the activation's output: linear in g, and
    where y < 0 the derivative g * (y + c) grows in y with slope g."""
    gradients, y = op.inputs
    return (_activation_grad(op.type, grad, y),
            math_ops.where_v2(math_ops.less(y, 0), grad * gradients, array_ops.zeros_like(y)))


for _op_type in ("ReluGrad", "Relu6Grad", "LeakyReluGrad"):
    ops.RegisterGradient(_op_type)(_piecewise_linear_grad_grad)
for _op_type in ("EluGrad", "SeluGrad"):
    ops.RegisterGradient(_op_type)(_exponential_grad_grad)


def _is_zeros(t):
    """True when `t` is the zeros the gradient driver gives an output that has no gradient."""
    if t.op.type != "Fill":
        return False
    value = t.op.inputs[1]
    return value.op.type == "Const" and not value.op.get_attr("value").any()


def relu(features, name=None):
    """max(features, 0) elementwise."""
    return _unary("Relu", features, name)


@ops.RegisterGradient("Relu")
def _relu_grad(op, grad):
    return _activation_grad("ReluGrad", grad, op.outputs[0])


def relu6(features, name=None):
    """Computes Rectified Linear 6: `min(max(features, 0), 6)`.

    Args:
      features: A `Tensor` with type `float`, `double`, `int32` or `int64`.
      name: A name for the operation (optional).

    Returns:
      A `Tensor` with the same type as `features`.
    """
    return _unary("Relu6", features, name)


@ops.RegisterGradient("Relu6")
def _relu6_grad(op, grad):
    return _activation_grad("Relu6Grad", grad, op.outputs[0])


def elu(features, name=None):
    """Computes exponential linear: `exp(features) - 1` if < 0, `features` otherwise.

    See [Fast and Accurate Deep Network Learning by Exponential Linear Units (ELUs)
    ](http://arxiv.org/abs/1511.07289)
    """
    return _unary("Elu", features, name)


@ops.RegisterGradient("Elu")
def _elu_grad(op, grad):
    return _activation_grad("EluGrad", grad, op.outputs[0])


def selu(features, name=None):
    """Computes scaled exponential linear: `scale * alpha * (exp(features) - 1)` if < 0,
    `scale * features` otherwise, with alpha = 1.6732632423543772848170429916717 and
    scale = 1.0507009873554804934193349852946.

    See [Self-Normalizing Neural Networks](https://arxiv.org/abs/1706.02515)
    """
    return _unary("Selu", features, name)


@ops.RegisterGradient("Selu")
def _selu_grad(op, grad):
    return _activation_grad("SeluGrad", grad, op.outputs[0])


def leaky_relu(features, alpha=0.2, name=None):
    """Compute the Leaky ReLU activation function: `features` if > 0, `alpha * features`
    otherwise.

    "Rectifier Nonlinearities Improve Neural Network Acoustic Models"
    AL Maas, AY Hannun, AY Ng - Proc. ICML, 2013.

    Args:
      features: A `Tensor` representing preactivation values. Must be one of the following
        types: `float32`, `float64`, `int32`, `int64` (integers are cast to `float32`).
      alpha: Slope of the activation function at x < 0.
      name: A name for the operation (optional).

    Returns:
      The activation value.
    """
    with ops.name_scope(name, "LeakyRelu", [features, alpha]) as name:
        features = convert_to_tensor(features, name="features")
        if features.dtype.is_integer:
            features = math_ops.cast(features, _dtypes.float32)
        if hasattr(alpha, "item"):
            alpha = alpha.item()
        return ops.apply_op("LeakyRelu", [features], {"alpha": float(alpha)},
                            name=name).outputs[0]


@ops.RegisterGradient("LeakyRelu")
def _leaky_relu_grad(op, grad):
    return _activation_grad("LeakyReluGrad", grad, op.inputs[0],
                            {"alpha": array_ops._attr(op, "alpha", 0.2)})


def softplus(features, name=None):
    """Computes softplus: `log(exp(features) + 1)`, without overflow for large features."""
    return _unary("Softplus", features, name)


@ops.RegisterGradient("Softplus")
def _softplus_grad(op, grad):
    return _activation_grad("SoftplusGrad", grad, op.inputs[0])


@ops.RegisterGradient("SoftplusGrad")
def _softplus_grad_grad(op, grad):
    # d/dx sigmoid(x) = 1 / (exp(-x) + 2 + exp(x)).
    gradients, x = op.inputs
    d2x = grad * gradients / (math_ops.exp(-x) + 2.0 + math_ops.exp(x))
    return _activation_grad("SoftplusGrad", grad, x), d2x


def _class_axis(axis, dim):
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'.")
    axis = -1 if axis is None and dim is None else (dim if axis is None else axis)
    if isinstance(axis, ops.Tensor):
        raise TypeError("`axis` must be a Python integer, got a Tensor")
    return int(axis)


def _moved_axis_perm(x, axis, swap):
    """The permutation that moves `axis` of x last: swapping it with the last axis (`swap`,
    its own inverse) or shifting the axes after it forward (TF1's _move_dim_to_end). None when
    `axis` is already last. Out-of-range axes raise InvalidArgumentError, as in TF1."""
    ndims = x.shape.ndims
    if ndims is not None:
        if not -ndims <= axis < ndims and not (ndims == 0 and axis == -1):
            raise errors.InvalidArgumentError(
                None, None, f"Dimension ({axis}) must be in the range [{-ndims}, {ndims}) "
                f"where {ndims} is the number of dimensions in the input.")
        axis %= builtins.max(ndims, 1)
        if axis >= ndims - 1:
            return None
        if swap:
            return list(range(axis)) + [ndims - 1] + list(range(axis + 1, ndims - 1)) + [axis]
        return list(range(axis)) + list(range(axis + 1, ndims)) + [axis]
    if axis == -1:
        return None
    rank = array_ops.rank(x)
    last = math_ops.subtract(rank, 1)
    if axis < 0:
        axis = math_ops.floormod(axis, rank)
    if swap:
        middle = [array_ops.reshape(last, [1]), array_ops.range(axis + 1, last)]
    else:
        middle = [array_ops.range(axis + 1, rank)]
    return array_ops.concat([array_ops.range(axis)] + middle + [array_ops.reshape(axis, [1])],
                            0)


def _softmax(op_type, logits, axis, dim, name):
    axis = _class_axis(axis, dim)
    logits = convert_to_tensor(logits)
    perm = _moved_axis_perm(logits, axis, swap=True)
    if perm is None:
        return ops.apply_op(op_type, [logits], name=name).outputs[0]
    with ops.name_scope(name, op_type, [logits]) as scope:
        moved = ops.apply_op(op_type, [array_ops.transpose(logits, perm)]).outputs[0]
        result = array_ops.transpose(moved, perm, name=scope)
        result.set_shape(logits.shape)
        return result


def softmax(logits, axis=None, name=None, dim=None):
    """Computes softmax activations: `exp(logits) / reduce_sum(exp(logits), axis)`.

    Args:
      logits: A non-empty `Tensor` of type `float32` or `float64`.
      axis: The dimension softmax would be performed on. The default is -1 which indicates
        the last dimension.
      name: A name for the operation (optional).
      dim: Deprecated alias for `axis`.

    Returns:
      A `Tensor`. Has the same type and shape as `logits`.

    Raises:
      InvalidArgumentError: if `logits` is empty or `axis` is beyond the last dimension of
        `logits`.
    """
    return _softmax("Softmax", logits, axis, dim, name)


@ops.RegisterGradient("Softmax")
def _softmax_grad(op, grad):
    softmax = op.outputs[0]
    return (grad - math_ops.reduce_sum(grad * softmax, -1, keepdims=True)) * softmax


def log_softmax(logits, axis=None, name=None, dim=None):
    """Computes log softmax activations: `logits - log(reduce_sum(exp(logits), axis))`.

    Args:
      logits: A non-empty `Tensor` of type `float32` or `float64`.
      axis: The dimension softmax would be performed on. The default is -1 which indicates
        the last dimension.
      name: A name for the operation (optional).
      dim: Deprecated alias for `axis`.

    Returns:
      A `Tensor`. Has the same type and shape as `logits`.
    """
    return _softmax("LogSoftmax", logits, axis, dim, name)


@ops.RegisterGradient("LogSoftmax")
def _log_softmax_grad(op, grad):
    softmax = math_ops.exp(op.outputs[0])
    return grad - math_ops.reduce_sum(grad, -1, keepdims=True) * softmax


def _ensure_xent_args(name, sentinel, labels, logits):
    if sentinel is not None:
        raise ValueError(f"Only call `{name}` with named arguments (labels=..., logits=..., ...)")
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")


def _precise(logits):
    """float16 logits are computed in float32, as TF1 does."""
    if logits.dtype == _dtypes.float16:
        return math_ops.cast(logits, _dtypes.float32)
    return logits


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """Computes softmax cross entropy between `logits` and `labels`.

    Measures the probability error in discrete classification tasks in which the classes are
    mutually exclusive (each entry is in exactly one class). `labels` holds a valid probability
    distribution along the class axis; `logits` are unscaled log probabilities (do not call
    this op with the output of `softmax`).

    `logits` and `labels` must have the same shape, e.g. `[batch_size, num_classes]`, and the
    same dtype (`float16`, `float32`, or `float64`).

    Args:
      labels: Each vector along the class dimension should hold a valid probability
        distribution.
      logits: Unscaled log probabilities.
      axis: The class dimension. Defaulted to -1 which is the last dimension.
      name: A name for the operation (optional).
      dim: Deprecated alias for axis.

    Returns:
      A `Tensor` that contains the softmax cross entropy loss. Its type is the same as
      `logits` and its shape is the same as `labels` except that it does not have the class
      dimension of `labels`.
    """
    axis = _class_axis(axis, dim)
    with ops.name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        precise_logits = _precise(logits)
        labels = math_ops.cast(labels, precise_logits.dtype)
        perm = _moved_axis_perm(precise_logits, axis, swap=False)
        if perm is not None:
            precise_logits = array_ops.transpose(precise_logits, perm)
            labels = array_ops.transpose(labels, perm)
        cost = ops.apply_op("SoftmaxCrossEntropyWithLogits", [precise_logits, labels],
                            name=name).outputs[0]
        if logits.dtype == _dtypes.float16:
            cost = math_ops.cast(cost, _dtypes.float16)
        return cost


def _xent_backprop_grad(logits, grad_grad):
    """The gradient reaching the logits through the backprop output (softmax - labels) of a
    softmax cross-entropy, given that output's gradient: (I - softmax) * softmax."""
    softmax = ops.apply_op("Softmax", [logits]).outputs[0]
    return (grad_grad - math_ops.reduce_sum(grad_grad * softmax, -1, keepdims=True)) * softmax


@ops.RegisterGradient("SoftmaxCrossEntropyWithLogits")
def _softmax_cross_entropy_with_logits_grad(op, grad_loss, grad_grad):
    # The loss's gradient is its backprop output; second derivatives go through the softmax.
    # (TF1 leaves out the backprop output's dependence on the labels: -grad_grad.)
    logits = op.inputs[0]
    loss_grad = array_ops.expand_dims(grad_loss, -1)
    logits_grad = loss_grad * op.outputs[1]
    labels_grad = loss_grad * -log_softmax(logits)
    if not _is_zeros(grad_grad):
        logits_grad += _xent_backprop_grad(logits, grad_grad)
        labels_grad -= grad_grad
    return logits_grad, labels_grad


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1,
                                      name=None):
    """Computes softmax cross entropy between `logits` and `labels`.

    Measures the probability error in discrete classification tasks in which the classes are
    mutually exclusive. `logits` and `labels` must have the same shape, e.g.
    `[batch_size, num_classes]`, and the same dtype. Backpropagation will happen only into
    `logits` (see `softmax_cross_entropy_with_logits_v2` for labels that are trained too).

    Args:
      _sentinel: Used to prevent positional parameters. Internal, do not use.
      labels: Each vector along the class dimension should hold a valid probability
        distribution.
      logits: Unscaled log probabilities.
      dim: The class dimension. Defaulted to -1 which is the last dimension.
      name: A name for the operation (optional).

    Returns:
      A `Tensor` that contains the softmax cross entropy loss, of `labels`' shape without its
      class dimension.
    """
    _ensure_xent_args("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, axis=dim,
                                                name=name)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name=None):
    """Computes sparse softmax cross entropy between `logits` and `labels`.

    For mutually exclusive classes given as indices: `labels` of shape `[d_0, ..., d_{r-1}]`
    (int32 or int64, each in `[0, num_classes)`) and `logits` of shape
    `[d_0, ..., d_{r-1}, num_classes]` (float16, float32 or float64). A label outside
    `[0, num_classes)` raises InvalidArgumentError when the op runs.

    Args:
      _sentinel: Used to prevent positional parameters. Internal, do not use.
      labels: `Tensor` of shape `[d_0, d_1, ..., d_{r-1}]` and dtype `int32` or `int64`.
      logits: Unscaled log probabilities of shape `[d_0, d_1, ..., d_{r-1}, num_classes]`.
      name: A name for the operation (optional).

    Returns:
      A `Tensor` of the same shape as `labels` and of the same type as `logits` with the
      softmax cross entropy loss.

    Raises:
      ValueError: If logits are scalars (need to have rank >= 1) or if the rank of the labels
        is not equal to the rank of the logits minus one.
    """
    _ensure_xent_args("sparse_softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    with ops.name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        precise_logits = _precise(logits)
        labels_shape = labels.shape
        logits_shape = logits.shape
        if logits_shape.ndims == 0:
            raise ValueError(f"Logits cannot be scalars - received shape {logits_shape}.")
        if (logits_shape.ndims is not None and labels_shape.ndims is not None
                and labels_shape.ndims != logits_shape.ndims - 1):
            raise ValueError(f"Rank mismatch: Rank of labels (received {labels_shape.ndims}) "
                             "should equal rank of logits minus 1 (received "
                             f"{logits_shape.ndims}).")
        if (labels_shape.is_fully_defined() and logits_shape.ndims is not None
                and logits_shape[:-1].is_fully_defined()
                and labels_shape.as_list() != logits_shape[:-1].as_list()):
            raise ValueError(f"Shape mismatch: The shape of labels (received {labels_shape}) "
                             "should equal the shape of logits except for the last dimension "
                             f"(received {logits_shape}).")
        cost = ops.apply_op("SparseSoftmaxCrossEntropyWithLogits", [precise_logits, labels],
                            name=name).outputs[0]
        if logits.dtype == _dtypes.float16:
            cost = math_ops.cast(cost, _dtypes.float16)
        return cost


@ops.RegisterGradient("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_cross_entropy_with_logits_grad(op, grad_loss, grad_grad):
    # TF1 refuses second derivatives here; they go through the softmax as for the dense op.
    logits_grad = array_ops.expand_dims(grad_loss, -1) * op.outputs[1]
    if not _is_zeros(grad_grad):
        logits_grad += _xent_backprop_grad(op.inputs[0], grad_grad)
    return logits_grad, None


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """Computes sigmoid cross entropy given `logits`.

    Measures the probability error in discrete classification tasks in which each class is
    independent and not mutually exclusive. With `x = logits`, `z = labels`, the loss
    `z * -log(sigmoid(x)) + (1 - z) * -log(1 - sigmoid(x))` is computed in the stable form

        max(x, 0) - x * z + log(1 + exp(-abs(x)))

    `logits` and `labels` must have the same type and shape.

    Args:
      _sentinel: Used to prevent positional parameters. Internal, do not use.
      labels: A `Tensor` of the same type and shape as `logits`.
      logits: A `Tensor` of type `float32` or `float64`.
      name: A name for the operation (optional).

    Returns:
      A `Tensor` of the same shape as `logits` with the componentwise logistic losses.

    Raises:
      ValueError: If `logits` and `labels` do not have the same shape.
    """
    _ensure_xent_args("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    with ops.name_scope(name, "logistic_loss", [logits, labels]) as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        try:
            labels.shape.merge_with(logits.shape)
        except ValueError:
            raise ValueError("logits and labels must have the same shape "
                             f"({logits.shape} vs {labels.shape})") from None
        relu_logits = relu(logits)
        # -abs(x) = -(relu(x) + relu(-x)), exactly; log(1 + exp(t)) = softplus(t).
        abs_logits = math_ops.add(relu_logits, relu(math_ops.negative(logits)))
        neg_abs_logits = math_ops.negative(abs_logits)
        return math_ops.add(math_ops.subtract(relu_logits, math_ops.multiply(logits, labels)),
                            softplus(neg_abs_logits), name=name)


def bias_add(value, bias, data_format=None, name=None):
    """Adds `bias` to `value`.

    This is (mostly) a special case of `tf.add` where `bias` is restricted to 1-D. Broadcasting
    is supported, so `value` may have any number of dimensions. Unlike `tf.add`, the type of
    `bias` is allowed to differ from `value` in the case where both types are quantized.

    Args:
      value: A `Tensor` with type `float`, `double`, `int64` or `int32`.
      bias: A 1-D `Tensor` with size matching the channel dimension of `value`. Must be the
        same type as `value`.
      data_format: A string. 'N...C' and 'NC...' are supported: the bias is added to the last
        dimension, or to the third-from-last ('NCHW').
      name: A name for the operation (optional).

    Returns:
      A `Tensor` with the same type as `value`.
    """
    with ops.name_scope(name, "BiasAdd", [value, bias]) as name:
        if data_format is not None:
            if data_format.startswith("NC"):
                data_format = "NCHW"
            elif data_format.startswith("N") and data_format.endswith("C"):
                data_format = "NHWC"
            else:
                raise ValueError("data_format must be of the form `N...C` or `NC...`")
        value = convert_to_tensor(value, name="input")
        bias = convert_to_tensor(bias, dtype=value.dtype, name="bias")
        return ops.apply_op("BiasAdd", [value, bias], {"data_format": data_format or "NHWC"},
                            name=name).outputs[0]


@ops.RegisterGradient("BiasAdd")
def _bias_add_grad(op, grad):
    data_format = array_ops._attr(op, "data_format", "NHWC")
    return grad, ops.apply_op("BiasAddGrad", [grad], {"data_format": data_format}).outputs[0]


@ops.RegisterGradient("BiasAddGrad")
def _bias_add_grad_grad(op, grad):
    # grad broadcast along the bias axis of out_backprop: BiasAdd onto zeros.
    x = op.inputs[0]
    data_format = array_ops._attr(op, "data_format", "NHWC")
    return ops.apply_op("BiasAdd", [array_ops.zeros_like(x), grad],
                        {"data_format": data_format}).outputs[0]


def l2_loss(t, name=None):
    """L2 Loss.

    Computes half the L2 norm of a tensor without the `sqrt`:

        output = sum(t ** 2) / 2

    Args:
      t: A `Tensor` of type `float32` or `float64`. Typically 2-D, but may have any
        dimensions.
      name: A name for the operation (optional).

    Returns:
      A scalar `Tensor`. Has the same type as `t`.
    """
    return ops.apply_op("L2Loss", [convert_to_tensor(t, name="t")], name=name).outputs[0]


@ops.RegisterGradient("L2Loss")
def _l2_loss_grad(op, grad):
    return op.inputs[0] * grad


def _noise_shape(x, noise_shape):
    """The shape of dropout's random mask: `noise_shape` (x's shape when None), its unknown
    entries taken from x (from tf.shape(x) when x's are unknown too)."""
    if noise_shape is None:
        return array_ops.shape(x)
    if isinstance(noise_shape, ops.Tensor):
        return noise_shape
    dims = tensor_shape.as_shape(noise_shape).as_list()
    if x.shape.ndims is not None and len(dims) == x.shape.ndims:
        dims = [x.shape.as_list()[i] if d is None else d for i, d in enumerate(dims)]
    if None not in dims:
        return dims
    if x.shape.ndims is None or len(dims) != x.shape.ndims:
        raise ValueError(f"dropout: noise_shape {dims} has unknown dims that x (shape "
                         f"{x.shape}) cannot give")
    x_shape = array_ops.shape(x)
    return array_ops.stack([x_shape[i] if d is None else d for i, d in enumerate(dims)])


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """Computes dropout.

    With probability `rate` (= 1 - keep_prob), drops elements of `x`. Input that are kept are
    scaled up by `1 / (1 - rate)`, so that the expected sum is unchanged.

    By default, each element is kept or dropped independently. If `noise_shape` is specified,
    it must be broadcastable to the shape of `x`, and only dimensions with
    `noise_shape[i] == shape(x)[i]` make independent decisions.

    Args:
      x: A floating point tensor.
      keep_prob: (deprecated) A deprecated alias for `(1-rate)`.
      noise_shape: A 1-D `Tensor` of type `int32`, representing the shape for randomly
        generated keep/drop flags.
      seed: A Python integer. Used to create random seeds.
      name: A name for this operation (optional).
      rate: A scalar `Tensor` with the same type as `x`. The probability that each element of
        `x` is discarded.

    Returns:
      A Tensor of the same shape of `x`.

    Raises:
      ValueError: If `rate` is not in `[0, 1)` or if `x` is not a floating point tensor.
    """
    if keep_prob is not None and rate is not None:
        raise ValueError("Cannot specify both 'rate' and 'keep_prob'.")
    if keep_prob is not None:
        try:
            rate = 1. - keep_prob
        except TypeError:
            raise ValueError("keep_prob must be a floating point number or Tensor "
                             f"(got {keep_prob!r})") from None
    if rate is None:
        raise ValueError("You must provide a rate to dropout.")
    with ops.name_scope(name, "dropout", [x]) as name:
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError("x has to be a floating point tensor since it's going to be "
                             f"scaled. Got a {x.dtype.name} tensor instead.")
        if isinstance(rate, numbers.Real):
            if not 0 <= rate < 1:
                raise ValueError("rate must be a scalar tensor or a float in the range [0, 1), "
                                 f"got {rate:g}")
            if rate == 0:
                return x
        rate = convert_to_tensor(rate, dtype=x.dtype, name="rate")
        if rate.shape.ndims not in (None, 0):
            raise ValueError(f"rate must be a scalar, got shape {rate.shape}")
        keep_prob = math_ops.subtract(1.0, rate)
        # floor(keep_prob + u) for u uniform in [0, 1) is 1 with probability keep_prob, else 0.
        random_tensor = math_ops.add(keep_prob, random_ops.random_uniform(
            _noise_shape(x, noise_shape), seed=seed, dtype=x.dtype))
        keep_mask = math_ops.floor(random_tensor)
        result = math_ops.multiply(math_ops.truediv(x, keep_prob), keep_mask, name=name)
        result.set_shape(x.shape)
        return result


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """Calculate the mean and variance of `x`.

    The mean and variance are calculated by aggregating the contents of `x` across `axes`. If
    `x` is 1-D and `axes = [0]` this is just the mean and variance of a vector.

    Note: shift is currently not used; the true mean is computed and used.

    When using these moments for batch normalization (see `tf.nn.batch_normalization`):
     * for so-called "global normalization", used with convolutional filters with shape
       `[batch, height, width, depth]`, pass `axes=[0, 1, 2]`.
     * for simple batch normalization pass `axes=[0]` (batch only).

    Args:
      x: A `Tensor`.
      axes: Array of ints. Axes along which to compute mean and variance.
      shift: Not used in the current implementation.
      name: Name used to scope the operations that compute the moments.
      keep_dims: Deprecated alias for keepdims.
      keepdims: produce moments with the same dimensionality as the input.

    Returns:
      Two `Tensor` objects: `mean` and `variance`.
    """
    if keep_dims is not None and keepdims is not None:
        raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'.")
    keep_dims = bool(keepdims if keepdims is not None else keep_dims)
    with ops.name_scope(name, "moments", [x, axes]):
        x = convert_to_tensor(x, name="x")
        y = math_ops.cast(x, _dtypes.float32) if x.dtype == _dtypes.float16 else x
        mean = math_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        variance = math_ops.reduce_mean(math_ops.squared_difference(y, mean), axes,
                                        keepdims=True, name="variance")
        if not keep_dims:
            mean = array_ops.squeeze(mean, axes)
            variance = array_ops.squeeze(variance, axes)
        if x.dtype == _dtypes.float16:
            return math_ops.cast(mean, _dtypes.float16), math_ops.cast(variance, _dtypes.float16)
        return mean, variance


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """Normalizes along dimension `axis` using an L2 norm.

    For a 1-D tensor with `axis = 0`, computes

        output = x / sqrt(max(sum(x**2), epsilon))

    For `x` with more dimensions, independently normalizes each 1-D slice along dimension
    `axis`.

    Args:
      x: A `Tensor`.
      axis: Dimension along which to normalize. A scalar or a vector of integers.
      epsilon: A lower bound value for the norm. Will use `sqrt(epsilon)` as the divisor if
        `norm < sqrt(epsilon)`.
      name: A name for this operation (optional).
      dim: Deprecated alias for axis.

    Returns:
      A `Tensor` with the same shape as `x`.
    """
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'.")
    axis = dim if axis is None else axis
    with ops.name_scope(name, "l2_normalize", [x]) as name:
        x = convert_to_tensor(x, name="x")
        square_sum = math_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        x_inv_norm = math_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x, x_inv_norm, name=name)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """Batch normalization.

    Normalizes a tensor by `mean` and `variance`, and applies (optionally) a `scale` \\(\\gamma\\)
    to it, as well as an `offset` \\(\\beta\\):

    \\(\\frac{\\gamma(x-\\mu)}{\\sigma}+\\beta\\)

    `mean`, `variance`, `offset` and `scale` are all expected to be of one of two shapes: the
    shape of `x` with the normalized dimensions kept at size 1 (as `tf.nn.moments(...,
    keep_dims=True)` gives), or, for the common case of normalizing over all dimensions but
    the last, 1-D of the size of `x`'s last dimension (`keep_dims=False`).

    Args:
      x: Input `Tensor` of arbitrary dimensionality.
      mean: A mean `Tensor`.
      variance: A variance `Tensor`.
      offset: An offset `Tensor`, often denoted \\(\\beta\\) in equations, or None. If present,
        will be added to the normalized tensor.
      scale: A scale `Tensor`, often denoted \\(\\gamma\\) in equations, or `None`. If present,
        the scale is applied to the normalized tensor.
      variance_epsilon: A small float number to avoid dividing by 0.
      name: A name for this operation (optional).

    Returns:
      the normalized, scaled, offset tensor.
    """
    with ops.name_scope(name, "batchnorm", [x, mean, variance, scale, offset]):
        x = convert_to_tensor(x, name="x")
        inv = math_ops.rsqrt(math_ops.add(variance, variance_epsilon))
        if scale is not None:
            inv = math_ops.multiply(inv, scale)
        shift = math_ops.negative(math_ops.multiply(mean, inv)) if offset is None else \
            math_ops.subtract(offset, math_ops.multiply(mean, inv))
        return math_ops.add(math_ops.multiply(x, math_ops.cast(inv, x.dtype)),
                            math_ops.cast(shift, x.dtype))


# ---- selecting by value ----------------------------------------------------------------------

_TopK = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002
    """The `k` largest entries of each row (last dim) of `input` and their indices.

    Returns (values, indices), both of shape input.shape[:-1] + [k]; indices are int32. Equal
    values come lower index first. With sorted=False the order is still descending."""
    op = ops.apply_op("TopKV2", [convert_to_tensor(input), array_ops._int_input(k, "k")],
                      {"sorted": bool(sorted)}, name=name)
    return _TopK(*op.outputs)


@ops.RegisterGradient("TopKV2")
def _top_k_grad(op, grad, _):
    # Each value's gradient goes back to the element it came from: scattered by the flat
    # position of (row, index) into zeros of the input's size.
    x, indices = op.inputs[0], op.outputs[1]
    in_shape = array_ops.shape(x)
    k = array_ops.shape(indices)[-1]
    rows_indices = array_ops.reshape(indices, array_ops.stack([-1, k]))
    rows = array_ops.shape(rows_indices)[0]
    starts = array_ops.range(0, rows) * in_shape[-1]
    flat = rows_indices + array_ops.expand_dims(starts, -1)
    dx = array_ops.scatter_nd(array_ops.reshape(flat, [-1, 1]), array_ops.reshape(grad, [-1]),
                              array_ops.reshape(array_ops.size(x), [1]))
    return array_ops.reshape(dx, in_shape), None


def in_top_k(predictions, targets, k, name=None):
    """Whether each target is among the `k` largest predictions of its row (a bool vector).

    As in TF1: a target tied with the k-th largest counts as in; a row holding a non-finite
    prediction, or a target out of range, gives False."""
    return ops.apply_op("InTopKV2", [convert_to_tensor(predictions),
                                     array_ops._int_input(targets, "targets"),
                                     array_ops._int_input(k, "k")], name=name).outputs[0]


ops.NotDifferentiable("InTopKV2")
