"""TFLiteConverter: a session's graph, frozen, pruned and constant-folded into a model file.

    converter = tf.lite.TFLiteConverter.from_session(sess, [x], [y])
    model = converter.convert()            # bytes, laid out as docs/model_format.md says
    with open("model.tlm.tmp", "wb") as f:  # then renamed: readers never see half a file
        f.write(model)
    os.replace("model.tlm.tmp", "model.tlm")

`from_session` reads the variables' current values (as TF1 does) and keeps only the ops that
the outputs need given the inputs; `convert` computes every constant-only subgraph once and
writes the result. The model's inputs are placeholders named after the input tensors' ops.
"""
from tensorlib import _core
from tensorlib.client import session as _session
from tensorlib.framework import ops

# Bits of _core.op_flags.
_STATEFUL, _MUST_BE_FED, _REF_INPUT = 1, 2, 4

# Op types that no model file may hold -> why. Packages whose ops only work inside a running
# job add theirs (tensorlib.distribute: collectives that talk to the other MPI processes).
NOT_EXPORTABLE = {}


def _as_tensors(graph, tensors, what):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{what} must be a list of tensors, got {type(tensors).__name__}")
    out = []
    for t in tensors:
        try:
            t = graph.as_graph_element(t, allow_tensor=True, allow_operation=False)
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(f"{what}: {t!r} is not a tensor of the session's graph ({e})") \
                from None
        if t in out:
            raise ValueError(f"{what}: tensor '{t.name}' is listed twice")
        out.append(t)
    if what == "output_tensors" and not out:
        raise ValueError("output_tensors must name at least one tensor")
    return out


def _fresh_name(base, taken):
    """`base`, or `base_1`, `base_2`, ... : the first not in `taken` (which it joins)."""
    name, i = base, 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name


def _copy_op(graph, op, inputs, control_inputs, name=None):
    """A copy of `op` in `graph` with the given inputs, keeping its name, attributes, device."""
    with graph.device(op.device):
        return graph._create_op(op.type, inputs, op._attrs, name=(name or op.name) + "/",
                                control_inputs=control_inputs)


def _const(graph, value, name):
    return graph._create_op("Const", [], {"value": value}, name=name + "/")


def _needed_ops(outputs, stop):
    """The ops that compute `outputs` through data edges, not looking past tensors in `stop`."""
    needed = set()
    stack = [t.op for t in outputs if t not in stop]
    while stack:
        op = stack.pop()
        if op in needed:
            continue
        needed.add(op)
        stack.extend(t.op for t in op.inputs if t not in stop)
    return needed


def _freeze(sess, inputs, outputs):
    """A new graph with only what `outputs` need given `inputs`: placeholders for the inputs,
    Const nodes holding the variables' current values. Returns (graph, inputs, outputs)."""
    graph = sess.graph
    input_set = set(inputs)
    needed = _needed_ops(outputs, input_set)
    for t in inputs:
        if t.op in needed:
            raise ValueError(f"input tensor '{t.name}' comes from op '{t.op.name}', whose other "
                             "outputs the model also needs; use a tensor of its own as input")
    variables = []
    for op in graph.get_operations():
        if op not in needed:
            continue
        flags = _core.op_flags(op.type)
        if flags & _MUST_BE_FED:
            raise ValueError(f"the outputs depend on placeholder '{op.name}', which is not one "
                             "of the input tensors")
        if flags & _REF_INPUT:
            raise ValueError(f"op '{op.name}' ({op.type}) changes a variable and cannot be part "
                             "of a model: choose outputs that do not depend on it")
        if op.type in NOT_EXPORTABLE:
            raise ValueError(f"op '{op.name}' ({op.type}) {NOT_EXPORTABLE[op.type]} and cannot "
                             "be part of a model: choose outputs that do not depend on it")
        if op.type == "VariableV2":
            variables.append(op)
    values = sess.run([op.outputs[0] for op in variables]) if variables else []
    value_of = dict(zip(variables, values))

    frozen = ops.Graph()
    frozen._c.add_functions_of(graph._c)  # what If and While nodes call
    taken = {op.name for op in needed}
    mapping = {}  # tensor of sess.graph -> tensor of frozen
    for t in inputs:
        base = t.op.name if t.value_index == 0 else f"{t.op.name}_{t.value_index}"
        placeholder = frozen._create_op(
            "Placeholder", [],
            {"dtype": t.dtype.as_datatype_enum, "shape": t.shape.as_tuple()},
            name=_fresh_name(base, taken) + "/")
        mapping[t] = placeholder.outputs[0]
    copies = {}
    for op in graph.get_operations():
        if op not in needed:
            continue
        if op in value_of:
            new = _const(frozen, value_of[op], op.name)
        else:
            new = _copy_op(frozen, op, [mapping[t] for t in op.inputs],
                           [copies[c] for c in op.control_inputs if c in copies])
        copies[op] = new
        mapping.update(zip(op.outputs, new.outputs))
    return frozen, [mapping[t] for t in inputs], [mapping[t] for t in outputs]


