// Elementwise math, comparisons and logic, AddN, SelectV2, Where, Cumsum and Cast.
//
// Elementwise loops are compiled twice, for AVX2 and for the baseline, and picked at run time
// (cpu_features.h); float32 exp, log, tanh and sigmoid use the vectorised functions of
// simd_math.h.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"
#include "ops/simd_math.h"

namespace tl {
namespace {

using BoolTypes = TypeList<bool>;
// exp, log, sqrt and division: floats and complex numbers.
using FloatOrComplexTypes = JoinTypes<FloatTypes, ComplexTypes>;
using ArithmeticOrBoolTypes = JoinTypes<ArithmeticTypes, BoolTypes>;

// ---- vectorised loops ----

// y[i] = fn(x[i]) for i < n.
template <typename Fn, typename In, typename Out>
TL_ALWAYS_INLINE void unary_loop(const In* x, Out* y, int64_t n) {
  const Fn fn;
  for (int64_t i = 0; i < n; ++i) y[i] = fn(x[i]);
}
template <typename Fn, typename In, typename Out>
TL_TARGET_AVX2 void unary_loop_avx2(const In* x, Out* y, int64_t n) {
  unary_loop<Fn>(x, y, n);
}
template <typename Fn, typename In, typename Out>
void unary_loop_generic(const In* x, Out* y, int64_t n) {
  unary_loop<Fn>(x, y, n);
}

// The float32 vector function of Fn, when Fn has one (Fn::simd: AVX-512 or AVX2 vectors, see
// simd::map_widest).
template <typename Fn, typename = void>
struct HasSimd : std::false_type {};
template <typename Fn>
struct HasSimd<Fn, std::void_t<decltype(&Fn::simd)>> : std::true_type {};

template <typename Fn, typename In, typename Out>
void unary_span(const In* x, Out* y, int64_t n) {
  if constexpr (HasSimd<Fn>::value && std::is_same_v<In, float> && std::is_same_v<Out, float>) {
    if (cpu_has_avx2()) return Fn::simd(x, y, n);
  }
  if (cpu_has_avx2()) return unary_loop_avx2<Fn>(x, y, n);
  unary_loop_generic<Fn>(x, y, n);
}

// o[j] = fn(a[j], b[j]) for j < n (kernel_util.h's binary_row with Fn).
template <typename Fn, typename In, typename Out>
TL_ALWAYS_INLINE void binary_loop(const In* a, bool a_full, const In* b, bool b_full, Out* o,
                                  int64_t n) {
  binary_row(a, a_full, b, b_full, o, n, Fn{});
}
template <typename Fn, typename In, typename Out>
TL_TARGET_AVX2 void binary_loop_avx2(const In* a, bool a_full, const In* b, bool b_full, Out* o,
                                     int64_t n) {
  binary_loop<Fn>(a, a_full, b, b_full, o, n);
}
template <typename Fn, typename In, typename Out>
void binary_loop_generic(const In* a, bool a_full, const In* b, bool b_full, Out* o,
                         int64_t n) {
  binary_loop<Fn>(a, a_full, b, b_full, o, n);
}

template <typename Fn, typename In, typename Out>
void binary_span(const In* a, bool a_full, const In* b, bool b_full, Out* o, int64_t n) {
  if (cpu_has_avx2()) return binary_loop_avx2<Fn>(a, a_full, b, b_full, o, n);
  binary_loop_generic<Fn>(a, a_full, b, b_full, o, n);
}

// The SpanFn forms (op_registry.h) of the same loops, for fused chains.
template <typename Fn, typename T>
void unary_span_fn(const void* x, const void*, bool, void* y, int64_t n) {
  unary_span<Fn>(static_cast<const T*>(x), static_cast<T*>(y), n);
}
template <typename Fn, typename T>
void scalar_span_fn(const void* x, const void* s, bool scalar_first, void* y, int64_t n) {
  const T* px = static_cast<const T*>(x);
  const T* ps = static_cast<const T*>(s);
  if (scalar_first) return binary_span<Fn, T, T>(ps, false, px, true, static_cast<T*>(y), n);
  binary_span<Fn, T, T>(px, true, ps, false, static_cast<T*>(y), n);
}

template <typename Fn, typename T>
void pair_span_fn(const void* x, const void* v, bool v_first, void* y, int64_t n) {
  const T* px = static_cast<const T*>(x);
  const T* pv = static_cast<const T*>(v);
  if (v_first) return binary_span<Fn, T, T>(pv, true, px, true, static_cast<T*>(y), n);
  binary_span<Fn, T, T>(px, true, pv, true, static_cast<T*>(y), n);
}

template <typename Fn, typename In, typename Out>
void unary_apply(KernelContext& ctx, const Tensor& x, Tensor& y, int64_t grain) {
  const In* px = x.data<In>();
  Out* py = y.data<Out>();
  ctx.parallel_for(x.num_elements(), grain, [&](int64_t b, int64_t e) {
    unary_span<Fn>(px + b, py + b, e - b);
  });
}

// ---- unary functions ----

// The unsigned type integer arithmetic on T wraps around in: at least `unsigned`, since
// narrower types are promoted to (signed) int, where a product can overflow.
template <typename T>
using WrapOf = std::common_type_t<std::make_unsigned_t<T>, unsigned>;

// -x of an integer with wrap-around (no undefined behaviour at the minimum).
template <typename T>
T wrapping_negate(T x) {
  using U = WrapOf<T>;
  return static_cast<T>(U(0) - static_cast<U>(x));
}

// a * b of integers with wrap-around.
template <typename T>
T wrapping_multiply(T a, T b) {
  using U = WrapOf<T>;
  return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
}

// True for a negative value (false for every unsigned one, without a comparison that is
// always false).
template <typename T>
bool is_negative(T x) {
  if constexpr (std::is_unsigned_v<T>) return false;
  else return x < T(0);
}

template <typename T>
struct IsComplex : std::false_type {};
template <typename T>
struct IsComplex<std::complex<T>> : std::true_type {};

struct NegFn {
  static constexpr const char* kName = "Neg";
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return wrapping_negate(x);
    else return -x;
  }
};
struct AbsFn {
  static constexpr const char* kName = "Abs";
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return is_negative(x) ? wrapping_negate(x) : x;
    else return std::abs(x);
  }
};
struct SquareFn {
  static constexpr const char* kName = "Square";
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return wrapping_multiply(x, x);
    else return x * x;
  }
};
struct SignFn {
  static constexpr const char* kName = "Sign";
  // NaN stays NaN, as in NumPy.
  template <typename T>
  T operator()(T x) const { return x > T(0) ? T(1) : (is_negative(x) ? T(-1) : x); }
};
struct RoundFn {
  static constexpr const char* kName = "Round";
  // Halves round to even (the default rounding mode), as in TF and NumPy.
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return x;
    else return std::nearbyint(x);
  }
};
struct ReluFn {
  static constexpr const char* kName = "Relu";
  template <typename T>
  T operator()(T x) const { return is_negative(x) ? T(0) : x; }  // NaN passes through
};
struct LogicalNotFn {
  static constexpr const char* kName = "LogicalNot";
  bool operator()(bool x) const { return !x; }
};

