"""contrib.layers' (and slim's) layer functions, with TF1's variable names: each makes its
variables in a variable scope of its own ("fully_connected/weights", "Conv_1/biases",
"BatchNorm/moving_mean", ...) through `model_variable`, and each can take default arguments
from `arg_scope`.

Arguments common to the layers:
  activation_fn: applied last (None: linear).
  normalizer_fn, normalizer_params: a normalization (batch_norm, ...) called as
    normalizer_fn(outputs, **normalizer_params) in place of the biases.
  variables_collections: collections each variable is added to, or a dict of them by
    variable name ("weights", "biases", "beta", ...).
  outputs_collections: collections the output is added to, under the layer scope's name.
  reuse, scope: the variable scope (default: the layer's TF1 name, made unique).
"""
from tensorlib import dtypes
from tensorlib.contrib.framework.arg_scope import add_arg_scope
from tensorlib.contrib.framework.variables import model_variable
from tensorlib.contrib.layers.initializers import xavier_initializer
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.layers import core as core_layers
from tensorlib.layers.convolutional import _deconv_length
from tensorlib.layers.utils import normalize_tuple, training_value
from tensorlib.ops import (
    array_ops, control_flow_ops, conv_ops, embedding_ops, init_ops, math_ops, nn_ops,
    variable_scope, variables,
)


def _variable_collections(variables_collections, name):
    """The collections for the variable `name`: variables_collections[name] for a dict."""
    if isinstance(variables_collections, dict):
        return variables_collections.get(name)
    return variables_collections


def collect_named_outputs(collections, alias, outputs):
    """Adds `outputs` to `collections` (when given), remembering `alias` in its `aliases`
    (what convert_collection_to_dict keys it by); returns outputs."""
    if collections:
        aliases = getattr(outputs, "aliases", [])
        outputs.aliases = aliases + [alias]
        ops.add_to_collections(collections, outputs)
    return outputs


def convert_collection_to_dict(collection):
    """{alias: tensor} of the tensors collect_named_outputs added to `collection`."""
    return {alias: t for t in ops.get_collection(collection)
            for alias in getattr(t, "aliases", [t.op.name])}


def _last_dim(inputs, axis=-1):
    """The static size of `inputs`' dimension `axis`.

    Raises:
      ValueError: if the rank or that dimension is unknown.
    """
    shape = inputs.shape
    if shape.ndims is None or shape[axis].value is None:
        raise ValueError(f"The dimension {axis} of the inputs must be known, got shape {shape}")
    return shape[axis].value


def _finish(outputs, normalizer_fn, normalizer_params, biases, activation_fn):
    """Biases (or the normalizer that replaces them), then the activation."""
    if normalizer_fn is not None:
        outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    elif biases is not None:
        outputs = biases(outputs)
    if activation_fn is not None:
        outputs = activation_fn(outputs)
    return outputs


def _biases_adder(num_outputs, dtype, biases_initializer, biases_regularizer,
                  variables_collections, trainable, data_format=None):
    """A function adding a new "biases" variable to its input, or None without an
    initializer (no biases)."""
    if biases_initializer is None:
        return None

    def add_biases(outputs):
        biases = model_variable("biases", shape=[num_outputs], dtype=dtype,
                                initializer=biases_initializer,
                                regularizer=biases_regularizer,
                                collections=_variable_collections(variables_collections,
                                                                  "biases"),
                                trainable=trainable)
        return nn_ops.bias_add(outputs, biases, data_format=data_format)
    return add_biases


