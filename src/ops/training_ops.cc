// TF1's optimizer updates: ApplyGradientDescent, ApplyMomentum, ApplyAdam, ApplyRMSProp,
// ApplyCenteredRMSProp, ApplyAdagrad, ApplyAdadelta, ApplyFtrl(V2), ApplyProximalGradientDescent,
// ApplyProximalAdagrad, ApplyAdagradDA, and the sparse forms SparseApply* of all but Adam and GradientDescent.
//
// The variables an update writes (var and its accumulators) are reference inputs, always the
// first ones: the kernel takes their values from the session state and updates them where they
// lie when nothing else holds their buffers, or else on a fresh copy that replaces the
// variable's value (so a value read earlier in the same run keeps what it read). The other
// inputs are the gradient, of var's shape, and scalars (learning rate, decay rates). Output 0
// is the updated var, as in TF. Each update is one pass over the elements, compiled for AVX2
// and for the baseline, split over the session's threads.
//
// A sparse update SparseApply<X> takes, instead of a gradient of var's shape, rows
// (grad.shape = [N] + var.shape[1:]) and the N rows of var they update (`indices`, int32 or
// int64): it applies <X>'s formula to those rows only, one index after another in order (as TF's
// kernels do: a repeated index is updated twice). Every index is checked before anything is
// written; one outside [0, var.shape[0]) is an InvalidArgumentError naming the op.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/gemm.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"
#include "ops/training_util.h"
#include "tensorlib/graph.h"

namespace tl {

// A sparse update's grad must be [N] + var.shape[1:] for N = indices.shape[0], indices 1-D.
Status check_sparse_grad(const std::string& op, const Tensor& var, const Tensor& grad,
                         const Tensor& indices) {
  if (var.shape().rank() < 1) {
    return invalid_argument(op + ": var must be at least 1 dimensional, got shape " +
                            var.shape().to_string());
  }
  if (indices.shape().rank() != 1) {
    return invalid_argument(op + ": indices must be one-dimensional, got shape " +
                            indices.shape().to_string());
  }
  bool ok = grad.shape().rank() == var.shape().rank() &&
            grad.shape().dim(0) == indices.shape().dim(0);
  for (int d = 1; ok && d < var.shape().rank(); ++d) {
    ok = grad.shape().dim(d) == var.shape().dim(d);
  }
  if (!ok) {
    return invalid_argument(op + ": grad must be indices.shape[:1] + var.shape[1:], got grad " +
                            grad.shape().to_string() + ", indices " +
                            indices.shape().to_string() + ", var " + var.shape().to_string());
  }
  return Status::OK();
}

namespace {

// Elements per task: an update moves 3 to 9 values per element, some with a sqrt and a divide.
constexpr int64_t kUpdateGrain = 16384;

// ---- shape functions ----

// "Shapes must be equal rank, but are 2 and 1" / "Dimension 0 in both shapes must be equal,
// but are 3 and 4. Shapes are [3] and [4]." (TF's merge errors), or OK with the merged shape.
Status merge_shapes(const InferenceContext& ctx, const Shape& a, const Shape& b, Shape* out) {
  if (a.rank_known() && b.rank_known()) {
    if (a.rank() != b.rank()) {
      return shape_error(ctx, "Shapes must be equal rank, but are " + std::to_string(a.rank()) +
                                  " and " + std::to_string(b.rank()));
    }
    for (int d = 0; d < a.rank(); ++d) {
      if (a.dim(d) >= 0 && b.dim(d) >= 0 && a.dim(d) != b.dim(d)) {
        return shape_error(ctx, "Dimension " + std::to_string(d) +
                                    " in both shapes must be equal, but are " +
                                    std::to_string(a.dim(d)) + " and " +
                                    std::to_string(b.dim(d)) + ". Shapes are " + a.to_string() +
                                    " and " + b.to_string());
      }
    }
  }
  return a.merge(b, out);
}

// An update whose first kRefs inputs are variables and whose input kGrad is the gradient, all
// of one shape; every other input is a scalar. All inputs share one float dtype. The output is
// var, with the shape all of them agree on. kStep >= 0 marks an int64 scalar input (a step
// count) exempt from the common dtype.
Status check_step(const InferenceContext& ctx, int i) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, i, TypeList<int64_t>{}));
  return check_rank(ctx, i, 0, 0);
}

template <int kRefs, int kGrad, int kStep = -1>
Status update_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  Shape shape = ctx.input_shape(0);
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (i == kStep) {
      TL_RETURN_IF_ERROR(check_step(ctx, i));
      continue;
    }
    TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
    if (i < kRefs || i == kGrad) {
      TL_RETURN_IF_ERROR(merge_shapes(ctx, shape, ctx.input_shape(i), &shape));
    } else {
      TL_RETURN_IF_ERROR(check_rank(ctx, i, 0, 0));
    }
  }
  ctx.set_output(0, ctx.input_dtype(0), shape);
  return Status::OK();
}

template <typename T>
T scalar(KernelContext& ctx, int i) {
  return ctx.input(i).data<T>()[0];
}

// Runs `update` (a functor over an element range) over [0, n) on the session's threads, with
// its loop compiled for AVX2 when the CPU has it.
template <typename Update>
void run_update(KernelContext& ctx, int64_t n, const Update& update) {
  ctx.parallel_for(n, kUpdateGrain, [&](int64_t begin, int64_t end) {
    if (cpu_has_avx2()) {
      run_avx2(update, begin, end);
    } else {
      update(begin, end);
    }
  });
}

// Dispatches on var's dtype, prepares the variables and runs the update made by
// make(TypeTag<T>, refs); outputs var.
template <int kRefs, int kGrad, int kStep = -1, typename Make>
Status apply(KernelContext& ctx, const char* op, Make make) {
  Tensor refs[kRefs];
  TL_RETURN_IF_ERROR((prepare_update<kRefs, kGrad, -1, kStep>(ctx, refs)));
  TL_RETURN_IF_ERROR(dispatch(FloatTypes{}, refs[0].dtype(), op, [&](auto tag) {
    run_update(ctx, refs[0].num_elements(), make(tag, refs));
  }));
  ctx.output(0) = refs[0];
  return Status::OK();
}

