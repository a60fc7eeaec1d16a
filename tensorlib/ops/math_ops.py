"""Math ops: arithmetic, matmul, reductions, comparison, logic, casts; and Tensor's operators."""
import builtins
import string

import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.framework.indexed_slices import IndexedSlices
from tensorlib.ops import array_ops


def _binary_inputs(x, y):
    """Converts a Python/NumPy operand to the dtype of the Tensor operand (as TF1 does)."""
    x_is_tensor = isinstance(x, ops.Tensor) or hasattr(x, "_as_graph_element")
    y_is_tensor = isinstance(y, ops.Tensor) or hasattr(y, "_as_graph_element")
    if x_is_tensor:
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype=None if y_is_tensor else x.dtype, name="y")
    elif y_is_tensor:
        y = convert_to_tensor(y)
        x = convert_to_tensor(x, dtype=y.dtype, name="x")
    else:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, dtype=x.dtype, name="y")
    return x, y


def _binary(op_type, x, y, name):
    if isinstance(x, ops.Tensor) and isinstance(y, ops.Tensor):
        return ops.apply_op(op_type, [x, y], name=name).outputs[0]
    # Constants made from Python operands live in the op's name scope ("add/y"), as in TF1,
    # so that they never take names the user gives to later ops.
    graph = ops.graph_for((x, y))
    with graph.name_scope(name or op_type) as scope:
        x, y = _binary_inputs(x, y)
        return ops.apply_op(op_type, [x, y], name=scope).outputs[0]


def _unary(op_type, x, name):
    return ops.apply_op(op_type, [convert_to_tensor(x)], name=name).outputs[0]


def add(x, y, name=None):
    """x + y elementwise, with NumPy broadcasting."""
    return _binary("Add", x, y, name)


def subtract(x, y, name=None):
    """x - y elementwise, with NumPy broadcasting."""
    return _binary("Sub", x, y, name)


@ops.RegisterGradient("Sub", reduces_broadcast=True)
def _sub_grad(op, grad):
    return grad, -grad


@ops.RegisterGradient("Add", reduces_broadcast=True)
def _add_grad(op, grad):
    return grad, grad


def multiply(x, y, name=None):
    """x * y elementwise, with NumPy broadcasting."""
    return _binary("Mul", x, y, name)


def _truediv_float(dtype):
    """The float dtype integer operands of `/` are cast to (TF1's rule): float32 for integers
    of 8 and 16 bits, float64 for wider ones; None for floats and complex numbers."""
    if not dtype.is_integer:
        return None
    return _dtypes.float32 if dtype.size <= 2 else _dtypes.float64


def truediv(x, y, name=None):
    """x / y elementwise; integer operands are first cast to a float (float32 for int8, int16,
    uint8 and uint16; float64 for wider integers), as TF1 does."""
    x, y = _binary_inputs(x, y)
    float_dtype = _truediv_float(x.dtype)
    if float_dtype is not None:
        x = cast(x, float_dtype)
        y = cast(y, float_dtype)
    return ops.apply_op("RealDiv", [x, y], name=name or "truediv").outputs[0]


@ops.RegisterGradient("RealDiv", reduces_broadcast=True)
def _real_div_grad(op, grad):
    x, y = op.inputs
    return grad / y, grad * (-x / y / y)


def divide(x, y, name=None):
    """x / y elementwise (Python 3 semantics: see truediv)."""
    return truediv(x, y, name=name)


def floordiv(x, y, name=None):
    """floor(x / y) elementwise (Python's //): integers round toward -inf, floats give
    floor(x / y). Integer division by zero is an InvalidArgumentError."""
    return _binary("FloorDiv", x, y, name or "floordiv")


floor_div = floordiv


ops.NotDifferentiable("FloorDiv")


def floormod(x, y, name=None):
    """x - floor(x / y) * y elementwise (Python's %): the result has y's sign."""
    return _binary("FloorMod", x, y, name)


@ops.RegisterGradient("FloorMod", reduces_broadcast=True)
def _floor_mod_grad(op, grad):
    x, y = op.inputs
    return grad, grad * -floordiv(x, y)


mod = floormod


def pow(x, y, name=None):  # noqa: A001
    """x ** y elementwise; integer x to a negative integer power is an InvalidArgumentError."""
    return _binary("Pow", x, y, name)


@ops.RegisterGradient("Pow", reduces_broadcast=True)
def _pow_grad(op, grad):
    x, y = op.inputs
    gx = grad * y * pow(x, y - 1)
    # log(x) is taken as 0 where x <= 0, so that x = 0 gives no false NaN.
    positive = greater(x, 0)
    log_x = where_v2(positive, log(where_v2(positive, x, 1)), 0)
    return gx, grad * op.outputs[0] * log_x


def maximum(x, y, name=None):
    """max(x, y) elementwise, with broadcasting; NaN wins."""
    return _binary("Maximum", x, y, name)


def minimum(x, y, name=None):
    """min(x, y) elementwise, with broadcasting; NaN wins."""
    return _binary("Minimum", x, y, name)


def _maximum_minimum_grad(op, grad, selector):
    """The gradient goes to x where selector(x, y) holds (ties included), else to y."""
    x_wins = selector(*op.inputs)
    return where_v2(x_wins, grad, 0), where_v2(x_wins, 0, grad)


@ops.RegisterGradient("Maximum", reduces_broadcast=True)
def _maximum_grad(op, grad):
    return _maximum_minimum_grad(op, grad, greater_equal)


@ops.RegisterGradient("Minimum", reduces_broadcast=True)
def _minimum_grad(op, grad):
    return _maximum_minimum_grad(op, grad, less_equal)


def squared_difference(x, y, name=None):
    """(x - y) * (x - y) elementwise, with broadcasting."""
    return _binary("SquaredDifference", x, y, name)


@ops.RegisterGradient("SquaredDifference", reduces_broadcast=True)
def _squared_difference_grad(op, grad):
    x, y = op.inputs
    gx = 2 * grad * (x - y)
    return gx, -gx


def negative(x, name=None):
    """-x elementwise."""
    return _unary("Neg", x, name)


