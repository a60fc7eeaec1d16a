// Collective ops over MPI: the op library libtensorlib_mpi.so, built when an MPI is found and
// loaded by tensorlib.distribute (Python) after mpi4py has initialised MPI.
//
//   MpiAllreduce(tensors: N of one dtype; average: bool) -> N tensors, each the elementwise sum
//       (or mean) over the ranks. The N inputs are packed into one buffer and reduced by one
//       MPI_Allreduce: Horovod's tensor fusion.
//   MpiAllreduceStart(tensors: N of one dtype; average) -> handle, and
//   MpiAllreduceWait(handle, tensors: the same N) -> N tensors: MpiAllreduce in two halves, so
//       that the reduction runs while the graph goes on. Start packs its inputs into a buffer of
//       its own and queues the reduction; it is scheduled early (OpDef::scheduled_early), right
//       after the last of its inputs is computed, so the reduction of early gradients overlaps
//       the rest of the backward pass. Wait, at its place in node-id order, waits for it and
//       returns views of the reduced buffer; it reads only the shapes of its `tensors` (they
//       give its outputs' shapes, and its gradient). A failed reduction is Wait's error.
//   MpiAllgather(tensor; rank >= 1) -> the ranks' tensors concatenated along dimension 0, in
//       rank order (the ranks may differ in dimension 0 only).
//   MpiBroadcast(tensor; root_rank: int) -> root_rank's tensor, on every rank.
//
// Every collective first exchanges a small header (a few int64 per rank) that describes each
// rank's tensors, so that ranks that disagree on dtypes or shapes all fail with the same error
// instead of corrupting memory or hanging in the data transfer. When all the ranks run on one
// node, the allreduce's header, and its data when small enough, go through a window of shared
// memory (shared_exchange.h): one round trip through memory instead of MPI's messages, which
// makes small reductions several times cheaper; elsewhere the header is an MPI_Allgather.
//
// Every MPI call of the collectives goes through one queue (the Communicator), one task at a
// time, in the order the kernels submit them: a started reduction runs on the library's own
// thread; a synchronous collective runs on the session's thread when nothing is queued or
// running, else waits for its turn. NOTE: MPI needs every rank to issue the same collectives in
// the same order. The executor runs a plan's steps in an order fixed by the graph (executor.cc:
// node-id order, early ops right after their last producer), so ranks that built the same graph
// submit the same collectives in the same order. Never two MPI calls at once: that needs
// MPI_THREAD_SERIALIZED (mpi4py asks for MPI_THREAD_MULTIPLE); with less, there is no thread,
// and Start completes its reduction before it returns (no overlap). The thread is stopped at
// MPI_Finalize (an attribute of MPI_COMM_SELF, deleted first thing there), once it has run
// what was queued.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "mpi/shared_exchange.h"
#include "ops/kernel_util.h"
#include "ops/shape_fns.h"
#include "tensorlib/executor.h"
#include "tensorlib/graph.h"
#include "tensorlib/op_library.h"

namespace tl {
namespace {

// The most elements (or bytes) one MPI call moves: MPI counts are int.
constexpr int64_t kMaxCount = int64_t{1} << 30;

// MPI work for the communicator; waited for on any thread.
class Task {
 public:
  explicit Task(std::function<Status()> work) : work_(std::move(work)) {}

  void run() {
    Status s = work_();
    work_ = nullptr;  // what it captured goes now, not with the last waiter
    std::lock_guard<std::mutex> lock(mutex_);
    status_ = std::move(s);
    done_ = true;
    finished_.notify_all();
  }
  // The work's status once it has run. With `control`, gives up when the run is cancelled or
  // timed out (the work goes on: only work that owns its memory may be given up).
  Status wait(const RunControl* control) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!done_) {
      if (!control) {
        finished_.wait(lock);
        continue;
      }
      TL_RETURN_IF_ERROR(control->check_waiting());
      finished_.wait_for(lock, std::chrono::milliseconds(10));
    }
    return status_;
  }

 private:
  std::function<Status()> work_;
  std::mutex mutex_;
  std::condition_variable finished_;
  bool done_ = false;
  Status status_;
};

