"""Proves the GPU op-case table (gpu_op_cases.py) on the CPU: every case builds the op it
names and matches its NumPy reference, so a GPU run compared with the CPU checks kernels,
not the table."""
import numpy as np
import pytest

import tensorlib as tf
from gpu_op_cases import CASES, expected, run_case


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_matches_numpy_on_cpu(case):
    got, graph = run_case(tf, case, "/cpu:0")
    assert case.op in {op.type for op in graph.get_operations()}
    want = expected(case)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=case.tol, atol=case.tol)
