"""tf.train.Example and its parts (Features, Feature, BytesList, FloatList, Int64List), and
tf.train.SequenceExample (FeatureList, FeatureLists): the protocol-buffer messages of
example.proto and feature.proto, in pure Python.

They serialize to the bytes TensorFlow's classes write for the same message (the protobuf wire
format: packed floats and int64s, each map entry its key then its value), except that the
entries of a map come in key order, where TensorFlow's order is unspecified; they parse any
valid encoding (packed or not):

    example = tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0]))}))
    data = example.SerializeToString()
    tf.train.Example.FromString(data).features.feature["x"].float_list.value  # [1.0]
"""
import struct

_LENGTH = 2  # wire types
_VARINT = 0
_FIXED64 = 1
_FIXED32 = 5


def _varint(n):
    """The varint encoding of `n` (negative values as their 64-bit two's complement)."""
    n &= (1 << 64) - 1
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(number, payload):
    """A length-delimited field."""
    return _varint((number << 3) | _LENGTH) + _varint(len(payload)) + payload


class DecodeError(Exception):
    """Bytes that are not a valid encoding of the message (TF's message.DecodeError)."""


class _Reader:
    """Reads the fields of one encoded message."""

    def __init__(self, data):
        self._data = memoryview(data)
        self._pos = 0

    def done(self):
        return self._pos >= len(self._data)

    def varint(self):
        result = shift = 0
        while True:
            if self._pos >= len(self._data) or shift >= 64:
                raise DecodeError("Truncated or overlong varint")
            b = self._data[self._pos]
            self._pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def take(self, n):
        if self._pos + n > len(self._data):
            raise DecodeError("Truncated message")
        out = self._data[self._pos:self._pos + n]
        self._pos += n
        return out

    def fields(self):
        """(field number, wire type, value) for each field: a memoryview for
        length-delimited fields, an int for varints, bytes for fixed-width ones."""
        while not self.done():
            tag = self.varint()
            number, wire = tag >> 3, tag & 7
            if number == 0:
                raise DecodeError("Field number 0")
            if wire == _VARINT:
                yield number, wire, self.varint()
            elif wire == _LENGTH:
                yield number, wire, self.take(self.varint())
            elif wire == _FIXED32:
                yield number, wire, bytes(self.take(4))
            elif wire == _FIXED64:
                yield number, wire, bytes(self.take(8))
            else:
                raise DecodeError(f"Unsupported wire type {wire}")


class _Message:
    """What every message class shares: serialization entry points, equality, copies."""

    def SerializeToString(self, deterministic=None):  # noqa: N802 (protobuf's names)
        return self._encode()

    def ParseFromString(self, data):  # noqa: N802
        """Replaces the contents with those decoded from `data`; returns its length."""
        self.Clear()
        self.MergeFromString(data)
        return len(data)

    def MergeFromString(self, data):  # noqa: N802
        for number, wire, value in _Reader(bytes(data)).fields():
            self._merge_field(number, wire, value)
        return len(data)

    @classmethod
    def FromString(cls, data):  # noqa: N802
        message = cls()
        message.ParseFromString(data)
        return message

    def CopyFrom(self, other):  # noqa: N802
        self.ParseFromString(other.SerializeToString())

    def ByteSize(self):  # noqa: N802
        return len(self._encode())

    def __eq__(self, other):
        return type(self) is type(other) and self._encode() == other._encode()

    def __ne__(self, other):
        return not self == other

    __hash__ = None


class _ListMessage(_Message):
    """BytesList, FloatList, Int64List: one repeated field, `value` (number 1)."""

    def __init__(self, value=None):
        self.value = list(value) if value is not None else []

    def Clear(self):  # noqa: N802
        self.value = []

    def __repr__(self):
        return f"{type(self).__name__}(value={self.value!r})"


class BytesList(_ListMessage):
    """A list of byte strings (str values are stored as UTF-8)."""

    def __init__(self, value=None):
        super().__init__(None if value is None else
                         [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in value])

    def _encode(self):
        return b"".join(_field(1, v.encode("utf-8") if isinstance(v, str) else bytes(v))
                        for v in self.value)

    def _merge_field(self, number, wire, value):
        if number == 1 and wire == _LENGTH:
            self.value.append(bytes(value))


