// The CUDA backend's entry points, called only from src/backends.cc.
#pragma once

#include <cstddef>
#include <vector>

#include "tensorlib/device.h"

namespace tl {
namespace cuda {

// GPUs visible through the CUDA runtime; empty when the driver or a device is missing.
std::vector<GpuInfo> list_gpus();
// Device allocate / copy in / kernel / copy out / free, checked against the host.
Status round_trip(int index, size_t bytes);
// Registers the CUDA kernels of the ops (cuda/ops/) and a device per visible GPU.
void register_kernels(KernelRegistry& r);
// Adds an ExecutionDevice per visible GPU to the DeviceRegistry (runtime.cu).
void register_devices();
// The caching allocator's figures for GPU `index` (runtime.cu).
Status memory_stats(int index, GpuMemoryStats* out);
Status reset_peak_memory(int index);
Status release_cached_memory(int index);

}  // namespace cuda
}  // namespace tl
