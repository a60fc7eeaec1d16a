"""Feeds are read in place and fetched arrays own the executor's buffers.

NumPy reports its data allocations to tracemalloc; tensorlib's C++ allocations are invisible to
it. So a run that copied a feed (with NumPy, the only place tensorlib ever converts one) or
copied a result into a NumPy-allocated array would show up as a large traced allocation.
"""
import tracemalloc

import numpy as np

import tensorlib as tf
from tensorlib import _core

N = 8 * 1024 * 1024  # 32 MB of float32


def _peak_traced_bytes(fn):
    tracemalloc.start()
    try:
        result = fn()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_contiguous_feed_of_matching_dtype_is_read_in_place():
    x = tf.placeholder(tf.float32, [None])
    s = tf.reduce_sum(x)
    data = np.ones(N, np.float32)
    with tf.Session() as sess:
        sess.run(s, {x: data})  # compile and cache the plan first
        peak, got = _peak_traced_bytes(lambda: sess.run(s, {x: data}))
    assert got == N
    assert peak < N // 100


def test_strided_or_mistyped_feed_is_converted_once():
    x = tf.placeholder(tf.float32, [None])
    s = tf.reduce_sum(x)
    strided = np.ones(2 * N, np.float32)[::2]
    wrong_dtype = np.ones(N, np.float64)
    with tf.Session() as sess:
        sess.run(s, {x: np.ones(1, np.float32)})
        for data in (strided, wrong_dtype):
            peak, got = _peak_traced_bytes(lambda: sess.run(s, {x: data}))
            assert got == N
            assert N * 4 <= peak < N * 4 * 1.5  # exactly one float32 copy


def test_fetched_array_owns_the_executor_buffer():
    x = tf.placeholder(tf.float32, [None])
    y = x * 2.0
    data = np.ones(N, np.float32)
    with tf.Session() as sess:
        sess.run(y, {x: data[:1]})
        peak, got = _peak_traced_bytes(lambda: sess.run(y, {x: data}))
    assert peak < N // 100  # the N-element result was not allocated by NumPy
    assert isinstance(got.base, _core.BufferOwner)
    assert got.base.address == got.ctypes.data
    assert got.base.address % 64 == 0 and got.flags.c_contiguous and got.flags.writeable
    assert got[0] == 2.0 and got.shape == (N,)


def test_result_outlives_the_session():
    y = tf.ones([1000]) * 3.0
    sess = tf.Session()
    got = sess.run(y)
    sess.close()
    del sess
    assert got.sum() == 3000.0


def test_elementwise_chain_reuses_one_buffer_in_place():
    x = tf.placeholder(tf.float32, [None])
    y = x
    for _ in range(20):
        y = tf.exp(-y)  # alternating Neg and Exp: 40 elementwise ops
    data = np.linspace(0, 1, 1000, dtype=np.float32)
    want = data.astype(np.float64)
    for _ in range(20):
        want = np.exp(-want)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: data}), want, rtol=1e-5)
        np.testing.assert_allclose(sess.run(y, {x: data}), want, rtol=1e-5)
    np.testing.assert_array_equal(data, np.linspace(0, 1, 1000, dtype=np.float32))  # feed intact
