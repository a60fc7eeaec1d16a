// The executor: a graph's subgraph compiled once into a Plan, then run as a loop over steps.
//
// Plan::build prunes the graph to what the fetches and targets need (a fed tensor cuts the
// walk), orders the nodes (node ids are already a topological order; a node whose op is
// scheduled_early runs right after its last producer instead, see op_registry.h), picks each
// node's CPU kernel (kernel.h), gives every value a slot, finds each slot's last reader so
// buffers are recycled as soon as they die, prepares every step (the kernel's prepare sees the
// constants, computed once, here), fuses chains of elementwise ops into single passes and
// plans memory: every value whose size is known gets an offset in one arena per run, packed by
// lifetimes (the others come from a pool of recycled buffers). Plan::run feeds the slots, runs
// the steps and hands the fetched values to the caller without copies.
//
// Session (session.h) caches the plans of each (feeds, fetches, targets), one per shapes fed
// where the graph leaves them open (SpecializedPlans); the Interpreter runs a Session's plan;
// If and While run plans of their functions (control_flow_ops.cc), specialised the same way.
//
//   std::unique_ptr<tl::Plan> plan;
//   TL_RETURN_IF_ERROR(tl::Plan::build(graph, {x}, {y}, {}, &plan));
//   TL_RETURN_IF_ERROR(plan->run(state, /*max_threads=*/2, &x_value, &y_value));
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tensorlib/devices.h"
#include "tensorlib/graph.h"
#include "tensorlib/kernel.h"
#include "tensorlib/op_registry.h"
#include "tensorlib/tensor.h"

namespace tl {

// Stops a run from outside: `cancelled` set from any thread, a counter of interrupts that
// moved since the run started (Ctrl-C), or a deadline passed. The step loop checks it between
// steps, loops (While) between iterations, and threads that wait (on a queue, a dataset, a
// collective) at each wake-up.
struct RunControl {
  std::atomic<bool> cancelled{false};
  const std::atomic<uint64_t>* interrupts = nullptr;
  uint64_t interrupts_seen = 0;
  // Keeps `interrupts` counting: whoever counts them may have been displaced since the run
  // began (a notebook kernel sets its own Ctrl-C handler before every cell). Called at every
  // check_waiting and every kChecksPerKeep-th check, never on a run's fast path.
  void (*keep_counting)() = nullptr;
  static constexpr uint32_t kChecksPerKeep = 1024;
  bool has_deadline = false;
  std::chrono::steady_clock::time_point deadline;
  // Cancelled or DeadlineExceeded when the run must stop, else OK.
  Status check() const;
  // check() for a thread that waits, between its wake-ups (tens of milliseconds apart).
  Status check_waiting() const;

