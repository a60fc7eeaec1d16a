"""`tf.nn`: neural-network ops."""
from tensorlib.ops.conv_ops import (  # noqa: F401
    avg_pool, conv2d, conv2d_backprop_filter, conv2d_backprop_input, conv2d_transpose, max_pool,
)
from tensorlib.ops.math_ops import sigmoid  # noqa: F401
from tensorlib.ops.nn_ops import relu  # noqa: F401
