// Slice, StridedSlice and its gradient StridedSliceGrad, Pad, PadV2, MirrorPad and its gradient
// MirrorPadGrad.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ops/array_util.h"
#include "ops/cpu_features.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"

namespace tl {
namespace {

// Reads a 1-D int tensor into `out` (at most kMaxRank + 1 values are ever needed).
std::vector<int64_t> read_ints(const Tensor& t) {
  std::vector<int64_t> v(static_cast<size_t>(t.num_elements()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = int_element(t, static_cast<int64_t>(i));
  return v;
}

// Copies the block of `in` that starts at `begin` and steps by `stride` (in elements, per
// input dim) into the dense tensor `out` of as many elements, whose dims are `sizes`.
void copy_block(KernelContext& ctx, const Tensor& in, const int64_t* begin, const int64_t* stride,
                const int64_t* sizes, Tensor& out) {
  const int rank = in.shape().rank();
  int64_t in_strides[kMaxRank];
  row_major_strides(in.shape(), in_strides);
  CopyLayout l;
  l.rank = rank;
  int64_t offset = 0, step = 1;
  for (int d = rank - 1; d >= 0; --d) {
    l.dims[d] = sizes[d];
    l.src_strides[d] = stride[d] * in_strides[d];
    l.dst_strides[d] = step;
    step *= sizes[d];
    offset += begin[d] * in_strides[d];
  }
  if (step == 0) return;
  const size_t size = dtype_size(in.dtype());
  strided_copy(ctx, size, static_cast<const char*>(in.raw_data()) + offset * size,
               out.raw_data(), l);
}

// ---- Slice ----

// Checks begin/size against `in` (dims may be unknown) and gives the output dims (unknown
// where they depend on an unknown dim). `begin` or `size` null: values unknown.
Status slice_sizes(const Shape& in, const int64_t* begin, const int64_t* size, Shape* out) {
  Shape s;
  for (int d = 0; d < in.rank(); ++d) {
    const int64_t dim = in.dim(d);
    if (begin && dim != kUnknownDim && (begin[d] < 0 || begin[d] > dim)) {
      return invalid_argument("Expected begin[" + std::to_string(d) + "] in [0, " +
                              std::to_string(dim) + "], but got " + std::to_string(begin[d]));
    }
    if (!size) {
      s.add_dim(kUnknownDim);
      continue;
    }
    int64_t n = size[d];
    if (n == -1) n = begin && dim != kUnknownDim ? dim - begin[d] : kUnknownDim;
    if (n != kUnknownDim && (n < 0 || (begin && dim != kUnknownDim && begin[d] + n > dim))) {
      return invalid_argument("Expected size[" + std::to_string(d) + "] in [0, " +
                              (begin && dim != kUnknownDim ? std::to_string(dim - begin[d])
                                                           : std::string("?")) +
                              "], but got " + std::to_string(size[d]));
    }
    s.add_dim(n);
  }
  *out = s;
  return Status::OK();
}

// The input's dims as a shape of rank `rank`: `in`, or `rank` unknown dims when in's rank is
// unknown. False when `rank` is unknown or out of range (the output's rank is then unknown).
bool input_dims(const Shape& in, int rank, Shape* dims) {
  if (rank < 0 || rank > kMaxRank) return false;
  *dims = in;
  if (!in.rank_known()) {
    *dims = Shape();
    for (int d = 0; d < rank; ++d) dims->add_dim(kUnknownDim);
  }
  return true;
}

Status slice_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 1, 2));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 1, 1));
  TL_RETURN_IF_ERROR(check_rank(ctx, 2, 1, 1));
  const Shape& in = ctx.input_shape(0);
  const Shape& bs = ctx.input_shape(1);
  const Shape& ss = ctx.input_shape(2);
  int rank = in.rank();
  for (const Shape* s : {&bs, &ss}) {
    if (!s->rank_known() || s->dim(0) == kUnknownDim) continue;
    if (rank >= 0 && s->dim(0) != rank) {
      return shape_error(ctx, "Expected begin and size arguments to be 1-D tensors of size " +
                                  std::to_string(rank) + ", but got shapes " + bs.to_string() +
                                  " and " + ss.to_string() + " instead");
    }
    rank = static_cast<int>(s->dim(0));
  }
  Shape in_dims;
  if (!input_dims(in, rank, &in_dims)) {
    ctx.set_output(0, ctx.input_dtype(0), Shape::unknown());
    return Status::OK();
  }
  std::vector<int64_t> begin, size;
  if (ctx.input_value(1)) begin = read_ints(*ctx.input_value(1));
  if (ctx.input_value(2)) size = read_ints(*ctx.input_value(2));
  Shape out;
  Status s = slice_sizes(in_dims, ctx.input_value(1) ? begin.data() : nullptr,
                         ctx.input_value(2) ? size.data() : nullptr, &out);
  if (!s.ok()) return shape_error(ctx, s.message());
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status slice_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int rank = x.shape().rank();
  if (ctx.input(1).num_elements() != rank || ctx.input(2).num_elements() != rank) {
    return invalid_argument("Expected begin and size arguments to be 1-D tensors of size " +
                            std::to_string(rank) + ", but got shapes " +
                            ctx.input(1).shape().to_string() + " and " +
                            ctx.input(2).shape().to_string() + " instead");
  }
  const std::vector<int64_t> begin = read_ints(ctx.input(1)), size = read_ints(ctx.input(2));
  Shape out;
  TL_RETURN_IF_ERROR(slice_sizes(x.shape(), begin.data(), size.data(), &out));
  int64_t ones[kMaxRank];
  std::fill(ones, ones + kMaxRank, int64_t{1});
  copy_block(ctx, x, begin.data(), ones, out.dims(), ctx.output(0));
  return Status::OK();
}

