// Sum, Mean, Prod, Max, Min, Any, All, SumToShape (the gradient of a broadcast), ArgMax and ArgMin.
//
// A reduction is run as passes over (outer, reduced, inner) views of the input: adjacent dims
// that are both reduced or both kept are merged first, then each run of reduced dims is removed
// by one pass, innermost first. Partial sums are taken over fixed-size pieces and combined in
// order, so results do not depend on the thread count. The hot loops are compiled for AVX2 and
// for the baseline, and picked at run time.
#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <type_traits>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// Elements summed into one partial sum (rows of a long row reduction are split into pieces).
constexpr int64_t kReducePiece = 1 << 15;
// Columns accumulated together by a column pass (an accumulator array on the stack; wide
// enough that each row's slice spans whole pages, which the prefetcher streams well).
constexpr int64_t kReduceColumns = 4096;
// Elements per piece when a column pass splits its rows.
constexpr int64_t kReduceColumnPiece = 1 << 18;

// The accumulator of a sum: float32 sums are combined in double, int32 sums in int64. The
// integers narrower than 32 bits and uint32 are combined in 64 bits too (which wraps around to
// the same result in T, without int's overflow), complex64 in complex128.
template <typename T>
struct AccumOfT {
  using type = T;
};
template <>
struct AccumOfT<float> {
  using type = double;
};
template <>
struct AccumOfT<std::complex<float>> {
  using type = std::complex<double>;
};
template <typename T>
using AccumOf = typename std::conditional_t<
    std::is_integral_v<T> && sizeof(T) <= 4,
    std::conditional<std::is_signed_v<T>, int64_t, uint64_t>, AccumOfT<T>>::type;

// How partial results are stored in arrays: bools as bytes (std::vector<bool> packs bits,
// which threads cannot write side by side).
template <typename A>
using StoreOf = std::conditional_t<std::is_same_v<A, bool>, uint8_t, A>;

// A reduction of elements of type T: its accumulator type, identity (the result over nothing)
// and combining step. identity and combine are templates because partial results are kept
// in T's own type inside a block and in Acc across blocks.
template <typename T>
struct SumReducer {
  static constexpr const char* kName = "Sum";
  using Acc = AccumOf<T>;
  template <typename A>
  static A identity() { return A(0); }
  template <typename A>
  static A combine(A a, A b) { return a + b; }
};
template <typename T>
struct ProdReducer {
  static constexpr const char* kName = "Prod";
  using Acc = AccumOf<T>;
  template <typename A>
  static A identity() { return A(1); }
  template <typename A>
  static A combine(A a, A b) { return a * b; }
};
// Max and Min: NaN wins (as in NumPy); over nothing, -inf / +inf (lowest / highest integer).
template <typename T>
struct MaxReducer {
  static constexpr const char* kName = "Max";
  using Acc = T;
  template <typename A>
  static A identity() {
    return std::numeric_limits<A>::has_infinity ? -std::numeric_limits<A>::infinity()
                                                : std::numeric_limits<A>::lowest();
  }
  template <typename A>
  static A combine(A a, A b) { return (a > b || a != a) ? a : b; }
};
template <typename T>
struct MinReducer {
  static constexpr const char* kName = "Min";
  using Acc = T;
  template <typename A>
  static A identity() {
    return std::numeric_limits<A>::has_infinity ? std::numeric_limits<A>::infinity()
                                                : std::numeric_limits<A>::max();
  }
  template <typename A>
  static A combine(A a, A b) { return (a < b || a != a) ? a : b; }
};
template <typename T>
struct AnyReducer {
  static constexpr const char* kName = "Any";
  using Acc = bool;
  template <typename A>
  static A identity() { return false; }
  template <typename A>
  static A combine(A a, A b) { return a | b; }
};
template <typename T>
struct AllReducer {
  static constexpr const char* kName = "All";
  using Acc = bool;
  template <typename A>
  static A identity() { return true; }
  template <typename A>
  static A combine(A a, A b) { return a & b; }
};

