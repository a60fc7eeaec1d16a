// Reshape, Identity, StopGradient, Fill, Shape, Size, Rank, ExpandDims, Squeeze,
// PlaceholderWithDefault, Range, LinSpace, Where and BroadcastTo.
#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "ops/array_util.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// The shape Reshape gives a tensor of fully defined shape `in` for `target`, whose unknown dim
// (at most one, from a -1) is inferred; with `in` partial, unknown dims stay unknown.
Status resolve_reshape(const Shape& in, const Shape& target, Shape* out) {
  // NOTE: the target comes from a constant (of a user graph or a model file), so its product
  // is checked against overflow; a zero dim makes it zero whatever the others are.
  constexpr int64_t kMaxElements = int64_t{1} << 57;  // as check_size
  int unknown = -1;
  int64_t known_elements = 1;
  bool zero = false, too_large = false;
  for (int i = 0; i < target.rank(); ++i) {
    const int64_t d = target.dim(i);
    if (d == 0) {
      zero = true;
    } else if (d != kUnknownDim) {
      if (known_elements > kMaxElements / d) {
        too_large = true;
      } else {
        known_elements *= d;
      }
    } else if (unknown >= 0) {
      return invalid_argument("only one input size may be -1, not both " +
                              std::to_string(unknown) + " and " + std::to_string(i));
    } else {
      unknown = i;
    }
  }
  if (zero) {
    known_elements = 0;
  } else if (too_large) {
    return invalid_argument("Reshape's target shape " + target.to_string() +
                            " has too many elements");
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

// ---- Shape, Size, Rank ----

Status shape_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_attr_dtype(ctx, "out_type", IntTypes{}));
  const int rank = ctx.input_shape(0).rank();
  ctx.set_output(0, ctx.attrs().get<DType>("out_type"),
                 Shape({rank < 0 ? kUnknownDim : rank}));
  return Status::OK();
}

// Writes `values` into `out` (int32 or int64), failing when an int32 cannot hold one.
Status write_ints(const int64_t* values, int64_t n, Tensor& out, const char* op) {
  for (int64_t i = 0; i < n; ++i) {
    if (out.dtype() == DType::kInt64) {
      out.data<int64_t>()[i] = values[i];
    } else if (values[i] > INT32_MAX) {
      return invalid_argument(std::string(op) + ": value " + std::to_string(values[i]) +
                              " does not fit in int32; use out_type=tf.int64");
    } else {
      out.data<int32_t>()[i] = static_cast<int32_t>(values[i]);
    }
  }
  return Status::OK();
}

Status shape_kernel(KernelContext& ctx) {
  const Shape& s = ctx.input(0).shape();
  return write_ints(s.dims(), s.rank(), ctx.output(0), "Shape");
}

Status size_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_attr_dtype(ctx, "out_type", IntTypes{}));
  ctx.set_output(0, ctx.attrs().get<DType>("out_type"), Shape());
  return Status::OK();
}

Status size_kernel(KernelContext& ctx) {
  const int64_t n = ctx.input(0).num_elements();
  return write_ints(&n, 1, ctx.output(0), "Size");
}

Status rank_shape(InferenceContext& ctx) {
  ctx.set_output(0, DType::kInt32, Shape());
  return Status::OK();
}

Status rank_kernel(KernelContext& ctx) {
  *ctx.output(0).data<int32_t>() = ctx.input(0).shape().rank();
  return Status::OK();
}

// ---- ExpandDims, Squeeze: views ----

// ExpandDims' output shape for a known input rank and axis.
Status expand_dims(const Shape& in, int64_t axis, Shape* out) {
  if (in.rank() >= kMaxRank) {
    return invalid_argument("tensorlib supports tensors of rank up to " +
                            std::to_string(kMaxRank));
  }
  if (axis < -in.rank() - 1 || axis > in.rank()) {
    return invalid_argument("Tried to expand dim index " + std::to_string(axis) +
                            " for tensor with " + std::to_string(in.rank()) + " dimensions.");
  }
  if (axis < 0) axis += in.rank() + 1;
  Shape s;
  for (int d = 0; d < in.rank(); ++d) {
    if (d == axis) s.add_dim(1);
    s.add_dim(in.dim(d));
  }
  if (axis == in.rank()) s.add_dim(1);
  *out = s;
  return Status::OK();
}

