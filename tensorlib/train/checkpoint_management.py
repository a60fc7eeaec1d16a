"""Finding checkpoints: the "checkpoint" state file of a directory (TF's CheckpointState text
format, which TensorFlow writes too: `model_checkpoint_path: "..."` and one
`all_model_checkpoint_paths: "..."` line per kept checkpoint; relative paths are relative to
the directory), latest_checkpoint and checkpoint_exists for tensorlib's checkpoints and
TensorFlow's.
"""
import os
import re
import uuid

from tensorlib.train import tensor_bundle

CHECKPOINT_SUFFIX = ".tlckpt"


def _naming(error, path):
    """The OSError `error` (same type and errno) naming `path`, not the hidden temporary file
    that the failed call was given: the user knows the file they asked for."""
    return type(error)(error.errno, f"{error.strerror or error} (writing {path})", path)


def write_atomically(path, write):
    """Calls write(file) on a new temporary file beside `path`, then makes it `path`."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise _naming(e, path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise _naming(e, path) from None
        raise
    dir_fd = os.open(directory, os.O_RDONLY)  # make the rename itself durable
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def checkpoint_exists(checkpoint_prefix):
    """True when the checkpoint `checkpoint_prefix` (as Saver.save returned it) exists, in
    tensorlib's format or TensorFlow's."""
    checkpoint_prefix = os.fspath(checkpoint_prefix)
    return (os.path.isfile(checkpoint_prefix + CHECKPOINT_SUFFIX)
            or tensor_bundle.is_bundle(checkpoint_prefix))


# ---- the "checkpoint" state file -------------------------------------------------------------

class CheckpointState:
    """The latest checkpoint of a directory and the ones kept (TF's CheckpointState)."""

    def __init__(self, model_checkpoint_path="", all_model_checkpoint_paths=()):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)

    def __repr__(self):
        return (f"CheckpointState(model_checkpoint_path={self.model_checkpoint_path!r}, "
                f"all_model_checkpoint_paths={self.all_model_checkpoint_paths!r})")


_TEXT_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"',
                 ord("'"): "\\'", ord("\\"): "\\\\"}
_TEXT_UNESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "'": "'", "\\": "\\"}
_STATE_LINE = re.compile(r'\s*(\w+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|[-+.\w]+)\s*$')
_PATH_FIELDS = ("model_checkpoint_path", "all_model_checkpoint_paths")


def _quote(path):
    """`path` as a protobuf text-format string (C escapes, octal for other bytes)."""
    out = []
    for b in path.encode("utf-8"):
        if b in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[b])
        elif 0x20 <= b < 0x7f:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def _unquote(text):
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
        elif text[i + 1] in _TEXT_UNESCAPES:
            out += _TEXT_UNESCAPES[text[i + 1]].encode()
            i += 2
        elif text[i + 1] == "x":
            digits = re.match(r"[0-9a-fA-F]{1,2}", text[i + 2:]).group()
            out.append(int(digits, 16))
            i += 2 + len(digits)
        else:
            digits = re.match(r"[0-7]{1,3}", text[i + 1:]).group()
            out.append(int(digits, 8))
            i += 1 + len(digits)
    return out.decode("utf-8")


def _state_path(checkpoint_dir, latest_filename):
    return os.path.join(checkpoint_dir, latest_filename or "checkpoint")


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                            latest_filename=None, save_relative_paths=False):
    """Writes the state file of `save_dir` (atomically). Paths are written relative to
    `save_dir` when `save_relative_paths`, or when `save_dir` itself is relative, as TF1 does."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    if save_relative_paths or not os.path.isabs(save_dir):
        def rel(p):
            return os.path.relpath(p, save_dir) if os.path.isabs(p) == os.path.isabs(save_dir) \
                else p
        model_checkpoint_path, paths = rel(model_checkpoint_path), [rel(p) for p in paths]
    text = f"model_checkpoint_path: {_quote(model_checkpoint_path)}\n" + "".join(
        f"all_model_checkpoint_paths: {_quote(p)}\n" for p in paths)
    write_atomically(_state_path(save_dir, latest_filename),
                      lambda f: f.write(text.encode("utf-8")))


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The CheckpointState in `checkpoint_dir`'s state file, relative paths made relative to
    `checkpoint_dir`; None when there is none or it cannot be parsed. Other fields (TF's
    timestamps) are skipped."""
    try:
        with open(_state_path(checkpoint_dir, latest_filename), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return None
    state = CheckpointState()
    for line in lines:
        if not line.strip():
            continue
        m = _STATE_LINE.match(line)
        if m is None or (m.group(1) in _PATH_FIELDS and m.group(2) is None):
            return None
        if m.group(1) not in _PATH_FIELDS:
            continue
        try:
            value = _unquote(m.group(2))
        except (AttributeError, UnicodeDecodeError):
            return None
        value = value if os.path.isabs(value) else os.path.join(checkpoint_dir, value)
        if m.group(1) == "model_checkpoint_path":
            state.model_checkpoint_path = value
        else:
            state.all_model_checkpoint_paths.append(value)
    if not state.model_checkpoint_path:
        raise ValueError("Invalid checkpoint state loaded from " + checkpoint_dir)
    return state


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the latest checkpoint saved in `checkpoint_dir`, or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is not None and checkpoint_exists(state.model_checkpoint_path):
        return state.model_checkpoint_path
    return None
