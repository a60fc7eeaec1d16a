"""Which ops have a GPU kernel, checked without a GPU: every op either has one or is listed in
docs/gpu.md with the reason it runs on the CPU, and the list names no op that has one."""
import pathlib
import re

import pytest

import tensorlib as tf
from tensorlib import _core

pytestmark = pytest.mark.skipif(not tf.config.built_with_cuda(),
                                reason="this build has no CUDA backend")

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "gpu.md"


def _documented_cpu_only():
    text = DOC.read_text()
    section = text.split("## Ops without a GPU kernel", 1)[1]
    return set(re.findall(r"`(\w+)`", section))


def test_every_op_has_a_gpu_kernel_or_a_documented_reason():
    # tensorlib's own ops: not those of op libraries other tests loaded into this process
    ops = {op for op in _core.registered_ops() if not _core.op_library_of(op)}
    gpu = set(_core.kernel_ops("GPU"))
    documented = _documented_cpu_only()
    undocumented = sorted(ops - gpu - documented)
    assert not undocumented, (
        f"ops with neither a GPU kernel nor a line in docs/gpu.md: {undocumented}")
    stale = sorted(documented & gpu)
    assert not stale, f"docs/gpu.md lists ops that have a GPU kernel now: {stale}"
    unknown = sorted(documented - ops)
    assert not unknown, f"docs/gpu.md lists ops that do not exist: {unknown}"


def test_the_training_step_ops_have_gpu_kernels():
    gpu = set(_core.kernel_ops("GPU"))
    for op in ["MatMul", "BiasAdd", "BiasAddGrad", "Relu", "ReluGrad", "Add", "Mul", "Sum",
               "Mean", "SparseSoftmaxCrossEntropyWithLogits", "ApplyAdam", "ApplyMomentum",
               "ApplyGradientDescent", "VariableV2", "Assign", "Const", "Reshape"]:
        assert op in gpu, op


def test_kernel_ops_rejects_an_unknown_device():
    with pytest.raises(ValueError, match="CPU"):
        _core.kernel_ops("TPU")
    assert set(_core.kernel_ops("CPU")) <= set(_core.registered_ops())
    assert "MatMul" in _core.kernel_ops("CPU")
