"""tf.data.experimental: AUTOTUNE."""
from tensorlib.data.dataset_ops import AUTOTUNE  # noqa: F401
