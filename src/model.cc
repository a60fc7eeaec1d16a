// The model file format: writer and checked reader. docs/model_format.md is the specification;
// the constants below are its tables.
#include "tensorlib/model.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "tensorlib/crc32c.h"
#include "tensorlib/op_library.h"

namespace tl {
namespace {

// ---- layout -----------------------------------------------------------------------------------

constexpr char kMagic[8] = {'T', 'L', 'M', 'O', 'D', 'E', 'L', '\0'};
constexpr size_t kHeaderBytes = 64;        // the fixed header; the section table follows it
constexpr size_t kSectionEntryBytes = 24;  // u32 id, u32 reserved, u64 offset, u64 size
constexpr size_t kAlignment = 64;          // of the weights section and of every tensor in it

// Header fields: byte offsets. The first 40 bytes keep this layout in every format version.
constexpr size_t kMajorAt = 8;          // u16
constexpr size_t kMinorAt = 10;         // u16
constexpr size_t kHeaderSizeAt = 12;    // u32: fixed header + section table (+ future fields)
constexpr size_t kFlagsAt = 16;         // u32: required features, none defined in 1.x
constexpr size_t kSectionCountAt = 20;  // u32
constexpr size_t kFileSizeAt = 24;      // u64
constexpr size_t kBodyCrcAt = 32;       // u32: CRC-32C of bytes [header_size, file_size)
constexpr size_t kHeaderCrcAt = 36;     // u32: CRC-32C of bytes [0, header_size), this field 0

enum SectionId : uint32_t {
  kStrings = 1,
  kNodes = 2,
  kTensors = 3,
  kInputs = 4,
  kOutputs = 5,
  kWeights = 6,
  kOpLibraries = 7,  // since 1.1; optional
  kFunctions = 8,    // since 1.2; optional
};
constexpr uint32_t kNumSections = 8;
constexpr uint32_t kNumRequiredSections = 6;  // ids 1..6 (all of format 1.0) must appear
const char* const kSectionNames[kNumSections + 1] = {
    "",        "strings", "nodes",        "tensors",  "inputs",
    "outputs", "weights", "op libraries", "functions"};

// The longest library file name a model may give (NAME_MAX on Linux).
constexpr size_t kMaxLibraryNameBytes = 255;

// Attribute value tags, fixed by the format (they happen to equal AttrType's values).
enum AttrTag : uint32_t {
  kTagInt = 0,
  kTagFloat = 1,
  kTagBool = 2,
  kTagString = 3,
  kTagType = 4,
  kTagInts = 5,
  kTagShape = 6,
  kTagTensor = 7,
};

bool host_is_little_endian() {
  const uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

Status big_endian_host() {
  return unimplemented("model files are little-endian; this host is big-endian");
}

size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const uint8_t c = p[i];
    size_t len = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (len > n - i || p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

// Why `name` is not a library file name a model may give (a name, no directory), or "".
std::string library_name_problem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxLibraryNameBytes) {
    return "is longer than " + std::to_string(kMaxLibraryNameBytes) + " bytes";
  }
  if (name.find('/') != std::string::npos || name == "." || name == "..") {
    return "'" + name + "' is not a file name (a model may not name a directory)";
  }
  if (name.find('\0') != std::string::npos || !is_utf8(name)) return "is not a UTF-8 file name";
  return "";
}

// ---- writer -----------------------------------------------------------------------------------

// Appends fixed-width little-endian values (the host is checked to be little-endian).
class Writer {
 public:
  template <typename T>
  void put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
  }
  void pad_to(size_t alignment) { out.resize(align_up(out.size(), alignment), '\0'); }
  std::string out;
};

class ModelWriter {
 public:
  Status write(const Graph& graph, const std::vector<Endpoint>& inputs,
               const std::vector<Endpoint>& outputs, std::string* out);

 private:
  void put_string(Writer& w, const std::string& s);
  Status put_tensor(const Tensor& t, uint32_t* index);
  void put_shape(Writer& w, const Shape& s);
  Status put_attr(Writer& w, const std::string& name, const AttrValue& v);
  Status put_io(Writer& w, const Graph& graph, const std::vector<Endpoint>& list,
                const char* what);
  // A node list: u32 count, then each node (op, name, device, inputs, controls, attrs).
  Status put_nodes(Writer& w, const Graph& graph);
  Status put_functions(const Graph& graph);

