// Ctrl-C during Session.run: a SIGINT handler that counts interrupts and then calls the handler
// it replaced (Python's, which raises KeyboardInterrupt once the run returns). A run started
// on the main thread watches the count through its RunControl and stops at the next step or
// loop iteration. Included only by the Cython modules.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>

#include "tensorlib/executor.h"

namespace tl {
namespace bridge {

inline std::atomic<uint64_t> g_interrupts{0};
inline struct sigaction g_previous_sigint;

// Python's handler first, then the count: a run that sees the count changed and returns
// finds Python's KeyboardInterrupt pending (counted first, the run could return before the
// handler ran on another thread, and fail with a bare CancelledError).
inline void on_sigint(int sig, siginfo_t* info, void* context) {
  const struct sigaction& prev = g_previous_sigint;
  if (prev.sa_flags & SA_SIGINFO) {
    prev.sa_sigaction(sig, info, context);
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
  }
  g_interrupts.fetch_add(1, std::memory_order_release);
}

// Puts on_sigint in front of the current SIGINT handler, unless it is there already or there
// is no handler to chain to (SIGINT ignored, or left to its default).
inline void install_interrupt_handler() {
  struct sigaction current;
  if (sigaction(SIGINT, nullptr, &current) != 0) return;
  if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_sigint) return;
  if (!(current.sa_flags & SA_SIGINFO) &&
      (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN)) {
    return;
  }
  g_previous_sigint = current;
  struct sigaction ours = current;
  ours.sa_flags |= SA_SIGINFO;
  ours.sa_sigaction = on_sigint;
  sigaction(SIGINT, &ours, nullptr);
}

// Prepares `control` for one run: stopped by Ctrl-C when `interruptible`, and by a deadline
// `timeout_ms` from now when that is positive.
inline void start_run(RunControl* control, bool interruptible, int64_t timeout_ms) {
  if (interruptible) {
    control->interrupts = &g_interrupts;
    control->interrupts_seen = g_interrupts.load(std::memory_order_relaxed);
  }
  if (timeout_ms > 0) {
    control->has_deadline = true;
    control->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
}

inline bool interrupted(const RunControl& control) {
  return control.interrupts &&
         control.interrupts->load(std::memory_order_acquire) != control.interrupts_seen;
}

}  // namespace bridge
}  // namespace tl
