// RandomStandardNormal.
#include <cmath>
#include <random>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/philox.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

constexpr double kTwoPi = 6.283185307179586;

Status random_normal_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_attr_dtype(ctx, "dtype", FloatTypes{}));
  Shape out;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 0, /*allow_unknown=*/false, &out));
  ctx.set_output(0, ctx.attrs().get<DType>("dtype"), out);
  return Status::OK();
}

// Box-Muller: two independent standard normals from u1 in (0, 1] and u2 in [0, 1).
template <typename T>
void box_muller(T u1, T u2, T* z) {
  const T radius = std::sqrt(T(-2) * std::log(u1));
  const T theta = static_cast<T>(kTwoPi) * u2;
  z[0] = radius * std::cos(theta);
  z[1] = radius * std::sin(theta);
}

// The normals of one Philox block: 4 floats (24 bits per uniform) or 2 doubles (53 bits).
inline void block_normals(const PhiloxCounter& r, float* z) {
  box_muller(1.0f - uniform_float(r[0]), uniform_float(r[1]), z);
  box_muller(1.0f - uniform_float(r[2]), uniform_float(r[3]), z + 2);
}
inline void block_normals(const PhiloxCounter& r, double* z) {
  box_muller(1.0 - uniform_double(r[0], r[1]), uniform_double(r[2], r[3]), z);
}

Status random_normal_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const uint64_t seed = static_cast<uint64_t>(ctx.attrs().get<int64_t>("seed"));
  const uint64_t seed2 = static_cast<uint64_t>(ctx.attrs().get<int64_t>("seed2"));
  PhiloxKey key{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  if (seed == 0 && seed2 == 0) {
    // No seed set anywhere: a fresh stream each run (TF1 behaviour).
    thread_local std::random_device device;
    key = {device(), device()};
  }
  return dispatch(FloatTypes{}, out.dtype(), "RandomStandardNormal", [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr int64_t kPerBlock = sizeof(T) == 4 ? 4 : 2;
    const int64_t n = out.num_elements();
    const int64_t blocks = (n + kPerBlock - 1) / kPerBlock;
    const uint64_t base =
        ctx.state().take_random_counter(ctx.node(), static_cast<uint64_t>(blocks));
    T* y = out.data<T>();
    ctx.parallel_for(blocks, kTranscendentalGrain / kPerBlock, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const uint64_t counter = base + static_cast<uint64_t>(i);
        const PhiloxCounter bits = philox4x32(
            {static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32),
             static_cast<uint32_t>(seed2), static_cast<uint32_t>(seed2 >> 32)},
            key);
        T z[kPerBlock];
        block_normals(bits, z);
        const int64_t start = i * kPerBlock;
        for (int64_t j = 0; j < kPerBlock && start + j < n; ++j) y[start + j] = z[j];
      }
    });
  });
}

}  // namespace

void register_random_ops(OpRegistry& r) {
  r.add_builtin(OpDef("RandomStandardNormal").input("shape")
                    .attr("dtype", AttrType::kType, DType::kFloat32)
                    .attr("seed", AttrType::kInt, int64_t{0})
                    .attr("seed2", AttrType::kInt, int64_t{0})
                    .shape(random_normal_shape)
                    .kernel(Device::kCPU, random_normal_kernel)
                    .stateful());
}

}  // namespace tl
