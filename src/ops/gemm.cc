// Packed, blocked GEMM (the BLIS loop order) with a register-blocked micro-kernel.
//
// k is cut into slabs (at most kKc deep) and the columns of C into panels (at most kNc wide).
// For each slab and panel, the panel of op(B) is packed once into kNr-wide slivers shared by
// all threads; then tasks of (block of rows, group of slivers) run in parallel, each packing its
// kMc-row block of op(A) into kMr-tall slivers that stay in L2 while each sliver of B sits in
// L1 and the micro-kernel keeps a kMr x kNr tile of C in registers. When op(A) is a single
// block of rows, each task packs the slivers of B it alone uses instead (gemm_few_rows).
// Products of few slivers of B, whose packed A would serve too few of them to pay, read
// op(A)'s rows where they lie (reads_a_unpacked, StridedA). While a micro-tile runs it
// fetches into L2 its share of what comes next from memory: the next sliver of B, or the next
// block of B its task will pack (Fetch, FetchRegion).
//
// Micro-kernels: 6 x 16 floats on AVX2 (Avx2Kernel), 8 x 48 or 12 x 32 on AVX-512 as the
// product's width suits (Avx512Kernel, its tile loop shared with Avx512LayoutKernel, the same
// tile in pairs of AVX2 vectors, so that the AVX-512 blocking is tested on any AVX2 machine),
// and a portable one.
//
// Floating products with fewer rows than the AVX2 micro-tile (batch-1 inference), or up to 8
// rows with a B that fits L2, and rows of B contiguous skip packing: FewRowsKernel reads B in
// place, a few rows by a few vectors of C in registers, the columns split over threads.
#include "ops/gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "ops/cpu_features.h"
#include "ops/simd_vec.h"
#include "tensorlib/device.h"

