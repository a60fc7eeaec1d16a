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

ThreadPool::ThreadPool(int num_threads) : ranges_(new Range[std::max(num_threads, 1)]) {
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
  // Each thread claims from its own range of the chunks first, the same for the same job, and
  // only then the others' last chunks: the part of the data a thread wrote in one job is then
  // the part it reads in the next, still in its caches (a product's blocks of C, slab after
  // slab; a layer's half of its weights, call after call), and each streams one run of
  // memory. Claimed all from one counter, the chunks went to either thread as they came:
  // the squares 512-2048 took 1.06-1.07x the time on two threads of a Zen 4 VM, 1.12-1.15x in
  // the AVX2 tile (LeNet's training step 1.01x, a dense layer's 1.0x).
  constexpr int64_t kChunksPerThread = 16;
  const int64_t num_chunks =
      std::min<int64_t>({max_chunks, int64_t{threads} * kChunksPerThread, 0xffff});

  std::lock_guard<std::mutex> submit(submit_mutex_);
  call_ = call;
  fn_ = fn;
  n_ = n;
  chunk_ = (n + num_chunks - 1) / num_chunks;
  num_chunks_ = static_cast<int32_t>((n + chunk_ - 1) / chunk_);
  chunks_done_.store(0, std::memory_order_relaxed);
  uint64_t job;
  {
    // Under the mutex, so that a worker about to sleep either sees the new job or is woken.
    std::lock_guard<std::mutex> lock(mutex_);
    job = (job_word_.load(std::memory_order_relaxed) >> 16) + 1;
    const uint64_t tag = (job & 0xffffffff) << 32;
    for (int i = 0; i < threads; ++i) {
      const uint64_t begin = i * num_chunks_ / threads, end = (i + 1) * num_chunks_ / threads;
      range_of(i).store(tag | begin << 16 | end, std::memory_order_relaxed);
    }
    job_word_.store(job << 16 | static_cast<uint64_t>(threads), std::memory_order_release);
  }
  wake_.notify_all();
  // NOTE: while the caller works on the job it counts as a worker, so a parallel_for nested
  // inside a chunk runs inline instead of waiting on submit_mutex_ (a deadlock).
  t_in_worker = true;
  work_on_job(job, threads, 0);
  t_in_worker = false;
  // Every chunk is claimed; wait for those that workers are still running.
  auto finished = [this] {
    return chunks_done_.load(std::memory_order_acquire) == num_chunks_;
  };
  if (spin_until(finished, idle_spin())) return;
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, finished);
}

bool ThreadPool::claim(int owner, uint64_t tag, bool front, int64_t* chunk) {
  std::atomic<uint64_t>& range = range_of(owner);
  uint64_t word = range.load(std::memory_order_acquire);
  for (;;) {
    const uint64_t begin = (word >> 16) & 0xffff, end = word & 0xffff;
    if ((word & ~uint64_t{0xffffffff}) != tag || begin >= end) return false;
    const uint64_t next = front ? word + (uint64_t{1} << 16) : word - 1;
    if (range.compare_exchange_weak(word, next, std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
      *chunk = static_cast<int64_t>(front ? begin : end - 1);
      return true;
    }
  }
}

void ThreadPool::work_on_job(uint64_t job, int threads, int self) {
  const uint64_t tag = (job & 0xffffffff) << 32;
  // The job's fields, read once the thread holds a chunk of it: its later chunks need not
  // read the job's line again, where the first worker claims its chunks.
  Trampoline call = nullptr;
  void* fn = nullptr;
  int64_t n = 0, chunk = 0, chunks = 0;
  for (int victim = 0;;) {
    int64_t c;
    if (!claim(self, tag, true, &c)) {
      // The home range is done: take the others' last chunks, the nearest thread's first.
      for (; victim < threads - 1; ++victim) {
        const int owner = (self + 1 + victim) % threads;
        if (claim(owner, tag, false, &c)) break;
      }
      if (victim == threads - 1) return;
    }
    if (!call) {
      // The claimed chunk is not done, so the job (and its fields) is still current.
      // NOTE: `chunks` is read before this chunk counts as done: the caller may then return
      // and submit another job.
      call = call_, fn = fn_, n = n_, chunk = chunk_, chunks = num_chunks_;
    }
    const int64_t begin = c * chunk;
    call(fn, begin, std::min(n, begin + chunk));
    if (chunks_done_.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_all();
    }
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
  // Claims nothing once the job's chunks are all taken.
  work_on_job(word >> 16, static_cast<int>(word & 0xffff), t_task_worker + 1);
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
      const int threads = static_cast<int>(word & 0xffff);
      if (index + 1 < threads) work_on_job(seen, threads, index + 1);
      continue;  // a job first, then tasks
    }
    run_task(index);
  }
}

}  // namespace tl
