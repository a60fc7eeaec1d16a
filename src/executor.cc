// The executor: Plan::build compiles a subgraph into steps; Plan::run loops over them.
#include "tensorlib/executor.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace tl {
namespace {

// A stateless node without inputs (a constant): computed once, when the plan is built.
bool is_precomputed(const Step& step) {
  const Node& n = *step.node;
  return n.inputs.empty() && n.control_inputs.empty() && !n.op->is_stateful();
}

std::string dtype_and_shape(const Node& node, int index) {
  return std::string(dtype_name(node.output_dtypes[index])) + " and shape " +
         node.output_shapes[index].to_string();
}

// The kernel of `node` on a device of `kind` when there is one for the node's dtypes (see
// KernelDef::dtypes; strings never leave the CPU), else null.
const KernelDef* kernel_for(const Graph& graph, const Node& node, Device kind) {
  const KernelDef* k = KernelRegistry::global().find(node.op->name(), kind);
  if (!k || kind == Device::kCPU) return k;
  auto fits = [&](DType t) { return t != DType::kString && k->supports(t); };
  for (DType t : node.output_dtypes) {
    if (!fits(t)) return nullptr;
  }
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Endpoint& e = node.inputs[i];
    if (k->host_memory_input_at(static_cast<int>(i))) continue;
    if (!fits(graph.node(e.node).output_dtypes[e.index])) return nullptr;
  }
  return k;
}

// Picks the device of `node` as TF1 does (see devices.h) and its kernel there. A node that
// updates a variable through a reference input goes where the variable's node goes, as TF1
// colocates them: the variable's value stays in one device's memory.
Status place(const Graph& graph, const Node& node, const PlanOptions& options,
             const ExecutionDevice** device, const KernelDef** kernel) {
  const DeviceRegistry& devices = DeviceRegistry::global();
  auto on_cpu = [&]() -> Status {
    *device = &devices.cpu();
    *kernel = kernel_for(graph, node, Device::kCPU);
    if (!*kernel) return unimplemented("op '" + node.op->name() + "' has no CPU kernel");
    return Status::OK();
  };
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!node.op->is_ref_input(static_cast<int>(i))) continue;
    const Node& var = graph.node(node.inputs[i].node);
    if (!var.inputs.empty()) break;  // a variable's own node has no inputs
    const ExecutionDevice* var_device = nullptr;
    const KernelDef* var_kernel = nullptr;
    if (!place(graph, var, options, &var_device, &var_kernel).ok()) break;
    if (const KernelDef* k = kernel_for(graph, node, var_device->kind())) {
      *device = var_device;
      *kernel = k;
      return Status::OK();
    }
    break;
  }
  DeviceSpec spec;
  Status parsed = parse_device_spec(node.device, &spec);
  if (!parsed.ok()) {
    return invalid_argument("Cannot assign a device for operation '" + node.name + "': " +
                            parsed.message());
  }
  if (spec.kind.empty()) {
    // No kind asked for: a GPU when the op has a kernel there (TF1's default), else the CPU.
    if (const KernelDef* k = kernel_for(graph, node, Device::kGPU)) {
      for (const ExecutionDevice* d : devices.devices()) {
        if (d->kind() == Device::kGPU && (spec.index < 0 || d->index() == spec.index)) {
          *device = d;
          *kernel = k;
          return Status::OK();
        }
      }
    }
    return on_cpu();
  }
  const Device kind = spec.kind == "GPU" ? Device::kGPU : Device::kCPU;
  const bool local = (spec.job.empty() || spec.job == "localhost") && spec.replica <= 0 &&
                     spec.task <= 0;
  const ExecutionDevice* match = nullptr;
  for (const ExecutionDevice* d : devices.devices()) {
    if (local && d->kind() == kind && (spec.index < 0 || d->index() == spec.index)) {
      match = d;
      break;
    }
  }
  if (!match) {
    if (options.allow_soft_placement) return on_cpu();
    std::string available;
    for (const ExecutionDevice* d : devices.devices()) available += " " + d->name();
    return invalid_argument("Cannot assign a device for operation '" + node.name + "': '" +
                            node.name + "' was explicitly assigned to " + node.device +
                            " but available devices are [" + available +
                            " ]. Make sure the device specification refers to a valid "
                            "device.");
  }
  const KernelDef* k = kernel_for(graph, node, kind);
  if (!k) {
    if (options.allow_soft_placement) return on_cpu();
    return invalid_argument("Cannot assign a device for operation '" + node.name +
                            "': Could not satisfy explicit device specification '" +
                            node.device + "' because no supported kernel for " +
                            device_kind_name(kind) + " devices is available.");
  }
  *device = match;
  *kernel = k;
  return Status::OK();
}

// The needed nodes in run order: node-id order (ids are a topological order), except that a
// node whose op is scheduled early (OpDef::scheduled_early) runs right after the last of its
// producers and control inputs that the plan runs (first of all when there are none). Such a
// node only moves earlier, never before what it reads, and every other node keeps its place
// relative to the others, so the order stays topological. Several early nodes made ready by
// the same node follow it in id order: every process that builds the same graph runs them in
// the same order (collectives need that).
template <typename IsFed>
std::vector<int32_t> schedule(const Graph& graph, const std::vector<char>& needed,
                              const IsFed& is_fed) {
  const int32_t n = graph.num_nodes();
  auto early = [&](int32_t id) { return needed[id] && graph.node(id).op->is_scheduled_early(); };
  std::vector<int32_t> waiting(n, 0);             // per early node: producers not yet run
  std::vector<std::vector<int32_t>> waiters(n);  // per node: the early nodes waiting for it
  for (int32_t id = 0; id < n; ++id) {
    if (!early(id)) continue;
    auto wait_for = [&](int32_t producer) {
      if (!needed[producer]) return;
      ++waiting[id];
      waiters[producer].push_back(id);
    };
    const Node& node = graph.node(id);
    for (const Endpoint& e : node.inputs) {
      if (!is_fed(e)) wait_for(e.node);
    }
    for (int32_t c : node.control_inputs) wait_for(c);
  }
  std::vector<int32_t> order;
  size_t next = 0;  // order[next:] have not released their waiters yet
  auto run = [&](int32_t id) {
    order.push_back(id);
    for (; next < order.size(); ++next) {
      for (int32_t w : waiters[order[next]]) {
        if (--waiting[w] == 0) order.push_back(w);
      }
    }
  };
  for (int32_t id = 0; id < n; ++id) {
    if (early(id) && waiting[id] == 0) run(id);
  }
  for (int32_t id = 0; id < n; ++id) {
    if (needed[id] && !early(id)) run(id);
  }
  return order;
}

}  // namespace

Status RunControl::check() const {
  if (keep_counting) {
    const uint32_t n = checks_.load(std::memory_order_relaxed) + 1;
    checks_.store(n, std::memory_order_relaxed);
    if (n % kChecksPerKeep == 0) keep_counting();
  }
  if (cancelled.load(std::memory_order_relaxed)) return tl::cancelled("Run cancelled");
  if (interrupts && interrupts->load(std::memory_order_acquire) != interrupts_seen) {
    return tl::cancelled("Run interrupted");
  }
  if (has_deadline && std::chrono::steady_clock::now() >= deadline) {
    return deadline_exceeded("Timed out: the run took longer than its deadline");
  }
  return Status::OK();
}

Status RunControl::check_waiting() const {
  if (keep_counting) keep_counting();
  return check();
}

