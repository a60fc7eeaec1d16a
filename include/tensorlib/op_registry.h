// The op registry: every op declared once, with its inputs, outputs, attributes, shape and
// dtype inference. Its kernels, one per device, are registered apart (kernel.h).
//
// An op's shape function serves twice: while a graph is built (partial shapes, constant inputs
// known when they come from Const nodes) and at run time (every shape known, every input value
// known). A kernel only computes: the executor has already allocated its outputs from the shape
// function's answer, unless the op says it sets its own outputs (views and state reads do).
//
//   registry.add(tl::OpDef("Relu")
//                    .input("features")
//                    .attr("T", tl::AttrType::kType)
//                    .shape(unary_shape)
//                    .forwards_input(0));
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensorlib/attr.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"
#include "tensorlib/tensor.h"

namespace tl {

class FunctionLibrary;

// Inputs and outputs of one node as its shape function sees them.
class InferenceContext {
 public:
  InferenceContext(const std::string& op, const AttrMap& attrs, int num_inputs,
                   const DType* in_dtypes, const Shape* in_shapes, const Tensor* const* in_values,
                   int num_outputs, DType* out_dtypes, Shape* out_shapes)
      : op_(op), attrs_(attrs), num_inputs_(num_inputs), in_dtypes_(in_dtypes),
        in_shapes_(in_shapes), in_values_(in_values), num_outputs_(num_outputs),
        out_dtypes_(out_dtypes), out_shapes_(out_shapes) {}

  const std::string& op() const { return op_; }
  const AttrMap& attrs() const { return attrs_; }
  int num_inputs() const { return num_inputs_; }
  int num_outputs() const { return num_outputs_; }
  DType input_dtype(int i) const { return in_dtypes_[i]; }
  const Shape& input_shape(int i) const { return in_shapes_[i]; }
  // The input's value when known (a constant while building; always at run time), else null.
  const Tensor* input_value(int i) const { return in_values_ ? in_values_[i] : nullptr; }
  void set_output(int i, DType dtype, const Shape& shape) {
    out_dtypes_[i] = dtype;
    out_shapes_[i] = shape;
  }
  // The functions the graph's nodes may call (If and While look theirs up); null when the
  // node is checked outside a graph.
  const FunctionLibrary* functions() const { return functions_; }
  void set_functions(const FunctionLibrary* functions) { functions_ = functions; }

 private:
  const std::string& op_;
  const AttrMap& attrs_;
  int num_inputs_;
  const DType* in_dtypes_;
  const Shape* in_shapes_;
  const Tensor* const* in_values_;
  int num_outputs_;
  DType* out_dtypes_;
  Shape* out_shapes_;
  const FunctionLibrary* functions_ = nullptr;
};

using ShapeFn = Status (*)(InferenceContext& ctx);

struct AttrSpec {
  std::string name;
  AttrType type;
  std::optional<AttrValue> default_value;  // absent: the attribute is required
};

// The declaration of one op. Built with chained setters, handed to OpRegistry::add.
class OpDef {
 public:
  explicit OpDef(std::string name) : name_(std::move(name)) {}

  // Declares the next input. A variadic input (any number of tensors) must be the last one.
  OpDef& input(std::string name) { return inputs_.push_back(std::move(name)), *this; }
  OpDef& variadic_input(std::string name) {
    variadic_ = true;
    return input(std::move(name));
  }
  OpDef& outputs(int n) { return num_outputs_ = n, *this; }
  // The number of outputs is the value of int attribute `attr` (Unpack's `num`, Split's
  // `num_split`), fixed per node when it is added to a graph.
  OpDef& outputs_from_attr(std::string attr) { return num_outputs_attr_ = std::move(attr), *this; }
  OpDef& attr(std::string name, AttrType type) {
    return attrs_.push_back({std::move(name), type, std::nullopt}), *this;
  }
  OpDef& attr(std::string name, AttrType type, AttrValue default_value) {
    return attrs_.push_back({std::move(name), type, std::move(default_value)}), *this;
  }
  OpDef& shape(ShapeFn fn) { return shape_fn_ = fn, *this; }
  // Output 0 may take over input `i`'s buffer when nothing else uses it and it has the
  // output's dtype and size (elementwise ops). May be given for several inputs.
  OpDef& forwards_input(int i) { return forward_inputs_.push_back(i), *this; }
  // The kernel sets its outputs itself (views of inputs, reads of session state).
  OpDef& sets_own_outputs() { return sets_own_outputs_ = true, *this; }
  // Has effects or results beyond its inputs (random numbers, variables): never cached or folded.
  OpDef& stateful() { return stateful_ = true, *this; }
  // Input `i` names a variable to write rather than a value to read: its producer does not
  // run for it (TF's reference inputs, e.g. Assign's `ref`).
  OpDef& ref_input(int i) { return ref_inputs_.push_back(i), *this; }
  // Its outputs must be fed: a plan that would run the node is rejected (Placeholder).
  OpDef& must_be_fed() { return must_be_fed_ = true, *this; }
  // Runs as soon as its inputs are ready: the executor schedules it right after the last of
  // its producers (and control inputs) rather than at its place in node-id order. For ops
  // that start asynchronous work (a collective started while the backward pass goes on).
  OpDef& scheduled_early() { return scheduled_early_ = true, *this; }

  const std::string& name() const { return name_; }
  const std::vector<std::string>& inputs() const { return inputs_; }
  bool variadic() const { return variadic_; }
  int num_outputs() const { return num_outputs_; }
  // The attribute giving the number of outputs, or "" when it is num_outputs().
  const std::string& num_outputs_attr() const { return num_outputs_attr_; }
  const std::vector<AttrSpec>& attrs() const { return attrs_; }
  ShapeFn shape_fn() const { return shape_fn_; }
  const std::vector<int>& forward_inputs() const { return forward_inputs_; }
  bool sets_own_outputs() const { return sets_own_outputs_; }
  bool is_stateful() const { return stateful_; }
  bool needs_feed() const { return must_be_fed_; }
  bool is_scheduled_early() const { return scheduled_early_; }
  bool is_ref_input(int i) const {
    for (int r : ref_inputs_) {
      if (r == i) return true;
    }
    return false;
  }

 private:
  std::string name_;
  std::vector<std::string> inputs_;
  bool variadic_ = false;
  int num_outputs_ = 1;
  std::string num_outputs_attr_;
  std::vector<AttrSpec> attrs_;
  ShapeFn shape_fn_ = nullptr;
  std::vector<int> forward_inputs_;
  bool sets_own_outputs_ = false;
  bool stateful_ = false;
  bool must_be_fed_ = false;
  bool scheduled_early_ = false;
  std::vector<int> ref_inputs_;
};

// The single process-wide table of ops. Built-in ops are registered when it is first used;
// op libraries add theirs later. Ops are never removed, so OpDef pointers stay valid.
class OpRegistry {
 public:
  static OpRegistry& global();

  // Adds an op; fails on a duplicate name or a declaration without a shape function.
  Status add(OpDef def);
  // Adds every op or, when any of them would fail add(), none (an op library's ops).
  Status add_all(std::vector<OpDef> defs);
  // The op named `name`, or null.
  const OpDef* find(const std::string& name) const;
  // Names of all registered ops, sorted.
  std::vector<std::string> names() const;
  // add() for tensorlib's own ops: a failure is a bug in tensorlib, reported and fatal.
  void add_builtin(OpDef def);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<OpDef>> ops_;
};

}  // namespace tl