// floor and ceil through nearbyint (exact for every float), written so that gcc vectorises
// them (it does not vectorise std::floor and std::ceil). The result always has x's sign, which
// copysign restores for the zeros that the correction step turns into +0.
template <typename T>
T floor_value(T x) {
  const T r = std::nearbyint(x);
  return std::copysign(r + static_cast<T>(-static_cast<int>(r > x)), x);
}
template <typename T>
T ceil_value(T x) {
  const T r = std::nearbyint(x);
  return std::copysign(r + static_cast<T>(r < x), x);
}

#define TL_FLOAT_UNARY(Name, expr)                 \
  struct Name##Fn {                                \
    static constexpr const char* kName = #Name;    \
    template <typename T>                          \
    T operator()(T x) const { return expr; }       \
  };
TL_FLOAT_UNARY(Sqrt, std::sqrt(x))
TL_FLOAT_UNARY(Rsqrt, T(1) / std::sqrt(x))
TL_FLOAT_UNARY(Log1p, std::log1p(x))
TL_FLOAT_UNARY(Floor, floor_value(x))
TL_FLOAT_UNARY(Ceil, ceil_value(x))
TL_FLOAT_UNARY(Sin, std::sin(x))
TL_FLOAT_UNARY(Cos, std::cos(x))
#undef TL_FLOAT_UNARY

// The transcendental functions with a vectorised float32 version.
#if TL_HAVE_SIMD_MATH
#define TL_SIMD_MAP(fn)                                   \
  static void simd(const float* x, float* y, int64_t n) { \
    simd::map_widest<simd::fn, simd::fn>(x, y, n);        \
  }
