// Recurrent-cell steps, each one fused op: LSTMBlockCell and GRUBlockCell, and their gradients
// LSTMBlockCellGrad and GRUBlockCellGrad, which give the gradients of every input at once.
//
// A step is one GEMM over the concatenation [x, h] (one product over input + state columns
// runs faster than two that add up) followed by one pass of gate math per batch row; its
// gradient is that pass backwards followed by one GEMM for the gradients of x and h together
// and one for the weights'.
// Weights are laid out as tf.nn.rnn_cell's: W is [input + units, gates * units], its first
// `input` rows multiplying x (an LSTM's h_prev may have another width than its units, a
// projection's, and W's rows are then input + that width). The gates of an LSTM are i, j (ci),
// f, o in that order, those of a GRU's first product r, u. float32 rows use the AVX2 sigmoid
// and tanh of simd_math.h when the CPU has them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/gemm.h"
#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"
#include "ops/simd_math.h"

namespace tl {
namespace {

// ---- shapes ----

// The sizes an input's dims are made of. `state` is the width of an LSTM's h_prev: its units,
// or fewer (a projection's) or more.
enum class Size { kBatch, kInput, kUnits, kState, kInputPlusUnits, kInputPlusState };

// One input's expected shape: `rank` dims, dim d being mult[d] * size[d]; when `may_be_empty`
// the input may also be [0] (the gradient of an output the loss does not use: zeros).
struct InputSpec {
  int rank;
  Size size[2];
  int64_t mult[2];
  bool may_be_empty = false;
};

constexpr InputSpec kBatchByInput{2, {Size::kBatch, Size::kInput}, {1, 1}};
constexpr InputSpec kBatchByUnits{2, {Size::kBatch, Size::kUnits}, {1, 1}};
constexpr InputSpec kBatchByState{2, {Size::kBatch, Size::kState}, {1, 1}};
constexpr InputSpec kUnitsVector{1, {Size::kUnits, Size::kUnits}, {1, 1}};
constexpr InputSpec kUnusedOutputGrad{2, {Size::kBatch, Size::kUnits}, {1, 1}, true};

bool is_empty_vector(const Shape& s) { return s.rank() == 1 && s.dim(0) == 0; }

// [rows, gates * units] weights, rows = input + units (or + state).
constexpr InputSpec weights_spec(Size rows, int64_t gates) {
  return InputSpec{2, {rows, Size::kUnits}, {1, gates}};
}
constexpr InputSpec bias_spec(int64_t gates) {
  return InputSpec{1, {Size::kUnits, Size::kUnits}, {gates, gates}};
}

// Batch, input size, units and state width of one step; kUnknownDim where the shapes do not
// say.
struct CellSizes {
  int64_t batch = kUnknownDim, input = kUnknownDim, units = kUnknownDim, state = kUnknownDim;