// ---- the updates (TF1's formulas, in the order TF's kernels compute them) ----
//
// Each is a loop over n elements with __restrict pointers (prepare_update guarantees that no
// two arrays share memory) and a functor holding the pointers and scalars that runs the loop
// over a range of elements.

// var -= alpha * delta
template <typename T>
TL_ALWAYS_INLINE void gradient_descent_loop(T* __restrict var, const T* __restrict delta,
                                            int64_t n, T alpha) {
  for (int64_t i = 0; i < n; ++i) var[i] -= alpha * delta[i];
}
template <typename T>
struct GradientDescent {
  T* var;
  const T* delta;
  T alpha;
  TL_ALWAYS_INLINE void operator()(int64_t b, int64_t e) const {
    gradient_descent_loop(var + b, delta + b, e - b, alpha);
  }
};

// accum = accum * momentum + grad
// var -= lr * accum, or with Nesterov: var -= grad * lr + accum * momentum * lr
template <bool kNesterov, typename T>
TL_ALWAYS_INLINE void momentum_loop(T* __restrict var, T* __restrict accum,
                                    const T* __restrict grad, int64_t n, T lr, T momentum) {
  for (int64_t i = 0; i < n; ++i) {
    const T a = accum[i] * momentum + grad[i];
    accum[i] = a;
    if constexpr (kNesterov) {
      var[i] -= grad[i] * lr + a * momentum * lr;
    } else {
      var[i] -= lr * a;
    }
  }
}
template <typename T, bool kNesterov>
struct Momentum {
  T *var, *accum;
  const T* grad;
  T lr, momentum;
  TL_ALWAYS_INLINE void operator()(int64_t b, int64_t e) const {
    momentum_loop<kNesterov>(var + b, accum + b, grad + b, e - b, lr, momentum);
  }
};

// alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
// m += (grad - m) * (1 - beta1);  v += (grad^2 - v) * (1 - beta2)
// var -= m * alpha / (sqrt(v) + epsilon), or with Nesterov
// var -= (grad * (1 - beta1) + beta1 * m) * alpha / (sqrt(v) + epsilon)
template <bool kNesterov, typename T>
TL_ALWAYS_INLINE void adam_loop(T* __restrict var, T* __restrict m, T* __restrict v,
                                const T* __restrict grad, int64_t n, T alpha, T beta1,
                                T one_minus_beta1, T one_minus_beta2, T epsilon) {
  for (int64_t i = 0; i < n; ++i) {
    const T g = grad[i];
    const T mi = m[i] + (g - m[i]) * one_minus_beta1;
    const T vi = v[i] + (g * g - v[i]) * one_minus_beta2;
    m[i] = mi;
    v[i] = vi;
    const T step = kNesterov ? g * one_minus_beta1 + beta1 * mi : mi;
    var[i] -= step * alpha / (std::sqrt(vi) + epsilon);
  }
}
template <typename T, bool kNesterov>
struct Adam {
  T *var, *m, *v;
  const T* grad;
  T alpha, beta1, one_minus_beta1, one_minus_beta2, epsilon;
  TL_ALWAYS_INLINE void operator()(int64_t b, int64_t e) const {
    adam_loop<kNesterov>(var + b, m + b, v + b, grad + b, e - b, alpha, beta1, one_minus_beta1,
                         one_minus_beta2, epsilon);
  }
};

// ms += (grad^2 - ms) * (1 - rho)
// mom = mom * momentum + grad * lr / sqrt(ms + epsilon)
// var -= mom
template <typename T>
TL_ALWAYS_INLINE void rms_prop_loop(T* __restrict var, T* __restrict ms, T* __restrict mom,
                                    const T* __restrict grad, int64_t n, T lr, T one_minus_rho,
                                    T momentum, T epsilon) {
  for (int64_t i = 0; i < n; ++i) {
    const T g = grad[i];
    const T msi = ms[i] + (g * g - ms[i]) * one_minus_rho;
    const T momi = mom[i] * momentum + g * lr / std::sqrt(msi + epsilon);
    ms[i] = msi;
    mom[i] = momi;
    var[i] -= momi;
  }
}
template <typename T>
struct RMSProp {
  T *var, *ms, *mom;
  const T* grad;
  T lr, one_minus_rho, momentum, epsilon;
  TL_ALWAYS_INLINE void operator()(int64_t b, int64_t e) const {
    rms_prop_loop(var + b, ms + b, mom + b, grad + b, e - b, lr, one_minus_rho, momentum,
                  epsilon);
  }
};

// mg += (grad - mg) * (1 - rho);  ms += (grad^2 - ms) * (1 - rho)
// mom = mom * momentum + grad * lr / sqrt(ms - mg^2 + epsilon)
// var -= mom
template <typename T>
TL_ALWAYS_INLINE void centered_rms_prop_loop(T* __restrict var, T* __restrict mg,
                                             T* __restrict ms, T* __restrict mom,
                                             const T* __restrict grad, int64_t n, T lr,
                                             T one_minus_rho, T momentum, T epsilon) {
  for (int64_t i = 0; i < n; ++i) {
    const T g = grad[i];
    const T mgi = mg[i] + (g - mg[i]) * one_minus_rho;
    const T msi = ms[i] + (g * g - ms[i]) * one_minus_rho;
    const T momi = mom[i] * momentum + g * lr / std::sqrt(msi - mgi * mgi + epsilon);
    mg[i] = mgi;
    ms[i] = msi;
    mom[i] = momi;
    var[i] -= momi;
  }
}
template <typename T>
struct CenteredRMSProp {
  T *var, *mg, *ms, *mom;
  const T* grad;
  T lr, one_minus_rho, momentum, epsilon;
  TL_ALWAYS_INLINE void operator()(int64_t b, int64_t e) const {
    centered_rms_prop_loop(var + b, mg + b, ms + b, mom + b, grad + b, e - b, lr, one_minus_rho,
                           momentum, epsilon);
  }
};