namespace tl {
namespace {

// Below this many multiply-adds a plain loop beats packing.
constexpr int64_t kTinyMadds = 32768;
// Multiply-adds per parallel task, so that small products run on one thread; likewise the
// elements of B packed per task.
constexpr int64_t kTaskMadds = 1 << 18;
constexpr int64_t kPackElements = 1 << 14;
// Below this many rows of C (the AVX2 micro-tile's height), with rows of B contiguous, floating
// products read B in place instead of packing it; their tasks hold at least kFewRowsTaskMadds
// multiply-adds (a few microseconds: less is not worth handing to another thread).
constexpr int64_t kFewRows = 6;
// Up to kInPlaceRows rows they read B in place too while B holds at most kInPlaceBValues
// values (fits L2): 6-8 rows by 784x256 took 0.46-0.57x the time of packing B on one thread
// and 0.61-0.77x on two, by 512x512 0.78x and 0.91x, 1024x256 0.76x and 0.97x; larger B
// gains less and loses from 2 MB on (1024x512 1.00x, 512x1000 1.05x, 3136x1024 1.17-1.55x:
// read from memory a page a step by tiles one vector wide) (Ice Lake).
constexpr int64_t kInPlaceRows = 8;
constexpr int64_t kInPlaceBValues = int64_t{1} << 18;
bool reads_b_in_place(int64_t m, int64_t n, int64_t k) {
  return m < kFewRows || (m <= kInPlaceRows && n * k <= kInPlaceBValues);
}
constexpr int64_t kFewRowsTaskMadds = 1 << 16;
// Deepest slab of k (k is cut into slabs of equal depth; a kernel may set its own kKc), and
// bytes of the packed block of A that should stay in L2 (likewise).
constexpr int64_t kKc = 256;
constexpr int64_t kABlockBytes = 144 * 1024;
// Widest panel of B packed at once (a multiple of every kNr: 8, 16, 24, 32, 48); it lives in
// L3.
constexpr int64_t kNc = 4032;
// Bytes of the block of B one task of a product of few rows packs at a time, at most: it stays
// in L2 beside the next one, fetched meanwhile.
constexpr int64_t kFewRowsBlockBytes = 256 * 1024;

// A strided matrix: element (r, q) at p[r * rs + q * ps].
template <typename T>
struct View {
  const T* p;
  int64_t rs, ps;
  const T& at(int64_t r, int64_t q) const { return p[r * rs + q * ps]; }
};

// A 64-byte-aligned buffer of at least n elements, one per thread and slot, kept and grown.
// Slots: 0 packed B (a shared panel, or a few-rows task's blocks) or a turned-around
// product's held sums, 1 packed A (transposed for a turned-around product), 2 a thread's own
// panel of B (SlabOfB).
template <typename T>
T* thread_buffer(int slot, int64_t n) {
  struct Buffer {
    void* data = nullptr;
    size_t bytes = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffers[3];
  Buffer& b = buffers[slot];
  const size_t need = (static_cast<size_t>(n) * sizeof(T) + 63) / 64 * 64;
  if (b.bytes < need) {
    std::free(b.data);
    b.data = std::aligned_alloc(64, need);
    b.bytes = need;
  }
  return static_cast<T*>(b.data);
}

// Whether pack copies a narrow sliver's contiguous rows in vectors of Vec (none: void): where
// whole ones make its width.
template <int kWidth, typename Vec>
constexpr bool copies_in_vectors() {
  if constexpr (std::is_void_v<Vec>) {
    return false;
  } else {
    return kWidth % Vec::kLanes == 0;
  }
}

// One step of a narrow sliver: its first w values from s, in vectors of Vec, zeros after them.
// Compiled only inside a function of Vec's target (pack_avx2, pack_avx512), so the ABI of the
// vectors GCC warns about while parsing never matters.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
template <int kWidth, typename Vec, typename T>
void copy_narrow(const T* s, int64_t w, T* d) {
  if constexpr (copies_in_vectors<kWidth, Vec>()) {
    constexpr int kL = Vec::kLanes;
    for (int v = 0; v < kWidth; v += kL) {
      const int64_t left = w - v;
      Vec::store(d + v, left >= kL ? Vec::load(s + v)
                        : left > 0 ? Vec::load_first(s + v, static_cast<int>(left))
                                   : Vec::zero());
    }
  }
}
#pragma GCC diagnostic pop

// Packs rows [0, rows) x cols [0, kc) of x into slivers of kWidth rows, each stored p-major
// (kWidth values per p), the last sliver zero-padded. A narrow last sliver whose rows are
// contiguous is copied in vectors of Vec where whole ones make its width (copy_narrow): the 32
// columns a thread of 64x3136x1024 has past its whole slivers took 21 cycles of the time-stamp
// counter a step this way, 30 a value at a time (Zen 4).
template <int kWidth, typename Vec = void, typename T>
void pack(View<T> x, int64_t rows, int64_t kc, T* dst) {
  if (x.rs == 1 && rows >= kWidth) {
    // Each p's values of all the whole slivers are contiguous: read them p after p, a run of
    // memory at a time (sliver after sliver, each p would start a new page of x). Each
    // sliver's values are one memcpy: as a loop of values the copy stayed scalar (the
    // compiler could not tell that source and destination never overlap); the squares
    // 512-1024 took 1.005-1.015x the time on two threads (Zen 4).
    const int64_t full = rows / kWidth;
    for (int64_t q = 0; q < kc; ++q) {
      const T* s = x.p + q * x.ps;
      T* d = dst + q * kWidth;
      for (int64_t f = 0; f < full; ++f, s += kWidth, d += kWidth * kc) {
        std::memcpy(d, s, sizeof(T) * kWidth);
      }
    }
    const int64_t done = full * kWidth;
    if (done == rows) return;
    x.p += done;
    rows -= done;
    dst += full * kWidth * kc;
  }
  for (int64_t r0 = 0; r0 < rows; r0 += kWidth, dst += kWidth * kc) {
    const int64_t w = std::min<int64_t>(kWidth, rows - r0);
    const T* src = x.p + r0 * x.rs;
    if (w == kWidth && x.rs == 1) {  // a sliver's values for one p are contiguous
      for (int64_t q = 0; q < kc; ++q) {
        std::memcpy(dst + q * kWidth, src + q * x.ps, sizeof(T) * kWidth);
      }
    } else if (w == kWidth && x.ps == 1) {  // each row of the sliver is contiguous
      const T* row[kWidth];
      for (int r = 0; r < kWidth; ++r) row[r] = src + r * x.rs;
      for (int64_t q = 0; q < kc; ++q) {
        for (int r = 0; r < kWidth; ++r) dst[q * kWidth + r] = row[r][q];
      }
    } else if (copies_in_vectors<kWidth, Vec>() && x.rs == 1) {
      for (int64_t q = 0; q < kc; ++q) {
        copy_narrow<kWidth, Vec>(src + q * x.ps, w, dst + q * kWidth);
      }
    } else {
      for (int64_t q = 0; q < kc; ++q) {
        int64_t r = 0;
        for (; r < w; ++r) dst[q * kWidth + r] = x.at(r0 + r, q);
        for (; r < kWidth; ++r) dst[q * kWidth + r] = T(0);
      }
    }
  }
}

// ---- micro-kernels: c (kMr x kNr, row stride ldc) = or += sum over p of a[:, p] b[p, :] ----

// What a micro-tile fetches into L2 while it runs, a cache line each step of k, so that data
// the next tiles or the next packing read from memory is on its way meanwhile (one tile
// fetching it all at once would wait for it at the memory's speed, a fraction of the
// kernel's): `lines` lines (at most one a step) of runs of `run` bytes `stride` apart, from
// `col` bytes into the run at `p`.
// `into_l1`: into L1 as well, where fetches into L2 alone are not to be relied on (cpu_is_amd:
// on Zen 4 the next block's fetch as T0, not T1, took 0.90-0.93x the time of 64x3136x1024 on
// one thread, 0.93-0.97x on two, where as T1 it saved 4% against no fetch at all; the next
// packed sliver's as T0 0.95-0.99x with constant weights on two threads, the squares
// 1024-2048 0.99x, 0.99-1.0x elsewhere).
struct Fetch {
  const char* p = nullptr;
  int64_t col = 0, run = 0, stride = 0, lines = 0;
  bool into_l1 = false;
};

// Where a micro-tile's rows of A lie: row i of step p at a + i * row() + p * step(kMr), the
// next tile's rows tile(kMr, kc) on. In a packed block (PackedA: kMr values a step, a sliver a
// tile), as constants, so that packed tiles keep their addressing; or in op(A) itself
// (StridedA, A's strides).
struct PackedA {
  static constexpr int64_t row() { return 1; }
  static constexpr int64_t step(int64_t rows) { return rows; }
  static constexpr int64_t tile(int64_t rows, int64_t kc) { return rows * kc; }
};
struct StridedA {
  int64_t rs = 0, ps = 0;
  int64_t row() const { return rs; }
  int64_t step(int64_t /*rows*/) const { return ps; }
  int64_t tile(int64_t rows, int64_t /*kc*/) const { return rows * rs; }
};

// Where a micro-tile's sliver of B lies: packed (PackedB: kNr values a step), or in op(B)
// itself, its columns contiguous and its steps `ld` values apart (CopiedB), each step's values
// stored into the packed sliver at `out` as the tile reads them, so that the first tile over a
// sliver packs it for the others while it multiplies. That tile copies the step's values of
// the next `slivers` - 1 slivers too (whole ones, contiguous after its own in op(B)), sliver s
// into the room at out + s * kNr * kc.
struct PackedB {
  static constexpr int64_t step(int64_t columns) { return columns; }
};
template <typename T>
struct CopiedB {
  int64_t ld = 0;
  T* out = nullptr;
  int64_t slivers = 1;
  int64_t step(int64_t /*columns*/) const { return ld; }
};
template <typename BL>
constexpr bool kCopiesB = !std::is_same_v<BL, PackedB>;

// The portable one: fixed-size loops the compiler vectorises for the baseline target.
template <typename T>
struct GenericKernel {
  static constexpr int64_t kKc = tl::kKc;
  static constexpr int64_t kABlock = kABlockBytes;
  static constexpr int kMr = 4;
  static constexpr int kNr = 32 / sizeof(T);
  static constexpr int kVectors = 1, kLanes = kNr;  // (see TileKernel)
  static constexpr int kCopiedSlivers = 1;
  static void pack_a(View<T> a, int64_t rows, int64_t kc, T* dst) { pack<kMr>(a, rows, kc, dst); }
  static void pack_b(View<T> b, int64_t rows, int64_t kc, T* dst) { pack<kNr>(b, rows, kc, dst); }
  // The tile's first kUsedRows rows (see TileKernel::body); its one vector is always whole.
  template <int kUsed = kVectors, int kUsedRows = kMr, typename L = PackedA,
            typename BL = PackedB>
  static void run(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, bool overwrite,
                  const Fetch& /*fetch*/, const L& layout = L{}, const BL& b_layout = BL{}) {
    const int64_t row = layout.row(), step = layout.step(kMr), b_step = b_layout.step(kNr);
    T acc[kUsedRows][kNr] = {};
    for (int64_t p = 0; p < kc; ++p, a += step, b += b_step) {
      if constexpr (kCopiesB<BL>) {
        for (int64_t s = 0; s < b_layout.slivers; ++s) {
          std::copy(b + s * kNr, b + (s + 1) * kNr, b_layout.out + s * kNr * kc + p * kNr);
        }
      }
      for (int i = 0; i < kUsedRows; ++i) {
        for (int j = 0; j < kNr; ++j) acc[i][j] += a[i * row] * b[j];
      }
    }
    for (int i = 0; i < kUsedRows; ++i) {
      T* row = c + i * ldc;
      for (int j = 0; j < kNr; ++j) row[j] = overwrite ? acc[i][j] : row[j] + acc[i][j];
    }
  }
  // `tiles` whole tiles down one sliver of B (see TileKernel::column).
  template <typename L, typename F>
  static void run_column(int64_t tiles, int64_t kc, const T* a, int64_t a_tile, const T* b,
                         T* c, int64_t ldc, bool overwrite, const L& layout, const F& fetch_of) {
    for (int64_t i = 0; i < tiles; ++i, a += a_tile, c += kMr * ldc) {
      run(kc, a, b, c, ldc, overwrite, fetch_of(i), layout);
    }
  }
};

// ---- few rows of C, rows of B contiguous: B read where it lies, nothing packed ----

// Vectors of 16 bytes (GCC vector extensions), with the interface of Avx2Vec: the portable
// few-rows kernel. Each is one register of the baseline target (SSE2, NEON), so that a tile
// takes as many registers as its AVX2 version.
template <typename T>
struct GenericVec {
  typedef T V __attribute__((vector_size(16)));
  static constexpr int kLanes = 16 / sizeof(T);
  static V zero() { return V{}; }
  static V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static V broadcast(const T* p) { return *p - V{}; }  // x - (+0) is x, -0 included
  static V fma(V a, V b, V c) { return c + a * b; }
  static V add(V a, V b) { return a + b; }
  static void store(T* p, V v) { std::memcpy(p, &v, sizeof v); }
  static V load_first(const T* p, int n) {
    V v{};
    std::memcpy(&v, p, n * sizeof(T));
    return v;
  }
  static void store_first(T* p, V v, int n) { std::memcpy(p, &v, n * sizeof(T)); }
};

// C (kRows x n, kRows <= 8) = or += op(A) B, B with contiguous rows (b[p * ldb + j]) read in
// place: with so few rows each element of B is used kRows times at most, so packing it would
// cost as much as the product. A tile of kRows rows by kVecs vectors of C stays in registers
// while p runs over k, each B vector loaded once per p, and C is written once at the end.
// NOTE: every element of C is summed over p in ascending order (in a one-row product's last
// narrow tile, as partial sums of every second or fourth p: split_of), and how the columns are
// cut into tiles (full tiles from column 0, then one narrower tile) does not depend on how
// they are split over threads, so the result is the same for any number of threads.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
template <typename T, typename Vec, int kRows>
struct FewRowsKernel {
  using V = typename Vec::V;
  static constexpr int kLanes = Vec::kLanes;
  // Vectors per tile: the kRows x kVecs accumulators fit the 16 ymm registers with the A
  // broadcasts or the B vectors of one p (see tile), and at least 8 FMA chains hide the FMA
  // latency. These widths were the fastest measured (AMD Zen 3, B in L2 or L3).
  static constexpr int kYmmVecs = kRows == 1   ? 8
                                  : kRows == 2 ? 7
                                  : kRows == 3 ? 4
                                  : kRows == 4 ? 3
                                  : kRows == 5 ? 2
                                               : 1;
  // AVX-512 vectors hold two of those: half as many (a tile as wide, or nearly). The loads of
  // B, which bound these products, then take half the instructions: 14% faster on Ice Lake for
  // one row by 784 x 256 (11.0 against 12.75 us a thread).
  static constexpr int kVecs =
      Vec::kLanes * sizeof(T) > 32 ? (kYmmVecs + 1) / 2 : kYmmVecs;
  // Columns of a full tile: threads get whole tiles.
  static constexpr int64_t kWidth = int64_t{kVecs} * kLanes;

  // The tile of kTileVecs vectors at columns [0, kTileVecs * kLanes) of b and c; with
  // kPartial, of only the first `last` (< kLanes) columns of its last vector (the last
  // columns of C: masked loads and stores, so that no column past them is read or written).
  // With kSplit > 1, each element is kSplit partial sums, sum s of the steps p = s mod
  // kSplit, added at the end as ((0 + 1) + (2 + 3)) (see split_of).
  template <int kTileVecs, bool kPartial = false, int kSplit = 1>
  static void tile(View<T> a, const T* b, int64_t ldb, int64_t k, T* c, int64_t ldc,
                   bool accumulate, int last = kLanes) {
    static_assert(kSplit == 1 || kSplit == 2 || kSplit == 4);
    // (Vec's functions are called here, not from a lambda returning a vector: outside the
    // vectors' target, its ABI would change.)
#define TL_LOAD(p, v) (kPartial && (v) == kTileVecs - 1 ? Vec::load_first(p, last) : Vec::load(p))
    // The tile's columns of B are prefetched kAhead rows ahead: on its own the hardware
    // leaves the FMAs waiting on this walk down B (4 to 8 rows measured best for every tile).
    constexpr int kTileBytes = kTileVecs * kLanes * static_cast<int>(sizeof(T));
    constexpr int64_t kAhead = 6;
    V acc[kSplit][kRows][kTileVecs];
#pragma GCC unroll 4
    for (int s = 0; s < kSplit; ++s) {
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
        for (int v = 0; v < kTileVecs; ++v) acc[s][r][v] = Vec::zero();
      }
    }
    auto step = [&](int64_t p, V (&sum)[kRows][kTileVecs]) __attribute__((always_inline)) {
      const T* bp = b + p * ldb;
      if constexpr (kRows * kTileVecs + kTileVecs < 16) {
        // Room for the row's B vectors in registers: loaded once, then one A broadcast at a
        // time.
        V bv[kTileVecs];
#pragma GCC unroll 8
        for (int v = 0; v < kTileVecs; ++v) bv[v] = TL_LOAD(bp + v * kLanes, v);
#pragma GCC unroll 8
        for (int r = 0; r < kRows; ++r) {
          const V ar = Vec::broadcast(a.p + r * a.rs + p * a.ps);
#pragma GCC unroll 8
          for (int v = 0; v < kTileVecs; ++v) sum[r][v] = Vec::fma(ar, bv[v], sum[r][v]);
        }
      } else {
        // Too few registers for that: the A broadcasts first, then one B vector at a time.
        V ar[kRows];
#pragma GCC unroll 8
        for (int r = 0; r < kRows; ++r) ar[r] = Vec::broadcast(a.p + r * a.rs + p * a.ps);
#pragma GCC unroll 8
        for (int v = 0; v < kTileVecs; ++v) {
          const V bv = TL_LOAD(bp + v * kLanes, v);
#pragma GCC unroll 8
          for (int r = 0; r < kRows; ++r) sum[r][v] = Vec::fma(ar[r], bv, sum[r][v]);
        }
      }
    };
    auto fetch_ahead = [&](int64_t p) __attribute__((always_inline)) {
      const char* ahead = reinterpret_cast<const char*>(b + (p + kAhead) * ldb);
#pragma GCC unroll 8
      for (int line = 0; line < kTileBytes; line += 64) __builtin_prefetch(ahead + line);
    };
    int64_t p = 0;
    if constexpr (kSplit == 1) {
      for (; p + kAhead < k; ++p) {
        fetch_ahead(p);
        step(p, acc[0]);
      }
      for (; p < k; ++p) step(p, acc[0]);
    } else {
      for (; p + kSplit - 1 + kAhead < k; p += kSplit) {
#pragma GCC unroll 4
        for (int s = 0; s < kSplit; ++s) {
          fetch_ahead(p + s);
          step(p + s, acc[s]);
        }
      }
      for (; p + kSplit <= k; p += kSplit) {
#pragma GCC unroll 4
        for (int s = 0; s < kSplit; ++s) step(p + s, acc[s]);
      }
#pragma GCC unroll 4
      for (int s = 0; s + 1 < kSplit; ++s) {
        if (p + s < k) step(p + s, acc[s]);
      }
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
        for (int v = 0; v < kTileVecs; ++v) {
          acc[0][r][v] = Vec::add(acc[0][r][v], acc[1][r][v]);
          if constexpr (kSplit == 4) {
            acc[0][r][v] = Vec::add(acc[0][r][v], Vec::add(acc[2][r][v], acc[3][r][v]));
          }
        }
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
      for (int v = 0; v < kTileVecs; ++v) {
        T* dst = c + r * ldc + v * kLanes;
        const V sum = accumulate ? Vec::add(TL_LOAD(dst, v), acc[0][r][v]) : acc[0][r][v];
        if (kPartial && v == kTileVecs - 1) {
          Vec::store_first(dst, sum, last);
        } else {
          Vec::store(dst, sum);
        }
      }
    }
#undef TL_LOAD
  }

  // The tile of `vecs` (<= kVecs) vectors, by a compile-time count, its last vector's first
  // `last` columns only; with kSplit > 1 (tile), only tiles of at most 256 / kSplit bytes are
  // instantiated, the widest split_of asks for.
  template <int kTileVecs, int kSplit = 1>
  static void narrow_tile(int64_t vecs, int last, View<T> a, const T* b, int64_t ldb,
                          int64_t k, T* c, int64_t ldc, bool accumulate) {
    if constexpr (kTileVecs > 0) {
      if constexpr (kSplit == 1 || kTileVecs * kLanes * sizeof(T) * kSplit <= 256) {
        if (vecs == kTileVecs) {
          if (last == kLanes) return tile<kTileVecs, false, kSplit>(a, b, ldb, k, c, ldc,
                                                                    accumulate);
          return tile<kTileVecs, true, kSplit>(a, b, ldb, k, c, ldc, accumulate, last);
        }
      }
      narrow_tile<kTileVecs - 1, kSplit>(vecs, last, a, b, ldb, k, c, ldc, accumulate);
    }
  }

  // Partial sums a one-row product's last columns (fewer than kWidth, `bytes` of them) are
  // summed in: one chain of FMAs over k is one FMA's latency a step, and a vector or two of
  // columns leave too few chains to cover it (the batch-1 MLP's 1x256x10 waited 4 cycles a
  // step). kWidth is the same in AVX2 and AVX-512 vectors for one row (64 floats, 32
  // doubles), and threads get whole tiles, so those columns, and their sums, are the same in
  // both and on any number of threads.
  static int split_of(int64_t bytes) { return bytes <= 64 ? 4 : bytes <= 128 ? 2 : 1; }

  // Columns [j0, j1) of C, j0 a multiple of kWidth: full tiles, then one narrower tile for
  // the columns left, its last vector partial where they are not whole vectors. (Those
  // last columns one at a time, their sums each one chain of dependent FMAs, took 1x256x10
  // 2.3x the time of a 16-wide vector, Zen 4.)
  static void columns(View<T> a, const T* b, int64_t ldb, int64_t k, int64_t j0, int64_t j1,
                      T* c, int64_t ldc, bool accumulate) {
    int64_t j = j0;
    for (; j + kWidth <= j1; j += kWidth) {
      tile<kVecs>(a, b + j, ldb, k, c + j, ldc, accumulate);
    }
    if (j == j1) return;
    const int64_t vecs = (j1 - j + kLanes - 1) / kLanes;
    const int last = static_cast<int>(j1 - j - (vecs - 1) * kLanes);
    const int split = kRows == 1 ? split_of((j1 - j) * static_cast<int64_t>(sizeof(T))) : 1;
    if (split == 4) return narrow_tile<kVecs, 4>(vecs, last, a, b + j, ldb, k, c + j, ldc,
                                                 accumulate);
    if (split == 2) return narrow_tile<kVecs, 2>(vecs, last, a, b + j, ldb, k, c + j, ldc,
                                                 accumulate);
    narrow_tile<kVecs>(vecs, last, a, b + j, ldb, k, c + j, ldc, accumulate);
  }
};

template <typename T, int kRows>
struct GenericFewRows : FewRowsKernel<T, GenericVec<T>, kRows> {
  static void run(View<T> a, const T* b, int64_t ldb, int64_t k, int64_t j0, int64_t j1, T* c,
                  int64_t ldc, bool accumulate) {
    FewRowsKernel<T, GenericVec<T>, kRows>::columns(a, b, ldb, k, j0, j1, c, ldc, accumulate);
  }
};
#pragma GCC diagnostic pop

// K::run<used> for a count of vectors known only at run time, 1 <= used <= K::kVectors.
template <typename K, int kUsed = 1, typename... Args>
void run_vectors(int used, Args... args) {
  if constexpr (kUsed < K::kVectors) {
    if (used > kUsed) return run_vectors<K, kUsed + 1>(used, args...);
  }
  K::template run<kUsed>(args...);
}

#if defined(__x86_64__) || defined(__i386__)
// Packs a 6-row sliver of float rows (row r at src + r * rs, kc values) p-major: six values
// per p. Eight p at a time, the 6 rows (and 2 of zeros) are transposed as an 8x8 block.
TL_TARGET_AVX2 void pack6_rows(const float* src, int64_t rs, int64_t kc, float* dst) {
  int64_t q = 0;
  const __m256 zero = _mm256_setzero_ps();
  for (; q + 8 <= kc; q += 8, dst += 48) {
    const float* p = src + q;
    const __m256 r0 = _mm256_loadu_ps(p), r1 = _mm256_loadu_ps(p + rs);
    const __m256 r2 = _mm256_loadu_ps(p + 2 * rs), r3 = _mm256_loadu_ps(p + 3 * rs);
    const __m256 r4 = _mm256_loadu_ps(p + 4 * rs), r5 = _mm256_loadu_ps(p + 5 * rs);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const __m256 s4 = _mm256_shuffle_ps(t4, zero, 0x44), s5 = _mm256_shuffle_ps(t4, zero, 0xee);
    const __m256 s6 = _mm256_shuffle_ps(t5, zero, 0x44), s7 = _mm256_shuffle_ps(t5, zero, 0xee);
    // Column j holds the 6 values of p = q + j (then 2 zeros); each store's 2 extra floats
    // are overwritten by the next, and the last column stores only its 6.
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(dst + 6, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(dst + 12, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(dst + 18, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(dst + 24, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(dst + 30, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(dst + 36, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_maskstore_ps(dst + 42, _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0),
                        _mm256_permute2f128_ps(s3, s7, 0x31));
  }
  for (; q < kc; ++q, dst += 6) {
    for (int r = 0; r < 6; ++r) dst[r] = src[r * rs + q];
  }
}

// Transposes the 8x8 block of floats in r[0..7] (r[i] = row i) in place: r[j] = column j.
TL_TARGET_AVX2 inline void transpose8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// The 8 steps from src of `rows` rows (8 or 4; row i at src + i * rs) stored transposed at
// out, `width` values a step: the first `steps` of them (the others are not loaded: `mask`
// holds the first `steps` lanes where steps < 8).
TL_TARGET_AVX2 __attribute__((always_inline)) inline void transpose_rows(
    const float* src, int64_t rs, int rows, int steps, __m256i mask, float* out,
    int64_t width) {
  __m256 r[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    if (i >= rows) {
      r[i] = _mm256_setzero_ps();
    } else {
      r[i] = steps == 8 ? _mm256_loadu_ps(src + i * rs) : _mm256_maskload_ps(src + i * rs, mask);
    }
  }
  transpose8x8(r);
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    if (j >= steps) break;
    if (rows == 8) {
      _mm256_storeu_ps(out + j * width, r[j]);
    } else {
      _mm_storeu_ps(out + j * width, _mm256_castps256_ps128(r[j]));
    }
  }
}

// Packs a kWidth-row sliver of float rows (row r at src + r * rs, kc values) p-major: kWidth
// values per p, through 8x8 transposes of groups of 8 rows (a last group of 4 is transposed
// with 4 rows of zeros and stored by halves). Slivers of a row-major A, of a transposed B. A
// last sliver of `valid` rows (fewer than kWidth) is packed the same way, rows past valid / 4
// * 4 one value at a time, and zeros past `valid`; likewise the last steps past a multiple of
// 8, under a mask.
// NOTE: a group of rows at a time, all along k: rows a multiple of 4 KB apart share one set of
// L1, and all the sliver's rows at once (48) overflowed its 12 ways, every line read twice.
template <int kWidth>
TL_TARGET_AVX2 void pack_rows(const float* src, int64_t rs, int64_t kc, float* dst,
                              int valid) {
  static_assert(kWidth % 4 == 0, "whole groups of 8 rows, then maybe one of 4");
  const int64_t whole = kc / 8 * 8;
  const int transposed = valid / 4 * 4;
  // The last kc - whole steps, fewer than 8, loaded under a mask and transposed alike (one
  // value at a time, a line a row each, they took half of 64x1024x3136's packing: 0.97x the
  // time on one and two threads, in 342-deep slabs, Zen 4).
  const int tail = static_cast<int>(kc - whole);
  const __m256i tail_mask = Avx2Vec<float>::first(tail);
#pragma GCC unroll 1
  for (int r0 = 0; r0 < transposed; r0 += 8) {
    const int rows = std::min(8, transposed - r0);
    for (int64_t q = 0; q < whole; q += 8) {
      transpose_rows(src + r0 * rs + q, rs, rows, 8, tail_mask, dst + q * kWidth + r0, kWidth);
    }
    if (tail) {
      transpose_rows(src + r0 * rs + whole, rs, rows, tail, tail_mask,
                     dst + whole * kWidth + r0, kWidth);
    }
  }
  for (int64_t q = 0; q < kc; ++q) {
    for (int r = transposed; r < kWidth; ++r) {
      dst[q * kWidth + r] = r < valid ? src[r * rs + q] : 0.0f;
    }
  }
}
template <int kWidth>
TL_TARGET_AVX2 void pack_rows(const float* src, int64_t rs, int64_t kc, float* dst) {
  pack_rows<kWidth>(src, rs, kc, dst, kWidth);
}

// pack compiled for AVX2 and for AVX-512 (flatten inlines it): a sliver's values of one p,
// contiguous in x, are then copied in that target's widest vectors. For the wide AVX-512
// tile's 48-float runs (a fed B with contiguous rows), AVX-512 copies instead of the
// baseline's 16-byte ones took 0.955x the time of 64x3136x1024 on two threads (0.96x on one),
// 0.99x for 1024 and 2048 (Ice Lake).
template <int kWidth, typename T>
TL_TARGET_AVX2 __attribute__((flatten)) void pack_avx2(View<T> x, int64_t rows, int64_t kc,
                                                       T* dst) {
  pack<kWidth, Avx2Vec<T>>(x, rows, kc, dst);
}
template <int kWidth, typename T>
TL_TARGET_AVX512 __attribute__((flatten)) void pack_avx512(View<T> x, int64_t rows, int64_t kc,
                                                           T* dst) {
  pack<kWidth, Avx512Vec<T>>(x, rows, kc, dst);
}

// Packs slivers of kWidth rows of x as pack does (pack_other, pack compiled for the kernel's
// target); float slivers whose rows are contiguous go through pack_rows (or `pack_full`, its
// form for the width).
template <int kWidth, typename T>
void pack_transposing(View<T> x, int64_t rows, int64_t kc, T* dst,
                      void (*pack_other)(View<T>, int64_t, int64_t, T*),
                      void (*pack_full)(const float*, int64_t, int64_t, float*) =
                          pack_rows<kWidth>) {
  if constexpr (std::is_same_v<T, float>) {
    if (x.ps == 1) {
      const int64_t full = rows / kWidth * kWidth;
      for (int64_t r0 = 0; r0 < full; r0 += kWidth, dst += kWidth * kc) {
        pack_full(x.p + r0 * x.rs, x.rs, kc, dst);
      }
      if constexpr (kWidth % 4 == 0) {
        if (rows > full) pack_rows<kWidth>(x.p + full * x.rs, x.rs, kc, dst, rows - full);
        return;
      }
      pack_other(View<T>{x.p + full * x.rs, x.rs, x.ps}, rows - full, kc, dst);
      return;
    }
  }
  pack_other(x, rows, kc, dst);
}

// An AVX-512-wide vector made of two AVX2 vectors: runs the AVX-512 micro-tile on AVX2 CPUs,
// so that its blocking is tested on every machine (GemmKernel::kAvx512Layout).
template <typename T>
struct Avx2PairVec {
  using H = Avx2Vec<T>;
  struct V {
    typename H::V lo, hi;
  };
  static constexpr int kLanes = 2 * H::kLanes;
  TL_TARGET_AVX2 static V zero() { return {H::zero(), H::zero()}; }
  TL_TARGET_AVX2 static V load(const T* p) { return {H::load(p), H::load(p + H::kLanes)}; }
  TL_TARGET_AVX2 static V broadcast(const T* p) { return {H::broadcast(p), H::broadcast(p)}; }
  TL_TARGET_AVX2 static V fma(V a, V b, V c) {
    return {H::fma(a.lo, b.lo, c.lo), H::fma(a.hi, b.hi, c.hi)};
  }
  TL_TARGET_AVX2 static V add(V a, V b) { return {H::add(a.lo, b.lo), H::add(a.hi, b.hi)}; }
  TL_TARGET_AVX2 static void store(T* p, V v) {
    H::store(p, v.lo);
    H::store(p + H::kLanes, v.hi);
  }
};

// kRows rows by kVecs vectors of Vec, its accumulators in registers; slabs of k at most kDepth
// deep, blocks of A of at most kBlockBytes. `body` is compiled for the vectors' target inside
// each kernel's run (flatten inlines it and Vec's functions there); it is never emitted on its
// own, so the ABI of 512-bit values passed outside AVX-512 code, which GCC warns about while
// parsing it, never matters.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
template <typename T, typename Vec, int kRows, int kVecs = 2, int64_t kDepth = kKc,
          int64_t kBlockBytes = kABlockBytes, int kCopied = 1>
struct TileKernel {
  using V = typename Vec::V;
  static constexpr int64_t kKc = kDepth;
  static constexpr int64_t kABlock = kBlockBytes;
  static constexpr int kMr = kRows;
  static constexpr int kNr = kVecs * Vec::kLanes;
  static constexpr int kVectors = kVecs, kLanes = Vec::kLanes;
  // Whole slivers a first tile over fed slivers copies in one pass at most, its own included
  // (CopiedB, SourceB).
  static constexpr int kCopiedSlivers = kCopied;
  static void pack_a(View<T> a, int64_t rows, int64_t kc, T* dst) { pack<kMr>(a, rows, kc, dst); }
  static void pack_b(View<T> b, int64_t rows, int64_t kc, T* dst) { pack<kNr>(b, rows, kc, dst); }
  // The tile's first kUsed vectors of columns and kUsedRows rows (all of them but at a
  // product's edges, whose padding is not multiplied); B's slivers stay kNr wide, A's kMr
  // tall, or A's rows lie where `layout` says (StridedA).
  template <int kUsed = kVecs, int kUsedRows = kMr, typename L = PackedA,
            typename BL = PackedB>
  static void body(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, bool overwrite,
                   const Fetch& fetch, const L& layout, const BL& b_layout) {
    const int64_t a_row = layout.row(), a_step = layout.step(kMr), b_step = b_layout.step(kNr);
    T* b_out = nullptr;
    if constexpr (kCopiesB<BL>) b_out = b_layout.out;
    static_assert(0 < kUsed && kUsed <= kVecs && 0 < kUsedRows && kUsedRows <= kMr);
    constexpr int kL = Vec::kLanes;
    V acc[kUsedRows][kUsed];
#pragma GCC unroll 16
    for (int i = 0; i < kUsedRows; ++i) {
#pragma GCC unroll 4
      for (int v = 0; v < kUsed; ++v) acc[i][v] = Vec::zero();
    }
    // The tile of C, read at the end: every cache line of its rows is fetched meanwhile (a row
    // need not start on a line).
    constexpr int kRowBytes = kUsed * kL * static_cast<int>(sizeof(T));
    for (int i = 0; i < kUsedRows; ++i) {
      const char* row = reinterpret_cast<const char*>(c + i * ldc);
      for (int offset = 0; offset < kRowBytes; offset += 64) {
        _mm_prefetch(row + offset, _MM_HINT_T0);
      }
      _mm_prefetch(row + kRowBytes - 1, _MM_HINT_T0);
    }
    auto step = [&](const T* ap, const T* bp) __attribute__((always_inline)) {
      V bv[kUsed];
#pragma GCC unroll 4
      for (int v = 0; v < kUsed; ++v) bv[v] = Vec::load(bp + v * kL);
      if constexpr (kCopiesB<BL>) {
#pragma GCC unroll 4
        for (int v = 0; v < kUsed; ++v) Vec::store(b_out + v * kL, bv[v]);
        if constexpr (kCopied > 1) {  // the next slivers' values of this step
          for (int64_t s = 1; s < b_layout.slivers; ++s) {
#pragma GCC unroll 4
            for (int v = 0; v < kVecs; ++v) {
              Vec::store(b_out + s * kNr * kc + v * kL, Vec::load(bp + s * kNr + v * kL));
            }
          }
        }
        b_out += kNr;
      }
#pragma GCC unroll 16
      for (int i = 0; i < kUsedRows; ++i) {
        const V ai = Vec::broadcast(ap + i * a_row);
#pragma GCC unroll 4
        for (int v = 0; v < kUsed; ++v) acc[i][v] = Vec::fma(ai, bv[v], acc[i][v]);
      }
    };
    // The steps that fetch a line (see Fetch), then the others. The next run starts without a
    // branch (it would be mispredicted at every run's end).
    const char* run_start = fetch.p;
    int64_t col = fetch.col, p = 0;
    for (const int64_t fetching = std::min(kc, fetch.lines); p < fetching;
         ++p, a += a_step, b += b_step) {
      if (fetch.into_l1) {
        _mm_prefetch(run_start + col, _MM_HINT_T0);
      } else {
        _mm_prefetch(run_start + col, _MM_HINT_T1);
      }
      col += 64;
      const int64_t next = -static_cast<int64_t>(col >= fetch.run);  // all ones or zero
      run_start += fetch.stride & next;
      col &= ~next;
      step(a, b);
    }
#pragma GCC unroll 2
    for (; p < kc; ++p, a += a_step, b += b_step) step(a, b);
#pragma GCC unroll 16
    for (int i = 0; i < kUsedRows; ++i, c += ldc) {
#pragma GCC unroll 4
      for (int v = 0; v < kUsed; ++v) {
        Vec::store(c + v * kL, overwrite ? acc[i][v] : Vec::add(Vec::load(c + v * kL), acc[i][v]));
      }
    }
  }
  // `tiles` whole tiles down one sliver of B at b, tile i's rows of A at a + i * a_tile and
  // of C at c + i * kMr * ldc, fetching fetch_of(i): one call for the column, so that tiles
  // of few steps (a weight gradient's k is the batch) pay no call of their own. A call a tile
  // took 3136x64x1024 (transposed A) 1.02x this time on one and two threads, 1.02-1.07x in
  // the AVX2 tile; 784x128x256 and the squares 1.01x, the MLP training step 1.014x (Zen 4).
  template <typename L, typename F>
  static void column(int64_t tiles, int64_t kc, const T* a, int64_t a_tile, const T* b, T* c,
                     int64_t ldc, bool overwrite, const L& layout, const F& fetch_of) {
    for (int64_t i = 0; i < tiles; ++i, a += a_tile, c += kMr * ldc) {
      body(kc, a, b, c, ldc, overwrite, fetch_of(i), layout, PackedB{});
    }
  }
};

// Two AVX-512 tiles. Wide: 8 rows by 3 vectors (8x48 floats, 8x24 doubles), 24 accumulators,
// 3 B vectors and one A broadcast in 28 of the 32 zmm registers; each p loads 11 values for 24
// FMAs; slabs 384 deep, its blocks of A twice the others' bytes (192 rows). A 384-deep sliver
// of B (72 KB) streams from L2 rather than staying in the 48 KB L1, yet each step costs less
// than at 192 deep: every tile pays some 500 cycles on top of its steps wherever its operands
// live (the macro-kernel alone on one Ice Lake core: 142 GFLOP/s at 192 deep, 151 at 384, 153
// at 768; 140 at 192 with no C tile at all), and deeper slabs pay it half as often. Narrow:
// 12 rows by 2 vectors (12x32 floats), 14 loads for 24 FMAs, slabs 256 deep. The wide tile runs
// 12-17% faster (Ice Lake, in isolation), but a product computes whole slivers: 64 columns take
// 96 in 8x48 tiles and 64 in 12x32 ones, so the product's width picks the tile
// (avx512_tile_is_wide).
// The packing of both forms of each tile (the AVX-512 one and its AVX2 layout), its copies
// compiled for the form's target (kAvx512).
template <typename T, typename Tile, bool kAvx512>
struct Avx512Packing : Tile {
  template <int kWidth>
  static constexpr auto kCopy = kAvx512 ? &pack_avx512<kWidth, T> : &pack_avx2<kWidth, T>;
  static void pack_a(View<T> a, int64_t rows, int64_t kc, T* dst) {
    pack_transposing<Tile::kMr>(a, rows, kc, dst, kCopy<Tile::kMr>);
  }
  static void pack_b(View<T> b, int64_t rows, int64_t kc, T* dst) {
    pack_transposing<Tile::kNr>(b, rows, kc, dst, kCopy<Tile::kNr>);
  }
};
// A kernel's entry points for its TileKernel `Tile`, compiled for TARGET (`flatten` inlines
// the tile's body and its vectors' functions there): run, one tile (TileKernel::body), and
// run_column, the whole tiles down a sliver (TileKernel::column).
#define TL_TILE_ENTRY_POINTS(TARGET)                                                        \
  template <int kUsed = Tile::kVectors, int kUsedRows = Tile::kMr, typename L = PackedA,    \
            typename BL = PackedB>                                                          \
  TARGET __attribute__((flatten)) static void run(int64_t kc, const T* a, const T* b, T* c, \
                                                  int64_t ldc, bool overwrite,              \
                                                  const Fetch& fetch, const L& layout = L{},\
                                                  const BL& b_layout = BL{}) {              \
    Tile::template body<kUsed, kUsedRows>(kc, a, b, c, ldc, overwrite, fetch, layout,       \
                                          b_layout);                                        \
  }                                                                                         \
  template <typename L, typename F>                                                         \
  TARGET __attribute__((flatten)) static void run_column(                                   \
      int64_t tiles, int64_t kc, const T* a, int64_t a_tile, const T* b, T* c, int64_t ldc, \
      bool overwrite, const L& layout, const F& fetch_of) {                                 \
    Tile::column(tiles, kc, a, a_tile, b, c, ldc, overwrite, layout, fetch_of);             \
  }

template <typename T, int kRows, int kVecs, int64_t kDepth, int64_t kBlockBytes>
struct Avx512Kernel
    : Avx512Packing<T, TileKernel<T, Avx512Vec<T>, kRows, kVecs, kDepth, kBlockBytes>, true> {
  using Tile = TileKernel<T, Avx512Vec<T>, kRows, kVecs, kDepth, kBlockBytes>;
  TL_TILE_ENTRY_POINTS(TL_TARGET_AVX512)
};
template <typename T, int kRows, int kVecs, int64_t kDepth, int64_t kBlockBytes>
struct Avx512LayoutKernel
    : Avx512Packing<T, TileKernel<T, Avx2PairVec<T>, kRows, kVecs, kDepth, kBlockBytes>,
                    false> {
  using Tile = TileKernel<T, Avx2PairVec<T>, kRows, kVecs, kDepth, kBlockBytes>;
  TL_TILE_ENTRY_POINTS(TL_TARGET_AVX2)
};
template <typename T>
using Avx512Wide = Avx512Kernel<T, 8, 3, 384, 2 * kABlockBytes>;
template <typename T>
using Avx512Narrow = Avx512Kernel<T, 12, 2, 256, kABlockBytes>;
template <typename T>
using Avx512WideLayout = Avx512LayoutKernel<T, 8, 3, 384, 2 * kABlockBytes>;
template <typename T>
using Avx512NarrowLayout = Avx512LayoutKernel<T, 12, 2, 256, kABlockBytes>;

// Whether a product with n columns of C runs in the wide AVX-512 tile: unless the narrow one
// computes fewer columns by more than the wide one's speed (an eighth) makes up for.
template <typename T>
bool avx512_tile_is_wide(int64_t n) {
  auto padded = [n](int64_t nr) { return (n + nr - 1) / nr * nr; };
  return padded(Avx512Narrow<T>::kNr) * 9 >= padded(Avx512Wide<T>::kNr) * 8;
}
// 6 rows by 2 vectors (6x16 floats, 6x8 doubles): 12 accumulators, 2 B vectors and one A
// broadcast fill 15 of the 16 ymm registers. Its first tile over fed slivers copies eight a
// pass: a step of one sliver is one line of B, of eight a run of 512 bytes (see SourceB).
template <typename T>
struct Avx2Kernel : TileKernel<T, Avx2Vec<T>, 6, 2, kKc, kABlockBytes, 8> {
  using Tile = TileKernel<T, Avx2Vec<T>, 6, 2, kKc, kABlockBytes, 8>;
  using Tile::kMr;
  using Tile::kNr;
  static void pack_a(View<T> a, int64_t rows, int64_t kc, T* dst) {
    pack_transposing<kMr>(a, rows, kc, dst, pack_avx2<kMr, T>, pack6_rows);
  }
  static void pack_b(View<T> b, int64_t rows, int64_t kc, T* dst) {
    pack_transposing<kNr>(b, rows, kc, dst, pack_avx2<kNr, T>);
  }
  TL_TILE_ENTRY_POINTS(TL_TARGET_AVX2)
};
#undef TL_TILE_ENTRY_POINTS
// The few-rows kernel in AVX2 and in AVX-512 vectors (`flatten` inlines its tiles here).
template <typename T, int kRows>
struct Avx2FewRows : FewRowsKernel<T, Avx2Vec<T>, kRows> {
  TL_TARGET_AVX2 __attribute__((flatten)) static void run(View<T> a, const T* b, int64_t ldb,
                                                          int64_t k, int64_t j0, int64_t j1,
                                                          T* c, int64_t ldc, bool accumulate) {
    FewRowsKernel<T, Avx2Vec<T>, kRows>::columns(a, b, ldb, k, j0, j1, c, ldc, accumulate);
  }
};
template <typename T, int kRows>
struct Avx512FewRows : FewRowsKernel<T, Avx512Vec<T>, kRows> {
  TL_TARGET_AVX512 __attribute__((flatten)) static void run(View<T> a, const T* b, int64_t ldb,
                                                            int64_t k, int64_t j0, int64_t j1,
                                                            T* c, int64_t ldc, bool accumulate) {
    FewRowsKernel<T, Avx512Vec<T>, kRows>::columns(a, b, ldb, k, j0, j1, c, ldc, accumulate);
  }
};

// The unpacks and 128-bit-lane shuffles transposes are made of, in AVX2 and AVX-512 vectors.
TL_TARGET_AVX2 inline __m256 unpack_lo(__m256 a, __m256 b) { return _mm256_unpacklo_ps(a, b); }
TL_TARGET_AVX2 inline __m256 unpack_hi(__m256 a, __m256 b) { return _mm256_unpackhi_ps(a, b); }
TL_TARGET_AVX2 inline __m256 shuffle_low(__m256 a, __m256 b) {
  return _mm256_shuffle_ps(a, b, 0x44);
}
TL_TARGET_AVX2 inline __m256 shuffle_high(__m256 a, __m256 b) {
  return _mm256_shuffle_ps(a, b, 0xee);
}
// (The AVX-512 ones through their masked forms, all lanes kept: the plain ones pass GCC 12 an
// undefined vector that it warns about.)
constexpr __mmask16 kAllLanes = 0xffff;
TL_TARGET_AVX512 inline __m512 unpack_lo(__m512 a, __m512 b) {
  return _mm512_mask_unpacklo_ps(a, kAllLanes, a, b);
}
TL_TARGET_AVX512 inline __m512 unpack_hi(__m512 a, __m512 b) {
  return _mm512_mask_unpackhi_ps(a, kAllLanes, a, b);
}
TL_TARGET_AVX512 inline __m512 shuffle_low(__m512 a, __m512 b) {
  return _mm512_mask_shuffle_ps(a, kAllLanes, a, b, 0x44);
}
TL_TARGET_AVX512 inline __m512 shuffle_high(__m512 a, __m512 b) {
  return _mm512_mask_shuffle_ps(a, kAllLanes, a, b, 0xee);
}

// A product whose B is transposed with contiguous rows (op(B) = W^T, W n x k: a dense layer's
// input gradient dY W^T) and whose op(A) has few rows, turned around: each tile holds kVecs
// vectors of C's rows by kCols = 6 of its columns, the vectors from A packed transposed (a
// p-major sliver of kVecs * kLanes rows, padded with zeros) and the columns broadcast from
// W's rows where they lie. The transposes then cost A's few rows instead of all of W (9% of
// 64x1024x3136 went on them), and each line of W comes from memory once.
// Six rows of W read side by side fill six ways of one L1 set whatever W's row stride (at 4
// KB a row, every row's values of a step fall in one set): wider tiles, with more rows, would
// evict their own lines. A tile sums slab after slab as the blocked product does (from zero
// over the slab's steps, then into C), so every element gets the same bits as there; where C
// is overwritten and k has several slabs, the sums before the last slab are held in L1 in the
// accumulators' layout (`held`: the first slab's stored, the middle ones' added, the last
// one's added to them and the total stored into C), so C is written, through the transposes,
// once instead of once a slab: 64x1024x3136 then took 0.96-0.98x the time on two threads,
// 0.92-0.95x on one (Zen 4).
enum class Held { kNone, kFirst, kMiddle, kLast };
template <typename Vec>
struct TransposedBTile {
  using V = typename Vec::V;
  static constexpr int kCols = 6;
  static constexpr int kLanes = Vec::kLanes;
  // Floats a tile's held sums take (kUsed vectors at most 4).
  static constexpr int64_t kHeldValues = 4 * kCols * kLanes;

  // The tile's rows [0, rows) and columns [0, cols) (cols <= kCols) of C at c = (overwrite)
  // or += its kUsed vectors of accumulators (acc[v][t]: rows v * kLanes.. of column t):
  // transposed in registers by groups of four lanes (unpack and shuffle, as in transpose8x8),
  // then stored four and two values to a row.
  template <int kUsed>
  static void store(V (&acc)[kUsed][kCols], float* c, int64_t ldc, int64_t rows, int cols,
                    bool overwrite) {
    alignas(64) float u[8][kLanes];
    // (Unrolled, so that every acc[v] is a register: indexed at run time, the accumulators
    // lived in memory, stored at every step.)
#pragma GCC unroll 4
    for (int v = 0; v < kUsed; ++v) {
      if (v * kLanes >= rows) break;
      const V zero = Vec::zero();
      const V t0 = unpack_lo(acc[v][0], acc[v][1]), t1 = unpack_hi(acc[v][0], acc[v][1]);
      const V t2 = unpack_lo(acc[v][2], acc[v][3]), t3 = unpack_hi(acc[v][2], acc[v][3]);
      const V t4 = unpack_lo(acc[v][4], acc[v][5]), t5 = unpack_hi(acc[v][4], acc[v][5]);
      // u[q]'s group g: columns 0-3 of row 4g + q; u[4 + q]'s: columns 4-5 (then zeros).
      Vec::store(u[0], shuffle_low(t0, t2)), Vec::store(u[1], shuffle_high(t0, t2));
      Vec::store(u[2], shuffle_low(t1, t3)), Vec::store(u[3], shuffle_high(t1, t3));
      Vec::store(u[4], shuffle_low(t4, zero)), Vec::store(u[5], shuffle_high(t4, zero));
      Vec::store(u[6], shuffle_low(t5, zero)), Vec::store(u[7], shuffle_high(t5, zero));
      const int64_t here = std::min<int64_t>(kLanes, rows - v * kLanes);
      for (int64_t l = 0; l < here; ++l) {
        const int g = static_cast<int>(l) / 4, q = static_cast<int>(l) % 4;
        float* row = c + (v * kLanes + l) * ldc;
        __m128 four = _mm_load_ps(u[q] + 4 * g), two = _mm_load_ps(u[4 + q] + 4 * g);
        if (cols == kCols) {
          if (!overwrite) {
            four = _mm_add_ps(_mm_loadu_ps(row), four);
            two = _mm_add_ps(_mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<__m64*>(row + 4)),
                             two);
          }
          _mm_storeu_ps(row, four);
          _mm_storel_pi(reinterpret_cast<__m64*>(row + 4), two);
        } else {
          alignas(16) float values[8];
          _mm_store_ps(values, four), _mm_store_ps(values + 4, two);
          for (int t = 0; t < cols; ++t) row[t] = overwrite ? values[t] : row[t] + values[t];
        }
      }
    }
  }

  // One tile: rows [0, rows) (kUsed vectors, the rest of the sliver's rows zeros) of C's
  // columns [0, cols) = or += the slab [0, kc) of op(A), packed at ap (kWidth values a step),
  // times W's rows wr[0..kCols) (a last tile's missing columns read its last row again, and
  // are not stored), or, as `stage` says, into the sums held at `held` (kHeldValues floats,
  // stored, added to, or added and stored into C). Meanwhile it fetches the first `lines`
  // lines of the next tile's rows (from `next`, ldw apart), a line of each every 8 steps: one
  // a step, its address worked out at every step, added some 8 instructions to the AVX2
  // tile's 20 of a 6-cycle step (on two threads of a Zen 4 VM 64x1024x3136 took 1.03-1.04x
  // the blocked product's time that way, 0.97-1.0x this way).
  template <int kUsed, int64_t kWidth>
  static void tile(int64_t kc, const float* ap, const float* const* wr, int64_t ldw,
                   const char* next, int64_t lines, float* c, int64_t ldc, int64_t rows,
                   int cols, bool overwrite, float* held, Held stage) {
    V acc[kUsed][kCols];
#pragma GCC unroll 6
    for (int t = 0; t < kCols; ++t) {
#pragma GCC unroll 4
      for (int v = 0; v < kUsed; ++v) acc[v][t] = Vec::zero();
    }
    auto step = [&](int64_t p, const float* a) __attribute__((always_inline)) {
      V av[kUsed];
#pragma GCC unroll 4
      for (int v = 0; v < kUsed; ++v) av[v] = Vec::load(a + v * kLanes);
#pragma GCC unroll 6
      for (int t = 0; t < kCols; ++t) {
        const V b = Vec::broadcast(wr[t] + p);
#pragma GCC unroll 4
        for (int v = 0; v < kUsed; ++v) acc[v][t] = Vec::fma(av[v], b, acc[v][t]);
      }
    };
    const int64_t row_bytes = ldw * static_cast<int64_t>(sizeof(float));
    constexpr int64_t kFetchEvery = 8;
    int64_t p = 0;
    for (int64_t line = 0; line < lines && p + kFetchEvery <= kc; ++line) {
#pragma GCC unroll 6
      for (int t = 0; t < kCols; ++t) _mm_prefetch(next + t * row_bytes + line * 64, _MM_HINT_T0);
#pragma GCC unroll 8
      for (int64_t q = 0; q < kFetchEvery; ++q, ++p) step(p, ap + p * kWidth);
    }
#pragma GCC unroll 2
    for (; p < kc; ++p) step(p, ap + p * kWidth);
    if (stage == Held::kNone) return store<kUsed>(acc, c, ldc, rows, cols, overwrite);
#pragma GCC unroll 6
    for (int t = 0; t < kCols; ++t) {
#pragma GCC unroll 4
      for (int v = 0; v < kUsed; ++v) {
        float* h = held + (t * kUsed + v) * kLanes;
        if (stage == Held::kFirst) {
          Vec::store(h, acc[v][t]);
        } else if (stage == Held::kMiddle) {
          Vec::store(h, Vec::add(Vec::load(h), acc[v][t]));
        } else {
          acc[v][t] = Vec::add(Vec::load(h), acc[v][t]);
        }
      }
    }
    if (stage == Held::kLast) store<kUsed>(acc, c, ldc, rows, cols, true);
  }

  // tile<kUsed, kWidth> for run_vectors: tiles of up to kVecs vectors.
  template <int kVecs, int64_t kWidth>
  struct Tiles {
    static constexpr int kVectors = kVecs;
    template <int kUsed, typename... Args>
    static void run(Args... args) {
      tile<kUsed, kWidth>(args...);
    }
  };

  // Columns [j0, j1) of C = or += (overwrite) the slab [0, kc) of op(A) times the matching
  // steps of W's rows (w: row 0's first step of the slab, ldw apart): tile after tile of
  // columns, each down all of op(A)'s m rows, packed at ap in slivers of kWidth rows (sliver s
  // at ap + s * sliver_values), kVecs vectors a sliver; the rows of W a tile reads stay in L1
  // for the slivers after the first, which fetches the next tile's (the last tile fetches the
  // rows at `after` instead, if any).
  template <int kVecs, int64_t kWidth>
  static void columns(int64_t kc, const float* ap, int64_t sliver_values, int64_t m,
                      const float* w, int64_t ldw, int64_t j0, int64_t j1, float* c,
                      int64_t ldc, bool overwrite, const float* after, float* held,
                      Held stage) {
    const int64_t slivers = (m + kWidth - 1) / kWidth;
    const int64_t lines = (kc * static_cast<int64_t>(sizeof(float)) + 63) / 64 + 1;
    for (int64_t j = j0; j < j1; j += kCols) {
      const int cols = static_cast<int>(std::min<int64_t>(kCols, j1 - j));
      const float* wr[kCols];
      for (int t = 0; t < kCols; ++t) wr[t] = w + (j + std::min(t, cols - 1)) * ldw;
      const float* next_rows = j + kCols < j1 ? w + (j + kCols) * ldw : after;
      const char* next = reinterpret_cast<const char*>(next_rows);
      const int64_t fetches = next_rows ? lines : 0;
      for (int64_t i = 0; i < m; i += kWidth) {
        const int64_t rows = std::min(kWidth, m - i);
        const float* a = ap + i / kWidth * sliver_values;
        const int64_t f = i == 0 ? fetches : 0;
        float* ci = c + i * ldc + j;
        float* h = held ? held + ((j - j0) / kCols * slivers + i / kWidth) * kHeldValues : held;
        run_vectors<Tiles<kVecs, kWidth>>(static_cast<int>((rows + kLanes - 1) / kLanes), kc,
                                          a, wr, ldw, next, f, ci, ldc, rows, cols, overwrite,
                                          h, stage);
      }
    }
  }
};

// The turned-around tile in AVX2 vectors (slivers of 16 rows of A) and in AVX-512 ones (64
// rows), each compiled for its target (`flatten` inlines the tiles there).
template <typename Vec, int kVecs, void (*kPack)(View<float>, int64_t, int64_t, float*)>
struct TransposedBKernel {
  static constexpr int64_t kWidth = kVecs * Vec::kLanes;
  static constexpr int64_t kCols = TransposedBTile<Vec>::kCols;
  static constexpr int64_t kHeldValues = TransposedBTile<Vec>::kHeldValues;
  static void pack_a(View<float> a, int64_t rows, int64_t k, float* dst) {
    pack_transposing<kWidth>(a, rows, k, dst, kPack);
  }
  template <typename... Args>
  static void run(Args... args) {
    TransposedBTile<Vec>::template columns<kVecs, kWidth>(args...);
  }
};
struct Avx2TransposedB : TransposedBKernel<Avx2Vec<float>, 2, pack_avx2<16, float>> {
  template <typename... Args>
  TL_TARGET_AVX2 __attribute__((flatten)) static void columns(Args... args) { run(args...); }
};
struct Avx512TransposedB : TransposedBKernel<Avx512Vec<float>, 4, pack_avx512<64, float>> {
  template <typename... Args>
  TL_TARGET_AVX512 __attribute__((flatten)) static void columns(Args... args) { run(args...); }
};
#pragma GCC diagnostic pop
#endif

// ---- drivers ----

// C(i, j) for j in [j0, j1), all i, as rows of axpys (tiny products, or integer ones with too
// few rows of C to be worth packing B).
template <typename T>
void gemm_rows(View<T> a, View<T> b, int64_t m, int64_t k, int64_t j0, int64_t j1, T* c,
               int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (!accumulate) std::fill(row + j0, row + j1, T(0));
    for (int64_t p = 0; p < k; ++p) {
      const T av = a.at(i, p);
      const T* brow = b.p + p * b.ps;
      if (b.rs == 1) {
        for (int64_t j = j0; j < j1; ++j) row[j] += av * brow[j];
      } else {
        for (int64_t j = j0; j < j1; ++j) row[j] += av * brow[j * b.rs];
      }
    }
  }
}

// gemm_rows compiled for AVX2 (`flatten` inlines its loops here).
template <typename T>
TL_TARGET_AVX2 __attribute__((flatten)) void gemm_rows_avx2(View<T> a, View<T> b, int64_t m,
                                                            int64_t k, int64_t j0, int64_t j1,
                                                            T* c, int64_t ldc, bool accumulate) {
  gemm_rows(a, b, m, k, j0, j1, c, ldc, accumulate);
}

// C (kRows x n) = or += op(A) B with rows of B contiguous, by few-rows kernel K<T, kRows>: the
// columns are split into one part of whole tiles per thread (each walks one contiguous part of
// B; finer tasks measured slower), none smaller than kFewRowsTaskMadds.
template <typename T, template <typename, int> class K, int kRows>
void gemm_unpacked(KernelContext& ctx, View<T> a, View<T> b, int64_t n, int64_t k, T* c,
                   int64_t ldc, bool accumulate) {
  constexpr int64_t kWidth = K<T, kRows>::kWidth;
  const int64_t tiles = (n + kWidth - 1) / kWidth;
  const int64_t threads = std::max(ctx.max_threads(), 1);
  const int64_t parts =
      std::max<int64_t>(1, std::min({kRows * k * n / kFewRowsTaskMadds, tiles, threads}));
  ctx.parallel_for(parts, 1, [&](int64_t p0, int64_t p1) {
    const int64_t j0 = p0 * tiles / parts * kWidth, j1 = p1 * tiles / parts * kWidth;
    K<T, kRows>::run(a, b.p, b.ps, k, j0, std::min(n, j1), c, ldc, accumulate);
  });
}

// The same for 0 < m <= kInPlaceRows rows.
template <typename T, template <typename, int> class K>
void gemm_unpacked(KernelContext& ctx, View<T> a, View<T> b, int64_t m, int64_t n, int64_t k,
                   T* c, int64_t ldc, bool accumulate) {
  static_assert(kInPlaceRows == 8, "one case per row count");
  switch (m) {
    case 1:
      return gemm_unpacked<T, K, 1>(ctx, a, b, n, k, c, ldc, accumulate);
    case 2:
      return gemm_unpacked<T, K, 2>(ctx, a, b, n, k, c, ldc, accumulate);
    case 3:
      return gemm_unpacked<T, K, 3>(ctx, a, b, n, k, c, ldc, accumulate);
    case 4:
      return gemm_unpacked<T, K, 4>(ctx, a, b, n, k, c, ldc, accumulate);
    case 5:
      return gemm_unpacked<T, K, 5>(ctx, a, b, n, k, c, ldc, accumulate);
    case 6:
      return gemm_unpacked<T, K, 6>(ctx, a, b, n, k, c, ldc, accumulate);
    case 7:
      return gemm_unpacked<T, K, 7>(ctx, a, b, n, k, c, ldc, accumulate);
    default:
      return gemm_unpacked<T, K, 8>(ctx, a, b, n, k, c, ldc, accumulate);
  }
}

// Memory a macro-kernel fetches into L2 while it runs, spread over its tiles: `runs` runs of
// `run` bytes `stride` apart from `p` (the next block of B a task packs).
struct FetchRegion {
  const char* p = nullptr;
  int64_t runs = 0, run = 0, stride = 0;
};

// The region of b (seen as n x k: columns of C by steps of k) with columns [j0, j0 + nc) and
// steps [pc, pc + kc): none when neither way is contiguous.
template <typename T>
FetchRegion region_of(View<T> b, int64_t j0, int64_t nc, int64_t pc, int64_t kc) {
  const char* p = reinterpret_cast<const char*>(b.p + j0 * b.rs + pc * b.ps);
  constexpr int64_t size = sizeof(T);
  if (b.rs == 1) return FetchRegion{p, kc, nc * size, b.ps * size};
  if (b.ps == 1) return FetchRegion{p, nc, kc * size, b.rs * size};
  return FetchRegion{};
}

// Rows [0, rows) of a tile (rows < K::kMr) whose every vector of columns is in C, straight
// into C: parts of 8, 4, 2 and 1 rows as `rows` sums them, each K::run<kVectors, part> on its
// rows of the A sliver.
template <typename K, typename T, typename L>
void run_rows(int64_t rows, int64_t kc, const T* a, const T* b, T* c, int64_t ldc,
              bool overwrite, Fetch fetch, const L& layout) {
  auto part = [&](auto size) {
    constexpr int kSize = decltype(size)::value;
    if constexpr (kSize < K::kMr) {
      if (rows & kSize) {
        K::template run<K::kVectors, kSize>(kc, a, b, c, ldc, overwrite, fetch, layout);
        a += kSize * layout.row(), c += kSize * ldc, fetch = Fetch{};
      }
    }
  };
  part(std::integral_constant<int, 8>());
  part(std::integral_constant<int, 4>());
  part(std::integral_constant<int, 2>());
  part(std::integral_constant<int, 1>());
}

// Whole slivers of B that macro_kernel packs as it goes: op(B)'s slab, its columns contiguous
// (column j of step q at p + j + q * ld), is copied into packed slivers at `out` by the first
// tile over a sliver, and the sliver's other tiles read it there (the caller packs a narrow
// last sliver itself). The copy then costs no pass of its own over memory: packed apart,
// 64x3136x1024's slivers took 8% of its time (Zen 4). The rooms of K::kCopiedSlivers slivers
// rather than the block's, so that the copy writes lines still in cache: 0.98-1.0x the time
// in the AVX2 tile, 0.99-1.0x in the AVX-512 one.
// That first tile, reading a new row of op(B) each step, runs at a fraction of the others'
// speed; it copies the next K::kCopiedSlivers - 1 whole slivers' steps too, whose tiles then
// need none of their own. With eight slivers a pass in the AVX2 tile (a 512-byte run of each
// row instead of one line), 64x3136x1024 took 0.88-0.95x the time on two threads in six runs
// and 0.93-1.03x on one; 128x784x256, 64x1024x1024, 100x1000x1000, 150x1000x1000 and
// 32x512x512 0.95-1.02x; four slivers a pass 0.94-0.96x, twelve or sixteen 0.94-0.96x. In the
// AVX-512 tiles (a step of 192 bytes already) two to eight slivers took 1.01-1.03x (Zen 4).
template <typename T>
struct SourceB {
  const T* p = nullptr;
  int64_t ld = 0;
  T* out = nullptr;
};

// C block (mc x nc, at c) = or += packed A block (mc rows) times packed B slivers (nc
// columns), micro-tile by micro-tile: each kc x kNr sliver of B stays in L1 while the A block
// streams from L2; with `source`, a whole first tile over a whole sliver packs it and the next
// K::kCopiedSlivers - 1 whole ones (into source.out's rooms, where their tiles then read them:
// SourceB). The tiles fetch `region` meanwhile if given (a share each), else each sliver's
// tiles the next sliver, the last sliver's `after` if given: the first sliver the thread
// multiplies next (as many lines as one of this depth: a fetch never faults).
// `a_pack` is the packed block of A, or op(A)'s block itself where `layout` says where its
// rows lie (StridedA).
template <typename T, typename K, typename L = PackedA>
void macro_kernel(int64_t kc, const T* a_pack, int64_t mc, const T* b_pack, int64_t nc, T* c,
                  int64_t ldc, bool overwrite, const FetchRegion* region = nullptr,
                  const T* after = nullptr, const L& layout = L{},
                  const SourceB<T>& source = {}) {
  const int64_t a_tile = layout.tile(K::kMr, kc);
  constexpr int64_t kMr = K::kMr, kNr = K::kNr;
  const int64_t tiles = (mc + kMr - 1) / kMr, slivers = (nc + kNr - 1) / kNr;
  const int64_t sliver_lines = (kNr * kc * static_cast<int64_t>(sizeof(T)) + 63) / 64;
  const int64_t run_lines = region ? (region->run + 63) / 64 : 0;
  const int64_t region_lines = region ? region->runs * run_lines : 0;
  const int64_t share = region ? (region_lines + tiles * slivers - 1) / (tiles * slivers)
                               : (sliver_lines + tiles - 1) / tiles;
  // The fetch of the t-th tile the macro-kernel runs, at rows ir of the sliver at b_pack
  // (columns jr on): nothing of a next sliver that is copied from `source`, not packed.
  auto fetch_of = [&](int64_t t, int64_t ir, int64_t jr) {
    Fetch fetch;
    if (region) {
      const int64_t first = std::min(t * share, region_lines);
      fetch = Fetch{region->p + first / run_lines * region->stride, first % run_lines * 64,
                    region->run, region->stride, std::min(share, region_lines - first)};
      fetch.into_l1 = cpu_is_amd();  // the next block is read from memory
    } else if (const T* next = source.p ? nullptr : jr + kNr < nc ? b_pack + kNr * kc : after) {
      const int64_t first = std::min(ir / kMr * share, sliver_lines);
      fetch = Fetch{reinterpret_cast<const char*>(next), first * 64, sliver_lines * 64, 0,
                    std::min(share, sliver_lines - first)};
      fetch.into_l1 = cpu_is_amd();
    }
    return fetch;
  };
  // With `source`, the whole slivers after this one that an earlier first tile packed
  // already, and this one's room (SourceB).
  int64_t packed_ahead = 0, room = 0;
  for (int64_t jr = 0, t = 0; jr < nc; jr += kNr, b_pack += kNr * kc) {
    const int64_t nr = std::min(kNr, nc - jr);
    int64_t ir = 0;
    const T* sliver = b_pack;
    if (nr == kNr && mc >= kMr) {  // the whole tiles down a whole sliver, in one call
      if (source.p && packed_ahead > 0) {
        sliver = source.out + ++room * kNr * kc;
        --packed_ahead;
      } else if (source.p) {  // the first tile packs the sliver, and the next whole ones
        const int64_t slivers = std::min<int64_t>(K::kCopiedSlivers, (nc - jr) / kNr);
        sliver = source.out, room = 0, packed_ahead = slivers - 1;
        const CopiedB<T> copied{source.ld, source.out, slivers};
        K::run(kc, a_pack, source.p + jr, c + jr, ldc, overwrite, fetch_of(t, 0, jr),
               layout, copied);
        ir = kMr, ++t;
      }
      const int64_t whole = (mc - ir) / kMr;
      const int64_t t0 = t, ir0 = ir;
      K::run_column(whole, kc, a_pack + ir / kMr * a_tile, a_tile, sliver, c + ir * ldc + jr,
                    ldc, overwrite, layout, [&](int64_t i) {
                      return fetch_of(t0 + i, ir0 + i * kMr, jr);
                    });
      ir += whole * kMr, t += whole;
    }
    for (; ir < mc; ir += kMr, ++t) {
      const int64_t mr = std::min(kMr, mc - ir);
      T* ct = c + ir * ldc + jr;
      const Fetch fetch = fetch_of(t, ir, jr);
      const T* at = a_pack + ir / kMr * a_tile;
      // An edge tile: only the vectors that hold columns of C are multiplied, and only its
      // rows in parts (run_rows) under a whole sliver; where both are short, or the vectors
      // are not all whole, the tile goes through a buffer whose corner inside C is then
      // stored.
      const int used = static_cast<int>((nr + K::kLanes - 1) / K::kLanes);
      if (mr == kMr && nr == used * K::kLanes) {
        run_vectors<K>(used, kc, at, sliver, ct, ldc, overwrite, fetch, layout);
        continue;
      }
      if (nr == kNr) {
        run_rows<K>(mr, kc, at, sliver, ct, ldc, overwrite, fetch, layout);
        continue;
      }
      // (Unpacked, A has no rows past mr to multiply.)
      alignas(64) T tile[kMr * kNr];
      if (std::is_same_v<L, PackedA> || mr == kMr) {
        run_vectors<K>(used, kc, at, sliver, tile, kNr, true, fetch, layout);
      } else {
        run_rows<K>(mr, kc, at, sliver, tile, kNr, true, fetch, layout);
      }
      for (int64_t i = 0; i < mr; ++i) {
        T* row = ct + i * ldc;
        for (int64_t j = 0; j < nr; ++j) {
          row[j] = overwrite ? tile[i * kNr + j] : row[j] + tile[i * kNr + j];
        }
      }
    }
  }
}

// Rows of op(A) that one packed block holds: the whole A when it is that short.
template <typename T, typename K>
constexpr int64_t block_rows() {
  return K::kABlock / (K::kKc * static_cast<int64_t>(sizeof(T))) / K::kMr * K::kMr;
}

// The depth of k's slabs for micro-kernel K: as even as possible, none deeper than K::kKc.
template <typename K>
int64_t slab_depth(int64_t k) {
  const int64_t slabs = (k + K::kKc - 1) / K::kKc;
  return (k + slabs - 1) / slabs;
}

// Whether the tiles read op(A) where it lies (StridedA) instead of a packed copy: in products
// of at most kUnpackedSlivers slivers of B whose rows of A are contiguous. Each packed value
// would serve that few slivers, and packing A from memory cost about what it saved: unpacked,
// 4096x512x64 took 0.86x the time on one thread and 0.90x on two, 1024x512x64 0.87x,
// 1000x300x70 0.87x, n = 256 0.92-0.95x, 384 0.96-0.98x, 512 1.04x (Ice Lake). Rows of a
// transposed A lie a page apart step after step: 1.46x, so it stays packed.
constexpr int64_t kUnpackedSlivers = 8;
template <typename T>
bool reads_a_unpacked(View<T> a, int64_t slivers) {
  return a.ps == 1 && slivers <= kUnpackedSlivers;
}

// macro_kernel over rows of op(A) (their first values at `rows`, with a's strides) read where
// they lie if `unpacked`, else over their packed copy `a_pack`.
template <typename T, typename K>
void multiply_rows(bool unpacked, View<T> rows, const T* a_pack, int64_t kc, int64_t mc,
                   const T* b_pack, int64_t nc, T* c, int64_t ldc, bool overwrite,
                   const FetchRegion* region = nullptr, const T* after = nullptr,
                   const SourceB<T>& source = {}) {
  if (unpacked) {
    macro_kernel<T, K, StridedA>(kc, rows.p, mc, b_pack, nc, c, ldc, overwrite, region, after,
                                 StridedA{rows.rs, rows.ps}, source);
    return;
  }
  macro_kernel<T, K>(kc, a_pack, mc, b_pack, nc, c, ldc, overwrite, region, after, PackedA{},
                     source);
}

// How a product of at most one block of rows splits its columns over the threads: one group
// a thread when each gets two slivers or more, else a group a sliver (up to two a thread).
// Group g's columns are [first(g), first(g + 1)), cut between vectors of the tile rather than
// slivers, so that a narrow last sliver does not leave one thread the more work (the sums are
// the same wherever a column's tile starts). On two threads: 128x784x256 and 64x256x256 0.91x
// the time, 150x1000x1000 0.96x, 64x3136x1024 0.96-1.0x, fed or constant (Zen 4).
template <typename K>
struct ColumnGroups {
  int64_t n, count, vectors, widest;  // widest: columns of the widest group, whole slivers
  ColumnGroups(int64_t n, int threads) : n(n) {
    const int64_t slivers = (n + K::kNr - 1) / K::kNr;
    count = slivers >= 2 * threads ? threads : std::min<int64_t>(slivers, 2 * threads);
    vectors = (n + K::kLanes - 1) / K::kLanes;
    widest = (slivers + count - 1) / count * K::kNr;
  }
  int64_t first(int64_t g) const { return std::min(n, g * vectors / count * K::kLanes); }
};

// The blocked product with micro-kernel K for an op(A) of at most one block of rows: the
// columns of C are split into groups (ColumnGroups, as in gemm_prepacked_few_rows), and each
// task packs the slivers of B only it uses, a block of at most kFewRowsBlockBytes at a time,
// fetching the next block while it multiplies this one; so one parallel_for covers the whole
// product and each thread packs its slab of A once, if at all (reads_a_unpacked). (Groups
// for every thread twice over, each its own task, packed A once a group and left a thread a
// group behind: 64x3136x1024 took 0.93-1.0x the time this way, 128x784x256 0.88x,
// 150x1000x1000 0.81-0.95x, 64x256x256 0.82-0.96x, on two threads, Ice Lake.) Slabs 192
// deep for the wide AVX-512 tile would save a further 9% for 64x3136x1024, but constant
// weights are packed 384 deep once and must give the bits of fed ones.
// A B whose columns are contiguous is packed by the tiles themselves when the first tile is
// whole (SourceB): 64x3136x1024 then took 0.96x the time on one and two threads, 100x1000x1000
// 0.96-0.99x, 128x784x256 0.98x; in the AVX2 tile 0.87-0.89x (Zen 4).
template <typename T, typename K>
void gemm_few_rows(KernelContext& ctx, View<T> a, View<T> b, int64_t m, int64_t n, int64_t k,
                   T* c, int64_t ldc, bool accumulate) {
  constexpr int64_t kMr = K::kMr, kNr = K::kNr;
  const ColumnGroups<K> groups(n, std::max(ctx.max_threads(), 1));
  const int64_t depth = slab_depth<K>(k);
  const int64_t block_slivers = std::max<int64_t>(
      1, kFewRowsBlockBytes / (kNr * depth * static_cast<int64_t>(sizeof(T))));
  ctx.parallel_for(groups.count, std::max<int64_t>(1, kTaskMadds / (m * groups.widest * k + 1)),
                   [&](int64_t g0, int64_t g1) {
    // The task's columns [j0, j1), its slivers from j0 on. A transposed B's narrow slivers go
    // through the transposes too (pack_rows): a value at a time, they took 64x1024x3136 1.02x.
    const int64_t j0 = groups.first(g0), j1 = groups.first(g1);
    const int64_t own = (j1 - j0 + kNr - 1) / kNr;  // slivers
    const int64_t blocks = (own + block_slivers - 1) / block_slivers;
    auto first_column = [&](int64_t i) { return std::min(j1, j0 + i * own / blocks * kNr); };
    T* a_pack = thread_buffer<T>(1, (m + kMr - 1) / kMr * kMr * depth);
    const int64_t block_width = (own + blocks - 1) / blocks * kNr;
    // The block's slivers, then the rooms a tile copies whole slivers into (SourceB).
    T* b_pack = thread_buffer<T>(0, (block_width + K::kCopiedSlivers * kNr) * depth);
    const bool unpacked = reads_a_unpacked(a, own);
    const bool copies_b = b.rs == 1 && m >= kMr;
    for (int64_t pc = 0; pc < k; pc += depth) {
      const int64_t kc = std::min(depth, k - pc);
      if (!unpacked) K::pack_a(View<T>{a.p + pc * a.ps, a.rs, a.ps}, m, kc, a_pack);
      for (int64_t i = 0; i < blocks; ++i) {
        const int64_t jb = first_column(i), nc = first_column(i + 1) - jb;
        const View<T> slab{b.p + jb * b.rs + pc * b.ps, b.rs, b.ps};
        SourceB<T> source;
        if (copies_b) {  // whole slivers packed by the tiles (SourceB), the rest here
          const int64_t whole = nc / kNr * kNr;
          source = SourceB<T>{slab.p, b.ps, b_pack + block_width * depth};
          K::pack_b(View<T>{slab.p + whole, 1, b.ps}, nc - whole, kc, b_pack + whole * kc);
        } else {
          K::pack_b(slab, nc, kc, b_pack);
        }
        // The next block this task packs, fetched while this one is multiplied.
        int64_t i_next = i + 1, pc_next = pc;
        if (i_next == blocks) i_next = 0, pc_next = pc + depth;
        FetchRegion next;
        if (pc_next < k) {
          const int64_t j0_next = first_column(i_next);
          next = region_of(b, j0_next, first_column(i_next + 1) - j0_next, pc_next,
                           std::min(depth, k - pc_next));
        }
        multiply_rows<T, K>(unpacked, View<T>{a.p + pc * a.ps, a.rs, a.ps}, a_pack, kc, m,
                            b_pack, nc, c + jb, ldc, !accumulate && pc == 0,
                            next.runs ? &next : nullptr, nullptr, source);
      }
    }
  });
}

// Packs rows [pc, pc + kc) of the n x k matrix b (the slab of op(B)) into slivers at dst,
// in parallel.
template <typename T, typename K, typename Context>
void pack_b_slab(Context& ctx, View<T> b, int64_t pc, int64_t kc, int64_t n, T* dst) {
  constexpr int64_t kNr = K::kNr;
  ctx.parallel_for((n + kNr - 1) / kNr, std::max<int64_t>(1, kPackElements / (kc * kNr)),
                   [&](int64_t s0, int64_t s1) {
    const View<T> bs{b.p + s0 * kNr * b.rs + pc * b.ps, b.rs, b.ps};
    K::pack_b(bs, std::min(n - s0 * kNr, (s1 - s0) * kNr), kc, dst + s0 * kNr * kc);
  });
}

// How an op(A) of more rows than one block of K is cut for multiply_slab: into as many
// blocks as a multiple of the threads, their heights whole micro-tiles as even as can be (at
// most one micro-tile apart), and, when the blocks are too few to keep every thread busy, each
// panel's slivers into groups too.
template <typename T, typename K>
struct RowBlocks {
  int64_t m, count, tallest;
  RowBlocks(int64_t m, int threads) : m(m) {
    constexpr int64_t kMc = block_rows<T, K>();
    count = ((m + kMc - 1) / kMc + threads - 1) / threads * threads;
    tallest = (tiles() + count - 1) / count * K::kMr;
  }
  int64_t tiles() const { return (m + K::kMr - 1) / K::kMr; }
  // The first row of block `block` (m for block `count`).
  int64_t start(int64_t block) const { return std::min(m, block * tiles() / count * K::kMr); }
  int64_t groups(int64_t slivers, int threads) const {
    return std::min<int64_t>(slivers, std::max<int64_t>(1, (2 * threads + count - 1) / count));
  }
};

// Where multiply_slab's tasks find the slab's packed slivers of B: at `packed`, packed for all
// of them before; or, where `packed` is null, in a panel of its own that each thread packs
// from `own` (the slab of op(B), n x kc) the first time it runs a task of slab `id` (ids are
// unique: next_slab_id).
template <typename T>
struct SlabOfB {
  const T* packed = nullptr;
  View<T> own{nullptr, 0, 0};
  int64_t id = 0;
};
inline int64_t next_slab_id() {
  static std::atomic<int64_t> ids{0};
  return ids.fetch_add(1, std::memory_order_relaxed);
}

// C (m x nc) = or += (overwrite or not) the slab of op(A) at columns [pc, pc + kc) times the
// slab's packed slivers of B (SlabOfB), in tasks of (block of rows, group of slivers), each
// packing its block of A once (or reading it in place: reads_a_unpacked); threads claim tasks
// as they free up. Blocks of even height: with 1024 rows cut into blocks of 176 and a last one
// of 144, one of two threads multiplied 528 rows while the other waited (even blocks
// 0.98-0.99x the time of squares 500-2048 on two threads, Ice Lake). Each thread one run of
// tasks instead measured the same on a quiet machine, but with another process busy on one of
// the two cores the 2048 square took 1.17x the time of claims (1024: 1.05x): a thread slowed
// by others then holds up the whole slab.
template <typename T, typename K>
void multiply_slab(KernelContext& ctx, View<T> a, int64_t pc, int64_t kc,
                   const SlabOfB<T>& slab, const RowBlocks<T, K>& blocks, int64_t nc, T* c,
                   int64_t ldc, bool overwrite) {
  constexpr int64_t kNr = K::kNr;
  const int threads = std::max(ctx.max_threads(), 1);
  const int64_t slivers = (nc + kNr - 1) / kNr, groups = blocks.groups(slivers, threads);
  const int64_t tasks = blocks.count * groups;
  const int64_t task_madds = blocks.tallest * (slivers + groups - 1) / groups * kNr * kc;
  const int64_t grain = std::max<int64_t>(1, kTaskMadds / task_madds);
  const bool unpacked = reads_a_unpacked(a, slivers);
  ctx.parallel_for(tasks, grain, [&](int64_t t0, int64_t t1) {
    T* a_pack = thread_buffer<T>(1, blocks.tallest * kc);
    int64_t packed_block = -1;
    const T* b_pack = slab.packed;
    if (!b_pack) {
      thread_local int64_t packed_id = -1;
      T* panel = thread_buffer<T>(2, slivers * kNr * kc);
      if (packed_id != slab.id) {
        K::pack_b(slab.own, nc, kc, panel);
        packed_id = slab.id;
      }
      b_pack = panel;
    }
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t rb = t / groups, g = t % groups;
      const int64_t i0 = blocks.start(rb), mc = blocks.start(rb + 1) - i0;
      const int64_t s0 = g * slivers / groups, s1 = (g + 1) * slivers / groups;
      const int64_t width = std::min(nc, s1 * kNr) - s0 * kNr;
      const T* a_rows = a.p + i0 * a.rs + pc * a.ps;
      T* c_block = c + i0 * ldc + s0 * kNr;
      if (!unpacked && rb != packed_block) {
        K::pack_a(View<T>{a_rows, a.rs, a.ps}, mc, kc, a_pack);
        packed_block = rb;
      }
      multiply_rows<T, K>(unpacked, View<T>{a_rows, a.rs, a.ps}, a_pack, kc, mc,
                          b_pack + s0 * kNr * kc, width, c_block, ldc, overwrite);
    }
  });
}

// Whether gemm_blocked's threads each pack every slab's panel of B for themselves (SlabOfB)
// instead of one panel together before the slab's tasks: in products of few rows whose panel
// fits L2. Packed together, each thread writes lines of the panel that the other core read in
// the slab before, each write waiting for that copy to go (in the AVX2 512 square the packing
// took 12% of the samples on two threads, 2.6% on one), and the tasks wait for the slower
// packer. Packed twice over, it costs each thread a whole panel. On two threads, paired in one
// process (Zen 4, both tiles): the squares 320-512 0.85-1.00x the time, 256 0.92-0.93x (the
// AVX2 tile 0.93x in one run, 1.02x in three), 256x512x512 0.98-1.0x, 300x1000x1000 0.98x;
// with larger panels or more rows 1.0-1.02x (512x512x1024 in the AVX-512 tile, the squares
// 768-2048).
template <typename T>
bool packs_own_panels(int64_t m, int64_t panel_values, int threads) {
  return threads > 1 && m <= 512 &&
         panel_values * static_cast<int64_t>(sizeof(T)) <= (int64_t{1} << 20);
}

// The blocked product with micro-kernel K. b is op(B) seen as n x k (rows = columns of C).
template <typename T, typename K>
void gemm_blocked(KernelContext& ctx, View<T> a, View<T> b, int64_t m, int64_t n, int64_t k,
                  T* c, int64_t ldc, bool accumulate) {
  constexpr int64_t kNr = K::kNr, kMc = block_rows<T, K>();
  static_assert(kNc % kNr == 0, "a panel of B holds whole slivers");
  if (m <= kMc) {
    gemm_few_rows<T, K>(ctx, a, b, m, n, k, c, ldc, accumulate);
    return;
  }
  const int threads = std::max(ctx.max_threads(), 1);
  const RowBlocks<T, K> blocks(m, threads);
  const int64_t depth = slab_depth<K>(k);
  const int64_t panel = depth * std::min(kNc, (n + kNr - 1) / kNr * kNr);
  const bool own_panels = packs_own_panels<T>(m, panel, threads);
  T* b_pack = own_panels ? nullptr : thread_buffer<T>(0, panel);
  for (int64_t jc = 0; jc < n; jc += kNc) {
    const int64_t nc = std::min(kNc, n - jc);
    for (int64_t pc = 0; pc < k; pc += depth) {
      const int64_t kc = std::min(depth, k - pc);
      const bool overwrite = !accumulate && pc == 0;
      if (own_panels) {
        const View<T> own{b.p + jc * b.rs + pc * b.ps, b.rs, b.ps};
        multiply_slab<T, K>(ctx, a, pc, kc, SlabOfB<T>{nullptr, own, next_slab_id()}, blocks,
                            nc, c + jc, ldc, overwrite);
        continue;
      }
      // The panel of B, shared by every task: packed first, in parallel.
      pack_b_slab<T, K>(ctx, View<T>{b.p + jc * b.rs, b.rs, b.ps}, pc, kc, nc, b_pack);
      multiply_slab<T, K>(ctx, a, pc, kc, SlabOfB<T>{b_pack}, blocks, nc, c + jc, ldc,
                          overwrite);
    }
  }
}

// Packs all of op(B) (b seen as n x k) for micro-kernel K: slab after slab of k (each
// slab_depth(k) deep, as gemm cuts them), each slab's slivers one after another, so that slab
// pc starts at pc * width (width: n rounded up to whole slivers).
template <typename T, typename K, typename Context>
void pack_all_of_b(Context& ctx, View<T> b, int64_t k, int64_t n, T* dst) {
  const int64_t width = (n + K::kNr - 1) / K::kNr * K::kNr, depth = slab_depth<K>(k);
  for (int64_t pc = 0; pc < k; pc += depth) {
    pack_b_slab<T, K>(ctx, b, pc, std::min(depth, k - pc), n, dst + pc * width);
  }
}

// gemm_prepacked for an op(A) of at most one block of rows (a dense layer's batch): as
// gemm_few_rows, one parallel_for over groups of slivers, each task going down all of k.
// Slab after slab in parallel would be a round of tasks and a wait per slab (17 for the 3136
// inputs of LeNet's dense layer): 0.955x the time on two threads, 0.99x on one (Ice Lake).
// Each tile fetches the next sliver of its block meanwhile (macro_kernel); fetching the
// task's next block instead was 3% slower on one thread. Each element of C sums the slabs in
// the same order either way. One group a thread when each gets two slivers or more: groups
// as even as can be finish together, where twice as many, handed to whichever thread is free,
// left one a sliver or more behind (LeNet's 22: 5, 6, 5, 6) and packed A twice a thread:
// 0.874-0.887x the time of that layer on two threads. A group that starts inside a sliver
// (ColumnGroups) multiplies that sliver's part first.
template <typename T, typename K>
void gemm_prepacked_few_rows(KernelContext& ctx, View<T> a, const T* b_pack, int64_t m,
                             int64_t n, int64_t k, T* c, int64_t ldc, bool accumulate) {
  constexpr int64_t kMr = K::kMr, kNr = K::kNr;
  const int64_t width = (n + kNr - 1) / kNr * kNr, depth = slab_depth<K>(k);
  const ColumnGroups<K> groups(n, std::max(ctx.max_threads(), 1));
  ctx.parallel_for(groups.count, std::max<int64_t>(1, kTaskMadds / (m * groups.widest * k + 1)),
                   [&](int64_t g0, int64_t g1) {
    T* a_pack = thread_buffer<T>(1, (m + kMr - 1) / kMr * kMr * depth);
    const bool unpacked =
        reads_a_unpacked(a, (groups.first(g1) - groups.first(g0) + kNr - 1) / kNr);
    for (int64_t pc = 0; pc < k; pc += depth) {
      const int64_t kc = std::min(depth, k - pc);
      if (!unpacked) K::pack_a(View<T>{a.p + pc * a.ps, a.rs, a.ps}, m, kc, a_pack);
      const T* slab = b_pack + pc * width;
      // Columns [j, j + nc) of C, from the packed slivers' columns j on (where j falls inside
      // a sliver, its tiles read the sliver from that column: a packed step's values for the
      // sliver are kNr apart whichever of them a tile starts at); `after` as macro_kernel's.
      auto multiply = [&](int64_t j, int64_t nc, const T* after) {
        multiply_rows<T, K>(unpacked, View<T>{a.p + pc * a.ps, a.rs, a.ps}, a_pack, kc, m,
                            slab + j / kNr * kNr * kc + j % kNr, nc, c + j, ldc,
                            !accumulate && pc == 0, nullptr, after);
      };
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t j0 = groups.first(g), j1 = groups.first(g + 1);
        // The first whole sliver the task multiplies next: the next group's, or its first
        // group's in the next slab.
        const T* after = nullptr;
        if (g + 1 < g1) {
          after = slab + (j1 + kNr - 1) / kNr * kNr * kc;
        } else if (pc + depth < k) {
          after = b_pack + (pc + depth) * width +
                  (groups.first(g0) + kNr - 1) / kNr * kNr * std::min(depth, k - pc - depth);
        }
        // A group that starts inside a sliver multiplies that sliver's part first, alone.
        const int64_t whole = std::min(j1, (j0 + kNr - 1) / kNr * kNr);
        if (whole > j0) {
          multiply(j0, whole - j0, whole < j1 ? slab + whole * kc : after);
        }
        if (j1 > whole) multiply(whole, j1 - whole, after);
      }
    }
  });
}

// gemm_blocked's product with B packed by pack_all_of_b: row blocks (and, when they are too
// few for the threads, groups of slivers) in parallel, slab by slab.
template <typename T, typename K>
void gemm_prepacked(KernelContext& ctx, View<T> a, const T* b_pack, int64_t m, int64_t n,
                    int64_t k, T* c, int64_t ldc, bool accumulate) {
  constexpr int64_t kNr = K::kNr, kMc = block_rows<T, K>();
  if (m <= kMc) {
    gemm_prepacked_few_rows<T, K>(ctx, a, b_pack, m, n, k, c, ldc, accumulate);
    return;
  }
  const RowBlocks<T, K> blocks(m, std::max(ctx.max_threads(), 1));
  const int64_t width = (n + kNr - 1) / kNr * kNr, depth = slab_depth<K>(k);
  for (int64_t pc = 0; pc < k; pc += depth) {
    const int64_t kc = std::min(depth, k - pc);
    const bool overwrite = !accumulate && pc == 0;
    multiply_slab<T, K>(ctx, a, pc, kc, SlabOfB<T>{b_pack + pc * width}, blocks, n, c, ldc,
                        overwrite);
  }
}

template <typename K>
struct KernelTag {
  using type = K;
};

// Calls fn(KernelTag<K>{}) with the micro-kernel type K of `kernel` (never kAuto) for a
// product with n columns of C (its AVX-512 tile depends on them).
template <typename T, typename F>
void with_kernel(GemmKernel kernel, int64_t n, F&& fn) {
  switch (kernel) {
#if defined(__x86_64__) || defined(__i386__)
    case GemmKernel::kAvx512:
      if (avx512_tile_is_wide<T>(n)) return fn(KernelTag<Avx512Wide<T>>{});
      return fn(KernelTag<Avx512Narrow<T>>{});
    case GemmKernel::kAvx512Layout:
      if (avx512_tile_is_wide<T>(n)) return fn(KernelTag<Avx512WideLayout<T>>{});
      return fn(KernelTag<Avx512NarrowLayout<T>>{});
    case GemmKernel::kAvx2:
      return fn(KernelTag<Avx2Kernel<T>>{});
#endif
    default:
      return fn(KernelTag<GenericKernel<T>>{});
  }
}

std::atomic<GemmKernel> g_kernel_choice{GemmKernel::kAuto};

}  // namespace

Status set_gemm_kernel(GemmKernel kernel) {
  const bool runs = kernel == GemmKernel::kAuto || kernel == GemmKernel::kGeneric ||
                    (kernel == GemmKernel::kAvx512 ? cpu_has_avx512() : cpu_has_avx2());
  if (!runs) return invalid_argument("This CPU cannot run the requested GEMM micro-kernel");
  g_kernel_choice = kernel;
  return Status::OK();
}

GemmKernel gemm_kernel() {
  const GemmKernel chosen = g_kernel_choice;
  if (chosen != GemmKernel::kAuto) return chosen;
  return cpu_has_avx512() ? GemmKernel::kAvx512
                          : cpu_has_avx2() ? GemmKernel::kAvx2 : GemmKernel::kGeneric;
}

int float_lanes_in_use() {
  switch (gemm_kernel()) {
    case GemmKernel::kAvx512:
      return 16;
    case GemmKernel::kAvx2:
    case GemmKernel::kAvx512Layout:
      return 8;
    default:
      return 0;
  }
}

namespace {
constexpr const char* kGemmKernelNames[] = {"auto", "generic", "avx2", "avx512", "avx512-layout"};
}  // namespace

Status set_gemm_kernel(const std::string& name) {
  for (int i = 0; i < 5; ++i) {
    if (name == kGemmKernelNames[i]) return set_gemm_kernel(static_cast<GemmKernel>(i));
  }
  return invalid_argument("Unknown GEMM micro-kernel '" + name +
                          "' (auto, generic, avx2, avx512 or avx512-layout)");
}

std::string gemm_kernel_name() { return kGemmKernelNames[static_cast<int>(gemm_kernel())]; }

#if defined(__x86_64__) || defined(__i386__)
// Products gemm turns around (TransposedBTile): a float op(B) that is W^T with W's rows
// contiguous, under op(A) of 16 to 64 rows (fewer would fill too few lanes of a vector), W at
// least 512 x 512. On two threads of a Zen 4 VM, against the blocked product (AVX-512 tiles,
// then AVX2 ones): 64x1024x3136 0.955-0.98x and 0.98-1.0x the time (one thread 0.93x and
// 0.93x), 64x1024x1024 0.94x and 0.95x, 64x2048x2048 0.94x both, 64x512x512 0.99x and
// 0.93-0.96x, 32 rows 0.88x and 0.84x, 16 rows 0.77x and 0.76x. Where the transposes cost
// less than the turned-around tiles' own costs (a transposed store of C a tile, A's slab read
// from L2 again for every six columns) it loses or gains nothing: 65-128 rows 0.92-1.09x
// (100x1024x3136 1.07-1.09x), W of 256 or 384 rows 1.01-1.09x, 100x700x131 1.05-1.15x.
constexpr int64_t kTransposedBMinRows = 16, kTransposedBMaxRows = 64, kTransposedBMinSide = 512;
// Tiles whose sums a task holds between slabs at a time (24 KB for 64 rows: L1).
constexpr int64_t kHeldTiles = 16;
bool turns_transposed_b(int64_t m, int64_t n, int64_t k, View<float> b) {
  return b.ps == 1 && m >= kTransposedBMinRows && m <= kTransposedBMaxRows &&
         n >= kTransposedBMinSide && k >= kTransposedBMinSide;
}

// C = or += op(A) W^T with tile K (Avx2TransposedB, Avx512TransposedB; b is W as op(B)'s n x
// k view) in slabs `depth` deep, those of the blocked product, so the same bits: op(A) packed
// transposed once, on the caller (a few rows: 0.5% of 64x1024x3136's samples on one thread),
// then tiles of columns in parallel, each task kHeldTiles tiles at a time, slab after slab.
template <typename K>
void gemm_transposed_b(KernelContext& ctx, View<float> a, View<float> b, int64_t m, int64_t n,
                       int64_t k, float* c, int64_t ldc, bool accumulate, int64_t depth) {
  constexpr int64_t kCols = K::kCols;
  const int64_t sliver_values = K::kWidth * k;
  float* ap = thread_buffer<float>(1, (m + K::kWidth - 1) / K::kWidth * sliver_values);
  K::pack_a(a, m, k, ap);
  const int64_t tiles = (n + kCols - 1) / kCols;
  const int64_t slivers = (m + K::kWidth - 1) / K::kWidth;
  const bool holds = !accumulate && k > depth;
  ctx.parallel_for(tiles, std::max<int64_t>(1, kTaskMadds / (m * kCols * k)),
                   [&](int64_t t0, int64_t t1) {
    const int64_t j0 = t0 * kCols, j1 = std::min(n, t1 * kCols);
    // Groups of kHeldTiles tiles, slab after slab, each tile's sums held between slabs.
    float* held = holds ? thread_buffer<float>(0, kHeldTiles * slivers * K::kHeldValues)
                        : nullptr;
    const int64_t group = holds ? kHeldTiles * kCols : j1 - j0;
    for (int64_t g0 = j0; g0 < j1; g0 += group) {
      const int64_t g1 = std::min(j1, g0 + group);
      for (int64_t pc = 0; pc < k; pc += depth) {
        // The last tile fetches the first one's rows of the next slab (after the last slab, of
        // the next group: mostly the thread's next).
        const float* after = pc + depth < k ? b.p + g0 * b.rs + pc + depth
                             : g1 < n ? b.p + g1 * b.rs : nullptr;
        const Held stage = !holds              ? Held::kNone
                           : pc == 0           ? Held::kFirst
                           : pc + depth < k    ? Held::kMiddle
                                               : Held::kLast;
        K::columns(std::min(depth, k - pc), ap + pc * K::kWidth, sliver_values, m, b.p + pc,
                   b.rs, g0, g1, c, ldc, !accumulate && pc == 0, after, held, stage);
      }
    }
  });
}
#endif

template <typename T>
void gemm(KernelContext& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
          const T* a, int64_t lda, const T* b, int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
    }
    return;
  }
  // op(A) as m x k and op(B) as n x k (rows indexed by C's columns).
  const View<T> av = trans_a ? View<T>{a, 1, lda} : View<T>{a, lda, 1};
  const View<T> bv = trans_b ? View<T>{b, ldb, 1} : View<T>{b, 1, ldb};
  constexpr bool kFloating = std::is_floating_point_v<T>;
  if constexpr (kFloating) {
    if (reads_b_in_place(m, n, k) && bv.rs == 1) {
#if defined(__x86_64__) || defined(__i386__)
      if (gemm_kernel() == GemmKernel::kAvx512) {
        return gemm_unpacked<T, Avx512FewRows>(ctx, av, bv, m, n, k, c, ldc, accumulate);
      }
      if (gemm_kernel() != GemmKernel::kGeneric) {
        return gemm_unpacked<T, Avx2FewRows>(ctx, av, bv, m, n, k, c, ldc, accumulate);
      }
#endif
      return gemm_unpacked<T, GenericFewRows>(ctx, av, bv, m, n, k, c, ldc, accumulate);
    }
  }
  // Tiny products, and integer ones with fewer rows than a micro-tile (with rows of B
  // contiguous): rows of axpys beat packing B.
  if (m * n * k <= kTinyMadds || (!kFloating && m < GenericKernel<T>::kMr && bv.rs == 1)) {
    ctx.parallel_for(n, std::max<int64_t>(64, kTaskMadds / (m * k)), [&](int64_t j0, int64_t j1) {
      if (cpu_has_avx2()) {
        gemm_rows_avx2(av, bv, m, k, j0, j1, c, ldc, accumulate);
      } else {
        gemm_rows(av, bv, m, k, j0, j1, c, ldc, accumulate);
      }
    });
    return;
  }
  if constexpr (kFloating) {
    const GemmKernel kernel = gemm_kernel();
    with_kernel<T>(kernel, n, [&](auto tag) {
      using K = typename decltype(tag)::type;
#if defined(__x86_64__) || defined(__i386__)
      if constexpr (std::is_same_v<T, float>) {
        if (kernel != GemmKernel::kGeneric && turns_transposed_b(m, n, k, bv)) {
          if (kernel == GemmKernel::kAvx512) {
            return gemm_transposed_b<Avx512TransposedB>(ctx, av, bv, m, n, k, c, ldc,
                                                        accumulate, slab_depth<K>(k));
          }
          return gemm_transposed_b<Avx2TransposedB>(ctx, av, bv, m, n, k, c, ldc, accumulate,
                                                    slab_depth<K>(k));
        }
      }
#endif
      gemm_blocked<T, K>(ctx, av, bv, m, n, k, c, ldc, accumulate);
    });
  } else {
    gemm_blocked<T, GenericKernel<T>>(ctx, av, bv, m, n, k, c, ldc, accumulate);
  }
}

