// Element types of tensors.
//
// The numeric values match TensorFlow's DataType enum (DT_FLOAT = 1, ...), so a dtype's
// `as_datatype_enum` is the same number in both libraries and model files stay readable.
//
//   tl::DType t = tl::DType::kFloat32;
//   size_t bytes = tl::dtype_size(t) * n;        // 4 * n
//   const char* name = tl::dtype_name(t);        // "float32"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tl {

enum class DType : int32_t {
  kInvalid = 0,
  kFloat32 = 1,
  kFloat64 = 2,
  kInt32 = 3,
  kString = 7,
  kInt64 = 9,
  kBool = 10,
  kFloat16 = 19,
};

// IEEE half precision, stored as its 16 raw bits (storage and casts only).
struct Half {
  uint16_t bits;
};

// NumPy-style name: "float32", "int64", "bool", "string", ...
const char* dtype_name(DType t);
// True for a value that names one of the dtypes above.
bool dtype_is_valid(int32_t value);
// True for float16/float32/float64.
bool dtype_is_floating(DType t);
// True for int32/int64.
bool dtype_is_integer(DType t);

// Maps a C++ element type to its DType: DTypeOf<float>::value == DType::kFloat32.
template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::kFloat32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::kFloat64;
};
template <>
struct DTypeOf<int32_t> {
  static constexpr DType value = DType::kInt32;
};
template <>
struct DTypeOf<int64_t> {
  static constexpr DType value = DType::kInt64;
};
template <>
struct DTypeOf<bool> {
  static constexpr DType value = DType::kBool;
};
template <>
struct DTypeOf<Half> {
  static constexpr DType value = DType::kFloat16;
};
template <>
struct DTypeOf<std::string> {
  static constexpr DType value = DType::kString;
};

// Bytes per element (sizeof(std::string) for kString, 0 for kInvalid).
inline size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat16: return 2;
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kBool: return 1;
    case DType::kString: return sizeof(std::string);
    case DType::kInvalid: break;
  }
  return 0;
}

}  // namespace tl
