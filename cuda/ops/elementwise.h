// The per-element functions of the CUDA elementwise kernels and the broadcast index math, as
// host-and-device code: elementwise.cu runs them on the GPU, and a host test (compiled with
// g++, where TL_HD is empty) checks them against the C++ library.
//
//   BroadcastLayout l;                       // kernel_util.h: merged dims, 0-stride broadcasts
//   make_broadcast_layout(a.shape(), b.shape(), &l);
//   int64_t oa, ob;
//   broadcast_offset(l, i, &oa, &ob);        // element i of the output reads a[oa], b[ob]
//   out[i] = MaximumFn{}(pa[oa], pb[ob]);
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ops/kernel_util.h"

#ifdef __CUDACC__
#define TL_HD __host__ __device__
#else
#define TL_HD
#endif

namespace tl {
namespace cuda {

// ---- broadcasting ----

// The offsets into a and b of element `index` of the output of a broadcast binary op (the
// output row-major over l.dims).
TL_HD inline void broadcast_offset(const BroadcastLayout& l, int64_t index, int64_t* off_a,
                                   int64_t* off_b) {
  int64_t a = 0, b = 0;
  for (int d = l.rank - 1; d >= 0; --d) {
    const int64_t i = index % l.dims[d];
    index /= l.dims[d];
    a += i * l.stride_a[d];
    b += i * l.stride_b[d];
  }
  *off_a = a;
  *off_b = b;
}

// How a binary kernel walks its operands: both of the output's size, one of them a single
// value, or a general broadcast through a BroadcastLayout.
enum class BinaryMode { kSameShape, kScalarA, kScalarB, kBroadcast };

// The mode for operands of `na` and `nb` elements and an output of `n` (n > 0).
inline BinaryMode binary_mode(int64_t na, int64_t nb, int64_t n) {
  if (na == n && nb == n) return BinaryMode::kSameShape;
  if (na == 1 && nb == n) return BinaryMode::kScalarA;
  if (nb == 1 && na == n) return BinaryMode::kScalarB;
  return BinaryMode::kBroadcast;
}

// ---- helpers with the CPU kernels' integer semantics ----

template <typename T>
using WrapOf = std::common_type_t<std::make_unsigned_t<T>, unsigned>;

template <typename T>
TL_HD T wrapping_negate(T x) {
  using U = WrapOf<T>;
  return static_cast<T>(U(0) - static_cast<U>(x));
}
template <typename T>
TL_HD T wrapping_multiply(T a, T b) {
  using U = WrapOf<T>;
  return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
}
template <typename T>
TL_HD bool is_negative(T x) {
  if constexpr (std::is_unsigned_v<T>) return false;
  else return x < T(0);
}

// ---- unary functions ----
// Each names its op (kName) and maps one value; the dtypes it takes are listed where it is
// registered (elementwise.cu).

struct NegFn {
  static constexpr const char* kName = "Neg";
  template <typename T>
  TL_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return wrapping_negate(x);
    else return -x;
  }
};
struct AbsFn {
  static constexpr const char* kName = "Abs";
  template <typename T>
  TL_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return is_negative(x) ? wrapping_negate(x) : x;
    else return std::abs(x);
  }
};
struct SquareFn {
  static constexpr const char* kName = "Square";
  template <typename T>
  TL_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return wrapping_multiply(x, x);
    else return x * x;
  }
};
struct SignFn {
  static constexpr const char* kName = "Sign";
  template <typename T>
  TL_HD T operator()(T x) const { return x > T(0) ? T(1) : (is_negative(x) ? T(-1) : x); }
};
struct RoundFn {
  static constexpr const char* kName = "Round";
  // Halves round to even.
  template <typename T>
  TL_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return x;
    else return std::nearbyint(x);
  }
};
struct ReluFn {
  static constexpr const char* kName = "Relu";
  template <typename T>
  TL_HD T operator()(T x) const { return is_negative(x) ? T(0) : x; }  // NaN passes through
};
struct Relu6Fn {
  static constexpr const char* kName = "Relu6";
  template <typename T>
  TL_HD T operator()(T x) const { return x < T(0) ? T(0) : (x > T(6) ? T(6) : x); }
};
struct EluFn {
  static constexpr const char* kName = "Elu";
  template <typename T>
  TL_HD T operator()(T x) const { return x < T(0) ? std::expm1(x) : x; }
};
// log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): exp never overflows.
struct SoftplusFn {
  static constexpr const char* kName = "Softplus";
  template <typename T>
  TL_HD T operator()(T x) const {
    return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::abs(x)));
  }
};
struct LogicalNotFn {
  static constexpr const char* kName = "LogicalNot";
  TL_HD bool operator()(bool x) const { return !x; }
};
struct SqrtFn {
  static constexpr const char* kName = "Sqrt";
  template <typename T>
  TL_HD T operator()(T x) const { return std::sqrt(x); }
};
struct RsqrtFn {
  static constexpr const char* kName = "Rsqrt";
  template <typename T>
  TL_HD T operator()(T x) const { return T(1) / std::sqrt(x); }
};
struct ExpFn {
  static constexpr const char* kName = "Exp";
  template <typename T>
  TL_HD T operator()(T x) const { return std::exp(x); }
};
struct LogFn {
  static constexpr const char* kName = "Log";
  template <typename T>
  TL_HD T operator()(T x) const { return std::log(x); }
};
struct Log1pFn {
  static constexpr const char* kName = "Log1p";
  template <typename T>
  TL_HD T operator()(T x) const { return std::log1p(x); }
};
struct FloorFn {
  static constexpr const char* kName = "Floor";
  template <typename T>
  TL_HD T operator()(T x) const { return std::floor(x); }
};
struct CeilFn {
  static constexpr const char* kName = "Ceil";
  template <typename T>
  TL_HD T operator()(T x) const { return std::ceil(x); }
};
struct SinFn {
  static constexpr const char* kName = "Sin";
  template <typename T>
  TL_HD T operator()(T x) const { return std::sin(x); }
};
struct CosFn {
  static constexpr const char* kName = "Cos";
  template <typename T>
  TL_HD T operator()(T x) const { return std::cos(x); }
};
struct TanhFn {
  static constexpr const char* kName = "Tanh";
  template <typename T>
  TL_HD T operator()(T x) const { return std::tanh(x); }
};
struct SigmoidFn {
  static constexpr const char* kName = "Sigmoid";
  // exp of a non-positive number never overflows; 1 / (1 + exp(-x)) would lose tiny results.
  template <typename T>
  TL_HD T operator()(T x) const {
    const T e = std::exp(-std::abs(x));
    return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
  }
};

