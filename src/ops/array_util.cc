#include "ops/array_util.h"

#include <algorithm>
#include <cstring>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "ops/cpu_features.h"
#include "ops/kernel_util.h"

namespace tl {
namespace {

// Side of the square tiles of the blocked transpose, in elements.
constexpr int64_t kTile = 32;

// Drops size-1 dims and merges each dim into the previous one when both sides are contiguous
// across them. Leaves rank 0 for a single element.
void simplify(CopyLayout* l) {
  int r = 0;
  for (int d = 0; d < l->rank; ++d) {
    const int64_t n = l->dims[d];
    if (n == 1) continue;
    if (r > 0 && l->src_strides[r - 1] == l->src_strides[d] * n &&
        l->dst_strides[r - 1] == l->dst_strides[d] * n) {
      l->dims[r - 1] *= n;
      l->src_strides[r - 1] = l->src_strides[d];
      l->dst_strides[r - 1] = l->dst_strides[d];
      continue;
    }
    l->dims[r] = n;
    l->src_strides[r] = l->src_strides[d];
    l->dst_strides[r] = l->dst_strides[d];
    ++r;
  }
  l->rank = r;
}

// Source and destination offsets of row `row` over the layout's first `rank` dims, with the
// row's index in idx[0..rank).
inline void row_offsets(const CopyLayout& l, int rank, int64_t row, int64_t* idx, int64_t* src,
                        int64_t* dst) {
  strided_offsets(l.dims, l.src_strides, l.dst_strides, rank, row, idx, src, dst);
}

// Advances idx over the first `rank` dims by one row, updating the offsets.
inline void next_row(const CopyLayout& l, int rank, int64_t* idx, int64_t* src, int64_t* dst) {
  next_strided_index(l.dims, l.src_strides, l.dst_strides, rank, idx, src, dst);
}

// Elements [j0, j1) of one row: t[j * ds] = s[j * ss].
template <typename U>
inline void copy_row_part(const U* s, int64_t ss, U* t, int64_t ds, int64_t j0, int64_t j1) {
  // Constant strides let the compiler vectorise the common cases (repeat, reverse, every
  // other).
  if (ds == 1 && ss == 0) {
    std::fill(t + j0, t + j1, *s);
  } else if (ds == 1 && ss == -1) {
    for (int64_t j = j0; j < j1; ++j) t[j] = s[-j];
  } else if (ds == 1 && ss == 2) {
    for (int64_t j = j0; j < j1; ++j) t[j] = s[2 * j];
  } else if (ds == 1) {
    for (int64_t j = j0; j < j1; ++j) t[j] = s[j * ss];
  } else {
    for (int64_t j = j0; j < j1; ++j) t[j * ds] = s[j * ss];
  }
}

// Copies a layout whose last dim is strided on some side, element by element. Work units
// are pieces of rows (whole rows unless rows are few and long), so that both many short rows
// and a single long one spread over the threads.
template <typename U>
void copy_strided(KernelContext& ctx, const CopyLayout& l, int64_t rows, const U* src, U* dst) {
  const int outer = l.rank - 1;
  const int64_t n = l.dims[outer], ss = l.src_strides[outer], ds = l.dst_strides[outer];
  const int64_t piece = std::max<int64_t>(1, kCopyGrainBytes / int64_t(sizeof(U)));
  if (n > piece) {
    const int64_t pieces = (n + piece - 1) / piece;
    ctx.parallel_for(rows * pieces, 1, [&](int64_t begin, int64_t end) {
      for (int64_t u = begin; u < end; ++u) {
        int64_t idx[kMaxCopyRank], so, dof;
        row_offsets(l, outer, u / pieces, idx, &so, &dof);
        const int64_t j0 = (u % pieces) * piece;
        copy_row_part(src + so, ss, dst + dof, ds, j0, std::min(n, j0 + piece));
      }
    });
    return;
  }
  ctx.parallel_for(rows, std::max<int64_t>(1, piece / n), [&](int64_t begin, int64_t end) {
    int64_t idx[kMaxCopyRank], so, dof;
    row_offsets(l, outer, begin, idx, &so, &dof);
    for (int64_t row = begin; row < end; ++row) {
      copy_row_part(src + so, ss, dst + dof, ds, 0, n);
      next_row(l, outer, idx, &so, &dof);
    }
  });
}

// One tile of a transposing copy: t[i * dst_p + j] = s[i + j * src_j] for i in [i0, i1),
// j in [j0, j1).
template <typename U>
inline void transpose_tile(const U* s, int64_t src_j, U* t, int64_t dst_p, int64_t i0,
                           int64_t i1, int64_t j0, int64_t j1) {
  for (int64_t i = i0; i < i1; ++i) {
    U* row = t + i * dst_p;
    const U* col = s + i;
    for (int64_t j = j0; j < j1; ++j) row[j] = col[j * src_j];
  }
}

#if defined(__x86_64__) || defined(__i386__)
// The same tile with 8x8 (4-byte elements) or 4x4 (8-byte elements) in-register transposes
// for the full blocks; the ragged edges go through transpose_tile. Shuffles move bits only,
// so every 4- or 8-byte type is safe.
TL_TARGET_AVX2 void transpose_tile_avx2(const uint32_t* s, int64_t src_j, uint32_t* t,
                                        int64_t dst_p, int64_t i0, int64_t i1, int64_t j0,
                                        int64_t j1) {
  const int64_t i_end = i0 + (i1 - i0) / 8 * 8, j_end = j0 + (j1 - j0) / 8 * 8;
  for (int64_t j = j0; j < j_end; j += 8) {
    for (int64_t i = i0; i < i_end; i += 8) {
      __m256 r[8];
      for (int k = 0; k < 8; ++k) {
        r[k] = _mm256_loadu_ps(reinterpret_cast<const float*>(s + (j + k) * src_j + i));
      }
      __m256 a[8], b[8];
      for (int k = 0; k < 8; k += 2) {
        a[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
        a[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
      }
      for (int k = 0; k < 8; k += 4) {
        b[k] = _mm256_shuffle_ps(a[k], a[k + 2], _MM_SHUFFLE(1, 0, 1, 0));
        b[k + 1] = _mm256_shuffle_ps(a[k], a[k + 2], _MM_SHUFFLE(3, 2, 3, 2));
        b[k + 2] = _mm256_shuffle_ps(a[k + 1], a[k + 3], _MM_SHUFFLE(1, 0, 1, 0));
        b[k + 3] = _mm256_shuffle_ps(a[k + 1], a[k + 3], _MM_SHUFFLE(3, 2, 3, 2));
      }
      for (int k = 0; k < 4; ++k) {
        _mm256_storeu_ps(reinterpret_cast<float*>(t + (i + k) * dst_p + j),
                         _mm256_permute2f128_ps(b[k], b[k + 4], 0x20));
        _mm256_storeu_ps(reinterpret_cast<float*>(t + (i + k + 4) * dst_p + j),
                         _mm256_permute2f128_ps(b[k], b[k + 4], 0x31));
      }
    }
  }
  transpose_tile(s, src_j, t, dst_p, i_end, i1, j0, j1);
  transpose_tile(s, src_j, t, dst_p, i0, i_end, j_end, j1);
}

TL_TARGET_AVX2 void transpose_tile_avx2(const uint64_t* s, int64_t src_j, uint64_t* t,
                                        int64_t dst_p, int64_t i0, int64_t i1, int64_t j0,
                                        int64_t j1) {
  const int64_t i_end = i0 + (i1 - i0) / 4 * 4, j_end = j0 + (j1 - j0) / 4 * 4;
  for (int64_t j = j0; j < j_end; j += 4) {
    for (int64_t i = i0; i < i_end; i += 4) {
      __m256d r[4];
      for (int k = 0; k < 4; ++k) {
        r[k] = _mm256_loadu_pd(reinterpret_cast<const double*>(s + (j + k) * src_j + i));
      }
      const __m256d a0 = _mm256_unpacklo_pd(r[0], r[1]), a1 = _mm256_unpackhi_pd(r[0], r[1]);
      const __m256d a2 = _mm256_unpacklo_pd(r[2], r[3]), a3 = _mm256_unpackhi_pd(r[2], r[3]);
      auto* out = reinterpret_cast<double*>(t);
      _mm256_storeu_pd(out + i * dst_p + j, _mm256_permute2f128_pd(a0, a2, 0x20));
      _mm256_storeu_pd(out + (i + 1) * dst_p + j, _mm256_permute2f128_pd(a1, a3, 0x20));
      _mm256_storeu_pd(out + (i + 2) * dst_p + j, _mm256_permute2f128_pd(a0, a2, 0x31));
      _mm256_storeu_pd(out + (i + 3) * dst_p + j, _mm256_permute2f128_pd(a1, a3, 0x31));
    }
  }
  transpose_tile(s, src_j, t, dst_p, i_end, i1, j0, j1);
  transpose_tile(s, src_j, t, dst_p, i0, i_end, j_end, j1);
}
#endif

// Transposing copy: the source is contiguous along dim p, the destination along the last dim.
// Work units are (index over the other dims, tile of dim p); each unit walks the last dim in
// kTile x kTile tiles so that both sides stay in cache.
template <typename U>
void copy_transposed(KernelContext& ctx, const CopyLayout& l, int p, const U* src, U* dst) {
  const int last = l.rank - 1;
  CopyLayout others;  // every dim but p and the last
  for (int d = 0; d < last; ++d) {
    if (d == p) continue;
    others.dims[others.rank] = l.dims[d];
    others.src_strides[others.rank] = l.src_strides[d];
    others.dst_strides[others.rank] = l.dst_strides[d];
    ++others.rank;
  }
  const int64_t np = l.dims[p], nj = l.dims[last];
  const int64_t dst_p = l.dst_strides[p], src_j = l.src_strides[last];
  const int64_t p_tiles = (np + kTile - 1) / kTile;
  int64_t outer = 1;
  for (int d = 0; d < others.rank; ++d) outer *= others.dims[d];
  const int64_t unit_bytes = kTile * nj * static_cast<int64_t>(sizeof(U));
  bool avx2 = false;
#if defined(__x86_64__) || defined(__i386__)
  avx2 = (sizeof(U) == 4 || sizeof(U) == 8) && cpu_has_avx2();
#endif
  ctx.parallel_for(outer * p_tiles, std::max<int64_t>(1, kCopyGrainBytes / unit_bytes),
                   [&](int64_t begin, int64_t end) {
    for (int64_t u = begin; u < end; ++u) {
      int64_t idx[kMaxCopyRank], so, dof;
      row_offsets(others, others.rank, u / p_tiles, idx, &so, &dof);
      const int64_t i0 = (u % p_tiles) * kTile, i1 = std::min(np, i0 + kTile);
      const U* s = src + so;
      U* t = dst + dof;
      for (int64_t j0 = 0; j0 < nj; j0 += kTile) {
        const int64_t j1 = std::min(nj, j0 + kTile);
#if defined(__x86_64__) || defined(__i386__)
        if constexpr (sizeof(U) == 4 || sizeof(U) == 8) {
          if (avx2) {
            transpose_tile_avx2(s, src_j, t, dst_p, i0, i1, j0, j1);
            continue;
          }
        }
#endif
        transpose_tile(s, src_j, t, dst_p, i0, i1, j0, j1);
      }
    }
  });
}

template <typename U>
void copy_typed(KernelContext& ctx, const CopyLayout& l, const U* src, U* dst) {
  const int last = l.rank - 1;
  const int64_t inner = l.dims[last];
  int64_t rows = 1;
  for (int d = 0; d < last; ++d) rows *= l.dims[d];
  const int64_t row_bytes = inner * static_cast<int64_t>(sizeof(U));
  const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / row_bytes);
  if (l.src_strides[last] == 1 && l.dst_strides[last] == 1) {
    if (rows == 1) return parallel_memcpy(ctx, dst, src, static_cast<size_t>(row_bytes));
    ctx.parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
      int64_t idx[kMaxCopyRank], so, dof;
      row_offsets(l, last, begin, idx, &so, &dof);
      for (int64_t row = begin; row < end; ++row) {
        std::memcpy(dst + dof, src + so, static_cast<size_t>(row_bytes));
        next_row(l, last, idx, &so, &dof);
      }
    });
    return;
  }
  if (l.dst_strides[last] == 1 && inner >= kTile / 2) {
    for (int p = 0; p < last; ++p) {
      if (l.src_strides[p] == 1 && l.dims[p] >= kTile / 2) {
        copy_transposed(ctx, l, p, src, dst);
        return;
      }
    }
  }
  copy_strided(ctx, l, rows, src, dst);
}

}  // namespace

