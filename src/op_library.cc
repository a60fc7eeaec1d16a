#include "tensorlib/op_library.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>

namespace tl {
namespace {

struct LoadedLibrary {
  void* handle;
  std::string path;  // as resolved when it was first loaded
  std::vector<std::string> ops;
};

using AbiFn = int (*)();
using DeclareOpsFn = void (*)(OpLibraryBuilder&);

std::mutex& loader_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Every library loaded so far. NOTE: never destroyed, like the libraries and the registry.
std::vector<LoadedLibrary>& loaded_libraries() {
  static auto* libraries = new std::vector<LoadedLibrary>();
  return *libraries;
}

// The file behind `handle` (where the loader found a bare name), symbolic links resolved.
std::string library_file(void* handle, const std::string& path) {
  struct link_map* map = nullptr;
  const bool known = dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name &&
                     map->l_name[0] != '\0';
  char buffer[PATH_MAX];
  return realpath(known ? map->l_name : path.c_str(), buffer) ? std::string(buffer) : path;
}

std::string describe_abi(int abi) {
  return "op library ABI version " + std::to_string(abi / 2) + " with _GLIBCXX_USE_CXX11_ABI=" +
         std::to_string(abi % 2);
}

// Who registered op `name`, for error messages; the caller holds loader_mutex().
std::string owner_of(const std::string& name) {
  for (const LoadedLibrary& lib : loaded_libraries()) {
    for (const std::string& op : lib.ops) {
      if (op == name) return "op library '" + lib.path + "'";
    }
  }
  return "tensorlib (one of its own ops)";
}

// Reads the library's declarations and registers them; the caller closes `handle` on failure.
Status register_library(void* handle, const std::string& path, std::vector<std::string>* names) {
  const std::string what = "op library '" + path + "'";
  auto abi = reinterpret_cast<AbiFn>(dlsym(handle, "tensorlib_op_library_abi"));
  auto declare_ops = reinterpret_cast<DeclareOpsFn>(dlsym(handle, "tensorlib_declare_ops"));
  if (!abi || !declare_ops) {
    return invalid_argument("'" + path + "' is not a tensorlib op library: it exports no "
                            "tensorlib_declare_ops entry point (declare its ops in TL_OP_LIBRARY)");
  }
  if (abi() != op_library_abi()) {
    return invalid_argument(what + " was built for " + describe_abi(abi()) +
                            ", but this tensorlib has " + describe_abi(op_library_abi()) +
                            ": rebuild it against this tensorlib");
  }
  OpLibraryBuilder builder;
  try {
    declare_ops(builder);
  } catch (const std::exception& e) {
    return invalid_argument(what + " failed while declaring its ops: " + e.what());
  } catch (...) {
    return invalid_argument(what + " failed while declaring its ops");
  }
  std::vector<OpDef>& ops = builder.ops();
  std::vector<KernelDef>& kernels = builder.kernels();
  if (ops.empty() && kernels.empty()) {
    return invalid_argument(what + " declares no ops and no kernels");
  }
  OpRegistry& registry = OpRegistry::global();
  std::vector<std::string> op_names;
  for (const OpDef& op : ops) {
    if (registry.find(op.name())) {
      return Status(StatusCode::kAlreadyExists, what + " declares op '" + op.name() +
                                                    "', which is already registered by " +
                                                    owner_of(op.name()));
    }
    if (std::none_of(kernels.begin(), kernels.end(),
                     [&](const KernelDef& k) { return k.op() == op.name(); })) {
      return invalid_argument(what + " declares op '" + op.name() + "' without a kernel");
    }
    op_names.push_back(op.name());
  }
  KernelRegistry& kernel_registry = KernelRegistry::global();
  Status s = kernel_registry.check_all(kernels, op_names);
  if (s.ok()) s = registry.add_all(std::move(ops));
  // NOTE: loads are serialized by loader_mutex() and the kernels were checked, so they cannot
  // fail once the ops are in.
  if (s.ok()) s = kernel_registry.add_all(std::move(kernels));
  if (!s.ok()) return Status(s.code(), what + ": " + s.message());
  *names = std::move(op_names);
  return Status::OK();
}

}  // namespace

Status load_op_library(const std::string& path, std::vector<std::string>* op_names) {
  if (path.empty()) return invalid_argument("no op library path given");
  std::vector<std::string> names;
  std::lock_guard<std::mutex> lock(loader_mutex());
  struct stat info;
  // A bare file name is looked for where dlopen looks (LD_LIBRARY_PATH, ...); a path must exist.
  if (path.find('/') != std::string::npos && stat(path.c_str(), &info) != 0) {
    return not_found("op library '" + path + "' not found: " + std::strerror(errno));
  }
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* error = dlerror();
    std::string message = "could not load op library '" + path + "': " +
                          (error ? error : "unknown dlopen error");
    if (message.find("No such file") != std::string::npos) {
      return not_found(message);
    }
    return invalid_argument(message);
  }
  for (const LoadedLibrary& lib : loaded_libraries()) {
    if (lib.handle == handle) {  // loaded before: dlopen only counted one more reference
      dlclose(handle);
      if (op_names) *op_names = lib.ops;
      return Status::OK();
    }
  }
  const std::string full_path = library_file(handle, path);
  Status s = register_library(handle, full_path, &names);
  if (!s.ok()) {
    dlclose(handle);  // none of its code is referenced: nothing was registered
    return s;
  }
  loaded_libraries().push_back({handle, full_path, names});
  if (op_names) *op_names = std::move(names);
  return Status::OK();
}

std::string op_library_of(const std::string& op) {
  std::lock_guard<std::mutex> lock(loader_mutex());
  for (const LoadedLibrary& lib : loaded_libraries()) {
    for (const std::string& name : lib.ops) {
      if (name == op) return lib.path;
    }
  }
  return "";
}

}  // namespace tl
