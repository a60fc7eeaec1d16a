"""Run-time checks: `tf.Assert`, the `tf.assert_*` family and `tf.check_numerics`.

An assertion is an op with no outputs: run it, or make the ops that need the check depend on
it (`with tf.control_dependencies([tf.assert_positive(x)]): ...`). When both operands are
constants the check happens at once, while the graph is built, as in TF1.
"""
import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib import errors
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops, control_flow_ops, math_ops


def Assert(condition, data, summarize=None, name=None):  # noqa: N802 (TF1's name)
    """Fails the run with InvalidArgumentError, showing the first `summarize` (default 3)
    entries of each tensor in `data`, when the scalar bool `condition` is false."""
    inputs = [convert_to_tensor(condition)] + [convert_to_tensor(d) for d in data]
    attrs = {"summarize": 3 if summarize is None else int(summarize)}
    return ops.apply_op("Assert", inputs, attrs, name=name or "Assert")


ops.NotDifferentiable("Assert")


def _static_value(t):
    return array_ops._constant_value(t)


def _summary(value, summarize):
    flat = np.asarray(value).reshape(-1)
    n = flat.size if summarize is None or summarize < 0 else min(flat.size, summarize)
    return " ".join(str(v) for v in flat[:n]) + ("..." if n < flat.size else "")