Status canonical_axis(int64_t axis, int rank, int extra, const char* what, int64_t* out) {
  const int64_t n = rank + extra;
  if (axis < -n || axis >= n) {
    return invalid_argument("Expected " + std::string(what) + " in the range [" +
                            std::to_string(-n) + ", " + std::to_string(n) + "), but got " +
                            std::to_string(axis));
  }
  *out = axis < 0 ? axis + n : axis;
  return Status::OK();
}

void row_major_strides(const Shape& shape, int64_t* strides) {
  int64_t s = 1;
  for (int d = shape.rank() - 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape.dim(d);
  }
}

CopyLayout contiguous_dst_layout(const Shape& dims) {
  CopyLayout l;
  l.rank = dims.rank();
  for (int d = 0; d < l.rank; ++d) l.dims[d] = dims.dim(d);
  row_major_strides(dims, l.dst_strides);
  return l;
}

void strided_copy(KernelContext& ctx, size_t elem_size, const void* src, void* dst,
                  CopyLayout layout) {
  for (int d = 0; d < layout.rank; ++d) {
    if (layout.dims[d] == 0) return;
  }
  simplify(&layout);
  if (layout.rank == 0) {
    std::memcpy(dst, src, elem_size);
    return;
  }
  switch (elem_size) {
    case 1:
      return copy_typed(ctx, layout, static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst));
    case 2:
      return copy_typed(ctx, layout, static_cast<const uint16_t*>(src),
                        static_cast<uint16_t*>(dst));
    case 4:
      return copy_typed(ctx, layout, static_cast<const uint32_t*>(src),
                        static_cast<uint32_t*>(dst));
    default:
      return copy_typed(ctx, layout, static_cast<const uint64_t*>(src),
                        static_cast<uint64_t*>(dst));
  }
}

void parallel_memcpy(KernelContext& ctx, void* dst, const void* src, size_t bytes) {
  auto* d = static_cast<char*>(dst);
  const auto* s = static_cast<const char*>(src);
  const int64_t chunks = static_cast<int64_t>((bytes + kCopyGrainBytes - 1) / kCopyGrainBytes);
  ctx.parallel_for(chunks, 1, [&](int64_t begin, int64_t end) {
    const size_t from = static_cast<size_t>(begin) * kCopyGrainBytes;
    const size_t to = std::min(bytes, static_cast<size_t>(end) * kCopyGrainBytes);
    std::memcpy(d + from, s + from, to - from);
  });
}

}  // namespace tl
