// File input of TF1's pipelines. Readers (TextLineReaderV2, TFRecordReaderV2,
// WholeFileReaderV2, FixedLengthRecordReaderV2: per-session objects like queues, see queue.h)
// and ReaderReadV2 / ReaderReadUpToV2, which take file names from a queue and return
// (key, value) records; ReadFile, WriteFile; the decoders DecodeCSV, DecodeRaw and
// StringToNumber.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/queue.h"
#include "ops/shape_fns.h"
#include "tensorlib/crc32c.h"
#include "tensorlib/graph.h"

namespace tl {
namespace {

// ---- files ----

Status open_file(const std::string& filename, std::ifstream* in) {
  in->open(filename, std::ios::binary);
  if (!*in) return not_found(filename + "; " + std::strerror(errno));
  return Status::OK();
}

Status read_whole_file(const std::string& filename, std::string* out) {
  std::ifstream in;
  TL_RETURN_IF_ERROR(open_file(filename, &in));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return data_loss("Error reading " + filename);
  *out = buffer.str();
  return Status::OK();
}

// The checksum TFRecord files store: the CRC-32C rotated and offset, so that CRCs of data
// holding CRCs stay well distributed.
uint32_t masked_crc32c(const char* data, size_t n) {
  const uint32_t crc = crc32c_extend(0, data, n);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

uint32_t load_le32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint64_t load_le64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// ---- readers ----

// A reader: records of one file after another, the files' names taken from a queue.
class Reader : public Resource {
 public:
  // The next record, (key, value); takes the next file name from `queue` when the current
  // file is done (OutOfRange once the queue is closed and empty).
  Status read(Queue& queue, RunControl* control, std::string* key, std::string* value) {
    std::vector<std::string> keys, values;
    TL_RETURN_IF_ERROR(read_up_to(queue, control, 1, &keys, &values));
    *key = std::move(keys[0]);
    *value = std::move(values[0]);
    return Status::OK();
  }

  // Between 1 and n records, all of one file.
  Status read_up_to(Queue& queue, RunControl* control, int64_t n, std::vector<std::string>* keys,
                    std::vector<std::string>* values) {
    std::lock_guard<std::mutex> lock(mutex_);
    while (keys->empty()) {
      if (!has_file_) {
        Queue::Element e;
        TL_RETURN_IF_ERROR(queue.dequeue(control, &e));
        if (e.size() != 1 || e[0].dtype() != DType::kString || e[0].num_elements() != 1) {
          return invalid_argument("A reader's queue must hold file names (string scalars)");
        }
        filename_ = *e[0].data<std::string>();
        TL_RETURN_IF_ERROR(open(filename_));
        has_file_ = true;
      }
      bool at_end = false;
      while (static_cast<int64_t>(keys->size()) < n && !at_end) {
        std::string key, value;
        TL_RETURN_IF_ERROR(next(&key, &value, &at_end));
        if (at_end) break;
        keys->push_back(std::move(key));
        values->push_back(std::move(value));
      }
      if (at_end) {
        close_file();
        has_file_ = false;
      }
    }
    return Status::OK();
  }

 protected:
  // Starts reading `filename`.
  virtual Status open(const std::string& filename) = 0;
  // The file's next record, or *at_end when it has no more.
  virtual Status next(std::string* key, std::string* value, bool* at_end) = 0;
  virtual void close_file() = 0;
  const std::string& filename() const { return filename_; }

 private:
  std::mutex mutex_;
  bool has_file_ = false;
  std::string filename_;
};

// Lines without their "\n" (or "\r\n"); key "file:line" (lines count from 1).
class TextLineReader : public Reader {
 public:
  explicit TextLineReader(int64_t skip_header_lines) : skip_(skip_header_lines) {}

 protected:
  Status open(const std::string& filename) override {
    TL_RETURN_IF_ERROR(open_file(filename, &in_));
    line_ = 0;
    std::string ignored;
    for (int64_t i = 0; i < skip_ && std::getline(in_, ignored); ++i) ++line_;
    return Status::OK();
  }
  Status next(std::string* key, std::string* value, bool* at_end) override {
    if (!std::getline(in_, *value)) {
      if (in_.bad()) return data_loss("Error reading " + filename());
      *at_end = true;
      return Status::OK();
    }
    if (!value->empty() && value->back() == '\r') value->pop_back();
    *key = filename() + ":" + std::to_string(++line_);
    return Status::OK();
  }
  void close_file() override { in_ = std::ifstream(); }

 private:
  const int64_t skip_;
  std::ifstream in_;
  int64_t line_ = 0;
};

// TFRecord files: per record, its length (uint64), the length's masked CRC-32C, the data and
// the data's masked CRC-32C (little-endian). Key "file:offset" (the record's first byte).
class TFRecordReader : public Reader {
 protected:
  Status open(const std::string& filename) override {
    offset_ = 0;
    return open_file(filename, &in_);
  }
  Status next(std::string* key, std::string* value, bool* at_end) override {
    char header[12];
    in_.read(header, sizeof header);
    if (in_.gcount() == 0) {
      *at_end = true;
      return Status::OK();
    }
    if (in_.gcount() != sizeof header) return truncated();
    if (masked_crc32c(header, 8) != load_le32(header + 8)) {
      return data_loss("corrupted record at " + std::to_string(offset_) + " in " + filename() +
                       ": the length's checksum does not match");
    }
    const uint64_t length = load_le64(header);
    std::string data;
    char footer[4];
    // Reads in pieces so a damaged length cannot ask for more memory than the file has.
    constexpr uint64_t kPiece = 1 << 20;
    while (data.size() < length) {
      const size_t chunk = static_cast<size_t>(std::min<uint64_t>(kPiece, length - data.size()));
      const size_t old = data.size();
      data.resize(old + chunk);
      in_.read(&data[old], static_cast<std::streamsize>(chunk));
      if (static_cast<size_t>(in_.gcount()) != chunk) return truncated();
    }
    in_.read(footer, sizeof footer);
    if (in_.gcount() != sizeof footer) return truncated();
    if (masked_crc32c(data.data(), data.size()) != load_le32(footer)) {
      return data_loss("corrupted record at " + std::to_string(offset_) + " in " + filename() +
                       ": the data's checksum does not match");
    }
    *key = filename() + ":" + std::to_string(offset_);
    *value = std::move(data);
    offset_ += 16 + length;
    return Status::OK();
  }
  void close_file() override { in_ = std::ifstream(); }

 private:
  Status truncated() const {
    return data_loss("truncated record at " + std::to_string(offset_) + " in " + filename());
  }
  std::ifstream in_;
  uint64_t offset_ = 0;
};

// One record per file: key the file name, value its contents.
class WholeFileReader : public Reader {
 protected:
  Status open(const std::string&) override {
    done_ = false;
    return Status::OK();
  }
  Status next(std::string* key, std::string* value, bool* at_end) override {
    if (done_) {
      *at_end = true;
      return Status::OK();
    }
    TL_RETURN_IF_ERROR(read_whole_file(filename(), value));
    *key = filename();
    done_ = true;
    return Status::OK();
  }
  void close_file() override {}

 private:
  bool done_ = false;
};

// Records of record_bytes bytes, hop_bytes apart (0: record_bytes), between a header and a
// footer that are skipped. Key "file:index". A short last record is dropped.
class FixedLengthRecordReader : public Reader {
 public:
  FixedLengthRecordReader(int64_t header, int64_t record, int64_t footer, int64_t hop)
      : header_(header), record_(record), footer_(footer), hop_(hop > 0 ? hop : record) {}

 protected:
  Status open(const std::string& filename) override {
    TL_RETURN_IF_ERROR(read_whole_file(filename, &contents_));
    position_ = header_;
    index_ = 0;
    return Status::OK();
  }
  Status next(std::string* key, std::string* value, bool* at_end) override {
    const int64_t end = static_cast<int64_t>(contents_.size()) - footer_;
    if (position_ + record_ > end) {
      *at_end = true;
      return Status::OK();
    }
    *value = contents_.substr(position_, record_);
    *key = filename() + ":" + std::to_string(index_++);
    position_ += hop_;
    return Status::OK();
  }
  void close_file() override { contents_.clear(); }

 private:
  const int64_t header_, record_, footer_, hop_;
  std::string contents_;
  int64_t position_ = 0;
  int64_t index_ = 0;
};

std::string resource_name(const KernelContext& ctx) {
  const std::string& shared = ctx.attrs().get<std::string>("shared_name");
  return shared.empty() ? ctx.graph_node().name : shared;
}

Status handle_shape(InferenceContext& ctx) {
  ctx.set_output(0, DType::kString, Shape());
  return Status::OK();
}

// Makes (once per session) and names the reader that make(attrs) builds.
template <std::shared_ptr<Reader> (*kMake)(const AttrMap&)>
Status reader_kernel(KernelContext& ctx) {
  const std::string name = resource_name(ctx);
  auto resource = ctx.state().resource(name, [&] { return kMake(ctx.attrs()); });
  if (!std::dynamic_pointer_cast<Reader>(resource)) {
    return invalid_argument("The name '" + name + "' of this reader is taken by a queue");
  }
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kString, Shape(), &ctx.output(0)));
  *ctx.output(0).data<std::string>() = name;
  return Status::OK();
}

std::shared_ptr<Reader> make_text_line_reader(const AttrMap& a) {
  return std::make_shared<TextLineReader>(a.get<int64_t>("skip_header_lines"));
}
std::shared_ptr<Reader> make_tfrecord_reader(const AttrMap&) {
  return std::make_shared<TFRecordReader>();
}
std::shared_ptr<Reader> make_whole_file_reader(const AttrMap&) {
  return std::make_shared<WholeFileReader>();
}
std::shared_ptr<Reader> make_fixed_length_reader(const AttrMap& a) {
  return std::make_shared<FixedLengthRecordReader>(
      a.get<int64_t>("header_bytes"), a.get<int64_t>("record_bytes"),
      a.get<int64_t>("footer_bytes"), a.get<int64_t>("hop_bytes"));
}

Status tfrecord_reader_shape(InferenceContext& ctx) {
  const std::string& compression = ctx.attrs().get<std::string>("compression_type");
  if (!compression.empty() && compression != "NONE") {
    return unimplemented("TFRecordReader reads uncompressed files only, not " + compression +
                         " (tf.python_io.tf_record_iterator reads compressed ones)");
  }
  return handle_shape(ctx);
}

Status lookup_reader(KernelContext& ctx, std::shared_ptr<Reader>* out) {
  const Tensor& handle = ctx.input(0);
  if (handle.dtype() != DType::kString || handle.num_elements() != 1) {
    return invalid_argument("A reader handle must be a string scalar");
  }
  const std::string& name = *handle.data<std::string>();
  *out = std::dynamic_pointer_cast<Reader>(ctx.state().find_resource(name));
  if (!*out) return not_found("No reader named '" + name + "' in this session");
  return Status::OK();
}

Status read_shape(InferenceContext& ctx) {
  ctx.set_output(0, DType::kString, Shape());
  ctx.set_output(1, DType::kString, Shape());
  return Status::OK();
}

// Output i: a string tensor holding `strings`, 1-D (or a scalar when `scalar`).
Status string_output(KernelContext& ctx, int i, std::vector<std::string>& strings, bool scalar) {
  Shape shape = scalar ? Shape() : Shape({static_cast<int64_t>(strings.size())});
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kString, shape, &ctx.output(i)));
  std::string* out = ctx.output(i).data<std::string>();
  for (size_t k = 0; k < strings.size(); ++k) out[k] = std::move(strings[k]);
  return Status::OK();
}

