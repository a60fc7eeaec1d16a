// Direct 2-D convolution: register tiles of output pixels x output channels, the filter
// repacked by blocks of channels, the input read in place from a zero-padded copy of its rows;
// and its filter gradient: register tiles of taps x output channels summed over the pixels.
#include "ops/conv_direct.h"

#include <array>
#include <cstring>
#include <limits>
#include <type_traits>

#include "ops/cpu_features.h"
#include "ops/pooling.h"
#include "ops/simd_vec.h"

namespace tl {
namespace {

// Bytes of one block of the packed filter past which im2col + GEMM is used instead: a block is
// read once per tile of pixels, front to back (the L2 streamer fetches it ahead), so it must
// stay in L2 (1 MiB and more where AVX-512 runs, half of it left for the input rows and the
// output).
constexpr int64_t kFilterBlockBytes = 512 * 1024;
// Bytes of the padded input rows one task copies, at most (a task is cut to fit), and tasks
// per thread wanted when the images are too few to spread over the threads.
constexpr int64_t kPaddedRowsBytes = 512 * 1024;
constexpr int64_t kTasksPerThread = 4;
// Bytes of the out_backprop rows and padded input rows one chunk of the filter gradient reads
// (a chunk is cut to fit, at least one output row): about L1's size, so that they stay there
// (or close, in L2) while every tap sums over them. Chunks half as big cost the AVX-512 tiles
// 10% on Ice Lake (fewer pixels a tile), twice as big 20% (L1 misses).
constexpr int64_t kGradChunkBytes = 56 * 1024;

// A first layer's convolution (one input channel, unit stride and dilation along the rows, a
// filter of at most kPatchTaps taps) runs tiles that read their taps from a patch
// (DirectTile::run_patches). Its padded rows are read a vector past their end: the buffers
// that hold them have kPaddedSlack floats more.
constexpr int64_t kPatchTaps = 64;
constexpr int64_t kPaddedSlack = 16;
bool patch_path(const ConvGeom& g) {
  return g.in_c == 1 && g.stride_w == 1 && g.dilation_w == 1 && g.patch() <= kPatchTaps;
}

// Where a first layer's tiles (patch_path) put the 2x2 max-pool of stride 2 that follows them
// (pools_pairs): the convolution's even row, kept in `above` (out_w pixels and a block's
// width more), and the pooled row at `pooled`.
struct PooledRow {
  float* above;
  float* pooled;
};
bool pools_pairs(const ConvGeom& g, const PoolGeom& pool) {
  return patch_path(g) && pool.window_h == 2 && pool.window_w == 2 && pool.stride_h == 2 &&
         pool.stride_w == 2 && pool.pad_top == 0 && pool.pad_left == 0 &&
         pool.out_h * 2 == g.out_h && pool.out_w * 2 == g.out_w;
}

// The padded input a task reads: rows of `width` pixels of `channels` values, the row of
// padded index `first_row` at `data`.
struct PaddedRows {
  const float* data;
  int64_t first_row, width, channels;
  const float* at(int64_t row, int64_t col) const {
    return data + ((row - first_row) * width + col) * channels;
  }
};

// The width in pixels of the padded input: every tap of every output column lands inside.
int64_t padded_width(const ConvGeom& g) {
  return (g.out_w - 1) * g.stride_w + (g.filter_w - 1) * g.dilation_w + 1;
}

// Copies the padded rows [r0, r1) of `image` (padded row r is input row r - pad_top, zeros
// outside the input) into dst.
void pad_rows(const ConvGeom& g, const float* image, int64_t r0, int64_t r1, float* dst) {
  const int64_t width = padded_width(g), c = g.in_c;
  const int64_t left = std::min(g.pad_left, width);
  const int64_t inside = std::clamp<int64_t>(g.in_w, 0, width - left);
  for (int64_t r = r0; r < r1; ++r, dst += width * c) {
    const int64_t ih = r - g.pad_top;
    if (ih < 0 || ih >= g.in_h) {
      std::fill(dst, dst + width * c, 0.0f);
      continue;
    }
    std::fill(dst, dst + left * c, 0.0f);
    std::memcpy(dst + left * c, image + ih * g.in_w * c,
                static_cast<size_t>(inside * c) * sizeof(float));
    std::fill(dst + (left + inside) * c, dst + width * c, 0.0f);
  }
}

#if defined(__x86_64__) || defined(__i386__)
// NOTE: vectors pass between functions of one target, inlined (flatten): GCC's warning that
// such calls change the ABI does not apply, nor its "may be used uninitialized" inside the
// AVX-512 max intrinsic (its undefined pass-through operand).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// f(std::integral_constant<int, k>()) for the compile-time k equal to n, 1 <= n <= kMax: a
// tile's size (its pixels or taps, its vectors) known to the compiler, so that its sums stay in
// registers.
template <int kMax, typename F>
void with_count(int64_t n, const F& f) {
  if constexpr (kMax > 1) {
    if (n < kMax) return with_count<kMax - 1>(n, f);
  }
  f(std::integral_constant<int, kMax>());
}

// f(std::integral_constant<int64_t, k>()) for the k of kSteps equal to step, if one is;
// whether one was.
template <int64_t... kSteps, typename F>
bool with_step(int64_t step, const F& f) {
  return ((step == kSteps && (f(std::integral_constant<int64_t, kSteps>()), true)) || ...);
}

// [first, end): taps along one axis of a filter, output rows or columns, pixels.
struct Range {
  int64_t first, end;
};
// (Unit strides and dilations, the common case, skip the division: GradChunk::inside runs
// for every few taps.)
int64_t floor_div(int64_t a, int64_t b) {
  if (b == 1) return a;
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// One axis of a convolution (its rows or its columns): output o and filter tap k read input
// o * stride - pad + k * dilation, inside the input when in [0, in), else on its padding. A
// tap on the padding for every pixel of a tile adds only zeros, and the tile skips it. With a
// 5x5 filter over 14x14 pixels padded by 2, one tap in 12 lands on the padding above or below
// and one in 12 left or right of the input. Skipping the first, the forward convolution
// 5x5x32->64 and its input gradient took 0.92x the time on one and two threads, the filter
// gradient likewise, and 0.95x more skipping the second too (Zen 4). The same sums, but for
// the sign of a zero.
struct Axis {
  int64_t in, filter, stride, dilation, pad;

  // The taps that may land inside the input for some output in [o0, o1] (o0 <= o1); the
  // others land on the padding for all of them.
  Range taps_inside(int64_t o0, int64_t o1) const {
    const int64_t first = std::clamp<int64_t>(-floor_div(o1 * stride - pad, dilation), 0, filter);
    const int64_t end = floor_div(in - 1 + pad - o0 * stride, dilation) + 1;
    return Range{first, std::clamp<int64_t>(end, first, filter)};
  }
  // The outputs within [o0, o1) for which some of `taps` may land inside the input; none does
  // for the others.
  Range outputs_inside(Range taps, int64_t o0, int64_t o1) const {
    const int64_t first =
        std::clamp<int64_t>(-floor_div((taps.end - 1) * dilation - pad, stride), o0, o1);
    const int64_t end = floor_div(in - 1 + pad - taps.first * dilation, stride) + 1;
    return Range{first, std::clamp<int64_t>(end, first, o1)};
  }
  // The outputs [0, out) in three parts: those whose first tap lands before the input, those
  // whose taps all land inside, those whose last lands past it (the middle part empty when
  // every output reaches past an edge).
  std::array<Range, 3> edges(int64_t out) const {
    const int64_t before = std::clamp<int64_t>(-floor_div(-pad, stride), 0, out);
    const int64_t past = std::clamp<int64_t>(
        floor_div(in - 1 + pad - (filter - 1) * dilation, stride) + 1, before, out);
    return {Range{0, before}, Range{before, past}, Range{past, out}};
  }
};
Axis rows_axis(const ConvGeom& g) {
  return Axis{g.in_h, g.filter_h, g.stride_h, g.dilation_h, g.pad_top};
}
Axis cols_axis(const ConvGeom& g) {
  return Axis{g.in_w, g.filter_w, g.stride_w, g.dilation_w, g.pad_left};
}

// The tiles of vector type Vec: kVecs vectors of output channels by up to kMaxPixels pixels,
// as many vectors of sums as the ISA's kRegisters vector registers hold beside the filter's
// vectors and a broadcast: 6 x 4 + 4 + 1 of AVX-512's 32, 14 x 2 + 2 + 1 with 2 vectors (32
// channels: 14 pixels, not 12, were 13% faster for the 5x5x64->32 input gradient on Ice
// Lake), 6 x 2 + 2 + 1 of AVX2's 16. A tile's pixels are consecutive in the output, across the
// ends of its rows, so that nearly every tile is full whatever the width of the image; a full
// tile of many pixels inside one row finds them from one pointer (row_tile).
template <typename Vec, int kVecs, int kRegisters>
struct DirectTile {
  using V = typename Vec::V;
  static constexpr int kWidth = kVecs * Vec::kLanes;
  static constexpr int kMaxPixels = std::min(14, (kRegisters - kVecs - 1) / kVecs);
  // A patch's row: a tap's values for the pixels of a tile, whole vectors.
  static constexpr int kPatchRow = (kMaxPixels + Vec::kLanes - 1) / Vec::kLanes * Vec::kLanes;

  // out[p * out_c + j] for p < kPixels, j < width = the sum over the taps of every window
  // position of the pixel's input value times filter[tap * kWidth + j], then `stages`' bias and
  // ReLU (the block's part of them) when given. at(p, offset): the value `offset` floats past
  // the tap (0, 0, 0) of pixel p in the padded rows, whose rows are `row` values apart.
  // NOTE: the sums stay in registers over all the window positions while the filter block
  // streams from L2. Taking the positions a few at a time so that their part of the filter
  // stayed in L1, the sums kept in the output between the parts, was 16% slower on Ice Lake
  // (5x5x32->64 and 3x3x64->128) and no faster with AVX2 tiles.
  template <int kPixels, typename At, typename Out>
  static void tile(const ConvGeom& g, const At& at, int64_t row, Range rows, Range cols,
                   const float* filter, const OutputStages::BiasRelu* stages, const Out& out,
                   int64_t width) {
    const int64_t c = g.in_c, kh_step = g.dilation_h * row, kw_step = g.dilation_w * c;
    V acc[kPixels][kVecs];
    zero(acc);
    // The taps of one filter row lie one after another in the padded row when the filter is
    // not dilated: one run of its columns' taps, not one run of in_c (few, in a first layer)
    // a column.
    const bool contiguous = g.dilation_w == 1;
    const int64_t columns = cols.end - cols.first;
    const int64_t runs = contiguous ? 1 : columns, run = contiguous ? columns * c : c;
    for (int64_t kh = rows.first; kh < rows.end; ++kh) {
      const float* w = filter + (kh * g.filter_w + cols.first) * c * kWidth;
      for (int64_t kw = cols.first; kw < cols.first + runs; ++kw) {
        const int64_t offset = kh * kh_step + kw * kw_step;
        for (int64_t ci = 0; ci < run; ++ci, w += kWidth) {
          add_tap(acc, w, [&](int p) { return at(p, offset) + ci; });
        }
      }
    }
    if (stages) finish(*stages, acc);
    store(acc, out, width);
  }

  // The tile of kPixels pixels anywhere in the image: a pointer to each one's tap (0, 0, 0),
  // and to its output.
  template <int kPixels>
  static void pixels_tile(const ConvGeom& g, const float* const* x, int64_t row, Range rows,
                          Range cols, const float* filter, const OutputStages::BiasRelu* stages,
                          float* const* out, int64_t width) {
    tile<kPixels>(
        g, [x](int p, int64_t offset) { return x[p] + offset; }, row, rows, cols, filter,
        stages, [out](int p) { return out[p]; }, width);
  }

  // The tile of kMaxPixels pixels of one output row, kStep values apart in the padded rows
  // (stride_w * in_c, known to the compiler): every broadcast reads one pointer at a fixed
  // offset. The same sums in the same order as pixels_tile's.
  template <int64_t kStep>
  static void row_tile(const ConvGeom& g, const float* x0, int64_t row, Range rows,
                       const float* filter, const OutputStages::BiasRelu* stages, float* out,
                       int64_t width) {
    const int64_t out_c = g.out_c;
    tile<kMaxPixels>(
        g, [x0](int p, int64_t offset) { return x0 + offset + p * kStep; }, row, rows,
        Range{0, g.filter_w}, filter, stages, [out, out_c](int p) { return out + p * out_c; },
        width);
  }

  // Calls row_tile for a step it is compiled for; false for other steps. Only the tiles of
  // many pixels have them: their pointers a pixel outnumber the general registers, and the
  // spills and reloads took a tenth of the 14 x 2 AVX-512 tile's time (the 5x5x64->32 input
  // gradient: 0.88-0.93x the time with row tiles, Ice Lake); 9 pointers or fewer fit.
  template <typename... Args>
  static bool row_tile_for_step(int64_t step, const Args&... args) {
    if constexpr (kMaxPixels > 9) {
      return with_step<16, 32, 64, 128, 256>(step, [&](auto k) { row_tile<k.value>(args...); });
    }
    return false;
  }

  // A first layer's tile (patch_path): the values of each tap for the tile's pixels lie
  // next to each other in `patch` (kPatchRow apart from tap to tap), so that every broadcast
  // reads one pointer at a fixed offset. The taps and their sums go in DirectTile::tile's
  // order, so the sums are the same bit for bit.
  template <int kPixels>
  static void patch_tile(const float* patch, int64_t taps, const float* filter,
                         const OutputStages::BiasRelu* stages, V (&acc)[kPixels][kVecs]) {
    zero(acc);
    for (int64_t t = 0; t < taps; ++t, patch += kPatchRow, filter += kWidth) {
      add_tap(acc, filter, [patch](int p) { return patch + p; });
    }
    if (stages) finish(*stages, acc);
  }

  template <int kPixels>
  static void zero(V (&acc)[kPixels][kVecs]) {
#pragma GCC unroll 16
    for (int p = 0; p < kPixels; ++p) {
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) acc[p][v] = Vec::zero();
    }
  }

  // acc[p] += *value(p) times the tap's filter values w (a block's), for every pixel p.
  template <int kPixels, typename Value>
  __attribute__((always_inline)) static void add_tap(V (&acc)[kPixels][kVecs], const float* w,
                                                     const Value& value) {
    V wv[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) wv[v] = Vec::load(w + v * Vec::kLanes);
#pragma GCC unroll 16
    for (int p = 0; p < kPixels; ++p) {
      const V a = Vec::broadcast(value(p));
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) acc[p][v] = Vec::fma(a, wv[v], acc[p][v]);
    }
  }

