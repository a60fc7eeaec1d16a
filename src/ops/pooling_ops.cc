// 2-D max and average pooling over NHWC tensors, their gradients, and the gradient of
// MaxPoolGrad (MaxPoolGradGrad).
//
// A window covers the input pixels [oh * stride - pad_top, + window) x (the same in w), clipped
// to the input: SAME padding never counts as a value (the average divides by the number of
// input pixels inside the window, the max ignores the padding).
#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/gemm.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/pooling.h"
#include "ops/shape_fns.h"
#include "ops/simd_vec.h"
#include "ops/window.h"

namespace tl {
namespace {

// Output pixels' worth of work (times channels) per parallel task.
constexpr int64_t kPoolGrain = 16384;

// Reads and checks ksize, strides, padding and data_format.
Status read_pool_attrs(const AttrMap& attrs, const std::string& op, Window2D* w,
                       int64_t* window_h, int64_t* window_w) {
  TL_RETURN_IF_ERROR(read_window_attrs(attrs, op, false, w));
  const auto& ksize = attrs.get<std::vector<int64_t>>("ksize");
  if (ksize.size() != 4) {
    return invalid_argument(op + ": sliding window ksize field must specify 4 dimensions");
  }
  if (ksize[0] != 1 || ksize[3] != 1) {
    return invalid_argument(op + ": pooling is not yet supported on the batch or depth "
                                 "dimension.");
  }
  if (ksize[1] < 1 || ksize[2] < 1) return invalid_argument(op + ": ksize must be positive");
  *window_h = ksize[1];
  *window_w = ksize[2];
  return Status::OK();
}

// The pooled shape of `input` (rank 4 or unknown).
Status pool_output_shape(const InferenceContext& ctx, const Shape& input, Shape* out) {
  Window2D w;
  int64_t kh, kw;
  Status s = read_pool_attrs(ctx.attrs(), ctx.op(), &w, &kh, &kw);
  const Shape in = input.rank_known()
                       ? input
                       : Shape({kUnknownDim, kUnknownDim, kUnknownDim, kUnknownDim});
  int64_t oh = 0, ow = 0, pad;
  if (s.ok()) s = windowed_output_size(in.dim(1), kh, 1, w.stride_h, w.same, &oh, &pad);
  if (s.ok()) s = windowed_output_size(in.dim(2), kw, 1, w.stride_w, w.same, &ow, &pad);
  if (!s.ok()) return shape_error(ctx, s.message());
  *out = Shape({in.dim(0), oh, ow, in.dim(3)});
  return Status::OK();
}

}  // namespace

Status make_pool_geom(const AttrMap& attrs, const std::string& op, const Shape& input,
                      PoolGeom* g) {
  Window2D w;
  int64_t kh, kw;
  TL_RETURN_IF_ERROR(read_pool_attrs(attrs, op, &w, &kh, &kw));
  *g = PoolGeom{input.dim(0), input.dim(1), input.dim(2), input.dim(3), kh, kw,
                w.stride_h, w.stride_w, 0, 0, 0, 0};
  TL_RETURN_IF_ERROR(
      windowed_output_size(g->in_h, kh, 1, w.stride_h, w.same, &g->out_h, &g->pad_top));
  return windowed_output_size(g->in_w, kw, 1, w.stride_w, w.same, &g->out_w, &g->pad_left);
}

namespace {

// NOTE: the kernels below pass vectors between functions of one target, inlined (flatten):
// GCC's warning that such calls change the ABI does not apply, nor its "may be used
// uninitialized" inside the AVX-512 max intrinsic (its undefined pass-through operand).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// One lane of T behind the interface of the vectors below: the generic path, and the channels
// past the last whole vector. Each vector op computes lane by lane what these compute, so every
// path gives the same bits.
template <typename T>
struct ScalarVec {
  using V = T;
  using Mask = bool;
  static constexpr int kLanes = 1;
  static V zero() { return T(0); }
  static V load(const T* p) { return *p; }
  static V broadcast(const T* p) { return *p; }
  static void store(T* p, V v) { *p = v; }
  static V add(V a, V b) { return a + b; }
  static V mul(V a, V b) { return a * b; }
  // x when x > m, else m: a NaN in x is never taken.
  static V max(V x, V m) { return x > m ? x : m; }
  static Mask greater(V a, V b) { return a > b; }
  static Mask equal(V a, V b) { return a == b; }
  static V select(Mask m, V a, V b) { return m ? a : b; }
};

#if defined(__x86_64__) || defined(__i386__)
// The float vectors of simd_vec.h with the comparisons pooling needs.
// NOTE: their max (simd_vec.h) returns m when either is NaN, which is ScalarVec::max's rule.
template <typename Base>
struct PoolVec;
template <>
struct PoolVec<Avx2Vec<float>> : Avx2Vec<float> {
  using Mask = __m256;
  TL_TARGET_AVX2 static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  TL_TARGET_AVX2 static Mask greater(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  TL_TARGET_AVX2 static Mask equal(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  TL_TARGET_AVX2 static V select(Mask m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
};
template <>
struct PoolVec<Avx512Vec<float>> : Avx512Vec<float> {
  using Mask = __mmask16;
  TL_TARGET_AVX512 static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  TL_TARGET_AVX512 static Mask greater(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  TL_TARGET_AVX512 static Mask equal(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  TL_TARGET_AVX512 static V select(Mask m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
};

template <typename F>
TL_TARGET_AVX512 __attribute__((flatten)) void run_avx512_vectors(const F& fn, int64_t begin,
                                                                  int64_t end) {
  fn(PoolVec<Avx512Vec<float>>{}, begin, end);
}
template <typename F>
TL_TARGET_AVX2 __attribute__((flatten)) void run_avx2_vectors(const F& fn, int64_t begin,
                                                              int64_t end) {
  fn(PoolVec<Avx2Vec<float>>{}, begin, end);
}
#endif


// fn(Vec{}, begin, end), Vec the float vectors of `lanes` (float_lanes_in_use()) when T is
// float, else ScalarVec<T> (in an AVX2 build of fn where the CPU has AVX2).
template <typename T, typename F>
void run_vectorised(int lanes, const F& fn, int64_t begin, int64_t end) {
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (std::is_same_v<T, float>) {
    if (lanes == 16) return run_avx512_vectors(fn, begin, end);
    if (lanes == 8) return run_avx2_vectors(fn, begin, end);
  }
#endif
  const auto scalar = [&](int64_t b, int64_t e) { fn(ScalarVec<T>{}, b, e); };
  if (cpu_has_avx2()) {
    run_avx2(scalar, begin, end);
  } else {
    scalar(begin, end);
  }
}

// run_vectorised over [0, n) in parallel.
template <typename T, typename F>
void parallel_vectorised(KernelContext& ctx, int64_t n, int64_t grain, const F& fn) {
  const int lanes = std::is_same_v<T, float> ? float_lanes_in_use() : 0;
  ctx.parallel_for(n, grain,
                   [&](int64_t begin, int64_t end) { run_vectorised<T>(lanes, fn, begin, end); });
}

// fn(Vec{}, c0, c1) over the channels [0, c): whole vectors, then the rest one at a time.
template <typename T, typename Vec, typename F>
inline void over_channels(const Vec&, int64_t c, const F& fn) {
  const int64_t whole = c - c % Vec::kLanes;
  fn(Vec{}, int64_t{0}, whole);
  if (whole < c) fn(ScalarVec<T>{}, whole, c);
}

// fn(Vec{}, begin, end) over output rows (n, oh) in parallel.
template <typename T, typename F>
void for_output_rows(KernelContext& ctx, const PoolGeom& g, const F& fn) {
  const int64_t per_row = std::max<int64_t>(g.out_w * g.channels * g.window_h * g.window_w, 1);
  parallel_vectorised<T>(ctx, g.batch * g.out_h, kPoolGrain / per_row + 1, fn);
}

// fn(Vec{}, begin, end) over images in parallel (gradients scatter within one image).
template <typename T, typename F>
void for_images(KernelContext& ctx, const PoolGeom& g, const F& fn) {
  const int64_t per_image =
      std::max<int64_t>(g.out_h * g.out_w * g.channels * g.window_h * g.window_w, 1);
  parallel_vectorised<T>(ctx, g.batch, kPoolGrain / per_image + 1, fn);
}

// fn(Vec{}, begin, end) that max-pools output rows [begin, end) (n * out_h + oh).
template <typename T>
auto max_pool_rows_fn(const PoolGeom& g, const T* in, T* out) {
  return [&g, in, out](auto vec, int64_t begin, int64_t end) {
    const int64_t c = g.channels;
    const T lowest = std::numeric_limits<T>::lowest();
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        T* o = out + (row * g.out_w + ow) * c;
        int64_t h0, h1, w0, w1;
        g.window(oh, ow, &h0, &h1, &w0, &w1);
        const T* corner = in + ((n * g.in_h + h0) * g.in_w + w0) * c;
        const int64_t down = g.in_w * c;  // from a pixel to the one below
        const bool two_by_two = h1 - h0 == 2 && w1 - w0 == 2;
        over_channels<T>(vec, c, [&](auto lanes, int64_t c0, int64_t c1) {
          using Vec = decltype(lanes);
          if (two_by_two) {  // the usual window, whole: the same maxima, in the same order
            for (int64_t i = c0; i < c1; i += Vec::kLanes) {
              const T* x = corner + i;
              auto m = Vec::max(Vec::load(x), Vec::broadcast(&lowest));
              m = Vec::max(Vec::load(x + c), m);
              m = Vec::max(Vec::load(x + down), m);
              Vec::store(o + i, Vec::max(Vec::load(x + down + c), m));
            }
            return;
          }
          for (int64_t i = c0; i < c1; i += Vec::kLanes) {
            auto m = Vec::broadcast(&lowest);
            for (int64_t h = 0; h < h1 - h0; ++h) {
              for (int64_t w = 0; w < w1 - w0; ++w) {
                m = Vec::max(Vec::load(corner + h * down + w * c + i), m);
              }
            }
            Vec::store(o + i, m);
          }
        });
      }
    }
  };
}

template <typename T>
void max_pool(KernelContext& ctx, const PoolGeom& g, const T* in, T* out) {
  for_output_rows<T>(ctx, g, max_pool_rows_fn(g, in, out));
}

template <typename T>
void avg_pool(KernelContext& ctx, const PoolGeom& g, const T* in, T* out) {
  const int64_t c = g.channels;
  for_output_rows<T>(ctx, g, [&](auto vec, int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        T* o = out + (row * g.out_w + ow) * c;
        int64_t h0, h1, w0, w1;
        g.window(oh, ow, &h0, &h1, &w0, &w1);
        const T scale = T(1) / static_cast<T>((h1 - h0) * (w1 - w0));
        const T* corner = in + ((n * g.in_h + h0) * g.in_w + w0) * c;
        const int64_t down = g.in_w * c;  // from a pixel to the one below
        const bool two_by_two = h1 - h0 == 2 && w1 - w0 == 2;
        over_channels<T>(vec, c, [&](auto lanes, int64_t c0, int64_t c1) {
          using Vec = decltype(lanes);
          const auto factor = Vec::broadcast(&scale);
          if (two_by_two) {  // the usual window, whole: the same sums, in the same order
            for (int64_t i = c0; i < c1; i += Vec::kLanes) {
              const T* x = corner + i;
              auto sum = Vec::add(Vec::zero(), Vec::load(x));
              sum = Vec::add(sum, Vec::load(x + c));
              sum = Vec::add(sum, Vec::load(x + down));
              Vec::store(o + i, Vec::mul(Vec::add(sum, Vec::load(x + down + c)), factor));
            }
            return;
          }
          for (int64_t i = c0; i < c1; i += Vec::kLanes) {
            auto sum = Vec::zero();
            for (int64_t h = 0; h < h1 - h0; ++h) {
              for (int64_t w = 0; w < w1 - w0; ++w) {
                sum = Vec::add(sum, Vec::load(corner + h * down + w * c + i));
              }
            }
            Vec::store(o + i, Vec::mul(sum, factor));
          }
        });
      }
    }
  });
}

// where[i] = the offset in `x` (one image) of channel i's first maximum in the window
// [h0, h1) x [w0, w1) (row-major scan, as in TF; a NaN is never a maximum after the first
// element). Written without branches so that the compiler vectorises it over the channels.
template <typename T>
inline void window_argmax(const PoolGeom& g, const T* x, int64_t h0, int64_t h1, int64_t w0,
                          int64_t w1, T* best, int64_t* where) {
  const int64_t c = g.channels, first = (h0 * g.in_w + w0) * c;
  for (int64_t i = 0; i < c; ++i) {
    best[i] = x[first + i];
    where[i] = first + i;
  }
  for (int64_t h = h0; h < h1; ++h) {
    for (int64_t w = h == h0 ? w0 + 1 : w0; w < w1; ++w) {
      const int64_t at = (h * g.in_w + w) * c;
      for (int64_t i = 0; i < c; ++i) {
        const T v = x[at + i];
        const bool take = v > best[i];
        best[i] = take ? v : best[i];
        where[i] = take ? at + i : where[i];
      }
    }
  }
}

// True when no input pixel lies in two windows: each gets at most one output's gradient.
bool windows_disjoint(const PoolGeom& g) {
  return g.stride_h >= g.window_h && g.stride_w >= g.window_w &&
         g.window_h * g.window_w < (int64_t{1} << 24);  // window positions exact in float
}

// covered[i] = whether input index i (a row or a column) lies in a window, when the windows
// are disjoint along it.
std::vector<char> covered_by_windows(int64_t in, int64_t out, int64_t pad, int64_t stride,
                                     int64_t window) {
  std::vector<char> covered(static_cast<size_t>(in));
  for (int64_t i = 0; i < in; ++i) {
    const int64_t o = (i + pad) / stride;  // the only window that can hold i
    covered[i] = o < out && i + pad - o * stride < window;
  }
  return covered;
}

// The windows of a float32 pooling whose windows are disjoint (windows_disjoint; none
// otherwise), for the gradients that write each pixel of an image once: 0 at the pixels of no
// window (zero_uncovered), then each window's pixels (for_each).
struct DisjointWindows {
  bool any = false;
  std::vector<char> rows, cols;  // covered_by_windows
  DisjointWindows(const PoolGeom& g, bool floats) : any(floats && windows_disjoint(g)) {
    if (!any) return;
    rows = covered_by_windows(g.in_h, g.out_h, g.pad_top, g.stride_h, g.window_h);
    cols = covered_by_windows(g.in_w, g.out_w, g.pad_left, g.stride_w, g.window_w);
  }
  void zero_uncovered(const PoolGeom& g, float* dx) const {
    const int64_t c = g.channels;
    for (int64_t h = 0; h < g.in_h; ++h) {
      for (int64_t w = 0; w < g.in_w; ++w) {
        float* d = dx + (h * g.in_w + w) * c;
        if (!rows[h] || !cols[w]) std::fill(d, d + c, 0.0f);
      }
    }
  }
  // fn(gy, h0, h1, w0, w1): each window that holds pixels, gy its output's gradient in `grad`.
  template <typename F>
  static void for_each(const PoolGeom& g, const float* grad, const F& fn) {
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        int64_t h0, h1, w0, w1;
        g.window(oh, ow, &h0, &h1, &w0, &w1);
        if (h0 < h1 && w0 < w1) fn(grad + (oh * g.out_w + ow) * g.channels, h0, h1, w0, w1);
      }
    }
  }
};

// MaxPoolGrad of one image `x` into its gradient `dx` when the windows are disjoint: the first
// maximum's position in each window (a float, for the float vector compare), then 0 + gradient
// written there (the bits of the scatter's 0 += gradient) and 0 at the window's other pixels
// and at the pixels of no window, so that `dx` is written once.
template <typename Vec>
void max_pool_grad_disjoint(const Vec& vec, const PoolGeom& g, const DisjointWindows& windows,
                            const float* x, const float* grad, float* dx) {
  const int64_t c = g.channels;
  windows.zero_uncovered(g, dx);
  DisjointWindows::for_each(g, grad, [&](const float* gy, int64_t h0, int64_t h1, int64_t w0,
                                         int64_t w1) {
    over_channels<float>(vec, c, [&](auto lanes, int64_t c0, int64_t c1) {
      using V = decltype(lanes);
      for (int64_t i = c0; i < c1; i += V::kLanes) {
        auto best = V::load(x + (h0 * g.in_w + w0) * c + i);
        auto where = V::zero();
        float k = 0;
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = h == h0 ? w0 + 1 : w0; w < w1; ++w) {
            const auto v = V::load(x + (h * g.in_w + w) * c + i);
            const auto take = V::greater(v, best);
            k += 1;
            best = V::select(take, v, best);
            where = V::select(take, V::broadcast(&k), where);
          }
        }
        const auto routed = V::add(V::zero(), V::load(gy + i));
        k = 0;
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = w0; w < w1; ++w, k += 1) {
            V::store(dx + (h * g.in_w + w) * c + i,
                     V::select(V::equal(where, V::broadcast(&k)), routed, V::zero()));
          }
        }
      }
    });
  });
}