Status read_kernel(KernelContext& ctx) {
  std::shared_ptr<Reader> reader;
  std::shared_ptr<Queue> queue;
  TL_RETURN_IF_ERROR(lookup_reader(ctx, &reader));
  TL_RETURN_IF_ERROR(lookup_queue(ctx, ctx.input(1), &queue));
  std::vector<std::string> keys, values;
  TL_RETURN_IF_ERROR(reader->read_up_to(*queue, ctx.control(), 1, &keys, &values));
  TL_RETURN_IF_ERROR(string_output(ctx, 0, keys, true));
  return string_output(ctx, 1, values, true);
}

Status read_up_to_shape(InferenceContext& ctx) {
  ctx.set_output(0, DType::kString, Shape({kUnknownDim}));
  ctx.set_output(1, DType::kString, Shape({kUnknownDim}));
  return Status::OK();
}

Status read_up_to_kernel(KernelContext& ctx) {
  std::shared_ptr<Reader> reader;
  std::shared_ptr<Queue> queue;
  TL_RETURN_IF_ERROR(lookup_reader(ctx, &reader));
  TL_RETURN_IF_ERROR(lookup_queue(ctx, ctx.input(1), &queue));
  const int64_t n = int_element(ctx.input(2), 0);
  if (n <= 0) return invalid_argument("num_records must be positive, got " + std::to_string(n));
  std::vector<std::string> keys, values;
  TL_RETURN_IF_ERROR(reader->read_up_to(*queue, ctx.control(), n, &keys, &values));
  TL_RETURN_IF_ERROR(string_output(ctx, 0, keys, false));
  return string_output(ctx, 1, values, false);
}