// accum += grad^2 (when update_slots);  var -= grad * lr / sqrt(accum)
template <bool kUpdateSlots, typename T>
TL_ALWAYS_INLINE void adagrad_loop(T* __restrict var, T* __restrict accum,
                                   const T* __restrict grad, int64_t n, T lr) {
  for (int64_t i = 0; i < n; ++i) {
    const T g = grad[i];
    T a = accum[i];
    if constexpr (kUpdateSlots) {
      a += g * g;
      accum[i] = a;
    }
    var[i] -= g * lr / std::sqrt(a);
  }
}
template <typename T, bool kUpdateSlots>
struct Adagrad {
  T *var, *accum;
  const T* grad;
  T lr;
  TL_ALWAYS_INLINE void operator()(int64_t b, int64_t e) const {
    adagrad_loop<kUpdateSlots>(var + b, accum + b, grad + b, e - b, lr);
  }
};

// accum = accum * rho + grad^2 * (1 - rho)
// update = sqrt(accum_update + epsilon) / sqrt(accum + epsilon) * grad
// accum_update = accum_update * rho + update^2 * (1 - rho);  var -= update * lr
template <typename T>
TL_ALWAYS_INLINE void adadelta_loop(T* __restrict var, T* __restrict accum,
                                    T* __restrict accum_update, const T* __restrict grad,
                                    int64_t n, T lr, T rho, T epsilon) {
  for (int64_t i = 0; i < n; ++i) {
    const T g = grad[i];
    const T a = accum[i] * rho + g * g * (T(1) - rho);
    const T update = std::sqrt(accum_update[i] + epsilon) / std::sqrt(a + epsilon) * g;
    accum[i] = a;
    accum_update[i] = accum_update[i] * rho + update * update * (T(1) - rho);
    var[i] -= update * lr;
  }
}

// accum^(-lr_power), with the common lr_power = -0.5 as a square root.
template <typename T>
TL_ALWAYS_INLINE T ftrl_power(T accum, T lr_power) {
  return lr_power == T(-0.5) ? std::sqrt(accum) : std::pow(accum, -lr_power);
}

// FTRL-Proximal (McMahan et al. 2013), with TF's L2 shrinkage (0 for ApplyFtrl):
// new_accum = accum + grad^2
// linear += grad + 2 * l2_shrinkage * var - (new_accum^-p - accum^-p) / lr * var
// var = |linear| > l1 ? (l1 * sign(linear) - linear) / (new_accum^-p / lr + 2 * l2) : 0
template <typename T>
TL_ALWAYS_INLINE void ftrl_loop(T* __restrict var, T* __restrict accum, T* __restrict linear,
                                const T* __restrict grad, int64_t n, T lr, T l1, T l2,
                                T l2_shrinkage, T lr_power) {
  for (int64_t i = 0; i < n; ++i) {
    const T g = grad[i];
    const T new_accum = accum[i] + g * g;
    const T new_power = ftrl_power(new_accum, lr_power);
    const T lin = linear[i] + (g + T(2) * l2_shrinkage * var[i]) -
                  (new_power - ftrl_power(accum[i], lr_power)) / lr * var[i];
    linear[i] = lin;
    const T sign = lin > T(0) ? T(1) : (lin < T(0) ? T(-1) : T(0));
    var[i] = std::abs(lin) > l1 ? (l1 * sign - lin) / (new_power / lr + T(2) * l2) : T(0);
    accum[i] = new_accum;
  }
}

// The proximal step of prox (= var - step * grad) for L1 strength step * l1 and L2 step * l2:
// sign(prox) * max(|prox| - step * l1, 0) / (1 + step * l2) (no shrinkage when l1 is 0).
template <typename T>
TL_ALWAYS_INLINE T proximal(T prox, T step, T l1, T l2) {
  if (l1 > T(0)) {
    const T sign = prox > T(0) ? T(1) : (prox < T(0) ? T(-1) : T(0));
    return sign * std::max(std::abs(prox) - step * l1, T(0)) / (T(1) + step * l2);
  }
  return prox / (T(1) + step * l2);
}

// var = proximal(var - alpha * delta, alpha)
template <typename T>
TL_ALWAYS_INLINE void proximal_gradient_descent_loop(T* __restrict var,
                                                     const T* __restrict delta, int64_t n,
                                                     T alpha, T l1, T l2) {
  for (int64_t i = 0; i < n; ++i) var[i] = proximal(var[i] - alpha * delta[i], alpha, l1, l2);
}

// accum += grad^2;  step = lr / sqrt(accum);  var = proximal(var - step * grad, step)
template <typename T>
TL_ALWAYS_INLINE void proximal_adagrad_loop(T* __restrict var, T* __restrict accum,
                                            const T* __restrict grad, int64_t n, T lr, T l1,
                                            T l2) {
  for (int64_t i = 0; i < n; ++i) {
    const T a = accum[i] + grad[i] * grad[i];
    accum[i] = a;
    const T step = lr / std::sqrt(a);
    var[i] = proximal(var[i] - step * grad[i], step, l1, l2);
  }
}

// AdagradDA (Duchi et al. 2011's dual averaging) at global step t:
// gradient_accum += grad;  squared_accum += grad^2
// var = -lr * sign(g) * max(|g| - l1 * t, 0) / (sqrt(squared_accum) + l2 * t * lr) for
// g = gradient_accum (without the max and sign when l1 is 0)
template <typename T>
TL_ALWAYS_INLINE void adagrad_da_loop(T* __restrict var, T* __restrict gradient_accum,
                                      T* __restrict squared_accum, const T* __restrict grad,
                                      int64_t n, T lr, T l1, T l2, T step) {
  for (int64_t i = 0; i < n; ++i) {
    const T g = gradient_accum[i] + grad[i];
    const T gg = squared_accum[i] + grad[i] * grad[i];
    gradient_accum[i] = g;
    squared_accum[i] = gg;
    const T denom = std::sqrt(gg) + l2 * step * lr;
    if (l1 > T(0)) {
      const T sign = g > T(0) ? T(1) : (g < T(0) ? T(-1) : T(0));
      var[i] = -lr * sign * std::max(std::abs(g) - l1 * step, T(0)) / denom;
    } else {
      var[i] = -g * lr / denom;
    }
  }
}

