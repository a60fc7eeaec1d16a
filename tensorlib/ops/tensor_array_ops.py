"""tf.TensorArray: a list of same-shaped tensors that loops write one element at a time.

A TensorArray's value is one dense tensor [size, ...element shape] (before its first write,
when the element shape is not yet known, a scalar). Operations return new
TensorArrays, as in TF1: `ta = ta.write(t, x)`. A write updates the tensor in place when
nothing else reads the old value, which is the case for a loop variable, so writing n elements
in a loop costs O(n). Reading, writing and stacking are differentiable, inside loops too.
"""
from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops, tensor_shape
from tensorlib.framework.constant_op import constant, convert_to_tensor
from tensorlib.ops import array_ops


def _int_scalar(x, name):
    x = convert_to_tensor(x, name=name)
    if x.dtype not in (_dtypes.int32, _dtypes.int64):
        raise TypeError(f"{name} must be an int32 or int64 scalar, got {x.dtype.name}")
    return x


class TensorArray:
    """TF1's TensorArray: `write`, `read`, `stack`, `unstack`, `gather`, `scatter`, `concat`,
    `size`, `identity`, `close`, usable as a loop variable of `tf.while_loop`."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        self._dtype = _dtypes.as_dtype(dtype)
        if flow is not None:  # an existing array's value (used internally)
            self._init_from(flow, size, bool(dynamic_size), element_shape, infer_shape)
            return
        if size is None and not dynamic_size:
            raise ValueError("Size must be provided if dynamic_size is False")
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = infer_shape
        self._element_shape = (tensor_shape.as_shape(element_shape) if element_shape is not None
                               else tensor_shape.unknown_shape())
        with ops.name_scope(name, "TensorArray"):
            self._size = _int_scalar(size if size is not None else 0, "size")
            if self._element_shape.is_fully_defined():
                dims = array_ops.concat([array_ops.reshape(self._size, [1]),
                                         constant(self._element_shape.as_list(), _dtypes.int32)],
                                        0)
                self._flow = array_ops.fill(dims, constant(0, self._dtype))
            else:
                self._flow = constant(0, self._dtype, name="empty")

    def _init_from(self, flow, size, dynamic_size, element_shape, infer_shape):
        self._flow = flow
        self._size = size
        self._dynamic_size = dynamic_size
        self._element_shape = (element_shape if element_shape is not None
                               else tensor_shape.unknown_shape())
        self._infer_shape = infer_shape

    def _with_flow(self, flow, element_shape=None):
        ta = TensorArray.__new__(TensorArray)
        ta._dtype = self._dtype
        ta._init_from(flow, self._size, self._dynamic_size,
                      element_shape if element_shape is not None else self._element_shape,
                      self._infer_shape)
        return ta

    # -- properties ----------------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def flow(self):
        """The array's value: [size, ...element shape]."""
        return self._flow

    @property
    def handle(self):
        return self._flow

    @property
    def element_shape(self):
        return self._element_shape

    @property
    def dynamic_size(self):
        return self._dynamic_size

    def _size_input(self):
        return self._size if self._size is not None else constant(0, name="size")

    # -- while_loop / cond protocol ------------------------------------------------------------
    def _loop_tensor(self):
        return self._flow

    def _with_loop_tensor(self, t):
        return self._with_flow(t)

    def _loop_invariant(self):
        shape = self._flow.shape
        if self._dynamic_size or not shape.is_fully_defined() or \
                not self._element_shape.is_fully_defined():
            return tensor_shape.unknown_shape()
        return shape

    def _merge_element_shape(self, shape):
        if not self._infer_shape:
            return self._element_shape
        try:
            return self._element_shape.merge_with(shape)
        except ValueError:
            raise ValueError(f"Inconsistent shapes: saw {shape} but expected "
                             f"{self._element_shape} (and infer_shape=True)") from None

    # -- operations ----------------------------------------------------------------------------
    def write(self, index, value, name=None):
        """A TensorArray with `value` at `index`."""
        with ops.name_scope(name, "TensorArrayWrite"):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            element = self._merge_element_shape(value.shape)
            index = _int_scalar(index, "index")
            flow = ops.apply_op("TensorArrayWrite", [self._flow, index, value, self._size_input()],
                                {"T": self._dtype.as_datatype_enum,
                                 "dynamic_size": self._dynamic_size}).outputs[0]
            return self._with_flow(flow, element)

    def read(self, index, name=None):
        """The element at `index`."""
        out = ops.apply_op("TensorArrayRead", [self._flow, _int_scalar(index, "index")],
                           {"T": self._dtype.as_datatype_enum},
                           name=name or "TensorArrayRead").outputs[0]
        if self._element_shape.ndims is not None:
            out.set_shape(self._element_shape)
        return out

    def stack(self, name=None):
        """The elements stacked: [size, ...element shape]."""
        out = array_ops.identity(self._flow, name=name or "TensorArrayStack")
        if self._element_shape.ndims is not None and out.shape.ndims is None:
            out.set_shape([None] + self._element_shape.as_list())
        return out

    def gather(self, indices, name=None):
        """The elements at `indices`, stacked."""
        return array_ops.gather(self._flow, indices, name=name or "TensorArrayGather")

    def concat(self, name=None):
        """The elements joined along their first dimension."""
        with ops.name_scope(name, "TensorArrayConcat"):
            shape = array_ops.shape(self._flow)
            return array_ops.reshape(self._flow, array_ops.concat([[-1], shape[2:]], 0))

    def unstack(self, value, name=None):
        """A TensorArray whose elements are the rows of `value`."""
        with ops.name_scope(name, "TensorArrayUnstack"):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            element = self._merge_element_shape(value.shape[1:]) \
                if value.shape.ndims is not None else self._element_shape
            ta = self._with_flow(array_ops.identity(value), element)
            ta._size = array_ops.shape(value)[0]
            return ta

    def scatter(self, indices, value, name=None):
        """A TensorArray with the rows of `value` at `indices`."""
        with ops.name_scope(name, "TensorArrayScatter"):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            indices = convert_to_tensor(indices, name="indices")
            element = self._merge_element_shape(value.shape[1:]) \
                if value.shape.ndims is not None else self._element_shape
            flow = ops.apply_op("TensorArrayScatter",
                                [self._flow, indices, value, self._size_input()],
                                {"T": self._dtype.as_datatype_enum,
                                 "dynamic_size": self._dynamic_size}).outputs[0]
            return self._with_flow(flow, element)

    def size(self, name=None):
        """The number of elements (an int32 scalar)."""
        if not self._dynamic_size and self._size is not None:
            return array_ops.identity(self._size, name=name)
        from tensorlib.ops import math_ops  # noqa: import cycle
        # The first dim, or 0 before the first write (the value is then a scalar).
        return math_ops.reduce_sum(array_ops.shape(self._flow)[:1], name=name)

    def identity(self):
        return self._with_flow(array_ops.identity(self._flow))

    def close(self, name=None):
        from tensorlib.ops import control_flow_ops  # noqa: import cycle
        return control_flow_ops.no_op(name=name)


