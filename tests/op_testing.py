"""The helpers of the op tests: check_op runs an op on random inputs and compares with NumPy;
run_with_threads runs fetches at several intra-op thread counts; address_read shows where a
kernel read a tensor from.

Each op family's test module has a table OPS of cases:
    (test id, op types covered, tensorlib function, NumPy reference, input shapes, dtype, options)
options: positive=True (inputs > 0), small_ints=True (integers in [-3, 3), to make ties),
away_from_zero=True (|inputs| > 0.1, for functions with a kink at 0).
test_registry.py checks that every registered op type appears in some table.
"""
import numpy as np

import tensorlib as tf
from tensorlib import _config

TOLERANCE = {np.float16: 1e-3, np.float32: 1e-5, np.float64: 1e-12, np.complex64: 1e-5,
             np.complex128: 1e-12}


def random_input(rng, shape, dtype, positive=False, small_ints=False, away_from_zero=False):
    if np.issubdtype(dtype, np.integer):
        high = 3 if small_ints else 100
        return rng.integers(-high, high, size=shape).astype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(dtype, np.complexfloating):
        parts = [random_input(rng, shape, np.float64, positive, small_ints, away_from_zero)
                 for _ in range(2)]
        return (parts[0] + 1j * parts[1]).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    if away_from_zero:
        return (np.sign(x) * (np.abs(x) + 0.1)).astype(dtype)
    return np.abs(x) + 0.1 if positive else x


def check_op(case, feed, rng):
    """Runs one OPS case with constant inputs (feed=False) or fed placeholders of unknown dims
    (feed=True) and compares dtype, shape and values with the NumPy reference."""
    _, _, fn, ref, shapes, dtype, opts = case
    inputs = [random_input(rng, s, dtype, **opts) for s in shapes]
    if feed:
        holders = [tf.placeholder(tf.as_dtype(dtype), shape=[None] * len(s)) for s in shapes]
        out = fn(*holders)
        with tf.Session() as sess:
            got = sess.run(out, dict(zip(holders, inputs)))
    else:
        out = fn(*[tf.constant(x) for x in inputs])
        with tf.Session() as sess:
            got = sess.run(out)
    want = np.asarray(ref(*inputs))
    got = np.asarray(got)
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    tol = TOLERANCE.get(want.dtype.type, 0)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def run_with_threads(fetches, threads=(1, 2), feed_dict=None):
    """sess.run(fetches, feed_dict) in one session per intra-op thread count: the results, in
    order."""
    results = []
    for n in threads:
        with tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=n)) as sess:
            results.append(sess.run(fetches, feed_dict))
    return results



def run_with_vector_widths(fn, kernels=("avx2", "avx512")):
    """fn(sess) in a fresh session with each GEMM micro-kernel in `kernels` forced (the other
    kernels' vector paths follow its width): the results, in order. The choice is reset."""
    results = []
    try:
        for kernel in kernels:
            _config.set_gemm_kernel(kernel)
            with tf.Session() as sess:
                results.append(fn(sess))
    finally:
        _config.set_gemm_kernel("auto")
    return results


def runnable_gemm_kernels(names=("generic", "avx2", "avx512", "avx512-layout")):
    """The matrix-product micro-kernels among `names` this CPU runs ('avx512-layout' is the
    AVX-512 tile in AVX2 vectors: it checks that blocking on machines without AVX-512). The
    choice is left at 'auto'."""
    runnable = []
    for name in names:
        try:
            _config.set_gemm_kernel(name)
            runnable.append(name)
        except tf.errors.InvalidArgumentError:
            pass
    _config.set_gemm_kernel("auto")
    return runnable


def check_gradient(case, rng, delta=1e-6, tol=1e-6):
    """Checks one GRADS case: the gradient tensorlib builds for a random projection of the
    output, sum(w * fn(*xs)), against central finite differences, in float64.

    A GRADS case is (test id, op types covered, fn, input shapes, options): fn takes float64
    Tensors of the given shapes (other arguments are fixed inside fn); options as random_input.
    """
    _, _, fn, shapes, opts = case
    xs = [random_input(rng, s, np.float64, **opts) for s in shapes]
    holders = [tf.placeholder(tf.float64, s) for s in shapes]
    out = fn(*holders)
    with tf.Session() as sess:
        feed = dict(zip(holders, xs))
        y = np.asarray(sess.run(out, feed))
        w = rng.standard_normal(y.shape)
        loss = tf.reduce_sum(out * tf.constant(w))
        grads = tf.gradients(loss, holders)
        assert all(g is not None for g in grads), f"no gradient for some input: {grads}"
        # A gather's gradient is an IndexedSlices: checked densified.
        grads = [tf.convert_to_tensor(g) for g in grads]
        got = sess.run(grads, feed)
        for x, h, g in zip(xs, holders, got):
            assert np.shape(g) == x.shape
            want = np.zeros(x.shape)
            for i in np.ndindex(*x.shape):
                plus, minus = x.copy(), x.copy()
                plus[i] += delta
                minus[i] -= delta
                lp = sess.run(loss, {**feed, h: plus})
                lm = sess.run(loss, {**feed, h: minus})
                want[i] = (lp - lm) / (2 * delta)
            np.testing.assert_allclose(g, want, rtol=tol, atol=tol)


def address(arr):
    """The address of an array's first byte."""
    return arr.__array_interface__["data"][0]


def address_read(tensor):
    """The address of the buffer a kernel reads `tensor` from, as an int64 scalar.

    A PyFunc node runs a kernel like any other: it receives its input tensors and hands them to
    the Python function as NumPy views of their buffers (read-only, never copied), so the
    address its function sees is the address of the bytes the kernel read."""
    out = tf.py_func(lambda value: np.int64(address(value)), [tensor], tf.int64)
    out.set_shape([])
    return out
