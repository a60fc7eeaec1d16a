// The thread pool: parallel_for covers every index once, whatever the sizes and threads;
// each thread starts on its own range of the chunks, and takes the others' when it is done
// with it, so that a thread held up leaves its chunks to the rest; posted tasks run once each
// on a worker, or on the task thread of a pool without workers, never on the poster; a job is not
// held up by a task that is still running (its caller does the chunks), and a task that calls
// help() takes some of them; a parallel_for inside a task runs inline on that worker.
// tests/test_thread_pool_cpp.py builds it against the installed libtensorlib and runs it.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "tensorlib/thread_pool.h"

#include "check.h"

using namespace tl;
using namespace std::chrono_literals;

namespace {

// Waits (bounded) until pred() holds; returns pred().
template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 5000 && !pred(); ++i) std::this_thread::sleep_for(1ms);
  return pred();
}

void parallel_for_covers_every_index() {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(10007);
  pool.parallel_for(static_cast<int64_t>(hits.size()), 16, 0, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
  });
  bool once = true;
  for (auto& h : hits) once = once && h.load() == 1;
  CHECK(once);
}

// Many jobs of every size up to a few chunks a thread, on 2-4 threads: each index once.
void every_job_size_covers_every_index_once() {
  for (int threads : {2, 3, 4}) {
    ThreadPool pool(threads);
    bool once = true;
    for (int64_t n = 1; n <= 200; ++n) {
      std::vector<std::atomic<int>> hits(n);
      pool.parallel_for(n, 1, 0, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
      });
      for (auto& h : hits) once = once && h.load() == 1;
    }
    CHECK(once);
  }
}

// Two threads, 16 chunks: the caller's range is chunks 0-7, the worker's 8-15. Each starts on
// its own first chunk (a worker takes another's chunks only when its own are done, and its
// first here takes 50 ms). Held up that long, the worker leaves the rest of its range to the
// caller, which takes it from the back.
void threads_start_on_their_own_chunks_and_take_the_others_after() {
  ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  int first_on_caller = 0, worker_did_one = 0;
  for (int job = 0; job < 5; ++job) {
    std::atomic<int> by_caller{0}, by_worker{0}, worker_chunk{-1};
    std::atomic<bool> zero_on_caller{false};
    pool.parallel_for(16, 1, 2, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        if (std::this_thread::get_id() == caller) {
          if (i == 0) zero_on_caller = true;
          by_caller.fetch_add(1);
        } else {
          by_worker.fetch_add(1);
          worker_chunk = static_cast<int>(i);
          std::this_thread::sleep_for(50ms);
        }
      }
    });
    first_on_caller += zero_on_caller.load();
    CHECK(by_caller.load() + by_worker.load() == 16);
    // The worker, once it came, ran one chunk (or none, late after the caller did them all).
    CHECK(by_worker.load() <= 1);
    CHECK(by_worker.load() == 0 || worker_chunk.load() == 8);
    worker_did_one += by_worker.load();
  }
  CHECK(first_on_caller == 5);
  std::printf("the worker came in time for %d of 5 jobs\n", worker_did_one);
}

// On the workers, or on the task thread of a pool without workers: never on the poster.
void posted_tasks_run_once_off_the_caller(int num_threads) {
  ThreadPool pool(num_threads);
  const auto poster = std::this_thread::get_id();
  std::atomic<int> runs{0}, on_poster{0};
  for (int i = 0; i < 100; ++i) {
    pool.post([&] {
      if (std::this_thread::get_id() == poster) on_poster.fetch_add(1);
      runs.fetch_add(1);
    });
  }
  CHECK(eventually([&] { return runs.load() == 100; }));
  std::this_thread::sleep_for(5ms);
  CHECK(runs.load() == 100);
  CHECK(on_poster.load() == 0);
}

void sleeping_workers_wake_for_a_task() {
  ThreadPool pool(2);
  std::this_thread::sleep_for(20ms);  // past the workers' spin: they sleep
  std::atomic<bool> ran{false};
  pool.post([&] { ran = true; });
  CHECK(eventually([&] { return ran.load(); }));
}

void jobs_do_not_wait_for_a_running_task() {
  ThreadPool pool(2);  // one worker, which the task keeps busy
  std::atomic<bool> release{false}, started{false};
  pool.post([&] {
    started = true;
    while (!release.load()) std::this_thread::sleep_for(100us);
  });
  CHECK(eventually([&] { return started.load(); }));
  std::atomic<int64_t> sum{0};
  pool.parallel_for(1000, 1, 0, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) sum.fetch_add(i);
  });
  CHECK(sum.load() == 999 * 1000 / 2);  // done by the caller alone while the task runs
  release = true;
}

// A task that calls help() between its pieces takes chunks of the job issued meanwhile.
void a_task_that_helps_takes_chunks_of_the_job() {
  ThreadPool pool(2);
  std::atomic<bool> release{false}, started{false};
  pool.post([&] {
    started = true;
    while (!release.load()) pool.help();
  });
  CHECK(eventually([&] { return started.load(); }));
  const auto caller = std::this_thread::get_id();
  std::atomic<int> by_caller{0}, by_task{0};
  pool.parallel_for(8, 1, 0, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      std::this_thread::sleep_for(2ms);  // slow chunks: the helping task claims some
      (std::this_thread::get_id() == caller ? by_caller : by_task).fetch_add(1);
    }
  });
  release = true;
  CHECK(by_caller.load() + by_task.load() == 8);
  CHECK(by_task.load() > 0);
  pool.help();  // outside a task: does nothing
}

void parallel_for_inside_a_task_runs_inline() {
  ThreadPool pool(3);
  std::atomic<bool> done{false}, inline_only{true};
  pool.post([&] {
    const auto me = std::this_thread::get_id();
    pool.parallel_for(1 << 16, 1, 0, [&](int64_t, int64_t) {
      if (std::this_thread::get_id() != me) inline_only = false;
    });
    done = true;
  });
  CHECK(eventually([&] { return done.load(); }));
  CHECK(inline_only.load());
}


}  // namespace

int main() {
  parallel_for_covers_every_index();
  every_job_size_covers_every_index_once();
  threads_start_on_their_own_chunks_and_take_the_others_after();
  posted_tasks_run_once_off_the_caller(2);
  posted_tasks_run_once_off_the_caller(1);
  sleeping_workers_wake_for_a_task();
  jobs_do_not_wait_for_a_running_task();
  a_task_that_helps_takes_chunks_of_the_job();
  parallel_for_inside_a_task_runs_inline();
  if (g_failures) {
    std::printf("%d checks failed\n", g_failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