// ---- StridedSlice ----

// A strided slice resolved against the input's dims (TF's dense spec).
struct StridedSliceSpec {
  int64_t begin[kMaxRank];   // per input dim: first index read
  int64_t stride[kMaxRank];  // per input dim: step (may be negative)
  int64_t size[kMaxRank];    // per input dim: elements read (kUnknownDim when unknown)
  Shape out;                 // with new axes added and shrunk axes removed
};

constexpr int kNewAxis = -1, kShrinkAxis = -2;

// Resolves begin/end/strides (null when unknown; n entries each) and the five masks against
// `in` (rank known, dims possibly unknown), with TF1's rules and messages.
Status strided_slice_spec(const Shape& in, int n, const int64_t* begin, const int64_t* end,
                          const int64_t* strides, const AttrMap& attrs, StridedSliceSpec* spec) {
  if (n > 62) return invalid_argument("StridedSlice supports at most 62 indices, got " +
                                      std::to_string(n));
  const uint64_t used = (uint64_t{1} << n) - 1;
  const uint64_t begin_mask = attrs.get<int64_t>("begin_mask") & used;
  const uint64_t end_mask = attrs.get<int64_t>("end_mask") & used;
  const uint64_t ellipsis_mask = attrs.get<int64_t>("ellipsis_mask") & used;
  const uint64_t new_axis_mask = attrs.get<int64_t>("new_axis_mask") & used;
  const uint64_t shrink_mask = attrs.get<int64_t>("shrink_axis_mask") & used;
  if (ellipsis_mask & (ellipsis_mask - 1)) {
    return invalid_argument("Multiple ellipses in slice spec not allowed");
  }
  // Without an ellipsis there is an implicit one at the end.
  int ellipsis = n, sparse_n = n + 1;
  for (int i = 0; i < n; ++i) {
    if (ellipsis_mask >> i & 1) ellipsis = i, sparse_n = n;
  }
  int new_after_ellipsis = 0;
  for (int i = ellipsis + 1; i < n; ++i) new_after_ellipsis += (new_axis_mask >> i & 1) != 0;

  const int rank = in.rank();
  int64_t b[kMaxRank], e[kMaxRank], st[kMaxRank];
  bool bm[kMaxRank], em[kMaxRank], shrink[kMaxRank], known[kMaxRank];
  std::vector<int> gather;  // per output dim: an input dim, kNewAxis or kShrinkAxis
  int full = 0;
  for (int i = 0; i < sparse_n; ++i) {
    if (i == ellipsis) {
      const int next = std::min(rank - (sparse_n - i) + 1 + new_after_ellipsis, rank);
      for (; full < next; ++full) {
        b[full] = e[full] = 0;
        st[full] = 1;
        bm[full] = em[full] = true;
        shrink[full] = false;
        known[full] = true;
        gather.push_back(full);
      }
    } else if (new_axis_mask >> i & 1) {
      gather.push_back(kNewAxis);
    } else {
      if (full == rank) {
        return invalid_argument("Index out of range using input dim " + std::to_string(full) +
                                "; input has only " + std::to_string(rank) + " dims");
      }
      // A masked begin or end does not need its value.
      known[full] = (begin || (begin_mask >> i & 1)) && (end || (end_mask >> i & 1)) && strides;
      b[full] = begin ? begin[i] : 0;
      e[full] = end ? end[i] : 0;
      st[full] = strides ? strides[i] : 1;
      bm[full] = begin_mask >> i & 1;
      em[full] = end_mask >> i & 1;
      shrink[full] = shrink_mask >> i & 1;
      gather.push_back(shrink[full] ? kShrinkAxis : full);
      ++full;
    }
  }
  for (int d = 0; d < rank; ++d) {
    const int64_t dim = in.dim(d);
    spec->begin[d] = 0;
    spec->stride[d] = st[d];
    if (known[d] && st[d] == 0) {
      return invalid_argument("strides[" + std::to_string(d) + "] must be non-zero");
    }
    if (shrink[d] && known[d] && st[d] < 0) {
      return invalid_argument("only stride 1 allowed on non-range indexing.");
    }
    if (!known[d] || dim == kUnknownDim) {
      spec->size[d] = shrink[d] ? 1 : kUnknownDim;
      continue;
    }
    if (shrink[d]) {
      const int64_t x = b[d] < 0 ? dim + b[d] : b[d];
      if (x < 0 || x >= dim) {
        return invalid_argument("slice index " + std::to_string(b[d]) + " of dimension " +
                                std::to_string(d) + " out of bounds.");
      }
      spec->begin[d] = x;
      spec->stride[d] = 1;
      spec->size[d] = 1;
      continue;
    }
    const int64_t lo = st[d] > 0 ? 0 : -1, hi = st[d] > 0 ? dim : dim - 1;
    auto canonical = [&](int64_t x, bool masked, bool is_end) {
      if (masked) return (st[d] > 0) == is_end ? hi : lo;
      const int64_t fwd = x < 0 ? dim + x : x;
      return std::clamp(fwd, lo, hi);
    };
    const int64_t first = canonical(b[d], bm[d], false), last = canonical(e[d], em[d], true);
    const int64_t length = last - first;
    int64_t size = 0;
    if (length != 0 && (length < 0) == (st[d] < 0)) {
      size = length / st[d] + (length % st[d] != 0);
    }
    spec->begin[d] = first;
    spec->size[d] = size;
  }
  Shape out;
  for (int g : gather) {
    if (g == kShrinkAxis) continue;
    if (out.rank() == kMaxRank) {
      return invalid_argument("tensorlib supports tensors of rank up to " +
                              std::to_string(kMaxRank));
    }
    out.add_dim(g == kNewAxis ? 1 : spec->size[g]);
  }
  spec->out = out;
  return Status::OK();
}

