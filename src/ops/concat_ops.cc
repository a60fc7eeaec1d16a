// ConcatV2, Pack, Unpack, Split and SplitV: tensors joined or cut along one axis. Seen as
// [rows, width] matrices split after the axis, every piece is a block of columns, so each
// kernel is one row-interleaved copy (move_rows).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ops/array_util.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// Joined rows narrower than this move piece by piece with strided copies; wider ones by
// memcpy of byte ranges.
constexpr int64_t kWideRowBytes = 512;

// Row r of the joined buffer is row r of piece 0, then row r of piece 1, ...; piece k's rows
// are bytes[k] long (a multiple of `elem_size`). `join`: pieces -> joined, else joined ->
// pieces. Wide rows are split into equal byte ranges of the joined buffer, whatever the
// pieces' sizes; narrow rows are one strided copy per piece.
void move_rows(KernelContext& ctx, int64_t rows, const std::vector<int64_t>& bytes,
               size_t elem_size, char* joined, const std::vector<char*>& pieces, bool join) {
  std::vector<int64_t> first(bytes.size() + 1, 0);  // byte offset of each piece within a row
  for (size_t k = 0; k < bytes.size(); ++k) first[k + 1] = first[k] + bytes[k];
  const int64_t row_bytes = first.back(), total = rows * row_bytes;
  if (total == 0) return;
  const int64_t elem = static_cast<int64_t>(elem_size);
  if (row_bytes < kWideRowBytes) {
    for (size_t k = 0; k < bytes.size(); ++k) {
      if (bytes[k] == 0) continue;
      CopyLayout l;
      l.rank = 2;
      l.dims[0] = rows;
      l.dims[1] = bytes[k] / elem;
      int64_t* piece_strides = join ? l.src_strides : l.dst_strides;
      int64_t* joined_strides = join ? l.dst_strides : l.src_strides;
      piece_strides[0] = bytes[k] / elem;
      joined_strides[0] = row_bytes / elem;
      piece_strides[1] = joined_strides[1] = 1;
      char* at = joined + first[k];
      strided_copy(ctx, elem_size, join ? pieces[k] : at, join ? at : pieces[k], l);
    }
    return;
  }
  const int64_t chunks = (total + kCopyGrainBytes - 1) / kCopyGrainBytes;
  ctx.parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
    int64_t at = b * kCopyGrainBytes;
    const int64_t stop = std::min(total, e * kCopyGrainBytes);
    while (at < stop) {
      const int64_t row = at / row_bytes, offset = at % row_bytes;
      // The last piece starting at or before `offset` (skips empty pieces).
      const size_t k = static_cast<size_t>(
          std::upper_bound(first.begin(), first.end(), offset) - first.begin() - 1);
      const int64_t n = std::min(stop - at, first[k + 1] - offset);
      char* piece = pieces[k] + row * bytes[k] + (offset - first[k]);
      if (join) {
        std::memcpy(joined + at, piece, static_cast<size_t>(n));
      } else {
        std::memcpy(piece, joined + at, static_cast<size_t>(n));
      }
      at += n;
    }
  });
}

// Product of dims [from, to) of a fully defined shape.
int64_t dims_product(const Shape& s, int from, int to) {
  int64_t n = 1;
  for (int d = from; d < to; ++d) n *= s.dim(d);
  return n;
}

// The known value of scalar int input `i`, if any.
bool known_int(const InferenceContext& ctx, int i, int64_t* v) {
  const Tensor* t = ctx.input_value(i);
  if (!t || t->num_elements() != 1) return false;
  *v = int_element(*t, 0);
  return true;
}

// ---- ConcatV2: values..., axis ----

