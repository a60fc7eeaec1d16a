// 2-D convolution (NHWC input, HWIO filter) and its two gradients, as GEMMs on patch matrices;
// depthwise 2-D convolution (DepthwiseConv2dNative) and its two gradients, as direct loops.
//
// The patch matrix P has one row per output pixel (n, oh, ow) and one column per filter tap
// (kh, kw, ci), so that, with the filter W seen as a (KH*KW*CI) x CO matrix:
//   Conv2D:               out = P W
//   Conv2DBackpropInput:  d_input = col2im(d_out W^T)
//   Conv2DBackpropFilter: d_filter = P^T d_out
// P is built (im2col) a block of rows at a time, so it never exists whole; a 1x1 filter with
// stride 1 needs no patches at all (P is the input). Float32 convolutions whose filter blocks
// fit L2 skip P altogether (conv_direct.h): the forward pass, and the input gradient of a
// stride-1 convolution (the direct convolution of d_out with the filter flipped), and every
// float32 filter gradient (taps x output channels in registers, summed over the pixels).
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "ops/conv_direct.h"
#include "ops/cpu_features.h"
#include "ops/gemm.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/pooling.h"
#include "ops/shape_fns.h"
#include "ops/window.h"
#include "tensorlib/graph.h"

namespace tl {
namespace {

// Bytes of one block of patch rows (about L2-sized). Blocks are a whole number of row
// groups, a multiple of every GEMM micro-tile height, so that only the last has edge tiles.
constexpr int64_t kColBytes = 256 * 1024;
constexpr int64_t kColRowGroup = 48;

// Rows of P per im2col block.
int64_t col_block_rows(const ConvGeom& g, size_t elem) {
  const int64_t rows = kColBytes / (std::max<int64_t>(g.patch(), 1) * static_cast<int64_t>(elem));
  return (rows / kColRowGroup + 1) * kColRowGroup;
}

// A shape of rank 4: `s` itself, or four unknown dims when its rank is unknown.
Shape rank4(const Shape& s) {
  return s.rank_known() ? s : Shape({kUnknownDim, kUnknownDim, kUnknownDim, kUnknownDim});
}

// The output shape of convolving `input` with `filter` (both rank 4, dims maybe unknown).
Status conv_output_shape(const InferenceContext& ctx, const Shape& input, const Shape& filter,
                         Shape* out) {
  Window2D w;
  Status s = read_window_attrs(ctx.attrs(), ctx.op(), true, &w);
  if (!s.ok()) return shape_error(ctx, s.message());
  const Shape in = rank4(input), f = rank4(filter);
  if (in.dim(3) != kUnknownDim && f.dim(2) != kUnknownDim && in.dim(3) != f.dim(2)) {
    return shape_error(ctx, "Depth of input (" + std::to_string(in.dim(3)) +
                                ") does not match input depth of filter (" +
                                std::to_string(f.dim(2)) + ")");
  }
  int64_t oh, ow, pad;
  s = windowed_output_size(in.dim(1), f.dim(0), w.dilation_h, w.stride_h, w.same, &oh, &pad);
  if (s.ok()) {
    s = windowed_output_size(in.dim(2), f.dim(1), w.dilation_w, w.stride_w, w.same, &ow, &pad);
  }
  if (!s.ok()) return shape_error(ctx, s.message());
  *out = Shape({in.dim(0), oh, ow, f.dim(3)});
  return Status::OK();
}

// The geometry of a convolution of fully known shapes.
// NOTE: the shape function does not run again when the output's shape was fully known while
// building, so the depths are checked here too.
Status make_geom(const AttrMap& attrs, const std::string& op, const Shape& input,
                 const Shape& filter, ConvGeom* g) {
  Window2D w;
  TL_RETURN_IF_ERROR(read_window_attrs(attrs, op, true, &w));
  if (input.dim(3) != filter.dim(2)) {
    return invalid_argument(op + ": depth of input (" + std::to_string(input.dim(3)) +
                            ") does not match input depth of filter (" +
                            std::to_string(filter.dim(2)) + ")");
  }
  *g = ConvGeom{input.dim(0), input.dim(1), input.dim(2), input.dim(3), filter.dim(0),
                filter.dim(1), filter.dim(3), 0, 0, w.stride_h, w.stride_w, w.dilation_h,
                w.dilation_w, 0, 0};
  TL_RETURN_IF_ERROR(windowed_output_size(g->in_h, g->filter_h, g->dilation_h, g->stride_h,
                                          w.same, &g->out_h, &g->pad_top));
  return windowed_output_size(g->in_w, g->filter_w, g->dilation_w, g->stride_w, w.same,
                              &g->out_w, &g->pad_left);
}

// An output pixel (a row of P), stepped through in row order without divisions.
struct Pixel {
  int64_t n, oh, ow;
  Pixel(const ConvGeom& g, int64_t row)
      : n(row / (g.out_w * g.out_h)), oh(row / g.out_w % g.out_h), ow(row % g.out_w) {}
  void next(const ConvGeom& g) {
    if (++ow < g.out_w) return;
    ow = 0;
    if (++oh < g.out_h) return;
    oh = 0;
    ++n;
  }
};

// Calls fn(input offset or -1 for padding, column of P, length) over the runs of pixel px's
// patch, in P's column order. Without dilation along w, a window row's taps are one
// contiguous run of the input (clipped by the padding).
template <typename F>
void for_each_run(const ConvGeom& g, const Pixel& px, F fn) {
  const int64_t c = g.in_c, window_row = g.filter_w * c;
  const int64_t iw0 = px.ow * g.stride_w - g.pad_left;
  for (int64_t kh = 0, col = 0; kh < g.filter_h; ++kh, col += window_row) {
    const int64_t ih = px.oh * g.stride_h - g.pad_top + kh * g.dilation_h;
    if (ih < 0 || ih >= g.in_h) {
      fn(-1, col, window_row);
      continue;
    }
    const int64_t pixel0 = (px.n * g.in_h + ih) * g.in_w;
    if (g.dilation_w == 1) {
      const int64_t lo = std::clamp<int64_t>(-iw0, 0, g.filter_w);
      const int64_t hi = std::clamp<int64_t>(g.in_w - iw0, lo, g.filter_w);
      if (lo > 0) fn(-1, col, lo * c);
      if (hi > lo) fn((pixel0 + iw0 + lo) * c, col + lo * c, (hi - lo) * c);
      if (hi < g.filter_w) fn(-1, col + hi * c, (g.filter_w - hi) * c);
      continue;
    }
    for (int64_t kw = 0; kw < g.filter_w; ++kw) {
      const int64_t iw = iw0 + kw * g.dilation_w;
      fn(iw >= 0 && iw < g.in_w ? (pixel0 + iw) * c : -1, col + kw * c, c);
    }
  }
}

// Runs this short (a few taps of a few channels, as in a first layer) are copied inline: a
// library call per run would cost more than the copy.
constexpr int64_t kShortRun = 16;

// dst[0, len) = src[0, len), or 0 when src is null.
template <typename T>
inline void copy_run(T* dst, const T* src, int64_t len) {
  if (len <= kShortRun) {
    // NOTE: a fixed trip count, so that the compiler unrolls it instead of calling memcpy.
    for (int64_t i = 0; i < kShortRun; ++i) {
      if (i < len) dst[i] = src ? src[i] : T(0);
    }
  } else if (src) {
    std::memcpy(dst, src, static_cast<size_t>(len) * sizeof(T));
  } else {
    std::fill(dst, dst + len, T(0));
  }
}

// im2col for few input channels (runs of a few values): a stretch of pixels of one output row
// at a time, tap by tap, so that the loop over pixels carries no per-run bookkeeping.
template <typename T>
void im2col_few_channels(const ConvGeom& g, const T* input, int64_t r0, int64_t rows, T* col) {
  const int64_t k = g.patch(), c = g.in_c;
  Pixel px(g, r0);
  for (int64_t r = 0; r < rows;) {
    const int64_t count = std::min(rows - r, g.out_w - px.ow);  // pixels left in this row
    T* dst = col + r * k;
    for (int64_t kh = 0; kh < g.filter_h; ++kh) {
      const int64_t ih = px.oh * g.stride_h - g.pad_top + kh * g.dilation_h;
      const int64_t row_start = (px.n * g.in_h + ih) * g.in_w;  // pixel index of (n, ih, 0)
      const bool row_inside = ih >= 0 && ih < g.in_h;
      for (int64_t kw = 0; kw < g.filter_w; ++kw) {
        T* out = dst + (kh * g.filter_w + kw) * c;
        // Pixels [lo, hi) of the stretch read inside the input row; the others read padding.
        const int64_t iw0 = px.ow * g.stride_w - g.pad_left + kw * g.dilation_w;
        const int64_t sw = g.stride_w;
        int64_t lo = 0, hi = 0;
        if (row_inside) {
          lo = std::min(count, iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw);
          hi = std::clamp<int64_t>(g.in_w > iw0 ? (g.in_w - iw0 + sw - 1) / sw : 0, lo, count);
        }
        for (int64_t i = 0; i < lo; ++i) std::fill(out + i * k, out + i * k + c, T(0));
        // Only pixels in [lo, hi) are read, so only valid offsets are formed into pointers.
        const int64_t first = (row_start + iw0) * c;
        if (c == 1) {
          for (int64_t i = lo; i < hi; ++i) out[i * k] = input[first + i * sw];
        } else {
          for (int64_t i = lo; i < hi; ++i) {
            const T* src = input + first + i * sw * c;
            for (int64_t ci = 0; ci < c; ++ci) out[i * k + ci] = src[ci];
          }
        }
        for (int64_t i = hi; i < count; ++i) std::fill(out + i * k, out + i * k + c, T(0));
      }
    }
    r += count;
    for (int64_t i = 0; i < count; ++i) px.next(g);
  }
}

// Rows [r0, r0 + rows) of P into col (rows x patch, row-major).
template <typename T>
void im2col(const ConvGeom& g, const T* input, int64_t r0, int64_t rows, T* col) {
  if (g.filter_w * g.in_c <= kShortRun) return im2col_few_channels(g, input, r0, rows, col);
  const int64_t k = g.patch();
  Pixel px(g, r0);
  for (int64_t r = 0; r < rows; ++r, px.next(g)) {
    T* dst = col + r * k;
    for_each_run(g, px, [&](int64_t in, int64_t c, int64_t len) {
      copy_run(dst + c, in < 0 ? nullptr : input + in, len);
    });
  }
}

// The reverse: adds rows [r0, r0 + rows) of col back onto the input pixels they came from.
template <typename T>
void col2im_add(const ConvGeom& g, const T* col, int64_t r0, int64_t rows, T* input) {
  const int64_t k = g.patch();
  Pixel px(g, r0);
  for (int64_t r = 0; r < rows; ++r, px.next(g)) {
    const T* src = col + r * k;
    for_each_run(g, px, [&](int64_t in, int64_t c, int64_t len) {
      if (in < 0) return;
      T* dst = input + in;
      for (int64_t i = 0; i < len; ++i) dst[i] += src[c + i];
    });
  }
}

// This thread's im2col buffer of at least n elements.
template <typename T>
T* col_buffer(int64_t n) {
  thread_local std::vector<T> buffer;
  if (static_cast<int64_t>(buffer.size()) < n) buffer.resize(static_cast<size_t>(n));
  return buffer.data();
}

// A constant Conv2D filter, packed when the plan was built for the path chosen then.
struct ConvFilterState : KernelState {
  std::unique_ptr<KernelState> gemm;  // a PackedWeights, for im2col + GEMM
  DirectConvFilter direct;            // for direct_conv
};

// The filter of convolution g packed for direct_conv: the one packed when the plan was built
// (`state`, if any) while the ISA in use is the one it was packed for, else packed now.
const DirectConvFilter& direct_filter(const ConvGeom& g, const float* filter,
                                      const ConvFilterState* state) {
  if (state && state->direct.kernel == gemm_kernel()) return state->direct;
  // NOTE: the calling thread's, kept between calls: a filter packed anew every call (a
  // variable's) would otherwise cost fresh pages (zeroed by the OS) every time.
  thread_local DirectConvFilter own;
  pack_direct_filter(g, filter, false, &own);
  return own;
}

// out (rows x out_c) = P filter. `state`: the filter packed when the plan was built, or null.
template <typename T>
Status conv2d(KernelContext& ctx, const ConvGeom& g, const T* input, const T* filter,
              const ConvFilterState* state, T* out) {
  const int64_t m = g.rows(), k = g.patch(), n = g.out_c;
  if constexpr (std::is_same_v<T, float>) {
    if (use_direct_conv(g)) {
      direct_conv(ctx, g, input, direct_filter(g, filter, state), out);
      return Status::OK();
    }
  }
  const PackedGemmB<T>* prepacked =
      state && state->gemm ? static_cast<const PackedWeights*>(state->gemm.get())->find<T>()
                           : nullptr;
  if (g.pointwise()) {
    gemm<T>(ctx, false, false, m, n, k, input, k, filter, n, out, n, false);
    ctx.finish_all_output(m * n);
    return Status::OK();
  }
  // The filter is packed once for every block of patches: when the plan was built if it is a
  // constant, else here, once per call.
  PackedGemmB<T> own;
  if (!prepacked) TL_RETURN_IF_ERROR(pack_gemm_b(ctx, false, k, n, filter, n, &own));
  const PackedGemmB<T>& packed = prepacked ? *prepacked : own;
  const int64_t block = col_block_rows(g, sizeof(T));
  ctx.parallel_for((m + block - 1) / block, 1, [&](int64_t b0, int64_t b1) {
    T* col = col_buffer<T>(block * k);
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = b * block, rows = std::min(block, m - r0);
      im2col(g, input, r0, rows, col);
      gemm_packed<T>(ctx, false, rows, col, k, packed, out + r0 * n, n, false);
      ctx.finish_output(r0 * n, (r0 + rows) * n);
    }
  });
  return Status::OK();
}

// d_input = col2im(d_out filter^T), one image per task (images do not overlap).
template <typename T>
void conv2d_backprop_input(KernelContext& ctx, const ConvGeom& g, const T* filter,
                           const T* d_out, T* d_input) {
  const int64_t k = g.patch(), n = g.out_c;
  if (g.pointwise()) {
    gemm<T>(ctx, false, true, g.rows(), k, n, d_out, n, filter, n, d_input, k, false);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    const ConvGeom transposed = g.transposed();
    if (g.stride_h == 1 && g.stride_w == 1 && use_direct_conv(transposed)) {
      thread_local DirectConvFilter flipped;  // kept between calls, as conv2d's
      pack_direct_filter(transposed, filter, true, &flipped);
      direct_conv(ctx, transposed, d_out, flipped, d_input);
      return;
    }
  }
  const int64_t image_rows = g.out_h * g.out_w, image_size = g.in_h * g.in_w * g.in_c;
  const int64_t block =
      std::min(col_block_rows(g, sizeof(T)), std::max<int64_t>(image_rows, 1));
  std::fill(d_input, d_input + g.batch * image_size, T(0));
  ctx.parallel_for(g.batch, 1, [&](int64_t i0, int64_t i1) {
    T* col = col_buffer<T>(block * k);
    // Blocks stop at each image's end (the next block starts the next image).
    for (int64_t r0 = i0 * image_rows, rows; r0 < i1 * image_rows; r0 += rows) {
      const int64_t image_end = (r0 / image_rows + 1) * image_rows;
      rows = std::min(block, image_end - r0);
      gemm<T>(ctx, false, true, rows, k, n, d_out + r0 * n, n, filter, n, col, k, false);
      col2im_add(g, col, r0, rows, d_input);
    }
  });
}

// d_filter = P^T d_out (float32 with AVX2 or AVX-512: direct_conv_filter_grad), the rows of P
// split into one part per thread, each summed into its own buffer; the parts are added at the
// end.
template <typename T>
void conv2d_backprop_filter(KernelContext& ctx, const ConvGeom& g, const T* input,
                            const T* d_out, T* d_filter) {
  const int64_t m = g.rows(), k = g.patch(), n = g.out_c;
  if (g.pointwise() || m == 0) {
    gemm<T>(ctx, true, false, k, n, m, input, k, d_out, n, d_filter, n, false);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (use_direct_filter_grad(g)) return direct_conv_filter_grad(ctx, g, input, d_out, d_filter);
  }
  const int64_t block = col_block_rows(g, sizeof(T));
  const int64_t blocks = (m + block - 1) / block;
  const int64_t parts = std::min<int64_t>(std::max(ctx.max_threads(), 1), blocks);
  // The calling thread's, kept between calls as conv2d's packed filter; the tasks (on other
  // threads) reach it through this pointer.
  thread_local std::vector<T> partial_sums;
  partial_sums.resize(static_cast<size_t>((parts - 1) * k * n));
  T* const partial = partial_sums.data();
  ctx.parallel_for(parts, 1, [&](int64_t p0, int64_t p1) {
    T* col = col_buffer<T>(block * k);
    for (int64_t p = p0; p < p1; ++p) {
      T* dst = p == 0 ? d_filter : partial + (p - 1) * k * n;
      for (int64_t b = p * blocks / parts; b < (p + 1) * blocks / parts; ++b) {
        const int64_t r0 = b * block, rows = std::min(block, m - r0);
        im2col(g, input, r0, rows, col);
        gemm<T>(ctx, true, false, k, n, rows, col, k, d_out + r0 * n, n, dst, n,
                b != p * blocks / parts);
      }
    }
  });
  for (int64_t p = 1; p < parts; ++p) {
    const T* src = partial + (p - 1) * k * n;
    for (int64_t i = 0; i < k * n; ++i) d_filter[i] += src[i];
  }
}

// ---- shape functions ----

Status conv2d_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 4, 4));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 4, 4));
  Shape out;
  TL_RETURN_IF_ERROR(conv_output_shape(ctx, ctx.input_shape(0), ctx.input_shape(1), &out));
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// The shape held by the 1-D int input `i` (input_sizes, filter_sizes): 4 dims, maybe unknown.
Status sizes_input(InferenceContext& ctx, int i, const char* name, Shape* out) {
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, i, false, out));
  if (out->rank_known() && out->rank() != 4) {
    return shape_error(ctx, std::string(name) + " must hold 4 values, got " + out->to_string());
  }
  *out = rank4(*out);
  return Status::OK();
}

