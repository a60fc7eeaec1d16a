"""`tf.io`: TF 1.13+'s home of file and serialization ops. Add a name here (an alias of its
implementation) when it lands.

TF 1.15's tf.io has, and tensorlib lacks so far: read_file/write_file, decode_csv,
decode_raw, parse_example/parse_single_example and the Feature specs, serialize_tensor/
parse_tensor, TFRecordWriter/TFRecordOptions, decode_image/encode_png/..., gfile,
matching_files, write_graph.
"""