  int64_t* get(Size s) {
    switch (s) {
      case Size::kBatch: return &batch;
      case Size::kInput: return &input;
      case Size::kState: case Size::kInputPlusState: return &state;
      default: return &units;
    }
  }
  // The expected value of mult * s, or kUnknownDim.
  int64_t expected(Size s, int64_t mult) const {
    if (s == Size::kInputPlusUnits || s == Size::kInputPlusState) {
      const int64_t other = s == Size::kInputPlusUnits ? units : state;
      return input == kUnknownDim || other == kUnknownDim ? kUnknownDim : input + other;
    }
    const int64_t v = s == Size::kBatch ? batch : s == Size::kInput ? input
                      : s == Size::kState ? state : units;
    return v == kUnknownDim ? kUnknownDim : v * mult;
  }
};

bool is_sum(Size s) { return s == Size::kInputPlusUnits || s == Size::kInputPlusState; }

const char* size_name(Size s, int64_t mult) {
  switch (s) {
    case Size::kBatch: return "batch";
    case Size::kInput: return "input_size";
    case Size::kState: return "state_size";
    case Size::kInputPlusUnits: return "input_size + units";
    case Size::kInputPlusState: return "input_size + state_size";
    case Size::kUnits: break;
  }
  return mult == 4 ? "4 * units" : mult == 2 ? "2 * units" : "units";
}

std::string spec_string(const InputSpec& spec) {
  std::string s = "[";
  for (int d = 0; d < spec.rank; ++d) {
    s += (d ? ", " : "") + std::string(size_name(spec.size[d], spec.mult[d]));
  }
  return s + "]";
}

// The shape `spec` gives with sizes `s` (unknown dims where they are unknown).
Shape sized(const CellSizes& s, const InputSpec& spec) {
  Shape out;
  for (int d = 0; d < spec.rank; ++d) out.add_dim(s.expected(spec.size[d], spec.mult[d]));
  return out;
}

// Finds the sizes of a step from the shapes of its inputs (partly unknown while building) and
// checks every shape against them. inputs[k] (with names[k]) follows specs[k]; a null spec is
// an input that is not checked. Returns "" or what is wrong.
std::string cell_sizes(const Shape* shapes, const char* const* names,
                       const InputSpec* const* given_specs, int n, CellSizes* sizes) {
  std::vector<const InputSpec*> specs(given_specs, given_specs + n);
  for (int k = 0; k < n; ++k) {
    if (specs[k] && specs[k]->may_be_empty && is_empty_vector(shapes[k])) specs[k] = nullptr;
  }
  for (int k = 0; k < n; ++k) {
    if (specs[k] && shapes[k].rank_known() && shapes[k].rank() != specs[k]->rank) {
      return std::string(names[k]) + " must be of rank " + std::to_string(specs[k]->rank) +
             " (" + spec_string(*specs[k]) + "), got shape " + shapes[k].to_string();
    }
  }
  // Direct sizes first, then input or units (state) from the weights' rows, their sum. The
  // weights and biases are read first: a mismatch is then blamed on a data input.
  std::vector<int> order;
  for (int weights = 1; weights >= 0; --weights) {
    for (int k = 0; k < n; ++k) {
      if (specs[k] && (specs[k]->rank == 1 || is_sum(specs[k]->size[0])) == (weights == 1)) {
        order.push_back(k);
      }
    }
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (int k : order) {
      if (!shapes[k].rank_known()) continue;
      for (int d = 0; d < specs[k]->rank; ++d) {
        const int64_t dim = shapes[k].dim(d);
        const Size s = specs[k]->size[d];
        if (dim == kUnknownDim || (pass == 0) == is_sum(s)) continue;
        if (is_sum(s)) {
          int64_t* other = sizes->get(s);
          if (*other != kUnknownDim && sizes->input == kUnknownDim && dim >= *other) {
            sizes->input = dim - *other;
          } else if (sizes->input != kUnknownDim && *other == kUnknownDim &&
                     dim >= sizes->input) {
            *other = dim - sizes->input;
          }
        } else if (*sizes->get(s) == kUnknownDim && dim % specs[k]->mult[d] == 0) {
          *sizes->get(s) = dim / specs[k]->mult[d];
        }
      }
    }
  }
  for (int k = 0; k < n; ++k) {
    if (!specs[k] || !shapes[k].rank_known()) continue;
    for (int d = 0; d < specs[k]->rank; ++d) {
      const int64_t want = sizes->expected(specs[k]->size[d], specs[k]->mult[d]);
      const int64_t dim = shapes[k].dim(d);
      if (dim != kUnknownDim && want != kUnknownDim && dim != want) {
        return std::string(names[k]) + " must have shape " + spec_string(*specs[k]) + " = " +
               sized(*sizes, *specs[k]).to_string() + " (batch " +
               std::to_string(sizes->batch) + ", input_size " + std::to_string(sizes->input) +
               ", units " + std::to_string(sizes->units) + "), got " + shapes[k].to_string();
      }
    }
  }
  return "";
}

// The inputs of each op, their names and expected shapes. The LSTM's peephole weights are
// checked only when use_peephole.
constexpr int kLstmInputs = 8;
constexpr const char* kLstmNames[] = {
    "x", "cs_prev", "h_prev", "w", "wci", "wcf", "wco", "b",
    "i", "cs", "f", "o", "ci", "co",
    "i_grad", "cs_grad", "f_grad", "o_grad", "ci_grad", "co_grad", "h_grad"};
constexpr InputSpec kLstmWeights = weights_spec(Size::kInputPlusState, 4);
constexpr InputSpec kLstmBias = bias_spec(4);
constexpr int kGruInputs = 6;
constexpr const char* kGruNames[] = {
    "x", "h_prev", "w_ru", "w_c", "b_ru", "b_c", "r", "u", "c",
    "r_grad", "u_grad", "c_grad", "h_grad"};
constexpr InputSpec kGruWeightsRu = weights_spec(Size::kInputPlusUnits, 2);
constexpr InputSpec kGruWeightsC = weights_spec(Size::kInputPlusUnits, 1);
constexpr InputSpec kGruBiasRu = bias_spec(2), kGruBiasC = bias_spec(1);

// The specs of an op's n inputs: the step's own inputs, then [batch, units] tensors, the
// gradients of the outputs but h (and an LSTM's cs) possibly empty.
std::vector<const InputSpec*> lstm_specs(int n, bool peephole) {
  std::vector<const InputSpec*> specs = {&kBatchByInput, &kBatchByUnits, &kBatchByState,
                                         &kLstmWeights, nullptr, nullptr, nullptr, &kLstmBias};
  if (peephole) specs[4] = specs[5] = specs[6] = &kUnitsVector;
  specs.resize(n, &kBatchByUnits);
  if (n > kLstmInputs) {
    for (int k : {14, 16, 17, 18, 19}) specs[k] = &kUnusedOutputGrad;  // i, f, o, ci, co
  }
  return specs;
}

std::vector<const InputSpec*> gru_specs(int n) {
  std::vector<const InputSpec*> specs = {&kBatchByInput, &kBatchByUnits, &kGruWeightsRu,
                                         &kGruWeightsC, &kGruBiasRu, &kGruBiasC};
  specs.resize(n, &kBatchByUnits);
  if (n > kGruInputs) {
    for (int k : {9, 10, 11}) specs[k] = &kUnusedOutputGrad;  // r, u, c
  }
  return specs;
}

// The data of input k of a gradient op, the gradient of an output: `zeros` when it is empty.
template <typename T>
const T* output_grad(const KernelContext& ctx, int k, const T* zeros) {
  return is_empty_vector(ctx.input(k).shape()) ? zeros : ctx.input(k).data<T>();
}

// Whether some of inputs [begin, end) of a gradient op are empty (zeros).
bool some_empty(const KernelContext& ctx, int begin, int end) {
  for (int k = begin; k < end; ++k) {
    if (is_empty_vector(ctx.input(k).shape())) return true;
  }
  return false;
}

// Checks dtypes (one float type for all inputs) and shapes; finds the sizes.
Status cell_shape_check(const InferenceContext& ctx, const char* const* names,
                        const std::vector<const InputSpec*>& specs, CellSizes* sizes) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, FloatTypes{}));
  std::vector<Shape> shapes;
  for (int k = 0; k < ctx.num_inputs(); ++k) {
    TL_RETURN_IF_ERROR(check_same_dtype(ctx, 0, k));
    if (!specs[k]) TL_RETURN_IF_ERROR(check_rank(ctx, k, 1, 1));
    shapes.push_back(ctx.input_shape(k));
  }
  const std::string error = cell_sizes(shapes.data(), names, specs.data(), ctx.num_inputs(),
                                       sizes);
  return error.empty() ? Status::OK() : shape_error(ctx, error);
}

