"""Initializers: values, statistics on large samples, seeds, argument checks."""
import math

import numpy as np
import pytest

import tensorlib as tf


def _run(tensor):
    with tf.Session() as sess:
        return sess.run(tensor)


def test_constant_initializers():
    assert _run(tf.zeros_initializer()([2, 3])).tolist() == [[0.0] * 3] * 2
    ones = _run(tf.ones_initializer(dtype=tf.int64)([4]))
    assert ones.dtype == np.int64 and ones.tolist() == [1] * 4
    assert _run(tf.zeros_initializer()([2], dtype=tf.int32)).dtype == np.int32
    assert _run(tf.constant_initializer(2.5)([2, 2])).tolist() == [[2.5, 2.5]] * 2
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(_run(tf.constant_initializer(value)(tf.TensorShape([3, 2]))),
                                  value.reshape(3, 2))
    assert _run(tf.constant_initializer([1, 2], dtype=tf.float64)([2])).dtype == np.float64
    with pytest.raises(TypeError, match="Expected Tensor's shape"):
        tf.constant_initializer([1, 2], verify_shape=True)([3])
    with pytest.raises(TypeError, match="Invalid type for initial value"):
        tf.constant_initializer({"a": 1})


def test_identity_initializer():
    np.testing.assert_array_equal(_run(tf.initializers.identity(gain=2.0)([2, 3])),
                                  2.0 * np.eye(2, 3, dtype=np.float32))
    with pytest.raises(ValueError, match="2D matrices"):
        tf.initializers.identity()([2, 2, 2])


def test_random_uniform_initializer_statistics_and_range():
    x = _run(tf.random_uniform_initializer(-2.0, 3.0, seed=1)([400, 250]))
    assert x.dtype == np.float32 and x.min() >= -2.0 and x.max() < 3.0
    assert abs(x.mean() - 0.5) < 0.03 and abs(x.std() - 5 / math.sqrt(12)) < 0.02
    ints = _run(tf.random_uniform_initializer(0, 5, seed=2)([1000], dtype=tf.int32))
    assert set(ints.tolist()) == {0, 1, 2, 3, 4}


def test_random_normal_initializer_statistics():
    x = _run(tf.random_normal_initializer(1.0, 2.0, seed=3, dtype=tf.float64)([400, 250]))
    assert x.dtype == np.float64
    assert abs(x.mean() - 1.0) < 0.03 and abs(x.std() - 2.0) < 0.03


def test_truncated_normal_initializer_statistics_and_bounds():
    x = _run(tf.truncated_normal_initializer(0.5, 2.0, seed=4)([400, 250]))
    assert x.min() >= 0.5 - 4.0 and x.max() <= 0.5 + 4.0
    assert abs(x.mean() - 0.5) < 0.03 and abs(x.std() - 2.0 * 0.8796) < 0.03


# (shape, fan_in, fan_out): dense kernels, conv kernels [h, w, in, out], biases, scalars.
FANS = [([200, 300], 200, 300), ([5, 5, 40, 50], 1000, 1250), ([50000], 50000, 50000),
        ([], 1, 1)]


@pytest.mark.parametrize("shape,fan_in,fan_out", FANS[:3])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution",
                         ["truncated_normal", "normal", "untruncated_normal", "uniform"])
def test_variance_scaling_matches_its_target_variance(shape, fan_in, fan_out, mode,
                                                      distribution):
    scale = 2.0
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    init = tf.variance_scaling_initializer(scale, mode, distribution, seed=5)
    x = _run(init(shape)).ravel()
    std = math.sqrt(scale / n)
    # The truncated forms are widened by 1/0.8796 so that the truncated std is the target.
    assert abs(x.std() / std - 1) < 0.03 and abs(x.mean()) < 0.03 * std
    if distribution == "uniform":
        limit = math.sqrt(3 * scale / n)
        assert -limit <= x.min() and x.max() <= limit and x.max() > 0.99 * limit
    elif distribution != "untruncated_normal":
        bound = 2 * std / 0.87962566103423978
        assert -bound <= x.min() and x.max() <= bound and x.max() > 0.99 * bound


