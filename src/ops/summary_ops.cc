// ScalarSummary, HistogramSummary and MergeSummary: ops whose output is one string holding a
// serialized tensorflow.Summary protocol buffer (summary.proto), as TF1's are. The few
// messages involved are written and read by the small wire-format coder below.
//
//   message Summary        { repeated Value value = 1; }
//   message Summary.Value  { string tag = 1; float simple_value = 2; HistogramProto histo = 5; }
//   message HistogramProto { double min = 1; double max = 2; double num = 3; double sum = 4;
//                            double sum_squares = 5; repeated double bucket_limit = 6 [packed];
//                            repeated double bucket = 7 [packed]; }
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"
#include "tensorlib/graph.h"

namespace tl {
namespace {

// ---- protocol buffer wire format ----

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void put_tag(std::string* out, uint32_t field, WireType wire) {
  put_varint(out, (uint64_t{field} << 3) | wire);
}

// Little-endian, as the wire format stores fixed-width numbers (the hosts we build for are).
template <typename T>
void put_raw(std::string* out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out->append(bytes, sizeof(T));
}

void put_bytes(std::string* out, uint32_t field, const std::string& s) {
  put_tag(out, field, kLengthDelimited);
  put_varint(out, s.size());
  out->append(s);
}

void put_float(std::string* out, uint32_t field, float v) {
  put_tag(out, field, kFixed32);
  put_raw(out, v);
}

// A proto3 scalar field: omitted when it holds its default (all bits zero).
void put_double(std::string* out, uint32_t field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  if (bits == 0) return;
  put_tag(out, field, kFixed64);
  put_raw(out, v);
}

void put_packed_doubles(std::string* out, uint32_t field, const std::vector<double>& v) {
  put_tag(out, field, kLengthDelimited);
  put_varint(out, v.size() * sizeof(double));
  for (double d : v) put_raw(out, d);
}

// Reads the fields of one message in [p, end).
class WireReader {
 public:
  WireReader(const char* p, const char* end) : p_(p), end_(end) {}

  bool done() const { return p_ == end_; }

