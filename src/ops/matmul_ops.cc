// MatMul and BatchMatMulV2 on the packed GEMM of gemm.h.
#include <memory>
#include <string>
#include <type_traits>

#include "ops/gemm.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// Multiply-adds of one product above which BatchMatMulV2 lets gemm split it over the threads
// rather than giving whole products to each thread.
constexpr int64_t kBatchSplitMadds = 1 << 20;

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

// Packs a constant B (the weights of a dense layer) once, unless every product with it is
// known to be one that gemm would not pack B for.
Status matmul_prepare(PrepareContext& ctx, std::unique_ptr<KernelState>* state) {
  const Tensor* b = ctx.constant_input(1);
  if (!b || b->dtype() != ctx.input_dtype(0) || b->shape().rank() != 2) return Status::OK();
  const bool ta = ctx.attrs().get<bool>("transpose_a");
  const bool tb = ctx.attrs().get<bool>("transpose_b");
  const Shape& a = ctx.input_shape(0);
  const int64_t k = b->shape().dim(tb ? 1 : 0), n = b->shape().dim(tb ? 0 : 1);
  const int64_t m = a.rank_known() ? a.dim(ta ? 1 : 0) : kUnknownDim;
  if (m != kUnknownDim && !gemm_packs_b(m, n, k)) return Status::OK();
  return pack_weights(ctx, tb, k, n, *b, state);
}

Status matmul_kernel(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  Tensor& c = ctx.output(0);
  const bool ta = ctx.attrs().get<bool>("transpose_a");
  const bool tb = ctx.attrs().get<bool>("transpose_b");
  const int64_t m = c.shape().dim(0), n = c.shape().dim(1), k = a.shape().dim(ta ? 0 : 1);
  const auto* weights = static_cast<const PackedWeights*>(ctx.kernel_state());
  const Status s = dispatch(NumericTypes{}, a.dtype(), "MatMul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      const PackedGemmB<T>* packed = weights ? weights->find<T>() : nullptr;
      if (packed && gemm_packs_b(m, n, k)) {
        gemm_packed<T>(ctx, ta, m, a.data<T>(), ta ? m : k, *packed, c.data<T>(), n, false);
        return;
      }
    }
    gemm<T>(ctx, ta, tb, m, n, k, a.data<T>(), ta ? m : k, b.data<T>(), tb ? k : n,
            c.data<T>(), n, false);
  });
  // A bias and an activation fused onto the product (a dense layer) run here, not as a step
  // of their own.
  if (s.ok()) ctx.finish_all_output(m * n);
  return s;
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
  const int64_t m = os.dim(ro - 2), n = os.dim(ro - 1);
  const int64_t k = xs.dim(adj_x ? xs.rank() - 2 : xs.rank() - 1);
  const int64_t batch = m > 0 && n > 0 ? out.num_elements() / (m * n) : 0;
  if (batch == 0) return Status::OK();
  // Batch index -> matrix index in x and y, broadcasting like any binary op.
  BroadcastLayout l;
  make_broadcast_layout(batch_dims(xs), batch_dims(y.shape()), &l);
  return dispatch(NumericTypes{}, x.dtype(), "BatchMatMulV2", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* po = out.data<T>();
    auto one = [&](int64_t t) {
      int64_t idx[kMaxRank], ox, oy;
      broadcast_offsets(l, l.rank, t, idx, &ox, &oy);
      gemm<T>(ctx, adj_x, adj_y, m, n, k, px + ox * m * k, adj_x ? m : k, py + oy * k * n,
              adj_y ? k : n, po + t * m * n, n, false);
    };
    // Large products are split inside gemm; many small ones are split by matrix.
    if (m * n * k >= kBatchSplitMadds) {
      for (int64_t t = 0; t < batch; ++t) one(t);
    } else {
      ctx.parallel_for(batch, kBatchSplitMadds / (m * n * k + 1) + 1,
                       [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) one(t);
      });
    }
  });
}

}  // namespace

void register_matmul_ops(OpRegistry& r) {
  r.add_builtin(OpDef("MatMul").input("a").input("b")
                    .attr("transpose_a", AttrType::kBool, false)
                    .attr("transpose_b", AttrType::kBool, false)
                    .shape(matmul_shape));
  r.add_builtin(OpDef("BatchMatMulV2").input("x").input("y")
                    .attr("adj_x", AttrType::kBool, false)
                    .attr("adj_y", AttrType::kBool, false)
                    .shape(batch_matmul_shape));
}

void register_matmul_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("MatMul", Device::kCPU)
                    .prepare(matmul_prepare)
                    .compute(matmul_kernel)
                    .applies_output_stages());
  r.add_builtin(KernelDef("BatchMatMulV2", Device::kCPU).compute(batch_matmul_kernel));
}

}  // namespace tl