// ---- running an update given as a row update ----
//
// The updates below are written once as `row(v, g, n)`: update n elements of the variables
// from offset v with the gradient's n elements from offset g. The dense form runs it over
// element ranges (v = g), the sparse form once per index (v = index's row, g = i's row).

// Dense: dispatches on var's dtype and runs make(TypeTag<T>, refs)'s row update over var.
template <int kRefs, int kGrad, int kStep = -1, typename Make>
Status apply_rows(KernelContext& ctx, const char* op, Make make) {
  return apply<kRefs, kGrad, kStep>(ctx, op, [&](auto tag, Tensor(&refs)[kRefs]) {
    auto row = make(tag, refs);
    return [row](int64_t b, int64_t e) { row(b, b, e - b); };
  });
}

// The indices, each checked against [0, rows), as int64.
template <typename Index>
Status checked_indices(const Tensor& indices, int64_t rows, const std::string& op,
                       std::vector<int64_t>* out) {
  const Index* idx = indices.data<Index>();
  out->resize(indices.num_elements());
  for (int64_t i = 0; i < indices.num_elements(); ++i) {
    if (idx[i] < 0 || idx[i] >= rows) {
      return invalid_argument(op + ": Index " + std::to_string(idx[i]) + " at offset " +
                              std::to_string(i) + " in indices is out of range [0, " +
                              std::to_string(rows) + ")");
    }
    (*out)[i] = idx[i];
  }
  return Status::OK();
}

// Sparse: checks the inputs and every index, then runs the row update once per index.
template <int kRefs, int kGrad, int kIndices, int kStep = -1, typename Make>
Status apply_sparse(KernelContext& ctx, const char* op, Make make) {
  Tensor refs[kRefs];
  TL_RETURN_IF_ERROR((prepare_update<kRefs, kGrad, kIndices, kStep>(ctx, refs)));
  const Tensor& indices = ctx.input(kIndices);
  const int64_t rows = refs[0].shape().dim(0);
  std::vector<int64_t> at;
  TL_RETURN_IF_ERROR(dispatch(IntTypes{}, indices.dtype(), op, [&](auto tag) {
    return checked_indices<typename decltype(tag)::type>(indices, rows, op, &at);
  }));
  const int64_t row_size = rows ? refs[0].num_elements() / rows : 0;
  TL_RETURN_IF_ERROR(dispatch(FloatTypes{}, refs[0].dtype(), op, [&](auto tag) {
    auto row = make(tag, refs);
    for (size_t i = 0; i < at.size(); ++i) row(at[i] * row_size, i * row_size, row_size);
  }));
  ctx.output(0) = refs[0];
  return Status::OK();
}

// ---- kernels ----

Status apply_gradient_descent_kernel(KernelContext& ctx) {
  return apply<1, 2>(ctx, "ApplyGradientDescent", [&](auto tag, Tensor(&refs)[1]) {
    using T = typename decltype(tag)::type;
    return GradientDescent<T>{refs[0].data<T>(), ctx.input(2).data<T>(), scalar<T>(ctx, 1)};
  });
}

// ApplyGradientDescent whose delta is the product op(A) op(B) of a MatMul it absorbed (inputs
// var, alpha, A, B; KernelDef::absorbs_product): var += op(A) (-alpha op(B)), or with -alpha
// on A when A is the smaller, accumulated into var by the GEMM. The product (a weight gradient,
// as big as var) is never stored nor read back: a dense layer's update moves a third of the
// bytes. Scaling an operand before the product rounds differently from var - alpha * delta:
// the results may differ in their last bits.
Status gradient_descent_product_kernel(KernelContext& ctx) {
  Tensor refs[1];
  TL_RETURN_IF_ERROR(read_variables(ctx, refs));
  const Tensor& var = refs[0];
  const Tensor &alpha = ctx.input(1), &a = ctx.input(2), &b = ctx.input(3);
  const auto* operands = static_cast<const ProductOperands*>(ctx.kernel_state());
  const bool ta = operands->transpose_a, tb = operands->transpose_b;
  for (const Tensor* t : {&alpha, &a, &b}) {
    if (t->dtype() != var.dtype()) {
      return invalid_argument(
          std::string("ApplyGradientDescent: the gradient's product has dtype ") +
          dtype_name(t->dtype()) + " but var has " + dtype_name(var.dtype()));
    }
  }
  if (alpha.shape().rank() != 0) {
    return invalid_argument("alpha is not a scalar: " + alpha.shape().to_string());
  }
  if (a.shape().rank() != 2 || b.shape().rank() != 2) {
    return invalid_argument("In[0] and In[1] of the gradient's MatMul must be matrices, got " +
                            a.shape().to_string() + " and " + b.shape().to_string());
  }
  const int64_t m = a.shape().dim(ta ? 1 : 0), k = a.shape().dim(ta ? 0 : 1);
  const int64_t n = b.shape().dim(tb ? 0 : 1);
  if (b.shape().dim(tb ? 1 : 0) != k) {
    return invalid_argument("Matrix size-incompatible: In[0]: " + a.shape().to_string() +
                            ", In[1]: " + b.shape().to_string());
  }
  if (var.shape() != Shape({m, n})) {
    return invalid_argument("var and delta do not have the same shape" +
                            var.shape().to_string() + " " + Shape({m, n}).to_string());
  }
  TL_RETURN_IF_ERROR(own_variables(ctx, refs));
  TL_RETURN_IF_ERROR(dispatch(TypeList<float, double>{}, var.dtype(), "ApplyGradientDescent",
                              [&](auto tag) {
    using T = typename decltype(tag)::type;
    // -alpha joins the smaller operand, in a copy laid out as the operand is.
    const bool scale_a = m * k <= k * n;
    const Tensor& small = scale_a ? a : b;
    std::vector<T> scaled(static_cast<size_t>(small.num_elements()));
    const T factor = -alpha.data<T>()[0], *from = small.data<T>();
    for (size_t i = 0; i < scaled.size(); ++i) scaled[i] = factor * from[i];
    const T* pa = scale_a ? scaled.data() : a.data<T>();
    const T* pb = scale_a ? b.data<T>() : scaled.data();
    gemm<T>(ctx, ta, tb, m, n, k, pa, a.shape().dim(1), pb, b.shape().dim(1),
            refs[0].data<T>(), n, /*accumulate=*/true);
  }));
  ctx.output(0) = refs[0];
  return Status::OK();
}

