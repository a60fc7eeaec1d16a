// ScalarSummary, HistogramSummary, ImageSummary, AudioSummaryV2, TextSummary and MergeSummary:
// ops whose output is one string holding a serialized tensorflow.Summary protocol buffer
// (summary.proto), as TF1's are. The few messages involved are written and read by the small
// wire-format coder below; images are PNG files and sounds WAV files, encoded here too.
//
//   message Summary        { repeated Value value = 1; }
//   message Summary.Value  { string tag = 1; float simple_value = 2; Image image = 4;
//                            HistogramProto histo = 5; Audio audio = 6; TensorProto tensor = 8;
//                            SummaryMetadata metadata = 9; }
//   message HistogramProto { double min = 1; double max = 2; double num = 3; double sum = 4;
//                            double sum_squares = 5; repeated double bucket_limit = 6 [packed];
//                            repeated double bucket = 7 [packed]; }
//   message Image          { int32 height = 1; int32 width = 2; int32 colorspace = 3;
//                            bytes encoded_image_string = 4; }
//   message Audio          { float sample_rate = 1; int64 num_channels = 2;
//                            int64 length_frames = 3; bytes encoded_audio_string = 4;
//                            string content_type = 5; }
//   message TensorProto    { DataType dtype = 1; TensorShapeProto tensor_shape = 2;
//                            repeated bytes string_val = 8; }   (shape: repeated Dim dim = 2,
//                                                               Dim { int64 size = 1; })
//   message SummaryMetadata { PluginData plugin_data = 1; }     (PluginData: string
//                                                               plugin_name = 1; bytes content = 2)
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


// ---- images, sounds and text ----

// CRC-32 (IEEE 802.3, as PNG uses it) of `n` bytes, continuing from `crc`.
uint32_t crc32_ieee(const unsigned char* p, size_t n, uint32_t crc = 0) {
  static const auto table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

void put_big_endian32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void put_png_chunk(std::string* out, const char* type, const std::string& data) {
  put_big_endian32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out->size();
  out->append(type, 4);
  out->append(data);
  const auto* p = reinterpret_cast<const unsigned char*>(out->data() + start);
  put_big_endian32(out, crc32_ieee(p, out->size() - start));
}

// A PNG file of 8-bit pixels (`channels` 1: gray, 3: RGB, 4: RGBA), rows top to bottom. The
// image data is a zlib stream of stored (uncompressed) deflate blocks: every viewer reads it,
// and summaries stay quick to write.
std::string encode_png(const uint8_t* pixels, int64_t height, int64_t width, int64_t channels) {
  std::string rows;
  const int64_t row_bytes = width * channels;
  rows.reserve(static_cast<size_t>(height * (row_bytes + 1)));
  for (int64_t y = 0; y < height; ++y) {
    rows.push_back(0);  // filter: none
    rows.append(reinterpret_cast<const char*>(pixels + y * row_bytes),
                static_cast<size_t>(row_bytes));
  }
  std::string zlib = {static_cast<char>(0x78), static_cast<char>(0x01)};
  for (size_t pos = 0; pos < rows.size() || pos == 0; pos += 65535) {
    const size_t len = std::min<size_t>(65535, rows.size() - pos);
    zlib.push_back(pos + len >= rows.size() ? 1 : 0);  // BFINAL, BTYPE = stored
    const uint16_t n = static_cast<uint16_t>(len), complement = static_cast<uint16_t>(~n);
    put_raw(&zlib, n);
    put_raw(&zlib, complement);
    zlib.append(rows, pos, len);
    if (rows.empty()) break;
  }
  uint32_t a = 1, b = 0;  // Adler-32 of the uncompressed data
  for (unsigned char c : rows) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  put_big_endian32(&zlib, (b << 16) | a);
  std::string header;
  put_big_endian32(&header, static_cast<uint32_t>(width));
  put_big_endian32(&header, static_cast<uint32_t>(height));
  const char color_type = channels == 1 ? 0 : channels == 3 ? 2 : 6;
  header += {8, color_type, 0, 0, 0};  // bit depth, color type, compression, filter, interlace
  std::string png = "\x89PNG\r\n\x1a\n";
  put_png_chunk(&png, "IHDR", header);
  put_png_chunk(&png, "IDAT", zlib);
  put_png_chunk(&png, "IEND", "");
  return png;
}

// A WAV file of 16-bit PCM samples from `frames` x `channels` floats in [-1, 1] (clipped).
template <typename T>
std::string encode_wav(const T* samples, int64_t frames, int64_t channels, float sample_rate) {
  const uint32_t data_bytes = static_cast<uint32_t>(frames * channels * 2);
  const uint32_t rate = static_cast<uint32_t>(sample_rate);
  std::string wav = "RIFF";
  put_raw(&wav, uint32_t{36} + data_bytes);
  wav += "WAVEfmt ";
  put_raw(&wav, uint32_t{16});
  put_raw(&wav, uint16_t{1});  // PCM
  put_raw(&wav, static_cast<uint16_t>(channels));
  put_raw(&wav, rate);
  put_raw(&wav, static_cast<uint32_t>(rate * channels * 2));
  put_raw(&wav, static_cast<uint16_t>(channels * 2));
  put_raw(&wav, uint16_t{16});
  wav += "data";
  put_raw(&wav, data_bytes);
  for (int64_t i = 0; i < frames * channels; ++i) {
    const float v = std::max(-1.0f, std::min(1.0f, static_cast<float>(as_double(samples[i]))));
    put_raw(&wav, static_cast<int16_t>(std::lround(v * 32767.0f)));
  }
  return wav;
}

// TF's rule for showing a float image: non-negative values scale so the largest is 255; with
// negative values 0.0 goes to 128 and the largest magnitude to 1 or 255. Values are truncated
// to 8 bits; a pixel with a NaN or an infinity shows `bad_color` (red). The range and scale
// are single precision, the products in the image's own precision (float for halves), as
// TF computes them, so the pixels are TF's to the bit.
template <typename T>
void float_image_to_uint8(const T* v, int64_t pixels, int64_t channels, uint8_t* out) {
  using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const int64_t n = pixels * channels;
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float x = static_cast<float>(as_double(v[i]));
    if (!std::isfinite(x)) continue;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  constexpr float kZero = 1e-6f;
  Acc scale, offset;
  if (lo < 0) {
    const float largest = std::max(-lo, hi);
    scale = largest < kZero ? 0.0f : 127.0f / largest;
    offset = 128;
  } else {
    scale = hi < kZero ? 0.0f : 255.0f / hi;
    offset = 0;
  }
  static const uint8_t kBadColor[4] = {255, 0, 0, 255};
  for (int64_t p = 0; p < pixels; ++p) {
    bool finite = true;
    for (int64_t c = 0; c < channels; ++c) {
      finite &= std::isfinite(static_cast<Acc>(as_double(v[p * channels + c])));
    }
    for (int64_t c = 0; c < channels; ++c) {
      const Acc y = static_cast<Acc>(as_double(v[p * channels + c])) * scale + offset;
      out[p * channels + c] = finite ? static_cast<uint8_t>(y) : kBadColor[c];
    }
  }
}

// The tag of item `i` of a batch summary: "tag/image" when the op shows at most one item,
// else "tag/image/i" (as TF names them).
std::string item_tag(const std::string& tag, const char* kind, int64_t i, int64_t max_items) {
  return max_items == 1 ? tag + "/" + kind : tag + "/" + kind + "/" + std::to_string(i);
}

using ImageValueTypes = TypeList<Half, float, double>;

Status image_summary_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, TypeList<std::string>{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, ImageValueTypes{}));
  const Shape& s = ctx.input_shape(1);
  if (s.rank_known() && s.rank() != 4) {
    return shape_error(ctx, "Tensor must be 4-D with last dim 1, 3, or 4, not " + s.to_string());
  }
  return summary_output(ctx);
}

