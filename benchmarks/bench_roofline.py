"""The roofline table of benchmarks/README.md: each workload's work, the machine's limit beside
it, and the fraction of that limit tensorlib and its peers reach.

    python benchmarks/bench_roofline.py [--threads N] [--isa avx2|avx512] [name ...]

Workloads: square float32 MatMul (512 to 4096), the dense layer of the LeNet-like CNN
(64x3136 by 3136x1024) and the two products of its gradient (transposed A, transposed B), the
CNN's two convolutions (forward; input and filter gradients of the second), the CNN's batch-64
inference, and the batch-1 MLP 784-256-10 (the two models with their weights constants of the
graph, as deployed). The MLP is bound by reading its 0.8 MB of weights, which stay in the two
cores' L2 caches between calls (each thread reads its half), so its limit is the L2 read
bandwidth (peak.py's, all threads) and its fraction counts the weights' bytes once.

Every figure is the best over rounds; in each round every implementation runs once and the
FMA peak (or the L2 bandwidth) is measured right after it in this process (benchmarks/peak.py),
so that a fraction compares figures taken together: on a machine shared with other work the
peak a thread gets moves with its neighbours' load. Peers: NumPy (its BLAS) for the products,
TensorFlow 1 (tensorflow.compat.v1 Session) for the convolutions and the CNN, when installed.
--isa avx2 forces tensorlib's AVX2 kernels (and an AVX2 peak) on an AVX-512 machine.
"""
import argparse
import os
import statistics
import time

import numpy as np

from _harness import optional_import, wake
from peak import limits

BATCH = 64
S1 = [1, 1, 1, 1]


def session(tf, build, shapes, threads, rng):
    """(run, check value) of a graph built by build(tf, *placeholders) on random feeds."""
    g = tf.Graph()
    with g.as_default():
        xs = [tf.placeholder(tf.float32, s) for s in shapes]
        y = build(tf, *xs)
        config = tf.ConfigProto(intra_op_parallelism_threads=threads,
                                inter_op_parallelism_threads=1)
        sess = tf.Session(graph=g, config=config)
    feed = {x: rng.standard_normal(s).astype(np.float32) for x, s in zip(xs, shapes)}
    return lambda: sess.run(y, feed)


def conv_case(op):
    """A graph of the CNN's second convolution (5x5, 32 -> 64 channels, 14x14, SAME)."""
    x_shape, w_shape, y_shape = (BATCH, 14, 14, 32), (5, 5, 32, 64), (BATCH, 14, 14, 64)
    if op == "forward":
        return lambda tf, x, w: tf.nn.conv2d(x, w, S1, "SAME"), [x_shape, w_shape]
    if op == "input":
        return (lambda tf, w, dy: tf.nn.conv2d_backprop_input(x_shape, w, dy, S1, "SAME"),
                [w_shape, y_shape])
    return (lambda tf, x, dy: tf.nn.conv2d_backprop_filter(x, w_shape, dy, S1, "SAME"),
            [x_shape, y_shape])


def lenet(tf, x, *w):
    h = tf.nn.relu(tf.nn.conv2d(x, w[0], S1, "SAME") + w[1])
    h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    h = tf.nn.relu(tf.nn.conv2d(h, w[2], S1, "SAME") + w[3])
    h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    h = tf.nn.relu(tf.matmul(tf.reshape(h, [-1, 3136]), w[4]) + w[5])
    return tf.matmul(h, w[6]) + w[7]


LENET_SHAPES = [(BATCH, 28, 28, 1), (5, 5, 1, 32), (32,), (5, 5, 32, 64), (64,), (3136, 1024),
                (1024,), (1024, 10), (10,)]
LENET_FLOP = 2 * BATCH * (784 * 32 * 25 + 196 * 64 * 800 + 3136 * 1024 + 1024 * 10)


def frozen(build, weight_shapes):
    """build(tf, x, *weights) with the weights constants of the graph, as a model is deployed
    (a library may pack them once, when the graph is loaded)."""
    def build_frozen(tf, x):
        rng = np.random.default_rng(1)
        weights = [tf.constant(rng.standard_normal(s).astype(np.float32) * 0.05)
                   for s in weight_shapes]
        return build(tf, x, *weights)
    return build_frozen


def matmul(m, k, n, trans_a=False, trans_b=False):
    a_shape = (k, m) if trans_a else (m, k)
    b_shape = (n, k) if trans_b else (k, n)
    build = lambda tf, a, b: tf.matmul(a, b, transpose_a=trans_a, transpose_b=trans_b)  # noqa
    numpy = lambda a, b: (a.T if trans_a else a) @ (b.T if trans_b else b)  # noqa
    return build, [a_shape, b_shape], 2 * m * k * n, numpy


