#include "tensorlib/tensor.h"

#include "tensorlib/devices.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>


namespace tl {

std::shared_ptr<Buffer> Buffer::make(void* data, size_t size, bool owned, ReleaseFn release,
                                     void* context) {
  struct Shared : Buffer {
    Shared(void* d, size_t s, bool o, ReleaseFn r, void* c) : Buffer(d, s, o, r, c) {}
  };
  return std::make_shared<Shared>(data, size, owned, release, context);
}

std::shared_ptr<Buffer> Buffer::allocate(size_t bytes) { return host_allocator().allocate(bytes); }

std::shared_ptr<Buffer> Buffer::adopt(void* data, size_t bytes, Device device, int index,
                                      ReleaseFn give_back, void* context) {
  std::shared_ptr<Buffer> b = make(data, bytes, true, nullptr, context);
  b->device_ = device;
  b->device_index_ = index;
  b->give_back_ = give_back;
  return b;
}

std::shared_ptr<Buffer> Buffer::allocate_strings(int64_t n) {
  // Plain heap memory, freed with the strings (never cached: its bytes are std::strings).
  const size_t bytes = static_cast<size_t>(n) * sizeof(std::string);
  const size_t rounded = (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  void* data = std::aligned_alloc(kBufferAlignment, rounded ? rounded : kBufferAlignment);
  if (!data) return nullptr;
  std::shared_ptr<Buffer> b = make(data, bytes, true, nullptr, nullptr);
  auto* p = static_cast<std::string*>(b->data_);
  for (int64_t i = 0; i < n; ++i) new (p + i) std::string();
  b->release_ = [](void* data, void* count) {
    auto* s = static_cast<std::string*>(data);
    for (intptr_t i = 0, c = reinterpret_cast<intptr_t>(count); i < c; ++i) s[i].~basic_string();
  };
  b->context_ = reinterpret_cast<void*>(static_cast<intptr_t>(n));
  return b;
}

std::shared_ptr<Buffer> Buffer::borrow(void* data, size_t bytes, ReleaseFn release,
                                       void* context) {
  return make(data, bytes, false, release, context);
}

std::shared_ptr<Buffer> Buffer::view(std::shared_ptr<const Buffer> parent, const void* data,
                                     size_t bytes) {
  auto* keep = new std::shared_ptr<const Buffer>(std::move(parent));
  auto release = [](void*, void* context) {
    delete static_cast<std::shared_ptr<const Buffer>*>(context);
  };
  return borrow(const_cast<void*>(data), bytes, release, keep);
}

Buffer::~Buffer() {
  if (release_) release_(data_, context_);
  if (!owned_) return;
  if (give_back_) {
    give_back_(data_, context_);
  } else {
    std::free(data_);
  }
}

Tensor::Tensor(DType dtype, const Shape& shape, std::shared_ptr<Buffer> buffer)
    : dtype_(dtype), shape_(shape), num_elements_(shape.num_elements()),
      data_(buffer ? buffer->data() : nullptr), buffer_(std::move(buffer)) {}

Status Tensor::allocate(DType dtype, const Shape& shape, Tensor* out) {
  TL_RETURN_IF_ERROR(check_size(shape));
  const int64_t n = shape.num_elements();
  if (n < 0) {
    return internal_error("cannot allocate a tensor of partial shape " + shape.to_string());
  }
  std::shared_ptr<Buffer> b = dtype == DType::kString
                                  ? Buffer::allocate_strings(n)
                                  : Buffer::allocate(static_cast<size_t>(n) * dtype_size(dtype));
  if (!b) {
    return resource_exhausted("out of memory allocating a " + std::string(dtype_name(dtype)) +
                              " tensor of shape " + shape.to_string());
  }
  *out = Tensor(dtype, shape, std::move(b));
  return Status::OK();
}

Tensor Tensor::borrow(DType dtype, const Shape& shape, void* data) {
  const size_t bytes = static_cast<size_t>(shape.num_elements()) * dtype_size(dtype);
  return Tensor(dtype, shape, Buffer::borrow(data, bytes));
}

Status Tensor::copy(Tensor* out) const {
  Tensor t;
  TL_RETURN_IF_ERROR(allocate(dtype_, shape_, &t));
  if (dtype_ == DType::kString) {
    const auto* src = data<std::string>();
    auto* dst = t.data<std::string>();
    for (int64_t i = 0; i < num_elements_; ++i) dst[i] = src[i];
  } else if (num_bytes()) {
    std::memcpy(t.raw_data(), raw_data(), num_bytes());
  }
  *out = std::move(t);
  return Status::OK();
}

Tensor Tensor::reshaped(const Shape& shape) const {
  Tensor t(dtype_, shape, buffer_);
  t.data_ = data_;  // a view stays a view of the same elements
  return t;
}

Tensor Tensor::row(int64_t i) const {
  Shape shape;
  for (int d = 1; d < shape_.rank(); ++d) shape.add_dim(shape_.dim(d));
  Tensor t(dtype_, shape, buffer_);
  t.data_ = static_cast<char*>(data_) + i * t.num_bytes();
  return t;
}

}  // namespace tl
