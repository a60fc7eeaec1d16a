// MatMul and BatchMatMulV2 on a cache-blocked, packed GEMM.
#include <algorithm>
#include <cstring>
#include <vector>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// ---- GEMM ----

// C = op(A) * op(B) for row-major matrices; op transposes when asked.
struct GemmDims {
  int64_t m, n, k;
  bool trans_a, trans_b;
};

// Register tile of the micro-kernel: kMr rows by kNr columns of C, kNr * sizeof(T) = 32 bytes
// (two SSE registers per row; gcc vectorises the fixed-size loops below without -march).
template <typename T>
struct GemmTile {
  static constexpr int kMr = 4;
  static constexpr int kNr = 32 / sizeof(T);
};
// Cache blocks: a kMc x kKc block of packed A stays in L2, a kKc x kNr sliver of packed B in L1.
constexpr int64_t kGemmMc = 96;
constexpr int64_t kGemmKc = 256;
constexpr int64_t kGemmNc = 256;
// Below this many multiply-adds, a plain loop beats packing.
constexpr int64_t kGemmTiny = 32768;
// Multiply-adds per parallel task, so that small products run inline.
constexpr int64_t kGemmGrain = 1 << 19;

// acc = sum over p of A-sliver(:, p) * B-sliver(p, :), then C = acc (overwrite) or C += acc,
// writing only the mr x nr corner that lies inside C.
template <typename T>
void gemm_micro_kernel(int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, int64_t mr,
                       int64_t nr, bool overwrite) {
  constexpr int kMr = GemmTile<T>::kMr, kNr = GemmTile<T>::kNr;
  T acc[kMr][kNr] = {};
  for (int64_t p = 0; p < kc; ++p, ap += kMr, bp += kNr) {
    for (int i = 0; i < kMr; ++i) {
      for (int j = 0; j < kNr; ++j) acc[i][j] += ap[i] * bp[j];
    }
  }
  for (int64_t i = 0; i < mr; ++i) {
    T* row = c + i * ldc;
    for (int64_t j = 0; j < nr; ++j) row[j] = overwrite ? acc[i][j] : row[j] + acc[i][j];
  }
}

// Packs rows [0, mc) x cols [0, kc) of a matrix X(r, p) = x[r * rs + p * ps] into slivers of
// `width` rows, each stored p-major (width values per p), zero-padding the last sliver.
template <typename T>
void gemm_pack(const T* x, int64_t rs, int64_t ps, int64_t mc, int64_t kc, int width, T* dst) {
  for (int64_t r0 = 0; r0 < mc; r0 += width) {
    const int64_t rows = std::min<int64_t>(width, mc - r0);
    for (int64_t p = 0; p < kc; ++p) {
      const T* src = x + r0 * rs + p * ps;
      int64_t r = 0;
      for (; r < rows; ++r) dst[r] = src[r * rs];
      for (; r < width; ++r) dst[r] = T(0);
      dst += width;
    }
  }
}

// Rows [i0, i0 + mc) x cols [j0, j0 + nc) of one product, packed and blocked.
template <typename T>
void gemm_block(const GemmDims& g, const T* a, const T* b, T* c, int64_t i0, int64_t mc,
                int64_t j0, int64_t nc) {
  constexpr int kMr = GemmTile<T>::kMr, kNr = GemmTile<T>::kNr;
  // A(i, p) and B(p, j) as strides; packing B walks its columns as the "rows" of B^T.
  const int64_t a_is = g.trans_a ? 1 : g.k, a_ps = g.trans_a ? g.m : 1;
  const int64_t b_js = g.trans_b ? g.k : 1, b_ps = g.trans_b ? 1 : g.n;
  const int64_t mc_padded = (mc + kMr - 1) / kMr * kMr, nc_padded = (nc + kNr - 1) / kNr * kNr;
  thread_local std::vector<T> scratch;
  scratch.resize(static_cast<size_t>((mc_padded + nc_padded) * kGemmKc));
  T* a_pack = scratch.data();
  T* b_pack = a_pack + mc_padded * kGemmKc;
  for (int64_t p0 = 0; p0 < g.k; p0 += kGemmKc) {
    const int64_t kc = std::min(kGemmKc, g.k - p0);
    gemm_pack(a + i0 * a_is + p0 * a_ps, a_is, a_ps, mc, kc, kMr, a_pack);
    gemm_pack(b + j0 * b_js + p0 * b_ps, b_js, b_ps, nc, kc, kNr, b_pack);
    for (int64_t jr = 0; jr < nc; jr += kNr) {
      for (int64_t ir = 0; ir < mc; ir += kMr) {
        gemm_micro_kernel(kc, a_pack + ir * kc, b_pack + jr * kc, c + (i0 + ir) * g.n + j0 + jr,
                          g.n, std::min<int64_t>(kMr, mc - ir), std::min<int64_t>(kNr, nc - jr),
                          p0 == 0);
      }
    }
  }
}

