// batch and padded_batch: consecutive elements stacked along a new first dim.
#include <algorithm>
#include <cstring>

#include "data/dataset.h"
#include "tensorlib/thread_pool.h"

namespace tl {
namespace data {
namespace {

Shape with_batch(int64_t n, const Shape& element) {
  Shape s({n});
  for (int d = 0; d < element.rank(); ++d) s.add_dim(element.dim(d));
  return s;
}

// Stacks component `c` of `elements` (all of one shape, else InvalidArgument).
Status stack(const std::vector<Element>& elements, size_t c, Tensor* out) {
  const Tensor& first = elements[0][c];
  for (size_t i = 1; i < elements.size(); ++i) {
    const Tensor& t = elements[i][c];
    if (t.shape() != first.shape() || t.dtype() != first.dtype()) {
      return invalid_argument(
          "Cannot batch tensors with different shapes in component " + std::to_string(c) +
          ". First element had shape " + first.shape().to_string() + " and element " +
          std::to_string(i) + " had shape " + t.shape().to_string() + ".");
    }
  }
  TL_RETURN_IF_ERROR(Tensor::allocate(first.dtype(), with_batch(elements.size(), first.shape()),
                                      out));
  const int64_t n = first.num_elements();
  for (size_t i = 0; i < elements.size(); ++i) copy_elements(elements[i][c], 0, out, i * n, n);
  return Status::OK();
}

// Stacks `rows` into one tensor per component, copying each row straight from its tensors.
// NOTE: the rows of a batch come from one from_tensor_slices dataset (no stage that yields
// rows merges datasets), so they share their tensors, and so their shapes.
Status stack_rows(const std::vector<Row>& rows, Element* out) {
  const Element& tensors = *rows[0].tensors;
  for (const Row& r : rows) {
    if (r.tensors != &tensors) return internal_error("batch: rows of different datasets");
  }
  out->assign(tensors.size(), Tensor());
  for (size_t c = 0; c < tensors.size(); ++c) {
    const Tensor& t = tensors[c];
    Shape shape({static_cast<int64_t>(rows.size())});
    for (int d = 1; d < t.shape().rank(); ++d) shape.add_dim(t.shape().dim(d));
    Tensor& batch = (*out)[c];
    TL_RETURN_IF_ERROR(Tensor::allocate(t.dtype(), shape, &batch));
    const int64_t n = batch.num_elements() / static_cast<int64_t>(rows.size());
    if (t.dtype() == DType::kString) {
      for (size_t i = 0; i < rows.size(); ++i) copy_elements(t, rows[i].row * n, &batch, i * n, n);
      continue;
    }
    // One memcpy a row; the next row's source is fetched while this one is copied (the rows of
    // a shuffled batch are scattered over the source).
    const size_t row_bytes = static_cast<size_t>(n) * dtype_size(t.dtype());
    const char* source = static_cast<const char*>(t.raw_data());
    char* target = static_cast<char*>(batch.raw_data());
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i + 1 < rows.size()) __builtin_prefetch(source + rows[i + 1].row * row_bytes);
      std::memcpy(target + i * row_bytes, source + rows[i].row * row_bytes, row_bytes);
    }
  }
  return Status::OK();
}

// Copies `src` into the corner of row `row` of `dst` ([batch, ...padded]), whose other
// elements hold the padding already.
void copy_padded(const Tensor& src, int64_t row, Tensor* dst) {
  const Shape& s = src.shape();
  const int rank = s.rank();
  if (src.num_elements() == 0) return;
  if (rank == 0) {
    copy_elements(src, 0, dst, row, 1);
    return;
  }
  // Padded strides of dst's element dims.
  std::vector<int64_t> stride(rank, 1);
  for (int d = rank - 2; d >= 0; --d) stride[d] = stride[d + 1] * dst->shape().dim(d + 2);
  const int64_t row_elems = stride[0] * dst->shape().dim(1);
  const int64_t inner = s.dim(rank - 1);
  std::vector<int64_t> index(rank, 0);  // over s's dims but the last
  for (int64_t at = 0; at < src.num_elements(); at += inner) {
    int64_t offset = row * row_elems;
    for (int d = 0; d < rank - 1; ++d) offset += index[d] * stride[d];
    copy_elements(src, at, dst, offset, inner);
    for (int d = rank - 2; d >= 0; --d) {
      if (++index[d] < s.dim(d)) break;
      index[d] = 0;
    }
  }
}

// Fills every element of `t` with the scalar `value`.
void fill(Tensor* t, const Tensor& value) {
  for (int64_t i = 0; i < t->num_elements(); ++i) copy_elements(value, 0, t, i, 1);
}

// Pads component `c` of `elements` to `padded` (-1 dims: the largest in the batch) with the
// scalar `value`, and stacks them.
Status pad_and_stack(const std::vector<Element>& elements, size_t c, const Shape& padded,
                     const Tensor& value, Tensor* out) {
  Shape target = padded;
  for (size_t i = 0; i < elements.size(); ++i) {
    const Shape& s = elements[i][c].shape();
    if (s.rank() != padded.rank()) {
      return invalid_argument("padded_batch: component " + std::to_string(c) + " of element " +
                              std::to_string(i) + " has shape " + s.to_string() +
                              ", whose rank differs from padded shape " + padded.to_string());
    }
    for (int d = 0; d < s.rank(); ++d) {
      if (padded.dim(d) >= 0 && s.dim(d) > padded.dim(d)) {
        return invalid_argument("Attempted to pad to a smaller size than the input element: "
                                "component " + std::to_string(c) + " has shape " +
                                s.to_string() + ", padded shape " + padded.to_string());
      }
      if (padded.dim(d) < 0) target.set_dim(d, std::max(i == 0 ? 0 : target.dim(d), s.dim(d)));
    }
  }
  const Tensor& first = elements[0][c];
  if (value.dtype() != first.dtype() || value.num_elements() != 1) {
    return invalid_argument("padded_batch: the padding value of component " +
                            std::to_string(c) + " must be a scalar " +
                            dtype_name(first.dtype()));
  }
  TL_RETURN_IF_ERROR(Tensor::allocate(first.dtype(), with_batch(elements.size(), target), out));
  fill(out, value);
  for (size_t i = 0; i < elements.size(); ++i) copy_padded(elements[i][c], i, out);
  return Status::OK();
}

// batch / padded_batch (with padded shapes and padding values per component).
class BatchDataset : public Dataset {
 public:
  BatchDataset(std::shared_ptr<const Dataset> input, int64_t batch_size, bool drop_remainder,
               std::vector<Shape> padded, Element padding)
      : input_(std::move(input)), batch_size_(batch_size), drop_remainder_(drop_remainder),
        padded_(std::move(padded)), padding_(std::move(padding)) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    return make_unary_iterator<Iterator>(*this, *input_, out);
  }

