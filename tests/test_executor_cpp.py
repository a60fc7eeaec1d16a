"""The C++ checks of the executor's memory plan (tests_cpp/test_executor.cc), built against the
installed core with sysconfig's flags."""
import pathlib

from cpp_build import needs_compiler, run_checks

ROOT = pathlib.Path(__file__).resolve().parent.parent


@needs_compiler
def test_cpp_executor_memory_plan_checks(tmp_path):
    run_checks(ROOT / "tests_cpp" / "test_executor.cc", tmp_path / "test_executor")
