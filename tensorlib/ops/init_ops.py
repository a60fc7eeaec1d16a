"""Initializers: objects that make a variable's initial value from its shape and dtype.

    init = tf.glorot_uniform_initializer(seed=1)
    w = tf.get_variable("w", [3, 4], initializer=init)   # calls init([3, 4], dtype=tf.float32)

Random initializers draw through the random ops, so an initializer's `seed` and the graph seed
(tf.set_random_seed) make their values reproducible, with TF1's rules.
"""
import math

import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import tensor_shape
from tensorlib.framework.constant_op import constant
from tensorlib.ops import array_ops, math_ops, random_ops


def _assert_float_dtype(dtype):
    dtype = _dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Expected floating point type, got {dtype}.")
    return dtype


def _as_list(shape):
    return tensor_shape.as_shape(shape).as_list()


class Initializer:
    """Initializer base class: all initializers inherit from this class."""

    def __call__(self, shape, dtype=None, partition_info=None):
        """Returns a tensor object initialized as specified by the initializer.

        Args:
          shape: Shape of the tensor.
          dtype: Optional dtype of the tensor. If not provided use the initializer dtype.
          partition_info: Accepted for TF1 compatibility; tensorlib has no partitioned
            variables, so it is always None.
        """
        raise NotImplementedError

    def get_config(self):
        """Returns the configuration of the initializer as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Instantiates an initializer from a configuration dictionary."""
        return cls(**config)


class Zeros(Initializer):
    """Initializer that generates tensors initialized to 0."""

    def __init__(self, dtype=_dtypes.float32):
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return array_ops.zeros(_as_list(shape), dtype or self.dtype)

    def get_config(self):
        return {"dtype": self.dtype.name}


class Ones(Initializer):
    """Initializer that generates tensors initialized to 1."""

    def __init__(self, dtype=_dtypes.float32):
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return array_ops.ones(_as_list(shape), dtype or self.dtype)

    def get_config(self):
        return {"dtype": self.dtype.name}


class Constant(Initializer):
    """Initializer that generates tensors with constant values.

    The resulting tensor is populated with values of type `dtype`, as specified by arguments
    `value` following the desired `shape` of the new tensor. `value` can be a Python scalar
    (every element gets it) or a list, tuple or NumPy array with as many elements as the
    shape (reshaped to it).

    Args:
      value: A Python scalar, list or tuple of values, or a N-dimensional numpy array. All
        elements of the initialized variable will be set to the corresponding value in the
        `value` argument.
      dtype: Default data type, used if no `dtype` argument is provided when calling the
        initializer.
      verify_shape: Boolean that enables verification of the shape of `value`. If `True`,
        the initializer will throw an error if the shape of `value` is not compatible with
        the shape of the initialized tensor.

    Raises:
      TypeError: If the input `value` is not one of the expected types.
    """

    def __init__(self, value=0, dtype=_dtypes.float32, verify_shape=False):
        if not (np.isscalar(value) or isinstance(value, (list, tuple, np.ndarray))):
            raise TypeError(f"Invalid type for initial value: {type(value)} (expected Python "
                            "scalar, list or tuple of values, or numpy.ndarray).")
        self.value = value
        self.dtype = _dtypes.as_dtype(dtype)
        self._verify_shape = verify_shape

    def __call__(self, shape, dtype=None, partition_info=None, verify_shape=None):
        if verify_shape is None:
            verify_shape = self._verify_shape
        return constant(self.value, dtype=dtype or self.dtype, shape=_as_list(shape),
                        verify_shape=verify_shape)

    def get_config(self):
        return {"value": self.value, "dtype": self.dtype.name}


class RandomUniform(Initializer):
    """Initializer that generates tensors with a uniform distribution.

    Args:
      minval: A python scalar or a scalar tensor. Lower bound of the range of random values
        to generate.
      maxval: A python scalar or a scalar tensor. Upper bound of the range of random values
        to generate. Defaults to 1 for float types.
      seed: A Python integer. Used to create random seeds. See `tf.set_random_seed` for
        behavior.
      dtype: Default data type, used if no `dtype` argument is provided when calling the
        initializer.
    """

    def __init__(self, minval=0, maxval=None, seed=None, dtype=_dtypes.float32):
        self.minval = minval
        self.maxval = maxval
        self.seed = seed
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.random_uniform(_as_list(shape), self.minval, self.maxval,
                                         dtype or self.dtype, seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed,
                "dtype": self.dtype.name}