@ops.RegisterGradient("TensorArrayWrite")
def _write_grad(op, grad):
    # The gradient of the array before the write has the shape of the array after it (rows
    # the write added are zero): so a loop's backward pass never needs the array's old value.
    g_array, g_value = ops.apply_op("TensorArrayWriteGrad", [grad, op.inputs[1]],
                                    {"T": grad.dtype.as_datatype_enum}).outputs
    return g_array, None, g_value, None


@ops.RegisterGradient("TensorArrayRead")
def _read_grad(op, grad):
    array, index = op.inputs
    zeros = array_ops.zeros_like(array)
    g = ops.apply_op("TensorArrayWrite", [zeros, index, grad, constant(0)],
                     {"T": array.dtype.as_datatype_enum}).outputs[0]
    return g, None


@ops.RegisterGradient("TensorArrayScatter")
def _scatter_grad(op, grad):
    array, indices, value = op.inputs[0], op.inputs[1], op.inputs[2]
    g_value = array_ops.gather(grad, indices)
    g_array = None
    if array.shape.ndims == grad.shape.ndims and array.shape.ndims is not None and \
            array.shape.ndims > 1:
        g_array = ops.apply_op("TensorArrayScatter",
                               [grad, indices, array_ops.zeros_like(value), constant(0)],
                               {"T": array.dtype.as_datatype_enum}).outputs[0]
    return g_array, None, g_value, None


@ops.RegisterGradient("TensorArrayWriteGrad")
def _write_grad_grad(op, g_array, g_value):
    grad, index = op.inputs
    if g_array is None:
        g_array = array_ops.zeros_like(op.outputs[0])
    if g_value is None:
        g_value = array_ops.zeros_like(op.outputs[1])
    g = ops.apply_op("TensorArrayWrite", [g_array, index, g_value, constant(0)],
                     {"T": grad.dtype.as_datatype_enum}).outputs[0]
    return g, None


@ops.RegisterGradient("TensorArrayAddRow")
def _add_row_grad(op, grad):
    index = op.inputs[1]
    g_value = ops.apply_op("TensorArrayRead", [grad, index],
                           {"T": grad.dtype.as_datatype_enum}).outputs[0]
    return grad, None, g_value
