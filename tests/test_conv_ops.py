"""Convolution and pooling ops against direct NumPy references: one line of OPS per case (see
op_testing.py); the references' gradients are checked against finite differences of the
forward ops."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op, run_with_threads, runnable_gemm_kernels
from tensorlib import _config
from tensorlib.framework import ops
from tensorlib.ops import conv_ops

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


def _windows(in_shape, ksize, strides, padding):
    """[(oh, ow, rows, cols)]: each output pixel's window, clipped to the input."""
    _, h, w, _ = in_shape
    oh, top = _geometry(h, ksize[1], strides[1], 1, padding)
    ow, left = _geometry(w, ksize[2], strides[2], 1, padding)
    for a in range(oh):
        r0 = a * strides[1] - top
        for b in range(ow):
            c0 = b * strides[2] - left
            yield (a, b, slice(max(r0, 0), min(r0 + ksize[1], h)),
                   slice(max(c0, 0), min(c0 + ksize[2], w)), oh, ow)


def np_pool(x, ksize, strides, padding, kind):
    out = None
    for a, b, rows, cols, oh, ow in _windows(x.shape, ksize, strides, padding):
        if out is None:
            out = np.zeros((x.shape[0], oh, ow, x.shape[3]), np.float64)
        win = x[:, rows, cols].astype(np.float64)
        out[:, a, b] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out.astype(x.dtype)


