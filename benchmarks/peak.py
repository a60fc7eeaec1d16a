"""The machine's limits: FMA peak (AVX-512 and AVX2, one core and all cores) and memory bandwidth.

    python benchmarks/peak.py

A small C++ program is compiled with the system's C++ compiler and run: ten independent chains
of vector FMAs per thread (enough to cover the FMA latency on two FMA ports), timed over every
hardware thread, the best of five; and a stream triad (a[i] = b[i] + s c[i], arrays of 64 MiB,
far past the caches) on every thread, counting 12 bytes per element (NumPy's write-allocate
reads are not counted, as STREAM does). The other benchmarks import `measure_peak` to report
their fraction of the peak.
"""
import os
import shutil
import subprocess
import tempfile

PEAK_SOURCE = r"""
#include <immintrin.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>
__attribute__((target("avx2,fma"), noinline)) float fma_loop_256(long iters) {
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
// Seconds of fn(t) run on `threads` threads at once, the best of five.
template <typename F>
double best_seconds(int threads, F fn) {
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { fn(t); });
    for (auto& t : pool) t.join();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}
int main() {
  const int all = std::thread::hardware_concurrency();
  const long iters = 20000000;
  volatile float sink = 0;
  for (int wide = 0; wide < 2; ++wide) {
    if (wide && !__builtin_cpu_supports("avx512f")) continue;
    if (!wide && !__builtin_cpu_supports("fma")) continue;
    for (int threads : {1, all}) {
      const double s = best_seconds(threads, [&](int) {
        sink = wide ? fma_loop_512(iters) : fma_loop_256(iters);
      });
      std::printf("fma %s %d %.3f\n", wide ? "AVX-512" : "AVX2", threads,
                  threads * iters * 10.0 * (wide ? 32 : 16) / s / 1e9);
    }
  }
  const long n = 16L << 20;  // floats per array, per thread
  for (int threads : {1, all}) {
    std::vector<std::vector<float>> a(threads), b(threads), c(threads);
    for (int t = 0; t < threads; ++t) {
      a[t].assign(n, 0.0f);
      b[t].assign(n, 1.0f);
      c[t].assign(n, 2.0f);
    }
    const double s = best_seconds(threads, [&](int t) {
      float* x = a[t].data();
      const float* y = b[t].data();
      const float* z = c[t].data();
      for (long i = 0; i < n; ++i) x[i] = y[i] + 0.5f * z[i];
      asm volatile("" : : "r"(x) : "memory");
    });
    std::printf("triad - %d %.3f\n", threads, threads * n * 12.0 / s / 1e9);
  }
}
"""


def measure_limits():
    """{(kind, isa, threads): figure}: kind 'fma' in GFLOP/s (isa 'AVX-512' or 'AVX2'),
    'triad' in GB/s (isa '-'), for 1 thread and every hardware thread; None without a C++
    compiler."""
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
    limits = {}
    for line in out.splitlines():
        kind, isa, threads, figure = line.split()
        limits[(kind, isa, int(threads))] = float(figure)
    return limits


def measure_peak(limits=None):
    """(threads, GFLOP/s, ISA) of the widest FMA the CPU has on every hardware thread, or None."""
    limits = limits or measure_limits()
    if not limits:
        return None
    fma = [(threads, gflops, isa) for (kind, isa, threads), gflops in limits.items()
           if kind == "fma"]
    threads = max(t for t, _, _ in fma)
    widest = "AVX-512" if any(isa == "AVX-512" for _, _, isa in fma) else "AVX2"
    return next(f for f in fma if f[0] == threads and f[2] == widest)


def main():
    print(os.popen("uptime").read().strip())
    limits = measure_limits()
    if not limits:
        print("no C++ compiler: nothing measured")
        return
    for (kind, isa, threads), figure in sorted(limits.items()):
        unit = "GFLOP/s" if kind == "fma" else "GB/s"
        name = f"FMA {isa}" if kind == "fma" else "memory (triad)"
        print(f"  {name:<18} {threads} thread{'s' if threads > 1 else ' '} {figure:>9.1f} {unit}")


if __name__ == "__main__":
    main()
