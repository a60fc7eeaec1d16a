"""Reads TensorFlow's checkpoints (the "tensor bundle", V2 format), as tf.train.Saver writes
them, without TensorFlow.

A checkpoint with prefix P is the file `P.index` plus the data shards
`P.data-00000-of-0000N` ... `P.data-<N-1>-of-0000N`:

  * `P.index` is a table in LevelDB's format: data blocks of key/value entries (keys sorted,
    each key stored as the bytes it shares with the previous key plus the rest, "restart
    points" where a key is stored whole), each block followed by a 5-byte trailer (a
    compression byte, 0 = none, and the masked CRC-32C of the block and that byte); an index
    block mapping the last key of each data block to its BlockHandle (varint offset, varint
    size); and a 48-byte footer (the metaindex and index BlockHandles, zero padding, the
    magic number 0xdb4775248b80fb57).
  * Its "" key holds a BundleHeaderProto (num_shards, endianness); every other key is a
    tensor's name and holds a BundleEntryProto (dtype, shape, shard_id, offset, size, the
    masked CRC-32C of the tensor's bytes, slices).
  * A tensor's bytes are in shard `shard_id` at `offset`: its elements in row-major order,
    little-endian; a string tensor is one varint64 length per element, a masked CRC-32C
    (4 bytes) of the lengths, then the elements' bytes one after another. The CRC-32Cs of a
    string tensor cover each length as a little-endian u32 (u64 above 2**32-1), not its
    varint bytes; the entry's covers those, the 4 checksum bytes and the elements' bytes.

Every checksum is checked; a damaged or truncated file raises tf.errors.DataLossError naming
it. Protocol buffers are decoded here by hand (only the fields of these messages).
"""
import os
import struct

import numpy as np

from tensorlib import _core, dtypes, errors

_TABLE_MAGIC = 0xdb4775248b80fb57
_FOOTER_SIZE = 48
_BLOCK_TRAILER_SIZE = 5
_MASK_DELTA = 0xa282ead8
_SNAPPY = 1


def unmask_crc(masked):
    """The CRC-32C whose masked form (as LevelDB and TensorFlow store it) is `masked`."""
    rot = (masked - _MASK_DELTA) & 0xffffffff
    return ((rot >> 17) | (rot << 15)) & 0xffffffff


def _data_loss(path, what):
    return errors.DataLossError(None, None, f"Checkpoint file {path} {what}")


class _Malformed(Exception):
    """A structure that does not decode; reported as DataLossError naming the file."""


# ---- protocol buffer wire format -----------------------------------------------------------

