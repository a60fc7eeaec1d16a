// MatMul and BatchMatMulV2 on the GPU (the GPU side of src/ops/matmul_ops.cc), on the GEMM
// kernels of gemm.cuh: float32 on the hand-written SGEMM (or TF32 tensor cores when enabled),
// float64 and the integers on a plain tiled kernel.
#include <cuda_runtime.h>

#include <atomic>
#include <string>

#include "cuda/ops/gemm.cuh"
#include "cuda/ops/kernel_util.h"
#include "cuda/ops/ops.h"
#include "cuda/runtime.h"

namespace tl {
namespace cuda {
namespace {

std::atomic<bool> g_tf32{false};

// Whether GPU `device` has TF32 tensor cores (compute capability 8.0 or newer).
bool has_tf32(int device) {
  int major = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return major >= 8;
}

// Runs g for the dtype of `t` on the node's stream.
Status run_gemm(KernelContext& ctx, DType t, const GemmArgs& g, const char* op) {
  cudaStream_t stream = compute_stream(ctx);
  return dispatch(NumericTypes{}, t, op, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    cudaError_t err;
    if constexpr (std::is_same_v<T, float>) {
      err = launch_sgemm(g, tf32_enabled() && has_tf32(device_of(ctx)), stream);
    } else {
      err = launch_tiled_gemm<T>(g, stream);
    }
    return cuda_status(err, op);
  });
}

Status matmul_compute(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  Tensor& c = ctx.output(0);
  GemmArgs g;
  g.trans_a = ctx.attrs().get<bool>("transpose_a");
  g.trans_b = ctx.attrs().get<bool>("transpose_b");
  g.m = a.shape().dim(g.trans_a ? 1 : 0);
  g.k = a.shape().dim(g.trans_a ? 0 : 1);
  g.n = b.shape().dim(g.trans_b ? 0 : 1);
  if (b.shape().dim(g.trans_b ? 1 : 0) != g.k) {
    return invalid_argument("Matrix size-incompatible: In[0]: " + a.shape().to_string() +
                            ", In[1]: " + b.shape().to_string());
  }
  g.a = a.raw_data();
  g.b = b.raw_data();
  g.c = c.raw_data();
  g.lda = a.shape().dim(1);
  g.ldb = b.shape().dim(1);
  g.ldc = g.n;
  return run_gemm(ctx, a.dtype(), g, "MatMul");
}

// The batch dims of a shape of rank >= 2 (all but the last two).
Shape batch_dims(const Shape& s) {
  Shape out;
  for (int i = 0; i + 2 < s.rank(); ++i) out.add_dim(s.dim(i));
  return out;
}

Status batch_matmul_compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& y = ctx.input(1);
  Tensor& out = ctx.output(0);
  const Shape& xs = x.shape();
  const Shape& ys = y.shape();
  const Shape& os = out.shape();
  GemmArgs g;
  g.trans_a = ctx.attrs().get<bool>("adj_x");
  g.trans_b = ctx.attrs().get<bool>("adj_y");
  const int rx = xs.rank(), ry = ys.rank(), ro = os.rank();
  g.m = os.dim(ro - 2);
  g.n = os.dim(ro - 1);
  g.k = xs.dim(g.trans_a ? rx - 2 : rx - 1);
  if (ys.dim(g.trans_b ? ry - 1 : ry - 2) != g.k) {
    return invalid_argument("Matrix size-incompatible: In[0]: " + xs.to_string() +
                            ", In[1]: " + ys.to_string());
  }
  g.batch_count = g.m > 0 && g.n > 0 ? out.num_elements() / (g.m * g.n) : 0;
  if (g.batch_count == 0) return Status::OK();
  const Shape bx = batch_dims(xs), by = batch_dims(ys);
  if (bx.num_elements() > 0 && by.num_elements() > 0) {
    make_broadcast_layout(bx, by, &g.batch);
  }
  g.a = x.raw_data();
  g.b = y.raw_data();
  g.c = out.raw_data();
  g.lda = xs.dim(rx - 1);
  g.ldb = ys.dim(ry - 1);
  g.ldc = g.n;
  g.stride_a = xs.dim(rx - 2) * xs.dim(rx - 1);
  g.stride_b = ys.dim(ry - 2) * ys.dim(ry - 1);
  g.stride_c = g.m * g.n;
  return run_gemm(ctx, x.dtype(), g, "BatchMatMulV2");
}

}  // namespace

bool tf32_enabled() { return g_tf32.load(std::memory_order_relaxed); }
void set_tf32_enabled(bool enabled) { g_tf32.store(enabled, std::memory_order_relaxed); }

void register_matmul_kernels(KernelRegistry& r) {
  r.add_builtin(gpu_kernel("MatMul").compute(matmul_compute));
  r.add_builtin(gpu_kernel("BatchMatMulV2").compute(batch_matmul_compute));
}

}  // namespace cuda
}  // namespace tl
