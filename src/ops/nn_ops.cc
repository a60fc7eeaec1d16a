// Neural-network ops: activations (Relu6, Elu, Selu, LeakyRelu, Softplus) and the gradients
// of all activations (ReluGrad, Relu6Grad, EluGrad, SeluGrad, LeakyReluGrad, SoftplusGrad),
// Softmax and LogSoftmax, the fused softmax cross-entropies, BiasAdd and its gradient
// BiasAddGrad, and L2Loss. (Relu is in math_ops.cc.)
//
// Row ops (Softmax, LogSoftmax, the cross-entropies) see their input as [rows, classes], the
// classes being the last dim, and run rows in parallel. Each row subtracts its max before exp,
// so logits of any size give finite results. float32 loops use AVX2 (with the exp and log of
// simd_math.h) when the CPU has it; other types run generic loops.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"
#include "ops/simd_math.h"
#include "ops/simd_vec.h"

namespace tl {
namespace {

constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;

// ---- elementwise activations ----
// Each is a functor built from the op's attributes: a scalar operator() for every dtype and,
// for float32, an 8-lane vec().

struct Relu6Fn {
  static constexpr const char* kName = "Relu6";
  explicit Relu6Fn(const AttrMap&) {}
  template <typename T>
  T operator()(T x) const { return x < T(0) ? T(0) : (x > T(6) ? T(6) : x); }  // NaN passes
#if TL_HAVE_SIMD_MATH
  TL_TARGET_AVX2 __m256 vec(__m256 x) const {
    return _mm256_min_ps(_mm256_set1_ps(6.0f), _mm256_max_ps(_mm256_setzero_ps(), x));
  }
#endif
};

struct LeakyReluFn {
  static constexpr const char* kName = "LeakyRelu";
  explicit LeakyReluFn(const AttrMap& attrs) : alpha(attrs.get<double>("alpha")) {}
  template <typename T>
  T operator()(T x) const { return x > T(0) ? x : x * static_cast<T>(alpha); }
#if TL_HAVE_SIMD_MATH
  TL_TARGET_AVX2 __m256 vec(__m256 x) const {
    const __m256 scaled = _mm256_mul_ps(x, _mm256_set1_ps(static_cast<float>(alpha)));
    return _mm256_blendv_ps(scaled, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
  }
#endif
  double alpha;
};

struct EluFn {
  static constexpr const char* kName = "Elu";
  explicit EluFn(const AttrMap&) {}
  template <typename T>
  T operator()(T x) const { return x < T(0) ? std::expm1(x) : x; }
#if TL_HAVE_SIMD_MATH
  TL_TARGET_AVX2 __m256 vec(__m256 x) const { return simd::elu_ps(x); }
  TL_TARGET_AVX512 __m512 vec(__m512 x) const { return simd::elu_ps(x); }
#endif
};

struct SeluFn {
  static constexpr const char* kName = "Selu";
  explicit SeluFn(const AttrMap&) {}
  template <typename T>
  T operator()(T x) const {
    return x < T(0) ? static_cast<T>(kSeluScale * kSeluAlpha) * std::expm1(x)
                    : static_cast<T>(kSeluScale) * x;
  }
#if TL_HAVE_SIMD_MATH
  static constexpr float kNeg = static_cast<float>(kSeluScale * kSeluAlpha);
  static constexpr float kPos = static_cast<float>(kSeluScale);
  TL_TARGET_AVX2 __m256 vec(__m256 x) const { return simd::selu_ps(x, kNeg, kPos); }
  TL_TARGET_AVX512 __m512 vec(__m512 x) const { return simd::selu_ps(x, kNeg, kPos); }
#endif
};

// log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): exp never overflows, tiny results survive.
struct SoftplusFn {
  static constexpr const char* kName = "Softplus";
  explicit SoftplusFn(const AttrMap&) {}
  template <typename T>
  T operator()(T x) const {
    return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::abs(x)));
  }
#if TL_HAVE_SIMD_MATH
  TL_TARGET_AVX2 __m256 vec(__m256 x) const { return simd::softplus_ps(x); }
  TL_TARGET_AVX512 __m512 vec(__m512 x) const { return simd::softplus_ps(x); }
#endif
};

#if TL_HAVE_SIMD_MATH
// True when Fn has an AVX-512 float32 vec() of one operand.
template <typename Fn, typename = void>
struct HasVec512 : std::false_type {};
template <typename Fn>
struct HasVec512<Fn, decltype((void)std::declval<const Fn&>().vec(std::declval<__m512>()))>
    : std::true_type {};
#endif

// y[i] = fn(x[i]) with the scalar operator (vectorised by the compiler where it can).
template <typename Fn, typename T>
inline void map_scalar(const Fn& fn, const T* x, T* y, int64_t n) {
  const Fn f = fn;  // a local copy: stores to y cannot change its attributes
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

#if TL_HAVE_SIMD_MATH
template <typename Fn, typename T>
TL_TARGET_AVX2 void map_scalar_avx2(const Fn& fn, const T* x, T* y, int64_t n) {
  map_scalar(fn, x, y, n);
}
#endif

template <typename Fn, typename List, int64_t kGrain>
Status activation_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Fn fn(ctx.attrs());
  return dispatch(List{}, x.dtype(), Fn::kName, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* py = ctx.output(0).data<T>();
    void (*map)(const Fn&, const T*, T*, int64_t) = &map_scalar<Fn, T>;
#if TL_HAVE_SIMD_MATH
    if (cpu_has_avx2()) {
      if constexpr (std::is_same_v<T, float>) {
        map = &simd::map_ps<Fn>;
        if constexpr (HasVec512<Fn>::value) {
          if (float_lanes_in_use() >= 16) map = &simd::map_ps512<Fn>;
        }
      } else {
        map = &map_scalar_avx2<Fn, T>;
      }
    }
#endif
    ctx.parallel_for(x.num_elements(), kGrain,
                     [&](int64_t b, int64_t e) { map(fn, px + b, py + b, e - b); });
  });
}

