// Buffers and tensors.
//
// A Buffer is a block of memory that is either owned (allocated by tensorlib, 64-byte aligned)
// or borrowed (someone else's memory, e.g. a NumPy array, read in place). A Tensor is a dtype,
// a fully defined shape and a shared reference to a buffer; copying a Tensor never copies data.
//
//   tl::Tensor t;
//   TL_RETURN_IF_ERROR(tl::Tensor::allocate(tl::DType::kFloat32, tl::Shape({2, 3}), &t));
//   float* p = t.data<float>();
//
//   // Wrap a caller's array without copying; the caller keeps it alive while it is used.
//   tl::Tensor in = tl::Tensor::borrow(tl::DType::kFloat32, tl::Shape({4}), ptr);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "tensorlib/dtype.h"
#include "tensorlib/shape.h"
#include "tensorlib/status.h"

namespace tl {

constexpr size_t kBufferAlignment = 64;

// Kinds of device memory and kernels (devices.h lists the devices of each kind).
enum class Device : int32_t { kCPU = 0, kGPU = 1 };
constexpr int kNumDevices = 2;

class Buffer {
 public:
  // Called when a borrowed buffer is released (may be null).
  using ReleaseFn = void (*)(void* data, void* context);

  // Allocates `bytes` (at least one cache line), 64-byte aligned; null when out of memory.
  static std::shared_ptr<Buffer> allocate(size_t bytes);
  // Allocates `n` default-constructed std::strings, destroyed with the buffer.
  static std::shared_ptr<Buffer> allocate_strings(int64_t n);
  // Wraps memory owned by someone else; `release(data, context)` runs when the buffer dies.
  static std::shared_ptr<Buffer> borrow(void* data, size_t bytes, ReleaseFn release = nullptr,
                                        void* context = nullptr);
  // `bytes` of host memory at `data`, inside `parent`, borrowed (so never written in place),
  // keeping `parent` alive: a row of a tensor, a constant in a model's bytes.
  static std::shared_ptr<Buffer> view(std::shared_ptr<const Buffer> parent, const void* data,
                                      size_t bytes);
  // Takes over memory that an Allocator of device (`device`, `index`) handed out: tensorlib
  // owns it (so it may be reused or written in place) and `give_back(data, context)` returns
  // it when the buffer dies.
  static std::shared_ptr<Buffer> adopt(void* data, size_t bytes, Device device, int index,
                                       ReleaseFn give_back, void* context);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  size_t size() const { return size_; }
  // True when tensorlib allocated this memory (so it may be reused or written in place).
  bool owned() const { return owned_; }
  // The device whose memory this is: its kind and index.
  Device device() const { return device_; }
  int device_index() const { return device_index_; }

 protected:
  // Use allocate() or borrow(); protected so they can make_shared a subclass (one allocation
  // for the object and its reference count).
  Buffer(void* data, size_t size, bool owned, ReleaseFn release, void* context)
      : data_(data), size_(size), owned_(owned), release_(release), context_(context) {}

 private:
  static std::shared_ptr<Buffer> make(void* data, size_t size, bool owned, ReleaseFn release,
                                      void* context);

  void* data_;
  size_t size_;
  bool owned_;
  ReleaseFn release_;
  void* context_;
  Device device_ = Device::kCPU;
  int device_index_ = 0;
  ReleaseFn give_back_ = nullptr;  // with owned_: returns the memory to its allocator
};

class Tensor {
 public:
  // An empty (invalid) tensor.
  Tensor() = default;
  Tensor(DType dtype, const Shape& shape, std::shared_ptr<Buffer> buffer);

  // Allocates a tensor of a fully defined shape. String tensors hold default-constructed
  // std::string elements that are destroyed with the buffer.
  static Status allocate(DType dtype, const Shape& shape, Tensor* out);
  // A tensor over memory the caller owns and keeps alive (no copy).
  static Tensor borrow(DType dtype, const Shape& shape, void* data);
  // A deep copy into newly allocated memory.
  Status copy(Tensor* out) const;

  bool valid() const { return buffer_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t num_elements() const { return num_elements_; }
  size_t num_bytes() const { return static_cast<size_t>(num_elements_) * dtype_size(dtype_); }
  void* raw_data() const { return data_; }
  template <typename T>
  T* data() const {
    return static_cast<T*>(raw_data());
  }
  const std::shared_ptr<Buffer>& buffer() const { return buffer_; }
  // Same data, another shape with the same number of elements (no copy).
  Tensor reshaped(const Shape& shape) const;
  // Row `i` along the first dim: a view sharing this tensor's buffer (no copy).
  // NOTE: set_buffer() points a view back at the start of its buffer; a view is not its
  // buffer's only reader, so the executor never forwards its buffer while the viewed tensor
  // lives.
  Tensor row(int64_t i) const;
  // True when the tensor may cover less than its whole buffer (a row(), the first one too).
  bool is_view() const {
    return buffer_ && (data_ != buffer_->data() || num_bytes() < buffer_->size());
  }
  // Drops the reference to the buffer (the tensor becomes invalid; dtype and shape stay).
  void release() {
    buffer_.reset();
    data_ = nullptr;
  }
  // Points the tensor at `buffer` (at least num_bytes() long), keeping dtype and shape.
  void set_buffer(std::shared_ptr<Buffer> buffer) {
    data_ = buffer ? buffer->data() : nullptr;
    buffer_ = std::move(buffer);
  }
  // Hands the buffer over to another tensor (the executor's in-place forwarding).
  // NOTE: this tensor stays readable only while the new owner keeps the buffer alive; it
  // reports valid() == false from now on.
  std::shared_ptr<Buffer> take_buffer() { return std::move(buffer_); }

 private:
  DType dtype_ = DType::kInvalid;
  Shape shape_;
  int64_t num_elements_ = 0;
  void* data_ = nullptr;  // buffer_->data(), kept apart so take_buffer() leaves it readable
  std::shared_ptr<Buffer> buffer_;
};

}  // namespace tl
