"""GradientDescentOptimizer: var -= learning_rate * grad."""
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
