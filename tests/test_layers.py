"""tf.layers against NumPy, computed from the layers' own variables fetched from the session."""
import numpy as np
import pytest

import tensorlib as tf


def _names(variables):
    return [v.name for v in variables]


def _init_and_run(fetches, feed=None):
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    return sess, sess.run(fetches, feed)


# ---- dense -----------------------------------------------------------------------------------

def test_dense_matches_numpy_and_names_its_variables(rng):
    x = tf.placeholder(tf.float32, [None, 5])
    h = tf.layers.dense(x, 4, activation=tf.nn.relu)
    y = tf.layers.dense(h, 3, use_bias=False)
    assert h.name == "dense/Relu:0" and y.name == "dense_1/MatMul:0"
    assert _names(tf.global_variables()) == ["dense/kernel:0", "dense/bias:0",
                                             "dense_1/kernel:0"]
    assert tf.trainable_variables() == tf.global_variables()
    assert [v.shape.as_list() for v in tf.global_variables()] == [[5, 4], [4], [4, 3]]
    xv = rng.standard_normal((6, 5)).astype(np.float32)
    sess, (hv, yv, (k0, b0, k1)) = _init_and_run([h, y, tf.global_variables()], {x: xv})
    assert not b0.any()
    np.testing.assert_allclose(hv, np.maximum(xv @ k0 + b0, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(yv, hv @ k1, rtol=1e-5, atol=1e-6)
    limit = np.sqrt(6 / (5 + 4))  # glorot_uniform by default
    assert np.abs(k0).max() <= limit


def test_dense_on_rank_3_inputs_and_float64(rng):
    x = tf.placeholder(tf.float64, [None, 3, 4])
    y = tf.layers.dense(x, 2, activation="tanh",
                        bias_initializer=tf.constant_initializer([0.5, -0.5]))
    assert y.shape.as_list() == [None, 3, 2] and y.dtype == tf.float64
    xv = rng.standard_normal((2, 3, 4))
    _, (yv, k, b) = _init_and_run([y] + tf.global_variables(), {x: xv})
    np.testing.assert_allclose(yv, np.tanh(xv @ k + b), rtol=1e-12)
    assert b.tolist() == [0.5, -0.5]


def test_dense_reuse_by_name_and_by_scope():
    x = tf.placeholder(tf.float32, [None, 3])
    tf.layers.dense(x, 2, name="fc")
    again = tf.layers.dense(x, 2, name="fc", reuse=True)
    assert again.name.startswith("fc_1/")  # new ops, same variables
    with tf.variable_scope("model"):
        tf.layers.dense(x, 2)
    with tf.variable_scope("model", reuse=True):
        tf.layers.dense(x, 2)
    with tf.variable_scope("model", reuse=tf.AUTO_REUSE):
        tf.layers.dense(x, 2, name="dense")
    assert _names(tf.global_variables()) == ["fc/kernel:0", "fc/bias:0", "model/dense/kernel:0",
                                             "model/dense/bias:0"]
    with pytest.raises(ValueError, match="Variable fc/kernel already exists"):
        tf.layers.dense(x, 2, name="fc")
    with pytest.raises(ValueError, match="Trying to share variable fc/kernel"):
        tf.layers.dense(x, 3, name="fc", reuse=True)


def test_dense_layer_object_shares_its_variables_between_calls(rng):
    layer = tf.layers.Dense(2, name="shared", kernel_initializer=tf.ones_initializer())
    a = tf.placeholder(tf.float32, [None, 3])
    b = tf.placeholder(tf.float32, [None, 3])
    ya, yb = layer(a), layer.apply(b)
    assert layer.name == "shared" and layer.scope_name == "shared" and layer.built
    assert _names(layer.variables) == ["shared/kernel:0", "shared/bias:0"]
    assert layer.trainable_weights == layer.variables and layer.non_trainable_weights == []
    assert layer.kernel.name == "shared/kernel:0" and len(tf.global_variables()) == 2
    av, bv = rng.standard_normal((2, 2, 3)).astype(np.float32)
    _, (ra, rb) = _init_and_run([ya, yb], {a: av, b: bv})
    np.testing.assert_allclose(ra, av @ np.ones((3, 2)), rtol=1e-6)
    np.testing.assert_allclose(rb, bv @ np.ones((3, 2)), rtol=1e-6)
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(tf.placeholder(tf.float32, [None, 4]))
    names = [tf.layers.Dense(1).name for _ in range(2)]
    assert names == ["dense", "dense_1"]
    with pytest.raises(ValueError, match="has not been used yet"):
        tf.layers.Dense(1).scope_name


def test_dense_trainable_regularizers_and_errors():
    x = tf.constant(np.ones((4, 3), np.float32))
    frozen = tf.layers.Dense(2, trainable=False, kernel_regularizer=lambda w: tf.reduce_sum(w),
                             activity_regularizer=lambda y: tf.reduce_sum(y * 0.0 + 1.0))
    y = frozen(x)
    assert tf.trainable_variables() == [] and len(frozen.non_trainable_weights) == 2
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert losses == frozen.losses and len(losses) == 2
    assert losses[0].name.startswith("dense/kernel/Regularizer/")
    _, (yv, (kernel_sum, activity), k) = _init_and_run([y, losses, frozen.kernel])
    assert np.isclose(kernel_sum, k.sum()) and activity == 8.0 / 4  # summed over the batch
    with pytest.raises(ValueError, match="expected min_ndim=2"):
        tf.layers.dense(tf.constant([1.0, 2.0]), 2)
    with pytest.raises(ValueError, match="last dimension of the inputs to `Dense` should be"):
        tf.layers.dense(tf.placeholder(tf.float32, [2, None]), 2)
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        tf.layers.Dense(2, kernel_size=3)


# ---- convolution and pooling -----------------------------------------------------------------

def _same_or_valid(size, k, stride, padding):
    if padding == "same":
        out = -(-size // stride)
        return out, max((out - 1) * stride + k - size, 0) // 2
    return -(-(size - k + 1) // stride), 0


def _windows(x, kh, kw, strides, dilation, padding, fill):
    """[batch, out_h, out_w, kh, kw, channels] windows of NHWC `x` (padding with `fill`)."""
    n, h, w, c = x.shape
    eh, ew = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    oh, ph = _same_or_valid(h, eh, strides[0], padding)
    ow, pw = _same_or_valid(w, ew, strides[1], padding)
    padded = np.full((n, h + eh + oh * strides[0], w + ew + ow * strides[1], c), fill, x.dtype)
    padded[:, ph:ph + h, pw:pw + w] = x
    out = np.empty((n, oh, ow, kh, kw, c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = padded[:, i * strides[0]:i * strides[0] + eh:dilation[0],
                                  j * strides[1]:j * strides[1] + ew:dilation[1]]
    return out


@pytest.mark.parametrize("kernel_size,strides,padding,dilation", [
    (3, 1, "valid", 1), ((2, 3), (2, 1), "same", 1), (3, 2, "SAME", 1), (2, 1, "same", 2)])
def test_conv2d_matches_numpy(rng, kernel_size, strides, padding, dilation):
    x = tf.placeholder(tf.float32, [None, 7, 6, 3])
    y = tf.layers.conv2d(x, 4, kernel_size, strides=strides, padding=padding,
                         dilation_rate=dilation, activation=tf.nn.relu,
                         bias_initializer=tf.random_normal_initializer(seed=1))
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    st = (strides, strides) if isinstance(strides, int) else strides
    kernel, bias = tf.global_variables()
    assert (kernel.name, bias.name) == ("conv2d/kernel:0", "conv2d/bias:0")
    assert kernel.shape.as_list() == [kh, kw, 3, 4] and y.name == "conv2d/Relu:0"
    xv = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    _, (yv, k, b) = _init_and_run([y, kernel, bias], {x: xv})
    win = _windows(xv, kh, kw, st, (dilation, dilation), padding.lower(), 0.0)
    want = np.maximum(np.einsum("nijabc,abcf->nijf", win, k) + b, 0)
    assert yv.shape == want.shape
    np.testing.assert_allclose(yv, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel_size,strides,padding,dilation", [
    (3, 1, "valid", 1), (2, 2, "same", 1), (3, 1, "causal", 2), (2, 1, "CAUSAL", 1)])
def test_conv1d_matches_numpy(rng, kernel_size, strides, padding, dilation):
    x = tf.placeholder(tf.float32, [None, 9, 3])
    y = tf.layers.conv1d(x, 4, kernel_size, strides=strides, padding=padding,
                         dilation_rate=dilation,
                         bias_initializer=tf.random_normal_initializer(seed=1))
    kernel, bias = tf.global_variables()
    assert kernel.name == "conv1d/kernel:0" and kernel.shape.as_list() == [kernel_size, 3, 4]
    xv = rng.standard_normal((2, 9, 3)).astype(np.float32)
    _, (yv, k, b) = _init_and_run([y, kernel, bias], {x: xv})
    if padding.lower() == "causal":  # zeros before the start: output t sees inputs <= t
        xv = np.concatenate([np.zeros((2, dilation * (kernel_size - 1), 3), np.float32), xv], 1)
        padding = "valid"
    win = _windows(xv[:, None], 1, kernel_size, (1, strides), (1, dilation), padding, 0.0)
    want = np.einsum("nijabc,bcf->nijf", win, k)[:, 0] + b
    assert y.shape.as_list()[1] == want.shape[1]
    np.testing.assert_allclose(yv, want, rtol=1e-4, atol=1e-5)


def test_pooling1d_matches_numpy(rng):
    xv = rng.standard_normal((2, 7, 3)).astype(np.float32)
    mx = tf.layers.max_pooling1d(tf.constant(xv), 2, 2)
    avg = tf.layers.average_pooling1d(tf.constant(xv), 3, 2, padding="same")
    assert mx.shape.as_list() == [2, 3, 3] and avg.shape.as_list() == [2, 4, 3]
    _, (mv, av) = _init_and_run([mx, avg])
    np.testing.assert_array_equal(mv, _windows(xv[:, None], 1, 2, (1, 2), (1, 1), "valid",
                                               -np.inf).max(axis=(3, 4))[:, 0])
    windows = _windows(xv[:, None], 1, 3, (1, 2), (1, 1), "same", np.nan)
    np.testing.assert_allclose(av, np.nanmean(windows, axis=(3, 4))[:, 0], rtol=1e-5)
    with pytest.raises(ValueError, match="expected ndim=3"):
        tf.layers.max_pooling1d(tf.zeros([2, 3]), 2, 2)


def test_conv2d_argument_errors():
    img = tf.placeholder(tf.float32, [None, 4, 4, None])
    with pytest.raises(ValueError, match="channel dimension of the inputs should be defined"):
        tf.layers.conv2d(img, 2, 3)
    with pytest.raises(ValueError, match="`kernel_size` argument must be a tuple of 2"):
        tf.layers.Conv2D(2, (1, 2, 3))
    with pytest.raises(ValueError, match="`padding` argument must be one of"):
        tf.layers.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="`padding` argument must be one of"):
        tf.layers.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="`data_format` argument must be one of"):
        tf.layers.Conv2D(2, 3, data_format="NHWC")
    with pytest.raises(ValueError, match="expected ndim=4"):
        tf.layers.conv2d(tf.zeros([2, 3, 4]), 2, 3)


def _conv_transpose_reference(x, k, strides, padding):
    """NHWC `x` [n, h, w, c] and kernel [kh, kw, f, c] scattered into the output, then cropped
    as the gradient of a convolution of that output size crops it."""
    n, h, w, _ = x.shape
    kh, kw, f, _ = k.shape
    out = []
    for size, kernel, stride in [(h, kh, strides[0]), (w, kw, strides[1])]:
        length = size * stride + (max(kernel - stride, 0) if padding == "valid" else 0)
        pad = max((size - 1) * stride + kernel - length, 0) // 2 if padding == "same" else 0
        out.append((length, pad))
    (oh, ph), (ow, pw) = out
    full = np.zeros((n, max(oh + ph, (h - 1) * strides[0] + kh),
                     max(ow + pw, (w - 1) * strides[1] + kw), f), x.dtype)
    for i in range(h):
        for j in range(w):
            full[:, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw] += \
                np.einsum("nc,abfc->nabf", x[:, i, j], k)
    return full[:, ph:ph + oh, pw:pw + ow]


@pytest.mark.parametrize("kernel_size,strides,padding", [
    (3, 2, "same"), ((3, 2), (2, 1), "valid"), (2, 3, "valid"), (4, 2, "same"), (1, 1, "same")])
def test_conv2d_transpose_matches_numpy(rng, kernel_size, strides, padding):
    x = tf.placeholder(tf.float32, [None, 4, None, 3])
    y = tf.layers.conv2d_transpose(x, 2, kernel_size, strides=strides, padding=padding,
                                   bias_initializer=tf.constant_initializer([0.5, -1.0]))
    kernel, bias = tf.global_variables()
    assert (kernel.name, bias.name) == ("conv2d_transpose/kernel:0", "conv2d_transpose/bias:0")
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    assert kernel.shape.as_list() == [kh, kw, 2, 3]
    assert y.shape.as_list() == [None, 4 * sh + (max(kh - sh, 0) if padding == "valid" else 0),
                                 None, 2]
    xv = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)
    _, (yv, k) = _init_and_run([y, kernel], {x: xv})
    want = _conv_transpose_reference(xv, k, (sh, sw), padding) + [0.5, -1.0]
    np.testing.assert_allclose(yv, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("pool_size,strides,padding", [(2, 2, "valid"), ((3, 2), 1, "same"),
                                                       (3, 2, "same")])
def test_pooling_matches_numpy(rng, pool_size, strides, padding):
    xv = rng.standard_normal((2, 5, 6, 3)).astype(np.float32)
    x = tf.constant(xv)
    mx = tf.layers.max_pooling2d(x, pool_size, strides, padding=padding)
    avg = tf.layers.average_pooling2d(x, pool_size, strides, padding=padding)
    assert mx.name == "max_pooling2d/MaxPool:0" and avg.name.startswith("average_pooling2d/")
    kh, kw = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    st = (strides, strides)
    _, (mv, av) = _init_and_run([mx, avg])
    np.testing.assert_array_equal(mv, _windows(xv, kh, kw, st, (1, 1), padding,
                                               -np.inf).max(axis=(3, 4)))
    windows = _windows(xv, kh, kw, st, (1, 1), padding, np.nan)
    np.testing.assert_allclose(av, np.nanmean(windows, axis=(3, 4)), rtol=1e-5)
    assert tf.layers.MaxPool2D is tf.layers.MaxPooling2D and tf.global_variables() == []


# ---- flatten ---------------------------------------------------------------------------------

def test_flatten_keeps_the_batch_axis(rng):
    xv = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3, 4, 5])
    y = tf.layers.flatten(x)
    first = tf.layers.flatten(x, data_format="channels_first")
    unknown = tf.layers.flatten(tf.placeholder(tf.float32, [None, 3, None]))
    vector = tf.layers.flatten(tf.constant([1.0, 2.0]))
    assert y.shape.as_list() == [None, 60] and unknown.shape.as_list() == [None, None]
    assert y.name == "flatten/Reshape:0" and first.name.startswith("flatten_1/")
    _, (yv, fv, vv) = _init_and_run([y, first, vector], {x: xv})
    np.testing.assert_array_equal(yv, xv.reshape(2, -1))
    np.testing.assert_array_equal(fv, xv.transpose(0, 2, 3, 1).reshape(2, -1))
    assert vv.tolist() == [[1.0], [2.0]]


# ---- dropout ---------------------------------------------------------------------------------

def test_dropout_zeroes_and_scales_when_training(rng):
    xv = rng.uniform(1.0, 2.0, (200, 100)).astype(np.float32)
    x = tf.constant(xv)
    off = tf.layers.dropout(x, rate=0.3)
    on = tf.layers.dropout(x, rate=0.3, training=True, seed=3)
    rows = tf.layers.dropout(x, rate=0.5, noise_shape=[200, 1], training=True, seed=4)
    assert on.name.startswith("dropout_1/")
    _, (ov, nv, rv) = _init_and_run([off, on, rows])
    np.testing.assert_array_equal(ov, xv)
    kept = nv != 0
    np.testing.assert_allclose(nv[kept], xv[kept] / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.01
    row_kept = rv[:, 0] != 0
    assert ((rv != 0) == row_kept[:, None]).all() and 0.35 < row_kept.mean() < 0.65
    np.testing.assert_allclose(rv[row_kept], xv[row_kept] * 2, rtol=1e-6)


def test_dropout_training_flag_as_a_tensor(rng):
    xv = rng.uniform(1.0, 2.0, (50, 40)).astype(np.float32)
    training = tf.placeholder(tf.bool, [])
    layer = tf.layers.Dropout(0.5, seed=5)
    y = layer(tf.constant(xv), training=training)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {training: False}), xv)
        on = sess.run(y, {training: True})
        kept = on != 0
        np.testing.assert_allclose(on[kept], xv[kept] * 2, rtol=1e-6)
        assert 0.4 < kept.mean() < 0.6
        again = sess.run(y, {training: True})
    assert not np.array_equal(kept, again != 0)  # a new mask at every run
    with pytest.raises(TypeError, match="must be a bool or a bool Tensor"):
        tf.layers.dropout(xv, training="yes")