Status Plan::build(const Graph& graph, const std::vector<Endpoint>& feeds,
                   const std::vector<Endpoint>& fetches, const std::vector<int32_t>& targets,
                   std::unique_ptr<Plan>* out, PlanOptions options) {
  auto plan = std::make_unique<Plan>();
  plan->options_ = options;
  plan->functions_ = options.functions ? options.functions : &graph.functions();
  const int32_t n = graph.num_nodes();
  auto valid = [&](const Endpoint& e) {
    return e.node >= 0 && e.node < n && e.index >= 0 &&
           e.index < static_cast<int32_t>(graph.node(e.node).output_dtypes.size());
  };
  // Slot of every fed endpoint, then of every output of every needed node.
  std::vector<std::vector<int32_t>> fed(n);
  for (const Endpoint& e : feeds) {
    if (!valid(e)) return invalid_argument("a fed tensor is not in the session's graph");
    auto& f = fed[e.node];
    f.resize(graph.node(e.node).output_dtypes.size(), -1);
    if (f[e.index] >= 0) {
      return invalid_argument("tensor " + graph.node(e.node).name + ":" +
                              std::to_string(e.index) + " is fed twice");
    }
    f[e.index] = plan->num_slots_;
    plan->feed_endpoints_.push_back(e);
    plan->feed_nodes_.push_back(&graph.node(e.node));
    plan->feed_slots_.push_back(plan->num_slots_++);
  }
  auto is_fed = [&](const Endpoint& e) {
    return e.index < static_cast<int32_t>(fed[e.node].size()) && fed[e.node][e.index] >= 0;
  };

  // Prune: walk back from the fetches and targets; a fed tensor cuts the walk.
  std::vector<char> needed(n, 0);
  std::vector<int32_t> stack;
  for (const Endpoint& e : fetches) {
    if (!valid(e)) return invalid_argument("a fetched tensor is not in the session's graph");
    if (!is_fed(e)) stack.push_back(e.node);
  }
  for (int32_t t : targets) {
    if (t < 0 || t >= n) return invalid_argument("a target op is not in the session's graph");
    stack.push_back(t);
  }
  while (!stack.empty()) {
    const int32_t id = stack.back();
    stack.pop_back();
    if (needed[id]) continue;
    needed[id] = 1;
    const Node& node = graph.node(id);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (!node.op->is_ref_input(static_cast<int>(i)) && !is_fed(node.inputs[i])) {
        stack.push_back(node.inputs[i].node);
      }
    }
    // A control input whose every output is fed has, in effect, run already.
    for (int32_t c : node.control_inputs) {
      const size_t outputs = graph.node(c).output_dtypes.size();
      bool all_fed = outputs > 0;
      for (size_t o = 0; o < outputs && all_fed; ++o) {
        all_fed = is_fed(Endpoint{c, static_cast<int32_t>(o)});
      }
      if (!all_fed) stack.push_back(c);
    }
  }

  // Steps in run order (schedule); everything below numbers steps by their place in it.
  std::vector<int32_t> first_slot(n, -1);
  for (int32_t id : schedule(graph, needed, is_fed)) {
    const Node& node = graph.node(id);
    if (node.op->needs_feed()) {
      return invalid_argument("You must feed a value for placeholder tensor '" + node.name +
                              "' with dtype " + dtype_and_shape(node, 0))
          .with_node(id);
    }
    Step step;
    TL_RETURN_IF_ERROR(place(graph, node, options, &step.device, &step.kernel).with_node(id));
    plan->placement_.push_back(node.name + ": (" + node.op->name() + "): " + step.device->name());
    first_slot[id] = plan->num_slots_;
    plan->num_slots_ += static_cast<int32_t>(node.output_dtypes.size());
    step.node = &node;
    step.first_output = first_slot[id];
    // Output shapes are taken as known only when every input's shape is too: an input
    // known only partly could arrive in a shape that the op must reject at run time.
    step.static_shapes = !node.op->sets_own_outputs();
    for (size_t i = 0; i < node.inputs.size() && step.static_shapes; ++i) {
      const Endpoint& e = node.inputs[i];
      step.static_shapes = node.op->is_ref_input(static_cast<int>(i)) ||
                           graph.node(e.node).output_shapes[e.index].is_fully_defined();
    }
    for (size_t o = 0; o < node.output_shapes.size(); ++o) {
      const Shape& s = node.output_shapes[o];
      step.static_shapes &= s.is_fully_defined();
      step.output_bytes.push_back(s.is_fully_defined() ? static_cast<size_t>(s.num_elements()) *
                                                             dtype_size(node.output_dtypes[o])
                                                       : 0);
    }
    plan->steps_.push_back(std::move(step));
  }
  plan->feed_of_slot_.assign(plan->num_slots_, -1);
  for (size_t f = 0; f < plan->feed_slots_.size(); ++f) {
    plan->feed_of_slot_[plan->feed_slots_[f]] = static_cast<int32_t>(f);
  }
  auto slot_of = [&](const Endpoint& e) {
    return is_fed(e) ? fed[e.node][e.index] : first_slot[e.node] + e.index;
  };

  // Wire inputs and find each slot's last reader.
  std::vector<int32_t> last_use(plan->num_slots_, -1);
  std::vector<char> pinned(plan->num_slots_, 0);  // fetched, fed or constant: never recycled
  if (!options.function_call) {
    for (int32_t s : plan->feed_slots_) pinned[s] = 1;
  }
  for (const Step& step : plan->steps_) {
    if (!is_precomputed(step)) continue;
    for (size_t o = 0; o < step.node->output_dtypes.size(); ++o) {
      pinned[step.first_output + o] = 1;
    }
  }
  for (const Endpoint& e : fetches) {
    plan->fetch_slots_.push_back(slot_of(e));
    pinned[slot_of(e)] = 1;
  }
  for (size_t k = 0; k < plan->steps_.size(); ++k) {
    Step& step = plan->steps_[k];
    for (size_t i = 0; i < step.node->inputs.size(); ++i) {
      const bool ref = step.node->op->is_ref_input(static_cast<int>(i));
      const int32_t s = ref ? -1 : slot_of(step.node->inputs[i]);
      step.inputs.push_back(s);
      if (ref) {
        // In a function body a variable of the calling graph is named by a VariableRef.
        const Node& producer = graph.node(step.node->inputs[i].node);
        step.ref_variables.resize(step.node->inputs.size(), -1);
        if (producer.op->name() == "VariableRef") {
          step.ref_variables[i] = static_cast<int32_t>(producer.attrs.get<int64_t>("variable"));
        }
        const AttrValue* locking = step.node->attrs.find("use_locking");
        if (locking && std::get<bool>(*locking)) {
          step.locked_variables.push_back(step.ref_variables[i] >= 0
                                              ? step.ref_variables[i]
                                              : step.node->inputs[i].node);
        }
      }
      if (s >= 0) last_use[s] = static_cast<int32_t>(k);
    }
    // Locks are taken in id order, so two steps that lock the same variables cannot deadlock.
    std::sort(step.locked_variables.begin(), step.locked_variables.end());
    step.locked_variables.erase(
        std::unique(step.locked_variables.begin(), step.locked_variables.end()),
        step.locked_variables.end());
  }
  for (size_t k = 0; k < plan->steps_.size(); ++k) {
    Step& step = plan->steps_[k];
    for (int fi : step.node->op->forward_inputs()) {
      const int32_t s = step.inputs[fi];
      const int uses = static_cast<int>(std::count(step.inputs.begin(), step.inputs.end(), s));
      if (s >= 0 && !pinned[s] && last_use[s] == static_cast<int32_t>(k) && uses == 1) {
        step.forwardable.push_back(s);
        if (fi < 64) step.forward_mask |= uint64_t{1} << fi;
      }
    }
    // Outputs nobody reads die at once; inputs die after their last reader.
    for (size_t o = 0; o < step.node->output_dtypes.size(); ++o) {
      const int32_t s = step.first_output + static_cast<int32_t>(o);
      if (!pinned[s] && last_use[s] < 0) {
        step.release.push_back(s);
        step.unneeded.resize(step.node->output_dtypes.size(), 0);
        step.unneeded[o] = 1;
      }
    }
    for (int32_t s : step.inputs) {
      if (s >= 0 && !pinned[s] && last_use[s] == static_cast<int32_t>(k) &&
          std::find(step.release.begin(), step.release.end(), s) == step.release.end()) {
        step.release.push_back(s);
      }
    }
  }
  for (const Step& step : plan->steps_) {
    plan->max_inputs_ = std::max(plan->max_inputs_, step.inputs.size());
  }
  plan->init_run_state(plan->cached_);
  TL_RETURN_IF_ERROR(plan->prepare_and_fold_constants(graph));
  std::vector<char> constant(plan->num_slots_, 0);
  for (const auto& c : plan->constants_) constant[c.first] = 1;
  for (int32_t slot = 0; slot < plan->num_slots_; ++slot) {
    if (!constant[slot]) plan->transient_slots_.push_back(slot);
  }
  plan->fuse_elementwise_chains(graph, pinned, constant);
  plan->absorb_products(pinned);
  plan->absorb_readers(pinned);
  plan->plan_memory(pinned);
  TL_RETURN_IF_ERROR(plan->init_arena(plan->cached_));
  *out = std::move(plan);
  return Status::OK();
}

