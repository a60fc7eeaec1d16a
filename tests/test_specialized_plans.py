"""Plans specialised to the shapes fed: where a placeholder leaves a dimension open (a `None`
batch), each shape fed runs a plan built for it, with every fusion a static-shape graph gets;
the results, the variables and the random streams are those of the one graph."""
import numpy as np
import pytest

import tensorlib as tf
from tensorlib import errors

from test_fusion import numpy_max_pool


def steps_of_last_run(sess, fetches, feeds):
    """The node names of each step of the plan that the last run of `fetches` took."""
    callable_, _ = sess._prepare(fetches, dict.fromkeys(feeds))
    return sess._c.step_nodes(callable_.handle)


def small_cnn(x, weights, bias):
    h = tf.nn.relu(tf.nn.conv2d(x, weights, [1, 1, 1, 1], "SAME") + bias)
    return tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"), h


@pytest.fixture
def cnn_weights():
    rng = np.random.default_rng(3)
    return (rng.standard_normal((3, 3, 2, 16)).astype(np.float32),
            rng.standard_normal(16).astype(np.float32))


def test_a_none_batch_runs_the_plan_a_fixed_batch_gets(cnn_weights):
    weights, bias = cnn_weights
    rng = np.random.default_rng(4)
    open_x = tf.placeholder(tf.float32, [None, 10, 10, 2])
    open_y, open_h = small_cnn(open_x, weights, bias)
    for batch in (3, 1, 5, 3):
        data = rng.standard_normal((batch, 10, 10, 2)).astype(np.float32)
        fixed_x = tf.placeholder(tf.float32, data.shape)
        fixed_y, _ = small_cnn(fixed_x, weights, bias)
        with tf.Session() as sess:
            got = sess.run(open_y, {open_x: data})
            open_steps = steps_of_last_run(sess, open_y, [open_x])
            want = sess.run(fixed_y, {fixed_x: data})
            fixed_steps = steps_of_last_run(sess, fixed_y, [fixed_x])
            h_value = sess.run(open_h, {open_x: data})
        # The convolution's step computes the bias, the ReLU and the pool: one step, as with
        # the fixed batch.
        assert [len(names) for names in open_steps] == [len(names) for names in fixed_steps]
        assert open_steps[-1][-1] == open_y.op.name and len(open_steps[-1]) > 1, open_steps
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got, numpy_max_pool(h_value, 2, 2, "SAME"))


def test_each_shape_fed_keeps_its_plan_and_any_number_of_shapes_runs(cnn_weights):
    weights, bias = cnn_weights
    rng = np.random.default_rng(5)
    x = tf.placeholder(tf.float32, [None, 10, 10, 2])
    y, h = small_cnn(x, weights, bias)
    batches = [2, 1, 2, *range(3, 15), 1, 2]  # more shapes than plans are kept for
    with tf.Session() as sess:
        for batch in batches:
            data = rng.standard_normal((batch, 10, 10, 2)).astype(np.float32)
            got = sess.run(y, {x: data})
            np.testing.assert_array_equal(got, numpy_max_pool(sess.run(h, {x: data}), 2, 2,
                                                              "SAME"))
        # The first shapes still take their specialised plan.
        sess.run(y, {x: np.zeros((2, 10, 10, 2), np.float32)})
        assert len(steps_of_last_run(sess, y, [x])[-1]) > 1


def test_a_shape_the_placeholder_does_not_take_is_reported_as_before(cnn_weights):
    weights, bias = cnn_weights
    x = tf.placeholder(tf.float32, [None, 10, 10, 2])
    y, _ = small_cnn(x, weights, bias)
    with tf.Session() as sess:
        sess.run(y, {x: np.zeros((2, 10, 10, 2), np.float32)})
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(2, 11, 10, 2\)"):
            sess.run(y, {x: np.zeros((2, 11, 10, 2), np.float32)})


def test_a_shape_the_graph_rejects_further_down_fails_at_the_op():
    # [None, 4] fed (2, 4): 8 elements do not make rows of 3. The specialised copy of the graph
    # cannot be built; the run reports the op that fails, as without specialisation.
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.reshape(x, [-1, 3]) * 2.0
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: np.ones((3, 4), np.float32)}),
                                      np.full((4, 3), 2.0, np.float32))
        for _ in range(2):
            with pytest.raises(errors.InvalidArgumentError, match="Reshape"):
                sess.run(y, {x: np.ones((2, 4), np.float32)})


def test_training_with_a_none_batch_updates_the_one_set_of_variables():
    # Least squares by gradient descent, batches of varying size: every plan reads and
    # writes the same variable, as NumPy's step by step computation shows.
    rng = np.random.default_rng(6)
    start = rng.standard_normal((3, 1)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3])
    t = tf.placeholder(tf.float32, [None, 1])
    w = tf.Variable(start)
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - t))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    want = start.astype(np.float64)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for batch in (4, 7, 4, 1, 7):
            xs = rng.standard_normal((batch, 3)).astype(np.float32)
            ts = rng.standard_normal((batch, 1)).astype(np.float32)
            sess.run(train, {x: xs, t: ts})
            want -= 0.1 * 2.0 * xs.T @ (xs @ want - ts) / batch
            np.testing.assert_allclose(sess.run(w), want, rtol=1e-5, atol=1e-6)


def test_a_random_stream_runs_on_across_the_plans_of_different_shapes():
    # Fed shapes 4 then 5 draw the stream's first nine values, as one run of shape 9 does.
    x = tf.placeholder(tf.float32, [None])
    r = tf.random_uniform(tf.shape(x), seed=3)
    draws = {}
    for shapes in ((4, 5), (9,)):
        with tf.Session() as sess:
            draws[shapes] = np.concatenate([sess.run(r, {x: np.zeros(n)}) for n in shapes])
    np.testing.assert_array_equal(draws[(4, 5)], draws[(9,)])
    assert len(np.unique(draws[(9,)])) == 9