// Runs the collectives' MPI work one task at a time, in the order queued: on its own thread,
// so that the session thread goes on while a started reduction runs, or on the calling thread
// when a synchronous collective finds nothing queued or running (no thread switch: the
// latency of a small collective stays MPI's). Never two tasks at once, so
// MPI_THREAD_SERIALIZED is enough.
class Communicator {
 public:
  // Queues `task` after every task queued before it, for the thread (or runs it here when MPI
  // allows no other thread).
  Status submit(const std::shared_ptr<Task>& task) {
    std::unique_lock<std::mutex> lock(mutex_);
    TL_RETURN_IF_ERROR(check_running());
    if (!thread_.joinable()) {
      run_here(task, lock);  // its status is the waiter's
      return Status::OK();
    }
    queue_.push_back(task);
    work_.notify_one();
    return Status::OK();
  }
  // Runs `work` after everything queued and returns its status.
  Status run(std::function<Status()> work) {
    auto task = std::make_shared<Task>(std::move(work));
    std::unique_lock<std::mutex> lock(mutex_);
    TL_RETURN_IF_ERROR(check_running());
    if (!thread_.joinable() || (queue_.empty() && !busy_)) {
      run_here(task, lock);
    } else {
      queue_.push_back(task);
      work_.notify_one();
      lock.unlock();
    }
    return task->wait(nullptr);
  }

  // The node's shared window for small exchanges, made (collectively) on the first call; null
  // when the ranks cannot share one. NOTE: called from tasks only, which run one at a time and
  // in the same order on every rank.
  SharedExchange* shared_exchange() {
    if (!exchange_made_) {
      exchange_made_ = true;
      // Without the hook that frees it at MPI_Finalize, no window (the same on every rank).
      if (finalize_hooked_) exchange_ = SharedExchange::create();
    }
    return exchange_.get();
  }

 private:
  // NOTE: called with mutex_ held.
  Status check_running() {
    if (stopped_) {
      return failed_precondition("collectives cannot run once MPI is being finalized");
    }
    if (!started_) start();
    return Status::OK();
  }

  // Runs `task` on this thread once no other task runs. NOTE: called with mutex_ held;
  // returns with it released.
  void run_here(const std::shared_ptr<Task>& task, std::unique_lock<std::mutex>& lock) {
    idle_.wait(lock, [&] { return !busy_; });
    run_as_the_busy_one(task, lock);
    lock.unlock();
  }

  // Runs `task`, the one task running meanwhile. NOTE: called and returns with mutex_ held.
  void run_as_the_busy_one(const std::shared_ptr<Task>& task,
                           std::unique_lock<std::mutex>& lock) {
    busy_ = true;
    lock.unlock();
    task->run();
    lock.lock();
    busy_ = false;
    idle_.notify_all();
    if (!queue_.empty()) work_.notify_one();
  }

  // NOTE: called with mutex_ held, before any thread of ours calls MPI.
  void start() {
    started_ = true;
    int keyval = MPI_KEYVAL_INVALID;
    if (MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, &stop_at_finalize, &keyval, this) !=
            MPI_SUCCESS ||
        MPI_Comm_set_attr(MPI_COMM_SELF, keyval, nullptr) != MPI_SUCCESS) {
      return;  // no way to stop the thread before MPI ends: run on the callers' threads
    }
    finalize_hooked_ = true;
    int provided = MPI_THREAD_SINGLE;
    MPI_Query_thread(&provided);
    if (provided >= MPI_THREAD_SERIALIZED) thread_ = std::thread([this] { loop(); });
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      work_.wait(lock, [&] {
        return (!queue_.empty() && !busy_) || (stopped_ && queue_.empty());
      });
      if (queue_.empty()) return;  // stopped, and everything queued has run
      std::shared_ptr<Task> task = std::move(queue_.front());
      queue_.pop_front();
      run_as_the_busy_one(task, lock);
    }
  }

  // MPI_Finalize deletes MPI_COMM_SELF's attributes first: the thread runs what is queued
  // (collectives the other ranks expect) and ends while MPI still works; then every rank frees
  // the shared window (a collective, like its making).
  static int stop_at_finalize(MPI_Comm, int, void*, void* communicator) {
    auto* self = static_cast<Communicator*>(communicator);
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->stopped_ = true;
    }
    self->work_.notify_all();
    if (self->thread_.joinable()) self->thread_.join();
    self->exchange_.reset();
    return MPI_SUCCESS;
  }

  std::mutex mutex_;  // guards the fields below
  std::condition_variable work_;  // for the thread: a task to run, or stopped_ set
  std::condition_variable idle_;  // for callers: busy_ cleared
  std::deque<std::shared_ptr<Task>> queue_;
  bool busy_ = false;  // a task runs (on the thread or a caller's)
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;
  bool finalize_hooked_ = false;  // stop_at_finalize runs at MPI_Finalize
  // Used by tasks only (one at a time), and at MPI_Finalize once no task runs.
  bool exchange_made_ = false;
  std::unique_ptr<SharedExchange> exchange_;
};

struct InFlight;

