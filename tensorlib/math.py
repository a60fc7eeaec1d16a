"""tf.math: TF1's namespace of elementwise math, reductions and complex-number functions (the
same functions as at top level)."""
from tensorlib.ops.math_ops import (  # noqa: F401
    abs, add, add_n, angle, argmax, argmin, ceil, complex, conj, cos, cumsum, divide, equal, exp,
    floor, floordiv, floormod, greater, greater_equal, imag, less, less_equal, log, log1p,
    logical_and, logical_not, logical_or, logical_xor, maximum, minimum, mod, multiply, negative,
    not_equal, pow, real, reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean,
    reduce_min, reduce_prod, reduce_sum, round, rsqrt, sigmoid, sign, sin, sqrt, square,
    squared_difference, subtract, tanh, truediv,
)
