// Control flow as functional ops: If and While call functions of the graph's library (see
// graph.h) through nested plans of the same executor; TensorArrays as loops use them are dense
// tensors whose first dim is the index, written in place when nothing else holds them.
//
// If(cond, inputs...) runs function then_branch or else_branch on the inputs.
// While(inputs...) runs function `cond` on the inputs once, for the first test; while it
// holds, function `body` maps the loop variables (the first num_loop_vars inputs; the others
// are captured, the same every iteration) to their new values, then num_kept values kept per
// iteration for the gradient (what random ops drew), then the next test. Its outputs: the
// variables' final values, each variable's values at the start of every iteration, stacked,
// and the kept values stacked: the stacks only when something reads them.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"
#include "tensorlib/executor.h"
#include "tensorlib/graph.h"

namespace tl {
namespace {

// ---- shape functions over the function library ----

Status find_function(const InferenceContext& ctx, const char* attr, const Function** out) {
  const std::string& name = ctx.attrs().get<std::string>(attr);
  *out = ctx.functions() ? ctx.functions()->find(name) : nullptr;
  if (!*out) {
    return invalid_argument(ctx.op() + " calls function '" + name + "', which is not defined");
  }
  return Status::OK();
}

const Node& arg_node(const Function& f, size_t i) { return f.body->node(f.args[i]); }
DType result_dtype(const Function& f, size_t i) {
  return f.body->node(f.outputs[i].node).output_dtypes[f.outputs[i].index];
}
const Shape& result_shape(const Function& f, size_t i) {
  return f.body->node(f.outputs[i].node).output_shapes[f.outputs[i].index];
}

// `f` takes the inputs from `first` on: as many, of the same dtypes.
Status check_args(const InferenceContext& ctx, const Function& f, int first) {
  const size_t given = static_cast<size_t>(ctx.num_inputs() - first);
  if (given != f.args.size()) {
    return invalid_argument("function '" + f.name + "' takes " + std::to_string(f.args.size()) +
                            " inputs, " + ctx.op() + " gives it " + std::to_string(given));
  }
  for (size_t i = 0; i < given; ++i) {
    const DType want = arg_node(f, i).output_dtypes[0];
    const DType got = ctx.input_dtype(first + static_cast<int>(i));
    if (got != want) {
      return type_error("input " + std::to_string(i) + " of function '" + f.name + "' is " +
                        dtype_name(want) + ", " + ctx.op() + " gives it " + dtype_name(got));
    }
  }
  return Status::OK();
}

// The most specific shape that both `a` and `b` are instances of.
Shape relaxed(const Shape& a, const Shape& b) {
  if (!a.rank_known() || !b.rank_known() || a.rank() != b.rank()) return Shape::unknown();
  Shape out = a;
  for (int d = 0; d < a.rank(); ++d) {
    if (a.dim(d) != b.dim(d)) out.set_dim(d, kUnknownDim);
  }
  return out;
}

Status if_shape(InferenceContext& ctx) {
  const Function* then_fn;
  const Function* else_fn;
  TL_RETURN_IF_ERROR(find_function(ctx, "then_branch", &then_fn));
  TL_RETURN_IF_ERROR(find_function(ctx, "else_branch", &else_fn));
  TL_RETURN_IF_ERROR(check_args(ctx, *then_fn, 1));
  TL_RETURN_IF_ERROR(check_args(ctx, *else_fn, 1));
  const size_t n = static_cast<size_t>(ctx.num_outputs());
  if (then_fn->outputs.size() != n || else_fn->outputs.size() != n) {
    return invalid_argument("the branches of If return " +
                            std::to_string(then_fn->outputs.size()) + " and " +
                            std::to_string(else_fn->outputs.size()) + " values, not " +
                            std::to_string(n));
  }
  for (size_t i = 0; i < n; ++i) {
    const DType t = result_dtype(*then_fn, i), e = result_dtype(*else_fn, i);
    if (t != e) {
      return type_error("output " + std::to_string(i) + " of If is " + dtype_name(t) +
                        " in one branch and " + dtype_name(e) + " in the other");
    }
    ctx.set_output(static_cast<int>(i), t,
                   relaxed(result_shape(*then_fn, i), result_shape(*else_fn, i)));
  }
  return Status::OK();
}

// [?, ...shape]: values of `shape` stacked over iterations.
Shape stacked_shape(const Shape& shape) {
  if (!shape.rank_known()) return Shape::unknown();
  Shape out({kUnknownDim});
  for (int d = 0; d < shape.rank(); ++d) out.add_dim(shape.dim(d));
  return out;
}

Status while_shape(InferenceContext& ctx) {
  const Function* cond;
  const Function* body;
  TL_RETURN_IF_ERROR(find_function(ctx, "cond", &cond));
  TL_RETURN_IF_ERROR(find_function(ctx, "body", &body));
  TL_RETURN_IF_ERROR(check_args(ctx, *cond, 0));
  TL_RETURN_IF_ERROR(check_args(ctx, *body, 0));
  const int64_t n = ctx.attrs().get<int64_t>("num_loop_vars");
  const int64_t kept = ctx.attrs().get<int64_t>("num_kept");
  if (n < 0 || kept < 0 || n > ctx.num_inputs() || 2 * n + kept != ctx.num_outputs()) {
    return invalid_argument("While has " + std::to_string(ctx.num_inputs()) + " inputs and " +
                            std::to_string(ctx.num_outputs()) + " outputs for " +
                            std::to_string(n) + " loop variables and " + std::to_string(kept) +
                            " kept values");
  }
  if (cond->outputs.size() != 1 || result_dtype(*cond, 0) != DType::kBool) {
    return type_error("the condition of a while loop must return one bool");
  }
  if (body->outputs.size() != static_cast<size_t>(n + kept + 1)) {
    return invalid_argument("the body of a while loop returns " +
                            std::to_string(body->outputs.size()) + " values for " +
                            std::to_string(n) + " loop variables, " + std::to_string(kept) +
                            " kept values and the next test");
  }
  if (result_dtype(*body, n + kept) != DType::kBool) {
    return type_error("the last result of a while loop's body must be the next test, a bool");
  }
  // Kept values: results of the body beyond the loop variables (what its random ops drew),
  // stacked over the iterations for the backward pass.
  for (int64_t j = 0; j < kept; ++j) {
    ctx.set_output(static_cast<int>(2 * n + j), result_dtype(*body, n + j),
                   stacked_shape(result_shape(*body, n + j)));
  }
  for (int i = 0; i < n; ++i) {
    const DType t = ctx.input_dtype(i);
    if (result_dtype(*body, i) != t) {
      return type_error("loop variable " + std::to_string(i) + " enters the loop as " +
                        dtype_name(t) + " and leaves the body as " +
                        dtype_name(result_dtype(*body, i)));
    }
    // The body's argument carries the variable's shape invariant.
    const Shape& invariant = arg_node(*body, i).output_shapes[0];
    ctx.set_output(i, t, invariant);
    ctx.set_output(static_cast<int>(n + i), t, stacked_shape(invariant));
  }
  return Status::OK();
}

// ---- kernels ----

Status function_of(KernelContext& ctx, const char* attr, const Function** out) {
  const std::string& name = ctx.attrs().get<std::string>(attr);
  *out = ctx.functions().find(name);
  if (!*out) return not_found("function '" + name + "' is not defined");
  return Status::OK();
}

// A failure inside function `f`, for the node that called it: the body's node named in the
// message (its id means nothing outside the body).
Status in_function(const Function& f, Status s) {
  if (s.ok() || s.code() == StatusCode::kCancelled ||
      s.code() == StatusCode::kDeadlineExceeded) {
    return s;  // the run was stopped: no function to blame
  }
  std::string where = " (in function '" + f.name + "'";
  if (s.node() >= 0 && s.node() < f.body->num_nodes()) {
    where += ", node '" + f.body->node(s.node()).name + "'";
  }
  return Status(s.code(), s.message() + where + ")");
}

Status scalar_truth(const Tensor& t, bool* out) {
  if (t.shape().rank() != 0) {
    return invalid_argument("The predicate must be a scalar, got shape " + t.shape().to_string());
  }
  return dispatch(NumericOrBoolTypes{}, t.dtype(), "If", [&](auto tag) {
    using T = typename decltype(tag)::type;
    *out = *t.data<T>() != T(0);
  });
}

Status if_kernel(KernelContext& ctx) {
  bool pred = false;
  TL_RETURN_IF_ERROR(scalar_truth(ctx.input(0), &pred));
  const Function* f;
  TL_RETURN_IF_ERROR(function_of(ctx, pred ? "then_branch" : "else_branch", &f));
  std::vector<Tensor> args(ctx.num_inputs() - 1);
  for (size_t i = 0; i < args.size(); ++i) args[i] = ctx.input(static_cast<int>(i) + 1);
  Plan* plan;
  SessionState* state;
  TL_RETURN_IF_ERROR(function_plan(*f, ctx.functions(), ctx.state(), args.data(), &plan, &state));
  std::vector<Tensor> results(ctx.num_outputs());
  TL_RETURN_IF_ERROR(in_function(
      *f, plan->call(*state, ctx.max_threads(), args.data(), results.data(), ctx.control())));
  for (int i = 0; i < ctx.num_outputs(); ++i) ctx.output(i) = std::move(results[i]);
  return Status::OK();
}

// The history of one loop variable (its value at the start of each iteration) or kept value
// (each iteration's): the values stacked, [iterations, ...], each copied in as soon as the
// loop makes it, while it is still in cache, and then let go, so that the body's next value
// can take its memory. Rows for as many iterations as the last run of the loop had are
// allocated at once; past them the rows double.
class History {
 public:
  Status push(const Tensor& v, int var, int64_t hint) {
    if (v.dtype() == DType::kString) {
      return unimplemented("a while loop cannot keep the history of string loop variables");
    }
    if (count_ == 0 && !rows_.valid()) {
      element_ = v.shape();
      TL_RETURN_IF_ERROR(grow(v.dtype(), std::max<int64_t>(hint, 1)));
    } else if (v.shape() != element_) {
      return invalid_argument("loop variable " + std::to_string(var) + " changes shape from " +
                              element_.to_string() + " to " + v.shape().to_string() +
                              " between iterations: its gradient needs a constant shape");
    }
    if (count_ == capacity_) TL_RETURN_IF_ERROR(grow(v.dtype(), 2 * capacity_));
    const size_t bytes = v.num_bytes();
    char* row = static_cast<char*>(rows_.raw_data()) + count_ * bytes;
    if (bytes) std::memcpy(row, v.raw_data(), bytes);
    ++count_;
    return Status::OK();
  }
  // The stacked values; `like` gives the element shape when there were none.
  Status finish(DType dtype, const Tensor& like, Tensor* out) {
    Shape shape({count_});
    const Shape& element = count_ ? element_ : like.shape();
    for (int d = 0; d < element.rank(); ++d) shape.add_dim(element.dim(d));
    if (count_ == 0) return Tensor::allocate(dtype, shape, out);
    *out = Tensor(dtype, shape, rows_.buffer());
    return Status::OK();
  }

