"""Reduction throughput: reduce_sum over 64M float32 (256 MB), resident data.

    python benchmarks/bench_reduce.py

tensorlib (1 and 2 intra-op threads, the data in a Variable) against NumPy (one thread) and
PyTorch (1 and 2 threads) when installed. GB/s is the input size over the time; a sum reads
each byte once, so the ceiling is the machine's read bandwidth (the np.copyto row moves
read + write bytes, for scale).
"""
import numpy as np

from _harness import median_time, optional_import, report

N = 64 * 1024 * 1024
REPEAT = 11


def tensorlib_time(data, threads):
    import tensorlib as tf
    g = tf.Graph()
    with g.as_default():
        init = tf.placeholder(tf.float32, [N])
        v = tf.Variable(tf.zeros([N]))
        load = v.assign(init)
        total = tf.reduce_sum(v)
        sess = tf.Session(graph=g, config=tf.ConfigProto(intra_op_parallelism_threads=threads))
    sess.run(v.initializer)
    sess.run(load.op, {init: data})
    assert np.isclose(sess.run(total), data.sum(dtype=np.float64), rtol=1e-5)
    seconds = median_time(lambda: sess.run(total), 1, repeat=REPEAT)
    sess.close()
    return seconds


def main():
    data = np.random.default_rng(0).random(N, dtype=np.float32)
    rows = [("tensorlib 1 thread", tensorlib_time(data, 1)),
            ("tensorlib 2 threads", tensorlib_time(data, 2)),
            ("NumPy", median_time(lambda: data.sum(), 1, repeat=REPEAT))]
    torch = optional_import("torch")
    if torch is not None:
        t = torch.from_numpy(data)
        for threads in (1, 2):
            torch.set_num_threads(threads)
            rows.append((f"PyTorch {threads} thread{'s' if threads > 1 else ''}",
                         median_time(lambda: t.sum().item(), 1, repeat=REPEAT)))
    report("reduce_sum over 64M float32 (256 MB)", rows, unit="ms",
           reference="tensorlib 2 threads")
    for name, seconds in rows:
        print(f"    {name:<32} {data.nbytes / seconds / 1e9:>8.1f} GB/s")
    dst = np.empty_like(data)
    copy = median_time(lambda: np.copyto(dst, data), 1, repeat=5)
    print(f"\nmemory: np.copyto of 256 MB moves {2 * data.nbytes / copy / 1e9:.1f} GB/s "
          "(read + write, one thread)")


if __name__ == "__main__":
    main()
