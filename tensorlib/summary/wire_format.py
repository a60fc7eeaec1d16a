"""Protocol buffer wire encoding, by hand, for the few TensorFlow messages tensorlib writes
(Event, GraphDef and what they hold). Each function returns the bytes of one field."""
import struct

_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5


def varint(value):
    """Base-128 varint; negative numbers as their 64-bit two's complement (int64 fields)."""
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(field, wire_type):
    return varint(field << 3 | wire_type)


def int_field(field, value):
    """An int32/int64/enum/bool field."""
    return _key(field, _VARINT) + varint(int(value))


def double_field(field, value):
    return _key(field, _FIXED64) + struct.pack("<d", value)


def float_field(field, value):
    return _key(field, _FIXED32) + struct.pack("<f", value)


def bytes_field(field, data):
    """A string, bytes or embedded-message field."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _key(field, _LENGTH_DELIMITED) + varint(len(data)) + data


def packed_varints_field(field, values):
    """A packed repeated int/enum/bool field."""
    return bytes_field(field, b"".join(varint(int(v)) for v in values))

