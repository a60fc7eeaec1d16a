// What other kernels use of 2-D pooling (pooling_ops.cc): its geometry, and max-pooling some
// output rows of one image on the calling thread (a convolution that pools its own output).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "tensorlib/attr.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"

namespace tl {

// A window covers the input pixels [oh * stride - pad_top, + window) x (the same in w),
// clipped to the input.
struct PoolGeom {
  int64_t batch, in_h, in_w, channels;
  int64_t window_h, window_w, stride_h, stride_w;
  int64_t out_h, out_w, pad_top, pad_left;

  // The input rows [*h0, *h1) and columns [*w0, *w1) under output pixel (oh, ow).
  void window(int64_t oh, int64_t ow, int64_t* h0, int64_t* h1, int64_t* w0,
              int64_t* w1) const {
    const int64_t hs = oh * stride_h - pad_top, ws = ow * stride_w - pad_left;
    *h0 = std::max<int64_t>(hs, 0);
    *h1 = std::min(hs + window_h, in_h);
    *w0 = std::max<int64_t>(ws, 0);
    *w1 = std::min(ws + window_w, in_w);
  }
};

// The geometry of pooling op `op` (its ksize, strides, padding, data_format in `attrs`) over
// an NHWC `input` of that shape; InvalidArgument naming what is wrong with the attrs.
Status make_pool_geom(const AttrMap& attrs, const std::string& op, const Shape& input,
                      PoolGeom* g);

// Max-pools output rows [begin, end) (rows of all images: n * out_h + oh) of float32 `in`
// into `out`, on the calling thread, with the vectors MaxPool uses: the same bits.
void max_pool_rows(const PoolGeom& g, const float* in, float* out, int64_t begin, int64_t end);

}  // namespace tl
