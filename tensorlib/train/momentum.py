"""MomentumOptimizer: accumulation = momentum * accumulation + grad;
var -= learning_rate * accumulation (or, with Nesterov,
var -= learning_rate * (grad + momentum * accumulation))."""
from tensorlib.train import optimizer, training_ops


class MomentumOptimizer(optimizer.Optimizer):
    """Optimizer that implements the Momentum algorithm, with one slot 'momentum' per
    variable."""

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        """learning_rate, momentum: floats, scalar Tensors, or callables returning either."""
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad, var):
        dtype = var.dtype.base_dtype
        return training_ops.apply_momentum(
            var, self.get_slot(var, "momentum"),
            self._hyper("learning_rate", self._learning_rate, dtype), grad,
            self._hyper("momentum", self._momentum, dtype), use_locking=self._use_locking,
            use_nesterov=self._use_nesterov).op

    def _apply_sparse(self, grad, var):
        dtype = var.dtype.base_dtype
        return training_ops.sparse_apply_momentum(
            var, self.get_slot(var, "momentum"),
            self._hyper("learning_rate", self._learning_rate, dtype), grad.values, grad.indices,
            self._hyper("momentum", self._momentum, dtype), use_locking=self._use_locking,
            use_nesterov=self._use_nesterov).op