Status Plan::prepare_and_fold_constants(const Graph& graph) {
  SessionState scratch_state;
  std::vector<const Tensor*> constant_value(num_slots_, nullptr);  // in cached_'s slots
  std::vector<DType> dtypes;
  std::vector<Shape> shapes;
  std::vector<const Tensor*> constants;
  std::vector<Step> steps;
  for (Step& step : steps_) {
    const Node& node = *step.node;
    if (PrepareFn prepare = step.kernel->prepare_fn()) {
      const size_t ni = step.inputs.size();
      dtypes.resize(ni);
      shapes.resize(ni);
      constants.assign(ni, nullptr);
      for (size_t i = 0; i < ni; ++i) {
        const Endpoint& e = node.inputs[i];
        dtypes[i] = graph.node(e.node).output_dtypes[e.index];
        shapes[i] = graph.node(e.node).output_shapes[e.index];
        if (step.inputs[i] >= 0) constants[i] = constant_value[step.inputs[i]];
      }
      PrepareContext ctx(node, node.attrs, static_cast<int>(ni), dtypes.data(), shapes.data(),
                         constants.data());
      Status s = prepare(ctx, &step.state);
      if (!s.ok()) return s.with_node(node.id);
    }
    if (!is_precomputed(step)) {
      steps.push_back(std::move(step));
      continue;
    }
    TL_RETURN_IF_ERROR(run_step(step, cached_, scratch_state, 1, nullptr));
    for (size_t o = 0; o < node.output_dtypes.size(); ++o) {
      const int32_t slot = step.first_output + static_cast<int32_t>(o);
      constants_.emplace_back(slot, cached_.slots[slot]);  // stays in cached_
      // Prepare steps read constants on the host: one in device memory is not offered.
      const Tensor& value = cached_.slots[slot];
      if (!value.valid() || value.buffer()->device() == Device::kCPU) {
        constant_value[slot] = &cached_.slots[slot];
      }
    }
  }
  steps_ = std::move(steps);
  return Status::OK();
}

void Plan::fuse_elementwise_chains(const Graph& graph, const std::vector<char>& pinned,
                                   const std::vector<char>& constant) {
  std::vector<const Tensor*> constant_value(num_slots_, nullptr);
  for (const auto& c : constants_) constant_value[c.first] = &c.second;
  std::vector<int32_t> readers, producer;
  count_slot_uses(&readers, &producer);
  // The stage form of `step` and the slot it reads, when it can join a chain: one float output
  // of static shape; besides its main input (of the output's shape) at most a constant scalar
  // or a vector along the output's last dim, and a span form for that case.
  auto as_stage = [&](const Step& step, Stage* stage, int32_t* main) {
    const Node& node = *step.node;
    // Spans are the CPU kernels' code over host memory.
    if (step.device->kind() != Device::kCPU) return false;
    if (!step.static_shapes || node.output_dtypes.size() != 1) return false;
    const DType dtype = node.output_dtypes[0];
    const Shape& out = node.output_shapes[0];
    auto shape_of = [&](int i) -> const Shape& {
      const Endpoint& e = node.inputs[i];
      return graph.node(e.node).output_shapes[e.index];
    };
    auto full = [&](int i) {
      return step.inputs[i] >= 0 && !constant[step.inputs[i]] && shape_of(i) == out;
    };
    const SpanFn fn = step.kernel->span_fn(dtype);
    if (fn && step.inputs.size() == 1 && full(0)) {
      *stage = Stage{fn};
      *main = step.inputs[0];
      return true;
    }
    if (step.inputs.size() != 2) return false;
    for (int k = 0; fn && k < 2; ++k) {
      const int32_t s = step.inputs[k];
      if (s >= 0 && constant[s] && constant_value[s]->num_elements() == 1 && full(1 - k)) {
        *stage = Stage{fn, constant_value[s]->raw_data(), k == 0};
        *main = step.inputs[1 - k];
        return true;
      }
    }
    // A vector operand: shape [..., 1, C] against an output [..., C]. (An op whose bias runs
    // along another dim says so with data_format NCHW.)
    const PairSpanFn pair = step.kernel->pair_span_fn(dtype);
    const AttrValue* format = node.attrs.find("data_format");
    if (!pair || out.rank() == 0 || out.num_elements() == 0 ||
        (format && std::get<std::string>(*format) == "NCHW")) {
      return false;
    }
    for (int k = 0; k < 2; ++k) {
      const Shape& v = shape_of(k);
      bool is_row = step.inputs[k] >= 0 && v.rank() >= 1 && v.rank() <= out.rank() &&
                    v.dim(v.rank() - 1) == out.dim(out.rank() - 1);
      for (int d = 0; is_row && d + 1 < v.rank(); ++d) is_row = v.dim(d) == 1;
      if (is_row && full(1 - k)) {
        *stage = Stage{nullptr, nullptr, k == 0, pair, step.inputs[k]};
        *main = step.inputs[1 - k];
        return true;
      }
    }
    // Two operands of the output's shape: the main one is the one read only here (the first
    // when both are), the other is read element for element.
    if (full(0) && full(1) && step.inputs[0] != step.inputs[1]) {
      const int k = readers[step.inputs[0]] == 1 && !pinned[step.inputs[0]] ? 1 : 0;
      *stage = Stage{nullptr, nullptr, k == 0, pair, step.inputs[k], true};
      *main = step.inputs[1 - k];
      return true;
    }
    return false;
  };

  // `stage` (with a full operand) reading `main` as its operand and its operand as the main.
  auto swapped = [](Stage stage, int32_t main) {
    stage.vector_slot = main;
    stage.scalar_first = !stage.scalar_first;
    return stage;
  };
  // A step joins the chain whose output is its main input when nothing else reads that
  // value. The chain runs where its first step ran: every later stage reads only the chain's
  // value, constants and vectors computed before that step, so it may run earlier than it was
  // scheduled.
  std::vector<Step> steps;
  std::vector<std::pair<Stage, int32_t>> first_stage;  // per step of `steps`, when it has one
  std::vector<int32_t> position;                        // per step of `steps`: index in steps_
  std::unordered_map<int32_t, size_t> open;             // chain output slot -> index in steps
  for (size_t k = 0; k < steps_.size(); ++k) {
    Step& step = steps_[k];
    Stage stage;
    int32_t main = -1;
    if (!as_stage(step, &stage, &main)) {
      steps.push_back(std::move(step));
      first_stage.emplace_back(Stage{}, -1);
      position.push_back(static_cast<int32_t>(k));
      continue;
    }
    stage.node = step.node;
    auto joins = [&](int32_t value, const Stage& st) {
      auto open_chain = open.find(value);
      return open_chain != open.end() && readers[value] == 1 && !pinned[value] &&
             (st.vector_slot < 0 || producer[st.vector_slot] < position[open_chain->second]);
    };
    // Of two operands of the output's shape, the one an open chain made is the main one.
    if (stage.full && !joins(main, stage) && joins(stage.vector_slot, swapped(stage, main))) {
      const int32_t operand = stage.vector_slot;
      stage = swapped(stage, main);
      main = operand;
    }
    auto it = open.find(main);
    if (it != open.end() && joins(main, stage)) {
      const size_t head_index = it->second;
      Step& head = steps[head_index];
      if (head.stages.empty()) {
        head.stages.push_back(first_stage[head_index].first);
        head.chain_input = first_stage[head_index].second;
      }
      head.stages.push_back(stage);
      head.first_output = step.first_output;
      head.release.insert(head.release.end(), step.release.begin(), step.release.end());
      open.erase(it);
      open.emplace(head.first_output, head_index);
      continue;
    }
    open.emplace(step.first_output, steps.size());
    steps.push_back(std::move(step));
    first_stage.emplace_back(stage, main);
    position.push_back(static_cast<int32_t>(k));
  }
  // A step that could be a stage (a chain, or one op) whose main input is the only use of the
  // output of a kernel that applies output stages moves onto that kernel: the kernel writes
  // the step's output, the stages applied as it goes. Its vector operands must be computed
  // before the kernel runs.
  std::unordered_map<int32_t, size_t> made_by;  // output 0 slot -> index in steps
  for (size_t i = 0; i < steps.size(); ++i) made_by.emplace(steps[i].first_output, i);
  std::vector<char> merged(steps.size(), 0);
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& step = steps[i];
    const bool chain = !step.stages.empty();
    int32_t main = chain ? step.chain_input : first_stage[i].second;
    auto made_by_kernel = [&](int32_t value) {
      auto kernel = made_by.find(value);
      return value >= 0 && readers[value] == 1 && !pinned[value] && kernel != made_by.end() &&
             steps[kernel->second].kernel->takes_output_stages();
    };
    // Of two operands of the output's shape, the one a kernel made is the main one (either
    // way round, the stage computes the same).
    Stage& first = chain ? step.stages[0] : first_stage[i].first;
    if (first.full && !made_by_kernel(main) && made_by_kernel(first.vector_slot)) {
      const int32_t operand = first.vector_slot;
      first = swapped(first, main);
      main = operand;
      if (chain) step.chain_input = main;
    }
    if (main < 0 || readers[main] != 1 || pinned[main]) continue;
    auto it = made_by.find(main);
    if (it == made_by.end() || merged[it->second]) continue;
    Step& kernel = steps[it->second];
    const Node& node = *kernel.node;
    std::vector<Stage> stages = chain ? step.stages : std::vector<Stage>{first_stage[i].first};
    bool ready = kernel.kernel->takes_output_stages() && kernel.static_shapes &&
                 kernel.stages.empty() && kernel.output_stages.empty() &&
                 node.output_dtypes.size() == 1 &&
                 node.output_dtypes[0] == step.node->output_dtypes[0];
    for (const Stage& st : stages) {
      // An operand computed before the kernel, and not a buffer the kernel may write over.
      ready = ready && (st.vector_slot < 0 ||
                        (producer[st.vector_slot] < position[it->second] &&
                         std::find(kernel.forwardable.begin(), kernel.forwardable.end(),
                                   st.vector_slot) == kernel.forwardable.end()));
    }
    if (!ready) continue;
    kernel.output_stages = std::move(stages);
    kernel.first_output = step.first_output;
    merged[i] = 1;
  }
  steps_.clear();
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!merged[i]) steps_.push_back(std::move(steps[i]));
  }
  release_after_last_reader(pinned);
}

