"""Element types, with TensorFlow 1.x's names and spellings (`tf.float32`, "float", ...)."""
import builtins

import numpy as np


class DType:
    """An element type: `tf.float32`, `tf.int64`, ...

    DTypes compare equal to anything `as_dtype` turns into them (`tf.int16 == "int16"`,
    `tf.int16 == np.int16`), as in TF1, and hash as their DataType number.
    """

    __slots__ = ("_name", "_enum", "_numpy", "_kind")

    def __init__(self, name, enum, numpy_type, kind):
        """kind: "f" floating, "i" signed integer, "u" unsigned integer, "c" complex, "b" bool,
        "s" string."""
        self._name = name
        self._enum = enum
        self._numpy = numpy_type
        self._kind = kind

    @property
    def name(self):
        return self._name

    @property
    def as_datatype_enum(self):
        """The dtype's number (TensorFlow's DataType enum)."""
        return self._enum

    @property
    def as_numpy_dtype(self):
        """The NumPy type of the dtype's values (None for bfloat16, which NumPy lacks)."""
        return self._numpy

    @property
    def base_dtype(self):
        return self

    @property
    def real_dtype(self):
        """The dtype of the real and imaginary parts of a complex dtype; any other, itself."""
        return {"complex64": float32, "complex128": float64}.get(self._name, self)

    @property
    def is_floating(self):
        return self._kind == "f"

    @property
    def is_integer(self):
        return self._kind in "iu"

    @property
    def is_complex(self):
        return self._kind == "c"

    @property
    def is_unsigned(self):
        return self._kind == "u"

    @property
    def is_bool(self):
        return self._kind == "b"

    @property
    def is_numpy_compatible(self):
        return self._numpy is not None

    @property
    def is_quantized(self):
        return False

    @property
    def size(self):
        """Bytes per element (0 for string)."""
        if self._kind == "s":
            return 0
        return 2 if self._numpy is None else np.dtype(self._numpy).itemsize

    @property
    def min(self):
        """The lowest value of a real dtype; TypeError for bool, string and complex (TF1)."""
        return self._limit("minimum", np.finfo, "min")

    @property
    def max(self):
        """The highest value of a real dtype; TypeError for bool, string and complex (TF1)."""
        return self._limit("maximum", np.finfo, "max")

    def _limit(self, what, finfo, attr):
        if self._kind == "f":
            if self._numpy is None:  # bfloat16: float32's exponent, 8 significant bits
                return (-1 if attr == "min" else 1) * float.fromhex("0x1.fep127")
            return getattr(finfo(self._numpy), attr)
        if self._kind in "iu":
            return getattr(np.iinfo(self._numpy), attr)
        raise TypeError(f"Cannot find {what} value of {self!r}.")

    def is_compatible_with(self, other):
        """True when a value of dtype `other` can be used where this dtype is expected."""
        return self == as_dtype(other)

    def __eq__(self, other):
        if other is self:
            return True
        if type(other) is not DType:
            if other is None:
                return False
            try:
                other = as_dtype(other)
            except TypeError:
                return False
        return self._enum == other._enum

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._enum)

    def __repr__(self):
        return f"tf.{self._name}"

    def __reduce__(self):
        return as_dtype, (self._name,)


float16 = DType("float16", 19, np.float16, "f")
bfloat16 = DType("bfloat16", 14, None, "f")
float32 = DType("float32", 1, np.float32, "f")
float64 = DType("float64", 2, np.float64, "f")
int8 = DType("int8", 6, np.int8, "i")
int16 = DType("int16", 5, np.int16, "i")
int32 = DType("int32", 3, np.int32, "i")
int64 = DType("int64", 9, np.int64, "i")
uint8 = DType("uint8", 4, np.uint8, "u")
uint16 = DType("uint16", 17, np.uint16, "u")
uint32 = DType("uint32", 22, np.uint32, "u")
uint64 = DType("uint64", 23, np.uint64, "u")
complex64 = DType("complex64", 8, np.complex64, "c")
complex128 = DType("complex128", 18, np.complex128, "c")
bool = DType("bool", 10, np.bool_, "b")  # noqa: A001 (TF1's name)
string = DType("string", 7, np.object_, "s")
half = float16
double = float64

_ALL = (float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32,
        uint64, complex64, complex128, bool, string)
_BY_ENUM = {d.as_datatype_enum: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "int": int32,
                 "long": int64, "str": string, "bytes": string})
_BY_NUMPY = {np.dtype(d.as_numpy_dtype): d for d in _ALL if d.is_numpy_compatible and d != string}
# Python's own types, as TF1 maps them (float is float32, not NumPy's float64).
_BY_PYTHON = {builtins.float: float32, builtins.int: int64, builtins.bool: bool,
              builtins.complex: complex128, builtins.str: string, builtins.bytes: string,
              builtins.object: string}


def as_dtype(type_value):
    """Converts a DType, a name ("float32", TF1's "float"), a NumPy dtype or type, a Python type
    or a DataType number to a DType; raises TypeError for anything else."""
    if isinstance(type_value, DType):
        return type_value
    if type_value is None:  # NumPy would read None as float64
        pass
    elif isinstance(type_value, str):
        if type_value in _BY_NAME:
            return _BY_NAME[type_value]
    elif isinstance(type_value, int) and not isinstance(type_value, builtins.bool):
        if type_value in _BY_ENUM:
            return _BY_ENUM[type_value]
    elif isinstance(type_value, type) and type_value in _BY_PYTHON:
        return _BY_PYTHON[type_value]
    else:
        try:
            np_type = np.dtype(type_value)
        except (TypeError, ValueError):
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