Status expand_dims_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  const Shape& dim_shape = ctx.input_shape(1);
  if (dim_shape.is_fully_defined() && dim_shape.num_elements() != 1) {
    return shape_error(ctx, "'dim' must be a tensor with a single value");
  }
  const Shape& in = ctx.input_shape(0);
  const Tensor* axis = ctx.input_value(1);
  Shape out = Shape::unknown();
  if (in.rank_known() && axis) {
    Status s = expand_dims(in, int_element(*axis, 0), &out);
    if (!s.ok()) return shape_error(ctx, s.message());
  } else if (in.rank_known() && in.rank() < kMaxRank) {
    out = Shape();
    for (int d = 0; d <= in.rank(); ++d) out.add_dim(kUnknownDim);
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status expand_dims_kernel(KernelContext& ctx) {
  if (ctx.input(1).num_elements() != 1) {
    return invalid_argument("'dim' must be a tensor with a single value");
  }
  Shape out;
  TL_RETURN_IF_ERROR(expand_dims(ctx.input(0).shape(), int_element(ctx.input(1), 0), &out));
  ctx.output(0) = ctx.input(0).reshaped(out);
  return Status::OK();
}

// Squeeze's output shape: `in` without the listed dims (all size-1 dims when none are listed).
// Unknown dims that are listed are taken to be 1; with none listed they make the result unknown.
Status squeeze(const Shape& in, const std::vector<int64_t>& dims, Shape* out) {
  if (!in.rank_known()) {
    *out = Shape::unknown();
    return Status::OK();
  }
  bool drop[kMaxRank] = {};
  for (int64_t d : dims) {
    if (d < -in.rank() || d >= in.rank()) {
      return invalid_argument("Tried to squeeze dim index " + std::to_string(d) +
                              " for tensor with " + std::to_string(in.rank()) + " dimensions.");
    }
    const int64_t a = d < 0 ? d + in.rank() : d;
    if (in.dim(a) != 1 && in.dim(a) != kUnknownDim) {
      return invalid_argument("Can not squeeze dim[" + std::to_string(a) +
                              "], expected a dimension of 1, got " + std::to_string(in.dim(a)));
    }
    drop[a] = true;
  }
  Shape s;
  for (int d = 0; d < in.rank(); ++d) {
    if (dims.empty() && in.dim(d) == kUnknownDim) {
      *out = Shape::unknown();
      return Status::OK();
    }
    if (!(drop[d] || (dims.empty() && in.dim(d) == 1))) s.add_dim(in.dim(d));
  }
  *out = s;
  return Status::OK();
}

Status squeeze_shape(InferenceContext& ctx) {
  Shape out;
  Status s = squeeze(ctx.input_shape(0), ctx.attrs().get<std::vector<int64_t>>("squeeze_dims"),
                     &out);
  if (!s.ok()) return shape_error(ctx, s.message());
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status squeeze_kernel(KernelContext& ctx) {
  Shape out;
  TL_RETURN_IF_ERROR(squeeze(ctx.input(0).shape(),
                             ctx.attrs().get<std::vector<int64_t>>("squeeze_dims"), &out));
  ctx.output(0) = ctx.input(0).reshaped(out);
  return Status::OK();
}

// ---- PlaceholderWithDefault ----

Status placeholder_with_default_shape(InferenceContext& ctx) {
  const DType dtype = ctx.attrs().get<DType>("dtype");
  const Shape& shape = ctx.attrs().get<Shape>("shape");
  if (ctx.input_dtype(0) != dtype) {
    return type_error("Input 'input' of 'PlaceholderWithDefault' Op has type " +
                      std::string(dtype_name(ctx.input_dtype(0))) +
                      " that does not match type " + dtype_name(dtype) + " of attr 'dtype'.");
  }
  if (!ctx.input_shape(0).is_compatible_with(shape)) {
    return shape_error(ctx, "Shapes " + ctx.input_shape(0).to_string() + " and " +
                                shape.to_string() + " are incompatible");
  }
  ctx.set_output(0, dtype, shape);
  return Status::OK();
}

// ---- Range, LinSpace ----

Status check_scalars(const InferenceContext& ctx) {
  for (int i = 0; i < ctx.num_inputs(); ++i) TL_RETURN_IF_ERROR(check_rank(ctx, i, 0, 0));
  return Status::OK();
}

// A number as %g prints it (1e+30, 1e-30), so that huge and tiny range bounds read right.
template <typename T>
std::string range_number(T v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// The number of elements of Range(start, limit, delta), with TF1's checks. An integer span is
// counted exactly in uint64, as Python's range counts it: int64 bounds can be more than 2^63
// apart (NumPy's arange counts in double and can miss the last element).
template <typename T>
Status range_size(T start, T limit, T delta, int64_t* size) {
  auto bounds = [&] {
    return " (start " + range_number(start) + ", limit " + range_number(limit) + ", delta " +
           range_number(delta) + ")";
  };
  if (delta == 0) return invalid_argument("Requires delta != 0" + bounds());
  if (delta > 0 && start > limit) {
    return invalid_argument("Requires start <= limit when delta > 0" + bounds());
  }
  if (delta < 0 && start < limit) {
    return invalid_argument("Requires start >= limit when delta < 0" + bounds());
  }
  constexpr int64_t kMaxSize = std::numeric_limits<int64_t>::max();
  if constexpr (std::is_integral_v<T>) {
    // NOTE: unsigned arithmetic wraps modulo 2^64, so these differences are exact.
    const uint64_t span = delta > 0 ? uint64_t(limit) - uint64_t(start)
                                    : uint64_t(start) - uint64_t(limit);
    const uint64_t step = delta > 0 ? uint64_t(delta) : uint64_t(0) - uint64_t(delta);
    const uint64_t n = span / step + (span % step != 0);
    if (n > uint64_t(kMaxSize)) {
      return invalid_argument("Requires the number of elements, " + std::to_string(n) +
                              ", to be at most 2^63 - 1" + bounds());
    }
    *size = static_cast<int64_t>(n);
  } else {
    const double n = std::ceil(std::abs((double(limit) - double(start)) / double(delta)));
    if (!(n < double(kMaxSize))) {
      return invalid_argument("Requires the number of elements, ceil(|(limit - start) / "
                              "delta|) = " + range_number(n) + ", to be at most 2^63 - 1" +
                              bounds());
    }
    *size = static_cast<int64_t>(n);
  }
  return Status::OK();
}

Status range_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
  TL_RETURN_IF_ERROR(check_scalars(ctx));
  int64_t size = kUnknownDim;
  if (ctx.input_value(0) && ctx.input_value(1) && ctx.input_value(2)) {
    Status s = dispatch(NumericTypes{}, ctx.input_dtype(0), "Range", [&](auto tag) {
      using T = typename decltype(tag)::type;
      return range_size(*ctx.input_value(0)->data<T>(), *ctx.input_value(1)->data<T>(),
                        *ctx.input_value(2)->data<T>(), &size);
    });
    if (!s.ok()) return shape_error(ctx, s.message());
  }
  ctx.set_output(0, ctx.input_dtype(0), Shape({size}));
  return Status::OK();
}

Status range_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  return dispatch(NumericTypes{}, out.dtype(), "Range", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T start = *ctx.input(0).data<T>(), delta = *ctx.input(2).data<T>();
    T* y = out.data<T>();
    ctx.parallel_for(out.num_elements(), kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if constexpr (std::is_integral_v<T>) {
          // NOTE: i * delta may pass 2^63 on the way to an element that fits: wrap in uint64.
          y[i] = static_cast<T>(uint64_t(start) + uint64_t(i) * uint64_t(delta));
        } else {
          y[i] = start + static_cast<T>(i) * delta;
        }
      }
    });
  });
}