  // acc = relu(acc + bias), either step as `stages` says: a block's bias, a whole tile wide
  // (stages_of_block).
  template <int kPixels>
  static void finish(const OutputStages::BiasRelu& stages, V (&acc)[kPixels][kVecs]) {
    if (stages.bias) {
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) {
        const V b = Vec::load(stages.bias + v * Vec::kLanes);
#pragma GCC unroll 16
        for (int p = 0; p < kPixels; ++p) acc[p][v] = Vec::add(acc[p][v], b);
      }
    }
    if (stages.relu) {
#pragma GCC unroll 16
      for (int p = 0; p < kPixels; ++p) {
#pragma GCC unroll 4
        for (int v = 0; v < kVecs; ++v) acc[p][v] = Vec::max(Vec::zero(), acc[p][v]);
      }
    }
  }

  // out (rows `stride` apart, `width` values of each) = the tile's sums; the last block of
  // channels, narrower than the tile, through a buffer.
  template <int kPixels>
  static void store(const V (&acc)[kPixels][kVecs], float* out, int64_t width, int64_t stride) {
    store(acc, [out, stride](int p) { return out + p * stride; }, width);
  }
  // The same, pixel p's values at out(p).
  template <int kPixels, typename Out>
  static void store(const V (&acc)[kPixels][kVecs], const Out& out, int64_t width) {
    if (width == kWidth) {
#pragma GCC unroll 16
      for (int p = 0; p < kPixels; ++p) {
#pragma GCC unroll 4
        for (int v = 0; v < kVecs; ++v) Vec::store(out(p) + v * Vec::kLanes, acc[p][v]);
      }
      return;
    }
    // NOTE: unrolled as every loop over the sums, or GCC keeps them in memory, not registers.
    alignas(64) float values[kPixels][kWidth];
#pragma GCC unroll 16
    for (int p = 0; p < kPixels; ++p) {
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) Vec::store(values[p] + v * Vec::kLanes, acc[p][v]);
    }
    for (int p = 0; p < kPixels; ++p) {
      std::memcpy(out(p), values[p], static_cast<size_t>(width) * sizeof(float));
    }
  }

  // The tile's pixels lie in an odd row of the convolution, the row above them in `above`
  // (`stride` apart, as store left them, readable a whole tile wide): out (`stride` apart) =
  // the maxima of each 2x2 window (pixels 2q and 2q + 1 of both rows), found in max_pool's
  // order, so that they are its bits.
  template <int kPixels>
  static void store_pooled(const V (&acc)[kPixels][kVecs], const float* above, float* out,
                           int64_t width, int64_t stride) {
    if constexpr (kPixels % 2 == 0) {
      const float lowest = std::numeric_limits<float>::lowest();
      V pooled[kPixels / 2][kVecs];
#pragma GCC unroll 8
      for (int q = 0; q < kPixels / 2; ++q) {
#pragma GCC unroll 4
        for (int v = 0; v < kVecs; ++v) {
          const float* x = above + 2 * q * stride + v * Vec::kLanes;
          V m = Vec::max(Vec::load(x), Vec::broadcast(&lowest));
          m = Vec::max(Vec::load(x + stride), m);
          m = Vec::max(acc[2 * q][v], m);
          pooled[q][v] = Vec::max(acc[2 * q + 1][v], m);
        }
      }
      store(pooled, out, width, stride);
    }
  }

  // Output rows [oh0, oh1) of image n, every block of channels, `stages` (if any) applied to
  // the sums as they are stored. Tiles of many pixels take them row after row, across the
  // rows' ends, so that most lie inside one row (row_tile). Tiles of few (a pointer a pixel)
  // take first the columns whose filter reaches past the input's left edge, column after
  // column, then those inside, row after row, then those past its right edge (Axis::edges):
  // nearly every tile at an edge then lies in one or two of its columns and skips the filter
  // columns that fall on the padding for all its pixels. (5x5x32->64 over 14x14 pixels padded
  // by 2: 0.95x the time of row after row over all the columns, on one and two threads, Zen
  // 4; the edges' columns row after row 0.97x.)
  static void run(const ConvGeom& g, const DirectConvFilter& f, const PaddedRows& padded,
                  int64_t n, int64_t oh0, int64_t oh1, const OutputStages::BiasRelu* stages,
                  float* output) {
    if (patch_path(g)) return run_patches(g, f, padded, n, oh0, oh1, stages, output);
    const int64_t row = padded.width * padded.channels;
    const Axis rows_of = rows_axis(g), cols_of = cols_axis(g);
    constexpr bool kRowTiles = kMaxPixels > 9;
    const std::array<Range, 3> groups =
        kRowTiles ? std::array<Range, 3>{Range{0, g.out_w}, Range{}, Range{}}
                  : cols_of.edges(g.out_w);
    const int64_t pixels_in_all = (oh1 - oh0) * g.out_w;
    for (int64_t b = 0; b < f.blocks; ++b) {
      const float* filter = f.data.data() + b * f.taps * kWidth;
      const int64_t width = std::min<int64_t>(kWidth, g.out_c - b * kWidth);
      alignas(64) float bias[kWidth];
      const OutputStages::BiasRelu block_stages = stages_of_block(g, stages, b, bias);
      const OutputStages::BiasRelu* tile_stages = stages ? &block_stages : nullptr;
      float* const image_out = output + n * g.out_h * g.out_w * g.out_c + b * kWidth;
      // The next pixel (oh, ow), of columns groups[group]: the middle group's row after row,
      // the edges' column after column.
      size_t group = 0;
      while (group + 1 < groups.size() && groups[group].first == groups[group].end) ++group;
      int64_t oh = oh0, ow = groups[group].first;
      auto advance = [&] {
        if (group == 1 || kRowTiles) {
          if (++ow < groups[group].end) return;
          ow = groups[group].first;
          if (++oh < oh1) return;
        } else {
          if (++oh < oh1) return;
          oh = oh0;
          if (++ow < groups[group].end) return;
        }
        oh = oh0;
        do ++group; while (group < groups.size() && groups[group].first == groups[group].end);
        if (group < groups.size()) ow = groups[group].first;
      };
      for (int64_t p0 = 0; p0 < pixels_in_all; p0 += kMaxPixels) {
        const int64_t pixels = std::min<int64_t>(kMaxPixels, pixels_in_all - p0);
        const float* x[kMaxPixels] = {padded.at(oh * g.stride_h, ow * g.stride_w)};
        float* out[kMaxPixels] = {image_out + (oh * g.out_w + ow) * g.out_c};
        if (kRowTiles && pixels == kMaxPixels && ow + pixels <= g.out_w &&
            row_tile_for_step(g.stride_w * g.in_c, g, x[0], row, rows_of.taps_inside(oh, oh),
                              filter, tile_stages, out[0], width)) {
          for (int64_t p = 0; p < pixels; ++p) advance();
          continue;
        }
        // The tile's lowest and highest output row and column.
        int64_t oh_min = oh, oh_max = oh, ow_min = ow, ow_max = ow;
        for (int64_t p = 0; p < pixels; ++p) {
          x[p] = padded.at(oh * g.stride_h, ow * g.stride_w);
          out[p] = image_out + (oh * g.out_w + ow) * g.out_c;
          oh_min = std::min(oh_min, oh), oh_max = std::max(oh_max, oh);
          ow_min = std::min(ow_min, ow), ow_max = std::max(ow_max, ow);
          advance();
        }
        with_count<kMaxPixels>(pixels, [&](auto count) {
          pixels_tile<count.value>(g, x, row, rows_of.taps_inside(oh_min, oh_max),
                                   cols_of.taps_inside(ow_min, ow_max), filter, tile_stages,
                                   out, width);
        });
      }
    }
  }

  // The part of `stages` for block b of channels, its bias copied into `bias` (zeros past
  // the last channel): a tile reads it whole. (A copy of the block's part inside the tile was
  // a call of memcpy, around which the sums went to memory and back: 7% of a first layer's
  // time on Ice Lake.)
  static OutputStages::BiasRelu stages_of_block(const ConvGeom& g,
                                                const OutputStages::BiasRelu* stages, int64_t b,
                                                float* bias) {
    OutputStages::BiasRelu block;
    if (stages) {
      block = *stages;
      if (block.bias) {
        const int64_t width = std::min<int64_t>(kWidth, g.out_c - b * kWidth);
        std::fill(std::copy(stages->bias + b * kWidth, stages->bias + b * kWidth + width, bias),
                  bias + kWidth, 0.0f);
        block.bias = bias;
      }
    }
    return block;
  }

  // run for a first layer (patch_path): see patch_row.
  static void run_patches(const ConvGeom& g, const DirectConvFilter& f, const PaddedRows& padded,
                          int64_t n, int64_t oh0, int64_t oh1,
                          const OutputStages::BiasRelu* stages, float* output) {
    const OutputStages::BiasRelu* block_stages = stages_of_blocks(g, f, stages);
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      float* row = output + (n * g.out_h + oh) * g.out_w * g.out_c;
      patch_row(g, f, padded, oh, 1, block_stages,
                [&](const auto& acc, int64_t ow0, int64_t b, int64_t width) {
                  store(acc, row + ow0 * g.out_c + b * kWidth, width, g.out_c);
                });
    }
  }

  // A first layer's rows 2 ph and 2 ph + 1 and the 2x2 max-pool of stride 2 that follows
  // them (pools_pairs): the even row's tiles are stored into out.above, the odd row's pooled
  // with them in registers into out.pooled. (Pooled apart, a row at a time from a buffer in
  // L1, the pooling took a fifth of LeNet's first layer's time on Ice Lake.)
  static void run(const ConvGeom& g, const DirectConvFilter& f, const PaddedRows& padded,
                  int64_t ph, const OutputStages::BiasRelu* stages, const PooledRow& out) {
    const OutputStages::BiasRelu* block_stages = stages_of_blocks(g, f, stages);
    patch_row(g, f, padded, 2 * ph, 2, block_stages,
              [&](const auto& acc, int64_t ow0, int64_t b, int64_t width) {
                store(acc, out.above + ow0 * g.out_c + b * kWidth, width, g.out_c);
              });
    patch_row(g, f, padded, 2 * ph + 1, 2, block_stages,
              [&](const auto& acc, int64_t ow0, int64_t b, int64_t width) {
                store_pooled(acc, out.above + ow0 * g.out_c + b * kWidth,
                             out.pooled + ow0 / 2 * g.out_c + b * kWidth, width, g.out_c);
              });
  }

  // Every block's part of `stages` (stages_of_block), once for all the tiles of a call; null
  // without stages.
  static const OutputStages::BiasRelu* stages_of_blocks(const ConvGeom& g,
                                                        const DirectConvFilter& f,
                                                        const OutputStages::BiasRelu* stages) {
    if (!stages) return nullptr;
    thread_local std::vector<float> biases;
    thread_local std::vector<OutputStages::BiasRelu> block_stages;
    biases.resize(static_cast<size_t>(f.blocks * kWidth));
    block_stages.resize(static_cast<size_t>(f.blocks));
    for (int64_t b = 0; b < f.blocks; ++b) {
      block_stages[b] = stages_of_block(g, stages, b, biases.data() + b * kWidth);
    }
    return block_stages.data();
  }

  // Output row oh of a first layer (patch_path): the tiles are runs of pixels as even as the
  // row's width allows, each of a multiple of `unit` pixels (the row's width is one too), and
  // each tile's taps are copied into a patch once for every block of channels; then
  // put(sums, ow0, block, width) stores a tile's sums (the block's `width` channels of pixels
  // ow0...). (DirectTile::tile keeps a pointer a pixel: with taps as few as a 5x5 grayscale
  // filter's, their spills and the setup of the pointers took a third of its time on Ice
  // Lake.)
  template <typename Put>
  static void patch_row(const ConvGeom& g, const DirectConvFilter& f, const PaddedRows& padded,
                        int64_t oh, int64_t unit, const OutputStages::BiasRelu* block_stages,
                        const Put& put) {
    const int64_t units = g.out_w / unit, most = kMaxPixels / unit;
    const int64_t tiles = (units + most - 1) / most;
    alignas(64) float patch[kPatchTaps * kPatchRow];
    for (int64_t k = 0; k < tiles; ++k) {
      const int64_t ow0 = k * units / tiles * unit;
      const int64_t pixels = (k + 1) * units / tiles * unit - ow0;
      float* dst = patch;
      for (int64_t kh = 0; kh < g.filter_h; ++kh) {
        const float* src = padded.at(oh * g.stride_h + kh * g.dilation_h, ow0);
        for (int64_t kw = 0; kw < g.filter_w; ++kw, dst += kPatchRow) {
#pragma GCC unroll 4
          for (int i = 0; i < kPatchRow; i += Vec::kLanes) {
            Vec::store(dst + i, Vec::load(src + kw + i));
          }
        }
      }
      for (int64_t b = 0; b < f.blocks; ++b) {
        with_count<kMaxPixels>(pixels, [&](auto count) {
          V acc[count.value][kVecs];
          patch_tile<count.value>(patch, f.taps, f.data.data() + b * f.taps * kWidth,
                                  block_stages ? &block_stages[b] : nullptr, acc);
          put(acc, ow0, b, std::min<int64_t>(kWidth, g.out_c - b * kWidth));
        });
      }
    }
  }
};

