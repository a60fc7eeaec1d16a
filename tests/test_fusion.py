"""Elementwise chains run fused (one pass over cache-sized blocks) with results identical, bit
for bit, to running each op on its own."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import runnable_gemm_kernels
from tensorlib import _config


def chain(x):
    y = tf.exp(-(x * 0.5 + 1.0))
    y = tf.sigmoid(tf.maximum(y, 0.25) - 2.0)
    return tf.tanh(3.0 / (y + 1.0)) * tf.nn.relu(y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 2048, 100_003])
def test_fused_chain_equals_op_by_op(dtype, n):
    data = np.random.default_rng(n).standard_normal(n).astype(dtype)
    x = tf.placeholder(tf.as_dtype(dtype), [n])
    y = chain(x)
    # Fetching every intermediate value keeps each op a step of its own.
    steps = [op.outputs[0] for op in tf.get_default_graph().get_operations()
             if op.type not in ("Placeholder", "Const")]
    with tf.Session() as sess:
        fused = sess.run(y, {x: data})
        separate = sess.run(steps, {x: data})[-1]
        for threads in (1, 2):
            with tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=threads)) as s:
                np.testing.assert_array_equal(s.run(y, {x: data}), fused)
    np.testing.assert_array_equal(fused, separate)
    want = data.astype(np.float64)
    want = np.exp(-(want * 0.5 + 1.0))
    want = 1 / (1 + np.exp(-(np.maximum(want, 0.25) - 2.0)))
    want = np.tanh(3.0 / (want + 1.0)) * np.maximum(want, 0)
    np.testing.assert_allclose(fused, want, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_chains_stop_at_shared_and_broadcast_values():
    x = tf.placeholder(tf.float32, [4, 3])
    a = tf.exp(x) * 2.0
    b = a + 1.0            # a has two readers: b and c
    c = a - tf.ones([3])   # broadcasting operand: not a scalar, not fused
    data = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    with tf.Session() as sess:
        got_b, got_c = sess.run([b, c], {x: data})
    np.testing.assert_allclose(got_b, np.exp(data) * 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(got_c, np.exp(data) * 2 - 1, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows,cols", [(1, 1), (3, 7), (3001, 7), (40, 1024)])
def test_chains_with_a_bias_vector_equal_op_by_op(dtype, rows, cols):
    rng = np.random.default_rng(rows * cols)
    data = rng.standard_normal((rows, cols)).astype(dtype)
    bias = rng.standard_normal(cols).astype(dtype)
    gamma = rng.standard_normal((1, cols)).astype(dtype)
    x = tf.placeholder(tf.as_dtype(dtype), [rows, cols])
    b = tf.placeholder(tf.as_dtype(dtype), [cols])
    g = tf.placeholder(tf.as_dtype(dtype), [1, cols])
    y = tf.nn.relu(tf.nn.bias_add(x, b))       # bias_add + activation, one pass
    y = g - tf.sigmoid(y * g) * 2.0            # vector operands later in the chain, both sides
    feed = {x: data, b: bias, g: gamma}
    steps = [op.outputs[0] for op in tf.get_default_graph().get_operations()
             if op.type not in ("Placeholder", "Const")]
    with tf.Session() as sess:
        fused = sess.run(y, feed)
        separate = sess.run(steps, feed)[-1]
        for threads in (1, 2):
            with tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=threads)) as s:
                np.testing.assert_array_equal(s.run(y, feed), fused)
    np.testing.assert_array_equal(fused, separate)
    want = np.maximum(data.astype(np.float64) + bias, 0)
    want = gamma - 2 / (1 + np.exp(-want * gamma))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fused, want, rtol=tol, atol=tol)


def test_nchw_bias_is_not_fused_along_the_last_dim():
    data = np.arange(2 * 3 * 2 * 3, dtype=np.float32).reshape(2, 3, 2, 3)
    bias = np.array([1.0, 20.0, 300.0], np.float32)   # as many channels as the last dim
    y = tf.nn.relu(tf.nn.bias_add(tf.constant(data) * 1.0, bias, data_format="NCHW"))
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), data + bias.reshape(1, 3, 1, 1))


def plan_steps(sess, fetches, feeds):
    """The node names each step of the plan for `fetches` given `feeds` runs (one name for a
    kernel's step, one per stage for a fused chain)."""
    callable_, _ = sess._prepare(fetches, dict.fromkeys(feeds))
    return sess._c.step_nodes(callable_.handle)


def test_an_elementwise_chain_becomes_one_step_with_a_stage_per_op():
    x = tf.placeholder(tf.float32, [1000])
    ops = [x * 0.5]
    ops.append(ops[-1] + 1.0)
    ops.append(-ops[-1])
    ops.append(tf.exp(ops[-1]))
    ops.append(ops[-1] - 2.0)
    ops.append(tf.tanh(ops[-1]))
    names = [t.op.name for t in ops]
    with tf.Session() as sess:
        assert plan_steps(sess, ops[-1], [x]) == [names]
        # A fetched intermediate value must exist on its own: the chain ends there.
        assert plan_steps(sess, [ops[2], ops[-1]], [x]) == [names[:3], names[3:]]
        # Fetching every value: no chain at all.
        assert plan_steps(sess, ops, [x]) == [[n] for n in names]


def test_a_value_with_two_readers_ends_a_chain_and_other_ops_stay_steps():
    x = tf.placeholder(tf.float32, [4, 3])
    w = tf.placeholder(tf.float32, [3, 3])
    h = tf.transpose(tf.matmul(x, w))
    a = tf.exp(h) * 2.0                # read by b and c: the chain stops at a
    b = tf.sigmoid(a + 1.0)
    c = tf.reduce_sum(a)
    with tf.Session() as sess:
        steps = plan_steps(sess, [b, c], [x, w])
    fused = [s for s in steps if len(s) > 1]
    assert fused == [[a.op.inputs[0].op.name, a.op.name],
                     [b.op.inputs[0].op.name, b.op.name]]
    assert [h.op.name] in steps and [c.op.name] in steps
    assert len(steps) == 5


@pytest.mark.parametrize("filter_shape, strides", [
    ((5, 5, 3, 40), [1, 1, 1, 1]),
    ((1, 1, 3, 40), [1, 1, 1, 1]),   # pointwise: a plain product
    ((3, 3, 3, 40), [1, 2, 2, 1]),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_and_activation_run_on_the_convolution_output_as_it_is_written(
        filter_shape, strides, dtype):
    # float32: the direct convolution (but pointwise); float64: patches and a product.
    rng = np.random.default_rng(7)
    data = rng.standard_normal((3, 11, 9, 3)).astype(dtype)
    weights = rng.standard_normal(filter_shape).astype(dtype)
    bias = rng.standard_normal(40).astype(dtype)
    x = tf.placeholder(tf.as_dtype(dtype), data.shape)
    b = tf.placeholder(tf.as_dtype(dtype), [40])
    conv = tf.nn.conv2d(x, weights, strides, "SAME")
    biased = tf.nn.bias_add(conv, b)
    y = tf.nn.relu(biased) * 0.5
    feed = {x: data, b: bias}
    with tf.Session() as sess:
        names = [conv.op.name, biased.op.name, y.op.inputs[0].op.name, y.op.name]
        assert plan_steps(sess, y, [x, b]) == [names]
        fused = sess.run(y, feed)
        separate = sess.run([conv, biased, y], feed)[-1]
        # A single op after the convolution is fused too; a fetched convolution is not.
        relu = tf.nn.relu(conv)
        assert plan_steps(sess, relu, [x]) == [[conv.op.name, relu.op.name]]
        assert plan_steps(sess, [conv, relu], [x]) == [[conv.op.name], [relu.op.name]]
        for threads in (1, 2):
            with tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=threads)) as s:
                np.testing.assert_array_equal(s.run(y, feed), fused)
    np.testing.assert_array_equal(fused, separate)


@pytest.mark.parametrize("gemm_kernel", runnable_gemm_kernels(("avx2", "avx512", "avx512-layout")))
@pytest.mark.parametrize("channels", [40, 70])
@pytest.mark.parametrize("tail", ["bias_add+relu", "add", "relu", "add+relu"])
def test_a_bias_and_relu_are_applied_in_the_direct_convolution_registers(tail, channels,
                                                                         gemm_kernel):
    # A bias per channel, a ReLU, or both, right after a float32 convolution, are applied to
    # the tiles' sums before they are stored: the same bits as the ops run on their own (a
    # NaN, -0 and the last, narrower block of channels included), on each ISA's tiles.
    _config.set_gemm_kernel(gemm_kernel)
    try:
        rng = np.random.default_rng(3)
        data = rng.standard_normal((2, 9, 8, 5)).astype(np.float32)
        data[0, 4, 4, 2] = np.nan
        weights = rng.standard_normal((3, 3, 5, channels)).astype(np.float32)
        weights[:, :, :, 1] = -0.0  # channel 1 sums to -0 where the bias is -0
        bias = rng.standard_normal(channels).astype(np.float32)
        bias[1] = -0.0
        x = tf.placeholder(tf.float32, data.shape)
        conv = tf.nn.conv2d(x, weights, [1, 1, 1, 1], "SAME")
        y = {"bias_add+relu": lambda: tf.nn.relu(tf.nn.bias_add(conv, bias)),
             "add": lambda: conv + bias,
             "relu": lambda: tf.nn.relu(conv),
             "add+relu": lambda: tf.nn.relu(tf.add(conv, bias))}[tail]()
        with tf.Session() as sess:
            assert len(plan_steps(sess, y, [x])) == 1  # one step: the convolution and its tail
            fused = sess.run(y, {x: data})
            separate = sess.run([conv, y], {x: data})[1]  # the convolution fetched: not fused
    finally:
        _config.set_gemm_kernel("auto")
    np.testing.assert_array_equal(fused, separate)
    np.testing.assert_array_equal(np.signbit(fused), np.signbit(separate))
    assert np.isnan(fused).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 5, 64, 150])
