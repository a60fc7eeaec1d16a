import numpy as np
import pytest

import tensorlib as tf
from op_testing import runnable_gemm_kernels
from tensorlib import _config


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Each test starts with an empty default graph."""
    tf.reset_default_graph()
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(params=runnable_gemm_kernels())
def gemm_kernel(request):
    """Each matrix-product micro-kernel this CPU runs, chosen for the test, then 'auto' again."""
    _config.set_gemm_kernel(request.param)
    yield request.param
    _config.set_gemm_kernel("auto")