#define TL_INSTANTIATE_GEMM(T)                                                               \
  template void gemm<T>(KernelContext&, bool, bool, int64_t, int64_t, int64_t, const T*,     \
                        int64_t, const T*, int64_t, T*, int64_t, bool);
TL_INSTANTIATE_GEMM(float)
TL_INSTANTIATE_GEMM(double)
TL_INSTANTIATE_GEMM(int32_t)
TL_INSTANTIATE_GEMM(int64_t)
#undef TL_INSTANTIATE_GEMM

template <typename T, typename Context>
Status pack_gemm_b(Context& ctx, bool trans_b, int64_t k, int64_t n, const T* b, int64_t ldb,
                   PackedGemmB<T>* out) {
  out->kernel = gemm_kernel();
  out->k = k;
  out->n = n;
  const View<T> bv = trans_b ? View<T>{b, ldb, 1} : View<T>{b, 1, ldb};
  Status status;
  with_kernel<T>(out->kernel, n, [&](auto tag) {
    using K = typename decltype(tag)::type;
    const int64_t width = (n + K::kNr - 1) / K::kNr * K::kNr;
    out->data = Buffer::allocate(static_cast<size_t>(std::max<int64_t>(k * width, 1)) *
                                 sizeof(T));
    if (!out->data) {
      status = resource_exhausted("out of memory packing a " + std::to_string(k) + "x" +
                                  std::to_string(n) + " matrix");
      return;
    }
    if (k > 0 && n > 0) pack_all_of_b<T, K>(ctx, bv, k, n, static_cast<T*>(out->data->data()));
  });
  return status;
}

