"""AdamOptimizer (Kingma and Ba, https://arxiv.org/abs/1412.6980), in TF1's formulation:

    lr_t = learning_rate * sqrt(1 - beta2^t) / (1 - beta1^t)
    m_t = beta1 * m_{t-1} + (1 - beta1) * g
    v_t = beta2 * v_{t-1} + (1 - beta2) * g * g
    variable -= lr_t * m_t / (sqrt(v_t) + epsilon)

For an IndexedSlices gradient (repeated indices summed first) m and v decay densely and only
the gradient's rows are added (ScatterAdd), while every element of the variable moves, as in
TF1's AdamOptimizer._apply_sparse.
"""
from tensorlib.framework import ops
from tensorlib.ops import control_flow_ops, math_ops, state_ops, variables
from tensorlib.train import optimizer, training_ops


class AdamOptimizer(optimizer.Optimizer):
    """Optimizer that implements the Adam algorithm, with slots 'm' and 'v' per variable and
    the variables 'beta1_power' and 'beta2_power' (beta1^t, beta2^t) shared by all."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="Adam"):
        """learning_rate, beta1, beta2, epsilon: floats, scalar Tensors, or callables
        returning either."""
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._beta1 = beta1
        self._beta2 = beta2
        self._epsilon = epsilon

    def _get_beta_accumulators(self, graph=None):
        return (self._get_non_slot_variable("beta1_power", graph),
                self._get_non_slot_variable("beta2_power", graph))

    def _create_slots(self, var_list):
        first_var = min(var_list, key=lambda x: x.name)
        graph = first_var.graph
        self._create_non_slot_variable(self._call(self._beta1), "beta1_power", graph)
        self._create_non_slot_variable(self._call(self._beta2), "beta2_power", graph)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    @staticmethod
    def _call(value):
        return value() if callable(value) else value

    def _apply_dense(self, grad, var):
        dtype = var.dtype.base_dtype
        beta1_power, beta2_power = self._get_beta_accumulators(var.graph)
        return training_ops.apply_adam(
            var, self.get_slot(var, "m"), self.get_slot(var, "v"),
            math_ops.cast(beta1_power, dtype), math_ops.cast(beta2_power, dtype),
            self._hyper("learning_rate", self._lr, dtype), self._hyper("beta1", self._beta1, dtype),
            self._hyper("beta2", self._beta2, dtype), self._hyper("epsilon", self._epsilon, dtype),
            grad, use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        dtype = var.dtype.base_dtype
        beta1_power, beta2_power = self._get_beta_accumulators(var.graph)
        beta1 = self._hyper("beta1", self._beta1, dtype)
        beta2 = self._hyper("beta2", self._beta2, dtype)
        epsilon = self._hyper("epsilon", self._epsilon, dtype)
        lr = (self._hyper("learning_rate", self._lr, dtype)
              * math_ops.sqrt(1 - math_ops.cast(beta2_power, dtype))
              / (1 - math_ops.cast(beta1_power, dtype)))
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_t = variables.assign(m, m * beta1, use_locking=self._use_locking)
        with ops.control_dependencies([m_t]):
            m_t = state_ops.scatter_add(m, grad.indices, grad.values * (1 - beta1),
                                        use_locking=self._use_locking)
        v_t = variables.assign(v, v * beta2, use_locking=self._use_locking)
        with ops.control_dependencies([v_t]):
            v_t = state_ops.scatter_add(v, grad.indices, grad.values * grad.values * (1 - beta2),
                                        use_locking=self._use_locking)
        var_update = variables.assign_sub(var, lr * m_t / (math_ops.sqrt(v_t) + epsilon),
                                          use_locking=self._use_locking)
        return control_flow_ops.group(var_update, m_t, v_t)

    def _finish(self, update_ops, name_scope):
        # The beta powers advance after every variable's update has read them.
        with ops.control_dependencies(update_ops):
            beta1_power, beta2_power = self._get_beta_accumulators(update_ops[0].graph)
            update_beta1 = beta1_power.assign(
                beta1_power * self._hyper("beta1", self._beta1, beta1_power.dtype),
                use_locking=self._use_locking)
            update_beta2 = beta2_power.assign(
                beta2_power * self._hyper("beta2", self._beta2, beta2_power.dtype),
                use_locking=self._use_locking)
        return control_flow_ops.group(*update_ops + [update_beta1, update_beta2],
                                      name=name_scope)
