// The op and kernel registries: one process-wide table each.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "ops/ops.h"
#include "tensorlib/device.h"
#include "tensorlib/kernel.h"
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
    register_script_ops(*r);
    register_debugging_ops(*r);
    register_selection_ops(*r);
    register_image_ops(*r);
    register_state_ops(*r);
    register_data_ops(*r);
    register_queue_ops(*r);
    register_io_ops(*r);
    register_parsing_ops(*r);
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

KernelRegistry& KernelRegistry::global() {
  static KernelRegistry* registry = [] {
    OpRegistry::global();  // the ops first: every kernel names one
    auto* r = new KernelRegistry();
    register_framework_kernels(*r);
    register_math_kernels(*r);
    register_matmul_kernels(*r);
    register_reduction_kernels(*r);
    register_array_kernels(*r);
    register_transpose_kernels(*r);
    register_slice_kernels(*r);
    register_concat_kernels(*r);
    register_gather_kernels(*r);
    register_random_kernels(*r);
    register_nn_kernels(*r);
    register_conv_kernels(*r);
    register_pooling_kernels(*r);
    register_training_kernels(*r);
    register_summary_kernels(*r);
    register_rnn_kernels(*r);
    register_control_flow_kernels(*r);
    register_script_kernels(*r);
    register_debugging_kernels(*r);
    register_selection_kernels(*r);
    register_image_kernels(*r);
    register_state_kernels(*r);
    register_data_kernels(*r);
    register_queue_kernels(*r);
    register_io_kernels(*r);
    register_parsing_kernels(*r);
    register_device_kernels(*r);
    return r;
  }();
  return *registry;
}

Status KernelRegistry::add(KernelDef def) {
  std::vector<KernelDef> defs;
  defs.push_back(std::move(def));
  return add_all(std::move(defs));
}

Status KernelRegistry::add_all(std::vector<KernelDef> defs) {
  std::lock_guard<std::mutex> lock(mutex_);
  TL_RETURN_IF_ERROR(check_locked(defs, {}));
  for (KernelDef& def : defs) {
    auto& table = kernels_[static_cast<int>(def.device())];
    std::string op = def.op();
    table.emplace(std::move(op), std::make_unique<KernelDef>(std::move(def)));
  }
  return Status::OK();
}

Status KernelRegistry::check_all(const std::vector<KernelDef>& defs,
                                 const std::vector<std::string>& new_ops) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return check_locked(defs, new_ops);
}

Status KernelRegistry::check_locked(const std::vector<KernelDef>& defs,
                                    const std::vector<std::string>& new_ops) const {
  const OpRegistry& ops = OpRegistry::global();
  for (size_t i = 0; i < defs.size(); ++i) {
    const KernelDef& def = defs[i];
    const int device = static_cast<int>(def.device());
    if (device < 0 || device >= kNumDevices) {
      return invalid_argument("a kernel of op '" + def.op() + "' names no known device");
    }
    const std::string what =
        std::string(device == 0 ? "CPU" : "GPU") + " kernel of op '" + def.op() + "'";
    if (!ops.find(def.op()) &&
        std::find(new_ops.begin(), new_ops.end(), def.op()) == new_ops.end()) {
      return not_found("the " + what + " is for an op that is not registered");
    }
    if (!def.compute_fn()) return invalid_argument("the " + what + " has no compute step");
    for (size_t j = 0; j < i; ++j) {
      if (defs[j].op() == def.op() && defs[j].device() == def.device()) {
        return Status(StatusCode::kAlreadyExists, "the " + what + " is declared twice");
      }
    }
    if (kernels_[device].count(def.op())) {
      return Status(StatusCode::kAlreadyExists, "the " + what + " is already registered");
    }
  }
  return Status::OK();
}

void KernelRegistry::add_builtin(KernelDef def) {
  Status s = add(std::move(def));
  if (!s.ok()) {
    std::fprintf(stderr, "tensorlib: bad built-in kernel: %s\n", s.to_string().c_str());
    std::abort();
  }
}

std::vector<std::string> KernelRegistry::ops(Device device) const {
  std::vector<std::string> names;
  const int d = static_cast<int>(device);
  if (d < 0 || d >= kNumDevices) return names;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [name, def] : kernels_[d]) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

bool KernelDef::supports(DType t) const {
  return types_.empty() || std::find(types_.begin(), types_.end(), t) != types_.end();
}

const KernelDef* KernelRegistry::find(const std::string& op, Device device) const {
  const int d = static_cast<int>(device);
  if (d < 0 || d >= kNumDevices) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = kernels_[d].find(op);
  return it == kernels_[d].end() ? nullptr : it->second.get();
}

}  // namespace tl