template <bool kNesterov>
Status run_momentum(KernelContext& ctx) {
  return apply<2, 3>(ctx, "ApplyMomentum", [&](auto tag, Tensor(&refs)[2]) {
    using T = typename decltype(tag)::type;
    return Momentum<T, kNesterov>{refs[0].data<T>(), refs[1].data<T>(), ctx.input(3).data<T>(),
                                  scalar<T>(ctx, 2), scalar<T>(ctx, 4)};
  });
}

Status apply_momentum_kernel(KernelContext& ctx) {
  return ctx.attrs().get<bool>("use_nesterov") ? run_momentum<true>(ctx)
                                                : run_momentum<false>(ctx);
}

template <bool kNesterov>
Status run_adam(KernelContext& ctx) {
  return apply<3, 9>(ctx, "ApplyAdam", [&](auto tag, Tensor(&refs)[3]) {
    using T = typename decltype(tag)::type;
    const T beta1_power = scalar<T>(ctx, 3), beta2_power = scalar<T>(ctx, 4);
    const T lr = scalar<T>(ctx, 5), beta1 = scalar<T>(ctx, 6), beta2 = scalar<T>(ctx, 7);
    const T alpha = lr * std::sqrt(T(1) - beta2_power) / (T(1) - beta1_power);
    return Adam<T, kNesterov>{refs[0].data<T>(), refs[1].data<T>(), refs[2].data<T>(),
                              ctx.input(9).data<T>(), alpha, beta1, T(1) - beta1, T(1) - beta2,
                              scalar<T>(ctx, 8)};
  });
}

Status apply_adam_kernel(KernelContext& ctx) {
  return ctx.attrs().get<bool>("use_nesterov") ? run_adam<true>(ctx) : run_adam<false>(ctx);
}

Status apply_rms_prop_kernel(KernelContext& ctx) {
  return apply<3, 7>(ctx, "ApplyRMSProp", [&](auto tag, Tensor(&refs)[3]) {
    using T = typename decltype(tag)::type;
    return RMSProp<T>{refs[0].data<T>(), refs[1].data<T>(), refs[2].data<T>(),
                      ctx.input(7).data<T>(), scalar<T>(ctx, 3), T(1) - scalar<T>(ctx, 4),
                      scalar<T>(ctx, 5), scalar<T>(ctx, 6)};
  });
}

Status apply_centered_rms_prop_kernel(KernelContext& ctx) {
  return apply<4, 8>(ctx, "ApplyCenteredRMSProp", [&](auto tag, Tensor(&refs)[4]) {
    using T = typename decltype(tag)::type;
    return CenteredRMSProp<T>{refs[0].data<T>(), refs[1].data<T>(), refs[2].data<T>(),
                              refs[3].data<T>(), ctx.input(8).data<T>(), scalar<T>(ctx, 4),
                              T(1) - scalar<T>(ctx, 5), scalar<T>(ctx, 6), scalar<T>(ctx, 7)};
  });
}

template <bool kUpdateSlots>
Status run_adagrad(KernelContext& ctx) {
  return apply<2, 3>(ctx, "ApplyAdagrad", [&](auto tag, Tensor(&refs)[2]) {
    using T = typename decltype(tag)::type;
    return Adagrad<T, kUpdateSlots>{refs[0].data<T>(), refs[1].data<T>(), ctx.input(3).data<T>(),
                                    scalar<T>(ctx, 2)};
  });
}

Status apply_adagrad_kernel(KernelContext& ctx) {
  return ctx.attrs().get<bool>("update_slots") ? run_adagrad<true>(ctx) : run_adagrad<false>(ctx);
}

// ---- row updates: make(tag, refs) for apply_rows and apply_sparse ----

// SparseApplyMomentum: var, accum, lr, grad, indices, momentum.
template <bool kNesterov>
auto sparse_momentum_rows(KernelContext& ctx) {
  return [&ctx](auto tag, auto& refs) {
    using T = typename decltype(tag)::type;
    T *var = refs[0].template data<T>(), *accum = refs[1].template data<T>();
    const T* g = ctx.input(3).template data<T>();
    const T lr = scalar<T>(ctx, 2), momentum = scalar<T>(ctx, 5);
    return [=](int64_t v, int64_t gi, int64_t n) {
      momentum_loop<kNesterov>(var + v, accum + v, g + gi, n, lr, momentum);
    };
  };
}

template <bool kNesterov>
Status run_sparse_momentum(KernelContext& ctx) {
  return apply_sparse<2, 3, 4>(ctx, "SparseApplyMomentum", sparse_momentum_rows<kNesterov>(ctx));
}

Status sparse_apply_momentum_kernel(KernelContext& ctx) {
  return ctx.attrs().get<bool>("use_nesterov") ? run_sparse_momentum<true>(ctx)
                                                : run_sparse_momentum<false>(ctx);
}

template <bool kUpdateSlots>
Status run_sparse_adagrad(KernelContext& ctx) {
  return apply_sparse<2, 3, 4>(ctx, "SparseApplyAdagrad", [&](auto tag, auto& refs) {
    using T = typename decltype(tag)::type;
    T *var = refs[0].template data<T>(), *accum = refs[1].template data<T>();
    const T* g = ctx.input(3).data<T>();
    const T lr = scalar<T>(ctx, 2);
    return [=](int64_t v, int64_t gi, int64_t n) {
      adagrad_loop<kUpdateSlots>(var + v, accum + v, g + gi, n, lr);
    };
  });
}

