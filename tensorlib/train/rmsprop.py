"""RMSPropOptimizer (Hinton's lecture 6e), in TF1's formulation:

    ms = decay * ms + (1 - decay) * g * g
    mom = momentum * mom + learning_rate * g / sqrt(ms + epsilon)
    variable -= mom

Centered, it also keeps mg, the moving average of g, and divides by
sqrt(ms - mg * mg + epsilon).
"""
from tensorlib.train import optimizer, training_ops


class RMSPropOptimizer(optimizer.Optimizer):
    """Optimizer that implements the RMSProp algorithm, with slots 'rms' (starting at ones),
    'momentum' and, when centered, 'mg' per variable."""

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10,
                 use_locking=False, centered=False, name="RMSProp"):
        """learning_rate, decay, momentum, epsilon: floats, scalar Tensors, or callables
        returning either."""
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = centered

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(v, lambda v=v: self._slot_initial_value(v, 1), "rms",
                                   self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _hypers(self, dtype):
        return [self._hyper("learning_rate", self._learning_rate, dtype),
                self._hyper("decay", self._decay, dtype),
                self._hyper("momentum", self._momentum, dtype),
                self._hyper("epsilon", self._epsilon, dtype)]

    def _apply_dense(self, grad, var):
        hyper = self._hypers(var.dtype.base_dtype) + [grad]
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        if self._centered:
            return training_ops.apply_centered_rms_prop(
                var, self.get_slot(var, "mg"), rms, mom, *hyper,
                use_locking=self._use_locking).op
        return training_ops.apply_rms_prop(var, rms, mom, *hyper,
                                           use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        hyper = self._hypers(var.dtype.base_dtype) + [grad.values, grad.indices]
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        if self._centered:
            return training_ops.sparse_apply_centered_rms_prop(
                var, self.get_slot(var, "mg"), rms, mom, *hyper,
                use_locking=self._use_locking).op
        return training_ops.sparse_apply_rms_prop(var, rms, mom, *hyper,
                                                  use_locking=self._use_locking).op
