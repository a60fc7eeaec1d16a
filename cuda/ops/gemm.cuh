// The GPU GEMM behind MatMul and BatchMatMulV2: C = op(A) * op(B) for row-major matrices,
// batched with NumPy broadcasting of the batch dims. Three kernels:
//
//  - sgemm_kernel (float32): a 128x128 tile of C per block of 256 threads, each thread
//    computing an 8x8 sub-tile in registers from k-slices of 8 held in shared memory. The
//    shared tiles are double-buffered: the next slice is loaded from global memory into
//    registers while the current one is multiplied, then stored into the other buffer, so one
//    barrier per slice suffices. Global loads are float4 where the matrix allows it (16-byte
//    aligned base, leading dim and batch stride multiples of 4, the 4 values in bounds);
//    everything else (edge tiles, odd sizes) goes through bounds-checked scalar loads that
//    fill zeros, so every shape is handled by the same kernel.
//  - tf32_gemm_kernel (float32, sm_80+, only when tf32_enabled()): the same tiling on tensor
//    cores through WMMA m16n16k8 TF32 fragments, single-buffered, bounds-checked.
//  - tiled_gemm_kernel (float64, integers): a plain 16x16 shared-memory tiled product.
//
// Operand layouts (element (i, p) of op(A) is A[i * lda + p], or A[p * lda + i] when
// transposed; likewise op(B)'s (p, j)). The launch helpers at the bottom pick the kernel.
#pragma once

#include <cuda_runtime.h>
#include <mma.h>

#include <cstdint>
#include <type_traits>

#include "cuda/ops/elementwise.h"

namespace tl {
namespace cuda {

// One GEMM or a batch of them. The batch index t reads matrix oa of A and ob of B, where
// broadcast_offset(batch, t, &oa, &ob) (batch.rank == 0: every product uses matrix 0), and
// writes matrix t of C.
struct GemmArgs {
  int64_t m, n, k;
  const void* a;
  const void* b;
  void* c;
  int64_t lda, ldb, ldc;
  bool trans_a, trans_b;
  int64_t batch_count = 1;
  BroadcastLayout batch{};
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;  // elements between matrices
};

// The matrices of batch entry `t`.
template <typename T>
__device__ inline void batch_pointers(const GemmArgs& g, int64_t t, const T** a, const T** b,
                                      T** c) {
  int64_t oa = 0, ob = 0;
  if (g.batch.rank > 0) broadcast_offset(g.batch, t, &oa, &ob);
  *a = static_cast<const T*>(g.a) + oa * g.stride_a;
  *b = static_cast<const T*>(g.b) + ob * g.stride_b;
  *c = static_cast<T*>(g.c) + t * g.stride_c;
}

// ---- float32 SIMT SGEMM ----

constexpr int kSgemmTile = 128;    // rows of A and columns of B per block
constexpr int kSgemmSlice = 8;     // k per shared-memory slice
constexpr int kSgemmThreads = 256;
// Shared rows are padded by 4 floats: the transposing stores of a k-contiguous operand then
// hit different banks, and every row still starts 16-byte aligned.
constexpr int kSgemmRow = kSgemmTile + 4;

// A 128 x 8 slice of an operand, as the float4 this thread loads: rows [mn0, mn0 + 128) of
// op(X) (rows of A, columns of B) and k in [k0, k0 + 8). `kKContiguous`: element (mn, p) is at
// x[mn * ld + p] (A plain, B transposed), else at x[p * ld + mn]. Out-of-range elements are 0.
template <bool kKContiguous>
__device__ inline float4 load_slice(const float* x, int64_t ld, int64_t mn_size, int64_t k_size,
                                    int64_t mn0, int64_t k0, bool vec) {
  const int t = threadIdx.x;
  float v[4];
  if (kKContiguous) {
    const int64_t mn = mn0 + (t >> 1), p = k0 + (t & 1) * 4;
    if (vec && mn < mn_size && p + 4 <= k_size) {
      return *reinterpret_cast<const float4*>(x + mn * ld + p);
    }
    for (int i = 0; i < 4; ++i) v[i] = mn < mn_size && p + i < k_size ? x[mn * ld + p + i] : 0.0f;
  } else {
    const int64_t p = k0 + (t >> 5), mn = mn0 + (t & 31) * 4;
    if (vec && p < k_size && mn + 4 <= mn_size) {
      return *reinterpret_cast<const float4*>(x + p * ld + mn);
    }
    for (int i = 0; i < 4; ++i) v[i] = p < k_size && mn + i < mn_size ? x[p * ld + mn + i] : 0.0f;
  }
  return make_float4(v[0], v[1], v[2], v[3]);
}

// Stores what load_slice loaded into a shared slice laid out [k][mn].
template <bool kKContiguous>
__device__ inline void store_slice(float (*s)[kSgemmRow], float4 v) {
  const int t = threadIdx.x;
  if (kKContiguous) {
    const int mn = t >> 1, p = (t & 1) * 4;
    s[p][mn] = v.x;
    s[p + 1][mn] = v.y;
    s[p + 2][mn] = v.z;
    s[p + 3][mn] = v.w;
  } else {
    *reinterpret_cast<float4*>(&s[t >> 5][(t & 31) * 4]) = v;
  }
}

// Thread (ty, tx) of the 16 x 16 grid computes rows {ty*4 + i, 64 + ty*4 + i} and columns
// {tx*4 + j, 64 + tx*4 + j} (i, j < 4) of the block's tile: float4 reads of shared memory
// that a warp's threads share (A) or spread over all banks (B).
template <bool kTransA, bool kTransB>
__global__ void __launch_bounds__(kSgemmThreads, 2)
    sgemm_kernel(GemmArgs g, bool vec_a, bool vec_b, bool vec_c, int64_t batch_base) {
  __shared__ __align__(16) float as[2][kSgemmSlice][kSgemmRow];
  __shared__ __align__(16) float bs[2][kSgemmSlice][kSgemmRow];
  const float* a;
  const float* b;
  float* c;
  batch_pointers(g, batch_base + blockIdx.z, &a, &b, &c);
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kSgemmTile;
  const int64_t n0 = static_cast<int64_t>(blockIdx.y) * kSgemmTile;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;

  float acc[8][8];
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;
  }

