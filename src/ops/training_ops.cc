// TF1's optimizer updates: ApplyGradientDescent, ApplyMomentum, ApplyAdam, ApplyRMSProp,
// ApplyCenteredRMSProp, ApplyAdagrad.
//
// The variables an update writes (var and its accumulators) are reference inputs, always the
// first ones: the kernel takes their values from the session state and updates them where they
// lie when nothing else holds their buffers, or else on a fresh copy that replaces the
// variable's value (so a value read earlier in the same run keeps what it read). The other
// inputs are the gradient, of var's shape, and scalars (learning rate, decay rates). Output 0
// is the updated var, as in TF. Each update is one pass over the elements, compiled for AVX2
// and for the baseline, split over the session's threads.
#include <cmath>
#include <string>

#include "ops/cpu_features.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"
#include "tensorlib/graph.h"

namespace tl {
namespace {

#define TL_ALWAYS_INLINE inline __attribute__((always_inline))

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
// var, with the shape all of them agree on.
template <int kRefs, int kGrad>
Status update_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  Shape shape = ctx.input_shape(0);
  for (int i = 1; i < ctx.num_inputs(); ++i) {
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

// ---- preparing the variables ----

// The values of the first kRefs inputs (variables) in `refs`, each the only holder of its
// buffer besides the session state so that it can be written in place, after checking them
// and the other inputs against var as TF's kernels do. Nothing is changed when a check fails.
template <int kRefs, int kGrad>
Status prepare_update(KernelContext& ctx, Tensor (&refs)[kRefs]) {
  const Node& node = ctx.graph_node();
  const std::vector<std::string>& names = node.op->inputs();
  SessionState& state = ctx.state();
  for (int k = 0; k < kRefs; ++k) {
    const int32_t id = ctx.variable_of(k);
    for (int j = 0; j < k; ++j) {
      if (ctx.variable_of(j) == id) {
        return invalid_argument(names[j] + " and " + names[k] + " of " + node.op->name() +
                                " must be different variables");
      }
    }
    refs[k] = state.variable(id);
    if (!refs[k].valid()) {
      // NOTE: attributed to the variable's node, so that the error names it and its line.
      return failed_precondition("Attempting to use uninitialized value (input '" + names[k] +
                                 "' of " + node.op->name() + ")")
          .with_node(id);
    }
  }
  const Tensor& var = refs[0];
  auto same_dtype = [&](const Tensor& t, const std::string& name) {
    if (t.dtype() == var.dtype()) return Status::OK();
    return invalid_argument(name + " has dtype " + dtype_name(t.dtype()) + " but var has " +
                            dtype_name(var.dtype()));
  };
  auto same_shape = [&](const Tensor& t, const std::string& name) {
    if (t.shape() == var.shape()) return Status::OK();
    return invalid_argument("var and " + name + " do not have the same shape" +
                            var.shape().to_string() + " " + t.shape().to_string());
  };
  for (int k = 1; k < kRefs; ++k) {
    TL_RETURN_IF_ERROR(same_dtype(refs[k], names[k]));
    TL_RETURN_IF_ERROR(same_shape(refs[k], names[k]));
  }
  for (int i = kRefs; i < ctx.num_inputs(); ++i) {
    const Tensor& t = ctx.input(i);
    TL_RETURN_IF_ERROR(same_dtype(t, names[i]));
    if (i == kGrad) {
      TL_RETURN_IF_ERROR(same_shape(t, names[i]));
    } else if (t.shape().rank() != 0) {
      return invalid_argument(names[i] + " is not a scalar: " + t.shape().to_string());
    }
  }
  for (int k = 0; k < kRefs; ++k) {
    Tensor& t = refs[k];
    if (t.buffer()->owned() && t.buffer().use_count() == 2) continue;  // the state and `t`
    Tensor own;
    TL_RETURN_IF_ERROR(t.copy(&own));
    state.set_variable(ctx.variable_of(k), own);
    t = std::move(own);
  }
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
template <int kRefs, int kGrad, typename Make>
Status apply(KernelContext& ctx, const char* op, Make make) {
  Tensor refs[kRefs];
  TL_RETURN_IF_ERROR((prepare_update<kRefs, kGrad>(ctx, refs)));
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

// ---- kernels ----

Status apply_gradient_descent_kernel(KernelContext& ctx) {
  return apply<1, 2>(ctx, "ApplyGradientDescent", [&](auto tag, Tensor(&refs)[1]) {
    using T = typename decltype(tag)::type;
    return GradientDescent<T>{refs[0].data<T>(), ctx.input(2).data<T>(), scalar<T>(ctx, 1)};
  });
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
}

void register_training_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("ApplyGradientDescent", Device::kCPU)
                    .compute(apply_gradient_descent_kernel));
  r.add_builtin(KernelDef("ApplyMomentum", Device::kCPU).compute(apply_momentum_kernel));
  r.add_builtin(KernelDef("ApplyAdam", Device::kCPU).compute(apply_adam_kernel));
  r.add_builtin(KernelDef("ApplyRMSProp", Device::kCPU).compute(apply_rms_prop_kernel));
  r.add_builtin(KernelDef("ApplyCenteredRMSProp", Device::kCPU)
                    .compute(apply_centered_rms_prop_kernel));
  r.add_builtin(KernelDef("ApplyAdagrad", Device::kCPU).compute(apply_adagrad_kernel));
}

}  // namespace tl
