"""DLPack on the CPU: fetched results go to NumPy (and PyTorch) without a copy, and any object
exporting DLPack from host memory feeds a placeholder without a copy."""
import numpy as np
import pytest

import tensorlib as tf
from tensorlib import _core


def _address(a):
    return a.__array_interface__["data"][0]


class HostExporter:
    """A DLPack producer that is not a NumPy array (as a PyTorch CPU tensor is)."""

    def __init__(self, array):
        self.array = array

    def __dlpack__(self, **kwargs):
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()


class DeviceExporter(HostExporter):
    """A DLPack producer whose memory is on a GPU (kDLCUDA = 2)."""

    def __dlpack_device__(self):
        return (2, 0)

    def __dlpack__(self, **kwargs):
        raise BufferError("the data is in GPU memory")


def test_results_leave_through_dlpack_without_a_copy():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.nn.relu(x) * 2.0
    with tf.Session() as sess:
        result = sess.run(y, {x: np.arange(-3, 3, dtype=np.float32).reshape(2, 3)})
    view = np.from_dlpack(result)
    assert _address(view) == _address(result)
    np.testing.assert_array_equal(view, [[0, 0, 0], [0, 2, 4]])


def test_results_reach_torch_without_a_copy():
    torch = pytest.importorskip("torch")
    x = tf.placeholder(tf.float32, [4])
    with tf.Session() as sess:
        result = sess.run(x + 1.0, {x: np.zeros(4, np.float32)})
    t = torch.from_dlpack(result)
    assert t.data_ptr() == _address(result)
    assert t.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_a_dlpack_feed_is_read_in_place():
    source = np.arange(12, dtype=np.float32).reshape(3, 4)
    view = _core.convert_feed(HostExporter(source), np.dtype(np.float32), "x")
    assert _address(view) == _address(source)
    x = tf.placeholder(tf.float32, [None, 4])
    with tf.Session() as sess:
        out = sess.run(tf.reduce_sum(x, axis=1), {x: HostExporter(source)})
    np.testing.assert_array_equal(out, source.sum(axis=1))


def test_a_dlpack_feed_of_another_dtype_is_converted_once():
    source = np.linspace(0, 1, 5)  # float64
    x = tf.placeholder(tf.float32, [5])
    with tf.Session() as sess:
        out = sess.run(x * 2.0, {x: HostExporter(source)})
    np.testing.assert_allclose(out, (source * 2).astype(np.float32))


def test_a_torch_cpu_tensor_feeds_a_placeholder():
    torch = pytest.importorskip("torch")
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    view = _core.convert_feed(t, np.dtype(np.float32), "x")
    assert _address(view) == t.data_ptr()
    x = tf.placeholder(tf.float32, [2, 3])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(x * 1.0, {x: t}), t.numpy())


def test_device_memory_is_refused_with_the_tensor_named():
    x = tf.placeholder(tf.float32, [2], name="images")
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="images.*DLPack.*host memory"):
            sess.run(x, {x: DeviceExporter(np.zeros(2, np.float32))})