// The run-time check of the same (the shape function does not run again when the outputs'
// shapes were fully known while building).
Status cell_kernel_check(const KernelContext& ctx, const char* op, const char* const* names,
                         const std::vector<const InputSpec*>& specs, CellSizes* sizes) {
  std::vector<Shape> shapes;
  for (int k = 0; k < ctx.num_inputs(); ++k) shapes.push_back(ctx.input(k).shape());
  const std::string error = cell_sizes(shapes.data(), names, specs.data(), ctx.num_inputs(),
                                       sizes);
  return error.empty() ? Status::OK() : invalid_argument(std::string(op) + ": " + error);
}

// x [batch, input], cs_prev [batch, units], h_prev [batch, state], w [input + state, 4 units],
// wci, wcf, wco [units] (read when use_peephole), b [4 units]
//   -> i, cs, f, o, ci, co, h: [batch, units] each.
Status lstm_cell_shape(InferenceContext& ctx) {
  CellSizes s;
  const bool peephole = ctx.attrs().get<bool>("use_peephole");
  TL_RETURN_IF_ERROR(cell_shape_check(ctx, kLstmNames, lstm_specs(kLstmInputs, peephole), &s));
  for (int k = 0; k < 7; ++k) ctx.set_output(k, ctx.input_dtype(0), sized(s, kBatchByUnits));
  return Status::OK();
}

// The step's inputs, its outputs but h, the gradients of all 7 outputs -> the gradients of
// the step's 8 inputs.
Status lstm_cell_grad_shape(InferenceContext& ctx) {
  CellSizes s;
  const bool peephole = ctx.attrs().get<bool>("use_peephole");
  TL_RETURN_IF_ERROR(cell_shape_check(ctx, kLstmNames, lstm_specs(ctx.num_inputs(), peephole),
                                      &s));
  const DType t = ctx.input_dtype(0);
  ctx.set_output(0, t, sized(s, kBatchByInput));
  ctx.set_output(1, t, sized(s, kBatchByUnits));
  ctx.set_output(2, t, sized(s, kBatchByState));
  ctx.set_output(3, t, sized(s, kLstmWeights));
  for (int k = 4; k < 7; ++k) ctx.set_output(k, t, ctx.input_shape(k));
  ctx.set_output(7, t, sized(s, kLstmBias));
  return Status::OK();
}

// x, h_prev, w_ru, w_c, b_ru, b_c -> r, u, c, h: [batch, units] each.
Status gru_cell_shape(InferenceContext& ctx) {
  CellSizes s;
  TL_RETURN_IF_ERROR(cell_shape_check(ctx, kGruNames, gru_specs(kGruInputs), &s));
  for (int k = 0; k < 4; ++k) ctx.set_output(k, ctx.input_dtype(0), sized(s, kBatchByUnits));
  return Status::OK();
}

// The step's inputs, r, u, c, the gradients of r, u, c, h -> the gradients of the 6 inputs.
Status gru_cell_grad_shape(InferenceContext& ctx) {
  CellSizes s;
  TL_RETURN_IF_ERROR(cell_shape_check(ctx, kGruNames, gru_specs(ctx.num_inputs()), &s));
  const DType t = ctx.input_dtype(0);
  ctx.set_output(0, t, sized(s, kBatchByInput));
  ctx.set_output(1, t, sized(s, kBatchByUnits));
  ctx.set_output(2, t, sized(s, kGruWeightsRu));
  ctx.set_output(3, t, sized(s, kGruWeightsC));
  ctx.set_output(4, t, sized(s, kGruBiasRu));
  ctx.set_output(5, t, sized(s, kGruBiasC));
  return Status::OK();
}

// ---- row math ----

template <typename T>
void sigmoid_span(T* x, int64_t n) {
#if TL_HAVE_SIMD_MATH
  if constexpr (std::is_same_v<T, float>) {
    if (cpu_has_avx2()) return simd::map_widest<simd::sigmoid_ps, simd::sigmoid_ps>(x, x, n);
  }
#endif
  for (int64_t j = 0; j < n; ++j) x[j] = T(1) / (T(1) + std::exp(-x[j]));
}

template <typename T>
void tanh_span(T* x, int64_t n) {
#if TL_HAVE_SIMD_MATH
  if constexpr (std::is_same_v<T, float>) {
    if (cpu_has_avx2()) return simd::map_widest<simd::tanh_ps, simd::tanh_ps>(x, x, n);
  }
#endif
  for (int64_t j = 0; j < n; ++j) x[j] = std::tanh(x[j]);
}