 private:
  Status grow(DType dtype, int64_t capacity) {
    Shape shape({capacity});
    for (int d = 0; d < element_.rank(); ++d) shape.add_dim(element_.dim(d));
    Tensor rows;
    TL_RETURN_IF_ERROR(Tensor::allocate(dtype, shape, &rows));
    if (count_) {
      std::memcpy(rows.raw_data(), rows_.raw_data(),
                  static_cast<size_t>(count_) * (rows_.num_bytes() / capacity_));
    }
    rows_ = std::move(rows);
    capacity_ = capacity;
    return Status::OK();
  }

  Tensor rows_;
  Shape element_;
  int64_t count_ = 0, capacity_ = 0;
};

// The While kernel's state: how many iterations its last run took (a hint for the histories'
// rows; runs that overlap may race on it, which costs at most a regrowth).
struct WhileState : KernelState {
  mutable std::atomic<int64_t> iterations{0};
};

Status while_prepare(PrepareContext& /*ctx*/, std::unique_ptr<KernelState>* state) {
  *state = std::make_unique<WhileState>();
  return Status::OK();
}

Status while_kernel(KernelContext& ctx) {
  const Function* cond_fn;
  const Function* body_fn;
  TL_RETURN_IF_ERROR(function_of(ctx, "cond", &cond_fn));
  TL_RETURN_IF_ERROR(function_of(ctx, "body", &body_fn));
  const int n = static_cast<int>(ctx.attrs().get<int64_t>("num_loop_vars"));
  const int kept = static_cast<int>(ctx.attrs().get<int64_t>("num_kept"));
  // This run of the loop: the captured arguments (from n on) stay the same throughout it.
  static std::atomic<uint64_t> runs{0};
  const LoopCall loop{runs.fetch_add(1, std::memory_order_relaxed) + 1, n};
  const int total = ctx.num_inputs();
  std::vector<Tensor> vars(n);
  for (int i = 0; i < n; ++i) vars[i] = ctx.input(i);
  std::vector<Tensor> args(total), results(n + kept + 1);
  // history[i]: loop variable i at the start of each iteration, then kept value i - n.
  std::vector<History> history(n + kept);
  const auto* while_state = static_cast<const WhileState*>(ctx.kernel_state());
  const int64_t hint = while_state ? while_state->iterations.load(std::memory_order_relaxed) : 0;
  int64_t iterations = 0;
  std::vector<char> keep(n + kept);
  bool keep_any = false;
  for (int i = 0; i < n + kept; ++i) keep_any |= keep[i] = ctx.output_needed(n + i);
  Tensor pred;
  // The plans of the condition and the body, picked again when a variable changes shape.
  Plan* cond = nullptr;
  Plan* body = nullptr;
  SessionState* cond_state;
  SessionState* body_state;
  std::vector<Shape> planned(n);
  for (;;) {
    if (ctx.control()) TL_RETURN_IF_ERROR(ctx.control()->check());
    for (int i = 0; i < total; ++i) args[i] = i < n ? vars[i] : ctx.input(i);
    bool replan = cond == nullptr;
    for (int i = 0; i < n && !replan; ++i) replan = planned[i] != vars[i].shape();
    if (replan) {
      for (int i = 0; i < n; ++i) planned[i] = vars[i].shape();
      TL_RETURN_IF_ERROR(function_plan(*cond_fn, ctx.functions(), ctx.state(), args.data(),
                                       &cond, &cond_state));
      TL_RETURN_IF_ERROR(function_plan(*body_fn, ctx.functions(), ctx.state(), args.data(),
                                       &body, &body_state));
    }
    if (!pred.valid()) {  // the first test; the body makes the others
      TL_RETURN_IF_ERROR(in_function(
          *cond_fn,
          cond->call(*cond_state, ctx.max_threads(), args.data(), &pred, ctx.control(), loop)));
    }
    if (!*pred.data<bool>()) break;
    if (keep_any) {
      for (int i = 0; i < n; ++i) {
        if (keep[i]) TL_RETURN_IF_ERROR(history[i].push(vars[i], i, hint));
      }
    }
    ++iterations;
    // The variables are handed to the body: it may update them in place.
    for (int i = 0; i < total; ++i) args[i] = i < n ? std::move(vars[i]) : ctx.input(i);
    TL_RETURN_IF_ERROR(in_function(*body_fn, body->call(*body_state, ctx.max_threads(),
                                                        args.data(), results.data(),
                                                        ctx.control(), loop)));
    for (int i = 0; i < n; ++i) vars[i] = std::move(results[i]);
    for (int j = 0; j < kept; ++j) {
      if (keep[n + j]) TL_RETURN_IF_ERROR(history[n + j].push(results[n + j], n + j, hint));
      results[n + j].release();
    }
    pred = std::move(results[n + kept]);
  }
  if (while_state) while_state->iterations.store(iterations, std::memory_order_relaxed);
  for (int i = 0; i < n + kept; ++i) {
    const DType dtype = ctx.graph_node().output_dtypes[n + i];
    if (!keep[i] || (iterations == 0 && i >= n)) {
      ctx.output(n + i) = Tensor(dtype, Shape({0}), Buffer::allocate(0));
    } else {
      const Tensor& like = i < n ? vars[i] : Tensor();
      TL_RETURN_IF_ERROR(history[i].finish(dtype, like, &ctx.output(n + i)));
    }
  }
  for (int i = 0; i < n; ++i) ctx.output(i) = std::move(vars[i]);
  return Status::OK();
}

// ---- TensorArrays as dense tensors ----
//
// A TensorArray's value is one tensor [size, ...element shape]. Before its element shape is
// known (no write yet) it is a scalar; the first write gives it its shape. Writes
// update the buffer in place when the step is its last reader; a resizeable array grows by
// doubling the buffer's capacity, so n writes cost O(n) copies in all.

int64_t index_value(const Tensor& t) {
  return t.dtype() == DType::kInt64 ? *t.data<int64_t>() : *t.data<int32_t>();
}

// Whether `array` already has element shape `element`.
bool has_elements_of(const Tensor& array, const Shape& element) {
  const Shape& a = array.shape();
  if (a.rank() != element.rank() + 1) return false;
  for (int d = 0; d < element.rank(); ++d) {
    if (a.dim(d + 1) != element.dim(d)) return false;
  }
  return true;
}

Shape rows_of(int64_t rows, const Shape& element) {
  Shape s({rows});
  for (int d = 0; d < element.rank(); ++d) s.add_dim(element.dim(d));
  return s;
}

// `out` = `array` resized to at least `rows` rows of `element` (new rows zero), reusing its
// buffer in place when `in_place`.
Status resized_array(const Tensor& array, bool in_place, const Shape& element, int64_t rows,
                     Tensor* out) {
  const size_t row_bytes = static_cast<size_t>(element.num_elements()) * dtype_size(array.dtype());
  const bool shaped = has_elements_of(array, element);
  const int64_t old_rows = shaped ? array.shape().dim(0) : 0;
  const size_t need = static_cast<size_t>(rows) * row_bytes;
  if (shaped && in_place && array.buffer()->size() >= need) {
    *out = Tensor(array.dtype(), rows_of(rows, element), array.buffer());
  } else {
    // Growing past the old size reserves twice the rows, for the writes to come.
    const size_t capacity =
        rows > old_rows && old_rows > 0 ? std::max(need, 2 * old_rows * row_bytes) : need;
    std::shared_ptr<Buffer> buffer = Buffer::allocate(capacity);
    if (!buffer) return resource_exhausted("out of memory growing a TensorArray");
    *out = Tensor(array.dtype(), rows_of(rows, element), buffer);
    if (old_rows) std::memcpy(out->raw_data(), array.raw_data(), old_rows * row_bytes);
  }
  if (rows > old_rows) {
    std::memset(static_cast<char*>(out->raw_data()) + old_rows * row_bytes, 0,
                (rows - old_rows) * row_bytes);
  }
  return Status::OK();
}

Status check_array_dtype(InferenceContext& ctx, int value) {
  const DType a = ctx.input_dtype(0), v = ctx.input_dtype(value);
  if (a != v) {
    return type_error(std::string("TensorArray dtype is ") + dtype_name(a) +
                      " but Op is trying to write dtype " + dtype_name(v));
  }
  if (a == DType::kString) return type_error("TensorArrays of strings are not supported");
  return Status::OK();
}

// [?, ...element] for an array whose elements have `element`'s shape.
Shape array_shape(const Shape& array, const Shape& element) {
  if (!element.rank_known()) return Shape::unknown();
  int64_t rows = kUnknownDim;
  Shape merged = element;
  if (array.rank_known() && array.rank() == element.rank() + 1) {
    Shape tail;
    for (int d = 1; d < array.rank(); ++d) tail.add_dim(array.dim(d));
    if (tail.merge(element, &merged).ok()) rows = array.dim(0);
  }
  return rows_of(rows, merged);
}

Status write_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_array_dtype(ctx, 2));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  ctx.set_output(0, ctx.input_dtype(0), array_shape(ctx.input_shape(0), ctx.input_shape(2)));
  return Status::OK();
}

