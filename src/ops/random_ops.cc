// RandomStandardNormal, RandomUniform, RandomUniformInt, TruncatedNormal, RandomShuffle and
// Multinomial, and the candidate samplers of sampled losses (UniformCandidateSampler,
// LogUniformCandidateSampler, FixedUnigramCandidateSampler, ComputeAccidentalHits). Every
// value comes from a Philox block fixed by its position in the output, so results are the same
// for any thread count (see philox.h); the samplers, which draw until they have enough
// distinct classes, read a private sequence keyed by one block.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "ops/array_util.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/philox.h"
#include "ops/shape_fns.h"
#include "tensorlib/graph.h"

namespace tl {
namespace {

constexpr double kTwoPi = 6.283185307179586;

// One run's share of a random op's stream: the key from `seed`, `seed2` in the high counter
// words, and `base`, the first of the blocks this run reserved.
struct RandomStream {
  PhiloxKey key;
  uint64_t seed2;
  uint64_t base;

  // The 128 random bits of block `i` of this run.
  PhiloxCounter block(uint64_t i) const {
    const uint64_t c = base + i;
    return philox4x32({static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32),
                       static_cast<uint32_t>(seed2), static_cast<uint32_t>(seed2 >> 32)},
                      key);
  }
};

// Reserves `blocks` blocks of the running node's stream.
RandomStream take_stream(KernelContext& ctx, uint64_t blocks) {
  const uint64_t seed = static_cast<uint64_t>(ctx.attrs().get<int64_t>("seed"));
  const uint64_t seed2 = static_cast<uint64_t>(ctx.attrs().get<int64_t>("seed2"));
  RandomStream s{{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}, seed2, 0};
  if (seed == 0 && seed2 == 0) {
    // No seed set anywhere: a fresh stream each run (TF1 behaviour).
    thread_local std::random_device device;
    s.key = {device(), device()};
  }
  s.base = ctx.state().take_random_counter(ctx.node(), blocks);
  return s;
}

// Values per Philox block: 4 floats (24 bits each) or 2 doubles (53 bits each).
template <typename T>
constexpr int64_t kPerBlock = sizeof(T) == 4 ? 4 : 2;

// The uniforms in [0, 1) of one block.
inline void block_uniforms(const PhiloxCounter& r, float* u) {
  for (int j = 0; j < 4; ++j) u[j] = uniform_float(r[j]);
}
inline void block_uniforms(const PhiloxCounter& r, double* u) {
  u[0] = uniform_double(r[0], r[1]);
  u[1] = uniform_double(r[2], r[3]);
}

// Box-Muller: two independent standard normals from u1 in (0, 1] and u2 in [0, 1).
template <typename T>
void box_muller(T u1, T u2, T* z) {
  const T radius = std::sqrt(T(-2) * std::log(u1));
  const T theta = static_cast<T>(kTwoPi) * u2;
  z[0] = radius * std::cos(theta);
  z[1] = radius * std::sin(theta);
}

// The normals of one block.
template <typename T>
void block_normals(const PhiloxCounter& r, T* z) {
  T u[kPerBlock<T>];
  block_uniforms(r, u);
  for (int j = 0; j < kPerBlock<T>; j += 2) box_muller(T(1) - u[j], u[j + 1], z + j);
}

// Fills `out` with fn(block bits, values) kPerBlock<T> values at a time, block i giving
// elements [i * kPerBlock, (i + 1) * kPerBlock).
template <typename T, typename F>
void fill_by_blocks(KernelContext& ctx, Tensor& out, int64_t grain, F fn) {
  const int64_t n = out.num_elements();
  constexpr int64_t per = kPerBlock<T>;
  const int64_t blocks = (n + per - 1) / per;
  const RandomStream stream = take_stream(ctx, static_cast<uint64_t>(blocks));
  T* y = out.data<T>();
  ctx.parallel_for(blocks, grain / per, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T v[per];
      fn(stream.block(static_cast<uint64_t>(i)), v);
      const int64_t start = i * per;
      for (int64_t j = 0; j < per && start + j < n; ++j) y[start + j] = v[j];
    }
  });
}

