"""tf.summary: summary ops checked against TensorBoard's protobuf classes, and event files
read back with TensorBoard's own reader."""
import bisect
import os
import re
import socket
import struct
import sys
import time

import numpy as np
import pytest

import tensorlib as tf
from tensorlib import _core
from tensorlib.framework import ops

summary_pb2 = pytest.importorskip("tensorboard.compat.proto.summary_pb2")
event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.compat.tensorflow_stub import errors as tb_errors  # noqa: E402
from tensorboard.compat.tensorflow_stub import pywrap_tensorflow as tb_records  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

DBL_MAX = sys.float_info.max


def parse_summary(data):
    s = summary_pb2.Summary()
    s.ParseFromString(data)
    return s


def reference_histogram(values):
    """TF's histogram::Histogram with its default buckets, encoded as TF encodes it: each run
    of empty buckets collapsed into its last one."""
    pos = []
    v = 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    pos.append(DBL_MAX)
    limits = [-x for x in reversed(pos)] + [0.0] + pos
    counts = [0.0] * len(limits)
    for x in np.asarray(values, dtype=np.float64).reshape(-1):
        counts[min(bisect.bisect_right(limits, x), len(limits) - 1)] += 1
    bucket_limit, bucket = [], []
    i = 0
    while i < len(counts):
        end, count = limits[i], counts[i]
        i += 1
        if count <= 0:
            while i < len(counts) and counts[i] <= 0:
                end, count = limits[i], counts[i]
                i += 1
        bucket_limit.append(end)
        bucket.append(count)
    return bucket_limit, bucket


def check_histogram(histo, values):
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    bucket_limit, bucket = reference_histogram(values)
    assert list(histo.bucket_limit) == bucket_limit
    assert list(histo.bucket) == bucket
    assert histo.num == values.size
    assert histo.min == (values.min() if values.size else DBL_MAX)
    assert histo.max == (values.max() if values.size else -DBL_MAX)
    np.testing.assert_allclose(histo.sum, values.sum(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(histo.sum_squares, (values ** 2).sum(), rtol=1e-12)


# ---- summary ops -------------------------------------------------------------------------

def test_scalar_summary_tags_follow_name_scopes_and_families():
    x = tf.placeholder(tf.float32, [])
    with tf.name_scope("loss"):
        a = tf.summary.scalar("total", x)
    b = tf.summary.scalar("total", x * 2)
    c = tf.summary.scalar("total", x * 3)
    d = tf.summary.scalar("acc", x, family="train")
    e = tf.summary.scalar("bad name:1", x)
    with tf.Session() as sess:
        out = sess.run([a, b, c, d, e], {x: 1.5})
    values = [parse_summary(s).value for s in out]
    assert [(v[0].tag, v[0].simple_value) for v in values] == [
        ("loss/total", 1.5), ("total", 3.0), ("total_1", 4.5), ("train/train/acc", 1.5),
        ("bad_name_1", 1.5)]
    assert a.op.name == "loss/total" and a.op.type == "ScalarSummary"
    assert a.dtype == tf.string and a.shape.as_list() == []
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [a, b, c, d, e]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64])
def test_scalar_summary_value_types(dtype):
    value = np.array(-7.5 if np.dtype(dtype).kind == "f" else -7, dtype=dtype)
    s = tf.summary.scalar("v", tf.constant(value), collections=[])
    with tf.Session() as sess:
        (v,) = parse_summary(sess.run(s)).value
    assert v.simple_value == np.float32(value)
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == []


def test_scalar_summary_of_a_vector_fails_like_tf1():
    s = tf.summary.scalar("v", tf.constant([1.0, 2.0]))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"tags and values not the same shape: \[\] != \[2\] "
                                 r"\(tag 'v'\)"):
            sess.run(s)


def test_scalar_summary_rejects_bool_and_string_values():
    with pytest.raises(TypeError):
        tf.summary.scalar("v", tf.constant(True))
    with pytest.raises(TypeError):
        tf.summary.scalar("v", tf.constant(b"x"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.float16])
