// The C++ model API without Python: build a graph, serialize it, write the file, map it back
// with load_model_file and run it. Checks that the loaded constants point into the mapped file
// (no copy) on 64-byte boundaries, and that a damaged file gives an error status.
// tests/test_model_format.py builds it against the installed libtensorlib and runs it:
//
//   g++ -std=c++17 -Iinclude tests_cpp/test_model.cc -L<pkg>/lib -ltensorlib
//       -Wl,-rpath,<pkg>/lib -o test_model && ./test_model /tmp/model.tlm
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tensorlib/graph.h"
#include "tensorlib/model.h"
#include "tensorlib/session.h"

#include "check.h"

using namespace tl;

namespace {

// y = x * w + b for x of shape [?, 3].
Status build(Graph* g, Endpoint* x, Endpoint* y) {
  NodeSpec px;
  px.op = "Placeholder";
  px.name = "x";
  px.attrs.set("dtype", DType::kFloat32);
  px.attrs.set("shape", Shape({-1, 3}));
  int32_t id;
  TL_RETURN_IF_ERROR(g->add_node(px, &id));
  *x = Endpoint{id, 0};
  Endpoint prev = *x;
  for (const char* op : {"Mul", "Add"}) {
    Tensor value;
    TL_RETURN_IF_ERROR(Tensor::allocate(DType::kFloat32, Shape({3}), &value));
    for (int i = 0; i < 3; ++i) value.data<float>()[i] = op[0] == 'M' ? 2.0f + i : 0.5f;
    NodeSpec c;
    c.op = "Const";
    c.name = std::string(op) + "/value";
    c.attrs.set("value", value);
    TL_RETURN_IF_ERROR(g->add_node(c, &id));
    NodeSpec n;
    n.op = op;
    n.name = op;
    n.inputs = {prev, Endpoint{id, 0}};
    TL_RETURN_IF_ERROR(g->add_node(n, &id));
    prev = Endpoint{id, 0};
  }
  *y = prev;
  return Status::OK();
}

void check_round_trip(const std::string& path) {
  Graph g;
  Endpoint x, y;
  CHECK_OK(build(&g, &x, &y));
  std::string bytes;
  CHECK_OK(serialize_model(g, {x}, {y}, &bytes));
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

  Model model;
  CHECK_OK(load_model_file(path, &model));
  CHECK(model.graph->num_nodes() == 5);
  CHECK(model.inputs.size() == 1 && model.inputs[0].name == "x");
  CHECK(model.inputs[0].shape == Shape({-1, 3}));
  CHECK(model.outputs.size() == 1 && model.outputs[0].name == "Add");
  CHECK(model.outputs[0].dtype == DType::kFloat32);
  CHECK(model.op_libraries.empty());  // only tensorlib's own ops
  std::vector<ModelOpLibrary> libraries = {{"Op", "libop.so"}};
  CHECK_OK(read_model_op_libraries(bytes.data(), bytes.size(), &libraries));
  CHECK(libraries.empty());
  const auto* begin = static_cast<const uint8_t*>(model.bytes->data());
  for (int32_t id = 0; id < model.graph->num_nodes(); ++id) {
    const Tensor* value = model.graph->constant_value(Endpoint{id, 0});
    if (!value) continue;
    const auto* p = static_cast<const uint8_t*>(value->raw_data());
    CHECK(p >= begin && p + value->num_bytes() <= begin + model.bytes->size());  // borrowed
    CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
    CHECK(!value->buffer()->owned());
  }

  Session session(model.graph, SessionOptions{});
  int64_t callable;
  CHECK_OK(session.make_callable({model.inputs[0].endpoint}, {model.outputs[0].endpoint}, {},
                                 &callable));
  float in[6] = {1, 2, 3, 4, 5, 6};
  Tensor feed = Tensor::borrow(DType::kFloat32, Shape({2, 3}), in), out;
  CHECK_OK(session.run_callable(callable, &feed, &out));
  for (int i = 0; i < 6; ++i) CHECK(out.data<float>()[i] == in[i] * (2.0f + i % 3) + 0.5f);

  // The model outlives the Model object: the graph's constants keep the mapping alive.
  std::shared_ptr<Graph> graph = model.graph;
  model = Model();
  Session again(graph, SessionOptions{});
  CHECK_OK(again.make_callable({Endpoint{0, 0}}, {y}, {}, &callable));
  CHECK_OK(again.run_callable(callable, &feed, &out));
  CHECK(out.data<float>()[5] == 6 * 4.0f + 0.5f);

  // Damaged copies are refused with the documented codes.
  Model bad;
  CHECK(load_model(bytes.data(), bytes.size() - 1, &bad).code() == StatusCode::kDataLoss);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x20;
  CHECK(load_model(flipped.data(), flipped.size(), &bad).code() == StatusCode::kDataLoss);
  CHECK(load_model("garbage!", 8, &bad).code() == StatusCode::kInvalidArgument);
  CHECK(read_model_op_libraries(bytes.data(), bytes.size() - 1, &libraries).code() ==
        StatusCode::kDataLoss);
  CHECK(read_model_op_libraries(flipped.data(), flipped.size(), &libraries).code() ==
        StatusCode::kDataLoss);
  CHECK(load_model_file(path + ".missing", &bad).code() == StatusCode::kNotFound);
  // Bytes in memory that are not 64-byte aligned are copied once, then load the same.
  std::vector<char> shifted(bytes.size() + 1);
  std::copy(bytes.begin(), bytes.end(), shifted.begin() + 1);
  CHECK_OK(load_model(shifted.data() + 1, bytes.size(), &bad));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::printf("usage: %s <scratch model path>\n", argv[0]);
    return 2;
  }
  check_round_trip(argv[1]);
  if (g_failures) {
    std::printf("%d checks failed\n", g_failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
