"""Random ops: statistics, ranges, and the same numbers for the same seeds whatever the
session or thread count. The outputs are random, so no NumPy table lines (OPS is empty);
test_registry.py names the tests below for each op."""
import numpy as np
import pytest

import tensorlib as tf

OPS = []

N = 200_000


def _run_twice_in_new_graphs(build, threads=(None, None)):
    """Builds the same seeded graph twice and runs each once in a new session."""
    results = []
    for t in threads:
        tf.reset_default_graph()
        tf.set_random_seed(1234)
        out = build()
        config = None if t is None else tf.ConfigProto(intra_op_parallelism_threads=t)
        with tf.Session(config=config) as sess:
            results.append(sess.run(out))
    return results


REPRODUCIBLE = [
    ("random_normal", lambda: tf.random_normal([50_001], dtype=tf.float64)),
    ("random_uniform", lambda: tf.random_uniform([50_001], -2.0, 5.0)),
    ("random_uniform_int", lambda: tf.random_uniform([50_001], -9, 40, dtype=tf.int64)),
    ("truncated_normal", lambda: tf.truncated_normal([50_001], 1.0, 3.0)),
    ("random_shuffle", lambda: tf.random_shuffle(tf.range(10_000))),
    ("multinomial", lambda: tf.multinomial(tf.zeros([300, 5]), 40)),
]


@pytest.mark.parametrize("build", [c[1] for c in REPRODUCIBLE], ids=[c[0] for c in REPRODUCIBLE])
def test_same_seeds_give_same_numbers_in_new_sessions_and_any_thread_count(build):
    a, b = _run_twice_in_new_graphs(build)
    np.testing.assert_array_equal(a, b)
    one, two = _run_twice_in_new_graphs(build, threads=(1, 2))
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(a, one)


def test_random_normal_statistics_and_seed():
    tf.set_random_seed(42)
    x = tf.random_normal([N], mean=3.0, stddev=2.0)
    with tf.Session() as sess:
        a, b = sess.run(x), sess.run(x)
    assert abs(a.mean() - 3.0) < 0.02 and abs(a.std() - 2.0) < 0.02
    assert not np.array_equal(a, b)  # a stateful op draws new numbers every run


def test_random_uniform_statistics_and_range():
    x = tf.random_uniform([N], minval=-1.0, maxval=3.0, seed=5)
    y = tf.random_uniform([N // 2, 2], dtype=tf.float64, seed=6)
    with tf.Session() as sess:
        a, b = sess.run([x, y])
    assert a.dtype == np.float32 and b.dtype == np.float64 and b.shape == (N // 2, 2)
    assert a.min() >= -1.0 and a.max() < 3.0 and b.min() >= 0.0 and b.max() < 1.0
    assert abs(a.mean() - 1.0) < 0.02 and abs(a.std() - 4 / np.sqrt(12)) < 0.02
    assert abs(b.mean() - 0.5) < 0.01 and abs(b.std() - 1 / np.sqrt(12)) < 0.01


def test_random_uniform_int_covers_its_range():
    x = tf.random_uniform([N], minval=-3, maxval=7, dtype=tf.int32, seed=1)
    y = tf.random_uniform([1000], minval=2 ** 40, maxval=2 ** 40 + 3, dtype=tf.int64, seed=1)
    with tf.Session() as sess:
        a, b = sess.run([x, y])
    assert a.dtype == np.int32 and b.dtype == np.int64
    counts = np.bincount(a + 3, minlength=10)
    assert len(counts) == 10 and np.all(np.abs(counts / N - 0.1) < 0.005)
    assert set(b.tolist()) == {2 ** 40, 2 ** 40 + 1, 2 ** 40 + 2}


def test_truncated_normal_statistics_and_range():
    x = tf.truncated_normal([N], mean=1.0, stddev=3.0, seed=3)
    y = tf.truncated_normal([N], dtype=tf.float64, seed=4)
    with tf.Session() as sess:
        a, b = sess.run([x, y])
    assert np.all(np.abs(a - 1.0) < 6.0) and np.all(np.abs(b) < 2.0)
    # The standard deviation of N(0, 1) truncated to [-2, 2].
    std = 0.8796256610342398
    assert abs(a.mean() - 1.0) < 0.03 and abs(a.std() - 3 * std) < 0.03
    assert abs(b.mean()) < 0.01 and abs(b.std() - std) < 0.01


def test_random_shuffle_permutes_rows():
    value = np.arange(3000, dtype=np.float64).reshape(1000, 3)
    x = tf.random_shuffle(value, seed=2)
    with tf.Session() as sess:
        a, b = sess.run(x), sess.run(x)
        scalar = sess.run(tf.random_shuffle(5))
        empty = sess.run(tf.random_shuffle(np.zeros((0, 2), np.int32)))
    assert not np.array_equal(a, value) and not np.array_equal(a, b)
    np.testing.assert_array_equal(np.sort(a[:, 0]), value[:, 0])
    np.testing.assert_array_equal(a[:, 1:], a[:, :1] + [1, 2])  # rows move whole
    assert scalar == 5 and empty.shape == (0, 2)


def test_multinomial_follows_the_softmax_of_the_logits():
    probs = np.array([[0.1, 0.6, 0.3, 0.0], [0.25, 0.25, 0.25, 0.25]])
    with np.errstate(divide="ignore"):
        logits = np.log(probs)
    x = tf.multinomial(logits, 50_000, seed=8)
    y = tf.multinomial(logits.astype(np.float32), 7, output_dtype=tf.int32, seed=8)
    with tf.Session() as sess:
        a, b = sess.run([x, y])
    assert a.dtype == np.int64 and a.shape == (2, 50_000)
    assert b.dtype == np.int32 and b.shape == (2, 7)
    for row, p in zip(a, probs):
        np.testing.assert_allclose(np.bincount(row, minlength=4) / row.size, p, atol=0.01)
    assert np.all(a[0] != 3)  # a class of probability 0 (logit -inf) is never drawn


def test_random_errors():
    with pytest.raises(ValueError, match="maxval"):
        tf.random_uniform([2], dtype=tf.int32)
    with pytest.raises(TypeError):
        tf.truncated_normal([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="rank 2"):
        tf.multinomial(tf.zeros([3]), 2)
    with pytest.raises(ValueError, match="nonnegative"):
        tf.multinomial(tf.zeros([1, 3]), -1)
    x = tf.random_uniform([3], minval=5, maxval=5, dtype=tf.int32)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="minval < maxval"):
            sess.run(x)
