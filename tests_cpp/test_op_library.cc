// Kernels from op libraries: a library adds a GPU kernel for tensorlib's "ComplexAbs" (a
// stand-in that adds) beside its CPU kernel, and a new op whose CPU kernel prepares state from a constant input when a plan is
// built; libraries that would replace a kernel or name an unknown op are refused whole.
// tests/test_op_library_cpp.py builds tests_cpp/kernel_library.cc (three variants) and this
// program against the installed libtensorlib, then runs it:
//
//   ./test_op_library libkernels.so libkernels_cpu_add.so libkernels_unknown_op.so
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tensorlib/graph.h"
#include "tensorlib/kernel.h"
#include "tensorlib/op_library.h"
#include "tensorlib/session.h"

#include "check.h"

using namespace tl;

namespace {

Status add_const(Graph* g, const std::string& name, float value, Endpoint* out) {
  Tensor t;
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kFloat32, Shape({}), &t));
  *t.data<float>() = value;
  NodeSpec c;
  c.op = "Const";
  c.name = name;
  c.attrs.set("value", t);
  int32_t id;
  TL_RETURN_IF_ERROR(g->add_node(c, &id));
  *out = Endpoint{id, 0};
  return Status::OK();
}

// x (fed, [3]) -> ScaleByConstant(x, 2.5 from a Const) and Add(x, x).
struct TestGraph {
  std::shared_ptr<Graph> graph = std::make_shared<Graph>();
  Endpoint x, factor, scaled, prepared, sum;
};

Status build(TestGraph* t) {
  NodeSpec px;
  px.op = "Placeholder";
  px.name = "x";
  px.attrs.set("dtype", DType::kFloat32);
  px.attrs.set("shape", Shape({3}));
  int32_t id;
  TL_RETURN_IF_ERROR(t->graph->add_node(px, &id));
  t->x = Endpoint{id, 0};
  TL_RETURN_IF_ERROR(add_const(t->graph.get(), "factor", 2.5f, &t->factor));
  NodeSpec scale;
  scale.op = "ScaleByConstant";
  scale.name = "scale";
  scale.inputs = {t->x, t->factor};
  TL_RETURN_IF_ERROR(t->graph->add_node(scale, &id));
  t->scaled = Endpoint{id, 0};
  t->prepared = Endpoint{id, 1};
  NodeSpec add;
  add.op = "Add";
  add.name = "add";
  add.inputs = {t->x, t->x};
  TL_RETURN_IF_ERROR(t->graph->add_node(add, &id));
  t->sum = Endpoint{id, 0};
  return Status::OK();
}

void check_kernel_for_an_existing_op(const std::string& library) {
  KernelRegistry& kernels = KernelRegistry::global();
  const KernelDef* cpu_add = kernels.find("ComplexAbs", Device::kCPU);
  CHECK(cpu_add != nullptr);
  CHECK(kernels.find("ComplexAbs", Device::kGPU) == nullptr);
  std::vector<std::string> ops;
  CHECK_OK(load_op_library(library, &ops));
  CHECK(ops == std::vector<std::string>{"ScaleByConstant"});
  const KernelDef* gpu_add = kernels.find("ComplexAbs", Device::kGPU);
  CHECK(gpu_add != nullptr && gpu_add->op() == "ComplexAbs" && gpu_add->device() == Device::kGPU);
  CHECK(kernels.find("ComplexAbs", Device::kCPU) == cpu_add);  // the CPU kernel is untouched
  CHECK(op_library_of("ComplexAbs").empty());                   // and the op still tensorlib's
  // The library's kernel is the one registered: run it directly.
  if (!gpu_add) return;
  float xs[2] = {1, 2}, ys[2] = {10, 20};
  Tensor x = Tensor::borrow(DType::kFloat32, Shape({2}), xs);
  Tensor y = Tensor::borrow(DType::kFloat32, Shape({2}), ys);
  Tensor out;
  CHECK_OK(Tensor::allocate(DType::kFloat32, Shape({2}), &out));
  const Tensor* inputs[2] = {&x, &y};
  Node node;
  node.name = "abs";
  node.op = OpRegistry::global().find("ComplexAbs");
  AttrMap attrs;
  SessionState state;
  KernelContext ctx(node, attrs, inputs, 2, &out, 1, &state, 1);
  CHECK_OK(gpu_add->compute_fn()(ctx));
  CHECK(out.data<float>()[0] == 1011.0f && out.data<float>()[1] == 1022.0f);
  // Loading it again changes nothing.
  CHECK_OK(load_op_library(library, &ops));
  CHECK(kernels.find("ComplexAbs", Device::kGPU) == gpu_add);
}

void check_plans_use_cpu_kernels_and_prepared_state() {
  TestGraph t;
  CHECK_OK(build(&t));
  Session session(t.graph, SessionOptions{});
  int64_t callable;
  CHECK_OK(session.make_callable({t.x}, {t.scaled, t.prepared, t.sum}, {}, &callable));
  float xs[3] = {1, 2, 3};
  Tensor feed = Tensor::borrow(DType::kFloat32, Shape({3}), xs);
  for (int run = 0; run < 2; ++run) {
    Tensor out[3];
    CHECK_OK(session.run_callable(callable, &feed, out));
    for (int i = 0; i < 3; ++i) CHECK(out[0].data<float>()[i] == xs[i] * 2.5f);
    CHECK(*out[1].data<float>() == 1.0f);  // the factor was prepared from the constant
    for (int i = 0; i < 3; ++i) CHECK(out[2].data<float>()[i] == 2 * xs[i]);  // the CPU Add
  }
  // Fed, the factor is no constant: no state, the kernel reads it at run time.
  CHECK_OK(session.make_callable({t.x, t.factor}, {t.scaled, t.prepared}, {}, &callable));
  float f = 4.0f;
  Tensor feeds[2] = {feed, Tensor::borrow(DType::kFloat32, Shape({}), &f)};
  Tensor out[2];
  CHECK_OK(session.run_callable(callable, feeds, out));
  for (int i = 0; i < 3; ++i) CHECK(out[0].data<float>()[i] == xs[i] * 4.0f);
  CHECK(*out[1].data<float>() == 0.0f);
}

void check_refused_libraries(const std::string& cpu_add, const std::string& unknown_op) {
  const KernelDef* before = KernelRegistry::global().find("Add", Device::kCPU);
  std::vector<std::string> ops;
  Status s = load_op_library(cpu_add, &ops);
  CHECK(s.code() == StatusCode::kAlreadyExists);
  CHECK(s.message().find("the CPU kernel of op 'Add' is already registered") !=
        std::string::npos);
  CHECK(KernelRegistry::global().find("Add", Device::kCPU) == before);
  s = load_op_library(unknown_op, &ops);
  CHECK(s.code() == StatusCode::kNotFound);
  CHECK(s.message().find("kernel of op 'NoSuchOpForTest' is for an op that is not registered") !=
        std::string::npos);
  CHECK(KernelRegistry::global().find("NoSuchOpForTest", Device::kGPU) == nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::printf("usage: %s <library> <library with a CPU Add> <library for an unknown op>\n",
                argv[0]);
    return 2;
  }
  check_kernel_for_an_existing_op(argv[1]);
  check_plans_use_cpu_kernels_and_prepared_state();
  check_refused_libraries(argv[2], argv[3]);
  if (g_failures) {
    std::printf("%d checks failed\n", g_failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
