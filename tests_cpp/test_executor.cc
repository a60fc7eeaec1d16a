// The executor's memory plan: values whose sizes are known when the plan is built share one
// arena by lifetimes, an elementwise op in place shares its input's place, and a view keeps
// the value it views alive (out of the arena when the view is fetched); results are those of
// the ops, run after run. And its order: a node of an op declared scheduled_early runs right
// after its last producer.
// tests/test_executor_cpp.py builds it against the installed libtensorlib and runs it:
//
//   g++ -std=c++17 -Iinclude tests_cpp/test_executor.cc -L<pkg>/lib -ltensorlib
//       -Wl,-rpath,<pkg>/lib -o test_executor && ./test_executor
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tensorlib/executor.h"
#include "tensorlib/graph.h"

#include "check.h"

using namespace tl;

namespace {

constexpr int64_t kRows = 64, kCols = 32;
constexpr size_t kBytes = kRows * kCols * sizeof(float);

// Builds graphs node by node; the first failure is kept in `status`.
struct Builder {
  Graph graph;
  Status status;

  Endpoint node(const std::string& op, std::vector<Endpoint> inputs, AttrMap attrs = {},
                std::vector<int32_t> control_inputs = {}) {
    NodeSpec spec;
    spec.op = op;
    spec.name = op + std::to_string(graph.num_nodes());
    spec.inputs = std::move(inputs);
    spec.control_inputs = std::move(control_inputs);
    spec.attrs = std::move(attrs);
    int32_t id = -1;
    if (status.ok()) status = graph.add_node(spec, &id);
    return Endpoint{id, 0};
  }
  Endpoint ints(std::vector<int32_t> values) {
    Tensor t;
    Status s = Tensor::allocate(DType::kInt32, Shape({static_cast<int64_t>(values.size())}), &t);
    if (!s.ok()) status = s;
    for (size_t i = 0; s.ok() && i < values.size(); ++i) t.data<int32_t>()[i] = values[i];
    AttrMap attrs;
    attrs.set("value", t);
    return node("Const", {}, attrs);
  }
  Endpoint input() {
    AttrMap attrs;
    attrs.set("dtype", DType::kFloat32);
    attrs.set("shape", Shape({kRows, kCols}));
    return node("Placeholder", {}, attrs);
  }
  Endpoint transpose(Endpoint x) { return node("Transpose", {x, ints({1, 0})}); }
};

// Builds the plan feeding `x` and fetching `y`, checks its arena, runs it twice on
// x[i][j] = i * kCols + j and checks y against want(i, j).
template <typename Want>
void check_plan(Builder& b, Endpoint x, Endpoint y, size_t arena_bytes, Want want) {
  CHECK_OK(b.status);
  std::unique_ptr<Plan> plan;
  CHECK_OK(Plan::build(b.graph, {x}, {y}, {}, &plan));
  CHECK(plan->arena_bytes() == arena_bytes);
  std::vector<float> in(kRows * kCols);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i);
  Tensor feed = Tensor::borrow(DType::kFloat32, Shape({kRows, kCols}), in.data());
  SessionState state;
  for (int run = 0; run < 2; ++run) {
    Tensor out;
    CHECK_OK(plan->run(state, 1, &feed, &out));
    bool same = out.num_elements() == kRows * kCols;
    for (int64_t i = 0; same && i < out.num_elements(); ++i) {
      same = out.data<float>()[i] == want(i / out.shape().dim(1), i % out.shape().dim(1));
    }
    CHECK(same);
  }
}

// Four transposes in a row: the 1st and 3rd results never live at once, so they share a place;
// the fetched 4th is the caller's, not the arena's.
void check_values_that_never_meet_share_the_arena() {
  Builder b;
  const Endpoint x = b.input();
  const Endpoint y = b.transpose(b.transpose(b.transpose(b.transpose(x))));
  check_plan(b, x, y, 2 * kBytes,
             [](int64_t i, int64_t j) { return static_cast<float>(i * kCols + j); });
}

// Neg takes over its input's place (in place, as the pool's buffers would be).
void check_an_op_in_place_shares_its_input_place() {
  Builder b;
  const Endpoint x = b.input();
  const Endpoint y = b.transpose(b.node("Neg", {b.transpose(x)}));
  check_plan(b, x, y, kBytes,
             [](int64_t i, int64_t j) { return -static_cast<float>(i * kCols + j); });
}

