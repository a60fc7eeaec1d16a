"""The C++ checks of the thread pool (tests_cpp/test_thread_pool.cc): parallel_for's chunks,
posted tasks on idle workers, and jobs that never wait for a task."""
import pathlib

from cpp_build import needs_compiler, run_checks

ROOT = pathlib.Path(__file__).resolve().parent.parent


@needs_compiler
def test_cpp_thread_pool_checks(tmp_path):
    run_checks(ROOT / "tests_cpp" / "test_thread_pool.cc", tmp_path / "test_thread_pool")
