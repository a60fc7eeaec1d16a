"""tensorlib's process-wide settings: threads and devices (`tensorlib.config`)."""
import collections
import operator

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


# More threads than any machine has cores; a larger count is surely a mistake (kernels never use
# more threads than the process's pool has anyway).
MAX_THREADS = 1 << 16


def check_num_threads(name, value):
    """`value` as a thread count (0: the default), or ValueError/TypeError naming `name`."""
    try:
        count = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None
    if not 0 <= count <= MAX_THREADS:
        raise ValueError(f"{name} must be between 0 (the default) and {MAX_THREADS}, got "
                         f"{count}")
    return count


def set_num_threads(num_threads):
    """Threads each kernel may use in sessions that don't set their own (0: all cores)."""
    _config.set_num_threads(check_num_threads("num_threads", num_threads))


def get_num_threads():
    return _config.get_num_threads()


def _gpu_index(device):
    """The index of the GPU that `device` names: "GPU:0", "/gpu:1", "/physical_device:GPU:0"
    or a PhysicalDevice."""
    name = device.name if isinstance(device, PhysicalDevice) else str(device)
    kind, _, index = name.rstrip("/").rpartition("/")[2].upper().rpartition(":")
    if not kind.endswith("GPU") or not index.isdigit():
        raise ValueError(f"Expected a GPU device such as 'GPU:0', got {device!r}")
    return int(index)


class experimental:  # noqa: N801 -- the namespace `tf.config.experimental`
    """Device memory statistics, as `tf.config.experimental` has them."""

    @staticmethod
    def get_memory_info(device):
        """{'current', 'peak', 'cached'}: bytes of tensors on GPU `device` now, the most at
        once since the start or the last reset_memory_stats, and freed memory tensorlib keeps
        for reuse rather than return to the driver."""
        in_use, cached, peak = _config.gpu_memory_stats(_gpu_index(device))
        return {"current": in_use, "peak": peak, "cached": cached}

    @staticmethod
    def reset_memory_stats(device):
        """Makes the peak of get_memory_info the memory in use now."""
        _config.gpu_reset_peak_memory(_gpu_index(device))

    @staticmethod
    def release_cached_memory(device):
        """Returns the memory cached for reuse on GPU `device` to the driver."""
        _config.gpu_release_cached_memory(_gpu_index(device))

    @staticmethod
    def enable_tensor_float_32_execution(enabled):
        """Lets float32 matrix products on a GPU use TF32 tensor cores (inputs rounded to a
        10-bit mantissa, float32 sums): several times faster, about 1e-3 relative error. Off
        by default, so that GPU results match the CPU's to float32 rounding."""
        _config.set_tensor_float_32_execution(bool(enabled))

    @staticmethod
    def tensor_float_32_execution_enabled():
        return _config.tensor_float_32_execution_enabled()

    list_physical_devices = staticmethod(list_physical_devices)
    get_device_details = staticmethod(get_device_details)