// ---- whole files ----

Status scalar_string_shape(InferenceContext& ctx) {
  ctx.set_output(0, DType::kString, Shape());
  return Status::OK();
}

Status read_file_kernel(KernelContext& ctx) {
  const Tensor& name = ctx.input(0);
  if (name.dtype() != DType::kString || name.num_elements() != 1) {
    return invalid_argument("ReadFile needs a file name (a string scalar)");
  }
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kString, Shape(), &ctx.output(0)));
  return read_whole_file(*name.data<std::string>(), ctx.output(0).data<std::string>());
}

Status no_outputs_shape(InferenceContext&) { return Status::OK(); }

// Writes to a temporary file beside the target, then renames it: never a half-written file.
Status write_file_kernel(KernelContext& ctx) {
  if (ctx.input(0).num_elements() != 1 || ctx.input(1).num_elements() != 1 ||
      ctx.input(0).dtype() != DType::kString || ctx.input(1).dtype() != DType::kString) {
    return invalid_argument("WriteFile needs a file name and contents (string scalars)");
  }
  const std::string& name = *ctx.input(0).data<std::string>();
  const std::string& contents = *ctx.input(1).data<std::string>();
  const std::string temp = name + ".tmp" + std::to_string(ctx.node());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return not_found(name + "; " + std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out.flush()) {
      std::remove(temp.c_str());
      return data_loss("Error writing " + name);
    }
  }
  if (std::rename(temp.c_str(), name.c_str()) != 0) {
    std::remove(temp.c_str());
    return internal_error("Could not rename " + temp + " to " + name);
  }
  return Status::OK();
}

