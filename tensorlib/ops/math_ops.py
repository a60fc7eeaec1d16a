"""Math ops: arithmetic, matmul, reductions, comparison, casts; and Tensor's operators."""
import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor


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
    x, y = _binary_inputs(x, y)
    return ops.apply_op(op_type, [x, y], name=name).outputs[0]


def _unary(op_type, x, name):
    return ops.apply_op(op_type, [convert_to_tensor(x)], name=name).outputs[0]


def add(x, y, name=None):
    """x + y elementwise, with NumPy broadcasting."""
    return _binary("Add", x, y, name)


def subtract(x, y, name=None):
    """x - y elementwise, with NumPy broadcasting."""
    return _binary("Sub", x, y, name)


def multiply(x, y, name=None):
    """x * y elementwise, with NumPy broadcasting."""
    return _binary("Mul", x, y, name)


def truediv(x, y, name=None):
    """x / y elementwise; integer operands are first cast to float64 (TF1's rule)."""
    x, y = _binary_inputs(x, y)
    if x.dtype.is_integer:
        x = cast(x, _dtypes.float64)
        y = cast(y, _dtypes.float64)
    return ops.apply_op("RealDiv", [x, y], name=name or "truediv").outputs[0]


def divide(x, y, name=None):
    """x / y elementwise (Python 3 semantics: see truediv)."""
    return truediv(x, y, name=name)


def negative(x, name=None):
    """-x elementwise."""
    return _unary("Neg", x, name)


def exp(x, name=None):
    """e ** x elementwise."""
    return _unary("Exp", x, name)


def log(x, name=None):
    """Natural logarithm elementwise."""
    return _unary("Log", x, name)


def sigmoid(x, name=None):
    """1 / (1 + exp(-x)) elementwise."""
    return _unary("Sigmoid", x, name)


def equal(x, y, name=None):
    """x == y elementwise (bool), with broadcasting."""
    return _binary("Equal", x, y, name)


def cast(x, dtype, name=None):
    """x converted to `dtype` (float -> int truncates toward zero; x -> bool is x != 0)."""
    x = convert_to_tensor(x)
    dtype = _dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return ops.apply_op("Cast", [x], {"DstT": dtype.as_datatype_enum}, name=name).outputs[0]


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


def _reduction_axes(x, axis, reduction_indices):
    if axis is not None and reduction_indices is not None:
        raise ValueError("Cannot specify both 'axis' and 'reduction_indices'.")
    axis = reduction_indices if axis is None else axis
    if axis is None:
        rank = x.shape.ndims
        if rank is None:
            raise ValueError(f"Reducing all axes of {x.name} needs its rank to be known; "
                             "give `axis` explicitly")
        return convert_to_tensor(np.arange(rank, dtype=np.int32), name="Const")
    return convert_to_tensor(axis, name="reduction_indices")


def _keepdims(keepdims, keep_dims):
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'.")
    return bool(keepdims if keepdims is not None else keep_dims)


def reduce_sum(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Sum over `axis` (all axes when None); `keepdims` keeps reduced axes with size 1."""
    x = convert_to_tensor(input_tensor)
    axes = _reduction_axes(x, axis, reduction_indices)
    return ops.apply_op("Sum", [x, axes], {"keep_dims": _keepdims(keepdims, keep_dims)},
                        name=name).outputs[0]


def reduce_mean(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                keep_dims=None):
    """Mean over `axis` (all axes when None); integer means truncate, as in TF1."""
    x = convert_to_tensor(input_tensor)
    axes = _reduction_axes(x, axis, reduction_indices)
    return ops.apply_op("Mean", [x, axes], {"keep_dims": _keepdims(keepdims, keep_dims)},
                        name=name).outputs[0]


def argmax(input, axis=None, name=None, dimension=None, output_type=_dtypes.int64):  # noqa: A002
    """Index of the largest value along `axis` (default 0); ties give the first index."""
    if axis is not None and dimension is not None:
        raise ValueError("Cannot specify both 'axis' and 'dimension'.")
    axis = dimension if axis is None else axis
    x = convert_to_tensor(input)
    axis = convert_to_tensor(0 if axis is None else axis, name="dimension")
    return ops.apply_op("ArgMax", [x, axis],
                        {"output_type": _dtypes.as_dtype(output_type).as_datatype_enum},
                        name=name).outputs[0]


arg_max = argmax


def _override_operators():
    """Python operators on Tensors, named as TF1 names them (x + y makes 'add')."""
    T = ops.Tensor

    def binary(fn, op_name):
        def forward(self, other):
            return fn(self, other, name=op_name)

        def reverse(self, other):
            return fn(other, self, name=op_name)

        return forward, reverse

    T.__add__, T.__radd__ = binary(add, "add")
    T.__sub__, T.__rsub__ = binary(subtract, "sub")
    T.__mul__, T.__rmul__ = binary(multiply, "mul")
    T.__truediv__, T.__rtruediv__ = binary(truediv, "truediv")
    T.__matmul__, T.__rmatmul__ = binary(matmul, "matmul")
    T.__neg__ = lambda self: negative(self, name="neg")


_override_operators()
