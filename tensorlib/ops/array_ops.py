"""Array ops: shapes, placeholders, reshapes, fills, slicing and indexing (Tensor.__getitem__),
joining and cutting, reordering, padding, gathering."""
import builtins
import collections

import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops, tensor_shape
from tensorlib.framework.constant_op import constant, convert_to_tensor
from tensorlib.framework.indexed_slices import IndexedSlices


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


ops.NotDifferentiable("Placeholder")


def _shape_tensor(shape):
    """A 1-D int32 tensor from a list/tuple/TensorShape/Tensor giving a shape."""
    if isinstance(shape, tensor_shape.TensorShape):
        shape = shape.as_list()
    if isinstance(shape, ops.Tensor) or hasattr(shape, "_as_graph_element"):
        return convert_to_tensor(shape)
    if isinstance(shape, (list, tuple)) and _contains_tensor(shape):
        return _pack_indices(list(shape), "shape")  # [batch, 3] with batch a scalar tensor
    dims = np.asarray(shape)
    if dims.dtype.kind not in "iu" and dims.size:
        raise TypeError(f"A shape must hold integers, got {shape!r}")
    # int32 as TF1 makes it, unless a dim needs more (then the op can reject it by size).
    fits = not dims.size or (dims.min() >= np.iinfo(np.int32).min and
                             dims.max() <= np.iinfo(np.int32).max)
    return constant(dims.astype(np.int32 if fits else np.int64).reshape(-1), name="shape")


def reshape(tensor, shape, name=None):
    """`tensor` with the same elements in `shape` (one dim may be -1). No data is copied."""
    return ops.apply_op("Reshape", [convert_to_tensor(tensor), _shape_tensor(shape)],
                        name=name).outputs[0]


@ops.RegisterGradient("Reshape")
def _reshape_grad(op, grad):
    return reshape(grad, shape(op.inputs[0])), None


def identity(input, name=None):  # noqa: A002
    """The same value as `input` (no copy)."""
    if hasattr(input, "_as_graph_element"):
        input = input._as_graph_element()
    return ops.apply_op("Identity", [convert_to_tensor(input)], name=name).outputs[0]


@ops.RegisterGradient("Identity")
def _identity_grad(op, grad):
    return grad


def stop_gradient(input, name=None):  # noqa: A002
    """The same value as `input`, but gradients() treats it as a constant."""
    if hasattr(input, "_as_graph_element"):
        input = input._as_graph_element()
    return ops.apply_op("StopGradient", [convert_to_tensor(input)], name=name).outputs[0]


ops.NotDifferentiable("StopGradient")


def fill(dims, value, name=None):
    """A tensor of shape `dims` filled with the scalar `value`."""
    value = convert_to_tensor(value)
    return ops.apply_op("Fill", [_shape_tensor(dims), value], name=name).outputs[0]


@ops.RegisterGradient("Fill")
def _fill_grad(op, grad):
    from tensorlib.ops import math_ops
    return None, math_ops.reduce_sum(grad)


def _filled(shape, dtype, scalar, name):
    dtype = _dtypes.as_dtype(dtype)
    with ops.name_scope(name, "zeros" if scalar == 0 else "ones") as scope:
        value = constant(scalar, dtype=dtype, name="Const")
        return ops.apply_op("Fill", [_shape_tensor(shape), value], name=scope).outputs[0]


def zeros(shape, dtype=_dtypes.float32, name=None):
    """A tensor of `shape` filled with zeros."""
    return _filled(shape, dtype, 0, name)


def ones(shape, dtype=_dtypes.float32, name=None):
    """A tensor of `shape` filled with ones."""
    return _filled(shape, dtype, 1, name)


def _is_tensor(x):
    return isinstance(x, ops.Tensor) or hasattr(x, "_as_graph_element")


def _contains_tensor(values):
    if _is_tensor(values):
        return True
    return isinstance(values, (list, tuple)) and any(
        _contains_tensor(v) for v in values)


def _int_input(value, name):
    """An int32/int64 tensor from a Python/NumPy value or a tensor (axes, indices, sizes)."""
    if isinstance(value, tensor_shape.Dimension):
        value = value.value
    if not _is_tensor(value) and np.size(value) == 0:
        return constant(np.zeros(np.shape(value), np.int32), name=name)  # [] is int32, not float
    return convert_to_tensor(value, name=name)


def _attr(op, name, default):
    """Attribute `name` of `op`, or `default` when the op was made without it."""
    try:
        return op.get_attr(name)
    except ValueError:
        return default


def _constant_value(t):
    """The value of `t` as a NumPy array when a Const op makes it, else None."""
    return np.asarray(t.op.get_attr("value")) if t.op.type == "Const" else None


# ---- shapes ------------------------------------------------------------------------------

