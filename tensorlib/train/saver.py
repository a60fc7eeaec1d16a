"""tf.train.Saver: variables saved to and restored from checkpoint files.

    saver = tf.train.Saver()
    saver.save(sess, "/tmp/run/model.ckpt", global_step=100)   # -> "/tmp/run/model.ckpt-100"
    saver.restore(sess, tf.train.latest_checkpoint("/tmp/run"))

A checkpoint is named by its prefix ("model.ckpt-100") and lives in ONE file, the prefix plus
".tlckpt". Beside it, the text file "checkpoint" lists the latest and the kept checkpoints in
TF's CheckpointState text format, so `latest_checkpoint` finds them (checkpoint_management.py),
and "<prefix>.meta" holds the graph (framework/meta_graph.py). `restore` also reads
TensorFlow's checkpoints ("<prefix>.index" and its data shards, tensor_bundle.py).

Checkpoint file format (version 1; every number little-endian):

    magic            8 bytes   b"\\x89TLCKPT\\n"
    version          u32       1
    table_size       u32       bytes of the tensor table that follows
    file_size        u64       bytes of the whole file (catches truncation)
    tensor table     one entry per tensor, in name order:
        name_size u16, name (UTF-8), dtype u32 (TF's DataType number), rank u32,
        dims i64 x rank, offset u64, size u64, crc u32 (zlib CRC-32 of the tensor's bytes)
    header_crc       u32       zlib CRC-32 of every byte before it
    zero padding, then each tensor's raw bytes (C order) at its offset, 64-byte aligned.

A file is written under a temporary name in the checkpoint's directory, flushed, fsync'd and
renamed over the final name, so a reader sees the old file or the new one, never a part; the
"checkpoint" file likewise. A truncated, damaged or foreign file raises
tf.errors.DataLossError naming the file.

Saving fetches every variable in one Session.run and writes the fetched arrays as they are;
restoring reads each tensor with one read into the array that is fed to the Saver's restore
op (one placeholder and Assign per variable, grouped, built with the Saver), in one run.
"""
import math
import os
import struct
import time
import zlib

import numpy as np

from tensorlib import dtypes, errors
from tensorlib.framework import ops
from tensorlib.ops import array_ops, control_flow_ops
from tensorlib.train import tensor_bundle
from tensorlib.train.checkpoint_management import (  # noqa: F401
    CHECKPOINT_SUFFIX, CheckpointState, checkpoint_exists, get_checkpoint_state,
    latest_checkpoint, update_checkpoint_state, write_atomically,
)
_MAGIC = b"\x89TLCKPT\n"
_VERSION = 1
_ALIGNMENT = 64
_PREFIX = struct.Struct("<8sIIQ")  # magic, version, table_size, file_size
_CRC = struct.Struct("<I")
_MAX_NAME_BYTES = 0xFFFF  # a name's size is a u16 in the tensor table


# ---- checkpoint files ------------------------------------------------------------------------

