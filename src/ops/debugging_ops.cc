// Print, PrintV2 (tf.print), Assert and CheckNumerics: ops that look at values while a graph
// runs, and either report them (through the host's streams, host.h) or stop the run.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <string>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/shape_fns.h"
#include "tensorlib/host.h"

namespace tl {
namespace {

// ---- formatting values ------------------------------------------------------------------

template <typename T>
void append_float(std::string* out, T v) {
  if (std::isnan(v)) {
    out->append("nan");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "inf" : "-inf");
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);  // shortest form that reads back
    out->append(buf, r.ptr);
  }
}

// Element `i` of `t` as text (strings quoted when `quote`).
void append_element(std::string* out, const Tensor& t, int64_t i, bool quote) {
  switch (t.dtype()) {
    case DType::kFloat32: return append_float(out, t.data<float>()[i]);
    case DType::kFloat64: return append_float(out, t.data<double>()[i]);
    case DType::kFloat16: return append_float(out, half_to_float(t.data<Half>()[i]));
    case DType::kInt32: out->append(std::to_string(t.data<int32_t>()[i])); return;
    case DType::kInt64: out->append(std::to_string(t.data<int64_t>()[i])); return;
    case DType::kBool: out->append(t.data<bool>()[i] ? "1" : "0"); return;
    case DType::kString:
      if (quote) out->push_back('"');
      out->append(t.data<std::string>()[i]);
      if (quote) out->push_back('"');
      return;
    default: out->append("?"); return;
  }
}

// TF1's Print/Assert summary of one tensor, which they wrap in brackets: at most
// `max_entries` elements in all (every one when negative), then "..."; rows of matrices and
// higher ranks in brackets of their own ("[1 2][3 4]").
std::string summarize_legacy(const Tensor& t, int64_t max_entries) {
  const int64_t n = t.num_elements();
  const int64_t shown = max_entries < 0 ? n : std::min(n, max_entries);
  const Shape& shape = t.shape();
  std::string out;
  int64_t depth = 0;  // brackets open
  for (int64_t i = 0; i < shown; ++i) {
    int64_t opens = 0, stride = 1;
    for (int d = shape.rank() - 1; d >= 1; --d) {
      stride *= shape.dim(d);
      if (i % stride == 0) ++opens;
    }
    if (i > 0 && opens == 0) out.push_back(' ');
    out.append(static_cast<size_t>(opens), '[');
    depth += opens;
    append_element(&out, t, i, false);
    int64_t closes = 0;
    stride = 1;
    for (int d = shape.rank() - 1; d >= 1; --d) {
      stride *= shape.dim(d);
      if ((i + 1) % stride == 0) ++closes;
    }
    out.append(static_cast<size_t>(closes), ']');
    depth -= closes;
  }
  if (shown < n) out.append("...");
  out.append(static_cast<size_t>(depth), ']');
  return out;
}

// tf.print's NumPy-like layout: per dim the first and last `summarize` entries around "...",
// rows on their own lines.
void append_numpy_style(std::string* out, const Tensor& t, int dim, int64_t offset,
                        int64_t summarize) {
  const Shape& shape = t.shape();
  if (dim == shape.rank()) {
    append_element(out, t, offset, true);
    return;
  }
  int64_t inner = 1;
  for (int d = dim + 1; d < shape.rank(); ++d) inner *= shape.dim(d);
  const int64_t size = shape.dim(dim);
  const bool elide = summarize >= 0 && size > 2 * summarize;
  out->push_back('[');
  for (int64_t i = 0; i < size; ++i) {
    if (elide && i == summarize) {
      out->append(dim + 1 == shape.rank() ? " ..." : "\n" + std::string(dim + 1, ' ') + "...");
      i = size - summarize - 1;
      continue;
    }
    if (i > 0) {
      if (dim + 1 == shape.rank()) {
        out->push_back(' ');
      } else {
        out->append(static_cast<size_t>(shape.rank() - dim - 1), '\n');
        out->append(static_cast<size_t>(dim + 1), ' ');
      }
    }
    append_numpy_style(out, t, dim + 1, offset + i * inner, summarize);
  }
  out->push_back(']');
}

