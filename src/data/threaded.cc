// map (serial, or parallel on worker threads in order) and prefetch (a bounded buffer filled
// by tasks on the thread pool's idle workers).
//
// Map's worker threads, and prefetch's tasks, start on the first get_next and run with the
// iterator's own RunControl, cancelled when the iterator is destroyed (a re-initialization,
// the session closing): its destructor then wakes and joins the threads, or waits for the
// task. The consumer's waits poll the caller's RunControl, so a timeout or Ctrl-C stops a
// get_next that waits for a worker. Workers call functions with one thread each: a pipeline's
// parallelism is across its elements and stages.
#include <deque>
#include <thread>

#include "data/dataset.h"
#include "tensorlib/thread_pool.h"

namespace tl {
namespace data {
namespace {

// What a worker thread runs with: the consumer's session state, its own control.
IteratorContext worker_context(const IteratorContext& consumer, RunControl* control) {
  IteratorContext ctx;
  ctx.state = consumer.state;
  ctx.functions = consumer.functions;
  ctx.control = control;
  ctx.max_threads = 1;
  return ctx;
}

// One produced element, or the error or end of sequence in its place.
struct Result {
  Status status;
  Element element;
  bool end = false;
  bool done = false;  // a parallel map's call has finished
};

// Worker threads and the cancellation that stops them.
class Workers {
 public:
  RunControl* control() { return &control_; }
  bool stopping() const { return control_.cancelled.load(); }
  bool started() const { return !threads_.empty(); }
  template <typename F>
  void start(int n, F fn) {
    for (int i = 0; i < n; ++i) threads_.emplace_back(fn);
  }
  // Cancels the workers, wakes those waiting on `cv` (under `mutex`) and joins them all.
  void stop(std::mutex& mutex, std::condition_variable& cv) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      control_.cancelled = true;
    }
    cv.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

 private:
  RunControl control_;
  std::vector<std::thread> threads_;
};

class MapDataset : public Dataset {
 public:
  MapDataset(std::shared_ptr<const Dataset> input, DatasetFunction fn, int64_t parallel)
      : input_(std::move(input)), fn_(std::move(fn)), parallel_(parallel) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    std::unique_ptr<DatasetIterator> input;
    TL_RETURN_IF_ERROR(input_->make_iterator(&input));
    if (parallel_ > 1) {
      *out = std::make_unique<ParallelIterator>(*this, std::move(input));
    } else {
      *out = std::make_unique<SerialIterator>(*this, std::move(input));
    }
    return Status::OK();
  }

 private:
  struct SerialIterator : DatasetIterator {
    SerialIterator(const MapDataset& d, std::unique_ptr<DatasetIterator> input)
        : d(d), input(std::move(input)) {}
    const MapDataset& d;
    std::unique_ptr<DatasetIterator> input;

    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      Element element;
      TL_RETURN_IF_ERROR(input->get_next(ctx, &element, end));
      if (*end) return Status::OK();
      return d.end_on_out_of_range(d.fn_.call(ctx, std::move(element), out), end);
    }
  };

  // `parallel` workers each take the next upstream element (in turn, so results queue in
  // the upstream order), call the function on it, and mark its result done; at most
  // `parallel` results wait for the consumer.
  class ParallelIterator : public DatasetIterator {
   public:
    ParallelIterator(const MapDataset& d, std::unique_ptr<DatasetIterator> input)
        : d_(d), input_(std::move(input)) {}
    ~ParallelIterator() override { workers_.stop(mutex_, cv_); }

    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      if (ended_) {
        *end = true;
        return Status::OK();
      }
      if (!workers_.started()) {
        worker_ctx_ = worker_context(ctx, workers_.control());
        workers_.start(static_cast<int>(d_.parallel_), [this] { work(); });
      }
      std::shared_ptr<Result> r;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        TL_RETURN_IF_ERROR(wait_until(lock, cv_, ctx.control, [&] {
          return !queue_.empty() && queue_.front()->done;
        }));
        r = std::move(queue_.front());
        queue_.pop_front();
      }
      cv_.notify_all();
      ended_ = *end = r->end;
      *out = std::move(r->element);
      const Status s = d_.end_on_out_of_range(r->status, end);
      ended_ = *end;
      return s;
    }

   private:
    void work() {
      for (;;) {
        auto r = std::make_shared<Result>();
        Element element;
        {
          std::lock_guard<std::mutex> input_lock(input_mutex_);
          {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [&] {
              return workers_.stopping() ||
                     static_cast<int64_t>(queue_.size()) < d_.parallel_;
            });
            if (workers_.stopping() || upstream_done_) return;
          }
          r->status = input_->get_next(worker_ctx_, &element, &r->end);
          upstream_done_ = r->end;
          r->done = r->end || !r->status.ok();
          std::lock_guard<std::mutex> lock(mutex_);
          queue_.push_back(r);
        }
        if (!r->done) {
          r->status = d_.fn_.call(worker_ctx_, std::move(element), &r->element);
          std::lock_guard<std::mutex> lock(mutex_);
          r->done = true;
        }
        cv_.notify_all();
      }
    }

    const MapDataset& d_;
    std::unique_ptr<DatasetIterator> input_;  // read under input_mutex_
    IteratorContext worker_ctx_;
    bool upstream_done_ = false;  // under input_mutex_
    bool ended_ = false;          // the consumer saw the end
    std::mutex input_mutex_;
    std::mutex mutex_;  // guards queue_ and the results' done flags
    std::condition_variable cv_;
    std::deque<std::shared_ptr<Result>> queue_;
    Workers workers_;  // last: stopped before the members they use go
  };

  // A function that fails with OutOfRange ends the sequence (TF's rule, how a generator
  // ends): `*end` is set and the status cleared.
  static Status end_on_out_of_range(Status s, bool* end) {
    if (s.code() != StatusCode::kOutOfRange) return s;
    *end = true;
    return Status::OK();
  }

  std::shared_ptr<const Dataset> input_;
  DatasetFunction fn_;
  int64_t parallel_;
};