Status sparse_apply_adagrad_kernel(KernelContext& ctx) {
  return ctx.attrs().get<bool>("update_slots") ? run_sparse_adagrad<true>(ctx)
                                                : run_sparse_adagrad<false>(ctx);
}

Status sparse_apply_rms_prop_kernel(KernelContext& ctx) {
  return apply_sparse<3, 7, 8>(ctx, "SparseApplyRMSProp", [&](auto tag, auto& refs) {
    using T = typename decltype(tag)::type;
    T *var = refs[0].template data<T>(), *ms = refs[1].template data<T>(),
      *mom = refs[2].template data<T>();
    const T* g = ctx.input(7).data<T>();
    const T lr = scalar<T>(ctx, 3), one_minus_rho = T(1) - scalar<T>(ctx, 4);
    const T momentum = scalar<T>(ctx, 5), epsilon = scalar<T>(ctx, 6);
    return [=](int64_t v, int64_t gi, int64_t n) {
      rms_prop_loop(var + v, ms + v, mom + v, g + gi, n, lr, one_minus_rho, momentum, epsilon);
    };
  });
}

Status sparse_apply_centered_rms_prop_kernel(KernelContext& ctx) {
  return apply_sparse<4, 8, 9>(ctx, "SparseApplyCenteredRMSProp", [&](auto tag, auto& refs) {
    using T = typename decltype(tag)::type;
    T *var = refs[0].template data<T>(), *mg = refs[1].template data<T>(),
      *ms = refs[2].template data<T>(), *mom = refs[3].template data<T>();
    const T* g = ctx.input(8).data<T>();
    const T lr = scalar<T>(ctx, 4), one_minus_rho = T(1) - scalar<T>(ctx, 5);
    const T momentum = scalar<T>(ctx, 6), epsilon = scalar<T>(ctx, 7);
    return [=](int64_t v, int64_t gi, int64_t n) {
      centered_rms_prop_loop(var + v, mg + v, ms + v, mom + v, g + gi, n, lr, one_minus_rho,
                             momentum, epsilon);
    };
  });
}

// Adadelta: var, accum, accum_update, lr, rho, epsilon, grad[, indices].
auto adadelta_rows(KernelContext& ctx) {
  return [&ctx](auto tag, auto& refs) {
    using T = typename decltype(tag)::type;
    T *var = refs[0].template data<T>(), *accum = refs[1].template data<T>(),
      *accum_update = refs[2].template data<T>();
    const T* g = ctx.input(6).template data<T>();
    const T lr = scalar<T>(ctx, 3), rho = scalar<T>(ctx, 4), epsilon = scalar<T>(ctx, 5);
    return [=](int64_t v, int64_t gi, int64_t n) {
      adadelta_loop(var + v, accum + v, accum_update + v, g + gi, n, lr, rho, epsilon);
    };
  };
}

Status apply_adadelta_kernel(KernelContext& ctx) {
  return apply_rows<3, 6>(ctx, "ApplyAdadelta", adadelta_rows(ctx));
}

Status sparse_apply_adadelta_kernel(KernelContext& ctx) {
  return apply_sparse<3, 6, 7>(ctx, "SparseApplyAdadelta", adadelta_rows(ctx));
}

// Ftrl: var, accum, linear, grad, [indices,] lr, l1, l2, [l2_shrinkage (V2),] lr_power;
// `first` is lr's input.
template <bool kV2>
auto ftrl_rows(KernelContext& ctx, int first) {
  return [&ctx, first](auto tag, auto& refs) {
    using T = typename decltype(tag)::type;
    T *var = refs[0].template data<T>(), *accum = refs[1].template data<T>(),
      *linear = refs[2].template data<T>();
    const T* g = ctx.input(3).template data<T>();
    const T lr = scalar<T>(ctx, first), l1 = scalar<T>(ctx, first + 1);
    const T l2 = scalar<T>(ctx, first + 2);
    const T shrinkage = kV2 ? scalar<T>(ctx, first + 3) : T(0);
    const T lr_power = scalar<T>(ctx, first + (kV2 ? 4 : 3));
    return [=](int64_t v, int64_t gi, int64_t n) {
      ftrl_loop(var + v, accum + v, linear + v, g + gi, n, lr, l1, l2, shrinkage, lr_power);
    };
  };
}

Status apply_ftrl_kernel(KernelContext& ctx) {
  return apply_rows<3, 3>(ctx, "ApplyFtrl", ftrl_rows<false>(ctx, 4));
}

Status apply_ftrl_v2_kernel(KernelContext& ctx) {
  return apply_rows<3, 3>(ctx, "ApplyFtrlV2", ftrl_rows<true>(ctx, 4));
}

Status sparse_apply_ftrl_kernel(KernelContext& ctx) {
  return apply_sparse<3, 3, 4>(ctx, "SparseApplyFtrl", ftrl_rows<false>(ctx, 5));
}

Status sparse_apply_ftrl_v2_kernel(KernelContext& ctx) {
  return apply_sparse<3, 3, 4>(ctx, "SparseApplyFtrlV2", ftrl_rows<true>(ctx, 5));
}

// ProximalGradientDescent: var, alpha, l1, l2, delta[, indices].
auto proximal_gradient_descent_rows(KernelContext& ctx) {
  return [&ctx](auto tag, auto& refs) {
    using T = typename decltype(tag)::type;
    T* var = refs[0].template data<T>();
    const T* g = ctx.input(4).template data<T>();
    const T alpha = scalar<T>(ctx, 1), l1 = scalar<T>(ctx, 2), l2 = scalar<T>(ctx, 3);
    return [=](int64_t v, int64_t gi, int64_t n) {
      proximal_gradient_descent_loop(var + v, g + gi, n, alpha, l1, l2);
    };
  };
}

