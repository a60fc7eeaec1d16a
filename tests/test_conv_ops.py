"""Convolution ops against direct NumPy references: one line of OPS per case (see
op_testing.py); the references' gradients are checked against finite differences of the
forward ops."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op

# ---- NumPy references (computed in float64, returned in the inputs' dtype) ----


def _geometry(size, window, stride, dilation, padding):
    """TF's output size and leading padding of one spatial dim."""
    effective = (window - 1) * dilation + 1
    if padding == "SAME":
        out = -(-size // stride)
        return out, max((out - 1) * stride + effective - size, 0) // 2
    return (size - effective) // stride + 1, 0


def _taps(in_shape, w_shape, strides, padding, dilations):
    """(padded input shape, crop offsets, [(i, j, slice_h, slice_w)]) of a convolution: the
    padded input sliced at tap (i, j) gives every output pixel's input for that tap."""
    _, h, w, _ = in_shape
    kh, kw = w_shape[:2]
    (sh, sw), (dh, dw) = strides[1:3], dilations[1:3]
    oh, top = _geometry(h, kh, sh, dh, padding)
    ow, left = _geometry(w, kw, sw, dw, padding)
    ph = max(top + h, (oh - 1) * sh + (kh - 1) * dh + 1)
    pw = max(left + w, (ow - 1) * sw + (kw - 1) * dw + 1)
    taps = [(i, j, slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
             slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)) for i in range(kh) for j in range(kw)]
    return (in_shape[0], ph, pw, in_shape[3]), (top, left), taps


def np_conv2d(x, w, strides, padding, dilations=(1, 1, 1, 1)):
    padded, (top, left), taps = _taps(x.shape, w.shape, strides, padding, dilations)
    xp = np.zeros(padded)
    xp[:, top:top + x.shape[1], left:left + x.shape[2]] = x
    out = sum(xp[:, sh, sw] @ w[i, j].astype(np.float64) for i, j, sh, sw in taps)
    return out.astype(x.dtype)


def np_conv2d_backprop_input(in_shape, w, g, strides, padding, dilations=(1, 1, 1, 1)):
    padded, (top, left), taps = _taps(in_shape, w.shape, strides, padding, dilations)
    dxp = np.zeros(padded)
    for i, j, sh, sw in taps:
        dxp[:, sh, sw] += g.astype(np.float64) @ w[i, j].T
    return dxp[:, top:top + in_shape[1], left:left + in_shape[2]].astype(w.dtype)


def np_conv2d_backprop_filter(x, w_shape, g, strides, padding, dilations=(1, 1, 1, 1)):
    padded, (top, left), taps = _taps(x.shape, w_shape, strides, padding, dilations)
    xp = np.zeros(padded)
    xp[:, top:top + x.shape[1], left:left + x.shape[2]] = x
    dw = np.zeros(w_shape)
    for i, j, sh, sw in taps:
        dw[i, j] = np.einsum("nhwc,nhwo->co", xp[:, sh, sw], g.astype(np.float64))
    return dw.astype(x.dtype)


def _out_shape(in_shape, w_shape, strides, padding, dilations=(1, 1, 1, 1)):
    oh, _ = _geometry(in_shape[1], w_shape[0], strides[1], dilations[1], padding)
    ow, _ = _geometry(in_shape[2], w_shape[1], strides[2], dilations[2], padding)
    return (in_shape[0], oh, ow, w_shape[3])


# ---- OPS lines ----


def conv(case_id, x_shape, w_shape, strides, padding, dtype, dilations=(1, 1, 1, 1)):
    return (case_id, ["Conv2D"],
            lambda x, w: tf.nn.conv2d(x, w, strides, padding, dilations=dilations),
            lambda x, w: np_conv2d(x, w, strides, padding, dilations),
            [x_shape, w_shape], dtype, {})


def input_grad(case_id, x_shape, w_shape, strides, padding, dtype, dilations=(1, 1, 1, 1)):
    return (case_id, ["Conv2DBackpropInput"],
            lambda w, g: tf.nn.conv2d_backprop_input(x_shape, w, g, strides, padding,
                                                     dilations=dilations),
            lambda w, g: np_conv2d_backprop_input(x_shape, w, g, strides, padding, dilations),
            [w_shape, _out_shape(x_shape, w_shape, strides, padding, dilations)], dtype, {})