def _holds(out_type, values):
    """True when integer dtype `out_type` can hold every one of `values` (else the Shape or
    Size op is left to run, and fails there as in TF1: naming the op and the value)."""
    return (out_type.is_integer
            and max(values, default=0) <= np.iinfo(out_type.as_numpy_dtype).max)


def shape(input, name=None, out_type=_dtypes.int32):  # noqa: A002
    """The shape of `input` as a 1-D integer tensor (a constant when statically known)."""
    x = convert_to_tensor(input)
    out_type = _dtypes.as_dtype(out_type)
    static = x.shape
    if static.is_fully_defined() and _holds(out_type, static.as_list()):
        return constant(np.asarray(static.as_list(), out_type.as_numpy_dtype).reshape(-1),
                        name=name or "Shape")
    return ops.apply_op("Shape", [x], {"out_type": out_type.as_datatype_enum},
                        name=name).outputs[0]


def size(input, name=None, out_type=_dtypes.int32):  # noqa: A002
    """The number of elements of `input` as a scalar (a constant when statically known)."""
    x = convert_to_tensor(input)
    out_type = _dtypes.as_dtype(out_type)
    if x.shape.is_fully_defined() and _holds(out_type, [x.shape.num_elements()]):
        return constant(np.asarray(x.shape.num_elements(), out_type.as_numpy_dtype),
                        name=name or "Size")
    return ops.apply_op("Size", [x], {"out_type": out_type.as_datatype_enum},
                        name=name).outputs[0]


def rank(input, name=None):  # noqa: A002
    """The number of dimensions of `input` as an int32 scalar (a constant when known)."""
    x = convert_to_tensor(input)
    if x.shape.ndims is not None:
        return constant(np.int32(x.shape.ndims), name=name or "Rank")
    return ops.apply_op("Rank", [x], name=name).outputs[0]


ops.NotDifferentiable("Shape")
ops.NotDifferentiable("Size")
ops.NotDifferentiable("Rank")


def expand_dims(input, axis=None, name=None, dim=None):  # noqa: A002
    """`input` with a dimension of size 1 inserted at `axis` (no copy)."""
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'.")
        axis = dim
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    return ops.apply_op("ExpandDims", [convert_to_tensor(input), _int_input(axis, "dim")],
                        name=name).outputs[0]


@ops.RegisterGradient("ExpandDims")
def _expand_dims_grad(op, grad):
    return reshape(grad, shape(op.inputs[0])), None


def squeeze(input, axis=None, name=None, squeeze_dims=None):  # noqa: A002
    """`input` without the size-1 dimensions listed in `axis` (all of them when None)."""
    if squeeze_dims is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'squeeze_dims' and 'axis'")
        axis = squeeze_dims
    if np.isscalar(axis):
        axis = [axis]
    return ops.apply_op("Squeeze", [convert_to_tensor(input)],
                        {"squeeze_dims": [int(a) for a in (axis or [])]}, name=name).outputs[0]


@ops.RegisterGradient("Squeeze")
def _squeeze_grad(op, grad):
    return reshape(grad, shape(op.inputs[0]))


def placeholder_with_default(input, shape, name=None):  # noqa: A002
    """A tensor that takes `input`'s value unless another value is fed for it; `shape` may
    be less specific than `input`'s shape (None dims)."""
    x = convert_to_tensor(input)
    shape = tensor_shape.as_shape(shape)
    return ops.apply_op("PlaceholderWithDefault", [x],
                        {"dtype": x.dtype.as_datatype_enum, "shape": shape.as_tuple()},
                        name=name).outputs[0]


@ops.RegisterGradient("PlaceholderWithDefault")
def _placeholder_with_default_grad(op, grad):
    return grad


# ---- creation ----------------------------------------------------------------------------

def _filled_like(tensor, dtype, scalar, name, default_name):
    x = convert_to_tensor(tensor)
    dtype = x.dtype if dtype is None else _dtypes.as_dtype(dtype)
    with ops.name_scope(name, default_name) as scope:
        if x.shape.is_fully_defined():
            return _filled(x.shape.as_list(), dtype, scalar, scope)
        value = constant(scalar, dtype=dtype, name="Const")
        out = ops.apply_op("Fill", [shape(x), value], name=scope).outputs[0]
        out.set_shape(x.shape)
        return out


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    """Zeros with the shape of `tensor` (and its dtype unless `dtype` is given)."""
    return _filled_like(tensor, dtype, 0, name, "zeros_like")


def ones_like(tensor, dtype=None, name=None, optimize=True):
    """Ones with the shape of `tensor` (and its dtype unless `dtype` is given)."""
    return _filled_like(tensor, dtype, 1, name, "ones_like")


