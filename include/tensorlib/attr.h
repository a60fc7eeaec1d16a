// Node attributes: the compile-time parameters of an op (a dtype, an axis, a constant's value).
//
//   tl::AttrMap attrs;
//   attrs.set("T", tl::DType::kFloat32);
//   attrs.set("transpose_a", false);
//   bool ta = attrs.get<bool>("transpose_a");
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tensorlib/dtype.h"
#include "tensorlib/shape.h"
#include "tensorlib/tensor.h"

namespace tl {

enum class AttrType : int32_t { kInt, kFloat, kBool, kString, kType, kInts, kShape, kTensor };

using AttrValue =
    std::variant<int64_t, double, bool, std::string, DType, std::vector<int64_t>, Shape, Tensor>;

// Name of an attribute type, for error messages: "int", "float", "tensor", ...
const char* attr_type_name(AttrType t);
// The AttrType held by a value.
inline AttrType attr_type_of(const AttrValue& v) { return static_cast<AttrType>(v.index()); }

// A small ordered map from attribute name to value (ops have a handful of attributes).
class AttrMap {
 public:
  void set(std::string name, AttrValue value);
  // The value, or null when absent.
  const AttrValue* find(const std::string& name) const;
  // The value of an attribute that the op's declaration guarantees is present.
  template <typename T>
  const T& get(const std::string& name) const {
    return std::get<T>(*find(name));
  }
  const std::vector<std::pair<std::string, AttrValue>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, AttrValue>> items_;
};

}  // namespace tl
