// The queues of TF1's input pipelines (FIFOQueue, RandomShuffleQueue, PaddingFIFOQueue): one
// per session and queue name, shared by the queue ops (queue_ops.cc) and the readers that pull
// file names from one (io_ops.cc).
//
// Blocking calls wait in C++ (runs hold no Python lock) and return when they can proceed, when
// the queue is closed (dequeues), when the run is stopped (Ctrl-C, a deadline: RunControl) or
// when the session closes (Resource::cancel).
//
//   std::shared_ptr<Queue> q;
//   TL_RETURN_IF_ERROR(lookup_queue(ctx, ctx.input(0), &q));
//   std::vector<Tensor> batch;
//   TL_RETURN_IF_ERROR(q->dequeue_many(n, Queue::kExactly, ctx.control(), &batch));
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "tensorlib/kernel.h"

namespace tl {

class Queue : public Resource {
 public:
  enum class Kind { kFIFO, kRandomShuffle, kPadding };
  // How dequeue_many treats a closed queue with fewer than n elements left.
  enum Count { kExactly, kUpTo };
  // One element: one tensor per component.
  using Element = std::vector<Tensor>;

  // `shapes`: one per component, or empty when the components' shapes are open. `seed`
  // seeds a RandomShuffleQueue's order (0: nondeterministic).
  Queue(std::string name, Kind kind, std::vector<DType> dtypes, std::vector<Shape> shapes,
        int64_t capacity, int64_t min_after_dequeue, uint64_t seed);

  const std::string& name() const { return name_; }
  int num_components() const { return static_cast<int>(dtypes_.size()); }

  // Adds `elements` in order, waiting for room as needed. Fails Cancelled on a closed queue
  // (and when a close cancels pending enqueues while this one waits).
  Status enqueue(std::vector<Element> elements, RunControl* control);
  // Removes one element.
  Status dequeue(RunControl* control, Element* out);
  // Removes n elements, stacked per component (padded to the batch's largest shape for a
  // PaddingFIFOQueue). kUpTo: a closed queue yields what it has left, when not empty.
  Status dequeue_many(int64_t n, Count count, RunControl* control, std::vector<Tensor>* out);
  // No more enqueues; dequeues that would wait fail OutOfRange instead.
  void close(bool cancel_pending_enqueues);
  int64_t size();
  bool is_closed();
  void cancel() override;

  // Fails InvalidArgument unless `element` has this queue's dtypes and shapes.
  Status check_element(const Element& element) const;

 private:
  // Waits on `lock` until ready() (OK), or fails when the run is stopped or the session
  // closes.
  template <typename Ready>
  Status wait(std::unique_lock<std::mutex>& lock, RunControl* control, Ready ready);
  // Elements a dequeue may take now: all of them once closed, else those above
  // min_after_dequeue.
  int64_t available() const;
  Element take_one();
  Status stack(std::vector<Element>& elements, std::vector<Tensor>* out) const;
  Status insufficient(int64_t requested) const;

  const std::string name_;
  const Kind kind_;
  const std::vector<DType> dtypes_;
  const std::vector<Shape> shapes_;
  const int64_t capacity_;
  const int64_t min_after_dequeue_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Element> elements_;
  std::mt19937_64 rng_;
  bool closed_ = false;
  bool cancel_enqueues_ = false;
  bool cancelled_ = false;
};

// The queue whose handle (a string scalar made by a queue op) is `handle`.
Status lookup_queue(KernelContext& ctx, const Tensor& handle, std::shared_ptr<Queue>* out);

}  // namespace tl
