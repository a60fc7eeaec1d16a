// ClipByNormPerRow: an op library with one op, written against tensorlib's public headers.
//
// Each row (the last dimension) of x is scaled down to L2 norm `clip_norm` when its norm is
// larger, and left alone otherwise:
//
//   clipped[..., :] = x[..., :] * clip_norm / max(norm, clip_norm),  norm = ||x[..., :]||
//   norms[...]      = norm  (before clipping)
//
// Inputs:  x, float32 or float64, rank >= 1.
// Attrs:   clip_norm, float > 0 (default 1.0).
// Outputs: clipped (the shape of x), norms (the shape of x without its last dimension).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "tensorlib/op_library.h"

namespace {

// Runs while the graph is built (partial shapes: unknown dims and rank stay unknown) and again
// at run time, before the kernel, when every shape is known.
tl::Status clip_by_norm_per_row_shape(tl::InferenceContext& ctx) {
  const tl::DType dtype = ctx.input_dtype(0);
  if (dtype != tl::DType::kFloat32 && dtype != tl::DType::kFloat64) {
    return tl::type_error("ClipByNormPerRow expects float32 or float64 x, got " +
                          std::string(tl::dtype_name(dtype)));
  }
  const double clip_norm = ctx.attrs().get<double>("clip_norm");
  if (!(clip_norm > 0)) {
    return tl::invalid_argument("ClipByNormPerRow needs clip_norm > 0, got " +
                                std::to_string(clip_norm));
  }
  const tl::Shape& x = ctx.input_shape(0);
  if (!x.rank_known()) {
    ctx.set_output(0, dtype, tl::Shape::unknown());
    ctx.set_output(1, dtype, tl::Shape::unknown());
    return tl::Status::OK();
  }
  if (x.rank() == 0) {
    return tl::invalid_argument("ClipByNormPerRow needs x of rank >= 1, got shape " +
                                x.to_string());
  }
  tl::Shape rows;
  for (int i = 0; i + 1 < x.rank(); ++i) rows.add_dim(x.dim(i));
  ctx.set_output(0, dtype, x);
  ctx.set_output(1, dtype, rows);
  return tl::Status::OK();
}

template <typename T>
void clip_rows(tl::KernelContext& ctx, double clip_norm) {
  const tl::Tensor& x = ctx.input(0);
  const int64_t n = x.shape().dim(x.shape().rank() - 1);
  const int64_t rows = n == 0 ? ctx.output(1).num_elements() : x.num_elements() / n;
  const T* in = x.data<T>();
  T* out = ctx.output(0).data<T>();
  T* norms = ctx.output(1).data<T>();
  // Rows are independent: split them over the session's threads, ~32K elements per chunk.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(n, 1));
  ctx.parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* row = in + r * n;
      double sum = 0;  // accumulated in double for float32 too
      for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(row[i]) * row[i];
      const double norm = std::sqrt(sum);
      const T scale = static_cast<T>(norm > clip_norm ? clip_norm / norm : 1.0);
      T* dst = out + r * n;
      for (int64_t i = 0; i < n; ++i) dst[i] = row[i] * scale;
      norms[r] = static_cast<T>(norm);
    }
  });
}

// The outputs are allocated (shapes from the shape function) before the kernel runs.
tl::Status clip_by_norm_per_row_cpu(tl::KernelContext& ctx) {
  const double clip_norm = ctx.attrs().get<double>("clip_norm");
  if (ctx.input(0).dtype() == tl::DType::kFloat32) {
    clip_rows<float>(ctx, clip_norm);
  } else {
    clip_rows<double>(ctx, clip_norm);
  }
  return tl::Status::OK();
}

}  // namespace

TL_OP_LIBRARY(lib) {
  lib.add(tl::OpDef("ClipByNormPerRow")
              .input("x")
              .outputs(2)
              .attr("clip_norm", tl::AttrType::kFloat, 1.0)
              .shape(clip_by_norm_per_row_shape));
  lib.add(tl::KernelDef("ClipByNormPerRow", tl::Device::kCPU).compute(clip_by_norm_per_row_cpu));
}