Status apply_proximal_gradient_descent_kernel(KernelContext& ctx) {
  return apply_rows<1, 4>(ctx, "ApplyProximalGradientDescent",
                          proximal_gradient_descent_rows(ctx));
}

Status sparse_apply_proximal_gradient_descent_kernel(KernelContext& ctx) {
  return apply_sparse<1, 4, 5>(ctx, "SparseApplyProximalGradientDescent",
                               proximal_gradient_descent_rows(ctx));
}

// ProximalAdagrad: var, accum, lr, l1, l2, grad[, indices].
auto proximal_adagrad_rows(KernelContext& ctx) {
  return [&ctx](auto tag, auto& refs) {
    using T = typename decltype(tag)::type;
    T *var = refs[0].template data<T>(), *accum = refs[1].template data<T>();
    const T* g = ctx.input(5).template data<T>();
    const T lr = scalar<T>(ctx, 2), l1 = scalar<T>(ctx, 3), l2 = scalar<T>(ctx, 4);
    return [=](int64_t v, int64_t gi, int64_t n) {
      proximal_adagrad_loop(var + v, accum + v, g + gi, n, lr, l1, l2);
    };
  };
}

Status apply_proximal_adagrad_kernel(KernelContext& ctx) {
  return apply_rows<2, 5>(ctx, "ApplyProximalAdagrad", proximal_adagrad_rows(ctx));
}

Status sparse_apply_proximal_adagrad_kernel(KernelContext& ctx) {
  return apply_sparse<2, 5, 6>(ctx, "SparseApplyProximalAdagrad", proximal_adagrad_rows(ctx));
}

// AdagradDA: var, gradient_accumulator, gradient_squared_accumulator, grad, [indices,] lr, l1,
// l2, global_step; `first` is lr's input.
auto adagrad_da_rows(KernelContext& ctx, int first) {
  return [&ctx, first](auto tag, auto& refs) {
    using T = typename decltype(tag)::type;
    T *var = refs[0].template data<T>(), *ga = refs[1].template data<T>(),
      *gg = refs[2].template data<T>();
    const T* g = ctx.input(3).template data<T>();
    const T lr = scalar<T>(ctx, first), l1 = scalar<T>(ctx, first + 1);
    const T l2 = scalar<T>(ctx, first + 2);
    const T step = static_cast<T>(ctx.input(first + 3).template data<int64_t>()[0]);
    return [=](int64_t v, int64_t gi, int64_t n) {
      adagrad_da_loop(var + v, ga + v, gg + v, g + gi, n, lr, l1, l2, step);
    };
  };
}

Status apply_adagrad_da_kernel(KernelContext& ctx) {
  return apply_rows<3, 3, 7>(ctx, "ApplyAdagradDA", adagrad_da_rows(ctx, 4));
}

Status sparse_apply_adagrad_da_kernel(KernelContext& ctx) {
  return apply_sparse<3, 3, 4, 8>(ctx, "SparseApplyAdagradDA", adagrad_da_rows(ctx, 5));
}

// A sparse update: as update_shape for the inputs but kGrad (rows of var, rank checked) and
// kIndices (a vector of int32 or int64).
template <int kRefs, int kGrad, int kIndices, int kStep = -1>
Status sparse_update_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, kIndices, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, kIndices, 1, 1));
  Shape shape = ctx.input_shape(0);
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (i == kIndices) continue;
    if (i == kStep) {
      TL_RETURN_IF_ERROR(check_step(ctx, i));
      continue;
    }
    TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
    if (i < kRefs) {
      TL_RETURN_IF_ERROR(merge_shapes(ctx, shape, ctx.input_shape(i), &shape));
    } else if (i != kGrad) {
      TL_RETURN_IF_ERROR(check_rank(ctx, i, 0, 0));
    }
  }
  ctx.set_output(0, ctx.input_dtype(0), shape);
  return Status::OK();
}

// Declares an update whose first `num_refs` inputs are variables it writes.
OpDef update_op(const char* name, std::initializer_list<const char*> inputs, int num_refs,
                ShapeFn shape) {
  OpDef def(name);
  for (const char* input : inputs) def.input(input);
  for (int i = 0; i < num_refs; ++i) def.ref_input(i);
  return def.attr("use_locking", AttrType::kBool, false)
      .shape(shape)
      .sets_own_outputs()
      .stateful();
}

}  // namespace

