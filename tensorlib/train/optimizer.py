"""The base class of TF1's optimizers: gradients, slots and the update ops.

A subclass names its slots in `_create_slots`, converts its hyperparameters in `_prepare` and
adds the update of one variable in `_apply_dense` (one fused training op), or for an
IndexedSlices gradient in `_apply_sparse` (given rows with distinct indices: TF1's
`_apply_sparse_duplicate_indices` sums repeated ones first); `_finish` groups the updates (Adam
also advances its beta powers there).
"""
from tensorlib import dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.framework.indexed_slices import IndexedSlices
from tensorlib.ops import array_ops, control_flow_ops, gradients_impl, math_ops, variables

_VALID_DTYPES = (dtypes.float16, dtypes.float32, dtypes.float64)


def _var_key(var):
    return var.op


def _increment_global_step(global_step, name):
    """The op adding 1 to `global_step`; its output is the new step."""
    return global_step.assign_add(1, name=name)


def _deduplicate_indexed_slices(values, indices):
    """(summed_values, unique_indices): the rows of `values` with one index summed into one
    row, for the distinct `indices` in the order they first appear (TF1's rule); the work is
    proportional to the number of indices, not to the variable's rows."""
    unique_indices, position = array_ops.unique(indices, out_idx=indices.dtype)
    summed = array_ops.unsorted_segment_sum(values, position,
                                            array_ops.size(unique_indices, out_type=indices.dtype))
    return summed, unique_indices


def _assert_valid_dtypes(tensors):
    for t in tensors:
        if t.dtype.base_dtype not in _VALID_DTYPES:
            raise ValueError(f"Invalid type {t.dtype!r} for {t.name}, expected: "
                             f"{[repr(d) for d in _VALID_DTYPES]}.")