@ops.RegisterGradient("Neg")
def _neg_grad(op, grad):
    return -grad


def abs(x, name=None):  # noqa: A001
    """|x| elementwise; the magnitude of complex numbers, as a float."""
    x = convert_to_tensor(x)
    if x.dtype.is_complex:
        return ops.apply_op("ComplexAbs", [x], {"Tout": x.dtype.real_dtype.as_datatype_enum},
                            name=name).outputs[0]
    return _unary("Abs", x, name)


@ops.RegisterGradient("Abs")
def _abs_grad(op, grad):
    return grad * sign(op.inputs[0])


def square(x, name=None):
    """x * x elementwise."""
    return _unary("Square", x, name)


@ops.RegisterGradient("Square")
def _square_grad(op, grad):
    return grad * (2 * op.inputs[0])


def sqrt(x, name=None):
    """Square root elementwise."""
    return _unary("Sqrt", x, name)


@ops.RegisterGradient("Sqrt")
def _sqrt_grad(op, grad):
    return grad * 0.5 / op.outputs[0]


def rsqrt(x, name=None):
    """1 / sqrt(x) elementwise."""
    return _unary("Rsqrt", x, name)


@ops.RegisterGradient("Rsqrt")
def _rsqrt_grad(op, grad):
    y = op.outputs[0]
    return grad * (-0.5 * y * y * y)


def log1p(x, name=None):
    """log(1 + x) elementwise, accurate for small x."""
    return _unary("Log1p", x, name)


@ops.RegisterGradient("Log1p")
def _log1p_grad(op, grad):
    return grad / (1 + op.inputs[0])


def sign(x, name=None):
    """-1, 0 or 1 elementwise by the sign of x (NaN stays NaN)."""
    return _unary("Sign", x, name)


@ops.RegisterGradient("Sign")
def _sign_grad(op, grad):
    return array_ops.zeros_like(op.inputs[0])


def floor(x, name=None):
    """The largest integer not greater than x, elementwise."""
    return _unary("Floor", x, name)


def ceil(x, name=None):
    """The smallest integer not less than x, elementwise."""
    return _unary("Ceil", x, name)


def round(x, name=None):  # noqa: A001
    """x rounded to the nearest integer elementwise; halves round to even (banker's)."""
    return _unary("Round", x, name)


# Piecewise constant: no gradient (None), as in TF1.
ops.NotDifferentiable("Floor")
ops.NotDifferentiable("Ceil")
ops.NotDifferentiable("Round")


def sin(x, name=None):
    """Sine elementwise."""
    return _unary("Sin", x, name)


@ops.RegisterGradient("Sin")
def _sin_grad(op, grad):
    return grad * cos(op.inputs[0])


def cos(x, name=None):
    """Cosine elementwise."""
    return _unary("Cos", x, name)


@ops.RegisterGradient("Cos")
def _cos_grad(op, grad):
    return -grad * sin(op.inputs[0])


def tanh(x, name=None):
    """Hyperbolic tangent elementwise."""
    return _unary("Tanh", x, name)


@ops.RegisterGradient("Tanh")
def _tanh_grad(op, grad):
    y = op.outputs[0]
    return grad * (1 - y * y)


def exp(x, name=None):
    """e ** x elementwise."""
    return _unary("Exp", x, name)


@ops.RegisterGradient("Exp")
def _exp_grad(op, grad):
    return grad * op.outputs[0]


def log(x, name=None):
    """Natural logarithm elementwise."""
    return _unary("Log", x, name)


@ops.RegisterGradient("Log")
def _log_grad(op, grad):
    return grad / op.inputs[0]


def sigmoid(x, name=None):
    """1 / (1 + exp(-x)) elementwise."""
    return _unary("Sigmoid", x, name)


@ops.RegisterGradient("Sigmoid")
def _sigmoid_grad(op, grad):
    y = op.outputs[0]
    return grad * (y * (1 - y))


def equal(x, y, name=None):
    """x == y elementwise (bool), with broadcasting."""
    return _binary("Equal", x, y, name)


def not_equal(x, y, name=None):
    """x != y elementwise (bool), with broadcasting."""
    return _binary("NotEqual", x, y, name)


def less(x, y, name=None):
    """x < y elementwise (bool), with broadcasting."""
    return _binary("Less", x, y, name)


def less_equal(x, y, name=None):
    """x <= y elementwise (bool), with broadcasting."""
    return _binary("LessEqual", x, y, name)


def greater(x, y, name=None):
    """x > y elementwise (bool), with broadcasting."""
    return _binary("Greater", x, y, name)


def greater_equal(x, y, name=None):
    """x >= y elementwise (bool), with broadcasting."""
    return _binary("GreaterEqual", x, y, name)


def logical_and(x, y, name=None):
    """x AND y elementwise on bool tensors, with broadcasting."""
    return _binary("LogicalAnd", x, y, name)


def logical_or(x, y, name=None):
    """x OR y elementwise on bool tensors, with broadcasting."""
    return _binary("LogicalOr", x, y, name)


def logical_not(x, name=None):
    """NOT x elementwise on a bool tensor."""
    return _unary("LogicalNot", x, name)


def logical_xor(x, y, name="LogicalXor"):
    """x XOR y elementwise on bool tensors: (x OR y) AND NOT (x AND y), as TF1 builds it."""
    with ops.name_scope(name) as scope:
        return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=scope)


for _op_type in ("Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
                 "LogicalAnd", "LogicalOr", "LogicalNot"):
    ops.NotDifferentiable(_op_type)


