"""The CUDA backend on a real GPU: every op with a CUDA kernel against the CPU's result, TF1's
default placement, variables in GPU memory, training, the caching allocator, and threads
sharing one session. Skipped where no GPU is visible; test_gpu_coverage.py and
test_devices_cpp.py check what needs none."""
import re
import threading

import numpy as np
import pytest

import tensorlib as tf
from gpu_op_cases import CASES, run_case

pytestmark = pytest.mark.skipif(not tf.config.list_physical_devices("GPU"),
                                reason="no GPU visible to this build")


def _tolerance(case):
    return dict(rtol=case.tol, atol=case.tol)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_on_gpu_matches_cpu(case):
    on_cpu = run_case(tf, case, "/cpu:0")
    on_gpu = run_case(tf, case, "/gpu:0")
    for want, got in zip(on_cpu, on_gpu):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **_tolerance(case))


def _mlp(x, y, hidden=64):
    rng = np.random.RandomState(1)
    w1 = tf.Variable(rng.randn(x.shape[1].value, hidden).astype(np.float32) * 0.1)
    b1 = tf.Variable(np.zeros(hidden, np.float32))
    w2 = tf.Variable(rng.randn(hidden, 10).astype(np.float32) * 0.1)
    b2 = tf.Variable(np.zeros(10, np.float32))
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
    return logits, tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))


def _digits():
    rng = np.random.RandomState(0)
    centers = rng.randn(10, 64).astype(np.float32)
    labels = rng.randint(0, 10, 1200)
    images = centers[labels] + 0.7 * rng.randn(1200, 64).astype(np.float32)
    return images, labels.astype(np.int64)


def _train(device, optimizer, steps=150):
    """Losses along training and the final accuracy, with the whole graph under `device`."""
    images, labels = _digits()
    g = tf.Graph()
    with g.as_default(), tf.device(device):
        x = tf.placeholder(tf.float32, [None, 64])
        y = tf.placeholder(tf.int64, [None])
        logits, loss = _mlp(x, y)
        train = optimizer().minimize(loss)
        correct = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
        init = tf.global_variables_initializer()
    losses = []
    with tf.Session(graph=g, config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        sess.run(init)
        for step in range(steps):
            at = (step * 100) % 1000
            _, value = sess.run([train, loss], {x: images[at:at + 100], y: labels[at:at + 100]})
            losses.append(value)
        accuracy = sess.run(correct, {x: images[1000:], y: labels[1000:]})
    return np.array(losses), accuracy


@pytest.mark.parametrize("optimizer", [
    lambda: tf.train.GradientDescentOptimizer(0.1),
    lambda: tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
    lambda: tf.train.AdamOptimizer(1e-2),
], ids=["sgd", "nesterov", "adam"])
def test_mlp_trains_on_gpu_as_on_cpu(optimizer):
    cpu_losses, cpu_accuracy = _train("/cpu:0", optimizer)
    gpu_losses, gpu_accuracy = _train("", optimizer)  # TF1's default: the GPU
    np.testing.assert_allclose(gpu_losses[:20], cpu_losses[:20], rtol=1e-3, atol=1e-4)
    assert gpu_losses[-10:].mean() < 0.3 * gpu_losses[:10].mean()
    assert gpu_accuracy >= cpu_accuracy - 0.02 and gpu_accuracy > 0.9


def test_default_placement_and_its_log(capfd):
    x = tf.placeholder(tf.float32, [None, 8])
    w = tf.Variable(np.ones((8, 4), np.float32))
    y = tf.nn.relu(tf.matmul(x, w))
    n = tf.shape(y)
    config = tf.ConfigProto(log_device_placement=True)
    with tf.Session(config=config) as sess:
        sess.run(w.initializer)
        out, shape = sess.run([y, n], {x: np.ones((3, 8), np.float32)})
    np.testing.assert_array_equal(out, np.full((3, 4), 8.0, np.float32))
    assert list(shape) == [3, 4]
    log = capfd.readouterr().err
    place = dict(re.findall(r"^(\S+): \(\w+\): \S+device:(\w+:\d)$", log, re.M))
    assert place[y.op.name] == "GPU:0" and place[y.op.inputs[0].op.name] == "GPU:0"
    assert place[n.op.name] == "CPU:0"  # int32 shapes stay on the host
    assert place[w.op.name] == "GPU:0"


def test_variables_live_on_gpu_and_save_restore(tmp_path):
    v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    update = v.assign(v * 2.0)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(update)
        path = saver.save(sess, str(tmp_path / "model"))
        sess.run(update)
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(v), np.arange(6).reshape(2, 3) * 2.0)