// A Reshape is a view of the first transpose: the second one must not take its place while
// the third still reads the view.
void check_a_view_keeps_its_value_alive() {
  Builder b;
  const Endpoint x = b.input();
  const Endpoint view = b.node("Reshape", {b.transpose(x), b.ints({kRows, kCols})});
  const Endpoint y = b.node("Add", {b.transpose(b.transpose(view)), view});
  // view(i, j) is element i * kCols + j of x's transpose, x[(i * kCols + j) % kRows][...].
  check_plan(b, x, y, 3 * kBytes, [](int64_t i, int64_t j) {
    const int64_t flat = i * kCols + j;
    const float v = static_cast<float>((flat % kRows) * kCols + flat / kRows);
    return v + v;
  });
}

// A fetched Identity shows the second transpose: that value is the caller's, not the arena's.
void check_a_fetched_view_keeps_its_value_out_of_the_arena() {
  Builder b;
  const Endpoint x = b.input();
  const Endpoint y = b.node("Identity", {b.transpose(b.transpose(x))});
  check_plan(b, x, y, kBytes,
             [](int64_t i, int64_t j) { return static_cast<float>(i * kCols + j); });
}

// EarlyNeg: -x, as Neg computes it, but scheduled early.
Status early_neg_shape(InferenceContext& ctx) {
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

Status early_neg_compute(KernelContext& ctx) {
  const float* x = ctx.input(0).data<float>();
  float* y = ctx.output(0).data<float>();
  for (int64_t i = 0; i < ctx.output(0).num_elements(); ++i) y[i] = -x[i];
  return Status::OK();
}

void register_early_neg() {
  CHECK_OK(OpRegistry::global().add(
      OpDef("EarlyNeg").input("x").scheduled_early().shape(early_neg_shape)));
  CHECK_OK(KernelRegistry::global().add(
      KernelDef("EarlyNeg", Device::kCPU).compute(early_neg_compute)));
}

// Built last, the EarlyNeg of the first transpose runs right after it, and the one that reads
// only the fed x but has a control input on the third transpose runs right after that one;
// every other node keeps its id order, and the values are those of the ops.
void check_an_early_node_runs_right_after_its_last_producer() {
  Builder b;
  const Endpoint x = b.input();
  const Endpoint t1 = b.transpose(x);
  const Endpoint t2 = b.transpose(t1);
  const Endpoint t3 = b.transpose(t2);
  const Endpoint t4 = b.transpose(t3);
  const Endpoint after_t1 = b.node("EarlyNeg", {t1});
  const Endpoint after_t3 = b.node("EarlyNeg", {x}, {}, {t3.node});
  // t4 + transpose(2 * -t1) + -x = x - 2x - x
  const Endpoint y = b.node(
      "Add", {b.node("Add", {t4, b.transpose(b.node("Add", {after_t1, after_t1}))}), after_t3});
  CHECK_OK(b.status);
  std::unique_ptr<Plan> plan;
  CHECK_OK(Plan::build(b.graph, {x}, {y}, {}, &plan));
  std::vector<std::string> order;
  for (const auto& step : plan->step_nodes()) order.push_back(step[0]);
  auto name = [&](Endpoint e) { return b.graph.node(e.node).name; };
  const std::vector<std::string> expected = {
      name(t1), name(after_t1), name(t2), name(t3), name(after_t3), name(t4)};
  CHECK(order.size() > expected.size() &&
        std::equal(expected.begin(), expected.end(), order.begin()));
  check_plan(b, x, y, plan->arena_bytes(),
             [](int64_t i, int64_t j) { return -2 * static_cast<float>(i * kCols + j); });
}

}  // namespace

int main() {
  check_values_that_never_meet_share_the_arena();
  check_an_op_in_place_shares_its_input_place();
  check_a_view_keeps_its_value_alive();
  check_a_fetched_view_keeps_its_value_out_of_the_arena();
  register_early_neg();
  check_an_early_node_runs_right_after_its_last_producer();
  if (g_failures) {
    std::printf("%d checks failed\n", g_failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