// prefetch(buffer_size): a producer thread keeps up to buffer_size elements ready. A consumer
// that finds the buffer empty while the producer is not reading upstream (it has not been
// scheduled yet: the pipeline shares the cores with the work it feeds) reads the next element
// itself rather than sleep until the producer runs; a run with a deadline waits instead, so
// that the deadline holds however slow upstream is. Whoever reads upstream holds input_mutex
// until the element is delivered, so elements keep their order.
class PrefetchDataset : public Dataset {
 public:
  PrefetchDataset(std::shared_ptr<const Dataset> input, int64_t buffer_size)
      : input_(std::move(input)), buffer_size_(buffer_size) {}
  Status make_iterator(std::unique_ptr<DatasetIterator>* out) const override {
    return make_unary_iterator<Iterator>(*this, *input_, out);
  }

 private:
  // The buffer is filled by tasks posted to the thread pool (ThreadPool::post): a worker with
  // no job of the step to do reads the next elements, in time the step's workers would spin.
  // A thread of its own would be woken for every element and take a core from the step's
  // loops (+6-9% on a training step fed by a 2-core pipeline; about +1% so, with batching
  // giving way to the step's loops through ThreadPool::help).
  struct Iterator : DatasetIterator {
    explicit Iterator(const PrefetchDataset& d) : d(d) {}
    ~Iterator() override {
      std::unique_lock<std::mutex> lock(mutex);
      control.cancelled = true;
      cv.wait(lock, [&] { return !task_posted; });  // a posted fill() still uses this
    }
    const PrefetchDataset& d;
    std::unique_ptr<DatasetIterator> input;  // read under input_mutex
    bool upstream_done = false;              // under input_mutex
    RunControl control;                      // the fills', cancelled when the iterator goes
    IteratorContext worker_ctx;
    std::mutex input_mutex;  // taken before mutex
    std::mutex mutex;        // guards buffer and task_posted
    std::condition_variable cv;
    std::deque<Result> buffer;
    std::atomic<size_t> buffered{0};  // buffer.size(), for the consumer's spin
    bool task_posted = false;         // a fill() is queued or running
    bool started = false;
    bool ended = false;  // the consumer saw the end

    Status get_next(IteratorContext& ctx, Element* out, bool* end) override {
      if (ended) {
        *end = true;
        return Status::OK();
      }
      if (!started) {
        started = true;
        worker_ctx = worker_context(ctx, &control);
      }
      Result r;
      {
        std::unique_lock<std::mutex> lock(mutex);
        std::unique_lock<std::mutex> reading(input_mutex, std::defer_lock);
        const bool may_read = !(ctx.control && ctx.control->has_deadline);
        if (may_read && buffer.empty() && reading.try_lock()) {
          lock.unlock();
          r.end = upstream_done;
          // With one thread, as the producer: the session's threads are the step's.
          IteratorContext reader = worker_context(ctx, ctx.control);
          if (!upstream_done) r.status = input->get_next(reader, &r.element, &r.end);
          upstream_done = r.end;
          lock.lock();
        } else {
          schedule(lock);
          if (buffer.empty()) {  // the element is on its way: a sleep would delay it
            lock.unlock();
            spin_until([&] { return buffered.load(std::memory_order_acquire) > 0; });
            lock.lock();
          }
          TL_RETURN_IF_ERROR(wait_until(lock, cv, ctx.control, [&] { return !buffer.empty(); }));
          r = std::move(buffer.front());
          buffer.pop_front();
          buffered.store(buffer.size(), std::memory_order_relaxed);
        }
        if (!r.end) schedule(lock);
      }
      ended = *end = r.end;
      *out = std::move(r.element);
      return r.status;
    }

