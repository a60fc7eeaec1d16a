"""Array ops: placeholders, reshapes, fills."""
import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops, tensor_shape
from tensorlib.framework.constant_op import constant, convert_to_tensor


def placeholder(dtype, shape=None, name=None):
    """A tensor whose value must be fed to Session.run. `shape` may hold None (or -1) for
    dims of any size, or be None for any shape."""
    dtype = _dtypes.as_dtype(dtype)
    if shape is not None:
        shape = tensor_shape.as_shape(
            [None if (d is not None and not isinstance(d, tensor_shape.Dimension) and d == -1)
             else d for d in ([shape] if np.isscalar(shape) else shape)])
    dims = None if shape is None else tensor_shape.as_shape(shape).as_tuple()
    return ops.get_default_graph()._create_op(
        "Placeholder", [], {"dtype": dtype.as_datatype_enum, "shape": dims},
        name=name).outputs[0]


def _shape_tensor(shape):
    """A 1-D int32 tensor from a list/tuple/TensorShape/Tensor giving a shape."""
    if isinstance(shape, tensor_shape.TensorShape):
        shape = shape.as_list()
    if isinstance(shape, ops.Tensor) or hasattr(shape, "_as_graph_element"):
        return convert_to_tensor(shape)
    dims = np.asarray(shape)
    if dims.dtype.kind not in "iu" and dims.size:
        raise TypeError(f"A shape must hold integers, got {shape!r}")
    return constant(dims.astype(np.int32).reshape(-1), name="shape")


def reshape(tensor, shape, name=None):
    """`tensor` with the same elements in `shape` (one dim may be -1). No data is copied."""
    return ops.apply_op("Reshape", [convert_to_tensor(tensor), _shape_tensor(shape)],
                        name=name).outputs[0]


def identity(input, name=None):  # noqa: A002
    """The same value as `input` (no copy)."""
    if hasattr(input, "_as_graph_element"):
        input = input._as_graph_element()
    return ops.apply_op("Identity", [convert_to_tensor(input)], name=name).outputs[0]


def fill(dims, value, name=None):
    """A tensor of shape `dims` filled with the scalar `value`."""
    value = convert_to_tensor(value)
    return ops.apply_op("Fill", [_shape_tensor(dims), value], name=name).outputs[0]


def _filled(shape, dtype, scalar, name):
    dtype = _dtypes.as_dtype(dtype)
    with ops.name_scope(name, "zeros" if scalar == 0 else "ones") as scope:
        value = constant(np.asarray(scalar).astype(dtype.as_numpy_dtype), name="Const")
        return ops.apply_op("Fill", [_shape_tensor(shape), value], name=scope).outputs[0]


def zeros(shape, dtype=_dtypes.float32, name=None):
    """A tensor of `shape` filled with zeros."""
    return _filled(shape, dtype, 0, name)


def ones(shape, dtype=_dtypes.float32, name=None):
    """A tensor of `shape` filled with ones."""
    return _filled(shape, dtype, 1, name)
