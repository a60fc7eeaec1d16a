"""ProximalGradientDescentOptimizer: gradient descent followed by the proximal step of L1 and
L2 regularization (FOBOS, Duchi and Singer 2009), in TF1's formulation:

    prox = variable - learning_rate * g
    variable = sign(prox) * max(|prox| - learning_rate * l1, 0) / (1 + learning_rate * l2)
"""
from tensorlib.train import optimizer, training_ops


class ProximalGradientDescentOptimizer(optimizer.Optimizer):
    """Optimizer that implements proximal gradient descent (no slots)."""

    def __init__(self, learning_rate, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False,
                 name="ProximalGradientDescent"):
        """learning_rate, the regularization strengths: floats, scalar Tensors, or callables
        returning either."""
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength

    def _hypers(self, dtype):
        return [self._hyper("learning_rate", self._learning_rate, dtype),
                self._hyper("l1", self._l1, dtype), self._hyper("l2", self._l2, dtype)]

    def _apply_dense(self, grad, var):
        return training_ops.apply_proximal_gradient_descent(
            var, *self._hypers(var.dtype.base_dtype), grad, use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return training_ops.sparse_apply_proximal_gradient_descent(
            var, *self._hypers(var.dtype.base_dtype), grad.values, grad.indices,
            use_locking=self._use_locking).op
