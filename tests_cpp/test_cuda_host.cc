// Host checks of the CUDA kernels' host-and-device code (cuda/ops/elementwise.h,
// cuda/ops/reduction.h), compiled with g++: the broadcast index math, the reduction plans and
// the per-element functions, against brute-force references.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

#include "check.h"
#include "cuda/ops/elementwise.h"
#include "cuda/ops/reduction.h"

using tl::Shape;
using namespace tl::cuda;

namespace {

// Row-major strides of `s` aligned to the last `rank` dims, 0 along broadcast (size-1) dims.
std::vector<int64_t> numpy_strides(const Shape& s, int rank) {
  std::vector<int64_t> strides(rank, 0);
  int64_t step = 1;
  for (int d = rank - 1; d >= 0; --d) {
    const int i = d - (rank - s.rank());
    const int64_t dim = i >= 0 ? s.dim(i) : 1;
    strides[d] = dim == 1 ? 0 : step;
    step *= dim;
  }
  return strides;
}

void check_broadcast(const Shape& a, const Shape& b) {
  Shape out;
  CHECK(tl::broadcast_shapes(a, b, &out).ok());
  tl::BroadcastLayout l;
  tl::make_broadcast_layout(a, b, &l);
  const int rank = out.rank();
  const std::vector<int64_t> sa = numpy_strides(a, rank), sb = numpy_strides(b, rank);
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    int64_t want_a = 0, want_b = 0, rest = i;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t idx = rest % out.dim(d);
      rest /= out.dim(d);
      want_a += idx * sa[d];
      want_b += idx * sb[d];
    }
    int64_t got_a, got_b;
    broadcast_offset(l, i, &got_a, &got_b);
    CHECK(got_a == want_a);
    CHECK(got_b == want_b);
  }
}

void test_broadcast_offsets() {
  check_broadcast(Shape({2, 3, 4}), Shape({3, 1}));
  check_broadcast(Shape({1, 5, 1}), Shape({4, 1, 6}));
  check_broadcast(Shape({7}), Shape({1}));
  check_broadcast(Shape({2, 1, 3, 1}), Shape({1, 4, 1, 5}));
  check_broadcast(Shape({33}), Shape({129, 1}));
  check_broadcast(Shape({4, 5}), Shape({4, 5}));
  CHECK(binary_mode(6, 6, 6) == BinaryMode::kSameShape);
  CHECK(binary_mode(1, 6, 6) == BinaryMode::kScalarA);
  CHECK(binary_mode(6, 1, 6) == BinaryMode::kScalarB);
  CHECK(binary_mode(3, 2, 6) == BinaryMode::kBroadcast);
  CHECK(binary_mode(1, 1, 1) == BinaryMode::kSameShape);
}

// Every mask of `shape`: the plan's sums equal sums over the full index space.
void check_reduce_plans(const Shape& shape) {
  const int rank = shape.rank();
  const int64_t n = shape.num_elements();
  std::vector<double> x(n);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<double>((i * 7919) % 101) - 50;
  for (uint32_t mask = 0; mask < (1u << rank); ++mask) {
    const ReducePlan p = make_reduce_plan(shape, mask);
    int64_t outputs = 1;
    for (int d = 0; d < rank; ++d) outputs *= mask >> d & 1 ? 1 : shape.dim(d);
    CHECK(p.outputs == outputs);
    CHECK(p.outputs * p.reduced_count == n);
    std::vector<double> want(outputs, 0.0);
    for (int64_t i = 0; i < n; ++i) {  // brute force: the output index of each element
      int64_t rest = i, o = 0, scale = 1;
      for (int d = rank - 1; d >= 0; --d) {
        const int64_t idx = rest % shape.dim(d);
        rest /= shape.dim(d);
        if (!(mask >> d & 1)) {
          o += idx * scale;
          scale *= shape.dim(d);
        }
      }
      want[o] += x[i];
    }
    for (int64_t o = 0; o < outputs; ++o) {
      double got = 0;
      for (int64_t r = 0; r < p.reduced_count; ++r) got += x[kept_offset(p, o) + reduced_offset(p, r)];
      CHECK(got == want[o]);
    }
    if (reduces_rows(p)) {  // rows: output o reads x[o * reduced_count, ...)
      for (int64_t o = 0; o < outputs; ++o) CHECK(kept_offset(p, o) == o * p.reduced_count);
    }
  }
}