// ---- activation gradients ----
// Each maps (gradients, x) to the backprop, where x is the activation's features or its
// outputs (as TF1's op of that name takes it): a scalar operator(), a float32 vec() and,
// where no transcendental function is needed, a float64 vec(). (gcc does not vectorise the
// scalar selects of float64 itself: they may trap.)

struct ReluGradFn {
  static constexpr const char* kName = "ReluGrad";
  explicit ReluGradFn(const AttrMap&) {}
  template <typename T>
  T operator()(T g, T x) const { return x > T(0) ? g : T(0); }
#if TL_HAVE_SIMD_MATH
  TL_TARGET_AVX2 __m256 vec(__m256 g, __m256 x) const {
    return _mm256_and_ps(g, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
  }
  TL_TARGET_AVX2 __m256d vec(__m256d g, __m256d x) const {
    return _mm256_and_pd(g, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GT_OQ));
  }
#endif
};

struct Relu6GradFn {
  static constexpr const char* kName = "Relu6Grad";
  explicit Relu6GradFn(const AttrMap&) {}
  template <typename T>
  T operator()(T g, T x) const { return x > T(0) && x < T(6) ? g : T(0); }
#if TL_HAVE_SIMD_MATH
  TL_TARGET_AVX2 __m256 vec(__m256 g, __m256 x) const {
    const __m256 inside = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ),
                                        _mm256_cmp_ps(x, _mm256_set1_ps(6.0f), _CMP_LT_OQ));
    return _mm256_and_ps(g, inside);
  }
  TL_TARGET_AVX2 __m256d vec(__m256d g, __m256d x) const {
    const __m256d inside = _mm256_and_pd(_mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GT_OQ),
                                         _mm256_cmp_pd(x, _mm256_set1_pd(6.0), _CMP_LT_OQ));
    return _mm256_and_pd(g, inside);
  }
#endif
};

struct LeakyReluGradFn {
  static constexpr const char* kName = "LeakyReluGrad";
  explicit LeakyReluGradFn(const AttrMap& attrs) : alpha(attrs.get<double>("alpha")) {}
  template <typename T>
  T operator()(T g, T x) const { return x > T(0) ? g : g * static_cast<T>(alpha); }
#if TL_HAVE_SIMD_MATH
  TL_TARGET_AVX2 __m256 vec(__m256 g, __m256 x) const {
    const __m256 scaled = _mm256_mul_ps(g, _mm256_set1_ps(static_cast<float>(alpha)));
    return _mm256_blendv_ps(scaled, g, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
  }
  TL_TARGET_AVX2 __m256d vec(__m256d g, __m256d x) const {
    const __m256d scaled = _mm256_mul_pd(g, _mm256_set1_pd(alpha));
    return _mm256_blendv_pd(scaled, g, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GT_OQ));
  }
#endif
  double alpha;
};

// x is Elu's output: d/dx expm1(x) = expm1(x) + 1.
struct EluGradFn {
  static constexpr const char* kName = "EluGrad";
  explicit EluGradFn(const AttrMap&) {}
  template <typename T>
  T operator()(T g, T y) const { return y < T(0) ? g * (y + T(1)) : g; }
#if TL_HAVE_SIMD_MATH
  TL_TARGET_AVX2 __m256 vec(__m256 g, __m256 y) const {
    const __m256 neg = _mm256_mul_ps(g, _mm256_add_ps(y, _mm256_set1_ps(1.0f)));
    return _mm256_blendv_ps(g, neg, _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_LT_OQ));
  }
  TL_TARGET_AVX2 __m256d vec(__m256d g, __m256d y) const {
    const __m256d neg = _mm256_mul_pd(g, _mm256_add_pd(y, _mm256_set1_pd(1.0)));
    return _mm256_blendv_pd(g, neg, _mm256_cmp_pd(y, _mm256_setzero_pd(), _CMP_LT_OQ));
  }
#endif
};

// x is Selu's output: below 0, d/dx (scale * alpha * expm1(x)) = y + scale * alpha.
struct SeluGradFn {
  static constexpr const char* kName = "SeluGrad";
  explicit SeluGradFn(const AttrMap&) {}
  template <typename T>
  T operator()(T g, T y) const {
    return y < T(0) ? g * (y + static_cast<T>(kSeluScale * kSeluAlpha))
                    : g * static_cast<T>(kSeluScale);
  }
#if TL_HAVE_SIMD_MATH
  TL_TARGET_AVX2 __m256 vec(__m256 g, __m256 y) const {
    const __m256 neg = _mm256_mul_ps(
        g, _mm256_add_ps(y, _mm256_set1_ps(static_cast<float>(kSeluScale * kSeluAlpha))));
    const __m256 pos = _mm256_mul_ps(g, _mm256_set1_ps(static_cast<float>(kSeluScale)));
    return _mm256_blendv_ps(pos, neg, _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_LT_OQ));
  }
  TL_TARGET_AVX2 __m256d vec(__m256d g, __m256d y) const {
    const __m256d neg = _mm256_mul_pd(g, _mm256_add_pd(y, _mm256_set1_pd(kSeluScale * kSeluAlpha)));
    const __m256d pos = _mm256_mul_pd(g, _mm256_set1_pd(kSeluScale));
    return _mm256_blendv_pd(pos, neg, _mm256_cmp_pd(y, _mm256_setzero_pd(), _CMP_LT_OQ));
  }
#endif
};

