"""GradientDescentOptimizer: var -= learning_rate * grad (for an IndexedSlices gradient,
ScatterSub of its rows, repeated indices adding up)."""
from tensorlib.framework.indexed_slices import IndexedSlices
from tensorlib.train import optimizer, training_ops


class GradientDescentOptimizer(optimizer.Optimizer):
    """Optimizer that implements the gradient descent algorithm."""

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        """learning_rate: a float, a scalar Tensor, or a callable returning either."""
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _apply_dense(self, grad, var):
        return training_ops.apply_gradient_descent(
            var, self._hyper("learning_rate", self._learning_rate, var.dtype.base_dtype), grad,
            use_locking=self._use_locking).op

    def _apply_sparse_duplicate_indices(self, grad, var):
        lr = self._hyper("learning_rate", self._learning_rate, var.dtype.base_dtype)
        delta = IndexedSlices(grad.values * lr, grad.indices, grad.dense_shape)
        return var.scatter_sub(delta, use_locking=self._use_locking).op
