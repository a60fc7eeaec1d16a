// Collective ops over MPI: the op library libtensorlib_mpi.so, built when an MPI is found and
// loaded by tensorlib.distribute (Python) after mpi4py has initialised MPI.
//
//   MpiAllreduce(tensors: N of one dtype; average: bool) -> N tensors, each the elementwise sum
//       (or mean) over the ranks. The N inputs are packed into one buffer and reduced by one
//       MPI_Allreduce: Horovod's tensor fusion.
//   MpiAllgather(tensor; rank >= 1) -> the ranks' tensors concatenated along dimension 0, in
//       rank order (the ranks may differ in dimension 0 only).
//   MpiBroadcast(tensor; root_rank: int) -> root_rank's tensor, on every rank.
//
// Every kernel first exchanges a small header (MPI_Allgather of a few int64 per rank) that
// describes each rank's tensors, so that ranks that disagree on dtypes or shapes all fail with
// the same error instead of corrupting memory or hanging in the data transfer.
//
// The kernels call MPI on MPI_COMM_WORLD from the thread that runs the session (the GIL is
// released there). NOTE: MPI needs every rank to issue the same collectives in the same order.
// The executor runs a plan's steps one at a time in node-id order (executor.cc), so the
// collectives of one Session.run are issued in the order the graph was built, the same on
// every rank that built the same graph; the mutex below keeps collectives of sessions run from
// several threads from interleaving inside one process.
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "ops/kernel_util.h"
#include "ops/shape_fns.h"
#include "tensorlib/graph.h"
#include "tensorlib/op_library.h"

