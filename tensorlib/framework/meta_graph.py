"""Meta graphs: a whole graph (variables, training ops, function bodies), its collections and
its Saver, written to a file and rebuilt later (TF1's tf.train.export_meta_graph and
import_meta_graph), in tensorlib's own format (docs/model_format.md, "Meta graph files"), not
TensorFlow's MetaGraphDef protocol buffer.

    saver.save(sess, "model.ckpt")             # also writes model.ckpt.meta
    ...
    saver = tf.train.import_meta_graph("model.ckpt.meta")
    saver.restore(sess, "model.ckpt")
    y = tf.get_default_graph().get_tensor_by_name("y:0")
"""
import base64
import json
import os
import re
import struct

import numpy as np

from tensorlib import _core, dtypes, errors
from tensorlib.framework import ops

_MAGIC = b"\x89TLMETA\n"
_VERSION = 1
_HEADER = struct.Struct("<8sIIQQ")  # magic, version, crc32c of the rest, json size, blob size


# ---- the container: JSON plus a blob of tensor bytes ----------------------------------------

def _encode_array(value, blob):
    """A JSON reference to `value`'s bytes, appended to `blob`."""
    dtype = dtypes.as_dtype(value.dtype)
    if dtype == dtypes.string:
        items = [v.encode("utf-8") if isinstance(v, str) else bytes(v)
                 for v in value.reshape(-1)]
        data = struct.pack(f"<{len(items)}Q", *map(len, items)) + b"".join(items)
    else:
        data = np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<")).tobytes()
    ref = {"tensor": [dtype.as_datatype_enum, list(value.shape), len(blob), len(data)]}
    blob += data
    return ref


def _decode_array(ref, blob):
    enum, shape, offset, size = ref["tensor"]
    dtype = dtypes.as_dtype(enum)
    data = blob[offset:offset + size]
    if len(data) != size:
        raise ValueError("tensor data runs past the end")
    count = int(np.prod(shape, dtype=np.int64))
    if dtype != dtypes.string:
        np_dtype = np.dtype(dtype.as_numpy_dtype)
        return np.frombuffer(data, np_dtype.newbyteorder("<")).astype(np_dtype).reshape(shape)
    lengths = struct.unpack_from(f"<{count}Q", data)
    out, pos = np.empty(count, dtype=object), 8 * count
    for i, n in enumerate(lengths):
        out[i] = bytes(data[pos:pos + n])
        pos += n
    return out.reshape(shape)


def _encode_attr(value, blob):
    """An attribute value as JSON: [tag, value], so tuples, lists and arrays come back."""
    if isinstance(value, np.ndarray):
        return ["tensor", _encode_array(value, blob)]
    if isinstance(value, (bool, np.bool_)):
        return ["bool", bool(value)]
    if isinstance(value, (int, np.integer)):
        return ["int", int(value)]
    if isinstance(value, (float, np.floating)):
        return ["float", float(value)]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, bytes):
        return ["bytes", base64.b64encode(value).decode()]
    if value is None:
        return ["none", None]
    if isinstance(value, (tuple, list)):
        return ["tuple" if isinstance(value, tuple) else "list",
                [_encode_attr(v, blob) for v in value]]
    raise TypeError(f"cannot write attribute value {value!r} of type {type(value).__name__} "
                    "to a meta graph")


def _decode_attr(tagged, blob):
    tag, value = tagged
    if tag == "tensor":
        return _decode_array(value, blob)
    if tag == "bytes":
        return base64.b64decode(value)
    if tag in ("tuple", "list"):
        items = [_decode_attr(v, blob) for v in value]
        return tuple(items) if tag == "tuple" else items
    if tag not in ("bool", "int", "float", "str", "none"):
        raise ValueError(f"unknown attribute tag {tag!r}")
    return value


def encode(document, blob, as_text=False):
    """The bytes of a meta graph file holding `document` (JSON) and `blob` (tensor bytes)."""
    if as_text:
        document = dict(document, blob=base64.b64encode(bytes(blob)).decode())
        return json.dumps(document, indent=1, sort_keys=True).encode("utf-8")
    body = json.dumps(document, sort_keys=True).encode("utf-8")
    crc = _core.crc32c(bytes(blob), _core.crc32c(body))
    return _HEADER.pack(_MAGIC, _VERSION, crc, len(body), len(blob)) + body + bytes(blob)


