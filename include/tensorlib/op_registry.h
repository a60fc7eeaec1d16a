// The op registry: every op declared once, with its inputs, outputs, attributes, shape and
// dtype inference and its kernel for each device.
//
// An op's shape function serves twice: while a graph is built (partial shapes, constant inputs
// known when they come from Const nodes) and at run time (every shape known, every input value
// known). A kernel only computes: the executor has already allocated its outputs from the shape
// function's answer, unless the op says it sets its own outputs (views and state reads do).
//
//   registry.add(tl::OpDef("Relu")
//                    .input("features")
//                    .attr("T", tl::AttrType::kType)
//                    .shape(unary_shape)
//                    .kernel(tl::Device::kCPU, relu_cpu)
//                    .forwards_input(0));
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensorlib/attr.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"
#include "tensorlib/tensor.h"
#include "tensorlib/thread_pool.h"

namespace tl {

struct Node;
class FunctionLibrary;
struct RunControl;

enum class Device : int32_t { kCPU = 0, kGPU = 1 };
constexpr int kNumDevices = 2;

// Inputs and outputs of one node as its shape function sees them.
class InferenceContext {
 public:
  InferenceContext(const std::string& op, const AttrMap& attrs, int num_inputs,
                   const DType* in_dtypes, const Shape* in_shapes, const Tensor* const* in_values,
                   int num_outputs, DType* out_dtypes, Shape* out_shapes)
      : op_(op), attrs_(attrs), num_inputs_(num_inputs), in_dtypes_(in_dtypes),
        in_shapes_(in_shapes), in_values_(in_values), num_outputs_(num_outputs),
        out_dtypes_(out_dtypes), out_shapes_(out_shapes) {}

  const std::string& op() const { return op_; }
  const AttrMap& attrs() const { return attrs_; }
  int num_inputs() const { return num_inputs_; }
  int num_outputs() const { return num_outputs_; }
  DType input_dtype(int i) const { return in_dtypes_[i]; }
  const Shape& input_shape(int i) const { return in_shapes_[i]; }
  // The input's value when known (a constant while building; always at run time), else null.
  const Tensor* input_value(int i) const { return in_values_ ? in_values_[i] : nullptr; }
  void set_output(int i, DType dtype, const Shape& shape) {
    out_dtypes_[i] = dtype;
    out_shapes_[i] = shape;
  }
  // The functions the graph's nodes may call (If and While look theirs up); null when the
  // node is checked outside a graph.
  const FunctionLibrary* functions() const { return functions_; }
  void set_functions(const FunctionLibrary* functions) { functions_ = functions; }

 private:
  const std::string& op_;
  const AttrMap& attrs_;
  int num_inputs_;
  const DType* in_dtypes_;
  const Shape* in_shapes_;
  const Tensor* const* in_values_;
  int num_outputs_;
  DType* out_dtypes_;
  Shape* out_shapes_;
  const FunctionLibrary* functions_ = nullptr;
};

struct FunctionState;
class Graph;

// Per-session state that outlives one run: variable values and random-number counters.
class SessionState {
 public:
  // The value of variable node `node`; invalid when it was never assigned.
  Tensor variable(int32_t node);
  void set_variable(int32_t node, Tensor value);
  // Reserves `count` consecutive values of random op `node`'s stream; returns the first.
  uint64_t take_random_counter(int32_t node, uint64_t count);
  // The state of function body `body` in this session (its random streams and its cached
  // plans), made on first use.
  FunctionState& function_state(const Graph* body);

  SessionState();
  ~SessionState();

 private:
  std::mutex mutex_;
  std::unordered_map<const Graph*, std::unique_ptr<FunctionState>> functions_;
  std::unordered_map<int32_t, Tensor> variables_;
  std::unordered_map<int32_t, uint64_t> random_counters_;
};

// What a kernel sees while it runs.
class KernelContext {
 public:
  KernelContext(const Node& node, const AttrMap& attrs, const Tensor* const* inputs,
                int num_inputs, Tensor* outputs, int num_outputs, SessionState* state,
                int max_threads)
      : node_(node), attrs_(attrs), inputs_(inputs), num_inputs_(num_inputs), outputs_(outputs),
        num_outputs_(num_outputs), state_(state), max_threads_(max_threads) {}

