"""AdadeltaOptimizer (Zeiler, 2012, https://arxiv.org/abs/1212.5701), in TF1's formulation:

    accum = rho * accum + (1 - rho) * g * g
    update = sqrt(accum_update + epsilon) / sqrt(accum + epsilon) * g
    accum_update = rho * accum_update + (1 - rho) * update * update
    variable -= learning_rate * update
"""
from tensorlib.train import optimizer, training_ops


class AdadeltaOptimizer(optimizer.Optimizer):
    """Optimizer that implements the Adadelta algorithm, with slots 'accum' and
    'accum_update' per variable."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False,
                 name="Adadelta"):
        """learning_rate, rho, epsilon: floats, scalar Tensors, or callables returning
        either."""
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._rho = rho
        self._epsilon = epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _hypers(self, dtype):
        return [self._hyper("learning_rate", self._lr, dtype),
                self._hyper("rho", self._rho, dtype),
                self._hyper("epsilon", self._epsilon, dtype)]

    def _apply_dense(self, grad, var):
        return training_ops.apply_adadelta(
            var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update"),
            *self._hypers(var.dtype.base_dtype), grad, use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return training_ops.sparse_apply_adadelta(
            var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update"),
            *self._hypers(var.dtype.base_dtype), grad.values, grad.indices,
            use_locking=self._use_locking).op