// Each output gradient goes to the first maximum of its window.
template <typename T>
void max_pool_grad(KernelContext& ctx, const PoolGeom& g, const T* in, const T* grad,
                   T* d_in) {
  const int64_t c = g.channels, image = g.in_h * g.in_w * c, pooled = g.out_h * g.out_w * c;
  const DisjointWindows windows(g, std::is_same_v<T, float>);
  for_images<T>(ctx, g, [&](auto vec, int64_t begin, int64_t end) {
    std::vector<T> best(static_cast<size_t>(c));
    std::vector<int64_t> where(static_cast<size_t>(c));
    for (int64_t n = begin; n < end; ++n) {
      T* dx = d_in + n * image;
      if constexpr (std::is_same_v<T, float>) {
        if (windows.any) {
          max_pool_grad_disjoint(vec, g, windows, in + n * image, grad + n * pooled, dx);
          ctx.finish_output(n * image, (n + 1) * image);  // while the image is in cache
          continue;
        }
      }
      std::fill(dx, dx + image, T(0));
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          int64_t h0, h1, w0, w1;
          g.window(oh, ow, &h0, &h1, &w0, &w1);
          if (h0 >= h1 || w0 >= w1) continue;
          window_argmax(g, in + n * image, h0, h1, w0, w1, best.data(), where.data());
          const T* gy = grad + ((n * g.out_h + oh) * g.out_w + ow) * c;
          for (int64_t i = 0; i < c; ++i) dx[where[i]] += gy[i];
        }
      }
      ctx.finish_output(n * image, (n + 1) * image);
    }
  });
}