#else
#define TL_SIMD_MAP(fn)
#endif
struct ExpFn {
  static constexpr const char* kName = "Exp";
  template <typename T>
  T operator()(T x) const { return std::exp(x); }
  TL_SIMD_MAP(exp_ps)
};
struct LogFn {
  static constexpr const char* kName = "Log";
  template <typename T>
  T operator()(T x) const { return std::log(x); }
  TL_SIMD_MAP(log_ps)
};
struct TanhFn {
  static constexpr const char* kName = "Tanh";
  template <typename T>
  T operator()(T x) const { return std::tanh(x); }
  TL_SIMD_MAP(tanh_ps)
};
struct SigmoidFn {
  static constexpr const char* kName = "Sigmoid";
  // exp of a non-positive number never overflows; 1 / (1 + exp(-x)) would lose tiny results.
  template <typename T>
  T operator()(T x) const {
    const T e = std::exp(-std::abs(x));
    return x >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
  }
  TL_SIMD_MAP(sigmoid_ps)
};
#undef TL_SIMD_MAP

template <typename Fn, typename List, int64_t kGrain>
Status unary_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return dispatch(List{}, x.dtype(), Fn::kName, [&](auto tag) {
    using T = typename decltype(tag)::type;
    unary_apply<Fn, T, T>(ctx, x, ctx.output(0), kGrain);
  });
}

// ---- binary functions ----

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
struct SquaredDifferenceFn {
  static constexpr const char* kName = "SquaredDifference";
  template <typename T>
  T operator()(T a, T b) const { return SquareFn{}(static_cast<T>(a - b)); }
};
// NaN wins, as in NumPy's maximum/minimum.
struct MaximumFn {
  static constexpr const char* kName = "Maximum";
  template <typename T>
  T operator()(T a, T b) const { return (a > b || a != a) ? a : b; }
};
struct MinimumFn {
  static constexpr const char* kName = "Minimum";
  template <typename T>
  T operator()(T a, T b) const { return (a < b || a != a) ? a : b; }
};
// Integer divisors were checked to be nonzero; -1 is special-cased because min / -1
// overflows (a hardware trap on x86).
struct FloorDivFn {
  static constexpr const char* kName = "FloorDiv";
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_unsigned_v<T>) {
      return a / b;
    } else if constexpr (std::is_integral_v<T>) {
      if (b == -1) return wrapping_negate(a);
      const T q = a / b;
      return (a % b != 0 && ((a < 0) != (b < 0))) ? T(q - 1) : q;
    } else {
      return floor_value(a / b);
    }
  }
};
// The remainder takes the divisor's sign (Python's %).
struct FloorModFn {
  static constexpr const char* kName = "FloorMod";
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_unsigned_v<T>) {
      return a % b;
    } else if constexpr (std::is_integral_v<T>) {
      if (b == -1) return 0;
      const T r = a % b;
      return (r != 0 && ((r < 0) != (b < 0))) ? T(r + b) : r;
    } else {
      const T r = std::fmod(a, b);
      return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
    }
  }
};
// Integer exponents were checked to be >= 0; integer powers wrap around like TF's.
struct PowFn {
  static constexpr const char* kName = "Pow";
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      using U = WrapOf<T>;
      U result = 1, base = static_cast<U>(a);
      for (auto e = static_cast<std::make_unsigned_t<T>>(b); e; e >>= 1) {
        if (e & 1) result *= base;
        base *= base;
      }
      return static_cast<T>(result);
    } else {
      return std::pow(a, b);
    }
  }
};

#define TL_COMPARISON(Name, op)                             \
  struct Name##Fn {                                         \
    static constexpr const char* kName = #Name;             \
    template <typename T>                                   \
    bool operator()(T a, T b) const { return a op b; }      \
  };
TL_COMPARISON(Equal, ==)
TL_COMPARISON(NotEqual, !=)
TL_COMPARISON(Less, <)
TL_COMPARISON(LessEqual, <=)
TL_COMPARISON(Greater, >)
TL_COMPARISON(GreaterEqual, >=)
#undef TL_COMPARISON
struct LogicalAndFn {
  static constexpr const char* kName = "LogicalAnd";
  bool operator()(bool a, bool b) const { return a && b; }
};
struct LogicalOrFn {
  static constexpr const char* kName = "LogicalOr";
  bool operator()(bool a, bool b) const { return a || b; }
};

// out = fn(x, y) broadcast; the output dtype is whatever Fn returns for the inputs' dtype.
template <typename Fn, typename List>
Status binary_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return dispatch(List{}, x.dtype(), Fn::kName, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Out = decltype(Fn{}(T(), T()));
    binary_map<T, Out>(ctx, x, ctx.input(1), ctx.output(0), kElementwiseGrain,
                      binary_span<Fn, T, Out>);
  });
}

// True when some element of integer tensor t satisfies pred.
template <typename T, typename Pred>
bool any_element(const Tensor& t, Pred pred) {
  const T* p = t.data<T>();
  return std::any_of(p, p + t.num_elements(), pred);
}

