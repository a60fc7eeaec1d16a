"""Builds tensorlib: libtensorlib (C++, via CMake) and the Cython modules linked to it.

    pip install .                      # build and install
    pip install -e . --no-build-isolation   # development: edit Python freely; re-run to
                                            # rebuild C++/Cython (incremental, in build/)

Environment:
    TENSORLIB_CUDA=0      build without the CUDA backend even when nvcc is found
    TENSORLIB_MPI=0       build without the MPI collective ops even when mpicc is found
    MPICC                 the MPI compiler wrapper to build them with (then mpicc on PATH)
    TENSORLIB_DEBUG=1     Cython bounds/wraparound checks on, C++ built with -O0 -g
    CUDA_HOME             where to look for nvcc first (then PATH, then /usr/local/cuda)
"""
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
DEBUG = os.environ.get("TENSORLIB_DEBUG") == "1"
JOBS = os.cpu_count() or 2


def find_nvcc():
    """nvcc from CUDA_HOME, then PATH, then /usr/local/cuda; None when absent or disabled."""
    if os.environ.get("TENSORLIB_CUDA", "1") == "0":
        return None
    candidates = []
    if os.environ.get("CUDA_HOME"):
        candidates.append(Path(os.environ["CUDA_HOME"]) / "bin" / "nvcc")
    on_path = shutil.which("nvcc")
    if on_path:
        candidates.append(Path(on_path))
    candidates.append(Path("/usr/local/cuda/bin/nvcc"))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    return None


def find_mpicc():
    """The MPI's C compiler wrapper: MPICC, then the one beside this Python (where the `mpich`
    wheel puts it), then PATH; None when absent or disabled. It names the MPI the collective ops
    are built against, which must be the one mpi4py loads at run time."""
    if os.environ.get("TENSORLIB_MPI", "1") == "0":
        return None
    for candidate in [os.environ.get("MPICC"), str(Path(sys.executable).parent / "mpicc"),
                      shutil.which("mpicc")]:
        found = candidate and shutil.which(candidate)
        if found:
            return found
    return None


class BuildTensorlib(build_ext):
    """Builds libtensorlib with CMake, then the Cython extensions that link to it."""

    def run(self):
        self.parallel = self.parallel or JOBS
        lib = self.build_core()
        mpi_ops = lib.parent / "libtensorlib_mpi.so"  # the collective ops, when MPI was found
        libraries = [lib] + ([mpi_ops] if find_mpicc() and mpi_ops.exists() else [])
        # The package holds what C++ code needs too: lib/libtensorlib.so, include/tensorlib/*.h
        # and the CMake package config in lib/cmake/tensorlib/ (see tensorlib/sysconfig.py).
        for package_dir in self.package_dirs():
            (package_dir / "lib").mkdir(parents=True, exist_ok=True)
            for library in libraries:
                shutil.copy2(library, package_dir / "lib" / library.name)
            trees = {"include/tensorlib": ROOT / "include" / "tensorlib",
                     "lib/cmake/tensorlib": lib.parent / "cmake" / "tensorlib"}
            for target, source in trees.items():
                if (package_dir / target).exists():
                    shutil.rmtree(package_dir / target)
                shutil.copytree(source, package_dir / target)
        for ext in self.extensions:
            ext.library_dirs.append(str(lib.parent))
        super().run()

    def package_dirs(self):
        dirs = [Path(self.build_lib) / "tensorlib"]
        if self.inplace:
            dirs.append(ROOT / "tensorlib")
        return dirs

    def build_core(self):
        build_dir = ROOT / "build" / f"cmake-{sysconfig.get_platform()}-{sys.implementation.cache_tag}"
        build_dir.mkdir(parents=True, exist_ok=True)
        args = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            f"-DCMAKE_BUILD_TYPE={'Debug' if DEBUG else 'Release'}",
        ]
        nvcc = find_nvcc()
        if nvcc:
            args += ["-DTENSORLIB_CUDA=ON", f"-DCMAKE_CUDA_COMPILER={nvcc}"]
        else:
            args += ["-DTENSORLIB_CUDA=OFF"]
        mpicc = find_mpicc()
        if mpicc:
            # FindMPI's results are found anew each time: pip builds in a temporary environment
            # (its mpich wheel's mpicc), and the paths cached by an earlier install of the same
            # checkout name one that is gone.
            args += ["-UMPI_*", "-UMPIEXEC_*", "-DTENSORLIB_MPI=ON", f"-DMPI_C_COMPILER={mpicc}"]
        else:
            args += ["-DTENSORLIB_MPI=OFF"]
        subprocess.check_call(args)
        subprocess.check_call(["cmake", "--build", str(build_dir), "-j", str(JOBS)])
        return build_dir / "libtensorlib.so"


def extensions():
    import numpy
    from Cython.Build import cythonize

    common = dict(
        language="c++",
        include_dirs=[str(ROOT / "include"), str(ROOT / "pyx"), numpy.get_include()],
        libraries=["tensorlib"],
        # Python's own flags add -g: the extensions ship without debug information unless DEBUG.
        extra_compile_args=["-std=c++17", "-Wno-unused-function"]
        + (["-O0", "-g"] if DEBUG else ["-O2", "-g0"]),
        # The modules sit in tensorlib/, the core library in tensorlib/lib/.
        extra_link_args=["-Wl,-rpath,$ORIGIN/lib"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    modules = [
        Extension("tensorlib._core", ["pyx/_core.pyx"], **common),
        Extension("tensorlib._config", ["pyx/_config.pyx"], **common),
    ]
    return cythonize(
        modules,
        build_dir="build/cython",
        include_path=[str(ROOT / "pyx")],
        language_level=3,
        nthreads=JOBS,
        compiler_directives={
            "boundscheck": DEBUG,
            "wraparound": DEBUG,
            "cdivision": not DEBUG,
            "embedsignature": True,
        },
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildTensorlib},
      package_data={"tensorlib": ["lib/*.so", "lib/cmake/tensorlib/*.cmake",
                                  "include/tensorlib/*.h",
                                  # the C++ program that notebook 04 builds
                                  "examples/cpp/*"]})
