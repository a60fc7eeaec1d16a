"""Elementwise throughput: add and exp over 16M float32 (64 MB per operand).

    python benchmarks/bench_elementwise.py

tensorlib runs with 1 and with 2 intra-op threads (ConfigProto), PyTorch with 1 and 2 threads
(when installed), NumPy single-threaded. Two forms of each op:
  - "new result": the result is a fresh array (np.exp(x), torch.exp(x), tensorlib fetching
    the output), so page faults of the new 64 MB buffer are part of the cost;
  - "into a buffer": the result overwrites an existing buffer (NumPy/PyTorch out=, tensorlib
    running the op without fetching it, so the executor reuses its pooled buffer).
GB/s counts the bytes each op must move (inputs read + output written); the copy row
(np.copyto, read + write) shows what this machine's memory delivers to one thread.
"""
import numpy as np

from _harness import median_time, optional_import, report

N = 16 * 1024 * 1024
REPEAT = 11


def tensorlib_times(x, y, threads):
    """{(op, form): seconds} for tensorlib with `threads` intra-op threads."""
    import tensorlib as tf
    g = tf.Graph()
    with g.as_default():
        a = tf.placeholder(tf.float32, [N])
        b = tf.placeholder(tf.float32, [N])
        ops = {"add": a + b, "exp": tf.exp(a)}
        sess = tf.Session(graph=g, config=tf.ConfigProto(intra_op_parallelism_threads=threads))
    feed = {a: x, b: y}
    np.testing.assert_allclose(sess.run(ops["exp"], feed), np.exp(x), rtol=1e-6)
    times = {}
    for name, t in ops.items():
        times[name, "new result"] = median_time(lambda: sess.run(t, feed), 1, repeat=REPEAT)
        times[name, "into a buffer"] = median_time(lambda: sess.run(t.op, feed), 1,
                                                   repeat=REPEAT)
    sess.close()
    return times


def numpy_times(x, y):
    out = np.empty_like(x)
    return {("add", "new result"): median_time(lambda: x + y, 1, repeat=REPEAT),
            ("add", "into a buffer"): median_time(lambda: np.add(x, y, out=out), 1,
                                                  repeat=REPEAT),
            ("exp", "new result"): median_time(lambda: np.exp(x), 1, repeat=REPEAT),
            ("exp", "into a buffer"): median_time(lambda: np.exp(x, out=out), 1,
                                                  repeat=REPEAT)}


def torch_times(torch, x, y, threads):
    torch.set_num_threads(threads)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    out = torch.empty_like(tx)
    return {("add", "new result"): median_time(lambda: tx + ty, 1, repeat=REPEAT),
            ("add", "into a buffer"): median_time(lambda: torch.add(tx, ty, out=out), 1,
                                                  repeat=REPEAT),
            ("exp", "new result"): median_time(lambda: torch.exp(tx), 1, repeat=REPEAT),
            ("exp", "into a buffer"): median_time(lambda: torch.exp(tx, out=out), 1,
                                                  repeat=REPEAT)}


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(N, dtype=np.float32)
    y = rng.standard_normal(N, dtype=np.float32)
    impls = [("tensorlib 1 thread", tensorlib_times(x, y, 1)),
             ("tensorlib 2 threads", tensorlib_times(x, y, 2)),
             ("NumPy", numpy_times(x, y))]
    torch = optional_import("torch")
    if torch is not None:
        impls += [("PyTorch 1 thread", torch_times(torch, x, y, 1)),
                  ("PyTorch 2 threads", torch_times(torch, x, y, 2))]
    dst = np.empty_like(x)
    copy = median_time(lambda: np.copyto(dst, x), 1, repeat=REPEAT)
    print(f"\nmemory: np.copyto of 64 MB moves {2 * x.nbytes / copy / 1e9:.1f} GB/s "
          "(read + write, one thread)")
    bytes_moved = {"add": 3 * x.nbytes, "exp": 2 * x.nbytes}
    for op in ("add", "exp"):
        for form in ("new result", "into a buffer"):
            rows = [(name, t[op, form]) for name, t in impls]
            report(f"{op} over 16M float32, {form}", rows, unit="ms",
                   reference="tensorlib 1 thread")
            for name, seconds in rows:
                print(f"    {name:<32} {bytes_moved[op] / seconds / 1e9:>8.1f} GB/s")


if __name__ == "__main__":
    main()