def test_histogram_matches_tf_buckets(rng, dtype):
    values = rng.standard_normal((4, 25)) * 100
    values[0, :5] = 0
    values[1, :3] = [1e-13, -1e-13, 1e-12]
    values = values.astype(dtype)
    h = tf.summary.histogram("weights", tf.constant(values))
    with tf.Session() as sess:
        (v,) = parse_summary(sess.run(h)).value
    assert v.tag == "weights"
    check_histogram(v.histo, values)


def test_histogram_buckets_at_limits_and_extremes():
    limits = []
    v = 1e-12
    while v < 1e20:
        limits.append(v)
        v *= 1.1
    near = [limits[k] for k in (0, 1, 100, 500, -1)]
    near += [np.nextafter(x, 0) for x in near] + [np.nextafter(x, 1e300) for x in near]
    values = np.array(near + [-x for x in near] + [
        0.0, -0.0, 1e20, 1e25, 1e300, DBL_MAX, -DBL_MAX, 5e-324, -5e-324, 1e-300, 0.5, 1.0,
        2.0, 1024.0, -1.0])
    h = tf.summary.histogram("edges", tf.constant(values))
    with tf.Session() as sess:
        (v,) = parse_summary(sess.run(h)).value
    bucket_limit, bucket = reference_histogram(values)
    assert list(v.histo.bucket_limit) == bucket_limit
    assert list(v.histo.bucket) == bucket


def test_histogram_of_many_values_splits_the_work_and_agrees(rng):
    values = rng.standard_normal(200_003).astype(np.float32) * 1e4
    x = tf.placeholder(tf.float32, [None])
    h = tf.summary.histogram("big", x)
    with tf.Session() as sess:
        (v,) = parse_summary(sess.run(h, {x: values})).value
    check_histogram(v.histo, values)


def test_histogram_of_nothing_has_one_empty_bucket():
    h = tf.summary.histogram("none", tf.zeros([0, 3]))
    with tf.Session() as sess:
        (v,) = parse_summary(sess.run(h)).value
    check_histogram(v.histo, np.zeros(0))
    assert list(v.histo.bucket_limit) == [DBL_MAX]


@pytest.mark.parametrize("bad, message", [(np.nan, "Nan"), (np.inf, "Infinity"),
                                          (-np.inf, "Infinity")])
def test_histogram_rejects_nan_and_inf(bad, message):
    x = tf.placeholder(tf.float32, [None])
    with tf.name_scope("layer"):
        h = tf.summary.histogram("w", x)
    values = np.ones(100_000, np.float32)
    values[70_000] = bad
    values[90_000] = np.nan
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=f"{message} in summary histogram for: layer/w"):
            sess.run(h, {x: values})


