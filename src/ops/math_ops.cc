// Elementwise math, comparisons and Cast.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// ---- elementwise ----

struct NegFn {
  static constexpr const char* kName = "Neg";
  template <typename T>
  T operator()(T x) const { return -x; }
};
struct ExpFn {
  static constexpr const char* kName = "Exp";
  template <typename T>
  T operator()(T x) const { return std::exp(x); }
};
struct LogFn {
  static constexpr const char* kName = "Log";
  template <typename T>
  T operator()(T x) const { return std::log(x); }
};
struct SigmoidFn {
  static constexpr const char* kName = "Sigmoid";
  // exp of a non-positive number never overflows; 1 / (1 + exp(-x)) would lose tiny results.
  template <typename T>
  T operator()(T x) const {
    const T e = std::exp(-std::abs(x));
    return x >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
  }
};
struct ReluFn {
  static constexpr const char* kName = "Relu";
  template <typename T>
  T operator()(T x) const { return x < T(0) ? T(0) : x; }  // NaN passes through
};

template <typename Fn, typename List, int64_t kGrain>
Status unary_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return dispatch(List{}, x.dtype(), Fn::kName, [&](auto tag) {
    using T = typename decltype(tag)::type;
    unary_map<T, T>(ctx, x, ctx.output(0), kGrain, [](T v) { return Fn{}(v); });
  });
}

struct AddFn {
  static constexpr const char* kName = "Add";
  template <typename T>
  T operator()(T a, T b) const { return a + b; }
};
struct SubFn {
  static constexpr const char* kName = "Sub";
  template <typename T>
  T operator()(T a, T b) const { return a - b; }
};
struct MulFn {
  static constexpr const char* kName = "Mul";
  template <typename T>
  T operator()(T a, T b) const { return a * b; }
};
struct RealDivFn {
  static constexpr const char* kName = "RealDiv";
  template <typename T>
  T operator()(T a, T b) const { return a / b; }
};
struct EqualFn {
  static constexpr const char* kName = "Equal";
  template <typename T>
  bool operator()(T a, T b) const { return a == b; }
};

// out = fn(x, y) broadcast; the output dtype is whatever Fn returns for the inputs' dtype.
template <typename Fn, typename List>
Status binary_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return dispatch(List{}, x.dtype(), Fn::kName, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Out = decltype(Fn{}(T(), T()));
    binary_map<T, Out>(ctx, x, ctx.input(1), ctx.output(0), kElementwiseGrain,
                       [](T a, T b) { return Fn{}(a, b); });
  });
}

// ---- Cast ----

// NOTE: float -> int conversion of NaN or out-of-range values is undefined in C++; x86 gives
// INT_MIN like TF does. double -> float16 rounds twice (via float), which can differ from a
// direct rounding in the last bit for values right at a tie.
template <typename To, typename From>
To cast_value(From x) {
  if constexpr (std::is_same_v<From, Half>) {
    return cast_value<To>(half_to_float(x));
  } else if constexpr (std::is_same_v<To, Half>) {
    return float_to_half(static_cast<float>(x));
  } else if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);
  } else {
    return static_cast<To>(x);
  }
}

Status cast_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  TL_RETURN_IF_ERROR(check_attr_dtype(ctx, "DstT", PodTypes{}));
  ctx.set_output(0, ctx.attrs().get<DType>("DstT"), ctx.input_shape(0));
  return Status::OK();
}

Status cast_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  if (x.dtype() == y.dtype()) {
    if (x.raw_data() != y.raw_data()) std::memcpy(y.raw_data(), x.raw_data(), x.num_bytes());
    return Status::OK();
  }
  return dispatch(PodTypes{}, x.dtype(), "Cast", [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    return dispatch(PodTypes{}, y.dtype(), "Cast", [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      unary_map<From, To>(ctx, x, y, kElementwiseGrain, [](From v) { return cast_value<To>(v); });
    });
  });
}

}  // namespace

void register_math_ops(OpRegistry& r) {
  r.add_builtin(OpDef("Neg").input("x").shape(unary_shape<NumericTypes>)
                    .kernel(Device::kCPU, unary_kernel<NegFn, NumericTypes, kElementwiseGrain>)
                    .forwards_input(0));
  r.add_builtin(OpDef("Exp").input("x").shape(unary_shape<FloatTypes>)
                    .kernel(Device::kCPU, unary_kernel<ExpFn, FloatTypes, kTranscendentalGrain>)
                    .forwards_input(0));
  r.add_builtin(OpDef("Log").input("x").shape(unary_shape<FloatTypes>)
                    .kernel(Device::kCPU, unary_kernel<LogFn, FloatTypes, kTranscendentalGrain>)
                    .forwards_input(0));
  r.add_builtin(
      OpDef("Sigmoid").input("x").shape(unary_shape<FloatTypes>)
          .kernel(Device::kCPU, unary_kernel<SigmoidFn, FloatTypes, kTranscendentalGrain>)
          .forwards_input(0));
  r.add_builtin(OpDef("Relu").input("features").shape(unary_shape<NumericTypes>)
                    .kernel(Device::kCPU, unary_kernel<ReluFn, NumericTypes, kElementwiseGrain>)
                    .forwards_input(0));

  r.add_builtin(OpDef("Add").input("x").input("y").shape(binary_shape<NumericTypes>)
                    .kernel(Device::kCPU, binary_kernel<AddFn, NumericTypes>)
                    .forwards_input(0).forwards_input(1));
  r.add_builtin(OpDef("Sub").input("x").input("y").shape(binary_shape<NumericTypes>)
                    .kernel(Device::kCPU, binary_kernel<SubFn, NumericTypes>)
                    .forwards_input(0).forwards_input(1));
  r.add_builtin(OpDef("Mul").input("x").input("y").shape(binary_shape<NumericTypes>)
                    .kernel(Device::kCPU, binary_kernel<MulFn, NumericTypes>)
                    .forwards_input(0).forwards_input(1));
  r.add_builtin(OpDef("RealDiv").input("x").input("y").shape(binary_shape<FloatTypes>)
                    .kernel(Device::kCPU, binary_kernel<RealDivFn, FloatTypes>)
                    .forwards_input(0).forwards_input(1));
  r.add_builtin(OpDef("Equal").input("x").input("y").shape(comparison_shape<NumericOrBoolTypes>)
                    .kernel(Device::kCPU, binary_kernel<EqualFn, NumericOrBoolTypes>)
                    .forwards_input(0).forwards_input(1));

  r.add_builtin(OpDef("Cast").input("x").attr("DstT", AttrType::kType).shape(cast_shape)
                    .kernel(Device::kCPU, cast_kernel).forwards_input(0));
}

}  // namespace tl
