// The C++ runtime without Python: tl::Interpreter on a model file written by the Python
// converter (tests/test_interpreter.py writes it, with inputs and the outputs Session.run gave).
//
//   test_interpreter MODEL INPUT BATCH_OUTPUT ROW_OUTPUTS
//
// MODEL has one float32 input of shape [-1, d] and one float32 output of shape [-1, k]; INPUT
// holds n x d floats, BATCH_OUTPUT the n x k that Session.run gave for all rows at once and
// ROW_OUTPUTS the n x k it gave for each row alone (raw little-endian; results may differ in
// the last bits between batch sizes, never between runtimes). Checks details, the batch-1 and
// batch-n results (bitwise), copy and zero-copy inputs, the file read or mapped, strict and
// non-strict resizes, errors and clear_errors, and that interpreters sharing one Model run on
// several threads at once with the same results.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tensorlib/interpreter.h"

#include "check.h"

using namespace tl;

namespace {

std::vector<float> read_floats(const char* path) {
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

bool same_bits(const Tensor& t, const float* expected, size_t n) {
  return t.valid() && static_cast<size_t>(t.num_elements()) == n &&
         std::memcmp(t.raw_data(), expected, n * sizeof(float)) == 0;
}

struct Data {
  std::vector<float> input, expected, rows;  // expected: for the batch; rows: one by one
  int64_t n = 0, d = 0, k = 0;
};

void details_and_batches(const char* model_path, const Data& data) {
  std::unique_ptr<Interpreter> interp;
  CHECK_OK(Interpreter::from_file(model_path, InterpreterOptions{}, &interp));
  CHECK(interp->num_inputs() == 1 && interp->num_outputs() == 1);
  CHECK(interp->input(0).name == "x" && interp->input(0).index == 0);
  CHECK(interp->output(0).index == 1 && interp->output_index(interp->output(0).name) == 0);
  CHECK(interp->input_index("x") == 0 && interp->input_index("nope") == -1);
  CHECK(interp->input(0).dtype == DType::kFloat32);
  CHECK(interp->input(0).shape_signature == Shape({-1, data.d}));
  CHECK(interp->input(0).shape == Shape({1, data.d}));  // open dims start at 1

  // Batch 1: row 0.
  CHECK_OK(interp->allocate_tensors());
  CHECK(interp->output(0).shape == Shape({1, data.k}));
  CHECK_OK(interp->set_input(0, data.input.data(), data.d * sizeof(float)));
  CHECK_OK(interp->invoke());
  CHECK(same_bits(interp->output_tensor(0), data.rows.data(), data.k));
  std::vector<float> copy(data.k);
  CHECK_OK(interp->get_output(0, copy.data(), copy.size() * sizeof(float)));
  CHECK(std::memcmp(copy.data(), data.rows.data(), copy.size() * sizeof(float)) == 0);

  // Batch n through the input's own buffer, then zero-copy from ours.
  CHECK_OK(interp->resize_input(0, Shape({data.n, data.d})));
  CHECK(interp->invoke().code() == StatusCode::kFailedPrecondition);  // not allocated again
  interp->clear_errors();
  CHECK_OK(interp->allocate_tensors());
  CHECK(interp->output(0).shape == Shape({data.n, data.k}));
  Tensor* in = interp->input_tensor(0);
  CHECK(in != nullptr && in->num_elements() == data.n * data.d);
  std::memcpy(in->raw_data(), data.input.data(), data.input.size() * sizeof(float));
  CHECK_OK(interp->invoke());
  CHECK(same_bits(interp->output_tensor(0), data.expected.data(), data.expected.size()));
  const Tensor first = interp->output_tensor(0);
  std::vector<float> mine = data.input;
  CHECK_OK(interp->set_input_borrowed(0, mine.data(), mine.size() * sizeof(float)));
  CHECK_OK(interp->invoke());
  CHECK(same_bits(interp->output_tensor(0), data.expected.data(), data.expected.size()));
  // The earlier output kept its own buffer and values.
  CHECK(first.raw_data() != interp->output_tensor(0).raw_data());
  CHECK(same_bits(first, data.expected.data(), data.expected.size()));
  CHECK(interp->error().ok());
}

void errors_are_kept_until_cleared(const char* model_path, const Data& data) {
  std::unique_ptr<Interpreter> interp;
  CHECK_OK(Interpreter::from_file(model_path, InterpreterOptions{}, &interp));
  CHECK(interp->invoke().code() == StatusCode::kFailedPrecondition);  // not allocated
  CHECK(interp->set_input(0, data.input.data(), 4).code() == StatusCode::kFailedPrecondition);
  CHECK(interp->input_tensor(0) == nullptr);
  // The first failure is the one kept.
  CHECK(interp->error().code() == StatusCode::kFailedPrecondition);
  CHECK(interp->resize_input_strict(0, Shape({2, data.d + 1})).code() ==
        StatusCode::kInvalidArgument);  // a dim the signature fixes
  CHECK(interp->resize_input(3, Shape({2, data.d})).code() == StatusCode::kInvalidArgument);
  CHECK(interp->resize_input(0, Shape({-1, data.d})).code() == StatusCode::kInvalidArgument);
  CHECK(interp->error().code() == StatusCode::kFailedPrecondition);
  interp->clear_errors();
  CHECK(interp->error().ok());
  CHECK_OK(interp->allocate_tensors());
  CHECK(interp->set_input(0, data.input.data(), 3).code() == StatusCode::kInvalidArgument);
  CHECK(interp->set_input(1, data.input.data(), 4).code() == StatusCode::kInvalidArgument);
  CHECK(interp->get_output(0, nullptr, 0).code() == StatusCode::kFailedPrecondition);
  CHECK(interp->error().code() == StatusCode::kInvalidArgument);
  interp->clear_errors();
  CHECK_OK(interp->set_input(0, data.input.data(), data.d * sizeof(float)));
  CHECK_OK(interp->invoke());
  CHECK(interp->error().ok());

  // A non-strict resize takes a shape the signature fixes otherwise; allocate_tensors then
  // finds that the weights cannot take d + 1 features, naming the node, and the interpreter
  // works again once resized back.
  CHECK_OK(interp->resize_input(0, Shape({2, data.d + 1})));
  const Status unfit = interp->allocate_tensors();
  CHECK(unfit.code() == StatusCode::kInvalidArgument);
  CHECK(unfit.message().find("cannot take the input shapes 'x' [2,") != std::string::npos);
  CHECK(unfit.message().find("at node '") != std::string::npos);
  interp->clear_errors();
  CHECK_OK(interp->resize_input_strict(0, Shape({2, data.d})));
  CHECK_OK(interp->allocate_tensors());
  CHECK_OK(interp->set_input(0, data.input.data(), 2 * data.d * sizeof(float)));
  CHECK_OK(interp->invoke());

  std::unique_ptr<Interpreter> none;
  CHECK(Interpreter::from_file("/nonexistent/model.tlm", {}, &none).code() ==
        StatusCode::kNotFound);
  const char junk[] = "not a model";
  const Status junk_status = Interpreter::from_buffer(junk, sizeof(junk), {}, &none);
  CHECK(junk_status.code() == StatusCode::kDataLoss ||
        junk_status.code() == StatusCode::kInvalidArgument);
  CHECK(none == nullptr);
}

// A mapped model file gives the same results as one read into memory.
void mapped_file_runs_as_read(const char* model_path, const Data& data) {
  InterpreterOptions options;
  options.file_access = ModelFileAccess::kMap;
  std::unique_ptr<Interpreter> interp;
  CHECK_OK(Interpreter::from_file(model_path, options, &interp));
  CHECK_OK(interp->resize_input(0, Shape({data.n, data.d})));
  CHECK_OK(interp->allocate_tensors());
  CHECK_OK(interp->set_input(0, data.input.data(), data.input.size() * sizeof(float)));
  CHECK_OK(interp->invoke());
  CHECK(same_bits(interp->output_tensor(0), data.expected.data(), data.expected.size()));
}

// Interpreters that share one Model, one per thread, all invoking at once, each on its own
// rows, agree bitwise with the expected outputs.
void threads_share_one_model(const char* model_path, const Data& data) {
  auto model = std::make_shared<Model>();
  CHECK_OK(load_model_file(model_path, model.get()));
  constexpr int kThreads = 4;
  constexpr int kRounds = 50;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<Interpreter> interp;
      InterpreterOptions options;
      options.num_threads = 1 + t % 2;
      if (!Interpreter::from_model(model, options, &interp).ok() ||
          !interp->allocate_tensors().ok()) {
        ++failures[t];
        return;
      }
      for (int r = 0; r < kRounds; ++r) {
        const int64_t row = (t + r) % data.n;
        if (!interp->set_input(0, data.input.data() + row * data.d, data.d * sizeof(float))
                 .ok() ||
            !interp->invoke().ok() ||
            !same_bits(interp->output_tensor(0), data.rows.data() + row * data.k, data.k)) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) CHECK(failures[t] == 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MODEL INPUT BATCH_OUTPUT ROW_OUTPUTS\n", argv[0]);
    return 2;
  }
  Data data;
  data.input = read_floats(argv[2]);
  data.expected = read_floats(argv[3]);
  data.rows = read_floats(argv[4]);
  {
    Model model;
    Status s = load_model_file(argv[1], &model);
    if (!s.ok()) {
      std::printf("FAILED to load %s: %s\n", argv[1], s.to_string().c_str());
      return 1;
    }
    data.d = model.inputs[0].shape.dim(1);
    data.k = model.outputs[0].shape.dim(1);
  }
  data.n = static_cast<int64_t>(data.input.size()) / data.d;
  if (data.n < 2 || data.expected.size() != static_cast<size_t>(data.n * data.k) ||
      data.rows.size() != data.expected.size()) {
    std::printf("FAILED: input and expected sizes do not fit the model\n");
    return 1;
  }
  details_and_batches(argv[1], data);
  errors_are_kept_until_cleared(argv[1], data);
  mapped_file_runs_as_read(argv[1], data);
  threads_share_one_model(argv[1], data);
  if (g_failures == 0) std::printf("all checks passed\n");
  return g_failures == 0 ? 0 : 1;
}