struct CollectiveState {
  Communicator communicator;
  std::mutex mutex;  // guards the fields below
  std::unordered_map<int64_t, std::weak_ptr<InFlight>> in_flight;  // by handle
  int64_t next_handle = 1;
  // Fusion buffers, reused: one is free when nothing but this list holds it.
  std::vector<std::shared_ptr<Buffer>> fusion_buffers;
  // Used on the communicator only.
  MPI_Op half_sum = MPI_OP_NULL;
  MPI_Op bfloat16_sum = MPI_OP_NULL;
};

// NOTE: never destroyed, like the op registry: kernels may run while the process exits, and
// the communicator's thread may still wait for work then.
CollectiveState& collective_state() {
  static auto* state = new CollectiveState();
  return *state;
}

// A buffer of at least `bytes` for packing tensors: a free one of the state's, or a new one.
std::shared_ptr<Buffer> fusion_buffer(size_t bytes) {
  constexpr size_t kMaxKept = 8;
  CollectiveState& state = collective_state();
  std::lock_guard<std::mutex> lock(state.mutex);
  for (const std::shared_ptr<Buffer>& b : state.fusion_buffers) {
    if (b.use_count() == 1 && b->size() >= bytes && b->size() <= 2 * bytes + kBufferAlignment) {
      return b;
    }
  }
  std::shared_ptr<Buffer> b = Buffer::allocate(bytes);
  if (b && state.fusion_buffers.size() < kMaxKept) state.fusion_buffers.push_back(b);
  return b;
}

// FNV-1a over 64-bit words.
int64_t hash_words(const std::vector<int64_t>& words) {
  uint64_t h = 14695981039346656037ull;
  for (int64_t w : words) {
    for (int b = 0; b < 8; ++b) {
      h ^= (static_cast<uint64_t>(w) >> (8 * b)) & 0xffu;
      h *= 1099511628211ull;
    }
  }
  return static_cast<int64_t>(h);
}

void append_shape(const Shape& shape, int first_dim, std::vector<int64_t>* words) {
  words->push_back(shape.rank());
  for (int i = first_dim; i < shape.rank(); ++i) words->push_back(shape.dim(i));
}

Status mpi_status(const std::string& op, const char* call, int code) {
  if (code == MPI_SUCCESS) return Status::OK();
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return internal_error("collective op '" + op + "': " + call +
                        " failed: " + std::string(text, length));
}

// MPI_Initialized and MPI_Finalized may be called on any thread, at any time.
Status check_mpi_ready(const KernelContext& ctx) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) {
    return failed_precondition("collective op '" + ctx.graph_node().name +
                               "' runs only between hvd.init() and the end of MPI: call "
                               "tensorlib.distribute.init() first");
  }
  return Status::OK();
}

// This rank and the number of ranks (on the communicator).
void world(int* rank, int* size) {
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
}

// Fails on every rank alike when the ranks' headers differ in their signatures. describe()
// says what this rank passed, for the error message.
template <typename Describe>
Status check_headers(const std::string& op, const Header& mine, int rank,
                     const std::vector<Header>& all, Describe describe) {
  for (int r = 0; r < static_cast<int>(all.size()); ++r) {
    if (all[r].signature != mine.signature) {
      return invalid_argument("collective op '" + op + "': ranks " +
                              std::to_string(std::min(r, rank)) + " and " +
                              std::to_string(std::max(r, rank)) +
                              " passed tensors of different dtypes or shapes (this rank, " +
                              std::to_string(rank) + ", has " + describe() + ")");
    }
  }
  return Status::OK();
}

// Every rank's header, by MPI_Allgather; fails on every rank alike when they differ.
template <typename Describe>
Status exchange_headers(const std::string& op, const Header& mine, int rank, int size,
                        Describe describe, std::vector<Header>* all) {
  all->resize(size);
  TL_RETURN_IF_ERROR(mpi_status(op, "MPI_Allgather",
                                MPI_Allgather(&mine, 3, MPI_INT64_T, all->data(), 3, MPI_INT64_T,
                                              MPI_COMM_WORLD)));
  return check_headers(op, mine, rank, *all, describe);
}

// "float32 [2,3]"
std::string dtype_and_shape(const Tensor& t) {
  return std::string(dtype_name(t.dtype())) + " " + t.shape().to_string();
}

// The MPI datatype of one element; 16-bit floats travel as their raw bits.
MPI_Datatype mpi_datatype(DType t) {
  switch (t) {
    case DType::kFloat32: return MPI_FLOAT;
    case DType::kFloat64: return MPI_DOUBLE;
    case DType::kInt8: return MPI_INT8_T;
    case DType::kInt16: return MPI_INT16_T;
    case DType::kInt32: return MPI_INT32_T;
    case DType::kInt64: return MPI_INT64_T;
    case DType::kUInt8: return MPI_UINT8_T;
    case DType::kUInt16: return MPI_UINT16_T;
    case DType::kUInt32: return MPI_UINT32_T;
    case DType::kUInt64: return MPI_UINT64_T;
    case DType::kComplex64: return MPI_C_FLOAT_COMPLEX;
    case DType::kComplex128: return MPI_C_DOUBLE_COMPLEX;
    case DType::kFloat16:
    case DType::kBFloat16: return MPI_UINT16_T;
    default: return MPI_DATATYPE_NULL;
  }
}

