#include "tensorlib/attr.h"

namespace tl {

const char* attr_type_name(AttrType t) {
  switch (t) {
    case AttrType::kInt: return "int";
    case AttrType::kFloat: return "float";
    case AttrType::kBool: return "bool";
    case AttrType::kString: return "string";
    case AttrType::kType: return "type";
    case AttrType::kInts: return "list(int)";
    case AttrType::kShape: return "shape";
    case AttrType::kTensor: return "tensor";
  }
  return "unknown";
}

void AttrMap::set(std::string name, AttrValue value) {
  for (auto& item : items_) {
    if (item.first == name) {
      item.second = std::move(value);
      return;
    }
  }
  items_.emplace_back(std::move(name), std::move(value));
}

const AttrValue* AttrMap::find(const std::string& name) const {
  for (const auto& item : items_) {
    if (item.first == name) return &item.second;
  }
  return nullptr;
}

}  // namespace tl
