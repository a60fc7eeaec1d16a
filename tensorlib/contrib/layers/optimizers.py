"""contrib.layers.optimize_loss: the train op of a loss in one call, with the optimizer given
by name, class, instance or factory, an optional learning-rate decay, gradient noise,
multipliers and clipping, and scalar summaries."""
from tensorlib import summary
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops, init_ops, math_ops, random_ops, variable_scope
from tensorlib.ops.variables import trainable_variables
from tensorlib.train import training_util
from tensorlib.train.adagrad import AdagradOptimizer
from tensorlib.train.adam import AdamOptimizer
from tensorlib.train.gradient_descent import GradientDescentOptimizer
from tensorlib.train.momentum import MomentumOptimizer
from tensorlib.train.optimizer import Optimizer
from tensorlib.train.rmsprop import RMSPropOptimizer

OPTIMIZER_CLS_NAMES = {
    "Adagrad": AdagradOptimizer,
    "Adam": AdamOptimizer,
    "Momentum": lambda learning_rate: MomentumOptimizer(learning_rate, momentum=0.9),
    "RMSProp": RMSPropOptimizer,
    "SGD": GradientDescentOptimizer,
}
OPTIMIZER_SUMMARIES = ["learning_rate", "loss", "gradient_norm", "global_gradient_norm"]


def _learning_rate(learning_rate):
    """A scalar tensor as is; a float as the non-trainable variable "learning_rate"."""
    if isinstance(learning_rate, ops.Tensor) and learning_rate.shape.ndims == 0:
        return learning_rate
    if isinstance(learning_rate, float):
        if learning_rate < 0.0:
            raise ValueError(f"Invalid learning_rate {learning_rate}.")
        return variable_scope.get_variable(
            "learning_rate", [], trainable=False,
            initializer=init_ops.constant_initializer(learning_rate))
    raise ValueError(f"Learning rate should be 0d Tensor or float. Got {learning_rate!r} of "
                     f"type {type(learning_rate).__name__}")


def _make_optimizer(optimizer, lr):
    """The Optimizer `optimizer` names, is, makes (a class or factory taking the rate)."""
    if isinstance(optimizer, str):
        if lr is None:
            raise ValueError(f"Learning rate is None, but should be specified if optimizer is "
                             f"string ({optimizer}).")
        if optimizer not in OPTIMIZER_CLS_NAMES:
            raise ValueError(f"Optimizer name should be one of [{', '.join(OPTIMIZER_CLS_NAMES)}"
                             f"], you provided {optimizer}.")
        return OPTIMIZER_CLS_NAMES[optimizer](learning_rate=lr)
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        if lr is None:
            raise ValueError(f"Learning rate is None, but should be specified if optimizer is "
                             f"class ({optimizer}).")
        return optimizer(learning_rate=lr)
    if isinstance(optimizer, Optimizer):
        return optimizer
    if callable(optimizer):
        made = optimizer(lr) if lr is not None else optimizer()
        if not isinstance(made, Optimizer):
            raise ValueError(f"Unrecognized optimizer: function should return subclass of "
                             f"Optimizer. Got {made}.")
        return made
    raise ValueError(f"Unrecognized optimizer: should be string, subclass of Optimizer, "
                     f"instance of subclass of Optimizer or function with one argument. "
                     f"Got {optimizer}.")


def _add_noise(grads_and_vars, scale):
    """Each gradient plus N(0, scale^2) noise of its shape."""
    return [(None if g is None else
             g + random_ops.random_normal(array_ops.shape(g), dtype=g.dtype) * scale, v)
            for g, v in grads_and_vars]


def _multiply(grads_and_vars, multipliers):
    """Each gradient times multipliers[its variable or the variable's op name], if there."""
    out = []
    for g, v in grads_and_vars:
        key = v if v in multipliers else v.op.name
        if g is not None and key in multipliers:
            g = g * math_ops.cast(multipliers[key], g.dtype)
        out.append((g, v))
    return out


