// The one place that knows which device backends were compiled in.
#include "tensorlib/device.h"

#ifdef TL_WITH_CUDA
#include "cuda/cuda_backend.h"
#include "cuda/ops/ops.h"
#endif

namespace tl {

#ifdef TL_WITH_CUDA

bool built_with_cuda() { return true; }
std::vector<GpuInfo> list_gpus() { return cuda::list_gpus(); }
Status gpu_round_trip(int index, size_t bytes) { return cuda::round_trip(index, bytes); }
void register_device_kernels(KernelRegistry& r) { cuda::register_kernels(r); }
Status gpu_memory_stats(int index, GpuMemoryStats* out) { return cuda::memory_stats(index, out); }
Status gpu_reset_peak_memory(int index) { return cuda::reset_peak_memory(index); }
Status gpu_release_cached_memory(int index) { return cuda::release_cached_memory(index); }
void set_tensor_float_32_execution(bool enabled) { cuda::set_tf32_enabled(enabled); }
bool tensor_float_32_execution_enabled() { return cuda::tf32_enabled(); }

#else

Status no_gpu(int index) { return invalid_argument("no GPU with index " + std::to_string(index)); }

bool built_with_cuda() { return false; }
std::vector<GpuInfo> list_gpus() { return {}; }
Status gpu_round_trip(int, size_t) {
  return failed_precondition("tensorlib was built without CUDA (nvcc was not found)");
}
void register_device_kernels(KernelRegistry&) {}
Status gpu_memory_stats(int index, GpuMemoryStats*) { return no_gpu(index); }
Status gpu_reset_peak_memory(int index) { return no_gpu(index); }
Status gpu_release_cached_memory(int index) { return no_gpu(index); }
void set_tensor_float_32_execution(bool) {}
bool tensor_float_32_execution_enabled() { return false; }

#endif

}  // namespace tl