Status image_summary_kernel(KernelContext& ctx) {
  const std::string& tag = ctx.input(0).data<std::string>()[0];
  const Tensor& images = ctx.input(1);
  const Shape& s = images.shape();
  if (s.rank() != 4 || (s.dim(3) != 1 && s.dim(3) != 3 && s.dim(3) != 4)) {
    return invalid_argument("Tensor must be 4-D with last dim 1, 3, or 4, not " +
                            s.to_string());
  }
  const int64_t max_images = ctx.attrs().get<int64_t>("max_images");
  const int64_t batch = std::min(s.dim(0), max_images);
  const int64_t h = s.dim(1), w = s.dim(2), c = s.dim(3), size = h * w * c;
  if (h >= (int64_t{1} << 31) || w >= (int64_t{1} << 31)) {
    return invalid_argument("image too large for a PNG: " + s.to_string());
  }
  std::string out;
  std::vector<uint8_t> pixels(static_cast<size_t>(size));
  for (int64_t i = 0; i < batch; ++i) {
    TL_RETURN_IF_ERROR(dispatch(ImageValueTypes{}, images.dtype(), "ImageSummary", [&](auto t) {
      using T = typename decltype(t)::type;
      float_image_to_uint8(images.data<T>() + i * size, h * w, c, pixels.data());
    }));
    std::string image;
    put_tag(&image, 1, kVarint);
    put_varint(&image, static_cast<uint64_t>(h));
    put_tag(&image, 2, kVarint);
    put_varint(&image, static_cast<uint64_t>(w));
    put_tag(&image, 3, kVarint);
    put_varint(&image, static_cast<uint64_t>(c));
    put_bytes(&image, 4, encode_png(pixels.data(), h, w, c));
    std::string value;
    put_bytes(&value, 1, item_tag(tag, "image", i, max_images));
    put_bytes(&value, 4, image);
    put_bytes(&out, 1, value);
  }
  ctx.output(0).data<std::string>()[0] = std::move(out);
  return Status::OK();
}