namespace tl {
namespace {

// The most elements (or bytes) one MPI call moves: MPI counts are int.
constexpr int64_t kMaxCount = int64_t{1} << 30;

// What every rank sends before the data: enough for all ranks to agree on what moves.
struct Header {
  int64_t signature;  // hash of the dtype and the shapes that must match on every rank
  int64_t count;      // elements to reduce, or rows (dimension 0) to gather
  int64_t bytes;      // serialised size of string data, else 0
};

struct CollectiveState {
  std::mutex mutex;            // one collective at a time in this process
  std::vector<char> fusion;    // MpiAllreduce's packing buffer, grown as needed, reused
  MPI_Op half_sum = MPI_OP_NULL;
  MPI_Op bfloat16_sum = MPI_OP_NULL;
};

// NOTE: never destroyed, like the op registry: kernels may run while the process exits.
CollectiveState& collective_state() {
  static auto* state = new CollectiveState();
  return *state;
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

Status mpi_status(const KernelContext& ctx, const char* call, int code) {
  if (code == MPI_SUCCESS) return Status::OK();
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return internal_error("collective op '" + ctx.graph_node().name + "': " + call +
                        " failed: " + std::string(text, length));
}

Status check_mpi_ready(const KernelContext& ctx, int* rank, int* size) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) {
    return failed_precondition("collective op '" + ctx.graph_node().name +
                               "' runs only between hvd.init() and the end of MPI: call "
                               "tensorlib.distribute.init() first");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  return Status::OK();
}

// Every rank's header; fails on every rank alike when the signatures differ. describe() says
// what this rank passed, for the error message.
template <typename Describe>
Status exchange_headers(const KernelContext& ctx, const Header& mine, int rank, int size,
                        Describe describe, std::vector<Header>* all) {
  all->resize(size);
  TL_RETURN_IF_ERROR(mpi_status(ctx, "MPI_Allgather",
                                MPI_Allgather(&mine, 3, MPI_INT64_T, all->data(), 3, MPI_INT64_T,
                                              MPI_COMM_WORLD)));
  for (int r = 0; r < size; ++r) {
    if ((*all)[r].signature != mine.signature) {
      return invalid_argument("collective op '" + ctx.graph_node().name + "': ranks " +
                              std::to_string(std::min(r, rank)) + " and " +
                              std::to_string(std::max(r, rank)) +
                              " passed tensors of different dtypes or shapes (this rank, " +
                              std::to_string(rank) + ", has " + describe() + ")");
    }
  }
  return Status::OK();
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

// MPI has no 16-bit floats: their sums are user-defined ops, summing in float32.
template <typename T, float (*to_float)(T), T (*from_float)(float)>
void sum_16bit(void* in, void* inout, int* count, MPI_Datatype*) {
  const T* a = static_cast<const T*>(in);
  T* b = static_cast<T*>(inout);
  for (int i = 0; i < *count; ++i) b[i] = from_float(to_float(a[i]) + to_float(b[i]));
}

Status sum_op(const KernelContext& ctx, DType t, MPI_Op* op) {
  CollectiveState& state = collective_state();
  MPI_Op* made = t == DType::kFloat16 ? &state.half_sum
                 : t == DType::kBFloat16 ? &state.bfloat16_sum : nullptr;
  if (!made) return *op = MPI_SUM, Status::OK();
  if (*made == MPI_OP_NULL) {
    MPI_User_function* fn = t == DType::kFloat16
        ? &sum_16bit<Half, half_to_float, float_to_half>
        : &sum_16bit<BFloat16, bfloat16_to_float, float_to_bfloat16>;
    TL_RETURN_IF_ERROR(mpi_status(ctx, "MPI_Op_create", MPI_Op_create(fn, 1, made)));
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

// ---- MpiAllreduce ----

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

Status allreduce_compute(KernelContext& ctx) {
  int rank, size;
  TL_RETURN_IF_ERROR(check_mpi_ready(ctx, &rank, &size));
  const DType dtype = ctx.input(0).dtype();
  const size_t element = dtype_size(dtype);
  std::vector<int64_t> words = {static_cast<int64_t>(dtype), ctx.num_inputs()};
  int64_t total = 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    append_shape(ctx.input(i).shape(), 0, &words);
    total += ctx.input(i).num_elements();
  }
  auto describe = [&] {
    std::string what = std::string(dtype_name(dtype)) + " tensors of shapes";
    for (int i = 0; i < ctx.num_inputs(); ++i) what += " " + ctx.input(i).shape().to_string();
    return what;
  };
  CollectiveState& state = collective_state();
  std::lock_guard<std::mutex> lock(state.mutex);
  std::vector<Header> headers;
  TL_RETURN_IF_ERROR(
      exchange_headers(ctx, Header{hash_words(words), total, 0}, rank, size, describe, &headers));
  MPI_Op op;
  TL_RETURN_IF_ERROR(sum_op(ctx, dtype, &op));

  // One input is reduced straight into its output; several are packed into the fusion buffer
  // and reduced there in place.
  const bool fused = ctx.num_inputs() > 1;
  char* data = static_cast<char*>(ctx.output(0).raw_data());
  if (fused) {
    if (state.fusion.size() < total * element) state.fusion.resize(total * element);
    data = state.fusion.data();
    size_t offset = 0;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const size_t bytes = ctx.input(i).num_bytes();
      if (bytes > 0) std::memcpy(data + offset, ctx.input(i).raw_data(), bytes);
      offset += bytes;
    }
  }
  for (int64_t done = 0; done < total; done += kMaxCount) {
    const int count = static_cast<int>(std::min(kMaxCount, total - done));
    TL_RETURN_IF_ERROR(mpi_status(
        ctx, "MPI_Allreduce",
        MPI_Allreduce(fused ? MPI_IN_PLACE : static_cast<char*>(ctx.input(0).raw_data()) +
                                                  done * element,
                      data + done * element, count, mpi_datatype(dtype), op, MPI_COMM_WORLD)));
  }
  const bool average = ctx.attrs().get<bool>("average");
  return dispatch(ReducibleTypes{}, dtype, "MpiAllreduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* reduced = reinterpret_cast<const T*>(data);
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      T* out = ctx.output(i).template data<T>();
      const int64_t n = ctx.output(i).num_elements();
      if (out != reduced) std::copy(reduced, reduced + n, out);
      if (average) divide_by(out, n, size);
      reduced += n;
    }
  });
}

// ---- MpiAllgather ----

Status allgather_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 1, kMaxRank));
  Shape out = ctx.input_shape(0);
  if (out.rank_known()) out.set_dim(0, kUnknownDim);  // known only when the ranks have spoken
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status allgather_compute(KernelContext& ctx) {
  int rank, size;
  TL_RETURN_IF_ERROR(check_mpi_ready(ctx, &rank, &size));
  const Tensor& x = ctx.input(0);
  const bool strings = x.dtype() == DType::kString;
  std::vector<int64_t> words = {static_cast<int64_t>(x.dtype())};
  append_shape(x.shape(), 1, &words);
  const std::vector<char> serialized = strings ? serialize_strings(x) : std::vector<char>();
  const int64_t bytes = strings ? static_cast<int64_t>(serialized.size())
                                : static_cast<int64_t>(x.num_bytes());
  std::lock_guard<std::mutex> lock(collective_state().mutex);
  std::vector<Header> headers;
  TL_RETURN_IF_ERROR(exchange_headers(ctx, Header{hash_words(words), x.shape().dim(0), bytes},
                                      rank, size, [&] { return dtype_and_shape(x); }, &headers));
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
    return mpi_status(ctx, "MPI_Allgatherv",
                      MPI_Allgatherv(x.raw_data(), counts[rank], MPI_BYTE,
                                     ctx.output(0).raw_data(), counts.data(), offsets.data(),
                                     MPI_BYTE, MPI_COMM_WORLD));
  }
  std::vector<char> gathered(offset);
  TL_RETURN_IF_ERROR(mpi_status(
      ctx, "MPI_Allgatherv",
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

Status broadcast_compute(KernelContext& ctx) {
  int rank, size;
  TL_RETURN_IF_ERROR(check_mpi_ready(ctx, &rank, &size));
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
  std::lock_guard<std::mutex> lock(collective_state().mutex);
  std::vector<Header> headers;
  TL_RETURN_IF_ERROR(exchange_headers(
      ctx, Header{hash_words(words), 0, static_cast<int64_t>(payload.size())}, rank, size,
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
        ctx, "MPI_Bcast",
        MPI_Bcast(data + done, count, MPI_BYTE, static_cast<int>(root), MPI_COMM_WORLD)));
  }
  if (strings) deserialize_strings(payload.data(), y.num_elements(), y.data<std::string>());
  return Status::OK();
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
