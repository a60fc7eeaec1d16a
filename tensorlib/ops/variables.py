"""Variables: state that persists across Session.run calls, one value per session."""
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.framework.indexed_slices import IndexedSlices
from tensorlib.ops import array_ops, control_flow_ops


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
        if collections is None:
            collections = [ops.GraphKeys.GLOBAL_VARIABLES]
        if not isinstance(collections, (list, tuple, set)):
            raise ValueError("collections argument to Variable constructor must be a list, "
                             f"tuple, or set. Got {collections} of type {type(collections)}")
        # A variable made inside a cond or loop body lives in the graph that calls it.
        with ops.init_scope(), ops.name_scope(name, "Variable") as scope:
            if callable(initial_value):
                with ops.name_scope("Initializer"):
                    initial_value = initial_value()
            init = convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            shape = init.shape if validate_shape else None
            if validate_shape and not init.shape.is_fully_defined():
                raise ValueError(f"initial_value must have a shape specified: {init}")
            graph = init.graph
            if graph.outer_graph is not None:
                raise ValueError("A variable made inside the body of a cond or while loop "
                                 "needs an initial value computed outside it: pass a callable "
                                 "or use tf.get_variable with an initializer")
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
        if trainable and ops.GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections = list(collections) + [ops.GraphKeys.TRAINABLE_VARIABLES]
        graph.add_to_collections(set(collections), self)

    @classmethod
    def _from_ops(cls, variable_op, initializer_op, initial_value, trainable):
        """The Variable made of existing ops (a VariableV2 op, its initializing Assign and
        initial value), as an imported meta graph has them; added to no collection."""
        var = cls.__new__(cls)
        var._variable_op, var._variable = variable_op, variable_op.outputs[0]
        var._initializer_op, var._initial_value = initializer_op, initial_value
        var._trainable = trainable
        return var

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

    def initialized_value(self):
        """Returns the value of the initialized variable.

        You should use this instead of the variable itself to initialize another variable
        with a value that depends on the value of this variable:

            # Initialize 'v' with a random tensor.
            v = tf.Variable(tf.truncated_normal([10, 40]))
            # Use `initialized_value` to guarantee that `v` has been
            # initialized before its value is used to initialize `w`.
            # The random values are picked only once.
            w = tf.Variable(v.initialized_value() * 2.0)

        Beware of using initialized_value except during initialization: it is the output of
        the variable's initializer, so running it runs the initializer and resets the
        variable to its initial value (TF 1.0's semantics; tensorlib has no tf.cond for the
        later form that reads an already initialized variable).

        Returns:
          A `Tensor` holding the value of this variable after its initializer has run.
        """
        with ops.control_dependencies(None):
            return array_ops.identity(self._initializer_op.outputs[0])

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
        out = assign(self, value, use_locking=use_locking, name=name)
        return out if read_value else out.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        """An op that adds `delta` to the variable; its output is the new value."""
        out = assign_add(self, delta, use_locking=use_locking, name=name)
        return out if read_value else out.op

    def count_up_to(self, limit):
        """An op that outputs the variable's value and increments it, until `limit`
        (tf.errors.OutOfRangeError from then on)."""
        return count_up_to(self, limit)

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        """An op that subtracts `delta` from the variable; its output is the new value."""
        out = assign_sub(self, delta, use_locking=use_locking, name=name)
        return out if read_value else out.op

    def scatter_sub(self, sparse_delta, use_locking=False, name=None):
        """Subtracts the IndexedSlices `sparse_delta` from the rows it names; returns the
        updated variable."""
        from tensorlib.ops import state_ops
        _check_indexed_slices(sparse_delta)
        return state_ops.scatter_sub(self, sparse_delta.indices, sparse_delta.values,
                                     use_locking=use_locking, name=name)

    def scatter_add(self, sparse_delta, use_locking=False, name=None):
        """Adds the IndexedSlices `sparse_delta` to the rows it names; returns the updated
        variable."""
        from tensorlib.ops import state_ops
        _check_indexed_slices(sparse_delta)
        return state_ops.scatter_add(self, sparse_delta.indices, sparse_delta.values,
                                     use_locking=use_locking, name=name)

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        """Stores the IndexedSlices `sparse_delta` into the rows it names; returns the updated
        variable."""
        from tensorlib.ops import state_ops
        _check_indexed_slices(sparse_delta)
        return state_ops.scatter_update(self, sparse_delta.indices, sparse_delta.values,
                                        use_locking=use_locking, name=name)

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