Status concat_shape(InferenceContext& ctx) {
  const int n = ctx.num_inputs() - 1;
  if (n < 1) return shape_error(ctx, "ConcatV2 needs at least one value and an axis");
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  for (int i = 1; i < n; ++i) TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, n, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, n, 0, 0));
  int rank = -1;
  for (int i = 0; i < n; ++i) {
    const int r = ctx.input_shape(i).rank();
    if (r < 0) continue;
    if (rank >= 0 && r != rank) {
      return shape_error(ctx, "Shape must be rank " + std::to_string(rank) + " but is rank " +
                                  std::to_string(r));
    }
    rank = r;
  }
  if (rank == 0) return shape_error(ctx, "Can't concatenate scalars (use tf.stack instead)");
  int64_t axis;
  if (rank < 0 || !known_int(ctx, n, &axis)) {
    Shape out = Shape::unknown();
    if (rank > 0) {
      out = Shape();
      for (int d = 0; d < rank; ++d) out.add_dim(kUnknownDim);
    }
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::OK();
  }
  Status s = canonical_axis(axis, rank, 0, "concatenating dimensions", &axis);
  if (!s.ok()) return shape_error(ctx, "ConcatOp : " + s.message());
  Shape out;
  for (int d = 0; d < rank; ++d) out.add_dim(d == axis ? 0 : kUnknownDim);
  for (int i = 0; i < n; ++i) {
    const Shape& in = ctx.input_shape(i);
    if (!in.rank_known()) {
      out.set_dim(static_cast<int>(axis), kUnknownDim);
      continue;
    }
    for (int d = 0; d < rank; ++d) {
      const int64_t v = in.dim(d), o = out.dim(d);
      if (d == axis) {
        out.set_dim(d, v == kUnknownDim || o == kUnknownDim ? kUnknownDim : o + v);
      } else if (o == kUnknownDim) {
        out.set_dim(d, v);
      } else if (v != kUnknownDim && v != o) {
        return shape_error(ctx, "Dimension " + std::to_string(d) +
                                    " in both shapes must be equal, but are " +
                                    std::to_string(o) + " and " + std::to_string(v));
      }
    }
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status concat_kernel(KernelContext& ctx) {
  const int n = ctx.num_inputs() - 1;
  Tensor& out = ctx.output(0);
  const Shape& shape = out.shape();
  const int rank = shape.rank();
  int64_t axis;
  TL_RETURN_IF_ERROR(canonical_axis(int_element(ctx.input(n), 0), rank, 0,
                                    "concatenating dimensions", &axis));
  const int a = static_cast<int>(axis);
  const int64_t rows = dims_product(shape, 0, a);
  const int64_t inner = dims_product(shape, a + 1, rank) * dtype_size(out.dtype());
  std::vector<int64_t> bytes(n);
  std::vector<char*> pieces(n);
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    const Shape& in = ctx.input(i).shape();
    bool match = in.rank() == rank;
    for (int d = 0; match && d < rank; ++d) match = d == a || in.dim(d) == shape.dim(d);
    if (!match) {
      return invalid_argument("ConcatOp : Dimensions of inputs should match: shape[0] = " +
                              ctx.input(0).shape().to_string() + " vs. shape[" +
                              std::to_string(i) + "] = " + in.to_string());
    }
    bytes[i] = in.dim(a) * inner;
    total += in.dim(a);
    pieces[i] = static_cast<char*>(ctx.input(i).raw_data());
  }
  if (total != shape.dim(a)) {
    return invalid_argument("ConcatOp : the inputs' sizes along axis " + std::to_string(a) +
                            " add up to " + std::to_string(total) + ", not " +
                            std::to_string(shape.dim(a)));
  }
  move_rows(ctx, rows, bytes, dtype_size(out.dtype()), static_cast<char*>(out.raw_data()),
            pieces, /*join=*/true);
  return Status::OK();
}

// ---- Pack, Unpack ----

