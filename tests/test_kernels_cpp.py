"""The C++ kernel checks (tests_cpp/test_kernels.cc), built against the installed core."""
import pathlib
import shutil
import subprocess

import pytest

import tensorlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIB = pathlib.Path(tensorlib.__file__).parent / "lib"


@pytest.mark.skipif(shutil.which("g++") is None, reason="no C++ compiler")
def test_cpp_kernel_checks(tmp_path):
    exe = tmp_path / "test_kernels"
    subprocess.run(["g++", "-std=c++17", "-O1", f"-I{ROOT / 'include'}", f"-I{ROOT / 'src'}",
                    str(ROOT / "tests_cpp" / "test_kernels.cc"), f"-L{LIB}", "-ltensorlib",
                    f"-Wl,-rpath,{LIB}", "-lpthread", "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all checks passed" in out.stdout