def _aligned(n):
    return -(-n // _ALIGNMENT) * _ALIGNMENT


def write_checkpoint(path, tensors):
    """Writes {name: NumPy array} to checkpoint file `path`, atomically."""
    arrays = [(name, np.asarray(tensors[name], order="C")) for name in sorted(tensors)]
    entries = []
    for name, arr in arrays:
        encoded = name.encode("utf-8")
        entries.append((encoded, dtypes.as_dtype(arr.dtype).as_datatype_enum, arr.shape,
                        arr.nbytes, zlib.crc32(arr)))
    table_size = sum(2 + len(e[0]) + 8 + 8 * len(e[2]) + 20 for e in entries)
    offset = _aligned(_PREFIX.size + table_size + _CRC.size)
    table, offsets = [], []
    for encoded, dtype, shape, nbytes, crc in entries:
        table.append(struct.pack(f"<H{len(encoded)}sII{len(shape)}qQQI", len(encoded), encoded,
                                 dtype, len(shape), *shape, offset, nbytes, crc))
        offsets.append(offset)
        offset = _aligned(offset + nbytes)
    file_size = offsets[-1] + entries[-1][3] if entries else _PREFIX.size + table_size + _CRC.size
    header = _PREFIX.pack(_MAGIC, _VERSION, table_size, file_size) + b"".join(table)
    header += _CRC.pack(zlib.crc32(header))

    def write(f):
        f.write(header)
        for (_, arr), start in zip(arrays, offsets):
            f.write(b"\0" * (start - f.tell()))
            f.write(arr)

    write_atomically(path, write)


class _Entry:
    __slots__ = ("dtype", "shape", "offset", "size", "crc")

    def __init__(self, dtype, shape, offset, size, crc):
        self.dtype, self.shape, self.offset, self.size, self.crc = dtype, shape, offset, size, crc


def _data_loss(path, what):
    return errors.DataLossError(None, None, f"Checkpoint file {path} {what}")


def read_checkpoint_table(f, path):
    """{name: _Entry} from an open checkpoint file, every field checked."""
    prefix = f.read(_PREFIX.size)
    if len(prefix) < len(_MAGIC) or prefix[:len(_MAGIC)] != _MAGIC:
        raise _data_loss(path, "is not a tensorlib checkpoint (bad magic number): perhaps it "
                               "was written in another format")
    if len(prefix) < _PREFIX.size:
        raise _data_loss(path, "is truncated (in its header)")
    _, version, table_size, file_size = _PREFIX.unpack(prefix)
    if version != _VERSION:
        raise _data_loss(path, f"has format version {version}; this tensorlib reads version "
                               f"{_VERSION}")
    actual_size = os.fstat(f.fileno()).st_size
    if actual_size != file_size:
        raise _data_loss(path, f"is truncated or damaged: it has {actual_size} bytes, its "
                               f"header says {file_size}")
    if _PREFIX.size + table_size + _CRC.size > file_size:
        raise _data_loss(path, "is damaged: its tensor table runs past the end of the file")
    table = f.read(table_size)
    (stored_crc,) = _CRC.unpack(f.read(_CRC.size))
    if zlib.crc32(table, zlib.crc32(prefix)) != stored_crc:
        raise _data_loss(path, "is damaged: the checksum of its header does not match")
    entries = {}
    pos = 0
    try:
        while pos < table_size:
            (name_size,) = struct.unpack_from("<H", table, pos)
            name = table[pos + 2:pos + 2 + name_size].decode("utf-8")
            pos += 2 + name_size
            dtype_enum, rank = struct.unpack_from("<II", table, pos)
            shape = struct.unpack_from(f"<{rank}q", table, pos + 8)
            offset, size, crc = struct.unpack_from("<QQI", table, pos + 8 + 8 * rank)
            pos += 8 + 8 * rank + 20
            dtype = dtypes.as_dtype(dtype_enum)
            if (dtype == dtypes.string or min(shape, default=0) < 0 or
                    size != math.prod(shape) * dtype.size or offset + size > file_size):
                raise ValueError(name)
            entries[name] = _Entry(dtype, shape, offset, size, crc)
    except (struct.error, UnicodeDecodeError, ValueError, TypeError, KeyError):
        raise _data_loss(path, "is damaged: its tensor table is malformed") from None
    return entries


def read_tensor(f, path, name, entry):
    """The tensor `name` of an open checkpoint file, read straight into a new array."""
    arr = np.empty(entry.shape, dtype=entry.dtype.as_numpy_dtype)
    f.seek(entry.offset)
    if f.readinto(arr.reshape(-1).view(np.uint8)) != entry.size:
        raise _data_loss(path, f"is truncated (in tensor '{name}')")
    crc = zlib.crc32(arr)
    if crc != entry.crc:
        raise _data_loss(path, f"is damaged: the checksum of tensor '{name}' does not match "
                               f"(stored {entry.crc:#010x}, computed {crc:#010x})")
    return arr


class TensorlibCheckpointReader:
    """The tensors of tensorlib checkpoint `prefix`: `entries` ({name: entry}), `dtype(name)`,
    `shape(name)` and `read(name)`, as tensor_bundle.BundleReader has for TF's checkpoints."""

    def __init__(self, prefix):
        self._path = os.fspath(prefix) + CHECKPOINT_SUFFIX
        with open(self._path, "rb") as f:
            self.entries = read_checkpoint_table(f, self._path)

    def dtype(self, name):
        return self.entries[name].dtype

    def shape(self, name):
        return self.entries[name].shape

    def read(self, name):
        with open(self._path, "rb") as f:
            return read_tensor(f, self._path, name, self.entries[name])


def open_checkpoint(prefix):
    """A reader of checkpoint `prefix`, in tensorlib's format or TensorFlow's (its `.index`
    file); None when neither exists."""
    prefix = os.fspath(prefix)
    if os.path.isfile(prefix + CHECKPOINT_SUFFIX):
        return TensorlibCheckpointReader(prefix)
    if tensor_bundle.is_bundle(prefix):
        return tensor_bundle.BundleReader(prefix)
    return None


# ---- Saver -----------------------------------------------------------------------------------

def _variables_by_name(var_list):
    """{checkpoint name: variable tensor} for a list (names from the ops) or a dict."""
    items = var_list.items() if isinstance(var_list, dict) else [(None, v) for v in var_list]
    out = {}
    for name, v in items:
        t = v._as_graph_element() if hasattr(v, "_as_graph_element") else v
        if not isinstance(t, ops.Tensor) or t.op.type != "VariableV2":
            raise TypeError(f"Variable to save is not a Variable: {v}")
        if t.dtype == dtypes.string:
            raise TypeError(f"Saving string variables is not supported: {t.op.name}")
        name = t.op.name if name is None else name
        if len(name.encode("utf-8")) > _MAX_NAME_BYTES:
            raise ValueError(f"A checkpoint name has at most {_MAX_NAME_BYTES} bytes (UTF-8); "
                             f"the name of {t.op.name} has {len(name.encode('utf-8'))}: "
                             f"{name[:60]}...")
        if name in out:
            raise ValueError(f"At least two variables have the same name: {name}")
        out[name] = t
    return out


class Saver:
    """Saves and restores variables (TF1's tf.train.Saver).

    var_list: the variables (a list: saved under their op names; a dict: name -> variable);
    None saves every global variable. max_to_keep: how many recent checkpoints to keep (None
    or 0: all, and the state file lists only the latest; a negative count is a ValueError, as
    it means nothing in TF1 either, which fails on it after writing the checkpoint);
    keep_checkpoint_every_n_hours: also
    keep one checkpoint per that many hours. Builds its restore op under name scope `name`
    (at once, or in build() with defer_build). sharded, restore_sequentially, saver_def,
    builder, write_version and filename are accepted for compatibility and change nothing.
    """

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                 saver_def=None, builder=None, defer_build=False, allow_empty=False,
                 write_version=2, pad_step_number=False, save_relative_paths=False,
                 filename=None):
        if reshape:
            raise ValueError("tensorlib's Saver does not reshape variables (reshape=True)")
        if max_to_keep is not None and (not isinstance(max_to_keep, (int, np.integer))
                                        or max_to_keep < 0):
            raise ValueError(f"max_to_keep must be None or a non-negative integer (0 and None "
                             f"keep every checkpoint), got {max_to_keep!r}")
        if var_list is None:
            var_list = ops.get_collection(ops.GraphKeys.GLOBAL_VARIABLES)
        self._vars = _variables_by_name(var_list)
        if not self._vars and not allow_empty:
            raise ValueError("No variables to save")
        self._settings = {"max_to_keep": max_to_keep,
                          "keep_checkpoint_every_n_hours": keep_checkpoint_every_n_hours,
                          "pad_step_number": pad_step_number,
                          "save_relative_paths": save_relative_paths}
        self._max_to_keep = max_to_keep
        self._keep_every_s = keep_checkpoint_every_n_hours * 3600
        self._next_keep_time = time.time() + self._keep_every_s
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        self._last_checkpoints = []  # [(prefix, time saved)], oldest first
        self._name = name or "save"
        self._placeholders = {}
        self._restore_op = None
        if not defer_build:
            self.build()

    def build(self):
        """Builds the restore op (once; needed before save or restore with defer_build)."""
        if self._restore_op is not None or not self._vars:
            return
        graph = self._graph()
        with graph.as_default(), graph.name_scope(self._name):
            assigns = []
            for var_name, var in self._vars.items():
                shape = var.shape if var.shape.ndims is not None else None
                ph = array_ops.placeholder(var.dtype, shape, name="restore_value")
                self._placeholders[var_name] = ph
                assigns.append(graph._create_op(
                    "Assign", [var, ph], {"validate_shape": var.shape.is_fully_defined()},
                    name="Assign"))
            self._restore_op = control_flow_ops.group(*assigns, name="restore_all")

    def as_saver_def(self):
        """What a meta graph stores of this Saver: its checkpoint names (-> variable op
        names) and settings."""
        return {"variables": {name: var.op.name for name, var in self._vars.items()},
                "settings": dict(self._settings)}

    def export_meta_graph(self, filename=None, collection_list=None, as_text=False,
                          export_scope=None, clear_devices=False,
                          clear_extraneous_savers=False, strip_default_attrs=False,
                          save_debug_info=False):
        """Writes the graph of this Saver's variables with this Saver (a meta graph)."""
        from tensorlib.framework import meta_graph
        return meta_graph.export_meta_graph(
            filename, collection_list=collection_list, as_text=as_text, graph=self._graph(),
            clear_devices=clear_devices, saver_def=self)

    def _graph(self):
        return next(iter(self._vars.values())).graph

    @property
    def last_checkpoints(self):
        """The prefixes of the checkpoints kept, oldest first."""
        return [p for p, _ in self._last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        """Sets the kept checkpoints: a list of (prefix, time saved)."""
        self._last_checkpoints = list(last_checkpoints_with_time)

    def recover_last_checkpoints(self, checkpoint_paths):
        """Takes over the existing checkpoints among `checkpoint_paths` (e.g. a restarted job's
        CheckpointState.all_model_checkpoint_paths), dated by their files."""
        self._last_checkpoints = [
            (p, os.path.getmtime(p + CHECKPOINT_SUFFIX)) for p in checkpoint_paths
            if checkpoint_exists(p)]

    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False):
        """Saves the variables' values in `sess` to checkpoint `save_path` (suffixed
        "-<global_step>" when a step, an int or a tensor, is given); returns the checkpoint's
        prefix. With write_meta_graph, also writes the graph and this Saver to
        "<prefix>.<meta_graph_suffix>" (see tf.train.import_meta_graph)."""
        if not self._vars:
            return None
        self._check_built("save")
        if not hasattr(sess, "run"):
            raise TypeError(f"'sess' must be a Session; {sess}")
        if latest_filename is None:
            latest_filename = "checkpoint"
        if os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        save_path = os.fspath(save_path)
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):
                global_step = sess.run(global_step)
            step = int(global_step)
            save_path = f"{save_path}-{step:08d}" if self._pad_step_number \
                else f"{save_path}-{step}"
        save_dir = os.path.dirname(save_path)
        if save_dir and not os.path.isdir(save_dir):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        names = list(self._vars)
        values = sess.run([self._vars[n] for n in names])
        write_checkpoint(save_path + CHECKPOINT_SUFFIX, dict(zip(names, values)))
        if write_meta_graph:
            self.export_meta_graph(f"{save_path}.{meta_graph_suffix}")
        deleted = self._record(save_path)
        if write_state:
            update_checkpoint_state(save_dir or ".", save_path, self.last_checkpoints,
                                    latest_filename, self._save_relative_paths)
        for prefix in deleted:
            for path in (prefix + CHECKPOINT_SUFFIX, f"{prefix}.{meta_graph_suffix}"):
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass
        return save_path

    def _check_built(self, what):
        if self._restore_op is None:
            raise RuntimeError(f"`build()` should be called before {what} if defer_build==True")

    def _record(self, save_path):
        """Notes a new checkpoint; returns the prefixes of those no longer kept."""
        if not self._max_to_keep:
            return []
        self._last_checkpoints = [c for c in self._last_checkpoints if c[0] != save_path]
        self._last_checkpoints.append((save_path, time.time()))
        deleted = []
        while len(self._last_checkpoints) > self._max_to_keep:
            prefix, saved_at = self._last_checkpoints.pop(0)
            if saved_at > self._next_keep_time:
                self._next_keep_time += self._keep_every_s
            else:
                deleted.append(prefix)
        return deleted

    def restore(self, sess, save_path):
        """Restores every variable of the Saver in `sess` from checkpoint `save_path`."""
        if not self._vars:
            return
        self._check_built("restore")
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = os.fspath(save_path)
        reader = open_checkpoint(save_path)
        if reader is None:
            if os.path.isfile(save_path + ".meta") or save_path.endswith(".meta"):
                raise ValueError(f"The passed save_path is not a valid checkpoint: {save_path} "
                                 "(pass the checkpoint's prefix, not its .meta file)")
            raise ValueError(f"The passed save_path is not a valid checkpoint: {save_path}")
        self._check_restorable(reader, save_path)
        feeds = {self._placeholders[name]: reader.read(name) for name in self._vars}
        sess.run(self._restore_op, feeds)

    def _check_restorable(self, reader, save_path):
        """Raises a clear error when a variable of the Saver is not in the checkpoint or has
        another dtype or shape there."""
        missing = [name for name in self._vars if name not in reader.entries]
        if missing:
            raise errors.NotFoundError(
                None, None, f"Key{'s' if len(missing) > 1 else ''} {', '.join(missing)} not "
                            f"found in checkpoint {save_path}")
        for name, var in self._vars.items():
            dtype, shape = reader.dtype(name), reader.shape(name)
            if dtype != var.dtype:
                raise errors.InvalidArgumentError(
                    None, None, f"tensor_name = {name}; expected dtype {var.dtype.name} does "
                                f"not equal original dtype {dtype.name} (checkpoint "
                                f"{save_path})")
            if not var.shape.is_compatible_with(shape):
                raise errors.InvalidArgumentError(
                    None, None, f"Restoring '{name}' from checkpoint {save_path}: Assign "
                                f"requires shapes of both tensors to match. lhs shape= "
                                f"{list(var.shape.as_tuple())} rhs shape= {list(shape)}")
