"""`tf.math`: TF 1.13+'s home of the math functions, aliases of the implementations in
tensorlib.ops. Add a name here when its implementation lands.

TF 1.15's tf.math has, and tensorlib lacks so far: accumulate_n, acos/acosh/asin/asinh/atan/
atan2/atanh, bessel_*, betainc, bincount, confusion_matrix,
cosh/sinh/tan, cumprod, cumulative_logsumexp, digamma,
erf/erfc, expm1, igamma/igammac, invert_permutation, lbeta, lgamma,
multiply_no_nan, nextafter, polygamma, polyval, reduce_euclidean_norm, rint,
scalar_mul, segment_* and unsorted_segment_max/min/mean/prod/sqrt_n, sobol_sample,
xdivy, xlogy, zero_fraction, zeta.
"""
from tensorlib.ops.array_ops import unsorted_segment_sum  # noqa: F401
from tensorlib.ops.math_composites import (  # noqa: F401
    divide_no_nan, is_finite, is_inf, is_nan, log_sigmoid, reciprocal,
    reduce_std, reduce_variance, truncatediv, truncatemod,
)
from tensorlib.ops.math_ops import (  # noqa: F401
    abs, add, add_n, angle, argmax, argmin, ceil, complex, conj, cos, count_nonzero, cumsum,
    divide, equal, exp, floor, floordiv, floormod, greater, greater_equal, imag, less,
    less_equal, log, log1p, logical_and, logical_not, logical_or, logical_xor, maximum, minimum,
    mod, multiply, negative, not_equal, pow, real, reduce_all, reduce_any, reduce_logsumexp,
    reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_sum, round, rsqrt, saturate_cast,
    sigmoid, sign, sin, sqrt, square, squared_difference, subtract, tanh, truediv,
)
from tensorlib.ops.nn_ops import (  # noqa: F401
    in_top_k, l2_normalize, log_softmax, softmax, softplus, top_k,
)