  Writer strings_, nodes_, tensors_, inputs_, outputs_, op_libraries_, functions_, weights_;
  // The ops that come from op libraries, in the order the nodes first use them.
  std::vector<ModelOpLibrary> libraries_;
  std::unordered_set<std::string> ops_seen_;
  std::unordered_map<std::string, uint32_t> string_at_;
  uint32_t num_tensors_ = 0;
};

void ModelWriter::put_string(Writer& w, const std::string& s) {
  auto it = string_at_.find(s);
  uint32_t at = 0;
  if (it != string_at_.end()) {
    at = it->second;
  } else {
    at = static_cast<uint32_t>(strings_.out.size());
    strings_.out += s;
    string_at_.emplace(s, at);
  }
  w.put<uint32_t>(at);
  w.put<uint32_t>(static_cast<uint32_t>(s.size()));
}

void ModelWriter::put_shape(Writer& w, const Shape& s) {
  w.put<int32_t>(s.rank());
  for (int i = 0; i < s.rank(); ++i) w.put<int64_t>(s.dim(i));
}

Status ModelWriter::put_tensor(const Tensor& t, uint32_t* index) {
  if (!t.valid()) return invalid_argument("cannot serialize an empty tensor attribute");
  weights_.pad_to(kAlignment);
  const size_t offset = weights_.out.size();
  if (t.dtype() == DType::kString) {
    const auto* s = t.data<std::string>();
    for (int64_t i = 0; i < t.num_elements(); ++i) weights_.put<uint64_t>(s[i].size());
    for (int64_t i = 0; i < t.num_elements(); ++i) weights_.out += s[i];
  } else if (t.num_bytes()) {
    weights_.out.append(static_cast<const char*>(t.raw_data()), t.num_bytes());
  }
  tensors_.put<int32_t>(static_cast<int32_t>(t.dtype()));
  put_shape(tensors_, t.shape());
  tensors_.put<uint64_t>(offset);
  tensors_.put<uint64_t>(weights_.out.size() - offset);
  *index = num_tensors_++;
  return Status::OK();
}

Status ModelWriter::put_attr(Writer& w, const std::string& name, const AttrValue& v) {
  put_string(w, name);
  switch (attr_type_of(v)) {
    case AttrType::kInt:
      w.put<uint32_t>(kTagInt);
      w.put<int64_t>(std::get<int64_t>(v));
      break;
    case AttrType::kFloat:
      w.put<uint32_t>(kTagFloat);
      w.put<double>(std::get<double>(v));
      break;
    case AttrType::kBool:
      w.put<uint32_t>(kTagBool);
      w.put<uint8_t>(std::get<bool>(v) ? 1 : 0);
      break;
    case AttrType::kString:
      w.put<uint32_t>(kTagString);
      put_string(w, std::get<std::string>(v));
      break;
    case AttrType::kType:
      w.put<uint32_t>(kTagType);
      w.put<int32_t>(static_cast<int32_t>(std::get<DType>(v)));
      break;
    case AttrType::kInts: {
      const auto& ints = std::get<std::vector<int64_t>>(v);
      w.put<uint32_t>(kTagInts);
      w.put<uint32_t>(static_cast<uint32_t>(ints.size()));
      for (int64_t i : ints) w.put<int64_t>(i);
      break;
    }
    case AttrType::kShape:
      w.put<uint32_t>(kTagShape);
      put_shape(w, std::get<Shape>(v));
      break;
    case AttrType::kTensor: {
      uint32_t index = 0;
      TL_RETURN_IF_ERROR(put_tensor(std::get<Tensor>(v), &index));
      w.put<uint32_t>(kTagTensor);
      w.put<uint32_t>(index);
      break;
    }
  }
  return Status::OK();
}

std::string endpoint_name(const Graph& graph, Endpoint e) {
  const std::string& node = graph.node(e.node).name;
  return e.index == 0 ? node : node + ":" + std::to_string(e.index);
}

Status ModelWriter::put_io(Writer& w, const Graph& graph, const std::vector<Endpoint>& list,
                           const char* what) {
  w.put<uint32_t>(static_cast<uint32_t>(list.size()));
  std::unordered_set<std::string> names;
  for (const Endpoint& e : list) {
    if (e.node < 0 || e.node >= graph.num_nodes() || e.index < 0 ||
        e.index >= static_cast<int32_t>(graph.node(e.node).output_dtypes.size())) {
      return invalid_argument(std::string("a model ") + what + " is not a tensor of the graph");
    }
    const Node& n = graph.node(e.node);
    const std::string name = endpoint_name(graph, e);
    if (!names.insert(name).second) {
      return invalid_argument(std::string("model ") + what + " '" + name + "' is listed twice");
    }
    put_string(w, name);
    w.put<uint32_t>(static_cast<uint32_t>(e.node));
    w.put<uint32_t>(static_cast<uint32_t>(e.index));
    w.put<int32_t>(static_cast<int32_t>(n.output_dtypes[e.index]));
    put_shape(w, n.output_shapes[e.index]);
  }
  return Status::OK();
}

Status ModelWriter::put_nodes(Writer& w, const Graph& graph) {
  w.put<uint32_t>(static_cast<uint32_t>(graph.num_nodes()));
  for (int32_t id = 0; id < graph.num_nodes(); ++id) {
    const Node& n = graph.node(id);
    if (n.op->name() == "VariableV2") {
      return failed_precondition("cannot serialize variable '" + n.name +
                                 "': freeze variables into constants first");
    }
    if (n.op->name() == "VariableRef") {
      return failed_precondition("cannot serialize '" + n.name + "': a branch or loop body "
                                 "changes a variable, which a model cannot hold");
    }
    if (ops_seen_.insert(n.op->name()).second) {
      const std::string path = op_library_of(n.op->name());
      if (!path.empty()) libraries_.push_back({n.op->name(), path.substr(path.rfind('/') + 1)});
    }
    put_string(w, n.op->name());
    put_string(w, n.name);
    put_string(w, n.device);
    w.put<uint32_t>(static_cast<uint32_t>(n.inputs.size()));
    for (const Endpoint& e : n.inputs) {
      w.put<uint32_t>(static_cast<uint32_t>(e.node));
      w.put<uint32_t>(static_cast<uint32_t>(e.index));
    }
    w.put<uint32_t>(static_cast<uint32_t>(n.control_inputs.size()));
    for (int32_t c : n.control_inputs) w.put<uint32_t>(static_cast<uint32_t>(c));
    w.put<uint32_t>(static_cast<uint32_t>(n.attrs.items().size()));
    for (const auto& item : n.attrs.items()) {
      Status s = put_attr(w, item.first, item.second);
      if (!s.ok()) return Status(s.code(), "node '" + n.name + "': " + s.message());
    }
  }
  return Status::OK();
}

Status ModelWriter::put_functions(const Graph& graph) {
  // The functions the graph calls, directly or through other functions, callees first (the
  // library's order, in which a function comes after those its body calls).
  std::unordered_set<std::string> wanted;
  std::vector<const Graph*> stack = {&graph};
  while (!stack.empty()) {
    const Graph* g = stack.back();
    stack.pop_back();
    for (int32_t id = 0; id < g->num_nodes(); ++id) {
      for (const std::string& name : called_functions(g->node(id))) {
        const Function* f = graph.functions().find(name);
        if (!f) {
          return not_found("node '" + g->node(id).name + "' calls undefined function '" +
                           name + "'");
        }
        if (wanted.insert(name).second) stack.push_back(f->body.get());
      }
    }
  }
  uint32_t count = 0;
  functions_.put<uint32_t>(0);  // patched below
  for (const Function* f : graph.functions().functions()) {
    if (!wanted.count(f->name)) continue;
    ++count;
    put_string(functions_, f->name);
    functions_.put<uint32_t>(static_cast<uint32_t>(f->args.size()));
    for (int32_t a : f->args) functions_.put<uint32_t>(static_cast<uint32_t>(a));
    functions_.put<uint32_t>(static_cast<uint32_t>(f->outputs.size()));
    for (const Endpoint& e : f->outputs) {
      functions_.put<uint32_t>(static_cast<uint32_t>(e.node));
      functions_.put<uint32_t>(static_cast<uint32_t>(e.index));
    }
    Status s = put_nodes(functions_, *f->body);
    if (!s.ok()) return Status(s.code(), "function '" + f->name + "': " + s.message());
  }
  std::memcpy(&functions_.out[0], &count, sizeof(uint32_t));
  return Status::OK();
}

Status ModelWriter::write(const Graph& graph, const std::vector<Endpoint>& inputs,
                          const std::vector<Endpoint>& outputs, std::string* out) {
  if (!host_is_little_endian()) return big_endian_host();
  // The tensor table's count is patched in at the end.
  tensors_.put<uint32_t>(0);
  TL_RETURN_IF_ERROR(put_functions(graph));
  TL_RETURN_IF_ERROR(put_nodes(nodes_, graph));
  std::memcpy(&tensors_.out[0], &num_tensors_, sizeof(uint32_t));
  TL_RETURN_IF_ERROR(put_io(inputs_, graph, inputs, "input"));
  TL_RETURN_IF_ERROR(put_io(outputs_, graph, outputs, "output"));
  op_libraries_.put<uint32_t>(static_cast<uint32_t>(libraries_.size()));
  for (const ModelOpLibrary& lib : libraries_) {
    const std::string problem = library_name_problem(lib.library);
    if (!problem.empty()) {
      return invalid_argument("the file name of the op library of op '" + lib.op + "' " +
                              problem);
    }
    put_string(op_libraries_, lib.op);
    put_string(op_libraries_, lib.library);
  }
  if (strings_.out.size() > UINT32_MAX) {
    return invalid_argument("the graph's names and strings exceed the format's 4 GiB limit");
  }

  // Sections in id order, 8-byte aligned, but the weights last and 64-byte aligned. The op
  // libraries only where some op comes from one, the functions only where a node calls one:
  // other models are laid out as in 1.0.
  std::vector<std::pair<uint32_t, const Writer*>> sections = {
      {kStrings, &strings_}, {kNodes, &nodes_}, {kTensors, &tensors_}, {kInputs, &inputs_},
      {kOutputs, &outputs_}};
  if (!libraries_.empty()) sections.emplace_back(kOpLibraries, &op_libraries_);
  if (functions_.out.size() > sizeof(uint32_t)) sections.emplace_back(kFunctions, &functions_);
  sections.emplace_back(kWeights, &weights_);
  const size_t header_size = kHeaderBytes + sections.size() * kSectionEntryBytes;
  Writer file;
  file.out.resize(header_size, '\0');
  std::vector<uint64_t> offsets;
  for (const auto& section : sections) {
    file.pad_to(section.first == kWeights ? kAlignment : 8);
    offsets.push_back(file.out.size());
    file.out += section.second->out;
  }
  const uint64_t file_size = file.out.size();
  char* p = &file.out[0];
  std::memcpy(p, kMagic, sizeof(kMagic));
  const uint16_t major = kModelVersionMajor, minor = kModelVersionMinor;
  const uint32_t hsize = static_cast<uint32_t>(header_size), flags = 0;
  const uint32_t count = static_cast<uint32_t>(sections.size());
  std::memcpy(p + kMajorAt, &major, 2);
  std::memcpy(p + kMinorAt, &minor, 2);
  std::memcpy(p + kHeaderSizeAt, &hsize, 4);
  std::memcpy(p + kFlagsAt, &flags, 4);
  std::memcpy(p + kSectionCountAt, &count, 4);
  std::memcpy(p + kFileSizeAt, &file_size, 8);
  for (size_t i = 0; i < sections.size(); ++i) {
    char* entry = p + kHeaderBytes + i * kSectionEntryBytes;
    const uint64_t size = sections[i].second->out.size();
    std::memcpy(entry, &sections[i].first, 4);
    std::memcpy(entry + 8, &offsets[i], 8);
    std::memcpy(entry + 16, &size, 8);
  }
  const uint32_t body_crc = crc32c_extend(0, p + header_size, file_size - header_size);
  std::memcpy(p + kBodyCrcAt, &body_crc, 4);
  const uint32_t header_crc = crc32c_extend(0, p, header_size);
  std::memcpy(p + kHeaderCrcAt, &header_crc, 4);
  *out = std::move(file.out);
  return Status::OK();
}

// ---- reader -----------------------------------------------------------------------------------

Status malformed(const std::string& msg) {
  return invalid_argument("malformed model file: " + msg);
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

struct Span {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// Reads fixed-width values from one section; every read is checked against its end.
class Cursor {
 public:
  Cursor(Span span, const char* section) : span_(span), section_(section) {}

  template <typename T>
  Status get(T* out) {
    if (sizeof(T) > span_.size - pos_) return truncated();
    std::memcpy(out, span_.data + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::OK();
  }
  // A count of items that each take at least `item_bytes` of what is left.
  Status count(size_t item_bytes, uint32_t* n) {
    TL_RETURN_IF_ERROR(get(n));
    if (*n > (span_.size - pos_) / item_bytes) return truncated();
    return Status::OK();
  }
  // A string reference (u32 offset, u32 length) into the strings section.
  Status string(Span strings, std::string* out) {
    uint32_t at = 0, length = 0;
    TL_RETURN_IF_ERROR(get(&at));
    TL_RETURN_IF_ERROR(get(&length));
    if (at > strings.size || length > strings.size - at) {
      return malformed(std::string("a string in the ") + section_ +
                       " section lies outside the strings section");
    }
    out->assign(reinterpret_cast<const char*>(strings.data) + at, length);
    return Status::OK();
  }
  // A shape: i32 rank (-1: unknown), then rank i64 dims (-1: unknown).
  Status shape(Shape* out) {
    int32_t rank = 0;
    TL_RETURN_IF_ERROR(get(&rank));
    if (rank == -1) {
      *out = Shape::unknown();
      return Status::OK();
    }
    if (rank < 0 || rank > kMaxRank) {
      return malformed(std::string("a shape in the ") + section_ + " section has rank " +
                       std::to_string(rank));
    }
    std::vector<int64_t> dims(rank);
    for (int64_t& d : dims) TL_RETURN_IF_ERROR(get(&d));
    Status s = Shape::make(dims, out);
    if (!s.ok()) return malformed(std::string("the ") + section_ + " section: " + s.message());
    return Status::OK();
  }
  Status dtype(DType* out) {
    int32_t v = 0;
    TL_RETURN_IF_ERROR(get(&v));
    if (!dtype_is_valid(v)) {
      return malformed(std::string("unknown dtype ") + std::to_string(v) + " in the " +
                       section_ + " section");
    }
    *out = static_cast<DType>(v);
    return Status::OK();
  }
  bool at_end() const { return pos_ == span_.size; }

 private:
  Status truncated() const {
    return malformed(std::string("the ") + section_ + " section ends too early");
  }

  Span span_;
  size_t pos_ = 0;
  const char* section_;
};

class ModelReader {
 public:
  explicit ModelReader(std::shared_ptr<const Buffer> bytes)
      : bytes_(std::move(bytes)), base_(static_cast<const uint8_t*>(bytes_->data())),
        size_(bytes_->size()) {}

  Status read(Model* out);
  // Reads the header and the op libraries section only.
  Status read_op_libraries(std::vector<ModelOpLibrary>* out);

 private:
  Status read_header();
  Status read_op_libraries();
  Status read_tensors();
  Status read_tensor(Cursor& c, uint32_t index);
  Status read_nodes(Cursor& c, const std::string& where, Graph* graph);
  Status read_functions(Graph* graph);
  Status read_attr(Cursor& c, AttrMap* attrs, std::unordered_set<std::string>* seen);
  Status read_io(const Graph& graph, SectionId id, std::vector<ModelTensor>* out);

  std::shared_ptr<const Buffer> bytes_;
  const uint8_t* base_;
  size_t size_;
  Span sections_[kNumSections + 1];
  std::vector<Tensor> tensors_;
  std::vector<ModelOpLibrary> op_libraries_;
};

Status ModelReader::read_header() {
  for (size_t i = 0; i < sizeof(kMagic) && i < size_; ++i) {
    if (base_[i] == static_cast<uint8_t>(kMagic[i])) continue;
    return invalid_argument("not a tensorlib model file (its first bytes are not \"TLMODEL\")");
  }
  if (size_ < kHeaderBytes) {
    return data_loss("model file is truncated: " + std::to_string(size_) +
                     " bytes, less than its 64-byte header");
  }
  const uint32_t header_size = load<uint32_t>(base_ + kHeaderSizeAt);
  if (header_size < kHeaderBytes) {
    return data_loss("model file is corrupted: header size " + std::to_string(header_size));
  }
  if (header_size > size_) {
    return data_loss("model file is truncated: " + std::to_string(size_) +
                     " bytes, less than its " + std::to_string(header_size) + "-byte header");
  }
  uint32_t header_crc = crc32c_extend(0, base_, kHeaderCrcAt);
  const uint32_t zero = 0;
  header_crc = crc32c_extend(header_crc, &zero, 4);
  header_crc = crc32c_extend(header_crc, base_ + kHeaderCrcAt + 4, header_size - kHeaderCrcAt - 4);
  if (header_crc != load<uint32_t>(base_ + kHeaderCrcAt)) {
    return data_loss("model file is corrupted: header checksum mismatch");
  }

  const uint16_t major = load<uint16_t>(base_ + kMajorAt);
  const uint16_t minor = load<uint16_t>(base_ + kMinorAt);
  if (major != kModelVersionMajor) {
    return unimplemented("model file format version " + std::to_string(major) + "." +
                         std::to_string(minor) + " is not supported: this tensorlib reads " +
                         std::to_string(kModelVersionMajor) + ".x" +
                         (major > kModelVersionMajor ? " (the file was written by a newer "
                                                       "tensorlib; upgrade to load it)"
                                                     : ""));
  }
  const uint64_t file_size = load<uint64_t>(base_ + kFileSizeAt);
  if (file_size > size_) {
    return data_loss("model file is truncated: " + std::to_string(size_) + " of " +
                     std::to_string(file_size) + " bytes");
  }
  if (file_size < size_) {
    return data_loss("model file has " + std::to_string(size_ - file_size) +
                     " unexpected bytes after its end (" + std::to_string(file_size) + " bytes)");
  }
  const uint32_t flags = load<uint32_t>(base_ + kFlagsAt);
  if (flags != 0) {
    char hex[16];
    std::snprintf(hex, sizeof(hex), "%x", flags);
    return unimplemented(std::string("model file needs features this tensorlib does not have ") +
                         "(flags 0x" + hex + ")");
  }
  if (crc32c_extend(0, base_ + header_size, size_ - header_size) !=
      load<uint32_t>(base_ + kBodyCrcAt)) {
    return data_loss("model file is corrupted: data checksum mismatch");
  }

  const uint32_t count = load<uint32_t>(base_ + kSectionCountAt);
  if (count > (header_size - kHeaderBytes) / kSectionEntryBytes) {
    return malformed(std::to_string(count) + " sections do not fit in the header");
  }
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* entry = base_ + kHeaderBytes + i * kSectionEntryBytes;
    const uint32_t id = load<uint32_t>(entry);
    const uint64_t offset = load<uint64_t>(entry + 8);
    const uint64_t size = load<uint64_t>(entry + 16);
    if (id == 0 || id > kNumSections) continue;  // a section of a later minor version
    if (sections_[id].data) return malformed(std::string("two ") + kSectionNames[id] + " sections");
    if (offset < header_size || offset > size_ || size > size_ - offset) {
      return malformed(std::string("the ") + kSectionNames[id] +
                       " section lies outside the file");
    }
    if (id == kWeights && offset % kAlignment != 0) {
      return malformed("the weights section is not 64-byte aligned");
    }
    sections_[id] = Span{base_ + offset, static_cast<size_t>(size)};
  }
  for (uint32_t id = 1; id <= kNumRequiredSections; ++id) {
    if (!sections_[id].data) return malformed(std::string("no ") + kSectionNames[id] + " section");
  }
  return Status::OK();
}

Status ModelReader::read_op_libraries() {
  if (!sections_[kOpLibraries].data) return Status::OK();  // a 1.0 file: no op libraries
  Cursor c(sections_[kOpLibraries], kSectionNames[kOpLibraries]);
  uint32_t count = 0;
  TL_RETURN_IF_ERROR(c.count(2 * 8, &count));
  std::unordered_set<std::string> ops;
  op_libraries_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    ModelOpLibrary lib;
    TL_RETURN_IF_ERROR(c.string(sections_[kStrings], &lib.op));
    TL_RETURN_IF_ERROR(c.string(sections_[kStrings], &lib.library));
    const std::string which = "op library entry " + std::to_string(i);
    if (lib.op.empty() || lib.op.find('\0') != std::string::npos || !is_utf8(lib.op)) {
      return malformed(which + " has no valid op name");
    }
    if (!ops.insert(lib.op).second) {
      return malformed(which + ": op '" + lib.op + "' is listed twice");
    }
    const std::string problem = library_name_problem(lib.library);
    if (!problem.empty()) {
      return malformed(which + " (op '" + lib.op + "'): the library's name " + problem);
    }
    op_libraries_.push_back(std::move(lib));
  }
  if (!c.at_end()) return malformed("the op libraries section has extra bytes");
  return Status::OK();
}

Status ModelReader::read_op_libraries(std::vector<ModelOpLibrary>* out) {
  if (!host_is_little_endian()) return big_endian_host();
  TL_RETURN_IF_ERROR(read_header());
  TL_RETURN_IF_ERROR(read_op_libraries());
  *out = std::move(op_libraries_);
  return Status::OK();
}

Status ModelReader::read_tensor(Cursor& c, uint32_t index) {
  const std::string which = "tensor " + std::to_string(index);
  DType dtype = DType::kInvalid;
  Shape shape;
  uint64_t offset = 0, size = 0;
  TL_RETURN_IF_ERROR(c.dtype(&dtype));
  TL_RETURN_IF_ERROR(c.shape(&shape));
  TL_RETURN_IF_ERROR(c.get(&offset));
  TL_RETURN_IF_ERROR(c.get(&size));
  if (!shape.is_fully_defined()) {
    return malformed(which + " has a partial shape " + shape.to_string());
  }
  if (!check_size(shape).ok()) return malformed(which + " is too large");
  const Span weights = sections_[kWeights];
  if (offset % kAlignment != 0) return malformed(which + " is not 64-byte aligned");
  if (offset > weights.size || size > weights.size - offset) {
    return malformed(which + " lies outside the weights section");
  }
  const uint8_t* data = weights.data + offset;
  const uint64_t n = static_cast<uint64_t>(shape.num_elements());

  if (dtype == DType::kString) {
    // n u64 lengths, then the strings' bytes one after another.
    if (n > size / 8) return malformed(which + " is shorter than its string lengths");
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t length = load<uint64_t>(data + 8 * i);
      if (length > size - 8 * n - total) return malformed(which + "'s strings overrun it");
      total += length;
    }
    if (total != size - 8 * n) return malformed(which + " has bytes after its strings");
    Tensor t;
    TL_RETURN_IF_ERROR(Tensor::allocate(DType::kString, shape, &t));
    auto* s = t.data<std::string>();
    const char* chars = reinterpret_cast<const char*>(data + 8 * n);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t length = load<uint64_t>(data + 8 * i);
      s[i].assign(chars, length);
      chars += length;
    }
    tensors_.push_back(std::move(t));
    return Status::OK();
  }

