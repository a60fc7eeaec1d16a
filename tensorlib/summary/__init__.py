"""tf.summary: summary ops and the FileWriter that records them for TensorBoard."""
from tensorlib.summary.summary_ops import histogram, merge, merge_all, scalar  # noqa: F401
from tensorlib.summary.writer import FileWriter  # noqa: F401
from tensorlib.summary.writer_cache import FileWriterCache  # noqa: F401
