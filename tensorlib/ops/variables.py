"""Variables: state that persists across Session.run calls, one value per session."""
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import control_flow_ops


class Variable:
    """A TF1 variable. Its value lives in each Session and starts uninitialized: run
    `initializer` (or `global_variables_initializer()`) before reading it."""

    # NumPy defers binary operators with a Variable on the right to its reflected methods.
    __array_priority__ = 100
    __array_ufunc__ = None

    def __init__(self, initial_value=None, trainable=True, collections=None,
                 validate_shape=True, name=None, dtype=None, expected_shape=None):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        with ops.name_scope(name, "Variable") as scope:
            if callable(initial_value):
                initial_value = initial_value()
            init = convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            shape = init.shape if validate_shape else None
            if validate_shape and not init.shape.is_fully_defined():
                raise ValueError(f"initial_value must have a shape specified: {init}")
            graph = init.graph
            self._variable_op = graph._create_op(
                "VariableV2", [],
                {"shape": shape.as_tuple() if shape is not None else None,
                 "dtype": init.dtype.as_datatype_enum},
                name=scope)
            self._variable = self._variable_op.outputs[0]
            self._initial_value = init
            self._initializer_op = graph._create_op(
                "Assign", [self._variable, init], {"validate_shape": validate_shape},
                name="Assign")
        self._trainable = trainable
        if collections is None:
            collections = [ops.GraphKeys.GLOBAL_VARIABLES]
        if trainable and ops.GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections = list(collections) + [ops.GraphKeys.TRAINABLE_VARIABLES]
        graph.add_to_collections(collections, self)

    # -- identity ----------------------------------------------------------------------------
    @property
    def name(self):
        return self._variable.name

    @property
    def op(self):
        return self._variable_op

    @property
    def graph(self):
        return self._variable.graph

    @property
    def dtype(self):
        return self._variable.dtype

    @property
    def shape(self):
        return self._variable.shape

    def get_shape(self):
        return self.shape

    @property
    def trainable(self):
        return self._trainable

    @property
    def initializer(self):
        """The op that assigns the initial value."""
        return self._initializer_op

    @property
    def initial_value(self):
        return self._initial_value

    @property
    def device(self):
        return self._variable.device

    def _as_graph_element(self):
        return self._variable

    def value(self):
        """The variable's value as a Tensor."""
        return self._variable

    read_value = value

    # -- state -------------------------------------------------------------------------------
    def assign(self, value, use_locking=False, name=None, read_value=True):
        """An op that stores `value` in the variable; its output is the new value."""
        value = convert_to_tensor(value, dtype=self.dtype)
        op = self.graph._create_op("Assign", [self._variable, value],
                                   {"use_locking": use_locking}, name=name or "Assign")
        return op.outputs[0] if read_value else op

    def eval(self, session=None):
        return self._variable.eval(session=session)

    def load(self, value, session=None):
        """Stores `value` into the variable in `session` (or the default session)."""
        from tensorlib.client import session as _session
        sess = session or _session.get_default_session()
        if sess is None:
            raise ValueError("Either session argument should be provided or default session "
                             "should be established")
        sess.run(self._initializer_op, {self._initial_value: value})

    def __repr__(self):
        return (f"<tf.Variable '{self.name}' shape={self.shape} "
                f"dtype={self.dtype.name}>")


def _forward_operators():
    """A Variable in an expression stands for its value (x + v, v @ w, -v, v[0], ...)."""
    for operator in ops.Tensor.OVERLOADABLE_OPERATORS:
        def forward(self, *args, _operator=operator):
            return getattr(self._variable, _operator)(*args)
        setattr(Variable, operator, forward)


_forward_operators()


def global_variables(scope=None):
    return ops.get_collection(ops.GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope=None):
    return ops.get_collection(ops.GraphKeys.TRAINABLE_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """An op that initializes the variables in `var_list`."""
    if not var_list:
        return control_flow_ops.no_op(name=name)
    return control_flow_ops.group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer():
    """An op that initializes every global variable of the default graph."""
    return variables_initializer(global_variables())


initialize_all_variables = global_variables_initializer