// ---- decoders ----

// Parses all of `s` as a T; false when it is not one (or out of T's range).
template <typename T>
bool parse_number(const std::string& s, T* out) {
  if (s.empty()) return false;
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  if constexpr (std::is_same_v<T, float>) {
    *out = std::strtof(begin, &end);
  } else if constexpr (std::is_same_v<T, double>) {
    *out = std::strtod(begin, &end);
  } else {
    const long long v = std::strtoll(begin, &end, 10);
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
    *out = static_cast<T>(v);
    if (errno == ERANGE) return false;
  }
  return end == begin + s.size();
}

using CsvTypes = TypeList<float, double, int32_t, int64_t, std::string>;

// Splits one CSV record into fields: `delim` separates them; with `quotes`, a field in double
// quotes may hold delimiters and "" stands for one quote.
Status split_csv(const std::string& record, char delim, bool quotes, int64_t index,
                 std::vector<std::string>* fields) {
  fields->clear();
  size_t i = 0;
  const size_t n = record.size();
  const std::string where = " in record " + std::to_string(index);
  while (true) {
    std::string field;
    if (quotes && i < n && record[i] == '"') {
      ++i;
      while (true) {
        if (i >= n) return invalid_argument("Quoted field has to end with quote followed by "
                                            "delim or end" + where + ": " + record);
        if (record[i] == '"') {
          if (i + 1 < n && record[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += record[i++];
      }
      if (i < n && record[i] != delim) {
        return invalid_argument("Quote inside a string has to be escaped by another quote" +
                                where + ": " + record);
      }
    } else {
      while (i < n && record[i] != delim) {
        if (quotes && record[i] == '"') {
          return invalid_argument("Unquoted fields cannot have quotes inside" + where + ": " +
                                  record);
        }
        field += record[i++];
      }
    }
    fields->push_back(std::move(field));
    if (i >= n) return Status::OK();
    ++i;  // the delimiter
  }
}

Status decode_csv_shape(InferenceContext& ctx) {
  const auto& types = ctx.attrs().get<std::vector<int64_t>>("OUT_TYPE");
  if (static_cast<int>(types.size()) != ctx.num_outputs() ||
      ctx.num_inputs() != ctx.num_outputs() + 1) {
    return invalid_argument("DecodeCSV needs one record default per output");
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    const DType t = static_cast<DType>(types[i]);
    if (!dtype_in(t, CsvTypes{})) {
      return type_error("DecodeCSV cannot produce " + std::string(dtype_name(t)) +
                        " (allowed: " + dtype_list(CsvTypes{}) + ")");
    }
    if (ctx.input_dtype(i + 1) != t) {
      return type_error("record_defaults[" + std::to_string(i) + "] has dtype " +
                        dtype_name(ctx.input_dtype(i + 1)) + ", expected " + dtype_name(t));
    }
    if (ctx.input_shape(i + 1).num_elements() > 1) {
      return invalid_argument("record_defaults[" + std::to_string(i) +
                              "] must have at most one element");
    }
    ctx.set_output(i, t, ctx.input_shape(0));
  }
  return Status::OK();
}

Status decode_csv_kernel(KernelContext& ctx) {
  const Tensor& records = ctx.input(0);
  if (records.dtype() != DType::kString) return invalid_argument("DecodeCSV needs string records");
  const std::string& delim = ctx.attrs().get<std::string>("field_delim");
  if (delim.size() != 1) return invalid_argument("field_delim should be only 1 char");
  const bool quotes = ctx.attrs().get<bool>("use_quote_delim");
  const std::string& na = ctx.attrs().get<std::string>("na_value");
  const auto& select = ctx.attrs().get<std::vector<int64_t>>("select_cols");
  const int num_out = ctx.num_outputs();
  for (size_t k = 1; k < select.size(); ++k) {
    if (select[k] <= select[k - 1]) {
      return invalid_argument("select_cols is not strictly increasing");
    }
  }
  if (!select.empty() && static_cast<int>(select.size()) != num_out) {
    return invalid_argument("select_cols and record_defaults must have the same length");
  }
  for (int c = 0; c < num_out; ++c) {
    TL_RETURN_IF_ERROR(Tensor::allocate(ctx.input(c + 1).dtype(), records.shape(), &ctx.output(c)));
  }
  std::vector<std::string> fields;
  for (int64_t r = 0; r < records.num_elements(); ++r) {
    const std::string& record = records.data<std::string>()[r];
    TL_RETURN_IF_ERROR(split_csv(record, delim[0], quotes, r, &fields));
    const int64_t have = static_cast<int64_t>(fields.size());
    if (select.empty() ? have != num_out : have <= select.back()) {
      const int64_t expected = select.empty() ? num_out : select.back() + 1;
      return invalid_argument("Expect " + std::to_string(expected) +
                              " fields but have " + std::to_string(have) + " in record " +
                              std::to_string(r));
    }
    for (int c = 0; c < num_out; ++c) {
      const int64_t col = select.empty() ? c : select[c];
      const std::string& field = fields[col];
      const Tensor& def = ctx.input(c + 1);
      const bool missing = field.empty() || field == na;
      if (missing && def.num_elements() == 0) {
        return invalid_argument("Field " + std::to_string(c) +
                                " is required but missing in record " + std::to_string(r) + "!");
      }
      TL_RETURN_IF_ERROR(dispatch(CsvTypes{}, def.dtype(), "DecodeCSV", [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        T* out = ctx.output(c).data<T>() + r;
        if (missing) {
          *out = *def.data<T>();
        } else if constexpr (std::is_same_v<T, std::string>) {
          *out = field;
        } else if (!parse_number(field, out)) {
          return invalid_argument("Field " + std::to_string(c) + " in record " +
                                  std::to_string(r) + " is not a valid " +
                                  dtype_name(def.dtype()) + ": " + field);
        }
        return Status::OK();
      }));
    }
  }
  return Status::OK();
}

Status decode_raw_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_attr_dtype(ctx, "out_type", PodTypes{}));
  const Shape& in = ctx.input_shape(0);
  Shape out = Shape::unknown();
  if (in.rank_known()) {
    out = in;
    if (out.rank() >= kMaxRank) return invalid_argument("DecodeRaw's input has too high a rank");
    out.add_dim(kUnknownDim);
  }
  ctx.set_output(0, ctx.attrs().get<DType>("out_type"), out);
  return Status::OK();
}

Status decode_raw_kernel(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  if (in.dtype() != DType::kString) return invalid_argument("DecodeRaw needs string input");
  const DType t = ctx.attrs().get<DType>("out_type");
  const size_t size = dtype_size(t);
  const std::string* s = in.data<std::string>();
  const int64_t n = in.num_elements();
  const size_t bytes = n ? s[0].size() : 0;
  for (int64_t i = 0; i < n; ++i) {
    if (s[i].size() != bytes) {
      return invalid_argument("DecodeRaw requires input strings to all be the same size, but "
                              "element " + std::to_string(i) + " has size " +
                              std::to_string(s[i].size()) + " != " + std::to_string(bytes));
    }
  }
  if (bytes % size) {
    return invalid_argument("Input to DecodeRaw has length " + std::to_string(bytes) +
                            " that is not a multiple of " + std::to_string(size) +
                            ", the size of " + dtype_name(t));
  }
  Shape out_shape = in.shape();
  out_shape.add_dim(static_cast<int64_t>(bytes / size));
  TL_RETURN_IF_ERROR(Tensor::allocate(t, out_shape, &ctx.output(0)));
  char* out = static_cast<char*>(ctx.output(0).raw_data());
  const bool swap = !ctx.attrs().get<bool>("little_endian") && size > 1;
  for (int64_t i = 0; i < n; ++i) {
    char* dst = out + i * bytes;
    if (bytes) std::memcpy(dst, s[i].data(), bytes);
    if (swap) {
      for (size_t k = 0; k < bytes; k += size) std::reverse(dst + k, dst + k + size);
    }
  }
  return Status::OK();
}

Status string_to_number_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_attr_dtype(ctx, "out_type", NumericTypes{}));
  ctx.set_output(0, ctx.attrs().get<DType>("out_type"), ctx.input_shape(0));
  return Status::OK();
}

