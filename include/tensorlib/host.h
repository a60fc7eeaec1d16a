// What the program embedding tensorlib lends to kernels that reach outside the graph: the
// Python module installs these when it loads; a plain C++ program may leave them unset.
//
//   PyFunc (tf.py_func)          calls host().call_function(token, inputs, &outputs)
//   Print, PrintV2 (tf.print)    write through host().write(stream, text)
#pragma once

#include <string>
#include <vector>

#include "tensorlib/status.h"
#include "tensorlib/tensor.h"

namespace tl {

// Where printed text goes.
enum class HostStream : int { kStderr = 0, kStdout = 1, kLogInfo = 2 };

struct HostCallbacks {
  // Runs the host function registered under `token` on `inputs` and fills `outputs`; null
  // when no host language registered functions.
  Status (*call_function)(const std::string& token, const std::vector<Tensor>& inputs,
                          std::vector<Tensor>* outputs) = nullptr;
  // Writes `text` to the host's `stream` (Python: sys.stderr, so notebooks show it); null:
  // the process's own stderr/stdout.
  void (*write)(int stream, const std::string& text) = nullptr;
};

// The process's host callbacks (set once, when the host module loads).
HostCallbacks& host();

// Writes `text` through host().write, or to the process's stderr/stdout without a host.
void host_write(HostStream stream, const std::string& text);

}  // namespace tl
