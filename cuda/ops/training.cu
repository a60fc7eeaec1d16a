// Optimizer updates on the GPU (the GPU side of src/ops/training_ops.cc), for variables that
// live in GPU memory: placement puts an update where its variable is. Inputs are checked and
// the variables prepared by the code the CPU kernels use (ops/training_util.h); the scalars
// (learning rate, beta powers, ...) are read on the device, so a step never waits for the GPU.
// The formulas are TF1's, in the order the CPU kernels compute them.
#include <cuda_runtime.h>

#include <cmath>

#include "cuda/ops/kernel_util.h"
#include "cuda/ops/ops.h"
#include "cuda/runtime.h"
#include "ops/kernel_util.h"
#include "ops/training_util.h"

namespace tl {
namespace cuda {
namespace {

// var -= alpha * delta
template <typename T>
__global__ void gradient_descent(T* var, const T* alpha, const T* delta, int64_t n) {
  const T a = *alpha;
  grid_stride(n, [&](int64_t i) { var[i] -= a * delta[i]; });
}

// accum = accum * momentum + grad
// var -= lr * accum, or with Nesterov: var -= grad * lr + accum * momentum * lr
template <typename T, bool kNesterov>
__global__ void momentum(T* var, T* accum, const T* lr_in, const T* grad, const T* momentum_in,
                         int64_t n) {
  const T lr = *lr_in, mu = *momentum_in;
  grid_stride(n, [&](int64_t i) {
    const T a = accum[i] * mu + grad[i];
    accum[i] = a;
    if (kNesterov) {
      var[i] -= grad[i] * lr + a * mu * lr;
    } else {
      var[i] -= lr * a;
    }
  });
}

// alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
// m += (grad - m) * (1 - beta1);  v += (grad^2 - v) * (1 - beta2)
// var -= m * alpha / (sqrt(v) + epsilon), or with Nesterov
// var -= (grad * (1 - beta1) + beta1 * m) * alpha / (sqrt(v) + epsilon)
template <typename T>
struct AdamScalars {
  const T *beta1_power, *beta2_power, *lr, *beta1, *beta2, *epsilon;
};

template <typename T, bool kNesterov>
__global__ void adam(T* var, T* m, T* v, AdamScalars<T> s, const T* grad, int64_t n) {
  const T beta1 = *s.beta1, one_minus_beta1 = T(1) - beta1, one_minus_beta2 = T(1) - *s.beta2;
  const T alpha = *s.lr * sqrt(T(1) - *s.beta2_power) / (T(1) - *s.beta1_power);
  const T epsilon = *s.epsilon;
  grid_stride(n, [&](int64_t i) {
    const T g = grad[i];
    const T mi = m[i] + (g - m[i]) * one_minus_beta1;
    const T vi = v[i] + (g * g - v[i]) * one_minus_beta2;
    m[i] = mi;
    v[i] = vi;
    const T step = kNesterov ? g * one_minus_beta1 + beta1 * mi : mi;
    var[i] -= step * alpha / (sqrt(vi) + epsilon);
  });
}

// Prepares the kRefs variables (input kGrad is the gradient), launches launch(tag, refs, n,
// stream) for var's dtype, and outputs var.
template <int kRefs, int kGrad, typename Launch>
Status apply(KernelContext& ctx, const char* op, Launch launch) {
  Tensor refs[kRefs];
  TL_RETURN_IF_ERROR((prepare_update<kRefs, kGrad>(ctx, refs)));
  const int64_t n = refs[0].num_elements();
  if (n > 0) {
    cudaStream_t stream = compute_stream(ctx);
    TL_RETURN_IF_ERROR(dispatch(FloatTypes{}, refs[0].dtype(), op, [&](auto tag) {
      launch(tag, refs, n, stream);
    }));
    TL_RETURN_IF_ERROR(launch_status(op));
  }
  ctx.output(0) = refs[0];
  return Status::OK();
}

template <typename T>
const T* in(KernelContext& ctx, int i) {
  return ctx.input(i).data<T>();
}

Status apply_gradient_descent(KernelContext& ctx) {
  return apply<1, 2>(ctx, "ApplyGradientDescent", [&](auto tag, Tensor(&refs)[1], int64_t n,
                                                        cudaStream_t stream) {
    using T = typename decltype(tag)::type;
    gradient_descent<<<blocks_for(n), kThreads, 0, stream>>>(refs[0].data<T>(), in<T>(ctx, 1),
                                                             in<T>(ctx, 2), n);
  });
}

template <bool kNesterov>
Status run_momentum(KernelContext& ctx) {
  return apply<2, 3>(ctx, "ApplyMomentum", [&](auto tag, Tensor(&refs)[2], int64_t n,
                                                 cudaStream_t stream) {
    using T = typename decltype(tag)::type;
    momentum<T, kNesterov><<<blocks_for(n), kThreads, 0, stream>>>(
        refs[0].data<T>(), refs[1].data<T>(), in<T>(ctx, 2), in<T>(ctx, 3), in<T>(ctx, 4), n);
  });
}

Status apply_momentum(KernelContext& ctx) {
  return ctx.attrs().get<bool>("use_nesterov") ? run_momentum<true>(ctx) : run_momentum<false>(ctx);
}

template <bool kNesterov>
Status run_adam(KernelContext& ctx) {
  return apply<3, 9>(ctx, "ApplyAdam", [&](auto tag, Tensor(&refs)[3], int64_t n,
                                           cudaStream_t stream) {
    using T = typename decltype(tag)::type;
    const AdamScalars<T> s{in<T>(ctx, 3), in<T>(ctx, 4), in<T>(ctx, 5),
                           in<T>(ctx, 6), in<T>(ctx, 7), in<T>(ctx, 8)};
    adam<T, kNesterov><<<blocks_for(n), kThreads, 0, stream>>>(
        refs[0].data<T>(), refs[1].data<T>(), refs[2].data<T>(), s, in<T>(ctx, 9), n);
  });
}

Status apply_adam(KernelContext& ctx) {
  return ctx.attrs().get<bool>("use_nesterov") ? run_adam<true>(ctx) : run_adam<false>(ctx);
}

}  // namespace

void register_training_kernels(KernelRegistry& r) {
  const std::vector<DType> floats = {DType::kFloat32, DType::kFloat64};
  r.add_builtin(gpu_kernel("ApplyGradientDescent").dtypes(floats).compute(apply_gradient_descent));
  r.add_builtin(gpu_kernel("ApplyMomentum").dtypes(floats).compute(apply_momentum));
  r.add_builtin(gpu_kernel("ApplyAdam").dtypes(floats).compute(apply_adam));
}

}  // namespace cuda
}  // namespace tl
