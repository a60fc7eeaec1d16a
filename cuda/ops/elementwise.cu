// Elementwise math on the GPU: unary functions, broadcasting binary functions, comparisons,
// activation gradients, AddN and Cast (the GPU side of src/ops/math_ops.cc and the elementwise
// part of nn_ops.cc). The functions themselves are in elementwise.h.
//
// One unary and one binary kernel template serve every op: a grid-stride loop that calls the
// op's function per element. Binary operands are walked in one of four modes (binary_mode):
// the same shape, a scalar on either side, or a general broadcast whose dims were merged on
// the host (make_broadcast_layout) so the per-element index math runs over as few dims as
// possible.
#include <cuda_runtime.h>

#include <string>
#include <type_traits>

#include "cuda/ops/elementwise.h"
#include "cuda/ops/kernel_util.h"
#include "cuda/ops/ops.h"
#include "cuda/runtime.h"

namespace tl {
namespace cuda {
namespace {

using BoolTypes = TypeList<bool>;
using NumericOrBool = NumericOrBoolTypes;

template <typename Fn, typename In, typename Out>
__global__ void unary_kernel(const In* x, Out* y, int64_t n) {
  const Fn fn;
  grid_stride(n, [&](int64_t i) { y[i] = fn(x[i]); });
}

template <BinaryMode kMode, typename Fn, typename In, typename Out>
__global__ void binary_kernel(const In* a, const In* b, Out* out, int64_t n, BroadcastLayout l) {
  const Fn fn;
  grid_stride(n, [&](int64_t i) {
    if constexpr (kMode == BinaryMode::kSameShape) {
      out[i] = fn(a[i], b[i]);
    } else if constexpr (kMode == BinaryMode::kScalarA) {
      out[i] = fn(a[0], b[i]);
    } else if constexpr (kMode == BinaryMode::kScalarB) {
      out[i] = fn(a[i], b[0]);
    } else {
      int64_t oa, ob;
      broadcast_offset(l, i, &oa, &ob);
      out[i] = fn(a[oa], b[ob]);
    }
  });
}

// out = fn(a, b) with NumPy broadcasting; `out` has the broadcast shape. `out` may be an
// operand of the same size (each element is read before it is written).
template <typename Fn, typename In, typename Out>
Status binary_apply(KernelContext& ctx, const Tensor& a, const Tensor& b, Tensor& out) {
  const int64_t n = out.num_elements();
  if (n == 0) return Status::OK();
  const In* pa = a.data<In>();
  const In* pb = b.data<In>();
  Out* po = out.data<Out>();
  cudaStream_t stream = compute_stream(ctx);
  BroadcastLayout l{};
  switch (binary_mode(a.num_elements(), b.num_elements(), n)) {
    case BinaryMode::kSameShape:
      binary_kernel<BinaryMode::kSameShape, Fn><<<blocks_for(n), kThreads, 0, stream>>>(
          pa, pb, po, n, l);
      break;
    case BinaryMode::kScalarA:
      binary_kernel<BinaryMode::kScalarA, Fn><<<blocks_for(n), kThreads, 0, stream>>>(
          pa, pb, po, n, l);
      break;
    case BinaryMode::kScalarB:
      binary_kernel<BinaryMode::kScalarB, Fn><<<blocks_for(n), kThreads, 0, stream>>>(
          pa, pb, po, n, l);
      break;
    case BinaryMode::kBroadcast: {
      make_broadcast_layout(a.shape(), b.shape(), &l);
      int64_t covered = 1;
      for (int d = 0; d < l.rank; ++d) covered *= l.dims[d];
      if (covered != n) {
        return invalid_argument(std::string(Fn::kName) + ": incompatible shapes: " +
                                a.shape().to_string() + " vs. " + b.shape().to_string());
      }
      binary_kernel<BinaryMode::kBroadcast, Fn><<<blocks_for(n), kThreads, 0, stream>>>(
          pa, pb, po, n, l);
      break;
    }
  }
  return launch_status(Fn::kName);
}

template <typename Fn, typename List>
Status unary_compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return dispatch(List{}, x.dtype(), Fn::kName, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    using Out = decltype(Fn{}(T()));
    const int64_t n = x.num_elements();
    if (n == 0) return Status::OK();
    unary_kernel<Fn><<<blocks_for(n), kThreads, 0, compute_stream(ctx)>>>(
        x.data<T>(), ctx.output(0).data<Out>(), n);
    return launch_status(Fn::kName);
  });
}

template <typename Fn, typename List>
Status binary_compute(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  return dispatch(List{}, a.dtype(), Fn::kName, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    using Out = decltype(Fn{}(T(), T()));
    return binary_apply<Fn, T, Out>(ctx, a, ctx.input(1), ctx.output(0));
  });
}

// Activation gradients: the same shape is required (TF's rule), not broadcast.
template <typename Fn>
Status activation_grad_compute(KernelContext& ctx) {
  const Tensor& g = ctx.input(0);
  const Tensor& x = ctx.input(1);
  TL_RETURN_IF_ERROR(check_activation_grad_shapes(Fn::kName, g, x));
  return binary_compute<Fn, FloatTypes>(ctx);
}

