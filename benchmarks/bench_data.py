"""An input pipeline feeding training: tf.data against resident NumPy arrays.

    python benchmarks/bench_data.py

sklearn's digits (1797 images of 8x8) -> map(x / 16) -> shuffle(2048) -> repeat -> batch(128)
-> prefetch(1) feeding an MLP training step (64-256-10, ReLU, softmax cross-entropy, Adam).
Rows, in steps per second turned into seconds per step:
  tensorlib                 tf.data pipeline (C++ worker threads) feeding the step
  tensorlib feed_dict       the same step fed batches of resident, pre-normalised NumPy arrays
  tensorflow (compat.v1)    TensorFlow's tf.data on the same graph code, when installed
The target: the pipeline costs at most 5% over resident data.
"""
import numpy as np

from _harness import interleaved_times, median_time, optional_import, report

BATCH = 128
STEPS = 50  # per timed batch of steps


def digits():
    datasets = optional_import("sklearn.datasets")
    if datasets is None:  # the same shapes when scikit-learn is missing
        rng = np.random.RandomState(0)
        return rng.randint(0, 17, (1797, 64)).astype(np.float32), rng.randint(0, 10, 1797)
    d = datasets.load_digits()
    return d.data.astype(np.float32), d.target.astype(np.int32)


def mlp_loss(tf, x, y):
    rng = np.random.RandomState(1)
    w1 = tf.Variable(rng.randn(64, 256).astype(np.float32) * 0.1)
    w2 = tf.Variable(rng.randn(256, 10).astype(np.float32) * 0.1)
    b1 = tf.Variable(np.zeros(256, np.float32))
    b2 = tf.Variable(np.zeros(10, np.float32))
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))


def pipeline_step(tf, images, labels):
    """(session, one training step) fed by tf.data."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        ds = tf.data.Dataset.from_tensor_slices((images, labels))
        ds = ds.map(lambda x, y: (x / 16.0, y)).shuffle(2048).repeat().batch(BATCH).prefetch(1)
        x, y = tf.data.make_one_shot_iterator(ds).get_next()
        train = tf.train.AdamOptimizer(1e-3).minimize(mlp_loss(tf, x, y))
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init)
    return sess, lambda: sess.run(train)


def feed_step(tf, images, labels):
    """(session, one training step) fed batches of resident arrays with feed_dict."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 64])
        y = tf.placeholder(tf.int32, [None])
        train = tf.train.AdamOptimizer(1e-3).minimize(mlp_loss(tf, x, y))
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init)
    xs, ys = images / 16.0, labels
    order = np.random.RandomState(0).permutation(len(xs))
    batches = [(xs[order[i:i + BATCH]], ys[order[i:i + BATCH]])
               for i in range(0, len(xs) - BATCH + 1, BATCH)]
    state = {"i": 0}

    def step():
        bx, by = batches[state["i"] % len(batches)]
        state["i"] += 1
        sess.run(train, {x: bx, y: by})
    return sess, step


def main():
    import tensorlib
    images, labels = digits()
    # The two tensorlib rows are timed in turn, repeat by repeat: the overhead is their ratio.
    sessions = {"tensorlib feed_dict": feed_step(tensorlib, images, labels),
                "tensorlib": pipeline_step(tensorlib, images, labels)}
    medians, ratios = interleaved_times({name: step for name, (_, step) in sessions.items()},
                                        STEPS, repeat=21)
    for sess, _ in sessions.values():
        sess.close()
    rows = [("tensorlib", medians["tensorlib"]),
            ("tensorlib feed_dict", medians["tensorlib feed_dict"])]
    tf2 = optional_import("tensorflow")
    if tf2 is not None:
        tf1 = tf2.compat.v1
        tf1.disable_eager_execution()
        sess, step = pipeline_step(tf1, images, labels)
        rows.append(("tensorflow (compat.v1) tf.data", median_time(step, STEPS, repeat=9)))
        sess.close()
    report(f"MLP 64-256-10 Adam training step, batch {BATCH}, digits", rows)
    print("\n  steps/s: " + ", ".join(f"{k} {1 / v:.0f}" for k, v in rows))
    print(f"  pipeline overhead over resident data (median of paired repeats): "
          f"{ratios['tensorlib'] - 1:+.1%}")


if __name__ == "__main__":
    main()
