"""tf.data's map vectorization: an elementwise map before a batch runs once per batch, with the
same elements, bit for bit and in the same order, as the map run once per element."""
import numpy as np

import tensorlib as tf
from tensorlib import errors

X = np.random.RandomState(0).randn(37, 5).astype(np.float32) * 20
Y = np.arange(37, dtype=np.int32) % 7
OFFSET = np.linspace(-1, 1, 5).astype(np.float32)  # a captured value of the element's rank


def _batches(make, limit=100):
    """Every batch of the dataset `make()` builds, as NumPy values, and whether its map was
    vectorized (the pipeline sent to C++ calls a function over batches)."""
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        ds = make()
        vectorized = "_batched" in ds._serialize()[0]
        nxt = ds.make_one_shot_iterator().get_next()
        out = []
        with tf.Session() as sess:
            for _ in range(limit):
                try:
                    out.append(sess.run(nxt))
                except errors.OutOfRangeError:
                    return out, vectorized
    raise AssertionError("the dataset did not end")


def _elementwise(x, y, i):
    offset = tf.constant(OFFSET)
    scaled = tf.maximum(x / 16.0 - offset, x * 3.0 + 1.0)
    return scaled, tf.cast(y, tf.float32) * 0.5 - 1.0, i


def _pipeline(fn, between=lambda ds: ds):
    """(x, y, row index) -> map(fn) -> [between] -> shuffle -> repeat(2) -> batch(8)."""
    def make():
        ds = tf.data.Dataset.from_tensor_slices((X, Y, np.arange(37)))
        ds = between(ds.map(fn))
        return ds.shuffle(16, seed=5).repeat(2).batch(8)
    return make


def _assert_same_batches(a, b):
    assert len(a) == len(b)
    for batch_a, batch_b in zip(a, b):
        for component_a, component_b in zip(batch_a, batch_b):
            np.testing.assert_array_equal(component_a, component_b)


def test_elementwise_map_runs_on_batches_with_the_per_element_values_and_order():
    vectorized, was = _batches(_pipeline(_elementwise))
    assert was
    # A prefetch between the map and the shuffle keeps the map per element.
    per_element, was = _batches(_pipeline(_elementwise, lambda ds: ds.prefetch(1)))
    assert not was
    _assert_same_batches(vectorized, per_element)
    # The order is the shuffle's of the rows themselves; the values NumPy's float32 ones.
    order, _ = _batches(lambda: tf.data.Dataset.from_tensor_slices(np.arange(37))
                        .shuffle(16, seed=5).repeat(2).batch(8))
    assert [list(b[2]) for b in vectorized] == [list(b) for b in order]
    for scaled, y, i in vectorized:
        x = X[i]
        np.testing.assert_array_equal(
            scaled, np.maximum(x / np.float32(16) - OFFSET, x * np.float32(3) + np.float32(1)))
        np.testing.assert_array_equal(y, Y[i].astype(np.float32) * np.float32(0.5) - 1)


def test_the_last_smaller_batch_and_a_parallel_map_are_vectorized_too():
    def make(parallel):
        return lambda: (tf.data.Dataset.from_tensor_slices((X, Y, np.arange(37)))
                        .map(_elementwise, num_parallel_calls=parallel).batch(10))
    for parallel in (None, 2):
        got, was = _batches(make(parallel))
        assert was
        assert [len(b[2]) for b in got] == [10, 10, 10, 7]
        np.testing.assert_array_equal(np.concatenate([b[2] for b in got]), np.arange(37))
        np.testing.assert_array_equal(
            np.concatenate([b[0] for b in got]),
            np.maximum(X / np.float32(16) - OFFSET, X * np.float32(3) + np.float32(1)))


def test_maps_that_are_not_elementwise_run_per_element():
    noise_seed = 3

    def reduces(x, y, i):
        return x - tf.reduce_sum(x), y, i

    def draws(x, y, i):
        return x + tf.random_uniform([5], seed=noise_seed), y, i

    def mixes_ranks(x, y, i):  # x of rank 1 with y of rank 0: per element, y broadcasts
        return x * tf.cast(y, tf.float32), y, i

    def constant_output(x, y, i):
        return x, tf.constant(1.0), i

    for fn, reference in ((reduces, lambda x, y: x - x.sum(axis=1, keepdims=True)),
                          (mixes_ranks, lambda x, y: x * y[:, None].astype(np.float32)),
                          (constant_output, None), (draws, None)):
        got, was = _batches(_pipeline(fn))
        assert not was, fn.__name__
        assert len(got) == 10
        for first, second, i in got:
            if fn is constant_output:
                np.testing.assert_array_equal(second, np.ones(len(i), np.float32))
            elif fn is draws:
                noise = first - X[i]
                assert np.all((noise > -1e-5) & (noise < 1 + 1e-5))
                assert len({tuple(row) for row in noise.round(4)}) == len(i)  # a draw per row
            else:
                np.testing.assert_allclose(first, reference(X[i], Y[i]), rtol=1e-6, atol=1e-4)


def test_rows_of_a_source_reshaped_and_fetched_one_by_one_keep_their_values():
    got, _ = _batches(lambda: tf.data.Dataset.from_tensor_slices(X[:6, :4])
                      .map(lambda r: tf.reshape(r, [2, 2]) * 2.0))
    assert len(got) == 6
    for i, value in enumerate(got):
        np.testing.assert_array_equal(value, X[i, :4].reshape(2, 2) * 2)
    rows, _ = _batches(lambda: tf.data.Dataset.from_tensor_slices((X, Y)))
    for i, (x, y) in enumerate(rows):
        np.testing.assert_array_equal(x, X[i])
        assert y == Y[i]
