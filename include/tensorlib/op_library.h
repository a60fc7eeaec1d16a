// Op libraries: ops written outside tensorlib against its public headers, built into a shared
// library and loaded while a program runs, by Python (tensorlib.load_op_library) and by C++
// (tl::load_op_library) alike. Once loaded, its ops are used like tensorlib's own.
//
// A library declares its ops and their kernels in one entry point (see op_registry.h for OpDef
// and shape functions, kernel.h for KernelDef). It may also add a kernel for a device that one
// of tensorlib's ops (or another library's) has no kernel for:
//
//   #include "tensorlib/op_library.h"
//
//   TL_OP_LIBRARY(lib) {
//     lib.add(tl::OpDef("ScaledSoftsign")
//                 .input("x")
//                 .attr("scale", tl::AttrType::kFloat, 1.0)
//                 .shape(scaled_softsign_shape));
//     lib.add(tl::KernelDef("ScaledSoftsign", tl::Device::kCPU).compute(scaled_softsign_cpu));
//     lib.add(tl::KernelDef("Add", tl::Device::kGPU).compute(add_gpu));
//   }
//
// built with CMake against the installed package:
//
//   find_package(tensorlib CONFIG REQUIRED)   # -Dtensorlib_DIR=$(python -c "import
//   add_library(my_ops SHARED my_ops.cc)      #   tensorlib; print(tensorlib.get_cmake_dir())")
//   target_link_libraries(my_ops PRIVATE tensorlib::tensorlib)
//
// and loaded before a graph that uses its ops is built or run:
//
//   std::vector<std::string> ops;
//   TL_RETURN_IF_ERROR(tl::load_op_library("/path/libmy_ops.so", &ops));
//
// Loading checks every declaration first and registers all of the library's ops and kernels or
// none: an op name that is taken, or an (op, device) that already has a kernel, fails the load
// and leaves the registries as they were. A library stays
// loaded until the process exits.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tensorlib/kernel.h"
#include "tensorlib/status.h"

// The layout of the classes a library shares with tensorlib (OpDef, the contexts, Tensor, ...).
// NOTE: bump it whenever a public class used by kernels or shape functions changes layout.
#define TL_OP_LIBRARY_ABI_VERSION 2

// libstdc++'s std::string layout (_GLIBCXX_USE_CXX11_ABI): a library must use tensorlib's.
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define TL_CXX11_STRING_ABI _GLIBCXX_USE_CXX11_ABI
#else
#define TL_CXX11_STRING_ABI 0
#endif

namespace tl {

// What a library records of its build, and a tensorlib built otherwise refuses: the version
// above and the std::string layout.
constexpr int op_library_abi() { return TL_OP_LIBRARY_ABI_VERSION * 2 + TL_CXX11_STRING_ABI; }

// What a library's entry point fills in: the declarations of its ops and kernels.
class OpLibraryBuilder {
 public:
  // Declares one op of the library.
  OpLibraryBuilder& add(OpDef def) { return ops_.push_back(std::move(def)), *this; }
  // Declares one kernel: for one of the library's ops, or for an op registered before.
  OpLibraryBuilder& add(KernelDef def) { return kernels_.push_back(std::move(def)), *this; }
  // The declarations so far.
  std::vector<OpDef>& ops() { return ops_; }
  std::vector<KernelDef>& kernels() { return kernels_; }

 private:
  std::vector<OpDef> ops_;
  std::vector<KernelDef> kernels_;
};

// Loads the op library at `path` and registers its ops and kernels. `op_names` (may be null)
// receives the names of the ops the library declares. Loading the same library again changes
// nothing and gives the same names. Fails with kNotFound when there is no such file or a
// kernel is for an unknown op, kAlreadyExists when an op name is taken or an (op, device) has
// a kernel already, kInvalidArgument when the file is no tensorlib op library (or one built
// for another op_library_abi(), or one that declares neither ops nor kernels, or an op without
// a kernel).
Status load_op_library(const std::string& path, std::vector<std::string>* op_names);

// The path of the op library that declared op `op`, or "" for tensorlib's own ops (and for
// unknown names).
std::string op_library_of(const std::string& op);

}  // namespace tl

// The entry points a library exports (C linkage, so the loader finds them by name).
#define TL_OP_LIBRARY_EXPORT __attribute__((visibility("default")))

// Opens the body of a library's entry point; `builder` names its OpLibraryBuilder.
#define TL_OP_LIBRARY(builder)                                                     \
  extern "C" TL_OP_LIBRARY_EXPORT int tensorlib_op_library_abi() {                 \
    return ::tl::op_library_abi();                                                 \
  }                                                                                \
  extern "C" TL_OP_LIBRARY_EXPORT void tensorlib_declare_ops(::tl::OpLibraryBuilder& builder)