// d/dx softplus(x) = sigmoid(x) = 1 / (1 + exp(-x)).
struct SoftplusGradFn {
  static constexpr const char* kName = "SoftplusGrad";
  explicit SoftplusGradFn(const AttrMap&) {}
  template <typename T>
  T operator()(T g, T x) const { return g / (T(1) + std::exp(-x)); }
#if TL_HAVE_SIMD_MATH
  TL_TARGET_AVX2 __m256 vec(__m256 g, __m256 x) const { return simd::softplus_grad_ps(g, x); }
  TL_TARGET_AVX512 __m512 vec(__m512 g, __m512 x) const {
    return simd::softplus_grad_ps(g, x);
  }
#endif
};

// out[i] = fn(g[i], x[i]) with the scalar operator.
template <typename Fn, typename T>
inline void map2_scalar(const Fn& fn, const T* g, const T* x, T* out, int64_t n) {
  const Fn f = fn;
  for (int64_t i = 0; i < n; ++i) out[i] = f(g[i], x[i]);
}

#if TL_HAVE_SIMD_MATH
template <typename Fn, typename T>
TL_TARGET_AVX2 void map2_scalar_avx2(const Fn& fn, const T* g, const T* x, T* out, int64_t n) {
  map2_scalar(fn, g, x, out, n);
}

// The float64 version of simd::map2_ps, 4 at a time (for functors with a float64 vec).
template <typename Fn>
TL_TARGET_AVX2 void map2_pd(const Fn& fn, const double* g, const double* x, double* out,
                            int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    _mm256_storeu_pd(out + i, fn.vec(_mm256_loadu_pd(g + i), _mm256_loadu_pd(x + i)));
  }
  for (; i < n; ++i) out[i] = fn(g[i], x[i]);
}

// True when Fn has a float64 vec().
template <typename Fn, typename = void>
struct HasVecPd : std::false_type {};
template <typename Fn>
struct HasVecPd<Fn, decltype((void)std::declval<const Fn&>().vec(_mm256_setzero_pd(),
                                                                  _mm256_setzero_pd()))>
    : std::true_type {};
// True when Fn has an AVX-512 float32 vec() of two operands.
template <typename Fn, typename = void>
struct HasVec2x512 : std::false_type {};
template <typename Fn>
struct HasVec2x512<Fn, decltype((void)std::declval<const Fn&>().vec(std::declval<__m512>(),
                                                                     std::declval<__m512>()))>
    : std::true_type {};
#endif

// (gradients, x) of one float dtype and one shape -> backprops of that shape.
Status activation_grad_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  Shape out;
  if (!ctx.input_shape(0).merge(ctx.input_shape(1), &out).ok()) {
    return shape_error(ctx, "gradients and features must have the same shape, got " +
                                ctx.input_shape(0).to_string() + " and " +
                                ctx.input_shape(1).to_string());
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// The loop out[i] = fn(g[i], x[i]) for T on this CPU.
template <typename Fn, typename T>
auto activation_grad_map() {
  void (*map)(const Fn&, const T*, const T*, T*, int64_t) = &map2_scalar<Fn, T>;
#if TL_HAVE_SIMD_MATH
  if (cpu_has_avx2()) {
    if constexpr (std::is_same_v<T, float>) {
      map = &simd::map2_ps<Fn>;
      if constexpr (HasVec2x512<Fn>::value) {
        if (float_lanes_in_use() >= 16) map = &simd::map2_ps512<Fn>;
      }
    } else if constexpr (HasVecPd<Fn>::value) {
      map = &map2_pd<Fn>;
    } else {
      map = &map2_scalar_avx2<Fn, T>;
    }
  }
#endif
  return map;
}

template <typename Fn, int64_t kGrain>
Status activation_grad_kernel(KernelContext& ctx) {
  const Tensor& g = ctx.input(0);
  const Tensor& x = ctx.input(1);
  TL_RETURN_IF_ERROR(check_activation_grad_shapes(Fn::kName, g, x));
  const Fn fn(ctx.attrs());
  return dispatch(FloatTypes{}, g.dtype(), Fn::kName, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pg = g.data<T>();
    const T* px = x.data<T>();
    T* out = ctx.output(0).data<T>();
    const auto map = activation_grad_map<Fn, T>();
    ctx.parallel_for(g.num_elements(), kGrain, [&](int64_t b, int64_t e) {
      map(fn, pg + b, px + b, out + b, e - b);
    });
  });
}

// The pair span form of an activation gradient without attributes (see PairSpanFn): the
// gradients are the chain's value, the features the operand read beside it (v_first is never
// set: the executor puts a value read only here first, and the features are read by the
// forward pass too).
template <typename Fn, typename T>
void activation_grad_pair_span(const void* x, const void* v, bool v_first, void* y,
                               int64_t n) {
  static const AttrMap kNoAttrs;
  const Fn fn(kNoAttrs);
  const T *g = static_cast<const T*>(x), *features = static_cast<const T*>(v);
  if (v_first) std::swap(g, features);
  activation_grad_map<Fn, T>()(fn, g, features, static_cast<T*>(y), n);
}

// ---- row math: the loops of the softmax family, generic and float32 AVX2 ----

template <typename T>
struct GenericRows {
  using Acc = double;  // float32 rows are summed in double
  static T max(const T* x, int64_t n) {
    T m = x[0];
    for (int64_t i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
  }
  // y[i] = exp(x[i] - m); returns their sum.
  static Acc exp_sum(const T* x, T m, T* y, int64_t n) {
    Acc sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      y[i] = std::exp(x[i] - m);
      sum += y[i];
    }
    return sum;
  }
  // The sum of exp(x[i] - m).
  static Acc sum_exp(const T* x, T m, int64_t n) {
    Acc sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - m);
    return sum;
  }
  static void scale(T* y, int64_t n, T s) {
    for (int64_t i = 0; i < n; ++i) y[i] *= s;
  }
  static void shift(const T* x, T c, T* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] - c;
  }
  // bp[i] = bp[i] * inv - labels[i]; returns sum(labels[i] * (log_sum - (x[i] - m))).
  static Acc xent(const T* x, const T* labels, T m, T log_sum, T inv, T* bp, int64_t n) {
    Acc loss = 0;
    for (int64_t i = 0; i < n; ++i) {
      loss += labels[i] * (log_sum - (x[i] - m));
      bp[i] = bp[i] * inv - labels[i];
    }
    return loss;
  }
};

