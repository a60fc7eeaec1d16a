// SIMD vectors behind one small interface (zero, load, broadcast, fma, add, store; load_first
// and store_first for the first n < kLanes lanes, which touch no memory past them), so that a
// kernel written once over `Vec` compiles for AVX2 and for AVX-512:
//
//   template <typename Vec> TL_TARGET_AVX512 void axpy(...) {
//     Vec::store(y, Vec::fma(Vec::broadcast(&a), Vec::load(x), Vec::load(y)));
//   }
//
// Each function carries its target attribute; call them only from code compiled for that
// target (a TL_TARGET_* function, or one inlined into it with `flatten`) on a CPU that has it.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include "ops/cpu_features.h"

namespace tl {

// AVX2 vectors of 8 floats or 4 doubles behind one interface.
template <typename T>
struct Avx2Vec;
template <>
struct Avx2Vec<float> {
  using V = __m256;
  static constexpr int kLanes = 8;
  TL_TARGET_AVX2 static V zero() { return _mm256_setzero_ps(); }
  TL_TARGET_AVX2 static V load(const float* p) { return _mm256_loadu_ps(p); }
  TL_TARGET_AVX2 static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  TL_TARGET_AVX2 static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  TL_TARGET_AVX2 static V add(V a, V b) { return _mm256_add_ps(a, b); }
  // x when x > m, else m (m when either is NaN). max(zero(), x) is the Relu op's x < 0 ? 0 : x,
  // -0 and NaN kept.
  TL_TARGET_AVX2 static V max(V x, V m) { return _mm256_max_ps(x, m); }
  TL_TARGET_AVX2 static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  // The mask of lanes [0, n) for maskload and maskstore.
  TL_TARGET_AVX2 static __m256i first(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  TL_TARGET_AVX2 static V load_first(const float* p, int n) {
    return _mm256_maskload_ps(p, first(n));
  }
  TL_TARGET_AVX2 static void store_first(float* p, V v, int n) {
    _mm256_maskstore_ps(p, first(n), v);
  }
};
template <>
struct Avx2Vec<double> {
  using V = __m256d;
  static constexpr int kLanes = 4;
  TL_TARGET_AVX2 static V zero() { return _mm256_setzero_pd(); }
  TL_TARGET_AVX2 static V load(const double* p) { return _mm256_loadu_pd(p); }
  TL_TARGET_AVX2 static V broadcast(const double* p) { return _mm256_broadcast_sd(p); }
  TL_TARGET_AVX2 static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  TL_TARGET_AVX2 static V add(V a, V b) { return _mm256_add_pd(a, b); }
  TL_TARGET_AVX2 static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  TL_TARGET_AVX2 static __m256i first(int n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  TL_TARGET_AVX2 static V load_first(const double* p, int n) {
    return _mm256_maskload_pd(p, first(n));
  }
  TL_TARGET_AVX2 static void store_first(double* p, V v, int n) {
    _mm256_maskstore_pd(p, first(n), v);
  }
};

// AVX-512 vectors of 16 floats or 8 doubles, same interface.
template <typename T>
struct Avx512Vec;
template <>
struct Avx512Vec<float> {
  using V = __m512;
  static constexpr int kLanes = 16;
  TL_TARGET_AVX512 static V zero() { return _mm512_setzero_ps(); }
  TL_TARGET_AVX512 static V load(const float* p) { return _mm512_loadu_ps(p); }
  TL_TARGET_AVX512 static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  TL_TARGET_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  TL_TARGET_AVX512 static V add(V a, V b) { return _mm512_add_ps(a, b); }
  // NOTE: GCC warns that the intrinsic's pass-through operand "may be used uninitialized"
  // wherever this is inlined; it is undefined on purpose (no mask).
  TL_TARGET_AVX512 static V max(V x, V m) { return _mm512_max_ps(x, m); }
  TL_TARGET_AVX512 static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  TL_TARGET_AVX512 static V load_first(const float* p, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p);
  }
  TL_TARGET_AVX512 static void store_first(float* p, V v, int n) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v);
  }
};
template <>
struct Avx512Vec<double> {
  using V = __m512d;
  static constexpr int kLanes = 8;
  TL_TARGET_AVX512 static V zero() { return _mm512_setzero_pd(); }
  TL_TARGET_AVX512 static V load(const double* p) { return _mm512_loadu_pd(p); }
  TL_TARGET_AVX512 static V broadcast(const double* p) { return _mm512_set1_pd(*p); }
  TL_TARGET_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  TL_TARGET_AVX512 static V add(V a, V b) { return _mm512_add_pd(a, b); }
  TL_TARGET_AVX512 static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  TL_TARGET_AVX512 static V load_first(const double* p, int n) {
    return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << n) - 1), p);
  }
  TL_TARGET_AVX512 static void store_first(double* p, V v, int n) {
    _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << n) - 1), v);
  }
};

}  // namespace tl
#endif