def decode(data, path):
    """(document, blob) of a meta graph file's bytes; clear errors for anything else."""
    if data[:1] == b"{":
        try:
            document = json.loads(data.decode("utf-8"))
            return document, base64.b64decode(document.pop("blob"))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise errors.DataLossError(None, None, f"{path} is not a tensorlib meta graph "
                                                   "(malformed text form)") from None
    if data[:len(_MAGIC)] != _MAGIC:
        if data[:1] in (b"\x0a", b"\x12") or data.lstrip()[:13] == b"meta_info_def":
            raise errors.UnimplementedError(
                None, None, f"{path} looks like a TensorFlow MetaGraphDef protocol buffer; "
                            "tensorlib reads only the meta graphs tensorlib writes (rebuild the "
                            "graph in Python and restore TensorFlow's checkpoint instead)")
        raise errors.DataLossError(None, None, f"{path} is not a tensorlib meta graph (bad "
                                               "magic number)")
    if len(data) < _HEADER.size:
        raise errors.DataLossError(None, None, f"Meta graph file {path} is truncated")
    _, version, crc, body_size, blob_size = _HEADER.unpack_from(data)
    if version != _VERSION:
        raise errors.UnimplementedError(None, None, f"Meta graph file {path} has version "
                                                    f"{version}; tensorlib reads {_VERSION}")
    if _HEADER.size + body_size + blob_size != len(data):
        raise errors.DataLossError(None, None, f"Meta graph file {path} is truncated or has "
                                               "the wrong size")
    if _core.crc32c(data[_HEADER.size:]) != crc:
        raise errors.DataLossError(None, None, f"Meta graph file {path} is damaged (checksum "
                                               "mismatch)")
    body = data[_HEADER.size:_HEADER.size + body_size]
    try:
        return json.loads(body.decode("utf-8")), data[_HEADER.size + body_size:]
    except ValueError:
        raise errors.DataLossError(None, None, f"Meta graph file {path} is damaged") from None


# ---- graphs ----------------------------------------------------------------------------------

_ATTR_TYPE, _ATTR_INTS, _ATTR_SHAPE, _ATTR_TENSOR = 4, 5, 6, 7  # the C++ AttrType values


def _normalized(value, kind):
    """An attribute value as the C++ graph reads it for its kind (a tensor as an array, a
    dtype as its enum, a shape as a tuple or None), so it is written and read back exactly."""
    if kind == _ATTR_TENSOR:
        return np.asarray(value)
    if kind == _ATTR_TYPE:
        return int(value)
    if kind == _ATTR_INTS:
        return [int(v) for v in value]
    if kind == _ATTR_SHAPE and value is not None:
        if hasattr(value, "as_tuple"):
            return value.as_tuple() if value.ndims is not None else None
        return tuple(None if d is None or d < 0 else int(d) for d in value)
    return value


def _encode_op_attrs(op, blob):
    kinds = {a[0]: a[1] for a in _core.op_def(op.type)["attrs"]}
    return {k: _encode_attr(_normalized(v, kinds.get(k)), blob)
            for k, v in sorted(op._attrs.items())}


def _encode_ops(operations, blob, clear_devices):
    """The nodes of a graph: [type, name, inputs [[node, index]], control inputs, attrs,
    device], nodes numbered by position."""
    index = {op: i for i, op in enumerate(operations)}
    return [[op.type, op.name, [[index[t.op], t.value_index] for t in op.inputs],
             [index[c] for c in op.control_inputs], _encode_op_attrs(op, blob),
             "" if clear_devices else op.device or ""]
            for op in operations]


def _encode_functions(graph, blob, clear_devices):
    """The bodies of the functions that If and While nodes call, in the order they were
    added (a body calls only earlier ones)."""
    out = []
    for body in getattr(graph, "_function_bodies", ()):
        operations = body.get_operations()
        index = {op: i for i, op in enumerate(operations)}
        out.append({"name": body.name, "nodes": _encode_ops(operations, blob, clear_devices),
                    "args": [index[t.op] for t in body.inputs],
                    "outputs": [[index[t.op], t.value_index] for t in body.outputs]})
    return out


def _encode_collection_item(item):
    """A collection item as JSON, or None for items meta graphs do not hold (internal
    objects such as the variable store)."""
    from tensorlib.ops import variables
    if isinstance(item, variables.Variable):
        return {"variable": item.op.name, "initializer": item.initializer.name,
                "initial_value": item.initial_value.name, "trainable": item.trainable}
    if isinstance(item, ops.Operation):
        return {"op": item.name}
    if isinstance(item, ops.Tensor):
        return {"tensor": item.name}
    if isinstance(item, (str, int, float)) and not isinstance(item, bool):
        return {"value": item}
    return None


