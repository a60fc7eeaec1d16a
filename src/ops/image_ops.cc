// Resizing NHWC images: ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic and their
// gradients, with TF1's coordinate conventions.
//
// Output pixel i samples input coordinate i * scale, scale = in / out, or with align_corners
// (in - 1) / (out - 1) so that the corner pixels line up. With half_pixel_centers the pixel
// centres line up instead: (i + 0.5) * scale - 0.5 (bilinear) or (i + 0.5) * scale (nearest).
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// Output pixels' worth of work (times channels) per parallel task.
constexpr int64_t kResizeGrain = 16384;

float resize_scale(int64_t in, int64_t out, bool align_corners) {
  return align_corners && out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                  : static_cast<float>(in) / static_cast<float>(out);
}

struct ResizeAttrs {
  bool align_corners, half_pixel_centers;
};

Status read_resize_attrs(const AttrMap& attrs, const std::string& op, ResizeAttrs* r) {
  r->align_corners = attrs.get<bool>("align_corners");
  r->half_pixel_centers = attrs.get<bool>("half_pixel_centers");
  if (r->align_corners && r->half_pixel_centers) {
    return invalid_argument(op + ": If half_pixel_centers is True, align_corners must be "
                                 "False.");
  }
  return Status::OK();
}

// Bilinear sampling along one axis: output index i reads lower and upper with weight lerp on
// upper.
struct Interpolation {
  int64_t lower, upper;
  float lerp;
};

std::vector<Interpolation> bilinear_weights(int64_t in, int64_t out, const ResizeAttrs& a) {
  const float scale = resize_scale(in, out, a.align_corners);
  std::vector<Interpolation> w(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    const float x = a.half_pixel_centers
                        ? (static_cast<float>(i) + 0.5f) * scale - 0.5f
                        : static_cast<float>(i) * scale;
    const float floor_x = std::floor(x);
    w[i].lower = std::max<int64_t>(static_cast<int64_t>(floor_x), 0);
    w[i].upper = std::min<int64_t>(static_cast<int64_t>(std::ceil(x)), in - 1);
    w[i].lerp = x - floor_x;
  }
  return w;
}

// The input index each output index of an axis copies in nearest-neighbour resizing.
std::vector<int64_t> nearest_sources(int64_t in, int64_t out, const ResizeAttrs& a) {
  const float scale = resize_scale(in, out, a.align_corners);
  std::vector<int64_t> src(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    const float x = a.half_pixel_centers ? (static_cast<float>(i) + 0.5f) * scale
                                         : static_cast<float>(i) * scale;
    const int64_t j = static_cast<int64_t>(a.align_corners ? std::round(x) : std::floor(x));
    src[i] = std::max<int64_t>(std::min(j, in - 1), 0);
  }
  return src;
}

// The [height, width] held by the 1-D int32 input `i` (2 elements), each positive; unknown
// dims when its value is not known.
Status read_size(const InferenceContext& ctx, int i, int64_t* h, int64_t* w) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, i, TypeList<int32_t>{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, i, 1, 1));
  const Shape& s = ctx.input_shape(i);
  if (s.rank_known() && s.dim(0) != kUnknownDim && s.dim(0) != 2) {
    return shape_error(ctx, "Dimension must be 2 but is " + std::to_string(s.dim(0)));
  }
  *h = *w = kUnknownDim;
  if (const Tensor* v = ctx.input_value(i)) {
    *h = int_element(*v, 0);
    *w = int_element(*v, 1);
    if (*h <= 0 || *w <= 0) {
      return shape_error(ctx, "output dimensions must be positive, got [" +
                                  std::to_string(*h) + ", " + std::to_string(*w) + "]");
    }
  }
  return Status::OK();
}

// images [b, h, w, c], size -> [b, size[0], size[1], c] of dtype `out` (or the images').
Status resize_shape(InferenceContext& ctx, bool float_output) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 4, 4));
  ResizeAttrs a;
  Status s = read_resize_attrs(ctx.attrs(), ctx.op(), &a);
  if (!s.ok()) return shape_error(ctx, s.message());
  int64_t h, w;
  TL_RETURN_IF_ERROR(read_size(ctx, 1, &h, &w));
  const Shape& in = ctx.input_shape(0);
  const int64_t batch = in.rank_known() ? in.dim(0) : kUnknownDim;
  const int64_t depth = in.rank_known() ? in.dim(3) : kUnknownDim;
  ctx.set_output(0, float_output ? DType::kFloat32 : ctx.input_dtype(0),
                 Shape({batch, h, w, depth}));
  return Status::OK();
}

