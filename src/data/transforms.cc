// Stages that reorder, select or combine elements: zip, concatenate, flat_map, filter, repeat,
// take, skip, cache, shuffle.
#include <atomic>
#include <random>
#include <type_traits>

#include "data/dataset.h"
#include "ops/philox.h"

namespace tl {
namespace data {
namespace {

using Upstream = std::vector<std::shared_ptr<const Dataset>>;

// zip: one element of each upstream dataset, components concatenated; ends with the shortest.
class ZipDataset : public Dataset {
 public:
  explicit ZipDataset(Upstream inputs) : inputs_(std::move(inputs)) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    auto it = std::make_unique<Iterator>();
    it->inputs.resize(inputs_.size());
    for (size_t i = 0; i < inputs_.size(); ++i) {
      TL_RETURN_IF_ERROR(inputs_[i]->make_iterator(&it->inputs[i]));
    }
    *out = std::move(it);
    return Status::OK();
  }

 private:
  struct Iterator : DatasetIterator {
    std::vector<std::unique_ptr<DatasetIterator>> inputs;
    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      out->clear();
      for (auto& input : inputs) {
        Element part;
        TL_RETURN_IF_ERROR(input->get_next(ctx, &part, end));
        if (*end) return Status::OK();
        for (Tensor& t : part) out->push_back(std::move(t));
      }
      return Status::OK();
    }
  };
  Upstream inputs_;
};

// concatenate: the first dataset's elements, then the second's.
class ConcatenateDataset : public Dataset {
 public:
  explicit ConcatenateDataset(Upstream inputs) : inputs_(std::move(inputs)) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    *out = std::make_unique<Iterator>(*this);
    return Status::OK();
  }

 private:
  class Iterator : public DatasetIterator {
   public:
    explicit Iterator(const ConcatenateDataset& d) : d_(d) {}
    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      while (index_ < d_.inputs_.size()) {
        if (!current_) TL_RETURN_IF_ERROR(d_.inputs_[index_]->make_iterator(&current_));
        TL_RETURN_IF_ERROR(current_->get_next(ctx, out, end));
        if (!*end) return Status::OK();
        current_.reset();
        ++index_;
      }
      *end = true;
      return Status::OK();
    }

   private:
    const ConcatenateDataset& d_;
    size_t index_ = 0;
    std::unique_ptr<DatasetIterator> current_;
  };
  Upstream inputs_;
};

// flat_map: for each element, the function's results bound to the template pipeline (the
// dataset the function returned), whose elements follow one another.
class FlatMapDataset : public Dataset {
 public:
  FlatMapDataset(std::shared_ptr<const Dataset> input, DatasetFunction fn, DatasetDef inner)
      : input_(std::move(input)), fn_(std::move(fn)), inner_(std::move(inner)) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    return make_unary_iterator<Iterator>(*this, *input_, out);
  }

 private:
  struct Iterator : DatasetIterator {
    explicit Iterator(const FlatMapDataset& d) : d(d) {}
    const FlatMapDataset& d;
    std::unique_ptr<DatasetIterator> input;
    std::shared_ptr<const Dataset> inner;
    std::unique_ptr<DatasetIterator> inner_it;

    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      for (;;) {
        if (inner_it) {
          TL_RETURN_IF_ERROR(inner_it->get_next(ctx, out, end));
          if (!*end) return Status::OK();
          inner_it.reset();
          inner.reset();
        }
        Element element, values;
        TL_RETURN_IF_ERROR(input->get_next(ctx, &element, end));
        if (*end) return Status::OK();
        TL_RETURN_IF_ERROR(d.fn_.call(ctx, std::move(element), &values));
        Binder binder{values.data(), values.size(), ctx.functions};
        TL_RETURN_IF_ERROR(make_dataset(d.inner_, binder, &inner));
        TL_RETURN_IF_ERROR(inner->make_iterator(&inner_it));
      }
    }
  };
  std::shared_ptr<const Dataset> input_;
  DatasetFunction fn_;
  DatasetDef inner_;
};

// filter: the elements for which the predicate is true.
class FilterDataset : public Dataset {
 public:
  FilterDataset(std::shared_ptr<const Dataset> input, DatasetFunction predicate)
      : input_(std::move(input)), predicate_(std::move(predicate)) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    return make_unary_iterator<Iterator>(*this, *input_, out);
  }

 private:
  struct Iterator : DatasetIterator {
    explicit Iterator(const FilterDataset& d) : d(d) {}
    const FilterDataset& d;
    std::unique_ptr<DatasetIterator> input;

    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      for (;;) {
        TL_RETURN_IF_ERROR(input->get_next(ctx, out, end));
        if (*end) return Status::OK();
        Element result;
        TL_RETURN_IF_ERROR(d.predicate_.call(ctx, *out, &result));
        if (result.size() != 1 || result[0].dtype() != DType::kBool ||
            result[0].shape().rank() != 0) {
          return invalid_argument("Filter predicate `predicate` must return a scalar bool, got " +
                                  std::to_string(result.size()) + " values, the first " +
                                  (result.empty() ? std::string("missing")
                                                  : std::string(dtype_name(result[0].dtype())) +
                                                        " of shape " +
                                                        result[0].shape().to_string()));
        }
        if (*result[0].data<bool>()) return Status::OK();
      }
    }
  };
  std::shared_ptr<const Dataset> input_;
  DatasetFunction predicate_;
};

