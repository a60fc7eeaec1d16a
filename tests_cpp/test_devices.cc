// Placement on a second device, without a GPU: this program registers a "GPU" whose memory is
// host memory (its own allocator, counting what it hands out), with kernels for a few ops
// that no build has GPU kernels for (the CPU's code: the memory is host memory), and counts the copies the executor
// makes at device boundaries. It checks where nodes go (tf.device strings, TF1's default
// placement, soft placement), the errors TF1 gives, the copies, and that results are the CPU's.
// tests/test_devices_cpp.py builds it against the installed libtensorlib and runs it:
//
//   g++ -std=c++17 -Iinclude tests_cpp/test_devices.cc -L<pkg>/lib -ltensorlib
//       -Wl,-rpath,<pkg>/lib -o test_devices && ./test_devices
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tensorlib/devices.h"
#include "tensorlib/executor.h"
#include "tensorlib/graph.h"

#include "check.h"

using namespace tl;

namespace {

// Host memory handed out as the test GPU's, counted.
class CountingAllocator : public Allocator {
 public:
  std::shared_ptr<Buffer> allocate(size_t bytes) override {
    ++allocations;
    void* data = std::aligned_alloc(kBufferAlignment, (bytes / kBufferAlignment + 1) *
                                                          kBufferAlignment);
    return Buffer::adopt(data, bytes, Device::kGPU, 0, [](void* p, void*) { std::free(p); },
                         nullptr);
  }
  std::atomic<int> allocations{0};
};

class TestGpu : public ExecutionDevice {
 public:
  explicit TestGpu(Allocator* allocator) : ExecutionDevice(Device::kGPU, 0, allocator) {}
  Status copy_from_host(const Tensor& src, Tensor* dst) const override {
    ++to_device;
    return ExecutionDevice::copy_from_host(src, dst);
  }
  Status copy_to_host(const Tensor& src, Tensor* dst) const override {
    ++to_host;
    return ExecutionDevice::copy_to_host(src, dst);
  }
  mutable std::atomic<int> to_device{0}, to_host{0};
};

CountingAllocator g_allocator;
TestGpu* g_gpu = nullptr;

struct Builder {
  Graph graph;
  Status status;

