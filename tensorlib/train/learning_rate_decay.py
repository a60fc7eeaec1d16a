"""Learning-rate schedules of TF1 (tf.train.exponential_decay and others): each returns a
scalar tensor computed from `global_step` when the graph runs."""
import math

from tensorlib import dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import math_ops


def _decay_inputs(learning_rate, global_step, decay_steps, function):
    """learning_rate as a tensor, and global_step and decay_steps cast to its dtype."""
    if global_step is None:
        raise ValueError(f"global_step is required for {function}.")
    learning_rate = convert_to_tensor(learning_rate, name="learning_rate")
    dtype = learning_rate.dtype
    return (learning_rate, math_ops.cast(global_step, dtype),
            math_ops.cast(decay_steps, dtype))


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """learning_rate * decay_rate ^ (global_step / decay_steps), the exponent rounded down
    when `staircase`."""
    with ops.name_scope(name, "ExponentialDecay") as name:
        learning_rate, step, decay_steps = _decay_inputs(learning_rate, global_step,
                                                         decay_steps, "exponential_decay")
        decay_rate = math_ops.cast(decay_rate, learning_rate.dtype)
        p = step / decay_steps
        if staircase:
            p = math_ops.floor(p)
        return math_ops.multiply(learning_rate, math_ops.pow(decay_rate, p), name=name)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """learning_rate * exp(-decay_rate * global_step / decay_steps), the quotient rounded down
    when `staircase`."""
    with ops.name_scope(name, "NaturalExpDecay") as name:
        learning_rate, step, decay_steps = _decay_inputs(learning_rate, global_step,
                                                         decay_steps, "natural_exp_decay")
        decay_rate = math_ops.cast(decay_rate, learning_rate.dtype)
        p = step / decay_steps
        if staircase:
            p = math_ops.floor(p)
        return math_ops.multiply(learning_rate, math_ops.exp(-decay_rate * p), name=name)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                       name=None):
    """learning_rate / (1 + decay_rate * global_step / decay_steps), the quotient rounded down
    when `staircase`."""
    with ops.name_scope(name, "InverseTimeDecay") as name:
        learning_rate, step, decay_steps = _decay_inputs(learning_rate, global_step,
                                                         decay_steps, "inverse_time_decay")
        decay_rate = math_ops.cast(decay_rate, learning_rate.dtype)
        p = step / decay_steps
        if staircase:
            p = math_ops.floor(p)
        return math_ops.truediv(learning_rate, 1 + decay_rate * p, name=name)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001,
                     power=1.0, cycle=False, name=None):
    """(learning_rate - end_learning_rate) * (1 - step / decay_steps) ^ power
    + end_learning_rate, with step = min(global_step, decay_steps); with `cycle`, decay_steps
    grows to the first multiple of itself at or past global_step instead."""
    with ops.name_scope(name, "PolynomialDecay") as name:
        learning_rate, step, decay_steps = _decay_inputs(learning_rate, global_step,
                                                         decay_steps, "polynomial_decay")
        dtype = learning_rate.dtype
        end_learning_rate = math_ops.cast(end_learning_rate, dtype)
        power = math_ops.cast(power, dtype)
        if cycle:
            multiplier = math_ops.where(math_ops.equal(step, 0), 1.0,
                                        math_ops.ceil(step / decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = math_ops.minimum(step, decay_steps)
        p = step / decay_steps
        return math_ops.add((learning_rate - end_learning_rate) * math_ops.pow(1 - p, power),
                            end_learning_rate, name=name)


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha), with
    step = min(global_step, decay_steps) (Loshchilov and Hutter's SGDR without restarts)."""
    with ops.name_scope(name, "CosineDecay") as name:
        learning_rate, step, decay_steps = _decay_inputs(learning_rate, global_step,
                                                         decay_steps, "cosine_decay")
        alpha = math_ops.cast(alpha, learning_rate.dtype)
        p = math_ops.minimum(step, decay_steps) / decay_steps
        cosine = 0.5 * (1.0 + math_ops.cos(math.pi * p))
        return math_ops.multiply(learning_rate, (1 - alpha) * cosine + alpha, name=name)



def linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0,
                        beta=0.001, name=None):
    """learning_rate * ((alpha + linear) * cosine + beta), with step = min(global_step,
    decay_steps), linear = (decay_steps - step) / decay_steps and cosine = 0.5 * (1 +
    cos(2 pi num_periods step / decay_steps)) (Bello et al.'s schedule)."""
    with ops.name_scope(name, "LinearCosineDecay") as name:
        learning_rate, step, decay_steps = _decay_inputs(learning_rate, global_step,
                                                         decay_steps, "linear_cosine_decay")
        dtype = learning_rate.dtype
        num_periods, alpha, beta = (math_ops.cast(v, dtype) for v in (num_periods, alpha, beta))
        step = math_ops.minimum(step, decay_steps)
        linear = (decay_steps - step) / decay_steps
        cosine = 0.5 * (1.0 + math_ops.cos(math.pi * 2.0 * num_periods * step / decay_steps))
        return math_ops.multiply(learning_rate, (alpha + linear) * cosine + beta, name=name)


def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0,
                          alpha=0.0, name=None):
    """Cosine decay restarted every period (SGDR): the i-th period lasts first_decay_steps *
    t_mul^i steps and starts from learning_rate * m_mul^i; within a period the rate falls as
    cosine_decay's with floor `alpha`."""
    with ops.name_scope(name, "SGDRDecay") as name:
        learning_rate, step, first_decay_steps = _decay_inputs(
            learning_rate, global_step, first_decay_steps, "cosine_decay_restarts")
        dtype = learning_rate.dtype
        t_mul, m_mul, alpha = (math_ops.cast(v, dtype) for v in (t_mul, m_mul, alpha))
        fraction = step / first_decay_steps
        # Equal periods (t_mul == 1): period floor(fraction). Growing periods: periods
        # 0..i-1 together last (1 - t_mul^i) / (1 - t_mul) first periods.
        geometric_restart = math_ops.floor(math_ops.log(1.0 - fraction * (1.0 - t_mul))
                                           / math_ops.log(t_mul))
        geometric_done = (1.0 - math_ops.pow(t_mul, geometric_restart)) / (1.0 - t_mul)
        geometric_fraction = (fraction - geometric_done) / math_ops.pow(t_mul, geometric_restart)
        equal_periods = math_ops.equal(t_mul, 1.0)
        restart = math_ops.where(equal_periods, math_ops.floor(fraction), geometric_restart)
        fraction = math_ops.where(equal_periods, fraction - math_ops.floor(fraction),
                                  geometric_fraction)
        cosine = 0.5 * math_ops.pow(m_mul, restart) * (1.0 + math_ops.cos(math.pi * fraction))
        return math_ops.multiply(learning_rate, (1 - alpha) * cosine + alpha, name=name)