// FloorDiv and FloorMod: integer division by zero is an error, not a trap.
template <typename Fn>
Status division_kernel(KernelContext& ctx) {
  const Tensor& y = ctx.input(1);
  Status s = dispatch(RealTypes{}, y.dtype(), Fn::kName, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      if (ctx.output(0).num_elements() && any_element<T>(y, [](T v) { return v == 0; })) {
        return invalid_argument("Integer division by zero");
      }
    }
    return Status::OK();
  });
  TL_RETURN_IF_ERROR(s);
  return binary_kernel<Fn, RealTypes>(ctx);
}

using PowTypes = JoinTypes<RealTypes, ComplexTypes>;

Status pow_kernel(KernelContext& ctx) {
  const Tensor& y = ctx.input(1);
  Status s = dispatch(PowTypes{}, y.dtype(), "Pow", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      if (ctx.output(0).num_elements() && any_element<T>(y, is_negative<T>)) {
        return invalid_argument("Integers to negative integer powers are not allowed");
      }
    }
    return Status::OK();
  });
  TL_RETURN_IF_ERROR(s);
  return binary_kernel<PowFn, PowTypes>(ctx);
}

// ---- AddN ----

// float16 too: gradients of float16 tensors used more than once are summed with AddN.
using AddNTypes = TypeList<Half, float, double, int32_t, int64_t>;

Status add_n_shape(InferenceContext& ctx) {
  if (ctx.num_inputs() == 0) {
    return invalid_argument("'AddN' Op needs at least one input");
  }
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, AddNTypes{}));
  Shape out = ctx.input_shape(0);
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
    Shape merged;
    Status s = out.merge(ctx.input_shape(i), &merged);
    if (!s.ok()) {
      return shape_error(ctx, "Shapes must be equal rank, and all inputs must have the same "
                              "shape, but input " + std::to_string(i) + " has shape " +
                              ctx.input_shape(i).to_string());
    }
    out = merged;
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

template <typename T>
TL_ALWAYS_INLINE void add_n_loop(const T* const* in, int k, T* out, int64_t n) {
  for (int64_t j = 0; j < n; ++j) out[j] = in[0][j] + in[1][j];
  for (int i = 2; i < k; ++i) {
    for (int64_t j = 0; j < n; ++j) out[j] += in[i][j];
  }
}
// float16 inputs are summed in float and rounded once.
template <>
TL_ALWAYS_INLINE void add_n_loop(const Half* const* in, int k, Half* out, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    float sum = half_to_float(in[0][j]);
    for (int i = 1; i < k; ++i) sum += half_to_float(in[i][j]);
    out[j] = float_to_half(sum);
  }
}
template <typename T>
TL_TARGET_AVX2 void add_n_loop_avx2(const T* const* in, int k, T* out, int64_t n) {
  add_n_loop(in, k, out, n);
}
template <typename T>
void add_n_loop_generic(const T* const* in, int k, T* out, int64_t n) {
  add_n_loop(in, k, out, n);
}

// Sums in blocks that stay in cache while every input is added in. The output may share
// input 0's buffer (read at each index before it is written).
Status add_n_kernel(KernelContext& ctx) {
  constexpr int64_t kBlock = 4096;
  const int k = ctx.num_inputs();
  Tensor& out = ctx.output(0);
  return dispatch(AddNTypes{}, out.dtype(), "AddN", [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<const T*> in(static_cast<size_t>(k));
    for (int i = 0; i < k; ++i) in[i] = ctx.input(i).template data<T>();
    T* o = out.data<T>();
    const int64_t n = out.num_elements();
    if (k == 1) {
      if (o != in[0]) std::copy(in[0], in[0] + n, o);
      return;
    }
    ctx.parallel_for(n, kElementwiseGrain / k + 1, [&](int64_t b, int64_t e) {
      std::vector<const T*> rows(in.size());
      for (int64_t s = b; s < e; s += kBlock) {
        const int64_t len = std::min(kBlock, e - s);
        for (int i = 0; i < k; ++i) rows[i] = in[i] + s;
        if (cpu_has_avx2()) {
          add_n_loop_avx2(rows.data(), k, o + s, len);
        } else {
          add_n_loop_generic(rows.data(), k, o + s, len);
        }
      }
    });
  });
}

// ---- SelectV2 ----

Status select_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, BoolTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, PodTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 1, 2));
  Shape xy, out;
  Status s = broadcast_shapes(ctx.input_shape(1), ctx.input_shape(2), &xy);
  if (s.ok()) s = broadcast_shapes(ctx.input_shape(0), xy, &out);
  if (!s.ok()) return shape_error(ctx, s.message());
  ctx.set_output(0, ctx.input_dtype(1), out);
  return Status::OK();
}