// Writes `values` (rows of `indices`) into `array`: TensorArrayWrite (one index, one value)
// and TensorArrayScatter (a vector of indices, values stacked).
Status write_rows(KernelContext& ctx, const char* op, const int64_t* indices, int64_t count,
                  const Tensor& values, const Shape& element) {
  const Tensor& array = ctx.input(0);
  const bool dynamic = ctx.attrs().get<bool>("dynamic_size");
  const int64_t size_hint = index_value(ctx.input(3));
  const bool shaped = has_elements_of(array, element);
  if (!shaped && array.shape().rank() != 0) {
    return invalid_argument(std::string(op) + ": could not write a value of shape " +
                            element.to_string() + " to a TensorArray of shape " +
                            array.shape().to_string() + ": its elements have another shape");
  }
  const int64_t rows = shaped ? array.shape().dim(0) : std::max<int64_t>(size_hint, 0);
  int64_t needed = rows;
  for (int64_t k = 0; k < count; ++k) {
    const int64_t i = indices[k];
    if (i < 0 || (i >= rows && !dynamic)) {
      return invalid_argument("Tried to write to index " + std::to_string(i) +
                              " but array is not resizeable and size is: " +
                              std::to_string(rows));
    }
    needed = std::max(needed, i + 1);
  }
  Tensor& out = ctx.output(0);
  TL_RETURN_IF_ERROR(resized_array(array, ctx.can_forward(0), element, needed, &out));
  const size_t row_bytes = static_cast<size_t>(element.num_elements()) * dtype_size(array.dtype());
  char* base = static_cast<char*>(out.raw_data());
  const char* src = static_cast<const char*>(values.raw_data());
  for (int64_t k = 0; k < count; ++k) {
    if (row_bytes) std::memcpy(base + indices[k] * row_bytes, src + k * row_bytes, row_bytes);
  }
  return Status::OK();
}

