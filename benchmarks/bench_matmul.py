"""Dense float32 MatMul: squares n x n by n x n (n = 512, 1024, 2048), and the three products of
a dense layer of 3136 -> 1024 at batch 64 (LeNet's first dense layer): its forward pass
(64x3136 @ 3136x1024), its input gradient (64x1024 @ its weights transposed) and its weight
gradient (its input transposed @ 64x1024).

    python benchmarks/bench_matmul.py [square N ...] [dense]

tensorlib runs MatMul with Session.run on fed inputs (the feed and the result copy are part of
the time); peers: NumPy (np.matmul on its BLAS), PyTorch (torch.matmul) when installed, on the
same arrays (transposes as views). Every implementation uses the machine's threads. The rows
are timed in turns, 9 rounds of batches of about 3 GFLOP, with a rest of 0.3 s and an untimed
call before each batch, so that the previous library's idle BLAS threads have stopped spinning
and this one's are awake. Prints median times, the ratio to tensorlib (and the
median of the per-round ratios), GFLOP/s and each one's fraction of the CPU's FMA peak (cores x
2 FMA units x 8 or 16 lanes x 2 flops x clock, AVX2 or AVX-512), measured by benchmarks/peak.py
when a C++ compiler is at hand.
"""
import sys

import numpy as np

from _harness import interleaved_times, optional_import, report
from peak import measure_peak
from tensorlib import _config

SQUARES = [512, 1024, 2048]
# (title, m, k, n, transpose_a, transpose_b): C (m x n) = op(A) op(B), inner dimension k.
DENSE = [("dense forward 64x3136 @ 3136x1024", 64, 3136, 1024, False, False),
         ("dense input gradient 64x1024 @ (3136x1024)^T", 64, 1024, 3136, False, True),
         ("dense weight gradient (64x3136)^T @ 64x1024", 3136, 64, 1024, True, False)]


def operands(rng, m, k, n, ta, tb):
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    return a, b


def tensorlib_matmul(a, b, ta, tb):
    import tensorlib as tf
    x = tf.placeholder(tf.float32, a.shape)
    y = tf.placeholder(tf.float32, b.shape)
    z = tf.matmul(x, y, transpose_a=ta, transpose_b=tb)
    sess = tf.Session()
    feed = {x: a, y: b}
    return lambda: sess.run(z, feed)


def torch_matmul(a, b, ta, tb):
    torch = optional_import("torch")
    if torch is None:
        return None
    x, y = torch.from_numpy(a), torch.from_numpy(b)
    x, y = x.T if ta else x, y.T if tb else y
    return lambda: torch.matmul(x, y)


def bench(title, a, b, m, k, n, ta, tb, peak):
    x, y = a.T if ta else a, b.T if tb else b
    fns = {"tensorlib": tensorlib_matmul(a, b, ta, tb), "numpy": lambda: np.matmul(x, y)}
    np.testing.assert_allclose(fns["tensorlib"](), x @ y, rtol=2e-3, atol=2e-3)
    torch_fn = torch_matmul(a, b, ta, tb)
    if torch_fn is not None:
        fns["torch"] = torch_fn
    flops = 2 * m * k * n
    seconds, ratios = interleaved_times(fns, max(2, int(3e9 / flops)), repeat=9, warmup=2,
                                        pause=0.3)
    report(f"MatMul float32 {title}", list(seconds.items()), unit="ms")
    for name, t in seconds.items():
        gflops = flops / t / 1e9
        frac = f", {gflops / peak[1]:.0%} of peak" if peak else ""
        print(f"  {name:<34} {gflops:>8.1f} GFLOP/s{frac}; median of the rounds' ratios "
              f"{ratios[name]:.2f}")


def main(args):
    peak = measure_peak()
    if peak:
        print(f"{peak[2]} FMA peak: {peak[1]:.1f} GFLOP/s measured on {peak[0]} threads")
    print(f"tensorlib GEMM micro-kernel: {_config.gemm_kernel()}")
    squares = [int(v) for v in args if v.isdigit()]
    if not args:
        squares = SQUARES
    rng = np.random.default_rng(0)
    for n in squares:
        bench(f"{n}x{n} @ {n}x{n}", *operands(rng, n, n, n, False, False), n, n, n, False,
              False, peak)
    if not args or "dense" in args:
        for title, m, k, n, ta, tb in DENSE:
            bench(title, *operands(rng, m, k, n, ta, tb), m, k, n, ta, tb, peak)


if __name__ == "__main__":
    main(sys.argv[1:])