_RANGE_DTYPES = [_dtypes.int32, _dtypes.int64, _dtypes.float32, _dtypes.float64]


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001
    """[start, start + delta, ...) up to but excluding `limit`; range(n) is [0, n)."""
    from tensorlib.ops import math_ops
    if limit is None:
        start, limit = 0, start
    with ops.name_scope(name, "Range") as scope:
        args = [convert_to_tensor(v, dtype=dtype, name=n)
                for v, n in ((start, "start"), (limit, "limit"), (delta, "delta"))]
        if dtype is None:
            for a in args:
                if a.dtype not in _RANGE_DTYPES:
                    raise TypeError(f"range does not support dtype {a.dtype.name}")
            dtype = max((a.dtype for a in args), key=_RANGE_DTYPES.index)
        args = [math_ops.cast(a, dtype) for a in args]
        return ops.apply_op("Range", args, name=scope).outputs[0]


ops.NotDifferentiable("Range")


def linspace(start, stop, num, name=None):
    """`num` evenly spaced values from `start` to `stop`, both included."""
    with ops.name_scope(name, "LinSpace") as scope:
        start = convert_to_tensor(start, name="start")
        stop = convert_to_tensor(stop, dtype=start.dtype, name="stop")
        return ops.apply_op("LinSpace", [start, stop, _int_input(num, "num")],
                            name=scope).outputs[0]


ops.NotDifferentiable("LinSpace")


lin_space = linspace


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dtypes.float32, name=None):
    """The identity matrix [num_rows, num_columns] (square by default), optionally repeated
    over `batch_shape` leading dims."""
    with ops.name_scope(name, "eye") as scope:
        columns = num_rows if num_columns is None else num_columns
        matrix = one_hot(range(num_rows), columns, dtype=dtype,
                         name=None if batch_shape else scope)
        if not batch_shape:
            return matrix
        batch = [int(b) for b in batch_shape]
        matrix = reshape(matrix, [1] * len(batch) + [num_rows, columns])
        return tile(matrix, batch + [1, 1], name=scope)


# ---- reordering and copying --------------------------------------------------------------

def transpose(a, perm=None, name="transpose", conjugate=False):
    """`a` with its dims permuted: output dim i is input dim perm[i]; the default reverses
    the dims."""
    with ops.name_scope(name, "transpose") as scope:
        a = convert_to_tensor(a, name="a")
        if perm is None:
            ndims = a.shape.ndims
            if ndims is not None:
                perm = constant(np.arange(ndims - 1, -1, -1, dtype=np.int32), name="perm")
            else:
                from tensorlib.ops import math_ops
                r = rank(a)
                perm = math_ops.subtract(math_ops.subtract(r, 1), range(0, r, 1))
        return ops.apply_op("Transpose", [a, _int_input(perm, "perm")],
                            name=scope).outputs[0]


@ops.RegisterGradient("Transpose")
def _transpose_grad(op, grad):
    perm = op.inputs[1]
    value = _constant_value(perm)
    if value is not None:
        inverse = constant(np.argsort(value).astype(perm.dtype.as_numpy_dtype))
    else:  # inverse[perm[i]] = i
        n = size(perm, out_type=perm.dtype)
        inverse = unsorted_segment_sum(range(0, n, dtype=perm.dtype), perm, n)
    return transpose(grad, inverse), None


def reverse(tensor, axis, name=None):
    """`tensor` with the order of elements along each dim in `axis` reversed."""
    axis = [axis] if np.isscalar(axis) else axis
    return ops.apply_op("ReverseV2", [convert_to_tensor(tensor), _int_input(axis, "axis")],
                        name=name).outputs[0]


