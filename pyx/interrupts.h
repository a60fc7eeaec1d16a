// Ctrl-C during Session.run: a SIGINT handler that calls the handler it was put in front of
// (Python's, which raises KeyboardInterrupt once the run returns) and counts interrupts. A run
// started on the main thread watches the count through its RunControl and stops at the next
// step or loop iteration, or the next wake-up of a wait. Included only by the Cython modules.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "tensorlib/executor.h"

namespace tl {
namespace bridge {

inline std::atomic<uint64_t> g_interrupts{0};
// The handler on_sigint chains to, in one of two slots: an installation fills the slot the
// handler is not reading and then points at it, so a signal never reads half a sigaction.
inline struct sigaction g_chained[2];
inline std::atomic<const struct sigaction*> g_previous_sigint{nullptr};
inline std::mutex g_install_mutex;  // one installation at a time

// Python's handler first, then the count: a run that sees the count changed and returns
// finds Python's KeyboardInterrupt pending (counted first, the run could return before the
// handler ran on another thread, and fail with a bare CancelledError).
inline void on_sigint(int sig, siginfo_t* info, void* context) {
  const struct sigaction* prev = g_previous_sigint.load(std::memory_order_acquire);
  if (prev && (prev->sa_flags & SA_SIGINFO)) {
    prev->sa_sigaction(sig, info, context);
  } else if (prev && prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
    prev->sa_handler(sig);
  }
  g_interrupts.fetch_add(1, std::memory_order_release);
}

// Puts on_sigint in front of the current SIGINT handler, unless it is there already or there
// is no handler to chain to (SIGINT ignored, or left to its default). Python's signal.signal
// replaces it (a notebook kernel calls it before every cell), so the runs it counts for call
// this again while they wait (RunControl::keep_counting).
inline void install_interrupt_handler() {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  struct sigaction current;
  if (sigaction(SIGINT, nullptr, &current) != 0) return;
  if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_sigint) return;
  if (!(current.sa_flags & SA_SIGINFO) &&
      (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN)) {
    return;
  }
  struct sigaction* slot =
      &g_chained[g_previous_sigint.load(std::memory_order_relaxed) == &g_chained[0] ? 1 : 0];
  *slot = current;
  g_previous_sigint.store(slot, std::memory_order_release);
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
    control->keep_counting = install_interrupt_handler;
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