// repeat(count): the upstream sequence `count` times (forever when count < 0), a new upstream
// iterator per epoch.
class RepeatDataset : public Dataset {
 public:
  RepeatDataset(std::shared_ptr<const Dataset> input, int64_t count)
      : input_(std::move(input)), count_(count) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    *out = std::make_unique<Iterator>(*this);
    return Status::OK();
  }
  bool yields_rows() const override { return input_->yields_rows(); }

 private:
  class Iterator : public DatasetIterator {
   public:
    explicit Iterator(const RepeatDataset& d) : d_(d) {}
    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      return next(ctx, out, end);
    }
    Status get_next_row(IteratorContext& ctx, Row* out, bool* end) override {
      return next(ctx, out, end);
    }

   private:
    template <typename Item>
    Status next(IteratorContext& ctx, Item* out, bool* end) {
      while (d_.count_ < 0 || epoch_ < d_.count_) {
        if (!input_) TL_RETURN_IF_ERROR(d_.input_->make_iterator(&input_));
        TL_RETURN_IF_ERROR(read_next(*input_, ctx, out, end));
        if (!*end) {
          produced_ = true;
          return Status::OK();
        }
        input_.reset();
        ++epoch_;
        // An empty upstream repeated forever would spin: it ends instead.
        if (!produced_) break;
        produced_ = false;
      }
      *end = true;
      return Status::OK();
    }

    const RepeatDataset& d_;
    int64_t epoch_ = 0;
    bool produced_ = false;  // the current epoch gave an element
    std::unique_ptr<DatasetIterator> input_;
  };
  std::shared_ptr<const Dataset> input_;
  int64_t count_;
};

// take(count) (everything when count < 0) and skip(count) (everything when count < 0).
class TakeSkipDataset : public Dataset {
 public:
  TakeSkipDataset(std::shared_ptr<const Dataset> input, int64_t count, bool take)
      : input_(std::move(input)), count_(count), take_(take) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    return make_unary_iterator<Iterator>(*this, *input_, out);
  }

 private:
  struct Iterator : DatasetIterator {
    explicit Iterator(const TakeSkipDataset& d) : d(d) {}
    const TakeSkipDataset& d;
    std::unique_ptr<DatasetIterator> input;
    int64_t seen = 0;

    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      if (d.take_) {
        if (d.count_ >= 0 && seen >= d.count_) {
          *end = true;
          return Status::OK();
        }
        ++seen;
        return input->get_next(ctx, out, end);
      }
      while (d.count_ < 0 || seen < d.count_) {  // skipping
        TL_RETURN_IF_ERROR(input->get_next(ctx, out, end));
        if (*end) return Status::OK();
        ++seen;
      }
      return input->get_next(ctx, out, end);
    }
  };
  std::shared_ptr<const Dataset> input_;
  int64_t count_;
  bool take_;
};

// cache(): the first iterator that reads the whole upstream sequence records it; iterators
// made afterwards replay the record. A record left unfinished is dropped.
class CacheDataset : public Dataset {
 public:
  explicit CacheDataset(std::shared_ptr<const Dataset> input) : input_(std::move(input)) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    auto it = std::make_unique<Iterator>(*this);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!complete_) {
      it->writing = !writing_;
      writing_ = true;
      TL_RETURN_IF_ERROR(input_->make_iterator(&it->input));
    }
    *out = std::move(it);
    return Status::OK();
  }

 private:
  struct Iterator : DatasetIterator {
    explicit Iterator(const CacheDataset& d) : d(d) {}
    ~Iterator() override {
      if (!writing) return;
      std::lock_guard<std::mutex> lock(d.mutex_);
      if (!d.complete_) d.elements_.clear();
      d.writing_ = false;
    }
    const CacheDataset& d;
    std::unique_ptr<DatasetIterator> input;  // null: replaying the record
    bool writing = false;
    size_t next = 0;

    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      if (!input) {
        std::lock_guard<std::mutex> lock(d.mutex_);
        *end = next >= d.elements_.size();
        if (!*end) *out = d.elements_[next++];
        return Status::OK();
      }
      TL_RETURN_IF_ERROR(input->get_next(ctx, out, end));
      if (writing) {
        std::lock_guard<std::mutex> lock(d.mutex_);
        if (*end) {
          d.complete_ = true;
        } else {
          d.elements_.push_back(*out);
        }
      }
      return Status::OK();
    }
  };
  std::shared_ptr<const Dataset> input_;
  mutable std::mutex mutex_;
  mutable std::vector<Element> elements_;
  mutable bool complete_ = false;
  mutable bool writing_ = false;
};