def _fold_constants(graph, inputs, outputs, config):
    """A new graph where every output of a constant-only subgraph that something else uses is
    a Const holding its value, computed once here (stateful ops, such as random ones, are
    never folded). Returns (graph, inputs, outputs)."""
    foldable = set()
    for op in graph.get_operations():
        if op.type == "Const":
            foldable.add(op)
        elif (not _core.op_flags(op.type) & (_STATEFUL | _MUST_BE_FED) and op.outputs
              and not op.control_inputs and all(t.op in foldable for t in op.inputs)):
            foldable.add(op)
    # The folded tensors: those of non-Const foldable ops that the rest of the graph uses.
    used = {t for op in graph.get_operations() if op not in foldable for t in op.inputs}
    used.update(outputs)
    folded = [t for op in graph.get_operations() if op in foldable and op.type != "Const"
              for t in op.outputs if t in used]
    values = {}
    if folded:
        with _session.Session(graph=graph, config=config) as sess:
            values = dict(zip(folded, sess.run(folded)))

    needed = _needed_ops(outputs, set(values))
    result = ops.Graph()
    result._c.add_functions_of(graph._c)
    taken = {op.name for op in graph.get_operations()}
    mapping, copies = {}, {}
    input_ops = {t.op for t in inputs}
    for op in graph.get_operations():
        if op in input_ops or op in needed:
            new = _copy_op(result, op, [mapping[t] for t in op.inputs],
                           [copies[c] for c in op.control_inputs
                            if c in copies and c not in foldable])
            copies[op] = new
            mapping.update(zip(op.outputs, new.outputs))
            continue
        for t in op.outputs:
            if t in values:
                name = op.name if len(op.outputs) == 1 else _fresh_name(
                    f"{op.name}/output_{t.value_index}", taken)
                mapping[t] = _const(result, values[t], name).outputs[0]
    return result, [mapping[t] for t in inputs], [mapping[t] for t in outputs]


class TFLiteConverter:
    """Converts a graph into a tensorlib model file (TF1's `tf.lite.TFLiteConverter`).

    Make one with `from_session`; `convert()` returns the model as bytes, which the C++
    `tl::load_model` (include/tensorlib/model.h) loads without any Python state. The model
    holds only what the output tensors need given the input tensors, with variables frozen
    into constants and constant-only subgraphs computed once.
    """

    def __init__(self, graph, input_tensors, output_tensors, config=None):
        """`graph`: a tensorlib Graph without variables (from_session makes one);
        `input_tensors`/`output_tensors`: its tensors to feed and to fetch."""
        self._graph = graph
        self._inputs = list(input_tensors)
        self._outputs = list(output_tensors)
        self._config = config

    @classmethod
    def from_session(cls, sess, input_tensors, output_tensors):
        """A converter for `sess.graph`, fed at `input_tensors` and fetched at
        `output_tensors`: variables take the values they have in `sess` now."""
        if getattr(sess, "_closed", False):
            raise RuntimeError("Attempted to use a closed Session.")
        inputs = _as_tensors(sess.graph, input_tensors, "input_tensors")
        outputs = _as_tensors(sess.graph, output_tensors, "output_tensors")
        graph, inputs, outputs = _freeze(sess, inputs, outputs)
        return cls(graph, inputs, outputs, config=sess._config)

    def convert(self):
        """The model file's bytes (see docs/model_format.md)."""
        graph, inputs, outputs = _fold_constants(self._graph, self._inputs, self._outputs,
                                                 self._config)
        return _core.serialize_model(graph._c, [t._as_node_input() for t in inputs],
                                     [t._as_node_input() for t in outputs])