 private:
  // Checks so far, for keep_counting (a plain count: an increment lost to a race is harmless).
  mutable std::atomic<uint32_t> checks_{0};
};

// One op of a fused elementwise chain: its span function and its other operand, if any: a
// constant scalar, a vector broadcast along the last dim (a bias) read from a slot, or a value
// of the chain's own shape read from a slot element for element (`full`: a residual, the
// features of a ReluGrad).
struct Stage {
  SpanFn fn = nullptr;
  const void* scalar = nullptr;  // a constant's data (kept alive by the plan)
  bool scalar_first = false;     // the operand comes first (scalar or vector)
  PairSpanFn pair = nullptr;     // with a vector or full operand: fn is null
  int32_t vector_slot = -1;
  bool full = false;             // vector_slot holds a value of the chain's shape
  const Node* node = nullptr;    // the op it computes (Plan::step_nodes names it)
};

// One node of a plan, with everything the run loop needs precomputed.
struct Step {
  const Node* node;
  const ExecutionDevice* device;      // where it runs (devices.h)
  const KernelDef* kernel;            // its kernel for that device
  std::unique_ptr<KernelState> state;  // what the kernel's prepare made, if it has one
  std::vector<int32_t> inputs;        // slot of each input (-1 for reference inputs)
  int32_t first_output;               // slot of output 0; outputs are consecutive
  bool static_shapes;                 // every output shape is known before running
  std::vector<size_t> output_bytes;   // with static_shapes: each output's size
  std::vector<int32_t> forwardable;   // input slots whose buffer output 0 may take over
  uint64_t forward_mask = 0;          // bit i: input i's slot is in `forwardable`
  std::vector<int32_t> release;       // slots that die after this step
  std::vector<char> unneeded;         // per output: 1 when nothing reads it (empty: all read)
  std::vector<int32_t> ref_variables; // per input: the variable a reference input names, or -1
  // With use_locking: the variables it updates, sorted; their locks are held while it runs.
  std::vector<int32_t> locked_variables;
  // A fused chain (two stages or more) replaces the kernel: the stages run one after another
  // over cache-sized blocks of `chain_input`, writing output 0.
  std::vector<Stage> stages;
  int32_t chain_input = -1;
  // Stages fused onto the kernel's own output 0 (KernelDef::applies_output_stages): the kernel
  // applies them as it writes it; output 0 is then the last stage's value.
  std::vector<Stage> output_stages;
  // A MatMul whose product the kernel computes in place of an input (absorbs_product): its
  // step is gone, its operands are this step's inputs.
  const Node* product = nullptr;
  // The one reader of the kernel's output 0 that the kernel computes too (absorbs_reader):
  // its step is gone, and output 0 is its output.
  const Node* reader = nullptr;
};

// Elements per block of a fused chain: every stage runs over a block while it is in L1.
constexpr int64_t kChainBlock = 2048;
// Elements per task of a fused chain (smaller chains run inline).
constexpr int64_t kChainGrain = 8192;

// Buffers recycled within and across runs of one plan.
class BufferPool {
 public:
  std::shared_ptr<Buffer> take(size_t bytes) {
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      // Reuse a buffer that fits without wasting more than half of it.
      if ((*it)->size() >= bytes && (*it)->size() <= 2 * bytes + kBufferAlignment &&
          (best == free_.end() || (*it)->size() < (*best)->size())) {
        best = it;
      }
    }
    if (best == free_.end()) return Buffer::allocate(bytes);
    std::shared_ptr<Buffer> b = std::move(*best);
    *best = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  // Keeps `b` for a later take; past kMaxKept buffers it is let go (to the host allocator,
  // which keeps large blocks for everyone): kernels that make their own outputs give more
  // buffers back than the run takes, and a pool must not grow with every run.
  void give(std::shared_ptr<Buffer> b) {
    if (free_.size() < kMaxKept) free_.push_back(std::move(b));
  }

