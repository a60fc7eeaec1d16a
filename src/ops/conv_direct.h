// Direct 2-D convolution of float32 NHWC images on the CPU: no patch matrix at all.
//
// The output channels are cut into blocks of whole vectors and the filter repacked block by
// block (DirectConvFilter); a register tile of a few output pixels of one row by one block of
// channels sums, tap after tap, a broadcast input value times a vector of the filter. The
// input is read where it lies, through a zero-padded copy of the rows a task needs, so that
// every tap of every pixel is a plain load. Each output value is one chain of FMAs over the
// taps in (kh, kw, ci) order, whatever the ISA (AVX2 or AVX-512) and the number of threads, so
// the results agree bit for bit across both. The input gradient of a stride-1 convolution is
// such a convolution too (ConvGeom::transposed). The filter gradient turns the roles around: a
// tile of a few taps by a block of channels sums, pixel after pixel, a broadcast input value
// times a vector of out_backprop (direct_conv_filter_grad).
//
//   DirectConvFilter packed;
//   if (use_direct_conv(g)) {
//     pack_direct_filter(g, filter, /*flipped=*/false, &packed);
//     direct_conv(ctx, g, input, packed, output);
//   }
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ops/gemm.h"
#include "ops/kernel_util.h"
#include "ops/pooling.h"
#include "tensorlib/kernel.h"

namespace tl {

// Everything a convolution kernel indexes with: input [batch, in_h, in_w, in_c], filter
// [filter_h, filter_w, in_c, out_c], output [batch, out_h, out_w, out_c].
struct ConvGeom {
  int64_t batch, in_h, in_w, in_c;
  int64_t filter_h, filter_w, out_c;
  int64_t out_h, out_w;
  int64_t stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;

  int64_t rows() const { return batch * out_h * out_w; }      // output pixels
  int64_t patch() const { return filter_h * filter_w * in_c; }  // taps of one output value
  // The convolution is a product with the input itself.
  bool pointwise() const {
    return filter_h == 1 && filter_w == 1 && stride_h == 1 && stride_w == 1;
  }
  // The convolution whose output is this one's input gradient, for stride 1: it runs over
  // out_backprop with the filter flipped in space and its channels swapped (see
  // pack_direct_filter's `flipped`).
  ConvGeom transposed() const {
    return ConvGeom{batch, out_h, out_w, out_c, filter_h, filter_w, in_c, in_h, in_w, 1, 1,
                    dilation_h, dilation_w, (filter_h - 1) * dilation_h - pad_top,
                    (filter_w - 1) * dilation_w - pad_left};
  }
};

// A filter repacked for direct_conv: `blocks` blocks of `width` output channels (vecs whole
// vectors of the ISA of `kernel`), each block's taps (kh, kw, ci) one after another, `width`
// values per tap, zero past out_c.
struct DirectConvFilter {
  GemmKernel kernel = GemmKernel::kAuto;  // the GEMM choice whose vectors the layout is for
  int64_t vecs = 0, width = 0, blocks = 0, taps = 0;
  std::vector<float, CacheLineAllocator<float>> data;  // each tap's vectors on whole lines
};

// True when direct_conv runs convolution g with the vector ISA gemm_kernel() picks now: AVX2
// or AVX-512, not pointwise (a plain GEMM), and one block of the packed filter small enough to
// stay in L2 while a task streams it. It reads only the filter's dims and the strides, so a
// prepare step can decide before the input's shape is known.
bool use_direct_conv(const ConvGeom& g);

// Repacks the HWIO `filter` of convolution g for the ISA in use now. `flipped`: g is the
// transposed() geometry of a stride-1 convolution and `filter` that convolution's filter, so
// tap (kh, kw, ci, co) is read from filter[KH-1-kh, KW-1-kw, co, ci].
void pack_direct_filter(const ConvGeom& g, const float* filter, bool flipped,
                        DirectConvFilter* out);

// output = input convolved with the packed filter, by convolution g (use_direct_conv(g) true,
// `filter` packed for g with the ISA in use now). Split over ctx's threads by images and rows;
// each part of the output is finished (KernelContext::finish_output) as soon as it is written.
void direct_conv(KernelContext& ctx, const ConvGeom& g, const float* input,
                 const DirectConvFilter& filter, float* output);

// output = the max-pool `pool` (its input: the convolution's output) of direct_conv's output,
// `stages` (if any) applied before pooling, without the convolution's output ever being
// written: each task convolves the rows one chunk of pooled rows needs into a buffer of its
// own, while they are in cache, and pools them from there. The same bits as direct_conv then
// MaxPool.
void direct_conv_max_pool(KernelContext& ctx, const ConvGeom& g, const float* input,
                          const DirectConvFilter& filter, const OutputStages::BiasRelu* stages,
                          const PoolGeom& pool, float* output);

// True when direct_conv_filter_grad computes the filter gradient of convolution g with the
// vector ISA in use now: AVX2 or AVX-512, not pointwise (a plain GEMM).
bool use_direct_filter_grad(const ConvGeom& g);

// d_filter (HWIO) = the gradient of convolution g's filter given its input and out_backprop
// (use_direct_filter_grad(g) true): register tiles of a few taps by a block of output
// channels, summed over the pixels of chunks of output rows that stay in L1, no patch matrix.
// Split over ctx's threads by chunks, one buffer per thread added in order at the end: the same
// bits whatever the ISA, for a given number of threads.
void direct_conv_filter_grad(KernelContext& ctx, const ConvGeom& g, const float* input,
                             const float* d_out, float* d_filter);

}  // namespace tl