Status write_kernel(KernelContext& ctx) {
  const int64_t i = index_value(ctx.input(1));
  const Tensor& value = ctx.input(2);
  return write_rows(ctx, "TensorArrayWrite", &i, 1, value, value.shape());
}

Status scatter_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_array_dtype(ctx, 2));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, 1));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 1, kMaxRank));
  const Shape& v = ctx.input_shape(2);
  Shape element = Shape::unknown();
  if (v.rank_known()) {
    element = Shape();
    for (int d = 1; d < v.rank(); ++d) element.add_dim(v.dim(d));
  }
  ctx.set_output(0, ctx.input_dtype(0), array_shape(ctx.input_shape(0), element));
  return Status::OK();
}

Status scatter_kernel(KernelContext& ctx) {
  const Tensor& indices = ctx.input(1);
  const Tensor& values = ctx.input(2);
  const int64_t count = indices.num_elements();
  if (values.shape().dim(0) != count) {
    return invalid_argument("TensorArrayScatter: " + std::to_string(count) + " indices for " +
                            std::to_string(values.shape().dim(0)) + " values");
  }
  std::vector<int64_t> idx(count);
  for (int64_t k = 0; k < count; ++k) {
    idx[k] = indices.dtype() == DType::kInt64 ? indices.data<int64_t>()[k]
                                              : indices.data<int32_t>()[k];
  }
  Shape element;
  for (int d = 1; d < values.shape().rank(); ++d) element.add_dim(values.shape().dim(d));
  return write_rows(ctx, "TensorArrayScatter", idx.data(), count, values, element);
}

