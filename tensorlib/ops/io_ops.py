"""Readers (tf.TextLineReader, tf.TFRecordReader, tf.WholeFileReader,
tf.FixedLengthRecordReader), whole files (tf.read_file, tf.write_file) and decoders
(tf.decode_csv, tf.decode_raw, tf.string_to_number).

A reader lives in each session that runs it, like a queue: `read(queue)` takes file names from
`queue` (a string_input_producer, say) as it needs them and returns one (key, value) record per
run, raising OutOfRangeError once the queue is closed and every file is read.
"""
from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor

for _op_type in ("TextLineReaderV2", "TFRecordReaderV2", "WholeFileReaderV2",
                 "FixedLengthRecordReaderV2", "ReaderReadV2", "ReaderReadUpToV2", "ReadFile",
                 "WriteFile", "DecodeCSV", "DecodeRaw", "StringToNumber"):
    ops.NotDifferentiable(_op_type)


def _queue_ref(queue):
    return queue.queue_ref if hasattr(queue, "queue_ref") else queue


class ReaderBase:
    """A reader of records from the files named by a queue."""

    def __init__(self, reader_ref):
        self._reader_ref = reader_ref

    @property
    def reader_ref(self):
        return self._reader_ref

    @property
    def supports_serialize(self):
        return False

    def read(self, queue, name=None):
        """(key, value): the next record, as string scalars; a new file name is taken from
        `queue` when the current file ends."""
        op = ops.apply_op("ReaderReadV2", [self._reader_ref, _queue_ref(queue)], {},
                          name=name or "ReaderReadV2")
        return op.outputs[0], op.outputs[1]

    def read_up_to(self, queue, num_records, name=None):
        """(keys, values): 1 to num_records records of one file, as string vectors."""
        with ops.name_scope(name, "ReaderReadUpToV2") as scope:
            n = convert_to_tensor(num_records, dtype=_dtypes.int64, name="num_records")
            op = ops.apply_op("ReaderReadUpToV2", [self._reader_ref, _queue_ref(queue), n], {},
                              name=scope)
        return op.outputs[0], op.outputs[1]


def _reader(op_type, attrs, name):
    return ops.apply_op(op_type, [], attrs, name=name).outputs[0]


class TextLineReader(ReaderBase):
    """Records are the lines of the files (without their newline); keys "file:line"."""

    def __init__(self, skip_header_lines=None, name=None):
        super().__init__(_reader("TextLineReaderV2",
                                 {"skip_header_lines": int(skip_header_lines or 0)},
                                 name or "TextLineReaderV2"))


class TFRecordReader(ReaderBase):
    """Records are those of TFRecord files (uncompressed); keys "file:offset"."""

    def __init__(self, name=None, options=None):
        from tensorlib.python_io import TFRecordOptions
        compression = TFRecordOptions.get_compression_type_string(options)
        super().__init__(_reader("TFRecordReaderV2", {"compression_type": compression},
                                 name or "TFRecordReaderV2"))


class WholeFileReader(ReaderBase):
    """One record per file: key its name, value its contents."""

    def __init__(self, name=None):
        super().__init__(_reader("WholeFileReaderV2", {}, name or "WholeFileReaderV2"))


class FixedLengthRecordReader(ReaderBase):
    """Records of record_bytes bytes each (hop_bytes apart when given), after header_bytes
    and before footer_bytes; keys "file:index"."""

    def __init__(self, record_bytes, header_bytes=None, footer_bytes=None, hop_bytes=None,
                 name=None, encoding=None):
        if encoding:
            raise ValueError("FixedLengthRecordReader reads uncompressed files only")
        attrs = {"record_bytes": int(record_bytes), "header_bytes": int(header_bytes or 0),
                 "footer_bytes": int(footer_bytes or 0), "hop_bytes": int(hop_bytes or 0)}
        super().__init__(_reader("FixedLengthRecordReaderV2", attrs,
                                 name or "FixedLengthRecordReaderV2"))


def read_file(filename, name=None):
    """The contents of file `filename` (a string scalar) as a string scalar."""
    filename = convert_to_tensor(filename, dtype=_dtypes.string, name="filename")
    return ops.apply_op("ReadFile", [filename], {}, name=name or "ReadFile").outputs[0]


def write_file(filename, contents, name=None):
    """An op that writes `contents` to file `filename` (whole: through a temporary file)."""
    filename = convert_to_tensor(filename, dtype=_dtypes.string, name="filename")
    contents = convert_to_tensor(contents, dtype=_dtypes.string, name="contents")
    return ops.apply_op("WriteFile", [filename, contents], {}, name=name or "WriteFile")


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None):
    """The fields of CSV `records` (a string tensor): one tensor per entry of
    record_defaults, of that entry's dtype (float32, float64, int32, int64 or string) and
    records' shape. An empty field (or one equal to na_value) takes its default; a field
    whose default is empty is required. With `use_quote_delim`, fields in double quotes may
    hold the delimiter ("" is a quote). select_cols: the columns to return (increasing)."""
    with ops.name_scope(name, "DecodeCSV") as scope:
        records = convert_to_tensor(records, dtype=_dtypes.string, name="records")
        defaults = []
        for i, d in enumerate(record_defaults):
            d = convert_to_tensor(d, name=f"record_default_{i}")
            defaults.append(d)
        attrs = {"num_fields": len(defaults),
                 "OUT_TYPE": [d.dtype.as_datatype_enum for d in defaults],
                 "field_delim": field_delim, "use_quote_delim": bool(use_quote_delim),
                 "na_value": na_value, "select_cols": list(select_cols or [])}
        return list(ops.apply_op("DecodeCSV", [records] + defaults, attrs, name=scope).outputs)


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None,
               bytes=None):  # noqa: A002 (TF1's name for input_bytes)
    """The bytes of each string of `input_bytes` read as a vector of `out_type` values (every
    string the same length): shape input_bytes.shape + [length / size of out_type]."""
    input_bytes = input_bytes if input_bytes is not None else bytes
    if input_bytes is None or out_type is None:
        raise TypeError("decode_raw needs input_bytes and out_type")
    input_bytes = convert_to_tensor(input_bytes, dtype=_dtypes.string, name="bytes")
    return ops.apply_op("DecodeRaw", [input_bytes],
                        {"out_type": _dtypes.as_dtype(out_type).as_datatype_enum,
                         "little_endian": bool(little_endian)},
                        name=name or "DecodeRaw").outputs[0]


def string_to_number(string_tensor, out_type=_dtypes.float32, name=None):
    """Each string of `string_tensor` parsed as a number of `out_type`."""
    string_tensor = convert_to_tensor(string_tensor, dtype=_dtypes.string, name="string_tensor")
    return ops.apply_op("StringToNumber", [string_tensor],
                        {"out_type": _dtypes.as_dtype(out_type).as_datatype_enum},
                        name=name or "StringToNumber").outputs[0]