// AddN as a chain of same-shape adds into the output.
Status add_n_compute(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const int k = ctx.num_inputs();
  return dispatch(NumericTypes{}, out.dtype(), "AddN", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    for (int i = 0; i < k; ++i) {
      if (ctx.input(i).num_elements() != out.num_elements()) {
        return invalid_argument("AddN: all inputs must have the same shape, input " +
                                std::to_string(i) + " has shape " +
                                ctx.input(i).shape().to_string());
      }
    }
    if (k == 1) {
      if (out.raw_data() == ctx.input(0).raw_data()) return Status::OK();
      return cuda_status(cudaMemcpyAsync(out.raw_data(), ctx.input(0).raw_data(),
                                         out.num_bytes(), cudaMemcpyDeviceToDevice,
                                         compute_stream(ctx)),
                         "AddN");
    }
    TL_RETURN_IF_ERROR((binary_apply<AddFn, T, T>(ctx, ctx.input(0), ctx.input(1), out)));
    for (int i = 2; i < k; ++i) {
      TL_RETURN_IF_ERROR((binary_apply<AddFn, T, T>(ctx, out, ctx.input(i), out)));
    }
    return Status::OK();
  });
}

// ---- Cast ----

template <typename From, typename To>
__global__ void cast_kernel(const From* x, To* y, int64_t n) {
  grid_stride(n, [&](int64_t i) { y[i] = cast_value<To>(x[i]); });
}

using CastTypes = TypeList<float, double, int32_t, int64_t, bool>;

Status cast_compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  const int64_t n = x.num_elements();
  if (n == 0) return Status::OK();
  cudaStream_t stream = compute_stream(ctx);
  if (x.dtype() == y.dtype()) {
    if (x.raw_data() == y.raw_data()) return Status::OK();
    return cuda_status(cudaMemcpyAsync(y.raw_data(), x.raw_data(), x.num_bytes(),
                                       cudaMemcpyDeviceToDevice, stream),
                       "Cast");
  }
  return dispatch(CastTypes{}, x.dtype(), "Cast", [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    return dispatch(CastTypes{}, y.dtype(), "Cast", [&](auto to_tag) -> Status {
      using To = typename decltype(to_tag)::type;
      cast_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x.data<From>(), y.data<To>(), n);
      return launch_status("Cast");
    });
  });
}

template <typename Fn, typename List>
void add_unary(KernelRegistry& r) {
  r.add_builtin(gpu_kernel(Fn::kName).compute(unary_compute<Fn, List>));
}
template <typename Fn, typename List>
void add_binary(KernelRegistry& r) {
  r.add_builtin(gpu_kernel(Fn::kName).compute(binary_compute<Fn, List>));
}
template <typename Fn>
void add_activation_grad(KernelRegistry& r) {
  r.add_builtin(gpu_kernel(Fn::kName).compute(activation_grad_compute<Fn>));
}

}  // namespace

void register_elementwise_kernels(KernelRegistry& r) {
  add_unary<NegFn, NumericTypes>(r);
  add_unary<AbsFn, NumericTypes>(r);
  add_unary<SquareFn, NumericTypes>(r);
  add_unary<SignFn, NumericTypes>(r);
  add_unary<RoundFn, NumericTypes>(r);
  add_unary<ReluFn, NumericTypes>(r);
  add_unary<Relu6Fn, NumericTypes>(r);
  add_unary<SqrtFn, FloatTypes>(r);
  add_unary<RsqrtFn, FloatTypes>(r);
  add_unary<ExpFn, FloatTypes>(r);
  add_unary<LogFn, FloatTypes>(r);
  add_unary<Log1pFn, FloatTypes>(r);
  add_unary<FloorFn, FloatTypes>(r);
  add_unary<CeilFn, FloatTypes>(r);
  add_unary<SinFn, FloatTypes>(r);
  add_unary<CosFn, FloatTypes>(r);
  add_unary<TanhFn, FloatTypes>(r);
  add_unary<SigmoidFn, FloatTypes>(r);
  add_unary<EluFn, FloatTypes>(r);
  add_unary<SoftplusFn, FloatTypes>(r);
  add_unary<LogicalNotFn, BoolTypes>(r);

  add_binary<AddFn, NumericTypes>(r);
  add_binary<SubFn, NumericTypes>(r);
  add_binary<MulFn, NumericTypes>(r);
  add_binary<RealDivFn, FloatTypes>(r);
  add_binary<PowFn, FloatTypes>(r);
  add_binary<MaximumFn, NumericTypes>(r);
  add_binary<MinimumFn, NumericTypes>(r);
  add_binary<SquaredDifferenceFn, NumericTypes>(r);
  add_binary<EqualFn, NumericOrBool>(r);
  add_binary<NotEqualFn, NumericOrBool>(r);
  add_binary<LessFn, NumericTypes>(r);
  add_binary<LessEqualFn, NumericTypes>(r);
  add_binary<GreaterFn, NumericTypes>(r);
  add_binary<GreaterEqualFn, NumericTypes>(r);
  add_binary<LogicalAndFn, BoolTypes>(r);
  add_binary<LogicalOrFn, BoolTypes>(r);

  add_activation_grad<ReluGradFn>(r);
  add_activation_grad<Relu6GradFn>(r);
  add_activation_grad<EluGradFn>(r);
  add_activation_grad<SoftplusGradFn>(r);

  r.add_builtin(gpu_kernel("AddN").compute(add_n_compute));
  r.add_builtin(gpu_kernel("Cast").compute(cast_compute));
}

}  // namespace cuda
}  // namespace tl
