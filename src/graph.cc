#include "tensorlib/graph.h"

namespace tl {
namespace {

// The most outputs a node may have (Split and Unpack take theirs from an attribute).
constexpr int64_t kMaxOutputs = 1 << 16;

// Checks `spec.attrs` against the declaration and fills in defaults.
Status resolve_attrs(const OpDef& op, const NodeSpec& spec, AttrMap* out) {
  for (const auto& item : spec.attrs.items()) {
    const AttrSpec* decl = nullptr;
    for (const AttrSpec& a : op.attrs()) {
      if (a.name == item.first) decl = &a;
    }
    if (!decl) {
      return invalid_argument("Op '" + op.name() + "' has no attribute '" + item.first + "'");
    }
    if (attr_type_of(item.second) != decl->type) {
      return type_error("Attribute '" + item.first + "' of op '" + op.name() + "' must be a " +
                        attr_type_name(decl->type) + ", not a " +
                        attr_type_name(attr_type_of(item.second)));
    }
  }
  *out = spec.attrs;
  for (const AttrSpec& a : op.attrs()) {
    if (out->find(a.name)) continue;
    if (!a.default_value) {
      return invalid_argument("Op '" + op.name() + "' requires attribute '" + a.name + "'");
    }
    out->set(a.name, *a.default_value);
  }
  return Status::OK();
}

}  // namespace

Status FunctionLibrary::add(Function f) {
  if (!f.body) return invalid_argument("function '" + f.name + "' has no body");
  for (int32_t a : f.args) {
    if (a < 0 || a >= f.body->num_nodes() || f.body->node(a).op->name() != "Placeholder") {
      return invalid_argument("an argument of function '" + f.name +
                              "' is not a Placeholder of its body");
    }
  }
  for (const Endpoint& e : f.outputs) {
    if (e.node < 0 || e.node >= f.body->num_nodes() || e.index < 0 ||
        e.index >= static_cast<int32_t>(f.body->node(e.node).output_dtypes.size())) {
      return invalid_argument("an output of function '" + f.name + "' is not in its body");
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (by_name_.count(f.name)) {
    return invalid_argument("a function named '" + f.name + "' is already in the library");
  }
  functions_.push_back(std::make_unique<Function>(std::move(f)));
  by_name_.emplace(functions_.back()->name, functions_.back().get());
  return Status::OK();
}

const Function* FunctionLibrary::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<const Function*> FunctionLibrary::functions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<const Function*> out;
  for (const auto& f : functions_) out.push_back(f.get());
  return out;
}

std::vector<std::string> called_functions(const Node& node) {
  static const char* const kFunctionAttrs[] = {"then_branch", "else_branch", "cond", "body"};
  std::vector<std::string> out;
  for (const char* name : kFunctionAttrs) {
    const AttrValue* v = node.attrs.find(name);
    if (v && attr_type_of(*v) == AttrType::kString) out.push_back(std::get<std::string>(*v));
  }
  return out;
}

Status specialize_graph(const Graph& source,
                        const std::vector<std::pair<Endpoint, Shape>>& shapes, Graph* out,
                        bool replace_placeholder_shapes) {
  std::vector<std::vector<size_t>> fixed_at(source.num_nodes());
  for (size_t i = 0; i < shapes.size(); ++i) fixed_at[shapes[i].first.node].push_back(i);
  for (int32_t id = 0; id < source.num_nodes(); ++id) {
    const Node& node = source.node(id);
    NodeSpec spec;
    spec.op = node.op->name();
    spec.name = node.name;
    spec.inputs = node.inputs;
    spec.control_inputs = node.control_inputs;
    spec.attrs = node.attrs;
    spec.device = node.device;
    if (replace_placeholder_shapes && spec.op == "Placeholder") {
      for (size_t i : fixed_at[id]) spec.attrs.set("shape", shapes[i].second);
    }
    int32_t new_id;
    Status added = out->add_node(spec, &new_id);
    if (!added.ok()) return added.with_node(id);
    for (size_t i : fixed_at[id]) {
      Status s = out->set_output_shape(shapes[i].first, shapes[i].second);
      if (!s.ok()) return s.with_node(id);
    }
  }
  return Status::OK();
}

Graph::Graph() : Graph(std::make_shared<FunctionLibrary>()) {}

Graph::Graph(std::shared_ptr<FunctionLibrary> library)
    : own_library_(std::move(library)), library_(own_library_.get()) {}

Graph::Graph(FunctionLibrary* library) : library_(library) {}

Status Graph::add_node(const NodeSpec& spec, int32_t* id) {
  const OpDef* op = OpRegistry::global().find(spec.op);
  if (!op) return not_found("Op type not registered '" + spec.op + "'");
  if (spec.name.empty()) return invalid_argument("a node needs a name");
  if (by_name_.count(spec.name)) {
    return invalid_argument("Duplicate node name in graph: '" + spec.name + "'");
  }

  const size_t declared = op->inputs().size();
  const size_t given = spec.inputs.size();
  if (op->variadic() ? given + 1 < declared : given != declared) {
    return invalid_argument("Op '" + op->name() + "' expects " +
                            (op->variadic() ? "at least " + std::to_string(declared - 1)
                                            : std::to_string(declared)) +
                            " inputs, got " + std::to_string(given));
  }
  std::vector<DType> in_dtypes(given);
  std::vector<Shape> in_shapes(given);
  std::vector<const Tensor*> in_values(given);
  for (size_t i = 0; i < given; ++i) {
    const Endpoint& e = spec.inputs[i];
    if (e.node < 0 || e.node >= num_nodes() || e.index < 0 ||
        e.index >= static_cast<int32_t>(nodes_[e.node]->output_dtypes.size())) {
      return invalid_argument("input " + std::to_string(i) + " of '" + spec.name +
                              "' is not an output of a node in this graph");
    }
    in_dtypes[i] = nodes_[e.node]->output_dtypes[e.index];
    in_shapes[i] = nodes_[e.node]->output_shapes[e.index];
    in_values[i] = constant_value(e);
  }
  for (int32_t c : spec.control_inputs) {
    if (c < 0 || c >= num_nodes()) {
      return invalid_argument("a control input of '" + spec.name + "' is not in this graph");
    }
  }

  auto node = std::make_unique<Node>();
  TL_RETURN_IF_ERROR(resolve_attrs(*op, spec, &node->attrs));
  int num_outputs = op->num_outputs();
  if (!op->num_outputs_attr().empty()) {
    const int64_t n = node->attrs.get<int64_t>(op->num_outputs_attr());
    if (n < 0 || n > kMaxOutputs) {
      return invalid_argument("Attr '" + op->num_outputs_attr() + "' of '" + op->name() +
                              "' Op must be in [0, " + std::to_string(kMaxOutputs) + "], got " +
                              std::to_string(n));
    }
    num_outputs = static_cast<int>(n);
  }
  node->output_dtypes.assign(num_outputs, DType::kInvalid);
  node->output_shapes.assign(num_outputs, Shape::unknown());
  InferenceContext ctx(op->name(), node->attrs, static_cast<int>(given), in_dtypes.data(),
                       in_shapes.data(), in_values.data(), num_outputs,
                       node->output_dtypes.data(), node->output_shapes.data());
  ctx.set_functions(library_);
  TL_RETURN_IF_ERROR(op->shape_fn()(ctx));
  for (const Shape& s : node->output_shapes) TL_RETURN_IF_ERROR(check_size(s));

  node->id = num_nodes();
  node->name = spec.name;
  node->op = op;
  node->inputs = spec.inputs;
  node->control_inputs = spec.control_inputs;
  node->device = spec.device;
  *id = node->id;
  by_name_.emplace(node->name, node->id);
  nodes_.push_back(std::move(node));
  return Status::OK();
}

int32_t Graph::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

Status Graph::set_output_shape(Endpoint e, const Shape& shape) {
  if (e.node < 0 || e.node >= num_nodes() ||
      e.index >= static_cast<int32_t>(nodes_[e.node]->output_shapes.size())) {
    return invalid_argument("no such tensor in this graph");
  }
  Shape& current = nodes_[e.node]->output_shapes[e.index];
  Shape merged;
  Status s = current.merge(shape, &merged);
  if (!s.ok()) {
    return invalid_argument("Shapes " + current.to_string() + " and " + shape.to_string() +
                            " are incompatible");
  }
  current = merged;
  return Status::OK();
}

const Tensor* Graph::constant_value(Endpoint e) const {
  const Node& n = *nodes_[e.node];
  if (n.op->name() != "Const") return nullptr;
  return &n.attrs.get<Tensor>("value");
}

}  // namespace tl