Status resize_to_float_shape(InferenceContext& ctx) { return resize_shape(ctx, true); }
Status resize_same_dtype_shape(InferenceContext& ctx) { return resize_shape(ctx, false); }

// The dims of a 4-D image tensor: batch, height, width, channels.
struct ImageDims {
  int64_t b, h, w, c;
  explicit ImageDims(const Shape& s) : b(s.dim(0)), h(s.dim(1)), w(s.dim(2)), c(s.dim(3)) {}
};

Status resize_bilinear_kernel(KernelContext& ctx) {
  const Tensor& images = ctx.input(0);
  Tensor& out = ctx.output(0);
  ResizeAttrs a;
  TL_RETURN_IF_ERROR(read_resize_attrs(ctx.attrs(), "ResizeBilinear", &a));
  const ImageDims in(images.shape()), o(out.shape());
  if (out.num_elements() == 0) return Status::OK();
  if (in.h == 0 || in.w == 0) return invalid_argument("ResizeBilinear: input image is empty");
  const auto ys = bilinear_weights(in.h, o.h, a), xs = bilinear_weights(in.w, o.w, a);
  float* y = out.data<float>();
  return dispatch(NumericTypes{}, images.dtype(), "ResizeBilinear", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = images.data<T>();
    ctx.parallel_for(o.b * o.h, std::max<int64_t>(1, kResizeGrain / (o.w * o.c)),
                     [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / o.h;
        const Interpolation& iy = ys[row % o.h];
        const T* top = x + (b * in.h + iy.lower) * in.w * in.c;
        const T* bottom = x + (b * in.h + iy.upper) * in.w * in.c;
        float* dst = y + row * o.w * o.c;
        for (int64_t j = 0; j < o.w; ++j) {
          const Interpolation& ix = xs[j];
          const T* tl = top + ix.lower * in.c;
          const T* tr = top + ix.upper * in.c;
          const T* bl = bottom + ix.lower * in.c;
          const T* br = bottom + ix.upper * in.c;
          for (int64_t ch = 0; ch < in.c; ++ch) {
            const float t = static_cast<float>(tl[ch]) +
                            (static_cast<float>(tr[ch]) - static_cast<float>(tl[ch])) * ix.lerp;
            const float u = static_cast<float>(bl[ch]) +
                            (static_cast<float>(br[ch]) - static_cast<float>(bl[ch])) * ix.lerp;
            dst[j * o.c + ch] = t + (u - t) * iy.lerp;
          }
        }
      }
    });
  });
}

Status resize_nearest_kernel(KernelContext& ctx) {
  const Tensor& images = ctx.input(0);
  Tensor& out = ctx.output(0);
  ResizeAttrs a;
  TL_RETURN_IF_ERROR(read_resize_attrs(ctx.attrs(), "ResizeNearestNeighbor", &a));
  const ImageDims in(images.shape()), o(out.shape());
  if (out.num_elements() == 0) return Status::OK();
  if (in.h == 0 || in.w == 0) {
    return invalid_argument("ResizeNearestNeighbor: input image is empty");
  }
  const auto ys = nearest_sources(in.h, o.h, a), xs = nearest_sources(in.w, o.w, a);
  return dispatch(NumericTypes{}, images.dtype(), "ResizeNearestNeighbor", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = images.data<T>();
    T* y = out.data<T>();
    ctx.parallel_for(o.b * o.h, std::max<int64_t>(1, kResizeGrain / (o.w * o.c)),
                     [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const T* src = x + ((row / o.h) * in.h + ys[row % o.h]) * in.w * in.c;
        T* dst = y + row * o.w * o.c;
        for (int64_t j = 0; j < o.w; ++j) {
          std::copy(src + xs[j] * in.c, src + (xs[j] + 1) * in.c, dst + j * o.c);
        }
      }
    });
  });
}

// Bicubic sampling along one axis: output index i reads four input indices with four weights
// (TF's Keys cubic kernel from a table of 1024 steps; a = -0.75, or a = -0.5 with
// half_pixel_centers, where taps outside the input get weight 0 and the rest are renormalised;
// without it, taps outside are clamped to the edge).
struct Cubic {
  std::array<int64_t, 4> index;
  std::array<float, 4> weight;
};

constexpr int64_t kCubicTable = 1024;