// shuffle(buffer_size, seed, seed2, reshuffle): TF's buffered shuffle. The buffer fills from
// upstream; each element out is a random one of the buffer, replaced by the next upstream
// element. The random stream is Philox under (seed, seed2); each iterator of the dataset
// (each epoch of a repeat) takes the next stream when reshuffling, else the same one.
class ShuffleDataset : public Dataset {
 public:
  ShuffleDataset(std::shared_ptr<const Dataset> input, int64_t buffer_size, uint64_t seed,
                 uint64_t seed2, bool reshuffle)
      : input_(std::move(input)), buffer_size_(buffer_size), key_{static_cast<uint32_t>(seed),
                                                                  static_cast<uint32_t>(seed >> 32)},
        seed2_(seed2), reshuffle_(reshuffle) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    const uint64_t epoch = reshuffle_ ? epochs_.fetch_add(1) : 0;
    auto it = std::make_unique<Iterator>(*this, epoch);
    TL_RETURN_IF_ERROR(input_->make_iterator(&it->input));
    *out = std::move(it);
    return Status::OK();
  }
  bool yields_rows() const override { return input_->yields_rows(); }

 private:
  struct Iterator : DatasetIterator {
    Iterator(const ShuffleDataset& d, uint64_t epoch) : d(d), epoch(epoch) {}
    const ShuffleDataset& d;
    uint64_t epoch;
    std::unique_ptr<DatasetIterator> input;
    // The buffer: rows when upstream yields them, else elements. Its first `count` items are
    // the buffer; those after are storage to reuse (the elements callers gave back), so that
    // a steady state allocates nothing per element.
    std::vector<Row> rows;
    std::vector<Element> elements;
    size_t count = 0;
    bool upstream_done = false;
    uint64_t draws = 0;
    PhiloxCounter bits{};  // the block of the current pair of draws

    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      if (!d.yields_rows()) return next(elements, ctx, out, end);
      Row r;
      TL_RETURN_IF_ERROR(next(rows, ctx, &r, end));
      if (!*end) r.to_element(out);
      return Status::OK();
    }
    Status get_next_row(IteratorContext& ctx, Row* out, bool* end) override {
      return next(rows, ctx, out, end);
    }

    // A uniform index in [0, n): 64 random bits scaled to [0, n) by a multiply (the bias,
    // under n / 2^64, is far below what a shuffle could show). One Philox block gives two.
    size_t draw(size_t n) {
      if (draws % 2 == 0) {
        const uint64_t block = draws / 2;
        bits = philox4x32({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                           static_cast<uint32_t>(epoch),
                           static_cast<uint32_t>(d.seed2_ ^ (epoch >> 32))},
                          d.key_);
      }
      const int half = static_cast<int>(draws % 2) * 2;
      ++draws;
      const uint64_t random = uint64_t{bits[half]} << 32 | bits[half + 1];
      return static_cast<size_t>((static_cast<unsigned __int128>(random) * n) >> 64);
    }

    template <typename Item>
    Status next(std::vector<Item>& buffer, IteratorContext& ctx, Item* out, bool* end) {
      while (!upstream_done && static_cast<int64_t>(count) < d.buffer_size_) {
        if (buffer.size() == count) buffer.emplace_back();
        TL_RETURN_IF_ERROR(read_next(*input, ctx, &buffer[count], &upstream_done));
        if (!upstream_done) ++count;
      }
      *end = count == 0;
      if (*end) return Status::OK();
      // The drawn item goes out, the last one takes its place (TF's order).
      const size_t i = draw(count);
      std::swap(*out, buffer[i]);
      std::swap(buffer[i], buffer[--count]);
      if constexpr (std::is_same_v<Item, Element>) buffer[count].clear();
      return Status::OK();
    }
  };
  std::shared_ptr<const Dataset> input_;
  int64_t buffer_size_;
  PhiloxKey key_;
  uint64_t seed2_;
  bool reshuffle_;
  mutable std::atomic<uint64_t> epochs_{0};
};

Status take_input(const DatasetDef& def, Upstream& upstream, std::shared_ptr<const Dataset>* in) {
  if (upstream.size() != 1) {
    return invalid_argument("dataset stage '" + def.kind + "' takes one upstream dataset");
  }
  *in = std::move(upstream[0]);
  return Status::OK();
}

