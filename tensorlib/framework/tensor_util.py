"""What is known of a tensor's value while the graph is built (TF1's `tensor_util`).

`constant_value` gives the whole value when it does not depend on any input; and
`constant_value_as_shape` the part of a shape tensor that is known — as in
`tf.reshape(x, tf.stack([tf.shape(x)[0], 2, 2]))`, whose result TF1 knows to be (?, 2, 2).
Ops that take a shape as an input use it to refine their static output shape.
"""
import numpy as np

from tensorlib.framework import tensor_shape


def constant_value(tensor):
    """The value of `tensor` as a NumPy array when it is known without running the graph
    (constants and what is computed from static shapes alone), else None."""
    op = tensor.op
    if op.type == "Const":
        return np.asarray(op.get_attr("value"))
    if op.type in ("Identity", "StopGradient"):
        return constant_value(op.inputs[0])
    if op.type in ("Shape", "Size", "Rank"):
        static = op.inputs[0].shape
        dtype = tensor.dtype.as_numpy_dtype
        if op.type == "Rank":
            return None if static.ndims is None else np.asarray(static.ndims, dtype)
        if not static.is_fully_defined():
            return None
        dims = static.as_list()
        return np.asarray(dims if op.type == "Shape" else np.prod(dims, dtype=np.int64), dtype)
    if op.type == "Cast":
        value = constant_value(op.inputs[0])
        return None if value is None else value.astype(tensor.dtype.as_numpy_dtype)
    if op.type == "Pack":
        values = [constant_value(t) for t in op.inputs]
        if any(v is None for v in values):
            return None
        return np.stack(values, axis=op.get_attr("axis"))
    if op.type == "ConcatV2":
        values = [constant_value(t) for t in op.inputs]
        if any(v is None for v in values):
            return None
        return np.concatenate(values[:-1], axis=int(values[-1]))
    return None


def _shape_slice(tensor):
    """For `tf.shape(x)[i]` or `tf.shape(x)[a:b]` with constant bounds: the dims of x's static
    shape it picks (a TensorShape), else None."""
    op = tensor.op
    if op.type != "StridedSlice" or op.inputs[0].op.type != "Shape":
        return None
    begin, end, strides = (constant_value(t) for t in op.inputs[1:4])
    if begin is None or end is None or strides is None or begin.size != 1:
        return None
    if any(op.get_attr(m) for m in ("ellipsis_mask", "new_axis_mask")):
        return None
    dims = op.inputs[0].op.inputs[0].shape
    if dims.ndims is None:
        return None
    dims = dims.as_list()
    if op.get_attr("shrink_axis_mask") & 1:
        i = int(begin[0])
        return tensor_shape.TensorShape([dims[i]]) if -len(dims) <= i < len(dims) else None
    start = None if op.get_attr("begin_mask") & 1 else int(begin[0])
    stop = None if op.get_attr("end_mask") & 1 else int(end[0])
    return tensor_shape.TensorShape(dims[start:stop:int(strides[0])])


def constant_value_as_shape(tensor):
    """The TensorShape that the 1-D shape tensor `tensor` is known to hold: dims that are not
    known while building are None (so is a -1)."""
    size = tensor.shape.ndims == 1 and tensor.shape.as_list()[0]
    unknown = (tensor_shape.TensorShape([None] * size) if size is not None and size is not False
               else tensor_shape.TensorShape(None))
    value = constant_value(tensor)
    if value is not None:
        return tensor_shape.TensorShape([None if d < 0 else int(d) for d in value.reshape(-1)])
    op = tensor.op
    if op.type == "Shape":
        return op.inputs[0].shape
    if op.type == "Cast":
        return constant_value_as_shape(op.inputs[0])
    if op.type == "Pack" and op.get_attr("axis") == 0:
        dims = []
        for t in op.inputs:
            value = constant_value(t)
            picked = _shape_slice(t)
            if value is not None:
                dims.append(None if value < 0 else int(value))
            elif picked is not None and picked.ndims == 1:
                dims.append(picked.as_list()[0])
            else:
                dims.append(None)
        return tensor_shape.TensorShape(dims)
    if op.type == "ConcatV2":
        parts = [constant_value_as_shape(t) for t in op.inputs[:-1]]
        if any(p.ndims is None for p in parts):
            return unknown
        return tensor_shape.TensorShape([d for p in parts for d in p.as_list()])
    picked = _shape_slice(tensor)
    if picked is not None:
        return picked
    return unknown