def np_max_pool_grad(x, g, ksize, strides, padding):
    dx = np.zeros(x.shape, np.float64)
    for a, b, rows, cols, _, _ in _windows(x.shape, ksize, strides, padding):
        win = x[:, rows, cols]
        n, wh, ww, c = win.shape
        first = win.reshape(n, wh * ww, c).argmax(axis=1)  # the first maximum, row-major
        for i in range(n):
            for k in range(c):
                dx[i, rows.start + first[i, k] // ww, cols.start + first[i, k] % ww, k] += \
                    g[i, a, b, k]
    return dx.astype(x.dtype)


def np_max_pool_grad_grad(x, gg, ksize, strides, padding):
    out = None
    for a, b, rows, cols, oh, ow in _windows(x.shape, ksize, strides, padding):
        if out is None:
            out = np.zeros((x.shape[0], oh, ow, x.shape[3]), x.dtype)
        n, wh, ww, c = x[:, rows, cols].shape
        first = x[:, rows, cols].reshape(n, wh * ww, c).argmax(axis=1)
        win = gg[:, rows, cols].reshape(n, wh * ww, c)
        out[:, a, b] = np.take_along_axis(win, first[:, None], axis=1)[:, 0]
    return out


def np_avg_pool_grad(in_shape, g, ksize, strides, padding):
    dx = np.zeros(in_shape, np.float64)
    for a, b, rows, cols, _, _ in _windows(in_shape, ksize, strides, padding):
        count = (rows.stop - rows.start) * (cols.stop - cols.start)
        dx[:, rows, cols] += g[:, a, b][:, None, None, :] / count
    return dx.astype(g.dtype)


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


def pool(case_id, kind, x_shape, ksize, strides, padding, dtype, opts=None):
    fn = tf.nn.max_pool if kind == "max" else tf.nn.avg_pool
    return (case_id, ["MaxPool" if kind == "max" else "AvgPool"],
            lambda x: fn(x, ksize, strides, padding),
            lambda x: np_pool(x, ksize, strides, padding, kind), [x_shape], dtype, opts or {})


def _pool_out(x_shape, ksize, strides, padding):
    return _out_shape(x_shape, (ksize[1], ksize[2], 0, x_shape[3]), strides, padding)


def max_grad(case_id, x_shape, ksize, strides, padding, dtype, opts=None):
    return (case_id, ["MaxPoolGrad"],
            lambda x, g: conv_ops.max_pool_grad(
                x, tf.nn.max_pool(x, ksize, strides, padding), g, ksize, strides, padding),
            lambda x, g: np_max_pool_grad(x, g, ksize, strides, padding),
            [x_shape, _pool_out(x_shape, ksize, strides, padding)], dtype, opts or {})


def max_grad_grad(case_id, x_shape, ksize, strides, padding, dtype):
    return (case_id, ["MaxPoolGradGrad"],
            lambda x, gg: conv_ops.max_pool_grad_grad(
                x, tf.nn.max_pool(x, ksize, strides, padding), gg, ksize, strides, padding),
            lambda x, gg: np_max_pool_grad_grad(x, gg, ksize, strides, padding),
            [x_shape, x_shape], dtype, {})


def avg_grad(case_id, x_shape, ksize, strides, padding, dtype):
    return (case_id, ["AvgPoolGrad"],
            lambda g: conv_ops.avg_pool_grad(x_shape, g, ksize, strides, padding),
            lambda g: np_avg_pool_grad(x_shape, g, ksize, strides, padding),
            [_pool_out(x_shape, ksize, strides, padding)], dtype, {})


S1, S2 = [1, 1, 1, 1], [1, 2, 2, 1]
K2, K3 = [1, 2, 2, 1], [1, 3, 3, 1]

OPS = [
    conv("conv_valid", (2, 7, 8, 3), (3, 3, 3, 4), S1, "VALID", np.float32),
    conv("conv_same_stride2", (2, 9, 8, 3), (3, 3, 3, 5), S2, "SAME", np.float64),
    conv("conv_same_uneven_padding", (1, 8, 7, 2), (4, 2, 2, 3), [1, 3, 2, 1], "SAME",
         np.float32),
    conv("conv_dilated_same", (2, 9, 9, 2), (3, 3, 2, 3), S1, "SAME", np.float64,
         [1, 2, 2, 1]),
    conv("conv_dilated_strided_valid", (1, 11, 10, 3), (2, 3, 3, 2), [1, 2, 1, 1], "VALID",
         np.float32, [1, 1, 3, 1]),
    conv("conv_filter_wider_than_input", (1, 3, 2, 2), (5, 4, 2, 3), S1, "SAME", np.float64),
    conv("conv_pointwise", (2, 5, 6, 7), (1, 1, 7, 9), S1, "SAME", np.float32),
    conv("conv_pointwise_strided", (2, 5, 6, 3), (1, 1, 3, 2), S2, "VALID", np.float64),
    conv("conv_many_blocks", (4, 30, 30, 8), (5, 5, 8, 16), S1, "SAME", np.float32),
    # One channel: patches built a stretch of pixels at a time; blocks end mid-row.
    conv("conv_one_channel_many_blocks", (4, 29, 29, 1), (5, 5, 1, 8), S1, "SAME", np.float32),
    conv("conv_one_channel_strided_dilated", (2, 13, 12, 1), (3, 2, 1, 4), [1, 2, 3, 1], "SAME",
         np.float64, [1, 2, 2, 1]),
    conv("conv_empty_batch", (0, 5, 5, 2), (3, 3, 2, 3), S1, "SAME", np.float32),
    conv("conv_no_channels", (1, 4, 4, 0), (2, 2, 0, 3), S1, "VALID", np.float64),
    input_grad("conv_input_grad_valid", (2, 7, 8, 3), (3, 3, 3, 4), S1, "VALID", np.float32),
    input_grad("conv_input_grad_same_stride2", (2, 9, 8, 3), (3, 3, 3, 5), S2, "SAME",
               np.float64),
    input_grad("conv_input_grad_dilated", (1, 9, 9, 2), (3, 3, 2, 3), S1, "SAME", np.float32,
               [1, 2, 2, 1]),
    input_grad("conv_input_grad_filter_wider_than_input", (2, 3, 2, 2), (5, 4, 2, 3), S2,
               "SAME", np.float64),
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
    filter_grad("conv_filter_grad_filter_wider_than_input", (2, 3, 2, 2), (5, 4, 2, 3), S1,
                "SAME", np.float64),
    filter_grad("conv_filter_grad_pointwise", (2, 5, 6, 7), (1, 1, 7, 9), S1, "SAME",
                np.float32),
    filter_grad("conv_filter_grad_many_blocks", (4, 30, 30, 8), (5, 5, 8, 16), S1, "SAME",
                np.float64),
    filter_grad("conv_filter_grad_one_channel_many_blocks", (4, 29, 29, 1), (5, 5, 1, 8), S1,
                "SAME", np.float64),
    filter_grad("conv_filter_grad_empty_batch", (0, 5, 5, 2), (3, 3, 2, 3), S1, "SAME",
                np.float32),
    ("conv2d_transpose", ["Conv2DBackpropInput"],
     lambda v, w: tf.nn.conv2d_transpose(v, w, [2, 8, 8, 3], S2),
     lambda v, w: np_conv2d_backprop_input((2, 8, 8, 3), w, v, S2, "SAME"),
     [(2, 4, 4, 5), (3, 3, 3, 5)], np.float32, {}),
    pool("max_pool_valid", "max", (2, 6, 7, 3), K2, S2, "VALID", np.float32),
    pool("max_pool_same_overlapping", "max", (2, 7, 6, 4), K3, S2, "SAME", np.float64),
    pool("max_pool_int", "max", (1, 5, 5, 2), K3, S1, "SAME", np.int32),
    pool("max_pool_int64", "max", (1, 4, 6, 2), [1, 2, 3, 1], [1, 2, 3, 1], "VALID", np.int64),
    pool("avg_pool_valid", "avg", (2, 6, 7, 3), K2, S2, "VALID", np.float32),
    pool("avg_pool_same_counts_valid_only", "avg", (2, 7, 6, 4), K3, S2, "SAME", np.float64),
    pool("avg_pool_same_big_window", "avg", (1, 5, 4, 2), [1, 4, 3, 1], [1, 1, 2, 1], "SAME",
         np.float32),
    pool("max_pool_empty_batch", "max", (0, 4, 4, 2), K2, S2, "SAME", np.float32),
    max_grad("max_pool_grad_valid", (2, 6, 7, 3), K2, S2, "VALID", np.float32),
    max_grad("max_pool_grad_overlapping", (2, 7, 6, 4), K3, S2, "SAME", np.float64),
    max_grad("max_pool_grad_ties_go_to_first", (2, 6, 6, 3), K3, S1, "SAME", np.int32,
             {"small_ints": True}),
    max_grad_grad("max_pool_grad_grad_same", (2, 5, 6, 3), K3, S2, "SAME", np.float32),
    max_grad_grad("max_pool_grad_grad_valid", (3, 6, 4, 2), K2, [1, 1, 2, 1], "VALID",
                  np.float64),
    max_grad_grad("max_pool_grad_grad_large", (8, 32, 32, 16), K3, S2, "SAME", np.float32),
    avg_grad("avg_pool_grad_valid", (2, 6, 7, 3), K2, S2, "VALID", np.float32),
    avg_grad("avg_pool_grad_same", (2, 7, 6, 4), K3, S2, "SAME", np.float64),
]


GRADS = [
    ("conv2d_valid", ["Conv2D"], lambda x, w: tf.nn.conv2d(x, w, 1, "VALID"),
     [(1, 4, 3, 2), (2, 2, 2, 2)], {}),
    ("conv2d_same_strided", ["Conv2D"], lambda x, w: tf.nn.conv2d(x, w, S2, "SAME"),
     [(2, 3, 4, 1), (3, 2, 1, 2)], {}),
    ("conv2d_dilated", ["Conv2D"], lambda x, w: tf.nn.conv2d(x, w, 1, "SAME", dilations=2),
     [(1, 4, 4, 1), (2, 2, 1, 2)], {}),
    ("conv2d_backprop_input", ["Conv2DBackpropInput"],
     lambda w, dy: tf.nn.conv2d_backprop_input([1, 4, 3, 2], w, dy, S1, "VALID"),
     [(2, 2, 2, 2), (1, 3, 2, 2)], {}),
    ("conv2d_transpose_strided", ["Conv2DBackpropInput"],
     lambda w, dy: tf.nn.conv2d_transpose(dy, w, [1, 5, 4, 1], S2, "SAME"),
     [(3, 3, 1, 2), (1, 3, 2, 2)], {}),
    ("conv2d_backprop_filter", ["Conv2DBackpropFilter"],
     lambda x, dy: tf.nn.conv2d_backprop_filter(x, [2, 2, 2, 2], dy, S1, "VALID"),
     [(1, 4, 3, 2), (1, 3, 2, 2)], {}),
    ("conv2d_backprop_filter_dilated", ["Conv2DBackpropFilter"],
     lambda x, dy: tf.nn.conv2d_backprop_filter(x, [2, 2, 1, 2], dy, [1, 1, 2, 1], "SAME",
                                                dilations=[1, 2, 1, 1]),
     [(1, 4, 4, 1), (1, 4, 2, 2)], {}),
    ("max_pool", ["MaxPool"], lambda x: tf.nn.max_pool(x, 2, 2, "SAME"), [(1, 3, 5, 2)], {}),
    ("max_pool_overlapping", ["MaxPool"], lambda x: tf.nn.max_pool(x, K3, [1, 1, 2, 1], "VALID"),
     [(2, 4, 5, 1)], {}),
    ("avg_pool", ["AvgPool"], lambda x: tf.nn.avg_pool(x, [1, 2, 3, 1], [1, 1, 2, 1], "SAME"),
     [(2, 3, 4, 1)], {}),
    ("max_pool_grad", ["MaxPoolGrad"],
     lambda x, g: conv_ops.max_pool_grad(x, tf.nn.max_pool(x, K2, S2, "SAME"), g, K2, S2,
                                         "SAME"), [(1, 3, 4, 2), (1, 2, 2, 2)], {}),
    ("max_pool_grad_grad", ["MaxPoolGradGrad"],
     lambda x, gg: conv_ops.max_pool_grad_grad(x, tf.nn.max_pool(x, K3, S2, "VALID"), gg, K3,
                                               S2, "VALID"), [(1, 4, 5, 1), (1, 4, 5, 1)], {}),
    ("avg_pool_grad", ["AvgPoolGrad"],
     lambda g: conv_ops.avg_pool_grad([1, 5, 4, 2], g, K3, S2, "SAME"), [(1, 3, 2, 2)], {}),
]


# ---- depthwise and separable convolutions: np_conv2d on each channel ----


def np_depthwise(x, w, strides, padding, dilations=(1, 1, 1, 1)):
    """Channel c of x convolved with w[:, :, c] gives output channels c * M ... c * M + M - 1."""
    per_channel = [np_conv2d(x[..., c:c + 1], w[:, :, c:c + 1], strides, padding, dilations)
                   for c in range(x.shape[3])]
    return np.stack(per_channel, -2).reshape(per_channel[0].shape[:3] + (x.shape[3] * w.shape[3],))


def np_depthwise_backprop_input(in_shape, w, g, strides, padding, dilations=(1, 1, 1, 1)):
    m = w.shape[3]
    return np.concatenate([
        np_conv2d_backprop_input(in_shape[:3] + (1,), w[:, :, c:c + 1],
                                 g[..., c * m:(c + 1) * m], strides, padding, dilations)
        for c in range(in_shape[3])], -1)


def np_depthwise_backprop_filter(x, w_shape, g, strides, padding, dilations=(1, 1, 1, 1)):
    m = w_shape[3]
    return np.concatenate([
        np_conv2d_backprop_filter(x[..., c:c + 1], w_shape[:2] + (1, m),
                                  g[..., c * m:(c + 1) * m], strides, padding, dilations)
        for c in range(x.shape[3])], 2)


def _depthwise_out(x_shape, w_shape, strides, padding, dilations=(1, 1, 1, 1)):
    n, oh, ow, _ = _out_shape(x_shape, w_shape, strides, padding, dilations)
    return (n, oh, ow, w_shape[2] * w_shape[3])


def depthwise(case_id, x_shape, w_shape, strides, padding, dtype, rate=None):
    dilations = [1, rate, rate, 1] if rate else [1, 1, 1, 1]
    return (case_id, ["DepthwiseConv2dNative"],
            lambda x, w: tf.nn.depthwise_conv2d(x, w, strides, padding, rate=rate and [rate] * 2),
            lambda x, w: np_depthwise(x, w, strides, padding, dilations),
            [x_shape, w_shape], dtype, {})


def depthwise_input_grad(case_id, x_shape, w_shape, strides, padding, dtype):
    return (case_id, ["DepthwiseConv2dNativeBackpropInput"],
            lambda w, g: ops.apply_op("DepthwiseConv2dNativeBackpropInput",
                                      [tf.constant(np.array(x_shape, np.int32)), w, g],
                                      {"strides": strides, "padding": padding}).outputs[0],
            lambda w, g: np_depthwise_backprop_input(x_shape, w, g, strides, padding),
            [w_shape, _depthwise_out(x_shape, w_shape, strides, padding)], dtype, {})


def depthwise_filter_grad(case_id, x_shape, w_shape, strides, padding, dtype):
    return (case_id, ["DepthwiseConv2dNativeBackpropFilter"],
            lambda x, g: ops.apply_op("DepthwiseConv2dNativeBackpropFilter",
                                      [x, tf.constant(np.array(w_shape, np.int32)), g],
                                      {"strides": strides, "padding": padding}).outputs[0],
            lambda x, g: np_depthwise_backprop_filter(x, w_shape, g, strides, padding),
            [x_shape, _depthwise_out(x_shape, w_shape, strides, padding)], dtype, {})


def _np_conv1d(x, w, stride, padding, dilation=1):
    return np_conv2d(x[:, None], w[None], [1, 1, stride, 1], padding, [1, 1, dilation, 1])[:, 0]


OPS += [
    depthwise("depthwise_valid", (2, 6, 7, 3), (3, 3, 3, 1), S1, "VALID", np.float32),
    depthwise("depthwise_multiplier_same_stride2", (2, 7, 6, 4), (3, 2, 4, 3), S2, "SAME",
              np.float64),
    depthwise("depthwise_rate", (1, 9, 8, 2), (3, 3, 2, 2), S1, "SAME", np.float64, rate=2),
    depthwise("depthwise_many_channels", (2, 12, 11, 37), (3, 3, 37, 1), S1, "SAME",
              np.float32),
    depthwise("depthwise_filter_wider_than_input", (1, 3, 2, 2), (5, 4, 2, 2), S1, "SAME",
              np.float64),
    depthwise("depthwise_empty_batch", (0, 4, 4, 2), (2, 2, 2, 1), S1, "SAME", np.float32),
    depthwise_input_grad("depthwise_input_grad_valid", (2, 6, 7, 3), (3, 3, 3, 1), S1, "VALID",
                         np.float32),
    depthwise_input_grad("depthwise_input_grad_multiplier", (2, 7, 6, 4), (3, 2, 4, 3), S2,
                         "SAME", np.float64),
    depthwise_input_grad("depthwise_input_grad_many_channels", (3, 10, 9, 33), (3, 3, 33, 2),
                         S1, "SAME", np.float32),
    depthwise_filter_grad("depthwise_filter_grad_valid", (2, 6, 7, 3), (3, 3, 3, 1), S1,
                          "VALID", np.float64),
    depthwise_filter_grad("depthwise_filter_grad_multiplier", (2, 7, 6, 4), (3, 2, 4, 3), S2,
                          "SAME", np.float64),
    depthwise_filter_grad("depthwise_filter_grad_many_channels", (3, 10, 9, 33), (3, 3, 33, 2),
                          S1, "SAME", np.float32),
    ("separable_conv2d", ["DepthwiseConv2dNative", "Conv2D"],
     lambda x, d, p: tf.nn.separable_conv2d(x, d, p, S1, "SAME"),
     lambda x, d, p: np_conv2d(np_depthwise(x, d, S1, "SAME"), p, S1, "VALID"),
     [(2, 5, 6, 3), (3, 3, 3, 2), (1, 1, 6, 4)], np.float64, {}),
    ("separable_conv2d_rate", ["DepthwiseConv2dNative", "Conv2D"],
     lambda x, d, p: tf.nn.separable_conv2d(x, d, p, S1, "VALID", rate=[2, 2]),
     lambda x, d, p: np_conv2d(np_depthwise(x, d, S1, "VALID", [1, 2, 2, 1]), p, S1, "VALID"),
     [(1, 7, 8, 2), (2, 2, 2, 1), (1, 1, 2, 3)], np.float32, {}),
    ("conv1d", ["Conv2D"], lambda x, w: tf.nn.conv1d(x, w, 2, "SAME"),
     lambda x, w: _np_conv1d(x, w, 2, "SAME"), [(2, 9, 3), (3, 3, 4)], np.float32, {}),
    ("conv1d_dilated", ["Conv2D"], lambda x, w: tf.nn.conv1d(x, w, [1, 1, 1], "VALID",
                                                             dilations=2),
     lambda x, w: _np_conv1d(x, w, 1, "VALID", 2), [(1, 10, 2), (3, 2, 3)], np.float64, {}),
    ("atrous_conv2d", ["Conv2D"], lambda x, w: tf.nn.atrous_conv2d(x, w, 2, "SAME"),
     lambda x, w: np_conv2d(x, w, S1, "SAME", [1, 2, 2, 1]), [(2, 8, 7, 2), (3, 3, 2, 3)],
     np.float32, {}),
    ("convolution_1d", ["Conv2D"],
     lambda x, w: tf.nn.convolution(x, w, "SAME", strides=[1], dilation_rate=[3]),
     lambda x, w: _np_conv1d(x, w, 1, "SAME", 3), [(2, 9, 3), (2, 3, 2)], np.float64, {}),
    ("convolution_2d", ["Conv2D"],
     lambda x, w: tf.nn.convolution(x, w, "VALID", strides=[2, 1]),
     lambda x, w: np_conv2d(x, w, [1, 2, 1, 1], "VALID"), [(1, 7, 6, 2), (2, 3, 2, 2)],
     np.float32, {}),
]

GRADS += [
    ("depthwise_conv2d", ["DepthwiseConv2dNative"],
     lambda x, w: tf.nn.depthwise_conv2d(x, w, S2, "SAME"), [(2, 4, 3, 2), (2, 2, 2, 2)], {}),
    ("depthwise_conv2d_rate", ["DepthwiseConv2dNative"],
     lambda x, w: tf.nn.depthwise_conv2d(x, w, S1, "VALID", rate=[2, 1]),
     [(1, 5, 4, 3), (2, 2, 3, 1)], {}),
    ("depthwise_backprop_input", ["DepthwiseConv2dNativeBackpropInput"],
     lambda w, dy: ops.apply_op("DepthwiseConv2dNativeBackpropInput",
                                [tf.constant([1, 4, 3, 2]), w, dy],
                                {"strides": S1, "padding": "VALID"}).outputs[0],
     [(2, 2, 2, 2), (1, 3, 2, 4)], {}),
    ("depthwise_backprop_filter", ["DepthwiseConv2dNativeBackpropFilter"],
     lambda x, dy: ops.apply_op("DepthwiseConv2dNativeBackpropFilter",
                                [x, tf.constant([2, 2, 2, 2]), dy],
                                {"strides": S2, "padding": "SAME"}).outputs[0],
     [(1, 4, 3, 2), (1, 2, 2, 4)], {}),
    ("separable_conv2d", ["DepthwiseConv2dNative", "Conv2D"],
     lambda x, d, p: tf.nn.separable_conv2d(x, d, p, S1, "SAME"),
     [(1, 3, 4, 2), (2, 2, 2, 2), (1, 1, 4, 2)], {}),
]


def test_depthwise_conv2d_same_bits_for_any_thread_count(rng):
    x = tf.constant(rng.standard_normal((5, 9, 8, 16)).astype(np.float32))
    w = tf.constant(rng.standard_normal((3, 3, 16, 2)).astype(np.float32))
    y = tf.nn.depthwise_conv2d(x, w, S1, "SAME")
    grads = tf.gradients(tf.reduce_sum(y * y), [x, w])
    one, two = run_with_threads([y] + grads)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("build, match", [
    (lambda: tf.nn.depthwise_conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([2, 2, 3, 1]), S1,
                                    "SAME"), "Depth of input"),
    (lambda: tf.nn.depthwise_conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([2, 2, 2, 1]), S2,
                                    "SAME", rate=2), "strides > 1"),
    (lambda: tf.nn.atrous_conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([2, 2, 2, 1]), 0, "SAME"),
     "cannot be less than one"),
    (lambda: tf.nn.separable_conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([2, 2, 2, 1]),
                                    tf.zeros([2, 1, 2, 3]), S1, "SAME"), "1x1"),
    (lambda: tf.nn.depthwise_conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([2, 2, 2, 1]), S1,
                                    "FULL"), "padding"),
])
def test_depthwise_and_atrous_argument_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_separable_conv2d_layer_matches_numpy(rng):
    x = rng.standard_normal((2, 6, 5, 3)).astype(np.float32)
    layer = tf.layers.SeparableConv2D(4, 3, padding="same", depth_multiplier=2,
                                      activation=tf.nn.relu,
                                      bias_initializer=tf.constant_initializer(0.1))
    y = layer.apply(tf.constant(x))
    assert [v.name for v in layer.trainable_variables] == [
        "separable_conv2d/depthwise_kernel:0", "separable_conv2d/pointwise_kernel:0",
        "separable_conv2d/bias:0"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, d, p = sess.run([y, layer.depthwise_kernel, layer.pointwise_kernel])
    assert d.shape == (3, 3, 3, 2) and p.shape == (1, 1, 6, 4)
    want = np.maximum(np_conv2d(np_depthwise(x, d, S1, "SAME"), p, S1, "VALID") + 0.1, 0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    z = tf.layers.separable_conv2d(tf.constant(x), 2, (2, 3), strides=2)
    assert z.shape.as_list() == [2, 3, 2, 2]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed, rng):
    check_op(case, feed, rng)


# ---- the direct convolution (float32 with AVX2 or AVX-512): every vector width it runs
# (the GEMM micro-kernel choice gives it its vectors; avx512-layout: AVX2 vectors) ----

# (input shape, filter shape, strides, padding, dilations): first layers of 1-3 channels,
# rows not a whole number of tiles, channels past one block and not whole vectors, strides,
# dilations, VALID and SAME, a filter wider than the input. One input channel with unit
# stride and dilation along the rows and at most 64 taps takes the tiles that read a patch:
# vertical strides and dilations, rows of 33 and 4 pixels, 64 taps and 81 (the other tiles),
# and the input gradient of a layer with one output channel. Filter rows that fall on the
# padding for every pixel of a tile are skipped (the pads of SAME, a filter taller than the
# input, a vertical dilation).
DIRECT_CASES = [
    ((3, 28, 28, 1), (5, 5, 1, 32), S1, "SAME", S1),
    ((2, 17, 33, 1), (3, 3, 1, 70), [1, 2, 1, 1], "SAME", S1),
    ((2, 15, 20, 1), (8, 8, 1, 16), S1, "SAME", [1, 2, 1, 1]),
    ((2, 5, 4, 1), (5, 5, 1, 40), S1, "SAME", S1),
    ((1, 12, 12, 1), (9, 9, 1, 8), S1, "VALID", S1),
    ((2, 9, 11, 3), (3, 3, 3, 1), S1, "SAME", S1),
    ((2, 13, 11, 3), (3, 3, 3, 17), S1, "SAME", S1),
    ((2, 9, 10, 2), (3, 2, 2, 70), [1, 2, 3, 1], "VALID", S1),
    ((2, 14, 14, 32), (5, 5, 32, 64), S1, "SAME", S1),
    ((1, 12, 9, 5), (3, 3, 5, 33), S1, "VALID", [1, 2, 2, 1]),
    ((2, 7, 19, 4), (2, 4, 4, 129), [1, 3, 2, 1], "SAME", S1),
    ((1, 3, 2, 2), (5, 4, 2, 3), S1, "SAME", S1),
    ((1, 1, 30, 6), (1, 3, 6, 8), S1, "SAME", [1, 1, 3, 1]),
    ((11, 6, 5, 2), (2, 3, 2, 5), S1, "VALID", [1, 2, 1, 1]),
    # Filter rows over the padding, skipped where every pixel of a tile has them there: a
    # vertical dilation reaching past the input from both sides.
    ((2, 6, 9, 8), (4, 3, 8, 16), S1, "SAME", [1, 3, 1, 1]),
    # Tiles of one output row (a pointer and the pixels' step known to the compiler) beside
    # tiles across the rows' ends: 14-pixel tiles of one or two vectors whose step (stride_w
    # times in_c) is 16, 32 or 64; contiguous and dilated taps.
    ((2, 9, 20, 32), (3, 3, 32, 32), S1, "SAME", S1),
    ((1, 11, 40, 16), (3, 3, 16, 24), [1, 1, 2, 1], "VALID", S1),
    ((1, 8, 30, 64), (3, 3, 64, 20), S1, "SAME", [1, 1, 2, 1]),
    ((2, 6, 17, 16), (3, 3, 16, 8), S1, "SAME", S1),
]


def _direct_results(x, w, g, strides, padding, dilations, threads=2):
    """Conv2D (constant and fed filter), its input gradient and its filter gradient, as
    float32 arrays; then the filter gradient again, its out_backprop computed in the graph (a
    buffer of the executor's, which the direct filter gradient may read in place)."""
    graph = tf.Graph()
    with graph.as_default():
        fed = tf.placeholder(tf.float32, w.shape)
        ys = [tf.nn.conv2d(x, w_, strides, padding, dilations=dilations) for w_ in (w, fed)]
        dx = tf.nn.conv2d_backprop_input(x.shape, fed, g, strides, padding,
                                         dilations=dilations)
        dw = tf.nn.conv2d_backprop_filter(x, w.shape, g, strides, padding, dilations=dilations)
        computed = tf.placeholder(tf.float32, g.shape) * 1.0
        dw_computed = tf.nn.conv2d_backprop_filter(x, w.shape, computed, strides, padding,
                                                   dilations=dilations)
        config = tf.ConfigProto(intra_op_parallelism_threads=threads)
        with tf.Session(config=config) as sess:
            return sess.run(ys + [dx, dw, dw_computed], {fed: w, computed.op.inputs[0]: g})


@pytest.mark.parametrize("case", DIRECT_CASES, ids=[str(c[1]) for c in DIRECT_CASES])
def test_direct_conv_matches_numpy_and_agrees_bitwise_across_vector_widths(case, rng):
    x_shape, w_shape, strides, padding, dilations = case
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    g = rng.standard_normal(_out_shape(x_shape, w_shape, strides, padding, dilations))
    g = g.astype(np.float32)
    want_y = np_conv2d(x.astype(np.float64), w.astype(np.float64), strides, padding, dilations)
    want_dx = np_conv2d_backprop_input(x_shape, w.astype(np.float64), g, strides, padding,
                                       dilations)
    want_dw = np_conv2d_backprop_filter(x.astype(np.float64), w_shape, g, strides, padding,
                                        dilations)
    # Every value the direct convolution computes (the forward pass; the input gradient with
    # stride 1) is made by the same additions in the same order, whatever the vector width and
    # the number of threads; the filter gradient's, whatever the vector width.
    direct = [0, 1] + ([2] if strides == S1 else [])
    results = {}
    try:
        for name in runnable_gemm_kernels(("avx2", "avx512", "avx512-layout")):
            _config.set_gemm_kernel(name)
            results[name] = _direct_results(x, w, g, strides, padding, dilations)
            one_thread = _direct_results(x, w, g, strides, padding, dilations, threads=1)
            for i in direct:
                np.testing.assert_array_equal(results[name][i], one_thread[i])
    finally:
        _config.set_gemm_kernel("auto")
    scale = np.sqrt(np.prod(w_shape[:3]))
    pixels = np.sqrt(np.prod(g.shape[:3]))
    for name, (y_const, y_fed, dx, dw, dw_computed) in results.items():
        np.testing.assert_array_equal(y_const, y_fed)
        np.testing.assert_array_equal(dw, dw_computed)
        np.testing.assert_allclose(y_const, want_y, rtol=1e-4, atol=1e-5 * scale)
        np.testing.assert_allclose(dx, want_dx, rtol=1e-4, atol=1e-5 * scale)
        np.testing.assert_allclose(dw, want_dw, rtol=1e-4, atol=1e-5 * pixels)
    first = next(iter(results.values()), ())
    for others in results.values():
        for i in direct + [3]:
            np.testing.assert_array_equal(first[i], others[i])


# ---- float32 pooling: every vector width (the GEMM micro-kernel choice gives pooling its
# vectors; generic: one lane) gives the same bits ----

# (input shape, ksize, strides, padding): channels of 1, 3, 17 and 33 (not whole vectors), odd
# sizes, SAME and VALID, disjoint windows (the vectorised gradient) and overlapping ones.
POOL_CASES = [
    ((2, 7, 9, 1), K2, S2, "SAME"),
    ((3, 9, 7, 3), K2, S2, "VALID"),
    ((2, 11, 10, 17), K3, [1, 3, 2, 1], "SAME"),
    ((1, 13, 12, 33), [1, 2, 3, 1], [1, 2, 3, 1], "VALID"),
    ((2, 8, 8, 32), K2, S2, "VALID"),
    ((1, 9, 8, 33), K3, S2, "SAME"),
    ((2, 6, 5, 16), [1, 1, 2, 1], [1, 3, 2, 1], "SAME"),
]


def _pool_results(x, g, ksize, strides, padding):
    """MaxPool, AvgPool and MaxPoolGrad (and the three over two threads) as float32 arrays."""
    graph = tf.Graph()
    with graph.as_default():
        y_max = tf.nn.max_pool(x, ksize, strides, padding)
        y_avg = tf.nn.avg_pool(x, ksize, strides, padding)
        d_max = conv_ops.max_pool_grad(x, y_max, g, ksize, strides, padding)
    with tf.Session(graph=graph) as sess:
        return sess.run([y_max, y_avg, d_max])


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_avg_pool_sums_each_window_in_row_major_order_from_zero(padding, rng):
    # Whole 2x2 windows (their own path) and the clipped ones at a SAME edge alike: float32
    # ((((0 + x00) + x01) + x10) + x11) * (1 / count), so -0.0 windows give +0.0, in every
    # vector width.
    x = rng.standard_normal((2, 7, 9, 35)).astype(np.float32) * np.float32(1e3)
    x[rng.random(x.shape) < 0.3] = -0.0
    x[0, :2, :2, :] = -0.0
    windows = _windows(x.shape, K2, S2, padding)
    want = None
    for a, b, rows, cols, oh, ow in windows:
        if want is None:
            want = np.zeros((x.shape[0], oh, ow, x.shape[3]), np.float32)
        total = np.zeros((x.shape[0], x.shape[3]), np.float32)
        for r in range(rows.start, rows.stop):
            for q in range(cols.start, cols.stop):
                total = total + x[:, r, q]
        count = (rows.stop - rows.start) * (cols.stop - cols.start)
        want[:, a, b] = total * (np.float32(1) / np.float32(count))
    try:
        for name in runnable_gemm_kernels():
            _config.set_gemm_kernel(name)
            got = tf.Session().run(tf.nn.avg_pool(x, K2, S2, padding))
            assert got.tobytes() == want.tobytes(), name
    finally:
        _config.set_gemm_kernel("auto")


@pytest.mark.parametrize("x_shape,padding", [((2, 7, 9, 35), "SAME"), ((2, 7, 9, 35), "VALID"),
                                             ((3, 6, 4, 16), "VALID")])
def test_avg_pool_grad_of_disjoint_windows_is_zero_plus_each_share(x_shape, padding, rng):
    # Each input pixel of a window gets float32 0 + g * (1 / count) (a -0.0 gradient gives
    # +0.0), the pixels of no window (the last row and column in VALID) 0, in every width.
    out_shape = _pool_out(x_shape, K2, S2, padding)
    g = rng.standard_normal(out_shape).astype(np.float32)
    g[rng.random(out_shape) < 0.2] = -0.0
    want = np.zeros(x_shape, np.float32)
    for a, b, rows, cols, _, _ in _windows(x_shape, K2, S2, padding):
        count = (rows.stop - rows.start) * (cols.stop - cols.start)
        share = np.float32(0) + g[:, a, b] * (np.float32(1) / np.float32(count))
        want[:, rows, cols] = share[:, None, None, :]
    try:
        for name in runnable_gemm_kernels():
            _config.set_gemm_kernel(name)
            got = tf.Session().run(conv_ops.avg_pool_grad(x_shape, g, K2, S2, padding))
            assert got.tobytes() == want.tobytes(), name
    finally:
        _config.set_gemm_kernel("auto")


@pytest.mark.parametrize("case", POOL_CASES, ids=[f"{c[0]}-{c[3]}" for c in POOL_CASES])
def test_pooling_matches_numpy_and_agrees_bitwise_across_vector_widths(case, rng):
    x_shape, ksize, strides, padding = case
    # Small integers make ties (the gradient goes to the first maximum); a -0.0 gradient
    # checks that 0 + g is what is written.
    x = rng.integers(-2, 3, size=x_shape).astype(np.float32)
    x[..., 0] += rng.standard_normal(x_shape[:3]).astype(np.float32)
    g_shape = _out_shape(x_shape, (ksize[1], ksize[2], 1, x_shape[3]), strides, padding)
    g = rng.standard_normal(g_shape).astype(np.float32)
    g.flat[0] = -0.0
    # NaNs (never a maximum after a window's first pixel) and signed zeros (equal, so ties)
    # have no NumPy reference with these rules: only checked to agree across vector widths.
    special = x.copy()
    special[rng.random(x_shape) < 0.1] = np.nan
    special[rng.random(x_shape) < 0.2] = -0.0
    special[rng.random(x_shape) < 0.2] = 0.0
    results, special_results = {}, {}
    try:
        for name in runnable_gemm_kernels():
            _config.set_gemm_kernel(name)
            results[name] = _pool_results(x, g, ksize, strides, padding)
            special_results[name] = _pool_results(special, g, ksize, strides, padding)
    finally:
        _config.set_gemm_kernel("auto")
    want = [np_pool(x, ksize, strides, padding, "max"),
            np_pool(x, ksize, strides, padding, "avg"),
            np_max_pool_grad(x, g, ksize, strides, padding)]
    first = results["generic"]
    np.testing.assert_array_equal(first[0], want[0])
    np.testing.assert_allclose(first[1], want[1], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(first[2], want[2], rtol=1e-6, atol=1e-6)
    for name in results:
        for a, b in zip(first + special_results["generic"],
                        results[name] + special_results[name]):
            assert a.tobytes() == b.tobytes(), name


@pytest.mark.parametrize("forward,backprop", [
    (lambda x: tf.nn.conv2d(x, tf.ones([2, 2, 2, 3]), S2, "SAME"),
     {"Conv2DBackpropInput", "Conv2DBackpropFilter"}),
    (lambda x: tf.nn.max_pool(x, K2, S2, "VALID"), {"MaxPoolGrad"}),
    (lambda x: tf.nn.avg_pool(x, K3, S1, "SAME"), {"AvgPoolGrad"}),
])
def test_gradients_use_the_backprop_kernels(forward, backprop):
    x = tf.placeholder(tf.float32, [1, 4, 4, 2])
    tf.gradients(forward(x), x)
    types = {op.type for op in tf.get_default_graph()._ops}
    assert backprop <= types


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


def test_pool_gradients_match_finite_differences(rng):
    x = rng.standard_normal((1, 5, 6, 2))
    g = rng.standard_normal(_pool_out(x.shape, K3, S2, "SAME"))
    xs = tf.placeholder(tf.float64, x.shape)
    ymax = tf.reduce_sum(tf.nn.max_pool(xs, K3, S2, "SAME") * g)
    yavg = tf.reduce_sum(tf.nn.avg_pool(xs, K3, S2, "SAME") * g)
    with tf.Session() as sess:
        dmax = sess.run(conv_ops.max_pool_grad(x, tf.nn.max_pool(x, K3, S2, "SAME"), g, K3, S2,
                                               "SAME"))
        davg = sess.run(conv_ops.avg_pool_grad(x.shape, g, K3, S2, "SAME"))
        for i in np.ndindex(*x.shape):
            want = _finite_difference(lambda v: sess.run(ymax, {xs: v}), x, i)
            np.testing.assert_allclose(dmax[i], want, rtol=1e-6, atol=1e-6)
            want = _finite_difference(lambda v: sess.run(yavg, {xs: v}), x, i)
            np.testing.assert_allclose(davg[i], want, rtol=1e-6, atol=1e-6)


# ---- errors ----


def test_window_attributes_accept_an_int_or_two_values(rng):
    x = rng.standard_normal((1, 7, 8, 2)).astype(np.float32)
    w = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    with tf.Session() as sess:
        got = sess.run([tf.nn.conv2d(x, w, 2, "SAME"), tf.nn.conv2d(x, w, [2, 1], "VALID"),
                        tf.nn.max_pool(x, 2, [2], "SAME"), tf.nn.avg_pool(x, [3, 2], 2, "VALID")])
    np.testing.assert_allclose(got[0], np_conv2d(x, w, S2, "SAME"), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], np_conv2d(x, w, [1, 2, 1, 1], "VALID"), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_array_equal(got[2], np_pool(x, K2, S2, "SAME", "max"))
    np.testing.assert_allclose(got[3], np_pool(x, [1, 3, 2, 1], S2, "VALID", "avg"), rtol=1e-6)
    with pytest.raises(ValueError, match="length 1, 2 or 4"):
        tf.nn.conv2d(x, w, [1, 1, 1], "SAME")


def test_conv2d_shape_inference_with_unknown_dims():
    x = tf.placeholder(tf.float32, [None, 28, None, 3])
    y = tf.nn.conv2d(x, tf.zeros([5, 5, 3, 8]), S2, "SAME")
    assert y.shape.as_list() == [None, 14, None, 8]
    assert tf.nn.max_pool(y, K2, S2, "VALID").shape.as_list() == [None, 7, None, 8]


@pytest.mark.parametrize("kwargs,match", [
    ({"data_format": "NCHW"}, "NHWC"),
    ({"padding": "FULL"}, "padding"),
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
    with pytest.raises(ValueError, match="input_sizes must hold 4 values"):
        tf.nn.conv2d_backprop_input([1, 5, 5], tf.zeros([3, 3, 2, 4]), tf.zeros([1, 5, 5, 4]),
                                    S1, "SAME")
    with pytest.raises(ValueError, match="out_backprop"):
        tf.nn.conv2d_backprop_filter(tf.zeros([1, 5, 5, 2]), [3, 3, 2, 4],
                                     tf.zeros([1, 3, 3, 5]), S1, "VALID")
    with pytest.raises(ValueError):
        tf.nn.max_pool(tf.zeros([1, 5, 5]), K2, S2, "SAME")
    with pytest.raises(ValueError, match="batch or depth"):
        tf.nn.max_pool(tf.zeros([1, 5, 5, 2]), [2, 2, 2, 1], S2, "SAME")


def test_conv2d_rejects_integer_inputs():
    with pytest.raises(TypeError):
        tf.nn.conv2d(tf.zeros([1, 5, 5, 2], tf.int32), tf.zeros([3, 3, 2, 4], tf.int32), S1,
                     "SAME")
    with pytest.raises(TypeError):
        tf.nn.avg_pool(tf.zeros([1, 5, 5, 2], tf.int32), K2, S2, "SAME")


@pytest.mark.parametrize("build,match", [
    (lambda dy: tf.nn.conv2d_backprop_input([1, 5, 5, 2], tf.ones([3, 3, 2, 4]), dy, S1, "SAME"),
     "out_backprop has shape"),
    (lambda dy: tf.nn.conv2d_backprop_filter(tf.ones([1, 5, 5, 2]), [3, 3, 2, 4], dy, S1,
                                             "SAME"), "out_backprop has shape"),
    (lambda dy: conv_ops.max_pool_grad(tf.ones([1, 4, 4, 2]), tf.ones([1, 2, 2, 2]), dy, K2, S2,
                                       "VALID"), "input 2 has shape|grad has shape"),
    (lambda dy: conv_ops.avg_pool_grad([1, 4, 4, 2], dy, K2, S2, "VALID"), "input 1 has shape"),
    (lambda dy: conv_ops.max_pool_grad_grad(tf.ones([1, 4, 4, 2]), tf.ones([1, 2, 2, 2]), dy, K2,
                                            S2, "VALID"), "input 2 has shape|grad has shape"),
])
def test_gradient_kernels_check_partially_known_inputs(build, match):
    # The output's shape is fully known while building; the fed gradient's is not.
    fed = tf.placeholder(tf.float32, [1, None, None, None])
    out = build(fed)
    assert out.shape.is_fully_defined()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match=match):
        sess.run(out, {fed: np.ones((1, 3, 3, 3), np.float32)})


def test_conv2d_backprop_input_with_several_images_per_task(rng):
    # 784 output pixels per image, in blocks of 480 patch rows: a block ends at each image's end.
    w = rng.standard_normal((3, 3, 16, 8)).astype(np.float32)
    g = rng.standard_normal((3, 28, 28, 8)).astype(np.float32)
    out = tf.nn.conv2d_backprop_input([3, 28, 28, 16], w, g, S1, "SAME")
    want = np_conv2d_backprop_input((3, 28, 28, 16), w, g, S1, "SAME")
    for got in run_with_threads(out):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_conv2d_checks_a_partially_known_depth():
    x = tf.placeholder(tf.float32, [1, 3, 3, None])
    out = tf.nn.conv2d(x, tf.ones([3, 3, 2, 4]), S1, "VALID")
    assert out.shape.as_list() == [1, 1, 1, 4]
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="depth"):
        sess.run(out, {x: np.ones((1, 3, 3, 3), np.float32)})


def test_conv2d_mismatch_found_at_run_time():
    x = tf.placeholder(tf.float32, [None, None, None, None])
    y = tf.nn.conv2d(x, tf.zeros([3, 3, 2, 4]), S1, "VALID")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="depth"):
            sess.run(y, {x: np.zeros((1, 5, 5, 3), np.float32)})
        with pytest.raises(tf.errors.InvalidArgumentError, match="negative"):
            sess.run(y, {x: np.zeros((1, 2, 5, 2), np.float32)})
