"""tf.train.Example messages (byte for byte as TensorFlow serializes them) and
tf.parse_example / tf.parse_single_example, checked against TensorFlow's outputs stored in
tests/fixtures/io (make_fixtures.py)."""
import json
import os
import struct

import numpy as np
import pytest

import tensorlib as tf

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "io")


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def make_feature(kind, values):
    if kind == "bytes":
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[bytes.fromhex(v)
                                                                     for v in values]))
    if kind == "float":
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def same_message(ours, theirs, cls):
    """Whether two serializations hold one message. TensorFlow writes the entries of a map in
    no fixed order (tensorlib: sorted by key), so with several entries the bytes are compared
    entry for entry, else exactly."""
    if ours == theirs:
        return True
    return (len(ours) == len(theirs) and
            cls.FromString(theirs).SerializeToString() == ours)


def test_examples_serialize_to_tensorflows_bytes():
    fixture = load("examples.json")
    for spec, expected in zip(fixture["examples"], fixture["serialized"]):
        example = tf.train.Example(features=tf.train.Features(
            feature={k: make_feature(kind, vals) for k, kind, vals in spec}))
        ours, theirs = example.SerializeToString(), bytes.fromhex(expected)
        if len(spec) <= 1:
            assert ours == theirs, spec
        assert same_message(ours, theirs, tf.train.Example), spec


def test_examples_parse_from_tensorflows_bytes():
    fixture = load("examples.json")
    for spec, data in zip(fixture["examples"], fixture["serialized"]):
        example = tf.train.Example.FromString(bytes.fromhex(data))
        feature = example.features.feature
        assert sorted(feature) == sorted(k for k, _, _ in spec)
        for key, kind, values in spec:
            assert feature[key].WhichOneof("kind") == kind + "_list"
            got = getattr(feature[key], kind + "_list").value
            if kind == "bytes":
                assert got == [bytes.fromhex(v) for v in values]
            elif kind == "float":
                np.testing.assert_array_equal(np.float32(got), np.float32(values))
            else:
                assert got == values
        assert same_message(example.SerializeToString(), bytes.fromhex(data), tf.train.Example)


def test_messages_build_by_mutation_and_parse_unpacked_fields():
    example = tf.train.Example()
    assert example.SerializeToString() == b""
    example.features.feature["n"].int64_list.value.append(5)
    example.features.feature["f"].float_list.value.extend([1.0, 2.0])
    again = tf.train.Example()
    again.ParseFromString(example.SerializeToString())
    assert again == example
    assert again.features.feature["n"].int64_list.value == [5]
    # Unpacked repeated fields (older writers) decode too: float 1.5 and int64 -3.
    unpacked_float = b"\x0d" + struct.pack("<f", 1.5)
    assert tf.train.FloatList.FromString(unpacked_float).value == [1.5]
    unpacked_int = b"\x08" + bytes([0xFD] + [0xFF] * 8 + [0x01])
    assert tf.train.Int64List.FromString(unpacked_int).value == [-3]
    with pytest.raises(Exception, match="Truncated"):
        tf.train.Example.FromString(b"\x0a\x05\x0a")
    with pytest.raises(TypeError):
        tf.train.Feature(float_list=[1.0])


def test_parse_example_matches_tensorflow():
    fixture = load("parsed.json")
    spec = {"age": tf.FixedLenFeature([], tf.int64, default_value=-1),
            "scores": tf.FixedLenFeature([2], tf.float32),
            "tags": tf.VarLenFeature(tf.string)}
    batch = [bytes.fromhex(b) for b in fixture["batch"]]
    parsed = tf.parse_example(tf.constant(batch), spec)
    single = tf.parse_single_example(tf.constant(batch[0]), spec)
    assert parsed["scores"].shape.as_list() == [3, 2]
    with tf.Session() as sess:
        p, s = sess.run([parsed, single])
        dense_tags = sess.run(tf.sparse_tensor_to_dense(parsed["tags"]))
    assert p["age"].tolist() == fixture["age"]
    np.testing.assert_array_equal(p["scores"], np.float32(fixture["scores"]))
    assert isinstance(p["tags"], tf.SparseTensorValue)
    assert p["tags"].indices.tolist() == fixture["tags_indices"]
    assert [v.decode() for v in p["tags"].values] == fixture["tags_values"]
    assert p["tags"].dense_shape.tolist() == fixture["tags_shape"]
    assert int(s["age"]) == fixture["single_age"]
    np.testing.assert_array_equal(s["scores"], np.float32(fixture["single_scores"]))
    assert s["tags"].indices.tolist() == fixture["single_tags_indices"]
    assert s["tags"].dense_shape.tolist() == fixture["single_tags_shape"]
    expected = np.full(fixture["tags_shape"], b"", dtype=object)
    for (i, j), v in zip(fixture["tags_indices"], fixture["tags_values"]):
        expected[i, j] = v.encode()
    assert dense_tags.tolist() == expected.tolist()


