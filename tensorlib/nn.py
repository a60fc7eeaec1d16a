"""`tf.nn`: neural-network ops."""
from tensorlib.ops.embedding_ops import embedding_lookup  # noqa: F401
from tensorlib.ops.math_ops import sigmoid  # noqa: F401
from tensorlib.ops.nn_ops import relu  # noqa: F401