// What the filter gradient's tiles read of one chunk of output rows of one image: the padded
// input rows, with the offset in them of each pixel's tap (0, 0, 0) and the offset of every
// tap (kh, kw, ci) from it, and out_backprop's values for one block of channels (the chunk's
// pixels one after another, the tile's width apart, on whole cache lines: loads that straddle
// two lines cost the AVX-512 tile a tenth of its speed; out_backprop itself when it is one
// block so aligned, a copy otherwise). The chunk is the output rows [oh0, oh0 + pixels /
// out_w) of convolution g.
struct GradChunk {
  const float* x;
  const int64_t* pixel_offsets;
  int64_t pixels;
  const float* dy;
  const int64_t* tap_offsets;
  const int32_t *tap_rows, *tap_cols;  // each tap's filter row and column
  int64_t taps, out_c;
  const ConvGeom* g;
  int64_t oh0;

  // The output rows and columns of the chunk for which some of the taps [t0, t1) may land
  // inside the input: at the others they read only the padding's zeros, and a tile skips them
  // (Axis). Called once a tile (at most 12 taps), so it divides only by a step other than 1:
  // without its five divisions a call, the AVX2 tiles' filter gradient 5x5x32->64 took 0.955x
  // the time on one thread and 0.97x on two, the AVX-512 tiles' (four times the channels a
  // tile) 0.99x (Zen 4).
  std::array<Range, 2> inside(int64_t t0, int64_t t1) const {
    const Range rows{tap_rows[t0], tap_rows[t1 - 1] + 1};
    // The taps' filter columns (all of them when the taps span filter rows).
    const Range cols = rows.end - rows.first > 1 ? Range{0, g->filter_w}
                                                 : Range{tap_cols[t0], tap_cols[t1 - 1] + 1};
    return {rows_axis(*g).outputs_inside(rows, oh0, oh0 + pixels / g->out_w),
            cols_axis(*g).outputs_inside(cols, 0, g->out_w)};
  }
};