  // Reads the next field's header and value; false when the bytes are malformed. For a
  // length-delimited field, [*data, *data + *size) is its payload.
  bool next(uint32_t* field, uint32_t* wire, const char** data, uint64_t* size) {
    uint64_t key;
    if (!varint(&key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wire = static_cast<uint32_t>(key & 7);
    uint64_t v;
    switch (*wire) {
      case kVarint:
        return varint(&v);
      case kFixed64:
        return skip(8);
      case kFixed32:
        return skip(4);
      case kLengthDelimited:
        if (!varint(size) || *size > static_cast<uint64_t>(end_ - p_)) return false;
        *data = p_;
        p_ += *size;
        return true;
      default:
        return false;
    }
  }

 private:
  bool varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(*p_++);
      *v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool skip(int64_t n) {
    if (end_ - p_ < n) return false;
    p_ += n;
    return true;
  }

  const char* p_;
  const char* end_;
};

// ---- histograms ----

// TF's default bucket limits: +-1e-12 * 1.1^k up to 1e20, +-DBL_MAX at the ends, and 0, in
// increasing order; a value counts in the bucket of the first limit above it.
class BucketLimits {
 public:
  static const BucketLimits& get() {
    static const BucketLimits* limits = new BucketLimits();
    return *limits;
  }

  const std::vector<double>& all() const { return all_; }

  // The index of the first limit above `v` (finite), or the last limit. Equal to
  // std::upper_bound over all(), found from v's binary exponent and a few comparisons.
  size_t bucket(double v) const {
    const size_t n = pos_.size();  // all_: n negative limits, 0, then the n positive ones
    if (v > 0) return std::min(n + 1 + count_positive(v, true), 2 * n);
    if (v < 0) return n - count_positive(-v, false);
    return n + 1;
  }

 private:
  BucketLimits() {
    for (double v = 1.0e-12; v < 1.0e20; v *= 1.1) pos_.push_back(v);
    pos_.push_back(DBL_MAX);
    for (auto it = pos_.rbegin(); it != pos_.rend(); ++it) all_.push_back(-*it);
    all_.push_back(0.0);
    all_.insert(all_.end(), pos_.begin(), pos_.end());
    for (int e = 1; e < 2047; ++e) {
      const double binade_start = std::ldexp(1.0, e - 1023);
      below_binade_[e] = static_cast<uint16_t>(
          std::lower_bound(pos_.begin(), pos_.end(), binade_start) - pos_.begin());
    }
    below_binade_[0] = 0;
    below_binade_[2047] = static_cast<uint16_t>(pos_.size());
  }

  // How many positive limits are below a > 0 (or equal to it, when `inclusive`): those
  // below a's binade, then at most 8 more (1.1^8 > 2).
  size_t count_positive(double a, bool inclusive) const {
    uint64_t bits;
    std::memcpy(&bits, &a, sizeof(bits));
    size_t i = below_binade_[bits >> 52];
    while (i < pos_.size() && (inclusive ? pos_[i] <= a : pos_[i] < a)) ++i;
    return i;
  }

  std::vector<double> pos_;
  std::vector<double> all_;
  uint16_t below_binade_[2048];  // per exponent field: positive limits below 2^(e - 1023)
};

struct Histogram {
  double min = DBL_MAX, max = -DBL_MAX, num = 0, sum = 0, sum_squares = 0;
  std::vector<double> counts = std::vector<double>(BucketLimits::get().all().size(), 0.0);

  void add(double v) {
    counts[BucketLimits::get().bucket(v)] += 1.0;
    min = std::min(min, v);
    max = std::max(max, v);
    num += 1;
    sum += v;
    sum_squares += v * v;
  }

  void merge(const Histogram& o) {
    for (size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
    min = std::min(min, o.min);
    max = std::max(max, o.max);
    num += o.num;
    sum += o.sum;
    sum_squares += o.sum_squares;
  }

  // The HistogramProto, with each run of empty buckets collapsed into its last one as TF does.
  std::string encode() const {
    const std::vector<double>& limits = BucketLimits::get().all();
    std::vector<double> bucket_limit, bucket;
    for (size_t i = 0; i < counts.size();) {
      double end = limits[i], count = counts[i];
      ++i;
      if (count <= 0.0) {
        while (i < counts.size() && counts[i] <= 0.0) end = limits[i], count = counts[i], ++i;
      }
      bucket_limit.push_back(end);
      bucket.push_back(count);
    }
    std::string out;
    put_double(&out, 1, min);
    put_double(&out, 2, max);
    put_double(&out, 3, num);
    put_double(&out, 4, sum);
    put_double(&out, 5, sum_squares);
    put_packed_doubles(&out, 6, bucket_limit);
    put_packed_doubles(&out, 7, bucket);
    return out;
  }
};

constexpr int64_t kHistogramGrain = 16384;

using SummaryValueTypes = TypeList<Half, float, double, int32_t, int64_t>;

template <typename T>
double as_double(T v) {
  if constexpr (std::is_same_v<T, Half>) {
    return half_to_float(v);
  } else {
    return static_cast<double>(v);
  }
}

// ---- shape functions ----

// Every summary op makes one string scalar.
Status summary_output(InferenceContext& ctx) {
  ctx.set_output(0, DType::kString, Shape({}));
  return Status::OK();
}

Status scalar_summary_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, TypeList<std::string>{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, SummaryValueTypes{}));
  return summary_output(ctx);
}

Status histogram_summary_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, TypeList<std::string>{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, SummaryValueTypes{}));
  return summary_output(ctx);
}

Status merge_summary_shape(InferenceContext& ctx) {
  if (ctx.num_inputs() < 1) return shape_error(ctx, "MergeSummary needs at least one input");
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    TL_RETURN_IF_ERROR(check_input_dtype(ctx, i, TypeList<std::string>{}));
  }
  return summary_output(ctx);
}

// ---- kernels ----

Status scalar_summary_kernel(KernelContext& ctx) {
  const Tensor& tags = ctx.input(0);
  const Tensor& values = ctx.input(1);
  if (tags.shape() != values.shape()) {
    std::string msg = "tags and values not the same shape: " + tags.shape().to_string() +
                      " != " + values.shape().to_string();
    if (tags.shape().rank() == 0) msg += " (tag '" + tags.data<std::string>()[0] + "')";
    return invalid_argument(msg);
  }
  std::string out;
  const std::string* tag = tags.data<std::string>();
  TL_RETURN_IF_ERROR(dispatch(SummaryValueTypes{}, values.dtype(), "ScalarSummary", [&](auto t) {
    using T = typename decltype(t)::type;
    const T* v = values.data<T>();
    for (int64_t i = 0; i < values.num_elements(); ++i) {
      std::string value;
      put_bytes(&value, 1, tag[i]);
      put_float(&value, 2, static_cast<float>(as_double(v[i])));
      put_bytes(&out, 1, value);
    }
  }));
  ctx.output(0).data<std::string>()[0] = std::move(out);
  return Status::OK();
}

