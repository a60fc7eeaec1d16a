#include "tensorlib/dtype.h"

namespace tl {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat16: return "float16";
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kBool: return "bool";
    case DType::kString: return "string";
    case DType::kInvalid: break;
  }
  return "invalid";
}

bool dtype_is_valid(int32_t value) {
  switch (static_cast<DType>(value)) {
    case DType::kFloat16:
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kBool:
    case DType::kString:
      return true;
    case DType::kInvalid:
      break;
  }
  return false;
}

bool dtype_is_floating(DType t) {
  return t == DType::kFloat16 || t == DType::kFloat32 || t == DType::kFloat64;
}

bool dtype_is_integer(DType t) { return t == DType::kInt32 || t == DType::kInt64; }

}  // namespace tl