def add_n(inputs, name=None):
    """The elementwise sum of a list of tensors of one dtype and shape."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype "
                         "and shape")
    inputs = [convert_to_tensor(t) for t in inputs]
    return ops.apply_op("AddN", inputs, name=name).outputs[0]


@ops.RegisterGradient("AddN")
def _add_n_grad(op, grad):
    return [grad] * len(op.inputs)


def where(condition, x=None, y=None, name=None):
    """With x and y: elements of x where `condition` is true, else of y (TF1's Select: a 1-D
    condition may pick whole rows of x and y by their first dim). With neither: the int64
    coordinates [num_true, rank] of the true elements of `condition`."""
    if x is None or y is None:
        return where_v2(condition, x, y, name=name)
    condition = convert_to_tensor(condition, name="condition")
    x, y = _binary_inputs(x, y)
    rank_c, rank_x = condition.shape.ndims, x.shape.ndims
    if rank_c == 1 and rank_x is not None and rank_x > 1:
        condition = array_ops.reshape(condition, [-1] + [1] * (rank_x - 1))
    return where_v2(condition, x, y, name=name or "Select")


def where_v2(condition, x=None, y=None, name=None):
    """As `where`, with condition, x and y broadcast against each other (NumPy's where)."""
    condition = convert_to_tensor(condition, name="condition")
    if x is None and y is None:
        return ops.apply_op("Where", [condition], name=name).outputs[0]
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x, y = _binary_inputs(x, y)
    return ops.apply_op("SelectV2", [condition, x, y], name=name).outputs[0]


@ops.RegisterGradient("SelectV2", reduces_broadcast=True)
def _select_v2_grad(op, grad):
    condition = op.inputs[0]
    return None, where_v2(condition, grad, 0), where_v2(condition, 0, grad)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """t with values below clip_value_min raised to it and values above clip_value_max lowered
    to it: maximum(minimum(t, max), min), as TF1 composes it."""
    with ops.name_scope(name, "clip_by_value") as scope:
        t = convert_to_tensor(t, name="t")
        t_min = minimum(t, clip_value_max)
        result = maximum(t_min, clip_value_min, name=scope)
        if not t.shape.is_compatible_with(result.shape):
            raise ValueError(f"Clip bounds of shapes {t_min.shape} broadcast t of shape "
                             f"{t.shape} to {result.shape}")
        return result


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t scaled so that its L2 norm (over `axes`, all when None) is at most clip_norm:
    t * clip_norm / max(l2norm(t), clip_norm). An IndexedSlices is clipped by the norm of its
    values and stays an IndexedSlices, as in TF1."""
    with ops.name_scope(name, "clip_by_norm") as scope:
        sparse = isinstance(t, IndexedSlices)
        values = convert_to_tensor(t.values if sparse else t, name="t")
        l2sum = reduce_sum(values * values, axes, keepdims=True)
        # NOTE: the norm is taken only where it is positive, so a zero t gives a zero gradient.
        positive = greater(l2sum, 0)
        safe = where(positive, l2sum, l2sum * 0.0 + 1.0)
        norm = where(positive, sqrt(safe), l2sum)
        clip_norm = cast(clip_norm, values.dtype)
        clipped = truediv(values * clip_norm, maximum(norm, clip_norm),
                          name=None if sparse else scope)
        return IndexedSlices(clipped, t.indices, t.dense_shape) if sparse else clipped


def global_norm(t_list, name=None):
    """sqrt(sum of the squared L2 norms of the tensors of t_list); None entries are skipped
    and an IndexedSlices counts its values."""
    values = [convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t)
              for t in t_list if t is not None]
    if not values:
        raise ValueError("global_norm needs at least one tensor")
    with ops.name_scope(name, "global_norm") as scope:
        squares = [reduce_sum(v * v) for v in values]
        return sqrt(add_n(squares) if len(squares) > 1 else squares[0], name=scope)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor of t_list by clip_norm / max(global_norm, clip_norm), so that
    together their norm is at most clip_norm (TF1's gradient clipping). Returns
    (list_clipped, global_norm); None entries stay None, IndexedSlices stay IndexedSlices
    (their values scaled)."""
    if not isinstance(t_list, (list, tuple)):
        raise TypeError("t_list should be a sequence")
    t_list = list(t_list)
    with ops.name_scope(name, "clip_by_global_norm"):
        norm = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
        clip_norm = cast(clip_norm, norm.dtype)
        scale = clip_norm / maximum(norm, clip_norm)
        clipped = []
        for t in t_list:
            if isinstance(t, IndexedSlices):
                t = IndexedSlices(t.values * cast(scale, t.values.dtype), t.indices,
                                  t.dense_shape)
            elif t is not None:
                t = convert_to_tensor(t)
                t = t * cast(scale, t.dtype)
            clipped.append(t)
        return clipped, norm


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sums of x along `axis`; `exclusive` leaves out each element itself, `reverse`
    sums from the end."""
    x = convert_to_tensor(x, name="x")
    axis = convert_to_tensor(axis, name="axis")
    return ops.apply_op("Cumsum", [x, axis], {"exclusive": bool(exclusive),
                                              "reverse": bool(reverse)},
                        name=name).outputs[0]


@ops.RegisterGradient("Cumsum")
def _cumsum_grad(op, grad):
    return cumsum(grad, op.inputs[1], exclusive=op.get_attr("exclusive"),
                  reverse=not op.get_attr("reverse")), None


def cast(x, dtype, name=None):
    """x converted to `dtype` (float -> int truncates toward zero; x -> bool is x != 0)."""
    x = convert_to_tensor(x)
    dtype = _dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return ops.apply_op("Cast", [x], {"DstT": dtype.as_datatype_enum}, name=name).outputs[0]


def saturate_cast(value, dtype, name=None):
    """`value` cast to `dtype`, with values beyond dtype's range clipped to it first (complex
    values lose their imaginary part when dtype is real)."""
    with ops.name_scope(name or "saturate_cast") as scope:
        value = convert_to_tensor(value, name="value")
        dtype = _dtypes.as_dtype(dtype)
        if value.dtype.is_complex and not dtype.is_complex:
            value = real(value)
        source = value.dtype
        if (dtype.is_integer or dtype.is_floating) and (source.is_integer or source.is_floating):
            if source.min < dtype.min:
                value = maximum(value, _bound_in(dtype.min, source))
            if source.max > dtype.max:
                value = minimum(value, _bound_in(dtype.max, source))
        return cast(value, dtype, name=scope)


def _bound_in(bound, dtype):
    """A constant of `dtype` holding the value nearest to `bound` that is not beyond it."""
    value = np.asarray(bound).astype(dtype.as_numpy_dtype)
    if builtins.abs(int(value)) > builtins.abs(bound):  # rounded away from 0 (int32's max in
        value = np.nextafter(value, value.dtype.type(0))  # float32): the next float toward 0
    return convert_to_tensor(value, name="bound")


def complex(real, imag, name=None):  # noqa: A001 (TF1's name)
    """real + imag * 1j elementwise, with broadcasting: float32 parts make complex64, float64
    parts complex128."""
    real, imag = _binary_inputs(real, imag)
    if real.dtype not in (_dtypes.float32, _dtypes.float64):
        raise TypeError(f"tf.complex takes float32 or float64 parts, got {real.dtype.name}")
    out = _dtypes.complex64 if real.dtype == _dtypes.float32 else _dtypes.complex128
    return ops.apply_op("Complex", [real, imag], {"Tout": out.as_datatype_enum},
                        name=name).outputs[0]


def _complex_part(op_type, x, name, of_real):
    """Op `op_type` on a complex x, giving its real dtype; of_real(x) for a real x."""
    x = convert_to_tensor(x, name="input")
    if not x.dtype.is_complex:
        return of_real(x)
    return ops.apply_op(op_type, [x], {"Tout": x.dtype.real_dtype.as_datatype_enum},
                        name=name).outputs[0]


def real(input, name=None):  # noqa: A002 (TF1's name)
    """The real parts of complex numbers (a real tensor is returned as it is)."""
    return _complex_part("Real", input, name, lambda x: x)


def imag(input, name=None):  # noqa: A002
    """The imaginary parts of complex numbers (zeros for a real tensor)."""
    return _complex_part("Imag", input, name,
                         lambda x: array_ops.zeros_like(x, name=name or "Imag"))


def angle(input, name=None):  # noqa: A002
    """The arguments of complex numbers, in (-pi, pi] (for a real tensor: pi where it is
    negative, else 0)."""
    return _complex_part("Angle", input, name, lambda x: where_v2(
        less(x, array_ops.zeros_like(x)), convert_to_tensor(np.pi, dtype=x.dtype, name="pi"),
        array_ops.zeros_like(x), name=name or "Angle"))


def conj(x, name=None):
    """The complex conjugates of x (a real tensor is returned as it is)."""
    x = convert_to_tensor(x, name="x")
    if not x.dtype.is_complex:
        return x
    return _unary("Conj", x, name)


# The complex-part ops have no gradients here (complex tensors are not differentiated).
for _op_type in ("Complex", "Real", "Imag", "Angle", "Conj", "ComplexAbs"):
    ops.NotDifferentiable(_op_type)


@ops.RegisterGradient("Cast")
def _cast_grad(op, grad):
    source = op.inputs[0].dtype
    if source.is_floating and grad.dtype.is_floating:
        return cast(grad, source)
    return None


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, name=None):
    """Matrix product of `a` and `b`; rank > 2 operands are batches (broadcast batch dims)."""
    a, b = _binary_inputs(a, b)
    transpose_a = transpose_a or adjoint_a
    transpose_b = transpose_b or adjoint_b
    ranks = (a.shape.ndims, b.shape.ndims)
    if ranks == (2, 2):
        return ops.apply_op("MatMul", [a, b], {"transpose_a": transpose_a,
                                               "transpose_b": transpose_b},
                            name=name).outputs[0]
    return ops.apply_op("BatchMatMulV2", [a, b], {"adj_x": transpose_a, "adj_y": transpose_b},
                        name=name or "MatMul").outputs[0]


@ops.RegisterGradient("MatMul")
def _matmul_grad(op, grad):
    a, b = op.inputs
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    if not ta and not tb:
        return matmul(grad, b, transpose_b=True), matmul(a, grad, transpose_a=True)
    if not ta:
        return matmul(grad, b), matmul(grad, a, transpose_a=True)
    if not tb:
        return matmul(b, grad, transpose_b=True), matmul(a, grad)
    return (matmul(b, grad, transpose_a=True, transpose_b=True),
            matmul(grad, a, transpose_a=True, transpose_b=True))


# The gradients have the broadcast batch dims; the driver sums them down to each input's.
@ops.RegisterGradient("BatchMatMulV2", reduces_broadcast=True)
def _batch_matmul_v2_grad(op, grad):
    x, y = op.inputs
    adj_x, adj_y = op.get_attr("adj_x"), op.get_attr("adj_y")
    if not adj_x and not adj_y:
        return matmul(grad, y, adjoint_b=True), matmul(x, grad, adjoint_a=True)
    if not adj_x:
        return matmul(grad, y), matmul(grad, x, adjoint_a=True)
    if not adj_y:
        return matmul(y, grad, adjoint_b=True), matmul(x, grad)
    return (matmul(y, grad, adjoint_a=True, adjoint_b=True),
            matmul(grad, x, adjoint_a=True, adjoint_b=True))


def _dims(x):
    """x's dims (rank known): Python ints where statically known, scalar int32 tensors read
    from tf.shape(x) elsewhere."""
    static = x.shape.as_list()
    if None not in static:
        return static
    shape = array_ops.shape(x)
    return [shape[i] if d is None else d for i, d in enumerate(static)]


def _product(dims):
    """The product of dims from _dims: an int when all are known, else a scalar tensor."""
    known = int(np.prod([d for d in dims if not isinstance(d, ops.Tensor)], dtype=np.int64))
    unknown = [d for d in dims if isinstance(d, ops.Tensor)]
    if not unknown:
        return known
    result = unknown[0]
    for d in unknown[1:]:
        result = multiply(result, d)
    return result if known == 1 else multiply(result, known)


def _reshape(x, dims, name=None):
    """x reshaped to dims from _dims/_product; the static shape keeps the known ones."""
    if x.shape.as_list() == dims:
        return x if name is None else array_ops.identity(x, name=name)
    if not any(isinstance(d, ops.Tensor) for d in dims):
        return array_ops.reshape(x, dims, name=name)
    result = array_ops.reshape(x, array_ops.stack(dims), name=name)
    result.set_shape([None if isinstance(d, ops.Tensor) else d for d in dims])
    return result


def _transposed(x, perm):
    """x with its dims permuted by perm (x itself when perm is the identity)."""
    if list(perm) == list(range(len(perm))):
        return x
    return array_ops.transpose(x, list(perm))


def _contract(a, batch_a, free_a, sum_a, b, batch_b, free_b, sum_b):
    """The batch matrix product of a and b over the axes sum_a of a and sum_b of b (paired in
    order), with the batch axes batch_a and batch_b (paired, of equal sizes) leading the result,
    then a's free axes free_a and b's free_b, in the orders given. Each operand is
    transposed only when its axes are not already in [batch, rows, cols] or [batch, cols,
    rows] order; matmul transposes the latter itself."""
    dims_a, dims_b = _dims(a), _dims(b)

    def as_batch_matrix(x, dims, batch, first, second):
        """(x as [batch dims..., prod(first), prod(second)], False); or, when x's axes lie in
        the order batch + second + first, (x as [batch dims..., prod(second), prod(first)],
        True): matmul then transposes it."""
        for rows, cols, flag in ((first, second, False), (second, first, True)):
            if batch + rows + cols == list(range(len(dims))):
                break
        else:
            rows, cols, flag = first, second, False
            x = _transposed(x, batch + rows + cols)
        shape = [dims[i] for i in batch] + [_product([dims[i] for i in rows]),
                                            _product([dims[i] for i in cols])]
        return _reshape(x, shape), flag

    ma, trans_a = as_batch_matrix(a, dims_a, batch_a, free_a, sum_a)
    mb, trans_b = as_batch_matrix(b, dims_b, batch_b, sum_b, free_b)
    product = matmul(ma, mb, transpose_a=trans_a, transpose_b=trans_b)
    return _reshape(product, [dims_a[i] for i in batch_a + free_a] +
                    [dims_b[j] for j in free_b])


def tensordot(a, b, axes, name=None):
    """Tensor contraction of a and b along specified axes and outer product.

    Sums the products of the elements of `a` and `b` over the axes `axes`: an int N (the last
    N axes of `a` with the first N of `b`) or a pair of equally long axis lists (`a`'s
    axes[0][i] with `b`'s axes[1][i]). The result has `a`'s other axes, then `b`'s, in order.
    Dims may be unknown until the graph runs; the ranks must be known.

    Args:
      a: `Tensor` of type `float32` or `float64`.
      b: `Tensor` with the same type as `a`.
      axes: Either a scalar `N`, or a pair of axis lists (or of single axes) of equal length.
      name: A name for the operation (optional).

    Returns:
      A `Tensor` with the same type as `a`.

    Raises:
      ValueError: If the shapes of `a`, `b`, and `axes` are incompatible.
    """
    with ops.name_scope(name, "Tensordot", [a, b, axes]) as scope:
        a, b = _binary_inputs(a, b)
        ra, rb = a.shape.ndims, b.shape.ndims
        if ra is None or rb is None:
            raise ValueError("tensordot needs the ranks of a and b to be known")
        if isinstance(axes, (int, np.integer)):
            if axes < 0 or axes > builtins.min(ra, rb):
                raise ValueError(f"'axes' must be at most the rank of a and b, got {axes}")
            axes_a, axes_b = list(range(ra - axes, ra)), list(range(axes))
        else:
            if isinstance(axes, ops.Tensor) or len(axes) != 2:
                raise ValueError("'axes' must be an int or a pair of axis lists")
            axes_a, axes_b = ([axes[0]] if np.isscalar(axes[0]) else list(axes[0]),
                              [axes[1]] if np.isscalar(axes[1]) else list(axes[1]))
            if len(axes_a) != len(axes_b):
                raise ValueError(f"Different number of contraction axes 'a' and 'b', "
                                 f"{len(axes_a)} != {len(axes_b)}.")
            for axs, rank, which in ((axes_a, ra, "a"), (axes_b, rb, "b")):
                for i in axs:
                    if not -rank <= int(i) < rank:
                        raise ValueError(f"Axis {int(i)} of {which} is out of range for rank "
                                         f"{rank}")
            axes_a = [int(i) % ra for i in axes_a]
            axes_b = [int(i) % rb for i in axes_b]
            if len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
                raise ValueError(f"tensordot: repeated axes in {axes}")
            # Contracting in a's axis order leaves a untransposed whenever that is possible.
            pairs = sorted(zip(axes_a, axes_b))
            axes_a, axes_b = [p[0] for p in pairs], [p[1] for p in pairs]
        dims_a, dims_b = a.shape.as_list(), b.shape.as_list()
        for i, j in zip(axes_a, axes_b):
            if dims_a[i] is not None and dims_b[j] is not None and dims_a[i] != dims_b[j]:
                raise ValueError(f"Dimension {i} of a ({dims_a[i]}) and dimension {j} of b "
                                 f"({dims_b[j]}) must be equal to contract them")
        free_a = [i for i in range(ra) if i not in axes_a]
        free_b = [j for j in range(rb) if j not in axes_b]
        return array_ops.identity(_contract(a, [], free_a, axes_a, b, [], free_b, axes_b),
                                  name=scope)


def _einsum_parse(equation, num_inputs):
    equation = equation.replace(" ", "")
    if "..." in equation:
        raise ValueError(f"einsum: ellipses are not supported: {equation!r}")
    if equation.count("->") > 1:
        raise ValueError(f"einsum: equation {equation!r} has more than one '->'")
    if "->" in equation:
        lhs, out = equation.split("->")
    else:
        lhs = equation
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = lhs.split(",")
    if len(terms) != num_inputs:
        raise ValueError(f"einsum: equation {equation!r} names {len(terms)} operands, "
                         f"got {num_inputs}")
    for term in terms + [out]:
        if not all(c in string.ascii_letters for c in term):
            raise ValueError(f"einsum: invalid subscripts in {equation!r}")
    for term in terms:
        if len(set(term)) != len(term):
            raise ValueError(f"einsum: a subscript repeated within one operand (a trace or a "
                             f"diagonal) is not supported: {equation!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"einsum: output subscripts repeat in {equation!r}")
    for c in out:
        if not any(c in t for t in terms):
            raise ValueError(f"einsum: output subscript {c!r} is in no input: {equation!r}")
    return terms, out


def _einsum_sum_out(x, term, keep):
    """x (subscripts `term`) summed over the subscripts not in `keep`."""
    axes = [i for i, c in enumerate(term) if c not in keep]
    if not axes:
        return x, term
    return reduce_sum(x, axis=axes), "".join(c for c in term if c in keep)


def _einsum_pair(a, ta, b, tb, keep):
    """The einsum of a (subscripts ta) and b (tb) keeping the subscripts in `keep`, and its
    subscripts: the shared kept ones (batch), then a's own, then b's own."""
    a, ta = _einsum_sum_out(a, ta, keep + tb)
    b, tb = _einsum_sum_out(b, tb, keep + ta)
    batch = [c for c in ta if c in tb and c in keep]
    summed = [c for c in ta if c in tb and c not in keep]
    own_a = [c for c in ta if c not in tb]
    own_b = [c for c in tb if c not in ta]
    term = "".join(batch + own_a + own_b)
    if not summed:
        # A broadcast product: both operands laid out as `term`, size 1 where they lack one.
        a = _transposed(a, [ta.index(c) for c in batch + own_a])
        b = _transposed(b, [tb.index(c) for c in batch + own_b])
        if own_b:
            a = _reshape(a, _dims(a) + [1] * len(own_b))
        if own_a:
            dims_b = _dims(b)
            b = _reshape(b, dims_b[:len(batch)] + [1] * len(own_a) + dims_b[len(batch):])
        return multiply(a, b), term
    return _contract(a, [ta.index(c) for c in batch], [ta.index(c) for c in own_a],
                     [ta.index(c) for c in summed], b, [tb.index(c) for c in batch],
                     [tb.index(c) for c in own_b], [tb.index(c) for c in summed]), term


def einsum(equation, *inputs, **kwargs):
    """A generalized contraction between tensors of arbitrary dimension.

    Sums of products of the inputs' elements as the subscripts of `equation` describe, e.g.
    'ij,jk->ik' (matmul), 'bij,bkj->bik' (batch matmul with b transposed), 'ij->ji'
    (transpose), 'ijk->k' (a sum), 'i,j->ij' (outer product), 'ij,ij->' (a dot product).
    Without '->' the output has the subscripts that appear once, in alphabetical order. The
    operands are combined two at a time, from the left. Not supported: ellipses ('...') and
    a subscript repeated within one operand (a trace or a diagonal, 'ii->i'); both raise a
    ValueError.

    Args:
      equation: a `str` describing the contraction.
      *inputs: the inputs to contract (each one a `Tensor`), whose shapes should be
        consistent with `equation`.
      name: A name for the operation (optional).

    Returns:
      The contracted `Tensor`, with shape determined by `equation`.

    Raises:
      ValueError: If the format of `equation` is incorrect, or the number of inputs or their
        shapes are inconsistent with `equation`.
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"Invalid keyword arguments for einsum: {', '.join(kwargs)}")
    if not inputs:
        raise ValueError("einsum: at least one operand is needed")
    terms, out = _einsum_parse(equation, len(inputs))
    with ops.name_scope(name, "einsum", inputs) as scope:
        if len(inputs) == 2:
            tensors = list(_binary_inputs(*inputs))
        else:
            tensors = [convert_to_tensor(x) for x in inputs]
        sizes = {}
        for t, x in zip(terms, tensors):
            if x.shape.ndims is None:
                raise ValueError(f"einsum needs the rank of {x.name} to be known")
            if x.shape.ndims != len(t):
                raise ValueError(f"einsum: subscripts {t!r} do not match the rank of "
                                 f"{x.name} ({x.shape})")
            for c, d in zip(t, x.shape.as_list()):
                if d is not None and sizes.setdefault(c, d) != d:
                    raise ValueError(f"einsum: subscript {c!r} has size {sizes[c]} in one "
                                     f"operand and {d} in another in {equation!r}")
        x, term = tensors[0], terms[0]
        for k in range(1, len(tensors)):
            keep = out + "".join(terms[k + 1:])
            x, term = _einsum_pair(x, term, tensors[k], terms[k], keep)
        x, term = _einsum_sum_out(x, term, out)
        if term != out:
            return array_ops.transpose(x, [term.index(c) for c in out], name=scope)
        return array_ops.identity(x, name=scope)


