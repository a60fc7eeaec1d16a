// ParseExample: serialized tf.train.Example protos -> dense tensors and sparse (VarLen)
// features, as tf.parse_example and tf.parse_single_example return them.
//
// Inputs: `serialized` (a string scalar: one Example, or a vector: a batch), then one default
// per dense key (an empty tensor: the feature is required). Outputs: per sparse key its
// indices (int64 [n, rank]), values ([n]) and dense shape (int64 [rank]), grouped as TF
// groups them (all indices, then all values, then all shapes), then per dense key its values
// ([batch] + dense shape, or the dense shape alone for a scalar `serialized`).
//
// Attributes: `sparse_keys` and `dense_keys` (string vectors), `sparse_types`, `dense_types`
// (dtype enums: float32, int64 or string), `dense_shapes` (per dense key its rank, then its
// dims), `num_outputs`.
//
// Also SparseToDense, which makes the dense form of a VarLen feature's SparseTensor.
//
// The Example wire format (example.proto, feature.proto): Example.features = 1; Features.feature
// = 1 (map entries: key = 1, value = 2); Feature: bytes_list = 1, float_list = 2, int64_list = 3;
// each list's `value` = 1 (floats and int64s packed or not).
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// ---- the protobuf wire format, just what Example needs ----

enum WireType { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

class WireReader {
 public:
  explicit WireReader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()) {}

  bool done() const { return p_ == end_; }