def sequence_mask(lengths, maxlen=None, dtype=_dtypes.bool, name=None):
    """mask[..., j] = j < lengths[...]: `lengths`' shape plus one dim of size `maxlen`
    (max(lengths) when None), of `dtype`."""
    from tensorlib.ops import math_ops  # noqa: the array_ops <-> math_ops import cycle
    with ops.name_scope(name, "SequenceMask") as scope:
        lengths = convert_to_tensor(lengths, name="lengths")
        if maxlen is None:
            maxlen = math_ops.reduce_max(lengths)
        maxlen = math_ops.cast(convert_to_tensor(maxlen, name="maxlen"), lengths.dtype)
        mask = math_ops.less(range(maxlen), expand_dims(lengths, -1))
        dtype = _dtypes.as_dtype(dtype)
        return identity(mask, name=scope) if dtype == _dtypes.bool else \
            math_ops.cast(mask, dtype, name=scope)


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None,  # noqa: A002
                     seq_dim=None, batch_dim=None):
    """`input` with the first seq_lengths[b] entries along `seq_axis` of each batch row b
    reversed, the rest left in place (TF1's tf.reverse_sequence; seq_dim/batch_dim are its
    older names). Any number of steps, known when the graph runs."""
    from tensorlib.ops import math_ops  # noqa: the array_ops <-> math_ops import cycle
    seq_axis = seq_axis if seq_axis is not None else seq_dim
    batch_axis = batch_axis if batch_axis is not None else (batch_dim or 0)
    if seq_axis is None:
        raise ValueError("reverse_sequence needs seq_axis")
    with ops.name_scope(name, "ReverseSequence") as scope:
        x = convert_to_tensor(input, name="input")
        rank = x.shape.ndims
        if rank is None:
            raise ValueError("reverse_sequence needs an input of known rank")
        seq_axis, batch_axis = seq_axis % rank, batch_axis % rank
        if seq_axis == batch_axis:
            raise ValueError(f"seq_axis and batch_axis must differ, both are {seq_axis}")
        # As [steps, batch, ...rest]: row (t, b) comes from (lengths[b] - 1 - t, b) while
        # t < lengths[b], else stays.
        rest = [d for d in builtins.range(rank) if d not in (seq_axis, batch_axis)]
        perm = [seq_axis, batch_axis] + rest
        inverse = [perm.index(d) for d in builtins.range(rank)]
        moved = transpose(x, perm)
        dims = shape(moved)
        steps, batch = dims[0], dims[1]
        lengths = math_ops.cast(convert_to_tensor(seq_lengths, name="seq_lengths"),
                                _dtypes.int32)
        t = expand_dims(range(steps), 1)
        source = math_ops.where(t < lengths[None], lengths[None] - 1 - t, t + 0 * lengths[None])
        flat = reshape(moved, concat([[-1], dims[2:]], 0))
        rows = reshape(source * batch + expand_dims(range(batch), 0), [-1])
        out = reshape(gather(flat, rows), dims)
        out = transpose(out, inverse, name=scope)
        out.set_shape(x.shape)
        return out


@ops.RegisterGradient("ReverseV2")
def _reverse_grad(op, grad):
    return ops.apply_op("ReverseV2", [grad, op.inputs[1]]).outputs[0], None


reverse_v2 = reverse


def tile(input, multiples, name=None):  # noqa: A002
    """`input` repeated multiples[i] times along dim i."""
    return ops.apply_op("Tile", [convert_to_tensor(input), _int_input(multiples, "multiples")],
                        name=name).outputs[0]


@ops.RegisterGradient("Tile")
def _tile_grad(op, grad):
    # grad as [m0, d0, m1, d1, ...] (multiples interleaved with x's dims), summed over the m's.
    from tensorlib.ops import math_ops
    x, multiples = op.inputs
    split_shape = reshape(transpose(stack([multiples, shape(x, out_type=multiples.dtype)])),
                          [-1])
    x_grad = math_ops.reduce_sum(reshape(grad, split_shape), range(0, size(split_shape), 2))
    x_grad.set_shape(x.shape)
    return x_grad, None


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """`tensor` padded by paddings[i] = [before, after] along dim i: with `constant_values`
    (CONSTANT) or by mirroring the edge without it (REFLECT) or with it (SYMMETRIC)."""
    tensor = convert_to_tensor(tensor)
    paddings = _int_input(paddings, "paddings")
    mode = mode.upper()
    if mode == "CONSTANT":
        if not _is_tensor(constant_values) and np.all(np.asarray(constant_values) == 0):
            return ops.apply_op("Pad", [tensor, paddings], name=name).outputs[0]
        value = convert_to_tensor(constant_values, dtype=tensor.dtype, name="constant_values")
        return ops.apply_op("PadV2", [tensor, paddings, value], name=name).outputs[0]
    if mode in ("REFLECT", "SYMMETRIC"):
        return ops.apply_op("MirrorPad", [tensor, paddings], {"mode": mode},
                            name=name).outputs[0]
    raise ValueError(f"Unknown padding mode: {mode}")


def _pad_grad(op, grad):
    x, paddings = op.inputs[:2]
    before = reshape(slice(paddings, [0, 0], stack([rank(x), 1])), [-1])
    x_grad = slice(grad, before, shape(x, out_type=paddings.dtype))
    return [x_grad] + [None] * (len(op.inputs) - 1)


ops.RegisterGradient("Pad")(_pad_grad)
ops.RegisterGradient("PadV2")(_pad_grad)


@ops.RegisterGradient("MirrorPad")
def _mirror_pad_grad(op, grad):
    return ops.apply_op("MirrorPadGrad", [grad, op.inputs[1]],
                        {"mode": op.get_attr("mode")}).outputs[0], None


@ops.RegisterGradient("MirrorPadGrad")
def _mirror_pad_grad_grad(op, grad):
    return ops.apply_op("MirrorPad", [grad, op.inputs[1]],
                        {"mode": op.get_attr("mode")}).outputs[0], None


# ---- joining and cutting -----------------------------------------------------------------

