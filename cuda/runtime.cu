// The CUDA backend's runtime: one ExecutionDevice per visible GPU, each with a compute stream
// and a caching allocator.
//
// Every kernel of a device and every copy to, from and within it runs on the device's one
// compute stream, so work runs in the order the executor issues it. That order is also what
// makes the allocator's reuse safe without events: a block given back while kernels that use
// it are still queued is handed out again only to work queued after them on the same stream.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda/cuda_backend.h"
#include "cuda/runtime.h"
#include "tensorlib/devices.h"

namespace tl {
namespace cuda {
namespace {

// Sizes are rounded up to a class so that freed blocks fit later requests: 512-byte steps up
// to 1 MiB, then four classes per power of two (at most 25% slack).
size_t size_class(size_t bytes) {
  constexpr size_t kSmallStep = 512, kSmallLimit = size_t{1} << 20;
  if (bytes <= kSmallLimit) {
    return std::max(kSmallStep, (bytes + kSmallStep - 1) / kSmallStep * kSmallStep);
  }
  size_t power = kSmallLimit;
  while (power * 2 < bytes) power *= 2;
  const size_t step = power / 4;
  return (bytes + step - 1) / step * step;
}

std::string mib(size_t bytes) {
  return std::to_string((bytes + (size_t{1} << 19)) >> 20) + " MiB";
}

// Device memory of one GPU, cached by size class. It takes memory from the driver as asked
// (never all of it up front); when the driver has none left it returns every cached block and
// tries once more before it reports failure.
class CachingAllocator : public Allocator {
 public:
  explicit CachingAllocator(int device) : device_(device) {}

  std::shared_ptr<Buffer> allocate(size_t bytes) override {
    const size_t size = size_class(bytes);
    void* data = take_cached(size);
    if (!data) {
      cudaSetDevice(device_);
      if (cudaMalloc(&data, size) != cudaSuccess) {
        cudaGetLastError();  // clear the out-of-memory error: it is not sticky
        release_cache();
        if (cudaMalloc(&data, size) != cudaSuccess) {
          cudaGetLastError();
          std::lock_guard<std::mutex> lock(mutex_);
          last_failure_ = size;
          return nullptr;
        }
      }
      std::lock_guard<std::mutex> lock(mutex_);
      reserved_ += size;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sizes_[data] = size;
      in_use_ += size;
      peak_ = std::max(peak_, in_use_);
    }
    return Buffer::adopt(data, bytes, Device::kGPU, device_, &CachingAllocator::give_back, this);
  }

  std::string usage() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return mib(in_use_) + " in use, " + mib(reserved_ - in_use_) + " cached, peak " +
           mib(peak_);
  }

  GpuMemoryStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return GpuMemoryStats{in_use_, reserved_ - in_use_, peak_};
  }

  void reset_peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    peak_ = in_use_;
  }

  // Frees every cached block (after the stream has finished with them).
  void release_cache() {
    std::map<size_t, std::vector<void*>> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      blocks.swap(free_);
    }
    if (blocks.empty()) return;
    cudaSetDevice(device_);
    cudaStreamSynchronize(compute_stream(device_));
    size_t freed = 0;
    for (auto& [size, list] : blocks) {
      for (void* p : list) cudaFree(p);
      freed += size * list.size();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    reserved_ -= freed;
  }

 private:
  void* take_cached(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(size);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* data = it->second.back();
    it->second.pop_back();
    return data;
  }

  static void give_back(void* data, void* self) {
    auto* a = static_cast<CachingAllocator*>(self);
    std::lock_guard<std::mutex> lock(a->mutex_);
    auto it = a->sizes_.find(data);
    const size_t size = it->second;
    a->sizes_.erase(it);
    a->in_use_ -= size;
    a->free_[size].push_back(data);
  }

  const int device_;
  mutable std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_;  // size class -> cached blocks
  std::unordered_map<void*, size_t> sizes_;     // block handed out -> its size class
  size_t in_use_ = 0, reserved_ = 0, peak_ = 0, last_failure_ = 0;
};

class GpuDevice : public ExecutionDevice {
 public:
  GpuDevice(int index, CachingAllocator* allocator)
      : ExecutionDevice(Device::kGPU, index, allocator) {}

  Status copy_from_host(const Tensor& src, Tensor* dst) const override {
    std::shared_ptr<Buffer> buffer;
    TL_RETURN_IF_ERROR(allocate_like(src, &buffer));
    // From pageable memory the call returns once the source is staged, so `src` may go.
    TL_RETURN_IF_ERROR(copy(buffer->data(), src.raw_data(), src.num_bytes(),
                            cudaMemcpyHostToDevice, "copy to GPU"));
    *dst = Tensor(src.dtype(), src.shape(), std::move(buffer));
    return Status::OK();
  }

