// What the CUDA kernels share with the backend's runtime: the stream each device's kernels
// run on, and how a launch failure becomes a Status.
//
// A kernel's inputs and outputs are already in the memory of the GPU its node is placed on
// (the executor copies inputs there and allocates outputs with that device's allocator), so a
// kernel only launches work on its device's compute stream:
//
//   tl::Status relu(tl::KernelContext& ctx) {
//     const tl::Tensor& x = ctx.input(0);
//     cudaStream_t stream = tl::cuda::compute_stream(ctx);
//     relu_kernel<<<blocks, threads, 0, stream>>>(...);
//     return tl::cuda::launch_status("Relu");
//   }
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "tensorlib/kernel.h"
#include "tensorlib/status.h"

namespace tl {
namespace cuda {

// The stream the kernels of GPU `device` run on, in launch order.
cudaStream_t compute_stream(int device);
// The compute stream of the GPU the running node is placed on (the device of its outputs,
// or of its first input when it has no outputs).
cudaStream_t compute_stream(const KernelContext& ctx);
// The GPU index the running node is placed on.
int device_of(const KernelContext& ctx);
// OK, or an InternalError naming `what` and the CUDA error of the last launch.
Status launch_status(const char* what);
// An InternalError naming `what` and `err` (OK when `err` is cudaSuccess).
Status cuda_status(cudaError_t err, const char* what);

// Scratch memory of `bytes` on GPU `device` for the duration of one kernel (freed when the
// returned buffer dies; the allocator reuses it only after the stream has passed this point).
std::shared_ptr<Buffer> scratch(int device, size_t bytes);

}  // namespace cuda
}  // namespace tl
