// TF1's sparse updates of variables: ScatterUpdate, ScatterAdd, ScatterSub, ScatterMul,
// ScatterDiv, ScatterMax, ScatterMin (rows of the variable chosen by `indices`) and
// ScatterNdUpdate, ScatterNdAdd, ScatterNdSub (slices chosen by index tuples).
//
// Input 0 is the variable (a reference input): the kernel updates its value where it lies when
// nothing else holds its buffer, or else a fresh copy that replaces it (so a value read earlier
// in the same run keeps what it read). Every index is checked before anything is written, so a
// bad index is an InvalidArgumentError naming the op and leaves the variable unchanged. Updates
// apply in the order of `indices`; repeated indices accumulate (Update: the last one wins).
// Output 0 is the updated variable, as in TF.
#include <algorithm>
#include <string>

#include "ops/kernel_util.h"
#include "tensorlib/devices.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"
#include "tensorlib/graph.h"

namespace tl {
namespace {

enum class Scatter { kUpdate, kAdd, kSub, kMul, kDiv, kMax, kMin };

template <Scatter kOp, typename T>
inline void combine(T& x, T u) {
  if constexpr (kOp == Scatter::kUpdate) x = u;
  if constexpr (kOp == Scatter::kAdd) x += u;
  if constexpr (kOp == Scatter::kSub) x -= u;
  if constexpr (kOp == Scatter::kMul) x *= u;
  if constexpr (kOp == Scatter::kDiv) x /= u;
  if constexpr (kOp == Scatter::kMax) x = std::max(x, u);
  if constexpr (kOp == Scatter::kMin) x = std::min(x, u);
}

// Scatter*: ref, indices, updates -> ref. The output has ref's shape; updates must be
// indices.shape + ref.shape[1:] or a scalar.
Status scatter_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

// The value of variable input 0, initialized, that the kernel may write: the only holder of
// its buffer besides the session state (else a copy that becomes the variable's value).
Status writable_variable(KernelContext& ctx, Tensor* out) {
  const int32_t id = ctx.variable_of(0);
  Tensor t;
  TL_RETURN_IF_ERROR(ctx.variable(id, &t));
  if (!t.valid()) {
    return failed_precondition("Attempting to use uninitialized value (input 'ref' of " +
                               ctx.graph_node().op->name() + ")")
        .with_node(id);
  }
  if (!(t.buffer()->owned() && t.buffer().use_count() == 2)) {  // the state and `t`
    Tensor own;
    TL_RETURN_IF_ERROR(ctx.device().copy_within(t, &own));
    ctx.state().set_variable(id, own);
    t = std::move(own);
  }
  *out = std::move(t);
  return Status::OK();
}

// The indices as int64 after checking each against [0, limit); errors name `op`.
template <typename Index>
Status checked_rows(const Tensor& indices, int64_t limit, const std::string& op,
                    std::vector<int64_t>* rows) {
  const Index* idx = indices.data<Index>();
  rows->resize(indices.num_elements());
  for (int64_t i = 0; i < indices.num_elements(); ++i) {
    if (idx[i] < 0 || idx[i] >= limit) {
      return invalid_argument(op + ": indices[" + std::to_string(i) + "] = " +
                              std::to_string(idx[i]) + " is not in [0, " +
                              std::to_string(limit) + ")");
    }
    (*rows)[i] = idx[i];
  }
  return Status::OK();
}

Status read_rows(const Tensor& indices, int64_t limit, const std::string& op,
                 std::vector<int64_t>* rows) {
  return dispatch(IntTypes{}, indices.dtype(), op.c_str(), [&](auto tag) {
    return checked_rows<typename decltype(tag)::type>(indices, limit, op, rows);
  });
}

template <Scatter kOp>
Status scatter_kernel(KernelContext& ctx) {
  const std::string op = ctx.graph_node().op->name();
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  Tensor var;  // a copy when shared: its value is unchanged when a check below fails
  TL_RETURN_IF_ERROR(writable_variable(ctx, &var));
  const Shape& vs = var.shape();
  if (vs.rank() < 1) {
    return invalid_argument(op + ": params must be at least 1-D, got shape " + vs.to_string());
  }
  std::vector<int64_t> want = indices.shape().to_vector();
  for (int d = 1; d < vs.rank(); ++d) want.push_back(vs.dim(d));
  if (updates.shape().rank() != 0 && updates.shape().to_vector() != want) {
    return invalid_argument(op + ": Must have updates.shape = indices.shape + " +
                            "params.shape[1:] or updates.shape = [], got updates.shape " +
                            updates.shape().to_string() + ", indices.shape " +
                            indices.shape().to_string() + ", params.shape " + vs.to_string());
  }
  if (updates.dtype() != var.dtype()) {
    return invalid_argument(op + ": updates has dtype " + dtype_name(updates.dtype()) +
                            " but ref has " + dtype_name(var.dtype()));
  }
  std::vector<int64_t> rows;
  TL_RETURN_IF_ERROR(read_rows(indices, vs.dim(0), op, &rows));
  const int64_t row_size = var.shape().dim(0) ? var.num_elements() / var.shape().dim(0) : 0;
  const bool scalar = updates.shape().rank() == 0;
  TL_RETURN_IF_ERROR(dispatch(NumericTypes{}, var.dtype(), op.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* v = var.data<T>();
    const T* u = updates.data<T>();
    for (size_t i = 0; i < rows.size(); ++i) {
      T* dst = v + rows[i] * row_size;
      for (int64_t j = 0; j < row_size; ++j) {
        combine<kOp>(dst[j], scalar ? u[0] : u[i * row_size + j]);
      }
    }
  }));
  ctx.output(0) = std::move(var);
  return Status::OK();
}

// ScatterNd*: ref, indices [..., K], updates of shape indices.shape[:-1] + ref.shape[K:].
template <Scatter kOp>
Status scatter_nd_kernel(KernelContext& ctx) {
  const std::string op = ctx.graph_node().op->name();
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  Tensor var;  // a copy when shared: its value is unchanged when a check below fails
  TL_RETURN_IF_ERROR(writable_variable(ctx, &var));
  const Shape& vs = var.shape();
  const Shape& is = indices.shape();
  if (is.rank() < 1 || is.dim(is.rank() - 1) > vs.rank()) {
    return invalid_argument(op + ": indices must have rank >= 1 with a last dimension of at " +
                            "most ref's rank " + std::to_string(vs.rank()) + ", got shape " +
                            is.to_string());
  }
  const int k = static_cast<int>(is.dim(is.rank() - 1));
  std::vector<int64_t> want(is.dims(), is.dims() + is.rank() - 1);
  int64_t slice = 1;
  for (int d = k; d < vs.rank(); ++d) {
    want.push_back(vs.dim(d));
    slice *= vs.dim(d);
  }
  if (updates.shape().to_vector() != want || updates.dtype() != var.dtype()) {
    return invalid_argument(op + ": updates must have shape indices.shape[:-1] + ref.shape[" +
                            std::to_string(k) + ":] and ref's dtype, got " +
                            updates.shape().to_string() + " " + dtype_name(updates.dtype()));
  }
  const int64_t n = k ? indices.num_elements() / k : 0;
  std::vector<int64_t> offsets(n);
  TL_RETURN_IF_ERROR(dispatch(IntTypes{}, indices.dtype(), op.c_str(), [&](auto tag) {
    const auto* idx = indices.data<typename decltype(tag)::type>();
    for (int64_t i = 0; i < n; ++i) {
      int64_t offset = 0;
      for (int d = 0; d < k; ++d) {
        const int64_t x = idx[i * k + d];
        if (x < 0 || x >= vs.dim(d)) {
          return invalid_argument(op + ": indices[" + std::to_string(i) + "] = [" +
                                  std::to_string(x) + " at position " + std::to_string(d) +
                                  "] does not index into param shape " + vs.to_string());
        }
        offset = offset * vs.dim(d) + x;
      }
      offsets[i] = offset * slice;
    }
    return Status::OK();
  }));
  TL_RETURN_IF_ERROR(dispatch(NumericTypes{}, var.dtype(), op.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* v = var.data<T>();
    const T* u = updates.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < slice; ++j) combine<kOp>(v[offsets[i] + j], u[i * slice + j]);
    }
  }));
  ctx.output(0) = std::move(var);
  return Status::OK();
}