  Endpoint node(const std::string& op, const std::string& name, std::vector<Endpoint> inputs,
                const std::string& device = "", AttrMap attrs = {}) {
    NodeSpec spec;
    spec.op = op;
    spec.name = name;
    spec.inputs = std::move(inputs);
    spec.attrs = std::move(attrs);
    spec.device = device;
    int32_t id = -1;
    if (status.ok()) status = graph.add_node(spec, &id);
    return Endpoint{id, 0};
  }
  Endpoint input(const std::string& name) {
    AttrMap attrs;
    attrs.set("dtype", DType::kFloat32);
    attrs.set("shape", Shape({2, 2}));
    return node("Placeholder", name, {}, "", attrs);
  }
  Endpoint constant(const std::string& name, float value, const std::string& device = "") {
    Tensor t;
    if (status.ok()) status = Tensor::allocate(DType::kFloat32, Shape({2, 2}), &t);
    for (int i = 0; status.ok() && i < 4; ++i) t.data<float>()[i] = value;
    AttrMap attrs;
    attrs.set("value", t);
    return node("Const", name, {}, device, attrs);
  }
};

AttrMap leaky_attrs() {
  AttrMap attrs;
  attrs.set("alpha", 0.5);
  return attrs;
}

void register_test_gpu() {
  auto gpu = std::make_unique<TestGpu>(&g_allocator);
  g_gpu = gpu.get();
  Status s = DeviceRegistry::global().add(std::move(gpu));
  CHECK(s.ok());
  KernelRegistry& kernels = KernelRegistry::global();
  auto add_kernel = [&](const char* op, KernelDef def) {
    const KernelDef* cpu = kernels.find(op, Device::kCPU);
    CHECK(cpu != nullptr);
    CHECK_OK(kernels.add(def.compute(cpu->compute_fn())));
  };
  // Ops no build has GPU kernels for, so that real kernels of a GPU backend are not in the way.
  for (const char* op : {"FloorDiv", "FloorMod"}) add_kernel(op, KernelDef(op, Device::kGPU));
  // float64 only: float32 nodes of the op stay on the CPU.
  add_kernel("Selu", KernelDef("Selu", Device::kGPU).dtypes({DType::kFloat64}));
  // Its axis input stays in host memory.
  add_kernel("Cumsum", KernelDef("Cumsum", Device::kGPU).host_memory_input(1));
  // The kernels of these run on any device whose memory the host can address; a build with
  // a GPU backend registers them already.
  for (const char* op : {"VariableV2", "Assign"}) {
    if (!kernels.find(op, Device::kGPU)) add_kernel(op, KernelDef(op, Device::kGPU));
  }
  CHECK(!DeviceRegistry::global().add(std::make_unique<TestGpu>(&g_allocator)).ok());
}

void check_device_specs() {
  DeviceSpec spec;
  CHECK(parse_device_spec("/job:localhost/replica:0/task:0/device:GPU:1", &spec).ok());
  CHECK(spec.job == "localhost" && spec.replica == 0 && spec.task == 0 && spec.kind == "GPU" &&
        spec.index == 1);
  CHECK(parse_device_spec("/cpu:0", &spec).ok() && spec.kind == "CPU" && spec.index == 0);
  CHECK(parse_device_spec("/device:gpu", &spec).ok() && spec.kind == "GPU" && spec.index < 0);
  CHECK(parse_device_spec("", &spec).ok() && spec.kind.empty());
  CHECK(!parse_device_spec("/tpu:0", &spec).ok());
  CHECK(!parse_device_spec("/gpu:x", &spec).ok());
  CHECK(!parse_device_spec("/replica:a", &spec).ok());
}

// x, y fed; s = x // 2 (default: the GPU, which has FloorDiv); r = leaky_relu(s) (CPU: no GPU
// kernel); m = r % y on /gpu:0; fetched: s and m. Values: x = 7, y = 2: s = 3, r = 3, m = 1.
// m = r @ y on /gpu:0; fetched: s and m. Values: x = 1, y = 3: s = 3, r = 3, m = 18.
void check_placement_and_copies() {
  Builder b;
  Endpoint x = b.input("x"), y = b.input("y");
  // On the CPU whether or not the build's GPU backend has a Const kernel.
  Endpoint two = b.constant("two", 2.0f, "/cpu:0");
  Endpoint s = b.node("FloorDiv", "s", {x, two});
  Endpoint r = b.node("LeakyRelu", "r", {s}, "", leaky_attrs());
  Endpoint m = b.node("FloorMod", "m", {r, y}, "/device:GPU:0");
  CHECK_OK(b.status);
  std::unique_ptr<Plan> plan;
  CHECK_OK(Plan::build(b.graph, {x, y}, {s, m}, {}, &plan));
  const std::vector<std::string> want = {
      "two: (Const): /job:localhost/replica:0/task:0/device:CPU:0",
      "s: (FloorDiv): /job:localhost/replica:0/task:0/device:GPU:0",
      "r: (LeakyRelu): /job:localhost/replica:0/task:0/device:CPU:0",
      "m: (FloorMod): /job:localhost/replica:0/task:0/device:GPU:0"};
  CHECK(plan->placement() == want);
  std::vector<float> xv(4, 7.0f), yv(4, 2.0f);
  Tensor feeds[2] = {Tensor::borrow(DType::kFloat32, Shape({2, 2}), xv.data()),
                     Tensor::borrow(DType::kFloat32, Shape({2, 2}), yv.data())};
  SessionState state;
  for (int run = 0; run < 2; ++run) {
    const int to_device = g_gpu->to_device, to_host = g_gpu->to_host;
    const int allocations = g_allocator.allocations;
    Tensor out[2];
    CHECK_OK(plan->run(state, 1, feeds, out));
    // Copies: x and the constant to the GPU (s); s back for r; r and y to the GPU (m); the
    // fetched s and m back to the host.
    CHECK(g_gpu->to_device - to_device == 4);
    CHECK(g_gpu->to_host - to_host == 3);
    // GPU memory: the four copies in, the outputs of s and m.
    CHECK(g_allocator.allocations - allocations == 6);
    CHECK(out[0].buffer()->device() == Device::kCPU && out[1].buffer()->device() == Device::kCPU);
    for (int i = 0; i < 4; ++i) {
      CHECK(out[0].data<float>()[i] == 3.0f);
      CHECK(out[1].data<float>()[i] == 1.0f);
    }
  }
}

void check_explicit_placement_errors_and_soft_placement() {
  Builder b;
  Endpoint x = b.input("x");
  Endpoint r = b.node("LeakyRelu", "relu", {x}, "/device:GPU:0", leaky_attrs());
  Endpoint far = b.node("FloorDiv", "far", {x, x}, "/gpu:3");
  Endpoint cpu = b.node("FloorDiv", "on_cpu", {x, x}, "/cpu:0");
  CHECK_OK(b.status);
  std::unique_ptr<Plan> plan;
  Status s = Plan::build(b.graph, {x}, {r}, {}, &plan);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message() == "Cannot assign a device for operation 'relu': Could not satisfy explicit "
                       "device specification '/device:GPU:0' because no supported kernel for "
                       "GPU devices is available.");
  s = Plan::build(b.graph, {x}, {far}, {}, &plan);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("'far' was explicitly assigned to /gpu:3 but available devices are [ "
                         "/job:localhost/replica:0/task:0/device:CPU:0 "
                         "/job:localhost/replica:0/task:0/device:GPU:0 ]") != std::string::npos);
  PlanOptions soft;
  soft.allow_soft_placement = true;
  CHECK_OK(Plan::build(b.graph, {x}, {r, far, cpu}, {}, &plan, soft));
  CHECK(plan->placement() ==
        std::vector<std::string>(
            {"relu: (LeakyRelu): /job:localhost/replica:0/task:0/device:CPU:0",
             "far: (FloorDiv): /job:localhost/replica:0/task:0/device:CPU:0",
             "on_cpu: (FloorDiv): /job:localhost/replica:0/task:0/device:CPU:0"}));
  std::vector<float> xv = {-1.0f, 2.0f, -3.0f, 4.0f};
  Tensor feed = Tensor::borrow(DType::kFloat32, Shape({2, 2}), xv.data());
  SessionState state;
  Tensor out[3];
  const int copies = g_gpu->to_device + g_gpu->to_host;
  CHECK_OK(plan->run(state, 1, &feed, out));
  CHECK(g_gpu->to_device + g_gpu->to_host == copies);  // everything on the CPU: no copy
  CHECK(out[0].data<float>()[0] == -0.5f && out[0].data<float>()[3] == 4.0f);
  CHECK(out[1].data<float>()[1] == 1.0f && out[2].data<float>()[2] == 1.0f);
}

