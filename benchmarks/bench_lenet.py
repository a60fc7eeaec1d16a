"""LeNet-style CNN inference, float32, batch 64 of 28x28x1 images, per Session.run.

    python benchmarks/bench_lenet.py

conv 5x5x32 SAME + bias + ReLU + 2x2 max-pool, conv 5x5x64 SAME + bias + ReLU + 2x2 max-pool,
dense 1024 + ReLU, dense 10; weights are constants. The same graph code builds the model with
tensorlib and with TensorFlow 1 (tensorflow.compat.v1); PyTorch runs torch.nn.functional with
the same weights. Outputs are checked against each other. The implementations are timed in
turns (a rest before each batch for the previous library's idle threads to stop spinning), so
that a change in the machine's load falls on every row alike. Then tensorlib's layers alone,
with their GFLOP/s.
"""
import numpy as np

from _harness import interleaved_times, median_time, optional_import, report

BATCH = 64
NUMBER = 10
S1, K2 = [1, 1, 1, 1], [1, 2, 2, 1]


def make_weights(rng):
    def init(*shape):
        return (rng.standard_normal(shape) / np.sqrt(np.prod(shape[:-1]))).astype(np.float32)

    return {"c1": init(5, 5, 1, 32), "b1": init(1, 32)[0], "c2": init(5, 5, 32, 64),
            "b2": init(1, 64)[0], "f1": init(7 * 7 * 64, 1024), "g1": init(1, 1024)[0],
            "f2": init(1024, 10), "g2": init(1, 10)[0]}


def lenet(tf, x, w):
    """The model as a TF1 graph: the same code builds it with tensorlib and with TensorFlow."""
    h = tf.nn.relu(tf.nn.conv2d(x, w["c1"], S1, "SAME") + w["b1"])
    h = tf.nn.max_pool(h, K2, K2, "SAME")
    h = tf.nn.relu(tf.nn.conv2d(h, w["c2"], S1, "SAME") + w["b2"])
    h = tf.nn.max_pool(h, K2, K2, "SAME")
    h = tf.reshape(h, [-1, 7 * 7 * 64])
    h = tf.nn.relu(tf.matmul(h, w["f1"]) + w["g1"])
    return tf.matmul(h, w["f2"]) + w["g2"]


def session_model(tf, w, build=lenet, shape=(BATCH, 28, 28, 1)):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape)
        y = build(tf, x, w)
    return tf.Session(graph=g), x, y


def tensorlib_run(images, w):
    import tensorlib as tf
    sess, x, y = session_model(tf, w)
    feed = {x: images}
    return lambda: sess.run(y, feed)


def tf1_run(images, w):
    tf = optional_import("tensorflow")
    if tf is None:
        return None
    tf = tf.compat.v1
    tf.disable_eager_execution()
    sess, x, y = session_model(tf, w)
    feed = {x: images}
    return lambda: sess.run(y, feed)


def torch_run(images, w):
    torch = optional_import("torch")
    if torch is None:
        return None
    import torch.nn.functional as F

    t = {k: torch.from_numpy(v) for k, v in w.items()}
    c1, c2 = t["c1"].permute(3, 2, 0, 1).contiguous(), t["c2"].permute(3, 2, 0, 1).contiguous()
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()

    def run():
        with torch.no_grad():
            h = F.max_pool2d(F.relu(F.conv2d(x, c1, t["b1"], padding=2)), 2)
            h = F.max_pool2d(F.relu(F.conv2d(h, c2, t["b2"], padding=2)), 2)
            h = h.permute(0, 2, 3, 1).reshape(BATCH, -1)  # NHWC order, as the dense weights
            h = F.relu(h @ t["f1"] + t["g1"])
            return (h @ t["f2"] + t["g2"]).numpy()

    return run


def bench_layers(w):
    """tensorlib's conv and dense layers alone: [(name, seconds, GFLOP)]."""
    import tensorlib as tf
    layers = [
        ("conv1 5x5x1->32 on 28x28", (BATCH, 28, 28, 1),
         lambda tf, x, w: tf.nn.conv2d(x, w["c1"], S1, "SAME"), 2 * BATCH * 28 * 28 * 32 * 25),
        ("conv2 5x5x32->64 on 14x14", (BATCH, 14, 14, 32),
         lambda tf, x, w: tf.nn.conv2d(x, w["c2"], S1, "SAME"),
         2 * BATCH * 14 * 14 * 64 * 800),
        ("dense1 3136->1024", (BATCH, 3136), lambda tf, x, w: tf.matmul(x, w["f1"]),
         2 * BATCH * 3136 * 1024),
    ]
    rng = np.random.default_rng(1)
    out = []
    for name, shape, build, flops in layers:
        sess, x, y = session_model(tf, w, build, shape)
        feed = {x: rng.standard_normal(shape).astype(np.float32)}
        out.append((name, median_time(lambda: sess.run(y, feed), NUMBER), flops / 1e9))
    return out


def main():
    rng = np.random.default_rng(0)
    w = make_weights(rng)
    images = rng.random((BATCH, 28, 28, 1), dtype=np.float32)
    runs = {"tensorlib Session.run": tensorlib_run(images, w)}
    want = runs["tensorlib Session.run"]()
    layers = bench_layers(w)  # before the peers, whose idle threads may still spin
    for name, make in [("PyTorch (torch.nn.functional)", torch_run),
                       ("TensorFlow 1 Session.run", tf1_run)]:
        run = make(images, w)
        if run is not None:
            np.testing.assert_allclose(run(), want, rtol=1e-3, atol=1e-4)
            runs[name] = run
    seconds, ratios = interleaved_times(runs, NUMBER, pause=0.3)
    report(f"LeNet inference, float32, batch {BATCH}, per call", list(seconds.items()), unit="ms",
           reference="tensorlib Session.run")
    print("  median of the rounds' ratios to tensorlib: " +
          ", ".join(f"{name} {ratio:.2f}" for name, ratio in ratios.items()
                    if name != "tensorlib Session.run"))
    print("\ntensorlib layers alone")
    for name, seconds, gflop in layers:
        print(f"  {name:<34} {seconds * 1e3:>8.2f} ms {gflop / seconds:>8.1f} GFLOP/s")


if __name__ == "__main__":
    main()