 private:
  struct Iterator : DatasetIterator {
    explicit Iterator(const BatchDataset& d) : d(d) {}
    const BatchDataset& d;
    std::unique_ptr<DatasetIterator> input;
    bool upstream_done = false;
    std::vector<Element> elements;  // the batch being read, or
    std::vector<Row> rows;          // its rows, when upstream yields them

    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      if (d.padded_.empty() && d.input_->yields_rows()) {
        rows.clear();
        while (!upstream_done && static_cast<int64_t>(rows.size()) < d.batch_size_) {
          Row r;
          TL_RETURN_IF_ERROR(input->get_next_row(ctx, &r, &upstream_done));
          if (!upstream_done) rows.push_back(r);
          ThreadPool::global().help();  // a prefetching task gives way to the step's loops
        }
        *end = is_end(rows.size());
        return *end ? Status::OK() : stack_rows(rows, out);
      }
      // Elements are read into storage kept from the last batch (cleared, not freed).
      size_t n = 0;
      while (!upstream_done && static_cast<int64_t>(n) < d.batch_size_) {
        if (elements.size() == n) elements.emplace_back();
        TL_RETURN_IF_ERROR(input->get_next(ctx, &elements[n], &upstream_done));
        if (!upstream_done) ++n;
        ThreadPool::global().help();
      }
      *end = is_end(n);
      if (!*end) {
        elements.resize(n);
        const size_t components = elements[0].size();
        out->assign(components, Tensor());
        for (size_t c = 0; c < components; ++c) {
          if (d.padded_.empty()) {
            TL_RETURN_IF_ERROR(stack(elements, c, &(*out)[c]));
          } else {
            TL_RETURN_IF_ERROR(pad_and_stack(elements, c, d.padded_[c], d.padding_[c],
                                             &(*out)[c]));
          }
        }
      }
      for (Element& e : elements) e.clear();
      return Status::OK();
    }