def workloads():
    """[(name, build, input shapes, FLOP, NumPy form or None, TF peer?, limit kind)]."""
    out = []
    for n in (512, 1024, 2048, 4096):
        build, shapes, flop, numpy = matmul(n, n, n)
        out.append((f"matmul {n}", build, shapes, flop, numpy, False, "fma"))
    for label, ta, tb, (m, k, n) in [("", False, False, (64, 3136, 1024)),
                                     (" A^T (dW)", True, False, (3136, 64, 1024)),
                                     (" B^T (dX)", False, True, (64, 1024, 3136))]:
        build, shapes, flop, numpy = matmul(m, k, n, ta, tb)
        out.append((f"dense {m}x{k}x{n}{label}", build, shapes, flop, numpy, False, "fma"))
    out.append(("conv1 5x5x1->32, 28x28", lambda tf, x, w: tf.nn.conv2d(x, w, S1, "SAME"),
                [(BATCH, 28, 28, 1), (5, 5, 1, 32)], 2 * BATCH * 784 * 32 * 25, None, True,
                "fma"))
    for op in ("forward", "input", "filter"):
        build, shapes = conv_case(op)
        out.append((f"conv2 5x5x32->64, 14x14, {op}", build, shapes, 2 * BATCH * 196 * 64 * 800,
                    None, True, "fma"))
    out.append(("CNN inference, batch 64", frozen(lenet, LENET_SHAPES[1:]), LENET_SHAPES[:1],
                LENET_FLOP, None, True, "fma"))
    mlp = lambda tf, x, w1, w2: tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2)  # noqa: E731
    out.append(("MLP 784-256-10, batch 1", frozen(mlp, [(784, 256), (256, 10)]), [(1, 784)],
                4 * (784 * 256 + 256 * 10), None, True, "l2"))
    return out


def measure(runs, probe, rounds):
    """{name: (best seconds, fraction of the limit)} for runs {name: (fn, work)}: every round
    runs each fn once (a few times when it is short) and probes the limit right after it. On a
    shared machine the best time and the best probe are the figures least disturbed by others:
    the fraction is the best rate over the best limit seen in the same rounds."""
    seconds = {name: [] for name in runs}
    limit = []
    for fn, _ in runs.values():
        fn()
    for _ in range(rounds):
        for name, (fn, _) in runs.items():
            time.sleep(0.1)  # lets the previous library's idle threads stop spinning
            wake(fn)
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            repeat = max(1, min(50, int(0.02 / max(elapsed, 1e-6))))
            if repeat > 1:
                start = time.perf_counter()
                for _ in range(repeat):
                    fn()
                elapsed = (time.perf_counter() - start) / repeat
            seconds[name].append(elapsed)
            limit.append(probe())
    return {name: (min(t), runs[name][1] / min(t) / 1e9 / max(limit))
            for name, t in seconds.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--isa", choices=["avx2", "avx512"])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    import tensorlib as tl
    from tensorlib import _config
    if args.isa:
        _config.set_gemm_kernel(args.isa)
    probes = limits()
    isa = {"avx2": "AVX2", "avx512": "AVX-512"}.get(args.isa) or probes.isa
    print(os.popen("uptime").read().strip())
    print(f"threads {args.threads}, tensorlib GEMM micro-kernel {_config.gemm_kernel()}, "
          f"peak {isa}: {probes.fma(isa, args.threads, 20_000_000):.1f} GFLOP/s, "
          f"triad {probes.triad(args.threads):.1f} GB/s, L2 read {probes.l2_read(args.threads):.1f} "
          "GB/s (alone, at the start)")
    tf1 = optional_import("tensorflow")
    if tf1 is not None:
        tf1 = tf1.compat.v1
        tf1.disable_eager_execution()
    rng = np.random.default_rng(0)
    print("\n| workload | GFLOP (GB) | limit | tensorlib | NumPy | TF1 |")
    print("|---|---|---|---|---|---|")
    for name, build, shapes, work, numpy, tf_peer, kind in workloads():
        if args.names and not any(n in name for n in args.names):
            continue
        runs = {"tensorlib": (session(tl, build, shapes, args.threads, rng), work)}
        if numpy is not None:
            arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
            runs["numpy"] = (lambda a=arrays, f=numpy: f(*a), work)
        if tf_peer and tf1 is not None:
            runs["tf1"] = (session(tf1, build, shapes, args.threads, rng), work)
        if kind == "fma":
            probe = lambda: probes.fma(isa, args.threads, 2_000_000)  # noqa: E731
        else:
            probe = lambda: probes.l2_read(args.threads)  # noqa: E731
        got = measure(runs, probe, args.rounds)
        cells = [f"{got[r][0] * 1e3:.3g} ms, {got[r][1]:.0%}" if r in got else "-"
                 for r in ("tensorlib", "numpy", "tf1")]
        limit = "FMA" if kind == "fma" else "L2 read"
        print(f"| {name} | {work / 1e9:.3f} | {limit} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
