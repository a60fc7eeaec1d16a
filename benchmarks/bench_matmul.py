"""Dense float32 MatMul, n x n by n x n, for n = 512, 1024, 2048.

    python benchmarks/bench_matmul.py [n ...]

tensorlib runs MatMul with Session.run on fed inputs (the feed and the result copy are part of
the time); peers: NumPy (np.matmul on its BLAS), PyTorch (torch.matmul) when installed. Every
implementation uses the machine's threads. Prints median time, GFLOP/s, the ratio to tensorlib,
and each one's fraction of the CPU's FMA peak (cores x 2 FMA units x 8 or 16 lanes x 2 flops x
clock, AVX2 or AVX-512), measured by benchmarks/peak.py when a C++ compiler is at hand.
"""
import sys
import time

import numpy as np

from _harness import median_time, optional_import, report
from peak import measure_peak
from tensorlib import _config

SIZES = [512, 1024, 2048]


def bench_tensorlib(a, b, number):
    import tensorlib as tf
    x = tf.placeholder(tf.float32, a.shape)
    y = tf.placeholder(tf.float32, b.shape)
    z = tf.matmul(x, y)
    sess = tf.Session()
    feed = {x: a, y: b}
    seconds = median_time(lambda: sess.run(z, feed), number, repeat=7, warmup=2)
    # NOTE: checked after timing: NumPy's BLAS threads spin for a while after each call.
    np.testing.assert_allclose(sess.run(z, feed), a @ b, rtol=2e-3, atol=2e-3)
    return seconds


def bench_numpy(a, b, number):
    return median_time(lambda: np.matmul(a, b), number, repeat=7, warmup=2)


def bench_torch(a, b, number):
    torch = optional_import("torch")
    if torch is None:
        return None
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    return median_time(lambda: torch.matmul(ta, tb), number, repeat=7, warmup=2)


def settled(fn, *args):
    """fn(*args) after a pause that lets the previous library's idle threads stop spinning."""
    time.sleep(0.5)
    return fn(*args)


def main(sizes):
    peak = measure_peak()
    if peak:
        print(f"{peak[2]} FMA peak: {peak[1]:.1f} GFLOP/s measured on {peak[0]} threads")
    print(f"tensorlib GEMM micro-kernel: {_config.gemm_kernel()}")
    rng = np.random.default_rng(0)
    for n in sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        number = max(1, int(2e9 / (2 * n ** 3)))
        rows = [("tensorlib", settled(bench_tensorlib, a, b, number)),
                ("numpy", settled(bench_numpy, a, b, number))]
        t = settled(bench_torch, a, b, number)
        if t is not None:
            rows.append(("torch", t))
        report(f"MatMul float32 {n}x{n} @ {n}x{n}", rows, unit="ms")
        for name, seconds in rows:
            gflops = 2 * n ** 3 / seconds / 1e9
            frac = f", {gflops / peak[1]:.0%} of peak" if peak else ""
            print(f"  {name:<34} {gflops:>8.1f} GFLOP/s{frac}")


if __name__ == "__main__":
    main([int(v) for v in sys.argv[1:]] or SIZES)