def test_a_dense_layer_is_one_step_with_the_bits_of_its_ops(rows, dtype):
    # relu(x w + b): the bias and the ReLU run on the product's output as the MatMul's last
    # act, for every path of the product (rows read in place, packed, weights packed ahead).
    rng = np.random.default_rng(rows)
    data = rng.standard_normal((rows, 300)).astype(dtype)
    weights = rng.standard_normal((300, 70)).astype(dtype)
    bias = rng.standard_normal(70).astype(dtype)
    x = tf.placeholder(tf.as_dtype(dtype), data.shape)
    w = tf.placeholder(tf.as_dtype(dtype), weights.shape)
    products = [tf.matmul(x, w), tf.matmul(x, tf.constant(weights))]
    layers = [tf.nn.relu(p + bias) for p in products]
    with tf.Session() as sess:
        for product, layer in zip(products, layers):
            names = [product.op.name, layer.op.inputs[0].op.name, layer.op.name]
            assert plan_steps(sess, layer, [x, w]) == [names]
        feed = {x: data, w: weights}
        fused = sess.run(layers, feed)
        separate = sess.run(products + layers, feed)[2:]  # products fetched: not fused
    for got, want in zip(fused, separate):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(fused[0], np.maximum(data @ weights + bias, 0), rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_operand_of_the_chains_shape_joins_the_chain_read_element_for_element(dtype):
    # A residual: relu(x * 2 + r) with r computed before, one step whichever side r is on;
    # the same bits as op by op, on one thread and on two.
    rng = np.random.default_rng(5)
    data = rng.standard_normal((300, 77)).astype(dtype)
    other = rng.standard_normal((300, 77)).astype(dtype)
    x = tf.placeholder(tf.as_dtype(dtype), data.shape)
    s = tf.placeholder(tf.as_dtype(dtype), data.shape)
    r = tf.sqrt(tf.abs(s))
    ys = [tf.nn.relu(x * 2.0 + r), tf.nn.relu(r + x * 2.0), tf.nn.relu(x * 2.0 - r)]
    feed = {x: data, s: other}
    with tf.Session() as sess:
        for y in ys:
            add = y.op.inputs[0].op
            product = [t.op for t in add.inputs if t.op.type == "Mul"][0]
            assert [product.name, add.name, y.op.name] in plan_steps(sess, y, [x, s])
        fused = sess.run(ys, feed)
        separate = sess.run([r] + [y.op.inputs[0] for y in ys] + ys, feed)[4:]
        for threads in (1, 2):
            config = tf.ConfigProto(intra_op_parallelism_threads=threads)
            with tf.Session(config=config) as other_sess:
                for got, want in zip(other_sess.run(ys, feed), fused):
                    np.testing.assert_array_equal(got, want)
    for got, want in zip(fused, separate):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(fused[2], np.maximum(data * 2 - np.sqrt(np.abs(other)), 0),
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_grad_runs_on_the_max_pool_gradient_as_it_is_written(dtype):
    # The backward pass of relu then max-pool: ReluGrad(MaxPoolGrad(...), features) is one
    # step, with the bits of the two ops run apart.
    rng = np.random.default_rng(9)
    data = rng.standard_normal((3, 10, 9, 6)).astype(dtype)
    x = tf.placeholder(tf.as_dtype(dtype), data.shape)
    h = tf.nn.relu(x * 1.0)
    loss = tf.reduce_sum(tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME") ** 2)
    (dx,) = tf.gradients(loss, [x])
    relu_grad = [op for op in tf.get_default_graph().get_operations()
                 if op.type == "ReluGrad"][0]
    pool_grad = relu_grad.inputs[0]
    assert pool_grad.op.type == "MaxPoolGrad"
    with tf.Session() as sess:
        step = [names for names in plan_steps(sess, dx, [x]) if relu_grad.name in names]
        assert step[0][:2] == [pool_grad.op.name, relu_grad.name]
        fused = sess.run(dx, {x: data})
        separate = sess.run([pool_grad, dx], {x: data})[1]
    np.testing.assert_array_equal(fused, separate)
    # NumPy: each 2x2 window's gradient 2 * max goes to its first maximum, if positive.
    want = np.zeros_like(data)
    padded = np.pad(np.maximum(data, 0), [(0, 0), (0, 0), (0, 1), (0, 0)],
                    constant_values=-np.inf)
    for n, i, j, c in np.ndindex(3, 5, 5, 6):
        window = padded[n, 2 * i:2 * i + 2, 2 * j:2 * j + 2, c]
        a, b = np.unravel_index(np.argmax(window), (2, 2))
        if data[n, 2 * i + a, 2 * j + b, c] > 0:
            want[n, 2 * i + a, 2 * j + b, c] = 2 * window.max()
    np.testing.assert_allclose(fused, want, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_residual_add_runs_on_the_convolution_output(dtype):
    # relu(shortcut + conv(x)): the add reads the shortcut element for element as the
    # convolution writes its output, with the bits of the ops run apart.
    rng = np.random.default_rng(11)
    data = rng.standard_normal((2, 8, 7, 16)).astype(dtype)
    weights = rng.standard_normal((3, 3, 16, 16)).astype(dtype)
    x = tf.placeholder(tf.as_dtype(dtype), data.shape)
    shortcut = tf.tanh(x)
    conv = tf.nn.conv2d(x, weights, [1, 1, 1, 1], "SAME")
    y = tf.nn.relu(shortcut + conv)
    with tf.Session() as sess:
        assert [conv.op.name, y.op.inputs[0].op.name, y.op.name] in plan_steps(sess, y, [x])
        fused = sess.run(y, {x: data})
        separate = sess.run([conv, y], {x: data})[1]
    np.testing.assert_array_equal(fused, separate)


def numpy_max_pool(x, ksize, stride, padding):
    """NHWC max-pooling as TF1 defines it: SAME pads (with nothing) to ceil(size / stride)."""
    n, h, w, c = x.shape
    if padding == "SAME":
        oh, ow = -(-h // stride), -(-w // stride)
        top = max((oh - 1) * stride + ksize - h, 0) // 2
        left = max((ow - 1) * stride + ksize - w, 0) // 2
    else:
        oh, ow = (h - ksize) // stride + 1, (w - ksize) // stride + 1
        top = left = 0
    out = np.empty((n, oh, ow, c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * stride - top, j * stride - left
            window = x[:, max(h0, 0):h0 + ksize, max(w0, 0):w0 + ksize, :]
            out[:, i, j, :] = window.max(axis=(1, 2))
    return out


CONV_POOL_CASES = {
    # input NHWC, filter HWIO, conv stride and padding, pool window, stride and padding
    "lenet-first-layer": ((3, 28, 28, 1), (5, 5, 1, 32), 1, "SAME", 2, 2, "SAME"),
    # First layers pooled 2x2 in the tiles' registers: a block of channels wider than the
    # output's (40 of 48), tiles of uneven runs of pairs (32 columns); two blocks, the second
    # narrower; and odd rows, pooled apart.
    "first-layer-partial-block": ((2, 20, 32, 1), (3, 3, 1, 40), 1, "SAME", 2, 2, "VALID"),
    "first-layer-two-blocks": ((1, 12, 12, 1), (5, 5, 1, 80), 1, "SAME", 2, 2, "SAME"),
    "first-layer-odd-rows": ((2, 15, 14, 1), (3, 3, 1, 24), 1, "VALID", 2, 2, "SAME"),
    "overlapping-windows": ((2, 9, 11, 5), (3, 3, 5, 40), 1, "VALID", 3, 2, "VALID"),
    "batch-1-strided-odd": ((1, 13, 7, 4), (3, 3, 4, 20), 2, "SAME", 2, 2, "SAME"),
    "pointwise": ((2, 6, 6, 8), (1, 1, 8, 16), 1, "VALID", 2, 2, "VALID"),
}


@pytest.mark.parametrize("tail", ["bias_add+relu", "relu", "add", "none"])
@pytest.mark.parametrize("case", sorted(CONV_POOL_CASES))
def test_a_max_pool_runs_inside_the_convolution_it_reads(case, tail, gemm_kernel):
    # max_pool(relu(conv2d(x, w) + b)): one step, the convolution's output never written; the
    # bits of the ops run one by one, for a constant filter (packed ahead) and a fed one, on
    # one and two threads, on each ISA's tiles (the `gemm_kernel` fixture sets each in turn;
    # the generic kernel and the pointwise case convolve into a buffer first).
    shape, filter_shape, stride, padding, ksize, pool_stride, pool_padding = CONV_POOL_CASES[case]
    rng = np.random.default_rng(len(case) * 7 + len(tail))
    data = rng.standard_normal(shape).astype(np.float32)
    weights = rng.standard_normal(filter_shape).astype(np.float32)
    bias = rng.standard_normal(filter_shape[-1]).astype(np.float32)
    x = tf.placeholder(tf.float32, shape)
    fed_w = tf.placeholder(tf.float32, filter_shape)
    outputs = {}
    for name, w in (("constant", tf.constant(weights)), ("fed", fed_w)):
        conv = tf.nn.conv2d(x, w, [1, stride, stride, 1], padding)
        pre = {"bias_add+relu": lambda: tf.nn.relu(tf.nn.bias_add(conv, bias)),
               "relu": lambda: tf.nn.relu(conv),
               "add": lambda: conv + bias,
               "none": lambda: conv}[tail]()
        pooled = tf.nn.max_pool(pre, [1, ksize, ksize, 1], [1, pool_stride, pool_stride, 1],
                                pool_padding)
        outputs[name] = (conv, pre, pooled)
    feed = {x: data, fed_w: weights}
    results = []
    for threads in (1, 2):
        with tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=threads)) as sess:
            for conv, pre, pooled in outputs.values():
                steps = plan_steps(sess, pooled, list(feed))
                assert steps[-1][0] == conv.op.name and steps[-1][-1] == pooled.op.name, steps
                fused = sess.run(pooled, feed)
                separate, apart = sess.run([pre, pooled], feed)  # `pre` fetched: not fused
                np.testing.assert_array_equal(fused, apart)
                np.testing.assert_array_equal(
                    fused, numpy_max_pool(separate, ksize, pool_stride, pool_padding))
                results.append(fused)
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


def test_a_max_pool_stays_a_step_of_its_own_where_the_convolution_has_other_readers():
    # Training: MaxPoolGrad reads the convolution's output too. A residual add fused onto the
    # convolution reads an operand of its shape: not of the form the pooled path applies.
    rng = np.random.default_rng(5)
    data = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    x = tf.placeholder(tf.float32, data.shape)
    w = tf.Variable(rng.standard_normal((3, 3, 3, 8)).astype(np.float32))
    h = tf.nn.relu(tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"))
    pooled = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    grad = tf.gradients(tf.reduce_sum(pooled * pooled), w)[0]
    shortcut = tf.tanh(x[..., :1])
    residual = tf.nn.max_pool(tf.nn.relu(tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME") + shortcut),
                              [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for fetch in (grad, residual):
            steps = plan_steps(sess, fetch, [x])
            pools = [names for names in steps if any("MaxPool" == sess.graph.get_operation_by_name(
                n).type for n in names)]
            assert pools and all(len(names) == 1 for names in pools), steps
        got, got_residual, h_value = sess.run([pooled, residual, h], {x: data})
        sess.run(grad, {x: data})
    np.testing.assert_array_equal(got, numpy_max_pool(h_value, 2, 2, "VALID"))
    assert got_residual.shape == (2, 4, 4, 8)


def test_a_convolution_with_an_unknown_batch_still_pools_correctly():
    rng = np.random.default_rng(9)
    data = rng.standard_normal((3, 10, 10, 2)).astype(np.float32)
    weights = rng.standard_normal((3, 3, 2, 16)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 10, 10, 2])
    h = tf.nn.relu(tf.nn.conv2d(x, weights, [1, 1, 1, 1], "SAME"))
    pooled = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    with tf.Session() as sess:
        got = sess.run(pooled, {x: data})
        h_value = sess.run(h, {x: data})
    np.testing.assert_array_equal(got, numpy_max_pool(h_value, 2, 2, "SAME"))
