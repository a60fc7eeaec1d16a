// Helpers shared by the CPU kernels: dtype dispatch, NumPy broadcasting loops, float16
// conversion and reading small integer tensors (axes, shapes).
//
//   return dispatch(FloatTypes{}, x.dtype(), "Exp", [&](auto tag) {
//     using T = typename decltype(tag)::type;
//     unary_map<T, T>(ctx, x, ctx.output(0), kTranscendentalGrain,
//                     [](T v) { return std::exp(v); });
//   });
#pragma once

#include <complex>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>

#include "tensorlib/dtype.h"
#include "tensorlib/kernel.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"
#include "tensorlib/tensor.h"

namespace tl {

// Allocates cache-line-aligned (64-byte) memory: for a std::vector of data that vector kernels
// load 32 or 64 bytes at a time. malloc aligns to 16 only, and a 64-byte load from an address
// that is not a multiple of 64 touches two cache lines.
template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(size_t n) {
    void* p = std::aligned_alloc(64, (n * sizeof(T) + 63) / 64 * 64);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <typename U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const CacheLineAllocator<U>&) const { return false; }
};

// Elements per task for cheap elementwise loops (add, compare, cast): below this, run inline.
constexpr int64_t kElementwiseGrain = 32768;
// Elements per task for loops that call exp/log per element.
constexpr int64_t kTranscendentalGrain = 4096;

// ---- dtype dispatch ----

// A C++ element type passed to a generic lambda as a value.
template <typename T>
struct TypeTag {
  using type = T;
};

// A set of element types that an op accepts.
template <typename... Ts>
struct TypeList {};

// The lists' dtypes followed by those of the lists after it: JoinTypes<FloatTypes, IntTypes>.
template <typename... Lists>
struct JoinTypesOf;
template <typename... Ts>
struct JoinTypesOf<TypeList<Ts...>> {
  using type = TypeList<Ts...>;
};
template <typename... As, typename... Bs, typename... Rest>
struct JoinTypesOf<TypeList<As...>, TypeList<Bs...>, Rest...> {
  using type = typename JoinTypesOf<TypeList<As..., Bs...>, Rest...>::type;
};
template <typename... Lists>
using JoinTypes = typename JoinTypesOf<Lists...>::type;

using FloatTypes = TypeList<float, double>;
// int32 and int64: the dtypes of indices, axes and shapes.
using IntTypes = TypeList<int32_t, int64_t>;
using NumericTypes = TypeList<float, double, int32_t, int64_t>;
using NumericOrBoolTypes = TypeList<float, double, int32_t, int64_t, bool>;
// Every integer dtype, signed and unsigned.
using AllIntTypes =
    TypeList<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
using ComplexTypes = TypeList<std::complex<float>, std::complex<double>>;
// float32, float64 and every integer: the dtypes that are ordered (max, min, less, argmax).
using RealTypes = JoinTypes<FloatTypes, AllIntTypes>;
// Real and complex: the dtypes with +, -, * (sum, prod).
using ArithmeticTypes = JoinTypes<RealTypes, ComplexTypes>;
// Every dtype that holds plain bits (all but string).
using PodTypes = JoinTypes<TypeList<Half, float, double, int32_t, int64_t, bool, BFloat16>,
                           TypeList<int8_t, int16_t, uint8_t, uint16_t, uint32_t, uint64_t>,
                           ComplexTypes>;

// True when `t` is one of the list's dtypes.
template <typename... Ts>
constexpr bool dtype_in(DType t, TypeList<Ts...>) {
  return ((t == DTypeOf<Ts>::value) || ...);
}

// "float32, float64": the list's dtypes for error messages.
template <typename... Ts>
std::string dtype_list(TypeList<Ts...>) {
  std::string s;
  ((s += (s.empty() ? "" : ", ") + std::string(dtype_name(DTypeOf<Ts>::value))), ...);
  return s;
}

// The TypeError of a kernel asked to run on a dtype it was not built for.
Status unsupported_dtype(const char* op, DType t, const std::string& allowed);

// fn(TypeTag<T>{}) as a Status, whether fn returns void or Status.
template <typename T, typename F>
Status call_with_tag(F& fn) {
  if constexpr (std::is_void_v<decltype(fn(TypeTag<T>{}))>) {
    fn(TypeTag<T>{});
    return Status::OK();
  } else {
    return fn(TypeTag<T>{});
  }
}

