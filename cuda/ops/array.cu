// Array ops on the GPU (the GPU side of part of src/ops/array_ops.cc): Fill. (Identity,
// Reshape and the other ops that only relabel a buffer run their CPU code: any_device.cu.)
#include <cuda_runtime.h>

#include "cuda/ops/kernel_util.h"
#include "cuda/ops/ops.h"
#include "cuda/runtime.h"
#include "ops/kernel_util.h"

namespace tl {
namespace cuda {
namespace {

// The value is read on the device: it is a scalar already in GPU memory.
template <typename T>
__global__ void fill_kernel(T* out, const T* value, int64_t n) {
  const T v = *value;
  grid_stride(n, [&](int64_t i) { out[i] = v; });
}

Status fill_compute(KernelContext& ctx) {
  const Tensor& value = ctx.input(1);
  Tensor& out = ctx.output(0);
  return dispatch(NumericOrBoolTypes{}, value.dtype(), "Fill", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const int64_t n = out.num_elements();
    if (n == 0) return Status::OK();
    fill_kernel<<<blocks_for(n), kThreads, 0, compute_stream(ctx)>>>(out.data<T>(),
                                                                      value.data<T>(), n);
    return launch_status("Fill");
  });
}

}  // namespace

void register_array_kernels(KernelRegistry& r) {
  r.add_builtin(gpu_kernel("Fill").host_memory_input(0).compute(fill_compute));
}

}  // namespace cuda
}  // namespace tl