// The filter gradient's tiles: kTaps taps by kVecs vectors of output channels, the sums in
// the ISA's kRegisters vector registers as DirectTile's (at most 12 taps: a pointer each),
// summed over a chunk's pixels in order (each sum one chain of FMAs over the pixels, whatever
// the ISA), then added to the gradient.
template <typename Vec, int kVecs, int kRegisters>
struct FilterGradTile {
  using V = typename Vec::V;
  static constexpr int kWidth = kVecs * Vec::kLanes;
  static constexpr int kMaxTaps = std::min(12, (kRegisters - kVecs - 1) / kVecs);

  // dst[t * out_c + j] += the sum over the chunk's pixels of the pixel's input value for tap
  // t (offsets[t] from its tap (0, 0, 0)) times its out_backprop value j, for t < kTaps and
  // j < width.
  template <int kTaps>
  static void tile(const GradChunk& c, std::array<Range, 2> inside, const int64_t* offsets,
                   float* dst, int64_t width) {
    V acc[kTaps][kVecs];
#pragma GCC unroll 16
    for (int t = 0; t < kTaps; ++t) {
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) acc[t][v] = Vec::zero();
    }
    // Each tap's values, at the pixel offsets: one register each, so that a broadcast is one
    // load from it (NOTE: the empty asm keeps GCC from folding the taps' offsets into every
    // address instead, an add per tap and pixel that left the AVX2 tile 20% short).
    const float* xt[kTaps];
#pragma GCC unroll 16
    for (int t = 0; t < kTaps; ++t) {
      xt[t] = c.x + offsets[t];
      asm("" : "+r"(xt[t]));
    }
    const auto [rows, cols] = inside;
    for (int64_t r = rows.first; r < rows.end; ++r) {
      const int64_t row_start = (r - c.oh0) * c.g->out_w;
      const float* dy = c.dy + (row_start + cols.first) * kWidth;
      const int64_t* pixel_offsets = c.pixel_offsets;
      for (int64_t i = row_start + cols.first, end = row_start + cols.end; i < end;
           ++i, dy += kWidth) {
        const int64_t at = pixel_offsets[i];
        V d[kVecs];
#pragma GCC unroll 4
        for (int v = 0; v < kVecs; ++v) d[v] = Vec::load(dy + v * Vec::kLanes);
#pragma GCC unroll 16
        for (int t = 0; t < kTaps; ++t) {
          const V a = Vec::broadcast(xt[t] + at);
#pragma GCC unroll 4
          for (int v = 0; v < kVecs; ++v) acc[t][v] = Vec::fma(a, d[v], acc[t][v]);
        }
      }
    }
    // NOTE: every loop over the sums is unrolled, as in DirectTile::store.
    if (width == kWidth) {
#pragma GCC unroll 16
      for (int t = 0; t < kTaps; ++t) {
#pragma GCC unroll 4
        for (int v = 0; v < kVecs; ++v) {
          float* p = dst + t * c.out_c + v * Vec::kLanes;
          Vec::store(p, Vec::add(Vec::load(p), acc[t][v]));
        }
      }
      return;
    }
    alignas(64) float values[kTaps][kWidth];
#pragma GCC unroll 16
    for (int t = 0; t < kTaps; ++t) {
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) Vec::store(values[t] + v * Vec::kLanes, acc[t][v]);
    }
    for (int t = 0; t < kTaps; ++t) {
      for (int64_t j = 0; j < width; ++j) dst[t * c.out_c + j] += values[t][j];
    }
  }

  // dst (the gradient's columns of one block of `width` channels) += the chunk's part, every
  // tap.
  static void run(const GradChunk& c, float* dst, int64_t width) {
    for (int64_t t0 = 0; t0 < c.taps; t0 += kMaxTaps) {
      const int64_t t1 = std::min<int64_t>(t0 + kMaxTaps, c.taps);
      with_count<kMaxTaps>(t1 - t0, [&](auto count) {
        tile<count.value>(c, c.inside(t0, t1), c.tap_offsets + t0, dst + t0 * c.out_c,
                          width);
      });
    }
  }
};