// a + b as the collectives sum: 16-bit floats in float32 arithmetic.
template <typename T>
T add(T a, T b) {
  if constexpr (std::is_same_v<T, Half>) {
    return float_to_half(half_to_float(a) + half_to_float(b));
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return float_to_bfloat16(bfloat16_to_float(a) + bfloat16_to_float(b));
  } else {
    return static_cast<T>(a + b);
  }
}

// MPI has no 16-bit floats: their sums are user-defined ops.
template <typename T>
void sum_16bit(void* in, void* inout, int* count, MPI_Datatype*) {
  const T* a = static_cast<const T*>(in);
  T* b = static_cast<T*>(inout);
  for (int i = 0; i < *count; ++i) b[i] = add(a[i], b[i]);
}

Status sum_op(const std::string& name, DType t, MPI_Op* op) {
  CollectiveState& state = collective_state();
  MPI_Op* made = t == DType::kFloat16 ? &state.half_sum
                 : t == DType::kBFloat16 ? &state.bfloat16_sum : nullptr;
  if (!made) return *op = MPI_SUM, Status::OK();
  if (*made == MPI_OP_NULL) {
    MPI_User_function* fn = t == DType::kFloat16 ? &sum_16bit<Half> : &sum_16bit<BFloat16>;
    TL_RETURN_IF_ERROR(mpi_status(name, "MPI_Op_create", MPI_Op_create(fn, 1, made)));
  }
  *op = *made;
  return Status::OK();
}

// ---- strings travel serialised: each element's length (int64), then all their bytes ----

std::vector<char> serialize_strings(const Tensor& t) {
  const std::string* s = t.data<std::string>();
  const int64_t n = t.num_elements();
  size_t bytes = n * sizeof(int64_t);
  for (int64_t i = 0; i < n; ++i) bytes += s[i].size();
  std::vector<char> out(bytes);
  char* p = out.data();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t length = static_cast<int64_t>(s[i].size());
    std::memcpy(p + i * sizeof(int64_t), &length, sizeof length);
  }
  p += n * sizeof(int64_t);
  for (int64_t i = 0; i < n; ++i) p = std::copy(s[i].begin(), s[i].end(), p);
  return out;
}

void deserialize_strings(const char* data, int64_t n, std::string* out) {
  const char* text = data + n * sizeof(int64_t);
  for (int64_t i = 0; i < n; ++i) {
    int64_t length;
    std::memcpy(&length, data + i * sizeof(int64_t), sizeof length);
    out[i].assign(text, length);
    text += length;
  }
}

// ---- MpiAllreduce, MpiAllreduceStart, MpiAllreduceWait ----

// The dtypes with a sum: MPI's own, and 16-bit floats summed by sum_16bit.
using ReducibleTypes = JoinTypes<ArithmeticTypes, TypeList<Half, BFloat16>>;

Status allreduce_shape(InferenceContext& ctx) {
  if (ctx.num_inputs() != ctx.num_outputs() || ctx.num_inputs() == 0) {
    return shape_error(ctx, "MpiAllreduce needs N >= 1 inputs, as many as its attribute N");
  }
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    TL_RETURN_IF_ERROR(check_input_dtype(ctx, i, ReducibleTypes{}));
    if (i > 0) TL_RETURN_IF_ERROR(check_same_dtype(ctx, i, 0));
    ctx.set_output(i, ctx.input_dtype(i), ctx.input_shape(i));
  }
  return Status::OK();
}

Status allreduce_start_shape(InferenceContext& ctx) {
  if (ctx.num_inputs() == 0) return shape_error(ctx, "MpiAllreduceStart needs N >= 1 inputs");
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    TL_RETURN_IF_ERROR(check_input_dtype(ctx, i, ReducibleTypes{}));
    if (i > 0) TL_RETURN_IF_ERROR(check_same_dtype(ctx, i, 0));
  }
  ctx.set_output(0, DType::kInt64, Shape());
  return Status::OK();
}

// Inputs: the handle, then the N tensors that its Start reduces.
Status allreduce_wait_shape(InferenceContext& ctx) {
  if (ctx.num_inputs() != ctx.num_outputs() + 1 || ctx.num_outputs() == 0) {
    return shape_error(ctx, "MpiAllreduceWait needs a handle and N >= 1 tensors, N its "
                            "attribute N");
  }
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, TypeList<int64_t>{}));
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    TL_RETURN_IF_ERROR(check_input_dtype(ctx, i, ReducibleTypes{}));
    ctx.set_output(i - 1, ctx.input_dtype(i), ctx.input_shape(i));
  }
  return Status::OK();
}

