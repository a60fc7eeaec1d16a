"""TF1's optimizer update ops (gen_training_ops): each updates a variable and its accumulators
in place, in one fused pass, and returns the updated variable. The optimizers use them; they are
not differentiable.

The sparse_apply_* forms take the gradient's rows (`grad`, [N] + var.shape[1:]) and the rows of
var they update (`indices`, N int32 or int64): they apply the same formula to those rows only,
one index after another.

`use_locking` is accepted for compatibility; updates of one variable from runs in several
threads are not serialized (TF1's default, use_locking=False, behaves the same way).
"""
from tensorlib import dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor


def _ref(var, arg, op_type):
    """The VariableV2 output that `var` (a Variable or its tensor) stands for."""
    t = var._as_graph_element() if hasattr(var, "_as_graph_element") else var
    if not isinstance(t, ops.Tensor) or t.op.type != "VariableV2":
        raise TypeError(f"Input '{arg}' of '{op_type}' Op requires l-value input")
    return t


def _apply(op_type, refs, values, attrs, name):
    """Adds update `op_type`: `refs` and `values` are [(input name, value)] in the op's input
    order (refs first). Python numbers become constants of var's dtype (but `indices` and
    `global_step`, which keep their integer dtype)."""
    ref_tensors = [_ref(v, arg, op_type) for arg, v in refs]
    dtype = ref_tensors[0].dtype
    value_tensors = []
    for arg, v in values:
        is_tensor = isinstance(v, ops.Tensor) or hasattr(v, "_as_graph_element")
        keep_dtype = is_tensor or arg in ("indices", "global_step")
        value_tensors.append(convert_to_tensor(
            v, dtype=None if keep_dtype else dtype, name=arg,
            preferred_dtype=dtypes.int64 if arg == "global_step" else None))
    return ops.apply_op(op_type, ref_tensors + value_tensors, attrs, name=name).outputs[0]


def apply_gradient_descent(var, alpha, delta, use_locking=False, name=None):
    """var -= alpha * delta."""
    return _apply("ApplyGradientDescent", [("var", var)], [("alpha", alpha), ("delta", delta)],
                  {"use_locking": use_locking}, name)


def apply_momentum(var, accum, lr, grad, momentum, use_locking=False, use_nesterov=False,
                   name=None):
    """accum = accum * momentum + grad; var -= lr * accum (with Nesterov:
    var -= grad * lr + accum * momentum * lr)."""
    return _apply("ApplyMomentum", [("var", var), ("accum", accum)],
                  [("lr", lr), ("grad", grad), ("momentum", momentum)],
                  {"use_locking": use_locking, "use_nesterov": use_nesterov}, name)


def apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad,
               use_locking=False, use_nesterov=False, name=None):
    """lr_t = lr * sqrt(1 - beta2_power) / (1 - beta1_power);
    m = beta1 * m + (1 - beta1) * grad; v = beta2 * v + (1 - beta2) * grad^2;
    var -= lr_t * m / (sqrt(v) + epsilon) (with Nesterov, m is replaced by
    beta1 * m + (1 - beta1) * grad)."""
    return _apply("ApplyAdam", [("var", var), ("m", m), ("v", v)],
                  [("beta1_power", beta1_power), ("beta2_power", beta2_power), ("lr", lr),
                   ("beta1", beta1), ("beta2", beta2), ("epsilon", epsilon), ("grad", grad)],
                  {"use_locking": use_locking, "use_nesterov": use_nesterov}, name)


def apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, use_locking=False,
                   name=None):
    """ms = rho * ms + (1 - rho) * grad^2; mom = momentum * mom + lr * grad / sqrt(ms + epsilon);
    var -= mom."""
    return _apply("ApplyRMSProp", [("var", var), ("ms", ms), ("mom", mom)],
                  [("lr", lr), ("rho", rho), ("momentum", momentum), ("epsilon", epsilon),
                   ("grad", grad)],
                  {"use_locking": use_locking}, name)


def apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad,
                            use_locking=False, name=None):
    """mg = rho * mg + (1 - rho) * grad; ms = rho * ms + (1 - rho) * grad^2;
    mom = momentum * mom + lr * grad / sqrt(ms - mg^2 + epsilon); var -= mom."""
    return _apply("ApplyCenteredRMSProp", [("var", var), ("mg", mg), ("ms", ms), ("mom", mom)],
                  [("lr", lr), ("rho", rho), ("momentum", momentum), ("epsilon", epsilon),
                   ("grad", grad)],
                  {"use_locking": use_locking}, name)


def apply_adagrad(var, accum, lr, grad, use_locking=False, update_slots=True, name=None):
    """accum += grad^2 (when update_slots); var -= lr * grad / sqrt(accum)."""
    return _apply("ApplyAdagrad", [("var", var), ("accum", accum)], [("lr", lr), ("grad", grad)],
                  {"use_locking": use_locking, "update_slots": update_slots}, name)