// Element strides of `s` broadcast to `out` (0 along broadcast dims), aligned to out's rank.
void broadcast_strides(const Shape& s, const Shape& out, int64_t* strides) {
  const int offset = out.rank() - s.rank();
  int64_t step = 1;
  for (int d = out.rank() - 1; d >= 0; --d) {
    const int i = d - offset;
    const int64_t dim = i >= 0 ? s.dim(i) : 1;
    strides[d] = dim == 1 ? 0 : step;
    step *= dim;
  }
}

Status select_kernel(KernelContext& ctx) {
  const Tensor& c = ctx.input(0);
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  Tensor& out = ctx.output(0);
  const int64_t n = out.num_elements();
  if (n == 0) return Status::OK();
  return dispatch(PodTypes{}, x.dtype(), "SelectV2", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool* pc = c.data<bool>();
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* po = out.data<T>();
    if (c.num_elements() == n && x.num_elements() == n && y.num_elements() == n) {
      ctx.parallel_for(n, kElementwiseGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) po[i] = pc[i] ? px[i] : py[i];
      });
      return;
    }
    const Shape& shape = out.shape();
    const int rank = shape.rank();
    int64_t sc[kMaxRank], sx[kMaxRank], sy[kMaxRank];
    broadcast_strides(c.shape(), shape, sc);
    broadcast_strides(x.shape(), shape, sx);
    broadcast_strides(y.shape(), shape, sy);
    const int64_t inner = shape.dim(rank - 1);
    const int64_t ic = sc[rank - 1], ix = sx[rank - 1], iy = sy[rank - 1];
    ctx.parallel_for(n / inner, kElementwiseGrain / inner + 1, [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        int64_t oc = 0, ox = 0, oy = 0, rest = row;
        for (int d = rank - 2; d >= 0; --d) {
          const int64_t i = rest % shape.dim(d);
          rest /= shape.dim(d);
          oc += i * sc[d];
          ox += i * sx[d];
          oy += i * sy[d];
        }
        T* o = po + row * inner;
        for (int64_t j = 0; j < inner; ++j) {
          o[j] = pc[oc + j * ic] ? px[ox + j * ix] : py[oy + j * iy];
        }
      }
    });
  });
}

// ---- Cumsum ----

Status cumsum_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 0, 0));
  const Shape& in = ctx.input_shape(0);
  if (const Tensor* axis = ctx.input_value(1); axis && in.rank_known()) {
    const int64_t a = int_element(*axis, 0);
    if (a < -in.rank() || a >= in.rank()) {
      return shape_error(ctx, "Expected scan axis in the range [" + std::to_string(-in.rank()) +
                                  ", " + std::to_string(in.rank()) + "), but got " +
                                  std::to_string(a));
    }
  }
  ctx.set_output(0, ctx.input_dtype(0), in);
  return Status::OK();
}

// Running sums along the middle dim of [outer, n, inner]; `exclusive` leaves out the element
// itself, `reverse` sums from the end. Tasks are (outer index, block of kScanColumns columns),
// each summing its rows in order into a running row.
template <typename T>
void cumsum(KernelContext& ctx, const T* in, T* out, int64_t outer, int64_t n, int64_t inner,
            bool exclusive, bool reverse) {
  constexpr int64_t kScanColumns = 1024;
  const int64_t blocks = (inner + kScanColumns - 1) / kScanColumns;
  const int64_t width = std::min(inner, kScanColumns);
  ctx.parallel_for(outer * blocks, kElementwiseGrain / (n * width) + 1, [&](int64_t b, int64_t e) {
    T sum[kScanColumns];
    for (int64_t task = b; task < e; ++task) {
      const int64_t o = task / blocks, j0 = task % blocks * kScanColumns;
      const int64_t w = std::min(kScanColumns, inner - j0);
      std::fill(sum, sum + w, T(0));
      for (int64_t k = 0; k < n; ++k) {
        const int64_t offset = (o * n + (reverse ? n - 1 - k : k)) * inner + j0;
        const T* x = in + offset;
        T* y = out + offset;
        if (exclusive) {
          for (int64_t j = 0; j < w; ++j) {
            const T v = x[j];  // read before y[j] is written: y may be x
            y[j] = sum[j];
            sum[j] += v;
          }
        } else {
          for (int64_t j = 0; j < w; ++j) y[j] = sum[j] += x[j];
        }
      }
    }
  });
}