// (shape) -> a tensor of attr dtype (a float type).
Status random_float_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_attr_dtype(ctx, "dtype", FloatTypes{}));
  Shape out;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 0, /*allow_unknown=*/false, &out));
  ctx.set_output(0, ctx.attrs().get<DType>("dtype"), out);
  return Status::OK();
}

Status random_normal_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  return dispatch(FloatTypes{}, out.dtype(), "RandomStandardNormal", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_by_blocks<T>(ctx, out, kTranscendentalGrain,
                      [](const PhiloxCounter& r, T* v) { block_normals(r, v); });
  });
}

Status random_uniform_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  return dispatch(FloatTypes{}, out.dtype(), "RandomUniform", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_by_blocks<T>(ctx, out, kElementwiseGrain,
                      [](const PhiloxCounter& r, T* v) { block_uniforms(r, v); });
  });
}

// Blocks reserved per group of kPerBlock outputs: a group needs kPerBlock normals within two
// standard deviations out of 8 * kPerBlock draws (each accepted with p = 0.954), which fails
// with probability below 1e-17; past the reserve it reads on into the next group's blocks,
// which stays deterministic.
constexpr int64_t kTruncatedReserve = 8;

Status truncated_normal_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  return dispatch(FloatTypes{}, out.dtype(), "TruncatedNormal", [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr int64_t per = kPerBlock<T>;
    const int64_t n = out.num_elements();
    const int64_t groups = (n + per - 1) / per;
    const RandomStream stream =
        take_stream(ctx, static_cast<uint64_t>(groups * kTruncatedReserve));
    T* y = out.data<T>();
    ctx.parallel_for(groups, kTranscendentalGrain / per, [&](int64_t b, int64_t e) {
      for (int64_t g = b; g < e; ++g) {
        const int64_t start = g * per, count = std::min(per, n - start);
        int64_t filled = 0;
        for (uint64_t k = static_cast<uint64_t>(g * kTruncatedReserve); filled < count; ++k) {
          T z[per];
          block_normals(stream.block(k), z);
          for (int64_t j = 0; j < per && filled < count; ++j) {
            if (std::abs(z[j]) < T(2)) y[start + filled++] = z[j];
          }
        }
      }
    });
  });
}

// ---- RandomUniformInt: shape, minval, maxval ----

Status random_uniform_int_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 1, 2));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 0, 0));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 0, 0));
  Shape out;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 0, /*allow_unknown=*/false, &out));
  ctx.set_output(0, ctx.input_dtype(1), out);
  return Status::OK();
}

Status random_uniform_int_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  if (out.num_elements() == 0) return Status::OK();
  const int64_t lo = int_element(ctx.input(1), 0), hi = int_element(ctx.input(2), 0);
  if (lo >= hi) {
    return invalid_argument("Need minval < maxval: " + std::to_string(lo) + " >= " +
                            std::to_string(hi));
  }
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  return dispatch(IntTypes{}, out.dtype(), "RandomUniformInt", [&](auto tag) {
    using T = typename decltype(tag)::type;
    // NOTE: the modulo's bias is below range / 2^32 (int32) or range / 2^64 (int64).
    fill_by_blocks<T>(ctx, out, kElementwiseGrain, [&](const PhiloxCounter& r, T* v) {
      if constexpr (sizeof(T) == 4) {
        for (int j = 0; j < 4; ++j) v[j] = static_cast<T>(lo + static_cast<int64_t>(r[j] % range));
      } else {
        for (int j = 0; j < 2; ++j) {
          const uint64_t bits = uint64_t{r[2 * j]} << 32 | r[2 * j + 1];
          v[j] = static_cast<T>(static_cast<uint64_t>(lo) + bits % range);
        }
      }
    });
  });
}

