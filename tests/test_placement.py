"""tf.device and placement from Python: TF1's device strings and their merging, device
functions, explicit placement on a device this process lacks (TF1's error, or the CPU with
allow_soft_placement), and log_device_placement. The placement of nodes on a second device and
the copies between devices are checked in C++ (test_devices_cpp.py), where a test device can
be registered without a GPU."""
import numpy as np
import pytest

import tensorlib as tf


def test_device_strings_are_canonical_and_nested_blocks_merge():
    with tf.device("/job:localhost"):
        with tf.device("/gpu:1"):
            a = tf.constant(1.0)
            with tf.device("/device:CPU:0"):
                b = tf.constant(2.0)
            with tf.device(None):
                c = tf.constant(3.0)
        d = tf.constant(4.0)
    assert a.op.device == "/job:localhost/device:GPU:1"
    assert b.op.device == "/job:localhost/device:CPU:0"
    assert c.op.device == ""
    assert d.op.device == "/job:localhost"
    with tf.device("/job:localhost/replica:0/task:0/device:CPU:0"):
        e = tf.constant(5.0)
    assert e.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    spec = tf.DeviceSpec.from_string("/gpu:0")
    assert (spec.device_type, spec.device_index) == ("GPU", 0)
    assert spec.to_string() == "/device:GPU:0"


def test_device_functions_choose_per_op():
    seen = []

    def placer(op):
        seen.append(op.type)
        return "/cpu:0" if op.type == "Mul" else None

    with tf.device(placer):
        x = tf.constant(1.0)
        y = x * 2.0
    assert x.op.device == "" and y.op.device == "/device:CPU:0"
    assert "Mul" in seen and "Const" in seen


def test_malformed_device_strings_raise_at_the_users_line():
    with pytest.raises(ValueError, match="Malformed device specification '/tpu:0'"):
        with tf.device("/tpu:0"):
            pass
    with pytest.raises(ValueError, match="not a device index"):
        with tf.device("/gpu:x"):
            pass
    with pytest.raises(TypeError, match="tf.device takes"):
        with tf.device(3):
            pass


def test_explicit_placement_on_a_missing_device_fails_unless_soft():
    x = tf.placeholder(tf.float32, [2])
    with tf.device("/device:GPU:0"):
        y = x * 2.0
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Cannot assign a device for operation 'mul/y': 'mul/y' was "
                                 "explicitly assigned to /device:GPU:0 but available devices "
                                 r"are \[ /job:localhost/replica:0/task:0/device:CPU:0 \]"):
            sess.run(y, {x: [1.0, 2.0]})
    config = tf.ConfigProto(allow_soft_placement=True)
    with tf.Session(config=config) as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [2.0, 4.0])


def test_soft_placement_reaches_loop_bodies():
    with tf.device("/gpu:0"):
        out = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0),
                            [0, tf.constant(1.0)])[1]
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        assert sess.run(out) == 8.0


def test_log_device_placement_prints_tf1_lines(capsys):
    x = tf.placeholder(tf.float32, [2], name="x")
    y = tf.identity(x * 3.0, name="y")
    with tf.Session(config=tf.ConfigProto(log_device_placement=True)) as sess:
        sess.run(y, {x: [1.0, 2.0]})
        sess.run(y, {x: [1.0, 2.0]})  # the plan is cached: printed once
    err = capsys.readouterr().err.splitlines()
    assert err == ["mul/y: (Const): /job:localhost/replica:0/task:0/device:CPU:0",
                   "mul: (Mul): /job:localhost/replica:0/task:0/device:CPU:0",
                   "y: (Identity): /job:localhost/replica:0/task:0/device:CPU:0"]
