"""An optimizer's update that reads a MatMul's product as its gradient computes the product
itself, accumulated into the variable (the weight gradient of a dense layer is never stored);
where the product is read elsewhere, or its operands may be a variable an earlier update
changes, the two stay apart. The fused update scales an operand by the learning rate before
the product, so its last bits may differ from the separate ops': results are checked against
NumPy, not bit for bit."""
import numpy as np
import pytest

import tensorlib as tf

LR = 0.1


def plan_steps(sess, fetches, feeds=()):
    callable_, _ = sess._prepare(fetches, dict.fromkeys(feeds))
    return sess._c.step_nodes(callable_.handle)


def fused_steps(steps):
    """The steps that run a MatMul and the update reading its product."""
    return [names for names in steps
            if len(names) == 2 and "MatMul" in names[0] and "ApplyGradientDescent" in names[1]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transpose_a,transpose_b", [(False, False), (True, False),
                                                     (False, True), (True, True)])
def test_the_update_of_a_product_gradient_equals_numpy(transpose_a, transpose_b, dtype,
                                                       gemm_kernel):
    rng = np.random.default_rng(3)
    m, k, n = 37, 70, 53   # edges in every direction of the GEMM's tiles
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if transpose_b else (k, n)).astype(dtype)
    w0 = rng.standard_normal((m, n)).astype(dtype)
    x = tf.placeholder(tf.as_dtype(dtype), a.shape)
    y = tf.placeholder(tf.as_dtype(dtype), b.shape)
    w = tf.Variable(w0)
    grad = tf.matmul(x, y, transpose_a=transpose_a, transpose_b=transpose_b)
    train = tf.train.GradientDescentOptimizer(LR).apply_gradients([(grad, w)])
    with tf.Session() as sess:
        sess.run(w.initializer)
        assert len(fused_steps(plan_steps(sess, train, [x, y]))) == 1
        sess.run(train, {x: a, y: b})
        got = sess.run(w)
    want = w0 - LR * ((a.T if transpose_a else a) @ (b.T if transpose_b else b))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_a_dense_layer_trains_as_with_its_gradient_stored(gemm_kernel):
    rng = np.random.default_rng(0)
    data = rng.standard_normal((64, 300)).astype(np.float32)
    labels = rng.integers(0, 10, 64)
    w1 = (rng.standard_normal((300, 200)) * 0.05).astype(np.float32)
    w2 = (rng.standard_normal((200, 10)) * 0.05).astype(np.float32)

    def train(fetch_gradients):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, data.shape)
            v1, v2 = tf.Variable(w1), tf.Variable(w2)
            logits = tf.matmul(tf.nn.relu(tf.matmul(x, v1)), v2)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=logits))
            opt = tf.train.GradientDescentOptimizer(0.5)
            grads = opt.compute_gradients(loss, [v1, v2])
            step = opt.apply_gradients(grads)
            # Fetching the gradients too keeps them: each update reads a stored gradient.
            fetches = [step] + ([g for g, _ in grads] if fetch_gradients else [])
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                fused = len(fused_steps(plan_steps(sess, fetches, [x])))
                losses = [sess.run([loss] + fetches, {x: data})[0] for _ in range(20)]
                return fused, losses, sess.run([v1, v2])

    fused, losses, weights = train(fetch_gradients=False)
    stored, stored_losses, stored_weights = train(fetch_gradients=True)
    assert (fused, stored) == (2, 0)
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_allclose(losses, stored_losses, rtol=1e-5)
    for got, want in zip(weights, stored_weights):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_a_product_of_a_variable_that_an_earlier_update_writes_is_not_moved():
    # grad_u reads v; v's update runs before u's. Moving the product to u's update would read
    # the updated v: the plan keeps it where it was.
    rng = np.random.default_rng(1)
    v0 = rng.standard_normal((8, 8)).astype(np.float32)
    u0 = rng.standard_normal((8, 8)).astype(np.float32)
    c = rng.standard_normal((8, 8)).astype(np.float32)
    v, u = tf.Variable(v0), tf.Variable(u0)
    grad_u = tf.matmul(v, tf.constant(c))
    opt = tf.train.GradientDescentOptimizer(LR)
    train = opt.apply_gradients([(tf.ones_like(v0), v), (grad_u, u)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert fused_steps(plan_steps(sess, train)) == []
        sess.run(train)
        got_v, got_u = sess.run([v, u])
    np.testing.assert_allclose(got_v, v0 - LR, rtol=1e-6)
    np.testing.assert_allclose(got_u, u0 - LR * (v0 @ c), rtol=1e-5, atol=1e-6)


def test_a_product_that_does_not_fit_the_variable_is_an_error():
    v = tf.Variable(np.zeros((3, 4), np.float32), validate_shape=False)
    x = tf.placeholder(tf.float32, [None, None])
    grad = tf.matmul(x, x)
    train = tf.train.GradientDescentOptimizer(LR).apply_gradients([(grad, v)])
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="same shape"):
            sess.run(train, {x: np.ones((2, 2), np.float32)})
        np.testing.assert_array_equal(sess.run(v), np.zeros((3, 4), np.float32))
