"""The C++ checks of placement (tests_cpp/test_devices.cc): a second device registered by the
program (host memory, its own allocator, kernels for a few ops) gets the nodes TF1 would put
there, the executor copies values at device boundaries and fetches back to the host, and
explicit placements it cannot honour fail with TF1's messages unless placement is soft."""
import pathlib
import subprocess

from cpp_build import compile_cpp, needs_compiler

ROOT = pathlib.Path(__file__).resolve().parent.parent


@needs_compiler
def test_cpp_placement_copies_and_soft_placement(tmp_path):
    exe = tmp_path / "test_devices"
    proc = compile_cpp(ROOT / "tests_cpp" / "test_devices.cc", exe)
    output = proc.communicate()[0]
    assert proc.returncode == 0, output
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all checks passed" in out.stdout
