// Source stages: from_tensors (one element), from_tensor_slices (rows of the inputs), range.
#include "data/dataset.h"

namespace tl {
namespace data {
namespace {

// from_tensors: its inputs, once.
class TensorsDataset : public Dataset {
 public:
  explicit TensorsDataset(Element element) : element_(std::move(element)) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    *out = std::make_unique<Iterator>(*this);
    return Status::OK();
  }

 private:
  class Iterator : public DatasetIterator {
   public:
    explicit Iterator(const TensorsDataset& d) : d_(d) {}
    Status get_next(IteratorContext&, Element* out, bool* end) override {
      *end = done_;
      if (!done_) *out = d_.element_;
      done_ = true;
      return Status::OK();
    }

   private:
    const TensorsDataset& d_;
    bool done_ = false;
  };
  Element element_;
};

Status build_tensors(const DatasetDef& def, Binder& b, std::vector<std::shared_ptr<const Dataset>>,
                     std::shared_ptr<const Dataset>* out) {
  int64_t n;
  Element element;
  TL_RETURN_IF_ERROR(def.get("components", &n));
  TL_RETURN_IF_ERROR(b.take(n, &element));
  *out = std::make_shared<TensorsDataset>(std::move(element));
  return Status::OK();
}

// from_tensor_slices: row i of every input, for each row.
class SlicesDataset : public Dataset {
 public:
  SlicesDataset(Element tensors, int64_t rows) : tensors_(std::move(tensors)), rows_(rows) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    *out = std::make_unique<Iterator>(*this);
    return Status::OK();
  }
  bool yields_rows() const override { return true; }

 private:
  class Iterator : public DatasetIterator {
   public:
    explicit Iterator(const SlicesDataset& d) : d_(d) {}
    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      Row r;
      TL_RETURN_IF_ERROR(get_next_row(ctx, &r, end));
      if (!*end) r.to_element(out);
      return Status::OK();
    }
    Status get_next_row(IteratorContext&, Row* out, bool* end) override {
      *end = row_ >= d_.rows_;
      if (!*end) *out = Row{&d_.tensors_, row_++};
      return Status::OK();
    }

   private:
    const SlicesDataset& d_;
    int64_t row_ = 0;
  };
  Element tensors_;
  int64_t rows_;
};

Status build_slices(const DatasetDef& def, Binder& b, std::vector<std::shared_ptr<const Dataset>>,
                    std::shared_ptr<const Dataset>* out) {
  int64_t n;
  Element tensors;
  TL_RETURN_IF_ERROR(def.get("components", &n));
  TL_RETURN_IF_ERROR(b.take(n, &tensors));
  int64_t rows = -1;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Shape& s = tensors[i].shape();
    if (s.rank() < 1) {
      return invalid_argument("from_tensor_slices: component " + std::to_string(i) +
                              " is a scalar; every component needs a first dimension to slice");
    }
    if (rows >= 0 && s.dim(0) != rows) {
      return invalid_argument("from_tensor_slices: dimension 0 of component " +
                              std::to_string(i) + " is " + std::to_string(s.dim(0)) +
                              ", component 0's is " + std::to_string(rows) +
                              ": all components must have the same size");
    }
    rows = s.dim(0);
  }
  *out = std::make_shared<SlicesDataset>(std::move(tensors), rows < 0 ? 0 : rows);
  return Status::OK();
}

// range(start, stop, step): int64 scalars.
class RangeDataset : public Dataset {
 public:
  RangeDataset(int64_t start, int64_t stop, int64_t step)
      : start_(start), stop_(stop), step_(step) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    *out = std::make_unique<Iterator>(*this);
    return Status::OK();
  }

 private:
  class Iterator : public DatasetIterator {
   public:
    explicit Iterator(const RangeDataset& d) : d_(d), next_(d.start_) {}
    Status get_next(IteratorContext&, Element* out, bool* end) override {
      *end = done_ || (d_.step_ > 0 ? next_ >= d_.stop_ : next_ <= d_.stop_);
      if (*end) return Status::OK();
      out->resize(1);
      TL_RETURN_IF_ERROR(Tensor::allocate(DType::kInt64, Shape(), &(*out)[0]));
      *(*out)[0].data<int64_t>() = next_;
      // A step past the int64 range ends the range (it would pass `stop` too).
      done_ = __builtin_add_overflow(next_, d_.step_, &next_);
      return Status::OK();
    }

   private:
    const RangeDataset& d_;
    int64_t next_;
    bool done_ = false;
  };
  int64_t start_, stop_, step_;
};

Status build_range(const DatasetDef&, Binder& b, std::vector<std::shared_ptr<const Dataset>>,
                   std::shared_ptr<const Dataset>* out) {
  int64_t start, stop, step;
  TL_RETURN_IF_ERROR(b.take_scalar("range's start", &start));
  TL_RETURN_IF_ERROR(b.take_scalar("range's stop", &stop));
  TL_RETURN_IF_ERROR(b.take_scalar("range's step", &step));
  if (step == 0) return invalid_argument("range: step must not be 0");
  *out = std::make_shared<RangeDataset>(start, stop, step);
  return Status::OK();
}

}  // namespace

const StageKind kSourceStages[] = {
    {"tensors", build_tensors, 0},
    {"slices", build_slices, 0},
    {"range", build_range, 0},
    {nullptr, nullptr, 0},
};

}  // namespace data
}  // namespace tl
