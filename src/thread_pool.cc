#include "tensorlib/thread_pool.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace tl {
namespace {

// How long a thread of the pool out of work spins for the next job before it sleeps:
// TENSORLIB_SPIN_US microseconds, 2000 by default. A sleeping thread on a virtual machine comes
// back in milliseconds (the host gives its idle core away), so a gap of a fraction of a
// millisecond between two products (Python between two runs, a big output allocated) would
// leave the next ones on one thread: a dense layer's weight gradient after a rest took
// 1.5-1.8x its time with 100 us spins, 1.0-1.1x with 2 ms. The cost: a core kept busy 2 ms
// after the work ends (OpenMP runtimes spin as long or longer).
std::chrono::microseconds idle_spin() {
  static const std::chrono::microseconds spin = [] {
    const char* value = std::getenv("TENSORLIB_SPIN_US");
    long us = 2000;
    if (value && *value) {
      char* end = nullptr;
      const long parsed = std::strtol(value, &end, 10);
      if (end && *end == '\0' && parsed >= 0) us = parsed;
    }
    return std::chrono::microseconds(us);
  }();
  return spin;
}

// True on pool workers: a parallel_for issued from inside a job runs inline.
thread_local bool t_in_worker = false;
// The worker's index while it runs a posted task (help() may take jobs that use it), else -1.
thread_local int t_task_worker = -1;

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  for (int i = 0; i + 1 < std::max(num_threads, 1); ++i) {
    workers_.emplace_back([this, i] { worker_loop(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
  if (task_thread_.joinable()) task_thread_.join();
}

ThreadPool& ThreadPool::global() {
  // NOTE: deliberately leaked: worker threads must not be joined during static destruction,
  // when the interpreter or the host program may already be tearing down.
  static ThreadPool* pool = new ThreadPool(static_cast<int>(
      std::max(1u, std::thread::hardware_concurrency())));
  return *pool;
}

void ThreadPool::run(int64_t n, int64_t grain, int max_threads, Trampoline call, void* fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int threads = max_threads <= 0 ? num_threads() : std::min(max_threads, num_threads());
  const int64_t max_chunks = (n + grain - 1) / grain;
  if (threads <= 1 || max_chunks <= 1 || t_in_worker) {
    call(fn, 0, n);
    return;
  }
  threads = static_cast<int>(std::min<int64_t>(threads, max_chunks));
  // Chunks are claimed one at a time, so many chunks a thread even out threads that progress
  // unevenly (a core shared with other work, or running slower): the last chunk, which one
  // thread finishes while the others wait, is short. A claim costs one atomic operation, and
  // callers' grains keep chunks worth it. (LeNet's inference on two threads of an Ice Lake VM,
  // whose layers are 64 images: 0.95-0.98x the time with 16 chunks a thread instead of 4; its
  // training step, an LSTM's, max-pool gradients and square products within 2% either way.)
  constexpr int64_t kChunksPerThread = 16;
  const int64_t num_chunks =
      std::min<int64_t>({max_chunks, int64_t{threads} * kChunksPerThread, 0xffff});

  std::lock_guard<std::mutex> submit(submit_mutex_);
  call_ = call;
  fn_ = fn;
  n_ = n;
  chunk_ = (n + num_chunks - 1) / num_chunks;
  num_chunks_ = (n + chunk_ - 1) / chunk_;
  chunks_done_.store(0, std::memory_order_relaxed);
  uint64_t job;
  {
    // Under the mutex, so that a worker about to sleep either sees the new job or is woken.
    std::lock_guard<std::mutex> lock(mutex_);
    job = (job_word_.load(std::memory_order_relaxed) >> 16) + 1;
    next_chunk_.store((job & 0xffffffff) << 32 | static_cast<uint64_t>(num_chunks_) << 16,
                      std::memory_order_release);
    job_word_.store(job << 16 | static_cast<uint64_t>(threads), std::memory_order_release);
  }
  wake_.notify_all();
  // NOTE: while the caller works on the job it counts as a worker, so a parallel_for nested
  // inside a chunk runs inline instead of waiting on submit_mutex_ (a deadlock).
  t_in_worker = true;
  work_on_job(job);
  t_in_worker = false;
  // Every chunk is claimed; wait for those that workers are still running.
  auto finished = [this] {
    return chunks_done_.load(std::memory_order_acquire) == num_chunks_;
  };
  if (spin_until(finished, idle_spin())) return;
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, finished);
}

void ThreadPool::work_on_job(uint64_t job) {
  const uint64_t tag = (job & 0xffffffff) << 32;
  uint64_t word = next_chunk_.load(std::memory_order_acquire);
  for (;;) {
    const uint64_t chunks = (word >> 16) & 0xffff, c = word & 0xffff;
    if ((word & ~uint64_t{0xffffffff}) != tag || c >= chunks) return;
    if (!next_chunk_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
      continue;  // `word` now holds the current value
    }
    // The claimed chunk is not done, so the job (and its fields) is still current.
    const int64_t begin = static_cast<int64_t>(c) * chunk_;
    call_(fn_, begin, std::min(n_, begin + chunk_));
    // NOTE: `chunks`, not num_chunks_: once this chunk counts as done, the caller may return
    // and submit another job.
    if (chunks_done_.fetch_add(1, std::memory_order_acq_rel) + 1 ==
        static_cast<int64_t>(chunks)) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_all();
    }
    word = next_chunk_.load(std::memory_order_acquire);
  }
}

void ThreadPool::post(std::function<void()> task) {
  {
    // Under the mutex, so that a worker about to sleep either sees the task or is woken.
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    num_tasks_.fetch_add(1, std::memory_order_release);
    if (workers_.empty() && !task_thread_.joinable()) {
      task_thread_ = std::thread([this] { task_loop(); });
    }
  }
  wake_.notify_one();
}

void ThreadPool::task_loop() {
  t_in_worker = true;
  auto ready = [this] {
    return stopping_.load(std::memory_order_relaxed) ||
           num_tasks_.load(std::memory_order_acquire) > 0;
  };
  for (;;) {
    if (!spin_until(ready, idle_spin())) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, ready);
    }
    if (stopping_.load(std::memory_order_relaxed)) return;
    run_task(-1);  // a pool without workers has no jobs to help with
  }
}