def concat(values, axis, name="concat"):
    """The tensors in `values` joined along dimension `axis`."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    if len(values) == 1:
        with ops.name_scope(name) as scope:
            axis_t = _int_input(axis, "concat_dim")
            if axis_t.shape.ndims not in (None, 0):
                raise ValueError(f"Shape {axis_t.shape} must have rank 0")
            return identity(values[0], name=scope)
    values = [convert_to_tensor(v) for v in values]
    return ops.apply_op("ConcatV2", values + [_int_input(axis, "axis")], name=name).outputs[0]


@ops.RegisterGradient("ConcatV2")
def _concat_grad(op, grad):
    values, axis = op.inputs[:-1], op.inputs[-1]
    sizes = stack([shape(v)[axis] for v in values])
    parts = ops.apply_op("SplitV", [grad, sizes, axis], {"num_split": len(values)}).outputs
    return list(parts) + [None]


def stack(values, axis=0, name="stack"):
    """The N tensors of one shape in `values` stacked into one tensor of rank + 1, along a new
    dimension `axis`."""
    if axis == 0 and not _contains_tensor(values):
        return convert_to_tensor(values, name=name)
    values = [convert_to_tensor(v) for v in values]
    if not values:
        raise ValueError("stack needs at least one value")
    return ops.apply_op("Pack", values, {"axis": int(axis)}, name=name).outputs[0]


@ops.RegisterGradient("Pack")
def _pack_grad(op, grad):
    return unstack(grad, num=len(op.inputs), axis=_attr(op, "axis", 0))


def unstack(value, num=None, axis=0, name="unstack"):
    """The list of tensors obtained by cutting `value` along dimension `axis`."""
    value = convert_to_tensor(value)
    if num is None:
        dims = value.shape.dims
        if dims is None:
            raise ValueError(f"Cannot infer num from shape {value.shape}")
        if not -len(dims) <= axis < len(dims):
            raise ValueError(f"axis = {axis} not in [{-len(dims)}, {len(dims)})")
        num = dims[axis].value
        if num is None:
            raise ValueError(f"Cannot infer num from shape {value.shape}")
    return list(ops.apply_op("Unpack", [value], {"num": int(num), "axis": int(axis)},
                             name=name).outputs)


@ops.RegisterGradient("Unpack")
def _unpack_grad(op, *grads):
    return stack(list(grads), axis=_attr(op, "axis", 0))


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """`value` cut along `axis` into num_or_size_splits equal pieces (an int) or pieces of the
    listed sizes (one may be -1); returns the list of pieces."""
    value = convert_to_tensor(value)
    axis = _int_input(axis, "split_dim")
    if isinstance(num_or_size_splits, (int, np.integer, tensor_shape.Dimension)):
        n = int(num_or_size_splits)
        return list(ops.apply_op("Split", [axis, value], {"num_split": n},
                                 name=name).outputs)
    sizes = _int_input(num_or_size_splits, "size_splits")
    if num is None:
        dims = sizes.shape.dims
        if dims is None or len(dims) != 1 or dims[0].value is None:
            raise ValueError(f"Cannot infer num from shape {sizes.shape}")
        num = dims[0].value
    return list(ops.apply_op("SplitV", [value, sizes, axis], {"num_split": int(num)},
                             name=name).outputs)


@ops.RegisterGradient("Split")
def _split_grad(op, *grads):
    return None, concat(list(grads), op.inputs[0])


@ops.RegisterGradient("SplitV")
def _split_v_grad(op, *grads):
    return concat(list(grads), op.inputs[2]), None, None


def slice(input_, begin, size, name=None):  # noqa: A001
    """The block of `input_` of `size` elements starting at `begin` (size -1: to the end)."""
    return ops.apply_op("Slice", [convert_to_tensor(input_), _int_input(begin, "begin"),
                                  _int_input(size, "size")], name=name).outputs[0]


@ops.RegisterGradient("Slice")
def _slice_grad(op, grad):
    x, begin = op.inputs[:2]
    after = shape(x, out_type=begin.dtype) - begin - shape(grad, out_type=begin.dtype)
    return pad(grad, stack([begin, after], axis=1)), None, None


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """input_[begin:end:strides] over several dims, with TF1's masks (bit i of a mask applies
    to entry i of begin/end/strides)."""
    begin = _int_input(begin, "begin")
    end = _int_input(end, "end")
    if strides is None:
        strides = ones_like(begin)
    strides = _int_input(strides, "strides")
    attrs = {"begin_mask": int(begin_mask), "end_mask": int(end_mask),
             "ellipsis_mask": int(ellipsis_mask), "new_axis_mask": int(new_axis_mask),
             "shrink_axis_mask": int(shrink_axis_mask)}
    return ops.apply_op("StridedSlice", [convert_to_tensor(input_), begin, end, strides], attrs,
                        name=name).outputs[0]


_STRIDED_SLICE_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                        "shrink_axis_mask")


@ops.RegisterGradient("StridedSlice")
def _strided_slice_grad(op, grad):
    x, begin, end, strides = op.inputs
    attrs = {m: _attr(op, m, 0) for m in _STRIDED_SLICE_MASKS}
    x_grad = ops.apply_op("StridedSliceGrad",
                          [shape(x, out_type=begin.dtype), begin, end, strides, grad],
                          attrs).outputs[0]
    return x_grad, None, None, None


@ops.RegisterGradient("StridedSliceGrad")
def _strided_slice_grad_grad(op, grad):
    _, begin, end, strides, _ = op.inputs
    attrs = {m: _attr(op, m, 0) for m in _STRIDED_SLICE_MASKS}
    return None, None, None, None, ops.apply_op("StridedSlice", [grad, begin, end, strides],
                                                attrs).outputs[0]


newaxis = None


def _check_index(idx):
    """Raises TypeError unless `idx` can index a dim (an int or a scalar int tensor)."""
    if isinstance(idx, (int, np.integer)) and not isinstance(idx, (bool, np.bool_)):
        return
    if _is_tensor(idx):
        t = convert_to_tensor(idx)
        if t.dtype in (_dtypes.int32, _dtypes.int64) and t.shape.ndims in (None, 0):
            return
    raise TypeError("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                    f"scalar tf.int32/tf.int64 tensors are valid indices, got {idx!r}")


def _pack_indices(values, name):
    """A 1-D index tensor from a list of ints and scalar tensors."""
    tensors = [convert_to_tensor(v) for v in values if _is_tensor(v)]
    if not tensors:
        return constant(np.asarray(values, np.int32 if all(
            -2 ** 31 <= v < 2 ** 31 for v in values) else np.int64).reshape(-1), name=name)
    dtype = tensors[0].dtype
    return stack([v if _is_tensor(v) else constant(np.asarray(v, dtype.as_numpy_dtype))
                  for v in values], name=name)


def _slice_helper(tensor, slice_spec, var=None):
    """tensor[slice_spec] with NumPy's basic indexing (ints, slices, ..., None), as TF1 does
    it through StridedSlice."""
    if not isinstance(slice_spec, (list, tuple)):
        slice_spec = [slice_spec]
    begin, end, strides = [], [], []
    begin_mask = end_mask = ellipsis_mask = new_axis_mask = shrink_axis_mask = 0
    for index, s in enumerate(slice_spec):
        if isinstance(s, builtins.slice):
            for part in (s.start, s.stop, s.step):
                if part is not None:
                    _check_index(part)
            if s.start is None:
                begin.append(0)
                begin_mask |= 1 << index
            else:
                begin.append(s.start)
            if s.stop is None:
                end.append(0)
                end_mask |= 1 << index
            else:
                end.append(s.stop)
            strides.append(1 if s.step is None else s.step)
        elif s is Ellipsis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            ellipsis_mask |= 1 << index
        elif s is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            new_axis_mask |= 1 << index
        else:
            _check_index(s)
            begin.append(s)
            if _is_tensor(s):
                from tensorlib.ops import math_ops
                end.append(math_ops.add(s, 1))
            else:
                end.append(s + 1)
            strides.append(1)
            shrink_axis_mask |= 1 << index
    with ops.name_scope(None, "strided_slice") as scope:
        return strided_slice(tensor, _pack_indices(begin, "stack"),
                             _pack_indices(end, "stack_1"), _pack_indices(strides, "stack_2"),
                             begin_mask=begin_mask, end_mask=end_mask,
                             ellipsis_mask=ellipsis_mask, new_axis_mask=new_axis_mask,
                             shrink_axis_mask=shrink_axis_mask, name=scope)


# ---- indexing ----------------------------------------------------------------------------

def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """Slices of `params` along `axis` (default 0) at `indices`: the output's shape is
    params.shape[:axis] + indices.shape + params.shape[axis + 1:]. An index out of range is
    an InvalidArgumentError when the graph runs."""
    if batch_dims != 0:
        raise ValueError("tensorlib's gather supports batch_dims=0 only")
    axis = 0 if axis is None else axis
    return ops.apply_op("GatherV2", [convert_to_tensor(params), _int_input(indices, "indices"),
                                     _int_input(axis, "axis")], name=name).outputs[0]


@ops.RegisterGradient("GatherV2")
def _gather_grad(op, grad):
    # Along axis 0 the gradient is an IndexedSlices (TF1's); along another axis the indices'
    # dims of grad are moved first, summed by index into params' dim `axis`
    # (UnsortedSegmentSum), and that dim moved back into place.
    from tensorlib.ops import math_ops
    params, indices, axis = op.inputs
    value = _constant_value(axis)
    p_rank = rank(params)
    if value is not None and params.shape.ndims is not None:
        axis = int(value) % params.shape.ndims
    elif value is not None and value >= 0:
        axis = int(value)
    else:
        axis = math_ops.cast(math_ops.floormod(axis, math_ops.cast(p_rank, axis.dtype)),
                             _dtypes.int32)
    if isinstance(axis, int) and axis == 0:
        # TF1's sparse gradient: grad's rows, one per index, for the rows they came from.
        params_shape = shape(params)
        values_shape = concat([[-1], params_shape[1:]], 0)
        values = reshape(grad, values_shape)
        if params.shape.ndims is not None:
            values.set_shape([None] + params.shape.as_list()[1:])
        return (IndexedSlices(values, reshape(indices, [-1]), params_shape), None, None)
    k = rank(indices)
    rows = shape(params)[axis]
    moved = transpose(grad, concat([range(axis, axis + k), range(0, axis),
                                    range(axis + k, rank(grad))], 0))
    summed = unsorted_segment_sum(moved, indices, rows)
    params_grad = transpose(summed, concat([range(1, axis + 1), [0],
                                            range(axis + 1, p_rank)], 0))
    params_grad.set_shape(params.shape)
    return params_grad, None, None


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Computes the sum along segments of a tensor.

    `output[i, ...] = sum(data[j..., ...])` over the `j...` with `segment_ids[j...] == i`:
    `segment_ids`' shape must be a prefix of `data`'s, and the output has shape
    `[num_segments] + data.shape[segment_ids.ndims:]`. Segments with no entry are 0. A
    negative segment id drops its entry; an id >= num_segments is an InvalidArgumentError.

    Args:
      data: A `Tensor` of type `float32`, `float64`, `int32` or `int64`.
      segment_ids: An int32 or int64 `Tensor` whose shape is a prefix of `data.shape`.
      num_segments: An int32 or int64 scalar.
      name: A name for the operation (optional).

    Returns:
      A `Tensor`. Has the same type as `data`.
    """
    return ops.apply_op("UnsortedSegmentSum",
                        [convert_to_tensor(data), _int_input(segment_ids, "segment_ids"),
                         _int_input(num_segments, "num_segments")], name=name).outputs[0]


