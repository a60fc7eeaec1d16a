// Kernels: the code that runs an op on one device, registered apart from the op's declaration
// (op_registry.h). One KernelDef per (op, device), registered in the kernel's own file:
// src/ops/*.cc for the CPU.
//
// A kernel has two steps. `prepare` (optional) runs once, when a plan is built: it sees the
// node, its attributes, its inputs' static dtypes and (possibly partial) shapes, and the values
// of its constant inputs, and returns the state the kernel keeps for that node (a packed
// constant weight matrix, say). `compute` runs at every step of every run, with that state in
// its KernelContext; its outputs are already allocated unless the op sets its own.
//
//   struct ScaleState : tl::KernelState { double factor; };
//
//   tl::Status scale_prepare(tl::PrepareContext& ctx, std::unique_ptr<tl::KernelState>* state) {
//     auto s = std::make_unique<ScaleState>();
//     s->factor = ctx.attrs().get<double>("scale");
//     *state = std::move(s);
//     return tl::Status::OK();
//   }
//   tl::Status scale_compute(tl::KernelContext& ctx) {
//     const auto& s = static_cast<const ScaleState&>(*ctx.kernel_state());
//     ...
//   }
//
//   registry.add_builtin(tl::KernelDef("Scale", tl::Device::kCPU)
//                            .prepare(scale_prepare)
//                            .compute(scale_compute));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensorlib/attr.h"
#include "tensorlib/op_registry.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"
#include "tensorlib/tensor.h"
#include "tensorlib/thread_pool.h"

namespace tl {

struct Node;
class Graph;
class ExecutionDevice;
struct FunctionState;
struct RunControl;

// A per-session object that ops share by name (a queue, a reader, a dataset iterator): ops
// find it again in later runs. Destroyed with the session, before anything else it holds.
class Resource {
 public:
  virtual ~Resource() = default;
  // Releases the ops blocked on this resource, which fail Cancelled, and every later one
  // (the session is closing).
  virtual void cancel() {}
};

// Per-session state that outlives one run: variable values and random-number counters.
class SessionState {
 public:
  // The value of variable node `node`; invalid when it was never assigned.
  Tensor variable(int32_t node);
  void set_variable(int32_t node, Tensor value);
  // The lock that updates of variable `node` asking for one (use_locking) hold while they
  // run, so they apply one at a time.
  std::mutex& variable_mutex(int32_t node);
  // Reserves `count` consecutive values of random op `node`'s stream; returns the first.
  uint64_t take_random_counter(int32_t node, uint64_t count);
  // Resources, by name. (A function body's state answers with its caller's.)
  // The resource named `name`, made by `make` when the session has none of that name yet.
  std::shared_ptr<Resource> resource(const std::string& name,
                                     const std::function<std::shared_ptr<Resource>()>& make);
  // The resource named `name`, or null.
  std::shared_ptr<Resource> find_resource(const std::string& name);
  // Keeps `resource` as `name`, replacing (and releasing) the one kept before.
  void set_resource(const std::string& name, std::shared_ptr<Resource> resource);
  // Cancels every resource (Resource::cancel): the session is closing.
  void cancel_resources();
  // The state of function body `body` in this session (its random streams and its cached
  // plan), made on first use.
  FunctionState& function_state(const Graph* body);
  // Makes this state's variables `owner`'s: a function body's state reads and writes the
  // variables of the session that calls it.
  void set_variables_owner(SessionState* owner) { variables_owner_ = owner; }
  // Whether the session's plans (its functions' too) place nodes softly (PlanOptions).
  bool allow_soft_placement() const { return allow_soft_placement_; }
  void set_allow_soft_placement(bool soft) { allow_soft_placement_ = soft; }

  SessionState();
  ~SessionState();

