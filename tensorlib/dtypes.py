"""Element types, with TensorFlow 1.x's names and spellings (`tf.float32`, "float", ...)."""
import numpy as np


class DType:
    """An element type: `tf.float32`, `tf.int64`, ..."""

    __slots__ = ("_name", "_enum", "_numpy")

    def __init__(self, name, enum, numpy_type):
        self._name = name
        self._enum = enum
        self._numpy = numpy_type

    @property
    def name(self):
        return self._name

    @property
    def as_datatype_enum(self):
        """The dtype's number (TensorFlow's DataType enum)."""
        return self._enum

    @property
    def as_numpy_dtype(self):
        return self._numpy

    @property
    def base_dtype(self):
        return self

    @property
    def is_floating(self):
        return self._name in ("float16", "float32", "float64")

    @property
    def is_integer(self):
        return self._name in ("int32", "int64")

    @property
    def is_bool(self):
        return self._name == "bool"

    @property
    def size(self):
        return 0 if self._name == "string" else np.dtype(self._numpy).itemsize

    @property
    def min(self):
        return np.finfo(self._numpy).min if self.is_floating else np.iinfo(self._numpy).min

    @property
    def max(self):
        return np.finfo(self._numpy).max if self.is_floating else np.iinfo(self._numpy).max

    def __repr__(self):
        return f"tf.{self._name}"

    def __reduce__(self):
        return as_dtype, (self._name,)


float16 = DType("float16", 19, np.float16)
float32 = DType("float32", 1, np.float32)
float64 = DType("float64", 2, np.float64)
int32 = DType("int32", 3, np.int32)
int64 = DType("int64", 9, np.int64)
bool = DType("bool", 10, np.bool_)  # noqa: A001 (TF1's name)
string = DType("string", 7, np.object_)
half = float16
double = float64

_ALL = (float16, float32, float64, int32, int64, bool, string)
_BY_ENUM = {d.as_datatype_enum: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "int": int32,
                 "long": int64, "str": string, "bytes": string})
_BY_NUMPY = {np.dtype(np.float16): float16, np.dtype(np.float32): float32,
             np.dtype(np.float64): float64, np.dtype(np.int32): int32,
             np.dtype(np.int64): int64, np.dtype(np.bool_): bool}


def as_dtype(type_value):
    """Converts a DType, a name ("float32", TF1's "float"), a NumPy dtype or type, or a
    DataType number to a DType; raises TypeError for anything else."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        if type_value in _BY_NAME:
            return _BY_NAME[type_value]
    elif isinstance(type_value, int) and not isinstance(type_value, type(True)):
        if type_value in _BY_ENUM:
            return _BY_ENUM[type_value]
    elif type_value in (str, bytes):
        return string
    else:
        try:
            np_type = np.dtype(type_value)
        except TypeError:
            np_type = None
        if np_type is not None:
            if np_type in _BY_NUMPY:
                return _BY_NUMPY[np_type]
            if np_type.kind in "OSU":
                return string
    raise TypeError(f"Cannot convert value {type_value!r} to a tensorlib DType.")


def __getattr__(name):
    """`tf.dtypes.cast`: math_ops' cast, imported when first asked for because math_ops
    itself imports this module."""
    if name == "cast":
        from tensorlib.ops.math_ops import cast
        return cast
    raise AttributeError(f"module 'tensorlib.dtypes' has no attribute {name!r}")
