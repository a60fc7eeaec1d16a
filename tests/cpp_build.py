"""Building C++ against the package in tests: with CMake (find_package(tensorlib CONFIG)) or
with the compiler and tensorlib.sysconfig's flags. Tests that use it skip without the tools."""
import os
import shlex
import shutil
import subprocess

import pytest

import tensorlib

# The C++ compiler as a command line: $CXX may hold a launcher too ("ccache g++").
CXX = shlex.split(os.environ.get("CXX", "")) or [
    c for c in (shutil.which("c++") or shutil.which("g++"),) if c]

needs_compiler = pytest.mark.skipif(not CXX, reason="no C++ compiler")
needs_cmake = pytest.mark.skipif(shutil.which("cmake") is None or not CXX,
                                 reason="CMake or a C++ compiler is missing")


def cmake_build(source_dir, build_dir):
    """Configures and builds the CMake project in `source_dir` against the package; returns
    what configuring printed."""
    outputs = []
    for args in (["-S", str(source_dir), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                  f"-Dtensorlib_DIR={tensorlib.get_cmake_dir()}", f"-DCMAKE_CXX_COMPILER={CXX[-1]}",
                  f"-DCMAKE_CXX_COMPILER_LAUNCHER={';'.join(CXX[:-1])}"],
                 ["--build", str(build_dir), "-j", "2"]):
        out = subprocess.run(["cmake", *args], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        outputs.append(out.stdout)
    return outputs[0]


def compile_cpp(source, output, *flags):
    """Compiles C++ file(s) `source` into `output` with the package's compile and link flags
    (sysconfig) and `flags` (e.g. -shared -fPIC for a library). Returns the Popen, so several
    builds can run at once; its output is an error message when it fails."""
    args = [*CXX, *tensorlib.sysconfig.get_compile_flags(), *flags, str(source), "-o", str(output),
            *tensorlib.sysconfig.get_link_flags()]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_checks(source, exe, *args):
    """Builds the C++ check program `source` into `exe`, runs it with `args` and asserts that
    it reports every check passed (tests_cpp/check.h)."""
    proc = compile_cpp(source, exe)
    output = proc.communicate()[0]
    assert proc.returncode == 0, output
    out = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all checks passed" in out.stdout