  if (size != n * dtype_size(dtype)) {
    return malformed(which + " holds " + std::to_string(size) + " bytes, its " +
                     dtype_name(dtype) + " shape " + shape.to_string() + " needs " +
                     std::to_string(n * dtype_size(dtype)));
  }
  if (dtype == DType::kBool) {
    for (uint64_t i = 0; i < n; ++i) {
      if (data[i] > 1) return malformed(which + " has a bool that is neither 0 nor 1");
    }
  }
  // NOTE: the executor never writes into borrowed buffers, so read-only mapped bytes are safe.
  tensors_.emplace_back(dtype, shape, Buffer::view(bytes_, data, size));
  return Status::OK();
}

Status ModelReader::read_tensors() {
  Cursor c(sections_[kTensors], "tensors");
  uint32_t count = 0;
  TL_RETURN_IF_ERROR(c.count(4 + 4 + 8 + 8, &count));
  tensors_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) TL_RETURN_IF_ERROR(read_tensor(c, i));
  return Status::OK();
}

Status ModelReader::read_attr(Cursor& c, AttrMap* attrs, std::unordered_set<std::string>* seen) {
  std::string name;
  uint32_t tag = 0;
  TL_RETURN_IF_ERROR(c.string(sections_[kStrings], &name));
  TL_RETURN_IF_ERROR(c.get(&tag));
  if (!seen->insert(name).second) return malformed("attribute '" + name + "' given twice");
  switch (tag) {
    case kTagInt: {
      int64_t v = 0;
      TL_RETURN_IF_ERROR(c.get(&v));
      attrs->set(name, v);
      break;
    }
    case kTagFloat: {
      double v = 0;
      TL_RETURN_IF_ERROR(c.get(&v));
      attrs->set(name, v);
      break;
    }
    case kTagBool: {
      uint8_t v = 0;
      TL_RETURN_IF_ERROR(c.get(&v));
      if (v > 1) return malformed("attribute '" + name + "' is a bool that is neither 0 nor 1");
      attrs->set(name, v == 1);
      break;
    }
    case kTagString: {
      std::string v;
      TL_RETURN_IF_ERROR(c.string(sections_[kStrings], &v));
      attrs->set(name, std::move(v));
      break;
    }
    case kTagType: {
      DType v = DType::kInvalid;
      TL_RETURN_IF_ERROR(c.dtype(&v));
      attrs->set(name, v);
      break;
    }
    case kTagInts: {
      uint32_t n = 0;
      TL_RETURN_IF_ERROR(c.count(8, &n));
      std::vector<int64_t> v(n);
      for (uint32_t i = 0; i < n; ++i) TL_RETURN_IF_ERROR(c.get(&v[i]));
      attrs->set(name, std::move(v));
      break;
    }
    case kTagShape: {
      Shape v;
      TL_RETURN_IF_ERROR(c.shape(&v));
      attrs->set(name, v);
      break;
    }
    case kTagTensor: {
      uint32_t index = 0;
      TL_RETURN_IF_ERROR(c.get(&index));
      if (index >= tensors_.size()) {
        return malformed("attribute '" + name + "' refers to tensor " + std::to_string(index) +
                         " of " + std::to_string(tensors_.size()));
      }
      attrs->set(name, tensors_[index]);
      break;
    }
    default:
      return malformed("attribute '" + name + "' has unknown tag " + std::to_string(tag));
  }
  return Status::OK();
}

