// The one place that knows which device backends were compiled in.
#include "tensorlib/device.h"

#ifdef TL_WITH_CUDA
#include "cuda/cuda_backend.h"
#endif

namespace tl {

#ifdef TL_WITH_CUDA

bool built_with_cuda() { return true; }
std::vector<GpuInfo> list_gpus() { return cuda::list_gpus(); }
Status gpu_round_trip(int index, size_t bytes) { return cuda::round_trip(index, bytes); }
void register_device_kernels(KernelRegistry& r) { cuda::register_kernels(r); }

#else

bool built_with_cuda() { return false; }
std::vector<GpuInfo> list_gpus() { return {}; }
Status gpu_round_trip(int, size_t) {
  return failed_precondition("tensorlib was built without CUDA (nvcc was not found)");
}
void register_device_kernels(KernelRegistry&) {}

#endif

}  // namespace tl
