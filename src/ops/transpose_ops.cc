// Transpose, ReverseV2 and Tile: each output element is one input element, found through
// a strided layout (see array_util.h).
#include <string>

#include "ops/array_util.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// ---- Transpose ----

// Reads and checks the permutation held by `perm` for a tensor of rank `rank`.
Status read_perm(const Tensor& perm, int rank, int64_t* out) {
  const int64_t n = perm.num_elements();
  if (n != rank) {
    return invalid_argument("transpose expects a vector of size " + std::to_string(rank) +
                            ". But input(1) is a vector of size " + std::to_string(n));
  }
  bool seen[kMaxRank] = {};
  for (int i = 0; i < rank; ++i) {
    const int64_t p = int_element(perm, i);
    if (p < 0 || p >= rank) {
      return invalid_argument(std::to_string(p) + " is out of range [0 .. " +
                              std::to_string(rank) + ")");
    }
    seen[p] = true;
    out[i] = p;
  }
  for (int i = 0; i < rank; ++i) {
    if (!seen[i]) {
      std::string list;
      for (int j = 0; j < rank; ++j) list += (j ? "," : "") + std::to_string(out[j]);
      return invalid_argument(std::to_string(i) + " is missing from {" + list + "}.");
    }
  }
  return Status::OK();
}

Status transpose_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, 1));
  const Shape& in = ctx.input_shape(0);
  const Shape& perm_shape = ctx.input_shape(1);
  int rank = in.rank();
  if (rank < 0 && perm_shape.rank_known() && perm_shape.dim(0) != kUnknownDim) {
    rank = static_cast<int>(perm_shape.dim(0));
  }
  if (rank < 0 || rank > kMaxRank) {
    ctx.set_output(0, ctx.input_dtype(0), Shape::unknown());
    return Status::OK();
  }
  Shape out;
  if (const Tensor* perm = ctx.input_value(1)) {
    int64_t p[kMaxRank];
    Status s = read_perm(*perm, rank, p);
    if (!s.ok()) return shape_error(ctx, s.message());
    for (int d = 0; d < rank; ++d) out.add_dim(in.rank_known() ? in.dim(p[d]) : kUnknownDim);
  } else {
    if (perm_shape.rank_known() && perm_shape.dim(0) != kUnknownDim &&
        perm_shape.dim(0) != rank) {
      return shape_error(ctx, "Dimensions must be equal, but are " + std::to_string(rank) +
                                  " and " + std::to_string(perm_shape.dim(0)));
    }
    for (int d = 0; d < rank; ++d) out.add_dim(kUnknownDim);
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status transpose_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int rank = x.shape().rank();
  int64_t perm[kMaxRank];
  TL_RETURN_IF_ERROR(read_perm(ctx.input(1), rank, perm));
  int64_t in_strides[kMaxRank];
  row_major_strides(x.shape(), in_strides);
  Tensor& out = ctx.output(0);
  CopyLayout l = contiguous_dst_layout(out.shape());
  for (int d = 0; d < rank; ++d) l.src_strides[d] = in_strides[perm[d]];
  strided_copy(ctx, dtype_size(x.dtype()), x.raw_data(), out.raw_data(), l);
  return Status::OK();
}

// ---- ReverseV2 ----

// Marks the axes held by `axis` in `reversed`, checking range and repeats.
Status read_reverse_axes(const Tensor& axis, int rank, bool* reversed) {
  for (int64_t i = 0; i < axis.num_elements(); ++i) {
    int64_t a;
    TL_RETURN_IF_ERROR(canonical_axis(int_element(axis, i), rank, 0, "'axis'", &a));
    if (reversed[a]) {
      return invalid_argument("axis " + std::to_string(a) + " specified more than once.");
    }
    reversed[a] = true;
  }
  return Status::OK();
}

Status reverse_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, 1));
  const Shape& in = ctx.input_shape(0);
  if (const Tensor* axis = ctx.input_value(1); axis && in.rank_known()) {
    bool reversed[kMaxRank] = {};
    Status s = read_reverse_axes(*axis, in.rank(), reversed);
    if (!s.ok()) return shape_error(ctx, s.message());
  }
  ctx.set_output(0, ctx.input_dtype(0), in);
  return Status::OK();
}

Status reverse_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int rank = x.shape().rank();
  bool reversed[kMaxRank] = {};
  TL_RETURN_IF_ERROR(read_reverse_axes(ctx.input(1), rank, reversed));
  Tensor& out = ctx.output(0);
  if (out.num_elements() == 0) return Status::OK();
  CopyLayout l = contiguous_dst_layout(out.shape());
  int64_t offset = 0;
  for (int d = 0; d < rank; ++d) {
    l.src_strides[d] = reversed[d] ? -l.dst_strides[d] : l.dst_strides[d];
    if (reversed[d]) offset += (l.dims[d] - 1) * l.dst_strides[d];
  }
  const size_t size = dtype_size(x.dtype());
  strided_copy(ctx, size, static_cast<const char*>(x.raw_data()) + offset * size,
               out.raw_data(), l);
  return Status::OK();
}

