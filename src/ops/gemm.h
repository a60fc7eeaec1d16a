// General matrix multiply for the CPU kernels (MatMul, BatchMatMulV2, convolutions).
//
// C = op(A) op(B), row-major with leading dimensions, packed and cache-blocked, split over the
// session's threads, with an AVX2+FMA register-blocked micro-kernel picked at run time (a
// portable one elsewhere; 8x48 AVX-512 tiles where the CPU has it). No BLAS.
//
//   // C (m x n) = A (m x k) * B^T, where B is stored n x k.
//   gemm<float>(ctx, false, true, m, n, k, a, k, b, k, c, n, /*accumulate=*/false);
//
// Called from inside a parallel_for chunk, it runs on that chunk's thread alone.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>

#include "tensorlib/kernel.h"
#include "tensorlib/tensor.h"

namespace tl {

// C = op(A) op(B), or C += op(A) op(B) when `accumulate`. op(A) is m x k with A(i, p) at
// a[i * lda + p], or at a[p * lda + i] when trans_a; op(B) is k x n with B(p, j) at
// b[p * ldb + j], or at b[j * ldb + p] when trans_b; C(i, j) is at c[i * ldc + j]. Without
// `accumulate` C is only written (it may hold garbage). Defined for float, double, int32_t
// and int64_t.
// The micro-kernels of the packed path. kAuto: the widest the CPU runs. kAvx512Layout: the
// AVX-512 tile (8 x 48 floats) computed with AVX2 vectors, to test that blocking anywhere.
enum class GemmKernel { kAuto, kGeneric, kAvx2, kAvx512, kAvx512Layout };

// Picks the micro-kernel of every later gemm call in the process (tests, benchmarks).
// InvalidArgument when the CPU cannot run it.
Status set_gemm_kernel(GemmKernel kernel);
// The micro-kernel gemm uses now (never kAuto).
GemmKernel gemm_kernel();
// The float lanes of the vectors of that micro-kernel's ISA (0: none). The vector paths of
// other kernels (direct convolution, pooling) follow it, so that tests can force each width.
int float_lanes_in_use();

template <typename T>
void gemm(KernelContext& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
          const T* a, int64_t lda, const T* b, int64_t ldb, T* c, int64_t ldc, bool accumulate);

// op(B) (k x n) packed once in the micro-kernel's layout, for many products with the same B
// (a convolution's filter, multiplied by block after block of patches): gemm packs B again
// for every call. Made by pack_gemm_b, used by gemm_packed; float and double.
template <typename T>
struct PackedGemmB {
  GemmKernel kernel = GemmKernel::kAuto;  // the micro-kernel whose layout `data` is in
  int64_t k = 0, n = 0;
  std::shared_ptr<Buffer> data;
};

// Packs op(B) (b as in gemm), in parallel over ctx's threads: a KernelContext's while a kernel
// runs, a PrepareContext's (the building thread) when a plan is built. ResourceExhausted when
// out of memory.
template <typename T, typename Context>
Status pack_gemm_b(Context& ctx, bool trans_b, int64_t k, int64_t n, const T* b, int64_t ldb,
                   PackedGemmB<T>* out);

// True when gemm(m, n, k) packs B (enough rows, not a tiny product) for floating types: where
// multiplying by a B packed ahead (gemm_packed) saves gemm's packing and gives its bits.
bool gemm_packs_b(int64_t m, int64_t n, int64_t k);

// A kernel's state (kernel.h) holding a constant B packed when the plan was built: MatMul's
// weights, Conv2D's filter.
struct PackedWeights : KernelState {
  PackedGemmB<float> f32;
  PackedGemmB<double> f64;

  // B packed for T, when it is in the layout of the micro-kernel in use now (set_gemm_kernel
  // may have changed it since); else null.
  template <typename T>
  const PackedGemmB<T>* find() const {
    const PackedGemmB<T>* p;
    if constexpr (std::is_same_v<T, float>) {
      p = &f32;
    } else {
      p = &f64;
    }
    return p->data && p->kernel == gemm_kernel() ? p : nullptr;
  }
};

// Packs constant `b` (op(B) is k x n, as in gemm with ldb = trans_b ? k : n) into a
// PackedWeights state; no state for a dtype other than float and double.
Status pack_weights(PrepareContext& ctx, bool trans_b, int64_t k, int64_t n, const Tensor& b,
                    std::unique_ptr<KernelState>* state);

// A kernel's state for a B that a loop captured (a recurrent cell's weights): packed on the
// first iteration of each run of the loop, then reused by the others. Shared by runs that
// overlap, so it is guarded.
class LoopPackedB : public KernelState {
 public:
  // op(B) packed, when the kernel runs inside a loop for which input `input` (b) is
  // loop-invariant and gemm(m, n, k) would pack it; else null (multiply with gemm).
  template <typename T>
  std::shared_ptr<const PackedGemmB<T>> get(KernelContext& ctx, int input, bool trans_b,
                                            int64_t m, int64_t n, int64_t k, const T* b) const;

 private:
  mutable std::mutex mutex_;
  mutable uint64_t epoch_ = 0;
  mutable const void* source_ = nullptr;
  mutable std::shared_ptr<const void> packed_;  // a PackedGemmB<T>
};

// A prepare step that gives the kernel a LoopPackedB per product it may cache (`count`).
template <int kCount>
Status prepare_loop_packed_b(PrepareContext&, std::unique_ptr<KernelState>* state);

// The kernel's i-th LoopPackedB (made by prepare_loop_packed_b).
const LoopPackedB& loop_packed_b(const KernelContext& ctx, int i);

// C (m x b.n) = or += op(A) B: the product gemm's packed path computes (gemm's results, bit
// for bit, where it packs: m >= 6 rows).
template <typename T>
void gemm_packed(KernelContext& ctx, bool trans_a, int64_t m, const T* a, int64_t lda,
                 const PackedGemmB<T>& b, T* c, int64_t ldc, bool accumulate);

}  // namespace tl
