// Devices: where a plan places its nodes, and the memory each of them has.
//
// A device has a kind (Device::kCPU, Device::kGPU), an index, an Allocator for its memory and
// copies to and from host memory. The host CPU is device (kCPU, 0) and is always there; a
// backend (or a test) registers the others. Plan::build (executor.h) places every node on one
// device, as TF1 does: on the device its `tf.device` string names when that device exists and
// has a kernel for the op; with no string, on a GPU when the op has a GPU kernel, else on the
// CPU; with soft placement, on the CPU rather than fail. At run time the executor copies a
// value to the device of the step that reads it, and fetched values back to the host.
//
//   class MyDevice : public tl::ExecutionDevice { ... };
//   TL_RETURN_IF_ERROR(tl::DeviceRegistry::global().add(
//       std::make_unique<MyDevice>(tl::Device::kGPU, 0, &my_allocator)));
//   TL_RETURN_IF_ERROR(tl::KernelRegistry::global().add(
//       tl::KernelDef("Add", tl::Device::kGPU).compute(my_add)));
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tensorlib/status.h"
#include "tensorlib/tensor.h"

namespace tl {

// The memory of one device.
class Allocator {
 public:
  virtual ~Allocator() = default;
  // A buffer of `bytes` of the device's memory, 64-byte aligned; null when out of memory. The
  // buffer gives the memory back when it dies.
  virtual std::shared_ptr<Buffer> allocate(size_t bytes) = 0;
  // What this allocator holds now, for out-of-memory messages ("1 MiB in use, ..."), or "".
  virtual std::string usage() const { return ""; }
};

// The host's memory (what Buffer::allocate uses). Freed blocks of 64 KiB and more are kept,
// by size class, up to a cap (1 GiB), and handed out again: a loop or a training step that
// allocates the same large tensors every time reuses them instead of having the OS map and
// zero fresh pages. Blocks of 4 MiB and more are backed by transparent huge pages.
Allocator& host_allocator();
// The bytes of freed blocks the host allocator keeps now.
size_t host_allocator_cached_bytes();
// Returns every kept block to the OS.
void host_allocator_release_cache();

// One device a plan can place nodes on.
class ExecutionDevice {
 public:
  ExecutionDevice(Device kind, int index, Allocator* allocator);
  virtual ~ExecutionDevice() = default;

  Device kind() const { return kind_; }
  int index() const { return index_; }
  Allocator& allocator() const { return *allocator_; }
  // TF1's full name: "/job:localhost/replica:0/task:0/device:GPU:0".
  const std::string& name() const { return name_; }
  // `src` (in host memory) copied into this device's memory.
  virtual Status copy_from_host(const Tensor& src, Tensor* dst) const;
  // `src` (in this device's memory) copied into host memory.
  virtual Status copy_to_host(const Tensor& src, Tensor* dst) const;
  // `src` (in this device's memory) copied within it: into `dst`'s buffer when `dst` holds
  // as many bytes of the same dtype, else into a new buffer that `dst` then holds.
  virtual Status copy_within(const Tensor& src, Tensor* dst) const;

 private:
  Device kind_;
  int index_;
  Allocator* allocator_;
  std::string name_;
};

// `t` in `device`'s memory: `t` itself when it is there, else a copy (through host memory
// when it comes from another accelerator).
Status copy_to_device(const Tensor& t, const ExecutionDevice& device, Tensor* out);

// "CPU" or "GPU".
const char* device_kind_name(Device kind);

// A device as a `tf.device` string names it; empty fields (-1 indexes) are unconstrained.
struct DeviceSpec {
  std::string job;
  int replica = -1;
  int task = -1;
  std::string kind;  // "CPU" or "GPU" (any case in the string)
  int index = -1;
};

// Parses TF1's device strings: "/cpu:0", "/gpu:1", "/device:GPU:0", "GPU:0",
// "/job:localhost/replica:0/task:0/device:CPU:0", "" (anything).
Status parse_device_spec(const std::string& spec, DeviceSpec* out);

// The devices of this process: the CPU, then those registered.
class DeviceRegistry {
 public:
  static DeviceRegistry& global();

  // Adds a device; fails when one of its kind and index is there already.
  Status add(std::unique_ptr<ExecutionDevice> device);
  // The device of `kind` and `index`, or null.
  const ExecutionDevice* find(Device kind, int index) const;
  // Every device, the CPU first, then by kind and index.
  std::vector<const ExecutionDevice*> devices() const;
  const ExecutionDevice& cpu() const { return *cpu_; }

 private:
  DeviceRegistry();
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<ExecutionDevice>> devices_;
  const ExecutionDevice* cpu_;
};

}  // namespace tl