// fn(begin, end) over blocks of [0, rows) of `units` values each (about kTranscendentalGrain
// values per task), compiled for AVX2 where the CPU has it: the gate loops then run 8 floats
// wide.
template <typename F>
void for_rows(KernelContext& ctx, int64_t rows, int64_t units, const F& fn) {
  const int64_t grain = std::max<int64_t>(1, kTranscendentalGrain / std::max<int64_t>(1, units));
  ctx.parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    if (cpu_has_avx2()) return run_avx2(fn, begin, end);
    fn(begin, end);
  });
}

// out[c] = the sum over rows r of x[r * cols + c], rows added in order (the same result for
// any thread count).
template <typename T>
void column_sums(KernelContext& ctx, const T* x, int64_t rows, int64_t cols, T* out) {
  ctx.parallel_for(cols, std::max<int64_t>(8, kElementwiseGrain / std::max<int64_t>(1, rows)),
                   [&](int64_t b, int64_t e) {
    std::fill(out + b, out + e, T(0));
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = x + r * cols;
      for (int64_t c = b; c < e; ++c) out[c] += row[c];
    }
  });
}

// out[c] = the sum over rows r of x[r * ldx + c] * y[r * cols + c] (ordered as column_sums).
template <typename T>
void column_dots(KernelContext& ctx, const T* x, int64_t ldx, const T* y, int64_t rows,
                 int64_t cols, T* out) {
  ctx.parallel_for(cols, std::max<int64_t>(8, kElementwiseGrain / std::max<int64_t>(1, rows)),
                   [&](int64_t b, int64_t e) {
    std::fill(out + b, out + e, T(0));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = b; c < e; ++c) out[c] += x[r * ldx + c] * y[r * cols + c];
    }
  });
}

// This thread's scratch buffer `slot` (0-4) of at least n values, kept and grown between
// steps: a fresh allocation of this size at every step costs page faults that rival the
// step's own work. The kernels below write their scratch before reading it.
template <typename T>
T* scratch(int slot, int64_t n) {
  thread_local std::vector<T> buffers[5];
  std::vector<T>& b = buffers[slot];
  if (static_cast<int64_t>(b.size()) < n) b.resize(static_cast<size_t>(n));
  return b.data();
}

// out [rows, na + nb] = [a, b], row by row (a is [rows, na], b [rows, nb]).
template <typename T>
void concat_columns(KernelContext& ctx, const T* a, int64_t na, const T* b, int64_t nb,
                    int64_t rows, T* out) {
  ctx.parallel_for(rows, kElementwiseGrain / std::max<int64_t>(1, na + nb) + 1,
                   [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      std::copy(a + r * na, a + (r + 1) * na, out + r * (na + nb));
      std::copy(b + r * nb, b + (r + 1) * nb, out + r * (na + nb) + na);
    }
  });
}

// a [rows, na], b [rows, nb] = the two column blocks of in [rows, na + nb].
template <typename T>
void split_columns(KernelContext& ctx, const T* in, int64_t rows, T* a, int64_t na, T* b,
                   int64_t nb) {
  ctx.parallel_for(rows, kElementwiseGrain / std::max<int64_t>(1, na + nb) + 1,
                   [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const T* row = in + r * (na + nb);
      std::copy(row, row + na, a + r * na);
      std::copy(row + na, row + na + nb, b + r * nb);
    }
  });
}

// ---- LSTMBlockCell ----
//
//   [i, ci, f, o] = [x, h_prev] * w + b          (pre-activations, [batch, 4 * units])
//   i = sigmoid(i + cs_prev * wci)                (peephole terms only when use_peephole)
//   f = sigmoid(f + forget_bias + cs_prev * wcf)
//   ci = tanh(ci)
//   cs = clip(ci * i + cs_prev * f, -cell_clip, cell_clip)   (no clip when cell_clip < 0)
//   o = sigmoid(o + cs * wco)
//   co = tanh(cs)
//   h = co * o

struct LstmAttrs {
  explicit LstmAttrs(const AttrMap& a)
      : forget_bias(a.get<double>("forget_bias")), cell_clip(a.get<double>("cell_clip")),
        peephole(a.get<bool>("use_peephole")) {}
  double forget_bias, cell_clip;
  bool peephole;
};

