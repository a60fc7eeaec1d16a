"""Convolution and pooling ops (`tf.nn.conv2d`, `tf.nn.max_pool`, ...), NHWC only on the CPU."""
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops


def _get_sequence(value, name):
    """A window attribute as 4 values (NHWC): an int or 1 value for both spatial dims, 2 values
    for height and width, or all 4 (as TF 1.15 accepts)."""
    if value is None:
        return [1, 1, 1, 1]
    values = [value] if isinstance(value, int) else list(value)
    if len(values) == 1:
        return [1, values[0], values[0], 1]
    if len(values) == 2:
        return [1, values[0], values[1], 1]
    if len(values) == 4:
        return values
    raise ValueError(f"{name} should be of length 1, 2 or 4 but was {len(values)}")


def _conv_attrs(strides, padding, use_cudnn_on_gpu, data_format, dilations):
    return {"strides": _get_sequence(strides, "strides"), "padding": padding,
            "use_cudnn_on_gpu": use_cudnn_on_gpu, "data_format": data_format,
            "dilations": _get_sequence(dilations, "dilations")}


def _pool_attrs(ksize, strides, padding, data_format):
    return {"ksize": _get_sequence(ksize, "ksize"), "strides": _get_sequence(strides, "strides"),
            "padding": padding, "data_format": data_format}


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True,  # noqa: A002
           data_format="NHWC", dilations=[1, 1, 1, 1], name=None, filters=None):  # noqa: B006
    """2-D convolution of a 4-D `input` [batch, height, width, in_channels] with a `filter`
    [filter_height, filter_width, in_channels, out_channels]. `strides` and `dilations`: an int
    or 1, 2 or 4 ints (4: 1 for batch and channels); `padding`: 'SAME' or 'VALID'."""
    if filter is None:
        filter = filters  # noqa: A001
    input = convert_to_tensor(input, name="input")  # noqa: A001
    filter = convert_to_tensor(filter, dtype=input.dtype, name="filter")  # noqa: A001
    return ops.apply_op("Conv2D", [input, filter],
                        _conv_attrs(strides, padding, use_cudnn_on_gpu, data_format, dilations),
                        name=name).outputs[0]


def conv2d_backprop_input(input_sizes, filter, out_backprop, strides, padding,  # noqa: A002
                          use_cudnn_on_gpu=True, data_format="NHWC",
                          dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    """The gradient of conv2d with respect to its input, of shape `input_sizes` (a 1-D int32
    tensor of 4 values), given the filter and the gradient `out_backprop` of its output."""
    filter = convert_to_tensor(filter, name="filter")  # noqa: A001
    out_backprop = convert_to_tensor(out_backprop, dtype=filter.dtype, name="out_backprop")
    input_sizes = convert_to_tensor(input_sizes, name="input_sizes")
    return ops.apply_op("Conv2DBackpropInput", [input_sizes, filter, out_backprop],
                        _conv_attrs(strides, padding, use_cudnn_on_gpu, data_format, dilations),
                        name=name).outputs[0]


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,  # noqa: A002
                           use_cudnn_on_gpu=True, data_format="NHWC",
                           dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    """The gradient of conv2d with respect to its filter, of shape `filter_sizes` (a 1-D int32
    tensor of 4 values), given the input and the gradient `out_backprop` of its output."""
    input = convert_to_tensor(input, name="input")  # noqa: A001
    out_backprop = convert_to_tensor(out_backprop, dtype=input.dtype, name="out_backprop")
    filter_sizes = convert_to_tensor(filter_sizes, name="filter_sizes")
    return ops.apply_op("Conv2DBackpropFilter", [input, filter_sizes, out_backprop],
                        _conv_attrs(strides, padding, use_cudnn_on_gpu, data_format, dilations),
                        name=name).outputs[0]


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None,  # noqa: A002
                     padding="SAME", data_format="NHWC", name=None, input=None,  # noqa: A002
                     filters=None, dilations=None):
    """The transpose of conv2d (sometimes called deconvolution): `value` [batch, height, width,
    in_channels] with `filter` [height, width, output_channels, in_channels] gives a tensor of
    `output_shape`, the gradient of conv2d with respect to its input."""
    value = input if value is None else value
    filter = filters if filter is None else filter  # noqa: A001
    value = convert_to_tensor(value, name="value")
    filter = convert_to_tensor(filter, dtype=value.dtype, name="filter")  # noqa: A001
    return conv2d_backprop_input(output_shape, filter, value, strides, padding,
                                 data_format=data_format, dilations=dilations,
                                 name=name or "conv2d_transpose")


