// Vectorised float32 exp, expm1, log, log1p, tanh and sigmoid for AVX2 (8 lanes) and
// AVX-512 (16 lanes, the same bits), with the special values of the C library (inf, NaN,
// zero, subnormals) and errors of about 1-2 ulp; and a horizontal sum.
//
//   if (cpu_has_avx2()) simd::map_widest<simd::exp_ps, simd::exp_ps>(x, y, n);
//   else for (...) y[i] = std::exp(x[i]);
//
// The polynomials are Cephes' (S. L. Moshier), with the usual range reductions:
// exp: x = n ln2 + r, |r| <= ln2/2, e^x = 2^n e^r; log: x = 2^e m, sqrt(1/2) <= m < sqrt(2).
// Callers check cpu_has_avx2() (cpu_has_avx512() for the AVX-512 forms; map_widest checks
// that itself) first; on other CPUs these functions do not exist.
#pragma once

#include <cstdint>
#include <cstring>

#include "ops/cpu_features.h"
#include "ops/gemm.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

namespace tl {
namespace simd {

// The operations the functions below are written in, on vectors of 8 floats (AVX2) and of 16
// (AVX-512). A mask marks the lanes where a comparison holds; select(m, a, b) is a there, b
// elsewhere.
#define TL_OPS_AVX2 TL_TARGET_AVX2 inline __attribute__((always_inline))
#define TL_OPS_AVX512 TL_TARGET_AVX512 inline __attribute__((always_inline))
struct Ops256 {
  using V = __m256;
  using I = __m256i;
  using M = __m256;
  TL_OPS_AVX2 static V splat(float v) { return _mm256_set1_ps(v); }
  TL_OPS_AVX2 static V zero() { return _mm256_setzero_ps(); }
  TL_OPS_AVX2 static V add(V a, V b) { return _mm256_add_ps(a, b); }
  TL_OPS_AVX2 static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  TL_OPS_AVX2 static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  TL_OPS_AVX2 static V div(V a, V b) { return _mm256_div_ps(a, b); }
  // b when either is NaN, as minps/maxps.
  TL_OPS_AVX2 static V min(V a, V b) { return _mm256_min_ps(a, b); }
  TL_OPS_AVX2 static V max(V a, V b) { return _mm256_max_ps(a, b); }
  TL_OPS_AVX2 static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  TL_OPS_AVX2 static V fnmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  TL_OPS_AVX2 static V round(V a) {
    return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  TL_OPS_AVX2 static V and_(V a, V b) { return _mm256_and_ps(a, b); }
  TL_OPS_AVX2 static V or_(V a, V b) { return _mm256_or_ps(a, b); }
  TL_OPS_AVX2 static V andnot(V a, V b) { return _mm256_andnot_ps(a, b); }
  TL_OPS_AVX2 static I to_int(V a) { return _mm256_cvtps_epi32(a); }
  TL_OPS_AVX2 static V to_float(I a) { return _mm256_cvtepi32_ps(a); }
  TL_OPS_AVX2 static V bits_float(I a) { return _mm256_castsi256_ps(a); }
  TL_OPS_AVX2 static I float_bits(V a) { return _mm256_castps_si256(a); }
  TL_OPS_AVX2 static I isplat(int v) { return _mm256_set1_epi32(v); }
  TL_OPS_AVX2 static I iadd(I a, I b) { return _mm256_add_epi32(a, b); }
  TL_OPS_AVX2 static I isub(I a, I b) { return _mm256_sub_epi32(a, b); }
  TL_OPS_AVX2 static I iand(I a, I b) { return _mm256_and_si256(a, b); }
  TL_OPS_AVX2 static I ior(I a, I b) { return _mm256_or_si256(a, b); }
  TL_OPS_AVX2 static I shl23(I a) { return _mm256_slli_epi32(a, 23); }
  TL_OPS_AVX2 static I shr23(I a) { return _mm256_srli_epi32(a, 23); }
  TL_OPS_AVX2 static I half(I a) { return _mm256_srai_epi32(a, 1); }
  TL_OPS_AVX2 static M lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  TL_OPS_AVX2 static M gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  TL_OPS_AVX2 static M eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  TL_OPS_AVX2 static M nle_or_nan(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NLE_UQ); }
  TL_OPS_AVX2 static M nan(V a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  TL_OPS_AVX2 static V select(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
};
// NOTE: GCC 12 warns that the pass-through operand of the unmasked AVX-512 intrinsics (min,
// round, conversions) "may be used uninitialized" wherever they are inlined; it is undefined
// on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
struct Ops512 {
  using V = __m512;
  using I = __m512i;
  using M = __mmask16;
  TL_OPS_AVX512 static V splat(float v) { return _mm512_set1_ps(v); }
  TL_OPS_AVX512 static V zero() { return _mm512_setzero_ps(); }
  TL_OPS_AVX512 static V add(V a, V b) { return _mm512_add_ps(a, b); }
  TL_OPS_AVX512 static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  TL_OPS_AVX512 static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  TL_OPS_AVX512 static V div(V a, V b) { return _mm512_div_ps(a, b); }
  TL_OPS_AVX512 static V min(V a, V b) { return _mm512_min_ps(a, b); }
  TL_OPS_AVX512 static V max(V a, V b) { return _mm512_max_ps(a, b); }
  TL_OPS_AVX512 static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  TL_OPS_AVX512 static V fnmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  TL_OPS_AVX512 static V round(V a) {
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  TL_OPS_AVX512 static V and_(V a, V b) { return _mm512_and_ps(a, b); }
  TL_OPS_AVX512 static V or_(V a, V b) { return _mm512_or_ps(a, b); }
  TL_OPS_AVX512 static V andnot(V a, V b) { return _mm512_andnot_ps(a, b); }
  TL_OPS_AVX512 static I to_int(V a) { return _mm512_cvtps_epi32(a); }
  TL_OPS_AVX512 static V to_float(I a) { return _mm512_cvtepi32_ps(a); }
  TL_OPS_AVX512 static V bits_float(I a) { return _mm512_castsi512_ps(a); }
  TL_OPS_AVX512 static I float_bits(V a) { return _mm512_castps_si512(a); }
  TL_OPS_AVX512 static I isplat(int v) { return _mm512_set1_epi32(v); }
  TL_OPS_AVX512 static I iadd(I a, I b) { return _mm512_add_epi32(a, b); }
  TL_OPS_AVX512 static I isub(I a, I b) { return _mm512_sub_epi32(a, b); }
  TL_OPS_AVX512 static I iand(I a, I b) { return _mm512_and_si512(a, b); }
  TL_OPS_AVX512 static I ior(I a, I b) { return _mm512_or_si512(a, b); }
  TL_OPS_AVX512 static I shl23(I a) { return _mm512_slli_epi32(a, 23); }
  TL_OPS_AVX512 static I shr23(I a) { return _mm512_srli_epi32(a, 23); }
  TL_OPS_AVX512 static I half(I a) { return _mm512_srai_epi32(a, 1); }
  TL_OPS_AVX512 static M lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  TL_OPS_AVX512 static M gt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  TL_OPS_AVX512 static M eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  TL_OPS_AVX512 static M nle_or_nan(V a, V b) {
    return _mm512_cmp_ps_mask(a, b, _CMP_NLE_UQ);
  }
  TL_OPS_AVX512 static M nan(V a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  TL_OPS_AVX512 static V select(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
};
#pragma GCC diagnostic pop

#undef TL_OPS_AVX2
#undef TL_OPS_AVX512

// The functions, compiled once per width from one text (simd_math_body.inc): avx2::exp,
// avx512::exp and so on. Each lane gives the same bits in both widths.
#define TL_MATH_FN TL_TARGET_AVX2 inline __attribute__((always_inline))
namespace avx2 {
using O = Ops256;
using V = O::V;
using I = O::I;
using M = O::M;
#include "ops/simd_math_body.inc"
}  // namespace avx2
#undef TL_MATH_FN
#define TL_MATH_FN TL_TARGET_AVX512 inline __attribute__((always_inline))
namespace avx512 {
using O = Ops512;
using V = O::V;
using I = O::I;
using M = O::M;
#include "ops/simd_math_body.inc"
}  // namespace avx512
#undef TL_MATH_FN

// The entry points: exp_ps(__m256) in AVX2 code, exp_ps(__m512) in AVX-512 code.
#define TL_SIMD_FUNCTION(name, fn)                                                      \
  TL_TARGET_AVX2 inline __attribute__((always_inline)) __m256 name(__m256 x) {          \
    return avx2::fn(x);                                                                 \
  }                                                                                     \
  TL_TARGET_AVX512 inline __attribute__((always_inline)) __m512 name(__m512 x) {        \
    return avx512::fn(x);                                                               \
  }
TL_SIMD_FUNCTION(exp_ps, exp)
TL_SIMD_FUNCTION(log_ps, log)
TL_SIMD_FUNCTION(tanh_ps, tanh)
TL_SIMD_FUNCTION(sigmoid_ps, sigmoid)
TL_SIMD_FUNCTION(expm1_ps, expm1)
TL_SIMD_FUNCTION(log1p_ps, log1p)
TL_SIMD_FUNCTION(elu_ps, elu)
TL_SIMD_FUNCTION(softplus_ps, softplus)
#undef TL_SIMD_FUNCTION
TL_TARGET_AVX2 inline __attribute__((always_inline)) __m256 selu_ps(__m256 x, float neg_scale,
                                                                   float pos_scale) {
  return avx2::selu(x, neg_scale, pos_scale);
}
TL_TARGET_AVX512 inline __attribute__((always_inline)) __m512 selu_ps(__m512 x, float neg_scale,
                                                                     float pos_scale) {
  return avx512::selu(x, neg_scale, pos_scale);
}
TL_TARGET_AVX2 inline __attribute__((always_inline)) __m256 softplus_grad_ps(__m256 g, __m256 x) {
  return avx2::softplus_grad(g, x);
}
TL_TARGET_AVX512 inline __attribute__((always_inline)) __m512 softplus_grad_ps(__m512 g,
                                                                             __m512 x) {
  return avx512::softplus_grad(g, x);
}

#define TL_SIMD_INLINE TL_TARGET_AVX2 inline __attribute__((always_inline))

// The sum of the 8 lanes.
TL_SIMD_INLINE float hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// A vector function as a map_ps functor (VecFn) or a map_ps512 one (VecFn512).
template <__m256 (*F)(__m256)>
struct VecFn {
  TL_SIMD_INLINE __m256 vec(__m256 x) const { return F(x); }
};
template <__m512 (*F)(__m512)>
struct VecFn512 {
  TL_TARGET_AVX512 inline __attribute__((always_inline)) __m512 vec(__m512 x) const {
    return F(x);
  }
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

// The same in AVX-512 vectors through fn.vec(__m512), the last partial vector masked.
template <typename Fn>
TL_TARGET_AVX512 void map_ps512(const Fn& fn, const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, fn.vec(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, tail, fn.vec(_mm512_maskz_loadu_ps(tail, x + i)));
  }
}

// out[i] = fn.vec(g[i], x[i]), 8 at a time; the last partial vector through padded copies.
// `out` may be `g`.
template <typename Fn>
TL_TARGET_AVX2 void map2_ps(const Fn& fn, const float* g, const float* x, float* out,
                            int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, fn.vec(_mm256_loadu_ps(g + i), _mm256_loadu_ps(x + i)));
  }
  if (i < n) {
    float tg[8] = {}, tx[8] = {};
    std::memcpy(tg, g + i, static_cast<size_t>(n - i) * sizeof(float));
    std::memcpy(tx, x + i, static_cast<size_t>(n - i) * sizeof(float));
    _mm256_storeu_ps(tg, fn.vec(_mm256_loadu_ps(tg), _mm256_loadu_ps(tx)));
    std::memcpy(out + i, tg, static_cast<size_t>(n - i) * sizeof(float));
  }
}

// The same in AVX-512 vectors, the last partial vectors masked (zeros in the lanes past n).
template <typename Fn>
TL_TARGET_AVX512 void map2_ps512(const Fn& fn, const float* g, const float* x, float* out,
                                 int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(out + i, fn.vec(_mm512_loadu_ps(g + i), _mm512_loadu_ps(x + i)));
  }
  if (i < n) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(out + i, tail, fn.vec(_mm512_maskz_loadu_ps(tail, g + i),
                                                _mm512_maskz_loadu_ps(tail, x + i)));
  }
}

// y[i] = F(x[i]) (one of the functions above) in the widest vectors the kernels use now:
// AVX-512 where float_lanes_in_use() is 16 (so tests can force each width), else AVX2.
template <__m256 (*F8)(__m256), __m512 (*F16)(__m512)>
void map_widest(const float* x, float* y, int64_t n) {
  if (float_lanes_in_use() >= 16) return map_ps512(VecFn512<F16>{}, x, y, n);
  map_ps(VecFn<F8>{}, x, y, n);
}

#undef TL_SIMD_INLINE

}  // namespace simd
}  // namespace tl

#define TL_HAVE_SIMD_MATH 1
#else
#define TL_HAVE_SIMD_MATH 0
#endif