void Plan::count_slot_uses(std::vector<int32_t>* readers,
                           std::vector<int32_t>* producer) const {
  readers->assign(num_slots_, 0);
  producer->assign(num_slots_, -1);
  for (size_t k = 0; k < steps_.size(); ++k) {
    const Step& step = steps_[k];
    for (int32_t s : step.inputs) {
      if (s >= 0) ++(*readers)[s];
    }
    for (const std::vector<Stage>* stages : {&step.stages, &step.output_stages}) {
      for (const Stage& st : *stages) {
        if (st.vector_slot >= 0) ++(*readers)[st.vector_slot];
      }
    }
    for (size_t o = 0; o < step.node->output_dtypes.size(); ++o) {
      (*producer)[step.first_output + o] = static_cast<int32_t>(k);
    }
  }
}

namespace {

// Whether the ops of `stages` are those of OutputStages::BiasRelu: an add of a vector along the
// last dim (a bias), a Relu, or the one then the other (StagesOnOutput::bias_relu checks the
// values too).
bool bias_relu_ops(const std::vector<Stage>& stages) {
  if (stages.empty() || stages.size() > 2) return false;
  size_t i = 0;
  const std::string& first = stages[0].node->op->name();
  if (stages[0].pair && !stages[0].full &&
      (first == "Add" || first == "AddV2" || first == "BiasAdd")) {
    i = 1;
  }
  if (i < stages.size() && stages[i].fn && stages[i].node->op->name() == "Relu") ++i;
  return i == stages.size();
}

}  // namespace

void Plan::absorb_readers(const std::vector<char>& pinned) {
  std::vector<int32_t> readers, producer;
  count_slot_uses(&readers, &producer);
  std::vector<int32_t> reader_of(num_slots_, -1);  // the step reading a slot as its input 0
  for (size_t k = 0; k < steps_.size(); ++k) {
    const Step& step = steps_[k];
    if (step.inputs.size() == 1 && step.inputs[0] >= 0) {
      reader_of[step.inputs[0]] = static_cast<int32_t>(k);
    }
  }
  auto plain = [](const Step& step) {
    return step.device->kind() == Device::kCPU && step.stages.empty() && !step.product &&
           !step.reader && step.static_shapes && step.node->output_dtypes.size() == 1;
  };
  std::vector<char> absorbed(steps_.size(), 0);
  bool any = false;
  for (Step& step : steps_) {
    const ReaderFilter accepts = step.kernel->reader_filter();
    const int32_t out = step.first_output;
    if (!accepts || !plain(step) || pinned[out] || readers[out] != 1 || reader_of[out] < 0 ||
        (!step.output_stages.empty() && !bias_relu_ops(step.output_stages))) {
      continue;
    }
    const Step& reader = steps_[reader_of[out]];
    if (!plain(reader) || !reader.output_stages.empty() ||
        !accepts(*step.node, *reader.node)) {
      continue;
    }
    step.reader = reader.node;
    step.first_output = reader.first_output;
    step.output_bytes = reader.output_bytes;
    step.unneeded = reader.unneeded;
    step.forwardable.clear();
    step.forward_mask = 0;
    absorbed[reader_of[out]] = 1;
    any = true;
  }
  if (any) drop_steps(absorbed, pinned);
}