def _width_value(value, name):
    """conv1d's stride or dilation: an int, or 1 or 3 values (1 for batch and channels)."""
    if value is None:
        return 1
    values = [value] if isinstance(value, int) else list(value)
    if len(values) not in (1, 3):
        raise ValueError(f"{name} should be of length 1 or 3 but was {len(values)}")
    return values[len(values) // 2]


def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None,
           data_format=None, name=None, input=None, dilations=None):  # noqa: A002
    """1-D convolution of `value` [batch, width, in_channels] with `filters` [width,
    in_channels, out_channels]: conv2d over a height of 1, as TF1 composes it."""
    value = input if value is None else value
    if data_format not in (None, "NWC", "NHWC"):
        raise ValueError("tensorlib's conv1d supports data_format='NWC' only")
    with ops.name_scope(name, "conv1d", [value, filters]) as scope:
        value = convert_to_tensor(value, name="input")
        filters = convert_to_tensor(filters, dtype=value.dtype, name="filters")
        out = conv2d(array_ops.expand_dims(value, 1), array_ops.expand_dims(filters, 0),
                     strides=[1, 1, _width_value(stride, "stride"), 1], padding=padding,
                     dilations=[1, 1, _width_value(dilations, "dilations"), 1])
        return array_ops.squeeze(out, [1], name=scope)


def _rate_dilations(rate, dilations, strides):
    """The 4-entry dilations of a depthwise/separable/atrous convolution from TF1's `rate`
    (an int or 2 ints) or `dilations`; rate > 1 needs strides of 1, as in TF1."""
    if rate is not None and dilations is not None:
        raise ValueError("Cannot specify both 'rate' and 'dilations'.")
    values = _get_sequence(rate if rate is not None else dilations, "rate")
    if min(values) < 1:
        raise ValueError(f"rate {values[1:3]} cannot be less than one")
    if max(values[1:3]) > 1 and max(_get_sequence(strides, "strides")[1:3]) > 1:
        raise ValueError("strides > 1 not supported in conjunction with rate > 1")
    return values


def depthwise_conv2d_native(input, filter, strides, padding, data_format="NHWC",  # noqa: A002
                            dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    """Depthwise 2-D convolution: each channel c of `input` [batch, height, width, channels]
    convolved with its own `filter`[:, :, c, :] ([height, width, channels, multiplier]),
    giving channels * multiplier output channels (channel c * multiplier + m)."""
    input = convert_to_tensor(input, name="input")  # noqa: A001
    filter = convert_to_tensor(filter, dtype=input.dtype, name="filter")  # noqa: A001
    return ops.apply_op("DepthwiseConv2dNative", [input, filter],
                        _depthwise_attrs(strides, padding, data_format, dilations),
                        name=name).outputs[0]


def _depthwise_attrs(strides, padding, data_format, dilations):
    return {"strides": _get_sequence(strides, "strides"), "padding": padding,
            "data_format": data_format or "NHWC",
            "dilations": _get_sequence(dilations, "dilations")}


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None,  # noqa: A002
                     data_format=None, dilations=None):
    """Depthwise 2-D convolution (see depthwise_conv2d_native), with atrous `rate` (or
    `dilations`); `strides` has 4 entries, [1, stride, stride, 1]."""
    with ops.name_scope(name, "depthwise", [input, filter]) as scope:
        return depthwise_conv2d_native(input, filter, strides, padding, data_format,
                                       _rate_dilations(rate, dilations, strides), name=scope)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,  # noqa: A002
                     rate=None, name=None, data_format=None, dilations=None):
    """A depthwise convolution by `depthwise_filter` [height, width, in_channels, multiplier]
    followed by a 1x1 convolution by `pointwise_filter` [1, 1, in_channels * multiplier,
    out_channels], as TF1 composes it."""
    with ops.name_scope(name, "separable_conv2d",
                        [input, depthwise_filter, pointwise_filter]) as scope:
        pointwise_filter = convert_to_tensor(pointwise_filter, name="pointwise_filter")
        if pointwise_filter.shape.ndims == 4 and any(
                d not in (None, 1) for d in pointwise_filter.shape.as_list()[:2]):
            raise ValueError("pointwise_filter must have a spatial size of 1x1, got shape "
                             f"{pointwise_filter.shape}")
        depthwise = depthwise_conv2d(input, depthwise_filter, strides, padding, rate=rate,
                                     data_format=data_format, dilations=dilations,
                                     name="depthwise")
        return conv2d(depthwise, pointwise_filter, [1, 1, 1, 1], padding="VALID",
                      data_format=data_format or "NHWC", name=scope)