  // The running node's id (keys its session state).
  int32_t node() const;
  // The running node itself (its name, its input endpoints); see graph.h.
  const Node& graph_node() const { return node_; }
  const AttrMap& attrs() const { return attrs_; }
  int num_inputs() const { return num_inputs_; }
  const Tensor& input(int i) const { return *inputs_[i]; }
  int num_outputs() const { return num_outputs_; }
  // Output `i`, already allocated unless the op sets its own outputs.
  Tensor& output(int i) { return outputs_[i]; }
  SessionState& state() { return *state_; }
  // Splits [0, n) over the session's threads (see ThreadPool::parallel_for).
  template <typename F>
  void parallel_for(int64_t n, int64_t grain, F&& fn) {
    if (n <= grain || max_threads_ == 1) {  // small work runs inline, without the pool
      if (n > 0) fn(int64_t{0}, n);
      return;
    }
    ThreadPool::global().parallel_for(n, grain, max_threads_, static_cast<F&&>(fn));
  }
  int max_threads() const { return max_threads_; }
  // Whether anything reads output `i` (a kernel may skip computing an output nobody needs).
  bool output_needed(int i) const { return !unneeded_outputs_ || !unneeded_outputs_[i]; }
  // The functions of the graph being run, and the run's cancellation and deadline.
  const FunctionLibrary& functions() const { return *functions_; }
  RunControl* control() const { return control_; }
  // Whether input `i` (declared with OpDef::forwards_input) may be written in place: this
  // step is its last reader and no other value shares its buffer.
  bool can_forward(int i) const {
    const Tensor& t = *inputs_[i];
    return ((forwardable_ >> i) & 1) && t.valid() && t.buffer()->owned() &&
           !t.buffer()->immutable() && t.buffer().use_count() == 1;
  }
  void set_run(const FunctionLibrary* functions, RunControl* control, const char* unneeded,
               uint64_t forwardable) {
    functions_ = functions;
    control_ = control;
    unneeded_outputs_ = unneeded;
    forwardable_ = forwardable;
  }

 private:
  const Node& node_;
  const AttrMap& attrs_;
  const Tensor* const* inputs_;
  int num_inputs_;
  Tensor* outputs_;
  int num_outputs_;
  SessionState* state_;
  int max_threads_;
  const FunctionLibrary* functions_ = nullptr;
  RunControl* control_ = nullptr;
  const char* unneeded_outputs_ = nullptr;  // per output: 1 when nothing reads it
  uint64_t forwardable_ = 0;                 // bit i: input i may be forwarded
};

using ShapeFn = Status (*)(InferenceContext& ctx);
using KernelFn = Status (*)(KernelContext& ctx);
// An elementwise op over one contiguous span, for chains the executor fuses into one pass:
// y[i] = op(x[i]) for a unary op; y[i] = op(x[i], *s), or op(*s, x[i]) when `scalar_first`,
// for a binary op with a scalar operand. `y` may be `x`.
using SpanFn = void (*)(const void* x, const void* s, bool scalar_first, void* y, int64_t n);
// The same with a full second operand: y[i] = op(x[i], v[i]), or op(v[i], x[i]) when
// `v_first`. Chains use it for an operand broadcast along the last dim (a bias).
using PairSpanFn = void (*)(const void* x, const void* v, bool v_first, void* y, int64_t n);

struct AttrSpec {
  std::string name;
  AttrType type;
  std::optional<AttrValue> default_value;  // absent: the attribute is required
};

// The declaration of one op. Built with chained setters, handed to OpRegistry::add.
class OpDef {
 public:
  explicit OpDef(std::string name) : name_(std::move(name)) {}

