// Warp-shuffle and block-wide reductions shared by the reduction and row (softmax) kernels.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace tl {
namespace cuda {

// The combination of v over the 32 lanes of the calling warp, in every lane.
template <typename T, typename Combine>
__device__ inline T warp_reduce(T v, Combine combine) {
  for (int offset = 16; offset > 0; offset /= 2) {
    v = combine(v, __shfl_xor_sync(0xffffffffu, v, offset));
  }
  return v;
}

// The combination of v over the calling block (blockDim.x a multiple of 32, at most 1024), in
// every thread. Every thread of the block must call it; it may be called again at once.
template <typename T, typename Combine>
__device__ inline T block_reduce(T v, Combine combine) {
  __shared__ __align__(8) unsigned char bytes[32 * sizeof(T)];
  T* partial = reinterpret_cast<T*>(bytes);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warps = blockDim.x / 32;
  v = warp_reduce(v, combine);
  __syncthreads();  // an earlier call's readers are done with `partial`
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = partial[0];
  for (int w = 1; w < warps; ++w) v = combine(v, partial[w]);
  return v;
}

}  // namespace cuda
}  // namespace tl
