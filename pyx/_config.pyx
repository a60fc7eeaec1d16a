# Process-wide settings and device discovery of the C++ core.
from libtensorlib cimport (
    GpuMemoryStats, Status, built_with_cuda as c_built_with_cuda, default_num_threads,
    gpu_memory_stats as c_gpu_memory_stats, gpu_release_cached_memory as
    c_gpu_release_cached_memory, gpu_reset_peak_memory as c_gpu_reset_peak_memory,
    set_tensor_float_32_execution as c_set_tf32, tensor_float_32_execution_enabled as
    c_tf32_enabled, gpu_round_trip as
    c_gpu_round_trip, gemm_kernel_name, list_gpus as c_list_gpus, set_default_num_threads,
    set_gemm_kernel as c_set_gemm_kernel, status_code,
)

from tensorlib import errors as _errors


def built_with_cuda():
    """True when this build includes the CUDA backend."""
    return c_built_with_cuda()


def list_gpus():
    """[(index, name, total memory in bytes, (major, minor), multiprocessors)] of usable GPUs."""
    return [(g.index, g.name.decode(), g.total_memory,
             (g.compute_capability_major, g.compute_capability_minor), g.multiprocessors)
            for g in c_list_gpus()]


def gpu_round_trip(int index, size_t nbytes):
    """Allocates on GPU `index`, copies there and back through a kernel, checks, frees."""
    cdef Status s
    with nogil:
        s = c_gpu_round_trip(index, nbytes)
    _check(s)


cdef _check(Status s):
    if not s.ok():
        raise _errors.exception_from_status(status_code(s), s.message().decode(), -1, False)


def gpu_memory_stats(int index):
    """(in use, cached, peak) bytes of tensorlib's device memory on GPU `index`."""
    cdef GpuMemoryStats stats
    _check(c_gpu_memory_stats(index, &stats))
    return stats.in_use, stats.cached, stats.peak


def gpu_reset_peak_memory(int index):
    _check(c_gpu_reset_peak_memory(index))


def gpu_release_cached_memory(int index):
    cdef Status s
    with nogil:
        s = c_gpu_release_cached_memory(index)
    _check(s)


def set_tensor_float_32_execution(bint enabled):
    c_set_tf32(enabled)


def tensor_float_32_execution_enabled():
    return c_tf32_enabled()


def set_num_threads(int n):
    with nogil:
        set_default_num_threads(n)


def get_num_threads():
    return default_num_threads()


def set_gemm_kernel(name):
    """Picks the matrix-product micro-kernel of the whole process (tests and benchmarks):
    "auto", "generic", "avx2", "avx512" or "avx512-layout"."""
    cdef Status s = c_set_gemm_kernel(name.encode())
    if not s.ok():
        raise _errors.exception_from_status(status_code(s), s.message().decode(), -1, False)


def gemm_kernel():
    """The matrix-product micro-kernel in use."""
    return gemm_kernel_name().decode()
