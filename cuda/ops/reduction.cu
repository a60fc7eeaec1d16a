// Sum, Mean, Prod, Max and Min over any axes on the GPU (the GPU side of
// src/ops/reduction_ops.cc). The input is split on the host into kept and reduced dims
// (reduction.h). When the reduced dims are one contiguous run at the end (rows), each output
// is one block's reduction (a warp-shuffle tree); otherwise each output is one thread's loop
// over its values, which reads the input coalesced when the kept dims are innermost (columns).
//
// The axes input is read when the plan is built if it is a constant, else copied back from
// the GPU (kernel_util.h).
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "cuda/ops/block_reduce.cuh"
#include "cuda/ops/kernel_util.h"
#include "cuda/ops/ops.h"
#include "cuda/ops/reduction.h"
#include "cuda/runtime.h"

namespace tl {
namespace cuda {
namespace {

constexpr int64_t kMaxRowBlocks = 65535;

template <typename R, typename T, typename Finish>
__global__ void reduce_rows_kernel(const T* x, T* out, int64_t rows, int64_t n, Finish finish) {
  using Acc = typename R::Acc;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* xr = x + row * n;
    Acc acc = R::identity();
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      acc = R::combine(acc, static_cast<Acc>(xr[i]));
    }
    acc = block_reduce(acc, [](Acc a, Acc b) { return R::combine(a, b); });
    if (threadIdx.x == 0) out[row] = finish(acc);
  }
}

// The innermost reduced dim is walked by a plain strided loop, the others through the plan.
template <typename R, typename T, typename Finish>
__global__ void reduce_general_kernel(const T* x, T* out, ReducePlan p, Finish finish) {
  using Acc = typename R::Acc;
  const int last = p.reduced_rank - 1;
  const int64_t inner = last >= 0 ? p.reduced_dims[last] : 1;
  const int64_t inner_stride = last >= 0 ? p.reduced_strides[last] : 0;
  const int64_t outer = p.reduced_count / inner;
  grid_stride(p.outputs, [&](int64_t o) {
    const T* base = x + kept_offset(p, o);
    Acc acc = R::identity();
    for (int64_t r = 0; r < outer; ++r) {
      const T* run = base + strided_offset(p.reduced_dims, p.reduced_strides, last, r);
      for (int64_t j = 0; j < inner; ++j) {
        acc = R::combine(acc, static_cast<Acc>(run[j * inner_stride]));
      }
    }
    out[o] = finish(acc);
  });
}

// Every output of an empty input: the reducer's identity, finished.
template <typename R, typename T, typename Finish>
__global__ void reduce_nothing_kernel(T* out, int64_t n, Finish finish) {
  grid_stride(n, [&](int64_t i) { out[i] = finish(R::identity()); });
}

// result = finish(accumulated value): a cast, or a division by the count for Mean.
template <typename T, typename A>
struct CastFinish {
  TL_HD T operator()(A a) const { return static_cast<T>(a); }
};
template <typename T, typename A>
struct MeanFinish {
  int64_t count;
  TL_HD T operator()(A a) const {
    // NOTE: integer means truncate, like TF; the mean of nothing is 0 for integers, NaN for
    // floats (0 / 0).
    if constexpr (std::is_integral_v<A>) return static_cast<T>(count ? a / count : 0);
    else return static_cast<T>(a / static_cast<A>(count));
  }
};

template <typename R, typename T, typename Finish>
Status reduce(KernelContext& ctx, const Tensor& x, uint32_t mask, Tensor& out, Finish finish) {
  cudaStream_t stream = compute_stream(ctx);
  const int64_t outputs = out.num_elements();
  if (outputs == 0) return Status::OK();
  if (x.num_elements() == 0) {
    reduce_nothing_kernel<R><<<blocks_for(outputs), kThreads, 0, stream>>>(out.data<T>(),
                                                                           outputs, finish);
    return launch_status(R::kName);
  }
  const ReducePlan p = make_reduce_plan(x.shape(), mask);
  if (p.outputs != outputs) {
    return internal_error(std::string(R::kName) + ": the output has " +
                          std::to_string(outputs) + " elements, the reduction makes " +
                          std::to_string(p.outputs));
  }
  if (reduces_rows(p)) {
    const unsigned blocks = static_cast<unsigned>(outputs < kMaxRowBlocks ? outputs : kMaxRowBlocks);
    reduce_rows_kernel<R><<<blocks, kThreads, 0, stream>>>(x.data<T>(), out.data<T>(), outputs,
                                                           p.reduced_count, finish);
  } else {
    reduce_general_kernel<R><<<blocks_for(outputs), kThreads, 0, stream>>>(
        x.data<T>(), out.data<T>(), p, finish);
  }
  return launch_status(R::kName);
}

Status read_mask(const KernelContext& ctx, int rank, uint32_t* mask) {
  std::vector<int64_t> axes;
  TL_RETURN_IF_ERROR(int_input(ctx, 1, &axes));
  return reduction_mask(axes, rank, mask);
}

template <template <typename> class R>
Status reduce_compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  uint32_t mask;
  TL_RETURN_IF_ERROR(read_mask(ctx, x.shape().rank(), &mask));
  return dispatch(NumericTypes{}, x.dtype(), R<float>::kName, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return reduce<R<T>, T>(ctx, x, mask, ctx.output(0), CastFinish<T, typename R<T>::Acc>{});
  });
}

Status mean_compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  uint32_t mask;
  TL_RETURN_IF_ERROR(read_mask(ctx, x.shape().rank(), &mask));
  int64_t count = 1;
  for (int i = 0; i < x.shape().rank(); ++i) {
    if (mask >> i & 1) count *= x.shape().dim(i);
  }
  return dispatch(NumericTypes{}, x.dtype(), "Mean", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = typename SumReducer<T>::Acc;
    return reduce<SumReducer<T>, T>(ctx, x, mask, ctx.output(0), MeanFinish<T, Acc>{count});
  });
}

template <template <typename> class R>
void add_reduction(KernelRegistry& r) {
  r.add_builtin(gpu_kernel(R<float>::kName)
                    .host_memory_input(1)
                    .prepare(prepare_int_input<1>)
                    .compute(reduce_compute<R>));
}

}  // namespace

void register_reduction_kernels(KernelRegistry& r) {
  add_reduction<SumReducer>(r);
  add_reduction<ProdReducer>(r);
  add_reduction<MaxReducer>(r);
  add_reduction<MinReducer>(r);
  r.add_builtin(gpu_kernel("Mean")
                    .host_memory_input(1)
                    .prepare(prepare_int_input<1>)
                    .compute(mean_compute));
}

}  // namespace cuda
}  // namespace tl
