"""Feeds are read in place and fetched arrays own the executor's buffers, proven by addresses.

op_testing.address_read gives the address of the bytes a kernel read: comparing it with the fed
array's and the fetched array's addresses shows where data was and was not copied.
"""
import numpy as np

import tensorlib as tf
from op_testing import address, address_read
from tensorlib import _core


def test_contiguous_feed_of_matching_dtype_is_read_in_place():
    x = tf.placeholder(tf.float32, [None, 4])
    read = address_read(x)
    through_view = address_read(tf.reshape(x, [-1]))  # Reshape's output views its input
    data = np.arange(40, dtype=np.float32).reshape(10, 4)
    with tf.Session() as sess:
        assert sess.run([read, through_view], {x: data}) == [address(data)] * 2
        assert sess.make_callable(read, [x])(data) == address(data)


def test_strided_mistyped_or_unaligned_feed_is_converted_once():
    x = tf.placeholder(tf.float32, [None])
    read, total = address_read(x), tf.reduce_sum(x)
    n = 1000
    strided = np.arange(2 * n, dtype=np.float32)[::2]
    wrong_dtype = np.arange(0, 2 * n, 2, dtype=np.float64)
    # float32 data one byte past an aligned address: NumPy marks it unaligned.
    raw = np.zeros(4 * n + 1, np.uint8)
    unaligned = raw[1:].view(np.float32)
    unaligned[:] = strided
    assert not unaligned.flags.aligned and unaligned.flags.c_contiguous
    want = strided.astype(np.float64).sum()  # exact in float32 too: integers below 2**24
    with tf.Session() as sess:
        for data in (strided, wrong_dtype, unaligned):
            at, got = sess.run([read, total], {x: data})
            # The kernels read one contiguous, aligned float32 copy, not the fed memory.
            assert got == want
            assert at != address(data) and at % np.dtype(np.float32).alignment == 0
    np.testing.assert_array_equal(unaligned, strided)  # the feed itself is left as it was


def test_fetched_array_owns_the_buffer_the_kernel_computed_into():
    x = tf.placeholder(tf.float32, [None])
    y = x * 2.0
    data = np.arange(1000, dtype=np.float32)
    with tf.Session() as sess:
        got, read_at = sess.run([y, address_read(y)], {x: data})  # read after Mul wrote it
    assert address(got) == read_at  # handed over, not copied out
    assert isinstance(got.base, _core.BufferOwner)
    assert got.base.address == address(got) and got.base.nbytes >= got.nbytes
    assert address(got) % 64 == 0 and got.flags.c_contiguous and got.flags.writeable
    np.testing.assert_array_equal(got, data * 2)


def test_fetching_a_fed_value_copies_it():
    x = tf.placeholder(tf.float32, [3])
    data = np.array([1.0, 2.0, 3.0], np.float32)
    with tf.Session() as sess:
        got = sess.run(tf.identity(x), {x: data})
    assert address(got) != address(data)  # the caller's array is never handed back as a result
    got[0] = 7.0
    assert data[0] == 1.0


def test_result_outlives_the_session():
    y = tf.ones([1000]) * 3.0
    sess = tf.Session()
    got = sess.run(y)
    sess.close()
    del sess
    assert got.sum() == 3000.0


def test_intermediate_buffers_are_reused_across_runs():
    static = tf.placeholder(tf.float32, [256])  # known sizes: a place in the run's arena
    dynamic = tf.placeholder(tf.float32, [None])  # sizes known at run time: the buffer pool
    data = np.linspace(0, 1, 256, dtype=np.float32)
    for x in (static, dynamic):
        read = address_read(tf.exp(x))
        with tf.Session() as sess:
            assert len({sess.run(read, {x: data}) for _ in range(4)}) == 1


def test_a_dropped_result_buffer_is_reused_and_a_held_one_never_is():
    x = tf.placeholder(tf.float32, [None])
    y = x * 2.0
    data = np.arange(100_000, dtype=np.float32)
    with tf.Session() as sess:
        first = sess.run(y, {x: data})
        held = address(first)
        second = sess.run(y, {x: data})
        assert address(second) != held  # `first` still owns its buffer
        np.testing.assert_array_equal(first, data * 2)
        del first
        third = sess.run(y, {x: data})
        assert address(third) == held  # its buffer went back for reuse when it was dropped
        np.testing.assert_array_equal(second, third)


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
