// The CPU kernels and shape functions checked directly through the registry (no graph, no
// executor), against hand-computed values. Exits non-zero on a failed check.
// tests/test_kernels_cpp.py builds it against the installed libtensorlib and runs it:
//
//   g++ -std=c++17 -O2 -Iinclude -Isrc tests_cpp/test_kernels.cc -L<pkg>/lib -ltensorlib
//       -Wl,-rpath,<pkg>/lib -o test_kernels && ./test_kernels
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ops/gemm.h"
#include "ops/kernel_util.h"
#include "tensorlib/device.h"
#include "tensorlib/graph.h"
#include "tensorlib/kernel.h"

#include "check.h"

using namespace tl;

namespace {

template <typename T>
Tensor make(const Shape& shape, const std::vector<T>& values) {
  Tensor t;
  Status s = Tensor::allocate(DTypeOf<T>::value, shape, &t);
  if (!s.ok()) std::abort();
  std::copy(values.begin(), values.end(), t.data<T>());
  return t;
}

template <typename T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

// The op's declared defaults plus `attrs`.
AttrMap with_defaults(const OpDef& def, const AttrMap& attrs) {
  AttrMap out = attrs;
  for (const AttrSpec& a : def.attrs()) {
    if (!out.find(a.name) && a.default_value) out.set(a.name, *a.default_value);
  }
  return out;
}

// Shape inference with only dtypes and (partial) shapes known, as while building a graph.
Status infer(const std::string& op, const std::vector<DType>& dtypes,
             const std::vector<Shape>& shapes, Shape* out, const AttrMap& attrs = {},
             const std::vector<const Tensor*>& values = {}) {
  const OpDef* def = OpRegistry::global().find(op);
  AttrMap full = with_defaults(*def, attrs);
  std::vector<const Tensor*> vals = values;
  vals.resize(dtypes.size(), nullptr);
  DType out_dtype;
  InferenceContext ctx(def->name(), full, static_cast<int>(dtypes.size()), dtypes.data(),
                       shapes.data(), vals.data(), 1, &out_dtype, out);
  return def->shape_fn()(ctx);
}

// Runs one op as the executor would: run-time shape inference, allocation, prepare, compute.
Status run(const std::string& op, const std::vector<Tensor>& inputs, Tensor* out,
           const AttrMap& attrs = {}, int max_threads = 0, SessionState* state = nullptr) {
  const OpDef* def = OpRegistry::global().find(op);
  AttrMap full = with_defaults(*def, attrs);
  std::vector<DType> dtypes;
  std::vector<Shape> shapes;
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : inputs) {
    dtypes.push_back(t.dtype());
    shapes.push_back(t.shape());
    ptrs.push_back(&t);
  }
  DType out_dtype;
  Shape out_shape;
  InferenceContext ictx(def->name(), full, static_cast<int>(inputs.size()), dtypes.data(),
                        shapes.data(), ptrs.data(), 1, &out_dtype, &out_shape);
  TL_RETURN_IF_ERROR(def->shape_fn()(ictx));
  if (!def->sets_own_outputs()) TL_RETURN_IF_ERROR(Tensor::allocate(out_dtype, out_shape, out));
  SessionState local_state;
  Node node;
  node.id = 7;
  node.name = op;
  node.op = def;
  // Prepared as in a plan whose inputs are all constants.
  const KernelDef* kernel = KernelRegistry::global().find(op, Device::kCPU);
  std::unique_ptr<KernelState> kernel_state;
  if (kernel->prepare_fn()) {
    PrepareContext pctx(node, full, static_cast<int>(inputs.size()), dtypes.data(),
                        shapes.data(), ptrs.data());
    TL_RETURN_IF_ERROR(kernel->prepare_fn()(pctx, &kernel_state));
  }
  KernelContext kctx(node, full, ptrs.data(), static_cast<int>(inputs.size()), out, 1,
                     state ? state : &local_state, max_threads, kernel_state.get());
  TL_RETURN_IF_ERROR(kernel->compute_fn()(kctx));
  if (out->dtype() != out_dtype || out->shape() != out_shape) {
    return internal_error(op + ": kernel output does not match the inferred shape");
  }
  return Status::OK();
}