 private:
  std::mutex mutex_;
  std::unordered_map<const Graph*, std::unique_ptr<FunctionState>> functions_;
  bool allow_soft_placement_ = false;
  SessionState* variables_owner_ = nullptr;
  std::unordered_map<int32_t, Tensor> variables_;
  std::unordered_map<int32_t, std::unique_ptr<std::mutex>> variable_mutexes_;
  std::unordered_map<int32_t, uint64_t> random_counters_;
  std::unordered_map<std::string, std::shared_ptr<Resource>> resources_;
};

// What a kernel's prepare step makes for one node of a plan; kept in the plan's step.
// NOTE: runs of one plan may overlap (each with its own buffers), so compute only reads it.
class KernelState {
 public:
  virtual ~KernelState() = default;
};

// The state of a kernel that computes a MatMul's product itself (KernelDef::absorbs_product):
// how its operands are read.
struct ProductOperands : KernelState {
  bool transpose_a = false, transpose_b = false;
};

// What a kernel's prepare step sees: the node and what is known of its inputs before any run.
class PrepareContext {
 public:
  PrepareContext(const Node& node, const AttrMap& attrs, int num_inputs, const DType* in_dtypes,
                 const Shape* in_shapes, const Tensor* const* in_constants)
      : node_(node), attrs_(attrs), num_inputs_(num_inputs), in_dtypes_(in_dtypes),
        in_shapes_(in_shapes), in_constants_(in_constants) {}

  // The node being prepared (its name, its outputs' static dtypes and shapes); see graph.h.
  const Node& node() const { return node_; }
  const AttrMap& attrs() const { return attrs_; }
  int num_inputs() const { return num_inputs_; }
  DType input_dtype(int i) const { return in_dtypes_[i]; }
  // The input's shape as far as it is known when the plan is built.
  const Shape& input_shape(int i) const { return in_shapes_[i]; }
  // The input's value when it is a constant (the same in every run), else null.
  const Tensor* constant_input(int i) const { return in_constants_[i]; }
  // Runs fn(begin, end) over [0, n): on the building thread, as one range.
  template <typename F>
  void parallel_for(int64_t n, int64_t /*grain*/, F&& fn) {
    if (n > 0) fn(int64_t{0}, n);
  }

 private:
  const Node& node_;
  const AttrMap& attrs_;
  int num_inputs_;
  const DType* in_dtypes_;
  const Shape* in_shapes_;
  const Tensor* const* in_constants_;
};

// Elementwise ops the executor fused onto a kernel's output 0 (a bias add, an activation):
// applied in place by the kernel itself, to each part of the output as soon as it is written,
// while that part is still in cache. Only kernels registered with
// KernelDef::applies_output_stages are given them.
class OutputStages {
 public:
  // The stages when they are a float32 bias per channel (one value per element of the
  // output's last dimension; null when there is none) then a ReLU or not: the tail of most
  // convolutional and dense layers. A kernel may apply that to its sums in registers as it
  // stores them, instead of calling finish_output: the same operations, so the same bits.
  struct BiasRelu {
    const float* bias = nullptr;
    bool relu = false;
  };

  virtual ~OutputStages() = default;
  // Applies the ops to elements [begin, end) of output 0, in place.
  virtual void apply(int64_t begin, int64_t end) const = 0;
  // The same to elements [begin, end) of `data`, laid out as the kernel's own output but not
  // output 0 (a kernel that computes its reader's output, KernelDef::absorbs_reader: given
  // only stages of the BiasRelu form, which read no operand of the output's shape).
  virtual void apply_to(void* data, int64_t begin, int64_t end) const = 0;
  // Whether the stages are a BiasRelu (then set in *out).
  virtual bool bias_relu(BiasRelu* out) const = 0;
};

// What a kernel's compute step sees while it runs.
class KernelContext {
 public:
  KernelContext(const Node& node, const AttrMap& attrs, const Tensor* const* inputs,
                int num_inputs, Tensor* outputs, int num_outputs, SessionState* state,
                int max_threads, const KernelState* kernel_state = nullptr)
      : node_(node), attrs_(attrs), inputs_(inputs), num_inputs_(num_inputs), outputs_(outputs),
        num_outputs_(num_outputs), state_(state), max_threads_(max_threads),
        kernel_state_(kernel_state) {}

