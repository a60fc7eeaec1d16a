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
peak a thread gets moves with its neighbours' load. Peers, each where installed: NumPy (its BLAS)
and PyTorch (torch.matmul) for the products; PyTorch (torch.nn.functional.conv2d and the
gradients of torch.nn.grad) and TensorFlow 1 (tensorflow.compat.v1 Session) for the
convolutions; PyTorch eager, ONNX Runtime and TensorFlow 1 for the two models (their rows of
bench_inference.py, with its weights). --isa avx2 forces tensorlib's AVX2 kernels (and an AVX2
peak) on an AVX-512 machine, and the peers' where their libraries can be told before they load:
OpenBLAS (OPENBLAS_CORETYPE=Haswell), MKL (MKL_ENABLE_INSTRUCTIONS=AVX2) and oneDNN
(ONEDNN_MAX_CPU_ISA=AVX2); ONNX Runtime's kernels keep their own choice.
"""
import argparse
import os
import statistics
import sys
import time

# Before NumPy, PyTorch or TensorFlow loads its BLAS: they read these once.
PEER_AVX2 = {"OPENBLAS_CORETYPE": "Haswell", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
             "ONEDNN_MAX_CPU_ISA": "AVX2", "DNNL_MAX_CPU_ISA": "AVX2"}
if "--isa=avx2" in sys.argv or any(a == "--isa" and b == "avx2"
                                   for a, b in zip(sys.argv, sys.argv[1:])):
    for name, value in PEER_AVX2.items():
        os.environ.setdefault(name, value)

import numpy as np  # noqa: E402

from _harness import optional_import, wake  # noqa: E402
from peak import limits  # noqa: E402

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
    """A graph of the CNN's second convolution (5x5, 32 -> 64 channels, 14x14, SAME), its
    inputs' shapes, and the same computation in PyTorch (NCHW): torch_fn(torch) gives a call."""
    x_shape, w_shape, y_shape = (BATCH, 14, 14, 32), (5, 5, 32, 64), (BATCH, 14, 14, 64)

    def torch_fn(torch):
        rng = np.random.default_rng(2)
        x, dy = (torch.from_numpy(rng.standard_normal((BATCH, c, 14, 14), dtype=np.float32))
                 for c in (32, 64))
        w = torch.from_numpy(rng.standard_normal((64, 32, 5, 5), dtype=np.float32))
        conv = {"forward": lambda: torch.nn.functional.conv2d(x, w, padding=2),
                "input": lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, padding=2),
                "filter": lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, padding=2)}[op]

        def call():
            with torch.inference_mode():
                return conv()
        return call

    if op == "forward":
        return lambda tf, x, w: tf.nn.conv2d(x, w, S1, "SAME"), [x_shape, w_shape], torch_fn
    if op == "input":
        return (lambda tf, w, dy: tf.nn.conv2d_backprop_input(x_shape, w, dy, S1, "SAME"),
                [w_shape, y_shape], torch_fn)
    return (lambda tf, x, dy: tf.nn.conv2d_backprop_filter(x, w_shape, dy, S1, "SAME"),
            [x_shape, y_shape], torch_fn)


def conv1_torch(torch):
    """The CNN's first convolution (5x5, 1 -> 32 channels, 28x28, SAME) in PyTorch: a call."""
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.standard_normal((BATCH, 1, 28, 28), dtype=np.float32))
    w = torch.from_numpy(rng.standard_normal((32, 1, 5, 5), dtype=np.float32))

    def call():
        with torch.inference_mode():
            return torch.nn.functional.conv2d(x, w, padding=2)
    return call


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

    def peers(libs, threads, rng):
        a, b = (rng.standard_normal(s).astype(np.float32) for s in (a_shape, b_shape))
        product = lambda x, y: (x.T if trans_a else x) @ (y.T if trans_b else y)  # noqa: E731
        runs = {"NumPy": lambda: product(a, b)}
        if libs["torch"] is not None:
            ta, tb = libs["torch"].from_numpy(a), libs["torch"].from_numpy(b)
            runs["PyTorch"] = lambda: product(ta, tb)
        return runs
    return build, [a_shape, b_shape], 2 * m * k * n, peers


def graph_peers(build, shapes, torch_fn=None):
    """Peers of a graph workload: TensorFlow 1 on the same graph code, PyTorch's torch_fn."""
    def peers(libs, threads, rng):
        runs = {}
        if torch_fn is not None and libs["torch"] is not None:
            runs["PyTorch"] = torch_fn(libs["torch"])
        if libs["tf1"] is not None:
            runs["TF1"] = session(libs["tf1"], build, shapes, threads, rng)
        return runs
    return peers


