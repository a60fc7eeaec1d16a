// GatherV2, GatherNd, ScatterNd, OneHot and UnsortedSegmentSum: outputs indexed by the values of
// an integer tensor.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ops/array_util.h"
#include "ops/cpu_features.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// "[1,0]": the position of flat element `i` of a tensor of shape `s`.
std::string position(const Shape& s, int64_t i) {
  std::string out;
  for (int d = s.rank() - 1; d >= 0; --d) {
    out = std::to_string(i % s.dim(d)) + (out.empty() ? "" : ",") + out;
    i /= s.dim(d);
  }
  return "[" + out + "]";
}

// o[k] += x[k] for k < n.
template <typename T>
inline void add_into(T* o, const T* x, int64_t n) {
  for (int64_t k = 0; k < n; ++k) o[k] += x[k];
}

// ---- GatherV2: params, indices, axis ----

Status gather_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 2, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, kMaxRank));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 0, 0));
  const Shape& params = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  const Tensor* axis_value = ctx.input_value(2);
  if (!params.rank_known() || !indices.rank_known() || !axis_value) {
    Shape out = Shape::unknown();
    if (params.rank_known() && indices.rank_known() &&
        params.rank() - 1 + indices.rank() <= kMaxRank) {
      out = Shape();
      for (int d = 0; d < params.rank() - 1 + indices.rank(); ++d) out.add_dim(kUnknownDim);
    }
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::OK();
  }
  int64_t axis;
  Status s = canonical_axis(int_element(*axis_value, 0), params.rank(), 0, "axis", &axis);
  if (!s.ok()) return shape_error(ctx, s.message());
  if (params.rank() - 1 + indices.rank() > kMaxRank) {
    return shape_error(ctx, "tensorlib supports tensors of rank up to " +
                                std::to_string(kMaxRank));
  }
  Shape out;
  for (int d = 0; d < axis; ++d) out.add_dim(params.dim(d));
  for (int d = 0; d < indices.rank(); ++d) out.add_dim(indices.dim(d));
  for (int d = static_cast<int>(axis) + 1; d < params.rank(); ++d) out.add_dim(params.dim(d));
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// out[o, i, :] = params[o, indices[i], :] for the [outer, limit, inner] view of params.
template <typename Index, typename U>
void gather_rows(KernelContext& ctx, const U* params, const Index* indices, int64_t outer,
                 int64_t n, int64_t limit, int64_t inner, U* out) {
  const int64_t row_bytes = inner * static_cast<int64_t>(sizeof(U));
  ctx.parallel_for(outer * n, std::max<int64_t>(1, kCopyGrainBytes / row_bytes),
                   [&](int64_t b, int64_t e) {
    int64_t o = b / n, i = b % n;
    for (int64_t row = b; row < e; ++row) {
      const U* src = params + (o * limit + static_cast<int64_t>(indices[i])) * inner;
      U* dst = out + row * inner;
      if (inner == 1) {
        *dst = *src;
      } else {
        std::memcpy(dst, src, static_cast<size_t>(row_bytes));
      }
      if (++i == n) i = 0, ++o;
    }
  });
}

Status gather_kernel(KernelContext& ctx) {
  const Tensor& params = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Shape& ps = params.shape();
  int64_t axis;
  TL_RETURN_IF_ERROR(canonical_axis(int_element(ctx.input(2), 0), ps.rank(), 0, "axis", &axis));
  const int a = static_cast<int>(axis);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < a; ++d) outer *= ps.dim(d);
  for (int d = a + 1; d < ps.rank(); ++d) inner *= ps.dim(d);
  const int64_t limit = ps.dim(a), n = indices.num_elements();
  Tensor& out = ctx.output(0);
  return dispatch(IntTypes{}, indices.dtype(), "GatherV2", [&](auto tag) -> Status {
    using Index = typename decltype(tag)::type;
    const Index* idx = indices.data<Index>();
    // Check every index before copying anything (counted per task, reported in order).
    bool bad = false;
    ctx.parallel_for(n, kElementwiseGrain, [&](int64_t b, int64_t e) {
      bool local = false;
      for (int64_t i = b; i < e; ++i) local |= idx[i] < 0 || idx[i] >= limit;
      if (local) bad = true;
    });
    if (bad) {
      for (int64_t i = 0; i < n; ++i) {
        if (idx[i] < 0 || idx[i] >= limit) {
          return invalid_argument("indices" + position(indices.shape(), i) + " = " +
                                  std::to_string(idx[i]) + " is not in [0, " +
                                  std::to_string(limit) + ")");
        }
      }
    }
    if (out.num_elements() == 0) return Status::OK();
    const size_t size = dtype_size(params.dtype());
    const void* p = params.raw_data();
    void* o = out.raw_data();
    switch (size) {
      case 1:
        gather_rows(ctx, static_cast<const uint8_t*>(p), idx, outer, n, limit, inner,
                    static_cast<uint8_t*>(o));
        break;
      case 2:
        gather_rows(ctx, static_cast<const uint16_t*>(p), idx, outer, n, limit, inner,
                    static_cast<uint16_t*>(o));
        break;
      case 4:
        gather_rows(ctx, static_cast<const uint32_t*>(p), idx, outer, n, limit, inner,
                    static_cast<uint32_t*>(o));
        break;
      default:
        gather_rows(ctx, static_cast<const uint64_t*>(p), idx, outer, n, limit, inner,
                    static_cast<uint64_t*>(o));
    }
    return Status::OK();
  });
}