def sparse_apply_momentum(var, accum, lr, grad, indices, momentum, use_locking=False,
                          use_nesterov=False, name=None):
    """apply_momentum on the rows `indices` of var and accum."""
    return _apply("SparseApplyMomentum", [("var", var), ("accum", accum)],
                  [("lr", lr), ("grad", grad), ("indices", indices), ("momentum", momentum)],
                  {"use_locking": use_locking, "use_nesterov": use_nesterov},
                  name)


def sparse_apply_adagrad(var, accum, lr, grad, indices, use_locking=False, update_slots=True,
                         name=None):
    """apply_adagrad on the rows `indices` of var and accum."""
    return _apply("SparseApplyAdagrad", [("var", var), ("accum", accum)],
                  [("lr", lr), ("grad", grad), ("indices", indices)],
                  {"use_locking": use_locking, "update_slots": update_slots}, name)


def sparse_apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, indices,
                          use_locking=False, name=None):
    """apply_rms_prop on the rows `indices` of var, ms and mom."""
    return _apply("SparseApplyRMSProp", [("var", var), ("ms", ms), ("mom", mom)],
                  [("lr", lr), ("rho", rho), ("momentum", momentum),
                   ("epsilon", epsilon), ("grad", grad), ("indices", indices)],
                  {"use_locking": use_locking}, name)


def sparse_apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices,
                                   use_locking=False, name=None):
    """apply_centered_rms_prop on the rows `indices` of var, mg, ms and mom."""
    return _apply("SparseApplyCenteredRMSProp",
                  [("var", var), ("mg", mg), ("ms", ms), ("mom", mom)],
                  [("lr", lr), ("rho", rho), ("momentum", momentum),
                   ("epsilon", epsilon), ("grad", grad), ("indices", indices)],
                  {"use_locking": use_locking}, name)


def apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, use_locking=False,
                   name=None):
    """accum = rho * accum + (1 - rho) * grad^2;
    update = sqrt(accum_update + epsilon) / sqrt(accum + epsilon) * grad;
    accum_update = rho * accum_update + (1 - rho) * update^2; var -= lr * update."""
    return _apply("ApplyAdadelta",
                  [("var", var), ("accum", accum), ("accum_update", accum_update)],
                  [("lr", lr), ("rho", rho), ("epsilon", epsilon), ("grad", grad)],
                  {"use_locking": use_locking}, name)


def sparse_apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, indices,
                          use_locking=False, name=None):
    """apply_adadelta on the rows `indices` of var, accum and accum_update."""
    return _apply("SparseApplyAdadelta",
                  [("var", var), ("accum", accum), ("accum_update", accum_update)],
                  [("lr", lr), ("rho", rho), ("epsilon", epsilon), ("grad", grad),
                   ("indices", indices)],
                  {"use_locking": use_locking}, name)


def apply_ftrl(var, accum, linear, grad, lr, l1, l2, lr_power, use_locking=False, name=None):
    """FTRL-Proximal: new_accum = accum + grad^2;
    linear += grad - (new_accum^-lr_power - accum^-lr_power) / lr * var;
    var = (sign(linear) * l1 - linear) / (new_accum^-lr_power / lr + 2 * l2) where
    |linear| > l1, else 0; accum = new_accum."""
    return _apply("ApplyFtrl", [("var", var), ("accum", accum), ("linear", linear)],
                  [("grad", grad), ("lr", lr), ("l1", l1), ("l2", l2), ("lr_power", lr_power)],
                  {"use_locking": use_locking}, name)


def apply_ftrl_v2(var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power,
                  use_locking=False, name=None):
    """apply_ftrl with grad + 2 * l2_shrinkage * var in place of grad in the update of linear
    (the accumulator still adds grad^2)."""
    return _apply("ApplyFtrlV2", [("var", var), ("accum", accum), ("linear", linear)],
                  [("grad", grad), ("lr", lr), ("l1", l1), ("l2", l2),
                   ("l2_shrinkage", l2_shrinkage), ("lr_power", lr_power)],
                  {"use_locking": use_locking}, name)


def sparse_apply_ftrl(var, accum, linear, grad, indices, lr, l1, l2, lr_power,
                      use_locking=False, name=None):
    """apply_ftrl on the rows `indices` of var, accum and linear."""
    return _apply("SparseApplyFtrl", [("var", var), ("accum", accum), ("linear", linear)],
                  [("grad", grad), ("indices", indices), ("lr", lr), ("l1", l1),
                   ("l2", l2), ("lr_power", lr_power)],
                  {"use_locking": use_locking}, name)