Status lstm_cell_kernel(KernelContext& ctx) {
  const LstmAttrs attrs(ctx.attrs());
  CellSizes s;
  TL_RETURN_IF_ERROR(cell_kernel_check(ctx, "LSTMBlockCell", kLstmNames,
                                       lstm_specs(kLstmInputs, attrs.peephole), &s));
  return dispatch(FloatTypes{}, ctx.input(0).dtype(), "LSTMBlockCell", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t batch = s.batch, input = s.input, units = s.units, state = s.state;
    const int64_t gates = 4 * units;
    const T* x = ctx.input(0).data<T>();
    const T* cs_prev = ctx.input(1).data<T>();
    const T* h_prev = ctx.input(2).data<T>();
    const T* w = ctx.input(3).data<T>();
    const T* wci = ctx.input(4).data<T>();
    const T* wcf = ctx.input(5).data<T>();
    const T* wco = ctx.input(6).data<T>();
    const T* bias = ctx.input(7).data<T>();
    T* out[7];
    for (int k = 0; k < 7; ++k) out[k] = ctx.output(k).data<T>();
    T *i = out[0], *cs = out[1], *f = out[2], *o = out[3], *ci = out[4], *co = out[5];
    T* h = out[6];
    if (batch == 0 || units == 0) return;
    const int64_t rows = input + state;  // of w
    T* xh = scratch<T>(0, batch * rows);
    T* pre = scratch<T>(1, batch * gates);
    concat_columns<T>(ctx, x, input, h_prev, state, batch, xh);
    // In a loop (dynamic_rnn) w is packed once per run of the loop, not at every step.
    if (auto packed = loop_packed_b(ctx, 0).get<T>(ctx, 3, false, batch, gates, rows, w)) {
      gemm_packed<T>(ctx, false, batch, xh, rows, *packed, pre, gates, false);
    } else {
      gemm<T>(ctx, false, false, batch, gates, rows, xh, rows, w, gates, pre, gates, false);
    }
    const T forget_bias = static_cast<T>(attrs.forget_bias);
    const T clip = static_cast<T>(attrs.cell_clip);
    const bool peephole = attrs.peephole, clipped = attrs.cell_clip >= 0;
    // Each pass covers a block of rows, the activations one call over the whole block.
    for_rows(ctx, batch, units, [&](int64_t rb, int64_t re) {
      const int64_t begin = rb * units, len = (re - rb) * units;
      for (int64_t r = rb; r < re; ++r) {
        const T* g = pre + r * gates;
        const int64_t off = r * units;
        const T* cp = cs_prev + off;
        // NOTE: one loop per output: a loop writing three would need more run-time alias
        // checks than gcc makes, and would not be vectorised.
        for (int64_t j = 0; j < units; ++j) i[off + j] = g[j] + bias[j];
        for (int64_t j = 0; j < units; ++j) ci[off + j] = g[units + j] + bias[units + j];
        for (int64_t j = 0; j < units; ++j) {
          f[off + j] = g[2 * units + j] + bias[2 * units + j] + forget_bias;
        }
        if (peephole) {
          for (int64_t j = 0; j < units; ++j) i[off + j] += cp[j] * wci[j];
          for (int64_t j = 0; j < units; ++j) f[off + j] += cp[j] * wcf[j];
        }
      }
      sigmoid_span(i + begin, len);
      tanh_span(ci + begin, len);
      sigmoid_span(f + begin, len);
      for (int64_t k = begin; k < begin + len; ++k) cs[k] = ci[k] * i[k] + cs_prev[k] * f[k];
      if (clipped) {
        for (int64_t k = begin; k < begin + len; ++k) {
          cs[k] = std::min(std::max(cs[k], -clip), clip);
        }
      }
      std::copy(cs + begin, cs + begin + len, co + begin);
      for (int64_t r = rb; r < re; ++r) {
        const T* g = pre + r * gates + 3 * units;
        const int64_t off = r * units;
        for (int64_t j = 0; j < units; ++j) o[off + j] = g[j] + bias[3 * units + j];
        if (peephole) {
          for (int64_t j = 0; j < units; ++j) o[off + j] += cs[off + j] * wco[j];
        }
      }
      sigmoid_span(o + begin, len);
      tanh_span(co + begin, len);
      for (int64_t k = begin; k < begin + len; ++k) h[k] = co[k] * o[k];
    });
  });
}

// ---- LSTMBlockCellGrad ----
// Backwards through the step above, with the gradients of all its outputs (i_grad .. h_grad;
// those of i, f, o, ci and co may be empty: zeros). Pre-activation gradients, by row:
//   do = h_grad * co + o_grad,  dco = h_grad * o + co_grad
//   do_pre = do * o (1 - o)
//   dcs = cs_grad + dco (1 - co^2) + do_pre * wco, passed only where the clip did not act
//   di_pre = (dcs * ci + i_grad) i (1 - i),  dci_pre = (dcs * i + ci_grad) (1 - ci^2)
//   df_pre = (dcs * cs_prev + f_grad) f (1 - f)
//   cs_prev_grad = dcs * f + di_pre * wci + df_pre * wcf
// then x_grad, h_prev_grad = d_pre * w^T (split), w_grad = [x, h_prev]^T d_pre, b_grad and the
// peephole gradients are sums over the batch.

// The rows of the pass above, one at a time. NOTE: the pointers are __restrict and the
// options template parameters: a loop reading 13 arrays and writing 5 needs more run-time alias
// checks than gcc makes, and branches on the options would keep it from being vectorised too.
template <typename T, bool kPeephole, bool kClipped>
void lstm_grad_row(int64_t n, const T* __restrict i, const T* __restrict f,
                   const T* __restrict o, const T* __restrict ci, const T* __restrict co,
                   const T* __restrict cs_prev, const T* __restrict i_grad,
                   const T* __restrict cs_grad, const T* __restrict f_grad,
                   const T* __restrict o_grad, const T* __restrict ci_grad,
                   const T* __restrict co_grad, const T* __restrict h_grad,
                   const T* __restrict wci, const T* __restrict wcf, const T* __restrict wco,
                   T clip, T* __restrict d_i, T* __restrict d_ci, T* __restrict d_f,
                   T* __restrict d_o, T* __restrict cs_prev_grad) {
  const T one(1);
  for (int64_t j = 0; j < n; ++j) {
    const T o_pre = (h_grad[j] * co[j] + o_grad[j]) * o[j] * (one - o[j]);
    T dcs = cs_grad[j] + (h_grad[j] * o[j] + co_grad[j]) * (one - co[j] * co[j]);
    if constexpr (kPeephole) dcs += o_pre * wco[j];
    if constexpr (kClipped) dcs = std::abs(ci[j] * i[j] + cs_prev[j] * f[j]) > clip ? T(0) : dcs;
    const T i_pre = (dcs * ci[j] + i_grad[j]) * i[j] * (one - i[j]);
    const T f_pre = (dcs * cs_prev[j] + f_grad[j]) * f[j] * (one - f[j]);
    d_i[j] = i_pre;
    d_ci[j] = (dcs * i[j] + ci_grad[j]) * (one - ci[j] * ci[j]);
    d_f[j] = f_pre;
    d_o[j] = o_pre;
    T prev = dcs * f[j];
    if constexpr (kPeephole) prev += i_pre * wci[j] + f_pre * wcf[j];
    cs_prev_grad[j] = prev;
  }
}

