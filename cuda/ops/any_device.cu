// Kernels whose CPU code runs on the GPU as it is: they move or relabel tensors but never
// touch their data on the host. Variables and constants are written against the running
// node's device (KernelContext::variable, ExecutionDevice::copy_within, copy_to_device), so
// a variable placed on a GPU keeps its value in that GPU's memory and the updates colocated
// with it write it there; Identity, Reshape and friends hand on the input's buffer.
#include "cuda/ops/kernel_util.h"
#include "cuda/ops/ops.h"

namespace tl {
namespace cuda {

void register_any_device_kernels(KernelRegistry& r) {
  auto add = [&](const char* op, KernelDef def) {
    def.compute(r.find(op, Device::kCPU)->compute_fn());
    r.add_builtin(std::move(def));
  };
  // Only floating-point variables live on the GPU: an int64 counter (the global step) is
  // updated by ops that run on the CPU.
  const std::vector<DType> floats = {DType::kFloat32, DType::kFloat64};
  for (const char* op : {"Const", "VariableV2", "VariableRef", "Assign"}) {
    add(op, KernelDef(op, Device::kGPU).dtypes(floats));
  }
  for (const char* op : {"Identity", "StopGradient", "Squeeze"}) add(op, gpu_kernel(op));
  for (const char* op : {"Reshape", "ExpandDims"}) add(op, gpu_kernel(op).host_memory_input(1));
}

}  // namespace cuda
}  // namespace tl
