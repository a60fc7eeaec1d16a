// The host callbacks (host.h): set by the Python module, absent in plain C++ programs.
#include "tensorlib/host.h"

#include <cstdio>

namespace tl {

HostCallbacks& host() {
  static HostCallbacks callbacks;
  return callbacks;
}

void host_write(HostStream stream, const std::string& text) {
  if (host().write) {
    host().write(static_cast<int>(stream), text);
    return;
  }
  std::FILE* out = stream == HostStream::kStdout ? stdout : stderr;
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

}  // namespace tl
