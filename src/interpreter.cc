// The runtime: a model's graph specialised to its inputs' shapes and run by one Session plan.
#include "tensorlib/interpreter.h"

#include <cstdint>
#include <cstring>
#include <utility>

namespace tl {
namespace {

std::string tensor_label(const TensorDetails& t) { return "'" + t.name + "'"; }

TensorDetails details_of(const ModelTensor& t, int index) {
  TensorDetails d;
  d.name = t.name;
  d.index = index;
  d.dtype = t.dtype;
  d.shape = t.shape;
  d.shape_signature = t.shape;
  return d;
}

// The shape an input starts with: its signature, open dims taken as 1.
Shape default_shape(const Shape& signature) {
  if (!signature.rank_known()) return signature;
  Shape s = signature;
  for (int i = 0; i < s.rank(); ++i) {
    if (s.dim(i) < 0) s.set_dim(i, 1);
  }
  return s;
}

Status check_bytes(const Tensor& t, size_t bytes, const TensorDetails& d) {
  if (t.dtype() == DType::kString) {
    return unimplemented("input " + tensor_label(d) + " holds strings: write them through "
                         "input_tensor()");
  }
  if (bytes != t.num_bytes()) {
    return invalid_argument("input " + tensor_label(d) + " of shape " + t.shape().to_string() +
                            " and dtype " + dtype_name(t.dtype()) + " takes " +
                            std::to_string(t.num_bytes()) + " bytes, not " +
                            std::to_string(bytes));
  }
  return Status::OK();
}

}  // namespace

Interpreter::Interpreter(std::shared_ptr<const Model> model, const InterpreterOptions& options)
    : model_(std::move(model)), options_(options) {
  for (const ModelTensor& t : model_->inputs) {
    inputs_.push_back(details_of(t, num_inputs()));
    inputs_.back().shape = default_shape(t.shape);
  }
  for (const ModelTensor& t : model_->outputs) {
    outputs_.push_back(details_of(t, num_inputs() + num_outputs()));
  }
  output_values_.resize(outputs_.size());
}

Interpreter::~Interpreter() = default;

Status Interpreter::from_model(std::shared_ptr<const Model> model,
                               const InterpreterOptions& options,
                               std::unique_ptr<Interpreter>* out) {
  if (!model || !model->graph) return invalid_argument("no model to interpret");
  out->reset(new Interpreter(std::move(model), options));
  return Status::OK();
}

Status Interpreter::from_file(const std::string& path, const InterpreterOptions& options,
                              std::unique_ptr<Interpreter>* out) {
  auto model = std::make_shared<Model>();
  TL_RETURN_IF_ERROR(load_model_file(path, model.get(), options.file_access));
  return from_model(std::move(model), options, out);
}

Status Interpreter::from_buffer(const void* data, size_t size, const InterpreterOptions& options,
                                std::unique_ptr<Interpreter>* out) {
  auto model = std::make_shared<Model>();
  TL_RETURN_IF_ERROR(load_model(data, size, model.get()));
  return from_model(std::move(model), options, out);
}

int Interpreter::input_index(const std::string& name) const {
  for (const TensorDetails& t : inputs_) {
    if (t.name == name) return t.index;
  }
  return -1;
}

int Interpreter::output_index(const std::string& name) const {
  for (const TensorDetails& t : outputs_) {
    if (t.name == name) return t.index - num_inputs();
  }
  return -1;
}

Status Interpreter::note(Status status) const {
  if (!status.ok() && error_.ok()) error_ = status;
  return status;
}

Status Interpreter::check_index(int i) const {
  if (i < 0 || i >= num_inputs()) {
    return invalid_argument("input index " + std::to_string(i) +
                            " is out of range: the model has " + std::to_string(num_inputs()) +
                            " input(s)");
  }
  return Status::OK();
}

Status Interpreter::check_input(int i) const {
  TL_RETURN_IF_ERROR(check_index(i));
  if (!allocated_) {
    return failed_precondition("call allocate_tensors() before setting or reading inputs");
  }
  return Status::OK();
}

Status Interpreter::check_resize(int i, const Shape& shape) const {
  TL_RETURN_IF_ERROR(check_index(i));
  if (!shape.is_fully_defined()) {
    return invalid_argument("input " + tensor_label(inputs_[i]) + " cannot be resized to " +
                            shape.to_string() + ": every dim must be known");
  }
  return check_size(shape);
}

Status Interpreter::resize_input_strict(int i, const Shape& shape) {
  TL_RETURN_IF_ERROR(note(check_resize(i, shape)));
  const TensorDetails& d = inputs_[i];
  if (!shape.is_compatible_with(d.shape_signature)) {
    return note(invalid_argument("input " + tensor_label(d) + " has shape signature " +
                                 d.shape_signature.to_string() + ": a strict resize changes "
                                 "only its -1 dims, which " + shape.to_string() +
                                 " does not (resize without strict to change the others)"));
  }
  return resize_input(i, shape);
}

Status Interpreter::resize_input(int i, const Shape& shape) {
  TL_RETURN_IF_ERROR(note(check_resize(i, shape)));
  TensorDetails& d = inputs_[i];
  if (shape != d.shape || !allocated_) {
    d.shape = shape;
    allocated_ = false;
  }
  return Status::OK();
}

// Copies the model's graph node by node (so each is shape-inferred again), fixing each input's
// shape as soon as its node is in, so that everything downstream is inferred from it.
Status Interpreter::specialize() {
  const Graph& source = *model_->graph;
  auto graph = std::make_shared<Graph>(source.shared_functions());
  std::vector<std::pair<Endpoint, Shape>> shapes;
  for (int i = 0; i < num_inputs(); ++i) {
    shapes.emplace_back(model_->inputs[i].endpoint, inputs_[i].shape);
  }
  // The inputs' shapes replace those the model declares (a resize may change a fixed dim).
  Status specialized = specialize_graph(source, shapes, graph.get(), true);
  if (!specialized.ok()) {
    for (int i = 0; i < num_inputs(); ++i) {
      if (model_->inputs[i].endpoint.node == specialized.node()) {
        return invalid_argument("input " + tensor_label(inputs_[i]) + ": " +
                                specialized.message());
      }
    }
    std::string inputs;
    for (const TensorDetails& d : inputs_) {
      inputs += (inputs.empty() ? "" : ", ") + tensor_label(d) + " " + d.shape.to_string();
    }
    const std::string where =
        specialized.node() >= 0 ? " at node '" + source.node(specialized.node()).name + "'" : "";
    return Status(specialized.code(), "the model cannot take the input shapes " + inputs +
                                          where + ": " + specialized.message());
  }
  std::vector<Endpoint> feeds, fetches;
  for (const ModelTensor& t : model_->inputs) feeds.push_back(t.endpoint);
  for (const ModelTensor& t : model_->outputs) fetches.push_back(t.endpoint);
  SessionOptions options;
  options.intra_op_threads = options_.num_threads;
  auto session = std::make_unique<Session>(graph, options);
  int64_t callable;
  TL_RETURN_IF_ERROR(session->make_callable(feeds, fetches, {}, &callable));
  for (int i = 0; i < num_outputs(); ++i) {
    const Endpoint& e = model_->outputs[i].endpoint;
    outputs_[i].shape = graph->node(e.node).output_shapes[e.index];
  }
  session_ = std::move(session);
  callable_ = callable;
  return Status::OK();
}

Status Interpreter::allocate_tensors() {
  allocated_ = false;
  for (const TensorDetails& d : inputs_) {
    if (!d.shape.is_fully_defined()) {
      return note(failed_precondition("input " + tensor_label(d) + " has shape " +
                                      d.shape.to_string() +
                                      ": give it one with resize_input before allocate_tensors"));
    }
  }
  std::vector<Tensor> buffers(inputs_.size());
  for (int i = 0; i < num_inputs(); ++i) {
    TL_RETURN_IF_ERROR(note(Tensor::allocate(inputs_[i].dtype, inputs_[i].shape, &buffers[i])));
    if (inputs_[i].dtype != DType::kString) {
      std::memset(buffers[i].raw_data(), 0, buffers[i].num_bytes());
    }
  }
  TL_RETURN_IF_ERROR(note(specialize()));
  input_values_ = buffers;
  input_buffers_ = std::move(buffers);
  for (Tensor& t : output_values_) t = Tensor();
  allocated_ = true;
  return Status::OK();
}

Tensor* Interpreter::input_tensor(int i) {
  if (!check_input(i).ok()) return nullptr;
  input_values_[i] = input_buffers_[i];
  return &input_buffers_[i];
}

Status Interpreter::set_input(int i, const void* data, size_t bytes) {
  TL_RETURN_IF_ERROR(note(check_input(i)));
  Tensor& t = input_buffers_[i];
  TL_RETURN_IF_ERROR(note(check_bytes(t, bytes, inputs_[i])));
  if (bytes > 0) std::memcpy(t.raw_data(), data, bytes);
  input_values_[i] = t;
  return Status::OK();
}

Status Interpreter::set_input_borrowed(int i, void* data, size_t bytes) {
  TL_RETURN_IF_ERROR(note(check_input(i)));
  const Tensor& own = input_buffers_[i];
  TL_RETURN_IF_ERROR(note(check_bytes(own, bytes, inputs_[i])));
  if (bytes > 0 && (data == nullptr || reinterpret_cast<uintptr_t>(data) % 4 != 0)) {
    return note(invalid_argument("input " + tensor_label(inputs_[i]) +
                                 ": borrowed memory must be non-null and 4-byte aligned"));
  }
  input_values_[i] = Tensor::borrow(own.dtype(), own.shape(), data);
  return Status::OK();
}

Status Interpreter::invoke() {
  if (!allocated_) {
    return note(failed_precondition(
        session_ ? "an input was resized: call allocate_tensors() again before invoke()"
                 : "call allocate_tensors() before invoke()"));
  }
  // The outputs land in scratch_ first, so that a failed run leaves the last ones readable.
  scratch_.resize(outputs_.size());
  Status s = session_->run_callable(callable_, input_values_.data(), scratch_.data());
  if (!s.ok()) {
    for (Tensor& t : scratch_) t = Tensor();
    return note(s);
  }
  output_values_.swap(scratch_);
  for (int i = 0; i < num_outputs(); ++i) {
    outputs_[i].shape = output_values_[i].shape();
    scratch_[i] = Tensor();
  }
  return Status::OK();
}

Status Interpreter::get_output(int i, void* data, size_t bytes) const {
  if (i < 0 || i >= num_outputs()) {
    return note(invalid_argument("output index " + std::to_string(i) +
                                 " is out of range: the model has " +
                                 std::to_string(num_outputs()) + " output(s)"));
  }
  const Tensor& t = output_values_[i];
  if (!t.valid()) return note(failed_precondition("no output yet: call invoke() first"));
  if (t.dtype() == DType::kString) {
    return note(unimplemented("output " + tensor_label(outputs_[i]) +
                              " holds strings: read them through output_tensor()"));
  }
  if (bytes != t.num_bytes()) {
    return note(invalid_argument("output " + tensor_label(outputs_[i]) + " of shape " +
                                 t.shape().to_string() + " takes " +
                                 std::to_string(t.num_bytes()) + " bytes, not " +
                                 std::to_string(bytes)));
  }
  if (bytes > 0) std::memcpy(data, t.raw_data(), bytes);
  return Status::OK();
}

}  // namespace tl