// ---- RandomShuffle ----

Status random_shuffle_shape(InferenceContext& ctx) {
  if (ctx.input_dtype(0) != DType::kString) {  // strings too (file names of input pipelines)
    TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  }
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

// Fisher-Yates over the rows (dim 0), one 64-bit draw per swap, then a parallel row copy.
Status random_shuffle_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& out = ctx.output(0);
  const int64_t rows = x.shape().rank() == 0 ? 1 : x.shape().dim(0);
  const bool strings = x.dtype() == DType::kString;
  if (strings && (rows <= 1 || out.num_elements() == 0)) {
    std::copy_n(x.data<std::string>(), x.num_elements(), out.data<std::string>());
    return Status::OK();
  }
  if (rows <= 1 || out.num_elements() == 0) {
    parallel_memcpy(ctx, out.raw_data(), x.raw_data(), x.num_bytes());
    return Status::OK();
  }
  const RandomStream stream = take_stream(ctx, static_cast<uint64_t>((rows + 1) / 2));
  std::vector<int64_t> perm(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) perm[i] = i;
  for (int64_t i = rows - 1; i > 0; --i) {
    const PhiloxCounter r = stream.block(static_cast<uint64_t>(i / 2));
    const uint64_t bits = uint64_t{r[2 * (i % 2)]} << 32 | r[2 * (i % 2) + 1];
    std::swap(perm[i], perm[static_cast<int64_t>(bits % static_cast<uint64_t>(i + 1))]);
  }
  if (strings) {
    const int64_t row = x.num_elements() / rows;
    for (int64_t i = 0; i < rows; ++i) {
      std::copy_n(x.data<std::string>() + perm[i] * row, row, out.data<std::string>() + i * row);
    }
    return Status::OK();
  }
  const size_t row_bytes = x.num_bytes() / static_cast<size_t>(rows);
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  ctx.parallel_for(rows, std::max<int64_t>(1, kCopyGrainBytes / int64_t(row_bytes)),
                   [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      std::memcpy(dst + i * row_bytes, src + perm[i] * row_bytes, row_bytes);
    }
  });
  return Status::OK();
}

// ---- Multinomial: logits [batch, classes], num_samples ----

Status multinomial_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 2, 2));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 0, 0));
  TL_RETURN_IF_ERROR(check_attr_dtype(ctx, "output_dtype", IntTypes{}));
  int64_t samples = kUnknownDim;
  if (const Tensor* t = ctx.input_value(1)) {
    samples = int_element(*t, 0);
    if (samples < 0) {
      return shape_error(ctx, "num_samples should be nonnegative, got " +
                                  std::to_string(samples));
    }
  }
  const Shape& logits = ctx.input_shape(0);
  ctx.set_output(0, ctx.attrs().get<DType>("output_dtype"),
                 Shape({logits.rank_known() ? logits.dim(0) : kUnknownDim, samples}));
  return Status::OK();
}

