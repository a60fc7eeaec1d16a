// The exchange of small messages between the ranks of a job that runs on one node, through a
// window of memory they share (MPI_Win_allocate_shared) instead of MPI's messages.
//
// Every rank owns two slots in the window (one per parity of the exchange's sequence number),
// each a header, then room for `capacity()` bytes of data. An exchange posts this rank's header
// and data into its slot of the round's parity and publishes the round's number; then it waits
// until every rank has published that number, and every slot of the round can be read until
// the next exchange but one. Two parities are enough: a rank starts round s + 2 (and overwrites
// its slot of round s) only after every rank has published round s + 1, which each does only
// after it has finished reading round s.
//
// A small allreduce then costs one write of its data, one wait and the reads of the sum, where
// MPI takes a few messages each way; the header that makes mismatched ranks fail alike (see
// collective_ops.cc) rides in the same round at no extra cost.
#ifndef TENSORLIB_MPI_SHARED_EXCHANGE_H_
#define TENSORLIB_MPI_SHARED_EXCHANGE_H_

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tl {

// What every rank sends before the data of a collective: enough for all ranks to agree on
// what moves.
struct Header {
  int64_t signature;  // hash of the dtype and the shapes that must match on every rank
  int64_t count;      // elements to reduce, or rows (dimension 0) to gather
  int64_t bytes;      // serialised size of string data, else 0
};

class SharedExchange {
 public:
  // Collective over MPI_COMM_WORLD (every rank calls it, at the same point of its sequence of
  // collectives). Null on every rank alike when the ranks span several nodes, when
  // TENSORLIB_MPI_SHARED_MEMORY=0 (which must then be set for every rank), or when MPI cannot
  // share memory.
  static std::unique_ptr<SharedExchange> create();
  // Collective over the ranks, like create(): every rank frees the window at MPI_Finalize.
  ~SharedExchange();

  SharedExchange(const SharedExchange&) = delete;
  SharedExchange& operator=(const SharedExchange&) = delete;

  // Bytes of data one rank may post in one round.
  size_t capacity() const { return capacity_; }
  int size() const { return static_cast<int>(slots_.size()); }

  // One round: posts `header` and the `bytes` at `data` (bytes <= capacity(); none when data is
  // null), then waits for every rank's.
  void exchange(const Header& header, const void* data, size_t bytes);
  // What rank r posted in the last round.
  const Header& header(int r) const;
  const char* data(int r) const;

 private:
  struct Slot;
  SharedExchange(MPI_Comm node, MPI_Win window, size_t capacity, std::vector<char*> segments);
  Slot* slot(int r, int64_t round) const;

  MPI_Comm node_;
  MPI_Win window_;
  size_t capacity_;
  std::vector<char*> slots_;  // each rank's segment: its two slots
  int rank_;
  int64_t round_ = 0;  // the last round posted; round 0 is none
};

}  // namespace tl

#endif  // TENSORLIB_MPI_SHARED_EXCHANGE_H_