// Blocks of up to 4 AVX-512 vectors (64 channels) in 32 registers; 2 AVX2 vectors in 16.
constexpr int kAvx512Vecs = 4, kAvx2Vecs = 2;

// Tile::run(args...) with blocks of `vecs` vectors of the ISA the filter is packed for
// (`flatten` compiles the tiles for it).
template <template <typename, int, int> class Tile, typename... Args>
TL_TARGET_AVX512 __attribute__((flatten)) void tiles_avx512(int64_t vecs, const Args&... args) {
  with_count<kAvx512Vecs>(vecs, [&](auto v) { Tile<Avx512Vec<float>, v.value, 32>::run(args...); });
}
template <template <typename, int, int> class Tile, typename... Args>
TL_TARGET_AVX2 __attribute__((flatten)) void tiles_avx2(int64_t vecs, const Args&... args) {
  with_count<kAvx2Vecs>(vecs, [&](auto v) { Tile<Avx2Vec<float>, v.value, 16>::run(args...); });
}
template <template <typename, int, int> class Tile, typename... Args>
void run_tiles(GemmKernel kernel, int64_t vecs, const Args&... args) {
  if (kernel == GemmKernel::kAvx512) {
    tiles_avx512<Tile>(vecs, args...);
  } else {
    tiles_avx2<Tile>(vecs, args...);
  }
}
#pragma GCC diagnostic pop
#endif