def test_dropout_with_seeds_is_reproducible():
    def run():
        with tf.Graph().as_default():
            tf.set_random_seed(7)
            y = tf.layers.dropout(tf.ones([20, 20]), training=True)
            with tf.Session() as sess:
                return sess.run(y)
    np.testing.assert_array_equal(run(), run())


# ---- batch normalization ---------------------------------------------------------------------

def _bn_reference(x, axes, gamma, beta, eps):
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta, mean, var


def test_batch_normalization_training_and_moving_average_updates(rng):
    xv = (rng.standard_normal((8, 3)) * [1, 2, 3] + [0, 5, -5]).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.layers.batch_normalization(x, training=True, momentum=0.9,
                                      gamma_initializer=tf.constant_initializer([1, 2, 3]),
                                      beta_initializer=tf.constant_initializer(0.5))
    gamma, beta, mm, mv = tf.global_variables()
    assert _names([gamma, beta, mm, mv]) == [
        "batch_normalization/gamma:0", "batch_normalization/beta:0",
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"]
    assert tf.trainable_variables() == [gamma, beta]
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert [u.op.type for u in updates] == ["AssignSub", "AssignSub"]
    assert updates[0].name == "batch_normalization/AssignMovingAvg:0"
    sess, yv = _init_and_run(y, {x: xv})
    want, mean, var = _bn_reference(xv, 0, np.array([1, 2, 3]), 0.5, 1e-3)
    np.testing.assert_allclose(yv, want, rtol=1e-4, atol=1e-5)
    moving_mean, moving_var = np.zeros(3), np.ones(3)
    for _ in range(2):
        sess.run(updates, {x: xv})
        moving_mean -= 0.1 * (moving_mean - mean[0])
        moving_var -= 0.1 * (moving_var - var[0])  # biased variance: not the fused path
    np.testing.assert_allclose(sess.run(mm), moving_mean, rtol=1e-5)
    np.testing.assert_allclose(sess.run(mv), moving_var, rtol=1e-5)


def test_batch_normalization_inference_uses_moving_statistics(rng):
    xv = rng.standard_normal((4, 2, 2, 3)).astype(np.float32)
    y = tf.layers.batch_normalization(
        tf.constant(xv), moving_mean_initializer=tf.constant_initializer([1.0, 2.0, 3.0]),
        moving_variance_initializer=tf.constant_initializer(4.0), epsilon=0.01)
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    _, yv = _init_and_run(y)
    np.testing.assert_allclose(yv, (xv - [1.0, 2.0, 3.0]) / np.sqrt(4.01), rtol=1e-5)


def test_batch_normalization_with_a_training_placeholder(rng):
    xv = rng.standard_normal((3, 4, 4, 2)).astype(np.float32)
    training = tf.placeholder(tf.bool, [])
    layer = tf.layers.BatchNormalization(momentum=0.5)
    y = layer(tf.constant(xv), training=training)
    assert layer.updates == tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    sess, _ = _init_and_run([])
    step = [y] + layer.updates
    inference = sess.run(step, {training: False})[0]
    np.testing.assert_allclose(inference, xv / np.sqrt(1 + 1e-3), rtol=1e-5)
    assert sess.run(layer.moving_mean).tolist() == [0, 0]  # no update when not training
    trained = sess.run(step, {training: True})[0]
    want, mean, var = _bn_reference(xv, (0, 1, 2), 1.0, 0.0, 1e-3)
    np.testing.assert_allclose(trained, want, rtol=1e-4, atol=1e-5)
    # A 4-D float32 input normalized over its last axis takes TF1's fused path: the moving
    # variance follows the unbiased batch variance.
    n = xv.size // 2
    np.testing.assert_allclose(sess.run(layer.moving_mean), 0.5 * mean.ravel(), atol=1e-6)
    np.testing.assert_allclose(sess.run(layer.moving_variance),
                               0.5 + 0.5 * var.ravel() * n / (n - 1), rtol=1e-5)


def test_batch_normalization_other_axes_and_options(rng):
    xv = rng.standard_normal((5, 3, 4)).astype(np.float64)
    mid = tf.layers.batch_normalization(tf.constant(xv), axis=1, training=True, center=False,
                                        fused=False)
    both = tf.layers.batch_normalization(tf.constant(xv), axis=[1, 2], training=True,
                                         scale=False)
    assert _names(tf.trainable_variables()) == ["batch_normalization/gamma:0",
                                                "batch_normalization_1/beta:0"]
    assert tf.global_variables()[-1].shape.as_list() == [1, 3, 4]
    _, (mv, bv) = _init_and_run([mid, both])
    np.testing.assert_allclose(mv, _bn_reference(xv, (0, 2), 1.0, 0.0, 1e-3)[0], rtol=1e-10)
    np.testing.assert_allclose(bv, _bn_reference(xv, (0,), 1.0, 0.0, 1e-3)[0], rtol=1e-10)
    with pytest.raises(ValueError, match="Invalid axis"):
        tf.layers.batch_normalization(tf.constant(xv), axis=3)
    with pytest.raises(ValueError, match="Duplicate axis"):
        tf.layers.batch_normalization(tf.constant(xv), axis=[1, -2])