// x / size, for the mean: floor division for integers (TF1's tf.div), float32 arithmetic for
// 16-bit floats.
template <typename T>
void divide_by(T* x, int64_t n, int size) {
  if constexpr (std::is_same_v<T, Half>) {
    for (int64_t i = 0; i < n; ++i) x[i] = float_to_half(half_to_float(x[i]) / size);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    for (int64_t i = 0; i < n; ++i) x[i] = float_to_bfloat16(bfloat16_to_float(x[i]) / size);
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    for (int64_t i = 0; i < n; ++i) {
      const T q = static_cast<T>(x[i] / size);
      x[i] = (q * size != x[i] && x[i] < 0) ? static_cast<T>(q - 1) : q;
    }
  } else if constexpr (std::is_integral_v<T>) {
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<T>(x[i] / static_cast<uint64_t>(size));
  } else {
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<T>(x[i] / static_cast<T>(size));
  }
}

// An allreduce of N tensors of one dtype, as the communicator runs it: what the ranks must
// agree on, the data sent, and where the sum (or mean) lands.
struct Reduction {
  std::string op;  // the node's name, for errors
  DType dtype;
  bool average;
  int64_t signature;        // hash of the dtype and shapes
  std::string description;  // "float32 tensors of shapes [2] [3]", for errors
  std::vector<Shape> shapes;
  std::vector<int64_t> offsets;  // each tensor's first element in `data`
  int64_t count = 0;             // elements reduced, the padding between tensors included
  const char* send = nullptr;    // null: reduced in place in `data`
  char* data = nullptr;
  std::shared_ptr<Buffer> buffer;  // owns `data` when the tensors were packed
};

// The reduction of ctx's inputs: into `output` when given and there is one input (it is read
// in place, reduced straight into `output`); else packed at 64-byte aligned offsets (the
// kernels' alignment, for views of the result) into a fusion buffer of its own.
Status make_reduction(const KernelContext& ctx, Tensor* output, Reduction* r) {
  const int n = ctx.num_inputs();
  r->op = ctx.graph_node().name;
  r->dtype = ctx.input(0).dtype();
  r->average = ctx.attrs().get<bool>("average");
  const size_t element = dtype_size(r->dtype);
  std::vector<int64_t> words = {static_cast<int64_t>(r->dtype), n};
  r->description = std::string(dtype_name(r->dtype)) + " tensors of shapes";
  for (int i = 0; i < n; ++i) {
    const Tensor& t = ctx.input(i);
    append_shape(t.shape(), 0, &words);
    r->description += " " + t.shape().to_string();
    r->shapes.push_back(t.shape());
    r->offsets.push_back(r->count);
    const int64_t bytes = static_cast<int64_t>(t.num_bytes());
    r->count += (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment / element;
  }
  r->signature = hash_words(words);
  if (output && n == 1) {
    r->count = ctx.input(0).num_elements();
    r->send = static_cast<const char*>(ctx.input(0).raw_data());
    r->data = static_cast<char*>(output->raw_data());
    return Status::OK();
  }
  const size_t total = static_cast<size_t>(r->count) * element;
  r->buffer = fusion_buffer(total);
  if (!r->buffer) {
    return resource_exhausted("collective op '" + r->op + "': out of memory allocating a "
                              "fusion buffer of " + std::to_string(total) + " bytes");
  }
  r->data = static_cast<char*>(r->buffer->data());
  std::memset(r->data, 0, total);  // the padding too: it is summed with the rest
  for (int i = 0; i < n; ++i) {
    const Tensor& t = ctx.input(i);
    if (t.num_bytes() > 0) {
      std::memcpy(r->data + r->offsets[i] * element, t.raw_data(), t.num_bytes());
    }
  }
  return Status::OK();
}

// out = the sum of the n elements every rank posted in the exchange's last round, in rank
// order (so every rank gets the same bits).
template <typename T>
void sum_posted(const SharedExchange& shared, int64_t n, T* out) {
  auto posted = [&](int r) { return reinterpret_cast<const T*>(shared.data(r)); };
  if (shared.size() == 1) {
    std::copy(posted(0), posted(0) + n, out);
    return;
  }
  const T *a = posted(0), *b = posted(1);
  for (int64_t i = 0; i < n; ++i) out[i] = add(a[i], b[i]);
  for (int r = 2; r < shared.size(); ++r) {
    const T* x = posted(r);
    for (int64_t i = 0; i < n; ++i) out[i] = add(out[i], x[i]);
  }
}

// Runs on the communicator. On one node, the headers travel through the shared window, and
// with them the data when it fits: each rank sums all the ranks' data itself. Else (and for
// larger data) MPI_Allreduce reduces it.
Status reduce(const Reduction& r) {
  int rank, size;
  world(&rank, &size);
  const Header mine{r.signature, r.count, 0};
  auto describe = [&] { return r.description; };
  const size_t element = dtype_size(r.dtype);
  const size_t bytes = static_cast<size_t>(r.count) * element;
  bool summed = false;
  if (SharedExchange* shared = collective_state().communicator.shared_exchange()) {
    const bool in_window = bytes <= shared->capacity();
    shared->exchange(mine, in_window ? (r.send ? r.send : r.data) : nullptr,
                     in_window ? bytes : 0);
    std::vector<Header> headers(size);
    for (int i = 0; i < size; ++i) headers[i] = shared->header(i);
    TL_RETURN_IF_ERROR(check_headers(r.op, mine, rank, headers, describe));
    if (in_window) {
      TL_RETURN_IF_ERROR(dispatch(ReducibleTypes{}, r.dtype, "MpiAllreduce", [&](auto tag) {
        using T = typename decltype(tag)::type;
        sum_posted(*shared, r.count, reinterpret_cast<T*>(r.data));
      }));
      summed = true;
    }
  } else {
    std::vector<Header> headers;
    TL_RETURN_IF_ERROR(exchange_headers(r.op, mine, rank, size, describe, &headers));
  }
  if (!summed) {
    MPI_Op op;
    TL_RETURN_IF_ERROR(sum_op(r.op, r.dtype, &op));
    for (int64_t done = 0; done < r.count; done += kMaxCount) {
      const int count = static_cast<int>(std::min(kMaxCount, r.count - done));
      TL_RETURN_IF_ERROR(mpi_status(
          r.op, "MPI_Allreduce",
          MPI_Allreduce(r.send ? r.send + done * element : MPI_IN_PLACE, r.data + done * element,
                        count, mpi_datatype(r.dtype), op, MPI_COMM_WORLD)));
    }
  }
  if (!r.average) return Status::OK();
  return dispatch(ReducibleTypes{}, r.dtype, "MpiAllreduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    divide_by(reinterpret_cast<T*>(r.data), r.count, size);
  });
}