void Plan::absorb_products(const std::vector<char>& pinned) {
  std::vector<int32_t> readers, producer;
  count_slot_uses(&readers, &producer);
  // Whether the value in `slot` may share a variable's memory: a view (an op that sets its own
  // outputs) of a variable, or of such a view. An update between the MatMul's place and the
  // absorbing step's could change it.
  std::function<bool(int32_t)> may_be_state = [&](int32_t slot) {
    if (slot < 0) return true;  // a reference input
    if (producer[slot] < 0) return false;  // fed, or a constant
    const Step& step = steps_[producer[slot]];
    if (!step.node->op->sets_own_outputs()) return false;  // a buffer of its own
    if (step.node->op->is_stateful()) return true;
    for (int32_t s : step.inputs) {
      if (may_be_state(s)) return true;
    }
    return false;
  };
  std::vector<char> absorbed(steps_.size(), 0);
  bool any = false;
  for (Step& step : steps_) {
    const int i = step.kernel->product_input();
    if (i < 0 || i >= static_cast<int>(step.inputs.size()) || step.state ||
        !step.stages.empty() || !step.output_stages.empty() ||
        step.device->kind() != Device::kCPU) {
      continue;
    }
    const int32_t grad = step.inputs[i];
    if (grad < 0 || pinned[grad] || readers[grad] != 1 || producer[grad] < 0) continue;
    Step& matmul = steps_[producer[grad]];
    const Node& node = *matmul.node;
    const DType dtype = node.output_dtypes[0];
    if (node.op->name() != "MatMul" || matmul.device->kind() != Device::kCPU ||
        !matmul.stages.empty() || !matmul.output_stages.empty() ||
        (dtype != DType::kFloat32 && dtype != DType::kFloat64) ||
        step.node->output_dtypes[0] != dtype || may_be_state(matmul.inputs[0]) ||
        may_be_state(matmul.inputs[1])) {
      continue;
    }
    auto operands = std::make_unique<ProductOperands>();
    operands->transpose_a = node.attrs.get<bool>("transpose_a");
    operands->transpose_b = node.attrs.get<bool>("transpose_b");
    step.state = std::move(operands);
    step.inputs[i] = matmul.inputs[0];
    step.inputs.push_back(matmul.inputs[1]);
    if (!step.ref_variables.empty()) step.ref_variables.resize(step.inputs.size(), -1);
    step.product = &node;
    absorbed[producer[grad]] = 1;
    max_inputs_ = std::max(max_inputs_, step.inputs.size());
    any = true;
  }
  if (any) drop_steps(absorbed, pinned);
}

void Plan::drop_steps(const std::vector<char>& dropped, const std::vector<char>& pinned) {
  std::vector<Step> steps;
  for (size_t k = 0; k < steps_.size(); ++k) {
    if (!dropped[k]) steps.push_back(std::move(steps_[k]));
  }
  steps_ = std::move(steps);
  cached_.copies.resize(max_inputs_);
  cached_.inputs.resize(max_inputs_);
  release_after_last_reader(pinned);
}

std::vector<std::vector<std::string>> Plan::step_nodes() const {
  std::vector<std::vector<std::string>> out;
  for (const Step& step : steps_) {
    std::vector<std::string> names;
    for (const Stage& stage : step.stages) names.push_back(stage.node->name);
    if (step.product) names.push_back(step.product->name);
    if (names.empty() || step.product) names.push_back(step.node->name);
    for (const Stage& stage : step.output_stages) names.push_back(stage.node->name);
    if (step.reader) names.push_back(step.reader->name);
    out.push_back(std::move(names));
  }
  return out;
}

void Plan::release_after_last_reader(const std::vector<char>& pinned) {
  // A chain runs where its first step ran, earlier than the steps it absorbed: a value one of
  // them read last may still be read by a step between the two, so releases are placed anew
  // after the chains are formed.
  auto reads = [](const Step& step, auto&& fn) {
    for (int32_t s : step.inputs) fn(s);
    for (const Stage& st : step.stages) fn(st.vector_slot);
    for (const Stage& st : step.output_stages) fn(st.vector_slot);
  };
  std::vector<int32_t> last(num_slots_, -1);
  for (size_t k = 0; k < steps_.size(); ++k) {
    reads(steps_[k], [&](int32_t s) {
      if (s >= 0) last[s] = static_cast<int32_t>(k);
    });
  }
  for (size_t k = 0; k < steps_.size(); ++k) {
    Step& step = steps_[k];
    step.release.clear();
    const int32_t outputs = step.stages.empty()
                                ? static_cast<int32_t>(step.node->output_dtypes.size())
                                : 1;
    for (int32_t o = 0; o < outputs; ++o) {
      const int32_t s = step.first_output + o;
      if (!pinned[s] && last[s] < 0) step.release.push_back(s);
    }
    reads(step, [&](int32_t s) {
      if (s >= 0 && !pinned[s] && last[s] == static_cast<int32_t>(k) &&
          std::find(step.release.begin(), step.release.end(), s) == step.release.end()) {
        step.release.push_back(s);
      }
    });
  }
}