std::string summarize_numpy_style(const Tensor& t, int64_t summarize) {
  std::string out;
  if (t.shape().rank() == 0) {
    if (t.num_elements() > 0) append_element(&out, t, 0, false);
    return out;
  }
  append_numpy_style(&out, t, 0, 0, summarize);
  return out;
}

// ---- Print ------------------------------------------------------------------------------

struct PrintState : KernelState {
  mutable std::atomic<int64_t> printed{0};  // times printed, for first_n
};

Status print_prepare(PrepareContext&, std::unique_ptr<KernelState>* state) {
  *state = std::make_unique<PrintState>();
  return Status::OK();
}

Status print_kernel(KernelContext& ctx) {
  ctx.output(0) = ctx.input(0);
  const int64_t first_n = ctx.attrs().get<int64_t>("first_n");
  const auto& state = static_cast<const PrintState&>(*ctx.kernel_state());
  if (first_n >= 0 && state.printed.fetch_add(1) >= first_n) return Status::OK();
  const int64_t summarize = ctx.attrs().get<int64_t>("summarize");
  std::string text = ctx.attrs().get<std::string>("message");
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    text += "[" + summarize_legacy(ctx.input(i), summarize) + "]";
  }
  host_write(HostStream::kStderr, text + "\n");
  return Status::OK();
}

Status print_shape(InferenceContext& ctx) {
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

// ---- PrintV2 (tf.print) ----------------------------------------------------------------

Status print_v2_kernel(KernelContext& ctx) {
  const std::string& format = ctx.attrs().get<std::string>("template");
  const std::string& placeholder = ctx.attrs().get<std::string>("placeholder");
  const int64_t summarize = ctx.attrs().get<int64_t>("summarize");
  const std::string& stream = ctx.attrs().get<std::string>("output_stream");
  std::string text;
  size_t pos = 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const size_t at = format.find(placeholder, pos);
    if (at == std::string::npos) {
      return invalid_argument("PrintV2's template has fewer placeholders than its " +
                              std::to_string(ctx.num_inputs()) + " inputs");
    }
    text.append(format, pos, at - pos);
    text += summarize_numpy_style(ctx.input(i), summarize);
    pos = at + placeholder.size();
  }
  text.append(format, pos, std::string::npos);
  text += ctx.attrs().get<std::string>("end");
  if (stream.rfind("file://", 0) == 0) {
    std::FILE* f = std::fopen(stream.c_str() + 7, "a");
    if (!f) return invalid_argument("tf.print cannot open " + stream.substr(7));
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    return Status::OK();
  }
  host_write(stream == "stdout" ? HostStream::kStdout
             : stream == "log(info)" ? HostStream::kLogInfo : HostStream::kStderr,
             text);
  return Status::OK();
}

Status print_v2_shape(InferenceContext& ctx) {
  const std::string& stream = ctx.attrs().get<std::string>("output_stream");
  if (stream != "stderr" && stream != "stdout" && stream != "log(info)" &&
      stream.rfind("file://", 0) != 0) {
    return invalid_argument("output_stream must be sys.stderr, sys.stdout, "
                            "tf.logging.info or 'file://<path>', got '" + stream + "'");
  }
  return Status::OK();
}

// ---- Assert -----------------------------------------------------------------------------

Status assert_shape(InferenceContext& ctx) {
  if (ctx.input_dtype(0) != DType::kBool) {
    return type_error("Assert's condition must be bool, not " +
                      std::string(dtype_name(ctx.input_dtype(0))));
  }
  if (ctx.input_shape(0).rank_known() && ctx.input_shape(0).rank() != 0 &&
      ctx.input_shape(0).is_fully_defined() && ctx.input_shape(0).dim(0) != 1) {
    return invalid_argument("Assert's condition must be a scalar, not of shape " +
                            ctx.input_shape(0).to_string());
  }
  return Status::OK();
}

