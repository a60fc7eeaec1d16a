"""Dense float32 MatMul, n x n by n x n, for n = 512, 1024, 2048.

    python benchmarks/bench_matmul.py [n ...]

tensorlib runs MatMul with Session.run on fed inputs (the feed and the result copy are part of
the time); peers: NumPy (np.matmul on its BLAS), PyTorch (torch.matmul) when installed. Every
implementation uses the machine's threads. Prints median time, GFLOP/s, the ratio to tensorlib,
and each one's fraction of the CPU's FMA peak (cores x 2 FMA units x 8 or 16 lanes x 2 flops x
clock, AVX2 or AVX-512), measured with a tight loop of independent FMAs when a C++ compiler is at hand.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from _harness import median_time, optional_import, report
from tensorlib import _config

SIZES = [512, 1024, 2048]

PEAK_SOURCE = r"""
#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>
__attribute__((target("avx2,fma"), noinline)) float fma_loop(long iters) {
  __m256 b = _mm256_set1_ps(1.0f), c = _mm256_set1_ps(1e-7f);
  __m256 a0 = _mm256_set1_ps(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0,
         a8 = a0, a9 = a0;
  for (long i = 0; i < iters; ++i) {
#define F(x) x = _mm256_fmadd_ps(x, b, c);
    F(a0) F(a1) F(a2) F(a3) F(a4) F(a5) F(a6) F(a7) F(a8) F(a9)
    asm volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5), "+x"(a6),
                 "+x"(a7), "+x"(a8), "+x"(a9));
  }
  float out[8];
  _mm256_storeu_ps(out, _mm256_add_ps(a0, _mm256_add_ps(a5, a9)));
  return out[0];
}
__attribute__((target("avx512f"), noinline)) float fma_loop_512(long iters) {
  __m512 b = _mm512_set1_ps(1.0f), c = _mm512_set1_ps(1e-7f);
  __m512 a0 = _mm512_set1_ps(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0,
         a8 = a0, a9 = a0;
  for (long i = 0; i < iters; ++i) {
#define G(x) x = _mm512_fmadd_ps(x, b, c);
    G(a0) G(a1) G(a2) G(a3) G(a4) G(a5) G(a6) G(a7) G(a8) G(a9)
    asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6),
                 "+v"(a7), "+v"(a8), "+v"(a9));
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(a0, _mm512_add_ps(a5, a9)));
}
int main(int argc, char** argv) {
  const int threads = std::thread::hardware_concurrency();
  const long iters = 50000000;
  const bool wide = __builtin_cpu_supports("avx512f");
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    volatile float sink = 0;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] { sink = wide ? fma_loop_512(iters) : fma_loop(iters); });
    }
    for (auto& t : pool) t.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double gflops = threads * iters * 10.0 * (wide ? 32 : 16) / s / 1e9;
    if (gflops > best) best = gflops;
  }
  std::printf("%d %.3f %s\n", threads, best, wide ? "AVX-512" : "AVX2");
}
"""


def measure_peak():
    """(threads, GFLOP/s, ISA) of independent FMAs on every hardware thread, the widest
    vectors the CPU has (AVX-512 or AVX2), or None."""
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        src, exe = os.path.join(d, "peak.cc"), os.path.join(d, "peak")
        with open(src, "w") as f:
            f.write(PEAK_SOURCE)
        try:
            subprocess.run([cxx, "-O2", "-pthread", src, "-o", exe], check=True,
                           capture_output=True)
            out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
        except (subprocess.CalledProcessError, OSError):
            return None
    threads, gflops, isa = out.split()
    return int(threads), float(gflops), isa


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