def filter_grad(case_id, x_shape, w_shape, strides, padding, dtype, dilations=(1, 1, 1, 1)):
    return (case_id, ["Conv2DBackpropFilter"],
            lambda x, g: tf.nn.conv2d_backprop_filter(x, w_shape, g, strides, padding,
                                                      dilations=dilations),
            lambda x, g: np_conv2d_backprop_filter(x, w_shape, g, strides, padding, dilations),
            [x_shape, _out_shape(x_shape, w_shape, strides, padding, dilations)], dtype, {})


S1, S2 = [1, 1, 1, 1], [1, 2, 2, 1]

OPS = [
    conv("conv_valid", (2, 7, 8, 3), (3, 3, 3, 4), S1, "VALID", np.float32),
    conv("conv_same_stride2", (2, 9, 8, 3), (3, 3, 3, 5), S2, "SAME", np.float64),
    conv("conv_same_uneven_padding", (1, 8, 7, 2), (4, 2, 2, 3), [1, 3, 2, 1], "SAME",
         np.float32),
    conv("conv_dilated_same", (2, 9, 9, 2), (3, 3, 2, 3), S1, "SAME", np.float64,
         [1, 2, 2, 1]),
    conv("conv_dilated_strided_valid", (1, 11, 10, 3), (2, 3, 3, 2), [1, 2, 1, 1], "VALID",
         np.float32, [1, 1, 3, 1]),
    conv("conv_pointwise", (2, 5, 6, 7), (1, 1, 7, 9), S1, "SAME", np.float32),
    conv("conv_pointwise_strided", (2, 5, 6, 3), (1, 1, 3, 2), S2, "VALID", np.float64),
    conv("conv_many_blocks", (4, 30, 30, 8), (5, 5, 8, 16), S1, "SAME", np.float32),
    conv("conv_empty_batch", (0, 5, 5, 2), (3, 3, 2, 3), S1, "SAME", np.float32),
    conv("conv_no_channels", (1, 4, 4, 0), (2, 2, 0, 3), S1, "VALID", np.float64),
    input_grad("conv_input_grad_valid", (2, 7, 8, 3), (3, 3, 3, 4), S1, "VALID", np.float32),
    input_grad("conv_input_grad_same_stride2", (2, 9, 8, 3), (3, 3, 3, 5), S2, "SAME",
               np.float64),
    input_grad("conv_input_grad_dilated", (1, 9, 9, 2), (3, 3, 2, 3), S1, "SAME", np.float32,
               [1, 2, 2, 1]),
    input_grad("conv_input_grad_pointwise", (2, 5, 6, 7), (1, 1, 7, 9), S1, "VALID",
               np.float64),
    input_grad("conv_input_grad_many_images", (6, 20, 20, 8), (5, 5, 8, 16), S2, "SAME",
               np.float32),
    filter_grad("conv_filter_grad_valid", (2, 7, 8, 3), (3, 3, 3, 4), S1, "VALID",
                np.float32),
    filter_grad("conv_filter_grad_same_stride2", (2, 9, 8, 3), (3, 3, 3, 5), S2, "SAME",
                np.float64),
    filter_grad("conv_filter_grad_dilated", (1, 9, 9, 2), (3, 3, 2, 3), [1, 1, 2, 1], "SAME",
                np.float64, [1, 2, 1, 1]),
    filter_grad("conv_filter_grad_pointwise", (2, 5, 6, 7), (1, 1, 7, 9), S1, "SAME",
                np.float32),
    filter_grad("conv_filter_grad_many_blocks", (4, 30, 30, 8), (5, 5, 8, 16), S1, "SAME",
                np.float64),
    filter_grad("conv_filter_grad_empty_batch", (0, 5, 5, 2), (3, 3, 2, 3), S1, "SAME",
                np.float32),
    ("conv2d_transpose", ["Conv2DBackpropInput"],
     lambda v, w: tf.nn.conv2d_transpose(v, w, [2, 8, 8, 3], S2),
     lambda v, w: np_conv2d_backprop_input((2, 8, 8, 3), w, v, S2, "SAME"),
     [(2, 4, 4, 5), (3, 3, 3, 5)], np.float32, {}),
]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed, rng):
    check_op(case, feed, rng)


# ---- the references' gradients against finite differences of tensorlib's forward ops ----


def _finite_difference(f, x, index, eps=1e-6):
    xp, xm = x.copy(), x.copy()
    xp[index] += eps
    xm[index] -= eps
    return (f(xp) - f(xm)) / (2 * eps)