// Each sample is the first class whose cumulative weight exp(logit - max) exceeds a uniform
// draw times the total; sample s of row b uses half of block (b * num_samples + s) / 2.
Status multinomial_kernel(KernelContext& ctx) {
  const Tensor& logits = ctx.input(0);
  const int64_t batch = logits.shape().dim(0), classes = logits.shape().dim(1);
  const int64_t samples = int_element(ctx.input(1), 0);
  if (samples < 0) {
    return invalid_argument("num_samples should be nonnegative, got " + std::to_string(samples));
  }
  if (batch > 0 && samples > 0 && classes == 0) {
    return invalid_argument("num_classes should be positive, got 0");
  }
  Tensor& out = ctx.output(0);
  if (out.num_elements() == 0) return Status::OK();
  const RandomStream stream = take_stream(ctx, static_cast<uint64_t>((batch * samples + 1) / 2));
  return dispatch(FloatTypes{}, logits.dtype(), "Multinomial", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = logits.data<T>();
    const int64_t grain = std::max<int64_t>(1, kTranscendentalGrain / (classes + samples));
    ctx.parallel_for(batch, grain, [&](int64_t b, int64_t e) {
      std::vector<double> cdf(static_cast<size_t>(classes));
      for (int64_t row = b; row < e; ++row) {
        const T* l = x + row * classes;
        T max = -INFINITY;
        for (int64_t c = 0; c < classes; ++c) {
          if (std::isfinite(l[c])) max = std::max(max, l[c]);
        }
        double total = 0;
        for (int64_t c = 0; c < classes; ++c) {
          total += std::isfinite(l[c]) ? std::exp(static_cast<double>(l[c] - max)) : 0.0;
          cdf[c] = total;
        }
        for (int64_t s = 0; s < samples; ++s) {
          const uint64_t k = static_cast<uint64_t>(row * samples + s);
          const PhiloxCounter r = stream.block(k / 2);
          const double u = uniform_double(r[2 * (k % 2)], r[2 * (k % 2) + 1]) * total;
          const int64_t c = std::min<int64_t>(
              classes - 1, std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
          if (out.dtype() == DType::kInt64) {
            out.data<int64_t>()[row * samples + s] = c;
          } else {
            out.data<int32_t>()[row * samples + s] = static_cast<int32_t>(c);
          }
        }
      }
    });
  });
}

// Declares a stateful random op with TF1's seed attributes.
OpDef random_op(const char* name) {
  return OpDef(name).attr("seed", AttrType::kInt, int64_t{0})
      .attr("seed2", AttrType::kInt, int64_t{0}).stateful();
}

// ---- candidate samplers (sampled losses) ----
//
// UniformCandidateSampler, LogUniformCandidateSampler and FixedUnigramCandidateSampler draw
// num_sampled classes of [0, range_max) (with unique, distinct ones by rejection, as TF does)
// and give the expected count of each true and sampled class: prob * num_sampled, or with unique
// 1 - (1 - prob)^num_tries for the number of draws it took. ComputeAccidentalHits finds the
// sampled classes that are also true classes of a row.

// Uniform doubles in [0, 1) from a private Philox sequence keyed by one block of the node's
// stream, for samplers whose number of draws is not known in advance.
class UniformSequence {
 public:
  explicit UniformSequence(const PhiloxCounter& seed)
      : key_{seed[0], seed[1]}, high_{seed[2], seed[3]} {}
  double next() {
    if (used_ == 2) {
      block_ = philox4x32({static_cast<uint32_t>(counter_),
                           static_cast<uint32_t>(counter_ >> 32), high_[0], high_[1]},
                          key_);
      ++counter_;
      used_ = 0;
    }
    const double u = uniform_double(block_[2 * used_], block_[2 * used_ + 1]);
    ++used_;
    return u;
  }

 private:
  PhiloxKey key_;
  std::array<uint32_t, 2> high_;
  PhiloxCounter block_{};
  uint64_t counter_ = 0;
  int used_ = 2;
};

// A distribution over [0, range_max) made from the op's attrs: sample draws one class,
// probability gives P(class), support counts the classes of nonzero probability.
struct UniformClasses {
  int64_t range;
  static UniformClasses from(const KernelContext& ctx) {
    return {ctx.attrs().get<int64_t>("range_max")};
  }
  int64_t support() const { return range; }
  int64_t sample(UniformSequence& u) const {
    return std::min(static_cast<int64_t>(u.next() * static_cast<double>(range)), range - 1);
  }
  double probability(int64_t) const { return 1.0 / static_cast<double>(range); }
};