Status assert_kernel(KernelContext& ctx) {
  const Tensor& cond = ctx.input(0);
  if (cond.num_elements() != 1) {
    return invalid_argument("Assert's condition must be a scalar, not of shape " +
                            cond.shape().to_string());
  }
  if (cond.data<bool>()[0]) return Status::OK();
  const int64_t summarize = ctx.attrs().get<int64_t>("summarize");
  std::string text = "assertion failed: ";
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (i > 1) text += " ";
    text += "[" + summarize_legacy(ctx.input(i), summarize) + "]";
  }
  return invalid_argument(text);
}

// ---- CheckNumerics ----------------------------------------------------------------------

template <typename T, typename ToFloat>
void find_non_finite(const Tensor& x, ToFloat to_float, bool* nan, bool* inf) {
  const T* p = x.data<T>();
  for (int64_t i = 0; i < x.num_elements(); ++i) {
    const auto v = to_float(p[i]);
    *nan |= std::isnan(v);
    *inf |= std::isinf(v);
  }
}

Status check_numerics_shape(InferenceContext& ctx) {
  if (!dtype_is_floating(ctx.input_dtype(0))) {
    return dtype_error(ctx, 0, "float16, float32, float64");
  }
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return Status::OK();
}

Status check_numerics_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  bool nan = false, inf = false;
  const auto same = [](auto v) { return v; };
  switch (x.dtype()) {
    case DType::kFloat32: find_non_finite<float>(x, same, &nan, &inf); break;
    case DType::kFloat64: find_non_finite<double>(x, same, &nan, &inf); break;
    case DType::kFloat16: find_non_finite<Half>(x, half_to_float, &nan, &inf); break;
    default: break;
  }
  if (nan || inf) {
    const char* what = nan && inf ? "Inf and NaN" : nan ? "NaN" : "Inf";
    return invalid_argument(ctx.attrs().get<std::string>("message") + " : Tensor had " + what +
                            " values");
  }
  ctx.output(0) = x;
  return Status::OK();
}

}  // namespace

void register_debugging_ops(OpRegistry& r) {
  r.add_builtin(OpDef("Print")
                    .input("input")
                    .variadic_input("data")
                    .attr("message", AttrType::kString, std::string())
                    .attr("first_n", AttrType::kInt, int64_t{-1})
                    .attr("summarize", AttrType::kInt, int64_t{3})
                    .shape(print_shape)
                    .sets_own_outputs()
                    .stateful());
  r.add_builtin(OpDef("PrintV2")
                    .variadic_input("inputs")
                    .outputs(0)
                    .attr("template", AttrType::kString)
                    .attr("placeholder", AttrType::kString, std::string("{}"))
                    .attr("summarize", AttrType::kInt, int64_t{3})
                    .attr("output_stream", AttrType::kString, std::string("stderr"))
                    .attr("end", AttrType::kString, std::string("\n"))
                    .shape(print_v2_shape)
                    .stateful());
  r.add_builtin(OpDef("Assert")
                    .input("condition")
                    .variadic_input("data")
                    .outputs(0)
                    .attr("summarize", AttrType::kInt, int64_t{3})
                    .shape(assert_shape)
                    .stateful());
  r.add_builtin(OpDef("CheckNumerics")
                    .input("tensor")
                    .attr("message", AttrType::kString)
                    .shape(check_numerics_shape)
                    .sets_own_outputs());
}

void register_debugging_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("Print", Device::kCPU).prepare(print_prepare).compute(print_kernel));
  r.add_builtin(KernelDef("PrintV2", Device::kCPU).compute(print_v2_kernel));
  r.add_builtin(KernelDef("Assert", Device::kCPU).compute(assert_kernel));
  r.add_builtin(KernelDef("CheckNumerics", Device::kCPU).compute(check_numerics_kernel));
}

}  // namespace tl
