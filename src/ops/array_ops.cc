// Reshape, Identity and Fill.
#include <algorithm>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// The shape Reshape gives a tensor of fully defined shape `in` for `target`, whose unknown dim
// (at most one, from a -1) is inferred; with `in` partial, unknown dims stay unknown.
Status resolve_reshape(const Shape& in, const Shape& target, Shape* out) {
  int unknown = -1;
  int64_t known_elements = 1;
  for (int i = 0; i < target.rank(); ++i) {
    if (target.dim(i) != kUnknownDim) {
      known_elements *= target.dim(i);
    } else if (unknown >= 0) {
      return invalid_argument("only one input size may be -1, not both " +
                              std::to_string(unknown) + " and " + std::to_string(i));
    } else {
      unknown = i;
    }
  }
  *out = target;
  if (!in.is_fully_defined()) return Status::OK();
  const int64_t n = in.num_elements();
  if (unknown < 0) {
    if (known_elements == n) return Status::OK();
    return invalid_argument("Cannot reshape a tensor with " + std::to_string(n) +
                            " elements to shape " + target.to_string() + " (" +
                            std::to_string(known_elements) + " elements)");
  }
  if (known_elements == 0) {
    return invalid_argument(
        "Reshape cannot infer the missing input size for an empty tensor unless all specified "
        "input sizes are non-zero");
  }
  if (n % known_elements != 0) {
    return invalid_argument("Input to reshape is a tensor with " + std::to_string(n) +
                            " values, but the requested shape requires a multiple of " +
                            std::to_string(known_elements));
  }
  out->set_dim(unknown, n / known_elements);
  return Status::OK();
}

Status reshape_shape(InferenceContext& ctx) {
  Shape target;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 1, /*allow_unknown=*/true, &target));
  if (!ctx.input_value(1)) {
    ctx.set_output(0, ctx.input_dtype(0), target);
    return Status::OK();
  }
  Shape out;
  Status s = resolve_reshape(ctx.input_shape(0), target, &out);
  if (!s.ok()) return shape_error(ctx, s.message());
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status reshape_kernel(KernelContext& ctx) {
  Shape target, out;
  TL_RETURN_IF_ERROR(read_dims(ctx.input(1), /*allow_unknown=*/true, &target));
  TL_RETURN_IF_ERROR(resolve_reshape(ctx.input(0).shape(), target, &out));
  ctx.output(0) = ctx.input(0).reshaped(out);
  return Status::OK();
}

Status identity_shape(InferenceContext& ctx) {
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

Status identity_kernel(KernelContext& ctx) {
  ctx.output(0) = ctx.input(0);
  return Status::OK();
}

Status fill_shape(InferenceContext& ctx) {
  Shape out;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 0, /*allow_unknown=*/false, &out));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, PodTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 0, 0));
  ctx.set_output(0, ctx.input_dtype(1), out);
  return Status::OK();
}

Status fill_kernel(KernelContext& ctx) {
  const Tensor& value = ctx.input(1);
  Tensor& out = ctx.output(0);
  return dispatch(PodTypes{}, value.dtype(), "Fill", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = *value.data<T>();
    T* y = out.data<T>();
    ctx.parallel_for(out.num_elements(), kElementwiseGrain,
                     [&](int64_t b, int64_t e) { std::fill(y + b, y + e, v); });
  });
}

}  // namespace

void register_array_ops(OpRegistry& r) {
  r.add_builtin(OpDef("Reshape").input("tensor").input("shape").shape(reshape_shape)
                    .kernel(Device::kCPU, reshape_kernel).sets_own_outputs());
  r.add_builtin(OpDef("Identity").input("input").shape(identity_shape)
                    .kernel(Device::kCPU, identity_kernel).sets_own_outputs());
  r.add_builtin(OpDef("Fill").input("dims").input("value").shape(fill_shape)
                    .kernel(Device::kCPU, fill_kernel));
}

}  // namespace tl
