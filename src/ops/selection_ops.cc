// TopKV2, InTopKV2, Unique and UniqueWithCounts: ops that pick elements by their values.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// True when a comes before b in descending order: NaN first (as the largest value), equal
// values by the lower index first (TF's order of ties).
template <typename T>
struct Descending {
  const T* v;
  bool operator()(int32_t a, int32_t b) const {
    const T x = v[a], y = v[b];
    if constexpr (std::is_floating_point_v<T>) {
      const bool nx = std::isnan(x), ny = std::isnan(y);
      if (nx || ny) return nx && (!ny || a < b);
    }
    return x > y || (x == y && a < b);
  }
};

// ---- TopKV2: input, k -> values, indices ----

Status top_k_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, kMaxRank));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 0, 0));
  const Shape& in = ctx.input_shape(0);
  int64_t k = kUnknownDim;
  if (const Tensor* v = ctx.input_value(1)) {
    k = int_element(*v, 0);
    if (k < 0) return shape_error(ctx, "Need k >= 0, got " + std::to_string(k));
  }
  Shape out = Shape::unknown();
  if (in.rank_known()) {
    const int64_t n = in.dim(in.rank() - 1);
    if (k != kUnknownDim && n != kUnknownDim && n < k) {
      return shape_error(ctx, "input must have at least k columns. Had " + std::to_string(n) +
                                  ", needed " + std::to_string(k));
    }
    out = Shape();
    for (int d = 0; d + 1 < in.rank(); ++d) out.add_dim(in.dim(d));
    out.add_dim(k);
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  ctx.set_output(1, DType::kInt32, out);
  return Status::OK();
}

Status top_k_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t n = x.shape().dim(x.shape().rank() - 1);
  const int64_t k = ctx.output(0).shape().dim(x.shape().rank() - 1);
  if (n > INT32_MAX) return invalid_argument("TopKV2: the last dim must fit in int32");
  const int64_t rows = n == 0 ? 0 : x.num_elements() / n;
  if (k == 0 || rows == 0) return Status::OK();
  return dispatch(NumericTypes{}, x.dtype(), "TopKV2", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x.data<T>();
    T* values = ctx.output(0).data<T>();
    int32_t* indices = ctx.output(1).data<int32_t>();
    ctx.parallel_for(rows, std::max<int64_t>(1, kElementwiseGrain / (n + 1)),
                     [&](int64_t b, int64_t e) {
      std::vector<int32_t> order(static_cast<size_t>(n));
      for (int64_t r = b; r < e; ++r) {
        const T* row = in + r * n;
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + k, order.end(), Descending<T>{row});
        for (int64_t j = 0; j < k; ++j) {
          indices[r * k + j] = order[j];
          values[r * k + j] = row[order[j]];
        }
      }
    });
  });
}

// ---- InTopKV2: predictions, targets, k -> precision ----
// True where the target's prediction is finite and fewer than k predictions of its row are
// larger (ties count in the target's favour). A row holding a non-finite prediction, or a
// target out of range, gives false.

Status in_top_k_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 2, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 2, 2));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, 1));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 0, 0));
  const Shape& p = ctx.input_shape(0);
  const Shape& t = ctx.input_shape(1);
  int64_t batch = p.rank_known() ? p.dim(0) : kUnknownDim;
  if (t.rank_known()) {
    if (batch != kUnknownDim && t.dim(0) != kUnknownDim && batch != t.dim(0)) {
      return shape_error(ctx, "First dimension of predictions " + std::to_string(batch) +
                                  " must match length of targets " + std::to_string(t.dim(0)));
    }
    if (batch == kUnknownDim) batch = t.dim(0);
  }
  ctx.set_output(0, DType::kBool, Shape({batch}));
  return Status::OK();
}