template <typename T>
void gemm_packed(KernelContext& ctx, bool trans_a, int64_t m, const T* a, int64_t lda,
                 const PackedGemmB<T>& b, T* c, int64_t ldc, bool accumulate) {
  if (m <= 0 || b.n <= 0) return;
  if (b.k <= 0) {
    if (!accumulate) {
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + b.n, T(0));
    }
    return;
  }
  const View<T> av = trans_a ? View<T>{a, 1, lda} : View<T>{a, lda, 1};
  with_kernel<T>(b.kernel, b.n, [&](auto tag) {
    using K = typename decltype(tag)::type;
    gemm_prepacked<T, K>(ctx, av, static_cast<const T*>(b.data->data()), m, b.n, b.k, c, ldc,
                         accumulate);
  });
}

bool gemm_packs_b(int64_t m, int64_t n, int64_t k) {
  return !reads_b_in_place(m, n, k) && m * n * k > kTinyMadds;
}

Status pack_weights(PrepareContext& ctx, bool trans_b, int64_t k, int64_t n, const Tensor& b,
                    std::unique_ptr<KernelState>* state) {
  auto weights = std::make_unique<PackedWeights>();
  const int64_t ldb = trans_b ? k : n;
  if (b.dtype() == DType::kFloat32) {
    TL_RETURN_IF_ERROR(pack_gemm_b(ctx, trans_b, k, n, b.data<float>(), ldb, &weights->f32));
  } else if (b.dtype() == DType::kFloat64) {
    TL_RETURN_IF_ERROR(pack_gemm_b(ctx, trans_b, k, n, b.data<double>(), ldb, &weights->f64));
  } else {
    return Status::OK();
  }
  *state = std::move(weights);
  return Status::OK();
}

