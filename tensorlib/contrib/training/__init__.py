"""`tf.contrib.training`: HParams."""
from tensorlib.contrib.training.hparam import HParams  # noqa: F401
