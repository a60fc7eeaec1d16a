// PyFunc: runs a function of the host language (tf.py_func, tf.numpy_function) as a node.
//
// The node names its function by a token; the host (the Python module) keeps the table of
// tokens and installs host().call_function, which takes the GIL only for the call. In a
// program without Python the op fails with a clear error.
#include <string>
#include <vector>

#include "ops/ops.h"
#include "tensorlib/host.h"

namespace tl {
namespace {

Status py_func_shape(InferenceContext& ctx) {
  const auto& types = ctx.attrs().get<std::vector<int64_t>>("Tout");
  if (static_cast<int>(types.size()) != ctx.num_outputs()) {
    return invalid_argument("PyFunc declares " + std::to_string(types.size()) +
                            " output types for " + std::to_string(ctx.num_outputs()) +
                            " outputs");
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    if (!dtype_is_valid(static_cast<int32_t>(types[i]))) {
      return invalid_argument("PyFunc output " + std::to_string(i) + " has no valid dtype");
    }
    ctx.set_output(i, static_cast<DType>(types[i]), Shape::unknown());
  }
  return Status::OK();
}

Status py_func_kernel(KernelContext& ctx) {
  const std::string& token = ctx.attrs().get<std::string>("token");
  if (!host().call_function) {
    return unimplemented("PyFunc '" + token +
                         "' calls a Python function: run this graph from Python");
  }
  std::vector<Tensor> inputs;
  inputs.reserve(ctx.num_inputs());
  for (int i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.input(i));
  std::vector<Tensor> outputs;
  TL_RETURN_IF_ERROR(host().call_function(token, inputs, &outputs));
  const auto& types = ctx.attrs().get<std::vector<int64_t>>("Tout");
  if (static_cast<int>(outputs.size()) != ctx.num_outputs()) {
    return invalid_argument(token + " returns " + std::to_string(outputs.size()) +
                            " values, but expects to see " +
                            std::to_string(ctx.num_outputs()) + " values.");
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    if (outputs[i].dtype() != static_cast<DType>(types[i])) {
      return invalid_argument(token + " returns a " + dtype_name(outputs[i].dtype()) +
                              " value as output " + std::to_string(i) + ", but declares " +
                              dtype_name(static_cast<DType>(types[i])));
    }
    ctx.output(i) = std::move(outputs[i]);
  }
  return Status::OK();
}

}  // namespace

void register_script_ops(OpRegistry& r) {
  r.add_builtin(OpDef("PyFunc")
                    .variadic_input("input")
                    .outputs_from_attr("num_outputs")
                    .attr("num_outputs", AttrType::kInt)
                    .attr("Tout", AttrType::kInts)
                    .attr("token", AttrType::kString)
                    .shape(py_func_shape)
                    .sets_own_outputs()
                    .stateful());
}

void register_script_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("PyFunc", Device::kCPU).compute(py_func_kernel));
}

}  // namespace tl
