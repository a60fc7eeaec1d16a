"""The installed package: one core library, found beside the modules without LD_LIBRARY_PATH."""
import os
import pathlib
import subprocess
import sys

import tensorlib
from tensorlib import _config, _core

PACKAGE = pathlib.Path(tensorlib.__file__).parent


def _loaded_libraries():
    return [line.split()[-1] for line in open("/proc/self/maps") if ".so" in line]


def test_one_core_library_shared_by_every_module():
    cores = {p for p in _loaded_libraries() if os.path.basename(p) == "libtensorlib.so"}
    assert cores == {str((PACKAGE / "lib" / "libtensorlib.so").resolve())}
    for module in (_core, _config):
        needed = subprocess.run(["ldd", module.__file__], capture_output=True, text=True).stdout
        assert "libtensorlib.so" in needed and "not found" not in needed


def test_import_needs_no_library_path():
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    code = "import tensorlib as tf; print(tf.Session().run(tf.constant(2) * 3))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "6"


def test_headers_ship_with_the_package():
    headers = {p.name for p in (PACKAGE / "include" / "tensorlib").glob("*.h")}
    assert {"tensor.h", "graph.h", "session.h", "op_registry.h"} <= headers


def test_cuda_runtime_is_linked_statically():
    needed = subprocess.run(["ldd", str(PACKAGE / "lib" / "libtensorlib.so")],
                            capture_output=True, text=True).stdout
    assert "libcudart" not in needed