// ---- Tile ----

// Bound on multiples and tiled dims, so that no size computation overflows.
constexpr int64_t kMaxTiledDim = int64_t{1} << 40;

Status read_multiples(const Tensor& m, int rank, int64_t* out) {
  if (m.num_elements() != rank) {
    return invalid_argument("Expected multiples argument to be a vector of length " +
                            std::to_string(rank) + " but got length " +
                            std::to_string(m.num_elements()));
  }
  for (int d = 0; d < rank; ++d) {
    out[d] = int_element(m, d);
    if (out[d] < 0) {
      return invalid_argument("Expected multiples[" + std::to_string(d) + "] >= 0, but got " +
                              std::to_string(out[d]));
    }
    if (out[d] > kMaxTiledDim) {
      return invalid_argument("multiples[" + std::to_string(d) + "] = " +
                              std::to_string(out[d]) + " is too large");
    }
  }
  return Status::OK();
}

Status tile_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, 1));
  const Shape& in = ctx.input_shape(0);
  const Shape& m_shape = ctx.input_shape(1);
  int rank = in.rank();
  if (rank < 0 && m_shape.rank_known() && m_shape.dim(0) != kUnknownDim) {
    rank = static_cast<int>(m_shape.dim(0));
  }
  if (rank < 0 || rank > kMaxRank) {
    ctx.set_output(0, ctx.input_dtype(0), Shape::unknown());
    return Status::OK();
  }
  Shape out;
  if (const Tensor* m = ctx.input_value(1)) {
    int64_t mult[kMaxRank];
    Status s = read_multiples(*m, rank, mult);
    if (!s.ok()) return shape_error(ctx, s.message());
    for (int d = 0; d < rank; ++d) {
      const int64_t dim = in.rank_known() ? in.dim(d) : kUnknownDim;
      if (dim != kUnknownDim && mult[d] > 0 && dim > kMaxTiledDim / mult[d]) {
        return shape_error(ctx, "Tile would make dimension " + std::to_string(d) + " too large");
      }
      out.add_dim(dim == kUnknownDim ? (mult[d] == 0 ? 0 : kUnknownDim) : dim * mult[d]);
    }
  } else {
    if (m_shape.rank_known() && m_shape.dim(0) != kUnknownDim && m_shape.dim(0) != rank) {
      return shape_error(ctx, "Expected multiples argument to be a vector of length " +
                                  std::to_string(rank) + " but got length " +
                                  std::to_string(m_shape.dim(0)));
    }
    for (int d = 0; d < rank; ++d) out.add_dim(kUnknownDim);
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// Output dim d of size m[d] * n[d] is walked as two dims (copy, element): the copy index
// moves n[d] output rows and no input, the element index moves both.
Status tile_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int rank = x.shape().rank();
  int64_t mult[kMaxRank];
  TL_RETURN_IF_ERROR(read_multiples(ctx.input(1), rank, mult));
  Tensor& out = ctx.output(0);
  int64_t in_strides[kMaxRank], out_strides[kMaxRank];
  row_major_strides(x.shape(), in_strides);
  row_major_strides(out.shape(), out_strides);
  CopyLayout l;
  l.rank = 2 * rank;
  for (int d = 0; d < rank; ++d) {
    const int64_t n = x.shape().dim(d);
    l.dims[2 * d] = mult[d];
    l.src_strides[2 * d] = 0;
    l.dst_strides[2 * d] = n * out_strides[d];
    l.dims[2 * d + 1] = n;
    l.src_strides[2 * d + 1] = in_strides[d];
    l.dst_strides[2 * d + 1] = out_strides[d];
  }
  strided_copy(ctx, dtype_size(x.dtype()), x.raw_data(), out.raw_data(), l);
  return Status::OK();
}

}  // namespace

void register_transpose_ops(OpRegistry& r) {
  r.add_builtin(OpDef("Transpose").input("x").input("perm").shape(transpose_shape));
  r.add_builtin(OpDef("ReverseV2").input("tensor").input("axis").shape(reverse_shape));
  r.add_builtin(OpDef("Tile").input("input").input("multiples").shape(tile_shape));
}

void register_transpose_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("Transpose", Device::kCPU).compute(transpose_kernel));
  r.add_builtin(KernelDef("ReverseV2", Device::kCPU).compute(reverse_kernel));
  r.add_builtin(KernelDef("Tile", Device::kCPU).compute(tile_kernel));
}

}  // namespace tl
