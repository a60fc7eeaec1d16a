"""Device discovery; the GPU checks run only where a GPU is present."""
import os

import pytest

import tensorlib as tf

gpus = tf.config.list_physical_devices("GPU")
needs_gpu = pytest.mark.skipif(not gpus, reason="no GPU visible to this build")


def test_cpu_is_always_listed():
    cpus = tf.config.list_physical_devices("CPU")
    assert [d.name for d in cpus] == ["/physical_device:CPU:0"]
    assert tf.config.list_physical_devices() == cpus + gpus


@pytest.mark.skipif(tf.config.built_with_cuda(), reason="this build includes CUDA")
def test_without_cuda_there_are_no_gpus():
    assert gpus == []
    with pytest.raises(tf.errors.FailedPreconditionError, match="without CUDA"):
        tf.config.gpu_self_test()


@pytest.mark.skipif(not tf.config.built_with_cuda(), reason="this build has no CUDA")
def test_gpu_self_test_rejects_a_missing_device():
    with pytest.raises(tf.errors.InvalidArgumentError, match="no GPU with index"):
        tf.config.gpu_self_test(index=len(gpus) + 7)


def test_a_missing_gpu_is_an_error_on_every_build():
    with pytest.raises((tf.errors.InvalidArgumentError, tf.errors.FailedPreconditionError)):
        tf.config.gpu_self_test(index=len(gpus) + 7)


@needs_gpu
def test_gpu_details():
    details = tf.config.get_device_details(gpus[0])
    assert details["memory_bytes"] > 0 and details["compute_capability"][0] >= 5
    assert details["device_name"]


@needs_gpu
@pytest.mark.parametrize("nbytes", [4, 1000, 64 << 20])
def test_gpu_allocate_copy_kernel_free_round_trip(nbytes):
    tf.config.gpu_self_test(index=0, nbytes=nbytes)


def test_num_threads_setting():
    try:
        for n in (1, 3):
            tf.config.set_num_threads(n)
            assert tf.config.get_num_threads() == n
    finally:
        tf.config.set_num_threads(0)
    # 0: every hardware thread (the global pool's size), counted one way or the other.
    every_thread = {os.cpu_count(), len(os.sched_getaffinity(0))}
    assert tf.config.get_num_threads() in every_thread
    with pytest.raises(ValueError):
        tf.config.set_num_threads(-1)
    assert tf.config.get_num_threads() in every_thread
