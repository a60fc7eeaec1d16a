"""contrib.layers' weight regularizers: functions weights -> scalar penalty tensor (or None
for a zero scale), and apply_regularization, which sums them into REGULARIZATION_LOSSES."""
import numbers

from tensorlib.framework import ops
from tensorlib.framework.constant_op import constant, convert_to_tensor
from tensorlib.ops import math_ops, nn_ops
from tensorlib.platform import tf_logging


def _checked_scale(scale, name):
    """True when `scale` is the number 0 (no penalty), False for a positive number or a
    tensor; raises for anything else."""
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale}")
        if scale == 0.0:
            tf_logging.info("Scale of 0 disables regularizer.")
            return True
        return False
    if isinstance(scale, ops.Tensor):
        return False
    raise ValueError(f"{name}: scale cannot be a {type(scale).__name__}: {scale!r}")


def _penalty(scale, default_name, penalty, scope):
    """A regularizer computing scale * penalty(weights), in a name scope of its own."""
    if _checked_scale(scale, default_name):
        return lambda _: None

    def regularizer(weights):
        with ops.name_scope(scope, default_name) as name:
            weights = convert_to_tensor(weights)
            scale_tensor = convert_to_tensor(scale, dtype=weights.dtype.base_dtype,
                                             name="scale")
            return math_ops.multiply(scale_tensor, penalty(weights), name=name)
    return regularizer


def l1_regularizer(scale, scope=None):
    """A regularizer computing scale * sum(|weights|) (sparse weights)."""
    return _penalty(scale, "l1_regularizer",
                    lambda w: math_ops.reduce_sum(math_ops.abs(w)), scope)


def l2_regularizer(scale, scope=None):
    """A regularizer computing scale * sum(weights^2) / 2 (tf.nn.l2_loss, weight decay)."""
    return _penalty(scale, "l2_regularizer", nn_ops.l2_loss, scope)


def sum_regularizer(regularizer_list, scope=None):
    """A regularizer adding the penalties of the regularizers in `regularizer_list`; None
    when they all give None."""
    regularizer_list = [r for r in regularizer_list if r is not None]
    if not regularizer_list:
        return None

    def regularizer(weights):
        with ops.name_scope(scope, "sum_regularizer") as name:
            penalties = [p for p in (r(weights) for r in regularizer_list) if p is not None]
            return math_ops.add_n(penalties, name=name) if penalties else None
    return regularizer


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """The sum of an l1_regularizer(scale_l1) and an l2_regularizer(scale_l2)."""
    scope = scope or "l1_l2_regularizer"
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def apply_regularization(regularizer, weights_list=None):
    """The sum of regularizer(w) over `weights_list` (default: the WEIGHTS collection), added
    to the REGULARIZATION_LOSSES collection.

    Raises:
      ValueError: if there are no weights, or a penalty is not a scalar.
    """
    if not weights_list:
        weights_list = ops.get_collection(ops.GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with ops.name_scope("get_regularization_penalty") as scope:
        penalties = [regularizer(w) for w in weights_list]
        penalties = [constant(0.0) if p is None else p for p in penalties]
        for p in penalties:
            if p.shape.ndims != 0:
                raise ValueError(f"regularizer must return a scalar Tensor instead of a Tensor "
                                 f"with rank {p.shape.ndims}.")
        summed = math_ops.add_n(penalties, name=scope)
        ops.add_to_collection(ops.GraphKeys.REGULARIZATION_LOSSES, summed)
        return summed