Status ModelReader::read_nodes(Cursor& c, const std::string& where, Graph* graph) {
  uint32_t count = 0;
  // A node takes at least three string references and three counts.
  TL_RETURN_IF_ERROR(c.count(3 * 8 + 3 * 4, &count));
  for (uint32_t i = 0; i < count; ++i) {
    NodeSpec spec;
    auto fail = [&](const Status& s) {
      const std::string which = where + "node " + std::to_string(i) +
                                (spec.name.empty() ? "" : " ('" + spec.name + "')");
      if (s.code() == StatusCode::kNotFound) {  // an op this build does not have
        for (const ModelOpLibrary& lib : op_libraries_) {
          if (lib.op != spec.op || OpRegistry::global().find(spec.op)) continue;
          return not_found("model " + which + ": op '" + spec.op + "' is not registered: the " +
                           "model uses it from op library '" + lib.library + "'; load that " +
                           "library (tl::load_op_library, or tensorlib.load_op_library in " +
                           "Python) before loading the model");
        }
        return not_found("model " + which + ": " + s.message() +
                         " (if it is a custom op, load its library first)");
      }
      // Everything else the file got wrong is InvalidArgument, named after the node.
      std::string msg = s.message();
      const std::string prefix = "malformed model file: ";
      if (msg.rfind(prefix, 0) == 0) msg.erase(0, prefix.size());
      return malformed(which + ": " + msg);
    };
    Status s = [&]() -> Status {
      const Span strings = sections_[kStrings];
      TL_RETURN_IF_ERROR(c.string(strings, &spec.op));
      TL_RETURN_IF_ERROR(c.string(strings, &spec.name));
      TL_RETURN_IF_ERROR(c.string(strings, &spec.device));
      uint32_t n = 0;
      TL_RETURN_IF_ERROR(c.count(8, &n));
      spec.inputs.resize(n);
      for (Endpoint& e : spec.inputs) {
        uint32_t node = 0, index = 0;
        TL_RETURN_IF_ERROR(c.get(&node));
        TL_RETURN_IF_ERROR(c.get(&index));
        if (node >= i) return malformed("an input comes from node " + std::to_string(node));
        e.node = static_cast<int32_t>(node);
        e.index = static_cast<int32_t>(index > INT32_MAX ? INT32_MAX : index);
      }
      TL_RETURN_IF_ERROR(c.count(4, &n));
      spec.control_inputs.resize(n);
      for (int32_t& ctl : spec.control_inputs) {
        uint32_t node = 0;
        TL_RETURN_IF_ERROR(c.get(&node));
        if (node >= i) return malformed("a control input is node " + std::to_string(node));
        ctl = static_cast<int32_t>(node);
      }
      TL_RETURN_IF_ERROR(c.count(8 + 4, &n));
      std::unordered_set<std::string> seen;
      for (uint32_t a = 0; a < n; ++a) TL_RETURN_IF_ERROR(read_attr(c, &spec.attrs, &seen));
      int32_t id = 0;
      return graph->add_node(spec, &id);
    }();
    if (!s.ok()) return fail(s);
  }
  return Status::OK();
}