 private:
  static constexpr size_t kMaxKept = 32;
  std::vector<std::shared_ptr<Buffer>> free_;
};

// The mutable part of a plan: values of the current run, the arena and the buffer pool.
struct RunState {
  std::vector<Tensor> slots;
  std::shared_ptr<Buffer> arena;                    // the values of known size, at their offsets
  std::vector<std::shared_ptr<Buffer>> arena_views;  // per slot: its place in the arena, or null
  BufferPool pool;                                   // every other value's buffer
  std::vector<const Tensor*> inputs;  // scratch: the running step's inputs
  std::vector<Tensor> copies;         // scratch: inputs copied to the running step's device
  std::vector<DType> in_dtypes;
  std::vector<Shape> in_shapes;
  std::vector<DType> out_dtypes;
  std::vector<Shape> out_shapes;
};

// A loop's call of its body or condition: `epoch` names one run of the loop (the same in
// every iteration), and the arguments from `invariant_from` on are the values the loop
// captured, the same tensors in every iteration.
struct LoopCall {
  uint64_t epoch = 0;
  int invariant_from = 0;
};

// How a plan treats what goes in and out.
struct PlanOptions {
  // A function's plan (If, While): arguments are handed over, so the body may reuse their
  // buffers in place when nothing else holds them, and results that share a buffer (an
  // argument passed through, a constant) are returned shared rather than copied.
  bool function_call = false;
  // The functions If and While nodes call: the graph's own library when null. (A function's
  // plan gets its caller's: a body graph may outlive the library it was built in.)
  const FunctionLibrary* functions = nullptr;
  // Places a node whose device has no kernel for it (or does not exist) on the CPU instead
  // of failing (TF1's allow_soft_placement).
  bool allow_soft_placement = false;
};

class Plan {
 public:
  // Compiles the part of `graph` that computes `fetches` and runs `targets`, given `feeds`.
  static Status build(const Graph& graph, const std::vector<Endpoint>& feeds,
                      const std::vector<Endpoint>& fetches, const std::vector<int32_t>& targets,
                      std::unique_ptr<Plan>* out, PlanOptions options = {});
  // Runs the plan: `feeds` holds a value per fed endpoint (read in place), `fetches` receives
  // one per fetch, owned by the caller. Runs may overlap; all but one then use buffers and an
  // arena of their own. `control`, when given, can stop the run.
  Status run(SessionState& state, int max_threads, const Tensor* feeds, Tensor* fetches,
             RunControl* control = nullptr);
  // Runs a function's plan (built with function_call): takes `args` over, fills `results`;
  // `loop` when a loop calls it.
  Status call(SessionState& state, int max_threads, Tensor* args, Tensor* results,
              RunControl* control, LoopCall loop = {});
  // Bytes of the arena each run holds the values of known size in.
  size_t arena_bytes() const { return arena_bytes_; }
  // Where each node runs, as TF1's log_device_placement prints it:
  // "name: (Op): /job:localhost/replica:0/task:0/device:CPU:0", in run order.
  const std::vector<std::string>& placement() const { return placement_; }
  // The names of the nodes each step runs, in run order: one for a kernel's step, one per
  // stage for a fused elementwise chain, the kernel's and one per stage fused onto its output.
  // A debugging aid: it shows what fusion made.
  std::vector<std::vector<std::string>> step_nodes() const;

 private:
  Status run_with_state(SessionState& state, int max_threads, const Tensor* feeds,
                        Tensor* movable_feeds, Tensor* fetches, RunControl* control,
                        const LoopCall& loop);
  Status run_steps(RunState& rs, SessionState& state, int max_threads, const Tensor* feeds,
                   Tensor* movable_feeds, Tensor* fetches, RunControl* control,
                   const LoopCall& loop);
  Status run_step(const Step& step, RunState& rs, SessionState& state, int max_threads,
                  RunControl* control, const LoopCall& loop = {});
  static void run_chain(const Step& step, RunState& rs, KernelContext& ctx);
  // Runs `stages` over elements [begin, end) of the value at `in`, writing `out` (may be `in`);
  // `row`: the last dim's length (a vector operand's), `size`: bytes per element.
  static void apply_stages(const std::vector<Stage>& stages, const RunState& rs, const char* in,
                           char* out, int64_t begin, int64_t end, int64_t row, int64_t size);
  // Runs each step's prepare in order and computes the constants, dropping their steps: a
  // step's prepare sees the constants among its inputs.
  Status prepare_and_fold_constants(const Graph& graph);
  void fuse_elementwise_chains(const Graph& graph, const std::vector<char>& pinned,
                               const std::vector<char>& constant);
  // Per slot: how many steps (and stages) read it, and the index in steps_ of the step that
  // makes it (-1: fed, or a constant).
  void count_slot_uses(std::vector<int32_t>* readers, std::vector<int32_t>* producer) const;
  // Moves a MatMul whose product only a kernel that absorbs products reads (an optimizer's
  // update reading a weight gradient) into that kernel's step, where its operands allow.
  void absorb_products(const std::vector<char>& pinned);
  // Moves the one reader of a kernel's output 0 into the kernel's step where the kernel
  // computes it too (KernelDef::absorbs_reader: a convolution and its max-pool).
  void absorb_readers(const std::vector<char>& pinned);
  // Removes the steps marked in `dropped` (others now do their work) and places the releases
  // anew.
  void drop_steps(const std::vector<char>& dropped, const std::vector<char>& pinned);
  void release_after_last_reader(const std::vector<char>& pinned);
  // Gives every value of known size that is not pinned (fed, fetched, constant, or shown by a
  // fetched view) an offset in the arena: values whose lifetimes overlap get disjoint ranges,
  // packed greedily by size (TFLite's arena planner); an output that may take over a dying
  // input's buffer shares its place.
  void plan_memory(const std::vector<char>& pinned);
  Status prepare_outputs(const Step& step, RunState& rs);
  void init_run_state(RunState& rs) const;
  // Allocates rs's arena and the view of every slot placed in it.
  Status init_arena(RunState& rs) const;