    // Posts a fill() unless one is pending or the buffer is full. `lock` holds `mutex`.
    void schedule(std::unique_lock<std::mutex>& lock) {
      const bool full = static_cast<int64_t>(buffer.size()) >= d.buffer_size_;
      if (task_posted || control.cancelled || full) return;
      task_posted = true;
      lock.unlock();
      ThreadPool::global().post([this] { fill(); });
      lock.lock();
    }

    // On a pool worker: reads elements until the buffer is full or the upstream ends.
    void fill() {
      bool more = true;
      while (more) {
        {
          std::lock_guard<std::mutex> lock(mutex);
          if (control.cancelled || static_cast<int64_t>(buffer.size()) >= d.buffer_size_) break;
        }
        more = produce_one();
      }
      // NOTE: notified under the mutex: once task_posted is false the destructor may run, and
      // it cannot get past the mutex before this is done with the condition variable.
      std::lock_guard<std::mutex> lock(mutex);
      task_posted = false;
      cv.notify_all();
    }

    // Reads one element into the buffer; false once the upstream has ended.
    bool produce_one() {
      std::lock_guard<std::mutex> reading(input_mutex);
      if (upstream_done) return false;
      Result r;
      r.status = input->get_next(worker_ctx, &r.element, &r.end);
      upstream_done = r.end;
      {
        std::lock_guard<std::mutex> lock(mutex);
        buffer.push_back(std::move(r));
        buffered.store(buffer.size(), std::memory_order_release);
      }
      cv.notify_all();
      return true;
    }
  };
  std::shared_ptr<const Dataset> input_;
  int64_t buffer_size_;
};

// A count of -1 (AUTOTUNE) becomes `automatic`: the hardware threads for a map's calls, two
// elements for a prefetch buffer.
int64_t autotuned(int64_t n, int64_t automatic) { return n < 0 ? automatic : n; }

int64_t hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int64_t>(n) : 1;
}

Status build_map(const DatasetDef& def, Binder& b,
                 std::vector<std::shared_ptr<const Dataset>> upstream,
                 std::shared_ptr<const Dataset>* out) {
  if (upstream.size() != 1) return invalid_argument("map takes one upstream dataset");
  DatasetFunction fn;
  int64_t parallel;
  TL_RETURN_IF_ERROR(b.take_function(def, "f", &fn));
  TL_RETURN_IF_ERROR(b.take_scalar("num_parallel_calls", &parallel));
  if (parallel == 0 || parallel < -1) {
    return invalid_argument("map: num_parallel_calls must be positive or AUTOTUNE, got " +
                            std::to_string(parallel));
  }
  parallel = autotuned(parallel, hardware_threads());
  *out = std::make_shared<MapDataset>(std::move(upstream[0]), std::move(fn), parallel);
  return Status::OK();
}

Status build_prefetch(const DatasetDef& def, Binder& b,
                      std::vector<std::shared_ptr<const Dataset>> upstream,
                      std::shared_ptr<const Dataset>* out) {
  if (upstream.size() != 1) return invalid_argument(def.kind + " takes one upstream dataset");
  int64_t buffer_size;
  TL_RETURN_IF_ERROR(b.take_scalar("prefetch's buffer_size", &buffer_size));
  if (buffer_size < -1) {
    return invalid_argument("prefetch: buffer_size must be positive or AUTOTUNE, got " +
                            std::to_string(buffer_size));
  }
  buffer_size = autotuned(buffer_size, 2);
  if (buffer_size == 0) {  // no buffer: the upstream dataset itself
    *out = std::move(upstream[0]);
    return Status::OK();
  }
  *out = std::make_shared<PrefetchDataset>(std::move(upstream[0]), buffer_size);
  return Status::OK();
}

}  // namespace

const StageKind kThreadedStages[] = {
    {"map", build_map, -1},
    {"prefetch", build_prefetch, -1},
    {nullptr, nullptr, 0},
};

}  // namespace data
}  // namespace tl