// Fails unless out_backprop (input 2) has the shape of the convolution's output.
Status check_out_backprop(const InferenceContext& ctx, const Shape& input, const Shape& filter) {
  Shape expected;
  TL_RETURN_IF_ERROR(conv_output_shape(ctx, input, filter, &expected));
  if (expected.is_compatible_with(rank4(ctx.input_shape(2)))) return Status::OK();
  return shape_error(ctx, "out_backprop has shape " + ctx.input_shape(2).to_string() +
                              " but the convolution's output has shape " + expected.to_string());
}

Status conv2d_backprop_input_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 1, 2));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 4, 4));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 4, 4));
  Shape input;
  TL_RETURN_IF_ERROR(sizes_input(ctx, 0, "input_sizes", &input));
  TL_RETURN_IF_ERROR(check_out_backprop(ctx, input, ctx.input_shape(1)));
  ctx.set_output(0, ctx.input_dtype(1), input);
  return Status::OK();
}

Status conv2d_backprop_filter_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 4, 4));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 4, 4));
  Shape filter;
  TL_RETURN_IF_ERROR(sizes_input(ctx, 1, "filter_sizes", &filter));
  TL_RETURN_IF_ERROR(check_out_backprop(ctx, ctx.input_shape(0), filter));
  ctx.set_output(0, ctx.input_dtype(0), filter);
  return Status::OK();
}