class RandomNormal(Initializer):
    """Initializer that generates tensors with a normal distribution.

    Args:
      mean: a python scalar or a scalar tensor. Mean of the random values to generate.
      stddev: a python scalar or a scalar tensor. Standard deviation of the random values to
        generate.
      seed: A Python integer. Used to create random seeds. See `tf.set_random_seed` for
        behavior.
      dtype: Default data type, used if no `dtype` argument is provided when calling the
        initializer. Only floating point types are supported.
    """

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=_dtypes.float32):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.random_normal(_as_list(shape), self.mean, self.stddev,
                                        dtype or self.dtype, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed,
                "dtype": self.dtype.name}


class TruncatedNormal(Initializer):
    """Initializer that generates a truncated normal distribution.

    These values are similar to values from a `random_normal_initializer` except that values
    more than two standard deviations from the mean are discarded and re-drawn. This is the
    recommended initializer for neural network weights and filters.

    Args:
      mean: a python scalar or a scalar tensor. Mean of the random values to generate.
      stddev: a python scalar or a scalar tensor. Standard deviation of the random values to
        generate.
      seed: A Python integer. Used to create random seeds. See `tf.set_random_seed` for
        behavior.
      dtype: Default data type, used if no `dtype` argument is provided when calling the
        initializer. Only floating point types are supported.
    """

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=_dtypes.float32):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.truncated_normal(_as_list(shape), self.mean, self.stddev,
                                           dtype or self.dtype, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed,
                "dtype": self.dtype.name}


def _compute_fans(shape):
    """(fan_in, fan_out) of a weight shape: a kernel [..., input_depth, depth] has a
    receptive field of the product of its leading dims."""
    if len(shape) < 1:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive_field_size = 1.
        for dim in shape[:-2]:
            receptive_field_size *= dim
        fan_in = shape[-2] * receptive_field_size
        fan_out = shape[-1] * receptive_field_size
    return int(fan_in), int(fan_out)


# scipy.stats.truncnorm.std(a=-2, b=2, loc=0., scale=1.): the standard deviation of a unit
# normal truncated to two standard deviations.
_TRUNCATED_NORMAL_STD = .87962566103423978


