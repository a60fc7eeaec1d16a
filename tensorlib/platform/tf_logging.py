"""`tf.logging`: TF1's logging functions over Python's logger named "tensorlib", which
tensorlib's own modules log through too. As in TF1 the default threshold is WARN, and
records print as `LEVEL:tensorlib:message` on stderr.

    tf.logging.set_verbosity(tf.logging.INFO)
    tf.logging.info("step %d", 10)         # INFO:tensorlib:step 10
"""
import logging as _logging
import sys as _sys

DEBUG = _logging.DEBUG
INFO = _logging.INFO
WARN = _logging.WARN
ERROR = _logging.ERROR
FATAL = _logging.FATAL

_FORMAT = "%(levelname)s:%(name)s:%(message)s"
_counts = {}


class _StderrHandler(_logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted (a notebook's or a test's
    replacement included), not to the stream of the moment it was made; and only while the
    program has not configured Python's logging itself: then records reach its handlers (they
    propagate to the root logger) and are printed once, by them."""

    def __init__(self):
        _logging.Handler.__init__(self)

    @property
    def stream(self):
        return _sys.stderr

    def emit(self, record):
        if not _program_configured_logging():
            super().emit(record)


def _program_configured_logging():
    """Whether the program gave Python's root logger handlers of its own."""
    return bool(_logging.getLogger().handlers)


def _configure(logger):
    """Gives the "tensorlib" logger TF1's threshold (WARN) and a stderr handler printing
    `LEVEL:tensorlib:message`, unless the program configured it first."""
    if logger.level == _logging.NOTSET:
        logger.setLevel(WARN)
    if not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(_logging.Formatter(_FORMAT))
        logger.addHandler(handler)
    return logger


_logger = _configure(_logging.getLogger("tensorlib"))


def get_logger():
    """The Python logger behind tf.logging (named "tensorlib")."""
    return _logger


def log(level, msg, *args, **kwargs):
    """Logs `msg % args` at `level`."""
    get_logger().log(level, msg, *args, **kwargs)


def debug(msg, *args, **kwargs):
    get_logger().debug(msg, *args, **kwargs)


def info(msg, *args, **kwargs):
    get_logger().info(msg, *args, **kwargs)


def warning(msg, *args, **kwargs):
    get_logger().warning(msg, *args, **kwargs)


warn = warning


def error(msg, *args, **kwargs):
    get_logger().error(msg, *args, **kwargs)


def fatal(msg, *args, **kwargs):
    """Logs at FATAL; like TF1's, it does not stop the program."""
    get_logger().fatal(msg, *args, **kwargs)


def _next_count(key):
    """How many times the call at `key` has been made before this one."""
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    return count


def _caller_key():
    """The file and line of the code that called log_every_n/log_first_n/log_if."""
    frame = _sys._getframe(2)
    return frame.f_code.co_filename, frame.f_lineno


def log_every_n(level, msg, n, *args):
    """Logs `msg % args` at `level` on the 1st, (n+1)th, (2n+1)th... call from this line."""
    if _next_count(_caller_key()) % n == 0:
        log(level, msg, *args)


def log_first_n(level, msg, n, *args):
    """Logs `msg % args` at `level` on the first `n` calls from this line only."""
    if _next_count(_caller_key()) < n:
        log(level, msg, *args)


def log_if(level, msg, condition, *args):
    """Logs `msg % args` at `level` when `condition` is true."""
    if condition:
        log(level, msg, *args)


def get_verbosity():
    """The threshold below which records are dropped (WARN until set_verbosity)."""
    return get_logger().getEffectiveLevel()


def set_verbosity(v):
    """Drops records below level `v` (DEBUG, INFO, WARN, ERROR or FATAL) from now on."""
    get_logger().setLevel(v)


def flush():
    """Flushes the handlers' streams."""
    for handler in get_logger().handlers:
        handler.flush()


def vlog(level, msg, *args, **kwargs):
    """Logs `msg % args` at `level` (TF1's verbose logging, a plain log here)."""
    get_logger().log(level, msg, *args, **kwargs)