// The kernel's weights at the table's steps: [2 * i] for distance i / 1024, [2 * i + 1] for
// distance 1 + i / 1024.
std::vector<float> cubic_table(double a) {
  std::vector<float> t(static_cast<size_t>(2 * (kCubicTable + 1)));
  for (int64_t i = 0; i <= kCubicTable; ++i) {
    float x = static_cast<float>(static_cast<double>(i) / kCubicTable);
    t[2 * i] = static_cast<float>(((a + 2) * x - (a + 3)) * x * x + 1);
    x += 1.0f;
    t[2 * i + 1] = static_cast<float>(((a * x - 5 * a) * x + 8 * a) * x - 4 * a);
  }
  return t;
}

std::vector<Cubic> cubic_weights(int64_t in, int64_t out, const ResizeAttrs& a) {
  static const std::vector<float> legacy = cubic_table(-0.75), keys = cubic_table(-0.5);
  const std::vector<float>& table = a.half_pixel_centers ? keys : legacy;
  const float scale = resize_scale(in, out, a.align_corners);
  std::vector<Cubic> w(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    const float x = a.half_pixel_centers
                        ? (static_cast<float>(i) + 0.5f) * scale - 0.5f
                        : static_cast<float>(i) * scale;
    const int64_t base = static_cast<int64_t>(std::floor(x));
    const int64_t step = static_cast<int64_t>(
        std::lrint((x - static_cast<float>(base)) * kCubicTable));
    Cubic& c = w[i];
    c.weight = {table[step * 2 + 1], table[step * 2], table[(kCubicTable - step) * 2],
                table[(kCubicTable - step) * 2 + 1]};
    float sum = 0;
    for (int k = 0; k < 4; ++k) {
      const int64_t j = base - 1 + k;
      c.index[k] = std::min(std::max<int64_t>(j, 0), in - 1);
      if (a.half_pixel_centers && c.index[k] != j) c.weight[k] = 0;
      sum += c.weight[k];
    }
    if (a.half_pixel_centers && std::abs(sum) >= 1000.0f * std::numeric_limits<float>::min()) {
      const float inverse = 1.0f / sum;
      for (float& v : c.weight) v *= inverse;
    }
  }
  return w;
}

Status resize_bicubic_kernel(KernelContext& ctx) {
  const Tensor& images = ctx.input(0);
  Tensor& out = ctx.output(0);
  ResizeAttrs a;
  TL_RETURN_IF_ERROR(read_resize_attrs(ctx.attrs(), "ResizeBicubic", &a));
  const ImageDims in(images.shape()), o(out.shape());
  if (out.num_elements() == 0) return Status::OK();
  if (in.h == 0 || in.w == 0) return invalid_argument("ResizeBicubic: input image is empty");
  const auto ys = cubic_weights(in.h, o.h, a), xs = cubic_weights(in.w, o.w, a);
  float* y = out.data<float>();
  return dispatch(NumericTypes{}, images.dtype(), "ResizeBicubic", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = images.data<T>();
    ctx.parallel_for(o.b * o.h, std::max<int64_t>(1, kResizeGrain / (16 * o.w * o.c)),
                     [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / o.h;
        const Cubic& cy = ys[row % o.h];
        float* dst = y + row * o.w * o.c;
        for (int64_t j = 0; j < o.w; ++j) {
          const Cubic& cx = xs[j];
          for (int64_t ch = 0; ch < o.c; ++ch) {
            float rows[4];
            for (int k = 0; k < 4; ++k) {
              const T* src = x + ((b * in.h + cy.index[k]) * in.w) * in.c + ch;
              rows[k] = static_cast<float>(src[cx.index[0] * in.c]) * cx.weight[0] +
                        static_cast<float>(src[cx.index[1] * in.c]) * cx.weight[1] +
                        static_cast<float>(src[cx.index[2] * in.c]) * cx.weight[2] +
                        static_cast<float>(src[cx.index[3] * in.c]) * cx.weight[3];
            }
            dst[j * o.c + ch] = rows[0] * cy.weight[0] + rows[1] * cy.weight[1] +
                                rows[2] * cy.weight[2] + rows[3] * cy.weight[3];
          }
        }
      }
    });
  });
}

// ---- gradients: the forward pass's weights, each output pixel's gradient added to the input
// pixels it read. Each task owns whole images, so the sums are in a fixed order.

