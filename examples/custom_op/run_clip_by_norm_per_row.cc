// Runs a model that uses ClipByNormPerRow from C++, with no Python: loads the op library, then
// the model file (which names the library its op comes from) with tl::Interpreter, feeds it a
// batch of float32 rows read from a file and writes its outputs.
//
//   run_clip_by_norm_per_row LIBRARY MODEL INPUT OUTPUT
//
// INPUT holds the rows of the model's one float32 input, raw (native byte order), as many as
// the file holds. OUTPUT receives every output's float32 values, raw, one output after the
// other; each output's name and shape are printed:
//
//   run_clip_by_norm_per_row build/libclip_by_norm_per_row.so model.tlm input.f32 output.f32
//   logits/BiasAdd: [5,3]
//   clip:1: [5]
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "tensorlib/interpreter.h"
#include "tensorlib/op_library.h"

namespace {

tl::Status read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::not_found("cannot open '" + path + "'");
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return tl::Status::OK();
}

tl::Status run(int argc, char** argv) {
  if (argc != 5) {
    return tl::invalid_argument("usage: run_clip_by_norm_per_row LIBRARY MODEL INPUT OUTPUT");
  }
  // The library first: the model's ClipByNormPerRow nodes need the op registered to load.
  std::vector<std::string> ops;
  TL_RETURN_IF_ERROR(tl::load_op_library(argv[1], &ops));
  // One thread: the same results, bit for bit, as a session run with one thread.
  tl::InterpreterOptions options;
  options.num_threads = 1;
  std::unique_ptr<tl::Interpreter> interpreter;
  TL_RETURN_IF_ERROR(tl::Interpreter::from_file(argv[2], options, &interpreter));
  if (interpreter->num_inputs() != 1 || interpreter->input(0).dtype != tl::DType::kFloat32) {
    return tl::invalid_argument("the model must have one float32 input");
  }
  // The input's signature is [-1, columns]: the file holds some number of rows.
  const tl::Shape& signature = interpreter->input(0).shape_signature;
  if (signature.rank() != 2 || signature.dim(1) <= 0) {
    return tl::invalid_argument("the model's input must be of shape [-1, columns], not " +
                                signature.to_string());
  }
  const int64_t columns = signature.dim(1);
  std::string input;
  TL_RETURN_IF_ERROR(read_file(argv[3], &input));
  const size_t row_bytes = static_cast<size_t>(columns) * sizeof(float);
  if (input.size() % row_bytes != 0) {
    return tl::invalid_argument("'" + std::string(argv[3]) + "' does not hold rows of " +
                                std::to_string(columns) + " floats");
  }
  const int64_t rows = static_cast<int64_t>(input.size() / row_bytes);

  TL_RETURN_IF_ERROR(interpreter->resize_input(0, tl::Shape({rows, columns})));
  TL_RETURN_IF_ERROR(interpreter->allocate_tensors());
  TL_RETURN_IF_ERROR(interpreter->set_input(0, input.data(), input.size()));
  TL_RETURN_IF_ERROR(interpreter->invoke());

  std::ofstream out(argv[4], std::ios::binary);
  for (int i = 0; i < interpreter->num_outputs(); ++i) {
    const tl::Tensor& t = interpreter->output_tensor(i);
    const std::string& name = interpreter->output(i).name;
    if (t.dtype() != tl::DType::kFloat32) {
      return tl::invalid_argument("output '" + name + "' is not float32");
    }
    out.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.num_bytes()));
    std::printf("%s: %s\n", name.c_str(), t.shape().to_string().c_str());
  }
  if (!out.flush()) return tl::invalid_argument("cannot write '" + std::string(argv[4]) + "'");
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