Status read_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  const Shape& a = ctx.input_shape(0);
  Shape element = Shape::unknown();
  if (a.rank_known() && a.rank() >= 1) {
    element = Shape();
    for (int d = 1; d < a.rank(); ++d) element.add_dim(a.dim(d));
  }
  ctx.set_output(0, ctx.input_dtype(0), element);
  return Status::OK();
}

Status read_kernel(KernelContext& ctx) {
  const Tensor& array = ctx.input(0);
  const int64_t i = index_value(ctx.input(1));
  const int64_t rows = array.shape().rank() >= 1 ? array.shape().dim(0) : 0;
  if (i < 0 || i >= rows) {
    return invalid_argument("Tried to read from index " + std::to_string(i) +
                            " but array size is: " + std::to_string(rows));
  }
  Shape element;
  for (int d = 1; d < array.shape().rank(); ++d) element.add_dim(array.shape().dim(d));
  Tensor& out = ctx.output(0);
  const size_t row_bytes = static_cast<size_t>(element.num_elements()) * dtype_size(array.dtype());
  char* row = static_cast<char*>(array.raw_data()) + i * row_bytes;
  if (ctx.attrs().get<bool>("view") && array.dtype() != DType::kString) {
    // The row in place, read-only (a borrowed buffer is never written in place), the array
    // kept alive meanwhile.
    out = Tensor(array.dtype(), element, Buffer::view(array.buffer(), row, row_bytes));
    return Status::OK();
  }
  TL_RETURN_IF_ERROR(Tensor::allocate(array.dtype(), element, &out));
  if (row_bytes) std::memcpy(out.raw_data(), row, row_bytes);
  return Status::OK();
}