// A variable placed on the GPU (its op has a kernel there) keeps its value in GPU memory; its
// Assign goes with it; an update with no GPU kernel runs on the CPU and moves the value there,
// and the next GPU read moves it back. Selu (float64-only on the GPU) stays on the CPU, and
// Cumsum's axis stays in host memory.
void check_variables_dtypes_and_host_memory() {
  Builder b;
  AttrMap var_attrs;
  var_attrs.set("dtype", DType::kFloat32);
  var_attrs.set("shape", Shape({2, 2}));
  Endpoint var = b.node("VariableV2", "var", {}, "", var_attrs);
  AttrMap assign_attrs;
  assign_attrs.set("validate_shape", true);
  assign_attrs.set("use_locking", true);
  Endpoint init = b.node("Assign", "init", {var, b.constant("one", 1.0f, "/cpu:0")}, "",
                         assign_attrs);
  // An update no build has a GPU kernel for.
  AttrMap use_locking;
  use_locking.set("use_locking", false);
  Endpoint step = b.node("AssignSub", "step", {var, b.constant("delta", 2.0f, "/cpu:0")}, "",
                         use_locking);
  Endpoint selu = b.node("Selu", "selu", {var});
  Tensor axis_value;
  CHECK_OK(Tensor::allocate(DType::kInt32, Shape(), &axis_value));
  *axis_value.data<int32_t>() = 1;
  AttrMap axis_attrs;
  axis_attrs.set("value", axis_value);
  AttrMap cumsum_attrs;
  cumsum_attrs.set("exclusive", false);
  cumsum_attrs.set("reverse", false);
  Endpoint sums = b.node("Cumsum", "sums",
                         {var, b.node("Const", "axis", {}, "/cpu:0", axis_attrs)}, "",
                         cumsum_attrs);
  CHECK_OK(b.status);
  SessionState state;
  auto run = [&](std::vector<Endpoint> fetches, std::vector<std::string> want_places,
                 Tensor* out) {
    std::unique_ptr<Plan> plan;
    CHECK_OK(Plan::build(b.graph, {}, fetches, {}, &plan));
    std::vector<std::string> places;
    for (const std::string& p : plan->placement()) {
      if (p.find("(Const)") == std::string::npos) places.push_back(p);
    }
    for (std::string& p : want_places) p.insert(p.rfind(' ') + 1, "/job:localhost/replica:0/task:0/device:");
    CHECK(places == want_places);
    if (places != want_places) {
      for (const std::string& p : places) std::printf("  placed %s\n", p.c_str());
    }
    CHECK_OK(plan->run(state, 1, nullptr, out));
  };
  const int32_t var_id = var.node;
  Tensor out[1];
  run({init}, {"init: (Assign): GPU:0"}, out);  // a reference input runs no producer
  CHECK(state.variable(var_id).buffer()->device() == Device::kGPU);
  run({step}, {"step: (AssignSub): CPU:0"}, out);
  CHECK(state.variable(var_id).buffer()->device() == Device::kCPU);
  CHECK(out[0].data<float>()[0] == -1.0f);  // 1 - 2
  const int to_device = g_gpu->to_device;
  run({sums}, {"var: (VariableV2): GPU:0", "sums: (Cumsum): GPU:0"}, out);
  CHECK(state.variable(var_id).buffer()->device() == Device::kGPU);
  CHECK(g_gpu->to_device - to_device == 1);  // the variable moving back; not the axis
  CHECK(out[0].shape() == Shape({2, 2}) && out[0].data<float>()[3] == -2.0f);  // cumulative
  run({selu}, {"var: (VariableV2): GPU:0", "selu: (Selu): CPU:0"}, out);
}

}  // namespace

int main() {
  register_test_gpu();
  check_device_specs();
  check_placement_and_copies();
  check_explicit_placement_errors_and_soft_placement();
  check_variables_dtypes_and_host_memory();
  if (g_failures) {
    std::printf("%d checks failed\n", g_failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