Status pack_shape(InferenceContext& ctx) {
  const int n = ctx.num_inputs();
  if (n < 1) return shape_error(ctx, "Pack needs at least one value");
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  Shape merged = ctx.input_shape(0);
  for (int i = 1; i < n; ++i) {
    TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
    Shape next;
    if (!merged.merge(ctx.input_shape(i), &next).ok()) {
      return shape_error(ctx, "Shapes must be equal rank, but are " + merged.to_string() +
                                  " and " + ctx.input_shape(i).to_string() +
                                  " From merging shape 0 with other shapes.");
    }
    merged = next;
  }
  if (!merged.rank_known()) {
    ctx.set_output(0, ctx.input_dtype(0), Shape::unknown());
    return Status::OK();
  }
  int64_t axis;
  Status s = canonical_axis(ctx.attrs().get<int64_t>("axis"), merged.rank(), 1, "axis", &axis);
  if (!s.ok()) return shape_error(ctx, s.message());
  if (merged.rank() >= kMaxRank) return shape_error(ctx, "Pack would exceed the maximum rank");
  Shape out;
  for (int d = 0; d <= merged.rank(); ++d) {
    if (d == axis) out.add_dim(n);
    if (d < merged.rank()) out.add_dim(merged.dim(d));
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status pack_kernel(KernelContext& ctx) {
  const int n = ctx.num_inputs();
  const Shape& in = ctx.input(0).shape();
  for (int i = 1; i < n; ++i) {
    if (ctx.input(i).shape() != in) {
      return invalid_argument("Shapes of all inputs must match: values[0].shape = " +
                              in.to_string() + " != values[" + std::to_string(i) +
                              "].shape = " + ctx.input(i).shape().to_string());
    }
  }
  int64_t axis;
  TL_RETURN_IF_ERROR(canonical_axis(ctx.attrs().get<int64_t>("axis"), in.rank(), 1, "axis",
                                    &axis));
  const int a = static_cast<int>(axis);
  std::vector<int64_t> bytes(n, dims_product(in, a, in.rank()) *
                                   static_cast<int64_t>(dtype_size(ctx.input(0).dtype())));
  std::vector<char*> pieces(n);
  for (int i = 0; i < n; ++i) pieces[i] = static_cast<char*>(ctx.input(i).raw_data());
  move_rows(ctx, dims_product(in, 0, a), bytes, dtype_size(ctx.input(0).dtype()),
            static_cast<char*>(ctx.output(0).raw_data()), pieces, /*join=*/true);
  return Status::OK();
}

Status unpack_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  const Shape& in = ctx.input_shape(0);
  const int64_t num = ctx.attrs().get<int64_t>("num");
  Shape out = Shape::unknown();
  if (in.rank_known()) {
    int64_t axis;
    Status s = canonical_axis(ctx.attrs().get<int64_t>("axis"), in.rank(), 0, "axis", &axis);
    if (!s.ok()) return shape_error(ctx, s.message());
    const int64_t dim = in.dim(static_cast<int>(axis));
    if (dim != kUnknownDim && dim != num) {
      return shape_error(ctx, "Dimension must be " + std::to_string(num) + " but is " +
                                  std::to_string(dim));
    }
    out = Shape();
    for (int d = 0; d < in.rank(); ++d) {
      if (d != axis) out.add_dim(in.dim(d));
    }
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) ctx.set_output(i, ctx.input_dtype(0), out);
  return Status::OK();
}

Status unpack_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Shape& in = x.shape();
  int64_t axis;
  TL_RETURN_IF_ERROR(canonical_axis(ctx.attrs().get<int64_t>("axis"), in.rank(), 0, "axis",
                                    &axis));
  const int a = static_cast<int>(axis);
  const int n = ctx.num_outputs();
  if (in.dim(a) != n) {
    return invalid_argument("Input shape axis " + std::to_string(a) + " must equal " +
                            std::to_string(n) + ", got shape " + in.to_string());
  }
  std::vector<int64_t> bytes(n, dims_product(in, a + 1, in.rank()) * dtype_size(x.dtype()));
  std::vector<char*> pieces(n);
  for (int i = 0; i < n; ++i) pieces[i] = static_cast<char*>(ctx.output(i).raw_data());
  move_rows(ctx, dims_product(in, 0, a), bytes, dtype_size(x.dtype()),
            static_cast<char*>(x.raw_data()), pieces, /*join=*/false);
  return Status::OK();
}

// ---- Split (split_dim, value), SplitV (value, size_splits, split_dim) ----

// The sizes of the pieces along the axis of length `dim` (kUnknownDim when unknown):
// `sizes` null for Split's equal pieces, else SplitV's sizes (one may be -1).
Status split_sizes(int64_t dim, int num, const std::vector<int64_t>* sizes,
                   std::vector<int64_t>* out) {
  out->assign(num, kUnknownDim);
  if (!sizes) {
    if (dim == kUnknownDim) return Status::OK();
    if (dim % num != 0) {
      return invalid_argument("Dimension size must be evenly divisible by " +
                              std::to_string(num) + " but is " + std::to_string(dim));
    }
    out->assign(num, dim / num);
    return Status::OK();
  }
  if (static_cast<int64_t>(sizes->size()) != num) {
    return invalid_argument("size_splits must have " + std::to_string(num) +
                            " elements (num_split), got " + std::to_string(sizes->size()));
  }
  int unknown = -1;
  int64_t known = 0;
  for (int i = 0; i < num; ++i) {
    const int64_t s = (*sizes)[i];
    if (s == -1) {
      if (unknown >= 0) {
        return invalid_argument("Only one dimensions can have a value of -1. Second one found "
                                "at dimension " + std::to_string(i));
      }
      unknown = i;
    } else if (s < 0) {
      return invalid_argument("size_splits[" + std::to_string(i) +
                              "] must be non-negative or -1, got " + std::to_string(s));
    } else {
      known += s;
    }
    (*out)[i] = s;
  }
  if (dim == kUnknownDim) return Status::OK();
  if ((unknown < 0 && known != dim) || (unknown >= 0 && known > dim)) {
    return invalid_argument("Determined shape must either match input shape along split_dim "
                            "exactly if fully specified, or be less than the size of the "
                            "input along split_dim if not fully specified.  Got: " +
                            std::to_string(known));
  }
  if (unknown >= 0) (*out)[unknown] = dim - known;
  return Status::OK();
}