// True when t holds exactly `want`.
template <typename T>
bool holds(const Tensor& t, const std::vector<T>& want) {
  return t.num_elements() == static_cast<int64_t>(want.size()) &&
         std::equal(want.begin(), want.end(), t.data<T>());
}

template <typename T>
bool near(const std::vector<T>& a, const std::vector<T>& b, double tol) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(std::fabs(double(a[i]) - double(b[i])) <= tol * (1 + std::fabs(double(b[i]))))) {
      return false;
    }
  }
  return true;
}

void test_binary() {
  Tensor out;
  Tensor a = make<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK(run("Add", {a, make<float>({3}, {10, 20, 30})}, &out).ok());
  CHECK(holds<float>(out, {11, 22, 33, 14, 25, 36}));
  CHECK(run("Sub", {make<float>({2, 1}, {1, 2}), make<float>({1, 3}, {1, 2, 3})}, &out).ok());
  CHECK(out.shape() == Shape({2, 3}));
  CHECK(holds<float>(out, {0, -1, -2, 1, 0, -1}));
  CHECK(run("Mul", {make<int32_t>({}, {3}), make<int32_t>({4}, {1, 2, 3, 4})}, &out).ok());
  CHECK(holds<int32_t>(out, {3, 6, 9, 12}));
  // [2,1,3] * [2,1]: a general strided case with a broadcast middle dim.
  CHECK(run("Mul", {make<double>({2, 1, 3}, {1, 2, 3, 4, 5, 6}), make<double>({2, 1}, {1, 10})},
            &out).ok());
  CHECK(holds<double>(out, {1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60}));
  CHECK(run("RealDiv", {a, make<float>({}, {2})}, &out).ok());
  CHECK(holds<float>(out, {0.5f, 1, 1.5f, 2, 2.5f, 3}));
  CHECK(run("Equal", {make<int64_t>({3}, {1, 2, 3}), make<int64_t>({3}, {1, 0, 3})}, &out).ok());
  CHECK(out.dtype() == DType::kBool && holds<bool>(out, {true, false, true}));

  Status s = run("Add", {a, make<double>({3}, {1, 2, 3})}, &out);
  CHECK(s.code() == StatusCode::kTypeError);
  CHECK(s.message() ==
        "Input 'y' of 'Add' Op has type float64 that does not match type float32 of argument 'x'.");
  s = run("Add", {a, make<float>({4}, {1, 2, 3, 4})}, &out);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message() ==
        "Dimensions must be equal, but are 3 and 4 for 'Add' with input shapes: [2,3], [4].");
  CHECK(run("RealDiv", {make<int32_t>({}, {1}), make<int32_t>({}, {1})}, &out).code() ==
        StatusCode::kTypeError);
  Shape inferred;
  CHECK(infer("Add", {DType::kFloat32, DType::kFloat32}, {Shape({-1, 3}), Shape({1, 3})},
              &inferred).ok());
  CHECK(inferred == Shape({-1, 3}));
}

void test_unary_and_cast() {
  Tensor out;
  CHECK(run("Relu", {make<float>({4}, {-1, 0, 2, -3})}, &out).ok());
  CHECK(holds<float>(out, {0, 0, 2, 0}));
  CHECK(run("Sigmoid", {make<float>({3}, {-1000, 0, 1000})}, &out).ok());
  CHECK(holds<float>(out, {0, 0.5f, 1}));
  CHECK(run("Neg", {make<int64_t>({2}, {5, -6})}, &out).ok());
  CHECK(holds<int64_t>(out, {-5, 6}));
  CHECK(run("Exp", {make<int32_t>({1}, {1})}, &out).code() == StatusCode::kTypeError);

  AttrMap to_int;
  to_int.set("DstT", DType::kInt32);
  CHECK(run("Cast", {make<float>({4}, {-1.7f, 1.7f, 2.5f, -0.2f})}, &out, to_int).ok());
  CHECK(holds<int32_t>(out, {-1, 1, 2, 0}));
  AttrMap to_bool;
  to_bool.set("DstT", DType::kBool);
  CHECK(run("Cast", {make<double>({3}, {0, -0.5, 2})}, &out, to_bool).ok());
  CHECK(holds<bool>(out, {false, true, true}));

  // Every half survives half -> float -> half (NaNs stay NaN).
  int bad = 0;
  for (uint32_t bits = 0; bits < 65536; ++bits) {
    const Half h{static_cast<uint16_t>(bits)};
    const float f = half_to_float(h);
    const Half back = float_to_half(f);
    if (std::isnan(f) ? (back.bits & 0x7fff) <= 0x7c00 : back.bits != h.bits) ++bad;
  }
  CHECK(bad == 0);
  CHECK(float_to_half(65519.0f).bits == 0x7bff);          // rounds down to 65504
  CHECK(float_to_half(65520.0f).bits == 0x7c00);          // tie rounds up to infinity
  CHECK(float_to_half(1.0f + 0x1p-11f).bits == 0x3c00);   // tie to even (down)
  CHECK(float_to_half(1.0f + 3 * 0x1p-11f).bits == 0x3c02);  // tie to even (up)
  CHECK(float_to_half(0x1p-25f).bits == 0x0000);          // tie between 0 and 2^-24
  CHECK(float_to_half(3 * 0x1p-25f).bits == 0x0002);      // tie to even subnormal
  CHECK(half_to_float(Half{0x0001}) == 0x1p-24f);
  AttrMap to_half;
  to_half.set("DstT", DType::kFloat16);
  CHECK(run("Cast", {make<float>({2}, {1.5f, -2.0f})}, &out, to_half).ok());
  CHECK(out.data<Half>()[0].bits == 0x3e00 && out.data<Half>()[1].bits == 0xc000);
}