  // The running node's id (keys its session state).
  int32_t node() const;
  // The running node itself (its name, its input endpoints); see graph.h.
  const Node& graph_node() const { return node_; }
  const AttrMap& attrs() const { return attrs_; }
  int num_inputs() const { return num_inputs_; }
  const Tensor& input(int i) const { return *inputs_[i]; }
  // Input `i` as a value a kernel may keep after the run (in a queue, a dataset): memory the
  // run does not own (a fed array, the run's scratch arena) is copied, other buffers shared.
  Status input_to_keep(int i, Tensor* out) const {
    const Tensor& t = *inputs_[i];
    if (t.valid() && !t.buffer()->owned()) return t.copy(out);
    *out = t;
    return Status::OK();
  }
  int num_outputs() const { return num_outputs_; }
  // Output `i`, already allocated unless the op sets its own outputs.
  Tensor& output(int i) { return outputs_[i]; }
  SessionState& state() { return *state_; }
  // What the kernel's prepare step made for this node; null without one.
  const KernelState* kernel_state() const { return kernel_state_; }
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
  // Finishes elements [begin, end) of output 0, once the kernel has written them: applies the
  // elementwise ops fused onto it, if any (see OutputStages). Every element exactly once.
  void finish_output(int64_t begin, int64_t end) const {
    if (output_stages_) output_stages_->apply(begin, end);
  }
  // finish_output on all n elements of output 0 at once, split over the threads: for a kernel
  // that finishes no part of its output before the end (a matrix product).
  void finish_all_output(int64_t n) {
    if (!output_stages_) return;
    parallel_for(n, int64_t{1} << 14,
                 [&](int64_t begin, int64_t end) { finish_output(begin, end); });
  }
  void set_output_stages(const OutputStages* stages) { output_stages_ = stages; }
  // The stages fused onto output 0, if any (for a kernel that applies a BiasRelu itself).
  const OutputStages* output_stages() const { return output_stages_; }
  // The op this kernel computes after its own (KernelDef::absorbs_reader), whose output output
  // 0 then is; else null.
  const Node* absorbed_reader() const { return absorbed_reader_; }
  void set_absorbed_reader(const Node* reader) { absorbed_reader_ = reader; }
  // Whether anything reads output `i` (a kernel may skip computing an output nobody needs).
  bool output_needed(int i) const { return !unneeded_outputs_ || !unneeded_outputs_[i]; }
  // The functions of the graph being run (If and While call them).
  const FunctionLibrary& functions() const { return *functions_; }
  // What can stop the run (cancellation, a deadline), for kernels that loop; may be null.
  RunControl* control() const { return control_; }
  // Whether input `i` (declared with OpDef::forwards_input) may be written in place: this
  // step is its last reader and no other value shares its buffer.
  bool can_forward(int i) const {
    const Tensor& t = *inputs_[i];
    return ((forwardable_ >> i) & 1) && t.valid() && t.buffer()->owned() &&
           t.buffer().use_count() == 1;
  }
  // The variable (its VariableV2 node in the session's graph) that reference input `i` names.
  int32_t variable_of(int i) const;
  // The value of variable `id` in the memory of the device this node runs on; invalid when
  // the variable is uninitialized. A value on another device is moved here first (the
  // session keeps the moved value): placement puts a variable's readers and writers on its
  // device, so this happens only where placement had to split them.
  Status variable(int32_t id, Tensor* out);
  // The device this node runs on (the CPU unless the executor says otherwise).
  const ExecutionDevice& device() const;
  void set_device(const ExecutionDevice* device) { device_ = device; }
  // Set by the executor: per input, the variable a reference input names (-1: its producer).
  void set_ref_variables(const int32_t* ids) { ref_variables_ = ids; }
  // Inside the body of a loop: nonzero, and the same for every iteration of one run of the
  // loop (a kernel may keep work on loop-invariant inputs for that long); else 0.
  uint64_t loop_epoch() const { return loop_epoch_; }
  // Whether input `i` is one of the loop's captured values: the same tensor, unchanged, in
  // every iteration of this run of the loop.
  bool input_is_loop_invariant(int i) const {
    return loop_epoch_ != 0 && ((loop_invariant_ >> i) & 1);
  }
  // Set by the executor before compute.
  void set_run(const FunctionLibrary* functions, RunControl* control, const char* unneeded,
               uint64_t forwardable) {
    functions_ = functions;
    control_ = control;
    unneeded_outputs_ = unneeded;
    forwardable_ = forwardable;
  }
  void set_loop(uint64_t epoch, uint64_t invariant_inputs) {
    loop_epoch_ = epoch;
    loop_invariant_ = invariant_inputs;
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
  const KernelState* kernel_state_;
  const FunctionLibrary* functions_ = nullptr;
  RunControl* control_ = nullptr;
  const char* unneeded_outputs_ = nullptr;  // per output: 1 when nothing reads it
  uint64_t forwardable_ = 0;                 // bit i: input i may be forwarded
  uint64_t loop_epoch_ = 0;
  uint64_t loop_invariant_ = 0;              // bit i: input i is loop-invariant
  const int32_t* ref_variables_ = nullptr;
  const ExecutionDevice* device_ = nullptr;  // null: the CPU
  const OutputStages* output_stages_ = nullptr;
  const Node* absorbed_reader_ = nullptr;
};

using PrepareFn = Status (*)(PrepareContext& ctx, std::unique_ptr<KernelState>* state);
using KernelFn = Status (*)(KernelContext& ctx);
// Whether a kernel of `node` computes `reader` (the one op reading its output 0) itself; see
// KernelDef::absorbs_reader.
using ReaderFilter = bool (*)(const Node& node, const Node& reader);
// An elementwise kernel over one contiguous span of host memory, for chains the CPU executor
// fuses into one pass: y[i] = op(x[i]) for a unary op; y[i] = op(x[i], *s), or op(*s, x[i])
// when `scalar_first`, for a binary op with a scalar operand. `y` may be `x`.
using SpanFn = void (*)(const void* x, const void* s, bool scalar_first, void* y, int64_t n);
// The same with a full second operand: y[i] = op(x[i], v[i]), or op(v[i], x[i]) when
// `v_first`. Chains use it for an operand broadcast along the last dim (a bias).
using PairSpanFn = void (*)(const void* x, const void* v, bool v_first, void* y, int64_t n);

// The kernel of one op on one device. Built with chained setters, handed to
// KernelRegistry::add. The span forms belong here, not to the op: they are this kernel's code
// in another shape, over host memory, and a fused chain must compute what the kernel does.
class KernelDef {
 public:
  KernelDef(std::string op, Device device) : op_(std::move(op)), device_(device) {}