  bool varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool tag(uint32_t* field, int* wire) {
    uint64_t t;
    if (!varint(&t)) return false;
    *field = static_cast<uint32_t>(t >> 3);
    *wire = static_cast<int>(t & 7);
    return *field != 0;
  }
  bool length_delimited(std::string_view* out) {
    uint64_t n;
    if (!varint(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool fixed32(uint32_t* out) {
    if (end_ - p_ < 4) return false;
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | p_[i];
    p_ += 4;
    *out = v;
    return true;
  }
  // Skips a field's value of wire type `wire`.
  bool skip(int wire) {
    uint64_t v;
    uint32_t f;
    std::string_view s;
    switch (wire) {
      case kVarint: return varint(&v);
      case kFixed64:
        if (end_ - p_ < 8) return false;
        p_ += 8;
        return true;
      case kLength: return length_delimited(&s);
      case kFixed32: return fixed32(&f);
      default: return false;
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// One Feature, not yet decoded: which list it holds (0: none) and the list's bytes.
struct FeatureView {
  int kind = 0;  // 1: bytes, 2: float, 3: int64
  std::string_view list;
};

// Decodes a Features message's map entries into `out` (a later entry of a key wins).
bool parse_features(std::string_view data,
                    std::unordered_map<std::string_view, FeatureView>* out) {
  WireReader r(data);
  while (!r.done()) {
    uint32_t field;
    int wire;
    if (!r.tag(&field, &wire)) return false;
    if (field != 1 || wire != kLength) {
      if (!r.skip(wire)) return false;
      continue;
    }
    std::string_view entry, key, feature;
    if (!r.length_delimited(&entry)) return false;
    WireReader e(entry);
    while (!e.done()) {
      uint32_t f;
      int w;
      if (!e.tag(&f, &w)) return false;
      if (f == 1 && w == kLength) {
        if (!e.length_delimited(&key)) return false;
      } else if (f == 2 && w == kLength) {
        if (!e.length_delimited(&feature)) return false;
      } else if (!e.skip(w)) {
        return false;
      }
    }
    FeatureView view;
    WireReader fr(feature);
    while (!fr.done()) {
      uint32_t f;
      int w;
      if (!fr.tag(&f, &w)) return false;
      if (f >= 1 && f <= 3 && w == kLength) {
        view.kind = static_cast<int>(f);
        if (!fr.length_delimited(&view.list)) return false;
      } else if (!fr.skip(w)) {
        return false;
      }
    }
    (*out)[key] = view;
  }
  return true;
}

bool parse_example(std::string_view data, std::unordered_map<std::string_view, FeatureView>* out) {
  WireReader r(data);
  while (!r.done()) {
    uint32_t field;
    int wire;
    if (!r.tag(&field, &wire)) return false;
    if (field == 1 && wire == kLength) {
      std::string_view features;
      if (!r.length_delimited(&features) || !parse_features(features, out)) return false;
    } else if (!r.skip(wire)) {
      return false;
    }
  }
  return true;
}

// The values of a list (kind 1: std::string, 2: float, 3: int64_t) appended to `out`.
bool decode_list(std::string_view list, std::vector<std::string>* out) {
  WireReader r(list);
  while (!r.done()) {
    uint32_t f;
    int w;
    std::string_view s;
    if (!r.tag(&f, &w)) return false;
    if (f == 1 && w == kLength) {
      if (!r.length_delimited(&s)) return false;
      out->emplace_back(s);
    } else if (!r.skip(w)) {
      return false;
    }
  }
  return true;
}

bool decode_list(std::string_view list, std::vector<float>* out) {
  WireReader r(list);
  while (!r.done()) {
    uint32_t f, bits;
    int w;
    if (!r.tag(&f, &w)) return false;
    if (f == 1 && w == kLength) {  // packed
      std::string_view packed;
      if (!r.length_delimited(&packed) || packed.size() % 4) return false;
      WireReader p(packed);
      while (!p.done()) {
        if (!p.fixed32(&bits)) return false;
        float v;
        std::memcpy(&v, &bits, 4);
        out->push_back(v);
      }
    } else if (f == 1 && w == kFixed32) {
      if (!r.fixed32(&bits)) return false;
      float v;
      std::memcpy(&v, &bits, 4);
      out->push_back(v);
    } else if (!r.skip(w)) {
      return false;
    }
  }
  return true;
}

bool decode_list(std::string_view list, std::vector<int64_t>* out) {
  WireReader r(list);
  while (!r.done()) {
    uint32_t f;
    int w;
    uint64_t v;
    if (!r.tag(&f, &w)) return false;
    if (f == 1 && w == kLength) {  // packed
      std::string_view packed;
      if (!r.length_delimited(&packed)) return false;
      WireReader p(packed);
      while (!p.done()) {
        if (!p.varint(&v)) return false;
        out->push_back(static_cast<int64_t>(v));
      }
    } else if (f == 1 && w == kVarint) {
      if (!r.varint(&v)) return false;
      out->push_back(static_cast<int64_t>(v));
    } else if (!r.skip(w)) {
      return false;
    }
  }
  return true;
}

// ---- the op ----

using FeatureTypes = TypeList<float, int64_t, std::string>;

int kind_of(DType t) { return t == DType::kString ? 1 : t == DType::kFloat32 ? 2 : 3; }

std::vector<std::string> string_list(const AttrMap& attrs, const char* name) {
  const Tensor& t = attrs.get<Tensor>(name);
  std::vector<std::string> out;
  if (t.valid() && t.dtype() == DType::kString) {
    out.assign(t.data<std::string>(), t.data<std::string>() + t.num_elements());
  }
  return out;
}

std::vector<DType> type_list(const AttrMap& attrs, const char* name) {
  std::vector<DType> out;
  for (int64_t t : attrs.get<std::vector<int64_t>>(name)) out.push_back(static_cast<DType>(t));
  return out;
}

Status dense_shapes(const AttrMap& attrs, std::vector<Shape>* out) {
  const auto& v = attrs.get<std::vector<int64_t>>("dense_shapes");
  for (size_t i = 0; i < v.size();) {
    const int64_t rank = v[i++];
    if (rank < 0 || i + rank > v.size()) return invalid_argument("Malformed dense_shapes");
    Shape s;
    TL_RETURN_IF_ERROR(Shape::make(v.data() + i, static_cast<int>(rank), &s));
    out->push_back(s);
    i += rank;
  }
  return Status::OK();
}

// What the op's attributes say, checked.
struct ParseSpec {
  std::vector<std::string> sparse_keys, dense_keys;
  std::vector<DType> sparse_types, dense_types;
  std::vector<Shape> dense_shapes;
};

Status read_spec(const AttrMap& attrs, int num_outputs, ParseSpec* spec) {
  spec->sparse_keys = string_list(attrs, "sparse_keys");
  spec->dense_keys = string_list(attrs, "dense_keys");
  spec->sparse_types = type_list(attrs, "sparse_types");
  spec->dense_types = type_list(attrs, "dense_types");
  TL_RETURN_IF_ERROR(dense_shapes(attrs, &spec->dense_shapes));
  const size_t ns = spec->sparse_keys.size(), nd = spec->dense_keys.size();
  if (spec->sparse_types.size() != ns || spec->dense_types.size() != nd ||
      spec->dense_shapes.size() != nd || static_cast<int>(3 * ns + nd) != num_outputs) {
    return invalid_argument("ParseExample's keys, types and shapes do not line up");
  }
  for (DType t : spec->sparse_types) {
    if (!dtype_in(t, FeatureTypes{})) {
      return invalid_argument(std::string("Features must be float32, int64 or string, not ") +
                              dtype_name(t));
    }
  }
  for (DType t : spec->dense_types) {
    if (!dtype_in(t, FeatureTypes{})) {
      return invalid_argument(std::string("Features must be float32, int64 or string, not ") +
                              dtype_name(t));
    }
  }
  return Status::OK();
}

Status parse_example_shape(InferenceContext& ctx) {
  ParseSpec spec;
  TL_RETURN_IF_ERROR(read_spec(ctx.attrs(), ctx.num_outputs(), &spec));
  const Shape& in = ctx.input_shape(0);
  if (in.rank_known() && in.rank() > 1) {
    return invalid_argument("serialized must be a scalar or a vector, got shape " + in.to_string());
  }
  const int ns = static_cast<int>(spec.sparse_keys.size());
  const int64_t rank = in.rank_known() ? in.rank() + 1 : kUnknownDim;
  for (int i = 0; i < ns; ++i) {
    ctx.set_output(i, DType::kInt64, Shape({kUnknownDim, rank}));
    ctx.set_output(ns + i, spec.sparse_types[i], Shape({kUnknownDim}));
    ctx.set_output(2 * ns + i, DType::kInt64, Shape({rank}));
  }
  for (size_t i = 0; i < spec.dense_keys.size(); ++i) {
    Shape s = spec.dense_shapes[i];
    if (in.rank() == 1) {
      std::vector<int64_t> dims{in.dim(0)};
      for (int d = 0; d < s.rank(); ++d) dims.push_back(s.dim(d));
      TL_RETURN_IF_ERROR(Shape::make(dims, &s));
    } else if (!in.rank_known()) {
      s = Shape::unknown();
    }
    ctx.set_output(3 * ns + static_cast<int>(i), spec.dense_types[i], s);
  }
  return Status::OK();
}

const char* feature_type_name(int kind) {
  return kind == 1 ? "string" : kind == 2 ? "float" : "int64";
}

// The values of feature `key` (of kind `kind`) of one example; *found false when absent.
template <typename T>
Status feature_values(const std::unordered_map<std::string_view, FeatureView>& features,
                      const std::string& key, int kind, int64_t example, std::vector<T>* out,
                      bool* found) {
  out->clear();
  auto it = features.find(key);
  *found = it != features.end() && it->second.kind != 0;
  if (!*found) return Status::OK();
  if (it->second.kind != kind) {
    return invalid_argument("Key: " + key + ".  Data types don't match. Data type: " +
                            feature_type_name(it->second.kind) + " but expected type: " +
                            feature_type_name(kind) + " (example " + std::to_string(example) +
                            ")");
  }
  if (!decode_list(it->second.list, out)) {
    return invalid_argument("Key: " + key + ". Could not parse the feature's values (example " +
                            std::to_string(example) + ")");
  }
  return Status::OK();
}

Status parse_example_kernel(KernelContext& ctx) {
  ParseSpec spec;
  TL_RETURN_IF_ERROR(read_spec(ctx.attrs(), ctx.num_outputs(), &spec));
  const Tensor& serialized = ctx.input(0);
  if (serialized.dtype() != DType::kString || serialized.shape().rank() > 1) {
    return invalid_argument("serialized must be a string scalar or vector");
  }
  const bool single = serialized.shape().rank() == 0;
  const int64_t batch = serialized.num_elements();
  std::vector<std::unordered_map<std::string_view, FeatureView>> examples(batch);
  for (int64_t b = 0; b < batch; ++b) {
    if (!parse_example(serialized.data<std::string>()[b], &examples[b])) {
      return invalid_argument("Could not parse example input, value: '" +
                              serialized.data<std::string>()[b].substr(0, 64) + "'");
    }
  }
  const int ns = static_cast<int>(spec.sparse_keys.size());
  for (int i = 0; i < ns; ++i) {
    TL_RETURN_IF_ERROR(dispatch(FeatureTypes{}, spec.sparse_types[i], "ParseExample",
                                [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      std::vector<std::vector<T>> per_example(batch);
      int64_t total = 0, longest = 0;
      for (int64_t b = 0; b < batch; ++b) {
        bool found;
        TL_RETURN_IF_ERROR(feature_values(examples[b], spec.sparse_keys[i],
                                          kind_of(spec.sparse_types[i]), b, &per_example[b],
                                          &found));
        const int64_t n = static_cast<int64_t>(per_example[b].size());
        total += n;
        longest = std::max(longest, n);
      }
      const int64_t rank = single ? 1 : 2;
      Tensor& indices = ctx.output(i);
      Tensor& values = ctx.output(ns + i);
      Tensor& shape = ctx.output(2 * ns + i);
      TL_RETURN_IF_ERROR(Tensor::allocate(DType::kInt64, Shape({total, rank}), &indices));
      TL_RETURN_IF_ERROR(Tensor::allocate(spec.sparse_types[i], Shape({total}), &values));
      TL_RETURN_IF_ERROR(Tensor::allocate(DType::kInt64, Shape({rank}), &shape));
      int64_t k = 0;
      for (int64_t b = 0; b < batch; ++b) {
        for (size_t j = 0; j < per_example[b].size(); ++j, ++k) {
          int64_t* idx = indices.data<int64_t>() + k * rank;
          if (!single) *idx++ = b;
          *idx = static_cast<int64_t>(j);
          values.data<T>()[k] = std::move(per_example[b][j]);
        }
      }
      if (!single) shape.data<int64_t>()[0] = batch;
      shape.data<int64_t>()[rank - 1] = longest;
      return Status::OK();
    }));
  }
  for (size_t i = 0; i < spec.dense_keys.size(); ++i) {
    const int out_index = 3 * ns + static_cast<int>(i);
    const Shape& dense = spec.dense_shapes[i];
    const Tensor& def = ctx.input(1 + static_cast<int>(i));
    const std::string& key = spec.dense_keys[i];
    const int64_t per = dense.num_elements();
    if (def.num_elements() != 0 && def.num_elements() != per) {
      return invalid_argument("Key: " + key + ". The default value has " +
                              std::to_string(def.num_elements()) + " values, the shape " +
                              dense.to_string() + " needs " + std::to_string(per));
    }
    std::vector<int64_t> dims = dense.to_vector();
    if (!single) dims.insert(dims.begin(), batch);
    Shape out_shape;
    TL_RETURN_IF_ERROR(Shape::make(dims, &out_shape));
    Tensor& out = ctx.output(out_index);
    TL_RETURN_IF_ERROR(Tensor::allocate(spec.dense_types[i], out_shape, &out));
    TL_RETURN_IF_ERROR(dispatch(FeatureTypes{}, spec.dense_types[i], "ParseExample",
                                [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      std::vector<T> values;
      for (int64_t b = 0; b < batch; ++b) {
        bool found;
        TL_RETURN_IF_ERROR(feature_values(examples[b], key, kind_of(spec.dense_types[i]), b,
                                          &values, &found));
        T* dst = out.data<T>() + b * per;
        if (!found) {
          if (def.num_elements() == 0) {
            return invalid_argument("Feature: " + key + " (data type: " +
                                    dtype_name(spec.dense_types[i]) +
                                    ") is required but could not be found.");
          }
          for (int64_t k = 0; k < per; ++k) dst[k] = def.data<T>()[k];
          continue;
        }
        if (static_cast<int64_t>(values.size()) != per) {
          return invalid_argument("Key: " + key + ".  Can't parse serialized Example: Number "
                                  "of values != expected. Values size: " +
                                  std::to_string(values.size()) + " but output shape: " +
                                  dense.to_string());
        }
        for (int64_t k = 0; k < per; ++k) dst[k] = std::move(values[k]);
      }
      return Status::OK();
    }));
  }
  return Status::OK();
}

Status sparse_to_dense_shape(InferenceContext& ctx) {
  Shape out;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 1, false, &out));
  ctx.set_output(0, ctx.input_dtype(2), out);
  return Status::OK();
}

// out = default_value everywhere but at sparse_indices[i] (rows of an int64 [n, rank]
// matrix), which holds sparse_values[i] (or the one value of a scalar sparse_values).
Status sparse_to_dense_kernel(KernelContext& ctx) {
  const Tensor &indices = ctx.input(0), &values = ctx.input(2), &def = ctx.input(3);
  Shape shape;
  TL_RETURN_IF_ERROR(read_dims(ctx.input(1), false, &shape));
  const int rank = shape.rank();
  const int64_t n = indices.shape().rank() == 0 ? 1 : indices.shape().dim(0);
  const int64_t index_rank = indices.shape().rank() < 2 ? 1 : indices.shape().dim(1);
  if (index_rank != rank) {
    return invalid_argument("sparse_indices has rows of " + std::to_string(index_rank) +
                            " indices, output_shape has rank " + std::to_string(rank));
  }
  if (values.num_elements() != n && values.num_elements() != 1) {
    return invalid_argument("sparse_values has " + std::to_string(values.num_elements()) +
                            " values for " + std::to_string(n) + " indices");
  }
  if (def.num_elements() != 1 || def.dtype() != values.dtype()) {
    return invalid_argument("default_value must be a scalar of sparse_values' dtype");
  }
  TL_RETURN_IF_ERROR(Tensor::allocate(values.dtype(), shape, &ctx.output(0)));
  Tensor& out = ctx.output(0);
  return dispatch(TypeList<float, double, int32_t, int64_t, bool, std::string>{}, values.dtype(),
                  "SparseToDense", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* o = out.data<T>();
    for (int64_t i = 0; i < out.num_elements(); ++i) o[i] = *def.data<T>();
    for (int64_t k = 0; k < n; ++k) {
      int64_t offset = 0;
      for (int d = 0; d < rank; ++d) {
        const int64_t idx = int_element(indices, k * rank + d);
        if (idx < 0 || idx >= shape.dim(d)) {
          return invalid_argument("indices[" + std::to_string(k) + "] = " + std::to_string(idx) +
                                  " is out of bounds: need 0 <= index < " + shape.to_string());
        }
        offset = offset * shape.dim(d) + idx;
      }
      o[offset] = values.data<T>()[values.num_elements() == 1 ? 0 : k];
    }
    return Status::OK();
  });
}

}  // namespace

void register_parsing_ops(OpRegistry& r) {
  r.add_builtin(OpDef("SparseToDense")
                    .input("sparse_indices")
                    .input("output_shape")
                    .input("sparse_values")
                    .input("default_value")
                    .attr("validate_indices", AttrType::kBool, true)
                    .shape(sparse_to_dense_shape)
                    .sets_own_outputs());
  r.add_builtin(OpDef("ParseExample")
                    .input("serialized")
                    .variadic_input("dense_defaults")
                    .outputs_from_attr("num_outputs")
                    .attr("num_outputs", AttrType::kInt)
                    .attr("sparse_keys", AttrType::kTensor)
                    .attr("dense_keys", AttrType::kTensor)
                    .attr("sparse_types", AttrType::kInts, std::vector<int64_t>{})
                    .attr("dense_types", AttrType::kInts, std::vector<int64_t>{})
                    .attr("dense_shapes", AttrType::kInts, std::vector<int64_t>{})
                    .shape(parse_example_shape)
                    .sets_own_outputs());
}

void register_parsing_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("ParseExample", Device::kCPU).compute(parse_example_kernel));
  r.add_builtin(KernelDef("SparseToDense", Device::kCPU).compute(sparse_to_dense_kernel));
}

}  // namespace tl
