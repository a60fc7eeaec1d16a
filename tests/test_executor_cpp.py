"""The C++ checks of the executor's memory plan (tests_cpp/test_executor.cc), built against the
installed core with sysconfig's flags."""
import pathlib
import subprocess

from cpp_build import compile_cpp, needs_compiler

ROOT = pathlib.Path(__file__).resolve().parent.parent


@needs_compiler
def test_cpp_executor_memory_plan_checks(tmp_path):
    exe = tmp_path / "test_executor"
    proc = compile_cpp(ROOT / "tests_cpp" / "test_executor.cc", exe)
    output = proc.communicate()[0]
    assert proc.returncode == 0, output
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all checks passed" in out.stdout