// ---- GatherNd: params, indices; ScatterNd: indices, updates, shape ----
// The last dim of `indices` (its depth d) holds positions in the first d dims of a tensor of
// shape `dims`: each names a slice dims[d:]. GatherNd copies those slices of params out,
// ScatterNd adds updates' slices into zeros of shape `dims` (repeated positions sum).

// The shape indices.shape[:-1] + dims[depth:] of the gathered slices (unknown parts where the
// inputs' are); fails when the depth exceeds the rank.
Status nd_slices_shape(const InferenceContext& ctx, const Shape& indices, const Shape& dims,
                       Shape* out) {
  *out = Shape::unknown();
  if (!indices.rank_known()) return Status::OK();
  const int64_t depth = indices.dim(indices.rank() - 1);
  if (depth == kUnknownDim || !dims.rank_known()) return Status::OK();
  if (depth > dims.rank()) {
    return shape_error(ctx, "index innermost dimension length must be <= params rank; saw: " +
                                std::to_string(depth) + " vs. " + std::to_string(dims.rank()));
  }
  if (indices.rank() - 1 + dims.rank() - depth > kMaxRank) {
    return shape_error(ctx, "tensorlib supports tensors of rank up to " +
                                std::to_string(kMaxRank));
  }
  *out = Shape();
  for (int d = 0; d + 1 < indices.rank(); ++d) out->add_dim(indices.dim(d));
  for (int d = static_cast<int>(depth); d < dims.rank(); ++d) out->add_dim(dims.dim(d));
  return Status::OK();
}

Status gather_nd_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, kMaxRank));
  Shape out;
  TL_RETURN_IF_ERROR(nd_slices_shape(ctx, ctx.input_shape(1), ctx.input_shape(0), &out));
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// The flat offsets (in slices) of each of the n positions in `indices` (depth d) into the
// first d dims of `dims`; an invalid argument naming the first position out of range.
template <typename Index>
Status slice_offsets(const Tensor& indices, const Shape& dims, const char* what,
                     std::vector<int64_t>* offsets) {
  const Shape& is = indices.shape();
  const int depth = static_cast<int>(is.dim(is.rank() - 1));
  Shape rows_shape;
  for (int d = 0; d + 1 < is.rank(); ++d) rows_shape.add_dim(is.dim(d));
  const int64_t rows = rows_shape.num_elements();
  const Index* idx = indices.data<Index>();
  offsets->assign(static_cast<size_t>(rows), 0);
  for (int64_t i = 0; i < rows; ++i) {
    const Index* p = idx + i * depth;
    int64_t offset = 0;
    bool ok = true;
    for (int j = 0; j < depth; ++j) {
      ok &= p[j] >= 0 && p[j] < dims.dim(j);
      offset = offset * dims.dim(j) + static_cast<int64_t>(p[j]);
    }
    if (!ok) {
      std::string value;
      for (int j = 0; j < depth; ++j) value += (j ? ", " : "") + std::to_string(p[j]);
      return invalid_argument("indices" + position(rows_shape, i) + " = [" + value +
                              "] does not index into " + what + " " + dims.to_string());
    }
    (*offsets)[i] = offset;
  }
  return Status::OK();
}