void test_reduce_plans() {
  check_reduce_plans(Shape({2, 3, 1, 4}));
  check_reduce_plans(Shape({3, 4, 5}));
  check_reduce_plans(Shape({7}));
  check_reduce_plans(Shape({2, 1, 3, 2, 3}));
  std::vector<int64_t> axes = {-1, 0};
  uint32_t mask;
  CHECK(reduction_mask(axes, 3, &mask).ok());
  CHECK(mask == 0b101u);
  axes = {3};
  CHECK(!reduction_mask(axes, 3, &mask).ok());
}

void test_reducers() {
  CHECK(MaxReducer<float>::identity() == -std::numeric_limits<float>::infinity());
  CHECK(MinReducer<int32_t>::identity() == std::numeric_limits<int32_t>::max());
  CHECK(std::isnan(MaxReducer<float>::combine(std::nanf(""), 1.0f)));
  CHECK(std::isnan(MaxReducer<float>::combine(1.0f, std::nanf(""))));
  CHECK(ProdReducer<int32_t>::combine(3, 4) == 12);
  static_assert(std::is_same_v<SumReducer<float>::Acc, double>);
  static_assert(std::is_same_v<SumReducer<int32_t>::Acc, int64_t>);
}

bool close(double a, double b, double tol) { return std::fabs(a - b) <= tol * (1 + std::fabs(b)); }

void test_functions() {
  for (double v = -30; v <= 30; v += 0.37) {
    const float x = static_cast<float>(v);
    CHECK(close(SigmoidFn{}(x), 1 / (1 + std::exp(-v)), 1e-6));
    CHECK(close(SigmoidFn{}(v), 1 / (1 + std::exp(-v)), 1e-14));
    CHECK(close(SoftplusFn{}(v), std::log1p(std::exp(v)), 1e-12));
    CHECK(ReluFn{}(x) == (x > 0 ? x : 0.0f));
    CHECK(Relu6Fn{}(x) == std::fmin(std::fmax(x, 0.0f), 6.0f));
    CHECK(close(EluFn{}(v), v < 0 ? std::exp(v) - 1 : v, 1e-12));
    CHECK(ReluGradFn{}(2.0, v) == (v > 0 ? 2.0 : 0.0));
    CHECK(Relu6GradFn{}(2.0, v) == (v > 0 && v < 6 ? 2.0 : 0.0));
    CHECK(close(SoftplusGradFn{}(1.0, v), 1 / (1 + std::exp(-v)), 1e-12));
    CHECK(FloorFn{}(v) == std::floor(v));
  }
  CHECK(SigmoidFn{}(-80.0f) > 0.0f);  // tiny results survive
  CHECK(std::isnan(ReluFn{}(std::nanf(""))));
  CHECK(std::isnan(MaximumFn{}(std::nan(""), 1.0)) && std::isnan(MinimumFn{}(1.0, std::nan(""))));
  CHECK(RoundFn{}(2.5) == 2.0 && RoundFn{}(-0.5) == 0.0 && RoundFn{}(3.5) == 4.0);
  CHECK(std::signbit(FloorFn{}(-0.0)) && std::signbit(CeilFn{}(-0.5)));
  CHECK(SignFn{}(-3) == -1 && SignFn{}(0) == 0 && SignFn{}(5.5) == 1.0 && std::isnan(SignFn{}(std::nanf(""))));
  CHECK(NegFn{}(std::numeric_limits<int32_t>::min()) == std::numeric_limits<int32_t>::min());
  CHECK(AbsFn{}(int64_t{-7}) == 7);
  CHECK(AddFn{}(std::numeric_limits<int32_t>::max(), 1) == std::numeric_limits<int32_t>::min());
  CHECK(SquaredDifferenceFn{}(3.0f, 5.0f) == 4.0f);
  CHECK(PowFn{}(2.0, 0.5) == std::sqrt(2.0));
  CHECK(RsqrtFn{}(4.0f) == 0.5f);
  CHECK(LessEqualFn{}(1, 1) && !GreaterFn{}(1, 1) && NotEqualFn{}(true, false));
  CHECK(LogicalAndFn{}(true, false) == false && LogicalOrFn{}(true, false) == true);
  CHECK(cast_value<bool>(0.5f) == true && cast_value<int32_t>(-2.7) == -2);
  CHECK(cast_value<float>(true) == 1.0f);
}

}  // namespace

int main() {
  test_broadcast_offsets();
  test_reduce_plans();
  test_reducers();
  test_functions();
  if (g_failures) {
    std::printf("%d checks failed\n", g_failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
