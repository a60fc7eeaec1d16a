// Model files: a graph frozen for inference, in one file (layout in docs/model_format.md).
//
// A model is a graph with no variables (their values are constants), a list of input tensors to
// feed and a list of output tensors to fetch. serialize_model writes one; load_model reads one back
// into a fresh Graph whose every node went through Graph::add_node again (op checks and shape
// inference), with constants that point into the model's bytes instead of copies (weights are
// 64-byte aligned in the file; string constants, which the file stores as lengths and bytes, are
// the one exception and are copied). The bytes stay alive as long as anything uses them. Loading
// checks everything: a truncated, corrupted or hostile file gives an error status, never a crash
// (DataLoss for truncation and checksum failures, InvalidArgument for a malformed structure,
// NotFound for an op this build does not have, Unimplemented for a format version it cannot read).
//
// A model whose ops include ops of op libraries (op_library.h) names, for each such op, the file
// name of the library that declared it when the model was written (never a directory: a model
// does not choose what a program loads). Load those libraries before the model; a missing one
// gives a NotFound error that names it, and read_model_op_libraries lists them up front.
//
//   std::string bytes;
//   TL_RETURN_IF_ERROR(tl::serialize_model(graph, {x}, {y}, &bytes));
//
//   tl::Model model;
//   TL_RETURN_IF_ERROR(tl::load_model_file("model.tlm", &model));  // read; or mapped:
//   // tl::load_model_file("model.tlm", &model, tl::ModelFileAccess::kMap)
//   tl::Session session(model.graph, tl::SessionOptions{});
//   int64_t callable;
//   TL_RETURN_IF_ERROR(session.make_callable({model.inputs[0].endpoint},
//                                            {model.outputs[0].endpoint}, {}, &callable));
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tensorlib/dtype.h"
#include "tensorlib/graph.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"
#include "tensorlib/tensor.h"

namespace tl {

// The format version this build writes. It reads every file of the same major version.
constexpr uint16_t kModelVersionMajor = 1;
constexpr uint16_t kModelVersionMinor = 2;

// One input or output of a model.
struct ModelTensor {
  std::string name;   // the node's name, with ":index" added for outputs other than 0
  Endpoint endpoint;  // where it is in Model::graph
  DType dtype = DType::kInvalid;
  Shape shape;        // as known when the model was written: -1 dims, or unknown rank
};

// An op of a model that comes from an op library, and the library's file name.
struct ModelOpLibrary {
  std::string op;       // the op type, e.g. "ClipByNormPerRow"
  std::string library;  // a file name, no directory: e.g. "libclip_by_norm_per_row.so"
};

// A loaded model.
struct Model {
  std::shared_ptr<Graph> graph;
  std::vector<ModelTensor> inputs;
  std::vector<ModelTensor> outputs;
  std::vector<ModelOpLibrary> op_libraries;  // its ops that come from op libraries (format 1.1)
  std::shared_ptr<const Buffer> bytes;  // the model file's bytes, which constants point into
};

// Writes `graph` (every node) as a model whose inputs and outputs are the given endpoints,
// naming the op library (op_library_of) of each op that comes from one. Fails on a variable
// node (freeze variables into constants first) or an endpoint that is not in the graph.
Status serialize_model(const Graph& graph, const std::vector<Endpoint>& inputs,
                       const std::vector<Endpoint>& outputs, std::string* out);

// Loads the model in `bytes` without copying its weights: the graph's constants borrow them
// and keep `bytes` alive. Bytes that do not start on a 64-byte boundary are copied once into
// an aligned buffer first.
Status load_model(std::shared_ptr<const Buffer> bytes, Model* out);

// Loads a model from a copy of `size` bytes at `data` (not used after the call returns).
Status load_model(const void* data, size_t size, Model* out);

// How load_model_file gets a file's bytes.
enum class ModelFileAccess {
  // Read into memory: the model is the file as it was when loaded, whatever happens to the
  // file afterwards (rewritten, truncated, deleted).
  kRead,
  // Mapped read-only (MAP_PRIVATE), read into memory where it cannot be mapped: no copy, and
  // pages the kernel can drop and share between processes. NOTE: the file must then stay as it
  // is while the model is in use: a file truncated in place kills the process (SIGBUS) when a
  // weight past the new end is read, and one rewritten in place changes the weights under the
  // running model. Replace model files by renaming a new one over them (the old file lives on
  // until it is unmapped).
  kMap,
};

// Loads the model file at `path`, read into memory (or mapped: see ModelFileAccess). Both
// check the whole file (its checksums) before returning.
Status load_model_file(const std::string& path, Model* out,
                       ModelFileAccess access = ModelFileAccess::kRead);

// The op libraries the model in `size` bytes at `data` names (Model::op_libraries), read
// without loading its graph, so before those libraries are loaded. Checks the header, the
// checksums and that section as load_model does; an older model without it names none.
Status read_model_op_libraries(const void* data, size_t size, std::vector<ModelOpLibrary>* out);

}  // namespace tl