class FloatList(_ListMessage):
    """A list of float32 values (stored packed)."""

    def __init__(self, value=None):
        super().__init__(None if value is None else [float(v) for v in value])

    def _encode(self):
        if not self.value:
            return b""
        return _field(1, struct.pack(f"<{len(self.value)}f", *self.value))

    def _merge_field(self, number, wire, value):
        if number != 1:
            return
        if wire == _LENGTH:
            if len(value) % 4:
                raise DecodeError("Packed float field of a length not a multiple of 4")
            self.value.extend(struct.unpack(f"<{len(value) // 4}f", value))
        elif wire == _FIXED32:
            self.value.append(struct.unpack("<f", value)[0])


def _signed64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


class Int64List(_ListMessage):
    """A list of int64 values (stored packed)."""

    def __init__(self, value=None):
        super().__init__(None if value is None else [int(v) for v in value])

    def _encode(self):
        if not self.value:
            return b""
        return _field(1, b"".join(_varint(v) for v in self.value))

    def _merge_field(self, number, wire, value):
        if number != 1:
            return
        if wire == _LENGTH:
            r = _Reader(value)
            while not r.done():
                self.value.append(_signed64(r.varint()))
        elif wire == _VARINT:
            self.value.append(_signed64(value))


_KINDS = ("bytes_list", "float_list", "int64_list")  # field numbers 1, 2, 3
_KIND_CLASSES = {"bytes_list": BytesList, "float_list": FloatList, "int64_list": Int64List}


class Feature(_Message):
    """One feature: exactly one of bytes_list, float_list, int64_list (the oneof `kind`)."""

    def __init__(self, bytes_list=None, float_list=None, int64_list=None):
        self.Clear()
        for kind, value in zip(_KINDS, (bytes_list, float_list, int64_list)):
            if value is not None:
                if not isinstance(value, _KIND_CLASSES[kind]):
                    raise TypeError(f"{kind} must be a {_KIND_CLASSES[kind].__name__}, got "
                                    f"{type(value).__name__}")
                self._lists[kind] = value
                self._kind = kind

    def Clear(self):  # noqa: N802
        self._lists = {}
        self._kind = None

    def _list(self, kind):
        if kind not in self._lists:
            self._lists[kind] = _KIND_CLASSES[kind]()
        return self._lists[kind]

    bytes_list = property(lambda self: self._list("bytes_list"))
    float_list = property(lambda self: self._list("float_list"))
    int64_list = property(lambda self: self._list("int64_list"))

    def WhichOneof(self, oneof):  # noqa: N802
        """The kind set ("bytes_list", ...), or None: the one given or parsed, else the one
        values were added to."""
        if oneof != "kind":
            raise ValueError(f'Protocol message has no oneof "{oneof}" field.')
        if self._kind is not None:
            return self._kind
        return next((k for k in _KINDS if k in self._lists and self._lists[k].value), None)

    def HasField(self, name):  # noqa: N802
        if name == "kind":
            return self.WhichOneof("kind") is not None
        return self.WhichOneof("kind") == name

    def _encode(self):
        kind = self.WhichOneof("kind")
        if kind is None:
            return b""
        return _field(_KINDS.index(kind) + 1, self._lists[kind]._encode())

    def _merge_field(self, number, wire, value):
        if 1 <= number <= 3 and wire == _LENGTH:
            kind = _KINDS[number - 1]
            if self._kind != kind:
                self._lists = {}
            self._kind = kind
            self._list(kind).MergeFromString(value)

    def __repr__(self):
        kind = self.WhichOneof("kind")
        return f"Feature({kind}={self._lists[kind]!r})" if kind else "Feature()"


class _MessageMap(dict):
    """A protobuf map field from name to message: reading a missing name adds an empty
    message (protobuf maps do)."""

    def __init__(self, value_class):
        super().__init__()
        self._value_class = value_class

    def __missing__(self, key):
        value = self[key] = self._value_class()
        return value

    def get_or_create(self, key):
        return self[key]


