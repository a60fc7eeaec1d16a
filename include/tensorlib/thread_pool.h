// A persistent pool of worker threads for intra-op parallelism.
//
// Workers are started once; between jobs they spin for 2 ms (TENSORLIB_SPIN_US: the jobs of
// one graph run follow each other within microseconds, two runs within a fraction of a
// millisecond) and then sleep. Kernels split their loops with parallel_for,
// which runs small jobs inline on the caller without waking anyone. The caller works on its
// job too and waits only for chunks others have started: when the workers are late (asleep,
// or sharing its core), it does the whole job itself instead of waiting for them to come.
// Each thread starts on its own contiguous range of the chunks, the same one in every job of
// the same size, so that data one job leaves in a core's caches is read there by the next.
//
// Work that is not a loop of the current kernel (tf.data's prefetch producing the next batch
// while the step runs) is posted as a task, which a worker runs when it has no job. It then
// uses the time the step's own workers would spin, where a thread of its own would be woken
// for every element and take a core from the step's loops.
//
//   pool.parallel_for(n, /*grain=*/4096, threads, [&](int64_t begin, int64_t end) {
//     for (int64_t i = begin; i < end; ++i) y[i] = x[i] * 2;
//   });
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tl {

// Spins until done() or `limit` has passed; returns done(). For a wait expected to end soon
// (the next job of a graph run, the next prefetched element), where sleeping on a condition
// variable would add a wake-up: tens of microseconds on a machine of its own, milliseconds on
// a virtual machine whose idle cores the host takes back. Past the first 10 us it yields the
// core now and then, so that a thread it waits for can run when they share one.
template <typename Done>
bool spin_until(Done done, std::chrono::microseconds limit = std::chrono::microseconds(100)) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + limit;
  const auto yield_after = start + std::chrono::microseconds(10);
  for (int i = 1;; ++i) {
    if (done()) return true;
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
    if (i % 64 == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now > deadline) return done();
      if (now > yield_after) std::this_thread::yield();
    }
  }
}

class ThreadPool {
 public:
  // Starts `num_threads - 1` workers (the calling thread is the last one).
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The process-wide pool, sized to the machine's hardware threads.
  static ThreadPool& global();

  // Threads available, the caller included.
  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over [0, n) in chunks of at least `grain` items, on at most
  // `max_threads` threads (<= 0: all). Returns when every chunk is done.
  template <typename F>
  void parallel_for(int64_t n, int64_t grain, int max_threads, F&& fn) {
    run(n, grain, max_threads, [](void* f, int64_t b, int64_t e) { (*static_cast<F*>(f))(b, e); },
        &fn);
  }

  // Runs task() once on a worker, when one has no job (jobs come first; a job never waits for
  // a task, since its caller does the chunks no worker takes). A parallel_for inside the task
  // runs inline. A pool without workers runs its tasks on a thread it starts for them.
  void post(std::function<void()> task);

  // Called by a task between its pieces of work (a batch between its rows): runs chunks of
  // the job in progress, if any, so that a long task does not leave a job to its caller alone.
  // Does nothing outside a task.
  void help();

 private:
  using Trampoline = void (*)(void* fn, int64_t begin, int64_t end);
  void run(int64_t n, int64_t grain, int max_threads, Trampoline call, void* fn);
  void worker_loop(int index);
  // Claims and runs chunks of job `job`, which `threads` threads share, as thread `self` of
  // them (the caller is 0, worker i is i + 1) until none is left.
  void work_on_job(uint64_t job, int threads, int self);
  // Claims a chunk of job `tag` from thread `owner`'s range: its first from the front, its
  // last from the back (a thief). False once the range is empty or another job's.
  bool claim(int owner, uint64_t tag, bool front, int64_t* chunk);
  // Runs the oldest posted task, if one is left, on worker `index` (-1: the task thread).
  void run_task(int index);
  // The loop of the thread that runs tasks when there are no workers.
  void task_loop();

  std::vector<std::thread> workers_;
  std::thread task_thread_;  // started by the first post() to a pool without workers
  std::mutex mutex_;        // pairs with the condition variables
  std::mutex submit_mutex_;  // serialises callers
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<std::function<void()>> tasks_;  // under mutex_
  std::atomic<int64_t> num_tasks_{0};         // tasks_.size(), for the workers' spin
  std::atomic<bool> stopping_{false};

  // The chunks each thread of the job claims first, its home range, one cache line a thread:
  // job number (low 32 bits) << 32 | first chunk left << 16 | end of the range. A thread
  // claims a chunk only while the word names its job and a chunk is left, so a thread that
  // arrives late, after others did the whole job, claims nothing and never reads another
  // job's fields.
  struct alignas(64) Range {
    std::atomic<uint64_t> word{0};
  };
  std::atomic<uint64_t>& range_of(int thread) {
    return thread == 1 ? first_worker_range_ : ranges_[thread].word;
  }

  // The current job, on one cache line (64 bytes) with the word that publishes it and the
  // first worker's range, so that the worker (the only one on two cores) finds the job and
  // claims its first chunk in the one line it has just fetched; each thread then keeps the
  // job's fields (work_on_job), and the counter of chunks done, which every thread adds to,
  // has a line of its own. Against those fields spread over three lines: a two-chunk job's
  // round trip 0.81-0.89x the time (0.43-0.46 us against 0.52), eight chunks of little
  // work 0.93x, 32 chunks of 0.5 us 0.95x, of 4 us 1.0x (Zen 4, two threads).
  // Job number << 16 | threads it uses: published (release) after the job's fields, so a
  // worker that reads it (acquire) sees the job whole. It wakes workers; chunks are claimed
  // from the ranges.
  alignas(64) std::atomic<uint64_t> job_word_{0};
  Trampoline call_ = nullptr;
  void* fn_ = nullptr;
  int64_t n_ = 0;
  int64_t chunk_ = 0;
  int32_t num_chunks_ = 0;  // at most 0xffff
  std::unique_ptr<Range[]> ranges_;  // thread i's at i, but the first worker's
  std::atomic<uint64_t> first_worker_range_{0};
  alignas(64) std::atomic<int64_t> chunks_done_{0};  // of the current job
};

}  // namespace tl