    // No batch of `n` elements: none, or fewer than a whole one that drop_remainder drops.
    bool is_end(size_t n) const {
      return n == 0 || (d.drop_remainder_ && static_cast<int64_t>(n) < d.batch_size_);
    }
  };
  std::shared_ptr<const Dataset> input_;
  int64_t batch_size_;
  bool drop_remainder_;
  std::vector<Shape> padded_;  // per component; empty: batch without padding
  Element padding_;
};

Status batch_args(const DatasetDef& def, Binder& b,
                  std::vector<std::shared_ptr<const Dataset>>& upstream,
                  std::shared_ptr<const Dataset>* in, int64_t* batch_size, int64_t* drop) {
  if (upstream.size() != 1) return invalid_argument(def.kind + " takes one upstream dataset");
  *in = std::move(upstream[0]);
  TL_RETURN_IF_ERROR(b.take_scalar("batch_size", batch_size));
  TL_RETURN_IF_ERROR(def.get("drop_remainder", drop));
  if (*batch_size <= 0) {
    return invalid_argument("Batch size must be greater than zero, got " +
                            std::to_string(*batch_size));
  }
  return Status::OK();
}

Status build_batch(const DatasetDef& def, Binder& b,
                   std::vector<std::shared_ptr<const Dataset>> upstream,
                   std::shared_ptr<const Dataset>* out) {
  std::shared_ptr<const Dataset> in;
  int64_t batch_size, drop;
  TL_RETURN_IF_ERROR(batch_args(def, b, upstream, &in, &batch_size, &drop));
  *out = std::make_shared<BatchDataset>(std::move(in), batch_size, drop != 0,
                                        std::vector<Shape>(), Element());
  return Status::OK();
}

// padded_shapes: per component its rank, then its dims (-1: pad to the batch's largest).
Status build_padded_batch(const DatasetDef& def, Binder& b,
                          std::vector<std::shared_ptr<const Dataset>> upstream,
                          std::shared_ptr<const Dataset>* out) {
  std::shared_ptr<const Dataset> in;
  int64_t batch_size, drop;
  std::vector<int64_t> encoded;
  TL_RETURN_IF_ERROR(batch_args(def, b, upstream, &in, &batch_size, &drop));
  TL_RETURN_IF_ERROR(def.get("padded_shapes", &encoded));
  std::vector<Shape> padded;
  for (size_t i = 0; i < encoded.size();) {
    const int64_t rank = encoded[i++];
    if (rank < 0 || i + rank > encoded.size()) {
      return invalid_argument("padded_batch: malformed padded shapes");
    }
    Shape s;
    for (int64_t d = 0; d < rank; ++d) s.add_dim(encoded[i++]);
    padded.push_back(s);
  }
  Element padding;
  TL_RETURN_IF_ERROR(b.take(static_cast<int64_t>(padded.size()), &padding));
  *out = std::make_shared<BatchDataset>(std::move(in), batch_size, drop != 0, std::move(padded),
                                        std::move(padding));
  return Status::OK();
}

}  // namespace

const StageKind kBatchingStages[] = {
    {"batch", build_batch, -1},
    {"padded_batch", build_padded_batch, -1},
    {nullptr, nullptr, 0},
};

}  // namespace data
}  // namespace tl
