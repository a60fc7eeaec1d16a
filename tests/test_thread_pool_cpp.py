"""The C++ checks of the thread pool (tests_cpp/test_thread_pool.cc): parallel_for's chunks,
posted tasks on idle workers, and jobs that never wait for a task; and its idle spin, set by
the environment."""
import os
import pathlib
import subprocess
import sys

import pytest

from cpp_build import needs_compiler, run_checks

ROOT = pathlib.Path(__file__).resolve().parent.parent


@needs_compiler
def test_cpp_thread_pool_checks(tmp_path):
    run_checks(ROOT / "tests_cpp" / "test_thread_pool.cc", tmp_path / "test_thread_pool")


SPIN_SCRIPT = """
import time, numpy as np, tensorlib as tf
a = np.random.default_rng(0).standard_normal((300, 400)).astype(np.float32)
x = tf.placeholder(tf.float32, a.shape)
y = tf.matmul(x, x, transpose_b=True)
with tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=2)) as sess:
    f = sess.make_callable(y, [x])
    for pause in (0.0, 0.01, 0.0):  # runs after a rest find the workers asleep or spinning
        time.sleep(pause)
        np.testing.assert_allclose(f(a), a @ a.T, rtol=1e-4, atol=1e-3)
print("ok")
"""


@pytest.mark.parametrize("spin", ["0", "50", "2000", "not-a-number"])
def test_the_workers_idle_spin_is_set_by_the_environment(spin, tmp_path):
    # TENSORLIB_SPIN_US: how long idle workers spin before they sleep (read once per process;
    # a value that is not a count of microseconds leaves the default). Every setting computes
    # the same products, whether the workers are asleep or spinning when a job comes. Run from
    # an empty folder, so that it imports the installed package, not the checkout's sources.
    env = dict(os.environ, TENSORLIB_SPIN_US=spin)
    out = subprocess.run([sys.executable, "-c", SPIN_SCRIPT], env=env, capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