template <bool kSizes>
Status split_shape(InferenceContext& ctx) {
  const int value = kSizes ? 0 : 1, axis_input = kSizes ? 2 : 0;
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, value, PodTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, axis_input, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, axis_input, 0, 0));
  const int num = ctx.num_outputs();
  if (num < 1) return shape_error(ctx, "num_split must be at least 1, got " + std::to_string(num));
  std::vector<int64_t> sizes;
  if (kSizes) {
    TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
    TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, 1));
    if (const Tensor* t = ctx.input_value(1)) {
      for (int64_t i = 0; i < t->num_elements(); ++i) sizes.push_back(int_element(*t, i));
    }
  }
  const Shape& in = ctx.input_shape(value);
  const DType dtype = ctx.input_dtype(value);
  int64_t axis;
  if (!in.rank_known() || !known_int(ctx, axis_input, &axis)) {
    Shape out = Shape::unknown();
    if (in.rank_known()) {
      out = Shape();
      for (int d = 0; d < in.rank(); ++d) out.add_dim(kUnknownDim);
    }
    for (int i = 0; i < num; ++i) ctx.set_output(i, dtype, out);
    return Status::OK();
  }
  Status s = canonical_axis(axis, in.rank(), 0, "split_dim", &axis);
  if (!s.ok()) return shape_error(ctx, s.message());
  const int a = static_cast<int>(axis);
  std::vector<int64_t> pieces;
  const bool sizes_known = !kSizes || ctx.input_value(1);
  if (sizes_known) {
    s = split_sizes(in.dim(a), num, kSizes ? &sizes : nullptr, &pieces);
    if (!s.ok()) return shape_error(ctx, s.message());
  } else {
    pieces.assign(num, kUnknownDim);
  }
  for (int i = 0; i < num; ++i) {
    Shape out = in;
    out.set_dim(a, pieces[i]);
    ctx.set_output(i, dtype, out);
  }
  return Status::OK();
}

template <bool kSizes>
Status split_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(kSizes ? 0 : 1);
  const Shape& in = x.shape();
  int64_t axis;
  TL_RETURN_IF_ERROR(canonical_axis(int_element(ctx.input(kSizes ? 2 : 0), 0), in.rank(), 0,
                                    "split_dim", &axis));
  const int a = static_cast<int>(axis);
  const int n = ctx.num_outputs();
  std::vector<int64_t> sizes, pieces_dim;
  if (kSizes) {
    for (int64_t i = 0; i < ctx.input(1).num_elements(); ++i) {
      sizes.push_back(int_element(ctx.input(1), i));
    }
  }
  TL_RETURN_IF_ERROR(split_sizes(in.dim(a), n, kSizes ? &sizes : nullptr, &pieces_dim));
  const int64_t inner = dims_product(in, a + 1, in.rank()) * dtype_size(x.dtype());
  std::vector<int64_t> bytes(n);
  std::vector<char*> pieces(n);
  for (int i = 0; i < n; ++i) {
    if (ctx.output(i).shape().dim(a) != pieces_dim[i]) {
      return internal_error("Split: output " + std::to_string(i) + " has the wrong shape");
    }
    bytes[i] = pieces_dim[i] * inner;
    pieces[i] = static_cast<char*>(ctx.output(i).raw_data());
  }
  move_rows(ctx, dims_product(in, 0, a), bytes, dtype_size(x.dtype()),
            static_cast<char*>(x.raw_data()), pieces, /*join=*/false);
  return Status::OK();
}

}  // namespace

void register_concat_ops(OpRegistry& r) {
  r.add_builtin(OpDef("ConcatV2").variadic_input("values").shape(concat_shape));
  r.add_builtin(OpDef("Pack").variadic_input("values").attr("axis", AttrType::kInt, int64_t{0})
                    .shape(pack_shape));
  r.add_builtin(OpDef("Unpack").input("value").attr("num", AttrType::kInt)
                    .attr("axis", AttrType::kInt, int64_t{0}).outputs_from_attr("num")
                    .shape(unpack_shape));
  r.add_builtin(OpDef("Split").input("split_dim").input("value")
                    .attr("num_split", AttrType::kInt).outputs_from_attr("num_split")
                    .shape(split_shape<false>));
  r.add_builtin(OpDef("SplitV").input("value").input("size_splits").input("split_dim")
                    .attr("num_split", AttrType::kInt).outputs_from_attr("num_split")
                    .shape(split_shape<true>));
}

void register_concat_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("ConcatV2", Device::kCPU).compute(concat_kernel));
  r.add_builtin(KernelDef("Pack", Device::kCPU).compute(pack_kernel));
  r.add_builtin(KernelDef("Unpack", Device::kCPU).compute(unpack_kernel));
  r.add_builtin(KernelDef("Split", Device::kCPU).compute(split_kernel<false>));
  r.add_builtin(KernelDef("SplitV", Device::kCPU).compute(split_kernel<true>));
}

}  // namespace tl