void ThreadPool::help() {
  if (t_task_worker < 0) return;
  const uint64_t word = job_word_.load(std::memory_order_acquire);
  if (t_task_worker + 1 >= static_cast<int>(word & 0xffff)) return;  // not one of its threads
  work_on_job(word >> 16);  // claims nothing once the job's chunks are all taken
}

void ThreadPool::run_task(int index) {
  std::function<void()> task;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (tasks_.empty()) return;  // another worker took it
    task = std::move(tasks_.front());
    tasks_.pop_front();
    num_tasks_.fetch_sub(1, std::memory_order_relaxed);
  }
  t_task_worker = index;
  task();
  t_task_worker = -1;
}

void ThreadPool::worker_loop(int index) {
  t_in_worker = true;
  uint64_t seen = 0;  // the last job number handled
  for (;;) {
    uint64_t word = 0;
    auto next_work = [&] {
      word = job_word_.load(std::memory_order_acquire);
      return stopping_.load(std::memory_order_relaxed) || (word >> 16) != seen ||
             num_tasks_.load(std::memory_order_acquire) > 0;
    };
    if (!spin_until(next_work, idle_spin())) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, next_work);
    }
    if (stopping_.load(std::memory_order_relaxed)) return;
    if ((word >> 16) != seen) {
      seen = word >> 16;
      if (index + 1 < static_cast<int>(word & 0xffff)) work_on_job(seen);
      continue;  // a job first, then tasks
    }
    run_task(index);
  }
}

}  // namespace tl