// The gradient of TensorArrayWrite(array, index, value) from the gradient `grad` of the
// written array: the array's part (row `index` zeroed; it keeps grad's shape, whatever the
// array's was, so that a loop's backward pass never needs the array's old value) and the
// value's (row `index`).
Status write_grad_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, kMaxRank));
  const Shape& g = ctx.input_shape(0);
  ctx.set_output(0, ctx.input_dtype(0), g);
  Shape element = Shape::unknown();
  if (g.rank_known()) {
    element = Shape();
    for (int d = 1; d < g.rank(); ++d) element.add_dim(g.dim(d));
  }
  ctx.set_output(1, ctx.input_dtype(0), element);
  return Status::OK();
}

Status write_grad_kernel(KernelContext& ctx) {
  const Tensor& grad = ctx.input(0);
  const int64_t i = index_value(ctx.input(1));
  Shape element;
  for (int d = 1; d < grad.shape().rank(); ++d) element.add_dim(grad.shape().dim(d));
  const size_t row_bytes = static_cast<size_t>(element.num_elements()) * dtype_size(grad.dtype());
  if (i < 0 || i >= grad.shape().dim(0)) {
    return invalid_argument("TensorArrayWriteGrad: index " + std::to_string(i) +
                            " outside the gradient's " + std::to_string(grad.shape().dim(0)) +
                            " rows");
  }
  const char* row = static_cast<const char*>(grad.raw_data()) + i * row_bytes;
  TL_RETURN_IF_ERROR(Tensor::allocate(grad.dtype(), element, &ctx.output(1)));
  if (row_bytes) std::memcpy(ctx.output(1).raw_data(), row, row_bytes);
  Tensor& out = ctx.output(0);
  if (ctx.can_forward(0)) {
    out = Tensor(grad.dtype(), grad.shape(), grad.buffer());
  } else {
    TL_RETURN_IF_ERROR(grad.copy(&out));
  }
  if (row_bytes) std::memset(static_cast<char*>(out.raw_data()) + i * row_bytes, 0, row_bytes);
  return Status::OK();
}