Status histogram_summary_kernel(KernelContext& ctx) {
  const Tensor& tag = ctx.input(0);
  const Tensor& values = ctx.input(1);
  if (tag.shape().rank() != 0) return invalid_argument("tags must be scalar");
  const int64_t n = values.num_elements();
  // Fixed chunks, each with its own histogram, merged in order afterwards.
  const int64_t chunks =
      std::max<int64_t>(1, std::min<int64_t>(ctx.max_threads(), n / kHistogramGrain));
  std::vector<Histogram> parts(chunks);
  std::vector<int64_t> first_bad(chunks, n);  // index of each chunk's first NaN or Inf
  std::vector<char> bad_is_nan(chunks, 0);
  TL_RETURN_IF_ERROR(dispatch(SummaryValueTypes{}, values.dtype(), "HistogramSummary",
                              [&](auto t) {
    using T = typename decltype(t)::type;
    const T* v = values.data<T>();
    ctx.parallel_for(chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        for (int64_t i = n * c / chunks; i < n * (c + 1) / chunks; ++i) {
          const double d = as_double(v[i]);
          if (!std::isfinite(d)) {
            first_bad[c] = i;
            bad_is_nan[c] = std::isnan(d);
            break;
          }
          parts[c].add(d);
        }
      }
    });
  }));
  const int64_t bad = std::min_element(first_bad.begin(), first_bad.end()) - first_bad.begin();
  if (first_bad[bad] < n) {
    return invalid_argument(std::string(bad_is_nan[bad] ? "Nan" : "Infinity") +
                            " in summary histogram for: " + ctx.graph_node().name);
  }
  for (int64_t c = 1; c < chunks; ++c) parts[0].merge(parts[c]);
  std::string value;
  put_bytes(&value, 1, tag.data<std::string>()[0]);
  put_bytes(&value, 5, parts[0].encode());
  std::string out;
  put_bytes(&out, 1, value);
  ctx.output(0).data<std::string>()[0] = std::move(out);
  return Status::OK();
}

// The tag of one serialized Summary.Value ("" when it has none); false when malformed.
bool value_tag(const char* p, uint64_t size, std::string* tag) {
  tag->clear();
  WireReader r(p, p + size);
  while (!r.done()) {
    uint32_t field, wire;
    const char* data = nullptr;
    uint64_t len = 0;
    if (!r.next(&field, &wire, &data, &len)) return false;
    if (field == 1 && wire == kLengthDelimited) tag->assign(data, len);
  }
  return true;
}

Status merge_summary_kernel(KernelContext& ctx) {
  std::string out;
  std::unordered_set<std::string> tags;
  std::string tag;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& in = ctx.input(i);
    const std::string* s = in.data<std::string>();
    for (int64_t j = 0; j < in.num_elements(); ++j) {
      WireReader r(s[j].data(), s[j].data() + s[j].size());
      while (!r.done()) {
        uint32_t field, wire;
        const char* data = nullptr;
        uint64_t len = 0;
        if (!r.next(&field, &wire, &data, &len) ||
            (field == 1 && (wire != kLengthDelimited || !value_tag(data, len, &tag)))) {
          return invalid_argument("Could not parse one of the summary inputs");
        }
        if (field != 1) continue;
        if (!tag.empty() && !tags.insert(tag).second) {
          return invalid_argument("Duplicate tag " + tag + " found in summary inputs");
        }
        put_tag(&out, 1, kLengthDelimited);
        put_varint(&out, len);
        out.append(data, len);
      }
    }
  }
  ctx.output(0).data<std::string>()[0] = std::move(out);
  return Status::OK();
}

}  // namespace

void register_summary_ops(OpRegistry& r) {
  r.add_builtin(OpDef("ScalarSummary")
                    .input("tags")
                    .input("values")
                    .shape(scalar_summary_shape));
  r.add_builtin(OpDef("HistogramSummary")
                    .input("tag")
                    .input("values")
                    .shape(histogram_summary_shape));
  r.add_builtin(OpDef("MergeSummary")
                    .variadic_input("inputs")
                    .shape(merge_summary_shape));
}

void register_summary_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("ScalarSummary", Device::kCPU).compute(scalar_summary_kernel));
  r.add_builtin(KernelDef("HistogramSummary", Device::kCPU).compute(histogram_summary_kernel));
  r.add_builtin(KernelDef("MergeSummary", Device::kCPU).compute(merge_summary_kernel));
}

}  // namespace tl
