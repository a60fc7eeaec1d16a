// What the CUDA kernels share: launch sizes, grid-stride loops, and reading small integer
// inputs (axes, shapes), which a kernel declares host-memory inputs.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "tensorlib/kernel.h"

namespace tl {
namespace cuda {

constexpr int kThreads = 256;

// A GPU kernel of `op` for the dtypes that live in GPU memory. int32 tensors (shapes, axes,
// sizes) stay in host memory, as in TF1, so nodes that compute them run on the CPU and no
// small value makes a round trip through the GPU; a kernel that takes int32 data (labels,
// indices) says so with KernelDef::dtypes.
inline KernelDef gpu_kernel(const char* op) {
  return KernelDef(op, Device::kGPU)
      .dtypes({DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kBool});
}

// Blocks of kThreads for a grid-stride loop over n elements (at least 1).
inline unsigned blocks_for(int64_t n) {
  constexpr int64_t kMaxBlocks = 8192;  // enough to fill any GPU; the loop covers the rest
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > kMaxBlocks ? kMaxBlocks : blocks));
}

#ifdef __CUDACC__
// Calls fn(i) for every i < n, spread over the grid.
template <typename F>
__device__ inline void grid_stride(int64_t n, F fn) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += step) {
    fn(i);
  }
}
#endif

// The values of a small int32/int64 input, read when the plan is built if it is a constant.
struct IntInputState : KernelState {
  std::vector<int64_t> values;
};

// A prepare step that keeps the values of input `kInput` when it is a constant.
template <int kInput>
Status prepare_int_input(PrepareContext& ctx, std::unique_ptr<KernelState>* state);

// The values of int32/int64 input `i`: from the prepare step's state when it read them, else
// read on the host: the kernel registers `i` with KernelDef::host_memory_input.
Status int_input(const KernelContext& ctx, int i, std::vector<int64_t>* values);

}  // namespace cuda
}  // namespace tl