// Bit i set: axis i is reduced. Fails on an axis outside [-rank, rank).
Status reduction_mask(const Tensor& axes, int rank, uint32_t* mask) {
  *mask = 0;
  for (int64_t i = 0; i < axes.num_elements(); ++i) {
    const int64_t axis = int_element(axes, i);
    if (axis < -rank || axis >= rank) {
      return invalid_argument("Invalid reduction dimension " + std::to_string(axis) +
                              " for input with " + std::to_string(rank) + " dimensions");
    }
    *mask |= 1u << (axis < 0 ? axis + rank : axis);
  }
  return Status::OK();
}

template <typename List>
Status reduction_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, List{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 0, 1));
  const bool keep_dims = ctx.attrs().get<bool>("keep_dims");
  const Shape& in = ctx.input_shape(0);
  const DType dtype = ctx.input_dtype(0);
  const Tensor* axes = ctx.input_value(1);
  const Shape& axes_shape = ctx.input_shape(1);
  if (!axes && axes_shape.rank() == 1 && axes_shape.dim(0) == 0) {
    ctx.set_output(0, dtype, in);
    return Status::OK();
  }
  if (!in.rank_known() || (!axes && !keep_dims)) {
    ctx.set_output(0, dtype, Shape::unknown());
    return Status::OK();
  }
  Shape out;
  if (!axes) {
    for (int i = 0; i < in.rank(); ++i) out.add_dim(kUnknownDim);
    ctx.set_output(0, dtype, out);
    return Status::OK();
  }
  uint32_t mask;
  Status s = reduction_mask(*axes, in.rank(), &mask);
  if (!s.ok()) return shape_error(ctx, s.message());
  for (int i = 0; i < in.rank(); ++i) {
    if (!(mask >> i & 1)) {
      out.add_dim(in.dim(i));
    } else if (keep_dims) {
      out.add_dim(1);
    }
  }
  ctx.set_output(0, dtype, out);
  return Status::OK();
}

// One pass: the input viewed as [outer, reduced, inner], the output as [outer, inner].
struct PassDims {
  int64_t outer, reduced, inner;
};

// The input's dims with size-1 dims dropped and neighbours of the same kind merged.
class ReduceDims {
 public:
  ReduceDims(const Shape& shape, uint32_t mask) {
    for (int i = 0; i < shape.rank(); ++i) {
      if (shape.dim(i) != 1) push(shape.dim(i), mask >> i & 1);
    }
  }

  // Runs of reduced dims left.
  int groups() const {
    int g = 0;
    for (int i = 0; i < rank_; ++i) g += reduced_[i];
    return g;
  }

  // Removes the innermost reduced run and describes the pass that does it.
  PassDims pop_last_group() {
    int g = rank_ - 1;
    while (!reduced_[g]) --g;
    PassDims p{1, dims_[g], 1};
    for (int i = 0; i < g; ++i) p.outer *= dims_[i];
    for (int i = g + 1; i < rank_; ++i) p.inner *= dims_[i];
    const int old_rank = rank_;
    int64_t dims[kMaxRank];
    bool reduced[kMaxRank];
    std::copy(dims_, dims_ + old_rank, dims);
    std::copy(reduced_, reduced_ + old_rank, reduced);
    rank_ = 0;
    for (int i = 0; i < old_rank; ++i) {
      if (i != g) push(dims[i], reduced[i]);
    }
    return p;
  }

 private:
  void push(int64_t d, bool reduced) {
    if (rank_ > 0 && reduced_[rank_ - 1] == reduced) {
      dims_[rank_ - 1] *= d;
    } else {
      dims_[rank_] = d;
      reduced_[rank_++] = reduced;
    }
  }

  int rank_ = 0;
  int64_t dims_[kMaxRank];
  bool reduced_[kMaxRank];
};