Status ModelReader::read_functions(Graph* graph) {
  if (!sections_[kFunctions].data) return Status::OK();  // before 1.2, or no function
  Cursor c(sections_[kFunctions], kSectionNames[kFunctions]);
  uint32_t count = 0;
  // A function takes at least a name, two counts and a node count.
  TL_RETURN_IF_ERROR(c.count(8 + 3 * 4, &count));
  for (uint32_t i = 0; i < count; ++i) {
    Function f;
    TL_RETURN_IF_ERROR(c.string(sections_[kStrings], &f.name));
    const std::string which = "function " + std::to_string(i) + " ('" + f.name + "')";
    uint32_t n = 0;
    TL_RETURN_IF_ERROR(c.count(4, &n));
    std::vector<uint32_t> args(n);
    for (uint32_t& a : args) TL_RETURN_IF_ERROR(c.get(&a));
    TL_RETURN_IF_ERROR(c.count(8, &n));
    std::vector<std::pair<uint32_t, uint32_t>> outputs(n);
    for (auto& o : outputs) {
      TL_RETURN_IF_ERROR(c.get(&o.first));
      TL_RETURN_IF_ERROR(c.get(&o.second));
    }
    auto body = std::make_shared<Graph>(&graph->functions());
    TL_RETURN_IF_ERROR(read_nodes(c, which + ", ", body.get()));
    for (uint32_t a : args) {
      if (a >= static_cast<uint32_t>(body->num_nodes())) {
        return malformed(which + ": argument node " + std::to_string(a) + " is not in its body");
      }
      f.args.push_back(static_cast<int32_t>(a));
    }
    for (const auto& o : outputs) {
      if (o.first >= static_cast<uint32_t>(body->num_nodes()) ||
          o.second >= body->node(static_cast<int32_t>(o.first)).output_dtypes.size()) {
        return malformed(which + ": an output is not a tensor of its body");
      }
      f.outputs.push_back(Endpoint{static_cast<int32_t>(o.first), static_cast<int32_t>(o.second)});
    }
    f.body = std::move(body);
    Status s = graph->functions().add(std::move(f));
    if (!s.ok()) return malformed(which + ": " + s.message());
  }
  if (!c.at_end()) return malformed("the functions section has bytes after its last function");
  return Status::OK();
}

