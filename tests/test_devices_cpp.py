"""The C++ checks of placement (tests_cpp/test_devices.cc): a second device registered by the
program (host memory, its own allocator, kernels for a few ops) gets the nodes TF1 would put
there, the executor copies values at device boundaries and fetches back to the host, and
explicit placements it cannot honour fail with TF1's messages unless placement is soft."""
import pathlib

from cpp_build import needs_compiler, run_checks

ROOT = pathlib.Path(__file__).resolve().parent.parent


@needs_compiler
def test_cpp_placement_copies_and_soft_placement(tmp_path):
    run_checks(ROOT / "tests_cpp" / "test_devices.cc", tmp_path / "test_devices")