// The reduction of n contiguous values. Floating values are combined in 16 independent lanes
// (which gcc vectorises without -ffast-math) over blocks of 1024, and the block results
// combined as Acc. Bool lanes are bytes, which gcc vectorises where it does not for bool.
template <typename R, typename In>
TL_ALWAYS_INLINE typename R::Acc reduce_contiguous_body(const In* p, int64_t n) {
  using Acc = typename R::Acc;
  using Lane = std::conditional_t<std::is_floating_point_v<In>, In, StoreOf<Acc>>;
  constexpr int kLanes = 16;
  constexpr int64_t kBlock = 1024;
  Acc total = R::template identity<Acc>();
  for (int64_t b = 0; b < n; b += kBlock) {
    const In* q = p + b;
    const int64_t len = std::min(kBlock, n - b);
    Lane lanes[kLanes];
    for (int l = 0; l < kLanes; ++l) lanes[l] = R::template identity<Lane>();
    int64_t i = 0;
    for (; i + kLanes <= len; i += kLanes) {
      for (int l = 0; l < kLanes; ++l) lanes[l] = R::combine(lanes[l], static_cast<Lane>(q[i + l]));
    }
    for (; i < len; ++i) {
      lanes[i % kLanes] = R::combine(lanes[i % kLanes], static_cast<Lane>(q[i]));
    }
    for (int l = 0; l < kLanes; ++l) total = R::combine(total, static_cast<Acc>(lanes[l]));
  }
  return total;
}
template <typename R, typename In>
TL_TARGET_AVX2 typename R::Acc reduce_contiguous_avx2(const In* p, int64_t n) {
  return reduce_contiguous_body<R>(p, n);
}
template <typename R, typename In>
typename R::Acc reduce_contiguous_generic(const In* p, int64_t n) {
  return reduce_contiguous_body<R>(p, n);
}
template <typename R, typename In>
typename R::Acc reduce_contiguous(const In* p, int64_t n) {
  return cpu_has_avx2() ? reduce_contiguous_avx2<R>(p, n) : reduce_contiguous_generic<R>(p, n);
}

// out[o] = finish(reduction of row o) for rows of p.reduced contiguous values.
template <typename R, typename In, typename Out, typename Finish>
void reduce_rows(KernelContext& ctx, const In* in, const PassDims& p, Out* out, Finish finish) {
  const int64_t pieces = (p.reduced + kReducePiece - 1) / kReducePiece;
  if (pieces <= 1) {
    ctx.parallel_for(p.outer, kElementwiseGrain / (p.reduced + 1) + 1, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        out[o] = finish(reduce_contiguous<R>(in + o * p.reduced, p.reduced));
      }
    });
    return;
  }
  using Acc = typename R::Acc;
  std::vector<StoreOf<Acc>> partial(static_cast<size_t>(p.outer * pieces));
  ctx.parallel_for(p.outer * pieces, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / pieces, start = t % pieces * kReducePiece;
      partial[t] = reduce_contiguous<R>(in + o * p.reduced + start,
                                        std::min(kReducePiece, p.reduced - start));
    }
  });
  for (int64_t o = 0; o < p.outer; ++o) {
    Acc s = R::template identity<Acc>();
    for (int64_t i = 0; i < pieces; ++i) {
      s = R::combine(s, static_cast<Acc>(partial[o * pieces + i]));
    }
    out[o] = finish(s);
  }
}

// Reduces rows [r0, r1) of columns [j0, j0 + width) of one [reduced, inner] slab into
// acc[0, width); acc has room for kReduceColumns values. Narrow slabs (width == inner, a few
// columns) are reduced as rows joined `fold` at a time, so the inner loop stays long, and the
// folded results are combined at the end.
template <typename R, typename In, typename Acc>
TL_ALWAYS_INLINE void reduce_column_block_body(const In* slab, int64_t inner, int64_t r0,
                                               int64_t r1, int64_t j0, int64_t width, Acc* acc) {
  const int64_t fold = width == inner ? std::max<int64_t>(1, kReduceColumns / width) : 1;
  std::fill(acc, acc + fold * width, R::template identity<Acc>());
  int64_t r = r0;
  for (; r + fold <= r1; r += fold) {
    const In* rows = slab + r * inner + j0;
    for (int64_t q = 0; q < fold * width; ++q) {
      acc[q] = R::combine(acc[q], static_cast<Acc>(rows[q]));
    }
  }
  for (; r < r1; ++r) {
    const In* row = slab + r * inner + j0;
    for (int64_t j = 0; j < width; ++j) acc[j] = R::combine(acc[j], static_cast<Acc>(row[j]));
  }
  for (int64_t f = 1; f < fold; ++f) {
    for (int64_t j = 0; j < width; ++j) acc[j] = R::combine(acc[j], acc[f * width + j]);
  }
}
template <typename R, typename In, typename Acc>
TL_TARGET_AVX2 void reduce_column_block_avx2(const In* slab, int64_t inner, int64_t r0,
                                             int64_t r1, int64_t j0, int64_t width, Acc* acc) {
  reduce_column_block_body<R>(slab, inner, r0, r1, j0, width, acc);
}
template <typename R, typename In, typename Acc>
void reduce_column_block_generic(const In* slab, int64_t inner, int64_t r0, int64_t r1,
                                 int64_t j0, int64_t width, Acc* acc) {
  reduce_column_block_body<R>(slab, inner, r0, r1, j0, width, acc);
}
template <typename R, typename In, typename Acc>
void reduce_column_block(const In* slab, int64_t inner, int64_t r0, int64_t r1, int64_t j0,
                         int64_t width, Acc* acc) {
  if (cpu_has_avx2()) return reduce_column_block_avx2<R>(slab, inner, r0, r1, j0, width, acc);
  reduce_column_block_generic<R>(slab, inner, r0, r1, j0, width, acc);
}