// C = op(A) op(B) by the textbook loop, in double.
template <typename T>
std::vector<T> naive_matmul(const std::vector<T>& a, const std::vector<T>& b, int64_t m,
                            int64_t n, int64_t k, bool ta, bool tb) {
  std::vector<T> c(m * n);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) {
        s += double(ta ? a[p * m + i] : a[i * k + p]) * double(tb ? b[j * k + p] : b[p * n + j]);
      }
      c[i * n + j] = T(s);
    }
  }
  return c;
}

template <typename T>
void check_matmul(int64_t m, int64_t n, int64_t k) {
  std::vector<T> a(m * k), b(k * n);
  for (size_t i = 0; i < a.size(); ++i) a[i] = T(int64_t(i * 7 % 11) - 5);
  for (size_t i = 0; i < b.size(); ++i) b[i] = T(int64_t(i * 5 % 13) - 6);
  for (int t = 0; t < 4; ++t) {
    const bool ta = t & 1, tb = t & 2;
    AttrMap attrs;
    attrs.set("transpose_a", ta);
    attrs.set("transpose_b", tb);
    Tensor out;
    const Tensor ta_t = make<T>(ta ? Shape({k, m}) : Shape({m, k}), a);
    const Tensor tb_t = make<T>(tb ? Shape({n, k}) : Shape({k, n}), b);
    CHECK(run("MatMul", {ta_t, tb_t}, &out, attrs).ok());
    CHECK(out.shape() == Shape({m, n}));
    CHECK(near(values<T>(out), naive_matmul(a, b, m, n, k, ta, tb), 1e-5));
  }
}

// gemm with fewer rows than a micro-tile and rows of B contiguous (B read in place), adding
// into C: matches the textbook loop, leaves C's padding (ldc > n) alone, and gives the same
// bits on 1 and 2 threads.
template <typename T>
void check_few_rows_gemm(int64_t m, int64_t n, int64_t k, bool ta) {
  const int64_t ldc = n + 3;
  std::vector<T> a(m * k), b(k * n), c0(m * ldc);
  for (size_t i = 0; i < a.size(); ++i) a[i] = T(std::sin(0.7 * double(i)));
  for (size_t i = 0; i < b.size(); ++i) b[i] = T(std::cos(0.3 * double(i)));
  for (size_t i = 0; i < c0.size(); ++i) c0[i] = T(double(i % 9) - 4);
  const std::vector<T> prod = naive_matmul(a, b, m, n, k, ta, false);
  std::vector<T> want = c0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) want[i * ldc + j] += prod[i * n + j];
  }
  Node node;
  SessionState state;
  const AttrMap attrs;
  std::vector<T> got[2];
  for (int threads = 1; threads <= 2; ++threads) {
    KernelContext ctx(node, attrs, nullptr, 0, nullptr, 0, &state, threads);
    std::vector<T>& c = got[threads - 1];
    c = c0;
    gemm<T>(ctx, ta, false, m, n, k, a.data(), ta ? m : k, b.data(), n, c.data(), ldc, true);
  }
  CHECK(near(got[0], want, sizeof(T) == 4 ? 1e-4 : 1e-12));
  CHECK(got[0] == got[1]);
}