  const int64_t slices = (g.k + kSgemmSlice - 1) / kSgemmSlice;
  float4 next_a = load_slice<!kTransA>(a, g.lda, g.m, g.k, m0, 0, vec_a);
  float4 next_b = load_slice<kTransB>(b, g.ldb, g.n, g.k, n0, 0, vec_b);
  store_slice<!kTransA>(as[0], next_a);
  store_slice<kTransB>(bs[0], next_b);
  __syncthreads();

  for (int64_t s = 0; s < slices; ++s) {
    const int cur = static_cast<int>(s & 1);
    const bool more = s + 1 < slices;
    if (more) {  // in flight while this slice is multiplied
      next_a = load_slice<!kTransA>(a, g.lda, g.m, g.k, m0, (s + 1) * kSgemmSlice, vec_a);
      next_b = load_slice<kTransB>(b, g.ldb, g.n, g.k, n0, (s + 1) * kSgemmSlice, vec_b);
    }
#pragma unroll
    for (int p = 0; p < kSgemmSlice; ++p) {
      const float4 a0 = *reinterpret_cast<const float4*>(&as[cur][p][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&as[cur][p][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&bs[cur][p][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&bs[cur][p][64 + tx * 4]);
      const float ra[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float rb[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i) {
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
      }
    }
    if (more) {
      // The other buffer was last read in the previous iteration, before its barrier.
      store_slice<!kTransA>(as[cur ^ 1], next_a);
      store_slice<kTransB>(bs[cur ^ 1], next_b);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int64_t row = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
    if (row >= g.m) continue;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int64_t col = n0 + half * 64 + tx * 4;
      const float* v = &acc[i][half * 4];
      float* out = c + row * g.ldc + col;
      if (vec_c && col + 4 <= g.n) {
        *reinterpret_cast<float4*>(out) = make_float4(v[0], v[1], v[2], v[3]);
      } else {
        for (int j = 0; j < 4; ++j) {
          if (col + j < g.n) out[j] = v[j];
        }
      }
    }
  }
}

// ---- float32 on TF32 tensor cores ----

constexpr int kTf32Slice = 16;
constexpr int kTf32RowA = kTf32Slice + 8;    // padded rows; 32-byte aligned fragment starts
constexpr int kTf32RowB = kSgemmTile + 8;

// 8 warps as 2 (rows) x 4 (columns); each computes a 64 x 32 piece as 4 x 2 fragments.
template <bool kTransA, bool kTransB>
__global__ void __launch_bounds__(kSgemmThreads)
    tf32_gemm_kernel(GemmArgs g, int64_t batch_base) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  namespace wmma = nvcuda::wmma;
  __shared__ __align__(128) float as[kSgemmTile][kTf32RowA];
  __shared__ __align__(128) float bs[kTf32Slice][kTf32RowB];
  __shared__ __align__(128) float staging[kSgemmThreads / 32][16 * 16];
  const float* a;
  const float* b;
  float* c;
  batch_pointers(g, batch_base + blockIdx.z, &a, &b, &c);
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kSgemmTile;
  const int64_t n0 = static_cast<int64_t>(blockIdx.y) * kSgemmTile;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wm = warp / 4, wn = warp % 4;

  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[4][2];
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  }
  for (int64_t k0 = 0; k0 < g.k; k0 += kTf32Slice) {
    // Consecutive threads take consecutive addresses of the operand's contiguous dim.
    for (int e = threadIdx.x; e < kSgemmTile * kTf32Slice; e += kSgemmThreads) {
      const int i = kTransA ? e % kSgemmTile : e / kTf32Slice;
      const int p = kTransA ? e / kSgemmTile : e % kTf32Slice;
      const int64_t gi = m0 + i, gp = k0 + p;
      const float v = gi < g.m && gp < g.k ? a[kTransA ? gp * g.lda + gi : gi * g.lda + gp] : 0.0f;
      as[i][p] = wmma::__float_to_tf32(v);
    }
    for (int e = threadIdx.x; e < kSgemmTile * kTf32Slice; e += kSgemmThreads) {
      const int j = kTransB ? e / kTf32Slice : e % kSgemmTile;
      const int p = kTransB ? e % kTf32Slice : e / kSgemmTile;
      const int64_t gj = n0 + j, gp = k0 + p;
      const float v = gj < g.n && gp < g.k ? b[kTransB ? gj * g.ldb + gp : gp * g.ldb + gj] : 0.0f;
      bs[p][j] = wmma::__float_to_tf32(v);
    }
    __syncthreads();
    for (int p = 0; p < kTf32Slice; p += 8) {
      wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fa[4];
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fb[2];
      for (int i = 0; i < 4; ++i) wmma::load_matrix_sync(fa[i], &as[wm * 64 + i * 16][p], kTf32RowA);
      for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(fb[j], &bs[p][wn * 32 + j * 16], kTf32RowB);
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
      }
    }
    __syncthreads();
  }
  // Through a per-warp staging tile, so that edge tiles are written element by element.
  float* stage = staging[warp];
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 2; ++j) {
      wmma::store_matrix_sync(stage, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
      for (int e = lane; e < 256; e += 32) {
        const int64_t row = m0 + wm * 64 + i * 16 + e / 16;
        const int64_t col = n0 + wn * 32 + j * 16 + e % 16;
        if (row < g.m && col < g.n) c[row * g.ldc + col] = stage[e];
      }
      __syncwarp();
    }
  }
#else
  (void)g;
  (void)batch_base;
  __trap();  // never launched: the host checks the device's compute capability
#endif
}

// ---- other dtypes: a plain tiled product ----

constexpr int kTiledTile = 16;

template <typename T>
__global__ void tiled_gemm_kernel(GemmArgs g, int64_t batch_base) {
  __shared__ T as[kTiledTile][kTiledTile + 1];
  __shared__ T bs[kTiledTile][kTiledTile + 1];
  const T* a;
  const T* b;
  T* c;
  batch_pointers(g, batch_base + blockIdx.z, &a, &b, &c);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kTiledTile + ty;
  const int64_t col = static_cast<int64_t>(blockIdx.y) * kTiledTile + tx;
  T sum = T(0);
  for (int64_t k0 = 0; k0 < g.k; k0 += kTiledTile) {
    const int64_t pa = k0 + tx, pb = k0 + ty;
    as[ty][tx] = row < g.m && pa < g.k ? a[g.trans_a ? pa * g.lda + row : row * g.lda + pa] : T(0);
    bs[ty][tx] = col < g.n && pb < g.k ? b[g.trans_b ? col * g.ldb + pb : pb * g.ldb + col] : T(0);
    __syncthreads();
    for (int p = 0; p < kTiledTile; ++p) sum = AddFn{}(sum, MulFn{}(as[ty][p], bs[p][tx]));
    __syncthreads();
  }
  if (row < g.m && col < g.n) c[row * g.ldc + col] = sum;
}

// ---- launching ----

// Whether float4 accesses of a matrix at `p` with leading dim `ld` and batch stride `stride`
// are all 16-byte aligned.
inline bool vec_aligned(const void* p, int64_t ld, int64_t stride) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0 && ld % 4 == 0 && stride % 4 == 0;
}