Status build_zip(const DatasetDef&, Binder&, Upstream upstream,
                 std::shared_ptr<const Dataset>* out) {
  *out = std::make_shared<ZipDataset>(std::move(upstream));
  return Status::OK();
}

Status build_concatenate(const DatasetDef&, Binder&, Upstream upstream,
                         std::shared_ptr<const Dataset>* out) {
  *out = std::make_shared<ConcatenateDataset>(std::move(upstream));
  return Status::OK();
}

Status build_flat_map(const DatasetDef& def, Binder& b, Upstream upstream,
                      std::shared_ptr<const Dataset>* out) {
  std::shared_ptr<const Dataset> in;
  TL_RETURN_IF_ERROR(take_input(def, upstream, &in));
  if (def.children.size() != 2) return invalid_argument("flat_map needs its template dataset");
  DatasetFunction fn;
  TL_RETURN_IF_ERROR(b.take_function(def, "f", &fn));
  *out = std::make_shared<FlatMapDataset>(std::move(in), std::move(fn), def.children[1]);
  return Status::OK();
}

Status build_filter(const DatasetDef& def, Binder& b, Upstream upstream,
                    std::shared_ptr<const Dataset>* out) {
  std::shared_ptr<const Dataset> in;
  TL_RETURN_IF_ERROR(take_input(def, upstream, &in));
  DatasetFunction fn;
  TL_RETURN_IF_ERROR(b.take_function(def, "predicate", &fn));
  *out = std::make_shared<FilterDataset>(std::move(in), std::move(fn));
  return Status::OK();
}

Status build_repeat(const DatasetDef& def, Binder& b, Upstream upstream,
                    std::shared_ptr<const Dataset>* out) {
  std::shared_ptr<const Dataset> in;
  int64_t count;
  TL_RETURN_IF_ERROR(take_input(def, upstream, &in));
  TL_RETURN_IF_ERROR(b.take_scalar("repeat's count", &count));
  *out = std::make_shared<RepeatDataset>(std::move(in), count);
  return Status::OK();
}

template <bool kTake>
Status build_take_skip(const DatasetDef& def, Binder& b, Upstream upstream,
                       std::shared_ptr<const Dataset>* out) {
  std::shared_ptr<const Dataset> in;
  int64_t count;
  TL_RETURN_IF_ERROR(take_input(def, upstream, &in));
  TL_RETURN_IF_ERROR(b.take_scalar(kTake ? "take's count" : "skip's count", &count));
  *out = std::make_shared<TakeSkipDataset>(std::move(in), count, kTake);
  return Status::OK();
}

Status build_cache(const DatasetDef& def, Binder&, Upstream upstream,
                   std::shared_ptr<const Dataset>* out) {
  std::shared_ptr<const Dataset> in;
  TL_RETURN_IF_ERROR(take_input(def, upstream, &in));
  *out = std::make_shared<CacheDataset>(std::move(in));
  return Status::OK();
}

Status build_shuffle(const DatasetDef& def, Binder& b, Upstream upstream,
                     std::shared_ptr<const Dataset>* out) {
  std::shared_ptr<const Dataset> in;
  int64_t buffer_size, seed, seed2, reshuffle;
  TL_RETURN_IF_ERROR(take_input(def, upstream, &in));
  TL_RETURN_IF_ERROR(b.take_scalar("shuffle's buffer_size", &buffer_size));
  TL_RETURN_IF_ERROR(b.take_scalar("shuffle's seed", &seed));
  TL_RETURN_IF_ERROR(b.take_scalar("shuffle's seed2", &seed2));
  TL_RETURN_IF_ERROR(def.get("reshuffle", &reshuffle));
  if (buffer_size <= 0) {
    return invalid_argument("shuffle: buffer_size must be greater than zero, got " +
                            std::to_string(buffer_size));
  }
  if (seed == 0 && seed2 == 0) {
    // No seed anywhere: a different order for every dataset made (TF1 behaviour).
    std::random_device device;
    seed = (int64_t{device()} << 32) | device();
    seed2 = (int64_t{device()} << 32) | device();
  }
  *out = std::make_shared<ShuffleDataset>(std::move(in), buffer_size, static_cast<uint64_t>(seed),
                                          static_cast<uint64_t>(seed2), reshuffle != 0);
  return Status::OK();
}

}  // namespace

const StageKind kTransformStages[] = {
    {"zip", build_zip, -1},
    {"concatenate", build_concatenate, -1},
    {"flat_map", build_flat_map, 1},
    {"filter", build_filter, -1},
    {"repeat", build_repeat, -1},
    {"take", build_take_skip<true>, -1},
    {"skip", build_take_skip<false>, -1},
    {"cache", build_cache, -1},
    {"shuffle", build_shuffle, -1},
    {nullptr, nullptr, 0},
};

}  // namespace data
}  // namespace tl