Status strided_slice_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  for (int i = 1; i <= 3; ++i) TL_RETURN_IF_ERROR(check_rank(ctx, i, 1, 1));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 1, 2));
  TL_RETURN_IF_ERROR(check_same_dtype(ctx, 1, 3));
  int n = -1;
  for (int i = 1; i <= 3; ++i) {
    const Shape& s = ctx.input_shape(i);
    if (!s.rank_known() || s.dim(0) == kUnknownDim) continue;
    if (n >= 0 && s.dim(0) != n) {
      return shape_error(ctx, "Expected begin, end, and strides to be 1D equal size tensors, "
                              "but got shapes " + ctx.input_shape(1).to_string() + ", " +
                              ctx.input_shape(2).to_string() + ", and " +
                              ctx.input_shape(3).to_string() + " instead.");
    }
    n = static_cast<int>(s.dim(0));
  }
  const Shape& in = ctx.input_shape(0);
  if (n < 0 || !in.rank_known()) {
    ctx.set_output(0, ctx.input_dtype(0), Shape::unknown());
    return Status::OK();
  }
  std::vector<int64_t> v[3];
  const int64_t* p[3] = {};
  for (int i = 0; i < 3; ++i) {
    if (const Tensor* t = ctx.input_value(i + 1)) {
      v[i] = read_ints(*t);
      p[i] = v[i].data();
    }
  }
  StridedSliceSpec spec;
  Status s = strided_slice_spec(in, n, p[0], p[1], p[2], ctx.attrs(), &spec);
  if (!s.ok()) return shape_error(ctx, s.message());
  ctx.set_output(0, ctx.input_dtype(0), spec.out);
  return Status::OK();
}