// P(class) = log((class + 2) / (class + 1)) / log(range_max + 1): Zipf-like, for classes
// sorted by decreasing frequency.
struct LogUniformClasses {
  int64_t range;
  static LogUniformClasses from(const KernelContext& ctx) {
    return {ctx.attrs().get<int64_t>("range_max")};
  }
  int64_t support() const { return range; }
  double log_range() const { return std::log(static_cast<double>(range) + 1.0); }
  int64_t sample(UniformSequence& u) const {
    const int64_t value = static_cast<int64_t>(std::exp(u.next() * log_range())) - 1;
    return value % range;
  }
  double probability(int64_t c) const {
    return (std::log(static_cast<double>(c) + 2.0) - std::log(static_cast<double>(c) + 1.0)) /
           log_range();
  }
};

// P(class) = unigrams[class] / sum(unigrams): FixedUnigramCandidateSampler, whose weights
// (distorted, reserved ids at 0) the Python wrapper computes.
struct UnigramClasses {
  int64_t range;
  const double* weights;
  std::vector<double> cdf;  // cdf[c] = weights[0] + ... + weights[c]
  static UnigramClasses from(const KernelContext& ctx) {
    const Tensor& unigrams = ctx.attrs().get<Tensor>("unigrams");
    UnigramClasses u{unigrams.num_elements(), unigrams.data<double>(), {}};
    double total = 0;
    for (int64_t c = 0; c < u.range; ++c) u.cdf.push_back(total += u.weights[c]);
    return u;
  }
  int64_t support() const {
    return std::count_if(weights, weights + range, [](double w) { return w > 0; });
  }
  int64_t sample(UniformSequence& u) const {
    const double x = u.next() * cdf.back();
    const int64_t c = std::upper_bound(cdf.begin(), cdf.end(), x) - cdf.begin();
    return std::min(c, range - 1);
  }
  double probability(int64_t c) const { return weights[c] / cdf.back(); }
};

// The expected count of a class of probability p among num_sampled draws (num_tries draws
// when sampling distinct classes).
double expected_count(double p, int64_t num_sampled, int64_t num_tries, bool unique) {
  if (!unique) return p * static_cast<double>(num_sampled);
  return -std::expm1(static_cast<double>(num_tries) * std::log1p(-p));
}

Status candidate_sampler_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, TypeList<int64_t>{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 2, 2));
  const int64_t num_true = ctx.attrs().get<int64_t>("num_true");
  const int64_t num_sampled = ctx.attrs().get<int64_t>("num_sampled");
  const int64_t range_max = ctx.attrs().get<int64_t>("range_max");
  if (num_true < 1 || num_sampled < 1 || range_max < 1) {
    return shape_error(ctx, "num_true, num_sampled and range_max must be positive");
  }
  if (ctx.attrs().get<bool>("unique") && num_sampled > range_max) {
    return shape_error(ctx, "Sampler's range is too small: num_sampled " +
                                std::to_string(num_sampled) + " > range_max " +
                                std::to_string(range_max) + " with unique=True");
  }
  const Shape& in = ctx.input_shape(0);
  if (in.rank_known() && in.dim(1) >= 0 && in.dim(1) != num_true) {
    return shape_error(ctx, "true_classes must have num_true = " + std::to_string(num_true) +
                                " columns, got shape " + in.to_string());
  }
  const int64_t batch = in.rank_known() ? in.dim(0) : kUnknownDim;
  ctx.set_output(0, DType::kInt64, Shape({num_sampled}));
  ctx.set_output(1, DType::kFloat32, Shape({batch, num_true}));
  ctx.set_output(2, DType::kFloat32, Shape({num_sampled}));
  return Status::OK();
}

