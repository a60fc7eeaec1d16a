"""AdagradDAOptimizer: Adagrad dual averaging (Duchi et al., 2011), which keeps the sum of
the gradients and of their squares and computes the variable from them at global step t
(TF1's formulation, for sparse linear models with strong L1):

    gradient_accumulator += g
    gradient_squared_accumulator += g * g
    variable = -lr * sign(G) * max(|G| - l1 * t, 0)
               / (sqrt(gradient_squared_accumulator) + l2 * t * lr)

with G the gradient accumulator and t = global_step + 1 (when the update runs).
"""
from tensorlib import dtypes
from tensorlib.ops import array_ops, math_ops
from tensorlib.train import optimizer, training_ops


class AdagradDAOptimizer(optimizer.Optimizer):
    """Optimizer that implements Adagrad dual averaging, with slots 'gradient_accumulator'
    (zeros) and 'gradient_squared_accumulator' (starting at
    initial_gradient_squared_accumulator_value) per variable. `global_step` (an int64
    variable) must be incremented by the caller, usually through apply_gradients."""

    def __init__(self, learning_rate, global_step,
                 initial_gradient_squared_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False, name="AdagradDA"):
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError("initial_gradient_squared_accumulator_value must be positive: "
                             f"{initial_gradient_squared_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._global_step = global_step
        self._initial_value = initial_gradient_squared_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength
        self._step = None

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "gradient_accumulator", self._name)
            self._get_or_make_slot(
                v, lambda v=v: self._slot_initial_value(v, self._initial_value),
                "gradient_squared_accumulator", self._name)

    def _prepare(self):
        # The step the updates of this run count as: the global step before it advances, + 1.
        step = array_ops.identity(self._global_step)
        if step.dtype != dtypes.int64:
            step = math_ops.cast(step, dtypes.int64)
        self._step = step + 1

    def _hypers(self, dtype):
        return [self._hyper("learning_rate", self._learning_rate, dtype),
                self._hyper("l1", self._l1, dtype), self._hyper("l2", self._l2, dtype),
                self._step]

    def _slots_of(self, var):
        return [var, self.get_slot(var, "gradient_accumulator"),
                self.get_slot(var, "gradient_squared_accumulator")]

    def _apply_dense(self, grad, var):
        return training_ops.apply_adagrad_da(*self._slots_of(var), grad,
                                             *self._hypers(var.dtype.base_dtype),
                                             use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return training_ops.sparse_apply_adagrad_da(*self._slots_of(var), grad.values,
                                                    grad.indices,
                                                    *self._hypers(var.dtype.base_dtype),
                                                    use_locking=self._use_locking).op
