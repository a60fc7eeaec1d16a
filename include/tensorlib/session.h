// Sessions and the executor.
//
// A Session runs subgraphs of one Graph and owns the state that persists between runs
// (variables, random-number streams). `make_callable` compiles a (feeds, fetches, targets)
// triple once into a plan: the nodes needed, pruned and in order, with the last use of every
// value so buffers are recycled as soon as they die and elementwise ops write in place.
// Plans are cached, so asking again for the same triple is a lookup. Where a fed tensor's
// shape is open in the graph (a `None` batch), each shape fed gets a plan of its own, made at
// its first run (SpecializedPlans, executor.h).
//
//   tl::Session session(graph, tl::SessionOptions{});
//   int64_t callable;
//   TL_RETURN_IF_ERROR(session.make_callable({x}, {y}, {}, &callable));
//   tl::Tensor in = tl::Tensor::borrow(tl::DType::kFloat32, tl::Shape({4}), data);
//   tl::Tensor out;
//   TL_RETURN_IF_ERROR(session.run_callable(callable, &in, &out));
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "tensorlib/graph.h"
#include "tensorlib/kernel.h"
#include "tensorlib/tensor.h"

namespace tl {

struct SessionOptions {
  int intra_op_threads = 0;  // <= 0: the process default (see set_default_num_threads)
  // A node whose device cannot run it goes to the CPU instead of failing (devices.h).
  bool allow_soft_placement = false;
};

// Threads a session uses when its options leave it open (initially: all hardware threads).
void set_default_num_threads(int n);
int default_num_threads();

class Plan;
class SpecializedPlans;
struct RunControl;

class Session {
 public:
  Session(std::shared_ptr<const Graph> graph, SessionOptions options);
  ~Session();

  // Compiles (or finds) the plan that feeds `feeds`, returns `fetches` and runs `targets`;
  // `*handle` identifies it in run_callable.
  Status make_callable(const std::vector<Endpoint>& feeds, const std::vector<Endpoint>& fetches,
                       const std::vector<int32_t>& targets, int64_t* handle);
  // Runs a plan. `feeds` holds one tensor per feed endpoint (read in place, never retained);
  // `fetches` receives one tensor per fetch endpoint, each owning its own buffer.
  // Safe to call from several threads at once. `control`, when given, can stop the run
  // (cancellation from another thread, a deadline).
  Status run_callable(int64_t handle, const Tensor* feeds, Tensor* fetches,
                      RunControl* control = nullptr);

  // Where the nodes of callable `handle` run, one line per node as TF1's
  // log_device_placement prints them (Plan::placement), in the plan its last run took.
  Status placement(int64_t handle, std::vector<std::string>* lines);
  // The nodes each step of callable `handle` runs (Plan::step_nodes) in the plan its last run
  // took: a debugging aid.
  Status step_nodes(int64_t handle, std::vector<std::vector<std::string>>* steps);

  const Graph& graph() const { return *graph_; }
  SessionState& state() { return state_; }

 private:
  // The plans of callable `handle`, or InvalidArgument; call with plans_mutex_ held.
  Status find_plans(int64_t handle, SpecializedPlans** plans) const;
  // The plan the last run of callable `handle` took.
  Status last_plan(int64_t handle, Plan** plan);

  std::shared_ptr<const Graph> graph_;
  SessionOptions options_;
  SessionState state_;
  std::mutex plans_mutex_;
  std::vector<std::unique_ptr<SpecializedPlans>> plans_;
  std::map<std::tuple<std::vector<int64_t>, std::vector<int64_t>, std::vector<int32_t>>, int64_t>
      plan_index_;
};

}  // namespace tl
