"""tf.python_io: TFRecord files from Python (TFRecordWriter, tf_record_iterator).

A TFRecord file is a sequence of records, each: its length (uint64), the masked CRC-32C of the
length, the data, the masked CRC-32C of the data (little-endian). A file may be compressed as a
whole (GZIP or ZLIB, TFRecordOptions).
"""
import gzip
import io
import os
import struct
import tempfile
import zlib

from tensorlib import errors
from tensorlib.summary.writer import _masked_crc32c, tfrecord


class TFRecordCompressionType:
    """How a whole TFRecord file is compressed."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


class TFRecordOptions:
    """Options of a TFRecord file: its compression."""

    compression_type_map = {TFRecordCompressionType.ZLIB: "ZLIB",
                            TFRecordCompressionType.GZIP: "GZIP",
                            TFRecordCompressionType.NONE: ""}

    def __init__(self, compression_type=None, compression_level=None):
        if isinstance(compression_type, TFRecordOptions):
            compression_type = compression_type.compression_type
        if compression_type is None or compression_type == "":
            compression_type = TFRecordCompressionType.NONE
        if isinstance(compression_type, str):
            by_name = {v: k for k, v in self.compression_type_map.items() if v}
            by_name["NONE"] = TFRecordCompressionType.NONE
            if compression_type not in by_name:
                raise ValueError(f"Unsupported compression type {compression_type!r}: "
                                 "expected NONE, ZLIB or GZIP")
            compression_type = by_name[compression_type]
        if compression_type not in self.compression_type_map:
            raise ValueError(f"Unsupported compression type {compression_type!r}")
        self.compression_type = compression_type
        self.compression_level = 6 if compression_level is None else compression_level

    @classmethod
    def get_compression_type_string(cls, options):
        """"" (none), "ZLIB" or "GZIP" for `options` (TFRecordOptions, a type, a name or
        None)."""
        if options is None:
            return ""
        return cls.compression_type_map[TFRecordOptions(options).compression_type]


class TFRecordWriter:
    """Writes records to a TFRecord file at `path`; the file appears whole, under its name,
    when the writer is closed (it is written to a temporary file until then). A context
    manager."""

    def __init__(self, path, options=None):
        self._path = os.fspath(path)
        self._options = TFRecordOptions(options)
        directory = os.path.dirname(os.path.abspath(self._path))
        fd, self._temp = tempfile.mkstemp(prefix=os.path.basename(self._path) + ".",
                                          suffix=".tmp", dir=directory)
        raw = os.fdopen(fd, "wb")
        kind = self._options.compression_type
        if kind == TFRecordCompressionType.GZIP:
            self._file = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                       compresslevel=self._options.compression_level)
            self._raw = raw
        elif kind == TFRecordCompressionType.ZLIB:
            self._file, self._raw = raw, raw
            self._compressor = zlib.compressobj(self._options.compression_level)
        else:
            self._file, self._raw = raw, raw
        self._closed = False

    def write(self, record):
        """Appends one record (bytes, or str as UTF-8)."""
        if self._closed:
            raise ValueError("write() on a closed TFRecordWriter")
        if isinstance(record, str):
            record = record.encode("utf-8")
        data = tfrecord(bytes(record))
        if self._options.compression_type == TFRecordCompressionType.ZLIB:
            data = self._compressor.compress(data)
        self._file.write(data)

    def flush(self):
        """Pushes what was written to the (temporary) file."""
        if self._options.compression_type == TFRecordCompressionType.ZLIB:
            self._file.write(self._compressor.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self):
        """Finishes the file and gives it its name."""
        if self._closed:
            return
        self._closed = True
        if self._options.compression_type == TFRecordCompressionType.ZLIB:
            self._file.write(self._compressor.flush())
        self._file.close()
        if self._raw is not self._file:
            self._raw.close()
        os.replace(self._temp, self._path)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()

    def __del__(self):
        # A writer dropped without close() leaves no half-written file behind.
        if not getattr(self, "_closed", True):
            self._closed = True
            self._raw.close()
            os.remove(self._temp)


def _open(path, options):
    kind = TFRecordOptions(options).compression_type
    if kind == TFRecordCompressionType.GZIP:
        return gzip.open(path, "rb")
    f = open(path, "rb")
    if kind == TFRecordCompressionType.ZLIB:
        data = f.read()
        f.close()
        return io.BytesIO(zlib.decompress(data))
    return f


def tf_record_iterator(path, options=None):
    """The records of TFRecord file `path`, one bytes object each. A damaged or truncated
    record raises tf.errors.DataLossError."""
    try:
        f = _open(os.fspath(path), options)
    except FileNotFoundError as e:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from e
    with f:
        offset = 0
        while True:
            try:
                header = f.read(12)
            except (OSError, EOFError, zlib.error) as e:
                raise errors.DataLossError(None, None, f"{path}: {e}") from e
            if not header:
                return
            if len(header) != 12:
                raise errors.DataLossError(None, None,
                                           f"truncated record at {offset} in {path}")
            length, length_crc = struct.unpack("<QI", header)
            if _masked_crc32c(header[:8]) != length_crc:
                raise errors.DataLossError(None, None, f"corrupted record at {offset} in "
                                           f"{path}: the length's checksum does not match")
            data = f.read(length)
            footer = f.read(4)
            if len(data) != length or len(footer) != 4:
                raise errors.DataLossError(None, None,
                                           f"truncated record at {offset} in {path}")
            if _masked_crc32c(data) != struct.unpack("<I", footer)[0]:
                raise errors.DataLossError(None, None, f"corrupted record at {offset} in "
                                           f"{path}: the data's checksum does not match")
            offset += 16 + length
            yield data

