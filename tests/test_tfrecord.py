"""TFRecord files: tf.python_io's writer and iterator and the TFRecordReader op, checked
against a file TensorFlow wrote (tests/fixtures/io/records.tfrecord)."""
import os

import pytest

import tensorlib as tf

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "io")
RECORDS_FILE = os.path.join(FIXTURES, "records.tfrecord")


def fixture_records():
    """The records make_fixtures.py wrote, the last one an Example of examples.json."""
    import json
    with open(os.path.join(FIXTURES, "examples.json")) as f:
        serialized = json.load(f)["serialized"]
    return [b"first record", b"", bytes(range(256)), bytes.fromhex(serialized[6])]


def test_writer_writes_the_bytes_tensorflow_writes(tmp_path):
    path = tmp_path / "out.tfrecord"
    with tf.python_io.TFRecordWriter(str(path)) as writer:
        for record in fixture_records():
            writer.write(record)
        writer.flush()
        assert not path.exists()  # written under a temporary name until closed
    with open(RECORDS_FILE, "rb") as f:
        assert path.read_bytes() == f.read()
    assert os.listdir(tmp_path) == ["out.tfrecord"]


def test_iterator_reads_tensorflow_files():
    assert list(tf.python_io.tf_record_iterator(RECORDS_FILE)) == fixture_records()


@pytest.mark.parametrize("kind", ["GZIP", "ZLIB", tf.python_io.TFRecordCompressionType.GZIP])
def test_compressed_files_round_trip(tmp_path, kind):
    options = tf.python_io.TFRecordOptions(kind)
    path = str(tmp_path / "c.tfrecord")
    records = [b"x" * 1000, b"", b"abc"]
    with tf.python_io.TFRecordWriter(path, options) as writer:
        for r in records:
            writer.write(r)
    assert os.path.getsize(path) < 200  # compressed
    assert list(tf.python_io.tf_record_iterator(path, options)) == records


def damaged(tmp_path, position, truncate=False):
    data = bytearray(open(RECORDS_FILE, "rb").read())
    if truncate:
        data = data[:position]
    else:
        data[position] ^= 0x01
    path = tmp_path / "damaged.tfrecord"
    path.write_bytes(bytes(data))
    return str(path)


@pytest.mark.parametrize("position,truncate,message", [
    (0, False, "length's checksum"), (14, False, "data's checksum"), (30, True, "truncated"),
    (5, True, "truncated")])
def test_damaged_files_raise_data_loss(tmp_path, position, truncate, message):
    path = damaged(tmp_path, position, truncate)
    with pytest.raises(tf.errors.DataLossError, match=message):
        list(tf.python_io.tf_record_iterator(path))
    tf.reset_default_graph()
    queue = tf.FIFOQueue(2, tf.string, shapes=[[]])
    fill = queue.enqueue(path)
    _, value = tf.TFRecordReader().read(queue)
    with tf.Session() as sess:
        sess.run(fill)
        with pytest.raises(tf.errors.DataLossError, match=message):
            for _ in range(5):
                sess.run(value)


def test_reader_op_reads_tensorflow_files_with_offsets_as_keys():
    tf.reset_default_graph()
    queue = tf.FIFOQueue(2, tf.string, shapes=[[]])
    fill, close = queue.enqueue(RECORDS_FILE), queue.close()
    key, value = tf.TFRecordReader().read(queue)
    records = fixture_records()
    with tf.Session() as sess:
        sess.run([fill, close])
        got = [sess.run([key, value]) for _ in records]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(value)
    assert [v for _, v in got] == records
    offsets, offset = [], 0
    for r in records:
        offsets.append(offset)
        offset += 16 + len(r)
    assert [k.decode() for k, _ in got] == [f"{RECORDS_FILE}:{o}" for o in offsets]


def test_reader_op_rejects_compressed_files_clearly():
    tf.reset_default_graph()
    with pytest.raises(tf.errors.UnimplementedError, match="uncompressed"):
        tf.TFRecordReader(options=tf.python_io.TFRecordOptions("GZIP"))


def test_writer_dropped_without_close_leaves_no_file(tmp_path):
    writer = tf.python_io.TFRecordWriter(str(tmp_path / "x.tfrecord"))
    writer.write(b"data")
    del writer
    assert os.listdir(tmp_path) == []