def piecewise_constant(x, boundaries, values, name=None):
    """values[0] while x <= boundaries[0], values[i] while boundaries[i-1] < x <=
    boundaries[i], values[-1] once x > boundaries[-1].

    Raises:
      ValueError: if there is not one more value than boundaries, or the dtypes disagree.
    """
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with ops.name_scope(name, "PiecewiseConstant") as name:
        x = convert_to_tensor(x)
        bounds = []
        for b in boundaries:
            b = convert_to_tensor(b)
            if b.dtype != x.dtype:
                # Python ints (int32) compare exactly with an int64 step.
                if b.dtype == dtypes.int32 and x.dtype == dtypes.int64:
                    b = math_ops.cast(b, dtypes.int64)
                else:
                    raise ValueError(f"Boundaries ({b.dtype.name}) must have the same dtype as "
                                     f"x ({x.dtype.name}).")
            bounds.append(b)
        values = [convert_to_tensor(v) for v in values]
        for v in values[1:]:
            if v.dtype != values[0].dtype:
                raise ValueError("Values must have elements all with the same dtype "
                                 f"({values[0].dtype.name} vs {v.dtype.name}).")
        out = values[-1]
        for i in reversed(range(len(bounds))):
            out = math_ops.where(math_ops.less_equal(x, bounds[i]), values[i], out,
                                 name=name if i == 0 else None)
        return out
