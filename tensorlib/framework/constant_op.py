"""Constants and the conversion of Python and NumPy values to tensors."""
import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import indexed_slices, ops

# Python data gets TF1's default dtypes: float32 for floats, int32 for ints that fit.
_INT32_MIN, _INT32_MAX = -(2 ** 31), 2 ** 31 - 1


def _to_numpy(value, dtype):
    """`value` as a NumPy array of `dtype` (a DType or None: inferred as TF1 does)."""
    is_numpy = isinstance(value, (np.ndarray, np.generic))
    try:
        arr = np.asarray(value)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"Can't convert non-rectangular Python sequence to Tensor: {e}") from None
    if arr.dtype.kind in "US":
        arr = arr.astype(object)
    if arr.dtype.kind == "O":
        _check_no_huge_int(arr, value)
    if dtype is None:
        if arr.dtype.kind == "O":
            dtype = _dtypes.string
        elif not is_numpy and arr.dtype.kind == "f":
            dtype = _dtypes.float32
        elif not is_numpy and arr.dtype.kind in "iu":
            fits = arr.size == 0 or (arr.min() >= _INT32_MIN and arr.max() <= _INT32_MAX)
            dtype = _dtypes.int32 if fits else _dtypes.int64
        else:
            dtype = _dtypes.as_dtype(arr.dtype)
    if dtype == _dtypes.string:
        if arr.dtype.kind != "O":
            raise TypeError(f"Expected string, got {value!r} of type "
                            f"'{type(value).__name__}' instead.")
        return arr, dtype
    if arr.dtype.kind == "O" or (arr.dtype.kind == "c" and not dtype.is_complex):
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                        f"'{type(value).__name__}' instead.")
    if not dtype.is_numpy_compatible:
        raise TypeError(f"NumPy has no {dtype.name} values to make a constant of: make a "
                        f"float32 constant and tf.cast it to {dtype.name}")
    target = np.dtype(dtype.as_numpy_dtype)
    if arr.dtype != target:
        lossy = (arr.dtype.kind == "f" and target.kind in "iub") or \
                (arr.dtype.kind in "iu" and target.kind == "b")
        if lossy and not np.array_equal(arr.astype(target), arr):
            raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                            f"'{type(value).__name__}' instead.")
        if target.kind in "iu" and arr.dtype.kind in "iu" and arr.size and (
                arr.min() < np.iinfo(target).min or arr.max() > np.iinfo(target).max):
            raise TypeError(f"Value out of range for {dtype.name}: {value!r}")
        arr = arr.astype(target)
    return arr, dtype


def _check_no_huge_int(arr, value):
    """NumPy holds ints beyond int64 and uint64 as Python objects: say so, rather than call
    them strings."""
    for item in arr.reshape(-1):
        if isinstance(item, int) and not -2 ** 63 <= item < 2 ** 64:
            raise TypeError(f"Can't convert {value!r} to a tensor: the Python int {item} is out "
                            "of the range of every tensorlib integer dtype (int64 and uint64)")


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """A tensor holding `value` (a Python scalar or nested list, a NumPy array, bytes/str).

    `shape`, when given, reshapes a value of as many elements or fills it with a scalar.
    """
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    arr, dtype = _to_numpy(value, dtype)
    if shape is not None:
        shape = tuple(int(d) for d in ([shape] if np.isscalar(shape) else shape))
        if arr.shape != shape:
            if verify_shape:
                raise TypeError(f"Expected Tensor's shape: {shape}, got {arr.shape}.")
            if arr.size == 1:
                arr = np.full(shape, arr.reshape(()), dtype=arr.dtype)
            elif arr.size == int(np.prod(shape)):
                arr = arr.reshape(shape)
            else:
                raise ValueError(f"Cannot create a constant of shape {shape} from a value with "
                                 f"{arr.size} elements.")
    graph = ops.get_default_graph()
    return graph._create_op("Const", [], {"value": arr}, name=name).outputs[0]


ops.NotDifferentiable("Const")


def _holds_tensor(value):
    """Whether the (nested) list or tuple `value` holds a Tensor or a Variable."""
    if isinstance(value, (list, tuple)):
        return any(_holds_tensor(v) for v in value)
    return isinstance(value, ops.Tensor) or hasattr(value, "_as_graph_element")


def _first_tensor_dtype(value):
    for v in value:
        if isinstance(v, (list, tuple)):
            found = _first_tensor_dtype(v)
            if found is not None:
                return found
        elif _holds_tensor(v):
            return convert_to_tensor(v).dtype
    return None


def _autopack(value, dtype, name):
    """A list holding tensors (`[i, 2]`, `[[x, 0.], [0., x]]`) as one tensor, stacked as TF1
    packs it: its elements in the dtype of `dtype` or else of its first tensor."""
    from tensorlib.ops import array_ops  # array_ops builds on this module

    dtype = dtype or _first_tensor_dtype(value)

    def pack(v):
        if isinstance(v, (list, tuple)):
            return array_ops.stack([pack(e) for e in v])
        return convert_to_tensor(v, dtype=dtype)

    with ops.name_scope(name, "packed"):
        return pack(value)


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, dtype_hint=None):
    """`value` as a Tensor: Tensors pass through (dtype checked), Variables give their value,
    anything else becomes a constant; IndexedSlices are densified."""
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    if isinstance(value, indexed_slices.IndexedSlices):
        value = indexed_slices.to_dense(value, name=name)
    if hasattr(value, "_as_graph_element"):
        value = value._as_graph_element()
    if isinstance(value, ops.Tensor):
        if dtype is not None and value.dtype != dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor with "
                             f"dtype {value.dtype.name}: {value!r}")
        return value
    if isinstance(value, ops.Operation):
        raise TypeError(f"Can't convert Operation '{value.name}' to Tensor (target dtype="
                        f"{dtype}, name={name!r})")
    if isinstance(value, (list, tuple)) and _holds_tensor(value):
        return _autopack(value, dtype, name)
    hint = preferred_dtype or dtype_hint
    if dtype is None and hint is not None:
        try:
            return constant(value, dtype=hint, name=name or "Const")
        except (TypeError, ValueError):
            pass
    return constant(value, dtype=dtype, name=name or "Const")