// The gradient of MaxPoolGrad with respect to its gradient input: each output pixel takes
// `grad` at the first maximum of its window (the element MaxPoolGrad sends its gradient to).
template <typename T>
void max_pool_grad_grad(KernelContext& ctx, const PoolGeom& g, const T* in, const T* grad,
                        T* out) {
  const int64_t c = g.channels, image = g.in_h * g.in_w * c;
  for_output_rows<T>(ctx, g, [&](auto, int64_t begin, int64_t end) {
    std::vector<T> best(static_cast<size_t>(c));
    std::vector<int64_t> where(static_cast<size_t>(c));
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        T* o = out + (row * g.out_w + ow) * c;
        int64_t h0, h1, w0, w1;
        g.window(oh, ow, &h0, &h1, &w0, &w1);
        if (h0 >= h1 || w0 >= w1) {
          std::fill(o, o + c, T(0));
          continue;
        }
        window_argmax(g, in + n * image, h0, h1, w0, w1, best.data(), where.data());
        const T* gg = grad + n * image;
        for (int64_t i = 0; i < c; ++i) o[i] = gg[where[i]];
      }
    }
  });
}

// AvgPoolGrad of one image's gradient into `dx` when the windows are disjoint: each window's
// 0 + gradient * (1 / its pixels) written to its pixels (the bits of the scatter's 0 +=
// gradient * scale), 0 to the pixels of no window, so that `dx` is written once: [64, 28, 28,
// 32] in 2x2 windows took 0.77x the time of zeroing then scattering (Zen 4).
template <typename Vec>
void avg_pool_grad_disjoint(const Vec& vec, const PoolGeom& g, const DisjointWindows& windows,
                            const float* grad, float* dx) {
  const int64_t c = g.channels;
  windows.zero_uncovered(g, dx);
  DisjointWindows::for_each(g, grad, [&](const float* gy, int64_t h0, int64_t h1, int64_t w0,
                                         int64_t w1) {
    const float scale = 1.0f / static_cast<float>((h1 - h0) * (w1 - w0));
    over_channels<float>(vec, c, [&](auto lanes, int64_t c0, int64_t c1) {
      using V = decltype(lanes);
      const auto factor = V::broadcast(&scale);
      for (int64_t i = c0; i < c1; i += V::kLanes) {
        const auto share = V::add(V::zero(), V::mul(V::load(gy + i), factor));
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = w0; w < w1; ++w) V::store(dx + (h * g.in_w + w) * c + i, share);
        }
      }
    });
  });
}

