// Helpers shared by the array kernels: axis arguments, and copies between strided layouts
// (slice, strided slice, transpose, reverse, pad, tile, concat, split, gather).
//
// A CopyLayout describes a block of `dims` elements read at `src_strides` and written at
// `dst_strides` (in elements; source strides may be negative or 0). strided_copy merges dims
// that are contiguous on both sides, moves contiguous runs with memcpy, transposes in cache
// tiles when the source is contiguous along another dim than the destination, and splits large
// copies over the session's threads.
//
//   CopyLayout l = contiguous_dst_layout(out.shape());   // dst strides of a dense output
//   for (int d = 0; d < l.rank; ++d) l.src_strides[d] = in_strides[perm[d]];
//   strided_copy(ctx, dtype_size(x.dtype()), x.raw_data(), out.raw_data(), l);
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensorlib/kernel.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"

namespace tl {

// Checks `axis` against a tensor of rank `rank` (negative axes count from the end; `extra`
// widens the range for ops that insert a dim) and returns it in [0, rank + extra).
// "Expected axis in the range [-2, 2), but got 5" names `what` instead of "axis" when given.
Status canonical_axis(int64_t axis, int rank, int extra, const char* what, int64_t* out);

// Bytes per task for memory-bound copies: below this, a copy runs inline.
constexpr int64_t kCopyGrainBytes = 1 << 16;

// Dims of a copy layout: up to two per tensor dim (Tile splits each dim in two).
constexpr int kMaxCopyRank = 2 * kMaxRank;

struct CopyLayout {
  int rank = 0;
  int64_t dims[kMaxCopyRank];
  int64_t src_strides[kMaxCopyRank];
  int64_t dst_strides[kMaxCopyRank];
};

// Row-major strides (in elements) of a fully defined shape.
void row_major_strides(const Shape& shape, int64_t* strides);

// A layout over `dims` whose destination is dense row-major; source strides left to the caller.
CopyLayout contiguous_dst_layout(const Shape& dims);

// dst[sum i[d] * dst_strides[d]] = src[sum i[d] * src_strides[d]] for every index i < dims;
// `src` and `dst` point at the element of index 0. Source and destination must not overlap.
void strided_copy(KernelContext& ctx, size_t elem_size, const void* src, void* dst,
                  CopyLayout layout);

// Copies `bytes` bytes, split over the session's threads when large.
void parallel_memcpy(KernelContext& ctx, void* dst, const void* src, size_t bytes);

}  // namespace tl
