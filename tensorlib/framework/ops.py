"""Graph, Operation and Tensor: Python handles onto the C++ graph.

A Graph owns a C++ graph (tensorlib._core.Graph). Adding an op checks and shape-infers it in
C++ at once, so a bad shape raises at the user's line; the Python objects only remember names,
structure and where in the user's code each op was made.
"""
import contextlib
import os
import re
import sys
import threading

from tensorlib import _core
from tensorlib import dtypes as _dtypes
from tensorlib.framework import tensor_shape

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_location():
    """(file, line) of the innermost caller outside tensorlib, or None."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR + os.sep):
            return filename, frame.f_lineno
        frame = frame.f_back
    return None


def _format_location(location):
    """'file:line', or the name IPython gives the cell a line was typed in ('Cell In[3],
    line 2'), as its tracebacks do, instead of the kernel's temporary file."""
    filename, line = location
    # IPython is asked only when it is already running: importing it would cost a second.
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    format_code_name = getattr(getattr(shell, "compile", None), "format_code_name", None)
    cell = format_code_name(filename) if format_code_name is not None else None
    if cell is not None:
        return f"{cell[0]} {cell[1]}, line {line}"
    return f"{filename}:{line}"


class Tensor:
    """One output of an Operation: a symbolic value, computed when a Session runs it."""

    # NumPy defers binary operators with a Tensor on the right to Tensor's reflected methods.
    __array_priority__ = 100
    __array_ufunc__ = None

    # The Python operators that build ops (defined by math_ops and array_ops through
    # _override_operator); == and != stay identity tests, as in TF1's graph mode.
    OVERLOADABLE_OPERATORS = (
        "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
        "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__",
        "__pow__", "__rpow__", "__matmul__", "__rmatmul__",
        "__and__", "__rand__", "__or__", "__ror__", "__xor__", "__rxor__",
        "__lt__", "__le__", "__gt__", "__ge__",
        "__neg__", "__abs__", "__invert__", "__getitem__",
    )

    @classmethod
    def _override_operator(cls, operator, func):
        """Makes `func` the Tensor's `operator` (one of OVERLOADABLE_OPERATORS)."""
        if operator not in cls.OVERLOADABLE_OPERATORS:
            raise ValueError(f"Overriding {operator} is not allowed")
        setattr(cls, operator, func)

    def __init__(self, op, value_index, dtype):
        self._op = op
        self._value_index = value_index
        self._dtype = dtype

    @property
    def op(self):
        return self._op

    @property
    def value_index(self):
        return self._value_index

    @property
    def dtype(self):
        return self._dtype

    @property
    def graph(self):
        return self._op.graph

    @property
    def name(self):
        return f"{self._op.name}:{self._value_index}"

    @property
    def device(self):
        return self._op.device

    @property
    def shape(self):
        """The static shape (a TensorShape), as inferred when the op was added."""
        return tensor_shape.TensorShape(
            self._op.graph._c.output_shape(self._op._id, self._value_index))

    def get_shape(self):
        return self.shape

    def set_shape(self, shape):
        """Narrows the static shape; ValueError when it contradicts what is known."""
        shape = tensor_shape.as_shape(shape)
        try:
            self._op.graph._c.set_output_shape(self._op._id, self._value_index, shape.as_tuple())
        except ValueError:
            raise ValueError(f"Tensor's shape {self.shape} is not compatible with supplied "
                             f"shape {shape}") from None

    def consumers(self):
        return [op for op in self.graph._ops
                if any(t is self for t in op.inputs)]

    def eval(self, feed_dict=None, session=None):
        """Runs the graph to compute this tensor in `session` or the default session."""
        from tensorlib.client import session as _session
        return _session._run_using_default(self, feed_dict, session, "eval()")

    def _as_node_input(self):
        return self._op._id, self._value_index

    def __repr__(self):
        return f"<tf.Tensor '{self.name}' shape={self.shape} dtype={self._dtype.name}>"

    def _repr_html_(self):
        """Jupyter's picture of what this tensor depends on."""
        from tensorlib.framework import graph_display
        return graph_display.to_html(self)

    def __str__(self):
        return f'Tensor("{self.name}", shape={self.shape}, dtype={self._dtype.name})'

    def __bool__(self):
        raise TypeError("Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is "
                        "not None:` instead of `if t:` to test if a tensor is defined, and use "
                        "the logical TensorFlow ops to test the value of a tensor.")

    def __iter__(self):
        raise TypeError("'Tensor' object is not iterable.")

    def __len__(self):
        raise TypeError(f"len is not well defined for symbolic Tensors. ({self.name})")


class Operation:
    """A node of the graph: its type, inputs, attributes and output Tensors."""

    def __init__(self, graph, node_id, name, op_type, inputs, control_inputs, attrs, location,
                 device):
        self._graph = graph
        self._id = node_id
        self._name = name
        self._type = op_type
        self._inputs = tuple(inputs)
        self._control_inputs = tuple(control_inputs)
        self._attrs = attrs
        self._location = location
        self._device = device
        c = graph._c
        self._outputs = tuple(
            Tensor(self, i, _dtypes.as_dtype(c.output_dtype(node_id, i)))
            for i in range(c.num_outputs(node_id)))

    @property
    def name(self):
        return self._name

    @property
    def type(self):
        return self._type

    @property
    def graph(self):
        return self._graph

    @property
    def inputs(self):
        return self._inputs

    @property
    def outputs(self):
        return self._outputs

    @property
    def control_inputs(self):
        return self._control_inputs

    @property
    def device(self):
        return self._device

    def values(self):
        return self._outputs

    def get_attr(self, name):
        """The value of attribute `name` as given when the op was made."""
        if name not in self._attrs:
            raise ValueError(f"Operation '{self._name}' has no attr named '{name}'.")
        return self._attrs[name]

    def run(self, feed_dict=None, session=None):
        """Runs this op in `session` or the default session."""
        from tensorlib.client import session as _session
        _session._run_using_default(self, feed_dict, session, "run()")

    def _where(self):
        """' (defined at file:line)' for error messages, or ''."""
        if self._location is None:
            return ""
        return f" (defined at {_format_location(self._location)})"

    def __repr__(self):
        return f"<tf.Operation '{self._name}' type={self._type}>"

    def _repr_html_(self):
        """Jupyter's picture of what this op depends on."""
        from tensorlib.framework import graph_display
        return graph_display.to_html(self)


class DeviceSpec:
    """A device as TF1 names it: job, replica, task, device type and index, each possibly
    left open (None). `DeviceSpec.from_string("/job:localhost/device:GPU:0")`,
    `spec.to_string()`."""

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job = job
        self.replica = replica
        self.task = task
        self.device_type = device_type.upper() if device_type else None
        self.device_index = device_index

    @classmethod
    def from_string(cls, spec):
        """Parses `spec` ("/cpu:0", "/device:GPU:1", "/job:localhost/replica:0/task:0/..."),
        raising ValueError when it is malformed."""
        return cls(*_core.parse_device(spec or ""))

    def merged_over(self, outer):
        """This spec with the fields it leaves open taken from `outer`."""
        fields = ("job", "replica", "task", "device_type", "device_index")
        return DeviceSpec(*[getattr(self, f) if getattr(self, f) is not None
                            else getattr(outer, f) for f in fields])

    def to_string(self):
        out = ""
        if self.job is not None:
            out += f"/job:{self.job}"
        if self.replica is not None:
            out += f"/replica:{self.replica}"
        if self.task is not None:
            out += f"/task:{self.task}"
        if self.device_type is not None:
            index = "*" if self.device_index is None else self.device_index
            out += f"/device:{self.device_type}:{index}"
        return out

    def __eq__(self, other):
        return isinstance(other, DeviceSpec) and self.to_string() == other.to_string()

    def __hash__(self):
        return hash(self.to_string())

    def __repr__(self):
        return f"DeviceSpec({self.to_string()!r})"


class _OpStub:
    """What a device function sees of the op being made: its type, name, inputs and the
    device inner blocks gave it."""

    def __init__(self, op_type, name, inputs, device):
        self.type = op_type
        self.name = name
        self.inputs = tuple(inputs)
        self.device = device


class GraphKeys:
    """Standard collection names."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    QUEUE_RUNNERS = "queue_runners"
    MODEL_VARIABLES = "model_variables"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    WEIGHTS = "weights"  # contrib.layers' collections of what a layer made
    BIASES = "biases"
    ACTIVATIONS = "activations"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    REGULARIZATION_LOSSES = "regularization_losses"
    GLOBAL_STEP = "global_step"
    INIT_OP = "init_op"
    TRAIN_OP = "train_op"
    SAVERS = "savers"
    VARIABLES = GLOBAL_VARIABLES
    # Metric state, and the ops a Scaffold finds or keeps (tf.metrics, tf.train.Scaffold).
    METRIC_VARIABLES = "metric_variables"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"


# Ops whose output has the shape that one of their inputs holds (the index of that input): when
# C++ could not read it (not a constant), the part of it known while building still refines
# the output's static shape, as TF1's shape inference does.
_SHAPE_INPUT = {"Reshape": 1, "Fill": 0, "BroadcastTo": 1, "RandomStandardNormal": 0,
                "RandomUniform": 0, "RandomUniformInt": 0, "TruncatedNormal": 0}


def _refine_from_shape_input(op, shape_tensor):
    out = op.outputs[0]
    if out.shape.is_fully_defined():
        return
    from tensorlib.framework import tensor_util
    known = tensor_util.constant_value_as_shape(shape_tensor)
    if known.ndims is not None and out.shape.is_compatible_with(known):
        out.set_shape(known)


class Graph:
    """A dataflow graph. Ops are appended; nothing is computed until a Session runs it."""

    def __init__(self):
        self._c = _core.Graph()
        self._ops = []
        self._ops_by_name = {}
        self._names_in_use = {}
        self._name_stack = ""
        self._control_dependencies = []
        self._device_stack = []  # device strings (canonical), functions, None (a reset)
        self._collections = {}
        self._finalized = False
        self._lock = threading.RLock()
        self.seed = None

    # -- construction -------------------------------------------------------------------------

    def _create_op(self, op_type, inputs, attrs=None, name=None, control_inputs=()):
        """Adds an op of type `op_type`; returns the Operation. The single entry point for every
        op wrapper: it names, checks and shape-infers (in C++) and records the user's line."""
        attrs = attrs or {}
        with self._lock:
            if self._finalized:
                raise RuntimeError("Graph is finalized and cannot be modified.")
            inputs = [self._input_from(t, op_type) for t in inputs]
            # A name ending in '/' is a scope's own (already unique) name: the op takes it.
            name = name[:-1] if name and name.endswith("/") else self.unique_name(name or op_type)
            control = [op for op in control_inputs if op.graph is self]
            for deps in self._control_dependencies:
                control.extend(op for op in deps if op not in control)
            device = self._device_for(op_type, name, inputs)
            location = _user_location()
            try:
                node_id = self._c.add_node(op_type, name, [t._as_node_input() for t in inputs],
                                           [op._id for op in control], attrs, device)
            except (ValueError, TypeError) as e:
                where = f", defined at {_format_location(location)}" if location else ""
                raise type(e)(f"{e} [node '{name}'{where}]") from None
            op = Operation(self, node_id, name, op_type, inputs, control, attrs, location,
                           device)
            if op_type in _SHAPE_INPUT:
                _refine_from_shape_input(op, inputs[_SHAPE_INPUT[op_type]])
            self._ops.append(op)
            self._ops_by_name[name] = op
            return op

    def _input_from(self, tensor, op_type):
        """`tensor` as an input of an op of this graph (a function body captures it)."""
        if tensor.graph is not self:
            raise ValueError(f"Tensor {tensor.name} must be from the same graph as the op "
                             f"being created ({op_type}).")
        return tensor

    @property
    def outer_graph(self):
        """The graph a function body is called from; None for an ordinary graph."""
        return None

    def unique_name(self, name, mark_as_used=True):
        """`name` under the current name scope, suffixed _1, _2, ... when already taken."""
        if self._name_stack:
            name = self._name_stack + "/" + name
        key = name.lower()
        count = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = count + 1
        if count > 0:
            base = key
            while key in self._names_in_use:
                key = f"{base}_{count}"
                count += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = f"{name}_{count - 1}"
        return name

    @contextlib.contextmanager
    def name_scope(self, name):
        """Prefixes the names of ops made inside with `name/` (made unique); a name ending in
        '/' is used as is; None or '' resets to the top level."""
        old = self._name_stack
        if not name:
            new = ""
        elif name.endswith("/"):
            new = name[:-1]
        else:
            new = self.unique_name(name)
        self._name_stack = new
        try:
            yield (new + "/") if new else ""
        finally:
            self._name_stack = old

    def get_name_scope(self):
        return self._name_stack

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Ops made inside run only after `control_inputs` (ops or tensors); None clears."""
        if control_inputs is None:
            old = self._control_dependencies
            self._control_dependencies = []
            try:
                yield
            finally:
                self._control_dependencies = old
            return
        ops = []
        for c in control_inputs:
            c = self.as_graph_element(c, allow_tensor=True, allow_operation=True)
            ops.append(c.op if isinstance(c, Tensor) else c)
        self._control_dependencies.append(ops)
        try:
            yield
        finally:
            self._control_dependencies.pop()

    @contextlib.contextmanager
    def device(self, device_name_or_function):
        """Ops made inside run on this device (TF1's `tf.device`): a string such as "/cpu:0",
        "/device:GPU:1" or "/job:localhost/replica:0/task:0/device:CPU:0" (fields it leaves
        open come from enclosing `device` blocks), a function of the op returning one, or
        None (no device). Raises ValueError for a malformed string."""
        entry = device_name_or_function
        if isinstance(entry, DeviceSpec):
            entry = entry.to_string()
        if isinstance(entry, str):
            entry = DeviceSpec.from_string(entry).to_string()
        elif entry is not None and not callable(entry):
            raise TypeError(f"tf.device takes a string, a function or None, not "
                            f"{type(entry).__name__}")
        self._device_stack.append(entry)
        try:
            yield
        finally:
            self._device_stack.pop()

    def _device_for(self, op_type, name, inputs):
        """The device string of a new op: the device blocks around it, innermost first,
        each filling in what the inner ones left open (TF1's merge)."""
        spec = DeviceSpec()
        for entry in reversed(self._device_stack):
            if entry is None:
                break
            if callable(entry):
                entry = entry(_OpStub(op_type, name, inputs, spec.to_string()))
                if entry is None:
                    continue
                if isinstance(entry, DeviceSpec):
                    entry = entry.to_string()
            spec = spec.merged_over(DeviceSpec.from_string(entry))
        return spec.to_string()

    # -- lookup ------------------------------------------------------------------------------

    def get_operations(self):
        return list(self._ops)

    def _repr_html_(self):
        """Jupyter's picture of the graph, its name scopes collapsed into boxes that unfold."""
        from tensorlib.framework import graph_display
        return graph_display.to_html(self)

    def get_operation_by_name(self, name):
        op = self._ops_by_name.get(name)
        if op is None:
            raise KeyError(f"The name '{name}' refers to an Operation not in the graph.")
        return op

    def get_tensor_by_name(self, name):
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """The Tensor or Operation that `obj` (an element, a Variable or a name) stands for."""
        if hasattr(obj, "_as_graph_element"):
            obj = obj._as_graph_element()
        if isinstance(obj, str):
            if ":" in obj:
                if not allow_tensor:
                    raise ValueError(f"Name '{obj}' refers to a Tensor, which is not allowed.")
                op_name, _, index = obj.rpartition(":")
                op = self._ops_by_name.get(op_name)
                if op is None or not index.isdigit() or int(index) >= len(op.outputs):
                    raise KeyError(f"The name '{obj}' refers to a Tensor which does not exist.")
                return op.outputs[int(index)]
            if not allow_operation:
                raise ValueError(f"The name '{obj}' looks like an (invalid) Operation name, "
                                 "not a Tensor. Tensor names must be of the form "
                                 "\"<op_name>:<output_index>\".")
            return self.get_operation_by_name(obj)
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError(f"Operation {obj} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a "
                        f"{'Tensor or Operation' if allow_operation else 'Tensor'}.")

    # -- collections -------------------------------------------------------------------------

    def add_to_collection(self, name, value):
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value):
        for name in [names] if isinstance(names, str) else names:
            self.add_to_collection(name, value)

    def get_collection(self, name, scope=None):
        """The items of collection `name`; with `scope`, those whose name re.match-es it."""
        items = self._collections.get(name, [])
        if scope is None:
            return list(items)
        regex = re.compile(scope)
        return [i for i in items if regex.match(getattr(i, "name", None) or "")]

    def get_collection_ref(self, name):
        return self._collections.setdefault(name, [])

    def get_all_collection_keys(self):
        return list(self._collections)

    def clear_collection(self, name):
        self._collections.pop(name, None)

    # -- state -------------------------------------------------------------------------------

    def finalize(self):
        """Makes the graph read-only: adding an op raises RuntimeError (catches graphs that
        grow inside training loops)."""
        self._finalized = True

    @property
    def finalized(self):
        return self._finalized

    @property
    def version(self):
        return len(self._ops)

    def _op_by_id(self, node_id):
        return self._ops[node_id] if 0 <= node_id < len(self._ops) else None

    @contextlib.contextmanager
    def as_default(self):
        """Makes this the default graph inside the `with` block."""
        _graph_stack.stack.append(self)
        try:
            yield self
        finally:
            _graph_stack.stack.pop()


class _GraphStack(threading.local):
    def __init__(self):
        self.stack = []


_graph_stack = _GraphStack()
_global_default_graph = None


def get_default_graph():
    """The innermost graph made default with `as_default`, else the global default graph."""
    if _graph_stack.stack:
        return _graph_stack.stack[-1]
    global _global_default_graph
    if _global_default_graph is None:
        _global_default_graph = Graph()
    return _global_default_graph


def reset_default_graph():
    """Replaces the global default graph with a new, empty one."""
    if _graph_stack.stack:
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If "
                             "you need a cleared graph, exit the nesting and create a new graph.")
    global _global_default_graph
    _global_default_graph = Graph()


def outermost_graph(graph):
    """The graph that function body `graph` is built for (`graph` itself when it is none)."""
    while graph.outer_graph is not None:
        graph = graph.outer_graph
    return graph


@contextlib.contextmanager
def init_scope():
    """Leaves any function body being built for the graph that calls it (outermost first),
    keeping the name scope: variables made inside a cond or loop body live there."""
    graph = get_default_graph()
    outer = outermost_graph(graph)
    if outer is graph:
        yield
        return
    old_stack, old_deps = outer._name_stack, outer._control_dependencies
    outer._name_stack, outer._control_dependencies = graph._name_stack, []
    try:
        with outer.as_default():
            yield
    finally:
        outer._name_stack, outer._control_dependencies = old_stack, old_deps


def name_scope(name, default_name=None, values=None):
    """TF1's `tf.name_scope(name, default_name=None, values=None)` on the default graph."""
    return get_default_graph().name_scope(name if name is not None else default_name)


def control_dependencies(control_inputs):
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name):
    return get_default_graph().device(device_name)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    return get_default_graph().get_collection_ref(key)