@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=nn_ops.relu, normalizer_fn=None,
                    normalizer_params=None, weights_initializer=xavier_initializer(),
                    weights_regularizer=None, biases_initializer=init_ops.zeros_initializer(),
                    biases_regularizer=None, reuse=None, variables_collections=None,
                    outputs_collections=None, trainable=True, scope=None):
    """activation_fn(inputs . weights + biases) over the last axis of `inputs` (rank 2 or
    more), with variables "weights" [in, num_outputs] and "biases" [num_outputs] in scope
    "fully_connected".

    Raises:
      ValueError: if num_outputs is not an int, or inputs' last dimension is unknown.
    """
    if not isinstance(num_outputs, int) or isinstance(num_outputs, bool):
        raise ValueError(f"num_outputs should be int, got {num_outputs!r}.")
    with variable_scope.variable_scope(scope, "fully_connected", [inputs],
                                       reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        dtype = inputs.dtype.base_dtype
        weights = model_variable("weights", shape=[_last_dim(inputs), num_outputs],
                                 dtype=dtype, initializer=weights_initializer,
                                 regularizer=weights_regularizer,
                                 collections=_variable_collections(variables_collections,
                                                                   "weights"),
                                 trainable=trainable)
        if inputs.shape.ndims == 2:
            outputs = math_ops.matmul(inputs, weights)
        else:
            outputs = math_ops.tensordot(inputs, weights, [[inputs.shape.ndims - 1], [0]])
        biases = _biases_adder(num_outputs, dtype, biases_initializer, biases_regularizer,
                               variables_collections, trainable)
        outputs = _finish(outputs, normalizer_fn, normalizer_params, biases, activation_fn)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


def linear(inputs, num_outputs, scope=None, **kwargs):
    """fully_connected without an activation."""
    return fully_connected(inputs, num_outputs, activation_fn=None, scope=scope, **kwargs)


@add_arg_scope
def conv2d(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None,
           rate=1, activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None,
           weights_initializer=xavier_initializer(), weights_regularizer=None,
           biases_initializer=init_ops.zeros_initializer(), biases_regularizer=None,
           reuse=None, variables_collections=None, outputs_collections=None, trainable=True,
           scope=None):
    """A 2-D convolution of `inputs` [batch, height, width, channels] (NHWC, or NCHW) with
    variables "weights" [kh, kw, channels, num_outputs] and "biases" in scope "Conv";
    `rate` > 1 dilates the kernel (atrous convolution).

    Raises:
      ValueError: for both stride and rate above 1, or a bad data_format.
    """
    data_format = data_format or "NHWC"
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format has to be either NCHW or NHWC, got {data_format!r}.")
    kernel_h, kernel_w = normalize_tuple(kernel_size, 2, "kernel_size")
    stride_h, stride_w = normalize_tuple(stride, 2, "stride")
    rate_h, rate_w = normalize_tuple(rate, 2, "rate")
    if max(rate_h, rate_w) > 1 and max(stride_h, stride_w) > 1:
        raise ValueError("Only one of rate or stride can be larger than one")
    with variable_scope.variable_scope(scope, "Conv", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        dtype = inputs.dtype.base_dtype
        channel_axis = 1 if data_format == "NCHW" else 3
        weights = model_variable(
            "weights", shape=[kernel_h, kernel_w, _last_dim(inputs, channel_axis), num_outputs],
            dtype=dtype, initializer=weights_initializer, regularizer=weights_regularizer,
            collections=_variable_collections(variables_collections, "weights"),
            trainable=trainable)
        spatial = (lambda h, w: [1, 1, h, w]) if data_format == "NCHW" else \
            (lambda h, w: [1, h, w, 1])
        outputs = conv_ops.conv2d(inputs, weights, strides=spatial(stride_h, stride_w),
                                  padding=padding, data_format=data_format,
                                  dilations=spatial(rate_h, rate_w))
        biases = _biases_adder(num_outputs, dtype, biases_initializer, biases_regularizer,
                               variables_collections, trainable, data_format=data_format)
        outputs = _finish(outputs, normalizer_fn, normalizer_params, biases, activation_fn)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def conv2d_transpose(inputs, num_outputs, kernel_size, stride=1, padding="SAME",
                     data_format="NHWC", activation_fn=nn_ops.relu, normalizer_fn=None,
                     normalizer_params=None, weights_initializer=xavier_initializer(),
                     weights_regularizer=None, biases_initializer=init_ops.zeros_initializer(),
                     biases_regularizer=None, reuse=None, variables_collections=None,
                     outputs_collections=None, trainable=True, scope=None):
    """The transpose of conv2d (a "deconvolution" growing height and width by `stride`), with
    variables "weights" [kh, kw, num_outputs, channels] and "biases" in scope
    "Conv2d_transpose".

    Raises:
      ValueError: for a bad data_format.
    """
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format has to be either NCHW or NHWC, got {data_format!r}.")
    kernel = normalize_tuple(kernel_size, 2, "kernel_size")
    strides = normalize_tuple(stride, 2, "stride")
    with variable_scope.variable_scope(scope, "Conv2d_transpose", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        dtype = inputs.dtype.base_dtype
        spatial_axes, channel_axis = ((2, 3), 1) if data_format == "NCHW" else ((1, 2), 3)
        weights = model_variable(
            "weights", shape=list(kernel) + [num_outputs, _last_dim(inputs, channel_axis)],
            dtype=dtype, initializer=weights_initializer, regularizer=weights_regularizer,
            collections=_variable_collections(variables_collections, "weights"),
            trainable=trainable)
        static, dynamic = inputs.shape.as_list(), array_ops.shape(inputs)
        output_shape = [static[0] if static[0] is not None else dynamic[0]] + [None] * 3
        output_shape[channel_axis] = num_outputs
        all_strides = [1, 1, 1, 1]
        for axis, k, s in zip(spatial_axes, kernel, strides):
            length = static[axis] if static[axis] is not None else dynamic[axis]
            output_shape[axis] = _deconv_length(length, k, s, padding.lower())
            all_strides[axis] = s
        outputs = conv_ops.conv2d_transpose(inputs, weights, array_ops.stack(output_shape),
                                            strides=all_strides, padding=padding,
                                            data_format=data_format)
        outputs.set_shape([d if isinstance(d, int) else None for d in output_shape])
        biases = _biases_adder(num_outputs, dtype, biases_initializer, biases_regularizer,
                               variables_collections, trainable, data_format=data_format)
        outputs = _finish(outputs, normalizer_fn, normalizer_params, biases, activation_fn)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def one_hot_encoding(labels, num_classes, on_value=1.0, off_value=0.0,
                     outputs_collections=None, scope=None):
    """`labels` (class indices) as one-hot rows of `num_classes` (float32)."""
    with ops.name_scope(scope, "OneHotEncoding", [labels]) as sc:
        outputs = array_ops.one_hot(convert_to_tensor(labels), num_classes, on_value=on_value,
                                    off_value=off_value)
        return collect_named_outputs(outputs_collections, sc.rstrip("/"), outputs)


@add_arg_scope
def softmax(logits, scope=None):
    """Softmax over the last axis of `logits` (any rank)."""
    with variable_scope.variable_scope(scope, "softmax", [logits]):
        return nn_ops.softmax(convert_to_tensor(logits))


def _pool2d(pool, default_name, inputs, kernel_size, stride, padding, data_format,
            outputs_collections, scope):
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format has to be either NCHW or NHWC, got {data_format!r}.")
    kernel = list(normalize_tuple(kernel_size, 2, "kernel_size"))
    strides = list(normalize_tuple(stride, 2, "stride"))
    if data_format == "NCHW":
        kernel, strides = [1, 1] + kernel, [1, 1] + strides
    else:
        kernel, strides = [1] + kernel + [1], [1] + strides + [1]
    with ops.name_scope(scope, default_name) as sc:
        outputs = pool(convert_to_tensor(inputs), kernel, strides, padding,
                       data_format=data_format, name=sc)
        return collect_named_outputs(outputs_collections, sc.rstrip("/"), outputs)


@add_arg_scope
def max_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC",
               outputs_collections=None, scope=None):
    """2-D max pooling over kernel_size windows moved by `stride` (ints or pairs)."""
    return _pool2d(conv_ops.max_pool, "MaxPool2D", inputs, kernel_size, stride, padding,
                   data_format, outputs_collections, scope)


@add_arg_scope
def avg_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC",
               outputs_collections=None, scope=None):
    """2-D average pooling over kernel_size windows moved by `stride` (ints or pairs)."""
    return _pool2d(conv_ops.avg_pool, "AvgPool2D", inputs, kernel_size, stride, padding,
                   data_format, outputs_collections, scope)


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
    """`inputs` [batch, ...] reshaped to [batch, k].

    Raises:
      ValueError: if inputs' rank is unknown or below 2.
    """
    with ops.name_scope(scope, "Flatten", [inputs]) as sc:
        inputs = convert_to_tensor(inputs)
        if inputs.shape.ndims is None or inputs.shape.ndims < 2:
            raise ValueError(f"Inputs must have at least 2 dimensions, got shape {inputs.shape}")
        outputs = core_layers.flatten(inputs)
        return collect_named_outputs(outputs_collections, sc.rstrip("/"), outputs)


@add_arg_scope
def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True,
            outputs_collections=None, scope=None, seed=None):
    """While `is_training` (a bool or a bool tensor), each element kept with probability
    `keep_prob` and scaled by 1 / keep_prob; otherwise `inputs` unchanged."""
    with variable_scope.variable_scope(scope, "Dropout", [inputs]) as sc:
        inputs = convert_to_tensor(inputs)
        outputs = core_layers.dropout(inputs, rate=1 - keep_prob, noise_shape=noise_shape,
                                      seed=seed, training=is_training)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001,
               activation_fn=None, param_initializers=None, param_regularizers=None,
               updates_collections=ops.GraphKeys.UPDATE_OPS, is_training=True, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               batch_weights=None, fused=None, data_format="NHWC",
               zero_debias_moving_mean=False, scope=None, renorm=False, renorm_clipping=None,
               renorm_decay=0.99, adjustment=None):
    """Batch normalization over every axis but the channels' (the last, or axis 1 for NCHW),
    with variables "beta" (center), "gamma" (scale), "moving_mean" and "moving_variance" in
    scope "BatchNorm".

    While `is_training` (a bool or a bool tensor) it normalizes with the batch's mean and
    variance and updates moving -= (1 - decay) * (moving - batch statistic); the update ops
    go to `updates_collections` (run them with the train op), or with
    updates_collections=None run before the output. Otherwise it normalizes with the moving
    statistics. As TF1's fused kernel (fused=None or True, inputs of rank 2 or 4) does, the
    moving variance then follows the unbiased batch variance and epsilon is at least 1.001e-5.

    batch_weights, zero_debias_moving_mean, renorm (with renorm_clipping, renorm_decay) and
    adjustment are TF1's less used variants, which tensorlib does not implement: asking for
    them raises NotImplementedError.

    Raises:
      ValueError: for an unknown rank or channel count, or a bad data_format.
    """
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format has to be either NCHW or NHWC, got {data_format!r}.")
    for option, value in (("batch_weights", batch_weights is not None),
                          ("zero_debias_moving_mean", zero_debias_moving_mean),
                          ("renorm", renorm), ("adjustment", adjustment is not None)):
        if value:
            raise NotImplementedError(f"batch_norm: {option} is not supported by tensorlib.")
    with variable_scope.variable_scope(scope, "BatchNorm", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        rank = inputs.shape.ndims
        if rank is None:
            raise ValueError(f"Inputs {inputs.name} has undefined rank.")
        channel_axis = 1 if data_format == "NCHW" and rank > 2 else rank - 1
        channels = _last_dim(inputs, channel_axis)
        reduction_axes = [i for i in range(rank) if i != channel_axis]
        fused = (fused is None or fused) and rank in (2, 4)
        if fused:
            epsilon = max(epsilon, 1.001e-5)
        params = _batch_norm_variables(channels, inputs.dtype.base_dtype, center, scale,
                                       param_initializers or {}, param_regularizers or {},
                                       variables_collections, trainable)
        beta, gamma, moving_mean, moving_variance = params
        training = training_value(is_training)

        def batch_statistics():
            mean, variance = nn_ops.moments(inputs, reduction_axes)
            if fused:
                count = math_ops.cast(array_ops.size(inputs), variance.dtype) / channels
                variance_for_moving = variance * count / math_ops.maximum(count - 1.0, 1.0)
            else:
                variance_for_moving = variance
            return mean, variance, variance_for_moving

        def moving_statistics():
            mean, variance = array_ops.identity(moving_mean), array_ops.identity(moving_variance)
            return mean, variance, variance

        if training is None:
            mean, variance, variance_for_moving = control_flow_ops.cond(
                is_training, batch_statistics, moving_statistics)
        elif training:
            mean, variance, variance_for_moving = batch_statistics()
        else:
            mean, variance, variance_for_moving = moving_statistics()

        if channel_axis != rank - 1:
            broadcast_shape = [channels] + [1] * (rank - channel_axis - 1)
            mean, variance, beta, gamma = (
                None if t is None else array_ops.reshape(t, broadcast_shape)
                for t in (mean, variance, beta, gamma))
        outputs = nn_ops.batch_normalization(inputs, mean, variance, beta, gamma, epsilon)

        if training is not False:
            updates = [
                variables.assign_sub(moving_mean, (moving_mean - _flat(mean, channels))
                                     * (1 - decay)),
                variables.assign_sub(moving_variance,
                                     (moving_variance - variance_for_moving) * (1 - decay)),
            ]
            if updates_collections is None:
                with ops.control_dependencies(updates):
                    outputs = array_ops.identity(outputs)
            else:
                for update in updates:
                    ops.add_to_collections(updates_collections, update)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


def _flat(t, channels):
    return array_ops.reshape(t, [channels])


def _batch_norm_variables(channels, dtype, center, scale, initializers, regularizers,
                          variables_collections, trainable):
    """(beta or None, gamma or None, moving_mean, moving_variance) of batch_norm."""
    def make(name, default_initializer, is_trainable):
        return model_variable(name, shape=[channels], dtype=dtype,
                              initializer=initializers.get(name, default_initializer),
                              regularizer=regularizers.get(name),
                              collections=_variable_collections(variables_collections, name),
                              trainable=is_trainable)
    zeros, ones = init_ops.zeros_initializer(), init_ops.ones_initializer()
    beta = make("beta", zeros, trainable) if center else None
    gamma = make("gamma", ones, trainable) if scale else None
    return (beta, gamma, make("moving_mean", zeros, False),
            make("moving_variance", ones, False))


@add_arg_scope
def layer_norm(inputs, center=True, scale=True, activation_fn=None, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               begin_norm_axis=1, begin_params_axis=-1, scope=None):
    """Layer normalization: each example normalized over the axes from `begin_norm_axis`
    on, then scaled by "gamma" and shifted by "beta" (of the shape of the axes from
    `begin_params_axis` on) in scope "LayerNorm".

    Raises:
      ValueError: for an unknown rank or parameter shape, or axes out of range.
    """
    with variable_scope.variable_scope(scope, "LayerNorm", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        rank = inputs.shape.ndims
        if rank is None:
            raise ValueError(f"Inputs {inputs.name} has undefined rank.")
        begin_norm_axis = begin_norm_axis % rank if begin_norm_axis < 0 else begin_norm_axis
        begin_params_axis = begin_params_axis % rank if begin_params_axis < 0 \
            else begin_params_axis
        if begin_norm_axis >= rank or begin_params_axis >= rank:
            raise ValueError(f"begin_norm_axis ({begin_norm_axis}) and begin_params_axis "
                             f"({begin_params_axis}) must be < rank(inputs) ({rank})")
        params_shape = inputs.shape[begin_params_axis:]
        if not params_shape.is_fully_defined():
            raise ValueError(f"Inputs {inputs.name}: shape[{begin_params_axis}:] is not fully "
                             f"defined: {params_shape}")
        dtype = inputs.dtype.base_dtype

        def make(name, initializer):
            return model_variable(name, shape=params_shape.as_list(), dtype=dtype,
                                  initializer=initializer,
                                  collections=_variable_collections(variables_collections,
                                                                    name),
                                  trainable=trainable)
        beta = make("beta", init_ops.zeros_initializer()) if center else None
        gamma = make("gamma", init_ops.ones_initializer()) if scale else None
        mean, variance = nn_ops.moments(inputs, list(range(begin_norm_axis, rank)),
                                        keep_dims=True)
        variance_epsilon = 1e-12 if dtype != dtypes.float16 else 1e-3
        outputs = nn_ops.batch_normalization(inputs, mean, variance, beta, gamma,
                                             variance_epsilon)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def embed_sequence(ids, vocab_size=None, embed_dim=None, unique=False, initializer=None,
                   regularizer=None, trainable=True, scope=None, reuse=None):
    """The rows of a new [vocab_size, embed_dim] variable "embeddings" (scope
    "EmbedSequence") picked by `ids` [batch, length]: [batch, length, embed_dim]. `unique`
    is TF1's hint to look each id up once; the result is the same either way.

    Raises:
      ValueError: if vocab_size or embed_dim is missing.
    """
    if not (vocab_size and embed_dim):
        raise ValueError(f"Must specify vocab size and embedding dimension when not "
                         f"reusing. Got vocab_size={vocab_size} and embed_dim={embed_dim}")
    with variable_scope.variable_scope(scope, "EmbedSequence", [ids], reuse=reuse):
        embeddings = model_variable("embeddings", shape=[vocab_size, embed_dim],
                                    initializer=initializer, regularizer=regularizer,
                                    trainable=trainable)
        return embedding_ops.embedding_lookup(embeddings, ids)


def repeat(inputs, repetitions, layer, *args, **kwargs):
    """`layer` applied `repetitions` times, the i-th in scope "<scope>/<scope>_<i>" (scope:
    the `scope` argument, or the layer's name)."""
    scope = kwargs.pop("scope", None)
    with variable_scope.variable_scope(scope, "Repeat", [inputs]):
        outputs = convert_to_tensor(inputs)
        name = scope or getattr(layer, "__name__", None) or \
            getattr(getattr(layer, "func", None), "__name__", "repeat")
        for i in range(repetitions):
            kwargs["scope"] = f"{name}_{i + 1}"
            outputs = layer(outputs, *args, **kwargs)
        return outputs


def stack(inputs, layer, stack_args, **kwargs):
    """`layer` applied once per entry of `stack_args` (a tuple of positional arguments, or
    one argument), the i-th in scope "<scope>/<scope>_<i>"."""
    scope = kwargs.pop("scope", None)
    if not isinstance(stack_args, (list, tuple)):
        raise ValueError("stack_args need to be a list or tuple")
    with variable_scope.variable_scope(scope, "Stack", [inputs]):
        outputs = convert_to_tensor(inputs)
        name = scope or getattr(layer, "__name__", None) or \
            getattr(getattr(layer, "func", None), "__name__", "stack")
        for i, args in enumerate(stack_args):
            kwargs["scope"] = f"{name}_{i + 1}"
            args = args if isinstance(args, (list, tuple)) else [args]
            outputs = layer(outputs, *args, **kwargs)
        return outputs