Status strided_slice_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t n = ctx.input(1).num_elements();
  if (ctx.input(2).num_elements() != n || ctx.input(3).num_elements() != n) {
    return invalid_argument("Expected begin, end, and strides to be 1D equal size tensors, "
                            "but got shapes " + ctx.input(1).shape().to_string() + ", " +
                            ctx.input(2).shape().to_string() + ", and " +
                            ctx.input(3).shape().to_string() + " instead.");
  }
  const std::vector<int64_t> begin = read_ints(ctx.input(1)), end = read_ints(ctx.input(2)),
                             strides = read_ints(ctx.input(3));
  StridedSliceSpec spec;
  TL_RETURN_IF_ERROR(strided_slice_spec(x.shape(), static_cast<int>(n), begin.data(), end.data(),
                                        strides.data(), ctx.attrs(), &spec));
  copy_block(ctx, x, spec.begin, spec.stride, spec.size, ctx.output(0));
  return Status::OK();
}

// ---- StridedSliceGrad ----
// The gradient of StridedSlice: dy (of the slice's shape) scattered into zeros of `shape`,
// the input's shape, at the elements the slice read.

Status strided_slice_grad_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 4, PodTypes{}));
  for (int i = 1; i <= 3; ++i) {
    TL_RETURN_IF_ERROR(check_input_dtype(ctx, i, IntTypes{}));
    TL_RETURN_IF_ERROR(check_rank(ctx, i, 1, 1));
  }
  Shape out;
  TL_RETURN_IF_ERROR(shape_from_dims_input(ctx, 0, false, &out));
  ctx.set_output(0, ctx.input_dtype(4), out);
  return Status::OK();
}

Status strided_slice_grad_kernel(KernelContext& ctx) {
  Shape in_shape;
  TL_RETURN_IF_ERROR(read_dims(ctx.input(0), false, &in_shape));
  const int64_t n = ctx.input(1).num_elements();
  if (ctx.input(2).num_elements() != n || ctx.input(3).num_elements() != n) {
    return invalid_argument("Expected begin, end, and strides to be 1D equal size tensors, "
                            "but got shapes " + ctx.input(1).shape().to_string() + ", " +
                            ctx.input(2).shape().to_string() + ", and " +
                            ctx.input(3).shape().to_string() + " instead.");
  }
  const std::vector<int64_t> begin = read_ints(ctx.input(1)), end = read_ints(ctx.input(2)),
                             strides = read_ints(ctx.input(3));
  StridedSliceSpec spec;
  TL_RETURN_IF_ERROR(strided_slice_spec(in_shape, static_cast<int>(n), begin.data(), end.data(),
                                        strides.data(), ctx.attrs(), &spec));
  const Tensor& dy = ctx.input(4);
  if (!(dy.shape() == spec.out)) {
    return invalid_argument("shape of dy was " + dy.shape().to_string() + " instead of " +
                            spec.out.to_string());
  }
  Tensor& out = ctx.output(0);
  const size_t size = dtype_size(dy.dtype());
  std::memset(out.raw_data(), 0, static_cast<size_t>(out.num_elements()) * size);
  if (dy.num_elements() == 0) return Status::OK();
  // Written with positive destination strides: a dim read backwards from begin is written
  // forwards from its last element, reading dy backwards along that dim.
  const int rank = in_shape.rank();
  int64_t out_strides[kMaxRank];
  row_major_strides(in_shape, out_strides);
  CopyLayout l;
  l.rank = rank;
  int64_t dst = 0, src = 0, step = 1;
  for (int d = rank - 1; d >= 0; --d) {
    l.dims[d] = spec.size[d];
    int64_t first = spec.begin[d], stride = spec.stride[d], dense = step;
    if (stride < 0) {
      first += (spec.size[d] - 1) * stride;
      stride = -stride;
      src += (spec.size[d] - 1) * dense;
      dense = -dense;
    }
    l.dst_strides[d] = stride * out_strides[d];
    l.src_strides[d] = dense;
    dst += first * out_strides[d];
    step *= spec.size[d];
  }
  strided_copy(ctx, size, static_cast<const char*>(dy.raw_data()) + src * size,
               static_cast<char*>(out.raw_data()) + dst * size, l);
  return Status::OK();
}

