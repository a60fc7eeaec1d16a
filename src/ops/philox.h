// Philox4x32-10, the counter-based random generator of Salmon et al., "Parallel Random
// Numbers: As Easy as 1, 2, 3" (SC 2011), as TensorFlow and JAX use it.
//
// Each call maps a 128-bit counter and a 64-bit key to 128 random bits, so block i of a stream
// can be computed by any thread in any order: random kernels stay deterministic for every
// thread count. Random ops take their counters (in 128-bit blocks) from
// SessionState::take_random_counter, so each run continues the stream where the last stopped.
//
//   PhiloxCounter c = {uint32_t(block), uint32_t(block >> 32), 0, 0};
//   PhiloxCounter bits = philox4x32(c, PhiloxKey{uint32_t(seed), uint32_t(seed >> 32)});
//   float u = uniform_float(bits[0]);   // [0, 1)
#pragma once

#include <array>
#include <cstdint>

namespace tl {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

// 128 random bits for `counter` under `key` (10 rounds).
inline PhiloxCounter philox4x32(PhiloxCounter c, PhiloxKey k) {
  constexpr uint64_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
  constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = kMul0 * c[0], p1 = kMul1 * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
  return c;
}

// A float in [0, 1) from the top 24 bits of x.
inline float uniform_float(uint32_t x) { return static_cast<float>(x >> 8) * 0x1p-24f; }

// A double in [0, 1) from the top 53 bits of (hi, lo).
inline double uniform_double(uint32_t hi, uint32_t lo) {
  return static_cast<double>((uint64_t{hi} << 32 | lo) >> 11) * 0x1p-53;
}

}  // namespace tl