def _binary_assert(symbol, compare, numpy_compare, x, y, data, summarize, message, name,
                   default_name):
    with ops.name_scope(name, default_name, [x, y]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        if data is None:
            data = [f"Condition x {symbol} y did not hold element-wise:",
                    f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        if message is not None:
            data = [message] + list(data)
        x_static, y_static = _static_value(x), _static_value(y)
        if x_static is not None and y_static is not None:
            if not np.all(numpy_compare(x_static, y_static)):
                parts = [d if isinstance(d, str) else
                         _summary(_static_value(d) if isinstance(d, ops.Tensor) else d,
                                  summarize if summarize is not None else 3)
                         for d in data]
                raise errors.InvalidArgumentError(
                    None, None, "\n".join(str(p) for p in parts))
        return Assert(math_ops.reduce_all(compare(x, y)), data, summarize=summarize)


def _comparison(symbol, compare, numpy_compare, default_name, doc):
    def assert_(x, y, data=None, summarize=None, message=None, name=None):
        return _binary_assert(symbol, compare, numpy_compare, x, y, data, summarize, message,
                              name, default_name)
    assert_.__name__ = default_name
    assert_.__doc__ = doc
    return assert_


assert_equal = _comparison("==", math_ops.equal, np.equal, "assert_equal",
                           "Asserts that x == y holds element-wise (with broadcasting).")
assert_none_equal = _comparison("!=", math_ops.not_equal, np.not_equal, "assert_none_equal",
                                "Asserts that x != y holds element-wise.")
assert_less = _comparison("<", math_ops.less, np.less, "assert_less",
                          "Asserts that x < y holds element-wise.")
assert_less_equal = _comparison("<=", math_ops.less_equal, np.less_equal, "assert_less_equal",
                                "Asserts that x <= y holds element-wise.")
assert_greater = _comparison(">", math_ops.greater, np.greater, "assert_greater",
                             "Asserts that x > y holds element-wise.")
assert_greater_equal = _comparison(">=", math_ops.greater_equal, np.greater_equal,
                                   "assert_greater_equal",
                                   "Asserts that x >= y holds element-wise.")


def _sign_assert(symbol, compare_with_zero, default_name, doc):
    compare, numpy_compare = compare_with_zero

    def assert_(x, data=None, summarize=None, message=None, name=None):
        with ops.name_scope(name, default_name, [x]):
            x = convert_to_tensor(x, name="x")
            if data is None:
                data = [f"Condition x {symbol} 0 did not hold element-wise:",
                        f"x ({x.name}) = ", x]
            zero = np.zeros((), x.dtype.as_numpy_dtype)
            return _binary_assert(symbol, compare, numpy_compare, x, zero, data, summarize,
                                  message, None, default_name)
    assert_.__name__ = default_name
    assert_.__doc__ = doc
    return assert_


assert_positive = _sign_assert(">", (math_ops.greater, np.greater), "assert_positive",
                               "Asserts that x > 0 holds element-wise.")
assert_negative = _sign_assert("<", (math_ops.less, np.less), "assert_negative",
                               "Asserts that x < 0 holds element-wise.")
assert_non_negative = _sign_assert(">=", (math_ops.greater_equal, np.greater_equal),
                                   "assert_non_negative",
                                   "Asserts that x >= 0 holds element-wise.")
assert_non_positive = _sign_assert("<=", (math_ops.less_equal, np.less_equal),
                                   "assert_non_positive",
                                   "Asserts that x <= 0 holds element-wise.")


def assert_near(x, y, rtol=None, atol=None, data=None, summarize=None, message=None,
                name=None):
    """Asserts |x - y| <= atol + rtol * |y| element-wise (default tolerances: 10 machine
    epsilons of x's dtype)."""
    with ops.name_scope(name, "assert_near", [x, y]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        eps = np.finfo(x.dtype.as_numpy_dtype).eps
        rtol = 10 * eps if rtol is None else rtol
        atol = 10 * eps if atol is None else atol
        if data is None:
            data = ["x and y not equal to tolerance rtol = %s, atol = %s" % (rtol, atol),
                    f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        rtol_t = convert_to_tensor(rtol, dtype=x.dtype)
        atol_t = convert_to_tensor(atol, dtype=x.dtype)
        return _binary_assert(
            "~=", lambda a, b: math_ops.less_equal(math_ops.abs(a - b),
                                                   atol_t + rtol_t * math_ops.abs(b)),
            lambda a, b: np.abs(a - b) <= atol + rtol * np.abs(b),
            x, y, data, summarize, message, None, "assert_near")


def _static_rank_check(x, accept, requirement, message):
    """True when x's rank is known (raising ValueError when it fails the requirement)."""
    rank = x.shape.ndims
    if rank is None:
        return False
    if not accept(rank):
        raise ValueError(f"{message or ''}Tensor {x.name} must have rank {requirement}.  "
                         f"Received rank {rank}, shape {x.shape}")
    return True


def assert_rank(x, rank, data=None, summarize=None, message=None, name=None):
    """Asserts that `x` has rank `rank` (at once when its rank is known statically)."""
    with ops.name_scope(name, "assert_rank", [x]):
        x = convert_to_tensor(x, name="x")
        if _static_rank_check(x, lambda r: r == rank, rank, message):
            return control_flow_ops.no_op(name="static_checks_determined_all_ok")
        data = data if data is not None else [
            message or "", f"Tensor {x.name} must have rank", rank, "Received shape: ",
            array_ops.shape(x)]
        return Assert(math_ops.equal(array_ops.rank(x), rank), data, summarize=summarize)


def assert_rank_at_least(x, rank, data=None, summarize=None, message=None, name=None):
    """Asserts that `x` has rank `rank` or more."""
    with ops.name_scope(name, "assert_rank_at_least", [x]):
        x = convert_to_tensor(x, name="x")
        if _static_rank_check(x, lambda r: r >= rank, f"at least {rank}", message):
            return control_flow_ops.no_op(name="static_checks_determined_all_ok")
        data = data if data is not None else [
            message or "", f"Tensor {x.name} must have rank at least", rank,
            "Received shape: ", array_ops.shape(x)]
        return Assert(math_ops.greater_equal(array_ops.rank(x), rank), data,
                      summarize=summarize)


def assert_scalar(tensor, name=None, message=None):
    """`tensor` itself, after checking (statically) that it is a scalar."""
    with ops.name_scope(name, "assert_scalar", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.shape.ndims is None:
            raise ValueError(f"{message or ''}Expected scalar shape for {tensor.name}, "
                             f"saw unknown shape.")
        if tensor.shape.ndims != 0:
            raise ValueError(f"{message or ''}Expected scalar shape for {tensor.name}, "
                             f"saw shape: {tensor.shape}.")
        return tensor


def assert_type(tensor, tf_type, message=None, name=None):
    """Raises TypeError, while the graph is built, unless `tensor` has dtype `tf_type`."""
    tensor = convert_to_tensor(tensor)
    tf_type = _dtypes.as_dtype(tf_type)
    if tensor.dtype != tf_type:
        raise TypeError(f"{message or ''}{tensor.name} must be of type {tf_type!r}; "
                        f"got {tensor.dtype!r}")
    return control_flow_ops.no_op(name=name or "statically_determined_correct_type")


def assert_integer(x, message=None, name=None):
    """Raises TypeError, while the graph is built, unless `x` has an integer dtype."""
    x = convert_to_tensor(x)
    if not x.dtype.is_integer:
        raise TypeError(f"{message or ''}Expected integer type for {x.name}, got {x.dtype!r}")
    return control_flow_ops.no_op(name=name or "statically_determined_was_integer")


def is_numeric_tensor(tensor):
    """Whether `tensor` is a Tensor of a numeric dtype."""
    return isinstance(tensor, ops.Tensor) and tensor.dtype not in (_dtypes.string, _dtypes.bool)


def is_non_decreasing(x, name=None):
    """A bool scalar: whether the entries of `x`, flattened, never decrease."""
    with ops.name_scope(name, "is_non_decreasing", [x]):
        flat = array_ops.reshape(convert_to_tensor(x), [-1])
        return math_ops.reduce_all(math_ops.less_equal(flat[:-1], flat[1:]))


def is_strictly_increasing(x, name=None):
    """A bool scalar: whether the entries of `x`, flattened, always increase."""
    with ops.name_scope(name, "is_strictly_increasing", [x]):
        flat = array_ops.reshape(convert_to_tensor(x), [-1])
        return math_ops.reduce_all(math_ops.less(flat[:-1], flat[1:]))


def check_numerics(tensor, message, name=None):
    """`tensor` unchanged, failing the run with InvalidArgumentError ("<message> : Tensor had
    NaN values") when it holds a NaN or an infinity."""
    return ops.apply_op("CheckNumerics", [convert_to_tensor(tensor)], {"message": message},
                        name=name).outputs[0]


@ops.RegisterGradient("CheckNumerics")
def _check_numerics_grad(op, grad):
    return check_numerics(grad, "Not a number (NaN) or infinity (Inf) values detected in "
                          "gradient. " + op.get_attr("message"))


def verify_tensor_all_finite(t, msg, name=None):
    """TF1's name for check_numerics."""
    return check_numerics(t, msg, name=name)


def add_check_numerics_ops():
    """One op that checks every floating-point output of the default graph for NaN and Inf
    (each check names the op and output it looks at)."""
    graph = ops.get_default_graph()
    checks = []
    for op in graph.get_operations():
        for output in op.outputs:
            if output.dtype.is_floating and op.type != "CheckNumerics":
                with ops.control_dependencies(checks[-1:]):
                    checks.append(check_numerics(output, f"{op.name}:{output.value_index}"))
    return control_flow_ops.group(*checks)
