#include "tensorlib/shape.h"

#include <algorithm>

namespace tl {

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) {
    if (rank_ == kMaxRank) break;
    dims_[rank_++] = d < 0 ? kUnknownDim : d;
  }
}

Shape Shape::unknown() {
  Shape s;
  s.rank_ = -1;
  return s;
}

Status Shape::make(const int64_t* dims, int rank, Shape* out) {
  if (rank > kMaxRank) {
    return invalid_argument("tensorlib supports tensors of rank up to " +
                            std::to_string(kMaxRank) + ", got rank " + std::to_string(rank));
  }
  Shape s;
  for (int i = 0; i < rank; ++i) {
    if (dims[i] < kUnknownDim) {
      return invalid_argument("Dimension " + std::to_string(dims[i]) +
                              " must be >= 0 (or -1 for unknown)");
    }
    s.dims_[s.rank_++] = dims[i];
  }
  *out = s;
  return Status::OK();
}

bool Shape::is_fully_defined() const {
  if (rank_ < 0) return false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] < 0) return false;
  }
  return true;
}

int64_t Shape::num_elements() const {
  if (rank_ < 0) return -1;
  bool empty = false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] < 0) return -1;
    empty = empty || dims_[i] == 0;
  }
  // NOTE: an empty shape may have dims whose product overflows (check_size allows it).
  if (empty) return 0;
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

bool Shape::is_compatible_with(const Shape& other) const {
  if (rank_ < 0 || other.rank_ < 0) return true;
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] >= 0 && other.dims_[i] >= 0 && dims_[i] != other.dims_[i]) return false;
  }
  return true;
}

Status Shape::merge(const Shape& other, Shape* out) const {
  if (!is_compatible_with(other)) {
    return invalid_argument("Shapes " + to_string() + " and " + other.to_string() +
                            " are incompatible");
  }
  if (rank_ < 0) {
    *out = other;
    return Status::OK();
  }
  Shape s = *this;
  if (other.rank_ >= 0) {
    for (int i = 0; i < rank_; ++i) {
      if (s.dims_[i] < 0) s.dims_[i] = other.dims_[i];
    }
  }
  *out = s;
  return Status::OK();
}

std::string Shape::to_string() const {
  if (rank_ < 0) return "<unknown>";
  std::string s = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ",";
    s += dims_[i] < 0 ? "?" : std::to_string(dims_[i]);
  }
  return s + "]";
}

bool Shape::operator==(const Shape& other) const {
  return rank_ == other.rank_ && std::equal(dims_, dims_ + std::max(rank_, 0), other.dims_);
}

Status check_size(const Shape& s) {
  constexpr int64_t kMaxElements = int64_t{1} << 57;
  for (int i = 0; i < s.rank(); ++i) {
    if (s.dim(i) == 0) return Status::OK();  // empty: no overflow whatever the other dims
  }
  int64_t n = 1;
  for (int i = 0; i < s.rank(); ++i) {
    const int64_t d = s.dim(i);
    if (d < 0) continue;  // unknown
    if (n > kMaxElements / d) {
      return invalid_argument("Shape " + s.to_string() + " has too many elements");
    }
    n *= d;
  }
  return Status::OK();
}

Status broadcast_shapes(const Shape& a, const Shape& b, Shape* out) {
  if (!a.rank_known() || !b.rank_known()) {
    *out = Shape::unknown();
    return Status::OK();
  }
  const int rank = std::max(a.rank(), b.rank());
  Shape s;
  for (int i = 0; i < rank; ++i) {
    const int ia = a.rank() - rank + i, ib = b.rank() - rank + i;
    const int64_t da = ia >= 0 ? a.dim(ia) : 1;
    const int64_t db = ib >= 0 ? b.dim(ib) : 1;
    int64_t d;
    if (da == 1) {
      d = db;
    } else if (db == 1) {
      d = da;
    } else if (da == kUnknownDim) {
      d = db;  // db is known and > 1 (or unknown): the result must match it
    } else if (db == kUnknownDim || da == db) {
      d = da;
    } else {
      return invalid_argument("Dimensions must be equal, but are " + std::to_string(da) +
                              " and " + std::to_string(db));
    }
    s.add_dim(d);
  }
  *out = s;
  return Status::OK();
}

}  // namespace tl