Status cumsum_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Shape& shape = x.shape();
  const int rank = shape.rank();
  if (ctx.input(1).num_elements() != 1) {
    return invalid_argument("Cumsum's axis must be a scalar, got shape " +
                            ctx.input(1).shape().to_string());
  }
  int64_t axis = int_element(ctx.input(1), 0);
  if (axis < -rank || axis >= rank) {
    return invalid_argument("Expected scan axis in the range [" + std::to_string(-rank) + ", " +
                            std::to_string(rank) + "), but got " + std::to_string(axis));
  }
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape.dim(i);
  for (int i = static_cast<int>(axis) + 1; i < rank; ++i) inner *= shape.dim(i);
  const int64_t n = shape.dim(static_cast<int>(axis));
  if (x.num_elements() == 0) return Status::OK();
  const bool exclusive = ctx.attrs().get<bool>("exclusive");
  const bool reverse = ctx.attrs().get<bool>("reverse");
  return dispatch(NumericTypes{}, x.dtype(), "Cumsum", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cumsum(ctx, x.data<T>(), ctx.output(0).data<T>(), outer, n, inner, exclusive, reverse);
  });
}

// ---- Cast ----

// NOTE: float -> int conversion of NaN or out-of-range values is undefined in C++; x86 gives
// INT_MIN like TF does. Floats go to the integers narrower than 32 bits and to uint32 through
// int64, which wraps out-of-range values around as NumPy does on x86. double -> float16 and
// double -> bfloat16 round twice (via float), which can differ from a direct rounding in the
// last bit for values right at a tie. Complex -> real takes the real part, also for bool
// (TF's rule: 2j casts to false).
template <typename To, typename From>
To cast_value(From x) {
  if constexpr (std::is_same_v<From, Half>) {
    return cast_value<To>(half_to_float(x));
  } else if constexpr (std::is_same_v<From, BFloat16>) {
    return cast_value<To>(bfloat16_to_float(x));
  } else if constexpr (IsComplex<From>::value && !IsComplex<To>::value) {
    return cast_value<To>(x.real());
  } else if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);
  } else if constexpr (std::is_same_v<To, Half>) {
    return float_to_half(static_cast<float>(x));
  } else if constexpr (std::is_same_v<To, BFloat16>) {
    return float_to_bfloat16(static_cast<float>(x));
  } else if constexpr (IsComplex<To>::value && !IsComplex<From>::value) {
    return To(static_cast<typename To::value_type>(x));
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To> &&
                       (sizeof(To) < 4 || std::is_same_v<To, uint32_t>)) {
    return static_cast<To>(static_cast<int64_t>(x));
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

// ---- Complex, Real, Imag, Conj, Angle, ComplexAbs ----

// The real dtype of the parts of complex dtype t (complex64 -> float32).
DType real_part_dtype(DType t) {
  return t == DType::kComplex64 ? DType::kFloat32 : DType::kFloat64;
}
DType complex_dtype_of(DType t) {
  return t == DType::kFloat32 ? DType::kComplex64 : DType::kComplex128;
}

// complex x -> its real dtype and shape; Tout, when set, must be that real dtype.
Status complex_part_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, ComplexTypes{}));
  const DType out = real_part_dtype(ctx.input_dtype(0));
  if (ctx.attrs().get<DType>("Tout") != out) {
    return type_error("'" + ctx.op() + "' Op of a " + dtype_name(ctx.input_dtype(0)) +
                      " input has Tout " + dtype_name(out) + ", not " +
                      dtype_name(ctx.attrs().get<DType>("Tout")));
  }
  ctx.set_output(0, out, ctx.input_shape(0));
  return Status::OK();
}

// (real, imag) of one float dtype -> complex numbers of their broadcast shape.
Status complex_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  Shape out;
  TL_RETURN_IF_ERROR(broadcast_inputs_shape(ctx, &out));
  const DType t = complex_dtype_of(ctx.input_dtype(0));
  if (ctx.attrs().get<DType>("Tout") != t) {
    return type_error("'Complex' Op of " + std::string(dtype_name(ctx.input_dtype(0))) +
                      " parts has Tout " + dtype_name(t) + ", not " +
                      dtype_name(ctx.attrs().get<DType>("Tout")));
  }
  ctx.set_output(0, t, out);
  return Status::OK();
}

Status complex_kernel(KernelContext& ctx) {
  return dispatch(FloatTypes{}, ctx.input(0).dtype(), "Complex", [&](auto tag) {
    using T = typename decltype(tag)::type;
    binary_map<T, std::complex<T>>(
        ctx, ctx.input(0), ctx.input(1), ctx.output(0), kElementwiseGrain,
        [](const T* a, bool a_full, const T* b, bool b_full, std::complex<T>* o, int64_t n) {
          binary_row(a, a_full, b, b_full, o, n, [](T re, T im) { return std::complex<T>(re, im); });
        });
  });
}