// out[o, j] = finish(reduction over r of in[o, r, j]), kReduceColumns columns at a time. With
// few such tasks and many rows, rows are also split into pieces combined in order.
template <typename R, typename In, typename Out, typename Finish>
void reduce_columns(KernelContext& ctx, const In* in, const PassDims& p, Out* out, Finish finish) {
  using Acc = typename R::Acc;
  const int64_t chunks = (p.inner + kReduceColumns - 1) / kReduceColumns;
  const int64_t units = p.outer * chunks;
  const int64_t width = std::min(p.inner, kReduceColumns);
  const int64_t rows_per_piece = std::max<int64_t>(1, kReduceColumnPiece / width);
  const int64_t pieces =
      units < 64 && p.reduced > rows_per_piece ? (p.reduced + rows_per_piece - 1) / rows_per_piece
                                               : 1;
  if (pieces == 1) {
    ctx.parallel_for(units, kElementwiseGrain / (p.reduced * width + 1) + 1,
                     [&](int64_t b, int64_t e) {
      Acc acc[kReduceColumns];
      for (int64_t u = b; u < e; ++u) {
        const int64_t o = u / chunks, j0 = u % chunks * kReduceColumns;
        const int64_t w = std::min(kReduceColumns, p.inner - j0);
        reduce_column_block<R>(in + o * p.reduced * p.inner, p.inner, 0, p.reduced, j0, w, acc);
        for (int64_t j = 0; j < w; ++j) out[o * p.inner + j0 + j] = finish(acc[j]);
      }
    });
    return;
  }
  std::vector<StoreOf<Acc>> partial(static_cast<size_t>(p.outer * pieces * p.inner));
  ctx.parallel_for(units * pieces, 1, [&](int64_t b, int64_t e) {
    Acc acc[kReduceColumns];
    for (int64_t t = b; t < e; ++t) {
      const int64_t u = t / pieces, piece = t % pieces;
      const int64_t o = u / chunks, j0 = u % chunks * kReduceColumns;
      const int64_t w = std::min(kReduceColumns, p.inner - j0);
      const int64_t r0 = piece * rows_per_piece, r1 = std::min(p.reduced, r0 + rows_per_piece);
      reduce_column_block<R>(in + o * p.reduced * p.inner, p.inner, r0, r1, j0, w, acc);
      std::copy(acc, acc + w, partial.data() + (o * pieces + piece) * p.inner + j0);
    }
  });
  ctx.parallel_for(p.outer * p.inner, kElementwiseGrain / pieces + 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t o = i / p.inner, j = i % p.inner;
      Acc s = R::template identity<Acc>();
      for (int64_t piece = 0; piece < pieces; ++piece) {
        s = R::combine(s, static_cast<Acc>(partial[(o * pieces + piece) * p.inner + j]));
      }
      out[i] = finish(s);
    }
  });
}

template <typename R, typename In, typename Out, typename Finish>
void reduce_pass(KernelContext& ctx, const In* in, const PassDims& p, Out* out, Finish finish) {
  if (p.inner == 1) {
    reduce_rows<R>(ctx, in, p, out, finish);
  } else {
    reduce_columns<R>(ctx, in, p, out, finish);
  }
}