class VarianceScaling(Initializer):
    """Initializer capable of adapting its scale to the shape of weights tensors.

    With `distribution="truncated_normal" or "untruncated_normal"`, samples are drawn from a
    truncated/untruncated normal distribution with a mean of zero and a standard deviation
    (after truncation, if used) `stddev = sqrt(scale / n)` where n is:
      - number of input units in the weight tensor, if mode = "fan_in"
      - number of output units, if mode = "fan_out"
      - average of the numbers of input and output units, if mode = "fan_avg"

    With `distribution="uniform"`, samples are drawn from a uniform distribution within
    [-limit, limit], with `limit = sqrt(3 * scale / n)`. `distribution="normal"` is the same
    as "truncated_normal".

    Args:
      scale: Scaling factor (positive float).
      mode: One of "fan_in", "fan_out", "fan_avg".
      distribution: Random distribution to use. One of "normal", "uniform",
        "truncated_normal" and "untruncated_normal".
      seed: A Python integer. Used to create random seeds. See `tf.set_random_seed` for
        behavior.
      dtype: Default data type, used if no `dtype` argument is provided when calling the
        initializer. Only floating point types are supported.

    Raises:
      ValueError: In case of an invalid value for the "scale", mode" or "distribution"
        arguments.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 dtype=_dtypes.float32):
        if scale <= 0.:
            raise ValueError("`scale` must be positive float.")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError(f"Invalid `mode` argument: {mode}")
        distribution = distribution.lower()
        if distribution not in {"normal", "uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError(f"Invalid `distribution` argument: {distribution}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        shape = _as_list(shape)
        dtype = dtype or self.dtype
        fan_in, fan_out = _compute_fans(shape)
        scale = self.scale
        if self.mode == "fan_in":
            scale /= max(1., fan_in)
        elif self.mode == "fan_out":
            scale /= max(1., fan_out)
        else:
            scale /= max(1., (fan_in + fan_out) / 2.)
        if self.distribution in ("normal", "truncated_normal"):
            stddev = math.sqrt(scale) / _TRUNCATED_NORMAL_STD
            return random_ops.truncated_normal(shape, 0.0, stddev, dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_ops.random_normal(shape, 0.0, math.sqrt(scale), dtype,
                                            seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return random_ops.random_uniform(shape, -limit, limit, dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "dtype": self.dtype.name}


class GlorotUniform(VarianceScaling):
    """The Glorot uniform initializer, also called Xavier uniform initializer.

    It draws samples from a uniform distribution within [-limit, limit] where `limit` is
    `sqrt(6 / (fan_in + fan_out))` where `fan_in` is the number of input units in the weight
    tensor and `fan_out` is the number of output units in the weight tensor.

    Args:
      seed: A Python integer. Used to create random seeds. See `tf.set_random_seed` for
        behavior.
      dtype: Default data type, used if no `dtype` argument is provided when calling the
        initializer. Only floating point types are supported.
    """

    def __init__(self, seed=None, dtype=_dtypes.float32):
        super().__init__(scale=1.0, mode="fan_avg", distribution="uniform", seed=seed,
                         dtype=dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


class GlorotNormal(VarianceScaling):
    """The Glorot normal initializer, also called Xavier normal initializer.

    It draws samples from a truncated normal distribution centered on 0 with standard
    deviation (after truncation) given by `stddev = sqrt(2 / (fan_in + fan_out))` where
    `fan_in` is the number of input units in the weight tensor and `fan_out` is the number of
    output units in the weight tensor.

    Args:
      seed: A Python integer. Used to create random seeds. See `tf.set_random_seed` for
        behavior.
      dtype: Default data type, used if no `dtype` argument is provided when calling the
        initializer. Only floating point types are supported.
    """

    def __init__(self, seed=None, dtype=_dtypes.float32):
        super().__init__(scale=1.0, mode="fan_avg", distribution="truncated_normal", seed=seed,
                         dtype=dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


class Identity(Initializer):
    """Initializer that generates the identity matrix (`gain` times it).

    Only use for 2D matrices.

    Args:
      gain: Multiplicative factor to apply to the identity matrix.
      dtype: Default data type, used if no `dtype` argument is provided when calling the
        initializer. Only floating point types are supported.
    """

    def __init__(self, gain=1.0, dtype=_dtypes.float32):
        self.gain = gain
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        shape = _as_list(shape)
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices.")
        dtype = dtype or self.dtype
        return math_ops.multiply(array_ops.eye(shape[0], shape[1], dtype=dtype),
                                 constant(self.gain, dtype=dtype))

    def get_config(self):
        return {"gain": self.gain, "dtype": self.dtype.name}


def lecun_normal(seed=None):
    """LeCun normal initializer: a truncated normal with `stddev = sqrt(1 / fan_in)`."""
    return VarianceScaling(scale=1., mode="fan_in", distribution="truncated_normal", seed=seed)


def lecun_uniform(seed=None):
    """LeCun uniform initializer: uniform in [-limit, limit], `limit = sqrt(3 / fan_in)`."""
    return VarianceScaling(scale=1., mode="fan_in", distribution="uniform", seed=seed)


def he_normal(seed=None):
    """He normal initializer: a truncated normal with `stddev = sqrt(2 / fan_in)`."""
    return VarianceScaling(scale=2., mode="fan_in", distribution="truncated_normal", seed=seed)


def he_uniform(seed=None):
    """He uniform initializer: uniform in [-limit, limit], `limit = sqrt(6 / fan_in)`."""
    return VarianceScaling(scale=2., mode="fan_in", distribution="uniform", seed=seed)


# TF1's function-style names.
zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_uniform_initializer = RandomUniform
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal
identity_initializer = Identity
