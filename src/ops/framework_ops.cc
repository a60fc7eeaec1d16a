// Ops that connect the graph to the outside and to session state: Placeholder, Const,
// VariableV2, Assign, AssignAdd, AssignSub, IsVariableInitialized, NoOp.
#include <cstring>
#include <type_traits>

#include "ops/cpu_features.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "tensorlib/devices.h"
#include "tensorlib/graph.h"

namespace tl {
namespace {

Status placeholder_shape(InferenceContext& ctx) {
  ctx.set_output(0, ctx.attrs().get<DType>("dtype"), ctx.attrs().get<Shape>("shape"));
  return Status::OK();
}

// Plans reject an unfed placeholder before running anything (OpDef::must_be_fed); this is
// what running one would report.
Status placeholder_kernel(KernelContext& ctx) {
  return invalid_argument("You must feed a value for placeholder tensor '" +
                          ctx.graph_node().name + "'");
}

Status const_shape(InferenceContext& ctx) {
  const Tensor& value = ctx.attrs().get<Tensor>("value");
  if (!value.valid()) return invalid_argument("Const needs a value");
  ctx.set_output(0, value.dtype(), value.shape());
  return Status::OK();
}

// On an accelerator the value is copied to its memory; a plan computes a constant once.
Status const_kernel(KernelContext& ctx) {
  return copy_to_device(ctx.attrs().get<Tensor>("value"), ctx.device(), &ctx.output(0));
}

Status variable_shape(InferenceContext& ctx) {
  ctx.set_output(0, ctx.attrs().get<DType>("dtype"), ctx.attrs().get<Shape>("shape"));
  return Status::OK();
}

Status variable_kernel(KernelContext& ctx) {
  Tensor value;
  TL_RETURN_IF_ERROR(ctx.variable(ctx.node(), &value));
  if (!value.valid()) {
    return failed_precondition("Attempting to use uninitialized value " + ctx.graph_node().name);
  }
  ctx.output(0) = std::move(value);
  return Status::OK();
}

// A VariableRef only names a variable for reference inputs, which never run their producer;
// read as a value, it is the variable's value.
Status variable_ref_kernel(KernelContext& ctx) {
  const int32_t var = static_cast<int32_t>(ctx.attrs().get<int64_t>("variable"));
  Tensor value;
  TL_RETURN_IF_ERROR(ctx.variable(var, &value));
  if (!value.valid()) {
    return failed_precondition("Attempting to use uninitialized value " + ctx.graph_node().name);
  }
  ctx.output(0) = std::move(value);
  return Status::OK();
}

Status assign_shape(InferenceContext& ctx) {
  const DType var = ctx.input_dtype(0), value = ctx.input_dtype(1);
  if (var != DType::kInvalid && var != value) {
    return type_error("Input 'value' of 'Assign' Op has type " + std::string(dtype_name(value)) +
                      " that does not match type " + dtype_name(var) + " of argument 'ref'.");
  }
  Shape out = ctx.input_shape(1);
  if (ctx.attrs().get<bool>("validate_shape")) {
    Status s = ctx.input_shape(0).merge(ctx.input_shape(1), &out);
    if (!s.ok()) {
      return invalid_argument("Shapes must be equal, but are " + ctx.input_shape(0).to_string() +
                              " and " + ctx.input_shape(1).to_string() + " for 'Assign'.");
    }
  }
  ctx.set_output(0, value, out);
  return Status::OK();
}

Status assign_kernel(KernelContext& ctx) {
  const Node& node = ctx.graph_node();
  const int32_t var = ctx.variable_of(0);
  const Tensor& value = ctx.input(1);
  if (ctx.attrs().get<bool>("validate_shape") &&
      !value.shape().is_compatible_with(node.output_shapes[0])) {
    return invalid_argument("Assign requires shapes of both tensors to match. lhs shape= " +
                            node.output_shapes[0].to_string() +
                            " rhs shape= " + value.shape().to_string());
  }
  Tensor current;
  TL_RETURN_IF_ERROR(ctx.variable(var, &current));
  // Overwrite in place when nobody else holds the variable's buffer (the state and `current`
  // are its two references); otherwise give the variable a fresh copy.
  const bool in_place = current.valid() && current.dtype() == value.dtype() &&
                        current.shape() == value.shape() && current.buffer().use_count() == 2;
  if (!in_place) current = Tensor();
  const Buffer* held = current.valid() ? current.buffer().get() : nullptr;
  TL_RETURN_IF_ERROR(ctx.device().copy_within(value, &current));
  // NOTE: copy_within may give `current` a new buffer even in place (strings are copied
  // element by element into a new tensor): the variable must then hold that one.
  if (current.buffer().get() != held) ctx.state().set_variable(var, current);
  ctx.output(0) = std::move(current);
  return Status::OK();
}

// AssignAdd and AssignSub: `ref` and `value` have one dtype and one shape.
Status assign_update_shape(InferenceContext& ctx) {
  const DType var = ctx.input_dtype(0), value = ctx.input_dtype(1);
  if (var != DType::kInvalid && var != value) {
    return type_error("Input 'value' of '" + ctx.op() + "' Op has type " +
                      std::string(dtype_name(value)) + " that does not match type " +
                      dtype_name(var) + " of argument 'ref'.");
  }
  Shape out;
  if (!ctx.input_shape(0).merge(ctx.input_shape(1), &out).ok()) {
    return invalid_argument("Shapes must be equal, but are " + ctx.input_shape(0).to_string() +
                            " and " + ctx.input_shape(1).to_string() + " for '" + ctx.op() +
                            "'.");
  }
  ctx.set_output(0, var, out);
  return Status::OK();
}

// a + b (kSub: a - b); integers wrap around on overflow.
template <bool kSub, typename T>
inline T add_or_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(kSub ? U(a) - U(b) : U(a) + U(b));
  } else {
    return kSub ? a - b : a + b;
  }
}