// fn(a, b) with the flags as std::true_type / std::false_type (for template parameters).
template <typename F>
void with_flags(bool a, bool b, F&& fn) {
  if (a) {
    b ? fn(std::true_type{}, std::true_type{}) : fn(std::true_type{}, std::false_type{});
  } else {
    b ? fn(std::false_type{}, std::true_type{}) : fn(std::false_type{}, std::false_type{});
  }
}

Status lstm_cell_grad_kernel(KernelContext& ctx) {
  const LstmAttrs attrs(ctx.attrs());
  CellSizes s;
  TL_RETURN_IF_ERROR(cell_kernel_check(ctx, "LSTMBlockCellGrad", kLstmNames,
                                       lstm_specs(ctx.num_inputs(), attrs.peephole), &s));
  return dispatch(FloatTypes{}, ctx.input(0).dtype(), "LSTMBlockCellGrad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t batch = s.batch, input = s.input, units = s.units, state = s.state;
    const int64_t gates = 4 * units;
    // Zeros for the output gradients given as empty tensors.
    T* zeros = nullptr;
    if (some_empty(ctx, 14, 20)) {
      zeros = scratch<T>(2, batch * units);
      std::fill(zeros, zeros + batch * units, T(0));
    }
    const T* in[21];
    for (int k = 0; k < 21; ++k) in[k] = ctx.input(k).data<T>();
    for (int k : {14, 16, 17, 18, 19}) in[k] = output_grad<T>(ctx, k, zeros);
    const T *x = in[0], *cs_prev = in[1], *h_prev = in[2], *w = in[3];
    const T *wci = in[4], *wcf = in[5], *wco = in[6];
    const T *i = in[8], *cs = in[9], *f = in[10], *o = in[11], *ci = in[12], *co = in[13];
    const T *i_grad = in[14], *cs_grad = in[15], *f_grad = in[16], *o_grad = in[17];
    const T *ci_grad = in[18], *co_grad = in[19], *h_grad = in[20];
    T* x_grad = ctx.output(0).data<T>();
    T* cs_prev_grad = ctx.output(1).data<T>();
    T* h_prev_grad = ctx.output(2).data<T>();
    T* w_grad = ctx.output(3).data<T>();
    T* peep_grad[3] = {ctx.output(4).data<T>(), ctx.output(5).data<T>(),
                       ctx.output(6).data<T>()};
    T* b_grad = ctx.output(7).data<T>();
    for (int k = 0; k < 3; ++k) {
      std::fill(peep_grad[k], peep_grad[k] + ctx.output(4 + k).num_elements(), T(0));
    }
    T* d_pre = scratch<T>(0, batch * gates);
    const T clip = static_cast<T>(attrs.cell_clip);
    const bool peephole = attrs.peephole, clipped = attrs.cell_clip >= 0;
    with_flags(peephole, clipped, [&](auto peephole_flag, auto clipped_flag) {
      constexpr bool kPeephole = decltype(peephole_flag)::value;
      constexpr bool kClipped = decltype(clipped_flag)::value;
      for_rows(ctx, batch, units, [&](int64_t rb, int64_t re) {
        for (int64_t r = rb; r < re; ++r) {
          const int64_t off = r * units;
          T* d = d_pre + r * gates;
          lstm_grad_row<T, kPeephole, kClipped>(
              units, i + off, f + off, o + off, ci + off, co + off, cs_prev + off, i_grad + off,
              cs_grad + off, f_grad + off, o_grad + off, ci_grad + off, co_grad + off,
              h_grad + off, wci, wcf, wco, clip, d, d + units, d + 2 * units, d + 3 * units,
              cs_prev_grad + off);
        }
      });
    });
    if (batch > 0 && units > 0 && peephole) {
      column_dots<T>(ctx, d_pre, gates, cs_prev, batch, units, peep_grad[0]);
      column_dots<T>(ctx, d_pre + 2 * units, gates, cs_prev, batch, units, peep_grad[1]);
      column_dots<T>(ctx, d_pre + 3 * units, gates, cs, batch, units, peep_grad[2]);
    }
    // [x, h_prev] for w's gradient, then the gradient of [x, h_prev] in the same buffer.
    const int64_t rows = input + state;  // of w
    T* xh = scratch<T>(1, batch * rows);
    concat_columns<T>(ctx, x, input, h_prev, state, batch, xh);
    gemm<T>(ctx, true, false, rows, gates, batch, xh, rows, d_pre, gates, w_grad, gates, false);
    if (auto packed = loop_packed_b(ctx, 0).get<T>(ctx, 3, true, batch, rows, gates, w)) {
      gemm_packed<T>(ctx, false, batch, d_pre, gates, *packed, xh, rows, false);
    } else {
      gemm<T>(ctx, false, true, batch, rows, gates, d_pre, gates, w, gates, xh, rows, false);
    }
    split_columns<T>(ctx, xh, batch, x_grad, input, h_prev_grad, state);
    column_sums<T>(ctx, d_pre, batch, gates, b_grad);
  });
}

