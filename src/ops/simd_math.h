// Vectorised float32 exp, expm1, log, log1p, tanh and sigmoid for AVX2 (8 lanes), with the
// special values of the C library (inf, NaN, zero, subnormals) and errors of about 1-2 ulp;
// and a horizontal sum.
//
//   if (cpu_has_avx2()) simd::map_ps(simd::VecFn<simd::exp_ps>{}, x, y, n);
//   else for (...) y[i] = std::exp(x[i]);
//
// The polynomials are Cephes' (S. L. Moshier), with the usual range reductions:
// exp: x = n ln2 + r, |r| <= ln2/2, e^x = 2^n e^r; log: x = 2^e m, sqrt(1/2) <= m < sqrt(2).
// Callers check cpu_has_avx2() first; on other CPUs these functions do not exist.
#pragma once

#include <cstdint>
#include <cstring>

#include "ops/cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

namespace tl {
namespace simd {

#define TL_SIMD_INLINE TL_TARGET_AVX2 inline __attribute__((always_inline))

TL_SIMD_INLINE __m256 splat(float v) { return _mm256_set1_ps(v); }

// e^x: overflow gives inf, underflow 0 (through the subnormals), NaN stays NaN.
TL_SIMD_INLINE __m256 exp_ps(__m256 x) {
  // NOTE: the largest float whose e^x is finite is just below 88.72283935546875; past it the
  // result must be inf, and below -104 it rounds to 0.
  const __m256 hi = splat(88.72283935546875f);
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, splat(-104.0f)), hi);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, splat(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, splat(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, splat(-2.12194440e-4f), r);
  __m256 p = splat(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, splat(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, splat(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, splat(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, splat(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, splat(5.0000001201e-1f));
  __m256 y = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
  y = _mm256_add_ps(y, splat(1.0f));
  // 2^n as two factors 2^(n/2) and 2^(n - n/2): n is in [-150, 128], beyond one float
  // exponent, and scaling in two steps rounds a subnormal result only once.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  y = _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
  y = _mm256_blendv_ps(y, splat(__builtin_inff()), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// ln x: log(0) = -inf, log(negative) = NaN, log(inf) = inf, NaN stays NaN.
TL_SIMD_INLINE __m256 log_ps(__m256 x) {
  const __m256 zero = _mm256_setzero_ps();
  // Subnormals are scaled by 2^23 into the normal range first.
  const __m256 subnormal = _mm256_cmp_ps(x, splat(1.17549435e-38f), _CMP_LT_OQ);
  const __m256 xs = _mm256_blendv_ps(x, _mm256_mul_ps(x, splat(8388608.0f)), subnormal);
  const __m256i bits = _mm256_castps_si256(xs);
  __m256 e = _mm256_cvtepi32_ps(
      _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
  e = _mm256_sub_ps(e, _mm256_and_ps(subnormal, splat(23.0f)));
  // m in [0.5, 1); below sqrt(1/2) it is doubled (and e lowered) so that x = m - 1 is small.
  const __m256 m = _mm256_castsi256_ps(_mm256_or_si256(
      _mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f000000)));
  const __m256 low = _mm256_cmp_ps(m, splat(0.707106781186547524f), _CMP_LT_OQ);
  e = _mm256_sub_ps(e, _mm256_and_ps(low, splat(1.0f)));
  const __m256 t = _mm256_add_ps(_mm256_sub_ps(m, splat(1.0f)), _mm256_and_ps(low, m));
  const __m256 z = _mm256_mul_ps(t, t);
  __m256 p = splat(7.0376836292e-2f);
  p = _mm256_fmadd_ps(p, t, splat(-1.1514610310e-1f));
  p = _mm256_fmadd_ps(p, t, splat(1.1676998740e-1f));
  p = _mm256_fmadd_ps(p, t, splat(-1.2420140846e-1f));
  p = _mm256_fmadd_ps(p, t, splat(1.4249322787e-1f));
  p = _mm256_fmadd_ps(p, t, splat(-1.6668057665e-1f));
  p = _mm256_fmadd_ps(p, t, splat(2.0000714765e-1f));
  p = _mm256_fmadd_ps(p, t, splat(-2.4999993993e-1f));
  p = _mm256_fmadd_ps(p, t, splat(3.3333331174e-1f));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, t), z);
  y = _mm256_fmadd_ps(e, splat(-2.12194440e-4f), y);
  y = _mm256_fnmadd_ps(splat(0.5f), z, y);
  y = _mm256_add_ps(t, y);
  y = _mm256_fmadd_ps(e, splat(0.693359375f), y);
  y = _mm256_blendv_ps(y, splat(-__builtin_inff()), _mm256_cmp_ps(x, zero, _CMP_EQ_OQ));
  y = _mm256_blendv_ps(y, splat(__builtin_nanf("")), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
  const __m256 inf_or_nan = _mm256_cmp_ps(x, splat(3.40282347e38f), _CMP_NLE_UQ);
  return _mm256_blendv_ps(y, x, inf_or_nan);
}

// tanh x: an odd polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) (signed) above.
TL_SIMD_INLINE __m256 tanh_ps(__m256 x) {
  const __m256 sign_mask = splat(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign_mask, x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = splat(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, splat(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, splat(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, splat(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, splat(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  const __m256 e = exp_ps(_mm256_add_ps(ax, ax));
  __m256 large = _mm256_sub_ps(splat(1.0f),
                               _mm256_div_ps(splat(2.0f), _mm256_add_ps(e, splat(1.0f))));
  large = _mm256_or_ps(large, _mm256_and_ps(x, sign_mask));
  return _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, splat(0.625f), _CMP_LT_OQ));
}

// 1 / (1 + e^-x), from e^-|x| (which never overflows) so that tiny results keep their bits.
TL_SIMD_INLINE __m256 sigmoid_ps(__m256 x) {
  const __m256 ax = _mm256_andnot_ps(splat(-0.0f), x);
  const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), ax));
  const __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  const __m256 num = _mm256_blendv_ps(splat(1.0f), e, negative);
  return _mm256_div_ps(num, _mm256_add_ps(splat(1.0f), e));
}

// e^x - 1, accurate near 0: a Taylor polynomial where |x| < 0.35, e^x - 1 elsewhere.
TL_SIMD_INLINE __m256 expm1_ps(__m256 x) {
  __m256 p = splat(1.0f / 5040);
  p = _mm256_fmadd_ps(p, x, splat(1.0f / 720));
  p = _mm256_fmadd_ps(p, x, splat(1.0f / 120));
  p = _mm256_fmadd_ps(p, x, splat(1.0f / 24));
  p = _mm256_fmadd_ps(p, x, splat(1.0f / 6));
  p = _mm256_fmadd_ps(p, x, splat(0.5f));
  const __m256 taylor = _mm256_fmadd_ps(p, _mm256_mul_ps(x, x), x);
  const __m256 big = _mm256_sub_ps(exp_ps(x), splat(1.0f));
  const __m256 ax = _mm256_andnot_ps(splat(-0.0f), x);
  return _mm256_blendv_ps(big, taylor, _mm256_cmp_ps(ax, splat(0.35f), _CMP_LT_OQ));
}

// ln(1 + x) for x >= 0, accurate for tiny x: log(u) * x / (u - 1) with u = 1 + x rounded.
TL_SIMD_INLINE __m256 log1p_ps(__m256 x) {
  const __m256 u = _mm256_add_ps(x, splat(1.0f));
  const __m256 d = _mm256_sub_ps(u, splat(1.0f));
  const __m256 exact = _mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_EQ_OQ);
  const __m256 r = _mm256_mul_ps(log_ps(u), _mm256_div_ps(x, _mm256_blendv_ps(d, x, exact)));
  return _mm256_blendv_ps(r, x, exact);
}

// The sum of the 8 lanes.
TL_SIMD_INLINE float hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// A vector function as a map_ps functor.
template <__m256 (*F)(__m256)>
struct VecFn {
  TL_SIMD_INLINE __m256 vec(__m256 x) const { return F(x); }
};

// y[i] = fn(x[i]) for i < n, 8 at a time through fn.vec(__m256); the last partial vector goes
// through a padded copy. `y` may be `x`.
template <typename Fn>
TL_TARGET_AVX2 void map_ps(const Fn& fn, const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, fn.vec(_mm256_loadu_ps(x + i)));
  if (i < n) {
    float tail[8] = {};
    std::memcpy(tail, x + i, static_cast<size_t>(n - i) * sizeof(float));
    _mm256_storeu_ps(tail, fn.vec(_mm256_loadu_ps(tail)));
    std::memcpy(y + i, tail, static_cast<size_t>(n - i) * sizeof(float));
  }
}

#undef TL_SIMD_INLINE

}  // namespace simd
}  // namespace tl

#define TL_HAVE_SIMD_MATH 1
#else
#define TL_HAVE_SIMD_MATH 0
#endif