def atrous_conv2d(value, filters, rate, padding, name=None):
    """Atrous (dilated) 2-D convolution: conv2d with the filter's taps `rate` pixels apart."""
    if rate < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    return conv2d(value, filters, strides=[1, 1, 1, 1], padding=padding,
                  dilations=[1, rate, rate, 1], name=name or "convolution")


def convolution(input, filter=None, padding=None, strides=None,  # noqa: A002
                dilation_rate=None, name=None, data_format=None, filters=None,
                dilations=None):
    """An N-D convolution for N = 1 (input [batch, width, channels]) or 2 (NHWC) with
    `strides` and `dilation_rate` of N entries each."""
    filter = filters if filter is None else filter  # noqa: A001
    rate = dilation_rate if dilation_rate is not None else dilations
    input = convert_to_tensor(input, name="input")  # noqa: A001
    rank = input.shape.ndims
    strides = [1] * (rank - 2) if strides is None else list(strides)
    rate = [1] * (rank - 2) if rate is None else list(rate)
    if rank == 3:
        return conv1d(input, filter, strides[0], padding, name=name, dilations=rate[0])
    if rank == 4:
        return conv2d(input, filter, [1] + strides + [1], padding, data_format=data_format
                      or "NHWC", dilations=[1] + rate + [1], name=name)
    raise ValueError(f"tensorlib's convolution takes inputs of rank 3 or 4, got {rank}")


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None,
             input=None):  # noqa: A002
    """Max pooling of a 4-D `value` over windows of `ksize` moved by `strides` (each an int or
    1, 2 or 4 ints); 'SAME' padding never wins the max."""
    value = convert_to_tensor(input if value is None else value, name="input")
    return ops.apply_op("MaxPool", [value], _pool_attrs(ksize, strides, padding, data_format),
                        name=name).outputs[0]


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None,
             input=None):  # noqa: A002
    """Average pooling of a 4-D `value` (arguments as max_pool); with 'SAME' padding each
    average is over the input elements inside the window only."""
    value = convert_to_tensor(input if value is None else value, name="value")
    return ops.apply_op("AvgPool", [value], _pool_attrs(ksize, strides, padding, data_format),
                        name=name).outputs[0]


def max_pool_grad(orig_input, orig_output, grad, ksize, strides, padding, data_format="NHWC",
                  name=None):
    """The gradient of max_pool: each entry of `grad` goes to the first maximum of its window
    in `orig_input`."""
    orig_input = convert_to_tensor(orig_input, name="orig_input")
    orig_output = convert_to_tensor(orig_output, dtype=orig_input.dtype, name="orig_output")
    grad = convert_to_tensor(grad, dtype=orig_input.dtype, name="grad")
    return ops.apply_op("MaxPoolGrad", [orig_input, orig_output, grad],
                        _pool_attrs(ksize, strides, padding, data_format), name=name).outputs[0]


def max_pool_grad_grad(orig_input, orig_output, grad, ksize, strides, padding,
                       data_format="NHWC", name=None):
    """The gradient of max_pool_grad with respect to its `grad`: `grad` (of orig_input's
    shape) taken at the first maximum of each window of `orig_input`."""
    orig_input = convert_to_tensor(orig_input, name="orig_input")
    orig_output = convert_to_tensor(orig_output, dtype=orig_input.dtype, name="orig_output")
    grad = convert_to_tensor(grad, dtype=orig_input.dtype, name="grad")
    return ops.apply_op("MaxPoolGradGrad", [orig_input, orig_output, grad],
                        _pool_attrs(ksize, strides, padding, data_format), name=name).outputs[0]


def avg_pool_grad(orig_input_shape, grad, ksize, strides, padding, data_format="NHWC",
                  name=None):
    """The gradient of avg_pool for an input of shape `orig_input_shape` (1-D int32): each entry
    of `grad` is shared evenly by the input elements of its window."""
    orig_input_shape = convert_to_tensor(orig_input_shape, name="orig_input_shape")
    grad = convert_to_tensor(grad, name="grad")
    return ops.apply_op("AvgPoolGrad", [orig_input_shape, grad],
                        _pool_attrs(ksize, strides, padding, data_format), name=name).outputs[0]


# ---- gradients ----------------------------------------------------------------------------

_CONV_ATTRS = ("strides", "padding", "use_cudnn_on_gpu", "data_format", "dilations")
_POOL_ATTRS = ("ksize", "strides", "padding", "data_format")


def _attrs_of(op, names):
    defaults = {"use_cudnn_on_gpu": True, "data_format": "NHWC", "dilations": [1, 1, 1, 1]}
    return {n: array_ops._attr(op, n, defaults.get(n)) for n in names}