// ---- GRUBlockCell ----
//
//   [r, u] = sigmoid([x, h_prev] * w_ru + b_ru)
//   c = tanh([x, r * h_prev] * w_c + b_c)
//   h = u * h_prev + (1 - u) * c

Status gru_cell_kernel(KernelContext& ctx) {
  CellSizes s;
  TL_RETURN_IF_ERROR(cell_kernel_check(ctx, "GRUBlockCell", kGruNames, gru_specs(kGruInputs),
                                       &s));
  return dispatch(FloatTypes{}, ctx.input(0).dtype(), "GRUBlockCell", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t batch = s.batch, input = s.input, units = s.units;
    const T* x = ctx.input(0).data<T>();
    const T* h_prev = ctx.input(1).data<T>();
    const T* w_ru = ctx.input(2).data<T>();
    const T* w_c = ctx.input(3).data<T>();
    const T* b_ru = ctx.input(4).data<T>();
    const T* b_c = ctx.input(5).data<T>();
    T* r = ctx.output(0).data<T>();
    T* u = ctx.output(1).data<T>();
    T* c = ctx.output(2).data<T>();
    T* h = ctx.output(3).data<T>();
    if (batch == 0 || units == 0) return;
    // [x, h_prev], then [x, r * h_prev] in the same buffer.
    const int64_t rows = input + units;  // of the weights
    T* xh = scratch<T>(0, batch * rows);
    T* ru = scratch<T>(1, batch * 2 * units);
    concat_columns<T>(ctx, x, input, h_prev, units, batch, xh);
    gemm<T>(ctx, false, false, batch, 2 * units, rows, xh, rows, w_ru, 2 * units,
            ru, 2 * units, false);
    // Each pass covers a block of rows, the activations one call over the whole block.
    for_rows(ctx, batch, units, [&](int64_t rb, int64_t re) {
      for (int64_t row = rb; row < re; ++row) {
        const T* g = ru + row * 2 * units;
        const int64_t off = row * units;
        for (int64_t j = 0; j < units; ++j) {
          r[off + j] = g[j] + b_ru[j];
          u[off + j] = g[units + j] + b_ru[units + j];
        }
      }
      sigmoid_span(r + rb * units, (re - rb) * units);
      sigmoid_span(u + rb * units, (re - rb) * units);
      for (int64_t row = rb; row < re; ++row) {
        T* rh = xh + row * rows + input;
        const int64_t off = row * units;
        for (int64_t j = 0; j < units; ++j) rh[j] = r[off + j] * h_prev[off + j];
      }
    });
    gemm<T>(ctx, false, false, batch, units, rows, xh, rows, w_c, units, c, units, false);
    for_rows(ctx, batch, units, [&](int64_t rb, int64_t re) {
      const int64_t begin = rb * units, end = re * units;
      for (int64_t row = rb; row < re; ++row) {
        for (int64_t j = 0; j < units; ++j) c[row * units + j] += b_c[j];
      }
      tanh_span(c + begin, end - begin);
      for (int64_t k = begin; k < end; ++k) h[k] = u[k] * h_prev[k] + (T(1) - u[k]) * c[k];
    });
  });
}

// ---- GRUBlockCellGrad ----
// Backwards through the step above, with the gradients of r, u, c (each may be empty: zeros)
// and h:
//   dc_pre = (h_grad (1 - u) + c_grad) (1 - c^2)
//   [x_grad, d_rh] = dc_pre * w_c^T,  w_c_grad = [x, r * h_prev]^T dc_pre
//   dr_pre = (d_rh * h_prev + r_grad) r (1 - r),  du_pre = (h_grad (h_prev - c) + u_grad) u (1 - u)
//   [x_grad, h_prev_grad] += [dr_pre, du_pre] * w_ru^T, plus d_rh * r + h_grad * u for h_prev
//   w_ru_grad = [x, h_prev]^T [dr_pre, du_pre]; the bias gradients are sums over the batch.

