"""tf.summary: summary ops and the FileWriter that records them for TensorBoard."""
from tensorlib.summary.summary_ops import (  # noqa: F401
    audio, histogram, image, merge, merge_all, scalar, text,
)
from tensorlib.summary.writer import FileWriter  # noqa: F401
from tensorlib.summary.writer_cache import FileWriterCache  # noqa: F401