// Columns [j0, j1) of one product by rows of C: c[i, j] += A(i, p) * B(p, j) with j innermost.
// For tiny products, and for few rows of C when B's rows are contiguous.
template <typename T>
void gemm_rows(const GemmDims& g, const T* a, const T* b, T* c, int64_t j0, int64_t j1) {
  const int64_t a_is = g.trans_a ? 1 : g.k, a_ps = g.trans_a ? g.m : 1;
  const int64_t b_js = g.trans_b ? g.k : 1, b_ps = g.trans_b ? 1 : g.n;
  for (int64_t i = 0; i < g.m; ++i) {
    T* row = c + i * g.n;
    std::fill(row + j0, row + j1, T(0));
    for (int64_t p = 0; p < g.k; ++p) {
      const T av = a[i * a_is + p * a_ps];
      const T* brow = b + p * b_ps;
      if (b_js == 1) {
        for (int64_t j = j0; j < j1; ++j) row[j] += av * brow[j];
      } else {
        for (int64_t j = j0; j < j1; ++j) row[j] += av * brow[j * b_js];
      }
    }
  }
}

// C[t] = op(A[t]) op(B[t]) for t < batch. C's matrices are contiguous; offsets(t, &oa, &ob)
// gives the element offsets of A's and B's t-th matrices. Parallel over batches x C blocks.
template <typename T, typename Offsets>
void batched_gemm(KernelContext& ctx, const GemmDims& g, int64_t batch, const T* a, const T* b,
                  T* c, Offsets offsets) {
  if (g.m == 0 || g.n == 0 || batch == 0) return;
  if (g.k == 0) {
    std::fill(c, c + batch * g.m * g.n, T(0));
    return;
  }
  const int64_t col_blocks = (g.n + kGemmNc - 1) / kGemmNc;
  const bool by_rows = g.m * g.n * g.k <= kGemmTiny || (!g.trans_b && g.m < GemmTile<T>::kMr);
  const int64_t row_blocks = by_rows ? 1 : (g.m + kGemmMc - 1) / kGemmMc;
  const int64_t tasks_per_matrix = row_blocks * col_blocks;
  const int64_t task_madds = std::min(g.m, kGemmMc) * std::min(g.n, kGemmNc) * g.k;
  ctx.parallel_for(batch * tasks_per_matrix, kGemmGrain / task_madds + 1,
                   [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t mat = t / tasks_per_matrix, rb = t % tasks_per_matrix / col_blocks,
                    cb = t % col_blocks;
      int64_t oa, ob;
      offsets(mat, &oa, &ob);
      T* cm = c + mat * g.m * g.n;
      const int64_t j0 = cb * kGemmNc, nc = std::min(kGemmNc, g.n - j0);
      if (by_rows) {
        gemm_rows(g, a + oa, b + ob, cm, j0, j0 + nc);
      } else {
        const int64_t i0 = rb * kGemmMc;
        gemm_block(g, a + oa, b + ob, cm, i0, std::min(kGemmMc, g.m - i0), j0, nc);
      }
    }
  });
}

// ---- MatMul, BatchMatMulV2 ----

// The inner dims of op(A) and op(B) as (k from A, k from B), for the shape check.
Status check_inner_dims(const InferenceContext& ctx, int64_t ka, int64_t kb) {
  if (ka == kUnknownDim || kb == kUnknownDim || ka == kb) return Status::OK();
  return shape_error(ctx, "Dimensions must be equal, but are " + std::to_string(ka) + " and " +
                              std::to_string(kb));
}

Status matmul_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 2, 2));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 2, 2));
  const Shape& a = ctx.input_shape(0);
  const Shape& b = ctx.input_shape(1);
  const bool ta = ctx.attrs().get<bool>("transpose_a");
  const bool tb = ctx.attrs().get<bool>("transpose_b");
  const int64_t m = a.rank_known() ? a.dim(ta ? 1 : 0) : kUnknownDim;
  const int64_t ka = a.rank_known() ? a.dim(ta ? 0 : 1) : kUnknownDim;
  const int64_t kb = b.rank_known() ? b.dim(tb ? 1 : 0) : kUnknownDim;
  const int64_t n = b.rank_known() ? b.dim(tb ? 0 : 1) : kUnknownDim;
  TL_RETURN_IF_ERROR(check_inner_dims(ctx, ka, kb));
  ctx.set_output(0, ctx.input_dtype(0), Shape({m, n}));
  return Status::OK();
}