@pytest.mark.parametrize("strides,padding,dilations", [
    (S2, "SAME", [1, 1, 1, 1]), ([1, 1, 2, 1], "VALID", [1, 2, 1, 1])])
def test_conv_gradients_match_finite_differences(strides, padding, dilations, rng):
    x = rng.standard_normal((2, 7, 6, 3))
    w = rng.standard_normal((3, 2, 3, 4))
    g = rng.standard_normal(_out_shape(x.shape, w.shape, strides, padding, dilations))
    xs, ws = tf.placeholder(tf.float64, x.shape), tf.placeholder(tf.float64, w.shape)
    y = tf.reduce_sum(tf.nn.conv2d(xs, ws, strides, padding, dilations=dilations) * g)
    dx = tf.nn.conv2d_backprop_input(x.shape, w, g, strides, padding, dilations=dilations)
    dw = tf.nn.conv2d_backprop_filter(x, w.shape, g, strides, padding, dilations=dilations)
    with tf.Session() as sess:
        got_dx, got_dw = sess.run([dx, dw])
        for _ in range(6):
            i = tuple(rng.integers(0, s) for s in x.shape)
            want = _finite_difference(lambda v: sess.run(y, {xs: v, ws: w}), x, i)
            np.testing.assert_allclose(got_dx[i], want, rtol=1e-6, atol=1e-6)
            j = tuple(rng.integers(0, s) for s in w.shape)
            want = _finite_difference(lambda v: sess.run(y, {xs: x, ws: v}), w, j)
            np.testing.assert_allclose(got_dw[j], want, rtol=1e-6, atol=1e-6)


# ---- errors ----


def test_conv2d_shape_inference_with_unknown_dims():
    x = tf.placeholder(tf.float32, [None, 28, None, 3])
    y = tf.nn.conv2d(x, tf.zeros([5, 5, 3, 8]), S2, "SAME")
    assert y.shape.as_list() == [None, 14, None, 8]


@pytest.mark.parametrize("kwargs,match", [
    ({"data_format": "NCHW"}, "NHWC"),
    ({"padding": "FULL"}, "padding"),
    ({"strides": [1, 1, 1]}, "4 dimensions"),
    ({"strides": [2, 1, 1, 1]}, "batch and depth"),
    ({"dilations": [1, 1, 1, 2]}, "batch and depth"),
])
def test_conv2d_bad_attributes_raise_value_error(kwargs, match):
    args = {"strides": S1, "padding": "SAME", **kwargs}
    with pytest.raises(ValueError, match=match):
        tf.nn.conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([3, 3, 2, 4]), **args)


def test_conv2d_shape_errors():
    with pytest.raises(ValueError, match="does not match input depth"):
        tf.nn.conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([3, 3, 3, 4]), S1, "SAME")
    with pytest.raises(ValueError, match="negative"):
        tf.nn.conv2d(tf.zeros([1, 3, 5, 2]), tf.zeros([4, 3, 2, 4]), S1, "VALID")
    with pytest.raises(ValueError, match="out_backprop"):
        tf.nn.conv2d_backprop_input([1, 5, 5, 2], tf.zeros([3, 3, 2, 4]), tf.zeros([1, 5, 4, 4]),
                                    S1, "SAME")
    with pytest.raises(ValueError, match="out_backprop"):
        tf.nn.conv2d_backprop_filter(tf.zeros([1, 5, 5, 2]), [3, 3, 2, 4],
                                     tf.zeros([1, 3, 3, 5]), S1, "VALID")


def test_conv2d_rejects_integer_inputs():
    with pytest.raises(TypeError):
        tf.nn.conv2d(tf.zeros([1, 5, 5, 2], tf.int32), tf.zeros([3, 3, 2, 4], tf.int32), S1,
                     "SAME")


def test_conv2d_mismatch_found_at_run_time():
    x = tf.placeholder(tf.float32, [None, None, None, None])
    y = tf.nn.conv2d(x, tf.zeros([3, 3, 2, 4]), S1, "VALID")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="depth"):
            sess.run(y, {x: np.zeros((1, 5, 5, 3), np.float32)})
        with pytest.raises(tf.errors.InvalidArgumentError, match="negative"):
            sess.run(y, {x: np.zeros((1, 2, 5, 2), np.float32)})