def model_peers(model_name, build, shapes):
    """Peers of a deployed model: PyTorch eager and ONNX Runtime as bench_inference.py runs
    them (its weights and input), TensorFlow 1 on the same graph code."""
    import bench_inference as inference

    def peers(libs, threads, rng):
        model = inference.MODELS[model_name]
        weights, x = model["weights"](rng), rng.random(model["shape"], dtype=np.float32)
        runs = graph_peers(build, shapes)(libs, threads, rng)
        for column, row in (("PyTorch", inference.torch_row),
                            ("ONNX Runtime", inference.onnxruntime_row)):
            try:
                runs[column] = row(model, weights, x, threads)[1]
            except inference.Skip:
                pass
        return runs
    return peers


def workloads():
    """[(name, build, input shapes, FLOP or bytes, peers, limit kind)]: peers(libs, threads,
    rng) gives {column: call} for the peers installed (libs: {"torch": module or None,
    "tf1": ...})."""
    out = []
    for n in (512, 1024, 2048, 4096):
        build, shapes, flop, peers = matmul(n, n, n)
        out.append((f"matmul {n}", build, shapes, flop, peers, "fma"))
    for label, ta, tb, (m, k, n) in [("", False, False, (64, 3136, 1024)),
                                     (" A^T (dW)", True, False, (3136, 64, 1024)),
                                     (" B^T (dX)", False, True, (64, 1024, 3136))]:
        build, shapes, flop, peers = matmul(m, k, n, ta, tb)
        out.append((f"dense {m}x{k}x{n}{label}", build, shapes, flop, peers, "fma"))
    conv1 = lambda tf, x, w: tf.nn.conv2d(x, w, S1, "SAME")  # noqa: E731
    conv1_shapes = [(BATCH, 28, 28, 1), (5, 5, 1, 32)]
    out.append(("conv1 5x5x1->32, 28x28", conv1, conv1_shapes, 2 * BATCH * 784 * 32 * 25,
                graph_peers(conv1, conv1_shapes, conv1_torch), "fma"))
    for op in ("forward", "input", "filter"):
        build, shapes, torch_fn = conv_case(op)
        out.append((f"conv2 5x5x32->64, 14x14, {op}", build, shapes, 2 * BATCH * 196 * 64 * 800,
                    graph_peers(build, shapes, torch_fn), "fma"))
    cnn = frozen(lenet, LENET_SHAPES[1:])
    out.append(("CNN inference, batch 64", cnn, LENET_SHAPES[:1], LENET_FLOP,
                model_peers("lenet", cnn, LENET_SHAPES[:1]), "fma"))
    mlp = frozen(lambda tf, x, w1, w2: tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2),
                 [(784, 256), (256, 10)])
    out.append(("MLP 784-256-10, batch 1", mlp, [(1, 784)], 4 * (784 * 256 + 256 * 10),
                model_peers("mlp", mlp, [(1, 784)]), "l2"))
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
    if args.isa == "avx2":
        print("peers told to use AVX2: " + ", ".join(f"{k}={os.environ[k]}" for k in PEER_AVX2))
    print(os.popen("uptime").read().strip())
    print(f"threads {args.threads}, tensorlib GEMM micro-kernel {_config.gemm_kernel()}, "
          f"peak {isa}: {probes.fma(isa, args.threads, 20_000_000):.1f} GFLOP/s, "
          f"triad {probes.triad(args.threads):.1f} GB/s, "
          f"L2 read {probes.l2_read(args.threads):.1f} GB/s (alone, at the start)")
    tf1 = optional_import("tensorflow")
    if tf1 is not None:
        tf1 = tf1.compat.v1
        tf1.disable_eager_execution()
    torch = optional_import("torch")
    if torch is not None:
        torch.set_num_threads(args.threads)
    # NumPy's BLAS runs on every core unless told otherwise.
    threadpoolctl = optional_import("threadpoolctl")
    if threadpoolctl is not None:
        threadpoolctl.threadpool_limits(args.threads, user_api="blas")
    elif args.threads != os.cpu_count():
        print(f"(NumPy's BLAS uses all {os.cpu_count()} cores: threadpoolctl is not installed)")
    libs = {"torch": torch, "tf1": tf1}
    rng = np.random.default_rng(0)
    columns = ["tensorlib", "NumPy", "PyTorch", "ONNX Runtime", "TF1"]
    print("\n| workload | GFLOP (GB) | limit | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 3) + "|")
    for name, build, shapes, work, peers, kind in workloads():
        if args.names and not any(n in name for n in args.names):
            continue
        runs = {"tensorlib": (session(tl, build, shapes, args.threads, rng), work)}
        runs.update((column, (fn, work)) for column, fn in peers(libs, args.threads, rng).items())
        if kind == "fma":
            probe = lambda: probes.fma(isa, args.threads, 2_000_000)  # noqa: E731
        else:
            probe = lambda: probes.l2_read(args.threads)  # noqa: E731
        got = measure(runs, probe, args.rounds)
        cells = [f"{got[c][0] * 1e3:.3g} ms, {got[c][1]:.0%}" if c in got else "-"
                 for c in columns]
        limit = "FMA" if kind == "fma" else "L2 read"
        print(f"| {name} | {work / 1e9:.3f} | {limit} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
