// Shapes, possibly partially known.
//
// A Shape has a rank (or is of unknown rank) and dims, each a size >= 0 or kUnknownDim.
// Graph construction works with partial shapes (a placeholder of shape [None, 784]); at run
// time every shape is fully defined. Dims are stored inline (no heap allocation), which caps
// the rank at kMaxRank.
//
//   tl::Shape s({-1, 784});           // [?,784]
//   s.is_fully_defined();            // false
//   tl::Shape::unknown().rank();     // -1
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "tensorlib/status.h"

namespace tl {

constexpr int64_t kUnknownDim = -1;
constexpr int kMaxRank = 8;

class Shape {
 public:
  // A scalar (rank 0).
  Shape() = default;
  // Dims, with kUnknownDim (-1) for unknown sizes. Rank must be <= kMaxRank (checked by
  // Shape::make, which returns an error instead).
  Shape(std::initializer_list<int64_t> dims);
  // A shape of unknown rank.
  static Shape unknown();
  // Builds a shape from `dims`, failing on rank > kMaxRank or a dim < -1.
  static Status make(const int64_t* dims, int rank, Shape* out);
  static Status make(const std::vector<int64_t>& dims, Shape* out) {
    return make(dims.data(), static_cast<int>(dims.size()), out);
  }

  // Rank, or -1 when unknown.
  int rank() const { return rank_; }
  bool rank_known() const { return rank_ >= 0; }
  int64_t dim(int i) const { return dims_[i]; }
  void set_dim(int i, int64_t d) { dims_[i] = d; }
  const int64_t* dims() const { return dims_; }
  // Appends a dim (the caller keeps rank <= kMaxRank).
  void add_dim(int64_t d) { dims_[rank_++] = d; }
  // True when rank and every dim are known.
  bool is_fully_defined() const;
  // Product of dims, or -1 when not fully defined.
  int64_t num_elements() const;
  // True when the two shapes could describe the same tensor.
  bool is_compatible_with(const Shape& other) const;
  // The most specific shape compatible with both; fails when they are incompatible.
  Status merge(const Shape& other, Shape* out) const;
  // "[2,?,3]" or "<unknown>".
  std::string to_string() const;
  std::vector<int64_t> to_vector() const { return std::vector<int64_t>(dims_, dims_ + rank_); }

  bool operator==(const Shape& other) const;
  bool operator!=(const Shape& other) const { return !(*this == other); }

 private:
  int rank_ = 0;
  int64_t dims_[kMaxRank] = {};
};

// Fails when the known dims multiply to more elements than any tensor can hold (2^57, so that
// the byte size of every dtype fits in 64 bits). Checked for every inferred output shape.
Status check_size(const Shape& s);

// NumPy broadcasting of two (partial) shapes; fails when known dims disagree.
Status broadcast_shapes(const Shape& a, const Shape& b, Shape* out);

}  // namespace tl