// ResizeBilinearGrad, ResizeBicubicGrad: grads [b, h, w, c] float32, original_image
// [b, H, W, c] -> like the original image.
Status resize_grad_to_image_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, TypeList<float>{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 4, 4));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 4, 4));
  ResizeAttrs a;
  Status s = read_resize_attrs(ctx.attrs(), ctx.op(), &a);
  if (!s.ok()) return shape_error(ctx, s.message());
  ctx.set_output(0, ctx.input_dtype(1), ctx.input_shape(1));
  return Status::OK();
}

// Fails unless grads and the image it flows to agree on batch and channels.
Status check_grad_dims(const char* op, const ImageDims& g, const ImageDims& in) {
  if (g.b != in.b || g.c != in.c) {
    return invalid_argument(std::string(op) + ": grads and the original image differ in " +
                            "batch or channels");
  }
  return Status::OK();
}

Status resize_bilinear_grad_kernel(KernelContext& ctx) {
  const Tensor& grads = ctx.input(0);
  Tensor& out = ctx.output(0);
  ResizeAttrs a;
  TL_RETURN_IF_ERROR(read_resize_attrs(ctx.attrs(), "ResizeBilinearGrad", &a));
  const ImageDims g(grads.shape()), in(out.shape());
  TL_RETURN_IF_ERROR(check_grad_dims("ResizeBilinearGrad", g, in));
  const auto ys = bilinear_weights(in.h, g.h, a), xs = bilinear_weights(in.w, g.w, a);
  const float* dy = grads.data<float>();
  return dispatch(FloatTypes{}, out.dtype(), "ResizeBilinearGrad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dx = out.data<T>();
    ctx.parallel_for(in.b, 1, [&](int64_t begin, int64_t end) {
      std::fill(dx + begin * in.h * in.w * in.c, dx + end * in.h * in.w * in.c, T(0));
      for (int64_t b = begin; b < end; ++b) {
        for (int64_t i = 0; i < g.h; ++i) {
          const Interpolation& iy = ys[i];
          T* top = dx + (b * in.h + iy.lower) * in.w * in.c;
          T* bottom = dx + (b * in.h + iy.upper) * in.w * in.c;
          const float* src = dy + (b * g.h + i) * g.w * g.c;
          for (int64_t j = 0; j < g.w; ++j) {
            const Interpolation& ix = xs[j];
            const float wt = 1 - iy.lerp, wb = iy.lerp, wl = 1 - ix.lerp, wr = ix.lerp;
            for (int64_t ch = 0; ch < g.c; ++ch) {
              const float d = src[j * g.c + ch];
              top[ix.lower * in.c + ch] += static_cast<T>(d * wt * wl);
              top[ix.upper * in.c + ch] += static_cast<T>(d * wt * wr);
              bottom[ix.lower * in.c + ch] += static_cast<T>(d * wb * wl);
              bottom[ix.upper * in.c + ch] += static_cast<T>(d * wb * wr);
            }
          }
        }
      }
    });
  });
}

// ResizeBicubicGrad: as ResizeBilinearGrad, with the 16 taps of each output pixel.
Status resize_bicubic_grad_kernel(KernelContext& ctx) {
  const Tensor& grads = ctx.input(0);
  Tensor& out = ctx.output(0);
  ResizeAttrs a;
  TL_RETURN_IF_ERROR(read_resize_attrs(ctx.attrs(), "ResizeBicubicGrad", &a));
  const ImageDims g(grads.shape()), in(out.shape());
  TL_RETURN_IF_ERROR(check_grad_dims("ResizeBicubicGrad", g, in));
  const auto ys = cubic_weights(in.h, g.h, a), xs = cubic_weights(in.w, g.w, a);
  const float* dy = grads.data<float>();
  return dispatch(FloatTypes{}, out.dtype(), "ResizeBicubicGrad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dx = out.data<T>();
    ctx.parallel_for(in.b, 1, [&](int64_t begin, int64_t end) {
      std::fill(dx + begin * in.h * in.w * in.c, dx + end * in.h * in.w * in.c, T(0));
      for (int64_t b = begin; b < end; ++b) {
        for (int64_t i = 0; i < g.h; ++i) {
          const Cubic& cy = ys[i];
          const float* src = dy + (b * g.h + i) * g.w * g.c;
          for (int64_t j = 0; j < g.w; ++j) {
            const Cubic& cx = xs[j];
            for (int ky = 0; ky < 4; ++ky) {
              T* row = dx + (b * in.h + cy.index[ky]) * in.w * in.c;
              for (int kx = 0; kx < 4; ++kx) {
                const float wt = cy.weight[ky] * cx.weight[kx];
                T* d = row + cx.index[kx] * in.c;
                for (int64_t ch = 0; ch < g.c; ++ch) {
                  d[ch] += static_cast<T>(src[j * g.c + ch] * wt);
                }
              }
            }
          }
        }
      }
    });
  });
}

