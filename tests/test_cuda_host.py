"""Host checks of the CUDA kernels' host-and-device code (tests_cpp/test_cuda_host.cc),
compiled with the C++ compiler: they run with or without a GPU."""
import pathlib
import subprocess

from cpp_build import compile_cpp, needs_compiler

ROOT = pathlib.Path(__file__).resolve().parent.parent


@needs_compiler
def test_cuda_host_checks(tmp_path):
    exe = tmp_path / "test_cuda_host"
    proc = compile_cpp(ROOT / "tests_cpp" / "test_cuda_host.cc", exe, f"-I{ROOT}",
                       f"-I{ROOT / 'src'}")
    output = proc.communicate()[0]
    assert proc.returncode == 0, output
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all checks passed" in out.stdout
