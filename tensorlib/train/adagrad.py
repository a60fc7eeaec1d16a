"""AdagradOptimizer (Duchi et al., 2011): accumulator += g * g;
variable -= learning_rate * g / sqrt(accumulator)."""
from tensorlib.train import optimizer, training_ops


class AdagradOptimizer(optimizer.Optimizer):
    """Optimizer that implements the Adagrad algorithm, with one slot 'accumulator' per
    variable (starting at initial_accumulator_value)."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="Adagrad"):
        """learning_rate: a float, a scalar Tensor, or a callable returning either.
        initial_accumulator_value: a positive float, the accumulators' starting value."""
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(
                v, lambda v=v: self._slot_initial_value(v, self._initial_accumulator_value),
                "accumulator", self._name)

    def _apply_dense(self, grad, var):
        return training_ops.apply_adagrad(
            var, self.get_slot(var, "accumulator"),
            self._hyper("learning_rate", self._learning_rate, var.dtype.base_dtype), grad,
            use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return training_ops.sparse_apply_adagrad(
            var, self.get_slot(var, "accumulator"),
            self._hyper("learning_rate", self._learning_rate, var.dtype.base_dtype), grad.values,
            grad.indices, use_locking=self._use_locking).op
