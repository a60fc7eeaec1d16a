"""Graph functions: subgraphs with typed inputs and outputs, called by If and While.

A FuncGraph is the body of one function while Python builds it. Ops made inside go into it;
a tensor of an enclosing graph used there is captured: it becomes an extra input (a
Placeholder of the body) and the calling op passes the outer tensor in. Variables made inside
live in the outermost graph (ops.init_scope) and are captured like any other tensor.
`add_to_library` registers the finished body in the graph's C++ function library, where
shape inference of the calling op and the executor find it by name.
"""
from tensorlib import _core
from tensorlib.framework import ops, tensor_shape

# Ops that change a variable: outside a body, an op of these made while the body was built
# would run before it, not in it.
_WRITES_VARIABLE = ("Assign", "AssignAdd", "AssignSub", "IsVariableInitialized")
_REF_INPUT = 4  # the bit of _core.op_flags: the op has reference (variable) inputs


class FuncGraph(ops.Graph):
    """The body of a function being built, inside `outer_graph`."""

    def __init__(self, name, outer_graph):
        super().__init__()
        self._c = _core.Graph(outer_graph._c)
        self.name = name
        self._outer_graph = outer_graph
        # Collections (variable stores and scopes among them) and the seed are the caller's.
        self._collections = outer_graph._collections
        self.seed = outer_graph.seed
        self._name_stack = outer_graph._name_stack
        self._device_stack = list(outer_graph._device_stack)
        self._outer_version = outer_graph.version
        self.inputs = []        # Placeholders: the explicit arguments, then the captures
        self.outputs = []
        self._captures = {}     # outer tensor -> its Placeholder here
        self._variable_refs = {}  # outer variable -> its VariableRef here
        self.captured = []      # outer tensors, in the order of their Placeholders

    @property
    def outer_graph(self):
        return self._outer_graph

    def _input_from(self, tensor, op_type):
        if tensor.graph is self:
            return tensor
        if tensor.op.type == "VariableV2" and _core.op_flags(op_type) & _REF_INPUT:
            return self._variable_ref(tensor)
        return self.capture(tensor)

    def _variable_ref(self, variable):
        """What names `variable` (of the outermost graph) for an op of this body that changes
        it (Assign, an optimizer's update): a VariableRef, which the session resolves to the
        variable itself."""
        ref = self._variable_refs.get(variable)
        if ref is None:
            shape = variable.shape
            with self.as_default(), self.control_dependencies(None):
                ref = ops.Graph._create_op(
                    self, "VariableRef", [],
                    {"variable": variable.op._id, "dtype": variable.dtype.as_datatype_enum,
                     "shape": None if shape.ndims is None else shape.as_tuple()},
                    name=variable.op.name.split("/")[-1] + "_ref").outputs[0]
            self._variable_refs[variable] = ref
        return ref

    def add_argument(self, dtype, shape, name):
        """A new explicit argument (a Placeholder)."""
        ph = self._placeholder(dtype, shape, name)
        self.inputs.append(ph)
        return ph

    def capture(self, tensor):
        """The Placeholder standing for `tensor` of an enclosing graph (made on first use)."""
        if tensor.graph is self:
            return tensor
        ph = self._captures.get(tensor)
        if ph is not None:
            return ph
        outer = self._outer_graph
        if tensor.graph is not outer:
            if outer.outer_graph is None:
                raise ValueError(f"Tensor {tensor.name} must be from the same graph as the "
                                 f"function body '{self.name}' or a graph enclosing it.")
            value = outer.capture(tensor)
            ph = self._captures.get(value)
            if ph is not None:
                self._captures[tensor] = ph
                return ph
        else:
            value = tensor
            self._check_capture(tensor)
        ph = self._placeholder(tensor.dtype, tensor.shape, "capture")
        self._captures[tensor] = self._captures[value] = ph
        self.captured.append(value)
        self.inputs.append(ph)
        return ph

    def _check_capture(self, tensor):
        # An outer op made while this body was being built would run before the body, not
        # inside it: refuse stateful ones rather than change the program's meaning.
        op = tensor.op
        if op._id >= self._outer_version and op.type.startswith(_WRITES_VARIABLE + ("Apply",)):
            raise NotImplementedError(
                f"'{op.name}' ({op.type}) was made in the body of a cond or while loop but "
                "updates a variable of the graph outside it; run the update outside the body")

    def _placeholder(self, dtype, shape, name):
        shape = tensor_shape.as_shape(shape) if shape is not None else None
        dims = None if shape is None or shape.ndims is None else shape.as_tuple()
        with self.as_default(), self.control_dependencies(None):
            return ops.Graph._create_op(self, "Placeholder", [],
                                        {"dtype": dtype.as_datatype_enum, "shape": dims},
                                        name=name).outputs[0]

    def add_to_library(self):
        """Registers this body under its name in the function library."""
        self._outer_graph._c.add_function(
            self.name, self._c, [t.op._id for t in self.inputs],
            [(t.op._id, t.value_index) for t in self.outputs])
        # Meta graphs store every body of the library, in this order.
        top = ops.outermost_graph(self)
        top._function_bodies = getattr(top, "_function_bodies", []) + [self]


def unique_function_name(graph, base):
    """A function name not used before in `graph`'s library (shared by its bodies)."""
    top = ops.outermost_graph(graph)
    count = getattr(top, "_function_count", 0)
    top._function_count = count + 1
    base = base.replace("/", "_") or "fn"
    return f"{base}_{count}"


def inline(fg, inputs, keep=None):
    """Copies the ops of body `fg` into the default graph with `inputs` in place of its
    Placeholders (a dict Placeholder -> tensor, or a list in fg.inputs' order); returns the
    mapping of fg's tensors to the copies. With `keep`, copies only the ops those tensors of fg
    need."""
    if not isinstance(inputs, dict):
        inputs = dict(zip(fg.inputs, inputs))
    mapping = dict(inputs)
    needed = None
    if keep is not None:
        needed = set()
        stack = [t.op for t in keep if t not in mapping]
        while stack:
            op = stack.pop()
            if op._id in needed:
                continue
            needed.add(op._id)
            stack.extend(t.op for t in op.inputs if t not in mapping)
            stack.extend(op.control_inputs)
    op_map = {}
    graph = ops.get_default_graph()
    for op in fg.get_operations():
        if needed is not None and op._id not in needed:
            continue
        if all(t in mapping for t in op.outputs) and op.outputs:
            continue
        if op.type == "Placeholder":
            raise ValueError(f"inlining '{fg.name}': its argument {op.name} has no value")
        new_inputs = [mapping[t] for t in op.inputs]
        control = [op_map[c._id] for c in op.control_inputs if c._id in op_map]
        new_op = graph._create_op(op.type, new_inputs, op._attrs, name=op.name.split("/")[-1],
                                  control_inputs=control)
        for meta in ("_functions", "_cond", "_while"):  # what control flow's gradients read
            if hasattr(op, meta):
                setattr(new_op, meta, getattr(op, meta))
        op_map[op._id] = new_op
        for a, b in zip(op.outputs, new_op.outputs):
            mapping[a] = b
    return mapping
