"""Variable scopes and `get_variable`: named, shareable variables, as in TF1.

    with tf.variable_scope("layer1"):
        w = tf.get_variable("w", [3, 4])          # "layer1/w"
    with tf.variable_scope("layer1", reuse=True):
        w_again = tf.get_variable("w")            # the same Variable

A variable scope also opens a name scope for the ops made inside ("layer1/MatMul";
re-entering it gives a fresh one, "layer1_1/..."), while the names of variables depend only
on variable scopes. Each graph keeps its own store of variables and scope counters.
"""
import copy
import enum
import functools
import inspect

from tensorlib import dtypes as _dtypes
from tensorlib.framework import constant_op, ops, tensor_shape
from tensorlib.ops import init_ops, variables


class _ReuseMode(enum.Enum):
    """Mode for variable access within a variable scope."""

    # get_variable creates the variable when it does not exist, else returns it.
    AUTO_REUSE = 1


AUTO_REUSE = _ReuseMode.AUTO_REUSE

# Graph collections holding each graph's variable store and scope store (tuple keys keep them
# apart from the user's string-named collections).
_VARSTORE_KEY = ("__variable_store",)
_VARSCOPESTORE_KEY = ("__varscope",)


class VariableScope:
    """Variable scope object to carry defaults to provide to `get_variable`.

    Attributes:
      name: name of the current scope, used as prefix in get_variable.
      initializer: default initializer passed to get_variable.
      regularizer: default regularizer passed to get_variable.
      reuse: Boolean, None, or tf.AUTO_REUSE, setting the reuse in get_variable.
      dtype: default type passed to get_variable (defaults to DT_FLOAT).
      custom_getter: default custom getter passed to get_variable.
      original_name_scope: the name scope opened when this scope was first entered.
    """

    def __init__(self, reuse, name="", initializer=None, regularizer=None,
                 dtype=_dtypes.float32, name_scope="", custom_getter=None):
        self._reuse = reuse
        self._name = name
        self._initializer = initializer
        self._regularizer = regularizer
        self._dtype = _dtypes.as_dtype(dtype)
        self._name_scope = name_scope
        self._custom_getter = custom_getter

    @property
    def name(self):
        return self._name

    @property
    def original_name_scope(self):
        return self._name_scope

    @property
    def reuse(self):
        return self._reuse

    @property
    def initializer(self):
        return self._initializer

    @property
    def regularizer(self):
        return self._regularizer

    @property
    def dtype(self):
        return self._dtype

    @property
    def custom_getter(self):
        return self._custom_getter

    def reuse_variables(self):
        """Reuse variables in this scope."""
        self._reuse = True

    def set_initializer(self, initializer):
        """Set initializer for this scope."""
        self._initializer = initializer

    def set_regularizer(self, regularizer):
        """Set regularizer for this scope."""
        self._regularizer = regularizer

    def set_dtype(self, dtype):
        """Set data type for this scope."""
        self._dtype = _dtypes.as_dtype(dtype)

    def set_custom_getter(self, custom_getter):
        """Set custom getter for this scope."""
        self._custom_getter = custom_getter

    def _collection(self, key):
        return ops.get_collection(key, self._name + "/" if self._name else None)

    def global_variables(self):
        """Get this scope's global variables."""
        return self._collection(ops.GraphKeys.GLOBAL_VARIABLES)

    def trainable_variables(self):
        """Get this scope's trainable variables."""
        return self._collection(ops.GraphKeys.TRAINABLE_VARIABLES)

    def local_variables(self):
        """Get this scope's local variables."""
        return self._collection(ops.GraphKeys.LOCAL_VARIABLES)

    def get_variable(self, var_store, name, shape=None, dtype=None, initializer=None,
                     regularizer=None, reuse=None, trainable=None, collections=None,
                     validate_shape=True, custom_getter=None):
        """Gets an existing variable with this name or create a new one."""
        if regularizer is None:
            regularizer = self._regularizer
        if custom_getter is None:
            custom_getter = self._custom_getter
        if reuse is None:
            reuse = self._reuse
        full_name = self._name + "/" + name if self._name else name
        # Variable names depend only on variable scopes: no name scope while making one.
        with ops.name_scope(None):
            if dtype is not None and initializer is not None and not callable(initializer):
                init_dtype, dtype = _value_dtype(initializer), _dtypes.as_dtype(dtype)
                if init_dtype != dtype:
                    raise ValueError(f"Initializer type '{init_dtype.name}' and explicit dtype "
                                     f"'{dtype.name}' don't match.")
            if initializer is None:
                initializer = self._initializer
            if dtype is None:
                dtype = self._dtype
            return var_store.get_variable(
                full_name, shape=shape, dtype=dtype, initializer=initializer,
                regularizer=regularizer, reuse=reuse, trainable=trainable,
                collections=collections, validate_shape=validate_shape,
                custom_getter=custom_getter)