// out = finish(reduction R of x over the masked axes); intermediate passes keep Acc values.
template <typename R, typename T, typename Finish>
void reduce(KernelContext& ctx, const Tensor& x, uint32_t mask, Tensor& out, Finish finish) {
  using Acc = typename R::Acc;
  const T* in = x.data<T>();
  T* y = out.data<T>();
  if (x.num_elements() == 0) {
    std::fill(y, y + out.num_elements(), finish(R::template identity<Acc>()));
    return;
  }
  ReduceDims dims(x.shape(), mask);
  if (dims.groups() == 0) {
    ctx.parallel_for(x.num_elements(), kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) y[i] = finish(static_cast<Acc>(in[i]));
    });
    return;
  }
  if (dims.groups() == 1) {
    reduce_pass<R>(ctx, in, dims.pop_last_group(), y, finish);
    return;
  }
  auto keep = [](Acc a) { return a; };
  PassDims p = dims.pop_last_group();
  std::vector<StoreOf<Acc>> cur(static_cast<size_t>(p.outer * p.inner)), next;
  reduce_pass<R>(ctx, in, p, cur.data(), keep);
  while (dims.groups() > 1) {
    p = dims.pop_last_group();
    next.resize(static_cast<size_t>(p.outer * p.inner));
    reduce_pass<R>(ctx, cur.data(), p, next.data(), keep);
    cur.swap(next);
  }
  reduce_pass<R>(ctx, cur.data(), dims.pop_last_group(), y, finish);
}

// The number of input elements that make up one output element.
int64_t reduced_count(const Shape& shape, uint32_t mask) {
  int64_t n = 1;
  for (int i = 0; i < shape.rank(); ++i) {
    if (mask >> i & 1) n *= shape.dim(i);
  }
  return n;
}

// Sum, Prod, Max, Min, Any, All: R<T> over the dtypes of List.
template <template <typename> class R, typename List>
Status reduce_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  uint32_t mask;
  TL_RETURN_IF_ERROR(reduction_mask(ctx.input(1), x.shape().rank(), &mask));
  return dispatch(List{}, x.dtype(), R<float>::kName, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = typename R<T>::Acc;
    reduce<R<T>, T>(ctx, x, mask, ctx.output(0), [](Acc a) { return static_cast<T>(a); });
  });
}

using MeanTypes = ArithmeticTypes;

Status mean_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  uint32_t mask;
  TL_RETURN_IF_ERROR(reduction_mask(ctx.input(1), x.shape().rank(), &mask));
  return dispatch(MeanTypes{}, x.dtype(), "Mean", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = AccumOf<T>;
    if constexpr (!std::is_integral_v<T>) {
      // The mean of nothing is 0 / 0 = NaN, as in NumPy.
      const Acc count = static_cast<Acc>(reduced_count(x.shape(), mask));
      reduce<SumReducer<T>, T>(ctx, x, mask, ctx.output(0),
                               [count](Acc a) { return static_cast<T>(a / count); });
    } else {
      // NOTE: integer means truncate, like TF; the mean of nothing is 0 (not a division by 0).
      const Acc count = reduced_count(x.shape(), mask);
      reduce<SumReducer<T>, T>(ctx, x, mask, ctx.output(0),
                               [count](Acc a) { return static_cast<T>(count ? a / count : 0); });
    }
  });
}

// ---- SumToShape ----
// The gradient of a broadcast: x summed down to `shape`, a shape x broadcasts from (every dim
// of `shape` equals x's aligned dim or is 1; missing leading dims count as 1).