Status allreduce_compute(KernelContext& ctx) {
  TL_RETURN_IF_ERROR(check_mpi_ready(ctx));
  Reduction r;
  TL_RETURN_IF_ERROR(make_reduction(ctx, &ctx.output(0), &r));
  TL_RETURN_IF_ERROR(collective_state().communicator.run([&] { return reduce(r); }));
  if (!r.buffer) return Status::OK();  // reduced into the output
  const size_t element = dtype_size(r.dtype);
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    Tensor& out = ctx.output(i);
    if (out.num_bytes() > 0) {
      std::memcpy(out.raw_data(), r.data + r.offsets[i] * element, out.num_bytes());
    }
  }
  return Status::OK();
}

// A started reduction, found by its handle's value while its handle (Start's output) lives.
struct InFlight {
  int64_t handle = 0;  // Start's output shows this value
  std::shared_ptr<Reduction> reduction;
  std::shared_ptr<Task> task;

  ~InFlight() {
    CollectiveState& state = collective_state();
    std::lock_guard<std::mutex> lock(state.mutex);
    state.in_flight.erase(handle);
  }
};

template <typename T>
void release_shared(void*, void* context) {
  delete static_cast<std::shared_ptr<T>*>(context);
}

// NOTE: the reduction owns all it reads and writes (its packed copy of the inputs), so a run
// that fails between Start and Wait leaves nothing that the reduction still uses: it completes
// on the communicator (the other ranks expect it) and goes with its handle.
Status allreduce_start_compute(KernelContext& ctx) {
  TL_RETURN_IF_ERROR(check_mpi_ready(ctx));
  auto flight = std::make_shared<InFlight>();
  flight->reduction = std::make_shared<Reduction>();
  TL_RETURN_IF_ERROR(make_reduction(ctx, nullptr, flight->reduction.get()));
  flight->task = std::make_shared<Task>(
      [reduction = flight->reduction] { return reduce(*reduction); });
  CollectiveState& state = collective_state();
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    flight->handle = state.next_handle++;
    state.in_flight.emplace(flight->handle, flight);
  }
  int64_t* handle = &flight->handle;
  ctx.output(0) = Tensor(DType::kInt64, Shape(),
                         Buffer::borrow(handle, sizeof *handle, &release_shared<InFlight>,
                                        new std::shared_ptr<InFlight>(flight)));
  return state.communicator.submit(flight->task);
}