@ops.RegisterGradient("UnsortedSegmentSum")
def _unsorted_segment_sum_grad(op, grad):
    # Each entry gets its segment's gradient; entries dropped for a negative id get 0.
    from tensorlib.ops import math_ops
    ids = op.inputs[1]
    gathered = gather(grad, math_ops.maximum(ids, 0))
    kept_shape = concat([shape(ids), ones_like(shape(gathered)[rank(ids):])], 0)
    kept = reshape(math_ops.greater_equal(ids, 0), kept_shape)
    return math_ops.where_v2(kept, gathered, zeros_like(gathered)), None, None


def gather_nd(params, indices, name=None, batch_dims=0):
    """Slices of `params` at the positions in `indices`: the last dim of `indices` (of size
    d) indexes params' first d dims, so the output's shape is indices.shape[:-1] +
    params.shape[d:]. A position out of range is an InvalidArgumentError when the graph runs."""
    if batch_dims != 0:
        raise ValueError("tensorlib's gather_nd supports batch_dims=0 only")
    return ops.apply_op("GatherNd", [convert_to_tensor(params), _int_input(indices, "indices")],
                        name=name).outputs[0]


@ops.RegisterGradient("GatherNd")
def _gather_nd_grad(op, grad):
    params, indices = op.inputs
    return scatter_nd(indices, grad, shape(params, out_type=indices.dtype)), None