Status ModelReader::read_io(const Graph& graph, SectionId id, std::vector<ModelTensor>* out) {
  const char* what = kSectionNames[id];
  Cursor c(sections_[id], what);
  uint32_t count = 0;
  TL_RETURN_IF_ERROR(c.count(8 + 4 + 4 + 4 + 4, &count));
  std::unordered_set<std::string> names;
  for (uint32_t i = 0; i < count; ++i) {
    ModelTensor t;
    uint32_t node = 0, index = 0;
    Shape shape;
    TL_RETURN_IF_ERROR(c.string(sections_[kStrings], &t.name));
    TL_RETURN_IF_ERROR(c.get(&node));
    TL_RETURN_IF_ERROR(c.get(&index));
    TL_RETURN_IF_ERROR(c.dtype(&t.dtype));
    TL_RETURN_IF_ERROR(c.shape(&shape));
    const std::string which = std::string(what) + " " + std::to_string(i) + " ('" + t.name + "')";
    if (node >= static_cast<uint32_t>(graph.num_nodes()) ||
        index >= graph.node(static_cast<int32_t>(node)).output_dtypes.size()) {
      return malformed(which + " is not a tensor of the graph");
    }
    if (!names.insert(t.name).second) return malformed(which + ": the name is used twice");
    t.endpoint = Endpoint{static_cast<int32_t>(node), static_cast<int32_t>(index)};
    const Node& n = graph.node(t.endpoint.node);
    if (n.output_dtypes[index] != t.dtype) {
      return malformed(which + " is " + dtype_name(t.dtype) + " but its node makes " +
                       dtype_name(n.output_dtypes[index]));
    }
    if (!shape.merge(n.output_shapes[index], &t.shape).ok()) {
      return malformed(which + " has shape " + shape.to_string() + " but its node makes " +
                       n.output_shapes[index].to_string());
    }
    out->push_back(std::move(t));
  }
  if (!c.at_end()) return malformed(std::string("the ") + what + " section has extra bytes");
  return Status::OK();
}

