"""The installed package: one core library, found beside the modules without LD_LIBRARY_PATH;
the headers and CMake package config C++ code builds against, found by tensorlib.get_include(),
get_lib() and get_cmake_dir()."""
import os
import pathlib
import subprocess
import sys

import pytest

import tensorlib
from cpp_build import CXX, cmake_build, needs_cmake, needs_compiler
from tensorlib import _config, _core

PACKAGE = pathlib.Path(tensorlib.__file__).parent
ROOT = pathlib.Path(__file__).resolve().parent.parent


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


def test_cpp_files_ship_with_the_package():
    assert pathlib.Path(tensorlib.get_include()) == PACKAGE / "include"
    assert pathlib.Path(tensorlib.get_lib()) == PACKAGE / "lib"
    assert pathlib.Path(tensorlib.get_cmake_dir()) == PACKAGE / "lib" / "cmake" / "tensorlib"
    shipped = {p.name for p in (PACKAGE / "include" / "tensorlib").iterdir()}
    assert shipped == {p.name for p in (ROOT / "include" / "tensorlib").iterdir()}
    assert (PACKAGE / "lib" / "libtensorlib.so").is_file()
    for name in ("tensorlibConfig.cmake", "tensorlibConfigVersion.cmake"):
        assert (pathlib.Path(tensorlib.get_cmake_dir()) / name).is_file()
    assert f"-I{tensorlib.get_include()}" in tensorlib.sysconfig.get_compile_flags()
    abi = f"_GLIBCXX_USE_CXX11_ABI={_core.cxx11_string_abi()}"
    assert f"-D{abi}" in tensorlib.sysconfig.get_compile_flags()
    assert abi in (PACKAGE / "lib" / "cmake" / "tensorlib" / "tensorlibConfig.cmake").read_text()
    assert f"-L{tensorlib.get_lib()}" in tensorlib.sysconfig.get_link_flags()


HEADERS = sorted(p.name for p in (ROOT / "include" / "tensorlib").glob("*.h"))


@needs_compiler
@pytest.mark.parametrize("header", HEADERS)
def test_public_header_compiles_alone(header):
    out = subprocess.run([*CXX, "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                          f"-I{tensorlib.get_include()}", "-x", "c++", "-"],
                         input=f'#include "tensorlib/{header}"\n', capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


FIND_PACKAGE_PROJECT = """
cmake_minimum_required(VERSION 3.18)
project(uses_tensorlib LANGUAGES CXX)
find_package(tensorlib {version} CONFIG REQUIRED)
message(STATUS "found tensorlib ${{tensorlib_VERSION}} in ${{tensorlib_DIR}}")
add_executable(square main.cc)
target_link_libraries(square PRIVATE tensorlib::tensorlib)
"""

# Squares the numbers given on the command line with a graph and a session.
FIND_PACKAGE_MAIN = r"""
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "tensorlib/graph.h"
#include "tensorlib/session.h"

int main(int argc, char** argv) {
  std::vector<double> values;
  for (int i = 1; i < argc; ++i) values.push_back(std::atof(argv[i]));
  auto graph = std::make_shared<tl::Graph>();
  tl::NodeSpec x, square;
  x.op = "Placeholder";
  x.name = "x";
  x.attrs.set("dtype", tl::DType::kFloat64);
  x.attrs.set("shape", tl::Shape({tl::kUnknownDim}));
  int32_t x_id, square_id;
  tl::Status s = graph->add_node(x, &x_id);
  square.op = "Mul";
  square.name = "square";
  square.inputs = {{x_id, 0}, {x_id, 0}};
  if (s.ok()) s = graph->add_node(square, &square_id);
  tl::Session session(graph, tl::SessionOptions{});
  int64_t callable;
  if (s.ok()) s = session.make_callable({{x_id, 0}}, {{square_id, 0}}, {}, &callable);
  tl::Tensor in = tl::Tensor::borrow(tl::DType::kFloat64,
                                     tl::Shape({static_cast<int64_t>(values.size())}),
                                     values.data());
  tl::Tensor out;
  if (s.ok()) s = session.run_callable(callable, &in, &out);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  for (int64_t i = 0; i < out.num_elements(); ++i) std::printf("%g\n", out.data<double>()[i]);
  return 0;
}
"""


@needs_cmake
def test_cmake_find_package_builds_a_program_that_runs(tmp_path):
    (tmp_path / "CMakeLists.txt").write_text(
        FIND_PACKAGE_PROJECT.format(version=tensorlib.__tensorlib_version__))
    (tmp_path / "main.cc").write_text(FIND_PACKAGE_MAIN)
    configured = cmake_build(tmp_path, tmp_path / "build")
    version = tensorlib.__tensorlib_version__
    assert f"found tensorlib {version} in {tensorlib.get_cmake_dir()}" in configured
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    out = subprocess.run([str(tmp_path / "build" / "square"), "1.5", "-2", "3"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [float(v) for v in out.stdout.split()] == [2.25, 4.0, 9.0]