// ---- Pad, PadV2, MirrorPad ----

enum class PadMode { kConstant, kReflect, kSymmetric };

PadMode pad_mode(const AttrMap& attrs) {
  const AttrValue* mode = attrs.find("mode");
  if (!mode) return PadMode::kConstant;
  return std::get<std::string>(*mode) == "SYMMETRIC" ? PadMode::kSymmetric : PadMode::kReflect;
}

// Bound on each padding, so that no size computation overflows.
constexpr int64_t kMaxPadding = int64_t{1} << 40;

// Reads the [rank, 2] paddings and checks them against `in` (dims may be unknown).
Status read_paddings(const Tensor& p, const Shape& in, PadMode mode, int64_t* before,
                     int64_t* after) {
  const int rank = in.rank();
  if (p.shape().rank() != 2 || p.shape().dim(0) != rank || p.shape().dim(1) != 2) {
    return invalid_argument("The first dimension of paddings must be the rank of inputs" +
                            p.shape().to_string() + " " + in.to_string());
  }
  for (int d = 0; d < rank; ++d) {
    before[d] = int_element(p, 2 * d);
    after[d] = int_element(p, 2 * d + 1);
    if (before[d] > kMaxPadding || after[d] > kMaxPadding) {
      return invalid_argument("Paddings are too large: " + std::to_string(before[d]) + " " +
                              std::to_string(after[d]));
    }
    if (before[d] < 0 || after[d] < 0) {
      return invalid_argument("Paddings must be non-negative: " + std::to_string(before[d]) +
                              " " + std::to_string(after[d]));
    }
    const int64_t dim = in.dim(d);
    if (dim == kUnknownDim) continue;
    if (mode == PadMode::kReflect && (before[d] >= dim || after[d] >= dim)) {
      return invalid_argument("paddings must be less than the dimension size: " +
                              std::to_string(before[d]) + ", " + std::to_string(after[d]) +
                              " not less than " + std::to_string(dim));
    }
    if (mode == PadMode::kSymmetric && (before[d] > dim || after[d] > dim)) {
      return invalid_argument("paddings must be no greater than the dimension size: " +
                              std::to_string(before[d]) + ", " + std::to_string(after[d]) +
                              " greater than " + std::to_string(dim));
    }
  }
  return Status::OK();
}

Status pad_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, PodTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 2, 2));
  if (ctx.num_inputs() == 3) {
    TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    TL_RETURN_IF_ERROR(check_rank(ctx, 2, 0, 0));
  }
  const Shape& in = ctx.input_shape(0);
  const Shape& ps = ctx.input_shape(1);
  int rank = in.rank();
  if (rank < 0 && ps.rank_known() && ps.dim(0) != kUnknownDim) rank = static_cast<int>(ps.dim(0));
  if (ps.rank_known() && ((ps.dim(0) != kUnknownDim && rank >= 0 && ps.dim(0) != rank) ||
                          (ps.dim(1) != kUnknownDim && ps.dim(1) != 2))) {
    return shape_error(ctx, "The first dimension of paddings must be the rank of inputs" +
                                ps.to_string() + " " + in.to_string());
  }
  Shape in_dims;
  if (!input_dims(in, rank, &in_dims)) {
    ctx.set_output(0, ctx.input_dtype(0), Shape::unknown());
    return Status::OK();
  }
  Shape out;
  if (const Tensor* p = ctx.input_value(1)) {
    int64_t before[kMaxRank], after[kMaxRank];
    Status s = read_paddings(*p, in_dims, pad_mode(ctx.attrs()), before, after);
    if (!s.ok()) return shape_error(ctx, s.message());
    for (int d = 0; d < rank; ++d) {
      const int64_t dim = in_dims.dim(d);
      out.add_dim(dim == kUnknownDim ? kUnknownDim : before[d] + dim + after[d]);
    }
  } else {
    for (int d = 0; d < rank; ++d) out.add_dim(kUnknownDim);
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

Status mirror_pad_shape(InferenceContext& ctx) {
  const std::string& mode = ctx.attrs().get<std::string>("mode");
  if (mode != "REFLECT" && mode != "SYMMETRIC") {
    return shape_error(ctx, "mode must be either REFLECT or SYMMETRIC, got " + mode);
  }
  return pad_shape(ctx);
}

// Constant padding in one pass over the output: each output row (last dim) is either all
// padding or [padding, a row of the input, padding].
template <typename T>
void pad_constant(KernelContext& ctx, const Tensor& x, const int64_t* before, T value,
                  Tensor& out) {
  const int rank = out.shape().rank();
  const T* src = x.data<T>();
  T* dst = out.data<T>();
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const int last = rank - 1;
  const int64_t width = out.shape().dim(last), n = x.shape().dim(last);
  const int64_t rows = width == 0 ? 0 : out.num_elements() / width;
  int64_t in_strides[kMaxRank];
  row_major_strides(x.shape(), in_strides);
  const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / (width * int64_t(sizeof(T)) + 1));
  ctx.parallel_for(rows, grain, [&](int64_t b, int64_t e) {
    int64_t idx[kMaxRank];
    int64_t rest = b;
    for (int d = last - 1; d >= 0; --d) {
      idx[d] = rest % out.shape().dim(d);
      rest /= out.shape().dim(d);
    }
    for (int64_t row = b; row < e; ++row) {
      T* o = dst + row * width;
      bool inside = n > 0;
      int64_t offset = 0;
      for (int d = 0; d < last && inside; ++d) {
        const int64_t i = idx[d] - before[d];
        inside = i >= 0 && i < x.shape().dim(d);
        offset += i * in_strides[d];
      }
      if (inside) {
        std::fill(o, o + before[last], value);
        std::memcpy(o + before[last], src + offset, static_cast<size_t>(n) * sizeof(T));
        std::fill(o + before[last] + n, o + width, value);
      } else {
        std::fill(o, o + width, value);
      }
      for (int d = last - 1; d >= 0 && ++idx[d] == out.shape().dim(d); --d) idx[d] = 0;
    }
  });
}