// ---- kernels ----

// Packs a constant filter once for the path conv2d takes: for direct_conv, or for im2col +
// GEMM (filter_h * filter_w * in_c rows, out_c columns) unless the convolution is pointwise
// (its product reads the filter in place).
Status conv2d_prepare(PrepareContext& ctx, std::unique_ptr<KernelState>* state) {
  const Tensor* filter = ctx.constant_input(1);
  Window2D w;
  if (!filter || filter->dtype() != ctx.input_dtype(0) || filter->shape().rank() != 4 ||
      !read_window_attrs(ctx.attrs(), "Conv2D", true, &w).ok()) {
    return Status::OK();
  }
  const Shape& f = filter->shape();
  // The filter's part of the geometry: all that use_direct_conv and the packing read.
  const ConvGeom g{0, 0, 0, f.dim(2), f.dim(0), f.dim(1), f.dim(3), 0, 0, w.stride_h,
                   w.stride_w, w.dilation_h, w.dilation_w, 0, 0};
  if (g.pointwise()) return Status::OK();
  auto packed = std::make_unique<ConvFilterState>();
  if (filter->dtype() == DType::kFloat32 && use_direct_conv(g)) {
    pack_direct_filter(g, filter->data<float>(), false, &packed->direct);
  } else {
    TL_RETURN_IF_ERROR(pack_weights(ctx, false, g.patch(), g.out_c, *filter, &packed->gemm));
  }
  *state = std::move(packed);
  return Status::OK();
}

