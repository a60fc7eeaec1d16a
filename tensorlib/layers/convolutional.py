"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D and their functional
forms."""
from tensorlib.framework import ops
from tensorlib.ops import array_ops, conv_ops, init_ops, nn_ops
from tensorlib.layers import utils
from tensorlib.layers.base import Layer


class _Conv(Layer):
    """N-D convolution layer (N = `rank`, 1 or 2), the shared part of Conv1D and Conv2D."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer=None,
                 bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, *, trainable=True,
                 name=None, **kwargs):
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = int(filters)
        self.kernel_size = utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = utils.normalize_tuple(strides, rank, "strides")
        self.padding = utils.normalize_padding(padding, allow_causal=rank == 1)
        self.data_format = utils.normalize_data_format(data_format)
        self.dilation_rate = utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.activation = utils.get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer

    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _kernel_shape(self, input_dim):
        return list(self.kernel_size) + [input_dim, self.filters]

    def build(self, input_shape):
        if input_shape.ndims != self.rank + 2:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected ndim={self.rank + 2}, found ndim={input_shape.ndims}. "
                             f"Full shape received: {input_shape}")
        input_dim = input_shape.as_list()[self._channel_axis()]
        if input_dim is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found "
                             "`None`.")
        self.kernel = self.add_weight(name="kernel", shape=self._kernel_shape(input_dim),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, trainable=True,
                                      dtype=self.dtype)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=[self.filters],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, trainable=True,
                                        dtype=self.dtype)
        self.built = True

    def _format(self):
        return "NCHW" if self.data_format == "channels_first" else "NHWC"

    def _window_attr(self, values):
        """Spatial `values` as the 4 entries of a 2-D conv attribute."""
        return [1, 1] + list(values) if self._format() == "NCHW" else [1] + list(values) + [1]

    def call(self, inputs):
        fmt = self._format()
        if self.rank == 1:
            return self._conv1d(inputs, fmt)
        outputs = conv_ops.conv2d(inputs, self.kernel, strides=self._window_attr(self.strides),
                                  padding=self.padding.upper(), data_format=fmt,
                                  dilations=self._window_attr(self.dilation_rate))
        return self._finish(outputs, fmt)

    def _conv1d(self, inputs, fmt):
        """A 1-D convolution as a 2-D one over a height of 1, as TF1's conv1d does."""
        padding = self.padding
        if padding == "causal":  # pad the start so each output sees only the past
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            time_axis = 2 if fmt == "NCHW" else 1
            paddings = [[0, 0], [0, 0], [0, 0]]
            paddings[time_axis] = [left, 0]
            inputs = array_ops.pad(inputs, paddings)
            padding = "valid"
        spatial = 2 if fmt == "NCHW" else 1
        with ops.name_scope(None, "conv1d"):
            outputs = conv_ops.conv2d(
                array_ops.expand_dims(inputs, spatial), array_ops.expand_dims(self.kernel, 0),
                strides=self._window_attr((1,) + self.strides), padding=padding.upper(),
                data_format=fmt, dilations=self._window_attr((1,) + self.dilation_rate))
            outputs = array_ops.squeeze(outputs, [spatial])
        return self._finish(outputs, fmt)

    def _finish(self, outputs, fmt):
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias, data_format=fmt)
        if self.activation is not None:
            return self.activation(outputs)
        return outputs


