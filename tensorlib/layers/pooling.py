"""2-D pooling layers: MaxPooling2D, AveragePooling2D and their functional forms."""
from tensorlib.ops import conv_ops
from tensorlib.layers import utils
from tensorlib.layers.base import Layer


class _Pooling2D(Layer):
    """Pooling layer for arbitrary pooling functions, for 2D inputs (e.g. images).

    Arguments:
      pool_function: The pooling function to apply, e.g. `tf.nn.max_pool`.
      pool_size: An integer or tuple/list of 2 integers: (pool_height, pool_width) specifying
        the size of the pooling window. Can be a single integer to specify the same value for
        all spatial dimensions.
      strides: An integer or tuple/list of 2 integers, specifying the strides of the pooling
        operation. Can be a single integer to specify the same value for all spatial
        dimensions.
      padding: A string. The padding method, either 'valid' or 'same'. Case-insensitive.
      data_format: A string, one of `channels_last` (default) or `channels_first`.
      name: A string, the name of the layer.
    """

    def __init__(self, pool_function, pool_size, strides, padding="valid",
                 data_format="channels_last", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_function = pool_function
        self.pool_size = utils.normalize_tuple(pool_size, 2, "pool_size")
        self.strides = utils.normalize_tuple(strides, 2, "strides")
        self.padding = utils.normalize_padding(padding)
        self.data_format = utils.normalize_data_format(data_format)

    def call(self, inputs):
        if inputs.shape.ndims != 4:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected ndim=4, found ndim={inputs.shape.ndims}. Full shape "
                             f"received: {inputs.shape}")
        if self.data_format == "channels_last":
            ksize = (1,) + self.pool_size + (1,)
            strides = (1,) + self.strides + (1,)
            fmt = "NHWC"
        else:
            ksize = (1, 1) + self.pool_size
            strides = (1, 1) + self.strides
            fmt = "NCHW"
        return self.pool_function(inputs, ksize=list(ksize), strides=list(strides),
                                  padding=self.padding.upper(), data_format=fmt)


class MaxPooling2D(_Pooling2D):
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
        super().__init__(conv_ops.max_pool, pool_size=pool_size, strides=strides,
                         padding=padding, data_format=data_format, name=name, **kwargs)


class AveragePooling2D(_Pooling2D):
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
        super().__init__(conv_ops.avg_pool, pool_size=pool_size, strides=strides,
                         padding=padding, data_format=data_format, name=name, **kwargs)


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


AvgPool2D = AveragePooling2D
MaxPool2D = MaxPooling2D