// y = fn(x) for complex x, with y of type Out<T> (T: the parts' type).
template <template <typename> class Out, typename F>
Status complex_map(KernelContext& ctx, const char* op, F fn) {
  const Tensor& x = ctx.input(0);
  return dispatch(ComplexTypes{}, x.dtype(), op, [&](auto tag) {
    using C = typename decltype(tag)::type;
    using R = typename C::value_type;
    unary_map<C, Out<R>>(ctx, x, ctx.output(0), kElementwiseGrain,
                         [&](C v) { return static_cast<Out<R>>(fn(v)); });
  });
}
template <typename T>
using PartOf = T;
template <typename T>
using ComplexOf = std::complex<T>;

Status real_kernel(KernelContext& ctx) {
  return complex_map<PartOf>(ctx, "Real", [](auto v) { return v.real(); });
}
Status imag_kernel(KernelContext& ctx) {
  return complex_map<PartOf>(ctx, "Imag", [](auto v) { return v.imag(); });
}
Status angle_kernel(KernelContext& ctx) {
  return complex_map<PartOf>(ctx, "Angle", [](auto v) { return std::arg(v); });
}
Status complex_abs_kernel(KernelContext& ctx) {
  return complex_map<PartOf>(ctx, "ComplexAbs", [](auto v) { return std::abs(v); });
}
Status conj_kernel(KernelContext& ctx) {
  return complex_map<ComplexOf>(ctx, "Conj", [](auto v) { return std::conj(v); });
}

// Declares the complex-part ops (OpRegistry) or gives them their CPU kernels.
void add_complex_parts(OpRegistry& r) {
  r.add_builtin(OpDef("Complex").input("real").input("imag")
                    .attr("Tout", AttrType::kType, DType::kComplex64).shape(complex_shape));
  for (const char* op : {"Real", "Imag", "Angle", "ComplexAbs"}) {
    r.add_builtin(OpDef(op).input(std::strcmp(op, "ComplexAbs") ? "input" : "x")
                      .attr("Tout", AttrType::kType, DType::kFloat32)
                      .shape(complex_part_shape));
  }
  r.add_builtin(OpDef("Conj").input("input").shape(unary_shape<ComplexTypes>)
                    .forwards_input(0));
}
void add_complex_parts(KernelRegistry& r) {
  r.add_builtin(KernelDef("Complex", Device::kCPU).compute(complex_kernel));
  r.add_builtin(KernelDef("Real", Device::kCPU).compute(real_kernel));
  r.add_builtin(KernelDef("Imag", Device::kCPU).compute(imag_kernel));
  r.add_builtin(KernelDef("Angle", Device::kCPU).compute(angle_kernel));
  r.add_builtin(KernelDef("ComplexAbs", Device::kCPU).compute(complex_abs_kernel));
  r.add_builtin(KernelDef("Conj", Device::kCPU).compute(conj_kernel));
}

// Declares unary op `Fn::kName` over the dtypes of List.
template <typename Fn, typename List, int64_t kGrain = kElementwiseGrain>
void add_unary(OpRegistry& r, const char* input = "x") {
  r.add_builtin(OpDef(Fn::kName).input(input).shape(unary_shape<List>).forwards_input(0));
}

// Registers its CPU kernel, with span forms where it takes floats.
template <typename Fn, typename List, int64_t kGrain = kElementwiseGrain>
void add_unary(KernelRegistry& r, const char* = "x") {
  KernelDef def(Fn::kName, Device::kCPU);
  def.compute(unary_kernel<Fn, List, kGrain>);
  if constexpr (dtype_in(DType::kFloat32, List{})) {
    def.span(DType::kFloat32, unary_span_fn<Fn, float>)
        .span(DType::kFloat64, unary_span_fn<Fn, double>);
  }
  r.add_builtin(std::move(def));
}

// Declares binary op `Fn::kName`; comparisons (bool results) use comparison_shape.
template <typename Fn, typename List, KernelFn kKernel = binary_kernel<Fn, List>>
void add_binary(OpRegistry& r) {
  constexpr bool kBool = std::is_same_v<decltype(Fn{}(0.0f, 0.0f)), bool>;
  r.add_builtin(OpDef(Fn::kName).input("x").input("y")
                    .shape(kBool ? comparison_shape<List> : binary_shape<List>)
                    .forwards_input(0).forwards_input(1));
}