def test_memory_statistics_and_cache_release():
    tf.config.experimental.release_cached_memory("GPU:0")
    before = tf.config.experimental.get_memory_info("GPU:0")
    tf.config.experimental.reset_memory_stats("GPU:0")
    big = tf.Variable(tf.zeros([1024, 1024]) + 1.0)
    with tf.Session() as sess:
        sess.run(big.initializer)
        during = tf.config.experimental.get_memory_info("GPU:0")
        assert during["current"] >= before["current"] + (4 << 20)
        assert during["peak"] >= during["current"]
    after = tf.config.experimental.get_memory_info("GPU:0")
    assert after["current"] < during["current"]  # the session's variables are gone
    assert after["cached"] > 0
    tf.config.experimental.release_cached_memory("GPU:0")
    assert tf.config.experimental.get_memory_info("GPU:0")["cached"] == 0
    with pytest.raises(ValueError, match="GPU"):
        tf.config.experimental.get_memory_info("CPU:0")


def test_out_of_memory_names_the_op_and_size():
    a = tf.placeholder(tf.float32, [None, 1])
    b = tf.placeholder(tf.float32, [1, None])
    product = tf.matmul(a, b, name="huge_product")  # 600000^2 floats: 1.4 TB
    with tf.Session() as sess:
        with pytest.raises(tf.errors.ResourceExhaustedError) as e:
            sess.run(product, {a: np.ones((600000, 1), np.float32),
                               b: np.ones((1, 600000), np.float32)})
        message = str(e.value)
        assert "huge_product" in message and "MatMul" in message
        assert "1440000000000 bytes" in message and "in use" in message
        # The session still works after the failure.
        small = sess.run(product, {a: np.ones((2, 1), np.float32), b: np.ones((1, 3), np.float32)})
        np.testing.assert_array_equal(small, np.ones((2, 3), np.float32))


def test_allocator_reuses_blocks_of_many_sizes():
    x = tf.placeholder(tf.float32, [None])
    y = tf.square(x) + 1.0
    rng = np.random.RandomState(0)
    with tf.Session() as sess:
        for _ in range(3):
            for n in rng.randint(1, 1 << 20, 40):
                data = rng.randn(n).astype(np.float32)
                np.testing.assert_allclose(sess.run(y, {x: data}), data * data + 1, rtol=1e-6)
        info = tf.config.experimental.get_memory_info("GPU:0")
    # Cached memory stays within the size classes' slack of what the largest runs needed.
    assert info["cached"] < 256 << 20


def test_eight_threads_share_one_gpu_session():
    x = tf.placeholder(tf.float32, [None, 32])
    w = tf.Variable(np.random.RandomState(2).randn(32, 16).astype(np.float32))
    y = tf.reduce_sum(tf.nn.relu(tf.matmul(x, w)), axis=1)
    errors = []
    with tf.Session() as sess:
        sess.run(w.initializer)
        weights = sess.run(w)

        def work(seed):
            rng = np.random.RandomState(seed)
            try:
                for _ in range(50):
                    data = rng.randn(rng.randint(1, 300), 32).astype(np.float32)
                    want = np.maximum(data @ weights, 0).sum(1)
                    np.testing.assert_allclose(sess.run(y, {x: data}), want, rtol=1e-4,
                                               atol=1e-4)
            except Exception as e:  # noqa: BLE001 (reported by the main thread)
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[0]
