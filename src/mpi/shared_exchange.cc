#include "mpi/shared_exchange.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tl {

// One rank's slot of one parity; its data follows it.
struct alignas(64) SharedExchange::Slot {
  std::atomic<int64_t> round;  // the round whose header and data the slot holds; 0: none yet
  Header header;
  char* data() { return reinterpret_cast<char*>(this + 1); }
};

namespace {

// Bytes of data all the ranks' slots of one parity hold together: each rank reads every other
// rank's data, so a rank's share shrinks as the ranks grow. Larger reductions go through MPI,
// whose ring algorithms move each byte fewer times.
constexpr size_t kSharedBytes = size_t{4} << 20;
constexpr size_t kSmallestCapacity = size_t{4} << 10;

static_assert(std::atomic<int64_t>::is_always_lock_free,
              "the slots' round counters are shared between processes");

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Waits until `round` reaches `want`: spinning at first (the other ranks are usually a few
// microseconds behind), then yielding the core, then sleeping, so that a rank that waits long
// for a slower one (its backward pass, its input pipeline) leaves the cores to the work.
void wait_for(const std::atomic<int64_t>& round, int64_t want) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < 2000; ++i) {
    if (round.load(std::memory_order_acquire) == want) return;
    pause();
  }
  const Clock::time_point start = Clock::now();
  while (round.load(std::memory_order_acquire) != want) {
    if (Clock::now() - start < std::chrono::milliseconds(1)) {
      sched_yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }
}

bool disabled_by_environment() {
  const char* value = std::getenv("TENSORLIB_MPI_SHARED_MEMORY");
  return value && std::string(value) == "0";
}

}  // namespace

std::unique_ptr<SharedExchange> SharedExchange::create() {
  int world_size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) !=
      MPI_SUCCESS) {
    return nullptr;
  }
  int node_size = 0, rank = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_rank(node, &rank);
  // Every rank sees the same: all of the job on its node, or not; and the same environment.
  if (node_size != world_size || disabled_by_environment()) {
    MPI_Comm_free(&node);
    return nullptr;
  }
  const size_t capacity =
      std::max(kSmallestCapacity, kSharedBytes / node_size / sizeof(Slot) * sizeof(Slot));
  const size_t segment = 2 * (sizeof(Slot) + capacity);
  // Each rank's segment on its own pages, which the rank touches first (its NUMA node).
  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "true");
  char* mine = nullptr;
  MPI_Win window = MPI_WIN_NULL;
  const int code = MPI_Win_allocate_shared(static_cast<MPI_Aint>(segment), 1, info, node, &mine,
                                           &window);
  MPI_Info_free(&info);
  // Whether every rank got its window: all of them use it, or none.
  int ok = code == MPI_SUCCESS ? 1 : 0, all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, node);
  if (!all_ok) {
    if (code == MPI_SUCCESS) MPI_Win_free(&window);
    MPI_Comm_free(&node);
    return nullptr;
  }
  for (int parity = 0; parity < 2; ++parity) {
    new (mine + parity * (sizeof(Slot) + capacity)) Slot{{0}, Header{0, 0, 0}};
  }
  std::vector<char*> segments(node_size);
  for (int r = 0; r < node_size; ++r) {
    MPI_Aint bytes = 0;
    int unit = 0;
    MPI_Win_shared_query(window, r, &bytes, &unit, &segments[r]);
  }
  MPI_Barrier(node);  // every slot is initialised before anyone reads it
  return std::unique_ptr<SharedExchange>(
      new SharedExchange(node, window, capacity, std::move(segments)));
}

SharedExchange::SharedExchange(MPI_Comm node, MPI_Win window, size_t capacity,
                               std::vector<char*> segments)
    : node_(node), window_(window), capacity_(capacity), slots_(std::move(segments)) {
  MPI_Comm_rank(node_, &rank_);
}

SharedExchange::~SharedExchange() {
  MPI_Win_free(&window_);
  MPI_Comm_free(&node_);
}

SharedExchange::Slot* SharedExchange::slot(int r, int64_t round) const {
  return reinterpret_cast<Slot*>(slots_[r] + (round & 1) * (sizeof(Slot) + capacity_));
}

void SharedExchange::exchange(const Header& header, const void* data, size_t bytes) {
  const int64_t round = ++round_;
  Slot* mine = slot(rank_, round);
  mine->header = header;
  if (data && bytes > 0) std::memcpy(mine->data(), data, bytes);
  mine->round.store(round, std::memory_order_release);
  for (int r = 0; r < size(); ++r) {
    if (r != rank_) wait_for(slot(r, round)->round, round);
  }
}

const Header& SharedExchange::header(int r) const { return slot(r, round_)->header; }

const char* SharedExchange::data(int r) const { return slot(r, round_)->data(); }

}  // namespace tl