#if TL_HAVE_SIMD_MATH
struct Avx2Rows {
  using Acc = float;
  TL_TARGET_AVX2 static float max(const float* x, int64_t n) {
    __m256 m = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, m);
    float r = lanes[0];
    for (int k = 1; k < 8; ++k) r = std::max(r, lanes[k]);
    for (; i < n; ++i) r = std::max(r, x[i]);
    return r;
  }
  TL_TARGET_AVX2 static float exp_sum(const float* x, float m, float* y, int64_t n) {
    return exp_sum_from(x, m, y, 0, n, _mm256_setzero_ps());
  }
  // exp_sum from element i on, with the 8 lanes' sums so far.
  TL_TARGET_AVX2 static float exp_sum_from(const float* x, float m, float* y, int64_t i,
                                           int64_t n, __m256 sum) {
    const __m256 vm = _mm256_set1_ps(m);
    for (; i + 8 <= n; i += 8) {
      const __m256 e = simd::exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
      _mm256_storeu_ps(y + i, e);
      sum = _mm256_add_ps(sum, e);
    }
    if (i < n) {
      // The last values under a mask, the lanes past them -inf (exp gives 0; NaN when the
      // row is NaN anyway): no copy through a buffer, whose scalar stores the vector load
      // would wait on.
      const __m256i in = Avx2Vec<float>::first(static_cast<int>(n - i));
      const __m256 v = _mm256_blendv_ps(_mm256_set1_ps(-std::numeric_limits<float>::infinity()),
                                        _mm256_maskload_ps(x + i, in), _mm256_castsi256_ps(in));
      const __m256 e = simd::exp_ps(_mm256_sub_ps(v, vm));
      _mm256_maskstore_ps(y + i, in, e);
      sum = _mm256_add_ps(sum, e);
    }
    return simd::hsum_ps(sum);
  }
  TL_TARGET_AVX2 static float sum_exp(const float* x, float m, int64_t n) {
    return sum_exp_from(x, m, 0, n, _mm256_setzero_ps());
  }
  // sum_exp from element i on, with the 8 lanes' sums so far.
  TL_TARGET_AVX2 static float sum_exp_from(const float* x, float m, int64_t i, int64_t n,
                                           __m256 sum) {
    const __m256 vm = _mm256_set1_ps(m);
    for (; i + 8 <= n; i += 8) {
      sum = _mm256_add_ps(sum, simd::exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm)));
    }
    float total = simd::hsum_ps(sum);
    for (; i < n; ++i) total += std::exp(x[i] - m);
    return total;
  }
  TL_TARGET_AVX2 static void scale(float* y, int64_t n, float s) {
    for (int64_t i = 0; i < n; ++i) y[i] *= s;
  }
  TL_TARGET_AVX2 static void shift(const float* x, float c, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] - c;
  }
  TL_TARGET_AVX2 static float xent(const float* x, const float* labels, float m, float log_sum,
                                   float inv, float* bp, int64_t n) {
    const __m256 vc = _mm256_set1_ps(log_sum + m), vinv = _mm256_set1_ps(inv);
    __m256 loss = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 l = _mm256_loadu_ps(labels + i);
      loss = _mm256_fmadd_ps(l, _mm256_sub_ps(vc, _mm256_loadu_ps(x + i)), loss);
      _mm256_storeu_ps(bp + i, _mm256_fmsub_ps(_mm256_loadu_ps(bp + i), vinv, l));
    }
    float total = simd::hsum_ps(loss);
    for (; i < n; ++i) {
      total += labels[i] * (log_sum - (x[i] - m));
      bp[i] = bp[i] * inv - labels[i];
    }
    return total;
  }
};

// Avx2Rows with the exponentials 16 at a time in AVX-512 vectors. The sums still go 8 lanes
// wide in the same order (each vector's low half, then its high half; the last values as
// Avx2Rows takes them), so that both widths give the same bits.
// NOTE: GCC 12 warns that _mm512_castps512_ps256's undefined pass-through operand "may be used
// uninitialized"; it is undefined on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
struct Avx512Rows : Avx2Rows {
  TL_TARGET_AVX512 static float exp_sum(const float* x, float m, float* y, int64_t n) {
    __m256 sum = _mm256_setzero_ps();
    const int64_t i = exp_vectors(x, m, y, n, sum);
    return exp_sum_from(x, m, y, i, n, sum);
  }
  TL_TARGET_AVX512 static float sum_exp(const float* x, float m, int64_t n) {
    __m256 sum = _mm256_setzero_ps();
    const int64_t i = exp_vectors(x, m, nullptr, n, sum);
    return sum_exp_from(x, m, i, n, sum);
  }
  // exp(x[i] - m) for the whole vectors of 16, stored to y when given and added to `sum`;
  // returns how many values they cover.
  TL_TARGET_AVX512 static int64_t exp_vectors(const float* x, float m, float* y, int64_t n,
                                              __m256& sum) {
    const __m512 vm = _mm512_set1_ps(m);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
      const __m512 e = simd::exp_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm));
      if (y) _mm512_storeu_ps(y + i, e);
      sum = _mm256_add_ps(sum, _mm512_castps512_ps256(e));
      sum = _mm256_add_ps(sum, _mm512_extractf32x8_ps(e, 1));
    }
    return i;
  }
};
#pragma GCC diagnostic pop
#endif