Status pad_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  int64_t before[kMaxRank], after[kMaxRank];
  TL_RETURN_IF_ERROR(read_paddings(ctx.input(1), x.shape(), PadMode::kConstant, before, after));
  return dispatch(PodTypes{}, x.dtype(), "Pad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T value = ctx.num_inputs() == 3 ? *ctx.input(2).data<T>() : T{};
    pad_constant<T>(ctx, x, before, value, ctx.output(0));
  });
}

// Mirror padding: the input is copied to the middle, then each dim's two margins are
// mirrored from the output itself, innermost dim first, so each margin copy reads rows the
// earlier steps completed. Along dim d, margin index i reads index 2 * before - i (REFLECT;
// one less for SYMMETRIC) on the left and the mirror image on the right: a copy with stride -1.
Status mirror_pad_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const PadMode mode = pad_mode(ctx.attrs());
  int64_t before[kMaxRank], after[kMaxRank];
  TL_RETURN_IF_ERROR(read_paddings(ctx.input(1), x.shape(), mode, before, after));
  Tensor& out = ctx.output(0);
  if (out.num_elements() == 0) return Status::OK();
  const int rank = x.shape().rank();
  const size_t size = dtype_size(x.dtype());
  char* base = static_cast<char*>(out.raw_data());
  int64_t out_strides[kMaxRank], in_strides[kMaxRank];
  row_major_strides(out.shape(), out_strides);
  row_major_strides(x.shape(), in_strides);
  int64_t middle = 0;
  for (int d = 0; d < rank; ++d) middle += before[d] * out_strides[d];
  CopyLayout l;
  l.rank = rank;
  for (int d = 0; d < rank; ++d) {
    l.dims[d] = x.shape().dim(d);
    l.src_strides[d] = in_strides[d];
    l.dst_strides[d] = out_strides[d];
  }
  strided_copy(ctx, size, x.raw_data(), base + middle * size, l);
  const int64_t shift = mode == PadMode::kSymmetric ? 1 : 0;
  for (int d = rank - 1; d >= 0; --d) {
    // Dims inside d are complete over their whole width; dims outside d only in the middle.
    CopyLayout m;
    m.rank = rank;
    int64_t start = 0;
    for (int k = 0; k < rank; ++k) {
      m.dims[k] = k > d ? out.shape().dim(k) : x.shape().dim(k);
      m.src_strides[k] = m.dst_strides[k] = out_strides[k];
      if (k < d) start += before[k] * out_strides[k];
    }
    m.src_strides[d] = -out_strides[d];
    const int64_t n = x.shape().dim(d);
    if (before[d] > 0) {
      m.dims[d] = before[d];
      const int64_t src = start + (2 * before[d] - shift) * out_strides[d];
      strided_copy(ctx, size, base + src * size, base + start * size, m);
    }
    if (after[d] > 0) {
      m.dims[d] = after[d];
      const int64_t first = before[d] + n;
      const int64_t src = start + (first - 2 + shift) * out_strides[d];
      strided_copy(ctx, size, base + src * size, base + (start + first * out_strides[d]) * size,
                   m);
    }
  }
  return Status::OK();
}