class _MapMessage(_Message):
    """Features and FeatureLists: one map field (number 1) from name to a message."""

    _value_class = None  # the map's value type
    _field_name = ""     # the map's name in the constructor and as an attribute

    def __init__(self, **kwargs):
        self.Clear()
        for key, value in (kwargs.get(self._field_name) or {}).items():
            if not isinstance(value, self._value_class):
                raise TypeError(f"{self._field_name}[{key!r}] must be a "
                                f"{self._value_class.__name__}, got {type(value).__name__}")
            self._map[key] = value

    def Clear(self):  # noqa: N802
        self._map = _MessageMap(self._value_class)

    def _encode(self):
        # Entries in key order, as TensorFlow writes them (so equal maps give equal bytes).
        entries = sorted((key.encode("utf-8"), value) for key, value in self._map.items())
        return b"".join(_field(1, _field(1, key) + _field(2, value._encode()))
                        for key, value in entries)

    def _merge_field(self, number, wire, value):
        if number != 1 or wire != _LENGTH:
            return
        key, message = "", self._value_class()
        for n, w, v in _Reader(value).fields():
            if n == 1 and w == _LENGTH:
                key = bytes(v).decode("utf-8")
            elif n == 2 and w == _LENGTH:
                message = self._value_class.FromString(v)
        self._map[key] = message

    def __repr__(self):
        return f"{type(self).__name__}({self._field_name}={dict(self._map)!r})"


class Features(_MapMessage):
    """A map from feature name to Feature (`feature`)."""

    _value_class = Feature
    _field_name = "feature"

    def __init__(self, feature=None):
        super().__init__(feature=feature)

    @property
    def feature(self):
        return self._map


class FeatureList(_Message):
    """A sequence of Features of one kind (`feature`: a list of Feature)."""

    def __init__(self, feature=None):
        self.feature = list(feature or [])

    def Clear(self):  # noqa: N802
        self.feature = []

    def _encode(self):
        return b"".join(_field(1, f._encode()) for f in self.feature)

    def _merge_field(self, number, wire, value):
        if number == 1 and wire == _LENGTH:
            self.feature.append(Feature.FromString(value))

    def __repr__(self):
        return f"FeatureList(feature={self.feature!r})"


class FeatureLists(_MapMessage):
    """A map from name to FeatureList (`feature_list`)."""

    _value_class = FeatureList
    _field_name = "feature_list"

    def __init__(self, feature_list=None):
        super().__init__(feature_list=feature_list)

    @property
    def feature_list(self):
        return self._map


class Example(_Message):
    """One example of a data set: its `features`."""

    def __init__(self, features=None):
        self.Clear()
        if features is not None:
            if not isinstance(features, Features):
                raise TypeError(f"features must be a Features, got {type(features).__name__}")
            self._features = features
            self._has_features = True

    def Clear(self):  # noqa: N802
        self._features = Features()
        self._has_features = False

    @property
    def features(self):
        return self._features

    def HasField(self, name):  # noqa: N802
        if name != "features":
            raise ValueError(f'Protocol message has no singular "{name}" field.')
        return self._has_features or bool(self._features.feature)

    def _encode(self):
        if not self.HasField("features"):
            return b""
        return _field(1, self._features._encode())

    def _merge_field(self, number, wire, value):
        if number == 1 and wire == _LENGTH:
            self._features.MergeFromString(value)
            self._has_features = True

    def __repr__(self):
        return f"Example(features={self._features!r})"


class SequenceExample(_Message):
    """An example with a sequence: `context` (Features) and `feature_lists` (FeatureLists)."""

    def __init__(self, context=None, feature_lists=None):
        self.Clear()
        if context is not None:
            self._parts["context"] = context
            self._set.add("context")
        if feature_lists is not None:
            self._parts["feature_lists"] = feature_lists
            self._set.add("feature_lists")

    def Clear(self):  # noqa: N802
        self._parts = {"context": Features(), "feature_lists": FeatureLists()}
        self._set = set()

    context = property(lambda self: self._parts["context"])
    feature_lists = property(lambda self: self._parts["feature_lists"])

    def HasField(self, name):  # noqa: N802
        if name not in self._parts:
            raise ValueError(f'Protocol message has no singular "{name}" field.')
        return name in self._set or bool(self._parts[name]._map)

    def _encode(self):
        return b"".join(_field(number, self._parts[name]._encode())
                        for number, name in ((1, "context"), (2, "feature_lists"))
                        if self.HasField(name))

    def _merge_field(self, number, wire, value):
        if number in (1, 2) and wire == _LENGTH:
            name = "context" if number == 1 else "feature_lists"
            self._parts[name].MergeFromString(value)
            self._set.add(name)

    def __repr__(self):
        return f"SequenceExample(context={self.context!r}, feature_lists={self.feature_lists!r})"