Status conv2d_kernel(KernelContext& ctx) {
  const Tensor& input = ctx.input(0);
  const Tensor& filter = ctx.input(1);
  ConvGeom g;
  TL_RETURN_IF_ERROR(make_geom(ctx.attrs(), "Conv2D", input.shape(), filter.shape(), &g));
  const auto* state = static_cast<const ConvFilterState*>(ctx.kernel_state());
  Status status;
  TL_RETURN_IF_ERROR(dispatch(FloatTypes{}, input.dtype(), "Conv2D", [&](auto tag) {
    using T = typename decltype(tag)::type;
    status = conv2d(ctx, g, input.data<T>(), filter.data<T>(), state, ctx.output(0).data<T>());
  }));
  return status;
}

// A MaxPool that alone reads a float32 convolution's output is computed by the convolution
// (KernelDef::absorbs_reader): the convolution's output is never written.
bool conv2d_absorbs_max_pool(const Node& node, const Node& reader) {
  return reader.op->name() == "MaxPool" && node.output_dtypes[0] == DType::kFloat32 &&
         reader.output_dtypes[0] == DType::kFloat32;
}

// The output stages of a kernel applied to a buffer of its own output's layout.
class StagesOnBuffer : public OutputStages {
 public:
  StagesOnBuffer(const OutputStages& stages, void* data) : stages_(stages), data_(data) {}
  void apply(int64_t begin, int64_t end) const override { stages_.apply_to(data_, begin, end); }
  void apply_to(void* data, int64_t begin, int64_t end) const override {
    stages_.apply_to(data, begin, end);
  }
  bool bias_relu(BiasRelu* out) const override { return stages_.bias_relu(out); }

