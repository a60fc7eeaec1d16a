// Pipeline descriptions: parsing, binding to input values, and what the stages share.
#include <algorithm>
#include <cstring>
#include <sstream>

#include "data/dataset.h"

namespace tl {
namespace data {
namespace {

Status parse_stage(std::istringstream& in, DatasetDef* out, int depth) {
  if (depth > 256) return invalid_argument("dataset pipeline nested too deeply");
  int64_t num_attrs = -1, num_children = -1;
  if (!(in >> out->kind >> num_attrs) || num_attrs < 0) {
    return invalid_argument("malformed dataset pipeline near stage '" + out->kind + "'");
  }
  for (int64_t i = 0; i < num_attrs; ++i) {
    std::string name, value;
    if (!(in >> name >> value)) {
      return invalid_argument("malformed attributes of dataset stage '" + out->kind + "'");
    }
    out->attrs.emplace_back(std::move(name), std::move(value));
  }
  if (!(in >> num_children) || num_children < 0) {
    return invalid_argument("malformed children of dataset stage '" + out->kind + "'");
  }
  out->children.resize(static_cast<size_t>(num_children));
  for (DatasetDef& child : out->children) TL_RETURN_IF_ERROR(parse_stage(in, &child, depth + 1));
  return Status::OK();
}

const StageKind* find_stage(const std::string& kind) {
  for (const StageKind* table : {kSourceStages, kTransformStages, kBatchingStages,
                                 kThreadedStages}) {
    for (const StageKind* k = table; k->kind; ++k) {
      if (kind == k->kind) return k;
    }
  }
  return nullptr;
}

// A failure inside function `f`, naming it and, when known, its failing node.
Status in_function(const Function& f, Status s) {
  if (s.ok() || s.code() == StatusCode::kCancelled ||
      s.code() == StatusCode::kDeadlineExceeded) {
    return s;
  }
  std::string where = " (in dataset function '" + f.name + "'";
  if (s.node() >= 0 && s.node() < f.body->num_nodes()) {
    where += ", node '" + f.body->node(s.node()).name + "'";
  }
  return Status(s.code(), s.message() + where + ")");
}

}  // namespace

Status DatasetDef::get(const std::string& name, std::string* out) const {
  for (const auto& [key, value] : attrs) {
    if (key == name) {
      *out = value;
      return Status::OK();
    }
  }
  return invalid_argument("dataset stage '" + kind + "' has no attribute '" + name + "'");
}

Status DatasetDef::get(const std::string& name, int64_t* out) const {
  std::string text;
  TL_RETURN_IF_ERROR(get(name, &text));
  char* end = nullptr;
  *out = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') {
    return invalid_argument("attribute '" + name + "' of dataset stage '" + kind +
                            "' is not an integer: " + text);
  }
  return Status::OK();
}

Status DatasetDef::get(const std::string& name, std::vector<int64_t>* out) const {
  std::string text;
  TL_RETURN_IF_ERROR(get(name, &text));
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') {
    return invalid_argument("attribute '" + name + "' of dataset stage '" + kind +
                            "' is not a list: " + text);
  }
  out->clear();
  std::istringstream in(text.substr(1, text.size() - 2));
  std::string item;
  while (std::getline(in, item, ',')) out->push_back(std::strtoll(item.c_str(), nullptr, 10));
  return Status::OK();
}

Status parse_pipeline(const std::string& text, DatasetDef* out) {
  std::istringstream in(text);
  TL_RETURN_IF_ERROR(parse_stage(in, out, 0));
  std::string rest;
  if (in >> rest) return invalid_argument("trailing text in dataset pipeline: " + rest);
  return Status::OK();
}

Status Binder::take(int64_t n, std::vector<Tensor>* out) {
  if (n < 0 || next + static_cast<size_t>(n) > num_inputs) {
    return invalid_argument("the dataset pipeline asks for more inputs than the op has (" +
                            std::to_string(num_inputs) + ")");
  }
  out->assign(inputs + next, inputs + next + n);
  next += static_cast<size_t>(n);
  return Status::OK();
}

Status Binder::take_scalar(const char* what, int64_t* out) {
  std::vector<Tensor> v;
  TL_RETURN_IF_ERROR(take(1, &v));
  const Tensor& t = v[0];
  if (t.shape().rank() != 0 || (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32)) {
    return invalid_argument(std::string(what) + " must be an integer scalar, got " +
                            dtype_name(t.dtype()) + " of shape " + t.shape().to_string());
  }
  *out = t.dtype() == DType::kInt64 ? *t.data<int64_t>() : *t.data<int32_t>();
  return Status::OK();
}

Status Binder::take_function(const DatasetDef& def, const char* attr, DatasetFunction* out) {
  std::string name;
  int64_t captures;
  TL_RETURN_IF_ERROR(def.get(attr, &name));
  TL_RETURN_IF_ERROR(def.get(std::string(attr) + "_captures", &captures));
  out->function = functions ? functions->find(name) : nullptr;
  if (!out->function) return not_found("dataset function '" + name + "' is not defined");
  return take(captures, &out->captured);
}

Status make_dataset(const DatasetDef& def, Binder& binder, std::shared_ptr<const Dataset>* out) {
  const StageKind* stage = find_stage(def.kind);
  if (!stage) return invalid_argument("unknown dataset stage '" + def.kind + "'");
  // Upstream stages take their inputs first, in order, then the stage its own (Python's order).
  const size_t bound = stage->bound_children < 0
                           ? def.children.size()
                           : std::min(def.children.size(),
                                      static_cast<size_t>(stage->bound_children));
  std::vector<std::shared_ptr<const Dataset>> upstream(bound);
  for (size_t i = 0; i < bound; ++i) {
    TL_RETURN_IF_ERROR(make_dataset(def.children[i], binder, &upstream[i]));
  }
  return stage->build(def, binder, std::move(upstream), out);
}

Status DatasetFunction::call(IteratorContext& ctx, Element args, Element* results) const {
  for (const Tensor& c : captured) args.push_back(c);
  if (args.size() != function->args.size()) {
    return invalid_argument("dataset function '" + function->name + "' takes " +
                            std::to_string(function->args.size()) + " arguments, got " +
                            std::to_string(args.size()));
  }
  Plan* plan;
  SessionState* state;
  TL_RETURN_IF_ERROR(
      function_plan(*function, *ctx.functions, *ctx.state, args.data(), &plan, &state));
  results->assign(function->outputs.size(), Tensor());
  return in_function(*function, plan->call(*state, ctx.max_threads, args.data(),
                                           results->data(), ctx.control));
}

void Row::to_element(Element* out) const {
  out->resize(tensors->size());
  for (size_t i = 0; i < tensors->size(); ++i) (*out)[i] = (*tensors)[i].row(row);
}

Status DatasetIterator::get_next_row(IteratorContext&, Row*, bool*) {
  return internal_error("get_next_row called on an iterator whose elements are not rows");
}

void copy_elements(const Tensor& src, int64_t src_at, Tensor* dst, int64_t dst_at, int64_t n) {
  if (n <= 0) return;
  if (src.dtype() == DType::kString) {
    const std::string* s = src.data<std::string>() + src_at;
    std::string* d = dst->data<std::string>() + dst_at;
    for (int64_t i = 0; i < n; ++i) d[i] = s[i];
    return;
  }
  const size_t size = dtype_size(src.dtype());
  std::memcpy(static_cast<char*>(dst->raw_data()) + dst_at * size,
              static_cast<const char*>(src.raw_data()) + src_at * size, n * size);
}

}  // namespace data
}  // namespace tl
