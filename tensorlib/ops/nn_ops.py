"""Neural-network ops (`tf.nn`)."""
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops.math_ops import sigmoid  # noqa: F401 (tf.nn.sigmoid)


def relu(features, name=None):
    """max(features, 0) elementwise."""
    return ops.apply_op("Relu", [convert_to_tensor(features)], name=name).outputs[0]