def _check_indexed_slices(sparse_delta):
    if not isinstance(sparse_delta, IndexedSlices):
        raise TypeError(f"sparse_delta is not IndexedSlices: {sparse_delta}")


def _forward_operators():
    """A Variable in an expression stands for its value (x + v, v @ w, -v, v[0], ...)."""
    for operator in ops.Tensor.OVERLOADABLE_OPERATORS:
        def forward(self, *args, _operator=operator):
            return getattr(self._variable, _operator)(*args)
        setattr(Variable, operator, forward)


_forward_operators()


ops.NotDifferentiable("VariableV2")
ops.NotDifferentiable("VariableRef")  # a variable as a cond or loop body names it
ops.NotDifferentiable("Assign")
ops.NotDifferentiable("CountUpTo")
ops.NotDifferentiable("AssignAdd")
ops.NotDifferentiable("AssignSub")
ops.NotDifferentiable("IsVariableInitialized")


def _ref(ref, fn):
    """The VariableV2 output that `ref` (a Variable or that output) stands for."""
    if hasattr(ref, "_as_graph_element"):
        ref = ref._as_graph_element()
    if not isinstance(ref, ops.Tensor) or ref.op.type != "VariableV2":
        raise TypeError(f"'{fn}' needs a variable as `ref`, got {ref!r}")
    return ref


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    """Update `ref` by assigning `value` to it.

    This operation outputs a Tensor that holds the new value of `ref` after the value has
    been assigned. This makes it easier to chain operations that need to use the reset value.

    Args:
      ref: A mutable `Tensor` (a `Variable` or its value). May be uninitialized.
      value: A `Tensor`. Must have the same shape and dtype as `ref`. The value to be
        assigned to the variable.
      validate_shape: An optional `bool`. Defaults to `True`. If true, the operation will
        validate that the shape of 'value' matches the shape of the Tensor being assigned to.
        If false, 'ref' will take on the shape of 'value'.
      use_locking: An optional `bool`. Defaults to `True`. If True, the assignment will be
        protected by a lock; otherwise the behavior is undefined, but may exhibit less
        contention.
      name: A name for the operation (optional).

    Returns:
      A `Tensor` that will hold the new value of `ref` after the assignment has completed.
    """
    ref = _ref(ref, "assign")
    value = convert_to_tensor(value, preferred_dtype=ref.dtype, name="value")
    attrs = {"validate_shape": True if validate_shape is None else bool(validate_shape),
             "use_locking": True if use_locking is None else bool(use_locking)}
    return ops.graph_for([ref])._create_op("Assign", [ref, value], attrs,
                                           name=name or "Assign").outputs[0]


def _assign_update(op_type, ref, value, use_locking, name):
    ref = _ref(ref, op_type)
    value = convert_to_tensor(value, preferred_dtype=ref.dtype, name="value")
    return ops.graph_for([ref])._create_op(op_type, [ref, value],
                                           {"use_locking": bool(use_locking)},
                                           name=name or op_type).outputs[0]