// ---- MirrorPadGrad ----
// The gradient of MirrorPad: the padded gradient folded back onto the input, each margin
// element added to the input element it mirrors.

// The unpadded dims of `padded` (dims may be unknown), with MirrorPad's checks of the
// paddings against them.
Status unpadded_shape(const Tensor& p, const Shape& padded, PadMode mode, Shape* out) {
  Shape unknown;
  for (int d = 0; d < padded.rank(); ++d) unknown.add_dim(kUnknownDim);
  int64_t before[kMaxRank], after[kMaxRank];
  TL_RETURN_IF_ERROR(read_paddings(p, unknown, mode, before, after));
  Shape s;
  for (int d = 0; d < padded.rank(); ++d) {
    const int64_t dim = padded.dim(d);
    if (dim != kUnknownDim && before[d] + after[d] > dim) {
      return invalid_argument("Paddings " + std::to_string(before[d]) + ", " +
                              std::to_string(after[d]) + " are larger than dimension " +
                              std::to_string(d) + " of size " + std::to_string(dim));
    }
    s.add_dim(dim == kUnknownDim ? kUnknownDim : dim - before[d] - after[d]);
  }
  TL_RETURN_IF_ERROR(read_paddings(p, s, mode, before, after));
  *out = s;
  return Status::OK();
}

Status mirror_pad_grad_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, NumericTypes{}));
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 1, IntTypes{}));
  TL_RETURN_IF_ERROR(check_rank(ctx, 1, 2, 2));
  const std::string& mode = ctx.attrs().get<std::string>("mode");
  if (mode != "REFLECT" && mode != "SYMMETRIC") {
    return shape_error(ctx, "mode must be either REFLECT or SYMMETRIC, got " + mode);
  }
  const Shape& in = ctx.input_shape(0);
  Shape out = Shape::unknown();
  if (in.rank_known()) {
    if (const Tensor* p = ctx.input_value(1)) {
      Status s = unpadded_shape(*p, in, pad_mode(ctx.attrs()), &out);
      if (!s.ok()) return shape_error(ctx, s.message());
    } else {
      out = Shape();
      for (int d = 0; d < in.rank(); ++d) out.add_dim(kUnknownDim);
    }
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  return Status::OK();
}

// dst[k] += src[k] for k < n.
template <typename T>
inline void add_row(T* dst, const T* src, int64_t n) {
  for (int64_t k = 0; k < n; ++k) dst[k] += src[k];
}

template <typename T>
TL_TARGET_AVX2 void add_row_avx2(T* dst, const T* src, int64_t n) {
  add_row(dst, src, n);
}

// Folds dim d of `src` ([outer, before + n + after, inner]) into `dst` ([outer, n, inner]):
// the middle rows, plus each margin row added onto the row it mirrors.
template <typename T>
void fold_dim(KernelContext& ctx, const T* src, T* dst, int64_t outer, int64_t before,
              int64_t n, int64_t after, int64_t inner, int64_t shift) {
  const int64_t padded = before + n + after;
  auto add = cpu_has_avx2() ? &add_row_avx2<T> : &add_row<T>;
  const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / (padded * inner * sizeof(T) + 1));
  ctx.parallel_for(outer, grain, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      const T* s = src + o * padded * inner;
      T* t = dst + o * n * inner;
      std::memcpy(t, s + before * inner, static_cast<size_t>(n * inner) * sizeof(T));
      // REFLECT (shift 0) skips the edge row, SYMMETRIC (shift 1) repeats it.
      for (int64_t i = 0; i < before; ++i) {
        add(t + (before - i - shift) * inner, s + i * inner, inner);
      }
      for (int64_t k = 0; k < after; ++k) {
        add(t + (n - 2 - k + shift) * inner, s + (before + n + k) * inner, inner);
      }
    }
  });
}

