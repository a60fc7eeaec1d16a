"""Feeding: reduce_sum over a fed 256 MB float32 array, against the same sum over resident data.

    python benchmarks/bench_feed.py

A ratio near 1.0 means feeding costs nothing: the array is read in place. Resident data is a
tensorlib Variable (TF1: a Variable; PyTorch: a tensor; NumPy has no such distinction).
"""
import numpy as np

from _harness import median_time, optional_import, report

N = 64 * 1024 * 1024  # 256 MB of float32


def fed_and_resident(tf, data, repeat):
    """(fed, resident) seconds: the same TF1 code measures tensorlib and TensorFlow."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])
        fed = tf.reduce_sum(x)
        init = tf.placeholder(tf.float32, [N])
        v = tf.Variable(tf.zeros([N]))
        load = v.assign(init)
        resident = tf.reduce_sum(v)
        sess = tf.Session(graph=g)
    sess.run(v.initializer)
    sess.run(load.op, {init: data})
    assert np.isclose(sess.run(fed, {x: data}), sess.run(resident), rtol=1e-4)
    feed = {x: data}
    return (median_time(lambda: sess.run(fed, feed), 1, repeat=repeat),
            median_time(lambda: sess.run(resident), 1, repeat=repeat))


def bench_tensorlib(data):
    import tensorlib as tf
    return fed_and_resident(tf, data, repeat=21)


def bench_tf1(data):
    tf = optional_import("tensorflow")
    if tf is None:
        return None
    tf = tf.compat.v1
    tf.disable_eager_execution()
    return fed_and_resident(tf, data, repeat=11)


def bench_torch(data):
    torch = optional_import("torch")
    if torch is None:
        return None
    resident = torch.from_numpy(data.copy())
    return (median_time(lambda: torch.from_numpy(data).sum().item(), 1, repeat=21),
            median_time(lambda: resident.sum().item(), 1, repeat=21))


def main():
    data = np.random.default_rng(0).random(N, dtype=np.float32)
    results = [("tensorlib", bench_tensorlib(data))]
    for name, fn in [("PyTorch", bench_torch), ("TensorFlow 1", bench_tf1)]:
        r = fn(data)
        if r is not None:
            results.append((name, r))
    print("\nfeeding: reduce_sum over 256 MB of float32")
    print(f"  {'implementation':<16} {'fed ms':>10} {'resident ms':>12} {'fed/resident':>13}")
    for name, (fed, resident) in results:
        print(f"  {name:<16} {fed * 1e3:>10.2f} {resident * 1e3:>12.2f} {fed / resident:>12.2f}x")
    numpy_sum = median_time(lambda: data.sum(), 1, repeat=11)
    report("the fed sum against NumPy's data.sum()",
           [("tensorlib (fed)", results[0][1][0]), ("NumPy", numpy_sum)], unit="ms",
           reference="tensorlib (fed)")


if __name__ == "__main__":
    main()