Status linspace_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 2, IntTypes{}));
  TL_RETURN_IF_ERROR(check_scalars(ctx));
  int64_t num = kUnknownDim;
  if (const Tensor* v = ctx.input_value(2)) {
    num = int_element(*v, 0);
    if (num <= 0) return shape_error(ctx, "Requires num > 0: " + std::to_string(num));
  }
  ctx.set_output(0, ctx.input_dtype(0), Shape({num}));
  return Status::OK();
}

Status linspace_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  return dispatch(FloatTypes{}, out.dtype(), "LinSpace", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T start = *ctx.input(0).data<T>(), stop = *ctx.input(1).data<T>();
    const int64_t n = out.num_elements();
    const T step = n > 1 ? (stop - start) / static_cast<T>(n - 1) : T(0);
    T* y = out.data<T>();
    ctx.parallel_for(n, kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) y[i] = start + static_cast<T>(i) * step;
    });
  });
}

// ---- Where: coordinates of the true (non-zero) elements ----

constexpr int64_t kWhereChunk = 1 << 16;  // elements counted per task

Status where_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericOrBoolTypes{}));
  const int rank = ctx.input_shape(0).rank();
  ctx.set_output(0, DType::kInt64, Shape({kUnknownDim, rank < 0 ? kUnknownDim : rank}));
  return Status::OK();
}

