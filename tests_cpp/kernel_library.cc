// An op library for tests_cpp/test_op_library.cc, built once per variant (-D<VARIANT>):
//
//   default       a GPU kernel for tensorlib's "Add" (a host stand-in that computes x + y + 1000,
//                 so a test can tell it from the CPU kernel), and a new op "ScaleByConstant"
//                 whose CPU kernel prepares its factor from a constant input
//   CPU_ADD       a second CPU kernel for "Add": refused, the CPU one exists
//   UNKNOWN_OP    a kernel for an op that nobody declares: refused
//
//   g++ -std=c++17 -shared -fPIC -Iinclude tests_cpp/kernel_library.cc -L<pkg>/lib -ltensorlib
//       -o libkernels.so
#include <memory>

#include "tensorlib/op_library.h"

namespace {

// y = x + y + 1000, float32 only: the GPU kernel's stand-in.
tl::Status add_stand_in(tl::KernelContext& ctx) {
  const float* x = ctx.input(0).data<float>();
  const float* y = ctx.input(1).data<float>();
  float* out = ctx.output(0).data<float>();
  for (int64_t i = 0; i < ctx.output(0).num_elements(); ++i) out[i] = x[i] + y[i] + 1000.0f;
  return tl::Status::OK();
}

tl::Status scale_shape(tl::InferenceContext& ctx) {
  if (ctx.input_dtype(0) != tl::DType::kFloat32 || ctx.input_dtype(1) != tl::DType::kFloat32) {
    return tl::type_error("float32 only");
  }
  ctx.set_output(0, tl::DType::kFloat32, ctx.input_shape(0));
  ctx.set_output(1, tl::DType::kFloat32, tl::Shape({}));
  return tl::Status::OK();
}

// The factor, read once from the constant `factor` input.
struct Factor : tl::KernelState {
  float value;
};

tl::Status scale_prepare(tl::PrepareContext& ctx, std::unique_ptr<tl::KernelState>* state) {
  const tl::Tensor* factor = ctx.constant_input(1);
  if (!factor) return tl::Status::OK();  // a fed factor: read at every run
  auto s = std::make_unique<Factor>();
  s->value = *factor->data<float>();
  *state = std::move(s);
  return tl::Status::OK();
}

// Output 0: x * factor; output 1: 1 when the factor came from the prepared state, else 0.
tl::Status scale_compute(tl::KernelContext& ctx) {
  const auto* prepared = static_cast<const Factor*>(ctx.kernel_state());
  const float factor = prepared ? prepared->value : *ctx.input(1).data<float>();
  const float* x = ctx.input(0).data<float>();
  float* y = ctx.output(0).data<float>();
  for (int64_t i = 0; i < ctx.output(0).num_elements(); ++i) y[i] = x[i] * factor;
  *ctx.output(1).data<float>() = prepared ? 1.0f : 0.0f;
  return tl::Status::OK();
}

}  // namespace

TL_OP_LIBRARY(lib) {
#if defined(CPU_ADD)
  lib.add(tl::KernelDef("Add", tl::Device::kCPU).compute(add_stand_in));
#elif defined(UNKNOWN_OP)
  lib.add(tl::KernelDef("NoSuchOpForTest", tl::Device::kGPU).compute(add_stand_in));
#else
  // An op of tensorlib's that no build has a GPU kernel for.
  lib.add(tl::KernelDef("ComplexAbs", tl::Device::kGPU).compute(add_stand_in));
  lib.add(tl::OpDef("ScaleByConstant").input("x").input("factor").outputs(2).shape(scale_shape));
  lib.add(tl::KernelDef("ScaleByConstant", tl::Device::kCPU)
              .prepare(scale_prepare)
              .compute(scale_compute));
#endif
}