def graph_for(inputs):
    """The graph an op of `inputs` goes into: theirs, or the default graph when they have none
    or when it is a function body being built (which captures inputs from outside)."""
    graph = get_default_graph()
    if graph.outer_graph is None:
        graph = next((t.graph for t in inputs if isinstance(t, Tensor)), None) or graph
    return graph


def apply_op(op_type, inputs, attrs=None, name=None, control_inputs=()):
    """Adds an op to graph_for(inputs); returns it."""
    graph = graph_for(inputs)
    return graph._create_op(op_type, inputs, attrs, name=name, control_inputs=control_inputs)


# ---- gradient registry ------------------------------------------------------------------------
# One rule per differentiable op type, defined beside the op's wrapper:
#
#     @ops.RegisterGradient("Mul", reduces_broadcast=True)
#     def _mul_grad(op, grad):
#         x, y = op.inputs
#         return grad * y, grad * x
#
# A rule receives the op and one gradient per output (None for outputs nothing depends on,
# unless the op has several outputs and some have gradients: those get zeros) and returns one
# gradient per input (None where there is none). With reduces_broadcast the rule may return
# gradients in the broadcast output shape: the gradient driver sums them down to each input's
# shape. Op types that have no gradient are declared with NotDifferentiable.
#
# Ops from op libraries (tf.load_op_library) start out not differentiable; registering a rule
# for one, before or after loading it, makes it differentiable.