def _encode_collections(graph, collection_list):
    names = collection_list if collection_list is not None else graph.get_all_collection_keys()
    out = {}
    for name in names:
        if not isinstance(name, str):
            continue  # internal collections are keyed by tuples
        items = [_encode_collection_item(item) for item in graph.get_collection(name)]
        out[name] = [item for item in items if item is not None]
    return out


class MetaGraphDef:
    """A graph with its collections, Saver and signatures, ready to write or to import
    (the counterpart of TF's MetaGraphDef message, in tensorlib's format)."""

    def __init__(self, document, blob):
        self._document, self._blob = document, bytes(blob)

    @property
    def collection_def(self):
        """{collection name: [item]} as stored."""
        return self._document["collections"]

    @property
    def saver_def(self):
        return self._document.get("saver")

    @property
    def signature_def(self):
        """{key: SignatureDef} of a SavedModel's meta graph ({} for others)."""
        from tensorlib.saved_model.signature_def_utils import SignatureDef
        return {key: SignatureDef._from_json(d)
                for key, d in self._document.get("signature_def", {}).items()}

    @property
    def meta_info_def(self):
        """An object whose `tags` are the meta graph's SavedModel tags."""
        return _MetaInfoDef(self._document.get("tags", []))

    def SerializeToString(self):  # noqa: N802 (TF's name)
        return encode(self._document, self._blob)


class _MetaInfoDef:
    def __init__(self, tags):
        self.tags = list(tags)


def create_meta_graph_def(graph=None, collection_list=None, clear_devices=False,
                          saver_def=None, extra=None):
    """The MetaGraphDef of `graph` (default: the default graph) with `saver_def`
    (Saver.as_saver_def(), or a Saver) and the `extra` fields."""
    graph = graph or ops.get_default_graph()
    blob = bytearray()
    document = {"nodes": _encode_ops(graph.get_operations(), blob, clear_devices),
                "functions": _encode_functions(graph, blob, clear_devices),
                "collections": _encode_collections(graph, collection_list)}
    if saver_def is not None:
        document["saver"] = saver_def if isinstance(saver_def, dict) else \
            saver_def.as_saver_def()
    document.update(extra or {})
    return MetaGraphDef(document, blob)


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None,
                      collection_list=None, as_text=False, graph=None, export_scope=None,
                      clear_devices=False, clear_extraneous_savers=False,
                      strip_default_attrs=False, save_debug_info=False):
    """Writes the graph (default: the default graph), its collections and `saver_def`
    (Saver.as_saver_def()) to `filename` when given (atomically); returns the MetaGraphDef.
    graph_def and export_scope are not supported; meta_info_def and the strip/clear flags
    other than clear_devices change nothing."""
    if graph_def is not None or export_scope is not None:
        raise NotImplementedError("export_meta_graph with graph_def or export_scope is not "
                                  "supported by tensorlib")
    meta = create_meta_graph_def(graph, collection_list, clear_devices, saver_def)
    if filename is not None:
        from tensorlib.train.checkpoint_management import write_atomically
        data = encode(meta._document, meta._blob, as_text)
        write_atomically(os.fspath(filename), lambda f: f.write(data))
    return meta


def read_meta_graph_file(filename):
    """The MetaGraphDef stored in `filename`."""
    filename = os.fspath(filename)
    try:
        with open(filename, "rb") as f:
            data = f.read()
    except OSError as e:
        raise OSError(e.errno, f"File {filename} does not exist or cannot be read: "
                               f"{e.strerror}") from None
    return MetaGraphDef(*decode(data, filename))