def test_parse_errors_name_the_key():
    example = tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0, 2.0]))}))
    data = tf.constant(example.SerializeToString())
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Feature: y .*required"):
            sess.run(tf.parse_single_example(data, {"y": tf.FixedLenFeature([], tf.float32)}))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Key: x.*Data types"):
            sess.run(tf.parse_single_example(data, {"x": tf.FixedLenFeature([2], tf.int64)}))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Key: x.*Values size: 2"):
            sess.run(tf.parse_single_example(data, {"x": tf.FixedLenFeature([3], tf.float32)}))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse example"):
            sess.run(tf.parse_single_example(tf.constant(b"\x0a\x09garbage"),
                                             {"x": tf.VarLenFeature(tf.float32)}))


def test_decode_csv_matches_tensorflow():
    fixture = load("parsed.json")
    records = ['1,2.5,"a,b",7', ',,"say ""hi""",', "3,-1e3,x,"]
    out = tf.decode_csv(tf.constant(records), [[0], [1.5], ["d"], tf.constant([-5], tf.int64)])
    with tf.Session() as sess:
        a, b, c, d = sess.run(out)
    assert a.tolist() == fixture["csv"][0]
    np.testing.assert_array_equal(b, np.float32(fixture["csv"][1]))
    assert [v.decode() for v in c] == fixture["csv"][2]
    assert d.tolist() == fixture["csv"][3]


def test_sequence_example_matches_tensorflows_bytes():
    fixture = load("sequence.json")
    ints = lambda v: tf.train.Feature(int64_list=tf.train.Int64List(value=v))  # noqa: E731
    sequence = tf.train.SequenceExample(
        context=tf.train.Features(feature={
            "length": ints([3]),
            "id": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"s1"]))}),
        feature_lists=tf.train.FeatureLists(feature_list={
            "tokens": tf.train.FeatureList(feature=[ints([1, 2]), ints([]), ints([5])]),
            "weights": tf.train.FeatureList(feature=[
                tf.train.Feature(float_list=tf.train.FloatList(value=[0.5]))])}))
    assert same_message(sequence.SerializeToString(), bytes.fromhex(fixture["serialized"]),
                        tf.train.SequenceExample)
    assert tf.train.SequenceExample().SerializeToString().hex() == fixture["empty"]
    parsed = tf.train.SequenceExample.FromString(bytes.fromhex(fixture["serialized"]))
    tokens = parsed.feature_lists.feature_list["tokens"].feature
    assert [f.int64_list.value for f in tokens] == [[1, 2], [], [5]]
    assert parsed.context.feature["id"].bytes_list.value == [b"s1"]
    assert parsed == sequence


def test_parse_example_of_fed_strings():
    serialized = tf.placeholder(tf.string, [None])
    parsed = tf.parse_example(serialized, {"n": tf.FixedLenFeature([1], tf.int64)})
    examples = [tf.train.Example(features=tf.train.Features(feature={
        "n": tf.train.Feature(int64_list=tf.train.Int64List(value=[n]))})).SerializeToString()
        for n in (4, -9)]
    with tf.Session() as sess:
        assert sess.run(parsed["n"], {serialized: examples}).tolist() == [[4], [-9]]
        with pytest.raises(TypeError, match="string tensor cannot hold int"):
            sess.run(parsed["n"], {serialized: [1, 2]})
        with pytest.raises(ValueError, match="Cannot feed value of shape"):
            sess.run(parsed["n"], {serialized: examples[0]})