template <typename T>
std::shared_ptr<const PackedGemmB<T>> LoopPackedB::get(KernelContext& ctx, int input,
                                                       bool trans_b, int64_t m, int64_t n,
                                                       int64_t k, const T* b) const {
  if (!ctx.input_is_loop_invariant(input) || !gemm_packs_b(m, n, k)) return nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (epoch_ == ctx.loop_epoch() && source_ == b && packed_) {
      auto packed = std::static_pointer_cast<const PackedGemmB<T>>(packed_);
      if (packed->kernel == gemm_kernel() && packed->k == k && packed->n == n) return packed;
    }
  }
  auto packed = std::make_shared<PackedGemmB<T>>();
  if (!pack_gemm_b(ctx, trans_b, k, n, b, trans_b ? k : n, packed.get()).ok()) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  epoch_ = ctx.loop_epoch();
  source_ = b;
  packed_ = packed;
  return packed;
}

namespace {

struct LoopPackedStates : KernelState {
  std::vector<LoopPackedB> products;
  explicit LoopPackedStates(int count) : products(count) {}
};

}  // namespace

template <int kCount>
Status prepare_loop_packed_b(PrepareContext&, std::unique_ptr<KernelState>* state) {
  *state = std::make_unique<LoopPackedStates>(kCount);
  return Status::OK();
}