// Calls fn(TypeTag<T>{}) for the T of the list whose dtype is `t`; fn returns void or Status.
// Fails with a TypeError naming `op` and `t` when the list lacks `t`.
template <typename... Ts, typename F>
Status dispatch(TypeList<Ts...> list, DType t, const char* op, F&& fn) {
  Status s;
  const bool found = ((t == DTypeOf<Ts>::value && (s = call_with_tag<Ts>(fn), true)) || ...);
  if (!found) return unsupported_dtype(op, t, dtype_list(list));
  return s;
}

// ---- input checks the kernels of every device share ----

// An activation gradient's incoming gradients and features have one shape (TF's rule: not
// broadcast). NOTE: the shape function does not run again when the output's shape was fully
// known while building (from one of two partially known inputs), so kernels check.
Status check_activation_grad_shapes(const char* op, const Tensor& gradients,
                                    const Tensor& features);
// SparseSoftmaxCrossEntropyWithLogits: labels have the logits' shape but the last dim.
Status check_sparse_xent_shapes(const Tensor& logits, const Tensor& labels);

// ---- elementwise loops ----

// out[i] = fn(in[i]). `out` may share `in`'s buffer.
template <typename In, typename Out, typename F>
void unary_map(KernelContext& ctx, const Tensor& in, Tensor& out, int64_t grain, F fn) {
  const In* x = in.data<In>();
  Out* y = out.data<Out>();
  ctx.parallel_for(in.num_elements(), grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = fn(x[i]);
  });
}

// Two operands broadcast against each other, with runs of dims that broadcast alike merged
// and dims of size 1 dropped. Strides are in elements; 0 marks a broadcast dim. The last dim
// is the innermost loop: its strides are 0 or 1.
struct BroadcastLayout {
  int rank = 0;
  int64_t dims[kMaxRank];
  int64_t stride_a[kMaxRank];
  int64_t stride_b[kMaxRank];
};

// The layout of NumPy-broadcasting `a` against `b` (fully defined, compatible shapes, no dim 0).
void make_broadcast_layout(const Shape& a, const Shape& b, BroadcastLayout* layout);

// ---- walking strided layouts ----

// Splits `index` (row-major over dims[0..rank)) into idx[0..rank) and returns its element
// offsets along two sets of strides.
inline void strided_offsets(const int64_t* dims, const int64_t* stride_a, const int64_t* stride_b,
                            int rank, int64_t index, int64_t* idx, int64_t* off_a,
                            int64_t* off_b) {
  int64_t a = 0, b = 0;
  for (int d = rank - 1; d >= 0; --d) {
    idx[d] = index % dims[d];
    index /= dims[d];
    a += idx[d] * stride_a[d];
    b += idx[d] * stride_b[d];
  }
  *off_a = a;
  *off_b = b;
}

// Advances idx[0..rank) to the next index (row-major over dims) and the offsets with it.
inline void next_strided_index(const int64_t* dims, const int64_t* stride_a,
                               const int64_t* stride_b, int rank, int64_t* idx, int64_t* off_a,
                               int64_t* off_b) {
  for (int d = rank - 1; d >= 0; --d) {
    *off_a += stride_a[d];
    *off_b += stride_b[d];
    if (++idx[d] < dims[d]) return;
    *off_a -= dims[d] * stride_a[d];
    *off_b -= dims[d] * stride_b[d];
    idx[d] = 0;
  }
}

// strided_offsets over a broadcast layout's first `rank` dims (rank = l.rank - 1 when `index`
// counts inner rows).
inline void broadcast_offsets(const BroadcastLayout& l, int rank, int64_t index, int64_t* idx,
                              int64_t* off_a, int64_t* off_b) {
  strided_offsets(l.dims, l.stride_a, l.stride_b, rank, index, idx, off_a, off_b);
}

// o[j] = fn(a[j], b[j]) for j < n, where an operand that is not `full` is one value (*a or
// *b; at most one of them).
template <typename In, typename Out, typename F>
inline __attribute__((always_inline)) void binary_row(const In* a, bool a_full, const In* b,
                                                      bool b_full, Out* o, int64_t n, F fn) {
  if (a_full && b_full) {
    for (int64_t j = 0; j < n; ++j) o[j] = fn(a[j], b[j]);
  } else if (a_full) {
    const In bv = *b;
    for (int64_t j = 0; j < n; ++j) o[j] = fn(a[j], bv);
  } else {
    const In av = *a;
    for (int64_t j = 0; j < n; ++j) o[j] = fn(av, b[j]);
  }
}