void Plan::plan_memory(const std::vector<char>& pinned) {
  const int32_t end = static_cast<int32_t>(steps_.size());
  // Each value's lifetime in steps: from its producer to its last reader; pinned values to the
  // end of the run.
  std::vector<int32_t> first(num_slots_, -1), last(num_slots_, -1);
  std::vector<size_t> bytes(num_slots_, 0);
  std::vector<DType> dtype(num_slots_, DType::kInvalid);
  for (int32_t k = 0; k < end; ++k) {
    const Step& step = steps_[k];
    for (size_t o = 0; o < step.output_bytes.size(); ++o) {
      const int32_t s = step.first_output + static_cast<int32_t>(o);
      first[s] = last[s] = k;
      dtype[s] = step.node->output_dtypes[o];
      if (step.static_shapes && !pinned[s] && dtype[s] != DType::kString &&
          step.device->kind() == Device::kCPU) {
        bytes[s] = step.output_bytes[o];
      }
    }
    for (int32_t s : step.inputs) {
      if (s >= 0) last[s] = k;
    }
    for (const Stage& stage : step.stages) {
      if (stage.vector_slot >= 0) last[stage.vector_slot] = k;
    }
    for (const Stage& stage : step.output_stages) {
      if (stage.vector_slot >= 0) last[stage.vector_slot] = k;
    }
  }
  for (int32_t s = 0; s < num_slots_; ++s) {
    if (pinned[s]) last[s] = end;
  }
  // A kernel that sets its own outputs may return views of its inputs (Reshape, Identity):
  // its inputs live as long as its outputs (latest readers first, so views of views count).
  for (int32_t k = end - 1; k >= 0; --k) {
    const Step& step = steps_[k];
    if (!step.node->op->sets_own_outputs()) continue;
    int32_t until = k;
    for (size_t o = 0; o < step.output_bytes.size(); ++o) {
      until = std::max(until, last[step.first_output + o]);
    }
    for (int32_t s : step.inputs) {
      if (s >= 0) last[s] = std::max(last[s], until);
    }
  }
  // A value that a fetched view shows is the caller's too: it stays out of the arena, so the
  // fetch is handed over rather than copied out of it.
  for (int32_t s = 0; s < num_slots_; ++s) {
    if (last[s] >= end) bytes[s] = 0;
  }
  // An output that the run loop would let take over a dying input's buffer (an elementwise
  // op in place) shares that input's place: one group, from the input's producer on.
  std::vector<int32_t> group(num_slots_);
  for (int32_t s = 0; s < num_slots_; ++s) group[s] = s;
  for (int32_t k = 0; k < end; ++k) {
    const Step& step = steps_[k];
    const int32_t out = step.first_output;
    if (step.output_bytes.empty() || bytes[out] == 0) continue;
    for (int32_t s : step.forwardable) {
      if (bytes[s] == bytes[out] && dtype[s] == dtype[out] && last[s] == k) {
        group[out] = group[s];
        break;
      }
    }
  }
  std::vector<int32_t> group_first(num_slots_, end), group_last(num_slots_, -1);
  std::vector<size_t> group_bytes(num_slots_, 0);
  std::vector<int32_t> groups;
  for (int32_t s = 0; s < num_slots_; ++s) {
    if (bytes[s] == 0) continue;
    const int32_t g = group[s];
    if (group_bytes[g] == 0) groups.push_back(g);
    group_first[g] = std::min(group_first[g], first[s]);
    group_last[g] = std::max(group_last[g], last[s]);
    group_bytes[g] = (bytes[s] + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  }
  // Largest first; each at the lowest offset where it overlaps no group alive with it.
  std::stable_sort(groups.begin(), groups.end(), [&](int32_t a, int32_t b) {
    return group_bytes[a] > group_bytes[b];
  });
  std::vector<int64_t> offset(num_slots_, -1);
  std::vector<int32_t> placed, alive;
  for (int32_t g : groups) {
    alive.clear();
    for (int32_t p : placed) {
      if (group_first[p] <= group_last[g] && group_first[g] <= group_last[p]) alive.push_back(p);
    }
    std::sort(alive.begin(), alive.end(), [&](int32_t a, int32_t b) {
      return offset[a] < offset[b];
    });
    int64_t at = 0;
    for (int32_t p : alive) {
      if (offset[p] >= at + static_cast<int64_t>(group_bytes[g])) break;
      at = std::max(at, offset[p] + static_cast<int64_t>(group_bytes[p]));
    }
    offset[g] = at;
    arena_bytes_ = std::max(arena_bytes_, static_cast<size_t>(at) + group_bytes[g]);
    placed.push_back(g);
  }
  arena_offsets_.assign(num_slots_, -1);
  arena_sizes_.assign(num_slots_, 0);
  for (int32_t s = 0; s < num_slots_; ++s) {
    if (bytes[s] == 0) continue;
    arena_offsets_[s] = offset[group[s]];
    arena_sizes_[s] = bytes[s];
  }
}

Status Plan::init_arena(RunState& rs) const {
  rs.arena_views.assign(num_slots_, nullptr);
  if (arena_bytes_ == 0) return Status::OK();
  rs.arena = Buffer::allocate(arena_bytes_);
  if (!rs.arena) {
    return resource_exhausted("out of memory allocating a plan's arena of " +
                              std::to_string(arena_bytes_) + " bytes");
  }
  char* base = static_cast<char*>(rs.arena->data());
  for (int32_t s = 0; s < num_slots_; ++s) {
    if (arena_offsets_[s] >= 0) {
      rs.arena_views[s] = Buffer::borrow(base + arena_offsets_[s], arena_sizes_[s]);
    }
  }
  return Status::OK();
}

void Plan::apply_stages(const std::vector<Stage>& stages, const RunState& rs, const char* in,
                        char* out, int64_t begin, int64_t end, int64_t row, int64_t size) {
  for (int64_t b = begin; b < end; b += kChainBlock) {
    const int64_t n = std::min(end, b + kChainBlock) - b;
    const char* x = in + b * size;
    char* y = out + b * size;
    for (const Stage& st : stages) {
      if (st.fn) {
        st.fn(x, st.scalar, st.scalar_first, y, n);
      } else if (st.full) {
        const char* v = static_cast<const char*>(rs.slots[st.vector_slot].raw_data());
        st.pair(x, v + b * size, st.scalar_first, y, n);
      } else {
        // The vector operand, one row segment at a time from element b's place in its row.
        const char* v = static_cast<const char*>(rs.slots[st.vector_slot].raw_data());
        for (int64_t i = 0, col = b % row; i < n; col = 0) {
          const int64_t len = std::min(n - i, row - col);
          st.pair(x + i * size, v + col * size, st.scalar_first, y + i * size, len);
          i += len;
        }
      }
      x = y;
    }
  }
}

void Plan::run_chain(const Step& step, RunState& rs, KernelContext& ctx) {
  const Tensor& x = rs.slots[step.chain_input];
  Tensor& y = rs.slots[step.first_output];
  const int64_t size = static_cast<int64_t>(dtype_size(y.dtype()));
  const int64_t row = y.shape().dim(y.shape().rank() - 1);  // a vector operand's length
  const char* px = static_cast<const char*>(x.raw_data());
  char* py = static_cast<char*>(y.raw_data());
  ctx.parallel_for(y.num_elements(), kChainGrain, [&](int64_t begin, int64_t end) {
    apply_stages(step.stages, rs, px, py, begin, end, row, size);
  });
}

namespace {

// The stages fused onto a kernel's output, applied in place as the kernel finishes its parts.
class StagesOnOutput : public OutputStages {
 public:
  using Apply = void (*)(const std::vector<Stage>&, const RunState&, const char*, char*,
                         int64_t, int64_t, int64_t, int64_t);
  StagesOnOutput(const std::vector<Stage>& stages, const RunState& rs, Tensor& y, Apply apply)
      : stages_(stages), rs_(rs), apply_(apply),
        data_(static_cast<char*>(y.raw_data())),
        row_(y.shape().dim(y.shape().rank() - 1)),
        size_(static_cast<int64_t>(dtype_size(y.dtype()))) {}
  void apply(int64_t begin, int64_t end) const override {
    apply_(stages_, rs_, data_, data_, begin, end, row_, size_);
  }
  void apply_to(void* data, int64_t begin, int64_t end) const override {
    char* p = static_cast<char*>(data);
    apply_(stages_, rs_, p, p, begin, end, row_, size_);
  }
  // An add of a float32 vector of the row's length (the bias), a Relu, or the one then the
  // other.
  bool bias_relu(BiasRelu* out) const override {
    if (size_ != static_cast<int64_t>(sizeof(float)) || !bias_relu_ops(stages_)) return false;
    size_t i = 0;
    if (stages_[0].pair) {  // the bias add (bias_relu_ops)
      const Tensor& bias = rs_.slots[stages_[0].vector_slot];
      if (bias.dtype() != DType::kFloat32 || bias.num_elements() != row_) return false;
      out->bias = bias.data<float>();
      i = 1;
    }
    out->relu = i < stages_.size();
    return true;
  }

 private:
  const std::vector<Stage>& stages_;
  const RunState& rs_;
  Apply apply_;
  char* data_;
  int64_t row_, size_;
};

}  // namespace

Status Plan::prepare_outputs(const Step& step, RunState& rs) {
  const Node& node = *step.node;
  const int num_outputs = static_cast<int>(node.output_dtypes.size());
  if (node.op->sets_own_outputs()) return Status::OK();
  const DType* dtypes = node.output_dtypes.data();
  const Shape* shapes = node.output_shapes.data();
  if (!step.static_shapes) {
    const size_t ni = step.inputs.size();
    rs.in_dtypes.resize(ni);
    rs.in_shapes.resize(ni);
    for (size_t i = 0; i < ni; ++i) {
      // A reference input has no value: its shape function must not look at it.
      rs.in_dtypes[i] = rs.inputs[i] ? rs.inputs[i]->dtype() : DType::kInvalid;
      rs.in_shapes[i] = rs.inputs[i] ? rs.inputs[i]->shape() : Shape::unknown();
    }
    rs.out_dtypes.assign(num_outputs, DType::kInvalid);
    rs.out_shapes.assign(num_outputs, Shape::unknown());
    InferenceContext ctx(node.op->name(), node.attrs, static_cast<int>(ni), rs.in_dtypes.data(),
                         rs.in_shapes.data(), rs.inputs.data(), num_outputs,
                         rs.out_dtypes.data(), rs.out_shapes.data());
    TL_RETURN_IF_ERROR(node.op->shape_fn()(ctx));
    for (const Shape& s : rs.out_shapes) TL_RETURN_IF_ERROR(check_size(s));
    dtypes = rs.out_dtypes.data();
    shapes = rs.out_shapes.data();
  }
  for (int o = 0; o < num_outputs; ++o) {
    Tensor& out = rs.slots[step.first_output + o];
    size_t bytes = step.output_bytes[o];
    if (!step.static_shapes) {
      if (!shapes[o].is_fully_defined()) {
        return internal_error("could not infer the shape of output " + std::to_string(o) +
                              " of '" + node.name + "' at run time");
      }
      bytes = static_cast<size_t>(shapes[o].num_elements()) * dtype_size(dtypes[o]);
      out = Tensor(dtypes[o], shapes[o], nullptr);
    }
    if (dtypes[o] == DType::kString) {  // constructed strings, never raw pool memory
      TL_RETURN_IF_ERROR(Tensor::allocate(dtypes[o], shapes[o], &out));
      continue;
    }
    // `out` has its dtype and shape (static ones were set once, in init_run_state): give it
    // its place in the arena, a dying input's buffer, or one from the pool.
    if (step.device->kind() != Device::kCPU) {  // device memory: neither arena nor pool
      std::shared_ptr<Buffer> buffer = step.device->allocator().allocate(bytes);
      if (!buffer) {
        return resource_exhausted("OOM when allocating tensor with shape " +
                                  out.shape().to_string() + " (" + std::to_string(bytes) +
                                  " bytes) for output " + std::to_string(o) + " of " +
                                  node.op->name() + " on " + step.device->name() + ": " +
                                  step.device->allocator().usage());
      }
      out.set_buffer(std::move(buffer));
      continue;
    }
    std::shared_ptr<Buffer> buffer = rs.arena_views[step.first_output + o];
    if (!buffer && o == 0) {
      for (int32_t s : step.forwardable) {
        Tensor& in = rs.slots[s];
        if (in.dtype() == out.dtype() && in.num_bytes() == bytes && in.buffer()->owned() &&
            in.buffer()->device() == Device::kCPU && in.buffer().use_count() == 1) {
          buffer = in.take_buffer();  // the input's last reader: it needs only the data
          break;
        }
      }
    }
    if (!buffer && !(buffer = rs.pool.take(bytes))) {
      return resource_exhausted("out of memory allocating output " + std::to_string(o) +
                                " of shape " + out.shape().to_string());
    }
    out.set_buffer(std::move(buffer));
  }
  return Status::OK();
}

Status Plan::run_steps(RunState& rs, SessionState& state, int max_threads, const Tensor* feeds,
                       Tensor* movable_feeds, Tensor* fetches, RunControl* control,
                       const LoopCall& loop) {
  for (size_t f = 0; f < feed_slots_.size(); ++f) {
    const Node& node = *feed_nodes_[f];
    const int32_t index = feed_endpoints_[f].index;
    const Tensor& t = movable_feeds ? movable_feeds[f] : feeds[f];
    if (!t.valid() || t.dtype() != node.output_dtypes[index] ||
        !t.shape().is_compatible_with(node.output_shapes[index])) {
      return invalid_argument("Cannot feed a value of dtype " +
                              std::string(t.valid() ? dtype_name(t.dtype()) : "<none>") +
                              " and shape " + t.shape().to_string() + " to tensor '" +
                              node.name + ":" + std::to_string(index) + "', which has dtype " +
                              dtype_and_shape(node, index))
          .with_node(node.id);
    }
    if (movable_feeds) {
      rs.slots[feed_slots_[f]] = std::move(movable_feeds[f]);
    } else {
      rs.slots[feed_slots_[f]] = t;
    }
  }
  for (const Step& step : steps_) {
    if (control) TL_RETURN_IF_ERROR(control->check());
    TL_RETURN_IF_ERROR(run_step(step, rs, state, max_threads, control, loop));
  }
  for (size_t f = 0; f < fetch_slots_.size(); ++f) {
    Tensor& t = rs.slots[fetch_slots_[f]];
    if (!t.valid()) return internal_error("a fetched tensor was not computed");
    if (t.buffer()->device() != Device::kCPU) {  // fetches come back to the host
      TL_RETURN_IF_ERROR(copy_to_device(t, DeviceRegistry::global().cpu(), &fetches[f]));
      continue;
    }
    // A value that shares its buffer (a variable, a constant, a feed, another fetch) is copied
    // so the caller owns what it gets; anything else is handed over as it is.
    if (options_.function_call) {
      fetches[f] = t;  // shared values stay shared: nobody writes a buffer another holds
    } else if (t.buffer()->owned() && t.buffer().use_count() == 1 &&
               std::count(fetch_slots_.begin(), fetch_slots_.end(), fetch_slots_[f]) == 1) {
      fetches[f] = t;
      t.release();  // the slot keeps its dtype and shape for the next run
    } else {
      TL_RETURN_IF_ERROR(t.copy(&fetches[f]));
    }
  }
  return Status::OK();
}

Status Plan::run_step(const Step& step, RunState& rs, SessionState& state, int max_threads,
                      RunControl* control, const LoopCall& loop) {
  const Node& node = *step.node;
  const size_t num_inputs = step.inputs.size();
  for (size_t i = 0; i < num_inputs; ++i) {
    const Tensor* in = step.inputs[i] >= 0 ? &rs.slots[step.inputs[i]] : nullptr;
    // A value made on another device is copied to this step's: the boundary's copy. (An
    // input the kernel reads on the host is copied there.)
    const int at = static_cast<int>(i);
    const ExecutionDevice& wanted = step.kernel->host_memory_input_at(at)
                                        ? DeviceRegistry::global().cpu()
                                        : *step.device;
    if (in && in->valid() && !step.kernel->shape_only_input_at(at) &&
        (in->buffer()->device() != wanted.kind() ||
                              in->buffer()->device_index() != wanted.index())) {
      Status copied = copy_to_device(*in, wanted, &rs.copies[i]);
      if (!copied.ok()) return copied.with_node(node.id);
      in = &rs.copies[i];
    }
    rs.inputs[i] = in;
  }
  std::vector<std::unique_lock<std::mutex>> locks;  // use_locking: one update at a time
  for (int32_t v : step.locked_variables) locks.emplace_back(state.variable_mutex(v));
  Status s = prepare_outputs(step, rs);
  if (s.ok()) {
    KernelContext ctx(node, node.attrs, rs.inputs.data(), static_cast<int>(num_inputs),
                      &rs.slots[step.first_output], static_cast<int>(node.output_dtypes.size()),
                      &state, max_threads, step.state.get());
    ctx.set_run(functions_, control, step.unneeded.empty() ? nullptr : step.unneeded.data(),
                step.forward_mask);
    if (!step.ref_variables.empty()) ctx.set_ref_variables(step.ref_variables.data());
    if (step.device->kind() != Device::kCPU) ctx.set_device(step.device);
    if (loop.epoch) {
      uint64_t invariant = 0;
      for (size_t i = 0; i < num_inputs && i < 64; ++i) {
        const int32_t slot = step.inputs[i];
        if (slot >= 0 && feed_of_slot_[slot] >= loop.invariant_from) invariant |= uint64_t{1} << i;
      }
      ctx.set_loop(loop.epoch, invariant);
    }
    if (step.reader) ctx.set_absorbed_reader(step.reader);
    // The kernel's compute step, or the one it runs for what it absorbed.
    const KernelFn compute = step.reader    ? step.kernel->reader_fn()
                             : step.product ? step.kernel->product_fn()
                                            : step.kernel->compute_fn();
    if (!step.output_stages.empty()) {
      const StagesOnOutput stages(step.output_stages, rs, rs.slots[step.first_output],
                                  apply_stages);
      ctx.set_output_stages(&stages);
      s = compute(ctx);
    } else if (step.stages.empty()) {
      s = compute(ctx);
    } else {
      run_chain(step, rs, ctx);
    }
  }
  for (size_t i = 0; i < num_inputs; ++i) rs.copies[i].release();
  if (!s.ok()) return s.with_node(node.id);
  for (int32_t slot : step.release) {
    Tensor& t = rs.slots[slot];
    if (t.valid() && t.buffer()->owned() && t.buffer().use_count() == 1 &&
        t.dtype() != DType::kString && t.buffer()->device() == Device::kCPU) {
      rs.pool.give(t.buffer());
    }
    t.release();
  }
  return Status::OK();
}

void Plan::init_run_state(RunState& rs) const {
  rs.slots.resize(num_slots_);
  rs.copies.resize(max_inputs_);
  rs.arena_views.resize(num_slots_);
  rs.inputs.resize(max_inputs_);
  for (const auto& c : constants_) rs.slots[c.first] = c.second;
  for (const Step& step : steps_) {
    if (!step.static_shapes) continue;
    const Node& node = *step.node;
    for (size_t o = 0; o < node.output_dtypes.size(); ++o) {
      rs.slots[step.first_output + o] = Tensor(node.output_dtypes[o], node.output_shapes[o], nullptr);
    }
  }
}

Status Plan::run(SessionState& state, int max_threads, const Tensor* feeds, Tensor* fetches,
                 RunControl* control) {
  return run_with_state(state, max_threads, feeds, nullptr, fetches, control, LoopCall{});
}

Status Plan::call(SessionState& state, int max_threads, Tensor* args, Tensor* results,
                  RunControl* control, LoopCall loop) {
  return run_with_state(state, max_threads, nullptr, args, results, control, loop);
}

Status Plan::run_with_state(SessionState& state, int max_threads, const Tensor* feeds,
                            Tensor* movable_feeds, Tensor* fetches, RunControl* control,
                            const LoopCall& loop) {
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  std::unique_ptr<RunState> own;  // only when another run holds cached_
  Status s;
  if (!lock.owns_lock()) {
    own = std::make_unique<RunState>();
    init_run_state(*own);
    s = init_arena(*own);
  }
  RunState& rs = own ? *own : cached_;
  if (s.ok()) {
    s = run_steps(rs, state, max_threads, feeds, movable_feeds, fetches, control, loop);
  }
  // NOTE: every slot but the constants' is cleared, so no reference to a caller's (borrowed)
  // feed outlives run().
  for (int32_t slot : transient_slots_) rs.slots[slot].release();
  return s;
}

struct SpecializedPlans::Specialization {
  std::vector<Shape> shapes;
  std::shared_ptr<Graph> graph;  // the graph with those shapes
  std::unique_ptr<Plan> plan;    // null: these shapes take the generic plan
};

SpecializedPlans::SpecializedPlans(const Graph& graph, std::vector<Endpoint> feeds,
                                   std::vector<Endpoint> fetches, std::vector<int32_t> targets,
                                   PlanOptions options)
    : graph_(graph),
      feeds_(std::move(feeds)),
      fetches_(std::move(fetches)),
      targets_(std::move(targets)),
      options_(options) {
  for (const Endpoint& e : feeds_) {
    if (e.node < 0 || e.node >= graph.num_nodes()) continue;  // (the generic plan says so)
    const Node& node = graph.node(e.node);
    if (e.index >= 0 && e.index < static_cast<int32_t>(node.output_shapes.size()) &&
        !node.output_shapes[e.index].is_fully_defined()) {
      specializes_ = true;
    }
  }
}

SpecializedPlans::~SpecializedPlans() = default;

Status SpecializedPlans::check() {
  std::lock_guard<std::mutex> lock(mutex_);
  Plan* plan;
  TL_RETURN_IF_ERROR(generic_locked(&plan));
  if (specializes_) generic_.reset();
  return Status::OK();
}

Status SpecializedPlans::generic_locked(Plan** plan) {
  if (!generic_) {
    TL_RETURN_IF_ERROR(Plan::build(graph_, feeds_, fetches_, targets_, &generic_, options_));
  }
  *plan = generic_.get();
  return Status::OK();
}

Status SpecializedPlans::last_used(Plan** plan) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_used_) {
    *plan = last_used_;
    return Status::OK();
  }
  return generic_locked(plan);
}