Status where_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return dispatch(NumericOrBoolTypes{}, x.dtype(), "Where", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = x.data<T>();
    const int64_t n = x.num_elements();
    const int rank = x.shape().rank();
    // Count per fixed-size chunk, so that positions do not depend on the thread count.
    const int64_t chunks = (n + kWhereChunk - 1) / kWhereChunk;
    std::vector<int64_t> first(static_cast<size_t>(chunks) + 1, 0);
    ctx.parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        int64_t count = 0;
        const int64_t end = std::min(n, (c + 1) * kWhereChunk);
        for (int64_t i = c * kWhereChunk; i < end; ++i) count += p[i] != T(0);
        first[c + 1] = count;
      }
    });
    for (int64_t c = 0; c < chunks; ++c) first[c + 1] += first[c];
    TL_RETURN_IF_ERROR(
        Tensor::allocate(DType::kInt64, Shape({first[chunks], rank}), &ctx.output(0)));
    int64_t* out = ctx.output(0).data<int64_t>();
    const int64_t* dims = x.shape().dims();
    ctx.parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        int64_t* o = out + first[c] * rank;
        int64_t idx[kMaxRank];
        int64_t rest = c * kWhereChunk;
        for (int d = rank - 1; d >= 0; --d) {
          idx[d] = rest % dims[d];
          rest /= dims[d];
        }
        const int64_t end = std::min(n, (c + 1) * kWhereChunk);
        for (int64_t i = c * kWhereChunk; i < end; ++i) {
          if (p[i] != T(0)) {
            std::copy(idx, idx + rank, o);
            o += rank;
          }
          for (int d = rank - 1; d >= 0 && ++idx[d] == dims[d]; --d) idx[d] = 0;
        }
      }
    });
    return Status::OK();
  });
}

// ---- BroadcastTo: `input` repeated along the dims where it has size 1 (or lacks) ----

// Checks that a tensor of shape `in` broadcasts to `out` (NumPy's rules, in one direction):
// `in` has no more dims than `out`, and each of its dims, aligned at the end, is 1 or equal.
// Unknown dims pass.
Status check_broadcast_to(const Shape& in, const Shape& out) {
  if (in.rank() > out.rank()) {
    return invalid_argument("Rank of input (" + std::to_string(in.rank()) +
                            ") must be no greater than rank of output shape (" +
                            std::to_string(out.rank()) + ").");
  }
  const int lead = out.rank() - in.rank();
  for (int d = 0; d < in.rank(); ++d) {
    const int64_t i = in.dim(d), o = out.dim(lead + d);
    if (i != 1 && i != kUnknownDim && o != kUnknownDim && i != o) {
      return invalid_argument("Unable to broadcast tensor of shape " + in.to_string() +
                              " to tensor of shape " + out.to_string());
    }
  }
  return Status::OK();
}

