r"""Where the installed package keeps what C++ code needs: the headers, the core library and
the CMake package config (TF's `tf.sysconfig`).

With CMake (the imported target tensorlib::tensorlib carries include path, library and C++17):

    # CMakeLists.txt
    find_package(tensorlib CONFIG REQUIRED)
    target_link_libraries(my_ops PRIVATE tensorlib::tensorlib)

    cmake -S . -B build \
          -Dtensorlib_DIR=$(python -c "import tensorlib; print(tensorlib.get_cmake_dir())")

Without it:

    FLAGS="$(python -c 'import tensorlib.sysconfig as c; print(*c.get_compile_flags())') \
           $(python -c 'import tensorlib.sysconfig as c; print(*c.get_link_flags())')"
    c++ -shared -fPIC my_ops.cc -o libmy_ops.so $FLAGS
"""
import os

from tensorlib import _core

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def get_include():
    """The directory to put on the include path: it holds tensorlib/*.h."""
    return os.path.join(_PACKAGE_DIR, "include")


def get_lib():
    """The directory that holds the core library, libtensorlib.so."""
    return os.path.join(_PACKAGE_DIR, "lib")


def get_cmake_dir():
    """The directory of tensorlibConfig.cmake: CMake's tensorlib_DIR (or put it on
    CMAKE_PREFIX_PATH) for find_package(tensorlib CONFIG)."""
    return os.path.join(_PACKAGE_DIR, "lib", "cmake", "tensorlib")


def get_compile_flags():
    """Compiler flags for code using the headers: the include path, C++17 and the std::string
    ABI tensorlib is built with."""
    return [f"-I{get_include()}", "-std=c++17",
            f"-D_GLIBCXX_USE_CXX11_ABI={_core.cxx11_string_abi()}"]


def get_link_flags():
    """Linker flags for a library or program using the core library (found again at run time
    through its rpath)."""
    return [f"-L{get_lib()}", "-ltensorlib", f"-Wl,-rpath,{get_lib()}"]