Status in_top_k_kernel(KernelContext& ctx) {
  const Tensor& p = ctx.input(0);
  const Tensor& targets = ctx.input(1);
  const int64_t k = int_element(ctx.input(2), 0);
  const int64_t batch = p.shape().dim(0), classes = p.shape().dim(1);
  if (targets.shape().dim(0) != batch) {
    return invalid_argument("First dimension of predictions " + std::to_string(batch) +
                            " must match length of targets " +
                            std::to_string(targets.shape().dim(0)));
  }
  bool* out = ctx.output(0).data<bool>();
  return dispatch(FloatTypes{}, p.dtype(), "InTopKV2", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pred = p.data<T>();
    dispatch(IntTypes{}, targets.dtype(), "InTopKV2", [&](auto itag) {
      using Index = typename decltype(itag)::type;
      const Index* target = targets.data<Index>();
      ctx.parallel_for(batch, std::max<int64_t>(1, kElementwiseGrain / (classes + 1)),
                       [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const T* row = pred + r * classes;
          const int64_t t = static_cast<int64_t>(target[r]);
          bool ok = t >= 0 && t < classes;
          int64_t larger = 0;
          for (int64_t c = 0; ok && c < classes; ++c) {
            ok = std::isfinite(row[c]);
            larger += row[c] > row[t];
          }
          out[r] = ok && larger < k;
        }
      });
    });
  });
}

// ---- Unique, UniqueWithCounts: x -> y, idx (, count) ----
// y holds x's distinct values in the order they first occur; x[i] == y[idx[i]].

Status unique_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericOrBoolTypes{}));
  TL_RETURN_IF_ERROR(check_attr_dtype(ctx, "out_idx", IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, 1));
  const Shape& x = ctx.input_shape(0);
  const DType index = ctx.attrs().get<DType>("out_idx");
  ctx.set_output(0, ctx.input_dtype(0), Shape({kUnknownDim}));
  ctx.set_output(1, index, Shape({x.rank_known() ? x.dim(0) : kUnknownDim}));
  if (ctx.num_outputs() == 3) ctx.set_output(2, index, Shape({kUnknownDim}));
  return Status::OK();
}

Status unique_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t n = x.num_elements();
  const DType index = ctx.attrs().get<DType>("out_idx");
  return dispatch(NumericOrBoolTypes{}, x.dtype(), "Unique", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* in = x.data<T>();
    std::unordered_map<T, int64_t> position;
    std::vector<int64_t> idx(static_cast<size_t>(n)), first, count;
    for (int64_t i = 0; i < n; ++i) {
      auto [it, added] = position.emplace(in[i], static_cast<int64_t>(first.size()));
      if (added) {
        first.push_back(i);
        count.push_back(0);
      }
      idx[i] = it->second;
      ++count[it->second];
    }
    const int64_t m = static_cast<int64_t>(first.size());
    TL_RETURN_IF_ERROR(Tensor::allocate(x.dtype(), Shape({m}), &ctx.output(0)));
    TL_RETURN_IF_ERROR(Tensor::allocate(index, Shape({n}), &ctx.output(1)));
    T* y = ctx.output(0).data<T>();
    for (int64_t j = 0; j < m; ++j) y[j] = in[first[j]];
    const bool counts = ctx.num_outputs() == 3;
    if (counts) TL_RETURN_IF_ERROR(Tensor::allocate(index, Shape({m}), &ctx.output(2)));
    return dispatch(IntTypes{}, index, "Unique", [&](auto itag) {
      using Index = typename decltype(itag)::type;
      std::copy(idx.begin(), idx.end(), ctx.output(1).data<Index>());
      if (counts) std::copy(count.begin(), count.end(), ctx.output(2).data<Index>());
    });
  });
}

}  // namespace

void register_selection_ops(OpRegistry& r) {
  r.add_builtin(OpDef("TopKV2").input("input").input("k").outputs(2)
                    .attr("sorted", AttrType::kBool, true).shape(top_k_shape));
  r.add_builtin(OpDef("InTopKV2").input("predictions").input("targets").input("k")
                    .shape(in_top_k_shape));
  r.add_builtin(OpDef("Unique").input("x").outputs(2)
                    .attr("out_idx", AttrType::kType, DType::kInt32).shape(unique_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("UniqueWithCounts").input("x").outputs(3)
                    .attr("out_idx", AttrType::kType, DType::kInt32).shape(unique_shape)
                    .sets_own_outputs());
}

void register_selection_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("TopKV2", Device::kCPU).compute(top_k_kernel));
  r.add_builtin(KernelDef("InTopKV2", Device::kCPU).compute(in_top_k_kernel));
  r.add_builtin(KernelDef("Unique", Device::kCPU).compute(unique_kernel));
  r.add_builtin(KernelDef("UniqueWithCounts", Device::kCPU).compute(unique_kernel));
}

}  // namespace tl
