#include "npy.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

namespace {

struct Descr {
  const char* text;
  tl::DType dtype;
};
constexpr Descr kDescrs[] = {{"<f4", tl::DType::kFloat32}, {"<f8", tl::DType::kFloat64},
                             {"<i4", tl::DType::kInt32},   {"<i8", tl::DType::kInt64},
                             {"|b1", tl::DType::kBool},    {"<f2", tl::DType::kFloat16},
                             {"|i1", tl::DType::kInt8},    {"<i2", tl::DType::kInt16},
                             {"|u1", tl::DType::kUInt8},   {"<u2", tl::DType::kUInt16},
                             {"<u4", tl::DType::kUInt32},  {"<u8", tl::DType::kUInt64},
                             {"<c8", tl::DType::kComplex64}, {"<c16", tl::DType::kComplex128}};

// The value of `key` in the header's Python dict literal, up to the next top-level comma.
std::string field(const std::string& header, const std::string& key) {
  const size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) return "";
  size_t begin = header.find(':', at);
  if (begin == std::string::npos) return "";
  ++begin;
  int depth = 0;
  size_t end = begin;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if ((c == ',' && depth == 0) || c == '}') break;
  }
  std::string v = header.substr(begin, end - begin);
  const size_t first = v.find_first_not_of(" '");
  const size_t last = v.find_last_not_of(" '");
  return first == std::string::npos ? "" : v.substr(first, last - first + 1);
}

}  // namespace

tl::Status read_npy(const std::string& path, tl::Tensor* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return tl::Status(tl::StatusCode::kNotFound, "cannot open " + path);
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0 ||
      (magic[6] != 1 && magic[6] != 2)) {
    return tl::invalid_argument(path + " is not a .npy file of version 1 or 2");
  }
  uint32_t header_size = 0;
  unsigned char size_bytes[4] = {};
  if (!f.read(reinterpret_cast<char*>(size_bytes), magic[6] == 1 ? 2 : 4)) {
    return tl::invalid_argument(path + ": truncated header");
  }
  for (int i = 3; i >= 0; --i) header_size = header_size << 8 | size_bytes[i];
  std::string header(header_size, '\0');
  if (!f.read(header.data(), header_size)) return tl::invalid_argument(path + ": truncated");

  const std::string descr = field(header, "descr");
  const Descr* kind = nullptr;
  for (const Descr& d : kDescrs) {
    if (descr == d.text) kind = &d;
  }
  if (kind == nullptr) return tl::invalid_argument(path + ": unsupported dtype " + descr);
  if (field(header, "fortran_order") != "False") {
    return tl::invalid_argument(path + ": Fortran-ordered arrays are not supported");
  }
  std::string dims = field(header, "shape");
  std::vector<int64_t> shape;
  for (size_t i = 0; i < dims.size();) {
    if (dims[i] >= '0' && dims[i] <= '9') {
      size_t end = i;
      while (end < dims.size() && dims[end] >= '0' && dims[end] <= '9') ++end;
      shape.push_back(std::stoll(dims.substr(i, end - i)));
      i = end;
    } else {
      ++i;
    }
  }
  tl::Shape s;
  TL_RETURN_IF_ERROR(tl::Shape::make(shape, &s));
  TL_RETURN_IF_ERROR(tl::check_size(s));
  TL_RETURN_IF_ERROR(tl::Tensor::allocate(kind->dtype, s, out));
  if (!f.read(static_cast<char*>(out->raw_data()), static_cast<std::streamsize>(out->num_bytes()))) {
    return tl::invalid_argument(path + ": fewer values than its shape says");
  }
  return tl::Status::OK();
}

tl::Status write_npy(const std::string& path, const tl::Tensor& t) {
  const char* descr = nullptr;
  for (const Descr& d : kDescrs) {
    if (d.dtype == t.dtype()) descr = d.text;
  }
  if (descr == nullptr) return tl::invalid_argument("cannot write this dtype as .npy");
  std::string shape;
  for (int i = 0; i < t.shape().rank(); ++i) shape += std::to_string(t.shape().dim(i)) + ", ";
  if (t.shape().rank() > 1) shape.resize(shape.size() - 2);
  std::string header = "{'descr': '" + std::string(descr) +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Magic (6) + version (2) + size (2) + header + '\n', padded to a multiple of 64.
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    const char preamble[10] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0,
                               static_cast<char>(header.size() & 0xff),
                               static_cast<char>(header.size() >> 8)};
    f.write(preamble, sizeof(preamble));
    f.write(header.data(), static_cast<std::streamsize>(header.size()));
    f.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.num_bytes()));
    if (!f.flush()) return tl::invalid_argument("cannot write " + tmp);
  }
  // A reader never sees half a file: the finished file is renamed into place.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return tl::invalid_argument("cannot write " + path);
  }
  return tl::Status::OK();
}
