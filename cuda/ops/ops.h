// The CUDA kernels' registration functions, one per file of cuda/ops/, called by
// cuda::register_kernels (device.cu).
#pragma once

#include "tensorlib/kernel.h"

namespace tl {
namespace cuda {

// Variables, constants and Identity: kernels that only move tensors between the session
// state and device memory (variables.cu).
void register_variable_kernels(KernelRegistry& r);

}  // namespace cuda
}  // namespace tl
