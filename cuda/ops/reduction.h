// How the CUDA reductions (reduction.cu) walk their input, as host-and-device code that a host
// test checks: the reduced axes' mask, and the input split into kept dims (which index the
// output, row-major) and reduced dims, with adjacent dims of the same kind merged and size-1
// dims dropped, so the index math runs over as few dims as possible.
//
//   ReducePlan p = make_reduce_plan(x.shape(), mask);
//   for (int64_t o = 0; o < p.outputs; ++o)            // one thread per output
//     for (int64_t r = 0; r < p.reduced_count; ++r)
//       acc = combine(acc, x[kept_offset(p, o) + reduced_offset(p, r)]);
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/ops/elementwise.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"

namespace tl {
namespace cuda {

// Bit i set: axis i is reduced. Fails on an axis outside [-rank, rank), as the CPU kernel.
inline Status reduction_mask(const std::vector<int64_t>& axes, int rank, uint32_t* mask) {
  *mask = 0;
  for (int64_t axis : axes) {
    if (axis < -rank || axis >= rank) {
      return invalid_argument("Invalid reduction dimension " + std::to_string(axis) +
                              " for input with " + std::to_string(rank) + " dimensions");
    }
    *mask |= 1u << (axis < 0 ? axis + rank : axis);
  }
  return Status::OK();
}

struct ReducePlan {
  int kept_rank = 0;
  int64_t kept_dims[kMaxRank];
  int64_t kept_strides[kMaxRank];  // elements of the input
  int reduced_rank = 0;
  int64_t reduced_dims[kMaxRank];
  int64_t reduced_strides[kMaxRank];
  int64_t outputs = 1;        // product of kept_dims
  int64_t reduced_count = 1;  // product of reduced_dims
};

// The plan of reducing `shape` (no zero dims) over the axes in `mask`.
inline ReducePlan make_reduce_plan(const Shape& shape, uint32_t mask) {
  int64_t dims[kMaxRank];
  bool reduced[kMaxRank];
  int rank = 0;
  for (int i = 0; i < shape.rank(); ++i) {
    const int64_t d = shape.dim(i);
    if (d == 1) continue;
    const bool r = mask >> i & 1;
    if (rank > 0 && reduced[rank - 1] == r) {
      dims[rank - 1] *= d;
    } else {
      dims[rank] = d;
      reduced[rank++] = r;
    }
  }
  ReducePlan p;
  int64_t stride = 1;
  int64_t strides[kMaxRank];
  for (int i = rank - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= dims[i];
  }
  for (int i = 0; i < rank; ++i) {
    if (reduced[i]) {
      p.reduced_dims[p.reduced_rank] = dims[i];
      p.reduced_strides[p.reduced_rank++] = strides[i];
      p.reduced_count *= dims[i];
    } else {
      p.kept_dims[p.kept_rank] = dims[i];
      p.kept_strides[p.kept_rank++] = strides[i];
      p.outputs *= dims[i];
    }
  }
  return p;
}

// Whether the plan reduces contiguous rows: the input is [outputs, reduced_count].
inline bool reduces_rows(const ReducePlan& p) {
  return p.reduced_rank == 1 && p.reduced_strides[0] == 1;
}

// The input offset of `index` over `rank` dims of sizes `dims` and input strides `strides`.
TL_HD inline int64_t strided_offset(const int64_t* dims, const int64_t* strides, int rank,
                                    int64_t index) {
  int64_t offset = 0;
  for (int d = rank - 1; d >= 0; --d) {
    offset += index % dims[d] * strides[d];
    index /= dims[d];
  }
  return offset;
}
// Where output element `o`'s values start.
TL_HD inline int64_t kept_offset(const ReducePlan& p, int64_t o) {
  return strided_offset(p.kept_dims, p.kept_strides, p.kept_rank, o);
}
// The offset of the r-th of those values.
TL_HD inline int64_t reduced_offset(const ReducePlan& p, int64_t r) {
  return strided_offset(p.reduced_dims, p.reduced_strides, p.reduced_rank, r);
}

// ---- reducers: the accumulator type, the result over nothing, and the combining step ----

// float32 sums accumulate in double and int32 sums in int64, as on the CPU.
template <typename T>
using SumAccOf = std::conditional_t<std::is_same_v<T, float>, double,
                                    std::conditional_t<std::is_same_v<T, int32_t>, int64_t, T>>;

template <typename T>
struct SumReducer {
  static constexpr const char* kName = "Sum";
  using Acc = SumAccOf<T>;
  TL_HD static Acc identity() { return Acc(0); }
  TL_HD static Acc combine(Acc a, Acc b) { return AddFn{}(a, b); }
};
template <typename T>
struct ProdReducer {
  static constexpr const char* kName = "Prod";
  using Acc = SumAccOf<T>;
  TL_HD static Acc identity() { return Acc(1); }
  TL_HD static Acc combine(Acc a, Acc b) { return MulFn{}(a, b); }
};
// std::numeric_limits as constants that device code may read (its functions are host code).
template <typename T>
struct Limits {
  static constexpr T kInfinity = std::numeric_limits<T>::infinity();
  static constexpr T kLowest = std::numeric_limits<T>::lowest();
  static constexpr T kHighest = std::numeric_limits<T>::max();
};

// Max and Min: NaN wins; over nothing, -inf / +inf (the lowest / highest integer).
template <typename T>
struct MaxReducer {
  static constexpr const char* kName = "Max";
  using Acc = T;
  TL_HD static Acc identity() {
    if constexpr (std::is_floating_point_v<T>) return -Limits<T>::kInfinity;
    else return Limits<T>::kLowest;
  }
  TL_HD static Acc combine(Acc a, Acc b) { return MaximumFn{}(a, b); }
};
template <typename T>
struct MinReducer {
  static constexpr const char* kName = "Min";
  using Acc = T;
  TL_HD static Acc identity() {
    if constexpr (std::is_floating_point_v<T>) return Limits<T>::kInfinity;
    else return Limits<T>::kHighest;
  }
  TL_HD static Acc combine(Acc a, Acc b) { return MinimumFn{}(a, b); }
};

}  // namespace cuda
}  // namespace tl