Status audio_summary_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, TypeList<std::string>{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, FloatTypes{}));
  const Shape& s = ctx.input_shape(1);
  if (s.rank_known() && s.rank() != 2 && s.rank() != 3) {
    return shape_error(ctx, "Tensor must be 3-D or 2-D, got: " + s.to_string());
  }
  return summary_output(ctx);
}

Status audio_summary_kernel(KernelContext& ctx) {
  const std::string& tag = ctx.input(0).data<std::string>()[0];
  const Tensor& sound = ctx.input(1);
  const Tensor& rate = ctx.input(2);
  const Shape& s = sound.shape();
  if (s.rank() != 2 && s.rank() != 3) {
    return invalid_argument("Tensor must be 3-D or 2-D, got: " + s.to_string());
  }
  if (rate.num_elements() != 1 || rate.dtype() != DType::kFloat32) {
    return invalid_argument("sample_rate must be a float32 scalar");
  }
  const float sample_rate = rate.data<float>()[0];
  if (!(sample_rate > 0)) return invalid_argument("sample_rate must be positive");
  const int64_t max_outputs = ctx.attrs().get<int64_t>("max_outputs");
  const int64_t batch = std::min(s.dim(0), max_outputs);
  const int64_t frames = s.dim(1), channels = s.rank() == 3 ? s.dim(2) : 1;
  std::string out;
  for (int64_t i = 0; i < batch; ++i) {
    std::string wav;
    TL_RETURN_IF_ERROR(dispatch(FloatTypes{}, sound.dtype(), "AudioSummaryV2", [&](auto t) {
      using T = typename decltype(t)::type;
      wav = encode_wav(sound.data<T>() + i * frames * channels, frames, channels, sample_rate);
    }));
    std::string audio;
    put_float(&audio, 1, sample_rate);
    put_tag(&audio, 2, kVarint);
    put_varint(&audio, static_cast<uint64_t>(channels));
    put_tag(&audio, 3, kVarint);
    put_varint(&audio, static_cast<uint64_t>(frames));
    put_bytes(&audio, 4, wav);
    put_bytes(&audio, 5, "audio/wav");
    std::string value;
    put_bytes(&value, 1, item_tag(tag, "audio", i, max_outputs));
    put_bytes(&value, 6, audio);
    put_bytes(&out, 1, value);
  }
  ctx.output(0).data<std::string>()[0] = std::move(out);
  return Status::OK();
}

Status text_summary_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, TypeList<std::string>{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, TypeList<std::string>{}));
  return summary_output(ctx);
}

// A string tensor as TensorBoard's text plugin reads it: a TensorProto of the strings.
Status text_summary_kernel(KernelContext& ctx) {
  const std::string& tag = ctx.input(0).data<std::string>()[0];
  const Tensor& text = ctx.input(1);
  std::string tensor;
  put_tag(&tensor, 1, kVarint);
  put_varint(&tensor, static_cast<uint64_t>(DType::kString));
  std::string shape;
  for (int d = 0; d < text.shape().rank(); ++d) {
    std::string dim;
    put_tag(&dim, 1, kVarint);
    put_varint(&dim, static_cast<uint64_t>(text.shape().dim(d)));
    put_bytes(&shape, 2, dim);
  }
  put_bytes(&tensor, 2, shape);
  for (int64_t i = 0; i < text.num_elements(); ++i) {
    put_bytes(&tensor, 8, text.data<std::string>()[i]);
  }
  std::string plugin, metadata, value, out;
  put_bytes(&plugin, 1, "text");
  put_bytes(&metadata, 1, plugin);
  put_bytes(&value, 1, tag);
  put_bytes(&value, 8, tensor);
  put_bytes(&value, 9, metadata);
  put_bytes(&out, 1, value);
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
  r.add_builtin(OpDef("ImageSummary")
                    .input("tag")
                    .input("tensor")
                    .attr("max_images", AttrType::kInt, int64_t{3})
                    .shape(image_summary_shape));
  r.add_builtin(OpDef("AudioSummaryV2")
                    .input("tag")
                    .input("tensor")
                    .input("sample_rate")
                    .attr("max_outputs", AttrType::kInt, int64_t{3})
                    .shape(audio_summary_shape));
  r.add_builtin(OpDef("TextSummary")
                    .input("tag")
                    .input("tensor")
                    .shape(text_summary_shape));
}

void register_summary_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("ScalarSummary", Device::kCPU).compute(scalar_summary_kernel));
  r.add_builtin(KernelDef("HistogramSummary", Device::kCPU).compute(histogram_summary_kernel));
  r.add_builtin(KernelDef("MergeSummary", Device::kCPU).compute(merge_summary_kernel));
  r.add_builtin(KernelDef("ImageSummary", Device::kCPU).compute(image_summary_kernel));
  r.add_builtin(KernelDef("AudioSummaryV2", Device::kCPU).compute(audio_summary_kernel));
  r.add_builtin(KernelDef("TextSummary", Device::kCPU).compute(text_summary_kernel));
}

}  // namespace tl
