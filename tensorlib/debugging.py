"""`tf.debugging`: TF 1.13+'s home of the checks, aliases of their implementations. Add a name
here when it lands.

TF 1.15's tf.debugging has, and tensorlib lacks so far: assert_proper_iterable,
assert_rank_in, assert_same_float_dtype, assert_shapes, set_log_device_placement.
"""
from tensorlib.ops.check_ops import (  # noqa: F401
    Assert, assert_equal, assert_greater, assert_greater_equal, assert_integer, assert_less,
    assert_less_equal, assert_near, assert_negative, assert_non_negative, assert_non_positive,
    assert_none_equal, assert_positive, assert_rank, assert_rank_at_least, assert_scalar,
    assert_type, check_numerics, is_non_decreasing, is_numeric_tensor, is_strictly_increasing,
)
from tensorlib.ops.check_ops import verify_tensor_all_finite as assert_all_finite  # noqa: F401
from tensorlib.ops.math_composites import is_finite, is_inf, is_nan  # noqa: F401