// The most vectors per block of channels: AVX-512 tiles hold 4, AVX2 tiles 2.
int max_vecs(int lanes) { return lanes == 16 ? 4 : 2; }

// Blocks of output channels for the ISA in use now (`lanes` floats a vector): as few as can
// be, of even widths, at most max_vecs(lanes) vectors each.
struct ChannelBlocks {
  int64_t vecs, width, count;
};
ChannelBlocks channel_blocks(int64_t channels, int lanes) {
  const int64_t vecs_needed = (channels + lanes - 1) / lanes;
  const int64_t count = (vecs_needed + max_vecs(lanes) - 1) / max_vecs(lanes);
  const int64_t vecs = (vecs_needed + count - 1) / count;
  return ChannelBlocks{vecs, vecs * lanes, count};
}

}  // namespace

bool use_direct_conv(const ConvGeom& g) {
  const int lanes = float_lanes_in_use();
  if (lanes == 0 || g.pointwise() || g.out_c == 0 || g.patch() == 0) return false;
  const int64_t block_bytes = g.patch() * max_vecs(lanes) * lanes * int64_t{sizeof(float)};
  return block_bytes <= kFilterBlockBytes;
}

void pack_direct_filter(const ConvGeom& g, const float* filter, bool flipped,
                        DirectConvFilter* out) {
  const ChannelBlocks blocks = channel_blocks(g.out_c, float_lanes_in_use());
  out->kernel = gemm_kernel();
  out->blocks = blocks.count;
  out->vecs = blocks.vecs;
  out->width = blocks.width;
  out->taps = g.patch();
  out->data.assign(static_cast<size_t>(out->blocks * out->taps * out->width), 0.0f);
  const int64_t kh_n = g.filter_h, kw_n = g.filter_w, c = g.in_c, width = out->width;
  for (int64_t kh = 0; kh < kh_n; ++kh) {
    for (int64_t kw = 0; kw < kw_n; ++kw) {
      for (int64_t ci = 0; ci < c; ++ci) {
        const int64_t tap = (kh * kw_n + kw) * c + ci;
        float* dst = out->data.data() + tap * width;
        if (!flipped) {  // a row of out_c values, a block's width at a time
          const float* src = filter + tap * g.out_c;
          for (int64_t co = 0; co < g.out_c; co += width, dst += out->taps * width) {
            std::copy(src + co, src + std::min(g.out_c, co + width), dst);
          }
          continue;
        }
        // Output channel co of tap (kh, kw, ci) is input channel ci of the flipped tap's
        // channel co: out_c values `c` apart.
        const float* src = filter + ((kh_n - 1 - kh) * kw_n + (kw_n - 1 - kw)) * g.out_c * c + ci;
        for (int64_t co = 0; co < g.out_c; co += width, dst += out->taps * width) {
          const int64_t n = std::min(width, g.out_c - co);
          for (int64_t j = 0; j < n; ++j) dst[j] = src[(co + j) * c];
        }
      }
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
namespace {

// The input rows under output rows [oh0, oh1) of image n, zero-padded into `buffer` (room for
// them and kPaddedSlack).
PaddedRows pad_rows_under(const ConvGeom& g, const float* input, int64_t n, int64_t oh0,
                          int64_t oh1, float* buffer) {
  const int64_t rows_in = (g.filter_h - 1) * g.dilation_h + 1;  // input rows of one output row
  const int64_t r0 = oh0 * g.stride_h, r1 = (oh1 - 1) * g.stride_h + rows_in;
  pad_rows(g, input + n * g.in_h * g.in_w * g.in_c, r0, r1, buffer);
  return PaddedRows{buffer, r0, padded_width(g), g.in_c};
}

// Output rows [oh0, oh1) of image n into `output` (at their place among the images'), from the
// input rows they need, zero-padded into `buffer` (room for those rows).
void convolve_rows(const ConvGeom& g, const float* input, const DirectConvFilter& filter,
                   int64_t n, int64_t oh0, int64_t oh1, const OutputStages::BiasRelu* stages,
                   float* buffer, float* output) {
  const PaddedRows padded = pad_rows_under(g, input, n, oh0, oh1, buffer);
  run_tiles<DirectTile>(filter.kernel, filter.vecs, g, filter, padded, n, oh0, oh1, stages,
                        output);
}

}  // namespace
#endif

void direct_conv(KernelContext& ctx, const ConvGeom& g, const float* input,
                 const DirectConvFilter& filter, float* output) {
#if defined(__x86_64__) || defined(__i386__)
  if (g.rows() == 0) return;
  const int64_t width = padded_width(g);
  const int64_t row_bytes = width * g.in_c * int64_t{sizeof(float)};
  // Output rows of one task: an image's, cut so that a task's padded rows stay small and the
  // tasks are enough to keep every thread busy.
  const int64_t threads = std::max(ctx.max_threads(), 1);
  const int64_t rows_in = (g.filter_h - 1) * g.dilation_h + 1;  // input rows of one output row
  int64_t chunks = std::max<int64_t>(1, (kTasksPerThread * threads + g.batch - 1) / g.batch);
  chunks = std::max(chunks, g.out_h * g.stride_h * row_bytes / kPaddedRowsBytes);
  chunks = std::min(chunks, g.out_h);
  const int64_t chunk_rows = (g.out_h + chunks - 1) / chunks;
  chunks = (g.out_h + chunk_rows - 1) / chunk_rows;
  const int64_t most_rows = (chunk_rows - 1) * g.stride_h + rows_in;
  // A bias and ReLU fused onto the output are applied in the tiles' registers.
  OutputStages::BiasRelu in_registers;
  const bool fused = ctx.output_stages() && ctx.output_stages()->bias_relu(&in_registers);
  const OutputStages::BiasRelu* stages = fused ? &in_registers : nullptr;
  ctx.parallel_for(g.batch * chunks, 1, [&](int64_t t0, int64_t t1) {
    thread_local std::vector<float> buffer;
    buffer.resize(static_cast<size_t>(most_rows * width * g.in_c + kPaddedSlack));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n = t / chunks, oh0 = t % chunks * chunk_rows;
      const int64_t oh1 = std::min(g.out_h, oh0 + chunk_rows);
      convolve_rows(g, input, filter, n, oh0, oh1, stages, buffer.data(), output);
      if (fused) continue;
      const int64_t row = g.out_w * g.out_c;  // values of one output row
      ctx.finish_output((n * g.out_h + oh0) * row, (n * g.out_h + oh1) * row);
    }
  });
#else
  (void)ctx, (void)g, (void)input, (void)filter, (void)output;
#endif
}

void direct_conv_max_pool(KernelContext& ctx, const ConvGeom& g, const float* input,
                          const DirectConvFilter& filter, const OutputStages::BiasRelu* stages,
                          const PoolGeom& pool, float* output) {
#if defined(__x86_64__) || defined(__i386__)
  if (pool.batch * pool.out_h * pool.out_w * pool.channels == 0) return;
  const int64_t width = padded_width(g);
  const int64_t row_bytes = width * g.in_c * int64_t{sizeof(float)};
  const int64_t rows_in = (g.filter_h - 1) * g.dilation_h + 1;  // input rows of one output row
  // Pooled rows of one task: an image's, cut so that the tasks keep every thread busy; the
  // convolution's rows a task needs are computed in parts of at most kPaddedRowsBytes of
  // padded input.
  const int64_t threads = std::max(ctx.max_threads(), 1);
  int64_t chunks = std::max<int64_t>(1, (kTasksPerThread * threads + g.batch - 1) / g.batch);
  chunks = std::min(chunks, pool.out_h);
  const int64_t chunk_rows = (pool.out_h + chunks - 1) / chunks;
  chunks = (pool.out_h + chunk_rows - 1) / chunk_rows;
  const bool pairs = pools_pairs(g, pool);  // pooled in the tiles' registers
  int64_t part_rows = std::max<int64_t>(1, kPaddedRowsBytes / (g.stride_h * row_bytes));
  if (pairs) part_rows = std::max<int64_t>(2, part_rows / 2 * 2);  // whole pairs
  PoolGeom image_pool = pool;  // one image of the convolution's output, in a task's buffer
  image_pool.batch = 1;
  const int64_t image_out = g.out_h * g.out_w * g.out_c;
  const int64_t pooled_image = pool.out_h * pool.out_w * pool.channels;
  // The convolution's rows that pooled rows [0, ph) read: [.., rows_under(ph)).
  auto rows_under = [&](int64_t ph) {
    return std::clamp<int64_t>((ph - 1) * pool.stride_h - pool.pad_top + pool.window_h, 0,
                               g.out_h);
  };
  const bool row_by_row = patch_path(g);
  ctx.parallel_for(g.batch * chunks, 1, [&](int64_t t0, int64_t t1) {
    thread_local std::vector<float> padded_rows, convolved;
    // (Pooled in registers, only the even row of each pair is kept, and read a block wide.)
    convolved.resize(static_cast<size_t>(pairs ? g.out_w * g.out_c + filter.width : image_out));
    padded_rows.resize(static_cast<size_t>(
        ((part_rows - 1) * g.stride_h + rows_in) * width * g.in_c + kPaddedSlack));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n = t / chunks, ph0 = t % chunks * chunk_rows;
      const int64_t ph1 = std::min(pool.out_h, ph0 + chunk_rows);
      // The convolution's rows into the buffer (as image 0), the input rows padded a part at
      // a time; where the tiles are runs of one row (patch_path), each pooled row right after
      // the rows it reads, so that it reads them from L1 (0.96x the time of LeNet's first
      // layer on Ice Lake), or, for 2x2 windows of stride 2 (pairs), in the tiles' registers
      // as they are stored (0.81x again). Other tiles run across the ends of rows, and the
      // last of each call is short: their rows are computed before any is pooled (row by row,
      // 1.02x the time of LeNet's second layer).
      int64_t done = std::max<int64_t>(0, ph0 * pool.stride_h - pool.pad_top);
      PaddedRows padded{nullptr, 0, 0, 0};
      int64_t padded_end = done;  // the part's end: rows [.., padded_end) can be computed
      if (pairs) {
        for (int64_t ph = ph0; ph < ph1; ++ph, done += 2) {
          if (done == padded_end) {
            padded_end = std::min(2 * ph1, done + part_rows);
            padded = pad_rows_under(g, input, n, done, padded_end, padded_rows.data());
          }
          const PooledRow out{convolved.data(),
                              output + n * pooled_image + ph * pool.out_w * pool.channels};
          run_tiles<DirectTile>(filter.kernel, filter.vecs, g, filter, padded, ph, stages, out);
        }
        continue;
      }
      for (int64_t ph = ph0; ph < ph1; ++ph) {
        for (const int64_t need = rows_under(row_by_row ? ph + 1 : ph1); done < need;) {
          if (done == padded_end) {
            padded_end = std::min(rows_under(ph1), done + part_rows);
            padded = pad_rows_under(g, input, n, done, padded_end, padded_rows.data());
          }
          const int64_t end = std::min(need, padded_end);
          run_tiles<DirectTile>(filter.kernel, filter.vecs, g, filter, padded, int64_t{0}, done,
                                end, stages, convolved.data());
          done = end;
        }
        max_pool_rows(image_pool, convolved.data(), output + n * pooled_image, ph, ph + 1);
      }
    }
  });
#else
  (void)ctx, (void)g, (void)input, (void)filter, (void)stages, (void)pool, (void)output;
#endif
}

bool use_direct_filter_grad(const ConvGeom& g) {
  return float_lanes_in_use() != 0 && !g.pointwise() && g.out_c > 0 && g.patch() > 0;
}

void direct_conv_filter_grad(KernelContext& ctx, const ConvGeom& g, const float* input,
                             const float* d_out, float* d_filter) {
  const int64_t taps = g.patch(), size = taps * g.out_c;
  std::fill(d_filter, d_filter + size, 0.0f);
#if defined(__x86_64__) || defined(__i386__)
  if (g.rows() == 0) return;
  const GemmKernel kernel = gemm_kernel();
  const ChannelBlocks blocks = channel_blocks(g.out_c, float_lanes_in_use());
  const int64_t width = padded_width(g), row = width * g.in_c;
  std::vector<int64_t> tap_offsets(static_cast<size_t>(taps));
  std::vector<int32_t> tap_rows(tap_offsets.size()), tap_cols(tap_offsets.size());
  for (int64_t kh = 0; kh < g.filter_h; ++kh) {
    for (int64_t kw = 0; kw < g.filter_w; ++kw) {
      for (int64_t ci = 0; ci < g.in_c; ++ci) {
        const size_t t = static_cast<size_t>((kh * g.filter_w + kw) * g.in_c + ci);
        tap_offsets[t] = kh * g.dilation_h * row + kw * g.dilation_w * g.in_c + ci;
        tap_rows[t] = static_cast<int32_t>(kh);
        tap_cols[t] = static_cast<int32_t>(kw);
      }
    }
  }
  // Chunks of output rows of one image whose out_backprop and padded input rows fit
  // kGradChunkBytes (the same whatever the ISA, so that the sums are too); the chunks split
  // into one part per thread, each part summed into its own buffer and the parts added in
  // order at the end.
  const int64_t rows_in = (g.filter_h - 1) * g.dilation_h + 1;
  const int64_t row_bytes = (g.out_w * g.out_c + g.stride_h * row) * int64_t{sizeof(float)};
  const int64_t fixed_bytes = (rows_in - g.stride_h) * row * int64_t{sizeof(float)};
  const int64_t most_rows =
      std::clamp<int64_t>((kGradChunkBytes - fixed_bytes) / row_bytes, 1, g.out_h);
  const int64_t chunks = (g.out_h + most_rows - 1) / most_rows;
  const int64_t chunk_rows = (g.out_h + chunks - 1) / chunks;  // as even as can be
  const int64_t tasks = g.batch * chunks;
  // Where each pixel of a chunk reads its tap (0, 0, 0) in the chunk's padded rows.
  std::vector<int64_t> pixel_offsets(static_cast<size_t>(chunk_rows * g.out_w));
  for (int64_t r = 0; r < chunk_rows; ++r) {
    for (int64_t col = 0; col < g.out_w; ++col) {
      pixel_offsets[static_cast<size_t>(r * g.out_w + col)] =
          r * g.stride_h * row + col * g.stride_w * g.in_c;
    }
  }
  const int64_t parts = std::min<int64_t>(std::max(ctx.max_threads(), 1), tasks);
  // The calling thread's, kept between calls (fresh pages every call would be zeroed by the
  // OS); the tasks, on other threads, reach it through this pointer.
  thread_local std::vector<float, CacheLineAllocator<float>> partial_sums;
  partial_sums.assign(static_cast<size_t>((parts - 1) * size), 0.0f);
  float* const partial = partial_sums.data();
  ctx.parallel_for(parts, 1, [&](int64_t p0, int64_t p1) {
    thread_local std::vector<float, CacheLineAllocator<float>> padded, dy_block;
    padded.resize(static_cast<size_t>(((chunk_rows - 1) * g.stride_h + rows_in) * row));
    dy_block.resize(static_cast<size_t>(chunk_rows * g.out_w * blocks.width));
    for (int64_t p = p0; p < p1; ++p) {
      float* dst = p == 0 ? d_filter : partial + (p - 1) * size;
      for (int64_t t = p * tasks / parts; t < (p + 1) * tasks / parts; ++t) {
        const int64_t n = t / chunks, oh0 = t % chunks * chunk_rows;
        const int64_t oh1 = std::min(g.out_h, oh0 + chunk_rows);
        const int64_t r0 = oh0 * g.stride_h, r1 = (oh1 - 1) * g.stride_h + rows_in;
        pad_rows(g, input + n * g.in_h * g.in_w * g.in_c, r0, r1, padded.data());
        const int64_t pixels = (oh1 - oh0) * g.out_w;
        const float* dy = d_out + (n * g.out_h + oh0) * g.out_w * g.out_c;
        // out_backprop is read in place when it is one whole block on whole cache lines
        // (an executor's buffer), else repacked.
        const bool in_place = g.out_c == blocks.width && g.out_c * sizeof(float) % 64 == 0 &&
                              reinterpret_cast<uintptr_t>(dy) % 64 == 0;
        GradChunk chunk{padded.data(), pixel_offsets.data(), pixels,
                        in_place ? dy : dy_block.data(), tap_offsets.data(), tap_rows.data(),
                        tap_cols.data(), taps, g.out_c, &g, oh0};
        for (int64_t b = 0; b < blocks.count; ++b) {
          const int64_t first = b * blocks.width;
          const int64_t block_width = std::min(blocks.width, g.out_c - first);
          if (in_place) {
            run_tiles<FilterGradTile>(kernel, blocks.vecs, chunk, dst + first, block_width);
            continue;
          }
          // This block's channels of every pixel, blocks.width apart, zeros past out_c.
          float* packed = dy_block.data();
          for (int64_t i = 0; i < pixels; ++i, packed += blocks.width) {
            std::memcpy(packed, dy + i * g.out_c + first,
                        static_cast<size_t>(block_width) * sizeof(float));
            std::fill(packed + block_width, packed + blocks.width, 0.0f);
          }
          run_tiles<FilterGradTile>(kernel, blocks.vecs, chunk, dst + first, block_width);
        }
      }
    }
  });
  for (int64_t p = 1; p < parts; ++p) {
    const float* src = partial + (p - 1) * size;
    for (int64_t i = 0; i < size; ++i) d_filter[i] += src[i];
  }
#else
  (void)ctx, (void)input, (void)d_out;
#endif
}

}  // namespace tl