Status sum_to_shape_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, 1));
  Shape out;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 1, /*allow_unknown=*/false, &out));
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status sum_to_shape_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Shape target;
  TL_RETURN_IF_ERROR(read_dims(ctx.input(1), /*allow_unknown=*/false, &target));
  const int rank = x.shape().rank();
  const int lead = rank - target.rank();
  bool ok = lead >= 0;
  uint32_t mask = 0;
  for (int i = 0; ok && i < rank; ++i) {
    if (i < lead) {
      mask |= 1u << i;
    } else if (target.dim(i - lead) != x.shape().dim(i)) {
      ok = target.dim(i - lead) == 1;
      mask |= 1u << i;
    }
  }
  if (!ok) {
    return invalid_argument("SumToShape: shape " + target.to_string() +
                            " does not broadcast to the input's shape " +
                            x.shape().to_string());
  }
  if (mask == 0) {  // nothing was broadcast: the input itself
    ctx.output(0) = x;
    return Status::OK();
  }
  Tensor out;
  TL_RETURN_IF_ERROR(Tensor::allocate(x.dtype(), target, &out));
  TL_RETURN_IF_ERROR(dispatch(NumericTypes{}, x.dtype(), "SumToShape", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = typename SumReducer<T>::Acc;
    reduce<SumReducer<T>, T>(ctx, x, mask, out, [](Acc a) { return static_cast<T>(a); });
  }));
  ctx.output(0) = std::move(out);
  return Status::OK();
}

// ---- ArgMax, ArgMin ----

Status arg_reduce_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, RealTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_attr_dtype(ctx, "output_type", IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, kMaxRank));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 0, 0));
  const DType out_type = ctx.attrs().get<DType>("output_type");
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, out_type, Shape::unknown());
    return Status::OK();
  }
  const int rank = in.rank();
  Shape out;
  const Tensor* dimension = ctx.input_value(1);
  if (!dimension) {
    for (int i = 0; i + 1 < rank; ++i) out.add_dim(kUnknownDim);
    ctx.set_output(0, out_type, out);
    return Status::OK();
  }
  int64_t axis = int_element(*dimension, 0);
  if (axis < -rank || axis >= rank) {
    return shape_error(ctx, "Expected dimension in the range [" + std::to_string(-rank) + ", " +
                                std::to_string(rank) + "), but got " + std::to_string(axis));
  }
  if (axis < 0) axis += rank;
  for (int i = 0; i < rank; ++i) {
    if (i != axis) out.add_dim(in.dim(i));
  }
  ctx.set_output(0, out_type, out);
  return Status::OK();
}

// True when v should replace best: larger (smaller for ArgMin), or the first NaN (NaN wins,
// as in NumPy).
template <bool kMax, typename T>
bool arg_better(T v, T best) {
  const bool better = kMax ? v > best : v < best;
  if constexpr (std::is_floating_point_v<T>) {
    return better || (std::isnan(v) && !std::isnan(best));
  } else {
    return better;
  }
}

template <bool kMax, typename T, typename Index>
void arg_reduce(KernelContext& ctx, const T* in, const PassDims& p, Index* out) {
  if (p.inner == 1) {
    ctx.parallel_for(p.outer, kElementwiseGrain / p.reduced + 1, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const T* row = in + o * p.reduced;
        int64_t best = 0;
        for (int64_t r = 1; r < p.reduced; ++r) {
          if (arg_better<kMax>(row[r], row[best])) best = r;
        }
        out[o] = static_cast<Index>(best);
      }
    });
    return;
  }
  const int64_t chunks = (p.inner + kReduceColumns - 1) / kReduceColumns;
  const int64_t unit_elems = p.reduced * std::min(p.inner, kReduceColumns);
  ctx.parallel_for(p.outer * chunks, kElementwiseGrain / unit_elems + 1, [&](int64_t b, int64_t e) {
    T best[kReduceColumns];
    Index index[kReduceColumns];
    for (int64_t u = b; u < e; ++u) {
      const int64_t o = u / chunks, j0 = u % chunks * kReduceColumns;
      const int64_t width = std::min(kReduceColumns, p.inner - j0);
      const T* slab = in + o * p.reduced * p.inner + j0;
      std::copy(slab, slab + width, best);
      std::fill(index, index + width, Index(0));
      for (int64_t r = 1; r < p.reduced; ++r) {
        const T* row = slab + r * p.inner;
        for (int64_t j = 0; j < width; ++j) {
          if (arg_better<kMax>(row[j], best[j])) {
            best[j] = row[j];
            index[j] = static_cast<Index>(r);
          }
        }
      }
      std::copy(index, index + width, out + o * p.inner + j0);
    }
  });
}