// Rows per task: about kTranscendentalGrain elements.
int64_t row_grain(int64_t classes) {
  return std::max<int64_t>(1, kTranscendentalGrain / std::max<int64_t>(1, classes));
}

// Calls fn(Rows{}) with the row math for T: for float32 AVX-512 or AVX2 (float_lanes_in_use)
// when the CPU has it.
template <typename T, typename F>
void with_rows(F&& fn) {
#if TL_HAVE_SIMD_MATH
  if constexpr (std::is_same_v<T, float>) {
    if (cpu_has_avx2()) {
      if (float_lanes_in_use() >= 16) return fn(Avx512Rows{});
      return fn(Avx2Rows{});
    }
  }
#endif
  fn(GenericRows<T>{});
}

// ---- Softmax, LogSoftmax ----

Status softmax_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, kMaxRank));
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

template <bool kLog>
Status softmax_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return dispatch(FloatTypes{}, x.dtype(), kLog ? "LogSoftmax" : "Softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t classes = x.shape().dim(x.shape().rank() - 1);
    if (classes == 0) return;
    const int64_t rows = x.num_elements() / classes;
    const T* px = x.data<T>();
    T* py = ctx.output(0).data<T>();
    with_rows<T>([&](auto rows_math) {
      using R = decltype(rows_math);
      ctx.parallel_for(rows, row_grain(classes), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const T* xr = px + r * classes;
          T* yr = py + r * classes;
          const T m = R::max(xr, classes);
          if (kLog) {  // y may be x's buffer: x is read to the end before y is written
            R::shift(xr, m + static_cast<T>(std::log(R::sum_exp(xr, m, classes))), yr, classes);
          } else {
            R::scale(yr, classes, static_cast<T>(1 / R::exp_sum(xr, m, yr, classes)));
          }
        }
      });
    });
  });
}

// ---- SoftmaxCrossEntropyWithLogits, SparseSoftmaxCrossEntropyWithLogits ----
// Outputs: loss (the input's shape without its last dim) and backprop (softmax - labels).

void set_xent_outputs(InferenceContext& ctx, const Shape& logits) {
  const DType t = ctx.input_dtype(0);
  if (!logits.rank_known()) {
    ctx.set_output(0, t, Shape::unknown());
  } else {
    Shape loss;
    for (int i = 0; i + 1 < logits.rank(); ++i) loss.add_dim(logits.dim(i));
    ctx.set_output(0, t, loss);
  }
  ctx.set_output(1, t, logits);
}

Status xent_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, kMaxRank));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, kMaxRank));
  Shape logits;
  if (!ctx.input_shape(0).merge(ctx.input_shape(1), &logits).ok()) {
    return shape_error(ctx, "logits and labels must be the same size: logits_size=" +
                                ctx.input_shape(0).to_string() +
                                " labels_size=" + ctx.input_shape(1).to_string());
  }
  set_xent_outputs(ctx, logits);
  return Status::OK();
}

// NOTE: the kernels below check their inputs' shapes against each other again: the shape
// function does not run again when the outputs' shapes were fully known while building.

Status xent_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (!(ctx.input(1).shape() == x.shape())) {
    return invalid_argument("logits and labels must be the same size: logits_size=" +
                            x.shape().to_string() +
                            " labels_size=" + ctx.input(1).shape().to_string());
  }
  return dispatch(FloatTypes{}, x.dtype(), "SoftmaxCrossEntropyWithLogits", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t classes = x.shape().dim(x.shape().rank() - 1);
    T* loss = ctx.output(0).data<T>();
    if (classes == 0) {
      std::fill(loss, loss + ctx.output(0).num_elements(), T(0));
      return;
    }
    const int64_t rows = x.num_elements() / classes;
    const T* px = x.data<T>();
    const T* labels = ctx.input(1).data<T>();
    T* bp = ctx.output(1).data<T>();
    with_rows<T>([&](auto rows_math) {
      using R = decltype(rows_math);
      ctx.parallel_for(rows, row_grain(classes), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const int64_t off = r * classes;
          const T m = R::max(px + off, classes);
          const auto sum = R::exp_sum(px + off, m, bp + off, classes);
          loss[r] = static_cast<T>(R::xent(px + off, labels + off, m,
                                           static_cast<T>(std::log(sum)),
                                           static_cast<T>(1 / sum), bp + off, classes));
        }
      });
    });
  });
}

Status sparse_xent_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, kMaxRank));
  const Shape& features = ctx.input_shape(0);
  const Shape& labels = ctx.input_shape(1);
  Shape logits = features;
  if (labels.rank_known()) {
    if (features.rank_known() && labels.rank() != features.rank() - 1) {
      return shape_error(ctx, "Rank of labels (received " + std::to_string(labels.rank()) +
                                  ") should equal rank of logits minus 1 (received " +
                                  std::to_string(features.rank()) + ")");
    }
    Shape from_labels = labels;
    from_labels.add_dim(features.rank_known() ? features.dim(features.rank() - 1)
                                              : kUnknownDim);
    if (labels.rank() + 1 > kMaxRank || !features.merge(from_labels, &logits).ok()) {
      return shape_error(ctx, "logits and labels must have the same first dimensions, got "
                              "logits shape " + features.to_string() + " and labels shape " +
                              labels.to_string());
    }
  }
  set_xent_outputs(ctx, logits);
  return Status::OK();
}

