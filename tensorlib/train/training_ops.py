"""TF1's optimizer update ops (gen_training_ops): each updates a variable and its accumulators
in place, in one fused pass, and returns the updated variable. The optimizers use them; they are
not differentiable.

`use_locking` is accepted for compatibility; updates of one variable from runs in several
threads are not serialized (TF1's default, use_locking=False, behaves the same way).
"""
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
    order (refs first). Python numbers become constants of var's dtype."""
    ref_tensors = [_ref(v, arg, op_type) for arg, v in refs]
    dtype = ref_tensors[0].dtype
    value_tensors = []
    for arg, v in values:
        is_tensor = isinstance(v, ops.Tensor) or hasattr(v, "_as_graph_element")
        value_tensors.append(convert_to_tensor(v, dtype=None if is_tensor else dtype, name=arg))
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


for _op_type in ("ApplyAdagrad", "ApplyAdam", "ApplyCenteredRMSProp", "ApplyGradientDescent",
                 "ApplyMomentum", "ApplyRMSProp"):
    ops.NotDifferentiable(_op_type)