Status ModelReader::read(Model* out) {
  if (!host_is_little_endian()) return big_endian_host();
  TL_RETURN_IF_ERROR(read_header());
  TL_RETURN_IF_ERROR(read_op_libraries());
  TL_RETURN_IF_ERROR(read_tensors());
  auto graph = std::make_shared<Graph>();
  TL_RETURN_IF_ERROR(read_functions(graph.get()));
  Cursor nodes(sections_[kNodes], kSectionNames[kNodes]);
  TL_RETURN_IF_ERROR(read_nodes(nodes, "", graph.get()));
  if (!nodes.at_end()) return malformed("the nodes section has bytes after its last node");
  Model m;
  TL_RETURN_IF_ERROR(read_io(*graph, kInputs, &m.inputs));
  TL_RETURN_IF_ERROR(read_io(*graph, kOutputs, &m.outputs));
  m.op_libraries = std::move(op_libraries_);
  m.graph = std::move(graph);
  m.bytes = bytes_;
  *out = std::move(m);
  return Status::OK();
}

std::shared_ptr<Buffer> copy_to_aligned(const void* data, size_t size) {
  std::shared_ptr<Buffer> b = Buffer::allocate(size);
  if (b && size) std::memcpy(b->data(), data, size);
  return b;
}

Status out_of_memory(size_t size) {
  return resource_exhausted("out of memory reading a model of " + std::to_string(size) +
                            " bytes");
}

}  // namespace

