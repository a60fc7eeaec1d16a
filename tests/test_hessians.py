"""Second derivatives: tf.hessians against analytic Hessians, and gradients of gradients
against finite differences of the first derivatives."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import random_input


def _tanh2(t):
    """tanh'' as a function of t = tanh(z)."""
    return -2 * t * (1 - t * t)


def test_hessian_of_a_quadratic_form(rng):
    a = rng.standard_normal((3, 3))
    x = tf.placeholder(tf.float64, [3, 1])
    f = tf.reduce_sum(tf.matmul(x, tf.matmul(tf.constant(a), x), transpose_a=True))
    h, = tf.hessians(f, x)
    assert h.shape.as_list() == [3, 1, 3, 1]
    with tf.Session() as sess:
        got = sess.run(h, {x: rng.standard_normal((3, 1))})
    np.testing.assert_allclose(got.reshape(3, 3), a + a.T, rtol=1e-12, atol=1e-12)


def test_hessians_of_a_broadcast_product(rng):
    xv, yv = rng.standard_normal((2, 3)), rng.standard_normal(3)
    x, y = tf.placeholder(tf.float64, [2, 3]), tf.placeholder(tf.float64, [3])
    hx, hy = tf.hessians(tf.reduce_sum(tf.exp(x) * y), [x, y])
    with tf.Session() as sess:
        hx, hy = sess.run([hx, hy], {x: xv, y: yv})
    np.testing.assert_allclose(hx.reshape(6, 6), np.diag((np.exp(xv) * yv).ravel()),
                               rtol=1e-12)
    np.testing.assert_array_equal(hy, np.zeros((3, 3)))


def test_hessians_of_a_tanh_layer(rng):
    xv, wv, bv = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    w, b = tf.placeholder(tf.float64, [3, 2]), tf.placeholder(tf.float64, [2])
    f = tf.reduce_sum(tf.tanh(tf.matmul(tf.constant(xv), w) + b))
    hw, hb = tf.hessians(f, [w, b])
    with tf.Session() as sess:
        hw, hb = sess.run([hw, hb], {w: wv, b: bv})
    d2 = _tanh2(np.tanh(xv @ wv + bv))  # [n, j]
    want_w = np.einsum("na,nc,nj,jl->ajcl", xv, xv, d2, np.eye(2))
    np.testing.assert_allclose(hw, want_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hb, np.diag(d2.sum(0)), rtol=1e-10, atol=1e-12)


# (id, fn of one float64 tensor, input shape, options as op_testing.random_input takes them)
SECOND_DERIVATIVES = [
    ("exp", tf.exp, (4,), {}),
    ("log", tf.log, (4,), {"positive": True}),
    ("log1p", tf.log1p, (3,), {"positive": True}),
    ("sqrt", tf.sqrt, (4,), {"positive": True}),
    ("rsqrt", tf.rsqrt, (3,), {"positive": True}),
    ("square", tf.square, (3,), {}),
    ("abs", lambda x: tf.abs(x) * x, (4,), {"away_from_zero": True}),
    ("tanh", tf.tanh, (4,), {}),
    ("sigmoid", tf.sigmoid, (4,), {}),
    ("sin", tf.sin, (3,), {}),
    ("cos", tf.cos, (3,), {}),
    ("reciprocal", lambda x: 1.0 / x, (3,), {"away_from_zero": True}),
    ("pow", lambda x: tf.pow(x, x), (3,), {"positive": True}),
    ("squared_difference", lambda x: tf.squared_difference(x, tf.sin(x)) * x, (3,), {}),
    ("maximum", lambda x: tf.maximum(x, 0.5 * x) * x, (4,), {"away_from_zero": True}),
    ("minimum", lambda x: tf.minimum(x * x, 1.0) * x, (4,), {}),
    ("where", lambda x: tf.where(x > 0, x * x * x, tf.exp(x)), (4,), {"away_from_zero": True}),
    ("cumsum", lambda x: tf.cumsum(x * x, exclusive=True) * x, (4,), {}),
    ("prod", lambda x: tf.reduce_prod(x, 0), (2, 2), {"away_from_zero": True}),
    ("mean_keepdims", lambda x: tf.reduce_mean(x * x, 1, keepdims=True) * x, (2, 2), {}),
    ("max", lambda x: tf.reduce_max(x * x, 0) * x, (3, 2), {}),
    ("matmul", lambda x: tf.matmul(x, x, transpose_b=True), (2, 2), {}),
    ("batch_matmul", lambda x: tf.matmul(x, x, adjoint_a=True), (2, 2, 2), {}),
]


@pytest.mark.parametrize("case", SECOND_DERIVATIVES, ids=[c[0] for c in SECOND_DERIVATIVES])
def test_gradient_of_gradient_matches_finite_differences(case, rng, delta=1e-6):
    _, fn, shape, opts = case
    xv = random_input(rng, shape, np.float64, **opts)
    x = tf.placeholder(tf.float64, shape)
    g, = tf.gradients(tf.reduce_sum(fn(x)), x)
    gw = tf.reduce_sum(g * tf.constant(rng.standard_normal(shape)))
    gg, = tf.gradients(gw, x)
    with tf.Session() as sess:
        got = sess.run(gg, {x: xv})
        want = np.zeros(shape)
        for i in np.ndindex(*shape):
            plus, minus = xv.copy(), xv.copy()
            plus[i] += delta
            minus[i] -= delta
            want[i] = (sess.run(gw, {x: plus}) - sess.run(gw, {x: minus})) / (2 * delta)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