Status gather_nd_kernel(KernelContext& ctx) {
  const Tensor& params = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const int64_t depth = indices.shape().dim(indices.shape().rank() - 1);
  if (depth > params.shape().rank()) {
    return invalid_argument("index innermost dimension length must be <= params rank; saw: " +
                            std::to_string(depth) + " vs. " +
                            std::to_string(params.shape().rank()));
  }
  int64_t slice = 1;
  for (int d = static_cast<int>(depth); d < params.shape().rank(); ++d) {
    slice *= params.shape().dim(d);
  }
  std::vector<int64_t> offsets;
  TL_RETURN_IF_ERROR(dispatch(IntTypes{}, indices.dtype(), "GatherNd", [&](auto tag) {
    using Index = typename decltype(tag)::type;
    return slice_offsets<Index>(indices, params.shape(), "param shape", &offsets);
  }));
  Tensor& out = ctx.output(0);
  if (out.num_elements() == 0) return Status::OK();
  const int64_t bytes = slice * static_cast<int64_t>(dtype_size(params.dtype()));
  const char* src = static_cast<const char*>(params.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  ctx.parallel_for(static_cast<int64_t>(offsets.size()),
                   std::max<int64_t>(1, kCopyGrainBytes / std::max<int64_t>(1, bytes)),
                   [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      std::memcpy(dst + i * bytes, src + offsets[i] * bytes, static_cast<size_t>(bytes));
    }
  });
  return Status::OK();
}

Status scatter_nd_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, IntTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 2, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, kMaxRank));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 1, 1));
  Shape out;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 2, false, &out));
  Shape want;
  TL_RETURN_IF_ERROR(nd_slices_shape(ctx, ctx.input_shape(0), out, &want));
  const Shape& updates = ctx.input_shape(1);
  if (want.rank_known() && updates.rank_known()) {
    bool same = want.rank() == updates.rank();
    for (int d = 0; same && d < want.rank(); ++d) {
      same = want.dim(d) == kUnknownDim || updates.dim(d) == kUnknownDim ||
             want.dim(d) == updates.dim(d);
    }
    if (!same) {
      return shape_error(ctx, "updates.shape " + updates.to_string() + " must be " +
                                  "indices.shape[:-1] + shape[indices.shape[-1]:] = " +
                                  want.to_string());
    }
  }
  ctx.set_output(0, ctx.input_dtype(1), out);
  return Status::OK();
}

Status scatter_nd_kernel(KernelContext& ctx) {
  const Tensor& indices = ctx.input(0);
  const Tensor& updates = ctx.input(1);
  Tensor& out = ctx.output(0);
  const Shape& dims = out.shape();
  const int64_t depth = indices.shape().dim(indices.shape().rank() - 1);
  if (depth > dims.rank()) {
    return invalid_argument("index innermost dimension length must be <= output rank; saw: " +
                            std::to_string(depth) + " vs. " + std::to_string(dims.rank()));
  }
  int64_t slice = 1;
  for (int d = static_cast<int>(depth); d < dims.rank(); ++d) slice *= dims.dim(d);
  std::vector<int64_t> offsets;
  TL_RETURN_IF_ERROR(dispatch(IntTypes{}, indices.dtype(), "ScatterNd", [&](auto tag) {
    using Index = typename decltype(tag)::type;
    return slice_offsets<Index>(indices, dims, "shape", &offsets);
  }));
  const int64_t n = static_cast<int64_t>(offsets.size());
  if (updates.num_elements() != n * slice) {
    return invalid_argument("updates.shape " + updates.shape().to_string() +
                            " must be indices.shape[:-1] + shape[indices.shape[-1]:]");
  }
  return dispatch(NumericTypes{}, updates.dtype(), "ScatterNd", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* u = updates.data<T>();
    T* y = out.data<T>();
    std::fill(y, y + out.num_elements(), T(0));
    // Each task owns a range of columns of the slices, adding the updates in their order.
    ctx.parallel_for(slice, std::max<int64_t>(1, kElementwiseGrain / (n + 1)),
                     [&](int64_t b, int64_t e) {
      for (int64_t i = 0; i < n; ++i) {
        add_into(y + offsets[i] * slice + b, u + i * slice + b, e - b);
      }
    });
  });
}

