"""`tf.compat`: `tf.compat.v1` is tensorlib itself, so both `tf.compat.v1.placeholder` and
`import tensorlib.compat.v1 as tf` give TF1's API; and the byte/text conversions of TF1.
There is no `tf.compat.v2`: tensorlib implements TF1 graph mode only."""
import numbers as _numbers
import sys as _sys

import numpy as _np

# tensorlib is being imported when this runs: the module object is already in sys.modules and
# is filled in by the time anyone reaches it through `compat.v1`.
v1 = _sys.modules["tensorlib"]
_sys.modules[__name__ + ".v1"] = v1

integral_types = (_numbers.Integral, _np.integer)
real_types = (_numbers.Real, _np.integer, _np.floating)
complex_types = (_numbers.Complex, _np.number)
bytes_or_text_types = (bytes, str)


def as_bytes(bytes_or_text, encoding="utf-8"):
    """`bytes_or_text` as bytes, str encoded with `encoding`.

    Raises:
      TypeError: if it is neither bytes nor str.
    """
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """`bytes_or_text` as str, bytes decoded with `encoding`.

    Raises:
      TypeError: if it is neither bytes nor str.
    """
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value):
    """`value` as str: bytes decoded as UTF-8, anything else through str()."""
    if isinstance(value, bytes):
        return as_str(value)
    return str(value)


def path_to_str(path):
    """A path-like object (pathlib.Path, ...) as str; anything else unchanged."""
    return path.__fspath__() if hasattr(path, "__fspath__") else path


def __getattr__(name):
    if name == "v2":
        raise AttributeError("tensorlib provides TensorFlow 1.x's API only: there is no "
                             "tf.compat.v2. Use tf.compat.v1 (tensorlib itself).")
    raise AttributeError(f"module 'tensorlib.compat' has no attribute {name!r}")