class _Importer:
    """Rebuilds a MetaGraphDef's nodes in `graph` under `import_scope`; `tensor(name)` and
    `op(name)` map the stored names to the new graph's."""

    def __init__(self, meta, graph, import_scope, clear_devices):
        self._meta, self._graph = meta, graph
        self._scope = import_scope.rstrip("/") + "/" if import_scope else ""
        self._clear_devices = clear_devices
        self._ops = {}

    def run(self):
        blob = self._meta._blob
        for function in self._meta._document["functions"]:
            self._add_function(function, blob)
        new_ops = []
        for op_type, name, inputs, control, attrs, device in self._meta._document["nodes"]:
            new_ops.append(self._add_op(op_type, name, [new_ops[i].outputs[k] for i, k in inputs],
                                        [new_ops[i] for i in control],
                                        {k: _decode_attr(v, blob) for k, v in attrs.items()},
                                        device))
        return new_ops

    def _add_op(self, op_type, name, inputs, control, attrs, device):
        graph = self._graph
        with graph.device(None if self._clear_devices or not device else device), \
                graph.control_dependencies(None):
            op = graph._create_op(op_type, inputs, attrs,
                                  name=graph.unique_name(self._scope + name) + "/",
                                  control_inputs=control)
        self._ops[name] = op
        return op

    def _add_function(self, function, blob):
        """Adds a function body straight to the C++ library (its nodes need no Python ops:
        only If and While nodes call them)."""
        top = ops.outermost_graph(self._graph)
        body = _core.Graph(top._c)
        for op_type, name, inputs, control, attrs, device in function["nodes"]:
            body.add_node(op_type, name, [tuple(i) for i in inputs], list(control),
                          {k: _decode_attr(v, blob) for k, v in attrs.items()},
                          "" if self._clear_devices else device)
        top._c.add_function(function["name"], body, list(function["args"]),
                            [tuple(o) for o in function["outputs"]])
        suffix = re.search(r"_(\d+)$", function["name"])
        if suffix:  # new bodies must not reuse the imported names
            top._function_count = max(getattr(top, "_function_count", 0),
                                      int(suffix.group(1)) + 1)

    def op(self, name):
        return self._ops[name]

    def tensor(self, name):
        op_name, index = name.rsplit(":", 1)
        return self._ops[op_name].outputs[int(index)]


def _import_collections(importer, meta, graph):
    """Adds the stored collections' items (variables rebuilt as Variable objects)."""
    from tensorlib.ops import variables
    restored_vars = {}
    for name, items in meta.collection_def.items():
        for item in items:
            if "variable" in item:
                var = restored_vars.get(item["variable"])
                if var is None:
                    var = variables.Variable._from_ops(
                        importer.op(item["variable"]), importer.op(item["initializer"]),
                        importer.tensor(item["initial_value"]), item["trainable"])
                    restored_vars[item["variable"]] = var
                graph.add_to_collection(name, var)
            elif "op" in item:
                graph.add_to_collection(name, importer.op(item["op"]))
            elif "tensor" in item:
                graph.add_to_collection(name, importer.tensor(item["tensor"]))
            else:
                graph.add_to_collection(name, item["value"])
    return restored_vars


def import_scoped_meta_graph(meta_graph_or_file, clear_devices=False, graph=None,
                             import_scope=None):
    """Imports a MetaGraphDef (or its file) into `graph` (default: the default graph);
    returns (the MetaGraphDef, {stored variable name: Variable}, the _Importer)."""
    meta = meta_graph_or_file if isinstance(meta_graph_or_file, MetaGraphDef) \
        else read_meta_graph_file(meta_graph_or_file)
    graph = graph or ops.get_default_graph()
    importer = _Importer(meta, graph, import_scope, clear_devices)
    try:
        with graph.as_default():
            importer.run()
            restored = _import_collections(importer, meta, graph)
    except (KeyError, IndexError, TypeError, ValueError) as e:
        # A malformed document, or a node this build cannot make (e.g. an op of an op
        # library that is not loaded): the message says which.
        raise errors.InvalidArgumentError(None, None, f"Cannot import the meta graph: "
                                                      f"{type(e).__name__}: {e}") from None
    return meta, restored, importer


def saver_for(meta, restored, importer):
    """A Saver of the imported variables: the stored Saver's checkpoint names and settings,
    else every imported global variable; None when there are no variables."""
    from tensorlib.train import saver as saver_lib
    saver_def, graph = meta.saver_def, importer._graph
    with graph.as_default():
        if saver_def is None:
            var_list = [v for v in graph.get_collection(ops.GraphKeys.GLOBAL_VARIABLES)
                        if v in restored.values()]
            return saver_lib.Saver(var_list) if var_list else None
        var_list = {key: restored.get(name) or importer.op(name).outputs[0]
                    for key, name in saver_def["variables"].items()}
        return saver_lib.Saver(var_list, **saver_def["settings"])


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None, **kwargs):
    """Rebuilds a saved graph in the default graph and returns a Saver for its variables (the
    stored Saver's checkpoint names and settings), or None when it has no variables."""
    return saver_for(*import_scoped_meta_graph(meta_graph_or_file, clear_devices,
                                               import_scope=import_scope))
