// Neural-network ops on the GPU (the GPU side of src/ops/nn_ops.cc): BiasAdd, BiasAddGrad,
// Softmax, LogSoftmax and the fused softmax cross-entropies. (The elementwise activations and
// their gradients are in elementwise.cu.)
//
// Row ops see their input as [rows, classes] and give each row one block: a block-wide max,
// then a block-wide sum of exp(x - max), then one pass writing the results.
//
// NOTE: SparseSoftmaxCrossEntropyWithLogits does not check its labels on the host (that would
// copy them back and wait for the GPU every step). As TF's GPU kernel does, a row whose label
// is outside [0, classes) gets NaN for its loss and its whole backprop row; the CPU kernel
// raises InvalidArgument instead.
#include <cuda_runtime.h>

#include <cmath>
#include <string>

#include "cuda/ops/block_reduce.cuh"
#include "cuda/ops/elementwise.h"
#include "cuda/ops/kernel_util.h"
#include "cuda/ops/ops.h"
#include "cuda/runtime.h"

namespace tl {
namespace cuda {
namespace {

// Rows per launch: blocks loop over rows beyond this many.
constexpr int64_t kMaxRowBlocks = 65535;

unsigned row_blocks(int64_t rows) {
  return static_cast<unsigned>(rows < kMaxRowBlocks ? rows : kMaxRowBlocks);
}

template <typename T>
__device__ inline T max_of(T a, T b) {
  return MaximumFn{}(a, b);
}

// The max of row x[0, n) and the sum of exp(x[i] - max), in every thread of the block.
template <typename T>
__device__ inline void row_max_and_sum(const T* x, int64_t n, T* max, T* sum) {
  T m = -INFINITY;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) m = max_of(m, x[i]);
  m = block_reduce(m, [](T a, T b) { return max_of(a, b); });
  T s = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += std::exp(x[i] - m);
  *sum = block_reduce(s, [](T a, T b) { return a + b; });
  *max = m;
}

// y may be x: each element is read by the thread that writes it, after both reductions.
template <bool kLog, typename T>
__global__ void softmax_kernel(const T* x, T* y, int64_t rows, int64_t classes) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * classes;
    T* yr = y + r * classes;
    T m, sum;
    row_max_and_sum(xr, classes, &m, &sum);
    const T log_sum = std::log(sum), inv = T(1) / sum;
    for (int64_t i = threadIdx.x; i < classes; i += blockDim.x) {
      yr[i] = kLog ? xr[i] - m - log_sum : std::exp(xr[i] - m) * inv;
    }
  }
}

template <bool kLog>
Status softmax_compute(KernelContext& ctx) {
  const char* op = kLog ? "LogSoftmax" : "Softmax";
  const Tensor& x = ctx.input(0);
  return dispatch(FloatTypes{}, x.dtype(), op, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const int64_t classes = x.shape().dim(x.shape().rank() - 1);
    if (classes == 0 || x.num_elements() == 0) return Status::OK();
    const int64_t rows = x.num_elements() / classes;
    softmax_kernel<kLog><<<row_blocks(rows), kThreads, 0, compute_stream(ctx)>>>(
        x.data<T>(), ctx.output(0).data<T>(), rows, classes);
    return launch_status(op);
  });
}

// loss[r] = sum(labels * (log(sum) - (x - max))), backprop = softmax(x) - labels.
template <typename T>
__global__ void xent_kernel(const T* x, const T* labels, T* loss, T* backprop, int64_t rows,
                            int64_t classes) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t off = r * classes;
    T m, sum;
    row_max_and_sum(x + off, classes, &m, &sum);
    const T log_sum = std::log(sum), inv = T(1) / sum;
    T partial = 0;
    for (int64_t i = threadIdx.x; i < classes; i += blockDim.x) {
      const T shifted = x[off + i] - m;
      partial += labels[off + i] * (log_sum - shifted);
      backprop[off + i] = std::exp(shifted) * inv - labels[off + i];
    }
    partial = block_reduce(partial, [](T a, T b) { return a + b; });
    if (threadIdx.x == 0) loss[r] = partial;
  }
}

Status xent_compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& labels = ctx.input(1);
  if (!(labels.shape() == x.shape())) {
    return invalid_argument("logits and labels must be the same size: logits_size=" +
                            x.shape().to_string() + " labels_size=" + labels.shape().to_string());
  }
  return dispatch(FloatTypes{}, x.dtype(), "SoftmaxCrossEntropyWithLogits",
                  [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    Tensor& loss = ctx.output(0);
    cudaStream_t stream = compute_stream(ctx);
    const int64_t classes = x.shape().dim(x.shape().rank() - 1);
    if (classes == 0 || x.num_elements() == 0) {
      return cuda_status(cudaMemsetAsync(loss.raw_data(), 0, loss.num_bytes(), stream),
                         "SoftmaxCrossEntropyWithLogits");
    }
    const int64_t rows = x.num_elements() / classes;
    xent_kernel<<<row_blocks(rows), kThreads, 0, stream>>>(
        x.data<T>(), labels.data<T>(), loss.data<T>(), ctx.output(1).data<T>(), rows, classes);
    return launch_status("SoftmaxCrossEntropyWithLogits");
  });
}

