"""A tensorlib Graph serialized as TensorFlow's GraphDef protocol buffer (graph.proto), for
TensorBoard: one NodeDef per op with its inputs ("op:1", "^control"), device and attributes,
Const values as TensorProtos, and each node's output shapes as "_output_shapes" (TF1's
`as_graph_def(add_shapes=True)`)."""
import numpy as np

from tensorlib import _core, dtypes
from tensorlib.framework import tensor_shape
from tensorlib.summary import wire_format as wire

# tensorlib's attribute kinds (AttrType in include/tensorlib/attr.h).
_INT, _FLOAT, _BOOL, _STRING, _TYPE, _INTS, _SHAPE, _TENSOR = range(8)


def _shape_proto(dims):
    """TensorShapeProto: dim = 2 (Dim: size = 1), unknown_rank = 3; -1 for unknown dims."""
    if dims is None:
        return wire.int_field(3, True)
    return b"".join(wire.bytes_field(2, wire.int_field(1, -1 if d is None else d))
                    for d in dims)


def _dims(value):
    return None if value is None else tensor_shape.as_shape(value).as_tuple()


def _tensor_proto(value):
    """TensorProto: dtype = 1, tensor_shape = 2, tensor_content = 4, string_val = 8."""
    arr = np.asarray(value)
    dtype = dtypes.string if arr.dtype.kind in "OSU" else dtypes.as_dtype(arr.dtype)
    out = wire.int_field(1, dtype.as_datatype_enum) + wire.bytes_field(2, _shape_proto(arr.shape))
    if dtype == dtypes.string:
        return out + b"".join(wire.bytes_field(8, s if isinstance(s, bytes) else str(s))
                              for s in arr.reshape(-1))
    return out + wire.bytes_field(4, arr.tobytes())


def _attr_value(kind, value):
    """AttrValue: list = 1, s = 2, i = 3, f = 4, b = 5, type = 6, shape = 7, tensor = 8."""
    if kind == _INT:
        return wire.int_field(3, value)
    if kind == _FLOAT:
        return wire.float_field(4, value)
    if kind == _BOOL:
        return wire.int_field(5, bool(value))
    if kind == _STRING:
        return wire.bytes_field(2, value if isinstance(value, (bytes, str)) else bytes(value))
    if kind == _TYPE:
        return wire.int_field(6, dtypes.as_dtype(value).as_datatype_enum)
    if kind == _INTS:  # ListValue: i = 3
        return wire.bytes_field(1, wire.packed_varints_field(3, value))
    if kind == _SHAPE:
        return wire.bytes_field(7, _shape_proto(_dims(value)))
    return wire.bytes_field(8, _tensor_proto(value))


def _output_shapes(op):
    """AttrValue with a ListValue of each output's static shape (ListValue: shape = 7)."""
    shapes = b"".join(wire.bytes_field(7, _shape_proto(t.shape.as_tuple())) for t in op.outputs)
    return wire.bytes_field(1, shapes)


def _map_entry(key, value):
    return wire.bytes_field(5, wire.bytes_field(1, key) + wire.bytes_field(2, value))


def node_def(op):
    """NodeDef: name = 1, op = 2, input = 3, device = 4, attr = 5 (map<string, AttrValue>)."""
    out = [wire.bytes_field(1, op.name), wire.bytes_field(2, op.type)]
    for t in op.inputs:
        out.append(wire.bytes_field(3, t.op.name if t.value_index == 0 else t.name))
    out.extend(wire.bytes_field(3, "^" + c.name) for c in op.control_inputs)
    if op.device:
        out.append(wire.bytes_field(4, op.device))
    kinds = _core.op_attr_types(op.type)
    for name in sorted(op._attrs):
        value = op._attrs[name]
        if value is None and kinds[name] != _SHAPE:
            continue
        out.append(_map_entry(name, _attr_value(kinds[name], value)))
    if op.outputs:
        out.append(_map_entry("_output_shapes", _output_shapes(op)))
    return b"".join(out)


def graph_def(graph):
    """The serialized GraphDef (node = 1) of `graph`."""
    return b"".join(wire.bytes_field(1, node_def(op)) for op in graph.get_operations())