Status broadcast_to_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  Shape out;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 1, /*allow_unknown=*/false, &out));
  const Shape& in = ctx.input_shape(0);
  if (out.rank_known() && in.rank_known()) {
    Status s = check_broadcast_to(in, out);
    if (!s.ok()) return shape_error(ctx, s.message());
    // An input dim other than 1 is the output's dim.
    const int lead = out.rank() - in.rank();
    for (int d = 0; d < in.rank(); ++d) {
      if (in.dim(d) != 1 && in.dim(d) != kUnknownDim) out.set_dim(lead + d, in.dim(d));
    }
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// A strided copy whose source strides are 0 along the broadcast dims.
Status broadcast_to_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& out = ctx.output(0);
  TL_RETURN_IF_ERROR(check_broadcast_to(x.shape(), out.shape()));
  int64_t in_strides[kMaxRank];
  row_major_strides(x.shape(), in_strides);
  CopyLayout l = contiguous_dst_layout(out.shape());
  const int lead = out.shape().rank() - x.shape().rank();
  for (int d = 0; d < l.rank; ++d) {
    const bool repeated = d < lead || x.shape().dim(d - lead) == 1;
    l.src_strides[d] = repeated ? 0 : in_strides[d - lead];
  }
  strided_copy(ctx, dtype_size(x.dtype()), x.raw_data(), out.raw_data(), l);
  return Status::OK();
}

}  // namespace

void register_array_ops(OpRegistry& r) {
  r.add_builtin(OpDef("Reshape").input("tensor").input("shape").shape(reshape_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("Identity").input("input").shape(identity_shape)
                    .sets_own_outputs());
  // The same value as its input; gradients do not flow through it.
  r.add_builtin(OpDef("StopGradient").input("input").shape(identity_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("Fill").input("dims").input("value").shape(fill_shape));
  r.add_builtin(OpDef("Shape").input("input").attr("out_type", AttrType::kType, DType::kInt32)
                    .shape(shape_shape));
  r.add_builtin(OpDef("Size").input("input").attr("out_type", AttrType::kType, DType::kInt32)
                    .shape(size_shape));
  r.add_builtin(OpDef("Rank").input("input").shape(rank_shape));
  r.add_builtin(OpDef("ExpandDims").input("input").input("dim").shape(expand_dims_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("Squeeze").input("input")
                    .attr("squeeze_dims", AttrType::kInts, std::vector<int64_t>{})
                    .shape(squeeze_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("PlaceholderWithDefault").input("input")
                    .attr("dtype", AttrType::kType).attr("shape", AttrType::kShape)
                    .shape(placeholder_with_default_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("Range").input("start").input("limit").input("delta").shape(range_shape));
  r.add_builtin(OpDef("LinSpace").input("start").input("stop").input("num")
                    .shape(linspace_shape));
  r.add_builtin(OpDef("Where").input("input").shape(where_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("BroadcastTo").input("input").input("shape").shape(broadcast_to_shape));
}

void register_array_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("Reshape", Device::kCPU).compute(reshape_kernel));
  r.add_builtin(KernelDef("Identity", Device::kCPU).compute(identity_kernel));
  r.add_builtin(KernelDef("StopGradient", Device::kCPU).compute(identity_kernel));
  r.add_builtin(KernelDef("Fill", Device::kCPU).compute(fill_kernel));
  r.add_builtin(KernelDef("Shape", Device::kCPU).shape_only_input(0).compute(shape_kernel));
  r.add_builtin(KernelDef("Size", Device::kCPU).shape_only_input(0).compute(size_kernel));
  r.add_builtin(KernelDef("Rank", Device::kCPU).shape_only_input(0).compute(rank_kernel));
  r.add_builtin(KernelDef("ExpandDims", Device::kCPU).compute(expand_dims_kernel));
  r.add_builtin(KernelDef("Squeeze", Device::kCPU).compute(squeeze_kernel));
  r.add_builtin(KernelDef("PlaceholderWithDefault", Device::kCPU).compute(identity_kernel));
  r.add_builtin(KernelDef("Range", Device::kCPU).compute(range_kernel));
  r.add_builtin(KernelDef("LinSpace", Device::kCPU).compute(linspace_kernel));
  r.add_builtin(KernelDef("Where", Device::kCPU).compute(where_kernel));
  r.add_builtin(KernelDef("BroadcastTo", Device::kCPU).compute(broadcast_to_kernel));
}

}  // namespace tl