  // Declares the next input. A variadic input (any number of tensors) must be the last one.
  OpDef& input(std::string name) { return inputs_.push_back(std::move(name)), *this; }
  OpDef& variadic_input(std::string name) {
    variadic_ = true;
    return input(std::move(name));
  }
  OpDef& outputs(int n) { return num_outputs_ = n, *this; }
  // The number of outputs is the value of int attribute `attr` (Unpack's `num`, Split's
  // `num_split`), fixed per node when it is added to a graph.
  OpDef& outputs_from_attr(std::string attr) { return num_outputs_attr_ = std::move(attr), *this; }
  OpDef& attr(std::string name, AttrType type) {
    return attrs_.push_back({std::move(name), type, std::nullopt}), *this;
  }
  OpDef& attr(std::string name, AttrType type, AttrValue default_value) {
    return attrs_.push_back({std::move(name), type, std::move(default_value)}), *this;
  }
  OpDef& shape(ShapeFn fn) { return shape_fn_ = fn, *this; }
  OpDef& kernel(Device device, KernelFn fn) {
    return kernels_[static_cast<int>(device)] = fn, *this;
  }
  // Output 0 may take over input `i`'s buffer when nothing else uses it and it has the
  // output's dtype and size (elementwise ops). May be given for several inputs.
  OpDef& forwards_input(int i) { return forward_inputs_.push_back(i), *this; }
  // The kernel sets its outputs itself (views of inputs, reads of session state).
  OpDef& sets_own_outputs() { return sets_own_outputs_ = true, *this; }
  // Has effects or results beyond its inputs (random numbers, variables): never cached or folded.
  OpDef& stateful() { return stateful_ = true, *this; }
  // Input `i` names a variable to write rather than a value to read: its producer does not
  // run for it (TF's reference inputs, e.g. Assign's `ref`).
  OpDef& ref_input(int i) { return ref_inputs_.push_back(i), *this; }
  // Its outputs must be fed: a plan that would run the node is rejected (Placeholder).
  OpDef& must_be_fed() { return must_be_fed_ = true, *this; }
  // The span form of an elementwise op for float32/float64 (see SpanFn); it must compute
  // exactly what the kernel computes.
  OpDef& span(DType t, SpanFn fn) {
    if (t == DType::kFloat32) spans_[0] = fn;
    if (t == DType::kFloat64) spans_[1] = fn;
    return *this;
  }
  // The pair span form of a binary elementwise op (see PairSpanFn).
  OpDef& pair_span(DType t, PairSpanFn fn) {
    if (t == DType::kFloat32) pair_spans_[0] = fn;
    if (t == DType::kFloat64) pair_spans_[1] = fn;
    return *this;
  }

  const std::string& name() const { return name_; }
  const std::vector<std::string>& inputs() const { return inputs_; }
  bool variadic() const { return variadic_; }
  int num_outputs() const { return num_outputs_; }
  // The attribute giving the number of outputs, or "" when it is num_outputs().
  const std::string& num_outputs_attr() const { return num_outputs_attr_; }
  const std::vector<AttrSpec>& attrs() const { return attrs_; }
  ShapeFn shape_fn() const { return shape_fn_; }
  KernelFn kernel(Device device) const { return kernels_[static_cast<int>(device)]; }
  const std::vector<int>& forward_inputs() const { return forward_inputs_; }
  bool sets_own_outputs() const { return sets_own_outputs_; }
  bool is_stateful() const { return stateful_; }
  bool needs_feed() const { return must_be_fed_; }
  // The span form for dtype `t`, or null.
  SpanFn span_fn(DType t) const {
    return t == DType::kFloat32 ? spans_[0] : t == DType::kFloat64 ? spans_[1] : nullptr;
  }
  PairSpanFn pair_span_fn(DType t) const {
    return t == DType::kFloat32 ? pair_spans_[0] : t == DType::kFloat64 ? pair_spans_[1] : nullptr;
  }
  bool is_ref_input(int i) const {
    for (int r : ref_inputs_) {
      if (r == i) return true;
    }
    return false;
  }

 private:
  std::string name_;
  std::vector<std::string> inputs_;
  bool variadic_ = false;
  int num_outputs_ = 1;
  std::string num_outputs_attr_;
  std::vector<AttrSpec> attrs_;
  ShapeFn shape_fn_ = nullptr;
  KernelFn kernels_[kNumDevices] = {};
  std::vector<int> forward_inputs_;
  bool sets_own_outputs_ = false;
  bool stateful_ = false;
  bool must_be_fed_ = false;
  std::vector<int> ref_inputs_;
  SpanFn spans_[2] = {};  // float32, float64
  PairSpanFn pair_spans_[2] = {};
};

// The single process-wide table of ops. Built-in ops are registered when it is first used;
// op libraries add theirs later. Ops are never removed, so OpDef pointers stay valid.
class OpRegistry {
 public:
  static OpRegistry& global();

  // Adds an op; fails on a duplicate name or a declaration without a shape function.
  Status add(OpDef def);
  // Adds every op or, when any of them would fail add(), none (an op library's ops).
  Status add_all(std::vector<OpDef> defs);
  // The op named `name`, or null.
  const OpDef* find(const std::string& name) const;
  // Names of all registered ops, sorted.
  std::vector<std::string> names() const;
  // add() for tensorlib's own ops: a failure is a bug in tensorlib, reported and fatal.
  void add_builtin(OpDef def);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<OpDef>> ops_;
};

}  // namespace tl