// ---- OneHot: indices, depth, on_value, off_value ----

Status one_hot_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, IntTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 2, PodTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 2, 3));
  for (int i = 1; i < 4; ++i) TL_RETURN_IF_ERROR(check_rank(ctx, i, 0, 0));
  const Shape& in = ctx.input_shape(0);
  const int64_t axis = ctx.attrs().get<int64_t>("axis");
  int64_t depth = kUnknownDim;
  if (const Tensor* d = ctx.input_value(1)) {
    depth = int_element(*d, 0);
    if (depth < 0) return shape_error(ctx, "depth must be non-negative, got: " +
                                               std::to_string(depth));
  }
  if (!in.rank_known()) {
    ctx.set_output(0, ctx.input_dtype(2), Shape::unknown());
    return Status::OK();
  }
  if (axis < -1 || axis > in.rank()) {
    return shape_error(ctx, "Expected axis to be -1 or between [0, " +
                                std::to_string(in.rank() + 1) + ").  But received: " +
                                std::to_string(axis));
  }
  if (in.rank() >= kMaxRank) return shape_error(ctx, "OneHot would exceed the maximum rank");
  const int a = axis == -1 ? in.rank() : static_cast<int>(axis);
  Shape out;
  for (int d = 0; d <= in.rank(); ++d) {
    if (d == a) out.add_dim(depth);
    if (d < in.rank()) out.add_dim(in.dim(d));
  }
  ctx.set_output(0, ctx.input_dtype(2), out);
  return Status::OK();
}

Status one_hot_kernel(KernelContext& ctx) {
  const Tensor& indices = ctx.input(0);
  const int64_t depth = int_element(ctx.input(1), 0);
  if (depth < 0) return invalid_argument("depth must be non-negative, got: " +
                                         std::to_string(depth));
  const int64_t axis = ctx.attrs().get<int64_t>("axis");
  const Shape& is = indices.shape();
  if (axis < -1 || axis > is.rank()) {
    return invalid_argument("Expected axis to be -1 or between [0, " +
                            std::to_string(is.rank() + 1) + ").  But received: " +
                            std::to_string(axis));
  }
  const int a = axis == -1 ? is.rank() : static_cast<int>(axis);
  int64_t prefix = 1, suffix = 1;
  for (int d = 0; d < a; ++d) prefix *= is.dim(d);
  for (int d = a; d < is.rank(); ++d) suffix *= is.dim(d);
  Tensor& out = ctx.output(0);
  return dispatch(PodTypes{}, out.dtype(), "OneHot", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T on = *ctx.input(2).data<T>(), off = *ctx.input(3).data<T>();
    T* y = out.data<T>();
    const int64_t block = depth * suffix;
    dispatch(IntTypes{}, indices.dtype(), "OneHot", [&](auto itag) {
      using Index = typename decltype(itag)::type;
      const Index* idx = indices.data<Index>();
      ctx.parallel_for(prefix, std::max<int64_t>(1, kElementwiseGrain / (block + 1)),
                       [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
          T* o = y + p * block;
          std::fill(o, o + block, off);
          for (int64_t s = 0; s < suffix; ++s) {
            const int64_t i = static_cast<int64_t>(idx[p * suffix + s]);
            if (i >= 0 && i < depth) o[i * suffix + s] = on;
          }
        }
      });
    });
  });
}

// ---- UnsortedSegmentSum: data, segment_ids, num_segments ----
// output[j, ...] = sum of data[i..., ...] over the i with segment_ids[i...] == j; ids < 0 are
// dropped (as in TF1). The gradient of GatherV2.

Status unsorted_segment_sum_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 2, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 0, 0));
  int64_t segments = kUnknownDim;
  if (const Tensor* v = ctx.input_value(2)) {
    segments = int_element(*v, 0);
    if (segments < 0) {
      return shape_error(ctx, "num_segments must be non-negative, got " +
                                  std::to_string(segments));
    }
  }
  const Shape& data = ctx.input_shape(0);
  const Shape& ids = ctx.input_shape(1);
  if (!data.rank_known() || !ids.rank_known()) {
    ctx.set_output(0, ctx.input_dtype(0), Shape::unknown());
    return Status::OK();
  }
  bool prefix = ids.rank() <= data.rank();
  for (int d = 0; prefix && d < ids.rank(); ++d) {
    prefix = ids.dim(d) == kUnknownDim || data.dim(d) == kUnknownDim || ids.dim(d) == data.dim(d);
  }
  if (!prefix) {
    return shape_error(ctx, "data.shape = " + data.to_string() +
                                " does not start with segment_ids.shape = " + ids.to_string());
  }
  Shape out({segments});
  for (int d = ids.rank(); d < data.rank(); ++d) out.add_dim(data.dim(d));
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

