// Shape functions and input checks shared by many ops, with TF1's error messages.
//
//   r.add_builtin(OpDef("Exp").input("x").shape(unary_shape<FloatTypes>)...);
//   r.add_builtin(OpDef("Add").input("x").input("y").shape(binary_shape<NumericTypes>)...);
//
//   // Inside a shape function:
//   TL_RETURN_IF_ERROR(check_rank(ctx, 1, 0, 1));   // reduction_indices: scalar or 1-D
//   if (bad) return shape_error(ctx, "Dimensions must be equal, but are 3 and 4");
#pragma once

#include <string>

#include "ops/kernel_util.h"
#include "tensorlib/op_registry.h"
#include "tensorlib/status.h"

namespace tl {

// InvalidArgument "<msg> for 'Op' with input shapes: [2,3], [4]."
Status shape_error(const InferenceContext& ctx, const std::string& msg);

// TypeError "Value passed to parameter 'x' of 'Exp' Op has DataType int32 not in list of
// allowed values: float32, float64."
Status dtype_error(const InferenceContext& ctx, int input, const std::string& allowed);

// Fails unless input `i` has one of the list's dtypes.
template <typename List>
Status check_input_dtype(const InferenceContext& ctx, int i, List list) {
  if (dtype_in(ctx.input_dtype(i), list)) return Status::OK();
  return dtype_error(ctx, i, dtype_list(list));
}

// Fails unless inputs i and j have the same dtype ("Input 'y' of 'Add' Op has type float64
// that does not match type float32 of argument 'x'.").
Status check_same_dtype(const InferenceContext& ctx, int i, int j);

// Fails unless the type attribute `attr` names one of the list's dtypes.
template <typename List>
Status check_attr_dtype(const InferenceContext& ctx, const char* attr, List list) {
  const DType t = ctx.attrs().get<DType>(attr);
  if (dtype_in(t, list)) return Status::OK();
  return type_error("Value for attr '" + std::string(attr) + "' of '" + ctx.op() +
                    "' Op has DataType " + dtype_name(t) + " not in list of allowed values: " +
                    dtype_list(list) + ".");
}

// Fails unless input i's rank, when known, is within [min_rank, max_rank].
Status check_rank(const InferenceContext& ctx, int i, int min_rank, int max_rank);

// The shape held by a 1-D int32/int64 input (Fill's dims, Reshape's shape): from its value when
// known (-1 entries kept as unknown dims when `allow_unknown`), else one unknown dim per entry
// when the length is known, else unknown rank.
Status shape_from_dims_input(InferenceContext& ctx, int i, bool allow_unknown, Shape* out);

// The broadcast shape of inputs 0 and 1, which must have one dtype.
Status broadcast_inputs_shape(const InferenceContext& ctx, Shape* out);

// x -> an output of x's dtype and shape; x's dtype in List.
template <typename List>
Status unary_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, List{}));
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

// (x, y) of one dtype in List -> their broadcast shape, of that dtype.
template <typename List>
Status binary_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, List{}));
  Shape out;
  TL_RETURN_IF_ERROR(broadcast_inputs_shape(ctx, &out));
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// (x, y) of one dtype in List -> their broadcast shape, of bool.
template <typename List>
Status comparison_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, List{}));
  Shape out;
  TL_RETURN_IF_ERROR(broadcast_inputs_shape(ctx, &out));
  ctx.set_output(0, DType::kBool, out);
  return Status::OK();
}

}  // namespace tl