def sparse_apply_ftrl_v2(var, accum, linear, grad, indices, lr, l1, l2, l2_shrinkage, lr_power,
                         use_locking=False, name=None):
    """apply_ftrl_v2 on the rows `indices` of var, accum and linear."""
    return _apply("SparseApplyFtrlV2",
                  [("var", var), ("accum", accum), ("linear", linear)],
                  [("grad", grad), ("indices", indices), ("lr", lr), ("l1", l1),
                   ("l2", l2), ("l2_shrinkage", l2_shrinkage), ("lr_power", lr_power)],
                  {"use_locking": use_locking}, name)


def apply_proximal_gradient_descent(var, alpha, l1, l2, delta, use_locking=False, name=None):
    """prox = var - alpha * delta;
    var = sign(prox) * max(|prox| - alpha * l1, 0) / (1 + alpha * l2)."""
    return _apply("ApplyProximalGradientDescent", [("var", var)],
                  [("alpha", alpha), ("l1", l1), ("l2", l2), ("delta", delta)],
                  {"use_locking": use_locking}, name)


def sparse_apply_proximal_gradient_descent(var, alpha, l1, l2, grad, indices, use_locking=False,
                                           name=None):
    """apply_proximal_gradient_descent on the rows `indices` of var."""
    return _apply("SparseApplyProximalGradientDescent", [("var", var)],
                  [("alpha", alpha), ("l1", l1), ("l2", l2), ("grad", grad),
                   ("indices", indices)],
                  {"use_locking": use_locking}, name)


def apply_proximal_adagrad(var, accum, lr, l1, l2, grad, use_locking=False, name=None):
    """accum += grad^2; step = lr / sqrt(accum); prox = var - step * grad;
    var = sign(prox) * max(|prox| - step * l1, 0) / (1 + step * l2)."""
    return _apply("ApplyProximalAdagrad", [("var", var), ("accum", accum)],
                  [("lr", lr), ("l1", l1), ("l2", l2), ("grad", grad)],
                  {"use_locking": use_locking}, name)


def sparse_apply_proximal_adagrad(var, accum, lr, l1, l2, grad, indices, use_locking=False,
                                  name=None):
    """apply_proximal_adagrad on the rows `indices` of var and accum."""
    return _apply("SparseApplyProximalAdagrad", [("var", var), ("accum", accum)],
                  [("lr", lr), ("l1", l1), ("l2", l2), ("grad", grad),
                   ("indices", indices)],
                  {"use_locking": use_locking}, name)


def apply_adagrad_da(var, gradient_accumulator, gradient_squared_accumulator, grad, lr, l1, l2,
                     global_step, use_locking=False, name=None):
    """Adagrad dual averaging at step global_step (an int64 scalar) t:
    gradient_accumulator += grad; gradient_squared_accumulator += grad^2;
    var = -lr * sign(g) * max(|g| - l1 * t, 0) / (sqrt(gradient_squared_accumulator)
    + l2 * t * lr) for g = gradient_accumulator."""
    return _apply("ApplyAdagradDA",
                  [("var", var), ("gradient_accumulator", gradient_accumulator),
                   ("gradient_squared_accumulator", gradient_squared_accumulator)],
                  [("grad", grad), ("lr", lr), ("l1", l1), ("l2", l2),
                   ("global_step", global_step)],
                  {"use_locking": use_locking}, name)


def sparse_apply_adagrad_da(var, gradient_accumulator, gradient_squared_accumulator, grad,
                            indices, lr, l1, l2, global_step, use_locking=False, name=None):
    """apply_adagrad_da on the rows `indices` of var and its accumulators."""
    return _apply("SparseApplyAdagradDA",
                  [("var", var), ("gradient_accumulator", gradient_accumulator),
                   ("gradient_squared_accumulator", gradient_squared_accumulator)],
                  [("grad", grad), ("indices", indices), ("lr", lr), ("l1", l1), ("l2", l2),
                   ("global_step", global_step)],
                  {"use_locking": use_locking}, name)


for _op_type in ("ApplyAdagrad", "ApplyAdam", "ApplyCenteredRMSProp", "ApplyGradientDescent",
                 "ApplyMomentum", "ApplyRMSProp", "ApplyAdadelta", "ApplyFtrl", "ApplyFtrlV2",
                 "ApplyProximalGradientDescent", "ApplyProximalAdagrad", "SparseApplyAdagrad",
                 "SparseApplyMomentum", "SparseApplyRMSProp", "SparseApplyCenteredRMSProp",
                 "SparseApplyAdadelta", "SparseApplyFtrl", "SparseApplyFtrlV2",
                 "SparseApplyProximalGradientDescent", "SparseApplyProximalAdagrad",
                 "ApplyAdagradDA", "SparseApplyAdagradDA"):
    ops.NotDifferentiable(_op_type)
