"""`tf.io`: TF 1.13+'s home of file and serialization ops, aliases of their implementations.
Add a name here when it lands.

TF 1.15's tf.io has, and tensorlib lacks so far: serialize_tensor/parse_tensor,
decode_image/decode_png/decode_jpeg/encode_png/..., gfile, matching_files, write_graph,
parse_sequence_example, SparseFeature, FixedLenSequenceFeature.
"""
from tensorlib.ops.io_ops import (  # noqa: F401
    decode_csv, decode_raw, read_file, write_file,
)
from tensorlib.ops.parsing_ops import (  # noqa: F401
    FixedLenFeature, VarLenFeature, parse_example, parse_single_example,
)
from tensorlib.python_io import (  # noqa: F401
    TFRecordCompressionType, TFRecordOptions, TFRecordWriter, tf_record_iterator,
)