void register_training_ops(OpRegistry& r) {
  r.add_builtin(update_op("ApplyGradientDescent", {"var", "alpha", "delta"}, 1,
                          update_shape<1, 2>));
  r.add_builtin(update_op("ApplyMomentum", {"var", "accum", "lr", "grad", "momentum"}, 2,
                          update_shape<2, 3>)
                    .attr("use_nesterov", AttrType::kBool, false));
  r.add_builtin(update_op("ApplyAdam",
                          {"var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2",
                           "epsilon", "grad"},
                          3, update_shape<3, 9>)
                    .attr("use_nesterov", AttrType::kBool, false));
  r.add_builtin(update_op("ApplyRMSProp",
                          {"var", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"}, 3,
                          update_shape<3, 7>));
  r.add_builtin(update_op("ApplyCenteredRMSProp",
                          {"var", "mg", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"},
                          4, update_shape<4, 8>));
  r.add_builtin(update_op("ApplyAdagrad", {"var", "accum", "lr", "grad"}, 2, update_shape<2, 3>)
                    .attr("update_slots", AttrType::kBool, true));
  r.add_builtin(update_op("SparseApplyMomentum",
                          {"var", "accum", "lr", "grad", "indices", "momentum"}, 2,
                          sparse_update_shape<2, 3, 4>)
                    .attr("use_nesterov", AttrType::kBool, false));
  r.add_builtin(update_op("SparseApplyAdagrad", {"var", "accum", "lr", "grad", "indices"}, 2,
                          sparse_update_shape<2, 3, 4>)
                    .attr("update_slots", AttrType::kBool, true));
  r.add_builtin(update_op("SparseApplyRMSProp",
                          {"var", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad",
                           "indices"},
                          3, sparse_update_shape<3, 7, 8>));
  r.add_builtin(update_op("SparseApplyCenteredRMSProp",
                          {"var", "mg", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad",
                           "indices"},
                          4, sparse_update_shape<4, 8, 9>));
  r.add_builtin(update_op("ApplyAdadelta",
                          {"var", "accum", "accum_update", "lr", "rho", "epsilon", "grad"}, 3,
                          update_shape<3, 6>));
  r.add_builtin(update_op("SparseApplyAdadelta",
                          {"var", "accum", "accum_update", "lr", "rho", "epsilon", "grad",
                           "indices"},
                          3, sparse_update_shape<3, 6, 7>));
  r.add_builtin(update_op("ApplyFtrl",
                          {"var", "accum", "linear", "grad", "lr", "l1", "l2", "lr_power"}, 3,
                          update_shape<3, 3>));
  r.add_builtin(update_op("ApplyFtrlV2",
                          {"var", "accum", "linear", "grad", "lr", "l1", "l2", "l2_shrinkage",
                           "lr_power"},
                          3, update_shape<3, 3>));
  r.add_builtin(update_op("SparseApplyFtrl",
                          {"var", "accum", "linear", "grad", "indices", "lr", "l1", "l2",
                           "lr_power"},
                          3, sparse_update_shape<3, 3, 4>));
  r.add_builtin(update_op("SparseApplyFtrlV2",
                          {"var", "accum", "linear", "grad", "indices", "lr", "l1", "l2",
                           "l2_shrinkage", "lr_power"},
                          3, sparse_update_shape<3, 3, 4>));
  r.add_builtin(update_op("ApplyProximalGradientDescent", {"var", "alpha", "l1", "l2", "delta"},
                          1, update_shape<1, 4>));
  r.add_builtin(update_op("SparseApplyProximalGradientDescent",
                          {"var", "alpha", "l1", "l2", "grad", "indices"}, 1,
                          sparse_update_shape<1, 4, 5>));
  r.add_builtin(update_op("ApplyProximalAdagrad", {"var", "accum", "lr", "l1", "l2", "grad"}, 2,
                          update_shape<2, 5>));
  r.add_builtin(update_op("SparseApplyProximalAdagrad",
                          {"var", "accum", "lr", "l1", "l2", "grad", "indices"}, 2,
                          sparse_update_shape<2, 5, 6>));
  r.add_builtin(update_op("ApplyAdagradDA",
                          {"var", "gradient_accumulator", "gradient_squared_accumulator", "grad",
                           "lr", "l1", "l2", "global_step"},
                          3, update_shape<3, 3, 7>));
  r.add_builtin(update_op("SparseApplyAdagradDA",
                          {"var", "gradient_accumulator", "gradient_squared_accumulator", "grad",
                           "indices", "lr", "l1", "l2", "global_step"},
                          3, sparse_update_shape<3, 3, 4, 8>));
}

void register_training_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("ApplyGradientDescent", Device::kCPU)
                    .compute(apply_gradient_descent_kernel)
                    .absorbs_product(2, gradient_descent_product_kernel));
  r.add_builtin(KernelDef("ApplyMomentum", Device::kCPU).compute(apply_momentum_kernel));
  r.add_builtin(KernelDef("ApplyAdam", Device::kCPU).compute(apply_adam_kernel));
  r.add_builtin(KernelDef("ApplyRMSProp", Device::kCPU).compute(apply_rms_prop_kernel));
  r.add_builtin(KernelDef("ApplyCenteredRMSProp", Device::kCPU)
                    .compute(apply_centered_rms_prop_kernel));
  r.add_builtin(KernelDef("ApplyAdagrad", Device::kCPU).compute(apply_adagrad_kernel));
  r.add_builtin(KernelDef("SparseApplyMomentum", Device::kCPU)
                    .compute(sparse_apply_momentum_kernel));
  r.add_builtin(KernelDef("SparseApplyAdagrad", Device::kCPU)
                    .compute(sparse_apply_adagrad_kernel));
  r.add_builtin(KernelDef("SparseApplyRMSProp", Device::kCPU)
                    .compute(sparse_apply_rms_prop_kernel));
  r.add_builtin(KernelDef("SparseApplyCenteredRMSProp", Device::kCPU)
                    .compute(sparse_apply_centered_rms_prop_kernel));
  r.add_builtin(KernelDef("ApplyAdadelta", Device::kCPU).compute(apply_adadelta_kernel));
  r.add_builtin(KernelDef("SparseApplyAdadelta", Device::kCPU)
                    .compute(sparse_apply_adadelta_kernel));
  r.add_builtin(KernelDef("ApplyFtrl", Device::kCPU).compute(apply_ftrl_kernel));
  r.add_builtin(KernelDef("ApplyFtrlV2", Device::kCPU).compute(apply_ftrl_v2_kernel));
  r.add_builtin(KernelDef("SparseApplyFtrl", Device::kCPU).compute(sparse_apply_ftrl_kernel));
  r.add_builtin(KernelDef("SparseApplyFtrlV2", Device::kCPU)
                    .compute(sparse_apply_ftrl_v2_kernel));
  r.add_builtin(KernelDef("ApplyProximalGradientDescent", Device::kCPU)
                    .compute(apply_proximal_gradient_descent_kernel));
  r.add_builtin(KernelDef("SparseApplyProximalGradientDescent", Device::kCPU)
                    .compute(sparse_apply_proximal_gradient_descent_kernel));
  r.add_builtin(KernelDef("ApplyProximalAdagrad", Device::kCPU)
                    .compute(apply_proximal_adagrad_kernel));
  r.add_builtin(KernelDef("SparseApplyProximalAdagrad", Device::kCPU)
                    .compute(sparse_apply_proximal_adagrad_kernel));
  r.add_builtin(KernelDef("ApplyAdagradDA", Device::kCPU).compute(apply_adagrad_da_kernel));
  r.add_builtin(KernelDef("SparseApplyAdagradDA", Device::kCPU)
                    .compute(sparse_apply_adagrad_da_kernel));
}

}  // namespace tl