class Conv1D(_Conv):
    """1D convolution layer (e.g. temporal convolution).

    This layer creates a convolution kernel that is convolved (actually cross-correlated)
    with the layer input to produce a tensor of outputs. If `use_bias` is True (and a
    `bias_initializer` is provided), a bias vector is created and added to the outputs.
    Finally, if `activation` is not `None`, it is applied to the outputs as well.

    Arguments:
      filters: Integer, the dimensionality of the output space (i.e. the number of filters in
        the convolution).
      kernel_size: An integer or tuple/list of a single integer, specifying the length of the
        1D convolution window.
      strides: An integer or tuple/list of a single integer, specifying the stride length of
        the convolution.
      padding: One of `"valid"`, `"causal"` or `"same"` (case-insensitive). `"causal"` pads
        the start of the input so that output t depends only on inputs up to t.
      data_format: A string, one of `channels_last` (default) or `channels_first`. The
        ordering of the dimensions in the inputs. `channels_last` corresponds to inputs with
        shape `(batch, length, channels)` while `channels_first` corresponds to inputs with
        shape `(batch, channels, length)` (which the CPU kernels reject, as TF1's do).
      dilation_rate: An integer or tuple/list of a single integer, specifying the dilation
        rate to use for dilated convolution.
      activation: Activation function. Set it to None to maintain a linear activation.
      use_bias: Boolean, whether the layer uses a bias.
      kernel_initializer: An initializer for the convolution kernel.
      bias_initializer: An initializer for the bias vector. If None, the default initializer
        will be used.
      kernel_regularizer: Optional regularizer for the convolution kernel.
      bias_regularizer: Optional regularizer for the bias vector.
      activity_regularizer: Optional regularizer function for the output.
      trainable: Boolean, if `True` also add variables to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see `tf.Variable`).
      name: A string, the name of the layer.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer=None,
                 bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, *, trainable=True,
                 name=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, trainable=trainable,
                         name=name, **kwargs)


class Conv2D(_Conv):
    """2D convolution layer (e.g. spatial convolution over images).

    This layer creates a convolution kernel that is convolved (actually cross-correlated)
    with the layer input to produce a tensor of outputs. If `use_bias` is True (and a
    `bias_initializer` is provided), a bias vector is created and added to the outputs.
    Finally, if `activation` is not `None`, it is applied to the outputs as well.

    Arguments:
      filters: Integer, the dimensionality of the output space (i.e. the number of filters in
        the convolution).
      kernel_size: An integer or tuple/list of 2 integers, specifying the height and width of
        the 2D convolution window. Can be a single integer to specify the same value for all
        spatial dimensions.
      strides: An integer or tuple/list of 2 integers, specifying the strides of the
        convolution along the height and width. Can be a single integer to specify the same
        value for all spatial dimensions.
      padding: One of `"valid"` or `"same"` (case-insensitive).
      data_format: A string, one of `channels_last` (default) or `channels_first`. The
        ordering of the dimensions in the inputs. `channels_last` corresponds to inputs with
        shape `(batch, height, width, channels)` while `channels_first` corresponds to inputs
        with shape `(batch, channels, height, width)` (which the CPU kernels reject, as TF1's
        do).
      dilation_rate: An integer or tuple/list of 2 integers, specifying the dilation rate to
        use for dilated convolution.
      activation: Activation function. Set it to None to maintain a linear activation.
      use_bias: Boolean, whether the layer uses a bias.
      kernel_initializer: An initializer for the convolution kernel.
      bias_initializer: An initializer for the bias vector. If None, the default initializer
        will be used.
      kernel_regularizer: Optional regularizer for the convolution kernel.
      bias_regularizer: Optional regularizer for the bias vector.
      activity_regularizer: Optional regularizer function for the output.
      trainable: Boolean, if `True` also add variables to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see `tf.Variable`).
      name: A string, the name of the layer.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format="channels_last", dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer=None,
                 bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, *, trainable=True,
                 name=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, trainable=trainable,
                         name=name, **kwargs)


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid",
           data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=init_ops.zeros_initializer(),
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, *,
           trainable=True, name=None, reuse=None):
    """Functional interface for 1D convolution layer (e.g. temporal convolution).

    This layer creates a convolution kernel that is convolved (actually cross-correlated)
    with the layer input to produce a tensor of outputs. If `use_bias` is True (and a
    `bias_initializer` is provided), a bias vector is created and added to the outputs.
    Finally, if `activation` is not `None`, it is applied to the outputs as well.

    Arguments:
      inputs: Tensor input.
      filters: Integer, the dimensionality of the output space (i.e. the number of filters in
        the convolution).
      kernel_size: An integer or tuple/list of a single integer, specifying the length of the
        1D convolution window.
      strides: An integer or tuple/list of a single integer, specifying the stride length of
        the convolution.
      padding: One of `"valid"`, `"causal"` or `"same"` (case-insensitive).
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      dilation_rate: An integer or tuple/list of a single integer, specifying the dilation
        rate to use for dilated convolution.
      activation: Activation function. Set it to None to maintain a linear activation.
      use_bias: Boolean, whether the layer uses a bias.
      kernel_initializer: An initializer for the convolution kernel.
      bias_initializer: An initializer for the bias vector. If None, the default initializer
        will be used.
      kernel_regularizer: Optional regularizer for the convolution kernel.
      bias_regularizer: Optional regularizer for the bias vector.
      activity_regularizer: Optional regularizer function for the output.
      trainable: Boolean, if `True` also add variables to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see `tf.Variable`).
      name: A string, the name of the layer.
      reuse: Boolean, whether to reuse the weights of a previous layer by the same name.

    Returns:
      Output tensor.
    """
    layer = Conv1D(filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
                   data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                   use_bias=use_bias, kernel_initializer=kernel_initializer,
                   bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                   bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                   trainable=trainable, name=name, _reuse=reuse, _scope=name)
    return layer.apply(inputs)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=init_ops.zeros_initializer(),
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, *,
           trainable=True, name=None, reuse=None):
    """Functional interface for the 2D convolution layer.

    This layer creates a convolution kernel that is convolved (actually cross-correlated)
    with the layer input to produce a tensor of outputs. If `use_bias` is True (and a
    `bias_initializer` is provided), a bias vector is created and added to the outputs.
    Finally, if `activation` is not `None`, it is applied to the outputs as well.

    Arguments:
      inputs: Tensor input.
      filters: Integer, the dimensionality of the output space (i.e. the number of filters in
        the convolution).
      kernel_size: An integer or tuple/list of 2 integers, specifying the height and width of
        the 2D convolution window.
      strides: An integer or tuple/list of 2 integers, specifying the strides of the
        convolution along the height and width.
      padding: One of `"valid"` or `"same"` (case-insensitive).
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      dilation_rate: An integer or tuple/list of 2 integers, specifying the dilation rate to
        use for dilated convolution.
      activation: Activation function. Set it to None to maintain a linear activation.
      use_bias: Boolean, whether the layer uses a bias.
      kernel_initializer: An initializer for the convolution kernel.
      bias_initializer: An initializer for the bias vector. If None, the default initializer
        will be used.
      kernel_regularizer: Optional regularizer for the convolution kernel.
      bias_regularizer: Optional regularizer for the bias vector.
      activity_regularizer: Optional regularizer function for the output.
      trainable: Boolean, if `True` also add variables to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see `tf.Variable`).
      name: A string, the name of the layer.
      reuse: Boolean, whether to reuse the weights of a previous layer by the same name.

    Returns:
      Output tensor.
    """
    layer = Conv2D(filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
                   data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                   use_bias=use_bias, kernel_initializer=kernel_initializer,
                   bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                   bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                   trainable=trainable, name=name, _reuse=reuse, _scope=name)
    return layer.apply(inputs)


