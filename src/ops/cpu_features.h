// Runtime CPU dispatch: one build runs on any x86-64 and uses AVX2/AVX-512 where present.
//
// A hot loop is compiled several times with a target attribute and the widest version the CPU
// supports is picked at run time (never -march=native at build time):
//
//   template <typename T> TL_TARGET_AVX2 void add_avx2(...)  { /* same loop */ }
//   template <typename T> void add_generic(...)              { /* same loop */ }
//   if (cpu_has_avx2()) add_avx2<T>(...); else add_generic<T>(...);
//
// Code inlined into a TL_TARGET_* function is compiled for that target too, so a generic
// loop body (a lambda, a template) can be shared by every version.
#pragma once

#include <cstdint>

// Forces a loop body shared by the versions into each of them, so that it is compiled for
// that version's target.
#define TL_ALWAYS_INLINE inline __attribute__((always_inline))

namespace tl {

#if defined(__x86_64__) || defined(__i386__)
#define TL_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#define TL_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")))

// True when the CPU (and OS) support AVX2 and FMA.
inline bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
// True when the CPU supports AVX-512 F/BW/DQ/VL.
inline bool cpu_has_avx512() {
  static const bool has =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  return has;
}
// True on AMD CPUs. Zen 4 drops some of its software fetches into L2 (PREFETCHT1), so data
// fetched ahead from memory goes into L1 there (PREFETCHT0).
inline bool cpu_is_amd() {
  static const bool is = __builtin_cpu_is("amd");
  return is;
}
#else
#define TL_TARGET_AVX2
#define TL_TARGET_AVX512
inline bool cpu_has_avx2() { return false; }
inline bool cpu_has_avx512() { return false; }
inline bool cpu_is_amd() { return false; }
#endif

// fn(begin, end) compiled for AVX2: `flatten` inlines fn's body here, so a generic loop body
// (a lambda) is vectorised for that target. Call it only when cpu_has_avx2().
template <typename F>
TL_TARGET_AVX2 __attribute__((flatten)) void run_avx2(const F& fn, int64_t begin, int64_t end) {
  fn(begin, end);
}

}  // namespace tl