Status serialize_model(const Graph& graph, const std::vector<Endpoint>& inputs,
                       const std::vector<Endpoint>& outputs, std::string* out) {
  return ModelWriter().write(graph, inputs, outputs, out);
}

Status load_model(std::shared_ptr<const Buffer> bytes, Model* out) {
  if (!bytes) return invalid_argument("load_model: no bytes");
  if (reinterpret_cast<uintptr_t>(bytes->data()) % kAlignment != 0) {
    std::shared_ptr<Buffer> copy = copy_to_aligned(bytes->data(), bytes->size());
    if (!copy) return out_of_memory(bytes->size());
    bytes = std::move(copy);
  }
  return ModelReader(std::move(bytes)).read(out);
}

Status load_model(const void* data, size_t size, Model* out) {
  std::shared_ptr<Buffer> copy = copy_to_aligned(data, size);
  if (!copy) return out_of_memory(size);
  return load_model(std::shared_ptr<const Buffer>(std::move(copy)), out);
}

Status load_model_file(const std::string& path, Model* out, ModelFileAccess access) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string msg = "cannot open model file '" + path + "': " + std::strerror(err);
    return err == ENOENT ? not_found(msg) : invalid_argument(msg);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalid_argument("'" + path + "' is not a regular file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  std::shared_ptr<Buffer> bytes;
  void* mapped = MAP_FAILED;
  if (access == ModelFileAccess::kMap && size > 0) {
    mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  }
  if (mapped != MAP_FAILED) {
    bytes = Buffer::borrow(
        mapped, size,
        [](void* data, void* length) { ::munmap(data, reinterpret_cast<size_t>(length)); },
        reinterpret_cast<void*>(size));
  } else {
    bytes = Buffer::allocate(size);
    if (!bytes) {
      ::close(fd);
      return out_of_memory(size);
    }
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::read(fd, static_cast<char*>(bytes->data()) + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    if (done < size) {
      ::close(fd);
      return data_loss("cannot read model file '" + path + "': it ended after " +
                       std::to_string(done) + " of " + std::to_string(size) + " bytes");
    }
  }
  ::close(fd);
  return load_model(std::shared_ptr<const Buffer>(std::move(bytes)), out);
}

Status read_model_op_libraries(const void* data, size_t size, std::vector<ModelOpLibrary>* out) {
  // Only fixed-width fields and strings are read (with memcpy): the bytes need no alignment.
  std::shared_ptr<const Buffer> bytes = Buffer::borrow(const_cast<void*>(data), size);
  if (!bytes) return out_of_memory(size);
  return ModelReader(std::move(bytes)).read_op_libraries(out);
}

}  // namespace tl