  // The step run once per node when a plan is built; without it the kernel has no state.
  KernelDef& prepare(PrepareFn fn) { return prepare_ = fn, *this; }
  // The step run every time the node runs.
  KernelDef& compute(KernelFn fn) { return compute_ = fn, *this; }
  // Input `i` stays in host memory when the kernel runs on another device: a small value the
  // kernel reads on the host to decide what to launch (an axis, a shape, a permutation).
  KernelDef& host_memory_input(int i) { return host_inputs_ |= uint64_t{1} << i, *this; }
  // The kernel reads only input `i`'s dtype and shape, never its data (Shape, Size): the
  // value stays on whatever device made it, uncopied.
  KernelDef& shape_only_input(int i) { return shape_inputs_ |= uint64_t{1} << i, *this; }
  // The kernel runs only for nodes whose inputs (but those in host memory) and outputs all
  // have dtypes among `types` (TF's TypeConstraint): placement puts other nodes elsewhere.
  KernelDef& dtypes(std::vector<DType> types) { return types_ = std::move(types), *this; }
  // Whether a value of dtype `t` may be an input or output of this kernel.
  bool supports(DType t) const;
  // The span form of an elementwise kernel for float32/float64 (see SpanFn).
  KernelDef& span(DType t, SpanFn fn) {
    if (t == DType::kFloat32) spans_[0] = fn;
    if (t == DType::kFloat64) spans_[1] = fn;
    return *this;
  }
  // The kernel calls KernelContext::finish_output on every part of output 0 it writes: the
  // executor may fuse the elementwise ops that follow it onto its output (OutputStages).
  KernelDef& applies_output_stages() { return output_stages_ = true, *this; }
  // Input `i` may be the product of a MatMul computed in this kernel (an update whose gradient
  // is the product of two values): where nothing else reads the product, the executor drops
  // the MatMul's step and runs `fn` instead of the compute step, with the MatMul's first
  // operand as input i, its second appended as a last input, and a ProductOperands state.
  KernelDef& absorbs_product(int i, KernelFn fn) {
    return product_input_ = i, product_fn_ = fn, *this;
  }
  int product_input() const { return product_input_; }
  KernelFn product_fn() const { return product_fn_; }
  // The op that alone reads output 0 may be computed in this kernel (a convolution followed
  // by a pooling): where `accepts(node, reader)` and nothing else reads output 0, the executor
  // drops the reader's step and runs `fn` instead of the compute step, writing the reader's
  // output as output 0 (KernelContext::absorbed_reader names it). Output stages fused onto
  // output 0 are given only in their BiasRelu form, applied before the reader's op.
  KernelDef& absorbs_reader(ReaderFilter accepts, KernelFn fn) {
    return reader_filter_ = accepts, reader_fn_ = fn, *this;
  }
  ReaderFilter reader_filter() const { return reader_filter_; }
  KernelFn reader_fn() const { return reader_fn_; }
  bool takes_output_stages() const { return output_stages_; }
  // The pair span form of a binary elementwise kernel (see PairSpanFn).
  KernelDef& pair_span(DType t, PairSpanFn fn) {
    if (t == DType::kFloat32) pair_spans_[0] = fn;
    if (t == DType::kFloat64) pair_spans_[1] = fn;
    return *this;
  }