def assign_add(ref, value, use_locking=None, name=None):
    """Update `ref` by adding `value` to it.

    This operation outputs "ref" after the update is done. This makes it easier to chain
    operations that need to use the reset value.

    Args:
      ref: A mutable `Tensor` (a `Variable` or its value) of type float32, float64, int32 or
        int64. Should be initialized.
      value: A `Tensor`. Must have the same shape and dtype as `ref`. The value to be added
        to the variable.
      use_locking: An optional `bool`. Defaults to `False`. If True, the addition will be
        protected by a lock; otherwise the behavior is undefined, but may exhibit less
        contention.
      name: A name for the operation (optional).

    Returns:
      Same as "ref". Returned as a convenience for operations that want to use the new value
      after the variable has been updated.
    """
    return _assign_update("AssignAdd", ref, value, use_locking, name)


def count_up_to(ref, limit, name=None):
    """The value of the integer scalar variable `ref`, which is then incremented; running it
    once the variable has reached `limit` raises tf.errors.OutOfRangeError."""
    ref = _ref(ref, "CountUpTo")
    return ops.graph_for([ref])._create_op("CountUpTo", [ref], {"limit": int(limit)},
                                           name=name or "CountUpTo").outputs[0]


def assign_sub(ref, value, use_locking=None, name=None):
    """Update `ref` by subtracting `value` from it.

    This operation outputs "ref" after the update is done. This makes it easier to chain
    operations that need to use the reset value.

    Args:
      ref: A mutable `Tensor` (a `Variable` or its value) of type float32, float64, int32 or
        int64. Should be initialized.
      value: A `Tensor`. Must have the same shape and dtype as `ref`. The value to be
        subtracted from the variable.
      use_locking: An optional `bool`. Defaults to `False`. If True, the subtraction will be
        protected by a lock; otherwise the behavior is undefined, but may exhibit less
        contention.
      name: A name for the operation (optional).

    Returns:
      Same as "ref". Returned as a convenience for operations that want to use the new value
      after the variable has been updated.
    """
    return _assign_update("AssignSub", ref, value, use_locking, name)


def is_variable_initialized(variable):
    """Tests if a variable has been initialized.

    Args:
      variable: A `Variable`.

    Returns:
      Returns a scalar boolean Tensor, `True` if the variable has been initialized, `False`
      otherwise.
    """
    ref = _ref(variable, "is_variable_initialized")
    return ops.graph_for([ref])._create_op("IsVariableInitialized", [ref],
                                {"dtype": ref.dtype.as_datatype_enum}).outputs[0]


def global_variables(scope=None):
    """Variables made with `trainable` True or False, but not local ones (the
    GLOBAL_VARIABLES collection), optionally those whose names `scope` matches."""
    return ops.get_collection(ops.GraphKeys.GLOBAL_VARIABLES, scope)


def local_variables(scope=None):
    """Variables in the LOCAL_VARIABLES collection (per-process state such as metric
    counters, not saved by default), optionally those whose names `scope` matches."""
    return ops.get_collection(ops.GraphKeys.LOCAL_VARIABLES, scope)


def model_variables(scope=None):
    """Variables in the MODEL_VARIABLES collection (used by the model for inference)."""
    return ops.get_collection(ops.GraphKeys.MODEL_VARIABLES, scope)


def moving_average_variables(scope=None):
    """Variables in the MOVING_AVERAGE_VARIABLES collection (those an
    ExponentialMovingAverage maintains)."""
    return ops.get_collection(ops.GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def trainable_variables(scope=None):
    """Variables made with trainable=True (the TRAINABLE_VARIABLES collection), optionally
    those whose names `scope` matches."""
    return ops.get_collection(ops.GraphKeys.TRAINABLE_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """An op that initializes the variables in `var_list`."""
    if not var_list:
        return control_flow_ops.no_op(name=name)
    return control_flow_ops.group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer():
    """An op that initializes every global variable of the default graph."""
    return variables_initializer(global_variables())


def local_variables_initializer():
    """An op that initializes every local variable of the default graph."""
    return variables_initializer(local_variables(), name="init")


initialize_all_variables = global_variables_initializer
initialize_local_variables = local_variables_initializer