_gradient_registry = {}
_library_ops_without_rule = set()


class RegisterGradient:
    """Decorator registering the gradient rule of op type `op_type`."""

    def __init__(self, op_type, reduces_broadcast=False):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type
        self._reduces_broadcast = reduces_broadcast

    def __call__(self, fn):
        if (self._op_type in _gradient_registry
                and self._op_type not in _library_ops_without_rule):
            raise KeyError(f"Registering two gradient with name '{self._op_type}'!")
        _library_ops_without_rule.discard(self._op_type)
        _gradient_registry[self._op_type] = (fn, self._reduces_broadcast)
        return fn


def NotDifferentiable(op_type):  # noqa: N802 (TF1's name)
    """Declares that ops of type `op_type` have no gradient (their inputs get None)."""
    if not isinstance(op_type, str):
        raise TypeError("op_type must be a string")
    _gradient_registry[op_type] = (None, False)


no_gradient = NotDifferentiable


def _library_op_loaded(op_type):
    """Marks op type `op_type` of a newly loaded op library not differentiable, unless a rule
    was registered for it already."""
    if op_type not in _gradient_registry:
        _gradient_registry[op_type] = (None, False)
        _library_ops_without_rule.add(op_type)


# The modules whose gradient rules `import tensorlib` does not load (they come with namespaces
# that load on first use). A graph read from a file can hold their ops without them imported.
_LAZY_RULE_MODULES = ("tensorlib.ops.data_ops", "tensorlib.ops.rnn_ops",
                      "tensorlib.summary.summary_ops", "tensorlib.train.training_ops")


def load_all_gradient_rules():
    """Imports every module that registers gradient rules."""
    import importlib
    for name in _LAZY_RULE_MODULES:
        importlib.import_module(name)


def get_gradient_function(op):
    """(rule, reduces_broadcast) for `op`: rule is None when the op is not differentiable.
    Raises LookupError when its type has no registered rule."""
    if op.type not in _gradient_registry:
        load_all_gradient_rules()
    try:
        return _gradient_registry[op.type]
    except KeyError:
        raise LookupError(f"No gradient defined for operation '{op.name}' "
                          f"(op type: {op.type})") from None
