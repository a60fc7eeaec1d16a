#include "cuda/ops/kernel_util.h"

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
  if (t.buffer()->device() != Device::kCPU) {
    return internal_error("integer input " + std::to_string(i) +
                          " is not in host memory: register it with host_memory_input");
  }
  append_ints(t.raw_data(), t.dtype(), t.num_elements(), values);
  return Status::OK();
}

}  // namespace cuda
}  // namespace tl