// ResizeNearestNeighborGrad: grads [b, h, w, c], size (of the original image) ->
// [b, size[0], size[1], c] of the grads' dtype.
Status resize_nearest_grad_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 4, 4));
  ResizeAttrs a;
  Status s = read_resize_attrs(ctx.attrs(), ctx.op(), &a);
  if (!s.ok()) return shape_error(ctx, s.message());
  int64_t h, w;
  TL_RETURN_IF_ERROR(read_size(ctx, 1, &h, &w));
  const Shape& in = ctx.input_shape(0);
  ctx.set_output(0, ctx.input_dtype(0),
                 in.rank_known() ? Shape({in.dim(0), h, w, in.dim(3)})
                                 : Shape({kUnknownDim, h, w, kUnknownDim}));
  return Status::OK();
}

Status resize_nearest_grad_kernel(KernelContext& ctx) {
  const Tensor& grads = ctx.input(0);
  Tensor& out = ctx.output(0);
  ResizeAttrs a;
  TL_RETURN_IF_ERROR(read_resize_attrs(ctx.attrs(), "ResizeNearestNeighborGrad", &a));
  const ImageDims g(grads.shape()), in(out.shape());
  const auto ys = nearest_sources(in.h, g.h, a), xs = nearest_sources(in.w, g.w, a);
  return dispatch(NumericTypes{}, grads.dtype(), "ResizeNearestNeighborGrad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* dy = grads.data<T>();
    T* dx = out.data<T>();
    ctx.parallel_for(in.b, 1, [&](int64_t begin, int64_t end) {
      std::fill(dx + begin * in.h * in.w * in.c, dx + end * in.h * in.w * in.c, T(0));
      for (int64_t b = begin; b < end; ++b) {
        for (int64_t i = 0; i < g.h; ++i) {
          T* dst = dx + (b * in.h + ys[i]) * in.w * in.c;
          const T* src = dy + (b * g.h + i) * g.w * g.c;
          for (int64_t j = 0; j < g.w; ++j) {
            for (int64_t ch = 0; ch < g.c; ++ch) dst[xs[j] * in.c + ch] += src[j * g.c + ch];
          }
        }
      }
    });
  });
}

OpDef resize_op(const char* name, const char* first_input) {
  return OpDef(name).input(first_input).input("size")
      .attr("align_corners", AttrType::kBool, false)
      .attr("half_pixel_centers", AttrType::kBool, false);
}

}  // namespace

void register_image_ops(OpRegistry& r) {
  r.add_builtin(resize_op("ResizeBilinear", "images").shape(resize_to_float_shape));
  r.add_builtin(resize_op("ResizeNearestNeighbor", "images").shape(resize_same_dtype_shape));
  r.add_builtin(OpDef("ResizeBilinearGrad").input("grads").input("original_image")
                    .attr("align_corners", AttrType::kBool, false)
                    .attr("half_pixel_centers", AttrType::kBool, false)
                    .shape(resize_grad_to_image_shape));
  r.add_builtin(resize_op("ResizeNearestNeighborGrad", "grads").shape(resize_nearest_grad_shape));
  r.add_builtin(resize_op("ResizeBicubic", "images").shape(resize_to_float_shape));
  r.add_builtin(OpDef("ResizeBicubicGrad").input("grads").input("original_image")
                    .attr("align_corners", AttrType::kBool, false)
                    .attr("half_pixel_centers", AttrType::kBool, false)
                    .shape(resize_grad_to_image_shape));
}

void register_image_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("ResizeBilinear", Device::kCPU).compute(resize_bilinear_kernel));
  r.add_builtin(KernelDef("ResizeNearestNeighbor", Device::kCPU).compute(resize_nearest_kernel));
  r.add_builtin(KernelDef("ResizeBilinearGrad", Device::kCPU)
                    .compute(resize_bilinear_grad_kernel));
  r.add_builtin(KernelDef("ResizeNearestNeighborGrad", Device::kCPU)
                    .compute(resize_nearest_grad_kernel));
  r.add_builtin(KernelDef("ResizeBicubic", Device::kCPU).compute(resize_bicubic_kernel));
  r.add_builtin(KernelDef("ResizeBicubicGrad", Device::kCPU).compute(resize_bicubic_grad_kernel));
}

}  // namespace tl