Status sparse_xent_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& labels = ctx.input(1);
  const int64_t classes = x.shape().dim(x.shape().rank() - 1);
  const int64_t rows = labels.num_elements();
  TL_RETURN_IF_ERROR(check_sparse_xent_shapes(x, labels));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t label = int_element(labels, r);
    if (label < 0 || label >= classes) {
      return invalid_argument("Received a label value of " + std::to_string(label) +
                              " which is outside the valid range of [0, " +
                              std::to_string(classes) + ") (in row " + std::to_string(r) +
                              " of the labels)");
    }
  }
  return dispatch(FloatTypes{}, x.dtype(), "SparseSoftmaxCrossEntropyWithLogits", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* loss = ctx.output(0).data<T>();
    T* bp = ctx.output(1).data<T>();
    with_rows<T>([&](auto rows_math) {
      using R = decltype(rows_math);
      ctx.parallel_for(rows, row_grain(classes), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const int64_t off = r * classes;
          const int64_t label = int_element(labels, r);
          const T m = R::max(px + off, classes);
          const auto sum = R::exp_sum(px + off, m, bp + off, classes);
          R::scale(bp + off, classes, static_cast<T>(1 / sum));
          bp[off + label] -= T(1);
          loss[r] = static_cast<T>(std::log(sum)) - (px[off + label] - m);
        }
      });
    });
  });
}

// ---- BiasAdd ----

// Axis of the bias in a value of rank `rank`: the last (NHWC) or third from last (NCHW).
int bias_axis(const AttrMap& attrs, int rank) {
  return attrs.get<std::string>("data_format") == "NCHW" ? rank - 3 : rank - 1;
}

Status bias_add_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  const std::string& format = ctx.attrs().get<std::string>("data_format");
  if (format != "NHWC" && format != "NCHW") {
    return shape_error(ctx, "Invalid data_format '" + format + "' (NHWC or NCHW)");
  }
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, format == "NCHW" ? 3 : 2, kMaxRank));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, 1));
  Shape out = ctx.input_shape(0);
  if (out.rank_known()) {
    const int axis = bias_axis(ctx.attrs(), out.rank());
    const Shape& bias = ctx.input_shape(1);
    const int64_t want = out.dim(axis);
    const int64_t got = bias.rank_known() ? bias.dim(0) : kUnknownDim;
    if (want >= 0 && got >= 0 && want != got) {
      return shape_error(ctx, "Dimensions must be equal, but are " + std::to_string(want) +
                                  " and " + std::to_string(got));
    }
    if (want < 0) out.set_dim(axis, got);
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// y[i] = x[i] + b[i] over `n` elements, or + b[0] when `broadcast`.
template <typename T>
inline void add_row(const T* x, const T* b, bool broadcast, T* y, int64_t n) {
  if (broadcast) {
    const T bv = *b;
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] + bv;
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] + b[i];
  }
}

#if TL_HAVE_SIMD_MATH
template <typename T>
TL_TARGET_AVX2 void add_row_avx2(const T* x, const T* b, bool broadcast, T* y, int64_t n) {
  add_row(x, b, broadcast, y, n);
}
#endif

// BiasAdd's pair span (op_registry.h): value + bias, one row segment at a time.
template <typename T>
void bias_add_pair_span(const void* x, const void* b, bool, void* y, int64_t n) {
  auto row_fn = &add_row<T>;
#if TL_HAVE_SIMD_MATH
  if (cpu_has_avx2()) row_fn = &add_row_avx2<T>;
#endif
  row_fn(static_cast<const T*>(x), static_cast<const T*>(b), false, static_cast<T*>(y), n);
}

Status bias_add_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& bias = ctx.input(1);
  const int rank = x.shape().rank();
  const int axis = bias_axis(ctx.attrs(), rank);
  const int64_t channels = bias.num_elements();
  if (channels != x.shape().dim(axis)) {
    return invalid_argument("Must provide as many biases as the channel dimension of the "
                            "input tensor: " + bias.shape().to_string() + " vs. " +
                            x.shape().to_string());
  }
  int64_t inner = 1;
  for (int d = axis + 1; d < rank; ++d) inner *= x.shape().dim(d);
  return dispatch(NumericTypes{}, x.dtype(), "BiasAdd", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    const T* pb = bias.data<T>();
    T* py = ctx.output(0).data<T>();
    if (x.num_elements() == 0) return;
    // NHWC: rows of `channels` values plus the whole bias; NCHW: rows of `inner` values plus
    // one bias value each.
    const bool nchw = axis != rank - 1;
    const int64_t row_len = nchw ? inner : channels;
    const int64_t rows = x.num_elements() / row_len;
    auto row_fn = &add_row<T>;
#if TL_HAVE_SIMD_MATH
    if (cpu_has_avx2()) row_fn = &add_row_avx2<T>;
#endif
    ctx.parallel_for(rows, kElementwiseGrain / row_len + 1, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        row_fn(px + r * row_len, nchw ? pb + r % channels : pb, nchw, py + r * row_len,
               row_len);
      }
    });
  });
}

// ---- BiasAddGrad ----

// out_backprop -> its sums over every dim but the bias axis: [channels].
Status bias_add_grad_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  const std::string& format = ctx.attrs().get<std::string>("data_format");
  if (format != "NHWC" && format != "NCHW") {
    return shape_error(ctx, "Invalid data_format '" + format + "' (NHWC or NCHW)");
  }
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, format == "NCHW" ? 3 : 2, kMaxRank));
  const Shape& in = ctx.input_shape(0);
  ctx.set_output(0, ctx.input_dtype(0),
                 Shape({in.rank_known() ? in.dim(bias_axis(ctx.attrs(), in.rank()))
                                        : kUnknownDim}));
  return Status::OK();
}