const LoopPackedB& loop_packed_b(const KernelContext& ctx, int i) {
  return static_cast<const LoopPackedStates*>(ctx.kernel_state())->products[i];
}

template Status prepare_loop_packed_b<1>(PrepareContext&, std::unique_ptr<KernelState>*);
template Status prepare_loop_packed_b<2>(PrepareContext&, std::unique_ptr<KernelState>*);
template std::shared_ptr<const PackedGemmB<float>> LoopPackedB::get<float>(
    KernelContext&, int, bool, int64_t, int64_t, int64_t, const float*) const;
template std::shared_ptr<const PackedGemmB<double>> LoopPackedB::get<double>(
    KernelContext&, int, bool, int64_t, int64_t, int64_t, const double*) const;

template Status pack_gemm_b<float, KernelContext>(KernelContext&, bool, int64_t, int64_t,
                                                  const float*, int64_t, PackedGemmB<float>*);
template Status pack_gemm_b<double, KernelContext>(KernelContext&, bool, int64_t, int64_t,
                                                   const double*, int64_t, PackedGemmB<double>*);
template void gemm_packed<float>(KernelContext&, bool, int64_t, const float*, int64_t,
                                 const PackedGemmB<float>&, float*, int64_t, bool);
template void gemm_packed<double>(KernelContext&, bool, int64_t, const double*, int64_t,
                                  const PackedGemmB<double>&, double*, int64_t, bool);

}  // namespace tl
