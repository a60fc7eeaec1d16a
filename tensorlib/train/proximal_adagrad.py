"""ProximalAdagradOptimizer: Adagrad's step followed by the proximal step of L1 and L2
regularization (Duchi et al. 2011; FOBOS), in TF1's formulation:

    accumulator += g * g
    step = learning_rate / sqrt(accumulator)
    prox = variable - step * g
    variable = sign(prox) * max(|prox| - step * l1, 0) / (1 + step * l2)
"""
from tensorlib.train import optimizer, training_ops


class ProximalAdagradOptimizer(optimizer.Optimizer):
    """Optimizer that implements proximal Adagrad, with one slot 'accumulator' per variable
    (starting at initial_accumulator_value)."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="ProximalAdagrad"):
        """learning_rate, the regularization strengths: floats, scalar Tensors, or callables
        returning either. initial_accumulator_value: a positive float."""
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(
                v, lambda v=v: self._slot_initial_value(v, self._initial_accumulator_value),
                "accumulator", self._name)

    def _hypers(self, dtype):
        return [self._hyper("learning_rate", self._learning_rate, dtype),
                self._hyper("l1", self._l1, dtype), self._hyper("l2", self._l2, dtype)]

    def _apply_dense(self, grad, var):
        return training_ops.apply_proximal_adagrad(
            var, self.get_slot(var, "accumulator"), *self._hypers(var.dtype.base_dtype), grad,
            use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return training_ops.sparse_apply_proximal_adagrad(
            var, self.get_slot(var, "accumulator"), *self._hypers(var.dtype.base_dtype),
            grad.values, grad.indices, use_locking=self._use_locking).op