def _varint(buf, pos, end=None):
    """(value, next position) of the varint at buf[pos]."""
    end = len(buf) if end is None else end
    value = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise _Malformed("bad varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7f) << shift
        if b < 0x80:
            if value >> 64:
                raise _Malformed("varint beyond 64 bits")
            return value, pos
        shift += 7


def _fields(buf):
    """Yields (field number, wire type, value) of a serialized message: ints for varint and
    fixed fields, bytes for length-delimited ones."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise _Malformed("truncated fixed64")
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == 5:
            if pos + 4 > len(buf):
                raise _Malformed("truncated fixed32")
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise _Malformed("truncated field")
            value, pos = bytes(buf[pos:pos + size]), pos + size
        else:
            raise _Malformed(f"unsupported wire type {wire}")
        yield number, wire, value


def _int64(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def _parse_shape(buf):
    """The dims of a TensorShapeProto (dim = 2 {size = 1}, unknown_rank = 3)."""
    dims = []
    for number, _, value in _fields(buf):
        if number == 2:
            size = 0
            for n, _, v in _fields(value):
                if n == 1:
                    size = _int64(v)
            if size < 0:
                raise _Malformed("negative dimension")
            dims.append(size)
        elif number == 3 and value:
            raise _Malformed("a saved tensor of unknown rank")
    return tuple(dims)


class BundleEntry:
    """Where and what one tensor of a bundle is (a decoded BundleEntryProto)."""
    __slots__ = ("dtype", "shape", "shard_id", "offset", "size", "crc32c", "sliced")

    def __init__(self, buf):
        self.dtype, self.shape, self.shard_id = None, (), 0
        self.offset = self.size = self.crc32c = 0
        self.sliced = False
        for number, _, value in _fields(buf):
            if number == 1:
                self.dtype = value
            elif number == 2:
                self.shape = _parse_shape(value)
            elif number == 3:
                self.shard_id = value
            elif number == 4:
                self.offset = _int64(value)
            elif number == 5:
                self.size = _int64(value)
            elif number == 6:
                self.crc32c = value
            elif number == 7:
                self.sliced = True


# ---- LevelDB table ---------------------------------------------------------------------------

def _block_handle(buf, pos=0):
    offset, pos = _varint(buf, pos)
    size, pos = _varint(buf, pos)
    return offset, size, pos


def _read_block(data, offset, size):
    """The contents of the block at `offset` (`size` bytes plus trailer), checksum checked."""
    if offset + size + _BLOCK_TRAILER_SIZE > len(data):
        raise _Malformed("a block runs past the end of the file")
    contents = data[offset:offset + size + 1]
    (masked,) = struct.unpack_from("<I", data, offset + size + 1)
    if _core.crc32c(contents) != unmask_crc(masked):
        raise _Malformed("the checksum of a block does not match")
    compression = contents[-1]
    if compression == _SNAPPY:
        raise errors.UnimplementedError(
            None, None, "a block is snappy-compressed, which tensorlib does not read "
                        "(TensorFlow writes checkpoints uncompressed)")
    if compression != 0:
        raise _Malformed(f"unknown block compression type {compression}")
    return contents[:-1]


def _block_entries(block):
    """Yields (key, value) of every entry of a block, rebuilding the prefix-shared keys."""
    if len(block) < 4:
        raise _Malformed("a block is too short")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * num_restarts
    if end < 0:
        raise _Malformed("a block's restart array runs past its start")
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos, end)
        non_shared, pos = _varint(block, pos, end)
        value_size, pos = _varint(block, pos, end)
        if shared > len(key) or pos + non_shared + value_size > end:
            raise _Malformed("a block entry is malformed")
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        yield key, block[pos:pos + value_size]
        pos += value_size


def read_table(data):
    """Every (key, value) of a LevelDB table held in `data` (bytes), in key order."""
    if len(data) < _FOOTER_SIZE:
        raise _Malformed("is too short to be a table")
    footer = data[-_FOOTER_SIZE:]
    if struct.unpack_from("<Q", footer, _FOOTER_SIZE - 8)[0] != _TABLE_MAGIC:
        raise _Malformed("has a bad magic number (it is not a TensorFlow checkpoint index)")
    meta_offset, meta_size, pos = _block_handle(footer)
    index_offset, index_size, pos = _block_handle(footer, pos)
    if any(footer[pos:_FOOTER_SIZE - 8]):
        raise _Malformed("has a damaged footer (its padding is not zero)")
    _read_block(data, meta_offset, meta_size)  # unused by bundles, but checked
    for _, handle in _block_entries(_read_block(data, index_offset, index_size)):
        offset, size, _ = _block_handle(handle)
        yield from _block_entries(_read_block(data, offset, size))


# ---- the bundle ------------------------------------------------------------------------------

def index_path(prefix):
    return os.fspath(prefix) + ".index"


def data_path(prefix, shard, num_shards):
    return f"{os.fspath(prefix)}.data-{shard:05d}-of-{num_shards:05d}"


def is_bundle(prefix):
    """True when a TensorFlow checkpoint with this prefix exists."""
    return os.path.isfile(index_path(prefix))


class BundleReader:
    """The tensors of TensorFlow checkpoint `prefix`: `entries` ({name: BundleEntry}) and
    `read(name)`."""

    def __init__(self, prefix):
        self._prefix = os.fspath(prefix)
        path = index_path(prefix)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise errors.NotFoundError(None, None, f"Failed to read checkpoint index {path}: "
                                                   f"{e.strerror}") from None
        try:
            table = list(read_table(data))
            if not table or table[0][0] != b"":
                raise _Malformed("has no bundle header")
            self._num_shards = self._parse_header(table[0][1], path)
            self.entries = {}
            for key, value in table[1:]:
                entry = BundleEntry(value)
                if not 0 <= entry.shard_id < self._num_shards or entry.offset < 0 or \
                        entry.size < 0 or entry.dtype is None:
                    raise _Malformed(f"has a malformed entry for '{key!r}'")
                self.entries[key.decode("utf-8")] = entry
        except (_Malformed, UnicodeDecodeError) as e:
            raise _data_loss(path, f"is damaged: {e}") from None

    @staticmethod
    def _parse_header(buf, path):
        """num_shards of a BundleHeaderProto (num_shards = 1, endianness = 2 (0: little))."""
        num_shards, endianness = 1, 0
        for number, _, value in _fields(buf):
            if number == 1:
                num_shards = value
            elif number == 2:
                endianness = value
        if endianness != 0:
            raise errors.UnimplementedError(
                None, None, f"Checkpoint {path} was written big-endian; tensorlib reads "
                            "little-endian checkpoints")
        if not 0 < num_shards < 1 << 20:
            raise _Malformed(f"names {num_shards} shards")
        return num_shards

    def dtype(self, name):
        """The tensorlib DType of tensor `name` (TF's enum through tf.as_dtype)."""
        enum = self.entries[name].dtype
        try:
            return dtypes.as_dtype(enum)
        except (TypeError, ValueError):
            raise errors.UnimplementedError(
                None, None, f"Tensor '{name}' of checkpoint {self._prefix} has DataType "
                            f"{enum}, which tensorlib does not support") from None

    def shape(self, name):
        return self.entries[name].shape

    def read(self, name):
        """Tensor `name` as a NumPy array (strings: an object array of bytes)."""
        entry = self.entries[name]
        dtype = self.dtype(name)
        if entry.sliced:
            raise errors.UnimplementedError(
                None, None, f"Tensor '{name}' of checkpoint {self._prefix} is saved in slices "
                            "(a partitioned variable), which tensorlib does not read")
        path = data_path(self._prefix, entry.shard_id, self._num_shards)
        raw = self._read_bytes(path, entry, name)
        count = int(np.prod(entry.shape, dtype=np.int64))
        try:
            if dtype == dtypes.string:
                return _decode_strings(raw, count, entry.shape, entry.crc32c, name)
            _check_crc(raw, entry.crc32c, name)
            if count * dtype.size != entry.size:
                raise _Malformed(f"has {entry.size} bytes for tensor '{name}' of shape "
                                 f"{list(entry.shape)} and dtype {dtype.name}")
            return np.frombuffer(raw, dtype=np.dtype(dtype.as_numpy_dtype).newbyteorder("<"))\
                .astype(dtype.as_numpy_dtype).reshape(entry.shape)
        except _Malformed as e:
            raise _data_loss(path, f"is damaged: {e}") from None

    @staticmethod
    def _read_bytes(path, entry, name):
        try:
            with open(path, "rb") as f:
                if entry.offset + entry.size > os.fstat(f.fileno()).st_size:
                    raise _data_loss(path, f"is truncated (in tensor '{name}')")
                f.seek(entry.offset)
                raw = f.read(entry.size)
        except OSError as e:
            raise errors.DataLossError(None, None, f"Failed to read checkpoint data file "
                                                   f"{path}: {e.strerror}") from None
        if len(raw) != entry.size:
            raise _data_loss(path, f"is truncated (in tensor '{name}')")
        return raw


def _check_crc(crc, masked, name):
    """Raises when the CRC-32C `crc` (or that of bytes `crc`) is not the masked `masked`."""
    if not isinstance(crc, int):
        crc = _core.crc32c(crc)
    if crc != unmask_crc(masked):
        raise _Malformed(f"the checksum of tensor '{name}' does not match")


def _decode_strings(raw, count, shape, masked_crc, name):
    """A string tensor's bytes: `count` varint lengths, their masked CRC-32C, the bytes."""
    lengths, pos, crc = [], 0, 0
    for _ in range(count):
        n, pos = _varint(raw, pos)
        lengths.append(n)
        crc = _core.crc32c(struct.pack("<I" if n <= 0xffffffff else "<Q", n), crc)
    if pos + 4 + sum(lengths) != len(raw):
        raise _Malformed(f"the lengths of string tensor '{name}' do not add up to its size")
    _check_crc(crc, int.from_bytes(raw[pos:pos + 4], "little"), name)
    _check_crc(_core.crc32c(raw[pos:], crc), masked_crc, name)
    pos += 4
    out = np.empty(count, dtype=object)
    for i, n in enumerate(lengths):
        out[i] = bytes(raw[pos:pos + n])
        pos += n
    return out.reshape(shape)
