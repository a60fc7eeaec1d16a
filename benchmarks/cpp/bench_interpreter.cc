// Times tl::Interpreter on a model file with one float32 input and one float32 output, the way
// an application calls it: copy the input in, invoke, copy the output out.
//
//   bench_interpreter MODEL INPUT OUTPUT THREADS
//
// INPUT holds the input's raw bytes (its size must be the input's, as allocated from the
// model's input shape). After a few warm-up calls the program writes the output's raw bytes to
// OUTPUT, for the caller to check, and prints "ready". Then, for each number N it reads on
// stdin (one per line), it makes N calls and prints their seconds per call ("1.23e-05"), until
// stdin ends: the caller takes its samples when it likes, in turn with others.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "tensorlib/interpreter.h"

namespace {

constexpr int kWarmup = 3;

tl::Status read_file(const std::string& path, std::vector<char>* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::invalid_argument("cannot read " + path);
  bytes->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return tl::Status::OK();
}

tl::Status run(int argc, char** argv) {
  if (argc != 5) {
    return tl::invalid_argument("usage: bench_interpreter MODEL INPUT OUTPUT THREADS");
  }
  const std::string model_path = argv[1], input_path = argv[2], output_path = argv[3];
  tl::InterpreterOptions options;
  options.num_threads = std::atoi(argv[4]);

  std::unique_ptr<tl::Interpreter> interp;
  TL_RETURN_IF_ERROR(tl::Interpreter::from_file(model_path, options, &interp));
  if (interp->num_inputs() != 1 || interp->num_outputs() != 1) {
    return tl::invalid_argument("the model must have one input and one output");
  }
  TL_RETURN_IF_ERROR(interp->allocate_tensors());
  std::vector<char> input;
  TL_RETURN_IF_ERROR(read_file(input_path, &input));

  // One call: what a user of the runtime does for each sample.
  std::vector<char> output;
  auto call = [&]() -> tl::Status {
    TL_RETURN_IF_ERROR(interp->set_input(0, input.data(), input.size()));
    TL_RETURN_IF_ERROR(interp->invoke());
    output.resize(interp->output_tensor(0).num_bytes());
    return interp->get_output(0, output.data(), output.size());
  };

  for (int i = 0; i < kWarmup; ++i) TL_RETURN_IF_ERROR(call());
  std::ofstream out(output_path, std::ios::binary);
  out.write(output.data(), static_cast<std::streamsize>(output.size()));
  out.close();
  if (!out) return tl::invalid_argument("cannot write " + output_path);
  std::printf("ready\n");
  std::fflush(stdout);

  int64_t number = 0;
  while (std::cin >> number) {
    if (number <= 0) return tl::invalid_argument("the number of calls must be positive");
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < number; ++i) TL_RETURN_IF_ERROR(call());
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    std::printf("%.9g\n", elapsed.count() / number);
    std::fflush(stdout);
  }
  return tl::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  tl::Status s = run(argc, argv);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  return 0;
}
