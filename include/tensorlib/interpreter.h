// The runtime: runs a model file (model.h) from C++, with no Python involved.
//
// An Interpreter owns one loaded model's run state: its inputs' buffers, a graph specialised to
// the current input shapes, the executor's plan and the last outputs. Its life follows TFLite's:
// load, (resize inputs), allocate tensors, then set inputs, invoke and read outputs as often as
// needed. allocate_tensors fixes every input's shape, infers every other shape from them and
// compiles the plan once, so that invoke only runs kernels.
//
//   std::unique_ptr<tl::Interpreter> interp;
//   TL_RETURN_IF_ERROR(tl::Interpreter::from_file("model.tlm", {}, &interp));
//   TL_RETURN_IF_ERROR(interp->resize_input(0, tl::Shape({8, 784})));  // a batch of 8
//   TL_RETURN_IF_ERROR(interp->allocate_tensors());
//   TL_RETURN_IF_ERROR(interp->set_input(0, pixels, 8 * 784 * sizeof(float)));
//   TL_RETURN_IF_ERROR(interp->invoke());
//   const tl::Tensor& probs = interp->output_tensor(0);   // 8 x 10 floats
//
// Every call returns its Status; the interpreter also keeps the first failure since the last
// clear_errors() (error()), so that a sequence of calls can be checked once at its end.
//
// Threads: an Interpreter is not thread-safe; calls on one Interpreter must not overlap (guard
// it with a mutex, or give each thread its own). Interpreters are independent of each other and
// may run at the same time, including several made from one Model, which they share read-only
// (its weights are never copied). invoke itself runs the model's kernels on up to
// InterpreterOptions::num_threads threads of the process's thread pool.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tensorlib/model.h"
#include "tensorlib/session.h"
#include "tensorlib/status.h"
#include "tensorlib/tensor.h"

namespace tl {

struct InterpreterOptions {
  int num_threads = 0;  // <= 0: the process default (see set_default_num_threads)
  // How from_file gets the file: read into memory (the default: the interpreter never sees
  // later changes to the file) or mapped (no copy of the weights, but the file must not be
  // truncated or rewritten in place while the interpreter lives: see ModelFileAccess::kMap).
  ModelFileAccess file_access = ModelFileAccess::kRead;
};

// What a caller needs to know of an input or output.
struct TensorDetails {
  std::string name;       // as in the model: the node's name, ":index" for outputs other than 0
  int index = 0;          // inputs are 0 .. num_inputs-1, outputs follow them
  DType dtype = DType::kInvalid;
  Shape shape;            // now: fully defined for inputs once allocated (outputs once inferred
                          // or invoked); otherwise as shape_signature
  Shape shape_signature;  // as in the model: -1 for dims any size will do (or unknown rank)
};

class Interpreter {
 public:
  // An interpreter for the model file at `path`, read into memory or mapped as
  // options.file_access says.
  static Status from_file(const std::string& path, const InterpreterOptions& options,
                          std::unique_ptr<Interpreter>* out);
  // An interpreter for the model in `size` bytes at `data`, copied once (not used after the
  // call returns).
  static Status from_buffer(const void* data, size_t size, const InterpreterOptions& options,
                            std::unique_ptr<Interpreter>* out);
  // An interpreter for an already loaded model, shared with whoever else uses it.
  static Status from_model(std::shared_ptr<const Model> model, const InterpreterOptions& options,
                           std::unique_ptr<Interpreter>* out);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  const TensorDetails& input(int i) const { return inputs_[i]; }
  const TensorDetails& output(int i) const { return outputs_[i]; }
  // The input or output called `name`, or -1.
  int input_index(const std::string& name) const;
  int output_index(const std::string& name) const;
  const Model& model() const { return *model_; }

  // Gives input `i` a new shape (typically another batch size), as TFLite's
  // ResizeInputTensor: any shape, even one its signature fixes otherwise (a model converted
  // with a batch of 1 runs batches of 16); allocate_tensors then tells whether the model can
  // take it. Takes effect at the next allocate_tensors, which invoke then needs first.
  Status resize_input(int i, const Shape& shape);
  // resize_input that changes only the dims the signature leaves open (-1), as TFLite's
  // ResizeInputTensorStrict.
  Status resize_input_strict(int i, const Shape& shape);
  // Fixes the inputs' shapes (an open dim that was not resized is 1, as in TFLite; an input of
  // unknown rank must be resized), infers every other shape from them again (failing where the
  // graph cannot take them, e.g. a reshape to a fixed size) and compiles the model for them.
  // Allocates every input's buffer, zero-filled.
  Status allocate_tensors();
  // Input `i`'s own buffer, to write the input into in place (input `i` reads it again from
  // now on, if it was borrowing). Null before allocate_tensors.
  Tensor* input_tensor(int i);
  // Copies `bytes` bytes at `data` into input `i`; `bytes` must be its size exactly.
  Status set_input(int i, const void* data, size_t bytes);
  // Makes input `i` read the caller's memory at `data` (`bytes` long, its size exactly; at
  // least 4-byte aligned) instead of its own buffer, with no copy, until the next set_input,
  // set_input_borrowed, input_tensor or allocate_tensors. The caller keeps the memory alive
  // and unchanged while invoke runs.
  Status set_input_borrowed(int i, void* data, size_t bytes);
  // Runs the model on the current inputs.
  Status invoke();
  // Output `i` of the last successful invoke (invalid before the first). Its buffer is the
  // output's own: later invokes make new ones and never write into it.
  const Tensor& output_tensor(int i) const { return output_values_[i]; }
  // Copies output `i` into `bytes` bytes at `data`; `bytes` must be its size exactly.
  Status get_output(int i, void* data, size_t bytes) const;

  // The first failure since the last clear_errors(), or OK.
  const Status& error() const { return error_; }
  void clear_errors() { error_ = Status(); }

 private:
  Interpreter(std::shared_ptr<const Model> model, const InterpreterOptions& options);
  // Records a failure in error_ (if it is the first) and returns it.
  Status note(Status status) const;
  Status check_index(int i) const;
  Status check_input(int i) const;  // also that tensors are allocated
  Status check_resize(int i, const Shape& shape) const;
  Status specialize();

  std::shared_ptr<const Model> model_;
  InterpreterOptions options_;
  std::vector<TensorDetails> inputs_;
  std::vector<TensorDetails> outputs_;
  // Set by allocate_tensors: the model's graph with the inputs' shapes fixed, its session and
  // plan, the inputs' values (own buffers or borrowed memory) and the last outputs.
  std::unique_ptr<Session> session_;
  int64_t callable_ = -1;
  bool allocated_ = false;
  std::vector<Tensor> input_buffers_;
  std::vector<Tensor> input_values_;
  std::vector<Tensor> output_values_;
  std::vector<Tensor> scratch_;  // invoke's outputs until it succeeds
  mutable Status error_;
};

}  // namespace tl