class Optimizer:
    """Base class for optimizers: compute_gradients, apply_gradients, minimize.

    Not used directly: instantiate a subclass such as GradientDescentOptimizer or
    AdamOptimizer.
    """

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots = {}  # slot name -> {variable's op -> slot variable}
        self._non_slot_dict = {}  # (name, graph) -> variable
        self._hyper_cache = {}  # (name, dtype) -> tensor, for one apply_gradients call

    def get_name(self):
        return self._name

    # -- the public API --------------------------------------------------------------------------

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        """Adds ops that compute the gradients of `loss` and update `var_list` with them
        (all trainable variables by default); increments `global_step` when given.

        Returns:
          The Operation that runs the update.

        Raises:
          ValueError: if no variable has a gradient.
        """
        grads_and_vars = self.compute_gradients(
            loss, var_list=var_list, gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        vars_with_grad = [v for g, v in grads_and_vars if g is not None]
        if not vars_with_grad:
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                f"support gradients, between variables {[str(v) for _, v in grads_and_vars]} "
                f"and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        """The gradients of `loss` for the variables in `var_list` (all trainable variables by
        default), as a list of (gradient, variable) pairs; a gradient is None where `loss` does
        not depend on the variable."""
        if gate_gradients not in (Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH):
            raise ValueError(f"gate_gradients must be one of: Optimizer.GATE_NONE, "
                             f"Optimizer.GATE_OP, Optimizer.GATE_GRAPH. Not {gate_gradients}")
        loss = convert_to_tensor(loss)
        _assert_valid_dtypes([loss])
        if grad_loss is not None:
            grad_loss = convert_to_tensor(grad_loss)
            _assert_valid_dtypes([grad_loss])
        if var_list is None:
            var_list = variables.trainable_variables()
        else:
            var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        grads = gradients_impl.gradients(
            loss, var_list, grad_ys=None if grad_loss is None else [grad_loss],
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops)
        grads_and_vars = list(zip(grads, var_list))
        _assert_valid_dtypes([v for g, v in grads_and_vars if g is not None])
        return grads_and_vars

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """Adds the ops that update each variable with its gradient (pairs whose gradient is
        None are skipped) and then increment `global_step` when given.

        Returns:
          The Operation that runs every update (and the increment).

        Raises:
          TypeError: if a gradient is not convertible to a Tensor.
          ValueError: if no pair has a gradient.
        """
        grads_and_vars = tuple(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        converted = []
        for g, v in grads_and_vars:
            if g is not None and not isinstance(g, IndexedSlices):
                try:
                    g = convert_to_tensor(g)
                except (TypeError, ValueError):
                    raise TypeError("Gradient must be convertible to a Tensor or None: "
                                    f"{g}") from None
            if not isinstance(v, variables.Variable):
                raise NotImplementedError(f"Trying to update a Tensor {v}")
            converted.append((g, v))
        var_list = [v for g, v in converted if g is not None]
        if not var_list:
            raise ValueError("No gradients provided for any variable: "
                             f"{[str(v) for _, v in converted]}.")
        graph = var_list[0].graph
        if ops.outermost_graph(ops.get_default_graph()) is graph:
            graph = ops.get_default_graph()  # inside a cond or loop body: the updates go there
        with graph.as_default():
            with ops.control_dependencies(None), graph.name_scope(None):
                self._create_slots(var_list)
            update_ops = []
            with ops.name_scope(name, self._name) as name:
                self._hyper_cache = {}
                self._prepare()
                for grad, var in converted:
                    if grad is None:
                        continue
                    with ops.name_scope("update_" + var.op.name):
                        if isinstance(grad, IndexedSlices):
                            update_ops.append(self._apply_sparse_duplicate_indices(grad, var))
                        else:
                            update_ops.append(self._apply_dense(grad, var))
                if global_step is None:
                    apply_updates = self._finish(update_ops, name)
                else:
                    with ops.control_dependencies([self._finish(update_ops, "update")]):
                        apply_updates = _increment_global_step(global_step, name)
                if isinstance(apply_updates, ops.Tensor):
                    apply_updates = apply_updates.op
                train_op = graph.get_collection_ref(ops.GraphKeys.TRAIN_OP)
                if apply_updates not in train_op:
                    train_op.append(apply_updates)
                return apply_updates

    def get_slot(self, var, name):
        """The slot variable `name` (see get_slot_names) made for `var`, or None."""
        named_slots = self._slots.get(name)
        if not named_slots:
            return None
        return named_slots.get(_var_key(var))

    def get_slot_names(self):
        """The names of the slots this optimizer makes, sorted."""
        return sorted(self._slots)

    def variables(self):
        """The variables this optimizer made (slots and others such as Adam's beta powers),
        for example to initialize them."""
        made = [v for named in self._slots.values() for v in named.values()]
        made += list(self._non_slot_dict.values())
        return sorted(made, key=lambda v: v.name)

    # -- for subclasses --------------------------------------------------------------------------

    def _create_slots(self, var_list):
        """Makes the slot variables of each variable in `var_list` (none by default)."""

    def _prepare(self):
        """Converts hyperparameters to tensors before the updates are added."""

    def _apply_dense(self, grad, var):
        """Adds the update of `var` with `grad`; returns its op or tensor."""
        raise NotImplementedError()

    def _apply_sparse_duplicate_indices(self, grad, var):
        """Adds the update of `var` with the IndexedSlices `grad`, whose indices may repeat:
        sums the rows of repeated indices, then calls `_apply_sparse`."""
        values, indices = _deduplicate_indexed_slices(grad.values, grad.indices)
        return self._apply_sparse(IndexedSlices(values, indices, grad.dense_shape), var)

    def _apply_sparse(self, grad, var):
        """Adds the update of the rows of `var` that the IndexedSlices `grad` names (distinct
        indices); returns its op or tensor."""
        raise NotImplementedError()

    def _finish(self, update_ops, name_scope):
        """The op that runs every update."""
        return control_flow_ops.group(*update_ops, name=name_scope)

    def _hyper(self, name, value, dtype):
        """Hyperparameter `value` (a number, a tensor, or a callable returning either) as a
        tensor of `dtype`: numbers become constants of that dtype, tensors are cast."""
        key = (name, dtype)
        if key not in self._hyper_cache:
            if callable(value):
                value = value()
            if isinstance(value, ops.Tensor) or hasattr(value, "_as_graph_element"):
                tensor = math_ops.cast(value, dtype)
            else:
                tensor = convert_to_tensor(value, dtype=dtype, name=name)
            self._hyper_cache[key] = tensor
        return self._hyper_cache[key]

    def _slot_dict(self, slot_name):
        return self._slots.setdefault(slot_name, {})

    def _get_or_make_slot(self, var, initial_value, slot_name, op_name):
        """The slot `slot_name` of `var`, made on first use as a non-trainable variable named
        '<var's op name>/<op_name>' (made unique: 'w/Adam', 'w/Adam_1')."""
        named_slots = self._slot_dict(slot_name)
        key = _var_key(var)
        if key not in named_slots:
            named_slots[key] = variables.Variable(
                initial_value, trainable=False, name=f"{var.op.name}/{op_name}",
                validate_shape=var.shape.is_fully_defined())
        return named_slots[key]

    def _slot_initial_value(self, var, value):
        """A tensor of var's shape and dtype filled with `value`."""
        shape = var.shape
        if not shape.is_fully_defined():
            shape = array_ops.shape(var.initial_value)
        return array_ops.fill(shape, convert_to_tensor(value, dtype=var.dtype.base_dtype))

    def _zeros_slot(self, var, slot_name, op_name):
        return self._get_or_make_slot(var, lambda: self._slot_initial_value(var, 0), slot_name,
                                      op_name)

    def _get_non_slot_variable(self, name, graph=None):
        return self._non_slot_dict.get((name, graph or ops.get_default_graph()))

    def _create_non_slot_variable(self, initial_value, name, graph):
        """A non-trainable variable called `name` shared by all variables of `graph`."""
        key = (name, graph)
        if key not in self._non_slot_dict:
            self._non_slot_dict[key] = variables.Variable(initial_value, trainable=False,
                                                          name=name)
        return self._non_slot_dict[key]