def test_merge_concatenates_values_and_rejects_repeated_tags():
    x = tf.placeholder(tf.float32, [None])
    a = tf.summary.scalar("a", tf.reduce_sum(x))
    h = tf.summary.histogram("h", x)
    merged = tf.summary.merge([a, h])
    everything = tf.summary.merge_all()
    twice = tf.summary.merge([a, a], name="twice")
    assert merged.op.name == "Merge/MergeSummary" and twice.op.name == "twice/twice"
    with tf.Session() as sess:
        sa, sh, sm, se = sess.run([a, h, merged, everything], {x: [1.0, 2.0]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Duplicate tag a found"):
            sess.run(twice, {x: [1.0]})
    assert sm == se == sa + sh
    assert [v.tag for v in parse_summary(sm).value] == ["a", "h"]


def test_merge_takes_string_tensors_of_any_shape_and_rejects_garbage():
    one = parse_summary(b"")
    one.value.add(tag="p", simple_value=1.0)
    two = parse_summary(b"")
    two.value.add(tag="q", simple_value=2.0)
    m = tf.summary.merge([tf.constant([one.SerializeToString(), two.SerializeToString()])])
    bad = tf.summary.merge([tf.constant(b"\x0a\xff")])
    with tf.Session() as sess:
        assert [v.tag for v in parse_summary(sess.run(m)).value] == ["p", "q"]
        with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse"):
            sess.run(bad)
    with pytest.raises(TypeError):
        tf.summary.merge([tf.constant(1.0)])


def test_merge_all_of_an_empty_collection_is_none():
    assert tf.summary.merge_all() is None
    s = tf.summary.scalar("s", 1.0, collections=["mine"])
    assert tf.summary.merge_all("mine").op.inputs == (s,)


def test_summary_ops_are_not_differentiable():
    for op_type in ("ScalarSummary", "HistogramSummary", "MergeSummary"):
        fake_op = type("FakeOp", (), {"type": op_type, "name": op_type})()
        assert ops.get_gradient_function(fake_op) == (None, False)


# ---- event files -------------------------------------------------------------------------

def crc32c_bitwise(data):
    """CRC-32C one bit at a time, straight from the polynomial."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path):
    """Every record of a TFRecord file, both checksums of each checked bitwise."""
    data = open(path, "rb").read()
    records, pos = [], 0
    while pos < len(data):
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        record = data[pos + 12:pos + 12 + length]
        (record_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        assert header_crc == masked(crc32c_bitwise(header))
        assert record_crc == masked(crc32c_bitwise(record))
        records.append(record)
        pos += 16 + length
    return records


def event_file(logdir):
    (name,) = os.listdir(logdir)
    return os.path.join(logdir, name)


def accumulator(logdir):
    acc = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    return acc


def test_crc32c_matches_the_standard_check_value_and_extends():
    assert _core.crc32c(b"123456789") == 0xE3069283
    data = bytes(range(256)) * 41 + b"tail"
    assert _core.crc32c(data) == crc32c_bitwise(data)
    assert _core.crc32c(data[1000:], _core.crc32c(data[:1000])) == crc32c_bitwise(data)
    assert _core.crc32c(b"") == 0
    assert _core.crc32c(memoryview(np.arange(10, dtype=np.uint8))) == \
        crc32c_bitwise(bytes(range(10)))


def test_event_file_name_and_first_record(tmp_path):
    with tf.summary.FileWriter(str(tmp_path), filename_suffix=".v1") as writer:
        assert writer.get_logdir() == str(tmp_path)
        path = event_file(tmp_path)
        assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\." + re.escape(socket.gethostname())
                            + r"\.v1", os.path.basename(path))
        (first,) = read_records(path)  # written at once, before any event
    event = event_pb2.Event()
    event.ParseFromString(first)
    assert event.file_version == "brain.Event:2"
    assert abs(event.wall_time - time.time()) < 60


def test_scalars_and_histograms_read_back_with_tensorboard(tmp_path, rng):
    x = tf.placeholder(tf.float32, [None])
    with tf.name_scope("train"):
        tf.summary.scalar("loss", tf.reduce_mean(x))
    tf.summary.histogram("x", x)
    merged = tf.summary.merge_all()
    batches = [rng.standard_normal(50).astype(np.float32) for _ in range(4)]
    with tf.Session() as sess, tf.summary.FileWriter(str(tmp_path)) as writer:
        for step, batch in enumerate(batches):
            writer.add_summary(sess.run(merged, {x: batch}), global_step=step * 10)
    records = read_records(event_file(tmp_path))
    assert len(records) == 1 + len(batches)
    acc = accumulator(tmp_path)
    assert acc.Tags()["scalars"] == ["train/loss"]
    assert acc.Tags()["histograms"] == ["x"]
    scalars = acc.Scalars("train/loss")
    assert [s.step for s in scalars] == [0, 10, 20, 30]
    np.testing.assert_allclose([s.value for s in scalars], [b.mean() for b in batches],
                               rtol=1e-6)
    histograms = acc.Histograms("x")
    assert [h.step for h in histograms] == [0, 10, 20, 30]
    for h, batch in zip(histograms, batches):
        check_histogram(h.histogram_value, batch)


def test_graph_reads_back_with_tensorboard(tmp_path):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    names = tf.constant([b"a", b"bc"], name="names")
    with tf.name_scope("layer"):
        y = tf.matmul(x, w)
        parts = tf.split(y, 2, axis=1)
    with tf.control_dependencies([w.initializer]):
        z = tf.identity(parts[1], name="z")
    with tf.summary.FileWriter(str(tmp_path), graph=tf.get_default_graph()):
        pass
    nodes = {n.name: n for n in accumulator(tmp_path).Graph().node}
    assert set(nodes) == {op.name for op in tf.get_default_graph().get_operations()}
    assert nodes["x"].op == "Placeholder"
    assert nodes["x"].attr["dtype"].type == 1
    assert [d.size for d in nodes["x"].attr["shape"].shape.dim] == [-1, 3]
    assert nodes["layer/MatMul"].input == ["x", "w"]
    assert nodes["z"].input == [parts[1].op.name + ":1", "^w/Assign"]
    assert [d.size for d in nodes["z"].attr["_output_shapes"].list.shape[0].dim] == [-1, 1]
    const = nodes[w.initial_value.op.name]
    assert const.op == "Const"
    np.testing.assert_array_equal(tensor_util.make_ndarray(const.attr["value"].tensor),
                                  np.arange(6).reshape(3, 2))
    assert list(nodes["names"].attr["value"].tensor.string_val) == [b"a", b"bc"]
    assert nodes["w/Assign"].attr["validate_shape"].b is True
    assert z.op.name == "z" and names.op.name == "names"


def test_writer_queues_events_until_flush_or_a_full_queue(tmp_path):
    s = tf.summary.scalar("s", tf.constant(1.0))
    with tf.Session() as sess:
        data = sess.run(s)
    writer = tf.summary.FileWriter(str(tmp_path), max_queue=3)
    path = event_file(tmp_path)
    writer.add_summary(data, 1)
    writer.add_summary(data, 2)
    assert len(read_records(path)) == 1
    writer.add_summary(data, 3)  # the queue is full: written
    assert len(read_records(path)) == 4
    writer.add_summary(data, 4)
    writer.flush()
    assert len(read_records(path)) == 5
    writer.add_summary(data, 5)
    writer.close()
    writer.add_summary(data, 6)  # dropped, as TF1 does after close()
    writer.close()
    assert len(read_records(path)) == 6
    assert [e.step for e in accumulator(tmp_path).Scalars("s")] == [1, 2, 3, 4, 5]


def test_writer_takes_protobuf_objects_and_events(tmp_path):
    summary = summary_pb2.Summary()
    summary.value.add(tag="proto", simple_value=2.5)
    event = event_pb2.Event(step=9, wall_time=123.0)
    event.summary.value.add(tag="evt", simple_value=-1.0)
    with tf.summary.FileWriter(str(tmp_path / "run")) as writer:
        writer.add_summary(summary, global_step=4)
        writer.add_event(event)
        writer.add_event(event.SerializeToString())
        with pytest.raises(TypeError):
            writer.add_summary(3.0)
        with pytest.raises(TypeError):
            writer.add_graph(42)
    acc = accumulator(tmp_path / "run")
    assert [(e.step, e.value) for e in acc.Scalars("proto")] == [(4, 2.5)]
    assert [(e.step, e.wall_time) for e in acc.Scalars("evt")] == [(9, 123.0), (9, 123.0)]


def test_tensorboard_reader_rejects_a_flipped_bit(tmp_path):
    with tf.summary.FileWriter(str(tmp_path)) as writer:
        writer.add_summary(sess_free_summary(), 1)
    path = event_file(tmp_path)
    reader = tb_records.PyRecordReader_New(path)
    reader.GetNext()
    reader.GetNext()
    data = bytearray(open(path, "rb").read())
    data[-6] ^= 0x04
    open(path, "wb").write(bytes(data))
    reader = tb_records.PyRecordReader_New(path)
    reader.GetNext()
    with pytest.raises(tb_errors.DataLossError):
        reader.GetNext()


def sess_free_summary():
    s = summary_pb2.Summary()
    s.value.add(tag="t", simple_value=1.0)
    return s.SerializeToString()
