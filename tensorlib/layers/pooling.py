"""Pooling layers: MaxPooling1D/2D, AveragePooling1D/2D and their functional forms."""
from tensorlib.ops import array_ops, conv_ops
from tensorlib.layers import utils
from tensorlib.layers.base import Layer


class _Pooling(Layer):
    """Pooling layer for arbitrary pooling functions, for 1D or 2D inputs (`rank`).

    Arguments:
      pool_function: The pooling function to apply, e.g. `tf.nn.max_pool`.
      pool_size: An integer or tuple/list of `rank` integers specifying the size of the
        pooling window. Can be a single integer to specify the same value for all spatial
        dimensions.
      strides: An integer or tuple/list of `rank` integers, specifying the strides of the
        pooling operation. Can be a single integer to specify the same value for all spatial
        dimensions.
      padding: A string. The padding method, either 'valid' or 'same'. Case-insensitive.
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      name: A string, the name of the layer.
    """

    def __init__(self, rank, pool_function, pool_size, strides, padding="valid",
                 data_format="channels_last", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.rank = rank
        self.pool_function = pool_function
        self.pool_size = utils.normalize_tuple(pool_size, rank, "pool_size")
        self.strides = utils.normalize_tuple(strides, rank, "strides")
        self.padding = utils.normalize_padding(padding)
        self.data_format = utils.normalize_data_format(data_format)

    def call(self, inputs):
        if inputs.shape.ndims != self.rank + 2:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected ndim={self.rank + 2}, found ndim={inputs.shape.ndims}. "
                             f"Full shape received: {inputs.shape}")
        channels_last = self.data_format == "channels_last"
        pool_size, strides = self.pool_size, self.strides
        if self.rank == 1:  # pooled as an image of height 1, as TF1 does
            spatial = 1 if channels_last else 2
            inputs = array_ops.expand_dims(inputs, spatial)
            pool_size, strides = (1,) + pool_size, (1,) + strides
        if channels_last:
            ksize, strides, fmt = (1,) + pool_size + (1,), (1,) + strides + (1,), "NHWC"
        else:
            ksize, strides, fmt = (1, 1) + pool_size, (1, 1) + strides, "NCHW"
        outputs = self.pool_function(inputs, ksize=list(ksize), strides=list(strides),
                                     padding=self.padding.upper(), data_format=fmt)
        if self.rank == 1:
            outputs = array_ops.squeeze(outputs, [spatial])
        return outputs


class MaxPooling1D(_Pooling):
    """Max Pooling layer for 1D inputs.

    Arguments:
      pool_size: An integer or tuple/list of a single integer, representing the size of the
        pooling window.
      strides: An integer or tuple/list of a single integer, specifying the strides of the
        pooling operation.
      padding: A string. The padding method, either 'valid' or 'same'. Case-insensitive.
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      name: A string, the name of the layer.
    """

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last",
                 name=None, **kwargs):
        super().__init__(1, conv_ops.max_pool, pool_size=pool_size, strides=strides,
                         padding=padding, data_format=data_format, name=name, **kwargs)


class AveragePooling1D(_Pooling):
    """Average Pooling layer for 1D inputs.

    Arguments:
      pool_size: An integer or tuple/list of a single integer, representing the size of the
        pooling window.
      strides: An integer or tuple/list of a single integer, specifying the strides of the
        pooling operation.
      padding: A string. The padding method, either 'valid' or 'same'. Case-insensitive.
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      name: A string, the name of the layer.
    """

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last",
                 name=None, **kwargs):
        super().__init__(1, conv_ops.avg_pool, pool_size=pool_size, strides=strides,
                         padding=padding, data_format=data_format, name=name, **kwargs)