Status gru_cell_grad_kernel(KernelContext& ctx) {
  CellSizes s;
  TL_RETURN_IF_ERROR(cell_kernel_check(ctx, "GRUBlockCellGrad", kGruNames,
                                       gru_specs(ctx.num_inputs()), &s));
  return dispatch(FloatTypes{}, ctx.input(0).dtype(), "GRUBlockCellGrad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t batch = s.batch, input = s.input, units = s.units;
    // Zeros for the output gradients given as empty tensors.
    T* zeros = nullptr;
    if (some_empty(ctx, 9, 12)) {
      zeros = scratch<T>(4, batch * units);
      std::fill(zeros, zeros + batch * units, T(0));
    }
    const T* in[13];
    for (int k = 0; k < 13; ++k) in[k] = ctx.input(k).data<T>();
    for (int k : {9, 10, 11}) in[k] = output_grad<T>(ctx, k, zeros);
    const T *x = in[0], *h_prev = in[1], *w_ru = in[2], *w_c = in[3];
    const T *r = in[6], *u = in[7], *c = in[8];
    const T *r_grad = in[9], *u_grad = in[10], *c_grad = in[11], *h_grad = in[12];
    T* x_grad = ctx.output(0).data<T>();
    T* h_prev_grad = ctx.output(1).data<T>();
    T* w_ru_grad = ctx.output(2).data<T>();
    T* w_c_grad = ctx.output(3).data<T>();
    T* b_ru_grad = ctx.output(4).data<T>();
    T* b_c_grad = ctx.output(5).data<T>();
    const int64_t rows = input + units, gates = 2 * units;  // of the weights
    // dc_pre; [dr_pre, du_pre]; [x, r * h_prev] then [x, h_prev]; the gradient of [x, r * h_prev]
    // then of [x, h_prev].
    T* dc = scratch<T>(0, batch * units);
    T* d_ru = scratch<T>(1, batch * gates);
    T* xh = scratch<T>(2, batch * rows);
    T* dxh = scratch<T>(3, batch * rows);
    concat_columns<T>(ctx, x, input, h_prev, units, batch, xh);
    for_rows(ctx, batch, units, [&](int64_t rb, int64_t re) {
      const T one(1);
      for (int64_t k = rb * units; k < re * units; ++k) {
        dc[k] = (h_grad[k] * (one - u[k]) + c_grad[k]) * (one - c[k] * c[k]);
      }
      // NOTE: one loop per output, as in lstm_cell_kernel.
      for (int64_t row = rb; row < re; ++row) {
        const int64_t off = row * units;
        T* rh = xh + row * rows + input;
        for (int64_t j = 0; j < units; ++j) rh[j] *= r[off + j];
        T* du = d_ru + row * gates + units;
        for (int64_t j = 0; j < units; ++j) {
          const int64_t k = off + j;
          du[j] = (h_grad[k] * (h_prev[k] - c[k]) + u_grad[k]) * u[k] * (one - u[k]);
        }
      }
    });
    gemm<T>(ctx, true, false, rows, units, batch, xh, rows, dc, units, w_c_grad, units, false);
    column_sums<T>(ctx, dc, batch, units, b_c_grad);
    gemm<T>(ctx, false, true, batch, rows, units, dc, units, w_c, units, dxh, rows, false);
    // The h columns of dxh: d(r * h_prev) -> dr_pre, and the direct part of h_prev's gradient.
    for_rows(ctx, batch, units, [&](int64_t rb, int64_t re) {
      for (int64_t row = rb; row < re; ++row) {
        const int64_t off = row * units;
        T* d_rh = dxh + row * rows + input;
        T* dr = d_ru + row * gates;
        for (int64_t j = 0; j < units; ++j) {
          const int64_t k = off + j;
          dr[j] = (d_rh[j] * h_prev[k] + r_grad[k]) * r[k] * (T(1) - r[k]);
        }
        for (int64_t j = 0; j < units; ++j) {
          d_rh[j] = d_rh[j] * r[off + j] + h_grad[off + j] * u[off + j];
        }
        std::copy(h_prev + off, h_prev + off + units, xh + row * rows + input);
      }
    });
    gemm<T>(ctx, false, true, batch, rows, gates, d_ru, gates, w_ru, gates, dxh, rows, true);
    split_columns<T>(ctx, dxh, batch, x_grad, input, h_prev_grad, units);
    gemm<T>(ctx, true, false, rows, gates, batch, xh, rows, d_ru, gates, w_ru_grad, gates, false);
    column_sums<T>(ctx, d_ru, batch, gates, b_ru_grad);
  });
}

OpDef lstm_attrs(OpDef def) {
  return def.attr("forget_bias", AttrType::kFloat, 1.0)
      .attr("cell_clip", AttrType::kFloat, -1.0)
      .attr("use_peephole", AttrType::kBool, false);
}

}  // namespace

void register_rnn_ops(OpRegistry& r) {
  OpDef lstm("LSTMBlockCell");
  for (int k = 0; k < kLstmInputs; ++k) lstm.input(kLstmNames[k]);
  r.add_builtin(lstm_attrs(std::move(lstm)).outputs(7).shape(lstm_cell_shape));
  OpDef lstm_grad("LSTMBlockCellGrad");
  for (const char* name : kLstmNames) lstm_grad.input(name);
  r.add_builtin(lstm_attrs(std::move(lstm_grad)).outputs(8).shape(lstm_cell_grad_shape));
  OpDef gru("GRUBlockCell");
  for (int k = 0; k < kGruInputs; ++k) gru.input(kGruNames[k]);
  r.add_builtin(gru.outputs(4).shape(gru_cell_shape));
  OpDef gru_grad("GRUBlockCellGrad");
  for (const char* name : kGruNames) gru_grad.input(name);
  r.add_builtin(gru_grad.outputs(6).shape(gru_cell_grad_shape));
}

void register_rnn_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("LSTMBlockCell", Device::kCPU)
                    .prepare(prepare_loop_packed_b<1>)
                    .compute(lstm_cell_kernel));
  r.add_builtin(KernelDef("LSTMBlockCellGrad", Device::kCPU)
                    .prepare(prepare_loop_packed_b<1>)
                    .compute(lstm_cell_grad_kernel));
  r.add_builtin(KernelDef("GRUBlockCell", Device::kCPU).compute(gru_cell_kernel));
  r.add_builtin(KernelDef("GRUBlockCellGrad", Device::kCPU).compute(gru_cell_grad_kernel));
}

}  // namespace tl
