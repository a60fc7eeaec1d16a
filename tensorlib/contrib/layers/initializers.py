"""contrib.layers' initializers: `variance_scaling_initializer` with contrib's own signature
and formulas (not tf.variance_scaling_initializer's), and the Xavier (Glorot) initializers
built on it."""
import math

from tensorlib import dtypes
from tensorlib.ops import random_ops
from tensorlib.ops.init_ops import _compute_fans

_MODES = ("FAN_IN", "FAN_OUT", "FAN_AVG")


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None,
                                 dtype=dtypes.float32):
    """An initializer drawing weights with variance factor / n, n being the fan-in, fan-out
    or their mean (`mode`): uniform in [-sqrt(3 factor / n), sqrt(3 factor / n)], or
    else a normal truncated at two standard deviations with stddev sqrt(1.3 factor / n).
    The defaults are He et al.'s initialization for ReLU networks.

    Raises:
      TypeError: for a mode other than FAN_IN, FAN_OUT, FAN_AVG, or a non-floating dtype.
    """
    if mode not in _MODES:
        raise TypeError(f"Unknown mode {mode!r}: expected one of {', '.join(_MODES)}")
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")

    def _initializer(shape, dtype=dtype, partition_info=None):
        dtype = dtypes.as_dtype(dtype)
        if not dtype.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        shape = [int(d) for d in shape]
        fan_in, fan_out = (float(f) for f in _compute_fans(shape))
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return random_ops.random_uniform(shape, -limit, limit, dtype, seed=seed)
        stddev = math.sqrt(1.3 * factor / n)
        return random_ops.truncated_normal(shape, 0.0, stddev, dtype, seed=seed)

    return _initializer


def xavier_initializer(uniform=True, seed=None, dtype=dtypes.float32):
    """Glorot and Bengio's initializer: variance 1 / mean(fan_in, fan_out), uniform or
    truncated normal."""
    return variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform, seed=seed,
                                        dtype=dtype)


xavier_initializer_conv2d = xavier_initializer
