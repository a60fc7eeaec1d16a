"""Core layers: Dense, Dropout, Flatten and their functional forms."""
import numpy as np

from tensorlib.ops import array_ops, init_ops, math_ops, nn_ops
from tensorlib.layers import utils
from tensorlib.layers.base import Layer


class Dense(Layer):
    """Densely-connected layer class.

    This layer implements the operation: `outputs = activation(inputs * kernel + bias)`
    Where `activation` is the activation function passed as the `activation` argument (if not
    `None`), `kernel` is a weights matrix created by the layer, and `bias` is a bias vector
    created by the layer (only if `use_bias` is `True`). Inputs of rank above 2 are
    multiplied along their last dimension.

    Arguments:
      units: Integer or Long, dimensionality of the output space.
      activation: Activation function (callable). Set it to None to maintain a linear
        activation.
      use_bias: Boolean, whether the layer uses a bias.
      kernel_initializer: Initializer function for the weight matrix. If `None` (default),
        weights are initialized using the default initializer used by `tf.get_variable`.
      bias_initializer: Initializer function for the bias.
      kernel_regularizer: Regularizer function for the weight matrix.
      bias_regularizer: Regularizer function for the bias.
      activity_regularizer: Regularizer function for the output.
      trainable: Boolean, if `True` also add variables to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see `tf.Variable`).
      name: String, the name of the layer. Layers with the same name will share weights, but
        to avoid mistakes we require reuse=True in such cases.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, *, trainable=True,
                 name=None, **kwargs):
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        self.activation = utils.get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer

    def build(self, input_shape):
        if input_shape.ndims is None or input_shape.ndims < 2:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected min_ndim=2, found ndim={input_shape.ndims}. Full shape "
                             f"received: {input_shape}")
        last_dim = input_shape.as_list()[-1]
        if last_dim is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                             "Found `None`.")
        self.kernel = self.add_weight("kernel", shape=[last_dim, self.units],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, dtype=self.dtype,
                                      trainable=True)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=[self.units],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, dtype=self.dtype,
                                        trainable=True)
        self.built = True

    def call(self, inputs):
        shape = inputs.shape.as_list() if inputs.shape.ndims is not None else None
        in_dim = self.kernel.shape.as_list()[0]
        if shape is None or len(shape) < 2 or shape[-1] not in (None, in_dim):
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected axis -1 of input shape to have value {in_dim} but "
                             f"received input with shape {inputs.shape}")
        if inputs.dtype != self.dtype and inputs.dtype.is_floating:
            inputs = math_ops.cast(inputs, self.dtype)
        if len(shape) > 2:
            outputs = math_ops.tensordot(inputs, self.kernel, [[len(shape) - 1], [0]])
            outputs.set_shape(shape[:-1] + [self.units])
        else:
            outputs = math_ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias)
        if self.activation is not None:
            return self.activation(outputs)
        return outputs


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None,
          bias_regularizer=None, activity_regularizer=None, *, trainable=True, name=None,
          reuse=None):
    """Functional interface for the densely-connected layer.

    This layer implements the operation: `outputs = activation(inputs * kernel + bias)` where
    `activation` is the activation function passed as the `activation` argument (if not
    `None`), `kernel` is a weights matrix created by the layer, and `bias` is a bias vector
    created by the layer (only if `use_bias` is `True`).

    Arguments:
      inputs: Tensor input.
      units: Integer or Long, dimensionality of the output space.
      activation: Activation function (callable). Set it to None to maintain a linear
        activation.
      use_bias: Boolean, whether the layer uses a bias.
      kernel_initializer: Initializer function for the weight matrix. If `None` (default),
        weights are initialized using the default initializer used by `tf.get_variable`.
      bias_initializer: Initializer function for the bias.
      kernel_regularizer: Regularizer function for the weight matrix.
      bias_regularizer: Regularizer function for the bias.
      activity_regularizer: Regularizer function for the output.
      trainable: Boolean, if `True` also add variables to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see `tf.Variable`).
      name: String, the name of the layer.
      reuse: Boolean, whether to reuse the weights of a previous layer by the same name.

    Returns:
      Output tensor the same shape as `inputs` except the last dimension is of size `units`.

    Raises:
      ValueError: if the last dimension of `inputs` is undefined.
    """
    layer = Dense(units, activation=activation, use_bias=use_bias,
                  kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  activity_regularizer=activity_regularizer, trainable=trainable, name=name,
                  _scope=name, _reuse=reuse)
    return layer.apply(inputs)


class Dropout(Layer):
    """Applies Dropout to the input.

    Dropout consists in randomly setting a fraction `rate` of input units to 0 at each update
    during training time, which helps prevent overfitting. The units that are kept are scaled
    by `1 / (1 - rate)`, so that their sum is unchanged at training time and inference time.

    Arguments:
      rate: The dropout rate, between 0 and 1. E.g. `rate=0.1` would drop out 10% of input
        units.
      noise_shape: 1D tensor of type `int32` representing the shape of the binary dropout
        mask that will be multiplied with the input. For instance, if your inputs have shape
        `(batch_size, timesteps, features)`, and you want the dropout mask to be the same for
        all timesteps, you can use `noise_shape=[batch_size, 1, features]`.
      seed: A Python integer. Used to create random seeds. See `tf.set_random_seed` for
        behavior.
      name: The name of the layer (string).
    """

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs, training=False):
        """`inputs` with dropout when `training` (a Python bool or a scalar bool Tensor)."""
        value = utils.training_value(training)
        if value is False:
            return array_ops.identity(inputs)
        dropped = nn_ops.dropout(inputs, noise_shape=self.noise_shape, seed=self.seed,
                                 rate=self.rate)
        if value is True:
            return dropped
        return math_ops.where_v2(training, dropped, inputs)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Applies Dropout to the input.

    Dropout consists in randomly setting a fraction `rate` of input units to 0 at each update
    during training time, which helps prevent overfitting. The units that are kept are scaled
    by `1 / (1 - rate)`, so that their sum is unchanged at training time and inference time.

    Arguments:
      inputs: Tensor input.
      rate: The dropout rate, between 0 and 1. E.g. "rate=0.1" would drop out 10% of input
        units.
      noise_shape: 1D tensor of type `int32` representing the shape of the binary dropout
        mask that will be multiplied with the input. For instance, if your inputs have shape
        `(batch_size, timesteps, features)`, and you want the dropout mask to be the same for
        all timesteps, you can use `noise_shape=[batch_size, 1, features]`.
      seed: A Python integer. Used to create random seeds. See `tf.set_random_seed` for
        behavior.
      training: Either a Python boolean, or a TensorFlow boolean scalar tensor (e.g. a
        placeholder). Whether to return the output in training mode (apply dropout) or in
        inference mode (return the input untouched).
      name: The name of the layer (string).

    Returns:
      Output tensor.

    Raises:
      ValueError: if eager execution is enabled.
    """
    layer = Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)
    return layer.apply(inputs, training=training)