Status string_to_number_kernel(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  if (in.dtype() != DType::kString) return invalid_argument("StringToNumber needs strings");
  const DType t = ctx.attrs().get<DType>("out_type");
  TL_RETURN_IF_ERROR(Tensor::allocate(t, in.shape(), &ctx.output(0)));
  return dispatch(NumericTypes{}, t, "StringToNumber", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* out = ctx.output(0).data<T>();
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      const std::string& s = in.data<std::string>()[i];
      if (!parse_number(s, out + i)) {
        return invalid_argument("StringToNumberOp could not correctly convert string: " + s);
      }
    }
    return Status::OK();
  });
}

OpDef reader_op(const char* name, ShapeFn shape = handle_shape) {
  return OpDef(name)
      .attr("container", AttrType::kString, std::string())
      .attr("shared_name", AttrType::kString, std::string())
      .shape(shape)
      .sets_own_outputs()
      .stateful();
}

}  // namespace

void register_io_ops(OpRegistry& r) {
  r.add_builtin(
      reader_op("TextLineReaderV2").attr("skip_header_lines", AttrType::kInt, int64_t{0}));
  r.add_builtin(reader_op("TFRecordReaderV2", tfrecord_reader_shape)
                    .attr("compression_type", AttrType::kString, std::string()));
  r.add_builtin(reader_op("WholeFileReaderV2"));
  r.add_builtin(reader_op("FixedLengthRecordReaderV2")
                    .attr("header_bytes", AttrType::kInt, int64_t{0})
                    .attr("record_bytes", AttrType::kInt)
                    .attr("footer_bytes", AttrType::kInt, int64_t{0})
                    .attr("hop_bytes", AttrType::kInt, int64_t{0}));
  r.add_builtin(OpDef("ReaderReadV2")
                    .input("reader_handle")
                    .input("queue_handle")
                    .outputs(2)
                    .shape(read_shape)
                    .sets_own_outputs()
                    .stateful());
  r.add_builtin(OpDef("ReaderReadUpToV2")
                    .input("reader_handle")
                    .input("queue_handle")
                    .input("num_records")
                    .outputs(2)
                    .shape(read_up_to_shape)
                    .sets_own_outputs()
                    .stateful());
  r.add_builtin(OpDef("ReadFile").input("filename").shape(scalar_string_shape).sets_own_outputs()
                    .stateful());
  r.add_builtin(OpDef("WriteFile")
                    .input("filename")
                    .input("contents")
                    .outputs(0)
                    .shape(no_outputs_shape)
                    .stateful());
  r.add_builtin(OpDef("DecodeCSV")
                    .input("records")
                    .variadic_input("record_defaults")
                    .outputs_from_attr("num_fields")
                    .attr("num_fields", AttrType::kInt)
                    .attr("OUT_TYPE", AttrType::kInts)
                    .attr("field_delim", AttrType::kString, std::string(","))
                    .attr("use_quote_delim", AttrType::kBool, true)
                    .attr("na_value", AttrType::kString, std::string())
                    .attr("select_cols", AttrType::kInts, std::vector<int64_t>{})
                    .shape(decode_csv_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("DecodeRaw")
                    .input("bytes")
                    .attr("out_type", AttrType::kType)
                    .attr("little_endian", AttrType::kBool, true)
                    .shape(decode_raw_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("StringToNumber")
                    .input("string_tensor")
                    .attr("out_type", AttrType::kType, DType::kFloat32)
                    .shape(string_to_number_shape)
                    .sets_own_outputs());
}

void register_io_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("TextLineReaderV2", Device::kCPU)
                    .compute(reader_kernel<make_text_line_reader>));
  r.add_builtin(KernelDef("TFRecordReaderV2", Device::kCPU)
                    .compute(reader_kernel<make_tfrecord_reader>));
  r.add_builtin(KernelDef("WholeFileReaderV2", Device::kCPU)
                    .compute(reader_kernel<make_whole_file_reader>));
  r.add_builtin(KernelDef("FixedLengthRecordReaderV2", Device::kCPU)
                    .compute(reader_kernel<make_fixed_length_reader>));
  r.add_builtin(KernelDef("ReaderReadV2", Device::kCPU).compute(read_kernel));
  r.add_builtin(KernelDef("ReaderReadUpToV2", Device::kCPU).compute(read_up_to_kernel));
  r.add_builtin(KernelDef("ReadFile", Device::kCPU).compute(read_file_kernel));
  r.add_builtin(KernelDef("WriteFile", Device::kCPU).compute(write_file_kernel));
  r.add_builtin(KernelDef("DecodeCSV", Device::kCPU).compute(decode_csv_kernel));
  r.add_builtin(KernelDef("DecodeRaw", Device::kCPU).compute(decode_raw_kernel));
  r.add_builtin(KernelDef("StringToNumber", Device::kCPU).compute(string_to_number_kernel));
}

}  // namespace tl