def test_variance_scaling_of_a_scalar_uses_fans_of_one():
    # Scalars from 400 ops (a graph seed gives each its own stream): uniform on [-3, 3].
    tf.set_random_seed(6)
    init = tf.variance_scaling_initializer(3.0, distribution="uniform")
    scalars = [init([]) for _ in range(400)]
    assert all(t.shape == () for t in scalars)
    x = np.array(_run(scalars))
    assert np.abs(x).max() <= 3.0 and np.abs(x).max() > 0.95 * 3.0
    assert abs(x.std() / math.sqrt(3.0) - 1) < 0.1 and abs(x.mean()) < 0.3


def test_glorot_and_he_initializers():
    shape, fan_in, fan_out = FANS[1]
    limit = math.sqrt(6 / (fan_in + fan_out))
    u = _run(tf.glorot_uniform_initializer(seed=7)(shape))
    assert -limit <= u.min() and u.max() <= limit
    assert abs(u.std() - limit / math.sqrt(3)) < 0.03 * limit
    n = _run(tf.glorot_normal_initializer(seed=8)(shape))
    assert abs(n.std() / math.sqrt(2 / (fan_in + fan_out)) - 1) < 0.03
    he = _run(tf.initializers.he_normal(seed=9)(shape))
    assert abs(he.std() / math.sqrt(2 / fan_in) - 1) < 0.03
    for init, limit in ((tf.initializers.he_uniform(seed=9), math.sqrt(6 / fan_in)),
                        (tf.initializers.lecun_uniform(seed=10), math.sqrt(3 / fan_in))):
        u = _run(init(shape))
        assert -limit <= u.min() < -0.99 * limit and 0.99 * limit < u.max() <= limit
        assert abs(u.std() - limit / math.sqrt(3)) < 0.03 * limit and abs(u.mean()) < 0.01 * limit
    lecun = _run(tf.initializers.lecun_normal(seed=10)(shape))
    assert abs(lecun.std() / math.sqrt(1 / fan_in) - 1) < 0.03
    assert tf.initializers.glorot_uniform is tf.glorot_uniform_initializer
    assert tf.initializers.zeros is tf.zeros_initializer


def test_initializer_arguments_are_checked():
    with pytest.raises(ValueError, match="positive"):
        tf.variance_scaling_initializer(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        tf.variance_scaling_initializer(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution"):
        tf.variance_scaling_initializer(distribution="cauchy")
    with pytest.raises(ValueError, match="floating point"):
        tf.random_normal_initializer(dtype=tf.int32)
    with pytest.raises(ValueError, match="floating point"):
        tf.glorot_uniform_initializer(dtype=tf.int64)


def test_get_config_round_trips():
    for init in [tf.zeros_initializer(), tf.constant_initializer(3.0),
                 tf.random_uniform_initializer(-1, 1, seed=2), tf.random_normal_initializer(),
                 tf.truncated_normal_initializer(stddev=0.5),
                 tf.variance_scaling_initializer(2.0, "fan_out", "uniform", seed=1),
                 tf.glorot_normal_initializer(seed=3), tf.initializers.identity(2.0)]:
        again = type(init).from_config(init.get_config())
        assert again.get_config() == init.get_config()


def _seeded_values(make):
    with tf.Graph().as_default():
        value = make()
        with tf.Session() as sess:
            return sess.run(value), sess.run(value)


def test_op_seed_and_graph_seed_make_initial_values_reproducible():
    def with_op_seed():
        return tf.glorot_uniform_initializer(seed=11)([3, 4])

    def with_graph_seed():
        tf.set_random_seed(12)
        return tf.truncated_normal_initializer()([3, 4])

    for make in (with_op_seed, with_graph_seed):
        a1, a2 = _seeded_values(make)
        b1, _ = _seeded_values(make)
        np.testing.assert_array_equal(a1, b1)
        assert not np.array_equal(a1, a2)  # a new draw at every run
    other = tf.glorot_uniform_initializer(seed=13)([3, 4])
    assert not np.array_equal(_run(other), _seeded_values(with_op_seed)[0])