Status allreduce_wait_compute(KernelContext& ctx) {
  const int64_t handle = *ctx.input(0).data<int64_t>();
  std::shared_ptr<InFlight> flight;
  {
    CollectiveState& state = collective_state();
    std::lock_guard<std::mutex> lock(state.mutex);
    auto it = state.in_flight.find(handle);
    if (it != state.in_flight.end()) flight = it->second.lock();
  }
  const int n = ctx.num_outputs();
  if (!flight || static_cast<int>(flight->reduction->shapes.size()) != n) {
    return invalid_argument("collective op '" + ctx.graph_node().name + "': handle " +
                            std::to_string(handle) + " names no reduction of " +
                            std::to_string(n) + " tensors in flight");
  }
  TL_RETURN_IF_ERROR(flight->task->wait(ctx.control()));
  const Reduction& r = *flight->reduction;
  const size_t element = dtype_size(r.dtype);
  for (int i = 0; i < n; ++i) {
    const Shape& shape = r.shapes[i];
    if (shape != ctx.input(i + 1).shape() || r.dtype != ctx.input(i + 1).dtype()) {
      return invalid_argument("collective op '" + ctx.graph_node().name + "': its tensor " +
                              std::to_string(i) + " is not the one its handle reduced");
    }
    // A view of the reduced buffer, which it keeps.
    ctx.output(i) = Tensor(r.dtype, shape,
                           Buffer::borrow(r.data + r.offsets[i] * element,
                                          static_cast<size_t>(shape.num_elements()) * element,
                                          &release_shared<Buffer>,
                                          new std::shared_ptr<Buffer>(r.buffer)));
  }
  return Status::OK();
}

// ---- MpiAllgather ----

Status allgather_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, kMaxRank));
  Shape out = ctx.input_shape(0);
  if (out.rank_known()) out.set_dim(0, kUnknownDim);  // known only when the ranks have spoken
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// Runs on the communicator.
Status allgather_on_communicator(KernelContext& ctx) {
  int rank, size;
  world(&rank, &size);
  const Tensor& x = ctx.input(0);
  const bool strings = x.dtype() == DType::kString;
  std::vector<int64_t> words = {static_cast<int64_t>(x.dtype())};
  append_shape(x.shape(), 1, &words);
  const std::vector<char> serialized = strings ? serialize_strings(x) : std::vector<char>();
  const int64_t bytes = strings ? static_cast<int64_t>(serialized.size())
                                : static_cast<int64_t>(x.num_bytes());
  std::vector<Header> headers;
  TL_RETURN_IF_ERROR(exchange_headers(ctx.graph_node().name,
                                      Header{hash_words(words), x.shape().dim(0), bytes}, rank,
                                      size, [&] { return dtype_and_shape(x); }, &headers));
  std::vector<int> counts(size), offsets(size);
  int64_t rows = 0, offset = 0;
  for (int r = 0; r < size; ++r) {
    if (headers[r].bytes > INT32_MAX || offset > INT32_MAX) {
      return unimplemented("collective op '" + ctx.graph_node().name +
                           "' gathers at most 2 GiB per rank and in all");
    }
    counts[r] = static_cast<int>(headers[r].bytes);
    offsets[r] = static_cast<int>(offset);
    offset += headers[r].bytes;
    rows += headers[r].count;
  }
  Shape shape = x.shape();
  shape.set_dim(0, rows);
  TL_RETURN_IF_ERROR(Tensor::allocate(x.dtype(), shape, &ctx.output(0)));
  if (!strings) {
    return mpi_status(ctx.graph_node().name, "MPI_Allgatherv",
                      MPI_Allgatherv(x.raw_data(), counts[rank], MPI_BYTE,
                                     ctx.output(0).raw_data(), counts.data(), offsets.data(),
                                     MPI_BYTE, MPI_COMM_WORLD));
  }
  std::vector<char> gathered(offset);
  TL_RETURN_IF_ERROR(mpi_status(
      ctx.graph_node().name, "MPI_Allgatherv",
      MPI_Allgatherv(serialized.data(), counts[rank], MPI_BYTE, gathered.data(), counts.data(),
                     offsets.data(), MPI_BYTE, MPI_COMM_WORLD)));
  const int64_t per_row = rows > 0 ? shape.num_elements() / rows : 0;
  std::string* out = ctx.output(0).data<std::string>();
  for (int r = 0; r < size; ++r) {
    const int64_t n = headers[r].count * per_row;
    deserialize_strings(gathered.data() + offsets[r], n, out);
    out += n;
  }
  return Status::OK();
}

// ---- MpiBroadcast ----