 private:
  const OutputStages& stages_;
  void* data_;
};

// Conv2D and the MaxPool reading its output, which output 0 is: direct_conv_max_pool where the
// direct convolution runs, else the convolution into a buffer, its stages, then the pool.
Status conv2d_max_pool_kernel(KernelContext& ctx) {
  const Tensor& input = ctx.input(0);
  const Tensor& filter = ctx.input(1);
  ConvGeom g;
  TL_RETURN_IF_ERROR(make_geom(ctx.attrs(), "Conv2D", input.shape(), filter.shape(), &g));
  if (input.dtype() != DType::kFloat32) {
    return invalid_argument("Conv2D: a convolution that pools its own output takes float32, "
                            "got " + std::string(dtype_name(input.dtype())));
  }
  const Shape convolved_shape({g.batch, g.out_h, g.out_w, g.out_c});
  PoolGeom pool;
  TL_RETURN_IF_ERROR(
      make_pool_geom(ctx.absorbed_reader()->attrs, "MaxPool", convolved_shape, &pool));
  const OutputStages* stages = ctx.output_stages();
  OutputStages::BiasRelu bias_relu;
  if (stages && !stages->bias_relu(&bias_relu)) {
    return internal_error("Conv2D: the ops fused onto a pooled convolution are not a bias "
                          "and a ReLU");
  }
  float* out = ctx.output(0).data<float>();
  if (use_direct_conv(g)) {
    const auto* state = static_cast<const ConvFilterState*>(ctx.kernel_state());
    direct_conv_max_pool(ctx, g, input.data<float>(),
                         direct_filter(g, filter.data<float>(), state),
                         stages ? &bias_relu : nullptr, pool, out);
    return Status::OK();
  }
  Tensor convolved;
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kFloat32, convolved_shape, &convolved));
  const Tensor* inputs[] = {&input, &filter};
  KernelContext conv(ctx.graph_node(), ctx.attrs(), inputs, 2, &convolved, 1, &ctx.state(),
                     ctx.max_threads(), ctx.kernel_state());
  std::optional<StagesOnBuffer> on_convolved;
  if (stages) conv.set_output_stages(&on_convolved.emplace(*stages, convolved.raw_data()));
  TL_RETURN_IF_ERROR(conv2d_kernel(conv));
  const float* x = convolved.data<float>();
  ctx.parallel_for(pool.batch * pool.out_h, 1,
                   [&](int64_t begin, int64_t end) { max_pool_rows(pool, x, out, begin, end); });
  return Status::OK();
}

