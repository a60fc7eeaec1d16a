// Array ops on the GPU (the GPU side of part of src/ops/array_ops.cc): Identity and
// StopGradient (the output shares the input's device buffer, as on the CPU) and Fill.
#include <cuda_runtime.h>

#include "cuda/ops/kernel_util.h"
#include "cuda/ops/ops.h"
#include "cuda/runtime.h"
#include "ops/kernel_util.h"

namespace tl {
namespace cuda {
namespace {

Status identity_compute(KernelContext& ctx) {
  ctx.output(0) = ctx.input(0);
  return Status::OK();
}

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
  r.add_builtin(KernelDef("Identity", Device::kGPU).compute(identity_compute));
  r.add_builtin(KernelDef("StopGradient", Device::kGPU).compute(identity_compute));
  r.add_builtin(KernelDef("Fill", Device::kGPU).compute(fill_compute));
}

}  // namespace cuda
}  // namespace tl