// out = a (op) b with NumPy broadcasting, computed in rows by
// row(const In* a, bool a_full, const In* b, bool b_full, Out* o, int64_t n), which does what
// binary_row does (typically binary_row itself, compiled for the CPU at hand). `out` has the
// broadcast shape and may share the buffer of an operand of that same size (each element is
// read before it is written).
template <typename In, typename Out, typename Row>
void binary_map(KernelContext& ctx, const Tensor& a, const Tensor& b, Tensor& out, int64_t grain,
                Row row) {
  const In* pa = a.data<In>();
  const In* pb = b.data<In>();
  Out* po = out.data<Out>();
  const int64_t n = out.num_elements();
  const int64_t na = a.num_elements(), nb = b.num_elements();
  if (n == 0) return;
  if ((na == n || na == 1) && (nb == n || nb == 1)) {
    const bool a_full = na == n, b_full = nb == n;
    ctx.parallel_for(n, grain, [&](int64_t begin, int64_t end) {
      row(pa + (a_full ? begin : 0), a_full, pb + (b_full ? begin : 0), b_full, po + begin,
          end - begin);
    });
    return;
  }
  BroadcastLayout l;
  make_broadcast_layout(a.shape(), b.shape(), &l);
  const int outer_rank = l.rank - 1;
  const int64_t inner = l.dims[outer_rank];
  const bool a_full = l.stride_a[outer_rank] != 0, b_full = l.stride_b[outer_rank] != 0;
  ctx.parallel_for(n / inner, grain / inner + 1, [&](int64_t begin, int64_t end) {
    int64_t idx[kMaxRank];
    int64_t oa, ob;
    broadcast_offsets(l, outer_rank, begin, idx, &oa, &ob);
    for (int64_t r = begin; r < end; ++r) {
      row(pa + oa, a_full, pb + ob, b_full, po + r * inner, inner);
      next_strided_index(l.dims, l.stride_a, l.stride_b, outer_rank, idx, &oa, &ob);
    }
  });
}

// ---- float16 ----

// The float a half holds (exact).
inline float half_to_float(Half h) {
  const uint32_t sign = static_cast<uint32_t>(h.bits & 0x8000u) << 16;
  const uint32_t exponent = (h.bits >> 10) & 0x1fu;
  const uint32_t mantissa = h.bits & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    const float f = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -f : f;
  }
  const uint32_t bits = exponent == 0x1f ? sign | 0x7f800000u | (mantissa << 13)
                                         : sign | ((exponent + 112) << 23) | (mantissa << 13);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// The half nearest to f (ties to even); overflow gives infinity, NaN stays NaN.
inline Half float_to_half(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t abs = bits & 0x7fffffffu;
  uint16_t h;
  if (abs > 0x7f800000u) {
    h = 0x7e00;
  } else if (abs >= 0x477ff000u) {  // >= 65520 rounds past the largest half (65504)
    h = 0x7c00;
  } else if (abs < 0x38800000u) {  // below 2^-14: a subnormal half or zero
    // NOTE: adding 0.5 makes the FPU round to a multiple of 2^-24 (the subnormal half step)
    // with its own ties-to-even; the low mantissa bits are then the half's bits.
    float a;
    std::memcpy(&a, &abs, sizeof a);
    const float shifted = a + 0.5f;
    uint32_t s;
    std::memcpy(&s, &shifted, sizeof s);
    h = static_cast<uint16_t>(s - 0x3f000000u);
  } else {
    // Rebias the exponent (127 -> 15) and round 23 mantissa bits to 10, ties to even.
    abs += 0xc8000fffu + ((abs >> 13) & 1u);
    h = static_cast<uint16_t>(abs >> 13);
  }
  return Half{static_cast<uint16_t>(sign | h)};
}

// ---- bfloat16 ----

// The float a bfloat16 holds (exact).
inline float bfloat16_to_float(BFloat16 h) {
  const uint32_t bits = static_cast<uint32_t>(h.bits) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// The bfloat16 nearest to f (ties to even); NaN stays NaN.
inline BFloat16 float_to_bfloat16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    return BFloat16{static_cast<uint16_t>((bits >> 16) | 0x40u)};  // a quiet NaN
  }
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return BFloat16{static_cast<uint16_t>(bits >> 16)};
}

// ---- small integer tensors ----

// Element i of an int32 or int64 tensor.
inline int64_t int_element(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kInt32 ? t.data<int32_t>()[i] : t.data<int64_t>()[i];
}

// Reads the dims held by an int32/int64 scalar or 1-D tensor. Every entry must be >= 0, except
// that -1 is kept as kUnknownDim when `allow_unknown` (Reshape's inferred size).
Status read_dims(const Tensor& t, bool allow_unknown, Shape* out);

}  // namespace tl