@ops.RegisterGradient("Conv2D")
def _conv2d_grad(op, grad):
    x, w = op.inputs
    attrs = _attrs_of(op, _CONV_ATTRS)
    return (ops.apply_op("Conv2DBackpropInput", [array_ops.shape(x), w, grad], attrs).outputs[0],
            ops.apply_op("Conv2DBackpropFilter", [x, array_ops.shape(w), grad], attrs).outputs[0])


@ops.RegisterGradient("Conv2DBackpropInput")
def _conv2d_backprop_input_grad(op, grad):
    _, w, dy = op.inputs
    attrs = _attrs_of(op, _CONV_ATTRS)
    return (None,
            ops.apply_op("Conv2DBackpropFilter", [grad, array_ops.shape(w), dy], attrs).outputs[0],
            ops.apply_op("Conv2D", [grad, w], attrs).outputs[0])


@ops.RegisterGradient("Conv2DBackpropFilter")
def _conv2d_backprop_filter_grad(op, grad):
    x, _, dy = op.inputs
    attrs = _attrs_of(op, _CONV_ATTRS)
    return (ops.apply_op("Conv2DBackpropInput", [array_ops.shape(x), grad, dy], attrs).outputs[0],
            None,
            ops.apply_op("Conv2D", [x, grad], attrs).outputs[0])


@ops.RegisterGradient("MaxPool")
def _max_pool_grad(op, grad):
    return ops.apply_op("MaxPoolGrad", [op.inputs[0], op.outputs[0], grad],
                        _attrs_of(op, _POOL_ATTRS)).outputs[0]


@ops.RegisterGradient("AvgPool")
def _avg_pool_grad(op, grad):
    return ops.apply_op("AvgPoolGrad", [array_ops.shape(op.inputs[0]), grad],
                        _attrs_of(op, _POOL_ATTRS)).outputs[0]


@ops.RegisterGradient("AvgPoolGrad")
def _avg_pool_grad_grad(op, grad):
    # AvgPoolGrad is linear in its gradient input, with AvgPool as its adjoint.
    return None, ops.apply_op("AvgPool", [grad], _attrs_of(op, _POOL_ATTRS)).outputs[0]


@ops.RegisterGradient("MaxPoolGrad")
def _max_pool_grad_grad(op, grad):
    # Linear in its gradient input; piecewise constant in the others (zeros, as in TF1).
    x, y, _ = op.inputs
    return (array_ops.zeros_like(x), array_ops.zeros_like(y),
            ops.apply_op("MaxPoolGradGrad", [x, y, grad], _attrs_of(op, _POOL_ATTRS)).outputs[0])


@ops.RegisterGradient("MaxPoolGradGrad")
def _max_pool_grad_grad_grad(op, grad):
    x, y, _ = op.inputs
    return (array_ops.zeros_like(x), array_ops.zeros_like(y),
            ops.apply_op("MaxPoolGrad", [x, y, grad], _attrs_of(op, _POOL_ATTRS)).outputs[0])


_DEPTHWISE_ATTRS = ("strides", "padding", "data_format", "dilations")


@ops.RegisterGradient("DepthwiseConv2dNative")
def _depthwise_conv2d_native_grad(op, grad):
    x, w = op.inputs
    attrs = _attrs_of(op, _DEPTHWISE_ATTRS)
    return (ops.apply_op("DepthwiseConv2dNativeBackpropInput", [array_ops.shape(x), w, grad],
                         attrs).outputs[0],
            ops.apply_op("DepthwiseConv2dNativeBackpropFilter", [x, array_ops.shape(w), grad],
                         attrs).outputs[0])


@ops.RegisterGradient("DepthwiseConv2dNativeBackpropInput")
def _depthwise_backprop_input_grad(op, grad):
    # Linear in the filter and in out_backprop, as Conv2DBackpropInput.
    _, w, dy = op.inputs
    attrs = _attrs_of(op, _DEPTHWISE_ATTRS)
    return (None,
            ops.apply_op("DepthwiseConv2dNativeBackpropFilter", [grad, array_ops.shape(w), dy],
                         attrs).outputs[0],
            ops.apply_op("DepthwiseConv2dNative", [grad, w], attrs).outputs[0])


@ops.RegisterGradient("DepthwiseConv2dNativeBackpropFilter")
def _depthwise_backprop_filter_grad(op, grad):
    x, _, dy = op.inputs
    attrs = _attrs_of(op, _DEPTHWISE_ATTRS)
    return (ops.apply_op("DepthwiseConv2dNativeBackpropInput", [array_ops.shape(x), grad, dy],
                         attrs).outputs[0],
            None,
            ops.apply_op("DepthwiseConv2dNative", [x, grad], attrs).outputs[0])
