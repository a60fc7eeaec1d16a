#include "ops/shape_fns.h"

#include <algorithm>

namespace tl {
namespace {

// The name input i has in the op's declaration ("x"), for error messages.
std::string input_name(const InferenceContext& ctx, int i) {
  const OpDef* def = OpRegistry::global().find(ctx.op());
  if (!def || def->inputs().empty()) return "input " + std::to_string(i);
  const auto& names = def->inputs();
  return names[std::min<size_t>(static_cast<size_t>(i), names.size() - 1)];
}

}  // namespace

Status shape_error(const InferenceContext& ctx, const std::string& msg) {
  std::string shapes;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (i) shapes += ", ";
    shapes += ctx.input_shape(i).to_string();
  }
  return invalid_argument(msg + " for '" + ctx.op() + "' with input shapes: " + shapes + ".");
}

Status dtype_error(const InferenceContext& ctx, int input, const std::string& allowed) {
  return type_error("Value passed to parameter '" + input_name(ctx, input) + "' of '" + ctx.op() +
                    "' Op has DataType " + dtype_name(ctx.input_dtype(input)) +
                    " not in list of allowed values: " + allowed + ".");
}

Status check_same_dtype(const InferenceContext& ctx, int i, int j) {
  if (ctx.input_dtype(i) == ctx.input_dtype(j)) return Status::OK();
  return type_error("Input '" + input_name(ctx, j) + "' of '" + ctx.op() + "' Op has type " +
                    dtype_name(ctx.input_dtype(j)) + " that does not match type " +
                    dtype_name(ctx.input_dtype(i)) + " of argument '" + input_name(ctx, i) +
                    "'.");
}

Status check_rank(const InferenceContext& ctx, int i, int min_rank, int max_rank) {
  const int rank = ctx.input_shape(i).rank();
  if (rank < 0 || (rank >= min_rank && rank <= max_rank)) return Status::OK();
  std::string want;
  if (min_rank == max_rank) {
    want = "rank " + std::to_string(min_rank);
  } else if (rank < min_rank) {
    want = "at least rank " + std::to_string(min_rank);
  } else {
    want = "at most rank " + std::to_string(max_rank);
  }
  return shape_error(ctx, "Shape must be " + want + " but is rank " + std::to_string(rank));
}

Status shape_from_dims_input(InferenceContext& ctx, int i, bool allow_unknown, Shape* out) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, i, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, i, 1, 1));
  if (const Tensor* value = ctx.input_value(i)) {
    Status s = read_dims(*value, allow_unknown, out);
    return s.ok() ? s : shape_error(ctx, s.message());
  }
  const Shape& dims_shape = ctx.input_shape(i);
  if (!dims_shape.rank_known() || dims_shape.dim(0) == kUnknownDim) {
    *out = Shape::unknown();
    return Status::OK();
  }
  if (dims_shape.dim(0) > kMaxRank) {
    return shape_error(ctx, "tensorlib supports tensors of rank up to " +
                                std::to_string(kMaxRank) + ", got rank " +
                                std::to_string(dims_shape.dim(0)));
  }
  Shape s;
  for (int64_t d = 0; d < dims_shape.dim(0); ++d) s.add_dim(kUnknownDim);
  *out = s;
  return Status::OK();
}

Status broadcast_inputs_shape(const InferenceContext& ctx, Shape* out) {
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  Status s = broadcast_shapes(ctx.input_shape(0), ctx.input_shape(1), out);
  return s.ok() ? s : shape_error(ctx, s.message());
}

}  // namespace tl
