"""tf.summary.FileWriterCache: one FileWriter per log directory, shared by whoever writes
there (the hooks of a MonitoredTrainingSession write to one event file, not one each)."""
import os
import threading

from tensorlib.summary.writer import FileWriter


class FileWriterCache:
    """The FileWriters in use, by directory."""

    _cache = {}
    _lock = threading.Lock()

    @staticmethod
    def get(logdir):
        """The FileWriter of `logdir`, made on first use."""
        logdir = os.fspath(logdir)
        with FileWriterCache._lock:
            writer = FileWriterCache._cache.get(logdir)
            if writer is None:
                writer = FileWriterCache._cache[logdir] = FileWriter(logdir)
            return writer

    @staticmethod
    def clear():
        """Closes and forgets every cached FileWriter."""
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache = {}
