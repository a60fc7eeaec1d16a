"""The machine's limits: FMA peak (AVX-512 and AVX2, one core and all cores), memory and L2
bandwidth.

    python benchmarks/peak.py

A small C++ program is compiled with the system's C++ compiler and run: ten independent chains
of vector FMAs per thread (enough to cover the FMA latency on two FMA ports), timed over every
hardware thread, the best of five; and a stream triad (a[i] = b[i] + s c[i], arrays of 64 MiB,
far past the caches) on every thread, counting 12 bytes per element; and the bandwidth of
reading an array that fits L2 (400 KB per thread) over and over in the widest aligned vectors,
timed inside each thread after all have started (the slowest thread's time), counting 4 bytes
per element (the triad's write-allocate reads are not counted, as STREAM does). The program is
a shared library loaded with ctypes: the other benchmarks import `limits()` to measure the
peak in their own process, beside their runs.
"""
import ctypes
import os
import shutil
import subprocess
import tempfile

PEAK_SOURCE = r"""
#include <immintrin.h>
#include <algorithm>
#include <atomic>
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
// Sums n floats (x 64-byte aligned, n a multiple of 128) `repeats` times over: eight
// independent chains of adds (enough to cover their latency), one full vector a load. The
// chains are named values, not an array: at -O2 GCC keeps an array of vectors on the stack,
// and each add then waits on a store and a load (such a loop read L2 at 73-88 GB/s on a Zen 4
// core that delivers 116).
#define TL_READ_LOOP(NAME, TARGET, V, ZERO, LOAD, ADD, LANES)                              \
  __attribute__((target(TARGET), noinline)) V NAME(const float* x, long n, long repeats) { \
    V s0 = ZERO(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;          \
    for (long r = 0; r < repeats; ++r) {                                                   \
      for (long i = 0; i < n; i += 8 * LANES) {                                            \
        const float* p = x + i;                                                            \
        s0 = ADD(s0, LOAD(p)), s1 = ADD(s1, LOAD(p + LANES));                              \
        s2 = ADD(s2, LOAD(p + 2 * LANES)), s3 = ADD(s3, LOAD(p + 3 * LANES));              \
        s4 = ADD(s4, LOAD(p + 4 * LANES)), s5 = ADD(s5, LOAD(p + 5 * LANES));              \
        s6 = ADD(s6, LOAD(p + 6 * LANES)), s7 = ADD(s7, LOAD(p + 7 * LANES));              \
      }                                                                                    \
    }                                                                                      \
    return ADD(ADD(ADD(s0, s1), ADD(s2, s3)), ADD(ADD(s4, s5), ADD(s6, s7)));              \
  }
TL_READ_LOOP(read_loop_256v, "avx2", __m256, _mm256_setzero_ps, _mm256_load_ps, _mm256_add_ps, 8)
TL_READ_LOOP(read_loop_512v, "avx512f", __m512, _mm512_setzero_ps, _mm512_load_ps,
             _mm512_add_ps, 16)
__attribute__((target("avx2"), noinline)) float read_loop_256(const float* x, long n,
                                                             long repeats) {
  float out[8];
  _mm256_storeu_ps(out, read_loop_256v(x, n, repeats));
  return out[0];
}
__attribute__((target("avx512f"), noinline)) float read_loop_512(const float* x, long n,
                                                                long repeats) {
  return _mm512_reduce_add_ps(read_loop_512v(x, n, repeats));
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
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}
extern "C" {
// GFLOP/s of independent FMAs on `threads` threads at once, AVX-512 when `wide`, else AVX2;
// 0 when the CPU lacks them.
double fma_gflops(int wide, int threads, long iters) {
  if (wide ? !__builtin_cpu_supports("avx512f") : !__builtin_cpu_supports("fma")) return 0;
  volatile float sink = 0;
  const double s = best_seconds(threads, [&](int) {
    sink = wide ? fma_loop_512(iters) : fma_loop_256(iters);
  });
  return threads * iters * 10.0 * (wide ? 32 : 16) / s / 1e9;
}
// GB/s of a stream triad over arrays of n floats per thread on `threads` threads at once.
double triad_gbps(int threads, long n) {
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
  return threads * n * 12.0 / s / 1e9;
}
// GB/s of reading (summing) an array of n floats per thread, `repeats` times over, on
// `threads` threads at once: the bandwidth of the cache level the arrays fit in. Each thread
// reads its array once first (so that it sits in that thread's caches), waits for the
// others, then times its own reads; the slowest thread's time counts, the best of five.
double read_gbps(int threads, long n, long repeats) {
  n = (n + 127) / 128 * 128;
  std::vector<float*> a(threads);
  for (int t = 0; t < threads; ++t) {
    a[t] = static_cast<float*>(std::aligned_alloc(64, n * sizeof(float)));
    std::fill(a[t], a[t] + n, 1.0f);
  }
  const bool wide = __builtin_cpu_supports("avx512f");
  auto read = [&](int t, long times) {
    return wide ? read_loop_512(a[t], n, times) : read_loop_256(a[t], n, times);
  };
  volatile float sink = 0;
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    std::atomic<int> ready{0};
    std::vector<double> seconds(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        sink = read(t, 2);
        ready.fetch_add(1);
        while (ready.load() < threads) {
        }
        const auto t0 = std::chrono::steady_clock::now();
        sink = read(t, repeats);
        const auto t1 = std::chrono::steady_clock::now();
        seconds[t] = std::chrono::duration<double>(t1 - t0).count();
      });
    }
    for (auto& t : pool) t.join();
    best = std::min(best, *std::max_element(seconds.begin(), seconds.end()));
  }
  for (float* p : a) std::free(p);
  return threads * n * 4.0 * repeats / best / 1e9;
}
}
"""


