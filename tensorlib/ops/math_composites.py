"""TF1 math functions composed in Python from math_ops' primitives: the casts by name
(`tf.to_float`, ...), Python 2 and C division (`tf.div`, `tf.truncatediv`, ...), the
floating-point tests (`tf.is_nan`, ...), the moments `tf.math.reduce_variance` and
`reduce_std`, and `tf.math.divide_no_nan`. Their gradients
come from the primitives they are made of."""
from tensorlib import dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops, math_ops, nn_ops


def to_float(x, name="ToFloat"):
    """x cast to float32."""
    return math_ops.cast(x, dtypes.float32, name=name)


def to_double(x, name="ToDouble"):
    """x cast to float64."""
    return math_ops.cast(x, dtypes.float64, name=name)


def to_int32(x, name="ToInt32"):
    """x cast to int32 (floats truncate toward zero)."""
    return math_ops.cast(x, dtypes.int32, name=name)


def to_int64(x, name="ToInt64"):
    """x cast to int64 (floats truncate toward zero)."""
    return math_ops.cast(x, dtypes.int64, name=name)


def realdiv(x, y, name=None):
    """x / y elementwise for floating-point x and y (TF1's RealDiv has no integer kernel).

    Raises:
      TypeError: for non-floating operands.
    """
    x, y = math_ops._binary_inputs(x, y)
    if not x.dtype.is_floating:
        raise TypeError(f"realdiv needs floating-point operands, got {x.dtype.name}; use "
                        "tf.truediv or tf.floordiv for integers.")
    return math_ops.truediv(x, y, name=name or "RealDiv")


def div(x, y, name=None):
    """x / y with Python 2's semantics: integers floor-divide, floats divide exactly."""
    with ops.name_scope(name, "div", [x, y]) as name:
        x, y = math_ops._binary_inputs(x, y)
        if x.dtype.is_floating:
            return math_ops.truediv(x, y, name=name)
        return math_ops.floordiv(x, y, name=name)


def _truncate_quotient(x, y):
    """floor(x / y) moved one toward zero where the division is inexact and the operands'
    signs differ: the quotient rounded toward zero."""
    quotient = math_ops.floordiv(x, y)
    inexact = math_ops.not_equal(math_ops.floormod(x, y), 0)
    signs_differ = math_ops.not_equal(math_ops.less(x, 0), math_ops.less(y, 0))
    step = math_ops.cast(math_ops.logical_and(inexact, signs_differ), x.dtype)
    return quotient + step


def truncatediv(x, y, name=None):
    """x / y for integers, rounded toward zero (C's division: -7 / 2 == -3).

    Raises:
      TypeError: for non-integer operands.
    """
    with ops.name_scope(name, "TruncateDiv", [x, y]) as name:
        x, y = math_ops._binary_inputs(x, y)
        if not x.dtype.is_integer:
            raise TypeError(f"truncatediv needs integer operands, got {x.dtype.name}.")
        return array_ops.identity(_truncate_quotient(x, y), name=name)


def truncatemod(x, y, name=None):
    """x - y * truncate(x / y): the remainder has x's sign (C's % and fmod)."""
    with ops.name_scope(name, "TruncateMod", [x, y]) as name:
        x, y = math_ops._binary_inputs(x, y)
        floor_mod = math_ops.floormod(x, y)
        # Python's % gives y's sign; where that differs from x's (and the result is not 0),
        # C's remainder is one y less.
        fix = math_ops.logical_and(
            math_ops.not_equal(floor_mod, 0),
            math_ops.not_equal(math_ops.less(x, 0), math_ops.less(y, 0)))
        return math_ops.where(fix, floor_mod - y, floor_mod, name=name)


def reciprocal(x, name=None):
    """1 / x elementwise; integers divide as C does (1 / 2 == 0)."""
    with ops.name_scope(name, "Reciprocal", [x]) as name:
        x = convert_to_tensor(x, name="x")
        one = array_ops.ones_like(x)
        if x.dtype.is_integer:
            return array_ops.identity(_truncate_quotient(one, x), name=name)
        return math_ops.truediv(one, x, name=name)


def log_sigmoid(x, name=None):
    """log(1 / (1 + exp(-x))), computed as -softplus(-x) so that it neither overflows nor
    loses precision for large |x|."""
    with ops.name_scope(name, "LogSigmoid", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return math_ops.negative(nn_ops.softplus(-x), name=name)


def _floating_input(x, function):
    """x as a tensor, which must be floating-point: TF1 defines `function` for floats only.

    Raises:
      TypeError: for a non-floating x.
    """
    x = convert_to_tensor(x, name="x")
    if not x.dtype.is_floating:
        raise TypeError(f"{function} needs a floating-point input, got {x.dtype.name}.")
    return x


def is_nan(x, name=None):
    """Whether each element of x is NaN (the one value unequal to itself)."""
    with ops.name_scope(name, "IsNan", [x]) as name:
        x = _floating_input(x, "is_nan")
        return math_ops.not_equal(x, x, name=name)


def is_inf(x, name=None):
    """Whether each element of x is +inf or -inf."""
    with ops.name_scope(name, "IsInf", [x]) as name:
        x = _floating_input(x, "is_inf")
        return math_ops.equal(math_ops.abs(x), float("inf"), name=name)


def is_finite(x, name=None):
    """Whether each element of x is neither infinite nor NaN (NaN < inf is false)."""
    with ops.name_scope(name, "IsFinite", [x]) as name:
        x = _floating_input(x, "is_finite")
        return math_ops.less(math_ops.abs(x), float("inf"), name=name)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """The population variance mean((x - mean(x))^2) over `axis` (all axes when None)."""
    with ops.name_scope(name, "reduce_variance", [input_tensor]) as name:
        x = _floating_input(input_tensor, "reduce_variance")
        mean = math_ops.reduce_mean(x, axis=axis, keepdims=True)
        return math_ops.reduce_mean(math_ops.squared_difference(x, mean), axis=axis,
                                    keepdims=keepdims, name=name)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """The population standard deviation: the square root of reduce_variance."""
    with ops.name_scope(name, "reduce_std", [input_tensor]) as name:
        variance = reduce_variance(input_tensor, axis=axis, keepdims=keepdims)
        return math_ops.sqrt(variance, name=name)


def divide_no_nan(x, y, name=None):
    """x / y, and 0 wherever y is 0 (even where x is 0 or not finite)."""
    with ops.name_scope(name, "div_no_nan", [x, y]) as name:
        x, y = math_ops._binary_inputs(x, y)
        if not x.dtype.is_floating:
            raise TypeError(f"divide_no_nan needs floating-point operands, got {x.dtype.name}.")
        zero = math_ops.equal(y, 0)
        safe_y = math_ops.where_v2(zero, array_ops.ones_like(y), y)
        quotient = math_ops.truediv(x, safe_y)
        return math_ops.where_v2(zero, array_ops.zeros_like(quotient), quotient, name=name)
