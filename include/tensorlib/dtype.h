// Element types of tensors.
//
// The numeric values match TensorFlow's DataType enum (DT_FLOAT = 1, ...), so a dtype's
// `as_datatype_enum` is the same number in both libraries and model files stay readable.
//
//   tl::DType t = tl::DType::kFloat32;
//   size_t bytes = tl::dtype_size(t) * n;        // 4 * n
//   const char* name = tl::dtype_name(t);        // "float32"
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tl {

enum class DType : int32_t {
  kInvalid = 0,
  kFloat32 = 1,
  kFloat64 = 2,
  kInt32 = 3,
  kUInt8 = 4,
  kInt16 = 5,
  kInt8 = 6,
  kString = 7,
  kComplex64 = 8,
  kInt64 = 9,
  kBool = 10,
  kBFloat16 = 14,
  kUInt16 = 17,
  kComplex128 = 18,
  kFloat16 = 19,
  kUInt32 = 22,
  kUInt64 = 23,
};

// IEEE half precision, stored as its 16 raw bits (storage and casts only).
struct Half {
  uint16_t bits;
};

// bfloat16: the upper 16 bits of a float32, stored raw (storage and casts only).
struct BFloat16 {
  uint16_t bits;
};

// NumPy-style name: "float32", "int64", "bool", "string", ...
const char* dtype_name(DType t);
// True for a value that names one of the dtypes above.
bool dtype_is_valid(int32_t value);
// True for float16/bfloat16/float32/float64.
bool dtype_is_floating(DType t);
// True for the signed and unsigned integers of 8 to 64 bits.
bool dtype_is_integer(DType t);
// True for complex64/complex128.
bool dtype_is_complex(DType t);

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
struct DTypeOf<int8_t> {
  static constexpr DType value = DType::kInt8;
};
template <>
struct DTypeOf<int16_t> {
  static constexpr DType value = DType::kInt16;
};
template <>
struct DTypeOf<uint8_t> {
  static constexpr DType value = DType::kUInt8;
};
template <>
struct DTypeOf<uint16_t> {
  static constexpr DType value = DType::kUInt16;
};
template <>
struct DTypeOf<uint32_t> {
  static constexpr DType value = DType::kUInt32;
};
template <>
struct DTypeOf<uint64_t> {
  static constexpr DType value = DType::kUInt64;
};
template <>
struct DTypeOf<std::complex<float>> {
  static constexpr DType value = DType::kComplex64;
};
template <>
struct DTypeOf<std::complex<double>> {
  static constexpr DType value = DType::kComplex128;
};
template <>
struct DTypeOf<BFloat16> {
  static constexpr DType value = DType::kBFloat16;
};
template <>
struct DTypeOf<std::string> {
  static constexpr DType value = DType::kString;
};

// Bytes per element (sizeof(std::string) for kString, 0 for kInvalid).
inline size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat16: return 2;
    case DType::kBFloat16: return 2;
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kInt8: return 1;
    case DType::kInt16: return 2;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kUInt8: return 1;
    case DType::kUInt16: return 2;
    case DType::kUInt32: return 4;
    case DType::kUInt64: return 8;
    case DType::kComplex64: return 8;
    case DType::kComplex128: return 16;
    case DType::kBool: return 1;
    case DType::kString: return sizeof(std::string);
    case DType::kInvalid: break;
  }
  return 0;
}

}  // namespace tl