class Limits:
    """The compiled probes, called in this process: so that a benchmark can measure the peak
    right beside its own runs (on a shared machine the peak a thread gets moves with the load
    of its neighbours, and a ratio is only fair between figures taken together)."""

    def __init__(self, library):
        self._lib = library
        self._lib.fma_gflops.restype = ctypes.c_double
        self._lib.fma_gflops.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long]
        self._lib.triad_gbps.restype = ctypes.c_double
        self._lib.triad_gbps.argtypes = [ctypes.c_int, ctypes.c_long]
        self._lib.read_gbps.restype = ctypes.c_double
        self._lib.read_gbps.argtypes = [ctypes.c_int, ctypes.c_long, ctypes.c_long]
        self.threads = os.cpu_count()
        self.isa = "AVX-512" if self.fma("AVX-512", 1, 1000) else "AVX2"

    def fma(self, isa=None, threads=None, iters=2_000_000):
        """GFLOP/s of independent FMAs (`isa` 'AVX-512' or 'AVX2', the widest by default) on
        `threads` threads (all by default), the best of five; 0 without that ISA."""
        return self._lib.fma_gflops((isa or self.isa) == "AVX-512", threads or self.threads,
                                    iters)

    def triad(self, threads=None, floats=16 << 20):
        """GB/s of a stream triad over arrays of `floats` floats per thread (64 MiB: past the
        caches), the best of five."""
        return self._lib.triad_gbps(threads or self.threads, floats)

    def l2_read(self, threads=None, floats=100_000, repeats=200):
        """GB/s of reading an array of `floats` floats per thread over and over (400 KB: past
        L1, inside L2; aligned, in the widest vectors), the best of five."""
        return self._lib.read_gbps(threads or self.threads, floats, repeats)


_LIMITS = []


def limits():
    """The probes (compiled once per process with the system's C++ compiler), or None without
    a compiler."""
    if _LIMITS:
        return _LIMITS[0]
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        return None
    directory = tempfile.mkdtemp(prefix="tensorlib-peak-")
    src, lib = os.path.join(directory, "peak.cc"), os.path.join(directory, "peak.so")
    with open(src, "w") as f:
        f.write(PEAK_SOURCE)
    try:
        subprocess.run([cxx, "-O2", "-shared", "-fPIC", "-pthread", src, "-o", lib], check=True,
                       capture_output=True)
    except (subprocess.CalledProcessError, OSError):
        return None
    _LIMITS.append(Limits(ctypes.CDLL(lib)))
    return _LIMITS[0]


def measure_peak():
    """(threads, GFLOP/s, ISA) of the widest FMA the CPU has on every hardware thread, or None."""
    probes = limits()
    if probes is None:
        return None
    return probes.threads, probes.fma(iters=20_000_000), probes.isa


def main():
    print(os.popen("uptime").read().strip())
    probes = limits()
    if probes is None:
        print("no C++ compiler: nothing measured")
        return
    for threads in sorted({1, probes.threads}):
        label = f"{threads} thread{'s' if threads > 1 else ''}"
        for isa in ("AVX-512", "AVX2"):
            gflops = probes.fma(isa, threads, 20_000_000)
            if gflops:
                print(f"  FMA {isa:<8} {label:<10} {gflops:>9.1f} GFLOP/s")
        print(f"  memory triad {label:<10} {probes.triad(threads):>9.1f} GB/s")
        print(f"  L2 read      {label:<10} {probes.l2_read(threads):>9.1f} GB/s")


if __name__ == "__main__":
    main()