// acc[c] += x[r * channels + c] over rows [0, rows): whole rows of NHWC, vectorised along c.
template <typename T>
inline void add_rows(const T* x, int64_t rows, int64_t channels, T* acc) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = x + r * channels;
    for (int64_t c = 0; c < channels; ++c) acc[c] += row[c];
  }
}

// The sum of n values in 128 bytes of independent lanes (vectorised without -ffast-math).
template <typename T>
inline T sum_row(const T* x, int64_t n) {
  constexpr int kLanes = 128 / sizeof(T);
  T lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) lanes[k] += x[i + k];
  }
  for (; i < n; ++i) lanes[0] += x[i];
  T total = 0;
  for (int k = 0; k < kLanes; ++k) total += lanes[k];
  return total;
}

#if TL_HAVE_SIMD_MATH
template <typename T>
TL_TARGET_AVX2 void add_rows_avx2(const T* x, int64_t rows, int64_t channels, T* acc) {
  add_rows(x, rows, channels, acc);
}
template <typename T>
TL_TARGET_AVX2 T sum_row_avx2(const T* x, int64_t n) {
  return sum_row(x, n);
}
#endif

// Rows of NHWC out_backprop per partial sum: partial sums are added in order, so the result
// does not depend on the thread count.
constexpr int64_t kBiasPieceElements = 1 << 14;

Status bias_add_grad_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int rank = x.shape().rank();
  const int axis = bias_axis(ctx.attrs(), rank);
  const int64_t channels = x.shape().dim(axis);
  int64_t inner = 1;
  for (int d = axis + 1; d < rank; ++d) inner *= x.shape().dim(d);
  return dispatch(NumericTypes{}, x.dtype(), "BiasAddGrad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* out = ctx.output(0).data<T>();
    std::fill(out, out + channels, T(0));
    if (x.num_elements() == 0) return;
    if (axis == rank - 1) {
      auto rows_fn = &add_rows<T>;
#if TL_HAVE_SIMD_MATH
      if (cpu_has_avx2()) rows_fn = &add_rows_avx2<T>;
#endif
      const int64_t rows = x.num_elements() / channels;
      const int64_t piece = std::max<int64_t>(1, kBiasPieceElements / channels);
      const int64_t pieces = (rows + piece - 1) / piece;
      std::vector<T> partial(static_cast<size_t>(pieces * channels), T(0));
      ctx.parallel_for(pieces, 1, [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
          rows_fn(px + p * piece * channels, std::min(piece, rows - p * piece), channels,
                  partial.data() + p * channels);
        }
      });
      for (int64_t p = 0; p < pieces; ++p) {
        for (int64_t c = 0; c < channels; ++c) out[c] += partial[p * channels + c];
      }
      return;
    }
    // NCHW: rows of `inner` values, row r belonging to channel r % channels.
    auto row_fn = &sum_row<T>;
#if TL_HAVE_SIMD_MATH
    if (cpu_has_avx2()) row_fn = &sum_row_avx2<T>;
#endif
    const int64_t batch = x.num_elements() / (channels * inner);
    ctx.parallel_for(channels, kElementwiseGrain / (batch * inner) + 1,
                     [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        T total = 0;
        for (int64_t n = 0; n < batch; ++n) total += row_fn(px + (n * channels + c) * inner, inner);
        out[c] = total;
      }
    });
  });
}

// ---- L2Loss ----

Status l2_loss_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  ctx.set_output(0, ctx.input_dtype(0), Shape());
  return Status::OK();
}

// Elements per partial sum; partial sums are added in order, so the result does not depend
// on the thread count.
constexpr int64_t kL2Piece = 1 << 14;

// Sum of squares of n values: 128 bytes of independent lanes (vectorised without -ffast-math,
// four AVX2 accumulators) over blocks of 1024, block sums added in double.
template <typename T>
inline double sum_squares(const T* x, int64_t n) {
  constexpr int kLanes = 128 / sizeof(T);
  constexpr int64_t kBlock = 1024;
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const T* q = x + b;
    const int64_t len = std::min(kBlock, n - b);
    T lanes[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= len; i += kLanes) {
      for (int k = 0; k < kLanes; ++k) lanes[k] += q[i + k] * q[i + k];
    }
    for (; i < len; ++i) lanes[0] += q[i] * q[i];
    T block = 0;
    for (int k = 0; k < kLanes; ++k) block += lanes[k];
    total += block;
  }
  return total;
}

#if TL_HAVE_SIMD_MATH
template <typename T>
TL_TARGET_AVX2 double sum_squares_avx2(const T* x, int64_t n) {
  return sum_squares(x, n);
}
#endif

Status l2_loss_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return dispatch(FloatTypes{}, x.dtype(), "L2Loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    const int64_t n = x.num_elements();
    auto sum_fn = &sum_squares<T>;
#if TL_HAVE_SIMD_MATH
    if (cpu_has_avx2()) sum_fn = &sum_squares_avx2<T>;
#endif
    const int64_t pieces = (n + kL2Piece - 1) / kL2Piece;
    std::vector<double> partial(static_cast<size_t>(pieces));
    ctx.parallel_for(pieces, 4, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        partial[p] = sum_fn(px + p * kL2Piece, std::min(kL2Piece, n - p * kL2Piece));
      }
    });
    double total = 0;
    for (double s : partial) total += s;
    ctx.output(0).data<T>()[0] = static_cast<T>(total / 2);
  });
}

}  // namespace