// Each output gradient is shared evenly by the input pixels of its window.
template <typename T>
void avg_pool_grad(KernelContext& ctx, const PoolGeom& g, const T* grad, T* d_in) {
  const int64_t c = g.channels, image = g.in_h * g.in_w * c, pooled = g.out_h * g.out_w * c;
  const DisjointWindows windows(g, std::is_same_v<T, float>);
  for_images<T>(ctx, g, [&](auto vec, int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      T* dx = d_in + n * image;
      if constexpr (std::is_same_v<T, float>) {
        if (windows.any) {
          avg_pool_grad_disjoint(vec, g, windows, grad + n * pooled, dx);
          continue;
        }
      }
      std::fill(dx, dx + image, T(0));
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          int64_t h0, h1, w0, w1;
          g.window(oh, ow, &h0, &h1, &w0, &w1);
          const T scale = T(1) / static_cast<T>((h1 - h0) * (w1 - w0));
          const T* gy = grad + ((n * g.out_h + oh) * g.out_w + ow) * c;
          for (int64_t h = h0; h < h1; ++h) {
            for (int64_t w = w0; w < w1; ++w) {
              T* d = dx + (h * g.in_w + w) * c;
              for (int64_t i = 0; i < c; ++i) d[i] += gy[i] * scale;
            }
          }
        }
      }
    }
  });
}