template <typename Classes>
Status candidate_sampler_kernel(KernelContext& ctx) {
  const char* op = ctx.graph_node().op->name().c_str();
  const Tensor& true_classes = ctx.input(0);
  const int64_t num_true = ctx.attrs().get<int64_t>("num_true");
  const int64_t num_sampled = ctx.attrs().get<int64_t>("num_sampled");
  const bool unique = ctx.attrs().get<bool>("unique");
  const Classes classes = Classes::from(ctx);
  if (true_classes.shape().rank() != 2 || true_classes.shape().dim(1) != num_true) {
    return invalid_argument(std::string(op) + ": true_classes must be a matrix of num_true = " +
                            std::to_string(num_true) + " columns, got shape " +
                            true_classes.shape().to_string());
  }
  const int64_t* truth = true_classes.data<int64_t>();
  for (int64_t i = 0; i < true_classes.num_elements(); ++i) {
    if (truth[i] < 0 || truth[i] >= classes.range) {
      return invalid_argument(std::string(op) + ": true class " + std::to_string(truth[i]) +
                              " is not in [0, range_max = " + std::to_string(classes.range) +
                              ")");
    }
  }
  if (unique && num_sampled > classes.support()) {
    return invalid_argument(std::string(op) + ": cannot sample " + std::to_string(num_sampled) +
                            " distinct classes from " + std::to_string(classes.support()) +
                            " of nonzero probability");
  }
  UniformSequence uniforms(take_stream(ctx, 1).block(0));
  Tensor sampled, true_expected, sampled_expected;
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kInt64, Shape({num_sampled}), &sampled));
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kFloat32, true_classes.shape(), &true_expected));
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kFloat32, Shape({num_sampled}), &sampled_expected));
  int64_t* out = sampled.data<int64_t>();
  int64_t num_tries = 0;
  std::vector<bool> taken(unique ? classes.range : 0, false);
  for (int64_t picked = 0; picked < num_sampled;) {
    const int64_t c = classes.sample(uniforms);
    ++num_tries;
    if (unique) {
      if (taken[c]) continue;
      taken[c] = true;
    }
    out[picked++] = c;
  }
  float* te = true_expected.data<float>();
  for (int64_t i = 0; i < true_classes.num_elements(); ++i) {
    te[i] = static_cast<float>(
        expected_count(classes.probability(truth[i]), num_sampled, num_tries, unique));
  }
  float* se = sampled_expected.data<float>();
  for (int64_t j = 0; j < num_sampled; ++j) {
    se[j] = static_cast<float>(
        expected_count(classes.probability(out[j]), num_sampled, num_tries, unique));
  }
  ctx.output(0) = std::move(sampled);
  ctx.output(1) = std::move(true_expected);
  ctx.output(2) = std::move(sampled_expected);
  return Status::OK();
}

Status compute_accidental_hits_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, TypeList<int64_t>{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, TypeList<int64_t>{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 2, 2));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, 1));
  ctx.set_output(0, DType::kInt32, Shape({kUnknownDim}));
  ctx.set_output(1, DType::kInt64, Shape({kUnknownDim}));
  ctx.set_output(2, DType::kFloat32, Shape({kUnknownDim}));
  return Status::OK();
}

// For each true class true_classes[i, t] that is also sampled (at position j, the last one
// when sampled more than once): the hit (i, j) with weight -FLT_MAX, row by row.
Status compute_accidental_hits_kernel(KernelContext& ctx) {
  const Tensor& true_classes = ctx.input(0);
  const Tensor& sampled = ctx.input(1);
  const int64_t num_true = ctx.attrs().get<int64_t>("num_true");
  if (true_classes.shape().rank() != 2 || true_classes.shape().dim(1) != num_true) {
    return invalid_argument("ComputeAccidentalHits: true_classes must be a matrix of "
                            "num_true = " + std::to_string(num_true) + " columns, got shape " +
                            true_classes.shape().to_string());
  }
  std::unordered_map<int64_t, int64_t> position;
  const int64_t* s = sampled.data<int64_t>();
  for (int64_t j = 0; j < sampled.num_elements(); ++j) position[s[j]] = j;
  std::vector<int32_t> rows;
  std::vector<int64_t> ids;
  const int64_t* truth = true_classes.data<int64_t>();
  for (int64_t i = 0; i < true_classes.num_elements(); ++i) {
    auto hit = position.find(truth[i]);
    if (hit == position.end()) continue;
    rows.push_back(static_cast<int32_t>(i / num_true));
    ids.push_back(hit->second);
  }
  const int64_t n = static_cast<int64_t>(rows.size());
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kInt32, Shape({n}), &ctx.output(0)));
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kInt64, Shape({n}), &ctx.output(1)));
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kFloat32, Shape({n}), &ctx.output(2)));
  std::copy(rows.begin(), rows.end(), ctx.output(0).data<int32_t>());
  std::copy(ids.begin(), ids.end(), ctx.output(1).data<int64_t>());
  std::fill_n(ctx.output(2).data<float>(), n, -std::numeric_limits<float>::max());
  return Status::OK();
}

