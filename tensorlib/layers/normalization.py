"""Batch normalization: BatchNormalization and its functional form batch_normalization."""
from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops, init_ops, math_ops, nn_ops, variables
from tensorlib.layers import utils
from tensorlib.layers.base import Layer

# The smallest epsilon of TF1's fused batch norm (cuDNN's requirement).
_FUSED_MIN_EPSILON = 1.001e-5


class BatchNormalization(Layer):
    """Batch Normalization layer from http://arxiv.org/abs/1502.03167.

    "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate
    Shift", Sergey Ioffe, Christian Szegedy.

    In training mode the layer normalizes its inputs with the batch's mean and (biased)
    variance and adds ops updating `moving_mean` and `moving_variance` to
    `tf.GraphKeys.UPDATE_OPS`: `moving -= (1 - momentum) * (moving - batch_statistic)`. Run
    them with the train op:

        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
            train_op = optimizer.minimize(loss)

    In inference mode it normalizes with the moving statistics.

    Arguments:
      axis: An `int` or list of `int`, the axis or axes that should be normalized, typically
        the features axis/axes. For instance, after a `Conv2D` layer with
        `data_format="channels_first"`, set `axis=1`. If a list of axes is provided, each
        axis in `axis` will be normalized simultaneously. Default is `-1` which uses the last
        axis.
      momentum: Momentum for the moving average.
      epsilon: Small float added to variance to avoid dividing by zero.
      center: If True, add offset of `beta` to normalized tensor. If False, `beta` is
        ignored.
      scale: If True, multiply by `gamma`. If False, `gamma` is not used. When the next
        layer is linear (also e.g. `nn.relu`), this can be disabled since the scaling can be
        done by the next layer.
      beta_initializer: Initializer for the beta weight.
      gamma_initializer: Initializer for the gamma weight.
      moving_mean_initializer: Initializer for the moving mean.
      moving_variance_initializer: Initializer for the moving variance.
      beta_regularizer: Optional regularizer for the beta weight.
      gamma_regularizer: Optional regularizer for the gamma weight.
      trainable: Boolean, if `True` also add variables to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see tf.Variable).
      fused: if `None` or `True`, use TF1's fused batch norm semantics where it applies (4-D
        float16/float32 inputs normalized over axis 1 or 3): the moving variance is updated
        with the unbiased (Bessel-corrected) batch variance and epsilon is at least 1.001e-5.
        If `False`, the biased batch variance is used everywhere.
      name: A string, the name of the layer.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer=init_ops.zeros_initializer(),
                 gamma_initializer=init_ops.ones_initializer(),
                 moving_mean_initializer=init_ops.zeros_initializer(),
                 moving_variance_initializer=init_ops.ones_initializer(),
                 beta_regularizer=None, gamma_regularizer=None, *, trainable=True, fused=None,
                 name=None, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"axis must be int or list, type given: {type(axis)}")
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.fused = True if fused is None else fused

    def build(self, input_shape):
        ndims = input_shape.ndims
        if not ndims:
            raise ValueError(f"Input has undefined rank: {input_shape}")
        axis = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        axis = [a + ndims if a < 0 else a for a in axis]
        for a in axis:
            if a < 0 or a >= ndims:
                raise ValueError(f"Invalid axis: {a}")
        if len(axis) != len(set(axis)):
            raise ValueError(f"Duplicate axis: {axis}")
        self.axis = axis
        dtype = self.dtype
        self.fused = bool(self.fused and ndims == 4 and len(axis) == 1 and axis[0] in (1, 3)
                          and dtype in (_dtypes.float16, _dtypes.float32))
        dims = input_shape.as_list()
        if any(dims[a] is None for a in axis):
            raise ValueError(f"Input has undefined `axis` dimension. Input shape: {input_shape}")
        if len(axis) == 1:
            param_shape = [dims[axis[0]]]
        else:
            param_shape = [dims[i] if i in axis else 1 for i in range(ndims)]
        # Parameters of float16 inputs are float32.
        self._param_dtype = _dtypes.float32 if dtype == _dtypes.float16 else dtype
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight("gamma", shape=param_shape, dtype=self._param_dtype,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, trainable=True)
        if self.center:
            self.beta = self.add_weight("beta", shape=param_shape, dtype=self._param_dtype,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, trainable=True)
        self.moving_mean = self.add_weight("moving_mean", shape=param_shape,
                                           dtype=self._param_dtype,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape=param_shape,
                                               dtype=self._param_dtype,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        self.built = True

    def _assign_moving_average(self, variable, value):
        """variable -= (1 - momentum) * (variable - value), named like TF1's update."""
        with ops.name_scope(None, "AssignMovingAvg") as scope:
            decay = convert_to_tensor(1.0 - self.momentum, dtype=variable.dtype, name="decay")
            delta = math_ops.multiply(math_ops.subtract(variable, value), decay)
            return variables.assign_sub(variable, delta, name=scope)

    def call(self, inputs, training=False):
        """`inputs` normalized; `training` is a Python bool or a scalar bool Tensor."""
        ndims = inputs.shape.ndims
        reduction_axes = [i for i in range(ndims) if i not in self.axis]
        broadcast_shape = [1] * ndims
        broadcast_shape[self.axis[0]] = inputs.shape.as_list()[self.axis[0]]

        def _broadcast(v):
            # Only a single axis that is not the last one needs its parameters reshaped.
            if v is not None and v.shape.ndims != ndims and \
                    reduction_axes != list(range(ndims - 1)):
                return array_ops.reshape(v, broadcast_shape)
            return v

        epsilon = max(self.epsilon, _FUSED_MIN_EPSILON) if self.fused else self.epsilon
        value = utils.training_value(training)
        if value is False:
            mean, variance = self.moving_mean.value(), self.moving_variance.value()
        else:
            x = inputs if inputs.dtype == self._param_dtype else \
                math_ops.cast(inputs, self._param_dtype)
            mean, variance = nn_ops.moments(x, reduction_axes, keep_dims=len(self.axis) > 1)
            update_variance = variance
            if self.fused:
                # TF1's fused kernel reports the unbiased variance for the moving average.
                count = math_ops.cast(math_ops.truediv(array_ops.size(x), array_ops.size(variance)),
                                      self._param_dtype)
                update_variance = math_ops.multiply(
                    variance, math_ops.truediv(count, math_ops.maximum(count - 1.0, 1.0)))
            update_mean = mean
            if value is None:
                mean = math_ops.where_v2(training, mean, self.moving_mean)
                variance = math_ops.where_v2(training, variance, self.moving_variance)
                # Not training: the updates subtract exactly zero.
                update_mean = math_ops.where_v2(training, update_mean, self.moving_mean)
                update_variance = math_ops.where_v2(training, update_variance,
                                                    self.moving_variance)
            self.add_update(self._assign_moving_average(self.moving_mean, update_mean))
            self.add_update(self._assign_moving_average(self.moving_variance, update_variance))

        def _cast(v):
            return v if v is None or v.dtype == inputs.dtype else math_ops.cast(v, inputs.dtype)

        scale = _cast(_broadcast(None if self.gamma is None else self.gamma.value()))
        offset = _cast(_broadcast(None if self.beta is None else self.beta.value()))
        outputs = nn_ops.batch_normalization(inputs, _cast(_broadcast(mean)),
                                             _cast(_broadcast(variance)), offset, scale,
                                             epsilon)
        outputs.set_shape(inputs.shape)
        return outputs


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=init_ops.zeros_initializer(),
                        gamma_initializer=init_ops.ones_initializer(),
                        moving_mean_initializer=init_ops.zeros_initializer(),
                        moving_variance_initializer=init_ops.ones_initializer(),
                        beta_regularizer=None, gamma_regularizer=None, *, training=False,
                        trainable=True, name=None, reuse=None, fused=None):
    """Functional interface for the batch normalization layer.

    Reference: http://arxiv.org/abs/1502.03167

    "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate
    Shift", Sergey Ioffe, Christian Szegedy.

    Note: when training, the moving_mean and moving_variance need to be updated. By default
    the update ops are placed in `tf.GraphKeys.UPDATE_OPS`, so they need to be executed
    alongside the `train_op`. Also, be sure to add any batch_normalization ops before getting
    the update_ops collection. Otherwise, update_ops will be empty, and training/inference
    will not work properly. For example:

        x_norm = tf.layers.batch_normalization(x, training=training)

        # ...

        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        train_op = optimizer.minimize(loss)
        train_op = tf.group([train_op, update_ops])

    Arguments:
      inputs: Tensor input.
      axis: An `int` or list of `int`, the axis or axes that should be normalized, typically
        the features axis/axes. Default is `-1` which uses the last axis.
      momentum: Momentum for the moving average.
      epsilon: Small float added to variance to avoid dividing by zero.
      center: If True, add offset of `beta` to normalized tensor. If False, `beta` is
        ignored.
      scale: If True, multiply by `gamma`. If False, `gamma` is not used.
      beta_initializer: Initializer for the beta weight.
      gamma_initializer: Initializer for the gamma weight.
      moving_mean_initializer: Initializer for the moving mean.
      moving_variance_initializer: Initializer for the moving variance.
      beta_regularizer: Optional regularizer for the beta weight.
      gamma_regularizer: Optional regularizer for the gamma weight.
      training: Either a Python boolean, or a TensorFlow boolean scalar tensor (e.g. a
        placeholder). Whether to return the output in training mode (normalized with
        statistics of the current batch) or in inference mode (normalized with moving
        statistics). **NOTE**: make sure to set this parameter correctly, or else your
        training/inference will not work properly.
      trainable: Boolean, if `True` also add variables to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see tf.Variable).
      name: String, the name of the layer.
      reuse: Boolean, whether to reuse the weights of a previous layer by the same name.
      fused: if `None` or `True`, TF1's fused batch norm semantics where they apply (see
        `BatchNormalization`).

    Returns:
      Output tensor.
    """
    layer = BatchNormalization(
        axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
        beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
        moving_mean_initializer=moving_mean_initializer,
        moving_variance_initializer=moving_variance_initializer,
        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
        trainable=trainable, fused=fused, name=name, _reuse=reuse, _scope=name)
    return layer.apply(inputs, training=training)