void register_nn_ops(OpRegistry& r) {
  r.add_builtin(
      OpDef("Relu6").input("features").shape(unary_shape<NumericTypes>)
          .forwards_input(0));
  r.add_builtin(
      OpDef("LeakyRelu").input("features").attr("alpha", AttrType::kFloat, 0.2)
          .shape(unary_shape<FloatTypes>)
          .forwards_input(0));
  r.add_builtin(
      OpDef("Elu").input("features").shape(unary_shape<FloatTypes>)
          .forwards_input(0));
  r.add_builtin(
      OpDef("Selu").input("features").shape(unary_shape<FloatTypes>)
          .forwards_input(0));
  r.add_builtin(
      OpDef("Softplus").input("features").shape(unary_shape<FloatTypes>)
          .forwards_input(0));

  r.add_builtin(OpDef("ReluGrad").input("gradients").input("features")
                    .shape(activation_grad_shape)
                    .forwards_input(0));
  r.add_builtin(OpDef("Relu6Grad").input("gradients").input("features")
                    .shape(activation_grad_shape)
                    .forwards_input(0));
  r.add_builtin(
      OpDef("LeakyReluGrad").input("gradients").input("features")
          .attr("alpha", AttrType::kFloat, 0.2).shape(activation_grad_shape)
          .forwards_input(0));
  r.add_builtin(OpDef("EluGrad").input("gradients").input("outputs")
                    .shape(activation_grad_shape)
                    .forwards_input(0));
  r.add_builtin(OpDef("SeluGrad").input("gradients").input("outputs")
                    .shape(activation_grad_shape)
                    .forwards_input(0));
  r.add_builtin(
      OpDef("SoftplusGrad").input("gradients").input("features").shape(activation_grad_shape)
          .forwards_input(0));

  r.add_builtin(OpDef("Softmax").input("logits").shape(softmax_shape)
                    .forwards_input(0));
  r.add_builtin(OpDef("LogSoftmax").input("logits").shape(softmax_shape)
                    .forwards_input(0));
  r.add_builtin(OpDef("SoftmaxCrossEntropyWithLogits").input("features").input("labels")
                    .outputs(2).shape(xent_shape));
  r.add_builtin(OpDef("SparseSoftmaxCrossEntropyWithLogits").input("features").input("labels")
                    .outputs(2).shape(sparse_xent_shape));

  r.add_builtin(OpDef("BiasAdd").input("value").input("bias")
                    .attr("data_format", AttrType::kString, std::string("NHWC"))
                    .shape(bias_add_shape)
                    .forwards_input(0));
  r.add_builtin(OpDef("BiasAddGrad").input("out_backprop")
                    .attr("data_format", AttrType::kString, std::string("NHWC"))
                    .shape(bias_add_grad_shape));
  r.add_builtin(OpDef("L2Loss").input("t").shape(l2_loss_shape));
}

void register_nn_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("Relu6", Device::kCPU)
                    .compute(activation_kernel<Relu6Fn, NumericTypes, kElementwiseGrain>));
  r.add_builtin(KernelDef("LeakyRelu", Device::kCPU)
                    .compute(activation_kernel<LeakyReluFn, FloatTypes, kElementwiseGrain>));
  r.add_builtin(KernelDef("Elu", Device::kCPU)
                    .compute(activation_kernel<EluFn, FloatTypes, kTranscendentalGrain>));
  r.add_builtin(KernelDef("Selu", Device::kCPU)
                    .compute(activation_kernel<SeluFn, FloatTypes, kTranscendentalGrain>));
  r.add_builtin(KernelDef("Softplus", Device::kCPU)
                    .compute(activation_kernel<SoftplusFn, FloatTypes, kTranscendentalGrain>));
  r.add_builtin(KernelDef("ReluGrad", Device::kCPU)
                    .compute(activation_grad_kernel<ReluGradFn, kElementwiseGrain>)
                    .pair_span(DType::kFloat32, activation_grad_pair_span<ReluGradFn, float>)
                    .pair_span(DType::kFloat64, activation_grad_pair_span<ReluGradFn, double>));
  r.add_builtin(KernelDef("Relu6Grad", Device::kCPU)
                    .compute(activation_grad_kernel<Relu6GradFn, kElementwiseGrain>)
                    .pair_span(DType::kFloat32, activation_grad_pair_span<Relu6GradFn, float>)
                    .pair_span(DType::kFloat64, activation_grad_pair_span<Relu6GradFn, double>));
  r.add_builtin(KernelDef("LeakyReluGrad", Device::kCPU)
                    .compute(activation_grad_kernel<LeakyReluGradFn, kElementwiseGrain>));
  r.add_builtin(KernelDef("EluGrad", Device::kCPU)
                    .compute(activation_grad_kernel<EluGradFn, kElementwiseGrain>));
  r.add_builtin(KernelDef("SeluGrad", Device::kCPU)
                    .compute(activation_grad_kernel<SeluGradFn, kElementwiseGrain>));
  r.add_builtin(KernelDef("SoftplusGrad", Device::kCPU)
                    .compute(activation_grad_kernel<SoftplusGradFn, kTranscendentalGrain>));
  r.add_builtin(KernelDef("Softmax", Device::kCPU).compute(softmax_kernel<false>));
  r.add_builtin(KernelDef("LogSoftmax", Device::kCPU).compute(softmax_kernel<true>));
  r.add_builtin(KernelDef("SoftmaxCrossEntropyWithLogits", Device::kCPU).compute(xent_kernel));
  r.add_builtin(KernelDef("SparseSoftmaxCrossEntropyWithLogits", Device::kCPU)
                    .compute(sparse_xent_kernel));
  r.add_builtin(KernelDef("BiasAdd", Device::kCPU)
                    .compute(bias_add_kernel)
                    .pair_span(DType::kFloat32, bias_add_pair_span<float>)
                    .pair_span(DType::kFloat64, bias_add_pair_span<double>));
  r.add_builtin(KernelDef("BiasAddGrad", Device::kCPU).compute(bias_add_grad_kernel));
  r.add_builtin(KernelDef("L2Loss", Device::kCPU).compute(l2_loss_kernel));
}

}  // namespace tl