#pragma GCC diagnostic pop

// ---- shape functions ----

template <typename List>
Status pool_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, List{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 0, 4, 4));
  Shape out;
  TL_RETURN_IF_ERROR(pool_output_shape(ctx, ctx.input_shape(0), &out));
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// Fails unless input `i` (a gradient) has the pooled shape of `input`.
Status check_pool_grad(const InferenceContext& ctx, const Shape& input, int i) {
  Shape expected;
  TL_RETURN_IF_ERROR(pool_output_shape(ctx, input, &expected));
  if (expected.is_compatible_with(ctx.input_shape(i))) return Status::OK();
  return shape_error(ctx, "input " + std::to_string(i) + " has shape " +
                              ctx.input_shape(i).to_string() +
                              " but the pooled output has shape " + expected.to_string());
}

Status max_pool_grad_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
  for (int i = 0; i < 3; ++i) TL_RETURN_IF_ERROR(check_rank(ctx, i, 4, 4));
  TL_RETURN_IF_ERROR(check_pool_grad(ctx, ctx.input_shape(0), 1));
  TL_RETURN_IF_ERROR(check_pool_grad(ctx, ctx.input_shape(0), 2));
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

Status max_pool_grad_grad_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
  for (int i = 0; i < 3; ++i) TL_RETURN_IF_ERROR(check_rank(ctx, i, 4, 4));
  TL_RETURN_IF_ERROR(check_pool_grad(ctx, ctx.input_shape(0), 1));
  if (!ctx.input_shape(0).is_compatible_with(ctx.input_shape(2))) {
    return shape_error(ctx, "grad has shape " + ctx.input_shape(2).to_string() +
                                " but orig_input has shape " + ctx.input_shape(0).to_string());
  }
  Shape out;
  TL_RETURN_IF_ERROR(pool_output_shape(ctx, ctx.input_shape(0), &out));
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status avg_pool_grad_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, FloatTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 4, 4));
  Shape input;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 0, false, &input));
  if (input.rank_known() && input.rank() != 4) {
    return shape_error(ctx, "orig_input_shape must be 4-dimensional, got " + input.to_string());
  }
  TL_RETURN_IF_ERROR(check_pool_grad(ctx, input, 1));
  ctx.set_output(0, ctx.input_dtype(1),
                 input.rank_known() ? input
                                    : Shape({kUnknownDim, kUnknownDim, kUnknownDim,
                                             kUnknownDim}));
  return Status::OK();
}