// Fails unless out_backprop has the shape of the convolution's output.
Status check_out_backprop_value(const ConvGeom& g, const std::string& op, const Shape& dy) {
  const Shape want({g.batch, g.out_h, g.out_w, g.out_c});
  if (dy == want) return Status::OK();
  return invalid_argument(op + ": out_backprop has shape " + dy.to_string() +
                          " but the convolution's output has shape " + want.to_string());
}

Status conv2d_backprop_input_kernel(KernelContext& ctx) {
  const Tensor& filter = ctx.input(1);
  Tensor& d_input = ctx.output(0);
  ConvGeom g;
  TL_RETURN_IF_ERROR(make_geom(ctx.attrs(), "Conv2DBackpropInput", d_input.shape(),
                               filter.shape(), &g));
  TL_RETURN_IF_ERROR(check_out_backprop_value(g, "Conv2DBackpropInput", ctx.input(2).shape()));
  return dispatch(FloatTypes{}, filter.dtype(), "Conv2DBackpropInput", [&](auto tag) {
    using T = typename decltype(tag)::type;
    conv2d_backprop_input(ctx, g, filter.data<T>(), ctx.input(2).data<T>(), d_input.data<T>());
  });
}

Status conv2d_backprop_filter_kernel(KernelContext& ctx) {
  const Tensor& input = ctx.input(0);
  Tensor& d_filter = ctx.output(0);
  ConvGeom g;
  TL_RETURN_IF_ERROR(make_geom(ctx.attrs(), "Conv2DBackpropFilter", input.shape(),
                               d_filter.shape(), &g));
  TL_RETURN_IF_ERROR(check_out_backprop_value(g, "Conv2DBackpropFilter", ctx.input(2).shape()));
  return dispatch(FloatTypes{}, input.dtype(), "Conv2DBackpropFilter", [&](auto tag) {
    using T = typename decltype(tag)::type;
    conv2d_backprop_filter(ctx, g, input.data<T>(), ctx.input(2).data<T>(),
                           d_filter.data<T>());
  });
}

// ---- DepthwiseConv2dNative: input [N, H, W, C], filter [KH, KW, C, M] ----
// Each input channel c is convolved with its own M filters: output channel c * M + m. The
// loops run over output channels innermost (contiguous in the filter and the output), so they
// vectorise over channels; ConvGeom's out_c is M.

// fn(begin, end) compiled for the widest vector unit the CPU has.
template <typename F>
TL_TARGET_AVX512 __attribute__((flatten)) void run_avx512(const F& fn, int64_t b, int64_t e) {
  fn(b, e);
}

template <typename F>
void run_vectorized(const F& fn, int64_t begin, int64_t end) {
  if (cpu_has_avx512()) return run_avx512(fn, begin, end);
  if (cpu_has_avx2()) return run_avx2(fn, begin, end);
  fn(begin, end);
}

// acc[c * m + j] += x[c] * w[c * m + j] over c < channels, j < m.
template <typename T>
inline void depthwise_taps(T* acc, const T* x, const T* w, int64_t channels, int64_t m) {
  if (m == 1) {
    for (int64_t c = 0; c < channels; ++c) acc[c] += x[c] * w[c];
    return;
  }
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t j = 0; j < m; ++j) acc[c * m + j] += x[c] * w[c * m + j];
  }
}

// Calls fn(input pixel offset, filter tap) for the taps of output pixel (n, oh, ow) that fall
// inside the input.
template <typename F>
inline void for_each_tap(const ConvGeom& g, int64_t n, int64_t oh, int64_t ow, F fn) {
  for (int64_t kh = 0; kh < g.filter_h; ++kh) {
    const int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
    if (ih < 0 || ih >= g.in_h) continue;
    for (int64_t kw = 0; kw < g.filter_w; ++kw) {
      const int64_t iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
      if (iw >= 0 && iw < g.in_w) fn((n * g.in_h + ih) * g.in_w + iw, kh * g.filter_w + kw);
    }
  }
}

template <typename T>
void depthwise_forward(KernelContext& ctx, const ConvGeom& g, const T* x, const T* w, T* y) {
  const int64_t c = g.in_c, q = g.in_c * g.out_c;
  auto rows = [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        T* acc = y + (row * g.out_w + ow) * q;
        std::fill(acc, acc + q, T(0));
        for_each_tap(g, n, oh, ow, [&](int64_t pixel, int64_t tap) {
          depthwise_taps(acc, x + pixel * c, w + tap * q, c, g.out_c);
        });
      }
    }
  };
  const int64_t work = g.out_w * q * g.filter_h * g.filter_w;
  ctx.parallel_for(g.batch * g.out_h, std::max<int64_t>(1, kElementwiseGrain / (work + 1)),
                   [&](int64_t b, int64_t e) { run_vectorized(rows, b, e); });
}

