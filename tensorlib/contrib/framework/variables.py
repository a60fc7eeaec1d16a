"""contrib.framework's variable helpers: `variable` and `model_variable` (get_variable with
collections, arg_scope-able), the lookups `get_variables`, `get_model_variables`,
`get_local_variables`, `get_variables_to_restore`, `get_unique_variable`, and
`assign_from_values`."""
import contextlib

from tensorlib.contrib.framework.arg_scope import add_arg_scope
from tensorlib.framework import ops
from tensorlib.ops import array_ops, control_flow_ops, variable_scope, variables

GraphKeys = ops.GraphKeys


@add_arg_scope
def variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=True,
             collections=None, device=None, custom_getter=None):
    """tf.get_variable in the current variable scope, added to `collections` (default: the
    global variables) and, when trainable, to the trainable ones; placed on `device`."""
    collections = list(collections if collections is not None
                       else [GraphKeys.GLOBAL_VARIABLES])
    # Each collection once, in the order given.
    collections = list(dict.fromkeys(collections))
    with ops.device(device) if device else contextlib.nullcontext():
        return variable_scope.get_variable(
            name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
            trainable=trainable, collections=collections, custom_getter=custom_getter)


@add_arg_scope
def model_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=True, collections=None, device=None, custom_getter=None):
    """`variable`, also added to the model variables (what a model needs for inference)."""
    collections = list(collections or []) + [GraphKeys.GLOBAL_VARIABLES,
                                             GraphKeys.MODEL_VARIABLES]
    return variable(name, shape=shape, dtype=dtype, initializer=initializer,
                    regularizer=regularizer, trainable=trainable, collections=collections,
                    device=device, custom_getter=custom_getter)


def get_variables(scope=None, suffix=None, collection=GraphKeys.GLOBAL_VARIABLES):
    """The variables of `collection` whose names start with `scope` (a name or a
    VariableScope) and, with `suffix`, contain it after the scope."""
    if isinstance(scope, variable_scope.VariableScope):
        scope = scope.name
    if suffix is not None:
        scope = (scope or "") + ".*" + suffix
    return ops.get_collection(collection, scope)


def get_model_variables(scope=None, suffix=None):
    """get_variables over the model variables."""
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES)


def get_local_variables(scope=None, suffix=None):
    """get_variables over the local variables."""
    return get_variables(scope, suffix, GraphKeys.LOCAL_VARIABLES)


def get_trainable_variables(scope=None, suffix=None):
    """get_variables over the trainable variables."""
    return get_variables(scope, suffix, GraphKeys.TRAINABLE_VARIABLES)


def get_variables_by_name(given_name, scope=None):
    """The variables whose last name component is `given_name`."""
    return get_variables(scope=scope, suffix="/" + given_name + ":")


def get_variables_to_restore(include=None, exclude=None):
    """The global variables under the scopes in `include` (all when None), less those under
    the scopes in `exclude`, in the order they were made."""
    if include is None:
        candidates = get_variables()
    else:
        candidates = [v for scope in include for v in get_variables(scope)]
    excluded = {id(v) for scope in (exclude or []) for v in get_variables(scope)}
    chosen, seen = [], set()
    for v in candidates:
        if id(v) not in excluded and id(v) not in seen:
            seen.add(id(v))
            chosen.append(v)
    return chosen


def get_unique_variable(var_op_name):
    """The one global variable whose op is named `var_op_name`.

    Raises:
      ValueError: if there is none.
    """
    for candidate in get_variables(scope=var_op_name):
        if candidate.op.name == var_op_name:
            return candidate
    raise ValueError(f"Couldn't find variable {var_op_name}")


def assign_from_values(var_names_to_values):
    """(assign_op, feed_dict) that set the global variables named in `var_names_to_values`
    (op names, "conv1/weights") to the given values when run: `sess.run(*result)`.

    Raises:
      ValueError: if a name matches no variable.
    """
    feed_dict, assigns = {}, []
    for name, value in var_names_to_values.items():
        var = get_unique_variable(name)
        placeholder = array_ops.placeholder(var.dtype.base_dtype, shape=var.shape,
                                            name="placeholder/" + var.op.name)
        assigns.append(variables.assign(var, placeholder))
        feed_dict[placeholder] = value
    return control_flow_ops.group(*assigns, name="assign_from_values"), feed_dict
