"""`tf.layers.Layer`: the base class of TF1's layers.

A layer owns a variable scope, chosen at its first call (its name, or a unique default name
such as "dense_1"); its variables are made there with get_variable, once, by `build`, and its
ops go in the name scope that variable scope first opened. Later calls reuse the variables.
"""
import re

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops, math_ops
from tensorlib.ops import variable_scope as vs

# A graph collection holding {base name: count} for naming layers per graph.
_LAYER_NAME_UIDS_KEY = ("__layer_name_uids",)


def _to_snake_case(name):
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    # A name starting with '_' is private in Python: prefix it.
    return "private" + insecure if insecure[0] == "_" else insecure


def _unique_layer_name(base_name):
    """`base_name`, then `base_name_1`, ... for successive layers of the default graph."""
    uids = ops.get_collection_ref(_LAYER_NAME_UIDS_KEY)
    if not uids:
        uids.append({})
    count = uids[0].get(base_name, 0)
    uids[0][base_name] = count + 1
    return base_name if count == 0 else f"{base_name}_{count}"


def _add_elements_to_collection(elements, key):
    collection = ops.get_collection_ref(key)
    for e in elements:
        if not any(e is c for c in collection):
            collection.append(e)


class Layer:
    """Base layer class.

    It is considered legacy, and we recommend the use of `tf.keras.layers.Layer` instead
    (in TensorFlow; tensorlib has only this one).

    Args:
      trainable: Boolean, whether the layer's variables should be trainable.
      name: String name of the layer.
      dtype: Default dtype of the layer's weights (default of `None` means use the type of
        the first input).

    Read-only properties:
      name: The name of the layer (string).
      dtype: Default dtype of the layer's weights (default of `None` means use the type of
        the first input).
      trainable_variables: List of trainable variables.
      non_trainable_variables: List of non-trainable variables.
      variables: List of all variables of this layer, trainable and non-trainable.
      updates: List of update ops of this layer.
      losses: List of losses added by this layer.
      trainable_weights: List of variables to be included in backprop.
      non_trainable_weights: List of variables that should not be included in backprop.
      weights: The concatenation of the lists trainable_weights and non_trainable_weights
        (in this order).

    Mutable properties:
      trainable: Whether the layer should be trained (boolean).
    """

    def __init__(self, trainable=True, name=None, dtype=None, activity_regularizer=None,
                 **kwargs):
        scope = kwargs.pop("_scope", None)
        self._reuse = kwargs.pop("_reuse", None)
        for kwarg in kwargs:
            raise TypeError(f"Keyword argument not understood: {kwarg}")
        self.trainable = trainable
        self.built = False
        self._dtype = None if dtype is None else _dtypes.as_dtype(dtype)
        self._activity_regularizer = activity_regularizer
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._updates = []
        self._losses = []
        self._graph = None
        if isinstance(name, vs.VariableScope):
            self._base_name = name.name
            self._name = _unique_layer_name(_to_snake_case(type(self).__name__))
        elif name:
            self._base_name = self._name = name
        else:
            self._base_name = _to_snake_case(type(self).__name__)
            self._name = _unique_layer_name(self._base_name)
        if scope:
            with vs.variable_scope(scope) as captured_scope:
                self._scope = captured_scope
        else:
            self._scope = None
        self._current_scope = None

    # -- properties ---------------------------------------------------------------------------

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def activity_regularizer(self):
        """Optional regularizer function for the output of this layer."""
        return self._activity_regularizer

    @property
    def scope_name(self):
        if not self._scope:
            raise ValueError(f'No name available for layer scope because the layer "{self._name}"'
                             " has not been used yet. The scope name is determined the first "
                             "time the layer instance is called. You must therefore call the "
                             "layer before querying `scope_name`.")
        return self._scope.name

    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def updates(self):
        return list(self._updates)

    @property
    def losses(self):
        return list(self._losses)

    # -- what subclasses define -----------------------------------------------------------------

    def build(self, input_shape):
        """Creates the layer's variables for inputs of `input_shape` (a TensorShape)."""
        self.built = True

    def call(self, inputs, **kwargs):
        """The layer's computation on `inputs`; returns the output tensor."""
        return inputs

    # -- state --------------------------------------------------------------------------------

    def add_update(self, updates, inputs=None):
        """Adds update ops (collected into `tf.GraphKeys.UPDATE_OPS` after the call)."""
        self._updates.extend(updates if isinstance(updates, (list, tuple)) else [updates])

    def add_loss(self, losses, inputs=None):
        """Adds loss tensors, also to the `tf.GraphKeys.REGULARIZATION_LOSSES` collection."""
        losses = list(losses) if isinstance(losses, (list, tuple)) else [losses]
        self._losses.extend(losses)
        _add_elements_to_collection(losses, ops.GraphKeys.REGULARIZATION_LOSSES)

    def _set_scope(self, scope=None):
        if self._scope is None:
            if self._reuse:
                with vs.variable_scope(scope if scope is not None else self._base_name) as s:
                    self._scope = s
            else:
                with vs.variable_scope(scope, default_name=self._base_name) as s:
                    self._scope = s

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None,
                   trainable=True):
        """Adds a new variable to the layer, or gets an existing one; returns it.

        Arguments:
          name: variable name.
          shape: variable shape.
          dtype: The type of the variable. Defaults to `self.dtype` or `float32`.
          initializer: initializer instance (callable).
          regularizer: regularizer instance (callable).
          trainable: whether the variable should be part of the layer's "trainable_variables"
            (e.g. variables, biases) or "non_trainable_variables" (e.g. BatchNorm mean,
            stddev). Note, if the current variable scope is marked as non-trainable then
            this parameter is ignored and any added variables are also marked as
            non-trainable.

        Returns:
          The created variable.
        """
        dtype = _dtypes.as_dtype(dtype or self._dtype or _dtypes.float32)
        self._set_scope(None)
        trainable = trainable and self.trainable
        existing = set(id(v) for v in ops.get_collection(ops.GraphKeys.GLOBAL_VARIABLES))
        with vs.variable_scope(self._scope, reuse=self.built or self._reuse,
                               auxiliary_name_scope=False) as scope:
            self._current_scope = scope
            with ops.name_scope(scope.original_name_scope):
                variable = vs.get_variable(name, shape=shape, dtype=dtype,
                                           initializer=initializer, trainable=trainable)
                if regularizer is not None and id(variable) not in existing:
                    with ops.name_scope(name + "/Regularizer"):
                        loss = regularizer(variable)
                    if loss is not None:
                        self.add_loss(loss)
        if trainable and any(v is variable for v in ops.get_collection(
                ops.GraphKeys.TRAINABLE_VARIABLES)):
            self._trainable_weights.append(variable)
        else:
            self._non_trainable_weights.append(variable)
        return variable

    # -- calling ------------------------------------------------------------------------------

    def __call__(self, inputs, *args, **kwargs):
        """Wraps `call`, applying pre- and post-processing steps.

        Arguments:
          inputs: input tensor.
          *args: additional positional arguments to be passed to `self.call`.
          **kwargs: additional keyword arguments to be passed to `self.call`. **Note**:
            kwarg `scope` is reserved for use by the layer.

        Returns:
          Output tensor.
        """
        scope = kwargs.pop("scope", None)
        inputs = convert_to_tensor(inputs)
        # A layer called inside a loop body and outside it is one layer: its variables live
        # in the outermost graph.
        home = ops.outermost_graph(inputs.graph)
        if self._graph is None:
            self._graph = home
        elif home is not self._graph:
            raise ValueError("Input graph and Layer graph are not the same: "
                             f"{home} is not {self._graph}.")
        with inputs.graph.as_default():
            self._set_scope(scope)
            with vs.variable_scope(self._scope, reuse=True if self.built else self._reuse,
                                   auxiliary_name_scope=False) as current:
                self._current_scope = current
                with ops.name_scope(current.original_name_scope):
                    if not self.built:
                        if self._dtype is None:
                            self._dtype = inputs.dtype if inputs.dtype.is_floating else \
                                _dtypes.float32
                        self.build(inputs.shape)
                        self.built = True
                    outputs = self.call(inputs, *args, **kwargs)
                    if self._activity_regularizer is not None:
                        with ops.name_scope("ActivityRegularizer"):
                            loss = self._activity_regularizer(outputs)
                            batch_size = math_ops.cast(array_ops.shape(outputs)[0], loss.dtype)
                            self.add_loss(math_ops.truediv(loss, batch_size))
            _add_elements_to_collection(self._updates, ops.GraphKeys.UPDATE_OPS)
        return outputs

    def apply(self, inputs, *args, **kwargs):
        """Apply the layer on an input (an alias of `__call__`)."""
        return self.__call__(inputs, *args, **kwargs)