// The variable `ref` becomes ref + value (kSub: ref - value); the output is its new value.
template <bool kSub>
Status assign_update_kernel(KernelContext& ctx) {
  const char* op = kSub ? "AssignSub" : "AssignAdd";
  const int32_t var = ctx.variable_of(0);
  const Tensor& value = ctx.input(1);
  Tensor current;
  TL_RETURN_IF_ERROR(ctx.variable(var, &current));
  if (!current.valid()) {
    return failed_precondition("Attempting to use uninitialized value").with_node(var);
  }
  if (current.shape() != value.shape()) {
    return invalid_argument(std::string(op) + " requires shapes of both tensors to match. " +
                            "lhs shape= " + current.shape().to_string() +
                            " rhs shape= " + value.shape().to_string());
  }
  // Update in place when nobody else holds the variable's buffer (the state and `current`
  // are its two references); otherwise the variable gets a fresh buffer, so values fetched
  // or read earlier keep theirs.
  const bool in_place = current.buffer().use_count() == 2;
  Tensor out = current;
  if (!in_place) TL_RETURN_IF_ERROR(Tensor::allocate(value.dtype(), value.shape(), &out));
  TL_RETURN_IF_ERROR(dispatch(ArithmeticTypes{}, value.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* a = current.data<T>();
    const T* b = value.data<T>();
    T* o = out.data<T>();
    auto loop = [a, b, o](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) o[i] = add_or_sub<kSub>(a[i], b[i]);
    };
    ctx.parallel_for(value.num_elements(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
      if (cpu_has_avx2()) {
        run_avx2(loop, begin, end);
      } else {
        loop(begin, end);
      }
    });
  }));
  if (!in_place) ctx.state().set_variable(var, out);
  ctx.output(0) = std::move(out);
  return Status::OK();
}

Status is_initialized_shape(InferenceContext& ctx) {
  ctx.set_output(0, DType::kBool, Shape());
  return Status::OK();
}

Status is_initialized_kernel(KernelContext& ctx) {
  const bool initialized = ctx.state().variable(ctx.variable_of(0)).valid();
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kBool, Shape(), &ctx.output(0)));
  *ctx.output(0).data<bool>() = initialized;
  return Status::OK();
}

Status no_op_shape(InferenceContext&) { return Status::OK(); }
Status no_op_kernel(KernelContext&) { return Status::OK(); }

}  // namespace

void register_framework_ops(OpRegistry& r) {
  r.add_builtin(OpDef("Placeholder")
                    .attr("dtype", AttrType::kType)
                    .attr("shape", AttrType::kShape, Shape::unknown())
                    .shape(placeholder_shape)
                    .sets_own_outputs()
                    .must_be_fed());
  r.add_builtin(OpDef("Const")
                    .attr("value", AttrType::kTensor)
                    .shape(const_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("VariableV2")
                    .attr("shape", AttrType::kShape)
                    .attr("dtype", AttrType::kType)
                    .shape(variable_shape)
                    .sets_own_outputs()
                    .stateful());
  // A variable of the calling graph as a function body names it (its VariableV2 node's id,
  // `variable`), for the reference inputs of Assign and the optimizers' updates.
  r.add_builtin(OpDef("VariableRef")
                    .attr("variable", AttrType::kInt)
                    .attr("shape", AttrType::kShape)
                    .attr("dtype", AttrType::kType)
                    .shape(variable_shape)
                    .sets_own_outputs()
                    .stateful());
  r.add_builtin(OpDef("Assign")
                    .input("ref")
                    .input("value")
                    .attr("validate_shape", AttrType::kBool, true)
                    .attr("use_locking", AttrType::kBool, true)
                    .shape(assign_shape)
                    .ref_input(0)
                    .sets_own_outputs()
                    .stateful());
  for (const char* name : {"AssignAdd", "AssignSub"}) {
    r.add_builtin(OpDef(name)
                      .input("ref")
                      .input("value")
                      .attr("use_locking", AttrType::kBool, false)
                      .shape(assign_update_shape)
                      .ref_input(0)
                      .sets_own_outputs()
                      .stateful());
  }
  r.add_builtin(OpDef("IsVariableInitialized")
                    .input("ref")
                    .attr("dtype", AttrType::kType)
                    .shape(is_initialized_shape)
                    .ref_input(0)
                    .sets_own_outputs()
                    .stateful());
  r.add_builtin(OpDef("NoOp")
                    .outputs(0)
                    .shape(no_op_shape)
                    .stateful());
}

void register_framework_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("Placeholder", Device::kCPU).compute(placeholder_kernel));
  r.add_builtin(KernelDef("Const", Device::kCPU).compute(const_kernel));
  r.add_builtin(KernelDef("VariableV2", Device::kCPU).compute(variable_kernel));
  r.add_builtin(KernelDef("VariableRef", Device::kCPU).compute(variable_ref_kernel));
  r.add_builtin(KernelDef("Assign", Device::kCPU).compute(assign_kernel));
  r.add_builtin(KernelDef("AssignAdd", Device::kCPU).compute(assign_update_kernel<false>));
  r.add_builtin(KernelDef("AssignSub", Device::kCPU).compute(assign_update_kernel<true>));
  r.add_builtin(KernelDef("IsVariableInitialized", Device::kCPU).compute(is_initialized_kernel));
  r.add_builtin(KernelDef("NoOp", Device::kCPU).compute(no_op_kernel));
}

}  // namespace tl
