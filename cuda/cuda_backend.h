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
// Registers CUDA op kernels. None exist yet: every op runs on the CPU.
void register_kernels(KernelRegistry& r);

}  // namespace cuda
}  // namespace tl