// ---- kernels ----

// Fails unless input `i` has shape `want`.
// NOTE: the shape function does not run again when the output's shape was fully known while
// building, so the gradient inputs are checked here too.
Status check_input_shape(KernelContext& ctx, const char* op, int i, const Shape& want) {
  if (ctx.input(i).shape() == want) return Status::OK();
  return invalid_argument(std::string(op) + ": input " + std::to_string(i) + " has shape " +
                          ctx.input(i).shape().to_string() + " but " + want.to_string() +
                          " was expected");
}

Shape pooled_shape(const PoolGeom& g) { return Shape({g.batch, g.out_h, g.out_w, g.channels}); }

Status max_pool_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  PoolGeom g;
  TL_RETURN_IF_ERROR(make_pool_geom(ctx.attrs(), "MaxPool", x.shape(), &g));
  return dispatch(NumericTypes{}, x.dtype(), "MaxPool", [&](auto tag) {
    using T = typename decltype(tag)::type;
    max_pool(ctx, g, x.data<T>(), ctx.output(0).data<T>());
  });
}

Status avg_pool_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  PoolGeom g;
  TL_RETURN_IF_ERROR(make_pool_geom(ctx.attrs(), "AvgPool", x.shape(), &g));
  return dispatch(FloatTypes{}, x.dtype(), "AvgPool", [&](auto tag) {
    using T = typename decltype(tag)::type;
    avg_pool(ctx, g, x.data<T>(), ctx.output(0).data<T>());
  });
}