// gemm_packed with B packed once gives gemm's bits (where gemm packs: not tiny, 6 rows or
// more) for every micro-kernel this CPU runs, with and without accumulate and transposes, over
// several calls on blocks of A's rows.
template <typename T>
void check_packed_gemm(int64_t m, int64_t n, int64_t k, bool ta, bool tb) {
  std::vector<T> a(m * k), b(k * n), c0(m * n);
  for (size_t i = 0; i < a.size(); ++i) a[i] = T(std::sin(0.9 * double(i)));
  for (size_t i = 0; i < b.size(); ++i) b[i] = T(std::cos(0.4 * double(i)));
  for (size_t i = 0; i < c0.size(); ++i) c0[i] = T(double(i % 7) - 3);
  Node node;
  SessionState state;
  const AttrMap attrs;
  KernelContext ctx(node, attrs, nullptr, 0, nullptr, 0, &state, 2);
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  for (const char* kernel : {"generic", "avx2", "avx512-layout"}) {
    if (!set_gemm_kernel(kernel).ok()) continue;
    PackedGemmB<T> packed;
    CHECK(pack_gemm_b<T>(ctx, tb, k, n, b.data(), ldb, &packed).ok());
    for (bool accumulate : {false, true}) {
      std::vector<T> want = c0, got = c0;
      gemm<T>(ctx, ta, tb, m, n, k, a.data(), lda, b.data(), ldb, want.data(), n, accumulate);
      // In two blocks of rows, as a convolution calls it.
      const int64_t half = m / 2;
      gemm_packed<T>(ctx, ta, half, a.data(), lda, packed, got.data(), n, accumulate);
      gemm_packed<T>(ctx, ta, m - half, ta ? a.data() + half : a.data() + half * k, lda, packed,
                     got.data() + half * n, n, accumulate);
      CHECK(got == want);
    }
  }
  CHECK(set_gemm_kernel("auto").ok());
}

void test_matmul() {
  check_packed_gemm<float>(24, 70, 300, false, false);
  check_packed_gemm<float>(40, 33, 520, true, false);
  check_packed_gemm<double>(12, 170, 30, false, true);
  check_packed_gemm<double>(600, 40, 30, false, false);
  check_matmul<float>(5, 7, 3);       // tiny: plain loop
  check_matmul<float>(70, 130, 300);  // packed, with edge tiles and two k blocks
  check_matmul<double>(2, 600, 40);   // few rows
  check_matmul<double>(33, 9, 17);
  check_matmul<int32_t>(13, 29, 41);
  check_matmul<float>(4, 5, 0);
  check_few_rows_gemm<float>(1, 250, 784, false);
  check_few_rows_gemm<float>(4, 300, 784, true);
  check_few_rows_gemm<double>(3, 200, 500, false);
  check_few_rows_gemm<double>(5, 1000, 200, true);
  check_few_rows_gemm<float>(2, 17, 5, false);
  Tensor out;
  Status s = run("MatMul", {make<float>({2, 3}, std::vector<float>(6)),
                            make<float>({4, 5}, std::vector<float>(20))}, &out);
  CHECK(s.message() ==
        "Dimensions must be equal, but are 3 and 4 for 'MatMul' with input shapes: [2,3], [4,5].");

  // x [2,1,3,4] adj_y y [3,5,4] -> [2,3,3,5], batch dims broadcast.
  std::vector<float> x(2 * 3 * 4), y(3 * 5 * 4);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) - 3;
  for (size_t i = 0; i < y.size(); ++i) y[i] = float(i % 5) - 2;
  AttrMap adj;
  adj.set("adj_y", true);
  CHECK(run("BatchMatMulV2", {make<float>({2, 1, 3, 4}, x), make<float>({3, 5, 4}, y)}, &out,
            adj).ok());
  CHECK(out.shape() == Shape({2, 3, 3, 5}));
  bool ok = out.shape() == Shape({2, 3, 3, 5});
  for (int b0 = 0; ok && b0 < 2; ++b0) {
    for (int b1 = 0; b1 < 3; ++b1) {
      std::vector<float> xm(x.begin() + b0 * 12, x.begin() + b0 * 12 + 12);
      std::vector<float> ym(y.begin() + b1 * 20, y.begin() + b1 * 20 + 20);
      std::vector<float> want = naive_matmul(xm, ym, 3, 5, 4, false, true);
      std::vector<float> got(out.data<float>() + (b0 * 3 + b1) * 15,
                             out.data<float>() + (b0 * 3 + b1) * 15 + 15);
      ok = ok && got == want;
    }
  }
  CHECK(ok);
}

