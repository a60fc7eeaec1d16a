// Placement on a second device, without a GPU: this program registers a "GPU" whose memory is
// host memory (its own allocator, counting what it hands out), with kernels for Add, Mul and
// MatMul only (the CPU's code: the memory is host memory), and counts the copies the executor
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
  Endpoint constant(const std::string& name, float value) {
    Tensor t;
    if (status.ok()) status = Tensor::allocate(DType::kFloat32, Shape({2, 2}), &t);
    for (int i = 0; status.ok() && i < 4; ++i) t.data<float>()[i] = value;
    AttrMap attrs;
    attrs.set("value", t);
    return node("Const", name, {}, "", attrs);
  }
  Endpoint matmul(const std::string& name, Endpoint a, Endpoint b, const std::string& device) {
    AttrMap attrs;
    attrs.set("transpose_a", false);
    attrs.set("transpose_b", false);
    return node("MatMul", name, {a, b}, device, attrs);
  }
};

void register_test_gpu() {
  auto gpu = std::make_unique<TestGpu>(&g_allocator);
  g_gpu = gpu.get();
  Status s = DeviceRegistry::global().add(std::move(gpu));
  CHECK(s.ok());
  for (const char* op : {"Add", "Mul", "MatMul"}) {
    const KernelDef* cpu = KernelRegistry::global().find(op, Device::kCPU);
    CHECK(cpu != nullptr);
    s = KernelRegistry::global().add(KernelDef(op, Device::kGPU).compute(cpu->compute_fn()));
    CHECK(s.ok());
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

// x, y fed; s = x + 2 (default: the GPU, which has Add); r = relu(s) (CPU: no GPU kernel);
// m = r @ y on /gpu:0; fetched: s and m. Values: x = 1, y = 3: s = 3, r = 3, m = 18.
void check_placement_and_copies() {
  Builder b;
  Endpoint x = b.input("x"), y = b.input("y");
  Endpoint two = b.constant("two", 2.0f);
  Endpoint s = b.node("Add", "s", {x, two});
  Endpoint r = b.node("Relu", "r", {s});
  Endpoint m = b.matmul("m", r, y, "/device:GPU:0");
  CHECK_OK(b.status);
  std::unique_ptr<Plan> plan;
  CHECK_OK(Plan::build(b.graph, {x, y}, {s, m}, {}, &plan));
  const std::vector<std::string> want = {
      "two: (Const): /job:localhost/replica:0/task:0/device:CPU:0",
      "s: (Add): /job:localhost/replica:0/task:0/device:GPU:0",
      "r: (Relu): /job:localhost/replica:0/task:0/device:CPU:0",
      "m: (MatMul): /job:localhost/replica:0/task:0/device:GPU:0"};
  CHECK(plan->placement() == want);
  std::vector<float> xv(4, 1.0f), yv(4, 3.0f);
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
      CHECK(out[1].data<float>()[i] == 18.0f);
    }
  }
}

void check_explicit_placement_errors_and_soft_placement() {
  Builder b;
  Endpoint x = b.input("x");
  Endpoint r = b.node("Relu", "relu", {x}, "/device:GPU:0");
  Endpoint far = b.node("Add", "far", {x, x}, "/gpu:3");
  Endpoint cpu = b.node("Add", "on_cpu", {x, x}, "/cpu:0");
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
        std::vector<std::string>({"relu: (Relu): /job:localhost/replica:0/task:0/device:CPU:0",
                                  "far: (Add): /job:localhost/replica:0/task:0/device:CPU:0",
                                  "on_cpu: (Add): /job:localhost/replica:0/task:0/device:CPU:0"}));
  std::vector<float> xv = {-1.0f, 2.0f, -3.0f, 4.0f};
  Tensor feed = Tensor::borrow(DType::kFloat32, Shape({2, 2}), xv.data());
  SessionState state;
  Tensor out[3];
  const int copies = g_gpu->to_device + g_gpu->to_host;
  CHECK_OK(plan->run(state, 1, &feed, out));
  CHECK(g_gpu->to_device + g_gpu->to_host == copies);  // everything on the CPU: no copy
  CHECK(out[0].data<float>()[0] == 0.0f && out[0].data<float>()[3] == 4.0f);
  CHECK(out[1].data<float>()[1] == 4.0f && out[2].data<float>()[2] == -6.0f);
}

}  // namespace

int main() {
  register_test_gpu();
  check_device_specs();
  check_placement_and_copies();
  check_explicit_placement_errors_and_soft_placement();
  if (g_failures) {
    std::printf("%d checks failed\n", g_failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
