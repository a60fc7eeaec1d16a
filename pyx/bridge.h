// Small inline helpers that let Cython reach C++ constructs it cannot spell (std::variant
// attribute values, enum classes). Included only by the Cython modules.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tensorlib/device.h"
#include "tensorlib/graph.h"
#include "tensorlib/host.h"
#include "tensorlib/interpreter.h"
#include "tensorlib/model.h"
#include "tensorlib/op_library.h"
#include "tensorlib/kernel.h"
#include "tensorlib/session.h"

namespace tl {
namespace bridge {

inline int status_code(const Status& s) { return static_cast<int>(s.code()); }
inline int tensor_dtype(const Tensor& t) { return static_cast<int>(t.dtype()); }

inline void set_int(AttrMap& m, const std::string& k, int64_t v) { m.set(k, v); }
inline void set_float(AttrMap& m, const std::string& k, double v) { m.set(k, v); }
inline void set_bool(AttrMap& m, const std::string& k, bool v) { m.set(k, v); }
inline void set_string(AttrMap& m, const std::string& k, const std::string& v) { m.set(k, v); }
inline void set_type(AttrMap& m, const std::string& k, int v) { m.set(k, static_cast<DType>(v)); }
inline void set_ints(AttrMap& m, const std::string& k, const std::vector<int64_t>& v) {
  m.set(k, v);
}
inline void set_shape(AttrMap& m, const std::string& k, const Shape& v) { m.set(k, v); }
inline void set_tensor(AttrMap& m, const std::string& k, const Tensor& v) { m.set(k, v); }

// The declared attributes of op `name` as (name, AttrType) pairs; false when unknown.
inline bool op_attr_types(const std::string& name,
                          std::vector<std::pair<std::string, int>>* out) {
  const OpDef* op = OpRegistry::global().find(name);
  if (!op) return false;
  for (const AttrSpec& a : op->attrs()) out->emplace_back(a.name, static_cast<int>(a.type));
  return true;
}

// One declared attribute of an op, its default spelled out field by field (Cython cannot read
// a std::variant): the field matching `type` holds it when `has_default`.
struct AttrInfo {
  std::string name;
  int type = 0;
  bool has_default = false;
  int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  std::string string_value;
  int type_value = 0;
  std::vector<int64_t> ints_value;
  Shape shape_value;
  Tensor tensor_value;
};

// The declaration of an op, as Python builds a wrapper function from it.
struct OpInfo {
  std::vector<std::string> inputs;
  bool variadic = false;
  int num_outputs = 0;
  std::string num_outputs_attr;
  std::vector<AttrInfo> attrs;
};

// The declaration of op `name`; false when unknown.
inline bool op_info(const std::string& name, OpInfo* out) {
  const OpDef* op = OpRegistry::global().find(name);
  if (!op) return false;
  out->inputs = op->inputs();
  out->variadic = op->variadic();
  out->num_outputs = op->num_outputs();
  out->num_outputs_attr = op->num_outputs_attr();
  for (const AttrSpec& a : op->attrs()) {
    AttrInfo info;
    info.name = a.name;
    info.type = static_cast<int>(a.type);
    info.has_default = a.default_value.has_value();
    if (info.has_default) {
      const AttrValue& v = *a.default_value;
      switch (a.type) {
        case AttrType::kInt: info.int_value = std::get<int64_t>(v); break;
        case AttrType::kFloat: info.float_value = std::get<double>(v); break;
        case AttrType::kBool: info.bool_value = std::get<bool>(v); break;
        case AttrType::kString: info.string_value = std::get<std::string>(v); break;
        case AttrType::kType: info.type_value = static_cast<int>(std::get<DType>(v)); break;
        case AttrType::kInts: info.ints_value = std::get<std::vector<int64_t>>(v); break;
        case AttrType::kShape: info.shape_value = std::get<Shape>(v); break;
        case AttrType::kTensor: info.tensor_value = std::get<Tensor>(v); break;
      }
    }
    out->attrs.push_back(std::move(info));
  }
  return true;
}

// Whether op `name` has a kernel for `device` (0: CPU, 1: GPU).
inline bool op_has_kernel(const std::string& name, int device) {
  return KernelRegistry::global().find(name, static_cast<Device>(device)) != nullptr;
}

// Properties of op `name` that graph rewrites need: kOpStateful | kOpMustBeFed | kOpRefInput
// bits; -1 when the op is unknown.
enum { kOpStateful = 1, kOpMustBeFed = 2, kOpRefInput = 4 };
inline int op_flags(const std::string& name) {
  const OpDef* op = OpRegistry::global().find(name);
  if (!op) return -1;
  int flags = (op->is_stateful() ? kOpStateful : 0) | (op->needs_feed() ? kOpMustBeFed : 0);
  for (size_t i = 0; i < op->inputs().size(); ++i) {
    if (op->is_ref_input(static_cast<int>(i))) flags |= kOpRefInput;
  }
  return flags;
}

inline int output_dtype(const Graph& g, int32_t id, int index) {
  return static_cast<int>(g.node(id).output_dtypes[index]);
}
inline const Shape& output_shape(const Graph& g, int32_t id, int index) {
  return g.node(id).output_shapes[index];
}
inline int num_outputs(const Graph& g, int32_t id) {
  return static_cast<int>(g.node(id).output_dtypes.size());
}

inline Shape make_shape(const std::vector<int64_t>& dims, bool known_rank, Status* status) {
  if (!known_rank) return Shape::unknown();
  Shape s;
  *status = Shape::make(dims, &s);
  return s;
}

inline Tensor borrow_tensor(int dtype, const int64_t* dims, int rank, void* data) {
  Shape s;
  for (int i = 0; i < rank; ++i) s.add_dim(dims[i]);
  return Tensor::borrow(static_cast<DType>(dtype), s, data);
}

inline Status allocate_tensor(int dtype, const std::vector<int64_t>& dims, Tensor* out) {
  Shape s;
  TL_RETURN_IF_ERROR(Shape::make(dims, &s));
  return Tensor::allocate(static_cast<DType>(dtype), s, out);
}

inline std::string* string_data(const Tensor& t) { return t.data<std::string>(); }
inline int model_tensor_dtype(const ModelTensor& t) { return static_cast<int>(t.dtype); }
inline int details_dtype(const TensorDetails& t) { return static_cast<int>(t.dtype); }


// A failed status with TensorFlow's error `code` (status.h), for errors raised in Python.
inline Status make_status(int code, const std::string& message) {
  return Status(static_cast<StatusCode>(code), message);
}

using HostCallFn = Status (*)(const std::string&, const std::vector<Tensor>&,
                              std::vector<Tensor>*);
using HostWriteFn = void (*)(int, const std::string&);
// Installs the Python module's host callbacks (host.h).
inline void install_host_callbacks(HostCallFn call, HostWriteFn write) {
  host().call_function = call;
  host().write = write;
}

}  // namespace bridge
}  // namespace tl