// Sum over the axes in `mask` of a [d0,d1,d2] tensor, by loops.
std::vector<double> naive_sum(const std::vector<double>& x, const int64_t* d, int mask) {
  const int64_t o0 = mask & 1 ? 1 : d[0], o1 = mask & 2 ? 1 : d[1], o2 = mask & 4 ? 1 : d[2];
  std::vector<double> out(o0 * o1 * o2);
  for (int64_t i = 0; i < d[0]; ++i) {
    for (int64_t j = 0; j < d[1]; ++j) {
      for (int64_t k = 0; k < d[2]; ++k) {
        out[((mask & 1 ? 0 : i) * o1 + (mask & 2 ? 0 : j)) * o2 + (mask & 4 ? 0 : k)] +=
            x[(i * d[1] + j) * d[2] + k];
      }
    }
  }
  return out;
}

void test_reductions() {
  const int64_t shapes[][3] = {{2, 3, 4}, {5, 1, 70000}, {40000, 3, 2}, {3, 0, 2}};
  for (const auto& d : shapes) {
    std::vector<double> x(d[0] * d[1] * d[2]);
    for (size_t i = 0; i < x.size(); ++i) x[i] = double(i % 17) - 8;
    const Tensor t = make<double>({d[0], d[1], d[2]}, x);
    for (int mask = 0; mask < 8; ++mask) {
      std::vector<int32_t> axes;
      for (int a = 0; a < 3; ++a) {
        if (mask >> a & 1) axes.push_back(a == 2 ? -1 : a);
      }
      if (mask == 7) axes.push_back(0);  // duplicates are fine
      AttrMap keep;
      keep.set("keep_dims", true);
      Tensor sum, mean;
      const Tensor axes_t = make<int32_t>({int64_t(axes.size())}, axes);
      CHECK(run("Sum", {t, axes_t}, &sum, keep).ok());
      CHECK(run("Mean", {t, axes_t}, &mean).ok());
      const std::vector<double> want = naive_sum(x, d, mask);
      CHECK(near(values<double>(sum), want, 1e-12));
      const int64_t count = (mask & 1 ? d[0] : 1) * (mask & 2 ? d[1] : 1) * (mask & 4 ? d[2] : 1);
      std::vector<double> want_mean(want);
      for (double& v : want_mean) v /= double(count);
      std::vector<double> got_mean = values<double>(mean);
      CHECK(count == 0 ? std::isnan(got_mean.empty() ? NAN : got_mean[0])
                       : near(got_mean, want_mean, 1e-12));
      CHECK(sum.shape().rank() == 3 && mean.shape().rank() == 3 - int(__builtin_popcount(mask)));
    }
  }
  Tensor out;
  CHECK(run("Mean", {make<int32_t>({4}, {1, 2, 2, 2}), make<int64_t>({}, {0})}, &out).ok());
  CHECK(holds<int32_t>(out, {1}));
  Status s = run("Sum", {make<float>({2, 3}, std::vector<float>(6)), make<int32_t>({}, {5})}, &out);
  CHECK(s.message() == "Invalid reduction dimension 5 for input with 2 dimensions for 'Sum' with "
                       "input shapes: [2,3], [].");
  Shape inferred;
  CHECK(infer("Sum", {DType::kFloat32, DType::kInt32}, {Shape({-1, 3}), Shape({1})}, &inferred)
            .ok());
  CHECK(!inferred.rank_known());
  AttrMap keep;
  keep.set("keep_dims", true);
  CHECK(infer("Sum", {DType::kFloat32, DType::kInt32}, {Shape({-1, 3}), Shape({1})}, &inferred,
              keep).ok());
  CHECK(inferred == Shape({-1, -1}));

  // float32 accuracy: 10M copies of 0.1f sum to 1e6 * (float)0.1 within double-ish error.
  std::vector<float> tenths(10000000, 0.1f);
  CHECK(run("Sum", {make<float>({10000000}, tenths), make<int32_t>({1}, {0})}, &out).ok());
  CHECK(std::fabs(out.data<float>()[0] - 1e7 * double(0.1f)) < 1.0);

  CHECK(run("ArgMax", {make<float>({2, 3}, {1, 5, 5, 7, NAN, 2}), make<int32_t>({}, {1})}, &out)
            .ok());
  CHECK(out.dtype() == DType::kInt64 && holds<int64_t>(out, {1, 1}));
  AttrMap i32;
  i32.set("output_type", DType::kInt32);
  CHECK(run("ArgMax", {make<int32_t>({2, 3}, {1, 5, 5, 7, 0, 2}), make<int64_t>({}, {-2})}, &out,
            i32).ok());
  CHECK(holds<int32_t>(out, {1, 0, 0}));
  CHECK(run("ArgMax", {make<float>({2, 0}, {}), make<int32_t>({}, {1})}, &out).code() ==
        StatusCode::kInvalidArgument);
}

