"""tensorlib's process-wide settings: threads and devices (`tensorlib.config`)."""
import collections

from tensorlib import _config

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])


def list_physical_devices(device_type=None):
    """The devices tensorlib can use: the CPU, and each GPU when this build has the CUDA
    backend and the machine has a driver and a device. `device_type`: "CPU", "GPU" or None."""
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    devices += [PhysicalDevice(f"/physical_device:GPU:{g[0]}", "GPU") for g in _config.list_gpus()]
    if device_type is None:
        return devices
    return [d for d in devices if d.device_type == device_type.upper()]


def get_device_details(device):
    """{'device_name', 'compute_capability', 'memory_bytes', 'multiprocessors'} of a GPU."""
    if device.device_type != "GPU":
        return {}
    index = int(device.name.rsplit(":", 1)[1])
    for i, name, memory, capability, sms in _config.list_gpus():
        if i == index:
            return {"device_name": name, "compute_capability": capability,
                    "memory_bytes": memory, "multiprocessors": sms}
    raise ValueError(f"No such device: {device.name}")


def gpu_self_test(index=0, nbytes=1 << 20):
    """Allocates `nbytes` on GPU `index`, copies data there, transforms it with a kernel, copies
    it back, checks it and frees the memory; raises an OpError on any failure."""
    _config.gpu_round_trip(index, nbytes)


def built_with_cuda():
    """True when this build of tensorlib includes the CUDA backend."""
    return _config.built_with_cuda()


def set_num_threads(num_threads):
    """Threads each kernel may use in sessions that don't set their own (0: all cores)."""
    if num_threads < 0:
        raise ValueError(f"num_threads must be >= 0, got {num_threads}")
    _config.set_num_threads(num_threads)


def get_num_threads():
    return _config.get_num_threads()