class Flatten(Layer):
    """Flattens an input tensor while preserving the batch axis (axis 0).

    Arguments:
      data_format: A string, one of `channels_last` (default) or `channels_first`. The
        ordering of the dimensions in the inputs. `channels_last` corresponds to inputs with
        shape `(batch, ..., channels)` while `channels_first` corresponds to inputs with shape
        `(batch, channels, ...)`.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = utils.normalize_data_format(data_format)

    def call(self, inputs):
        ndims = inputs.shape.ndims
        if ndims is None:
            raise ValueError(f"Flatten needs inputs of known rank, got shape {inputs.shape}")
        if self.data_format == "channels_first" and ndims > 2:
            inputs = array_ops.transpose(inputs, [0] + list(range(2, ndims)) + [1])
        dims = inputs.shape.as_list()
        if None not in dims[1:]:
            flat = int(np.prod(dims[1:], dtype=np.int64))
            outputs = array_ops.reshape(inputs, [-1, flat])
        else:
            outputs = array_ops.reshape(
                inputs, array_ops.stack([array_ops.shape(inputs)[0], -1]))
        outputs.set_shape([dims[0] if dims else None,
                           None if None in dims[1:] else int(np.prod(dims[1:], dtype=np.int64))])
        return outputs


def flatten(inputs, name=None, data_format="channels_last"):
    """Flattens an input tensor while preserving the batch axis (axis 0).

    Arguments:
      inputs: Tensor input.
      name: The name of the layer (string).
      data_format: A string, one of `channels_last` (default) or `channels_first`. The
        ordering of the dimensions in the inputs. `channels_last` corresponds to inputs with
        shape `(batch, height, width, channels)` while `channels_first` corresponds to inputs
        with shape `(batch, channels, height, width)`.

    Returns:
      Reshaped tensor.

    Examples:

        x = tf.placeholder(shape=(None, 4, 4), dtype='float32')
        y = flatten(x)
        # now `y` has shape `(None, 16)`

        x = tf.placeholder(shape=(None, 3, None), dtype='float32')
        y = flatten(x)
        # now `y` has shape `(None, None)`
    """
    layer = Flatten(name=name, data_format=data_format)
    return layer.apply(inputs)

