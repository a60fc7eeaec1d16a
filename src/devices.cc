// Devices: the host allocator (a cache of large blocks), device names and specs, the registry.
#include "tensorlib/devices.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tl {
namespace {

// Blocks from this size on are kept when freed.
constexpr size_t kCachedFrom = size_t{64} << 10;
// At most this many bytes of freed blocks are kept.
constexpr size_t kCacheCap = size_t{1} << 30;
// Blocks from this size on are placed on 2 MiB boundaries and backed by transparent huge
// pages where the OS allows it: a fresh 64 MB result then takes 32 page faults, not 16384.
constexpr size_t kHugePageBytes = size_t{2} << 20;
constexpr size_t kHugePageThreshold = size_t{4} << 20;

// The size class of a cached block: `bytes` rounded up to 1, 1.25, 1.5 or 1.75 times a power
// of two (at most a fifth wasted).
size_t size_class(size_t bytes) {
  size_t power = kCachedFrom;
  while (power * 2 <= bytes) power *= 2;
  const size_t quarter = power / 4;
  return (bytes + quarter - 1) / quarter * quarter;
}

void* map_block(size_t bytes) {
  const bool huge = bytes >= kHugePageThreshold;
  const size_t alignment = huge ? kHugePageBytes : kBufferAlignment;
  const size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  void* data = std::aligned_alloc(alignment, rounded ? rounded : alignment);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (data && huge) madvise(data, rounded, MADV_HUGEPAGE);  // a hint: failure changes nothing
#endif
  return data;
}

class HostAllocator : public Allocator {
 public:
  std::shared_ptr<Buffer> allocate(size_t bytes) override {
    if (bytes < kCachedFrom) {
      // A malloc block with room to align the data inside it, whole lines of it (as
      // map_block's): glibc's aligned_alloc splits a larger block and frees the rest, 3-4x
      // the time of malloc and free for the small tensors a run makes at every step.
      constexpr size_t kSlack = kBufferAlignment - alignof(std::max_align_t);
      const size_t lines = (std::max<size_t>(bytes, 1) + kBufferAlignment - 1) / kBufferAlignment;
      void* block = std::malloc(lines * kBufferAlignment + kSlack);
      if (!block) return nullptr;
      const uintptr_t address = reinterpret_cast<uintptr_t>(block);
      void* data = reinterpret_cast<void*>((address + kBufferAlignment - 1) &
                                           ~uintptr_t{kBufferAlignment - 1});
      return Buffer::adopt(data, bytes, Device::kCPU, 0, free_block, block);
    }
    const size_t size = size_class(bytes);
    void* data = take(size);
    if (!data && !(data = map_block(size))) {
      release_cache();  // memory is short: give the kept blocks back and try once more
      if (!(data = map_block(size))) return nullptr;
    }
    // The context carries the block's size class back to keep_block.
    return Buffer::adopt(data, bytes, Device::kCPU, 0, keep_block,
                         reinterpret_cast<void*>(static_cast<uintptr_t>(size)));
  }

  size_t cached_bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

  void release_cache() {
    std::map<size_t, std::vector<void*>> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      blocks.swap(free_);
      cached_ = 0;
    }
    for (auto& entry : blocks) {
      for (void* p : entry.second) std::free(p);
    }
  }

  void keep(void* data, size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + size <= kCacheCap) {
        free_[size].push_back(data);
        cached_ += size;
        return;
      }
    }
    std::free(data);
  }

 private:
  void* take(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(size);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* data = it->second.back();
    it->second.pop_back();
    cached_ -= size;
    return data;
  }

  static void free_block(void* /*data*/, void* block) { std::free(block); }
  static void keep_block(void* data, void* size);

  std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_;  // size class -> kept blocks
  size_t cached_ = 0;
};

HostAllocator& host() {
  static HostAllocator* allocator = new HostAllocator();  // never destroyed: buffers may outlive
  return *allocator;                                      // static destructors
}

void HostAllocator::keep_block(void* data, void* size) {
  host().keep(data, static_cast<size_t>(reinterpret_cast<uintptr_t>(size)));
}

}  // namespace

Allocator& host_allocator() { return host(); }
size_t host_allocator_cached_bytes() { return host().cached_bytes(); }
void host_allocator_release_cache() { host().release_cache(); }

const char* device_kind_name(Device kind) { return kind == Device::kGPU ? "GPU" : "CPU"; }

ExecutionDevice::ExecutionDevice(Device kind, int index, Allocator* allocator)
    : kind_(kind), index_(index), allocator_(allocator),
      name_(std::string("/job:localhost/replica:0/task:0/device:") + device_kind_name(kind) +
            ":" + std::to_string(index)) {}