  const std::string& op() const { return op_; }
  Device device() const { return device_; }
  PrepareFn prepare_fn() const { return prepare_; }
  bool host_memory_input_at(int i) const { return i < 64 && ((host_inputs_ >> i) & 1); }
  bool shape_only_input_at(int i) const { return i < 64 && ((shape_inputs_ >> i) & 1); }
  KernelFn compute_fn() const { return compute_; }
  // The span form for dtype `t`, or null.
  SpanFn span_fn(DType t) const {
    return t == DType::kFloat32 ? spans_[0] : t == DType::kFloat64 ? spans_[1] : nullptr;
  }
  PairSpanFn pair_span_fn(DType t) const {
    return t == DType::kFloat32 ? pair_spans_[0] : t == DType::kFloat64 ? pair_spans_[1] : nullptr;
  }

 private:
  std::string op_;
  Device device_;
  PrepareFn prepare_ = nullptr;
  KernelFn compute_ = nullptr;
  SpanFn spans_[2] = {};  // float32, float64
  PairSpanFn pair_spans_[2] = {};
  uint64_t host_inputs_ = 0;   // bit i: input i stays in host memory
  uint64_t shape_inputs_ = 0;  // bit i: only input i's shape is read
  std::vector<DType> types_;  // empty: any dtype
  bool output_stages_ = false;
  int product_input_ = -1;         // absorbs_product: the input, or -1
  KernelFn product_fn_ = nullptr;  // absorbs_product: the step run instead of compute_
  ReaderFilter reader_filter_ = nullptr;  // absorbs_reader: which readers
  KernelFn reader_fn_ = nullptr;          // absorbs_reader: the step run instead of compute_
};

// The single process-wide table of kernels, by (op, device). Built-in kernels are registered
// when it is first used (after the built-in ops); op libraries add theirs later, for their own
// ops or for a device that an existing op has no kernel for. Kernels are never removed, so
// KernelDef pointers stay valid.
class KernelRegistry {
 public:
  static KernelRegistry& global();

  // Adds a kernel; fails unless its op is registered, it has a compute step and its
  // (op, device) has no kernel yet.
  Status add(KernelDef def);
  // Adds every kernel or, when any of them would fail add(), none (an op library's kernels).
  Status add_all(std::vector<KernelDef> defs);
  // What add_all(defs) would return once the ops named in `new_ops` are registered too (an op
  // library checks its kernels before it registers its ops).
  Status check_all(const std::vector<KernelDef>& defs,
                   const std::vector<std::string>& new_ops) const;
  // The kernel of op `op` on `device`, or null.
  const KernelDef* find(const std::string& op, Device device) const;
  // The ops that have a kernel on `device`, sorted.
  std::vector<std::string> ops(Device device) const;
  // add() for tensorlib's own kernels: a failure is a bug in tensorlib, reported and fatal.
  void add_builtin(KernelDef def);

 private:
  Status check_locked(const std::vector<KernelDef>& defs,
                      const std::vector<std::string>& new_ops) const;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<KernelDef>> kernels_[kNumDevices];
};

}  // namespace tl
