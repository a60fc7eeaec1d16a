"""The CUDA SGEMM (cuda/ops/gemm.cuh) beside cuBLAS (through PyTorch) on one GPU: correctness
on edge shapes, then GFLOP/s at 4096^3 as a ratio to cuBLAS, FP32 and TF32. Needs nvcc and
PyTorch with CUDA; builds a small wrapper library with nvcc.

    python benchmarks/bench_sgemm_cuda.py [--size 4096]
"""
import argparse
import ctypes
import pathlib
import subprocess
import tempfile

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent

WRAPPER = r"""
#include "cuda/ops/gemm.cuh"
extern "C" int tl_sgemm(long m, long n, long k, const float* a, const float* b, float* c,
                        int ta, int tb, int tf32) {
  tl::cuda::GemmArgs g;
  g.m = m; g.n = n; g.k = k; g.a = a; g.b = b; g.c = c;
  g.trans_a = ta; g.trans_b = tb;
  g.lda = ta ? m : k; g.ldb = tb ? k : n; g.ldc = n;
  return static_cast<int>(tl::cuda::launch_sgemm(g, tf32, nullptr));
}
"""


def build(tmp):
    source = pathlib.Path(tmp) / "wrapper.cu"
    source.write_text(WRAPPER)
    lib = pathlib.Path(tmp) / "libtlsgemm.so"
    subprocess.check_call(["nvcc", "-O3", "-std=c++17", "-arch=sm_90", "-shared",
                           "-Xcompiler=-fPIC", f"-I{ROOT}", f"-I{ROOT / 'include'}",
                           f"-I{ROOT / 'src'}", str(source), "-o", str(lib)])
    fn = ctypes.CDLL(str(lib)).tl_sgemm
    fn.argtypes = [ctypes.c_long] * 3 + [ctypes.c_void_p] * 3 + [ctypes.c_int] * 3
    return fn


def run(fn, a, b, m, n, k, ta, tb, tf32):
    c = torch.empty(m, n, device="cuda")
    err = fn(m, n, k, a.data_ptr(), b.data_ptr(), c.data_ptr(), ta, tb, tf32)
    assert err == 0, f"launch failed: {err}"
    return c


def check(fn):
    for m, n, k in [(1, 1, 1), (7, 33, 129), (129, 7, 33), (130, 129, 17), (255, 257, 259),
                    (128, 128, 8), (1000, 3, 1)]:
        for ta in (0, 1):
            for tb in (0, 1):
                a = torch.randn((k, m) if ta else (m, k), device="cuda")
                b = torch.randn((n, k) if tb else (k, n), device="cuda")
                want = (a.T if ta else a).double() @ (b.T if tb else b).double()
                for tf32, tol in ((0, 1e-4), (1, 5e-2)):
                    got = run(fn, a, b, m, n, k, ta, tb, tf32).double()
                    err = ((got - want).abs() / (want.abs() + 1)).max().item()
                    assert err < tol, (m, n, k, ta, tb, tf32, err)
    print("correctness: all shapes and transposes match float64 (fp32 and tf32)")


def time_ms(f, reps=20):
    for _ in range(3):
        f()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        f()
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) / reps


def bench(fn, size):
    a = torch.randn(size, size, device="cuda")
    b = torch.randn(size, size, device="cuda")
    flops = 2 * size ** 3
    for tf32 in (0, 1):
        torch.backends.cuda.matmul.allow_tf32 = bool(tf32)
        ours = time_ms(lambda: run(fn, a, b, size, size, size, 0, 0, tf32))
        theirs = time_ms(lambda: a @ b)
        print(f"{'tf32' if tf32 else 'fp32'} {size}^3: tensorlib {flops / ours / 1e9:.0f} "
              f"GFLOP/s, cuBLAS {flops / theirs / 1e9:.0f} GFLOP/s, ratio {theirs / ours:.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=4096)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fn = build(tmp)
        print(torch.cuda.get_device_name())
        check(fn)
        bench(fn, args.size)


if __name__ == "__main__":
    main()