Status matmul_kernel(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  Tensor& c = ctx.output(0);
  const bool ta = ctx.attrs().get<bool>("transpose_a");
  const bool tb = ctx.attrs().get<bool>("transpose_b");
  const GemmDims g{c.shape().dim(0), c.shape().dim(1), a.shape().dim(ta ? 0 : 1), ta, tb};
  return dispatch(NumericTypes{}, a.dtype(), "MatMul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    batched_gemm(ctx, g, 1, a.data<T>(), b.data<T>(), c.data<T>(),
                 [](int64_t, int64_t* oa, int64_t* ob) { *oa = *ob = 0; });
  });
}

// The batch dims of a shape of rank >= 2 (all but the last two).
Shape batch_dims(const Shape& s) {
  Shape out;
  for (int i = 0; i + 2 < s.rank(); ++i) out.add_dim(s.dim(i));
  return out;
}

Status batch_matmul_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 2, kMaxRank));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 2, kMaxRank));
  const Shape& x = ctx.input_shape(0);
  const Shape& y = ctx.input_shape(1);
  if (!x.rank_known() || !y.rank_known()) {
    ctx.set_output(0, ctx.input_dtype(0), Shape::unknown());
    return Status::OK();
  }
  const bool adj_x = ctx.attrs().get<bool>("adj_x");
  const bool adj_y = ctx.attrs().get<bool>("adj_y");
  const int rx = x.rank(), ry = y.rank();
  const int64_t m = x.dim(adj_x ? rx - 1 : rx - 2), kx = x.dim(adj_x ? rx - 2 : rx - 1);
  const int64_t ky = y.dim(adj_y ? ry - 1 : ry - 2), n = y.dim(adj_y ? ry - 2 : ry - 1);
  TL_RETURN_IF_ERROR(check_inner_dims(ctx, kx, ky));
  Shape out;
  Status s = broadcast_shapes(batch_dims(x), batch_dims(y), &out);
  if (!s.ok()) return shape_error(ctx, s.message());
  out.add_dim(m);
  out.add_dim(n);
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status batch_matmul_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& y = ctx.input(1);
  Tensor& out = ctx.output(0);
  const bool adj_x = ctx.attrs().get<bool>("adj_x");
  const bool adj_y = ctx.attrs().get<bool>("adj_y");
  const Shape& xs = x.shape();
  const Shape& os = out.shape();
  const int ro = os.rank();
  const GemmDims g{os.dim(ro - 2), os.dim(ro - 1), xs.dim(adj_x ? xs.rank() - 2 : xs.rank() - 1),
                   adj_x, adj_y};
  const int64_t batch = g.m > 0 && g.n > 0 ? out.num_elements() / (g.m * g.n) : 0;
  const int64_t x_size = g.m * g.k, y_size = g.k * g.n;
  // Batch index -> matrix index in x and y, broadcasting like any binary op.
  BroadcastLayout l;
  make_broadcast_layout(batch_dims(xs), batch_dims(y.shape()), &l);
  auto offsets = [&](int64_t t, int64_t* ox, int64_t* oy) {
    int64_t idx[kMaxRank];
    broadcast_offsets(l, l.rank, t, idx, ox, oy);
    *ox *= x_size;
    *oy *= y_size;
  };
  return dispatch(NumericTypes{}, x.dtype(), "BatchMatMulV2", [&](auto tag) {
    using T = typename decltype(tag)::type;
    batched_gemm(ctx, g, batch, x.data<T>(), y.data<T>(), out.data<T>(), offsets);
  });
}

}  // namespace

void register_matmul_ops(OpRegistry& r) {
  r.add_builtin(OpDef("MatMul").input("a").input("b")
                    .attr("transpose_a", AttrType::kBool, false)
                    .attr("transpose_b", AttrType::kBool, false)
                    .shape(matmul_shape).kernel(Device::kCPU, matmul_kernel));
  r.add_builtin(OpDef("BatchMatMulV2").input("x").input("y")
                    .attr("adj_x", AttrType::kBool, false)
                    .attr("adj_y", AttrType::kBool, false)
                    .shape(batch_matmul_shape).kernel(Device::kCPU, batch_matmul_kernel));
}

}  // namespace tl