template <typename T>
TL_TARGET_AVX2 void add_into_avx2(T* o, const T* x, int64_t n) {
  add_into(o, x, n);
}

Status unsorted_segment_sum_kernel(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& ids = ctx.input(1);
  const int64_t segments = int_element(ctx.input(2), 0);
  const int64_t n = ids.num_elements();
  Tensor& out = ctx.output(0);
  // NOTE: checked here too: the shape function does not run again when the output's shape
  // was fully known while building.
  bool prefix = ids.shape().rank() <= data.shape().rank();
  for (int d = 0; prefix && d < ids.shape().rank(); ++d) {
    prefix = ids.shape().dim(d) == data.shape().dim(d);
  }
  if (!prefix) {
    return invalid_argument("data.shape = " + data.shape().to_string() +
                            " does not start with segment_ids.shape = " +
                            ids.shape().to_string());
  }
  const int64_t inner = segments == 0 ? 0 : out.num_elements() / segments;
  return dispatch(IntTypes{}, ids.dtype(), "UnsortedSegmentSum", [&](auto id_tag) -> Status {
    using Index = typename decltype(id_tag)::type;
    const Index* idx = ids.data<Index>();
    for (int64_t i = 0; i < n; ++i) {
      if (idx[i] >= segments) {
        return invalid_argument("segment_ids" + position(ids.shape(), i) + " = " +
                                std::to_string(idx[i]) + " is out of range [0, " +
                                std::to_string(segments) + ")");
      }
    }
    return dispatch(NumericTypes{}, data.dtype(), "UnsortedSegmentSum", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = data.data<T>();
      T* y = out.data<T>();
      auto add = cpu_has_avx2() ? &add_into_avx2<T> : &add_into<T>;
      // Each task owns a range of segments, zeroes them and scans every id: a row is added by
      // the one task owning its segment, in the order of the ids, whatever the thread count.
      const int64_t tasks = (n + segments) * inner < kElementwiseGrain ? 1 : ctx.max_threads();
      const int64_t grain = std::max<int64_t>(1, (segments + tasks - 1) / tasks);
      ctx.parallel_for(segments, grain, [&](int64_t b, int64_t e) {
        std::fill(y + b * inner, y + e * inner, T(0));
        for (int64_t i = 0; i < n; ++i) {
          const int64_t j = static_cast<int64_t>(idx[i]);
          if (j >= b && j < e) add(y + j * inner, x + i * inner, inner);
        }
      });
    });
  });
}

}  // namespace

void register_gather_ops(OpRegistry& r) {
  r.add_builtin(OpDef("GatherV2").input("params").input("indices").input("axis")
                    .shape(gather_shape));
  r.add_builtin(OpDef("UnsortedSegmentSum").input("data").input("segment_ids")
                    .input("num_segments").shape(unsorted_segment_sum_shape));
  r.add_builtin(OpDef("GatherNd").input("params").input("indices").shape(gather_nd_shape));
  r.add_builtin(OpDef("ScatterNd").input("indices").input("updates").input("shape")
                    .shape(scatter_nd_shape));
  r.add_builtin(OpDef("OneHot").input("indices").input("depth").input("on_value")
                    .input("off_value").attr("axis", AttrType::kInt, int64_t{-1})
                    .shape(one_hot_shape));
}

void register_gather_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("GatherV2", Device::kCPU).compute(gather_kernel));
  r.add_builtin(KernelDef("UnsortedSegmentSum", Device::kCPU).compute(unsorted_segment_sum_kernel));
  r.add_builtin(KernelDef("OneHot", Device::kCPU).compute(one_hot_kernel));
  r.add_builtin(KernelDef("GatherNd", Device::kCPU).compute(gather_nd_kernel));
  r.add_builtin(KernelDef("ScatterNd", Device::kCPU).compute(scatter_nd_kernel));
}

}  // namespace tl