def _deconv_length(length, kernel, stride, padding):
    """The length along one dim of a transposed convolution's output (None when unknown)."""
    if length is None:
        return None
    if padding == "valid":
        return length * stride + max(kernel - stride, 0)
    return length * stride


class Conv2DTranspose(Conv2D):
    """Transposed 2D convolution layer (sometimes called 2D Deconvolution).

    The need for transposed convolutions generally arises from the desire to use a
    transformation going in the opposite direction of a normal convolution, i.e., from
    something that has the shape of the output of some convolution to something that has the
    shape of its input while maintaining a connectivity pattern that is compatible with said
    convolution. Its kernel has shape [kernel_height, kernel_width, filters, in_channels].

    Arguments:
      filters: Integer, the dimensionality of the output space (i.e. the number of filters in
        the convolution).
      kernel_size: A tuple or list of 2 positive integers specifying the spatial dimensions
        of the filters. Can be a single integer to specify the same value for all spatial
        dimensions.
      strides: A tuple or list of 2 positive integers specifying the strides of the
        convolution. Can be a single integer to specify the same value for all spatial
        dimensions.
      padding: one of `"valid"` or `"same"` (case-insensitive).
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      activation: Activation function. Set it to `None` to maintain a linear activation.
      use_bias: Boolean, whether the layer uses a bias.
      kernel_initializer: An initializer for the convolution kernel.
      bias_initializer: An initializer for the bias vector. If `None`, the default
        initializer will be used.
      kernel_regularizer: Optional regularizer for the convolution kernel.
      bias_regularizer: Optional regularizer for the bias vector.
      activity_regularizer: Optional regularizer function for the output.
      trainable: Boolean, if `True` also add variables to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see `tf.Variable`).
      name: A string, the name of the layer.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format="channels_last", activation=None, use_bias=True,
                 kernel_initializer=None, bias_initializer=init_ops.zeros_initializer(),
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, *,
                 trainable=True, name=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, trainable=trainable,
                         name=name, **kwargs)

    def _kernel_shape(self, input_dim):
        return list(self.kernel_size) + [self.filters, input_dim]

    def call(self, inputs):
        channels_first = self.data_format == "channels_first"
        h_axis, w_axis = (2, 3) if channels_first else (1, 2)
        dynamic = array_ops.shape(inputs)
        static = inputs.shape.as_list()
        sizes = []
        for axis, kernel, stride in [(h_axis, self.kernel_size[0], self.strides[0]),
                                     (w_axis, self.kernel_size[1], self.strides[1])]:
            length = static[axis]
            sizes.append((_deconv_length(length, kernel, stride, self.padding)
                          if length is not None else
                          _deconv_length(dynamic[axis], kernel, stride, self.padding)))
        batch = static[0] if static[0] is not None else dynamic[0]
        if channels_first:
            output_shape, fmt = [batch, self.filters] + sizes, "NCHW"
            strides = [1, 1] + list(self.strides)
        else:
            output_shape, fmt = [batch] + sizes + [self.filters], "NHWC"
            strides = [1] + list(self.strides) + [1]
        outputs = conv_ops.conv2d_transpose(inputs, self.kernel, array_ops.stack(output_shape),
                                            strides=strides, padding=self.padding.upper(),
                                            data_format=fmt)
        outputs.set_shape([d if isinstance(d, int) else None for d in output_shape])
        return self._finish(outputs, fmt)


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", activation=None, use_bias=True,
                     kernel_initializer=None, bias_initializer=init_ops.zeros_initializer(),
                     kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                     *, trainable=True, name=None, reuse=None):
    """Functional interface for transposed 2D convolution layer.

    The need for transposed convolutions generally arises from the desire to use a
    transformation going in the opposite direction of a normal convolution, i.e., from
    something that has the shape of the output of some convolution to something that has the
    shape of its input while maintaining a connectivity pattern that is compatible with said
    convolution.

    Arguments:
      inputs: Input tensor.
      filters: Integer, the dimensionality of the output space (i.e. the number of filters in
        the convolution).
      kernel_size: A tuple or list of 2 positive integers specifying the spatial dimensions
        of the filters. Can be a single integer to specify the same value for all spatial
        dimensions.
      strides: A tuple or list of 2 positive integers specifying the strides of the
        convolution. Can be a single integer to specify the same value for all spatial
        dimensions.
      padding: one of `"valid"` or `"same"` (case-insensitive).
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      activation: Activation function. Set it to `None` to maintain a linear activation.
      use_bias: Boolean, whether the layer uses a bias.
      kernel_initializer: An initializer for the convolution kernel.
      bias_initializer: An initializer for the bias vector. If `None`, the default
        initializer will be used.
      kernel_regularizer: Optional regularizer for the convolution kernel.
      bias_regularizer: Optional regularizer for the bias vector.
      activity_regularizer: Optional regularizer function for the output.
      trainable: Boolean, if `True` also add variables to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see `tf.Variable`).
      name: A string, the name of the layer.
      reuse: Boolean, whether to reuse the weights of a previous layer by the same name.

    Returns:
      Output tensor.
    """
    layer = Conv2DTranspose(filters=filters, kernel_size=kernel_size, strides=strides,
                            padding=padding, data_format=data_format, activation=activation,
                            use_bias=use_bias, kernel_initializer=kernel_initializer,
                            bias_initializer=bias_initializer,
                            kernel_regularizer=kernel_regularizer,
                            bias_regularizer=bias_regularizer,
                            activity_regularizer=activity_regularizer, trainable=trainable,
                            name=name, _reuse=reuse, _scope=name)
    return layer.apply(inputs)


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose


class SeparableConv2D(Conv2D):
    """Depthwise separable 2D convolution layer.

    A depthwise convolution (each input channel convolved with `depth_multiplier` filters of
    its own) followed by a pointwise (1x1) convolution mixing the channels into `filters`
    outputs, then the bias and the activation. Its variables are `depthwise_kernel` [kh, kw,
    in_channels, depth_multiplier], `pointwise_kernel` [1, 1, in_channels * depth_multiplier,
    filters] and `bias` [filters].

    Arguments are Conv2D's, with `depth_multiplier` and the initializers and regularizers of
    the two kernels (`depthwise_*` and `pointwise_*`) in place of `kernel_*`.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                 activation=None, use_bias=True, depthwise_initializer=None,
                 pointwise_initializer=None, bias_initializer=init_ops.zeros_initializer(),
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, *, trainable=True, name=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, trainable=trainable,
                         name=name, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer

    def build(self, input_shape):
        if input_shape.ndims != 4:
            raise ValueError(f"Inputs to `SeparableConv2D` should have rank 4. Received input "
                             f"shape: {input_shape}")
        input_dim = input_shape.as_list()[self._channel_axis()]
        if input_dim is None:
            raise ValueError("The channel dimension of the inputs to `SeparableConv2D` should "
                             "be defined. Found `None`.")
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=list(self.kernel_size) + [input_dim, self.depth_multiplier],
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            trainable=True, dtype=self.dtype)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel", shape=[1, 1, input_dim * self.depth_multiplier, self.filters],
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            trainable=True, dtype=self.dtype)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=[self.filters],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, trainable=True,
                                        dtype=self.dtype)
        self.built = True

    def call(self, inputs):
        fmt = self._format()
        outputs = conv_ops.separable_conv2d(
            inputs, self.depthwise_kernel, self.pointwise_kernel,
            strides=self._window_attr(self.strides), padding=self.padding.upper(),
            rate=self.dilation_rate, data_format=fmt)
        return self._finish(outputs, fmt)


SeparableConvolution2D = SeparableConv2D


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=init_ops.zeros_initializer(),
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, *, trainable=True,
                     name=None, reuse=None):
    """Functional interface for the depthwise separable 2D convolution layer (see
    SeparableConv2D): `inputs` through a depthwise then a pointwise convolution, the bias and
    the activation."""
    layer = SeparableConv2D(
        filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
        data_format=data_format, dilation_rate=dilation_rate, depth_multiplier=depth_multiplier,
        activation=activation, use_bias=use_bias, depthwise_initializer=depthwise_initializer,
        pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
        depthwise_regularizer=depthwise_regularizer, pointwise_regularizer=pointwise_regularizer,
        bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
        trainable=trainable, name=name, _reuse=reuse, _scope=name)
    return layer.apply(inputs)