def _reduction_axes(x, axis, reduction_indices):
    if axis is not None and reduction_indices is not None:
        raise ValueError("Cannot specify both 'axis' and 'reduction_indices'.")
    axis = reduction_indices if axis is None else axis
    if axis is None:
        rank = x.shape.ndims
        if rank is None:  # every axis, counted when the graph runs (as TF1 does)
            return array_ops.range(0, array_ops.rank(x), name="reduction_indices")
        return convert_to_tensor(np.arange(rank, dtype=np.int32), name="Const")
    if isinstance(axis, (list, tuple)) and not axis:
        axis = np.zeros([0], np.int32)  # no axes: an int32 list (not float32, as [] would be)
    return convert_to_tensor(axis, name="reduction_indices")


def _keepdims(keepdims, keep_dims):
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'.")
    return bool(keepdims if keepdims is not None else keep_dims)


def _reduce(op_type, input_tensor, axis, keepdims, name, reduction_indices, keep_dims):
    x = convert_to_tensor(input_tensor)
    axes = _reduction_axes(x, axis, reduction_indices)
    return ops.apply_op(op_type, [x, axes], {"keep_dims": _keepdims(keepdims, keep_dims)},
                        name=name).outputs[0]


def reduce_sum(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Sum over `axis` (all axes when None); `keepdims` keeps reduced axes with size 1."""
    return _reduce("Sum", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def _constant_value(t):
    """The value of `t` when a Const op makes it, else None."""
    return t.op.get_attr("value") if t.op.type == "Const" else None


def _reduced_axes(x, axes):
    """The set of x's axes that `axes` names, when x's rank and `axes` are known while
    building; else None."""
    rank = x.shape.ndims
    value = _constant_value(axes)
    if rank is None or value is None:
        return None
    return {int(a) % rank for a in np.ravel(value)} if rank else set()


def _restore_reduced_dims(t, op):
    """t, the result of reduction op `op` (input x, axes) or its gradient, with the reduced
    dims of x put back as size-1 dims where broadcasting against x needs them."""
    if op.get_attr("keep_dims"):
        return t
    x, axes = op.inputs
    reduced = _reduced_axes(x, axes)
    if reduced is not None:
        if reduced == set(range(len(reduced))):
            return t  # leading dims: broadcasting puts them back
        return _reshape(t, [1 if i in reduced else d for i, d in enumerate(_dims(x))])
    shape = array_ops.shape(x)
    rank = array_ops.size(shape)
    axes = floormod(array_ops.reshape(cast(axes, _dtypes.int32), [-1]), rank)
    hits = reduce_sum(array_ops.one_hot(axes, rank, dtype=_dtypes.int32), 0)
    return array_ops.reshape(t, where_v2(greater(hits, 0), 1, shape))


def _broadcast_to_input(grad, op):
    """The gradient of reduction op `op` (input x, axes) spread over x: grad with the reduced
    dims restored, broadcast to x's shape."""
    x = op.inputs[0]
    grad = _restore_reduced_dims(grad, op)
    if x.shape.is_fully_defined():
        if grad.shape.as_list() == x.shape.as_list():
            return grad
        out = array_ops.broadcast_to(grad, x.shape.as_list())
    else:
        out = array_ops.broadcast_to(grad, array_ops.shape(x))
    out.set_shape(x.shape)
    return out


@ops.RegisterGradient("Sum")
def _sum_grad(op, grad):
    return _broadcast_to_input(grad, op), None


def reduce_mean(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                keep_dims=None):
    """Mean over `axis` (all axes when None); integer means truncate, as in TF1."""
    return _reduce("Mean", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


@ops.RegisterGradient("Mean")
def _mean_grad(op, grad):
    x_size, y_size = op.inputs[0].shape.num_elements(), op.outputs[0].shape.num_elements()
    if x_size is not None and y_size is not None:
        factor = convert_to_tensor(np.asarray(x_size // builtins.max(y_size, 1),
                                              grad.dtype.as_numpy_dtype))
    else:
        x_size = array_ops.size(op.inputs[0]) if x_size is None else x_size
        y_size = (maximum(array_ops.size(op.outputs[0]), 1) if y_size is None
                  else builtins.max(y_size, 1))
        factor = cast(floordiv(x_size, y_size), grad.dtype)
    return _broadcast_to_input(truediv(grad, factor), op), None


def reduce_max(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Maximum over `axis` (all axes when None); over no elements, -inf (the lowest integer)."""
    return _reduce("Max", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_min(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Minimum over `axis` (all axes when None); over no elements, inf (the highest integer)."""
    return _reduce("Min", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def _min_or_max_grad(op, grad):
    """The gradient goes to the elements equal to the result, split evenly among ties."""
    x, axes = op.inputs
    y, grad = _restore_reduced_dims(op.outputs[0], op), _restore_reduced_dims(grad, op)
    selected = cast(equal(y, x), grad.dtype)
    count = reduce_sum(selected, axes, keepdims=True)
    return selected / count * grad, None


@ops.RegisterGradient("Max")
def _max_grad(op, grad):
    return _min_or_max_grad(op, grad)


@ops.RegisterGradient("Min")
def _min_grad(op, grad):
    return _min_or_max_grad(op, grad)


def reduce_prod(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                keep_dims=None):
    """Product over `axis` (all axes when None); over no elements, 1."""
    return _reduce("Prod", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


@ops.RegisterGradient("Prod")
def _prod_grad(op, grad):
    # d prod / d x_i is the product of the other elements: prod / x_i without zeros; with
    # one zero, the product of the rest at the zero and 0 elsewhere; with more, 0.
    x, axes = op.inputs
    nonzero = not_equal(x, 0)
    safe_x = where_v2(nonzero, x, 1)
    rest = reduce_prod(safe_x, axes, keepdims=True)
    zeros = reduce_sum(cast(logical_not(nonzero), x.dtype), axes, keepdims=True)
    others = where_v2(nonzero, where_v2(equal(zeros, 0), rest / safe_x, 0),
                      where_v2(equal(zeros, 1), rest, 0))
    return _broadcast_to_input(grad, op) * others, None


def reduce_any(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Logical OR of a bool tensor over `axis` (all axes when None)."""
    return _reduce("Any", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_all(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Logical AND of a bool tensor over `axis` (all axes when None)."""
    return _reduce("All", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


ops.NotDifferentiable("Any")
ops.NotDifferentiable("All")


@ops.RegisterGradient("SumToShape")
def _sum_to_shape_grad(op, grad):
    x = op.inputs[0]
    out = array_ops.broadcast_to(grad, array_ops.shape(x))
    out.set_shape(x.shape)
    return out, None


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None,
                     reduction_indices=None, keep_dims=None):
    """log(sum(exp(x))) over `axis`, computed as TF1 does: the (finite) maximum is taken out
    first, so large inputs do not overflow."""
    keepdims = _keepdims(keepdims, keep_dims)
    with ops.name_scope(name, "ReduceLogSumExp") as scope:
        x = convert_to_tensor(input_tensor)
        axes = _reduction_axes(x, axis, reduction_indices)
        raw_max = ops.apply_op("Max", [x, axes], {"keep_dims": True}).outputs[0]
        finite = equal(raw_max - raw_max, 0)  # false for inf and NaN
        # The maximum cancels out of the result: gradients do not flow through it (as in TF1).
        my_max = array_ops.stop_gradient(
            where_v2(finite, raw_max, np.zeros((), x.dtype.as_numpy_dtype)))
        summed = ops.apply_op("Sum", [exp(x - my_max), axes], {"keep_dims": True}).outputs[0]
        result = add(log(summed), my_max, name=None if not keepdims else scope)
        if keepdims:
            return result
        # Summing over the (size-1) reduced axes drops them.
        return ops.apply_op("Sum", [result, axes], {"keep_dims": False},
                            name=scope).outputs[0]


def count_nonzero(input_tensor=None, axis=None, keepdims=None, dtype=_dtypes.int64, name=None,
                  reduction_indices=None, keep_dims=None, input=None):  # noqa: A002
    """The number of non-zero elements over `axis` (all axes when None), as `dtype`."""
    if input is not None:
        if input_tensor is not None:
            raise ValueError("Cannot specify both 'input' and 'input_tensor'.")
        input_tensor = input
    with ops.name_scope(name, "count_nonzero") as scope:
        x = convert_to_tensor(input_tensor)
        zero = array_ops.zeros([], x.dtype)
        counts = reduce_sum(cast(not_equal(x, zero), _dtypes.int64), axis=axis,
                            keepdims=keepdims, reduction_indices=reduction_indices,
                            keep_dims=keep_dims)
        return cast(counts, dtype, name=scope)


def _norm_axis(axis, ord):  # noqa: A002
    """Checks norm's `axis` and `ord` as TF1 does; returns (axis as a tuple or None, whether
    the norm is a matrix norm)."""
    matrix = isinstance(axis, (tuple, list)) and len(axis) == 2
    if matrix:
        axis = tuple(axis)
        if not all(isinstance(a, int) for a in axis) or axis[0] == axis[1]:
            raise ValueError("'axis' must be None, an integer, or a tuple of 2 unique "
                             f"integers, got {axis}")
        if not (ord in ("euclidean", "fro") if isinstance(ord, str) else ord in (1, np.inf)):
            raise ValueError(f"'ord' must be a supported matrix norm in "
                             f"['euclidean', 'fro', 1, inf], got {ord}")
        return axis, True
    if not (axis is None or isinstance(axis, int)):
        raise ValueError("'axis' must be None, an integer, or a tuple of 2 unique integers, "
                         f"got {axis}")
    if isinstance(ord, str) and ord != "euclidean" or (
            not isinstance(ord, str) and not (np.isreal(ord) and ord > 0)):
        raise ValueError("'ord' must be a supported vector norm, got " + repr(ord))
    return (None if axis is None else (axis,)), False


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None,  # noqa: A002
         keep_dims=None):
    """The vector norm of `tensor` over `axis` (all elements when None), or its matrix norm
    over a pair of axes: ord 'euclidean'/'fro' (square root of the sum of squares), 1 (for
    matrices the largest column sum of |x|), np.inf (the largest |x|; for matrices the largest
    row sum) or a positive p (the p-norm of vectors)."""
    keepdims = _keepdims(keepdims, keep_dims)
    axis, matrix = _norm_axis(axis, ord)
    with ops.name_scope(name, "norm") as scope:
        x = convert_to_tensor(tensor)
        if isinstance(ord, str) or ord == 2:
            result = sqrt(reduce_sum(x * x, axis, keepdims=True))
        elif ord == 1:
            result = reduce_sum(abs(x), None if axis is None else axis[0], keepdims=True)
            if matrix:
                result = reduce_max(result, axis[1], keepdims=True)
        elif ord == np.inf:
            if matrix:
                result = reduce_max(reduce_sum(abs(x), axis[1], keepdims=True), axis[0],
                                    keepdims=True)
            else:
                result = reduce_max(abs(x), axis, keepdims=True)
        else:
            p = array_ops.constant(ord, x.dtype)
            result = pow(reduce_sum(pow(abs(x), p), axis, keepdims=True), 1.0 / p)
        if keepdims:
            return array_ops.identity(result, name=scope)
        return array_ops.squeeze(result, axis, name=scope)


def _arg_reduce(op_type, input, axis, name, dimension, output_type):  # noqa: A002
    if axis is not None and dimension is not None:
        raise ValueError("Cannot specify both 'axis' and 'dimension'.")
    axis = dimension if axis is None else axis
    x = convert_to_tensor(input)
    axis = convert_to_tensor(0 if axis is None else axis, name="dimension")
    return ops.apply_op(op_type, [x, axis],
                        {"output_type": _dtypes.as_dtype(output_type).as_datatype_enum},
                        name=name).outputs[0]


def argmax(input, axis=None, name=None, dimension=None, output_type=_dtypes.int64):  # noqa: A002
    """Index of the largest value along `axis` (default 0); ties give the first index."""
    return _arg_reduce("ArgMax", input, axis, name, dimension, output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type=_dtypes.int64):  # noqa: A002
    """Index of the smallest value along `axis` (default 0); ties give the first index."""
    return _arg_reduce("ArgMin", input, axis, name, dimension, output_type)


arg_max = argmax
arg_min = argmin

ops.NotDifferentiable("ArgMax")
ops.NotDifferentiable("ArgMin")


def _override_operators():
    """Python operators on Tensors, named as TF1 names them (x + y makes 'add')."""
    override = ops.Tensor._override_operator

    def binary(operator, fn, op_name):
        override(f"__{operator}__", lambda self, other: fn(self, other, name=op_name))
        override(f"__r{operator}__", lambda self, other: fn(other, self, name=op_name))

    binary("add", add, "add")
    binary("sub", subtract, "sub")
    binary("mul", multiply, "mul")
    binary("truediv", truediv, "truediv")
    binary("matmul", matmul, "matmul")
    binary("floordiv", floordiv, "floordiv")
    binary("mod", floormod, "mod")
    binary("pow", pow, "pow")
    binary("and", logical_and, "and")
    binary("or", logical_or, "or")
    binary("xor", logical_xor, "xor")
    # Comparisons take their op's default name.
    override("__lt__", lambda self, other: less(self, other))
    override("__le__", lambda self, other: less_equal(self, other))
    override("__gt__", lambda self, other: greater(self, other))
    override("__ge__", lambda self, other: greater_equal(self, other))
    override("__neg__", lambda self: negative(self, name="neg"))
    override("__abs__", lambda self: abs(self, name="Abs"))
    override("__invert__", lambda self: logical_not(self, name="LogicalNot"))


_override_operators()


@ops.RegisterGradient("Mul", reduces_broadcast=True)
def _mul_grad(op, grad):
    x, y = op.inputs
    return grad * y, grad * x
