"""The C++ checks of kernels from op libraries (tests_cpp/test_op_library.cc): a library adds a
kernel for an existing op on another device, and a kernel whose prepare step keeps state in the
plan; the libraries of tests_cpp/kernel_library.cc and the program are built against the
installed core with sysconfig's flags."""
import pathlib
import subprocess

from cpp_build import compile_cpp, needs_compiler

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tests_cpp"
VARIANTS = ["DEFAULT", "CPU_ADD", "UNKNOWN_OP"]


@needs_compiler
def test_cpp_op_library_kernel_checks(tmp_path):
    libraries = [tmp_path / f"libkernels_{v.lower()}.so" for v in VARIANTS]
    exe = tmp_path / "test_op_library"
    procs = [compile_cpp(SOURCES / "kernel_library.cc", lib, "-shared", "-fPIC", f"-D{v}")
             for v, lib in zip(VARIANTS, libraries)]
    procs.append(compile_cpp(SOURCES / "test_op_library.cc", exe))
    for proc in procs:
        output = proc.communicate()[0]
        assert proc.returncode == 0, output
    out = subprocess.run([str(exe), *map(str, libraries)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all checks passed" in out.stdout