// ---- binary functions ----

struct AddFn {
  static constexpr const char* kName = "Add";
  template <typename T>
  TL_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return static_cast<T>(WrapOf<T>(a) + WrapOf<T>(b));
    else return a + b;
  }
};
struct SubFn {
  static constexpr const char* kName = "Sub";
  template <typename T>
  TL_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return static_cast<T>(WrapOf<T>(a) - WrapOf<T>(b));
    else return a - b;
  }
};
struct MulFn {
  static constexpr const char* kName = "Mul";
  template <typename T>
  TL_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return wrapping_multiply(a, b);
    else return a * b;
  }
};
struct RealDivFn {
  static constexpr const char* kName = "RealDiv";
  template <typename T>
  TL_HD T operator()(T a, T b) const { return a / b; }
};
struct SquaredDifferenceFn {
  static constexpr const char* kName = "SquaredDifference";
  template <typename T>
  TL_HD T operator()(T a, T b) const { return SquareFn{}(SubFn{}(a, b)); }
};
// NaN wins, as in NumPy's maximum/minimum.
struct MaximumFn {
  static constexpr const char* kName = "Maximum";
  template <typename T>
  TL_HD T operator()(T a, T b) const { return (a > b || a != a) ? a : b; }
};
struct MinimumFn {
  static constexpr const char* kName = "Minimum";
  template <typename T>
  TL_HD T operator()(T a, T b) const { return (a < b || a != a) ? a : b; }
};
// Float exponents only on the GPU (integer powers need the CPU's negative-exponent check).
struct PowFn {
  static constexpr const char* kName = "Pow";
  template <typename T>
  TL_HD T operator()(T a, T b) const { return std::pow(a, b); }
};

#define TL_CUDA_COMPARISON(Name, op)                          \
  struct Name##Fn {                                           \
    static constexpr const char* kName = #Name;               \
    template <typename T>                                     \
    TL_HD bool operator()(T a, T b) const { return a op b; }  \
  };
TL_CUDA_COMPARISON(Equal, ==)
TL_CUDA_COMPARISON(NotEqual, !=)
TL_CUDA_COMPARISON(Less, <)
TL_CUDA_COMPARISON(LessEqual, <=)
TL_CUDA_COMPARISON(Greater, >)
TL_CUDA_COMPARISON(GreaterEqual, >=)
#undef TL_CUDA_COMPARISON
struct LogicalAndFn {
  static constexpr const char* kName = "LogicalAnd";
  TL_HD bool operator()(bool a, bool b) const { return a && b; }
};
struct LogicalOrFn {
  static constexpr const char* kName = "LogicalOr";
  TL_HD bool operator()(bool a, bool b) const { return a || b; }
};

// ---- activation gradients: (gradients, x) -> backprop, x as the op of that name takes it ----

struct ReluGradFn {
  static constexpr const char* kName = "ReluGrad";
  template <typename T>
  TL_HD T operator()(T g, T x) const { return x > T(0) ? g : T(0); }
};
struct Relu6GradFn {
  static constexpr const char* kName = "Relu6Grad";
  template <typename T>
  TL_HD T operator()(T g, T x) const { return x > T(0) && x < T(6) ? g : T(0); }
};
// x is Elu's output: d/dx expm1(x) = expm1(x) + 1.
struct EluGradFn {
  static constexpr const char* kName = "EluGrad";
  template <typename T>
  TL_HD T operator()(T g, T y) const { return y < T(0) ? g * (y + T(1)) : g; }
};
// d/dx softplus(x) = sigmoid(x).
struct SoftplusGradFn {
  static constexpr const char* kName = "SoftplusGrad";
  template <typename T>
  TL_HD T operator()(T g, T x) const { return g / (T(1) + std::exp(-x)); }
};

// ---- Cast ----

// NOTE: float -> integer of NaN or an out-of-range value is undefined in C++; the GPU
// saturates where x86 gives INT_MIN, so such values may differ from the CPU kernel's.
template <typename To, typename From>
TL_HD To cast_value(From x) {
  if constexpr (std::is_same_v<To, bool>) return x != From(0);
  else return static_cast<To>(x);
}

}  // namespace cuda
}  // namespace tl