// d_input: each output pixel's gradient times its filter taps, added to the input pixels it
// read (summed over the M filters of a channel). Tasks own whole images.
template <typename T>
void depthwise_backprop_input(KernelContext& ctx, const ConvGeom& g, const T* w, const T* dy,
                              T* dx) {
  const int64_t c = g.in_c, m = g.out_c, q = c * m;
  auto images = [&](int64_t begin, int64_t end) {
    std::fill(dx + begin * g.in_h * g.in_w * c, dx + end * g.in_h * g.in_w * c, T(0));
    for (int64_t n = begin; n < end; ++n) {
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const T* d = dy + ((n * g.out_h + oh) * g.out_w + ow) * q;
          for_each_tap(g, n, oh, ow, [&](int64_t pixel, int64_t tap) {
            T* o = dx + pixel * c;
            const T* f = w + tap * q;
            if (m == 1) {
              for (int64_t k = 0; k < c; ++k) o[k] += d[k] * f[k];
              return;
            }
            for (int64_t k = 0; k < c; ++k) {
              T sum = 0;
              for (int64_t j = 0; j < m; ++j) sum += d[k * m + j] * f[k * m + j];
              o[k] += sum;
            }
          });
        }
      }
    }
  };
  ctx.parallel_for(g.batch, 1, [&](int64_t b, int64_t e) { run_vectorized(images, b, e); });
}

// d_filter: the sum over images and output pixels of input pixel times output gradient. Each
// image's sum is made apart, then they are added in image order (the same bits for any thread
// count).
template <typename T>
void depthwise_backprop_filter(KernelContext& ctx, const ConvGeom& g, const T* x, const T* dy,
                               T* dw) {
  const int64_t c = g.in_c, q = c * g.out_c, size = g.filter_h * g.filter_w * q;
  std::vector<T> partial(static_cast<size_t>(g.batch * size), T(0));
  auto images = [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      T* sum = partial.data() + n * size;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const T* d = dy + ((n * g.out_h + oh) * g.out_w + ow) * q;
          for_each_tap(g, n, oh, ow, [&](int64_t pixel, int64_t tap) {
            depthwise_taps(sum + tap * q, x + pixel * c, d, c, g.out_c);
          });
        }
      }
    }
  };
  ctx.parallel_for(g.batch, 1, [&](int64_t b, int64_t e) { run_vectorized(images, b, e); });
  std::fill(dw, dw + size, T(0));
  for (int64_t n = 0; n < g.batch; ++n) {
    const T* p = partial.data() + n * size;
    for (int64_t k = 0; k < size; ++k) dw[k] += p[k];
  }
}

// The output shape of a depthwise convolution: the convolution's, with C * M channels.
Status depthwise_output_shape(const InferenceContext& ctx, const Shape& input,
                              const Shape& filter, Shape* out) {
  TL_RETURN_IF_ERROR(conv_output_shape(ctx, input, filter, out));
  const Shape in = rank4(input), f = rank4(filter);
  const int64_t c = in.dim(3) != kUnknownDim ? in.dim(3) : f.dim(2);
  const int64_t channels = c == kUnknownDim || f.dim(3) == kUnknownDim ? kUnknownDim
                                                                       : c * f.dim(3);
  *out = Shape({out->dim(0), out->dim(1), out->dim(2), channels});
  return Status::OK();
}

Status depthwise_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 4, 4));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 4, 4));
  Shape out;
  TL_RETURN_IF_ERROR(depthwise_output_shape(ctx, ctx.input_shape(0), ctx.input_shape(1), &out));
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// Fails unless out_backprop (input 2) has the shape of the depthwise convolution's output.
Status check_depthwise_out_backprop(const InferenceContext& ctx, const Shape& input,
                                    const Shape& filter) {
  Shape expected;
  TL_RETURN_IF_ERROR(depthwise_output_shape(ctx, input, filter, &expected));
  if (expected.is_compatible_with(rank4(ctx.input_shape(2)))) return Status::OK();
  return shape_error(ctx, "out_backprop has shape " + ctx.input_shape(2).to_string() +
                              " but the convolution's output has shape " + expected.to_string());
}

Status depthwise_backprop_input_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 1, 2));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 4, 4));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 4, 4));
  Shape input;
  TL_RETURN_IF_ERROR(sizes_input(ctx, 0, "input_sizes", &input));
  TL_RETURN_IF_ERROR(check_depthwise_out_backprop(ctx, input, ctx.input_shape(1)));
  ctx.set_output(0, ctx.input_dtype(1), input);
  return Status::OK();
}

Status depthwise_backprop_filter_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 4, 4));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 4, 4));
  Shape filter;
  TL_RETURN_IF_ERROR(sizes_input(ctx, 1, "filter_sizes", &filter));
  TL_RETURN_IF_ERROR(check_depthwise_out_backprop(ctx, ctx.input_shape(0), filter));
  ctx.set_output(0, ctx.input_dtype(0), filter);
  return Status::OK();
}

// Fails unless dy has the shape [N, OH, OW, C * M] of the depthwise convolution's output.
Status check_depthwise_dy(const ConvGeom& g, const std::string& op, const Shape& dy) {
  const Shape want({g.batch, g.out_h, g.out_w, g.in_c * g.out_c});
  if (dy == want) return Status::OK();
  return invalid_argument(op + ": out_backprop has shape " + dy.to_string() +
                          " but the convolution's output has shape " + want.to_string());
}