OpDef scatter_op(const char* name, bool use_locking) {
  return OpDef(name)
      .input("ref")
      .input("indices")
      .input("updates")
      .attr("use_locking", AttrType::kBool, use_locking)
      .shape(scatter_shape)
      .ref_input(0)
      .sets_own_outputs()
      .stateful();
}

}  // namespace

void register_state_ops(OpRegistry& r) {
  r.add_builtin(scatter_op("ScatterUpdate", true));
  for (const char* name : {"ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv", "ScatterMax",
                           "ScatterMin"}) {
    r.add_builtin(scatter_op(name, false));
  }
  r.add_builtin(scatter_op("ScatterNdUpdate", true));
  r.add_builtin(scatter_op("ScatterNdAdd", false));
  r.add_builtin(scatter_op("ScatterNdSub", false));
}

void register_state_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("ScatterUpdate", Device::kCPU).compute(scatter_kernel<Scatter::kUpdate>));
  r.add_builtin(KernelDef("ScatterAdd", Device::kCPU).compute(scatter_kernel<Scatter::kAdd>));
  r.add_builtin(KernelDef("ScatterSub", Device::kCPU).compute(scatter_kernel<Scatter::kSub>));
  r.add_builtin(KernelDef("ScatterMul", Device::kCPU).compute(scatter_kernel<Scatter::kMul>));
  r.add_builtin(KernelDef("ScatterDiv", Device::kCPU).compute(scatter_kernel<Scatter::kDiv>));
  r.add_builtin(KernelDef("ScatterMax", Device::kCPU).compute(scatter_kernel<Scatter::kMax>));
  r.add_builtin(KernelDef("ScatterMin", Device::kCPU).compute(scatter_kernel<Scatter::kMin>));
  r.add_builtin(
      KernelDef("ScatterNdUpdate", Device::kCPU).compute(scatter_nd_kernel<Scatter::kUpdate>));
  r.add_builtin(
      KernelDef("ScatterNdAdd", Device::kCPU).compute(scatter_nd_kernel<Scatter::kAdd>));
  r.add_builtin(
      KernelDef("ScatterNdSub", Device::kCPU).compute(scatter_nd_kernel<Scatter::kSub>));
}

}  // namespace tl
