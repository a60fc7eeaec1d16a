// Sliding-window geometry shared by the convolution and pooling ops: NHWC tensors, 4-element
// strides/dilations/ksize attributes and TF's SAME/VALID output sizes and padding.
//
//   Window2D w;
//   TL_RETURN_IF_ERROR(read_window_attrs(ctx.attrs(), ctx.op(), /*dilations=*/true, &w));
//   int64_t out_h, pad_top;
//   TL_RETURN_IF_ERROR(windowed_output_size(in_h, filter_h, w.dilation_h, w.stride_h, w.same,
//                                           &out_h, &pad_top));
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "tensorlib/attr.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"

namespace tl {

// The spatial part of a 2-D window's attributes.
struct Window2D {
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  bool same = false;  // padding 'SAME' (else 'VALID')
};

// Reads and checks `strides`, `padding`, `data_format` and, when `dilations`, `dilations`.
inline Status read_window_attrs(const AttrMap& attrs, const std::string& op, bool dilations,
                                Window2D* w) {
  if (attrs.get<std::string>("data_format") != "NHWC") {
    return invalid_argument(op + " supports only data_format='NHWC' on the CPU, got '" +
                            attrs.get<std::string>("data_format") + "'");
  }
  const std::string& padding = attrs.get<std::string>("padding");
  if (padding != "SAME" && padding != "VALID") {
    return invalid_argument(op + ": padding must be 'SAME' or 'VALID', got '" + padding + "'");
  }
  w->same = padding == "SAME";
  const auto& strides = attrs.get<std::vector<int64_t>>("strides");
  if (strides.size() != 4) {
    return invalid_argument(op + ": sliding window strides field must specify 4 dimensions");
  }
  if (strides[0] != 1 || strides[3] != 1) {
    return invalid_argument(op + ": current implementation does not yet support strides in the "
                                 "batch and depth dimensions.");
  }
  if (strides[1] < 1 || strides[2] < 1) {
    return invalid_argument(op + ": strides must be positive");
  }
  w->stride_h = strides[1];
  w->stride_w = strides[2];
  if (dilations) {
    const auto& d = attrs.get<std::vector<int64_t>>("dilations");
    if (d.size() != 4) return invalid_argument(op + ": dilations must specify 4 dimensions");
    if (d[0] != 1 || d[3] != 1) {
      return invalid_argument(op + ": current implementation does not yet support dilations in "
                                   "the batch and depth dimensions.");
    }
    if (d[1] < 1 || d[2] < 1) return invalid_argument(op + ": dilations must be positive");
    w->dilation_h = d[1];
    w->dilation_w = d[2];
  }
  return Status::OK();
}

// TF's output size and leading padding of one spatial dim: VALID gives
// ceil((in - effective_window + 1) / stride), SAME gives ceil(in / stride) with the padding
// split evenly, the odd element after. Unknown `in` or `window` give an unknown size.
inline Status windowed_output_size(int64_t in, int64_t window, int64_t dilation, int64_t stride,
                                   bool same, int64_t* out, int64_t* pad_before) {
  *pad_before = 0;
  if (in == kUnknownDim || window == kUnknownDim) {
    *out = kUnknownDim;
    return Status::OK();
  }
  // NOTE: strides, dilations and ksize come from attributes (of user graphs and model files):
  // bounding them keeps every step below within int64 (`in` is at most 2^57).
  constexpr int64_t kMaxWindow = int64_t{1} << 60;
  if (window > kMaxWindow || stride > kMaxWindow ||
      (window > 1 && dilation > (kMaxWindow - 1) / (window - 1))) {
    return invalid_argument("Window too large: filter size " + std::to_string(window) +
                            ", dilation " + std::to_string(dilation) + ", stride " +
                            std::to_string(stride));
  }
  const int64_t effective = (window - 1) * dilation + 1;
  if (same) {
    *out = (in + stride - 1) / stride;
    *pad_before = std::max<int64_t>(0, (*out - 1) * stride + effective - in) / 2;
  } else {
    *out = (in - effective + stride) / stride;
    if (in < effective) {
      return invalid_argument("Computed output size would be negative: " +
                              std::to_string(in - effective + 1) + " [input_size: " +
                              std::to_string(in) + ", effective_filter_size: " +
                              std::to_string(effective) + ", stride: " + std::to_string(stride) +
                              "]");
    }
  }
  return Status::OK();
}

}  // namespace tl