OpDef candidate_sampler_op(const char* name) {
  return random_op(name)
      .input("true_classes")
      .outputs(3)
      .attr("num_true", AttrType::kInt)
      .attr("num_sampled", AttrType::kInt)
      .attr("unique", AttrType::kBool)
      .attr("range_max", AttrType::kInt)
      .shape(candidate_sampler_shape)
      .sets_own_outputs();
}

}  // namespace

void register_random_ops(OpRegistry& r) {
  r.add_builtin(random_op("RandomStandardNormal").input("shape")
                    .attr("dtype", AttrType::kType, DType::kFloat32)
                    .shape(random_float_shape));
  r.add_builtin(random_op("RandomUniform").input("shape")
                    .attr("dtype", AttrType::kType, DType::kFloat32)
                    .shape(random_float_shape));
  r.add_builtin(random_op("TruncatedNormal").input("shape")
                    .attr("dtype", AttrType::kType, DType::kFloat32)
                    .shape(random_float_shape));
  r.add_builtin(random_op("RandomUniformInt").input("shape").input("minval").input("maxval")
                    .shape(random_uniform_int_shape));
  r.add_builtin(random_op("RandomShuffle").input("value").shape(random_shuffle_shape));
  r.add_builtin(random_op("Multinomial").input("logits").input("num_samples")
                    .attr("output_dtype", AttrType::kType, DType::kInt64)
                    .shape(multinomial_shape));
  r.add_builtin(candidate_sampler_op("UniformCandidateSampler"));
  r.add_builtin(candidate_sampler_op("LogUniformCandidateSampler"));
  r.add_builtin(candidate_sampler_op("FixedUnigramCandidateSampler")
                    .attr("unigrams", AttrType::kTensor));
  r.add_builtin(random_op("ComputeAccidentalHits")
                    .input("true_classes")
                    .input("sampled_candidates")
                    .outputs(3)
                    .attr("num_true", AttrType::kInt)
                    .shape(compute_accidental_hits_shape)
                    .sets_own_outputs());
}

void register_random_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("RandomStandardNormal", Device::kCPU).compute(random_normal_kernel));
  r.add_builtin(KernelDef("RandomUniform", Device::kCPU).compute(random_uniform_kernel));
  r.add_builtin(KernelDef("TruncatedNormal", Device::kCPU).compute(truncated_normal_kernel));
  r.add_builtin(KernelDef("RandomUniformInt", Device::kCPU).compute(random_uniform_int_kernel));
  r.add_builtin(KernelDef("RandomShuffle", Device::kCPU).compute(random_shuffle_kernel));
  r.add_builtin(KernelDef("Multinomial", Device::kCPU).compute(multinomial_kernel));
  r.add_builtin(KernelDef("UniformCandidateSampler", Device::kCPU)
                    .compute(candidate_sampler_kernel<UniformClasses>));
  r.add_builtin(KernelDef("LogUniformCandidateSampler", Device::kCPU)
                    .compute(candidate_sampler_kernel<LogUniformClasses>));
  r.add_builtin(KernelDef("FixedUnigramCandidateSampler", Device::kCPU)
                    .compute(candidate_sampler_kernel<UnigramClasses>));
  r.add_builtin(KernelDef("ComputeAccidentalHits", Device::kCPU)
                    .compute(compute_accidental_hits_kernel));
}

}  // namespace tl