// Batch entries per launch (gridDim.z is at most 65535).
constexpr int64_t kMaxGridZ = 65535;

// Launches kernel(grid z-slice base) over the batch in slices of kMaxGridZ.
template <typename Launch>
cudaError_t launch_batches(const GemmArgs& g, Launch launch) {
  for (int64_t base = 0; base < g.batch_count; base += kMaxGridZ) {
    const int64_t z = g.batch_count - base < kMaxGridZ ? g.batch_count - base : kMaxGridZ;
    launch(static_cast<unsigned>(z), base);
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return err;
  }
  return cudaSuccess;
}

// Calls fn(std::bool_constant<ta>{}, std::bool_constant<tb>{}) for the runtime flags.
template <typename F>
void with_transposes(bool ta, bool tb, F fn) {
  if (ta) {
    if (tb) fn(std::true_type{}, std::true_type{});
    else fn(std::true_type{}, std::false_type{});
  } else {
    if (tb) fn(std::false_type{}, std::true_type{});
    else fn(std::false_type{}, std::false_type{});
  }
}

// float32 C = op(A) op(B) on `stream`, on tensor cores when `tf32` (the device must be sm_80
// or newer).
inline cudaError_t launch_sgemm(const GemmArgs& g, bool tf32, cudaStream_t stream) {
  if (g.m == 0 || g.n == 0 || g.batch_count == 0) return cudaSuccess;
  // Rows of tiles along x (up to 2^31 - 1), columns along y (up to 65535).
  const dim3 blocks_xy(static_cast<unsigned>((g.m + kSgemmTile - 1) / kSgemmTile),
                       static_cast<unsigned>((g.n + kSgemmTile - 1) / kSgemmTile));
  const bool vec_a = vec_aligned(g.a, g.lda, g.stride_a);
  const bool vec_b = vec_aligned(g.b, g.ldb, g.stride_b);
  const bool vec_c = vec_aligned(g.c, g.ldc, g.stride_c);
  cudaError_t err = cudaSuccess;
  with_transposes(g.trans_a, g.trans_b, [&](auto ta_tag, auto tb_tag) {
    constexpr bool ta = decltype(ta_tag)::value, tb = decltype(tb_tag)::value;
    err = launch_batches(g, [&](unsigned z, int64_t base) {
      const dim3 grid(blocks_xy.x, blocks_xy.y, z);
      if (tf32) {
        tf32_gemm_kernel<ta, tb><<<grid, kSgemmThreads, 0, stream>>>(g, base);
      } else {
        sgemm_kernel<ta, tb><<<grid, kSgemmThreads, 0, stream>>>(g, vec_a, vec_b, vec_c, base);
      }
    });
  });
  return err;
}

// C = op(A) op(B) of any other dtype on `stream`.
template <typename T>
cudaError_t launch_tiled_gemm(const GemmArgs& g, cudaStream_t stream) {
  if (g.m == 0 || g.n == 0 || g.batch_count == 0) return cudaSuccess;
  const dim3 threads(kTiledTile, kTiledTile);
  const unsigned bx = static_cast<unsigned>((g.m + kTiledTile - 1) / kTiledTile);
  const unsigned by = static_cast<unsigned>((g.n + kTiledTile - 1) / kTiledTile);
  return launch_batches(g, [&](unsigned z, int64_t base) {
    tiled_gemm_kernel<T><<<dim3(bx, by, z), threads, 0, stream>>>(g, base);
  });
}

}  // namespace cuda
}  // namespace tl
