// Variables, constants and Identity on the GPU. Their CPU kernels are written against the
// running node's device (KernelContext::variable, ExecutionDevice::copy_within,
// copy_to_device), so the GPU runs the very same code: a variable placed on a GPU keeps its
// value in that GPU's memory, and the optimizer updates colocated with it write it there.
#include <vector>

#include "cuda/ops/ops.h"

namespace tl {
namespace cuda {

void register_variable_kernels(KernelRegistry& r) {
  // Small integer tensors (shapes, axes, indices) stay in host memory, as in TF1.
  const std::vector<DType> types = {DType::kFloat32, DType::kFloat64};
  for (const char* op : {"Const", "VariableV2", "VariableRef", "Assign", "Identity"}) {
    const KernelDef* cpu = r.find(op, Device::kCPU);
    r.add_builtin(KernelDef(op, Device::kGPU).dtypes(types).compute(cpu->compute_fn()));
  }
}

}  // namespace cuda
}  // namespace tl
