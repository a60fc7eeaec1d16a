#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "ops/ops.h"
#include "tensorlib/device.h"
#include "tensorlib/op_registry.h"

namespace tl {

OpRegistry& OpRegistry::global() {
  static OpRegistry* registry = [] {
    auto* r = new OpRegistry();
    register_framework_ops(*r);
    register_math_ops(*r);
    register_matmul_ops(*r);
    register_reduction_ops(*r);
    register_array_ops(*r);
    register_transpose_ops(*r);
    register_slice_ops(*r);
    register_concat_ops(*r);
    register_gather_ops(*r);
    register_random_ops(*r);
    register_nn_ops(*r);
    register_conv_ops(*r);
    register_pooling_ops(*r);
    register_training_ops(*r);
    register_summary_ops(*r);
    register_rnn_ops(*r);
    register_control_flow_ops(*r);
    register_device_kernels(*r);
    return r;
  }();
  return *registry;
}

Status OpRegistry::add(OpDef def) {
  std::vector<OpDef> defs;
  defs.push_back(std::move(def));
  return add_all(std::move(defs));
}

Status OpRegistry::add_all(std::vector<OpDef> defs) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 0; i < defs.size(); ++i) {
    const OpDef& def = defs[i];
    if (def.name().empty()) return invalid_argument("an op needs a name");
    if (!def.shape_fn()) return invalid_argument("op '" + def.name() + "' has no shape function");
    for (size_t j = 0; j < i; ++j) {
      if (defs[j].name() == def.name()) {
        return Status(StatusCode::kAlreadyExists, "op '" + def.name() + "' is declared twice");
      }
    }
    if (ops_.count(def.name())) {
      return Status(StatusCode::kAlreadyExists, "op '" + def.name() + "' is already registered");
    }
  }
  for (OpDef& def : defs) {
    std::string name = def.name();
    ops_.emplace(std::move(name), std::make_unique<OpDef>(std::move(def)));
  }
  return Status::OK();
}

void OpRegistry::add_builtin(OpDef def) {
  Status s = add(std::move(def));
  if (!s.ok()) {
    std::fprintf(stderr, "tensorlib: bad built-in op declaration: %s\n", s.to_string().c_str());
    std::abort();
  }
}

const OpDef* OpRegistry::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = ops_.find(name);
  return it == ops_.end() ? nullptr : it->second.get();
}

std::vector<std::string> OpRegistry::names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const auto& kv : ops_) out.push_back(kv.first);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tl
