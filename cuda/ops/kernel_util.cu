#include "cuda/ops/kernel_util.h"

#include "cuda/runtime.h"

namespace tl {
namespace cuda {
namespace {

void append_ints(const void* data, DType dtype, int64_t n, std::vector<int64_t>* values) {
  for (int64_t i = 0; i < n; ++i) {
    values->push_back(dtype == DType::kInt32 ? static_cast<const int32_t*>(data)[i]
                                             : static_cast<const int64_t*>(data)[i]);
  }
}

}  // namespace

template <int kInput>
Status prepare_int_input(PrepareContext& ctx, std::unique_ptr<KernelState>* state) {
  const Tensor* t = ctx.constant_input(kInput);
  if (!t || (t->dtype() != DType::kInt32 && t->dtype() != DType::kInt64)) return Status::OK();
  auto s = std::make_unique<IntInputState>();
  append_ints(t->raw_data(), t->dtype(), t->num_elements(), &s->values);
  *state = std::move(s);
  return Status::OK();
}
template Status prepare_int_input<1>(PrepareContext&, std::unique_ptr<KernelState>*);

Status int_input(const KernelContext& ctx, int i, std::vector<int64_t>* values) {
  values->clear();
  if (const auto* s = dynamic_cast<const IntInputState*>(ctx.kernel_state())) {
    *values = s->values;
    return Status::OK();
  }
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64) {
    return invalid_argument("expected an int32 or int64 input, got " +
                            std::string(dtype_name(t.dtype())));
  }
  if (t.num_elements() == 0) return Status::OK();
  if (t.buffer()->device() == Device::kCPU) {  // a host-memory input
    append_ints(t.raw_data(), t.dtype(), t.num_elements(), values);
    return Status::OK();
  }
  std::vector<int64_t> host(static_cast<size_t>(t.num_elements()));
  cudaStream_t stream = compute_stream(ctx);
  TL_RETURN_IF_ERROR(cuda_status(
      cudaMemcpyAsync(host.data(), t.raw_data(), t.num_bytes(), cudaMemcpyDeviceToHost, stream),
      "cudaMemcpyAsync of a small integer input"));
  TL_RETURN_IF_ERROR(cuda_status(cudaStreamSynchronize(stream), "cudaStreamSynchronize"));
  append_ints(host.data(), t.dtype(), t.num_elements(), values);
  return Status::OK();
}

}  // namespace cuda
}  // namespace tl
