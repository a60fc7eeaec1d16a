"""Reads the scalar summaries of event files for tests, decoding the TFRecord framing and the
few protobuf fields involved by hand (Event: step = 2, summary = 5; Summary: value = 1;
Summary.Value: tag = 1, simple_value = 2)."""
import glob
import os
import struct


def _varint(data, pos):
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def _fields(data):
    """(field number, value) pairs of a serialized message; length-delimited values as bytes."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = _varint(data, pos)
        elif wire_type == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire_type == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        elif wire_type == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unexpected wire type {wire_type}")
        yield field, value


def records(path):
    """The records of a TFRecord file."""
    with open(path, "rb") as f:
        data = f.read()
    pos, out = 0, []
    while pos < len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        out.append(data[pos + 12:pos + 12 + length])
        pos += 16 + length
    return out


def scalars(logdir):
    """{tag: [(step, value), ...]} of every simple_value summary in logdir's event files."""
    out = {}
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        for record in records(path):
            event = list(_fields(record))
            step = next((v for f, v in event if f == 2), 0)
            for summary in (v for f, v in event if f == 5):
                for value in (v for f, v in _fields(summary) if f == 1):
                    fields = dict(_fields(value))
                    if 2 in fields:
                        tag = fields[1].decode("utf-8")
                        out.setdefault(tag, []).append(
                            (step, struct.unpack("<f", fields[2])[0]))
    return out