// As xent_kernel with one-hot labels; NaN rows for labels outside [0, classes).
template <typename T, typename Label>
__global__ void sparse_xent_kernel(const T* x, const Label* labels, T* loss, T* backprop,
                                   int64_t rows, int64_t classes) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t off = r * classes;
    const int64_t label = static_cast<int64_t>(labels[r]);
    if (label < 0 || label >= classes) {
      for (int64_t i = threadIdx.x; i < classes; i += blockDim.x) backprop[off + i] = NAN;
      if (threadIdx.x == 0) loss[r] = NAN;
      continue;  // uniform across the block: no barrier is skipped by only some threads
    }
    T m, sum;
    row_max_and_sum(x + off, classes, &m, &sum);
    const T inv = T(1) / sum;
    for (int64_t i = threadIdx.x; i < classes; i += blockDim.x) {
      backprop[off + i] = std::exp(x[off + i] - m) * inv - (i == label ? T(1) : T(0));
    }
    if (threadIdx.x == 0) loss[r] = std::log(sum) - (x[off + label] - m);
  }
}

Status sparse_xent_compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& labels = ctx.input(1);
  const int64_t classes = x.shape().dim(x.shape().rank() - 1);
  const int64_t rows = labels.num_elements();
  TL_RETURN_IF_ERROR(check_sparse_xent_shapes(x, labels));
  if (rows == 0) return Status::OK();
  return dispatch(FloatTypes{}, x.dtype(), "SparseSoftmaxCrossEntropyWithLogits",
                  [&](auto tag) {
    using T = typename decltype(tag)::type;
    return dispatch(IntTypes{}, labels.dtype(), "SparseSoftmaxCrossEntropyWithLogits",
                    [&](auto label_tag) -> Status {
      using Label = typename decltype(label_tag)::type;
      sparse_xent_kernel<<<row_blocks(rows), kThreads, 0, compute_stream(ctx)>>>(
          x.data<T>(), labels.data<Label>(), ctx.output(0).data<T>(),
          ctx.output(1).data<T>(), rows, classes);
      return launch_status("SparseSoftmaxCrossEntropyWithLogits");
    });
  });
}

// ---- BiasAdd, BiasAddGrad ----

// Axis of the bias in a value of rank `rank`: the last (NHWC) or third from last (NCHW).
int bias_axis(const AttrMap& attrs, int rank) {
  return attrs.get<std::string>("data_format") == "NCHW" ? rank - 3 : rank - 1;
}

// The value viewed as [outer, channels, inner] (inner == 1 for NHWC).
struct BiasView {
  int64_t outer, channels, inner;
};

BiasView bias_view(const AttrMap& attrs, const Shape& shape) {
  const int axis = bias_axis(attrs, shape.rank());
  BiasView v{1, shape.dim(axis), 1};
  for (int d = 0; d < axis; ++d) v.outer *= shape.dim(d);
  for (int d = axis + 1; d < shape.rank(); ++d) v.inner *= shape.dim(d);
  return v;
}

template <typename T>
__global__ void bias_add_kernel(const T* x, const T* bias, T* y, int64_t n, int64_t channels,
                                int64_t inner) {
  grid_stride(n, [&](int64_t i) { y[i] = AddFn{}(x[i], bias[(i / inner) % channels]); });
}

Status bias_add_compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& bias = ctx.input(1);
  const BiasView v = bias_view(ctx.attrs(), x.shape());
  if (bias.num_elements() != v.channels) {
    return invalid_argument("Must provide as many biases as the channel dimension of the "
                            "input tensor: " + bias.shape().to_string() + " vs. " +
                            x.shape().to_string());
  }
  return dispatch(NumericTypes{}, x.dtype(), "BiasAdd", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const int64_t n = x.num_elements();
    if (n == 0) return Status::OK();
    bias_add_kernel<<<blocks_for(n), kThreads, 0, compute_stream(ctx)>>>(
        x.data<T>(), bias.data<T>(), ctx.output(0).data<T>(), n, v.channels, v.inner);
    return launch_status("BiasAdd");
  });
}

// One block per channel sums its outer * inner values.
template <typename T>
__global__ void bias_add_grad_kernel(const T* x, T* out, BiasView v) {
  for (int64_t c = blockIdx.x; c < v.channels; c += gridDim.x) {
    T sum = T(0);
    const int64_t count = v.outer * v.inner;
    for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
      const int64_t o = e / v.inner, j = e % v.inner;
      sum = AddFn{}(sum, x[(o * v.channels + c) * v.inner + j]);
    }
    sum = block_reduce(sum, [](T a, T b) { return AddFn{}(a, b); });
    if (threadIdx.x == 0) out[c] = sum;
  }
}

Status bias_add_grad_compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const BiasView v = bias_view(ctx.attrs(), x.shape());
  return dispatch(NumericTypes{}, x.dtype(), "BiasAddGrad", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    if (v.channels == 0) return Status::OK();
    bias_add_grad_kernel<<<row_blocks(v.channels), kThreads, 0, compute_stream(ctx)>>>(
        x.data<T>(), ctx.output(0).data<T>(), v);
    return launch_status("BiasAddGrad");
  });
}

}  // namespace

void register_nn_kernels(KernelRegistry& r) {
  r.add_builtin(gpu_kernel("Softmax").compute(softmax_compute<false>));
  r.add_builtin(gpu_kernel("LogSoftmax").compute(softmax_compute<true>));
  r.add_builtin(gpu_kernel("SoftmaxCrossEntropyWithLogits").compute(xent_compute));
  r.add_builtin(gpu_kernel("SparseSoftmaxCrossEntropyWithLogits")
                    .dtypes({DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64})
                    .compute(sparse_xent_compute));
  r.add_builtin(gpu_kernel("BiasAdd").compute(bias_add_compute));
  r.add_builtin(gpu_kernel("BiasAddGrad").compute(bias_add_grad_compute));
}

}  // namespace cuda
}  // namespace tl
