"""Argument normalisation shared by the layers (TF1's conv_utils and tf_utils)."""
import numbers

import numpy as np

from tensorlib.framework import ops
from tensorlib.ops import math_ops, nn_ops


def normalize_tuple(value, n, name):
    """`value` (an int or an iterable of n ints) as a tuple of n ints."""
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    try:
        value_tuple = tuple(value)
    except TypeError:
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                         f"Received: {value}") from None
    if len(value_tuple) != n or not all(isinstance(v, numbers.Integral) for v in value_tuple):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                         f"Received: {value}")
    return tuple(int(v) for v in value_tuple)


def normalize_padding(value, allow_causal=False):
    padding = value.lower()
    if padding not in ({"valid", "same", "causal"} if allow_causal else {"valid", "same"}):
        raise ValueError('The `padding` argument must be one of "valid", "same" (or "causal", '
                         f"only for `Conv1D`). Received: {value}")
    return padding


def normalize_data_format(value):
    data_format = (value or "channels_last").lower()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError('The `data_format` argument must be one of "channels_first", '
                         f'"channels_last". Received: {value}')
    return data_format


def training_value(training):
    """A Python bool for a Python or NumPy bool, None for a Tensor (known only at run time)."""
    if isinstance(training, (bool, np.bool_)):
        return bool(training)
    if isinstance(training, ops.Tensor) or hasattr(training, "_as_graph_element"):
        return None
    raise TypeError(f"`training` must be a bool or a bool Tensor, got {training!r}")


_ACTIVATIONS = {
    "elu": nn_ops.elu, "relu": nn_ops.relu, "relu6": nn_ops.relu6, "selu": nn_ops.selu,
    "sigmoid": math_ops.sigmoid, "softmax": nn_ops.softmax, "softplus": nn_ops.softplus,
    "tanh": math_ops.tanh, "linear": None,
}


def get_activation(activation):
    """A callable activation (or None) from a callable, None or one of Keras' names."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str) and activation in _ACTIVATIONS:
        return _ACTIVATIONS[activation]
    raise ValueError(f"Unknown activation function: {activation}")