class MaxPooling2D(_Pooling):
    """Max pooling layer for 2D inputs (e.g. images).

    Arguments:
      pool_size: An integer or tuple/list of 2 integers: (pool_height, pool_width) specifying
        the size of the pooling window.
      strides: An integer or tuple/list of 2 integers, specifying the strides of the pooling
        operation.
      padding: A string. The padding method, either 'valid' or 'same'. Case-insensitive.
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      name: A string, the name of the layer.
    """

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last",
                 name=None, **kwargs):
        super().__init__(2, conv_ops.max_pool, pool_size=pool_size, strides=strides,
                         padding=padding, data_format=data_format, name=name, **kwargs)


class AveragePooling2D(_Pooling):
    """Average pooling layer for 2D inputs (e.g. images).

    Arguments:
      pool_size: An integer or tuple/list of 2 integers: (pool_height, pool_width) specifying
        the size of the pooling window.
      strides: An integer or tuple/list of 2 integers, specifying the strides of the pooling
        operation.
      padding: A string. The padding method, either 'valid' or 'same'. Case-insensitive.
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      name: A string, the name of the layer.
    """

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last",
                 name=None, **kwargs):
        super().__init__(2, conv_ops.avg_pool, pool_size=pool_size, strides=strides,
                         padding=padding, data_format=data_format, name=name, **kwargs)


def max_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    """Max Pooling layer for 1D inputs.

    Arguments:
      inputs: The tensor over which to pool. Must have rank 3.
      pool_size: An integer or tuple/list of a single integer, representing the size of the
        pooling window.
      strides: An integer or tuple/list of a single integer, specifying the strides of the
        pooling operation.
      padding: A string. The padding method, either 'valid' or 'same'. Case-insensitive.
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      name: A string, the name of the layer.

    Returns:
      The output tensor, of rank 3.
    """
    layer = MaxPooling1D(pool_size=pool_size, strides=strides, padding=padding,
                         data_format=data_format, name=name)
    return layer.apply(inputs)


def average_pooling1d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None):
    """Average Pooling layer for 1D inputs.

    Arguments:
      inputs: The tensor over which to pool. Must have rank 3.
      pool_size: An integer or tuple/list of a single integer, representing the size of the
        pooling window.
      strides: An integer or tuple/list of a single integer, specifying the strides of the
        pooling operation.
      padding: A string. The padding method, either 'valid' or 'same'. Case-insensitive.
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      name: A string, the name of the layer.

    Returns:
      The output tensor, of rank 3.
    """
    layer = AveragePooling1D(pool_size=pool_size, strides=strides, padding=padding,
                             data_format=data_format, name=name)
    return layer.apply(inputs)


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    """Max pooling layer for 2D inputs (e.g. images).

    Arguments:
      inputs: The tensor over which to pool. Must have rank 4.
      pool_size: An integer or tuple/list of 2 integers: (pool_height, pool_width) specifying
        the size of the pooling window.
      strides: An integer or tuple/list of 2 integers, specifying the strides of the pooling
        operation.
      padding: A string. The padding method, either 'valid' or 'same'. Case-insensitive.
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      name: A string, the name of the layer.

    Returns:
      Output tensor.
    """
    layer = MaxPooling2D(pool_size=pool_size, strides=strides, padding=padding,
                         data_format=data_format, name=name)
    return layer.apply(inputs)


def average_pooling2d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None):
    """Average pooling layer for 2D inputs (e.g. images).

    Arguments:
      inputs: The tensor over which to pool. Must have rank 4.
      pool_size: An integer or tuple/list of 2 integers: (pool_height, pool_width) specifying
        the size of the pooling window.
      strides: An integer or tuple/list of 2 integers, specifying the strides of the pooling
        operation.
      padding: A string. The padding method, either 'valid' or 'same'. Case-insensitive.
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      name: A string, the name of the layer.

    Returns:
      Output tensor.
    """
    layer = AveragePooling2D(pool_size=pool_size, strides=strides, padding=padding,
                             data_format=data_format, name=name)
    return layer.apply(inputs)


AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