def _clip(grads_and_vars, clip_gradients):
    if isinstance(clip_gradients, float):
        grads, var_list = zip(*grads_and_vars)
        clipped, _ = math_ops.clip_by_global_norm(list(grads), clip_gradients)
        return list(zip(clipped, var_list))
    if callable(clip_gradients):
        return clip_gradients(grads_and_vars)
    if clip_gradients is not None:
        raise ValueError(f"Unknown type {type(clip_gradients).__name__} for clip_gradients")
    return grads_and_vars


def optimize_loss(loss, global_step, learning_rate, optimizer, gradient_noise_scale=None,
                  gradient_multipliers=None, clip_gradients=None, learning_rate_decay_fn=None,
                  update_ops=None, variables=None, name=None, summaries=None,
                  colocate_gradients_with_ops=False, increment_global_step=True):
    """A tensor that, when run, updates `variables` (default: the trainable ones) to lower
    `loss` and returns the loss; the UPDATE_OPS (or `update_ops`) run first.

    learning_rate: a float (kept in the variable "OptimizeLoss/learning_rate"), a scalar
      tensor, or None for an optimizer instance or factory taking no rate.
    optimizer: a name of OPTIMIZER_CLS_NAMES, an Optimizer subclass or instance, or a
      function making one from the learning rate.
    learning_rate_decay_fn: fn(learning_rate, global_step) -> decayed rate.
    clip_gradients: a float (the global norm to clip to) or fn(grads_and_vars).
    summaries: which of OPTIMIZER_SUMMARIES to add (default: all).
    colocate_gradients_with_ops: accepted for TF1's signature; tensorlib places gradient ops
      itself.

    Raises:
      ValueError: for a bad learning rate, optimizer, summary name or clip_gradients.
    """
    loss = convert_to_tensor(loss)
    if global_step is None:
        global_step = training_util.get_global_step()
    else:
        training_util.assert_global_step(global_step)
    summaries = list(OPTIMIZER_SUMMARIES if summaries is None else summaries)
    for s in summaries:
        if s not in OPTIMIZER_SUMMARIES:
            raise ValueError(f"Summaries should be one of [{', '.join(OPTIMIZER_SUMMARIES)}], "
                             f"you provided {s}.")
    with variable_scope.variable_scope(name, "OptimizeLoss", [loss, global_step]):
        if update_ops is None:
            update_ops = ops.get_collection(ops.GraphKeys.UPDATE_OPS)
        if update_ops:
            with ops.control_dependencies(list(update_ops)):
                loss = array_ops.identity(loss)
        lr = None if learning_rate is None else _learning_rate(learning_rate)
        if lr is not None and learning_rate_decay_fn is not None:
            if global_step is None:
                raise ValueError("global_step is required for learning_rate_decay_fn.")
            lr = learning_rate_decay_fn(lr, global_step)
        if lr is not None and "learning_rate" in summaries:
            summary.scalar("learning_rate", lr)
        opt = _make_optimizer(optimizer, lr)
        if variables is None:
            variables = trainable_variables()
        grads_and_vars = opt.compute_gradients(loss, variables)
        if gradient_noise_scale is not None:
            grads_and_vars = _add_noise(grads_and_vars, gradient_noise_scale)
        if gradient_multipliers is not None:
            grads_and_vars = _multiply(grads_and_vars, gradient_multipliers)
        if {"gradient_norm", "global_gradient_norm"} & set(summaries):
            summary.scalar("global_norm/gradient_norm",
                           math_ops.global_norm([g for g, _ in grads_and_vars]))
        grads_and_vars = _clip(grads_and_vars, clip_gradients)
        if "loss" in summaries:
            summary.scalar("loss", loss)
        train = opt.apply_gradients(grads_and_vars,
                                    global_step=global_step if increment_global_step else None,
                                    name="train")
        with ops.control_dependencies([train]):
            return array_ops.identity(loss)
