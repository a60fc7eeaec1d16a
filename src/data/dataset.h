// tf.data in C++: datasets, their iterators, and the pipeline description Python sends.
//
// Python describes a pipeline as a tree of stages (dataset_ops.py serialises it into the
// `pipeline` attribute of MakeIterator / IteratorGetNext); the tensors it needs (sources,
// counts, the values functions capture) are the op's inputs, in the order the stages take them.
// make_dataset binds the description to those values: a tree of immutable Datasets, each of
// which makes iterators, as often as asked (repeat makes one per epoch). Iterators hold the
// position; a few run work on threads of their own (prefetch, a parallel map).
//
//   DatasetDef def;
//   TL_RETURN_IF_ERROR(parse_pipeline("range 0 0 ...", &def));
//   Binder binder{inputs, num_inputs, &functions};
//   std::shared_ptr<const Dataset> dataset;
//   TL_RETURN_IF_ERROR(make_dataset(def, binder, &dataset));
//   std::unique_ptr<DatasetIterator> it;
//   TL_RETURN_IF_ERROR(dataset->make_iterator(&it));
//   Element e; bool end;
//   TL_RETURN_IF_ERROR(it->get_next(ctx, &e, &end));
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tensorlib/executor.h"
#include "tensorlib/graph.h"
#include "tensorlib/kernel.h"
#include "tensorlib/tensor.h"

namespace tl {
namespace data {

// One element of a dataset: its components, flattened as Python's nest flattens them.
using Element = std::vector<Tensor>;

// What get_next runs with: the session's state and functions, what can stop it, and the
// threads a function call may use.
struct IteratorContext {
  SessionState* state = nullptr;
  const FunctionLibrary* functions = nullptr;
  RunControl* control = nullptr;  // may be null
  int max_threads = 1;
};

// An element that is a row of tensors a dataset holds (from_tensor_slices): row `row` along
// the first dim of each of `*tensors`. Handing one on costs nothing; a batch copies it
// straight from the tensors into its own buffer.
struct Row {
  const Element* tensors = nullptr;
  int64_t row = 0;
  // The row as an element of views of the tensors (Tensor::row).
  void to_element(Element* out) const;
};

// The position in a dataset. Not thread-safe: one caller at a time.
class DatasetIterator {
 public:
  virtual ~DatasetIterator() = default;
  // The next element in `out`, or `*end_of_sequence` set when there is none. `out` may hold
  // an element the caller is done with: its storage may be reused.
  virtual Status get_next(IteratorContext& ctx, Element* out, bool* end_of_sequence) = 0;
  // The next element as a Row: for the iterators of datasets that yield_rows().
  virtual Status get_next_row(IteratorContext& ctx, Row* out, bool* end_of_sequence);
};

// get_next or get_next_row, by what `out` is: for stages that pass either on.
inline Status read_next(DatasetIterator& it, IteratorContext& ctx, Element* out, bool* end) {
  return it.get_next(ctx, out, end);
}
inline Status read_next(DatasetIterator& it, IteratorContext& ctx, Row* out, bool* end) {
  return it.get_next_row(ctx, out, end);
}

// An immutable description of a sequence of elements, bound to its input values.
class Dataset {
 public:
  virtual ~Dataset() = default;
  // A new iterator at the start of the sequence.
  virtual Status make_iterator(std::unique_ptr<DatasetIterator>* out) const = 0;
  // True when every element is a Row (from_tensor_slices, and the stages that only reorder
  // or repeat its elements): its iterators give them by get_next_row too.
  virtual bool yields_rows() const { return false; }
};

// The iterator of a dataset that reads one input dataset: an `It` made from `dataset`, its
// member `input` an iterator over `input`.
template <typename It, typename D>
Status make_unary_iterator(const D& dataset, const Dataset& input,
                           std::unique_ptr<DatasetIterator>* out) {
  auto it = std::make_unique<It>(dataset);
  TL_RETURN_IF_ERROR(input.make_iterator(&it->input));
  *out = std::move(it);
  return Status::OK();
}

// A graph function of the library with the values it captured (passed after the arguments).
struct DatasetFunction {
  const Function* function = nullptr;
  std::vector<Tensor> captured;
  // Calls the function on `args`; a failure names the function and its failing node.
  Status call(IteratorContext& ctx, Element args, Element* results) const;
};

// One stage of a pipeline description: its kind, attributes and upstream stages.
struct DatasetDef {
  std::string kind;
  std::vector<std::pair<std::string, std::string>> attrs;
  std::vector<DatasetDef> children;

  // Attribute accessors; a missing or malformed attribute is an InvalidArgument.
  Status get(const std::string& name, std::string* out) const;
  Status get(const std::string& name, int64_t* out) const;
  Status get(const std::string& name, std::vector<int64_t>* out) const;
};

// Parses the text form Python writes: a stage in prefix order is
// `kind <number of attributes> name value ... <number of children> child ...`, tokens
// separated by single spaces, lists written `[1,2,3]`.
Status parse_pipeline(const std::string& text, DatasetDef* out);

// The input values a description is bound to, taken in order: a stage's upstream stages take
// theirs first, then the stage its own.
struct Binder {
  const Tensor* inputs = nullptr;
  size_t num_inputs = 0;
  const FunctionLibrary* functions = nullptr;
  size_t next = 0;

  // The next `n` values.
  Status take(int64_t n, std::vector<Tensor>* out);
  // The next value, a scalar integer.
  Status take_scalar(const char* what, int64_t* out);
  // The function that attribute `attr` names, with its captured values: as many of the next
  // inputs as attribute `<attr>_captures` says.
  Status take_function(const DatasetDef& def, const char* attr, DatasetFunction* out);
};

// Builds the datasets of `def` and its upstream stages.
Status make_dataset(const DatasetDef& def, Binder& binder, std::shared_ptr<const Dataset>* out);

// The builders of each kind of stage (in sources.cc, transforms.cc, batching.cc,
// threaded.cc), called by make_dataset with the stage's upstream datasets already built
// (flat_map's second child is not: it binds it to its function's results for each element).
using StageBuilder = Status (*)(const DatasetDef& def, Binder& binder,
                                std::vector<std::shared_ptr<const Dataset>> upstream,
                                std::shared_ptr<const Dataset>* out);
struct StageKind {
  const char* kind;
  StageBuilder build;
  int bound_children;  // children bound from the op's inputs (-1: all of them)
};
extern const StageKind kSourceStages[];
extern const StageKind kTransformStages[];
extern const StageKind kBatchingStages[];
extern const StageKind kThreadedStages[];

// ---- helpers shared by the stages ----

// Copies `n` elements of `src` from element `src_at` to `dst` from element `dst_at` (strings
// by assignment).
void copy_elements(const Tensor& src, int64_t src_at, Tensor* dst, int64_t dst_at, int64_t n);
// Waits on `cv` until `ready()`, waking every 20 ms to see whether `control` says to stop
// (Cancelled or DeadlineExceeded then: the interrupts that stop a run do not notify `cv`).
template <typename Ready>
Status wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  RunControl* control, Ready ready) {
  while (!ready()) {
    if (control) TL_RETURN_IF_ERROR(control->check_waiting());
    cv.wait_for(lock, std::chrono::milliseconds(20));
  }
  return Status::OK();
}

}  // namespace data
}  // namespace tl
