"""`tf.debugging`: TF 1.13+'s home of the checks, aliases of their implementations. Add a name
here when it lands.

TF 1.15's tf.debugging has, and tensorlib lacks so far: assert_* (equal, greater, rank, shapes,
...), check_numerics, Assert.
"""
from tensorlib.ops.math_composites import is_finite, is_inf, is_nan  # noqa: F401
