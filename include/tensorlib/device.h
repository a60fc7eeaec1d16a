// Devices: what accelerators this build can use.
//
// A build made without nvcc, or run on a machine without an NVIDIA driver or GPU, simply
// reports no GPUs; everything else works on the CPU.
//
//   for (const tl::GpuInfo& gpu : tl::list_gpus())
//     std::printf("%s, %zu MiB\n", gpu.name.c_str(), gpu.total_memory >> 20);
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tensorlib/kernel.h"
#include "tensorlib/status.h"

namespace tl {

struct GpuInfo {
  int index;
  std::string name;
  size_t total_memory;  // bytes
  int compute_capability_major;
  int compute_capability_minor;
  int multiprocessors;
};

// The device memory tensorlib holds on one GPU, in bytes.
struct GpuMemoryStats {
  size_t in_use;  // in tensors now
  size_t cached;  // freed, kept for reuse (not returned to the driver)
  size_t peak;    // the most in use at once since the start or the last reset
};

// True when this build of tensorlib includes the CUDA backend.
bool built_with_cuda();
// The GPUs usable now (empty without CUDA, driver or device).
std::vector<GpuInfo> list_gpus();
// Allocates memory on GPU `index`, copies a pattern there and back, compares and frees it.
Status gpu_round_trip(int index, size_t bytes);
// The memory statistics of GPU `index`; resetting makes the peak the memory in use now.
Status gpu_memory_stats(int index, GpuMemoryStats* out);
Status gpu_reset_peak_memory(int index);
// Returns GPU `index`'s cached blocks to the driver.
Status gpu_release_cached_memory(int index);
// Whether float32 matrix products on a GPU may use TF32 tensor cores (10-bit mantissa
// products, float32 sums). Off by default: results then match the CPU's to float32 rounding.
void set_tensor_float_32_execution(bool enabled);
bool tensor_float_32_execution_enabled();

// The micro-kernel of the CPU matrix products, by name: "avx512", "avx2", "generic", or
// "avx512-layout" (the AVX-512 tile computed with AVX2 vectors, to test it on any AVX2 CPU);
// "auto" picks the widest the CPU runs. For tests and benchmarks: it affects the whole process.
Status set_gemm_kernel(const std::string& name);
std::string gemm_kernel_name();
// Registers the kernels of every compiled-in device backend beside the CPU ones.
void register_device_kernels(KernelRegistry& r);

}  // namespace tl