namespace {

Status copy_bytes(const Tensor& src, Allocator& to, Tensor* dst) {
  if (src.dtype() == DType::kString) return unimplemented("string tensors stay on the CPU");
  std::shared_ptr<Buffer> buffer = to.allocate(src.num_bytes());
  if (!buffer) {
    return resource_exhausted("out of memory copying a tensor of shape " +
                              src.shape().to_string());
  }
  if (src.num_bytes()) std::memcpy(buffer->data(), src.raw_data(), src.num_bytes());
  *dst = Tensor(src.dtype(), src.shape(), std::move(buffer));
  return Status::OK();
}

// "42" -> 42; false when `text` is not a non-negative decimal number.
bool parse_index(const std::string& text, int* out) {
  if (text.empty() || text.size() > 9) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  *out = std::stoi(text);
  return true;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

// NOTE: the default copies are for devices whose memory the host can address (the CPU, and
// the host-memory devices tests register); a GPU backend overrides both.
Status ExecutionDevice::copy_from_host(const Tensor& src, Tensor* dst) const {
  return copy_bytes(src, *allocator_, dst);
}

Status ExecutionDevice::copy_to_host(const Tensor& src, Tensor* dst) const {
  return copy_bytes(src, host_allocator(), dst);
}

Status copy_to_device(const Tensor& t, const ExecutionDevice& device, Tensor* out) {
  const Buffer& buffer = *t.buffer();
  if (buffer.device() == device.kind() && buffer.device_index() == device.index()) {
    *out = t;
    return Status::OK();
  }
  Tensor host = t;
  if (buffer.device() != Device::kCPU) {
    const ExecutionDevice* from = DeviceRegistry::global().find(buffer.device(),
                                                                buffer.device_index());
    if (!from) return internal_error("a value lives on a device that is not registered");
    TL_RETURN_IF_ERROR(from->copy_to_host(t, &host));
  }
  if (device.kind() == Device::kCPU) {
    *out = std::move(host);
    return Status::OK();
  }
  return device.copy_from_host(host, out);
}

Status ExecutionDevice::copy_within(const Tensor& src, Tensor* dst) const {
  if (dst->valid() && dst->dtype() == src.dtype() && dst->num_bytes() == src.num_bytes() &&
      src.dtype() != DType::kString) {
    if (src.num_bytes() && dst->raw_data() != src.raw_data()) {
      std::memcpy(dst->raw_data(), src.raw_data(), src.num_bytes());
    }
    *dst = Tensor(src.dtype(), src.shape(), dst->buffer());
    return Status::OK();
  }
  if (kind_ == Device::kCPU) return src.copy(dst);  // strings too
  return copy_bytes(src, *allocator_, dst);
}

Status parse_device_spec(const std::string& spec, DeviceSpec* out) {
  *out = DeviceSpec();
  auto bad = [&](const std::string& why) {
    return invalid_argument("Malformed device specification '" + spec + "': " + why);
  };
  size_t at = 0;
  while (at < spec.size()) {
    size_t end = spec.find('/', at);
    if (end == std::string::npos) end = spec.size();
    const std::string part = spec.substr(at, end - at);
    at = end + 1;
    if (part.empty()) continue;
    const size_t colon = part.find(':');
    const std::string key = upper(part.substr(0, colon));
    const std::string value = colon == std::string::npos ? "" : part.substr(colon + 1);
    if (key == "JOB") {
      if (value.empty()) return bad("an empty job name");
      out->job = value;
    } else if (key == "REPLICA" || key == "TASK") {
      int n = 0;
      if (!parse_index(value, &n)) return bad("'" + part + "' needs a number");
      (key == "REPLICA" ? out->replica : out->task) = n;
    } else if (key == "DEVICE" || key == "CPU" || key == "GPU") {
      // "device:GPU:1", "device:GPU", "gpu:1", "GPU"
      std::string kind = key == "DEVICE" ? value : key;
      std::string index;
      if (key == "DEVICE") {
        const size_t c = value.find(':');
        kind = value.substr(0, c);
        if (c != std::string::npos) index = value.substr(c + 1);
      } else {
        index = value;
      }
      kind = upper(kind);
      if (kind != "CPU" && kind != "GPU") return bad("unknown device type '" + kind + "'");
      out->kind = kind;
      if (!index.empty() && index != "*" && !parse_index(index, &out->index)) {
        return bad("'" + index + "' is not a device index");
      }
    } else {
      return bad("unknown part '" + part + "'");
    }
  }
  return Status::OK();
}

DeviceRegistry& DeviceRegistry::global() {
  static DeviceRegistry* registry = new DeviceRegistry();
  return *registry;
}

DeviceRegistry::DeviceRegistry() {
  devices_.push_back(std::make_unique<ExecutionDevice>(Device::kCPU, 0, &host_allocator()));
  cpu_ = devices_.front().get();
}

Status DeviceRegistry::add(std::unique_ptr<ExecutionDevice> device) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& d : devices_) {
    if (d->kind() == device->kind() && d->index() == device->index()) {
      return invalid_argument("device " + device->name() + " is registered already");
    }
  }
  devices_.push_back(std::move(device));
  std::stable_sort(devices_.begin() + 1, devices_.end(), [](const auto& a, const auto& b) {
    return a->kind() != b->kind() ? a->kind() < b->kind() : a->index() < b->index();
  });
  return Status::OK();
}

const ExecutionDevice* DeviceRegistry::find(Device kind, int index) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& d : devices_) {
    if (d->kind() == kind && d->index() == index) return d.get();
  }
  return nullptr;
}

std::vector<const ExecutionDevice*> DeviceRegistry::devices() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<const ExecutionDevice*> out;
  for (const auto& d : devices_) out.push_back(d.get());
  return out;
}

}  // namespace tl