// Registers its CPU kernel `kKernel`, with span forms where it is the plain elementwise kernel
// over floats.
template <typename Fn, typename List, KernelFn kKernel = binary_kernel<Fn, List>>
void add_binary(KernelRegistry& r) {
  constexpr bool kBool = std::is_same_v<decltype(Fn{}(0.0f, 0.0f)), bool>;
  KernelDef def(Fn::kName, Device::kCPU);
  def.compute(kKernel);
  // Kernels with their own checks (division by zero) and comparisons are not fused.
  if constexpr (!kBool && kKernel == binary_kernel<Fn, List> &&
                dtype_in(DType::kFloat32, List{})) {
    def.span(DType::kFloat32, scalar_span_fn<Fn, float>)
        .span(DType::kFloat64, scalar_span_fn<Fn, double>)
        .pair_span(DType::kFloat32, pair_span_fn<Fn, float>)
        .pair_span(DType::kFloat64, pair_span_fn<Fn, double>);
  }
  r.add_builtin(std::move(def));
}

// The elementwise ops, declared (OpRegistry) or given their CPU kernels (KernelRegistry).
template <typename Registry>
void add_elementwise(Registry& r) {
  add_unary<NegFn, ArithmeticTypes>(r);
  add_unary<AbsFn, RealTypes>(r);
  add_unary<SquareFn, ArithmeticTypes>(r);
  add_unary<SignFn, RealTypes>(r);
  add_unary<RoundFn, NumericTypes>(r);
  add_unary<SqrtFn, FloatOrComplexTypes>(r);
  add_unary<RsqrtFn, FloatTypes>(r);
  add_unary<FloorFn, FloatTypes>(r);
  add_unary<CeilFn, FloatTypes>(r);
  add_unary<ExpFn, FloatOrComplexTypes, kTranscendentalGrain>(r);
  add_unary<LogFn, FloatOrComplexTypes, kTranscendentalGrain>(r);
  add_unary<Log1pFn, FloatTypes, kTranscendentalGrain>(r);
  add_unary<SinFn, FloatTypes, kTranscendentalGrain>(r);
  add_unary<CosFn, FloatTypes, kTranscendentalGrain>(r);
  add_unary<TanhFn, FloatTypes, kTranscendentalGrain>(r);
  add_unary<SigmoidFn, FloatTypes, kTranscendentalGrain>(r);
  add_unary<ReluFn, NumericTypes>(r, "features");
  add_unary<LogicalNotFn, BoolTypes>(r);

  add_binary<AddFn, ArithmeticTypes>(r);
  add_binary<SubFn, ArithmeticTypes>(r);
  add_binary<MulFn, ArithmeticTypes>(r);
  add_binary<RealDivFn, FloatOrComplexTypes>(r);
  add_binary<FloorDivFn, RealTypes, division_kernel<FloorDivFn>>(r);
  add_binary<FloorModFn, RealTypes, division_kernel<FloorModFn>>(r);
  add_binary<PowFn, PowTypes, pow_kernel>(r);
  add_binary<MaximumFn, RealTypes>(r);
  add_binary<MinimumFn, RealTypes>(r);
  add_binary<SquaredDifferenceFn, NumericTypes>(r);
  add_binary<EqualFn, ArithmeticOrBoolTypes>(r);
  add_binary<NotEqualFn, ArithmeticOrBoolTypes>(r);
  add_binary<LessFn, RealTypes>(r);
  add_binary<LessEqualFn, RealTypes>(r);
  add_binary<GreaterFn, RealTypes>(r);
  add_binary<GreaterEqualFn, RealTypes>(r);
  add_binary<LogicalAndFn, BoolTypes>(r);
  add_binary<LogicalOrFn, BoolTypes>(r);
  add_complex_parts(r);
}

}  // namespace

void register_math_ops(OpRegistry& r) {
  add_elementwise(r);

  r.add_builtin(OpDef("AddN").variadic_input("inputs").shape(add_n_shape)
                    .forwards_input(0));
  r.add_builtin(OpDef("SelectV2").input("condition").input("t").input("e").shape(select_shape)
                    .forwards_input(1).forwards_input(2));
  r.add_builtin(OpDef("Cumsum").input("x").input("axis")
                    .attr("exclusive", AttrType::kBool, false)
                    .attr("reverse", AttrType::kBool, false)
                    .shape(cumsum_shape)
                    .forwards_input(0));

  r.add_builtin(OpDef("Cast").input("x").attr("DstT", AttrType::kType).shape(cast_shape)
                    .forwards_input(0));
}

void register_math_kernels(KernelRegistry& r) {
  add_elementwise(r);
  r.add_builtin(KernelDef("AddN", Device::kCPU).compute(add_n_kernel));
  r.add_builtin(KernelDef("SelectV2", Device::kCPU).compute(select_kernel));
  r.add_builtin(KernelDef("Cumsum", Device::kCPU).compute(cumsum_kernel));
  r.add_builtin(KernelDef("Cast", Device::kCPU).compute(cast_kernel));
}

}  // namespace tl