Status max_pool_grad_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  PoolGeom g;
  TL_RETURN_IF_ERROR(make_pool_geom(ctx.attrs(), "MaxPoolGrad", x.shape(), &g));
  TL_RETURN_IF_ERROR(check_input_shape(ctx, "MaxPoolGrad", 2, pooled_shape(g)));
  return dispatch(NumericTypes{}, x.dtype(), "MaxPoolGrad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    max_pool_grad(ctx, g, x.data<T>(), ctx.input(2).data<T>(), ctx.output(0).data<T>());
  });
}

Status max_pool_grad_grad_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  PoolGeom g;
  TL_RETURN_IF_ERROR(make_pool_geom(ctx.attrs(), "MaxPoolGradGrad", x.shape(), &g));
  TL_RETURN_IF_ERROR(check_input_shape(ctx, "MaxPoolGradGrad", 2, x.shape()));
  return dispatch(FloatTypes{}, x.dtype(), "MaxPoolGradGrad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    max_pool_grad_grad(ctx, g, x.data<T>(), ctx.input(2).data<T>(), ctx.output(0).data<T>());
  });
}

Status avg_pool_grad_kernel(KernelContext& ctx) {
  Tensor& d_in = ctx.output(0);
  PoolGeom g;
  TL_RETURN_IF_ERROR(make_pool_geom(ctx.attrs(), "AvgPoolGrad", d_in.shape(), &g));
  TL_RETURN_IF_ERROR(check_input_shape(ctx, "AvgPoolGrad", 1, pooled_shape(g)));
  return dispatch(FloatTypes{}, d_in.dtype(), "AvgPoolGrad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    avg_pool_grad(ctx, g, ctx.input(1).data<T>(), d_in.data<T>());
  });
}

// The attributes every pooling op has.
OpDef& pool_attrs(OpDef& def) {
  return def.attr("ksize", AttrType::kInts)
      .attr("strides", AttrType::kInts)
      .attr("padding", AttrType::kString)
      .attr("data_format", AttrType::kString, std::string("NHWC"));
}

}  // namespace

void max_pool_rows(const PoolGeom& g, const float* in, float* out, int64_t begin, int64_t end) {
  run_vectorised<float>(float_lanes_in_use(), max_pool_rows_fn(g, in, out), begin, end);
}

void register_pooling_ops(OpRegistry& r) {
  OpDef max_pool_def("MaxPool");
  r.add_builtin(pool_attrs(max_pool_def.input("input"))
                    .shape(pool_shape<NumericTypes>));
  OpDef avg_pool_def("AvgPool");
  r.add_builtin(pool_attrs(avg_pool_def.input("value"))
                    .shape(pool_shape<FloatTypes>));
  OpDef max_grad("MaxPoolGrad");
  r.add_builtin(pool_attrs(max_grad.input("orig_input").input("orig_output").input("grad"))
                    .shape(max_pool_grad_shape));
  OpDef max_grad_grad("MaxPoolGradGrad");
  r.add_builtin(pool_attrs(max_grad_grad.input("orig_input").input("orig_output").input("grad"))
                    .shape(max_pool_grad_grad_shape));
  OpDef avg_grad("AvgPoolGrad");
  r.add_builtin(pool_attrs(avg_grad.input("orig_input_shape").input("grad"))
                    .shape(avg_pool_grad_shape));
}

void register_pooling_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("MaxPool", Device::kCPU).compute(max_pool_kernel));
  r.add_builtin(KernelDef("AvgPool", Device::kCPU).compute(avg_pool_kernel));
  r.add_builtin(KernelDef("MaxPoolGrad", Device::kCPU)
                    .compute(max_pool_grad_kernel)
                    .applies_output_stages());
  r.add_builtin(KernelDef("MaxPoolGradGrad", Device::kCPU).compute(max_pool_grad_grad_kernel));
  r.add_builtin(KernelDef("AvgPoolGrad", Device::kCPU).compute(avg_pool_grad_kernel));
}

}  // namespace tl
