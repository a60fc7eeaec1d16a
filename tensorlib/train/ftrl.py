"""FtrlOptimizer: FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the
Trenches", 2013), in TF1's formulation with optional L2 shrinkage:

    g_s = g + 2 * l2_shrinkage * variable        (g when l2_shrinkage is 0)
    new_accum = accum + g * g
    linear += g_s - (new_accum^(-p) - accum^(-p)) / learning_rate * variable
    variable = (sign(linear) * l1 - linear) / (new_accum^(-p) / learning_rate + 2 * l2)
               where |linear| > l1, else 0
    accum = new_accum

with p = learning_rate_power. `beta` (FTRL's smoothing term) adds beta / (2 * learning_rate)
to l2, as in TF1.
"""
from tensorlib.train import optimizer, training_ops


class FtrlOptimizer(optimizer.Optimizer):
    """Optimizer that implements the FTRL-Proximal algorithm, with slots 'accum' (starting at
    initial_accumulator_value) and 'linear' per variable."""

    def __init__(self, learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="Ftrl", accum_name=None, linear_name=None,
                 l2_shrinkage_regularization_strength=0.0, beta=None):
        """learning_rate: a float, a scalar Tensor, or a callable returning either;
        learning_rate_power <= 0; initial_accumulator_value >= 0; the regularization
        strengths >= 0. accum_name, linear_name: the slot variables' suffixes (the optimizer's
        name by default)."""
        super().__init__(use_locking, name)
        if initial_accumulator_value < 0.0:
            raise ValueError(f"initial_accumulator_value {initial_accumulator_value} needs to "
                             "be positive or zero")
        if learning_rate_power > 0.0:
            raise ValueError(f"learning_rate_power {learning_rate_power} needs to be negative "
                             "or zero")
        for what, value in (("l1_regularization_strength", l1_regularization_strength),
                            ("l2_regularization_strength", l2_regularization_strength),
                            ("l2_shrinkage_regularization_strength",
                             l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"{what} {value} needs to be positive or zero")
        self._learning_rate = learning_rate
        self._learning_rate_power = learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength
        self._l2_shrinkage = l2_shrinkage_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._accum_name = accum_name
        self._linear_name = linear_name

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(
                v, lambda v=v: self._slot_initial_value(v, self._initial_accumulator_value),
                "accum", self._accum_name or self._name)
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _strengths(self, dtype):
        """lr, l1, l2 (with beta), l2_shrinkage when used, lr_power: the update's scalars."""
        lr = self._hyper("learning_rate", self._learning_rate, dtype)
        l2 = self._hyper("l2", self._l2, dtype)
        if self._beta:
            l2 = l2 + self._hyper("beta", self._beta, dtype) / (2.0 * lr)
        strengths = [lr, self._hyper("l1", self._l1, dtype), l2]
        if self._l2_shrinkage > 0.0:
            strengths.append(self._hyper("l2_shrinkage", self._l2_shrinkage, dtype))
        return strengths + [self._hyper("lr_power", self._learning_rate_power, dtype)]

    def _slots_of(self, var):
        return [var, self.get_slot(var, "accum"), self.get_slot(var, "linear")]

    def _apply_dense(self, grad, var):
        update = (training_ops.apply_ftrl_v2 if self._l2_shrinkage > 0.0
                  else training_ops.apply_ftrl)
        return update(*self._slots_of(var), grad, *self._strengths(var.dtype.base_dtype),
                      use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        update = (training_ops.sparse_apply_ftrl_v2 if self._l2_shrinkage > 0.0
                  else training_ops.sparse_apply_ftrl)
        return update(*self._slots_of(var), grad.values, grad.indices,
                      *self._strengths(var.dtype.base_dtype), use_locking=self._use_locking).op