  Status copy_to_host(const Tensor& src, Tensor* dst) const override {
    if (src.dtype() == DType::kString) return unimplemented("string tensors stay on the CPU");
    Tensor host;
    TL_RETURN_IF_ERROR(Tensor::allocate(src.dtype(), src.shape(), &host));
    TL_RETURN_IF_ERROR(copy(host.raw_data(), src.raw_data(), src.num_bytes(),
                            cudaMemcpyDeviceToHost, "copy from GPU"));
    TL_RETURN_IF_ERROR(
        cuda_status(cudaStreamSynchronize(compute_stream(index())), "GPU computation"));
    *dst = std::move(host);
    return Status::OK();
  }

  Status copy_within(const Tensor& src, Tensor* dst) const override {
    if (!(dst->valid() && dst->dtype() == src.dtype() && dst->num_bytes() == src.num_bytes())) {
      std::shared_ptr<Buffer> buffer;
      TL_RETURN_IF_ERROR(allocate_like(src, &buffer));
      *dst = Tensor(src.dtype(), src.shape(), std::move(buffer));
    } else {
      *dst = Tensor(src.dtype(), src.shape(), dst->buffer());
    }
    if (dst->raw_data() == src.raw_data()) return Status::OK();
    return copy(dst->raw_data(), src.raw_data(), src.num_bytes(), cudaMemcpyDeviceToDevice,
                "copy within GPU");
  }

 private:
  Status allocate_like(const Tensor& src, std::shared_ptr<Buffer>* out) const {
    if (src.dtype() == DType::kString) return unimplemented("string tensors stay on the CPU");
    *out = allocator().allocate(src.num_bytes());
    if (!*out) {
      return resource_exhausted("out of memory on " + name() + " copying a tensor of shape " +
                                src.shape().to_string() + " (" + mib(src.num_bytes()) + "; " +
                                allocator().usage() + ")");
    }
    return Status::OK();
  }

  Status copy(void* to, const void* from, size_t bytes, cudaMemcpyKind kind,
              const char* what) const {
    if (bytes == 0) return Status::OK();
    cudaSetDevice(index());
    return cuda_status(cudaMemcpyAsync(to, from, bytes, kind, compute_stream(index())), what);
  }
};

struct DeviceState {
  std::unique_ptr<CachingAllocator> allocator;
  std::once_flag stream_once;
  cudaStream_t stream = nullptr;
};

// Per visible GPU, made once; never destroyed (buffers may outlive static destructors).
std::vector<DeviceState*>& device_states() {
  static auto* states = [] {
    auto* v = new std::vector<DeviceState*>();
    for (const GpuInfo& gpu : list_gpus()) {
      auto* s = new DeviceState();
      s->allocator = std::make_unique<CachingAllocator>(gpu.index);
      v->push_back(s);
    }
    return v;
  }();
  return *states;
}

DeviceState* state_of(int device) {
  std::vector<DeviceState*>& states = device_states();
  return device >= 0 && device < static_cast<int>(states.size()) ? states[device] : nullptr;
}

}  // namespace

cudaStream_t compute_stream(int device) {
  DeviceState* s = state_of(device);
  if (!s) return nullptr;
  // Made on first use, so that importing tensorlib creates no CUDA context.
  std::call_once(s->stream_once, [&] {
    cudaSetDevice(device);
    if (cudaStreamCreateWithFlags(&s->stream, cudaStreamNonBlocking) != cudaSuccess) {
      cudaGetLastError();
      s->stream = nullptr;  // the legacy default stream: slower, still correct
    }
  });
  return s->stream;
}

int device_of(const KernelContext& ctx) { return ctx.device().index(); }

cudaStream_t compute_stream(const KernelContext& ctx) {
  const int device = device_of(ctx);
  cudaSetDevice(device);  // kernels launch on the current device
  return compute_stream(device);
}

Status cuda_status(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return Status::OK();
  return internal_error(std::string(what) + " failed: " + cudaGetErrorName(err) + ": " +
                        cudaGetErrorString(err));
}

Status launch_status(const char* what) { return cuda_status(cudaGetLastError(), what); }

std::shared_ptr<Buffer> scratch(int device, size_t bytes) {
  DeviceState* s = state_of(device);
  return s ? s->allocator->allocate(bytes) : nullptr;
}

void register_devices() {
  std::vector<DeviceState*>& states = device_states();
  for (size_t i = 0; i < states.size(); ++i) {
    const int index = static_cast<int>(i);
    if (DeviceRegistry::global().find(Device::kGPU, index)) continue;
    Status s = DeviceRegistry::global().add(
        std::make_unique<GpuDevice>(index, states[i]->allocator.get()));
    (void)s;  // only fails when the device is there already
  }
}

Status memory_stats(int index, GpuMemoryStats* out) {
  DeviceState* s = state_of(index);
  if (!s) return invalid_argument("no GPU with index " + std::to_string(index));
  *out = s->allocator->stats();
  return Status::OK();
}

Status reset_peak_memory(int index) {
  DeviceState* s = state_of(index);
  if (!s) return invalid_argument("no GPU with index " + std::to_string(index));
  s->allocator->reset_peak();
  return Status::OK();
}

Status release_cached_memory(int index) {
  DeviceState* s = state_of(index);
  if (!s) return invalid_argument("no GPU with index " + std::to_string(index));
  s->allocator->release_cache();
  return Status::OK();
}

}  // namespace cuda
}  // namespace tl