Status mirror_pad_grad_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const PadMode mode = pad_mode(ctx.attrs());
  Shape unpadded;
  TL_RETURN_IF_ERROR(unpadded_shape(ctx.input(1), x.shape(), mode, &unpadded));
  Tensor& out = ctx.output(0);
  const int rank = x.shape().rank();
  const int64_t shift = mode == PadMode::kSymmetric ? 1 : 0;
  return dispatch(NumericTypes{}, x.dtype(), "MirrorPadGrad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (out.num_elements() == 0) return;
    std::vector<int> folded;
    for (int d = 0; d < rank; ++d) {
      if (unpadded.dim(d) != x.shape().dim(d)) folded.push_back(d);
    }
    if (folded.empty()) {
      parallel_memcpy(ctx, out.data<T>(), x.data<T>(),
                      static_cast<size_t>(x.num_elements()) * sizeof(T));
      return;
    }
    // Dims are folded one at a time, through scratch buffers, the last into the output.
    Shape cur = x.shape();
    const T* src = x.data<T>();
    std::vector<T> scratch[2];
    for (size_t f = 0; f < folded.size(); ++f) {
      const int d = folded[f];
      int64_t outer = 1, inner = 1;
      for (int k = 0; k < d; ++k) outer *= cur.dim(k);
      for (int k = d + 1; k < rank; ++k) inner *= cur.dim(k);
      const int64_t n = unpadded.dim(d);
      const int64_t before = int_element(ctx.input(1), 2 * d);
      const int64_t after = cur.dim(d) - n - before;
      cur.set_dim(d, n);
      T* dst = out.data<T>();
      if (f + 1 < folded.size()) {
        scratch[f % 2].resize(static_cast<size_t>(cur.num_elements()));
        dst = scratch[f % 2].data();
      }
      fold_dim(ctx, src, dst, outer, before, n, after, inner, shift);
      src = dst;
    }
  });
}

}  // namespace

void register_slice_ops(OpRegistry& r) {
  r.add_builtin(OpDef("Slice").input("input").input("begin").input("size").shape(slice_shape));
  r.add_builtin(OpDef("StridedSlice").input("input").input("begin").input("end").input("strides")
                    .attr("begin_mask", AttrType::kInt, int64_t{0})
                    .attr("end_mask", AttrType::kInt, int64_t{0})
                    .attr("ellipsis_mask", AttrType::kInt, int64_t{0})
                    .attr("new_axis_mask", AttrType::kInt, int64_t{0})
                    .attr("shrink_axis_mask", AttrType::kInt, int64_t{0})
                    .shape(strided_slice_shape));
  r.add_builtin(OpDef("StridedSliceGrad").input("shape").input("begin").input("end")
                    .input("strides").input("dy")
                    .attr("begin_mask", AttrType::kInt, int64_t{0})
                    .attr("end_mask", AttrType::kInt, int64_t{0})
                    .attr("ellipsis_mask", AttrType::kInt, int64_t{0})
                    .attr("new_axis_mask", AttrType::kInt, int64_t{0})
                    .attr("shrink_axis_mask", AttrType::kInt, int64_t{0})
                    .shape(strided_slice_grad_shape));
  r.add_builtin(OpDef("Pad").input("input").input("paddings").shape(pad_shape));
  r.add_builtin(OpDef("PadV2").input("input").input("paddings").input("constant_values")
                    .shape(pad_shape));
  r.add_builtin(OpDef("MirrorPad").input("input").input("paddings")
                    .attr("mode", AttrType::kString).shape(mirror_pad_shape));
  r.add_builtin(OpDef("MirrorPadGrad").input("input").input("paddings")
                    .attr("mode", AttrType::kString).shape(mirror_pad_grad_shape));
}

void register_slice_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("Slice", Device::kCPU).compute(slice_kernel));
  r.add_builtin(KernelDef("StridedSlice", Device::kCPU).compute(strided_slice_kernel));
  r.add_builtin(KernelDef("StridedSliceGrad", Device::kCPU).compute(strided_slice_grad_kernel));
  r.add_builtin(KernelDef("Pad", Device::kCPU).compute(pad_kernel));
  r.add_builtin(KernelDef("PadV2", Device::kCPU).compute(pad_kernel));
  r.add_builtin(KernelDef("MirrorPad", Device::kCPU).compute(mirror_pad_kernel));
  r.add_builtin(KernelDef("MirrorPadGrad", Device::kCPU).compute(mirror_pad_grad_kernel));
}

}  // namespace tl
