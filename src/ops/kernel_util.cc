#include "ops/kernel_util.h"

#include <algorithm>

namespace tl {

Status unsupported_dtype(const char* op, DType t, const std::string& allowed) {
  return type_error("'" + std::string(op) + "' Op has no kernel for DataType " + dtype_name(t) +
                    " (allowed: " + allowed + ")");
}

void make_broadcast_layout(const Shape& a, const Shape& b, BroadcastLayout* layout) {
  // Per merged dim: bit 0 set when a spans it, bit 1 when b does.
  int kinds[kMaxRank];
  int rank = 0;
  const int full_rank = std::max(a.rank(), b.rank());
  for (int i = 0; i < full_rank; ++i) {
    const int ia = i - (full_rank - a.rank()), ib = i - (full_rank - b.rank());
    const int64_t da = ia >= 0 ? a.dim(ia) : 1;
    const int64_t db = ib >= 0 ? b.dim(ib) : 1;
    const int64_t d = std::max(da, db);
    if (d == 1) continue;
    const int kind = (da == d ? 1 : 0) | (db == d ? 2 : 0);
    if (rank > 0 && kinds[rank - 1] == kind) {
      layout->dims[rank - 1] *= d;
    } else {
      layout->dims[rank] = d;
      kinds[rank++] = kind;
    }
  }
  int64_t step_a = 1, step_b = 1;
  for (int i = rank - 1; i >= 0; --i) {
    layout->stride_a[i] = kinds[i] & 1 ? step_a : 0;
    layout->stride_b[i] = kinds[i] & 2 ? step_b : 0;
    if (kinds[i] & 1) step_a *= layout->dims[i];
    if (kinds[i] & 2) step_b *= layout->dims[i];
  }
  layout->rank = rank;
}

Status read_dims(const Tensor& t, bool allow_unknown, Shape* out) {
  if (t.shape().rank() > 1) {
    return invalid_argument("A shape must be a vector, got a tensor of shape " +
                            t.shape().to_string());
  }
  const int64_t n = t.num_elements();
  if (n > kMaxRank) {
    return invalid_argument("tensorlib supports tensors of rank up to " +
                            std::to_string(kMaxRank) + ", got rank " + std::to_string(n));
  }
  Shape s;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = int_element(t, i);
    if (d < 0 && !(allow_unknown && d == -1)) {
      return invalid_argument("Size " + std::to_string(i) + " must be non-negative, not " +
                              std::to_string(d));
    }
    s.add_dim(d);
  }
  *out = s;
  return Status::OK();
}

Status check_activation_grad_shapes(const char* op, const Tensor& gradients,
                                    const Tensor& features) {
  if (gradients.shape() == features.shape()) return Status::OK();
  return invalid_argument(std::string(op) + ": gradients and features must have the same "
                          "shape, got " + gradients.shape().to_string() + " and " +
                          features.shape().to_string());
}

Status check_sparse_xent_shapes(const Tensor& logits, const Tensor& labels) {
  bool same_rows = labels.shape().rank() == logits.shape().rank() - 1;
  for (int d = 0; same_rows && d < labels.shape().rank(); ++d) {
    same_rows = labels.shape().dim(d) == logits.shape().dim(d);
  }
  if (same_rows) return Status::OK();
  return invalid_argument("logits and labels must have the same first dimensions, got "
                          "logits shape " + logits.shape().to_string() + " and labels shape " +
                          labels.shape().to_string());
}

}  // namespace tl