def _value_dtype(value):
    if hasattr(value, "_as_graph_element"):
        value = value._as_graph_element()
    if isinstance(value, ops.Tensor):
        return value.dtype
    return constant_op._to_numpy(value, None)[1]


def _takes_no_arguments(fn):
    """True when `fn` can be called without arguments."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in params)


class _VariableStore:
    """The variables made by get_variable in one graph, by full name."""

    def __init__(self):
        self._vars = {}

    def get_variable(self, name, shape=None, dtype=_dtypes.float32, initializer=None,
                     regularizer=None, reuse=None, trainable=None, collections=None,
                     validate_shape=True, custom_getter=None):
        """The variable `name`, made or shared as `reuse` (True, False/None or AUTO_REUSE)
        says; see `tf.get_variable`. A `custom_getter` is called as
        custom_getter(getter=..., name=..., shape=..., ...) with the plain getter."""
        kwargs = dict(name=name, shape=shape, dtype=dtype, initializer=initializer,
                      regularizer=regularizer, reuse=reuse, trainable=trainable,
                      collections=collections, validate_shape=validate_shape)
        if custom_getter is not None:
            if not callable(custom_getter):
                raise ValueError(f"Passed a custom_getter which is not callable: "
                                 f"{custom_getter}")
            return custom_getter(getter=self._true_getter, **kwargs)
        return self._true_getter(**kwargs)

    def _true_getter(self, name, shape=None, dtype=_dtypes.float32, initializer=None,
                     regularizer=None, reuse=None, trainable=None, collections=None,
                     validate_shape=True):
        if trainable is None:
            trainable = True
        initializing_from_value = initializer is not None and not callable(initializer)
        if shape is not None and initializing_from_value:
            raise ValueError("If initializer is a constant, do not specify shape.")
        dtype = _dtypes.as_dtype(dtype)
        shape = tensor_shape.as_shape(shape) if shape is not None else tensor_shape.unknown_shape()

        if name in self._vars:
            found = self._vars[name]
            if not reuse:
                location = found.op._location
                raise ValueError(f"Variable {name} already exists, disallowed. Did you mean to "
                                 "set reuse=True or reuse=tf.AUTO_REUSE in VarScope?" +
                                 (f" Originally defined at {ops._format_location(location)}."
                                  if location else ""))
            if not shape.is_compatible_with(found.shape):
                raise ValueError(f"Trying to share variable {name}, but specified shape {shape}"
                                 f" and found shape {found.shape}.")
            if dtype != found.dtype:
                raise ValueError(f"Trying to share variable {name}, but specified dtype "
                                 f"{dtype.name} and found dtype {found.dtype.name}.")
            return found

        if reuse is True:
            raise ValueError(f"Variable {name} does not exist, or was not created with "
                             "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in "
                             "VarScope?")
        if initializer is None:
            initializer = _default_initializer(name, dtype)
        if initializing_from_value:
            init_val, variable_dtype = initializer, None
        else:
            if inspect.isclass(initializer):
                initializer = initializer()
            if shape.is_fully_defined():
                dims = shape.as_list()

                def init_val():
                    return initializer(dims, dtype=dtype, partition_info=None)
                variable_dtype = dtype
            elif _takes_no_arguments(initializer):
                init_val, variable_dtype = initializer, None
            else:
                raise ValueError(f"Shape of a new variable ({name}) must be fully defined, "
                                 f"but instead was {shape}.")
        # Variables do not depend on the control dependencies around the call.
        with ops.control_dependencies(None):
            v = variables.Variable(initial_value=init_val, name=name, trainable=trainable,
                                   collections=collections, dtype=variable_dtype,
                                   validate_shape=validate_shape)
        self._vars[name] = v
        if regularizer:
            with ops.name_scope(name + "/Regularizer/"):
                loss = regularizer(v)
            if loss is not None:
                ops.add_to_collection(ops.GraphKeys.REGULARIZATION_LOSSES, loss)
        return v


def no_regularizer(_):
    """Use this function to prevent regularization of variables."""
    return None


def _default_initializer(name, dtype):
    """glorot_uniform for floating-point variables, zeros for integer and bool ones."""
    if dtype.is_floating:
        return init_ops.glorot_uniform_initializer()
    if dtype.is_integer or dtype.is_bool:
        return init_ops.zeros_initializer()
    raise ValueError(f"An initializer for variable {name} of {dtype} is required")


class _VariableScopeStore:
    """The current variable scope of a graph and how often each scope name was opened."""

    def __init__(self):
        self.current_scope = VariableScope(False)
        self.variable_scopes_count = {}

    def open_variable_scope(self, scope_name):
        self.variable_scopes_count[scope_name] = self.variable_scopes_count.get(scope_name,
                                                                                 0) + 1

    def close_variable_subscopes(self, scope_name):
        for k in self.variable_scopes_count:
            if k.startswith(scope_name + "/"):
                self.variable_scopes_count[k] = 0

    def variable_scope_count(self, scope_name):
        return self.variable_scopes_count.get(scope_name, 0)


def _graph_singleton(key, factory):
    collection = ops.get_collection_ref(key)
    if not collection:
        collection.append(factory())
    return collection[0]


def _get_default_variable_store():
    return _graph_singleton(_VARSTORE_KEY, _VariableStore)


def _get_variable_scope_store():
    return _graph_singleton(_VARSCOPESTORE_KEY, _VariableScopeStore)


def get_variable_scope():
    """Returns the current variable scope."""
    return _get_variable_scope_store().current_scope


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                 trainable=None, collections=None, validate_shape=True, custom_getter=None):
    """Gets an existing variable with these parameters or create a new one.

    This function prefixes the name with the current variable scope and performs reuse
    checks. For example:

        def foo():
          with tf.variable_scope("foo", reuse=tf.AUTO_REUSE):
            v = tf.get_variable("v", [1])
          return v

        v1 = foo()  # Creates v.
        v2 = foo()  # Gets the same, existing v.
        assert v1 == v2

    If initializer is `None` (the default), the default initializer passed in the variable
    scope will be used. If that one is `None` too, a `glorot_uniform_initializer` will be
    used. The initializer can also be a Tensor, in which case the variable is initialized to
    this value and shape.

    Similarly, if the regularizer is `None` (the default), the default regularizer passed in
    the variable scope will be used (if that is `None` too, then by default no regularization
    is performed).

    Args:
      name: The name of the new or existing variable.
      shape: Shape of the new or existing variable.
      dtype: Type of the new or existing variable (defaults to the scope's, `DT_FLOAT`).
      initializer: Initializer for the variable if one is created. Can either be an
        initializer object or a Tensor (or value). If it's a Tensor, its shape must be known
        unless validate_shape is False.
      regularizer: A (Tensor -> Tensor or None) function; the result of applying it on a
        newly created variable will be added to the collection
        `tf.GraphKeys.REGULARIZATION_LOSSES` and can be used for regularization.
      trainable: If `True` (the default) also add the variable to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES`.
      collections: List of graph collections keys to add the Variable to. Defaults to
        `[GraphKeys.GLOBAL_VARIABLES]`.
      validate_shape: If False, allows the variable to be initialized with a value of
        unknown shape. If True, the default, the shape of initial_value must be known.
      custom_getter: Callable that takes as a first argument the true getter, and allows
        overwriting the internal get_variable method. The signature of `custom_getter` should
        match that of this method, but the most future-proof version will allow for changes:
        `def custom_getter(getter, *args, **kwargs)`. Direct access to all `get_variable`
        parameters is also allowed: `def custom_getter(getter, name, *args, **kwargs)`. A
        simple identity custom getter that simply creates variables with modified names is:

            def custom_getter(getter, name, *args, **kwargs):
              return getter(name + '_suffix', *args, **kwargs)

    Returns:
      The created or existing `Variable`.

    Raises:
      ValueError: when creating a new variable and shape is not declared, when violating
        reuse during variable creation, or when `initializer` dtype and `dtype` don't match.
        Reuse is set inside `variable_scope`.
    """
    return get_variable_scope().get_variable(
        _get_default_variable_store(), name, shape=shape, dtype=dtype, initializer=initializer,
        regularizer=regularizer, trainable=trainable, collections=collections,
        validate_shape=validate_shape, custom_getter=custom_getter)


def get_local_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                       trainable=False, collections=None, validate_shape=True,
                       custom_getter=None):
    """`get_variable` for a local variable: in `GraphKeys.LOCAL_VARIABLES` (and the given
    collections), not trainable."""
    collections = list(collections or []) + [ops.GraphKeys.LOCAL_VARIABLES]
    return get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                        regularizer=regularizer, trainable=trainable, collections=collections,
                        validate_shape=validate_shape, custom_getter=custom_getter)


def _maybe_wrap_custom_getter(custom_getter, old_getter):
    """`custom_getter` calling the enclosing scope's `old_getter` in turn, when any."""
    if old_getter is None:
        return custom_getter

    def wrapped_custom_getter(getter, *args, **kwargs):
        return custom_getter(functools.partial(old_getter, getter), *args, **kwargs)
    return wrapped_custom_getter


def _get_unique_variable_scope(prefix):
    """`prefix`, or `prefix_N`, unused as a scope name in the current variable scope."""
    store = _get_variable_scope_store()
    current = store.current_scope
    name = current.name + "/" + prefix if current.name else prefix
    if store.variable_scope_count(name) == 0:
        return prefix
    idx = 1
    while store.variable_scope_count(f"{name}_{idx}") > 0:
        idx += 1
    return f"{prefix}_{idx}"


class _pure_variable_scope:  # noqa: N801 (TF1's name)
    """Makes a variable scope current without touching name scopes."""

    def __init__(self, name_or_scope, reuse=None, initializer=None, regularizer=None,
                 old_name_scope=None, dtype=None, custom_getter=None):
        self._name_or_scope = name_or_scope
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._old_name_scope = old_name_scope
        self._dtype = dtype
        self._custom_getter = custom_getter
        self._store = _get_variable_scope_store()

    def __enter__(self):
        store = self._store
        self._old = old = store.current_scope
        scope = self._name_or_scope
        if isinstance(scope, VariableScope):
            store.open_variable_scope(scope.name)
            self._old_subscopes = copy.copy(store.variable_scopes_count)
            new = VariableScope(self._reuse or scope.reuse, name=scope.name,
                                initializer=scope.initializer, regularizer=scope.regularizer,
                                dtype=scope.dtype, name_scope=scope.original_name_scope,
                                custom_getter=scope.custom_getter)
        else:
            # A sub-scope: the name extends the current one; reuse, initializer, regularizer
            # and dtype are inherited unless given.
            self._new_name = old.name + "/" + scope if old.name else scope
            new = VariableScope(
                self._reuse or old.reuse, name=self._new_name, initializer=old.initializer,
                regularizer=old.regularizer, dtype=old.dtype,
                name_scope=scope if self._old_name_scope is None else self._old_name_scope,
                custom_getter=old.custom_getter)
            store.open_variable_scope(self._new_name)
        if self._initializer is not None:
            new.set_initializer(self._initializer)
        if self._regularizer is not None:
            new.set_regularizer(self._regularizer)
        if self._dtype is not None:
            new.set_dtype(self._dtype)
        if self._custom_getter is not None:
            new.set_custom_getter(_maybe_wrap_custom_getter(self._custom_getter,
                                                            new.custom_getter))
        store.current_scope = new
        return new

    def __exit__(self, *exc):
        store = self._store
        if isinstance(self._name_or_scope, VariableScope):
            store.variable_scopes_count = self._old_subscopes
        else:
            store.close_variable_subscopes(self._new_name)
        store.current_scope = self._old


def _graph_of(values):
    for v in values or ():
        if hasattr(v, "_as_graph_element"):
            v = v._as_graph_element()
        if isinstance(v, (ops.Tensor, ops.Operation)):
            return v.graph
    return None


class variable_scope:  # noqa: N801 (TF1's name)
    """A context manager for defining ops that creates variables (layers).

    This context manager validates that the (optional) `values` are from the same graph,
    ensures that graph is the default graph, and pushes a name scope and a variable scope.

    If `name_or_scope` is not None, it is used as is. If `name_or_scope` is None, then
    `default_name` is used. In that case, if the same name has been previously used in the
    same scope, it will be made unique by appending `_N` to it.

    Variable scope allows you to create new variables and to share already created ones while
    providing checks to not create or share by accident:

        with tf.variable_scope("foo"):
            with tf.variable_scope("bar"):
                v = tf.get_variable("v", [1])
                assert v.name == "foo/bar/v:0"

        with tf.variable_scope("foo"):
            v = tf.get_variable("v", [1])
        with tf.variable_scope("foo", reuse=True):
            v1 = tf.get_variable("v", [1])
        assert v1 == v

    Re-entering a scope by name or by its VariableScope object reaches the same variables,
    but opens a new name scope for ops ("foo_1/").

    Args:
      name_or_scope: `string` or `VariableScope`: the scope to open.
      default_name: The default name to use if the `name_or_scope` argument is `None`, this
        name will be uniquified. If name_or_scope is provided it won't be used and therefore
        it is not required and can be None.
      values: The list of `Tensor` arguments that are passed to the op function.
      initializer: default initializer for variables within this scope.
      regularizer: default regularizer for variables within this scope.
      custom_getter: default custom getter for variables within this scope; it wraps the
        custom getter of the enclosing scope, if any.
      reuse: `True`, None, or tf.AUTO_REUSE; if `True`, we go into reuse mode for this scope
        as well as all sub-scopes; if tf.AUTO_REUSE, we create variables if they do not exist,
        and return them otherwise; if None, we inherit the parent scope's reuse flag. (False
        means None: a scope cannot turn reuse off.)
      dtype: type of variables created in this scope (defaults to the type in the passed
        scope, or inherited from parent scope).
      auxiliary_name_scope: If `True`, we create an auxiliary name scope with the scope. If
        `False`, we don't create it. Note that the argument is not inherited, and it only
        takes effect for once when creating.

    Returns:
      A scope that can be captured and reused.

    Raises:
      ValueError: when trying to reuse within a create scope, or create within a reuse scope.
      TypeError: when the types of some arguments are not appropriate.
    """

    def __init__(self, name_or_scope, default_name=None, values=None, initializer=None,
                 regularizer=None, *, custom_getter=None, reuse=None, dtype=None,
                 auxiliary_name_scope=True):
        if default_name is None and name_or_scope is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        if reuse is False:  # scopes cannot turn reuse off: False means inherit
            reuse = None
        if not (reuse is True or reuse is None or reuse is AUTO_REUSE):
            raise ValueError("The reuse parameter must be True or False or None.")
        if custom_getter is not None and not callable(custom_getter):
            raise ValueError(f"The custom_getter must be None or callable, got {custom_getter}")
        if not isinstance(auxiliary_name_scope, bool):
            raise TypeError("The auxiliary_name_scope must be `True` or `False`, while get "
                            f"{auxiliary_name_scope}")
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._values = values
        self._initializer = initializer
        self._regularizer = regularizer
        self._reuse = reuse
        self._dtype = dtype
        self._custom_getter = custom_getter
        self._auxiliary_name_scope = auxiliary_name_scope
        self._entered = []

    def _enter(self, cm):
        value = cm.__enter__()
        self._entered.append(cm)
        return value

    def __enter__(self):
        try:
            return self._enter_scopes()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _enter_scopes(self):
        graph = _graph_of(self._values)
        if graph is not None and graph is not ops.get_default_graph():
            self._enter(graph.as_default())
        graph = ops.get_default_graph()
        if self._auxiliary_name_scope:
            name_scope = None  # made below
        else:
            current = graph.get_name_scope()
            name_scope = graph.name_scope(current + "/" if current else "")
        scope = self._name_or_scope
        options = dict(initializer=self._initializer, regularizer=self._regularizer,
                       dtype=self._dtype, custom_getter=self._custom_getter)
        if scope is not None:
            if not isinstance(scope, (VariableScope, str)):
                raise TypeError("VariableScope: name_or_scope must be a string or "
                                "VariableScope.")
            ns_name = scope if isinstance(scope, str) else scope.name.split("/")[-1]
            old_name_scope = None
            if ns_name or name_scope is not None:
                entered = self._enter(name_scope or graph.name_scope(ns_name))
                old_name_scope = entered if isinstance(scope, str) else \
                    scope.original_name_scope
            return self._enter(_pure_variable_scope(
                scope, reuse=self._reuse, old_name_scope=old_name_scope, **options))
        if self._reuse:
            raise ValueError("reuse=True cannot be used without a name_or_scope")
        entered = self._enter(name_scope or graph.name_scope(self._default_name))
        unique = _get_unique_variable_scope(self._default_name)
        return self._enter(_pure_variable_scope(unique, old_name_scope=entered, **options))

    def __exit__(self, *exc):
        while self._entered:
            self._entered.pop().__exit__(*exc)