def scatter_nd(indices, updates, shape, name=None):  # noqa: A002 (TF1's name)
    """Zeros of `shape` with the slices of `updates` added at the positions in `indices` (as
    gather_nd reads them): updates.shape = indices.shape[:-1] + shape[indices.shape[-1]:].
    Repeated positions sum. A position out of range is an InvalidArgumentError."""
    return ops.apply_op("ScatterNd", [_int_input(indices, "indices"), convert_to_tensor(updates),
                                      _shape_tensor(shape)], name=name).outputs[0]


@ops.RegisterGradient("ScatterNd")
def _scatter_nd_grad(op, grad):
    return None, gather_nd(grad, op.inputs[0]), None


_Unique = collections.namedtuple("Unique", ["y", "idx"])
_UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def unique(x, out_idx=_dtypes.int32, name=None):
    """The distinct values `y` of the 1-D `x` in the order they first occur, and `idx` with
    x[i] == y[idx[i]]."""
    op = ops.apply_op("Unique", [convert_to_tensor(x)],
                      {"out_idx": _dtypes.as_dtype(out_idx).as_datatype_enum}, name=name)
    return _Unique(*op.outputs)


def unique_with_counts(x, out_idx=_dtypes.int32, name=None):
    """unique's (y, idx) and `count`: how many times each of y's values occurs in `x`."""
    op = ops.apply_op("UniqueWithCounts", [convert_to_tensor(x)],
                      {"out_idx": _dtypes.as_dtype(out_idx).as_datatype_enum}, name=name)
    return _UniqueWithCounts(*op.outputs)


