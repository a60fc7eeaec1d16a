"""tf.contrib.layers, tf.contrib.framework and tf.contrib.slim: TF1's variable names and
scope uniquification, forward results against NumPy, batch norm's moving statistics,
initializer distributions, regularizer values and arg_scope's rules."""
import numpy as np
import pytest

import tensorlib as tf
import tensorlib.contrib.slim as slim
from tensorlib.contrib import framework, layers


def names(variables):
    return [v.op.name for v in variables]


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed_dict)


def np_conv2d_same(x, w, stride=1, rate=1):
    """NumPy NHWC convolution with TF's SAME padding, `rate` dilating the kernel."""
    kh, kw = (w.shape[0] - 1) * rate + 1, (w.shape[1] - 1) * rate + 1
    n, h, wd, _ = x.shape
    out_h, out_w = -(-h // stride), -(-wd // stride)
    pad_h = max((out_h - 1) * stride + kh - h, 0)
    pad_w = max((out_w - 1) * stride + kw - wd, 0)
    xp = np.pad(x, [(0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2),
                    (0, 0)])
    out = np.zeros((n, out_h, out_w, w.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            patch = xp[:, i * stride:i * stride + kh:rate, j * stride:j * stride + kw:rate, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=[[1, 2, 3], [0, 1, 2]])
    return out


# ---- fully_connected / linear ----------------------------------------------------------------

def test_fully_connected_names_and_uniquifies_its_scopes():
    x = tf.placeholder(tf.float32, [None, 3])
    layers.fully_connected(x, 4)
    layers.fully_connected(x, 2)
    layers.fully_connected(x, 2, scope="logits")
    assert names(tf.global_variables()) == [
        "fully_connected/weights", "fully_connected/biases", "fully_connected_1/weights",
        "fully_connected_1/biases", "logits/weights", "logits/biases"]
    assert names(tf.model_variables()) == names(tf.global_variables())
    assert names(tf.trainable_variables()) == names(tf.global_variables())


def test_fully_connected_computes_relu_of_affine(rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    y = layers.fully_connected(x, 4, weights_initializer=tf.constant_initializer(w),
                               biases_initializer=tf.constant_initializer(b))
    z = layers.linear(x, 4, weights_initializer=tf.constant_initializer(w),
                      biases_initializer=tf.constant_initializer(b))
    y_val, z_val = run([y, z])
    np.testing.assert_allclose(y_val, np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(z_val, x @ w + b, rtol=1e-5, atol=1e-6)


def test_fully_connected_over_the_last_axis_of_rank_3_inputs(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    y = layers.fully_connected(x, 5, activation_fn=None,
                               weights_initializer=tf.constant_initializer(w))
    assert y.shape.as_list() == [2, 3, 5]
    np.testing.assert_allclose(run(y), x @ w, rtol=1e-5, atol=1e-6)


def test_normalizer_fn_replaces_the_biases():
    x = tf.placeholder(tf.float32, [None, 3])
    layers.fully_connected(x, 4, normalizer_fn=layers.batch_norm,
                           normalizer_params={"scale": True})
    assert names(tf.global_variables()) == [
        "fully_connected/weights", "fully_connected/BatchNorm/beta",
        "fully_connected/BatchNorm/gamma", "fully_connected/BatchNorm/moving_mean",
        "fully_connected/BatchNorm/moving_variance"]


def test_fully_connected_reuses_its_variables_and_checks_num_outputs():
    x = tf.placeholder(tf.float32, [None, 3])
    a = layers.fully_connected(x, 4, scope="fc")
    layers.fully_connected(x, 4, scope="fc", reuse=True)
    assert len(tf.global_variables()) == 2 and a.shape.as_list() == [None, 4]
    with pytest.raises(ValueError, match="num_outputs should be int"):
        layers.fully_connected(x, 4.0)
    with pytest.raises(ValueError, match="must be known"):
        layers.fully_connected(tf.placeholder(tf.float32, [None, None]), 2)


def test_variables_collections_by_name_and_outputs_collections():
    x = tf.placeholder(tf.float32, [None, 3])
    y = layers.fully_connected(x, 2, variables_collections={"weights": ["my_weights"]},
                               outputs_collections="end_points", scope="fc1")
    assert names(tf.get_collection("my_weights")) == ["fc1/weights"]
    assert tf.get_collection("end_points") == [y]
    assert layers.utils.convert_collection_to_dict("end_points") == {"fc1": y}


# ---- conv2d, pooling, flatten, dropout -------------------------------------------------------

def test_conv2d_names_and_shapes():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    net = layers.conv2d(x, 16, [3, 3])
    net = layers.conv2d(net, 8, 5, stride=2)
    assert names(tf.global_variables()) == ["Conv/weights", "Conv/biases", "Conv_1/weights",
                                            "Conv_1/biases"]
    assert tf.global_variables()[2].shape.as_list() == [5, 5, 16, 8]
    assert net.shape.as_list() == [None, 4, 4, 8]


@pytest.mark.parametrize("stride, rate", [(1, 1), (2, 1), (1, 2)])
def test_conv2d_matches_numpy(rng, stride, rate):
    x = rng.standard_normal((2, 7, 7, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    y = layers.conv2d(x, 4, 3, stride=stride, rate=rate,
                      weights_initializer=tf.constant_initializer(w),
                      biases_initializer=tf.constant_initializer(b))
    expected = np.maximum(np_conv2d_same(x, w, stride, rate) + b, 0)
    np.testing.assert_allclose(run(y), expected, rtol=1e-4, atol=1e-5)


def test_conv2d_rejects_stride_and_rate_together():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    with pytest.raises(ValueError, match="Only one of rate or stride"):
        layers.conv2d(x, 4, 3, stride=2, rate=2)


def test_pooling_and_flatten_match_numpy(rng):
    x = rng.standard_normal((2, 4, 6, 3)).astype(np.float32)
    blocks = x.reshape(2, 2, 2, 3, 2, 3)
    max_pool, avg_pool, flat = run([layers.max_pool2d(x, [2, 2]),
                                    layers.avg_pool2d(x, 2, stride=2),
                                    layers.flatten(x)])
    np.testing.assert_allclose(max_pool, blocks.max(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(avg_pool, blocks.mean(axis=(2, 4)), rtol=1e-5)
    np.testing.assert_array_equal(flat, x.reshape(2, -1))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        layers.flatten(tf.constant([1.0, 2.0]))


def test_dropout_scales_kept_elements_while_training():
    x = np.ones((200, 50), np.float32)
    training = tf.placeholder(tf.bool, [])
    y = layers.dropout(x, keep_prob=0.5, is_training=training)
    off = layers.dropout(x, keep_prob=0.5, is_training=False)
    with tf.Session() as sess:
        on_val, off_val = sess.run(y, {training: True}), sess.run(y, {training: False})
        assert np.array_equal(sess.run(off), x)
    assert set(np.unique(on_val)) <= {0.0, 2.0}
    assert 0.4 < (on_val == 0).mean() < 0.6
    np.testing.assert_array_equal(off_val, x)


# ---- batch_norm and layer_norm ---------------------------------------------------------------

def test_batch_norm_variable_names_and_collections():
    x = tf.placeholder(tf.float32, [None, 4])
    layers.batch_norm(x)
    layers.batch_norm(x, scale=True, center=False)
    assert names(tf.global_variables()) == [
        "BatchNorm/beta", "BatchNorm/moving_mean", "BatchNorm/moving_variance",
        "BatchNorm_1/gamma", "BatchNorm_1/moving_mean", "BatchNorm_1/moving_variance"]
    assert names(tf.trainable_variables()) == ["BatchNorm/beta", "BatchNorm_1/gamma"]
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 4


@pytest.mark.parametrize("shape, fused, unbiased", [
    ((6, 4), None, True),          # rank 2 and 4 take TF1's fused kernel by default
    ((3, 2, 2, 4), None, True),
    ((3, 2, 2, 4), False, False),
    ((3, 2, 4), None, False),      # other ranks never fuse
])
def test_batch_norm_training_normalizes_and_updates_moving_statistics(rng, shape, fused,
                                                                      unbiased):
    x = rng.standard_normal(shape).astype(np.float32) * 3 + 1
    beta = rng.standard_normal(4).astype(np.float32)
    y = layers.batch_norm(x, decay=0.9, fused=fused, scale=True,
                          param_initializers={"beta": tf.constant_initializer(beta)})
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    moving_mean, moving_variance = tf.global_variables()[2:]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        y_val = sess.run(y)
        sess.run(update_ops)
        mean_val, var_val = sess.run([moving_mean, moving_variance])
    axes = tuple(range(len(shape) - 1))
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    np.testing.assert_allclose(y_val, (x - mean) / np.sqrt(var + 0.001) + beta, rtol=1e-4,
                               atol=1e-4)
    count = x.size / 4
    batch_var = var * count / (count - 1) if unbiased else var
    np.testing.assert_allclose(mean_val, 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var_val, 0.9 + 0.1 * batch_var, rtol=1e-5)


def test_batch_norm_inference_uses_the_moving_statistics(rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    y = layers.batch_norm(x, is_training=False, param_initializers={
        "moving_mean": tf.constant_initializer([1.0, 2.0, 3.0]),
        "moving_variance": tf.constant_initializer([4.0, 1.0, 0.25])})
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    expected = (x - [1.0, 2.0, 3.0]) / np.sqrt(np.float32([4.0, 1.0, 0.25]) + 0.001)
    np.testing.assert_allclose(run(y), expected, rtol=1e-5, atol=1e-5)


def test_batch_norm_with_a_training_tensor_and_in_place_updates(rng):
    x = rng.standard_normal((8, 2)).astype(np.float32) + 5
    training = tf.placeholder(tf.bool, [])
    y = layers.batch_norm(x, decay=0.5, is_training=training, updates_collections=None)
    moving_mean = tf.global_variables()[1]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        inference = sess.run(y, {training: False})
        np.testing.assert_allclose(sess.run(moving_mean), [0, 0])
        trained = sess.run(y, {training: True})
        np.testing.assert_allclose(sess.run(moving_mean), 0.5 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(inference, x / np.sqrt(1.001), rtol=1e-5)
    np.testing.assert_allclose(trained, (x - x.mean(0)) / np.sqrt(x.var(0) + 0.001),
                               rtol=1e-4, atol=1e-4)


def test_batch_norm_nchw_normalizes_axis_1(rng):
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    y = layers.batch_norm(x, data_format="NCHW")
    mean, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(run(y), (x - mean) / np.sqrt(var + 0.001), rtol=1e-4,
                               atol=1e-4)
    assert tf.global_variables()[0].shape.as_list() == [3]


def test_batch_norm_variants_it_lacks_are_refused():
    x = tf.placeholder(tf.float32, [None, 4])
    layers.batch_norm(x, renorm=False, zero_debias_moving_mean=False)
    with pytest.raises(NotImplementedError, match="renorm"):
        layers.batch_norm(x, renorm=True)
    with pytest.raises(NotImplementedError, match="batch_weights"):
        layers.batch_norm(x, batch_weights=tf.ones([3]))


def test_layer_norm_names_and_values(rng):
    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    y = layers.layer_norm(x)
    assert names(tf.global_variables()) == ["LayerNorm/beta", "LayerNorm/gamma"]
    assert tf.global_variables()[0].shape.as_list() == [5]
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(run(y), (x - mean) / np.sqrt(var + 1e-12), rtol=1e-4,
                               atol=1e-5)


# ---- initializers and regularizers -----------------------------------------------------------

def sample(initializer, shape):
    return run(initializer(shape))


def test_xavier_uniform_is_bounded_by_sqrt_6_over_fans():
    values = sample(layers.xavier_initializer(seed=1), [200, 300])
    limit = np.sqrt(6.0 / 500)
    assert np.abs(values).max() <= limit
    np.testing.assert_allclose(values.var(), limit ** 2 / 3, rtol=0.05)


def test_contrib_variance_scaling_uses_its_own_truncated_normal_stddev():
    # contrib: stddev sqrt(1.3 * factor / n) before truncation at two stddevs.
    values = sample(layers.variance_scaling_initializer(seed=2), [3, 3, 40, 80])
    stddev = np.sqrt(1.3 * 2.0 / (3 * 3 * 40))
    assert np.abs(values).max() <= 2 * stddev
    np.testing.assert_allclose(values.std(), stddev * 0.8796, rtol=0.05)
    uniform = sample(layers.variance_scaling_initializer(1.0, "FAN_OUT", True, seed=3),
                     [30, 400])
    assert np.abs(uniform).max() <= np.sqrt(3.0 / 400)
    assert np.abs(uniform).max() > 0.9 * np.sqrt(3.0 / 400)


def test_variance_scaling_rejects_bad_modes_and_dtypes():
    with pytest.raises(TypeError, match="Unknown mode"):
        layers.variance_scaling_initializer(mode="fan_in")
    with pytest.raises(TypeError, match="non-floating"):
        layers.variance_scaling_initializer(dtype=tf.int32)


def test_regularizers_match_numpy(rng):
    w = rng.standard_normal((3, 4)).astype(np.float32)
    l1, l2, both, summed = run([layers.l1_regularizer(0.5)(w), layers.l2_regularizer(0.1)(w),
                                layers.l1_l2_regularizer(0.5, 0.1)(w),
                                layers.sum_regularizer([layers.l1_regularizer(0.5),
                                                        layers.l2_regularizer(0.1)])(w)])
    np.testing.assert_allclose(l1, 0.5 * np.abs(w).sum(), rtol=1e-5)
    np.testing.assert_allclose(l2, 0.1 * (w ** 2).sum() / 2, rtol=1e-5)
    np.testing.assert_allclose(both, l1 + l2, rtol=1e-5)
    np.testing.assert_allclose(summed, l1 + l2, rtol=1e-5)
    assert layers.l2_regularizer(0.0)(w) is None
    with pytest.raises(ValueError, match="less than 0"):
        layers.l1_regularizer(-1.0)
    with pytest.raises(ValueError, match="scale cannot be"):
        layers.l2_regularizer("big")


def test_weights_regularizer_and_apply_regularization(rng):
    x = tf.placeholder(tf.float32, [None, 3])
    layers.fully_connected(x, 2, weights_regularizer=layers.l2_regularizer(0.5),
                           weights_initializer=tf.ones_initializer())
    (penalty,) = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert penalty.op.name == "fully_connected/weights/Regularizer/l2_regularizer"
    total = layers.apply_regularization(layers.l1_regularizer(2.0), tf.global_variables())
    assert tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)[-1] is total
    penalty_val, total_val = run([penalty, total])
    assert penalty_val == pytest.approx(0.5 * 6 / 2)
    assert total_val == pytest.approx(2.0 * 6)
    with pytest.raises(ValueError, match="No weights"):
        layers.apply_regularization(layers.l1_regularizer(1.0))


# ---- arg_scope -------------------------------------------------------------------------------

def test_arg_scope_gives_defaults_that_explicit_arguments_override():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    with slim.arg_scope([slim.conv2d, slim.fully_connected], activation_fn=None,
                        padding="VALID"):
        with slim.arg_scope([slim.conv2d], padding="SAME") as saved:
            same = slim.conv2d(x, 4, 3)
        valid = slim.conv2d(x, 4, 3)
        explicit = slim.conv2d(x, 4, 3, padding="SAME")
    outside = slim.conv2d(x, 4, 3, padding="VALID")
    assert same.shape.as_list() == [None, 8, 8, 4]
    assert valid.shape.as_list() == [None, 6, 6, 4]
    assert explicit.shape.as_list() == [None, 8, 8, 4]
    assert same.op.type != "Relu" and outside.op.type == "Relu"
    with slim.arg_scope(saved):
        again = slim.conv2d(x, 4, 3)
    assert again.shape.as_list() == [None, 8, 8, 4] and again.op.type != "Relu"
    assert framework.current_arg_scope() == {}


def test_arg_scope_checks_its_arguments():
    with pytest.raises(ValueError, match="not decorated with @add_arg_scope"):
        with slim.arg_scope([tf.nn.relu], name="x"):
            pass
    with pytest.raises(TypeError, match="list or tuple"):
        with slim.arg_scope(slim.conv2d, padding="SAME"):
            pass
    with pytest.raises(ValueError, match="no keyword arguments"):
        with slim.arg_scope({}, padding="SAME"):
            pass


def test_add_arg_scope_decorates_user_functions():
    @framework.add_arg_scope
    def scaled(x, factor=1):
        return x * factor

    with framework.arg_scope([scaled], factor=3):
        assert scaled(2) == 6 and scaled(2, factor=5) == 10
    assert scaled(2) == 2
    assert framework.has_arg_scope(scaled)
    assert framework.arg_scoped_arguments(scaled) == ["x", "factor"]


# ---- contrib.framework and slim --------------------------------------------------------------

def test_variable_lookups():
    with tf.variable_scope("net"):
        w = framework.model_variable("w", shape=[2], initializer=tf.zeros_initializer())
        b = framework.variable("b", shape=[], initializer=tf.zeros_initializer())
    with tf.variable_scope("head"):
        h = framework.model_variable("w", shape=[1], initializer=tf.zeros_initializer())
    assert framework.get_variables("net") == [w, b]
    assert framework.get_variables(suffix="w") == [w, h]
    assert framework.get_model_variables() == [w, h]
    assert framework.get_variables_by_name("b") == [b]
    assert framework.get_variables_to_restore(exclude=["head"]) == [w, b]
    assert framework.get_variables_to_restore(include=["head", "net/w"]) == [h, w]
    assert framework.get_unique_variable("head/w") is h
    with pytest.raises(ValueError, match="Couldn't find variable net/x"):
        framework.get_unique_variable("net/x")
    assert b in tf.trainable_variables() and b not in tf.model_variables()


def test_assign_from_values_and_global_step():
    with tf.variable_scope("net"):
        w = framework.variable("w", shape=[2], initializer=tf.zeros_initializer())
    assign_op, feed_dict = framework.assign_from_values({"net/w": [3.0, 4.0]})
    step = framework.get_or_create_global_step()
    assert framework.get_or_create_global_step() is step
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(assign_op, feed_dict)
        np.testing.assert_array_equal(sess.run(w), [3.0, 4.0])


def test_slim_and_tf_contrib_are_aliases():
    assert slim.losses is tf.losses
    assert slim.conv2d is layers.conv2d and slim.arg_scope is framework.arg_scope
    assert tf.contrib.slim is slim and tf.contrib.layers is layers
    assert slim.l2_regularizer is layers.l2_regularizer
    assert callable(tf.contrib.layers.xavier_initializer())
    assert tf.contrib.framework.get_or_create_global_step is tf.train.get_or_create_global_step


def test_repeat_and_stack_name_their_layers():
    x = tf.placeholder(tf.float32, [None, 4, 4, 2])
    slim.repeat(x, 2, slim.conv2d, 3, [3, 3], scope="conv1")
    slim.stack(tf.placeholder(tf.float32, [None, 5]), slim.fully_connected, [4, 3],
               scope="fc")
    assert names(tf.global_variables()) == [
        "conv1/conv1_1/weights", "conv1/conv1_1/biases", "conv1/conv1_2/weights",
        "conv1/conv1_2/biases", "fc/fc_1/weights", "fc/fc_1/biases", "fc/fc_2/weights",
        "fc/fc_2/biases"]


def test_embed_sequence_looks_up_rows(rng):
    table = rng.standard_normal((6, 3)).astype(np.float32)
    ids = np.array([[0, 5], [2, 2]])
    y = layers.embed_sequence(ids, vocab_size=6, embed_dim=3,
                              initializer=tf.constant_initializer(table))
    assert names(tf.global_variables()) == ["EmbedSequence/embeddings"]
    np.testing.assert_allclose(run(y), table[ids])
    with pytest.raises(ValueError, match="vocab size and embedding dimension"):
        layers.embed_sequence(ids, vocab_size=6)


# ---- optimize_loss ---------------------------------------------------------------------------

def quadratic_problem():
    w = tf.get_variable("w", initializer=tf.constant([1.0, -2.0]))
    return w, tf.reduce_sum(tf.square(w))


def test_optimize_loss_sgd_step_with_a_float_rate():
    w, loss = quadratic_problem()
    step = tf.train.get_or_create_global_step()
    train = layers.optimize_loss(loss, step, 0.1, "SGD")
    assert "OptimizeLoss/learning_rate" in names(tf.global_variables())
    assert len(tf.get_collection(tf.GraphKeys.SUMMARIES)) == 3
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(train) == pytest.approx(5.0)  # the loss before the update
        np.testing.assert_allclose(sess.run(w), [0.8, -1.6], rtol=1e-6)  # w -= 0.1 * 2w
        assert sess.run(step) == 1


def test_optimize_loss_decay_multipliers_and_clipping():
    w, loss = quadratic_problem()
    step = tf.train.get_or_create_global_step()
    train = layers.optimize_loss(
        loss, step, 1.0, tf.train.GradientDescentOptimizer, summaries=[],
        learning_rate_decay_fn=lambda lr, s: lr * 0.5, gradient_multipliers={"w": 2.0},
        clip_gradients=1.0, increment_global_step=False)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        grad = 2.0 * np.array([2.0, -4.0])
        grad = grad / np.linalg.norm(grad)  # clipped to global norm 1
        np.testing.assert_allclose(sess.run(w), [1.0, -2.0] - 0.5 * grad, rtol=1e-6)
        assert sess.run(step) == 0


def test_optimize_loss_runs_update_ops_and_takes_optimizer_instances():
    w, loss = quadratic_problem()
    counter = tf.get_variable("counter", initializer=0.0, trainable=False)
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, tf.assign_add(counter, 1.0))
    train = layers.optimize_loss(loss, None, None, tf.train.GradientDescentOptimizer(0.25),
                                 summaries=["loss"])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run(counter) == 1.0
        np.testing.assert_allclose(sess.run(w), [0.5, -1.0], rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(learning_rate=-1.0, optimizer="SGD"), "Invalid learning_rate"),
    (dict(learning_rate=1, optimizer="SGD"), "0d Tensor or float"),
    (dict(learning_rate=0.1, optimizer="Nope"), "Optimizer name should be one of"),
    (dict(learning_rate=None, optimizer="SGD"), "Learning rate is None"),
    (dict(learning_rate=0.1, optimizer="SGD", summaries=["weights"]), "Summaries should be"),
    (dict(learning_rate=0.1, optimizer=lambda lr: 3), "should return subclass of Optimizer"),
    (dict(learning_rate=0.1, optimizer="SGD", clip_gradients=1), "clip_gradients"),
])
def test_optimize_loss_rejects_bad_arguments(kwargs, message):
    _, loss = quadratic_problem()
    with pytest.raises(ValueError, match=message):
        layers.optimize_loss(loss, None, **kwargs)


def np_conv2d_transpose(x, w, stride, out_h, out_w, pad_top, pad_left):
    """NumPy transposed convolution: each input pixel scatters w[..., :, c] * x into the
    output window it was read from."""
    kh, kw = w.shape[:2]
    full = np.zeros((x.shape[0], (x.shape[1] - 1) * stride + kh,
                     (x.shape[2] - 1) * stride + kw, w.shape[2]))
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            full[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :] += \
                np.einsum("nc,hwoc->nhwo", x[:, i, j, :], w)
    return full[:, pad_top:pad_top + out_h, pad_left:pad_left + out_w, :]


@pytest.mark.parametrize("padding, out_size, pad", [("SAME", 6, 0), ("VALID", 7, 0)])
def test_conv2d_transpose_matches_numpy(rng, padding, out_size, pad):
    x = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
    w = rng.standard_normal((3, 3, 5, 4)).astype(np.float32)
    y = layers.conv2d_transpose(x, 5, 3, stride=2, padding=padding, activation_fn=None,
                                weights_initializer=tf.constant_initializer(w))
    assert names(tf.global_variables()) == ["Conv2d_transpose/weights",
                                            "Conv2d_transpose/biases"]
    assert y.shape.as_list() == [2, out_size, out_size, 5]
    # SAME pads the 7-long full output by (7 - 6) // 2 = 0 before, 1 after.
    expected = np_conv2d_transpose(x, w, 2, out_size, out_size, pad, pad)
    np.testing.assert_allclose(run(y), expected, rtol=1e-4, atol=1e-4)


def test_one_hot_encoding_and_softmax():
    onehot, probs = run([layers.one_hot_encoding([0, 2], 3),
                         layers.softmax(tf.constant([[[1.0, 2.0]]]))])
    np.testing.assert_array_equal(onehot, [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(probs, [[[1 / (1 + np.e), np.e / (1 + np.e)]]], rtol=1e-6)
    assert framework.nest.flatten([1, (2, 3)]) == [1, 2, 3]


# ---- contrib.training.HParams ----------------------------------------------------------------

def test_hparams_parse_typed_values():
    hparams = tf.contrib.training.HParams(learning_rate=0.1, units=100, use_bn=False,
                                          name="net", layers=[64, 32])
    hparams.parse("learning_rate=0.3, units=7,use_bn=true,name=big,layers=[128, 64, 8]")
    assert hparams.values() == {"learning_rate": 0.3, "units": 7, "use_bn": True,
                                "name": "big", "layers": [128, 64, 8]}
    assert isinstance(hparams.units, int) and "units" in hparams
    hparams.parse("learning_rate=1")
    assert hparams.learning_rate == 1.0 and isinstance(hparams.learning_rate, float)


@pytest.mark.parametrize("text, message", [
    ("units=1.5", "type int"), ("use_bn=maybe", "type bool"), ("nope=1", "Unknown hyperparameter"),
    ("units", "Malformed"),
])
def test_hparams_parse_rejects_bad_values(text, message):
    hparams = tf.contrib.training.HParams(units=100, use_bn=False)
    with pytest.raises(ValueError, match=message):
        hparams.parse(text)


def test_hparams_set_json_and_reserved_names():
    hparams = tf.contrib.training.HParams(rate=0.5, sizes=[1, 2])
    hparams.set_hparam("rate", 2)
    assert hparams.rate == 2.0
    with pytest.raises(ValueError, match="Must pass a list"):
        hparams.set_hparam("sizes", 3)
    with pytest.raises(ValueError, match="Could not cast"):
        hparams.set_hparam("rate", "fast")
    with pytest.raises(ValueError, match="reserved: values"):
        hparams.add_hparam("values", 1)
    copy = tf.contrib.training.HParams(rate=0.0, sizes=[0]).parse_json(hparams.to_json())
    assert copy.values() == hparams.values()
    assert hparams.get("missing", 3) == 3 and hparams.get("rate", 1.0) == 2.0
    hparams.del_hparam("rate")
    assert "rate" not in hparams