Status broadcast_shape(InferenceContext& ctx) {
  if (ctx.attrs().get<int64_t>("root_rank") < 0) {
    return shape_error(ctx, "MpiBroadcast needs root_rank >= 0");
  }
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

// Runs on the communicator.
Status broadcast_on_communicator(KernelContext& ctx) {
  int rank, size;
  world(&rank, &size);
  const int64_t root = ctx.attrs().get<int64_t>("root_rank");
  if (root >= size) {
    return invalid_argument("collective op '" + ctx.graph_node().name + "': root_rank " +
                            std::to_string(root) + " is not a rank of this job of " +
                            std::to_string(size) + " processes");
  }
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  const bool strings = x.dtype() == DType::kString;
  std::vector<int64_t> words = {static_cast<int64_t>(x.dtype())};
  append_shape(x.shape(), 0, &words);
  std::vector<char> payload = strings && rank == root ? serialize_strings(x) : std::vector<char>();
  std::vector<Header> headers;
  TL_RETURN_IF_ERROR(exchange_headers(
      ctx.graph_node().name,
      Header{hash_words(words), 0, static_cast<int64_t>(payload.size())}, rank, size,
      [&] { return dtype_and_shape(x); }, &headers));
  char* data;
  int64_t bytes;
  if (strings) {
    payload.resize(headers[root].bytes);
    data = payload.data();
    bytes = headers[root].bytes;
  } else {
    data = static_cast<char*>(y.raw_data());
    bytes = static_cast<int64_t>(x.num_bytes());
    if (rank == root && bytes > 0) std::memcpy(data, x.raw_data(), bytes);
  }
  for (int64_t done = 0; done < bytes; done += kMaxCount) {
    const int count = static_cast<int>(std::min(kMaxCount, bytes - done));
    TL_RETURN_IF_ERROR(mpi_status(
        ctx.graph_node().name, "MPI_Bcast",
        MPI_Bcast(data + done, count, MPI_BYTE, static_cast<int>(root), MPI_COMM_WORLD)));
  }
  if (strings) deserialize_strings(payload.data(), y.num_elements(), y.data<std::string>());
  return Status::OK();
}

Status allgather_compute(KernelContext& ctx) {
  TL_RETURN_IF_ERROR(check_mpi_ready(ctx));
  return collective_state().communicator.run([&] { return allgather_on_communicator(ctx); });
}

Status broadcast_compute(KernelContext& ctx) {
  TL_RETURN_IF_ERROR(check_mpi_ready(ctx));
  return collective_state().communicator.run([&] { return broadcast_on_communicator(ctx); });
}

}  // namespace
}  // namespace tl

// NOTE: stateful: a collective's result depends on the other processes, so it must never be
// cached, folded into a constant or pruned as a duplicate of another node.
TL_OP_LIBRARY(lib) {
  lib.add(tl::OpDef("MpiAllreduce")
              .variadic_input("tensors")
              .attr("N", tl::AttrType::kInt)
              .attr("average", tl::AttrType::kBool, false)
              .outputs_from_attr("N")
              .stateful()
              .shape(tl::allreduce_shape));
  lib.add(tl::KernelDef("MpiAllreduce", tl::Device::kCPU).compute(tl::allreduce_compute));
  lib.add(tl::OpDef("MpiAllreduceStart")
              .variadic_input("tensors")
              .attr("N", tl::AttrType::kInt)
              .attr("average", tl::AttrType::kBool, false)
              .stateful()
              .scheduled_early()
              .sets_own_outputs()
              .shape(tl::allreduce_start_shape));
  lib.add(tl::KernelDef("MpiAllreduceStart", tl::Device::kCPU)
              .compute(tl::allreduce_start_compute));
  lib.add(tl::OpDef("MpiAllreduceWait")
              .input("handle")
              .variadic_input("tensors")
              .attr("N", tl::AttrType::kInt)
              .outputs_from_attr("N")
              .stateful()
              .sets_own_outputs()
              .shape(tl::allreduce_wait_shape));
  lib.add(tl::KernelDef("MpiAllreduceWait", tl::Device::kCPU)
              .compute(tl::allreduce_wait_compute));
  lib.add(tl::OpDef("MpiAllgather").input("tensor").stateful().shape(tl::allgather_shape)
              .sets_own_outputs());
  lib.add(tl::KernelDef("MpiAllgather", tl::Device::kCPU).compute(tl::allgather_compute));
  lib.add(tl::OpDef("MpiBroadcast")
              .input("tensor")
              .attr("root_rank", tl::AttrType::kInt, int64_t{0})
              .stateful()
              .shape(tl::broadcast_shape));
  lib.add(tl::KernelDef("MpiBroadcast", tl::Device::kCPU).compute(tl::broadcast_compute));
}