  PlanOptions options_;
  const FunctionLibrary* functions_ = nullptr;
  std::vector<std::string> placement_;
  std::vector<Endpoint> feed_endpoints_;
  std::vector<const Node*> feed_nodes_;
  std::vector<int32_t> feed_slots_;
  std::vector<int32_t> feed_of_slot_;  // per slot: the index of the feed it holds, or -1
  std::vector<int32_t> fetch_slots_;
  std::vector<Step> steps_;
  // Outputs of stateless nodes without inputs (constants), computed when the plan is built;
  // they stay in their slots from run to run.
  std::vector<std::pair<int32_t, Tensor>> constants_;
  std::vector<int32_t> transient_slots_;  // every other slot, cleared after each run
  std::vector<int64_t> arena_offsets_;    // per slot: its offset in the arena, or -1
  std::vector<size_t> arena_sizes_;       // per slot: its bytes in the arena
  size_t arena_bytes_ = 0;
  int32_t num_slots_ = 0;
  size_t max_inputs_ = 0;
  std::mutex mutex_;  // guards cached_ (one run at a time reuses it; others get their own)
  RunState cached_;
};

// The plans of one (feeds, fetches, targets) of a graph, each specialised to the shapes of the
// values fed: the graph copied with those shapes (specialize_graph), so that every step's
// shapes are known and the plan gets all that needs them (an arena, fused chains, output
// stages and absorbed readers, kernels prepared for their shapes). Only where a fed tensor's
// shape is not fully known in the graph (a placeholder's `None` batch, a function's
// arguments); up to kMaxSpecializations sets of shapes. Past those, for shapes the graph does
// not accept (its plan reports them) and for shapes its copy cannot take, runs take the plan
// of the graph as it is, built when first needed. Safe to use from several threads.
class SpecializedPlans {
 public:
  static constexpr size_t kMaxSpecializations = 8;

  SpecializedPlans(const Graph& graph, std::vector<Endpoint> feeds,
                   std::vector<Endpoint> fetches, std::vector<int32_t> targets,
                   PlanOptions options);
  ~SpecializedPlans();
  // Builds the plan of the graph as it is, to report what is wrong with the subgraph before
  // any run; where runs take specialised plans it is then released (it holds its own packed
  // weights) and built again only if a run needs it. Call before any run.
  Status check();
  // The plan for values of the shapes of `feeds` (one per fed tensor).
  Status plan_for(const Tensor* feeds, Plan** plan);
  // The plan the last run took (plan_for): the generic one before any.
  Status last_used(Plan** plan);

 private:
  struct Specialization;
  // The plan of the graph as it is, built when first needed; call with mutex_ held.
  Status generic_locked(Plan** plan);

  const Graph& graph_;
  const std::vector<Endpoint> feeds_, fetches_;
  const std::vector<int32_t> targets_;
  const PlanOptions options_;
  bool specializes_ = false;  // a fed tensor's shape is not fully known
  std::mutex mutex_;
  std::vector<std::unique_ptr<Specialization>> specializations_;
  std::unique_ptr<Plan> generic_;
  Plan* last_used_ = nullptr;
};

// The state of a function body in one session: its own random streams and its plans.
struct FunctionState {
  SessionState state;
  std::mutex mutex;  // guards the making of `plans`
  std::unique_ptr<SpecializedPlans> plans;
};

// The plan of function `f` of `functions` for arguments `args` in the session of `state`,
// built on first use, and the state its runs use.
Status function_plan(const Function& f, const FunctionLibrary& functions, SessionState& state,
                     const Tensor* args, Plan** plan, SessionState** body_state);

}  // namespace tl