template <bool kMax>
Status arg_reduce_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& out = ctx.output(0);
  const Shape& shape = x.shape();
  if (ctx.input(1).num_elements() != 1) {
    return invalid_argument(std::string(kMax ? "ArgMax" : "ArgMin") +
                            "'s dimension must be a scalar, got shape " +
                            ctx.input(1).shape().to_string());
  }
  int64_t axis = int_element(ctx.input(1), 0);
  if (axis < -shape.rank() || axis >= shape.rank()) {
    return invalid_argument("Expected dimension in the range [" +
                            std::to_string(-shape.rank()) + ", " +
                            std::to_string(shape.rank()) + "), but got " + std::to_string(axis));
  }
  if (axis < 0) axis += shape.rank();
  if (shape.dim(static_cast<int>(axis)) == 0) {
    return invalid_argument("Reduction axis " + std::to_string(axis) + " is empty in shape " +
                            shape.to_string());
  }
  PassDims p{1, shape.dim(static_cast<int>(axis)), 1};
  for (int i = 0; i < axis; ++i) p.outer *= shape.dim(i);
  for (int i = static_cast<int>(axis) + 1; i < shape.rank(); ++i) p.inner *= shape.dim(i);
  if (p.outer * p.inner == 0) return Status::OK();
  return dispatch(RealTypes{}, x.dtype(), kMax ? "ArgMax" : "ArgMin", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (out.dtype() == DType::kInt32) {
      arg_reduce<kMax>(ctx, x.data<T>(), p, out.data<int32_t>());
    } else {
      arg_reduce<kMax>(ctx, x.data<T>(), p, out.data<int64_t>());
    }
  });
}

// Registers reduction op R over the dtypes of List.
template <template <typename> class R, typename List>
void add_reduction(OpRegistry& r) {
  r.add_builtin(OpDef(R<float>::kName).input("input").input("reduction_indices")
                    .attr("keep_dims", AttrType::kBool, false)
                    .shape(reduction_shape<List>));
}

// Registers the CPU kernel of reduction op R over the dtypes of List.
template <template <typename> class R, typename List>
void add_reduction_kernel(KernelRegistry& r) {
  r.add_builtin(KernelDef(R<float>::kName, Device::kCPU).compute(reduce_kernel<R, List>));
}

}  // namespace

void register_reduction_ops(OpRegistry& r) {
  add_reduction<SumReducer, ArithmeticTypes>(r);
  add_reduction<ProdReducer, ArithmeticTypes>(r);
  add_reduction<MaxReducer, RealTypes>(r);
  add_reduction<MinReducer, RealTypes>(r);
  add_reduction<AnyReducer, TypeList<bool>>(r);
  add_reduction<AllReducer, TypeList<bool>>(r);
  r.add_builtin(OpDef("Mean").input("input").input("reduction_indices")
                    .attr("keep_dims", AttrType::kBool, false)
                    .shape(reduction_shape<MeanTypes>));
  r.add_builtin(OpDef("SumToShape").input("input").input("shape")
                    .shape(sum_to_shape_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("ArgMax").input("input").input("dimension")
                    .attr("output_type", AttrType::kType, DType::kInt64)
                    .shape(arg_reduce_shape));
  r.add_builtin(OpDef("ArgMin").input("input").input("dimension")
                    .attr("output_type", AttrType::kType, DType::kInt64)
                    .shape(arg_reduce_shape));
}

void register_reduction_kernels(KernelRegistry& r) {
  add_reduction_kernel<SumReducer, ArithmeticTypes>(r);
  add_reduction_kernel<ProdReducer, ArithmeticTypes>(r);
  add_reduction_kernel<MaxReducer, RealTypes>(r);
  add_reduction_kernel<MinReducer, RealTypes>(r);
  add_reduction_kernel<AnyReducer, TypeList<bool>>(r);
  add_reduction_kernel<AllReducer, TypeList<bool>>(r);
  r.add_builtin(KernelDef("Mean", Device::kCPU).compute(mean_kernel));
  r.add_builtin(KernelDef("SumToShape", Device::kCPU).compute(sum_to_shape_kernel));
  r.add_builtin(KernelDef("ArgMax", Device::kCPU).compute(arg_reduce_kernel<true>));
  r.add_builtin(KernelDef("ArgMin", Device::kCPU).compute(arg_reduce_kernel<false>));
}

}  // namespace tl