void test_array_ops() {
  Tensor out;
  const Tensor x = make<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK(run("Reshape", {x, make<int32_t>({2}, {-1, 2})}, &out).ok());
  CHECK(out.shape() == Shape({3, 2}) && out.raw_data() == x.raw_data());
  Status s = run("Reshape", {x, make<int64_t>({1}, {4})}, &out);
  CHECK(s.message() == "Cannot reshape a tensor with 6 elements to shape [4] (4 elements) for "
                       "'Reshape' with input shapes: [2,3], [1].");
  CHECK(run("Reshape", {x, make<int32_t>({2}, {-1, -1})}, &out).message().find(
            "only one input size may be -1") != std::string::npos);
  Shape inferred;
  CHECK(infer("Reshape", {DType::kFloat32, DType::kInt32}, {Shape({-1, 3}), Shape({3})},
              &inferred).ok());
  CHECK(inferred == Shape({-1, -1, -1}));
  CHECK(run("Identity", {x}, &out).ok() && out.raw_data() == x.raw_data());
  CHECK(run("Fill", {make<int32_t>({2}, {2, 2}), make<bool>({}, {true})}, &out).ok());
  CHECK(out.dtype() == DType::kBool && holds<bool>(out, {true, true, true, true}));
  CHECK(run("Fill", {make<int32_t>({2}, {2, -1}), make<float>({}, {1})}, &out).code() ==
        StatusCode::kInvalidArgument);
}

void test_random() {
  AttrMap seeded;
  seeded.set("seed", int64_t{1});
  seeded.set("seed2", int64_t{2});
  const Tensor shape = make<int64_t>({1}, {100001});
  Tensor one, two, again;
  SessionState s1, s2;
  CHECK(run("RandomStandardNormal", {shape}, &one, seeded, 1, &s1).ok());
  CHECK(run("RandomStandardNormal", {shape}, &two, seeded, 2, &s2).ok());
  CHECK(values<float>(one) == values<float>(two));
  CHECK(run("RandomStandardNormal", {shape}, &again, seeded, 2, &s2).ok());
  CHECK(values<float>(again) != values<float>(two));  // the stream moves on
  double sum = 0, sq = 0;
  for (float v : values<float>(one)) {
    sum += v;
    sq += double(v) * v;
  }
  const double mean = sum / 100001, stddev = std::sqrt(sq / 100001 - mean * mean);
  CHECK(std::fabs(mean) < 0.02 && std::fabs(stddev - 1) < 0.02);
  AttrMap f64 = seeded;
  f64.set("dtype", DType::kFloat64);
  CHECK(run("RandomStandardNormal", {make<int32_t>({2}, {3, 3})}, &one, f64).ok());
  CHECK(one.dtype() == DType::kFloat64 && one.shape() == Shape({3, 3}));
}

}  // namespace

int main() {
  test_binary();
  test_unary_and_cast();
  test_matmul();
  test_reductions();
  test_array_ops();
  test_random();
  std::printf(g_failures ? "%d check(s) FAILED\n" : "all checks passed\n", g_failures);
  return g_failures ? 1 : 0;
}
