"""tf.summary.FileWriter: Events appended to an event file that TensorBoard reads.

The file, "<logdir>/events.out.tfevents.<seconds>.<hostname><suffix>", is a TFRecord file:
each record is the length (uint64), the masked CRC-32C of the length, the data, the masked
CRC-32C of the data (all little-endian). Each record holds one serialized Event (event.proto:
wall_time = 1, step = 2, file_version = 3, graph_def = 4, summary = 5); the first one holds
file_version "brain.Event:2".

Events are queued and written together: when `max_queue` are waiting, when `flush_secs` have
passed since the last write, on flush() and on close(). The file is only ever appended to.
"""
import os
import socket
import struct
import threading
import time

from tensorlib import _core
from tensorlib.framework import ops
from tensorlib.summary import graph_def as _graph_def
from tensorlib.summary import wire_format as wire

_FILE_VERSION = "brain.Event:2"


def _masked_crc32c(data):
    crc = _core.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data):
    """`data` framed as one TFRecord."""
    length = struct.pack("<Q", len(data))
    return b"".join((length, struct.pack("<I", _masked_crc32c(length)), data,
                     struct.pack("<I", _masked_crc32c(data))))


def _serialized(message, what):
    """The bytes of a serialized message: bytes as they are, or a protobuf object's
    SerializeToString() (e.g. TensorFlow's or TensorBoard's own Summary and Event classes)."""
    if isinstance(message, (bytes, bytearray)):
        return bytes(message)
    if hasattr(message, "SerializeToString"):
        return message.SerializeToString()
    raise TypeError(f"Expected a serialized {what} (bytes) or a {what} protocol buffer, got "
                    f"{type(message).__name__}")


def _event(what, step=None):
    """An Event of the current time, with `step` (when given) and the field bytes `what`."""
    out = wire.double_field(1, time.time())
    if step:
        out += wire.int_field(2, step)
    return out + what


class FileWriter:
    """Writes summaries and graphs to an event file in `logdir` for TensorBoard (TF1's
    tf.summary.FileWriter). `graph`, when given, is written at once (as add_graph does)."""

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None,
                 filename_suffix=None):
        self._logdir = os.fspath(logdir)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._suffix = filename_suffix or ""
        self._lock = threading.Lock()
        self._closed = True
        self.reopen()
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def get_logdir(self):
        """The directory of the event file."""
        return self._logdir

    def add_event(self, event):
        """Adds an Event: serialized bytes or a protobuf Event object."""
        self._add(_serialized(event, "Event"))

    def add_summary(self, summary, global_step=None):
        """Adds a Summary: the bytes a summary op returns from Session.run (or a protobuf
        Summary object), recorded at `global_step`."""
        data = _serialized(summary, "Summary")
        self._add(_event(wire.bytes_field(5, data), self._step(global_step)))

    def add_graph(self, graph, global_step=None, graph_def=None):
        """Adds a graph (a tensorlib Graph, or a serialized GraphDef) for TensorBoard's Graphs
        tab."""
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        graph = graph if graph is not None else graph_def
        if isinstance(graph, ops.Graph):
            data = _graph_def.graph_def(graph)
        elif isinstance(graph, (bytes, bytearray)) or hasattr(graph, "SerializeToString"):
            data = _serialized(graph, "GraphDef")
        else:
            raise TypeError("The passed graph must be an instance of `Graph` or the "
                            "deprecated `GraphDef`")
        self._add(_event(wire.bytes_field(4, data), self._step(global_step)))

    @staticmethod
    def _step(global_step):
        return None if global_step is None else int(global_step)

    def _add(self, record):
        with self._lock:
            if self._closed:  # TF1 drops events added after close()
                return
            self._queue.append(tfrecord(record))
            if (len(self._queue) >= self._max_queue or
                    time.time() - self._last_flush >= self._flush_secs):
                self._write_queue()

    def _write_queue(self):
        if self._queue:
            self._file.write(b"".join(self._queue))
            self._queue = []
        self._file.flush()
        self._last_flush = time.time()

    def flush(self):
        """Writes every queued event to the file."""
        with self._lock:
            if not self._closed:
                self._write_queue()

    def close(self):
        """Flushes and closes the file; later events are dropped until reopen()."""
        with self._lock:
            if not self._closed:
                self._write_queue()
                self._file.close()
                self._closed = True

    def reopen(self):
        """Starts a new event file after close() (does nothing while open)."""
        with self._lock:
            if not self._closed:
                return
            os.makedirs(self._logdir, exist_ok=True)
            name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}"
                    f"{self._suffix}")
            self._path = os.path.join(self._logdir, name)
            self._file = open(self._path, "ab")
            self._closed = False
            self._queue = [tfrecord(_event(wire.bytes_field(3, _FILE_VERSION)))]
            self._write_queue()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
