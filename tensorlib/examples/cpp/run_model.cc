// Runs a tensorlib model file from C++: one .npy file per input in, one per output out.
//
//   run_model MODEL INPUT.npy... [-o OUTPUT.npy...] [--threads N] [--repeat N]
//
// Every input is resized to its array's shape (another batch size needs no new model), read
// in place (no copy: the interpreter borrows the array's memory), the model runs, and each
// output is written to its file (or its shape and first values printed). --repeat N runs the
// model N more times and prints the median time of a run.
//
//   $ run_model mlp.tlm digits.npy -o probs.npy
//   input  0 'x' float32 [?,784] <- digits.npy [64,784]
//   output 0 'probs' float32 [?,10] -> probs.npy [64,10]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "npy.h"
#include "tensorlib/interpreter.h"

namespace {

struct Args {
  std::string model;
  std::vector<std::string> inputs, outputs;
  int threads = 0;
  int repeat = 0;
};

tl::Status parse(int argc, char** argv, Args* args) {
  std::vector<std::string>* files = &args->inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--threads" || a == "--repeat") && i + 1 < argc) {
      (a == "--threads" ? args->threads : args->repeat) = std::atoi(argv[++i]);
    } else if (a == "-o") {
      files = &args->outputs;
    } else if (args->model.empty()) {
      args->model = a;
    } else {
      files->push_back(a);
    }
  }
  if (args->model.empty()) {
    return tl::invalid_argument(
        "usage: run_model MODEL INPUT.npy... [-o OUTPUT.npy...] [--threads N] [--repeat N]");
  }
  return tl::Status::OK();
}

void print_values(const tl::Tensor& t) {
  const int64_t n = std::min<int64_t>(t.num_elements(), 6);
  for (int64_t i = 0; i < n; ++i) {
    if (t.dtype() == tl::DType::kFloat32) std::printf(" %g", t.data<float>()[i]);
    if (t.dtype() == tl::DType::kFloat64) std::printf(" %g", t.data<double>()[i]);
    if (t.dtype() == tl::DType::kInt32) std::printf(" %d", t.data<int32_t>()[i]);
    if (t.dtype() == tl::DType::kInt64) std::printf(" %lld", (long long)t.data<int64_t>()[i]);
  }
  std::printf(t.num_elements() > n ? " ...\n" : "\n");
}

tl::Status run(const Args& args) {
  tl::InterpreterOptions options;
  options.num_threads = args.threads;
  std::unique_ptr<tl::Interpreter> interp;
  TL_RETURN_IF_ERROR(tl::Interpreter::from_file(args.model, options, &interp));
  if (static_cast<int>(args.inputs.size()) != interp->num_inputs()) {
    return tl::invalid_argument("the model takes " + std::to_string(interp->num_inputs()) +
                                " input(s), " + std::to_string(args.inputs.size()) + " given");
  }
  std::vector<tl::Tensor> arrays(args.inputs.size());
  for (int i = 0; i < interp->num_inputs(); ++i) {
    TL_RETURN_IF_ERROR(read_npy(args.inputs[i], &arrays[i]));
    const tl::TensorDetails& d = interp->input(i);
    std::printf("input  %d '%s' %s %s <- %s %s\n", i, d.name.c_str(), tl::dtype_name(d.dtype),
                d.shape_signature.to_string().c_str(), args.inputs[i].c_str(),
                arrays[i].shape().to_string().c_str());
    if (arrays[i].dtype() != d.dtype) {
      return tl::invalid_argument(args.inputs[i] + " holds " +
                                  tl::dtype_name(arrays[i].dtype()) + ", the input is " +
                                  tl::dtype_name(d.dtype));
    }
    TL_RETURN_IF_ERROR(interp->resize_input(i, arrays[i].shape()));
  }
  TL_RETURN_IF_ERROR(interp->allocate_tensors());
  for (int i = 0; i < interp->num_inputs(); ++i) {
    TL_RETURN_IF_ERROR(
        interp->set_input_borrowed(i, arrays[i].raw_data(), arrays[i].num_bytes()));
  }
  TL_RETURN_IF_ERROR(interp->invoke());

  for (int i = 0; i < interp->num_outputs(); ++i) {
    const tl::TensorDetails& d = interp->output(i);
    const tl::Tensor& t = interp->output_tensor(i);
    std::printf("output %d '%s' %s %s", i, d.name.c_str(), tl::dtype_name(d.dtype),
                d.shape_signature.to_string().c_str());
    if (i < static_cast<int>(args.outputs.size())) {
      TL_RETURN_IF_ERROR(write_npy(args.outputs[i], t));
      std::printf(" -> %s %s\n", args.outputs[i].c_str(), t.shape().to_string().c_str());
    } else {
      std::printf(" %s:", t.shape().to_string().c_str());
      print_values(t);
    }
  }

  if (args.repeat > 0) {
    std::vector<double> us;
    for (int r = 0; r < args.repeat; ++r) {
      const auto start = std::chrono::steady_clock::now();
      TL_RETURN_IF_ERROR(interp->invoke());
      us.push_back(std::chrono::duration<double, std::micro>(
                       std::chrono::steady_clock::now() - start)
                       .count());
    }
    std::nth_element(us.begin(), us.begin() + us.size() / 2, us.end());
    std::printf("invoke: median %.2f us over %d runs\n", us[us.size() / 2], args.repeat);
  }
  return tl::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  tl::Status s = parse(argc, argv, &args);
  if (s.ok()) s = run(args);
  if (!s.ok()) {
    std::fprintf(stderr, "run_model: %s\n", s.to_string().c_str());
    return 1;
  }
  return 0;
}