// array[index] += value, in place when the step is the array's last reader: how a loop's
// backward pass gathers the gradient of an array it reads a row of per iteration.
Status add_row_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_array_dtype(ctx, 2));
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

Status add_row_kernel(KernelContext& ctx) {
  const Tensor& array = ctx.input(0);
  const int64_t i = index_value(ctx.input(1));
  const Tensor& value = ctx.input(2);
  if (!has_elements_of(array, value.shape()) || i < 0 || i >= array.shape().dim(0)) {
    return invalid_argument("TensorArrayAddRow: cannot add a value of shape " +
                            value.shape().to_string() + " to row " + std::to_string(i) +
                            " of an array of shape " + array.shape().to_string());
  }
  Tensor& out = ctx.output(0);
  if (ctx.can_forward(0)) {
    out = Tensor(array.dtype(), array.shape(), array.buffer());
  } else {
    TL_RETURN_IF_ERROR(array.copy(&out));
  }
  return dispatch(NumericTypes{}, array.dtype(), "TensorArrayAddRow", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* row = out.data<T>() + i * value.num_elements();
    const T* v = value.data<T>();
    for (int64_t k = 0; k < value.num_elements(); ++k) row[k] += v[k];
  });
}

}  // namespace

void register_control_flow_ops(OpRegistry& r) {
  r.add_builtin(OpDef("If")
                    .input("cond")
                    .variadic_input("input")
                    .outputs_from_attr("num_outputs")
                    .attr("num_outputs", AttrType::kInt)
                    .attr("then_branch", AttrType::kString)
                    .attr("else_branch", AttrType::kString)
                    .shape(if_shape)
                    .sets_own_outputs()
                    .stateful());
  r.add_builtin(OpDef("While")
                    .variadic_input("input")
                    .outputs_from_attr("num_outputs")
                    .attr("num_outputs", AttrType::kInt)
                    .attr("num_loop_vars", AttrType::kInt)
                    .attr("num_kept", AttrType::kInt, int64_t{0})
                    .attr("cond", AttrType::kString)
                    .attr("body", AttrType::kString)
                    .shape(while_shape)
                    .sets_own_outputs()
                    .stateful());
  r.add_builtin(OpDef("TensorArrayWrite")
                    .input("array")
                    .input("index")
                    .input("value")
                    .input("size")
                    .attr("T", AttrType::kType)
                    .attr("dynamic_size", AttrType::kBool, false)
                    .shape(write_shape)
                    .forwards_input(0)
                    .sets_own_outputs());
  r.add_builtin(OpDef("TensorArrayScatter")
                    .input("array")
                    .input("indices")
                    .input("value")
                    .input("size")
                    .attr("T", AttrType::kType)
                    .attr("dynamic_size", AttrType::kBool, false)
                    .shape(scatter_shape)
                    .forwards_input(0)
                    .sets_own_outputs());
  r.add_builtin(OpDef("TensorArrayRead")
                    .input("array")
                    .input("index")
                    .attr("T", AttrType::kType)
                    .attr("view", AttrType::kBool, false)
                    .shape(read_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("TensorArrayWriteGrad")
                    .input("grad")
                    .input("index")
                    .outputs(2)
                    .attr("T", AttrType::kType)
                    .shape(write_grad_shape)
                    .forwards_input(0)
                    .sets_own_outputs());
  r.add_builtin(OpDef("TensorArrayAddRow")
                    .input("array")
                    .input("index")
                    .input("value")
                    .attr("T", AttrType::kType)
                    .shape(add_row_shape)
                    .forwards_input(0)
                    .sets_own_outputs());
}

void register_control_flow_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("If", Device::kCPU).compute(if_kernel));
  r.add_builtin(KernelDef("While", Device::kCPU).prepare(while_prepare).compute(while_kernel));
  r.add_builtin(KernelDef("TensorArrayWrite", Device::kCPU).compute(write_kernel));
  r.add_builtin(KernelDef("TensorArrayScatter", Device::kCPU).compute(scatter_kernel));
  r.add_builtin(KernelDef("TensorArrayRead", Device::kCPU).compute(read_kernel));
  r.add_builtin(KernelDef("TensorArrayWriteGrad", Device::kCPU).compute(write_grad_kernel));
  r.add_builtin(KernelDef("TensorArrayAddRow", Device::kCPU).compute(add_row_kernel));
}

}  // namespace tl
