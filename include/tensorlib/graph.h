// The dataflow graph.
//
// A graph is an append-only list of nodes. A node's inputs must already be in the graph when
// it is added, so node ids are a topological order and the executor never has to sort. Each
// node is checked against its op's declaration and shape-inferred as it is added, so errors
// surface where the graph is built.
//
//   tl::Graph g;
//   tl::NodeSpec spec;
//   spec.op = "Add"; spec.name = "sum";
//   spec.inputs = {{x, 0}, {y, 0}};
//   spec.attrs.set("T", tl::DType::kFloat32);
//   int32_t id;
//   TL_RETURN_IF_ERROR(g.add_node(spec, &id));
//   g.node(id).output_shapes[0];   // inferred
//
// A graph carries a library of functions: subgraphs with typed inputs (Placeholder nodes of
// the body) and outputs, called by name by the control-flow ops (If, While). A function's body
// is a Graph of its own that shares its caller's library, so functions call functions.
//
//   auto body = std::make_shared<tl::Graph>(&g.functions());   // a body in g's library
//   ... add a Placeholder per input, the computation, ...
//   TL_RETURN_IF_ERROR(g.functions().add({"f", body, {arg0, arg1}, {{out, 0}}}));
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensorlib/attr.h"
#include "tensorlib/op_registry.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"

namespace tl {

// One output of one node: "name:index" in TF's spelling.
struct Endpoint {
  int32_t node = -1;
  int32_t index = 0;
  bool operator==(const Endpoint& o) const { return node == o.node && index == o.index; }
};

// What a caller asks for when adding a node.
struct NodeSpec {
  std::string op;
  std::string name;
  std::vector<Endpoint> inputs;
  std::vector<int32_t> control_inputs;
  AttrMap attrs;
  std::string device;
};

struct Node {
  int32_t id;
  std::string name;
  const OpDef* op;
  std::vector<Endpoint> inputs;
  std::vector<int32_t> control_inputs;
  AttrMap attrs;  // the spec's attributes with the declaration's defaults filled in
  std::string device;
  std::vector<DType> output_dtypes;
  std::vector<Shape> output_shapes;  // as inferred, refined by set_output_shape
};

class Graph;

// A graph function: `body` computes `outputs` from the values fed to its Placeholder nodes
// `args` (one per input, in order).
struct Function {
  std::string name;
  std::shared_ptr<const Graph> body;
  std::vector<int32_t> args;
  std::vector<Endpoint> outputs;
};

// The functions of a graph, by name. Functions are never removed, so pointers stay valid.
class FunctionLibrary {
 public:
  // Adds `f`; fails on a duplicate name, or args that are not Placeholder nodes of the body,
  // or outputs that are not in it.
  Status add(Function f);
  // The function called `name`, or null.
  const Function* find(const std::string& name) const;
  // Every function, in the order they were added (a function's callees come before it).
  std::vector<const Function*> functions() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Function>> functions_;
  std::unordered_map<std::string, const Function*> by_name_;
};

// Copies `source` node by node into the empty graph `out` (so each node is shape-inferred
// again), giving the outputs in `shapes` those shapes as soon as their nodes are in: what
// depends on them is inferred from them. Node ids stay the same. A shape narrows the one its
// node declares; with `replace_placeholder_shapes`, a Placeholder's declared shape is replaced
// instead (a model's input given another fixed size). A failure names its node (Status::node).
Status specialize_graph(const Graph& source,
                        const std::vector<std::pair<Endpoint, Shape>>& shapes, Graph* out,
                        bool replace_placeholder_shapes = false);

// The functions node `node` calls (If's branches, While's condition and body): the values of
// its attributes that name functions.
std::vector<std::string> called_functions(const Node& node);

class Graph {
 public:
  // A graph with a library of its own.
  Graph();
  // A graph whose functions are `library`'s: a specialised copy of another graph.
  explicit Graph(std::shared_ptr<FunctionLibrary> library);
  // A function body while it is built: nodes added to it may call `library`'s functions.
  // (At run time the executor hands a body the library of the graph that calls it.)
  explicit Graph(FunctionLibrary* library);

  // Validates `spec` (op known, inputs exist, attributes declared and typed, shape function
  // accepts the inputs) and appends it. On failure the graph is unchanged.
  Status add_node(const NodeSpec& spec, int32_t* id);
  int32_t num_nodes() const { return static_cast<int32_t>(nodes_.size()); }
  const Node& node(int32_t id) const { return *nodes_[id]; }
  // The id of the node called `name`, or -1.
  int32_t find(const std::string& name) const;
  // Narrows an output's static shape (TF's Tensor.set_shape); fails when incompatible.
  Status set_output_shape(Endpoint e, const Shape& shape);
  // The constant value of an output when it is a Const node's, else null.
  const Tensor* constant_value(Endpoint e) const;
  // The functions nodes of this graph may call.
  FunctionLibrary& functions() const { return *library_; }
  // The library as a shared pointer: null for a function body (its caller's graph owns it).
  const std::shared_ptr<FunctionLibrary>& shared_functions() const { return own_library_; }

 private:
  std::shared_ptr<FunctionLibrary> own_library_;
  FunctionLibrary* library_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unordered_map<std::string, int32_t> by_name_;
};

}  // namespace tl