Status depthwise_kernel(KernelContext& ctx) {
  const Tensor& input = ctx.input(0);
  const Tensor& filter = ctx.input(1);
  ConvGeom g;
  TL_RETURN_IF_ERROR(make_geom(ctx.attrs(), "DepthwiseConv2dNative", input.shape(),
                               filter.shape(), &g));
  return dispatch(FloatTypes{}, input.dtype(), "DepthwiseConv2dNative", [&](auto tag) {
    using T = typename decltype(tag)::type;
    depthwise_forward(ctx, g, input.data<T>(), filter.data<T>(), ctx.output(0).data<T>());
  });
}

Status depthwise_backprop_input_kernel(KernelContext& ctx) {
  const Tensor& filter = ctx.input(1);
  Tensor& d_input = ctx.output(0);
  const char* op = "DepthwiseConv2dNativeBackpropInput";
  ConvGeom g;
  TL_RETURN_IF_ERROR(make_geom(ctx.attrs(), op, d_input.shape(), filter.shape(), &g));
  TL_RETURN_IF_ERROR(check_depthwise_dy(g, op, ctx.input(2).shape()));
  return dispatch(FloatTypes{}, filter.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    depthwise_backprop_input(ctx, g, filter.data<T>(), ctx.input(2).data<T>(),
                             d_input.data<T>());
  });
}

Status depthwise_backprop_filter_kernel(KernelContext& ctx) {
  const Tensor& input = ctx.input(0);
  Tensor& d_filter = ctx.output(0);
  const char* op = "DepthwiseConv2dNativeBackpropFilter";
  ConvGeom g;
  TL_RETURN_IF_ERROR(make_geom(ctx.attrs(), op, input.shape(), d_filter.shape(), &g));
  TL_RETURN_IF_ERROR(check_depthwise_dy(g, op, ctx.input(2).shape()));
  return dispatch(FloatTypes{}, input.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    depthwise_backprop_filter(ctx, g, input.data<T>(), ctx.input(2).data<T>(),
                              d_filter.data<T>());
  });
}

// The attributes every DepthwiseConv2dNative op has.
OpDef& depthwise_attrs(OpDef& def) {
  return def.attr("strides", AttrType::kInts)
      .attr("padding", AttrType::kString)
      .attr("data_format", AttrType::kString, std::string("NHWC"))
      .attr("dilations", AttrType::kInts, std::vector<int64_t>{1, 1, 1, 1});
}

// The attributes every Conv2D op has.
OpDef& conv_attrs(OpDef& def) {
  return def.attr("strides", AttrType::kInts)
      .attr("padding", AttrType::kString)
      .attr("use_cudnn_on_gpu", AttrType::kBool, true)
      .attr("data_format", AttrType::kString, std::string("NHWC"))
      .attr("dilations", AttrType::kInts, std::vector<int64_t>{1, 1, 1, 1});
}

}  // namespace

void register_conv_ops(OpRegistry& r) {
  OpDef conv("Conv2D");
  r.add_builtin(conv_attrs(conv.input("input").input("filter"))
                    .shape(conv2d_shape));
  OpDef input_grad("Conv2DBackpropInput");
  r.add_builtin(conv_attrs(input_grad.input("input_sizes").input("filter").input("out_backprop"))
                    .shape(conv2d_backprop_input_shape));
  OpDef filter_grad("Conv2DBackpropFilter");
  r.add_builtin(conv_attrs(filter_grad.input("input").input("filter_sizes").input("out_backprop"))
                    .shape(conv2d_backprop_filter_shape));
  OpDef depthwise("DepthwiseConv2dNative");
  r.add_builtin(depthwise_attrs(depthwise.input("input").input("filter")).shape(depthwise_shape));
  OpDef depthwise_input("DepthwiseConv2dNativeBackpropInput");
  r.add_builtin(depthwise_attrs(depthwise_input.input("input_sizes").input("filter")
                                    .input("out_backprop"))
                    .shape(depthwise_backprop_input_shape));
  OpDef depthwise_filter("DepthwiseConv2dNativeBackpropFilter");
  r.add_builtin(depthwise_attrs(depthwise_filter.input("input").input("filter_sizes")
                                    .input("out_backprop"))
                    .shape(depthwise_backprop_filter_shape));
}

void register_conv_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("Conv2D", Device::kCPU)
                    .prepare(conv2d_prepare)
                    .compute(conv2d_kernel)
                    .applies_output_stages()
                    .absorbs_reader(conv2d_absorbs_max_pool, conv2d_max_pool_kernel));
  r.add_builtin(KernelDef("Conv2DBackpropInput", Device::kCPU)
                    .compute(conv2d_backprop_input_kernel));
  r.add_builtin(KernelDef("Conv2DBackpropFilter", Device::kCPU)
                    .compute(conv2d_backprop_filter_kernel));
  r.add_builtin(KernelDef("DepthwiseConv2dNative", Device::kCPU).compute(depthwise_kernel));
  r.add_builtin(KernelDef("DepthwiseConv2dNativeBackpropInput", Device::kCPU)
                    .compute(depthwise_backprop_input_kernel));
  r.add_builtin(KernelDef("DepthwiseConv2dNativeBackpropFilter", Device::kCPU)
                    .compute(depthwise_backprop_filter_kernel));
}

}  // namespace tl
