// The CUDA kernels of each op family (one .cu per family, mirroring src/ops/), registered for
// Device::kGPU by tl::cuda::register_kernels (cuda/device.cu).
#pragma once

#include "tensorlib/kernel.h"

namespace tl {
namespace cuda {

// Kernels whose CPU code runs on any device: variables, constants, Identity, Reshape
// (any_device.cu).
void register_any_device_kernels(KernelRegistry& r);
void register_elementwise_kernels(KernelRegistry& r);
void register_reduction_kernels(KernelRegistry& r);
void register_matmul_kernels(KernelRegistry& r);
void register_nn_kernels(KernelRegistry& r);
void register_array_kernels(KernelRegistry& r);
void register_training_kernels(KernelRegistry& r);

// Whether float32 MatMul may use TF32 tensor cores (10-bit mantissa products, float32 sums).
// Off by default, as TF's enable_tensor_float_32_execution(False): results match the CPU's
// to float32 rounding.
bool tf32_enabled();
void set_tf32_enabled(bool enabled);

}  // namespace cuda
}  // namespace tl