Status SpecializedPlans::plan_for(const Tensor* feeds, Plan** plan) {
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t n = feeds_.size();
  auto found = [&]() -> Specialization* {
    for (const auto& sp : specializations_) {
      size_t i = 0;
      while (i < n && sp->shapes[i] == feeds[i].shape()) ++i;
      if (i == n) return sp.get();
    }
    return nullptr;
  };
  // Shapes the graph does not take are the generic plan's to report.
  bool specialize = specializes_;
  for (size_t i = 0; i < n && specialize; ++i) {
    const Node& node = graph_.node(feeds_[i].node);
    specialize = feeds[i].valid() && feeds[i].dtype() == node.output_dtypes[feeds_[i].index] &&
                 feeds[i].shape().is_compatible_with(node.output_shapes[feeds_[i].index]);
  }
  Specialization* sp = specialize ? found() : nullptr;
  if (specialize && !sp && specializations_.size() < kMaxSpecializations) {
    auto made = std::make_unique<Specialization>();
    std::vector<std::pair<Endpoint, Shape>> shapes;
    for (size_t i = 0; i < n; ++i) {
      made->shapes.push_back(feeds[i].shape());
      shapes.emplace_back(feeds_[i], feeds[i].shape());
    }
    // The copy calls the same functions (their bodies' states are keyed by them).
    FunctionLibrary* functions = const_cast<FunctionLibrary*>(
        options_.functions ? options_.functions : &graph_.functions());
    made->graph = std::make_shared<Graph>(functions);
    Status s = specialize_graph(graph_, shapes, made->graph.get());
    if (s.ok()) {
      s = Plan::build(*made->graph, feeds_, fetches_, targets_, &made->plan, options_);
    }
    // Where the copy fails, so does the graph at run time: its plan says how.
    if (!s.ok()) made->plan.reset(), made->graph.reset();
    sp = made.get();
    specializations_.push_back(std::move(made));
  }
  if (sp && sp->plan) {
    *plan = last_used_ = sp->plan.get();
    return Status::OK();
  }
  TL_RETURN_IF_ERROR(generic_locked(plan));
  last_used_ = *plan;
  return Status::OK();
}

Status function_plan(const Function& f, const FunctionLibrary& functions, SessionState& state,
                     const Tensor* args, Plan** plan, SessionState** body_state) {
  FunctionState& fs = state.function_state(f.body.get());
  *body_state = &fs.state;
  {
    std::lock_guard<std::mutex> lock(fs.mutex);
    if (!fs.plans) {
      std::vector<Endpoint> feeds;
      for (int32_t a : f.args) feeds.push_back(Endpoint{a, 0});
      PlanOptions options;
      options.function_call = true;
      options.functions = &functions;
      options.allow_soft_placement = state.allow_soft_placement();
      fs.plans = std::make_unique<SpecializedPlans>(*f.body, std::move(feeds), f.outputs,
                                                    std::vector<int32_t>{}, options);
    }
  }
  Status s = fs.plans->plan_for(args, plan);
  if (!s.ok()) return Status(s.code(), "in function '" + f.name + "': " + s.message());
  return Status::OK();
}

}  // namespace tl