ops.NotDifferentiable("Unique")
ops.NotDifferentiable("UniqueWithCounts")


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """A tensor with a new dimension of size `depth` at `axis` (default last) that holds
    `on_value` (default 1) where the index matches and `off_value` (default 0) elsewhere."""
    with ops.name_scope(name, "one_hot") as scope:
        dtype = None if dtype is None else _dtypes.as_dtype(dtype)
        given = [v for v in (on_value, off_value) if v is not None]
        tensors = [convert_to_tensor(v) for v in given if _is_tensor(v)]
        if dtype is None:
            dtype = tensors[0].dtype if tensors else (
                convert_to_tensor(given[0]).dtype if given else _dtypes.float32)
        for t in tensors:
            if t.dtype != dtype:
                raise TypeError(f"dtype {t.dtype.name} of on_value/off_value does not match "
                                f"dtype {dtype.name}")
        on = convert_to_tensor(1 if on_value is None else on_value, dtype=dtype,
                               name="on_value")
        off = convert_to_tensor(0 if off_value is None else off_value, dtype=dtype,
                                name="off_value")
        return ops.apply_op("OneHot", [_int_input(indices, "indices"),
                                       _int_input(depth, "depth"), on, off],
                            {"axis": -1 if axis is None else int(axis)}, name=scope).outputs[0]


ops.NotDifferentiable("OneHot")


def _where_indices(condition, name=None):
    """The coordinates of the true elements of `condition`: int64 [num_true, rank]."""
    return ops.apply_op("Where", [convert_to_tensor(condition)], name=name or "Where").outputs[0]


ops.NotDifferentiable("Where")


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """The elements (or slices) of `tensor` where the boolean `mask` is true: the dims
    axis .. axis + mask.ndim of `tensor` (which must match mask's shape) become one dim."""
    with ops.name_scope(name, "boolean_mask") as scope:
        tensor = convert_to_tensor(tensor, name="tensor")
        mask = convert_to_tensor(mask, name="mask")
        if mask.dtype != _dtypes.bool:
            raise TypeError(f"mask must be a bool tensor, got {mask.dtype.name}")
        ndims_mask = mask.shape.ndims
        if ndims_mask == 0:
            raise ValueError("mask cannot be scalar.")
        if ndims_mask is None:
            raise ValueError("Number of mask dimensions must be specified, even if some "
                             "dimensions are None.  E.g. shape=[None] is ok, but shape=None "
                             "is not.")
        axis = 0 if axis is None else int(axis)
        static = tensor.shape
        if static.ndims is not None:
            masked = tensor_shape.TensorShape(static.as_list()[axis:axis + ndims_mask])
            if not masked.is_compatible_with(mask.shape):
                raise ValueError(f"Shapes {masked} and {mask.shape} are incompatible")
        leading = mask.shape.num_elements()
        if leading is None and static.ndims is not None:
            leading = tensor_shape.TensorShape(
                static.as_list()[axis:axis + ndims_mask]).num_elements()
        dims = shape(tensor)
        new_shape = concat([dims[:axis], [-1 if leading is None else leading],
                            dims[axis + ndims_mask:]], 0)
        flat = reshape(tensor, new_shape)
        if static.ndims is not None:
            flat.set_shape(static.as_list()[:axis] + [leading] +
                           static.as_list()[axis + ndims_mask:])
        indices = squeeze(_where_indices(reshape(mask, [-1])), axis=[1])
        return gather(flat, indices, axis=axis, name=scope)


ops.Tensor._override_operator("__getitem__", _slice_helper)


def broadcast_to(input, shape, name=None):  # noqa: A002
    """Broadcast an array for a compatible shape.

    Broadcasting is the process of making arrays to have compatible shapes for arithmetic
    operations. Two shapes are compatible if for each dimension pair they are either equal or
    one of them is one. When trying to broadcast a Tensor to a shape, it starts with the
    trailing dimensions, and works its way forward.

    For example,

      x = tf.constant([1, 2, 3])
      y = tf.broadcast_to(x, [3, 3])
      # [[1, 2, 3], [1, 2, 3], [1, 2, 3]]

    In the above example, the input Tensor with the shape of `[1, 3]` is broadcasted to output
    Tensor with shape of `[3, 3]`.

    Args:
      input: A `Tensor`. A Tensor to broadcast.
      shape: A `Tensor`. Must be one of the following types: `int32`, `int64`. An 1-D `int`
        Tensor. The shape of the desired output.
      name: A name for the operation (optional).

    Returns:
      A `Tensor`. Has the same type as `input`.
    """
    return ops.apply_op("BroadcastTo", [convert_to_tensor(input), _shape_tensor(shape)],
                        name=name).outputs[0]


# The driver sums the gradient down to the input's shape.
@ops.RegisterGradient("BroadcastTo", reduces_broadcast=True)
def _broadcast_to_grad(op, grad):
    return grad, None
