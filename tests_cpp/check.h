// The checks of the C++ test programs: a failed check prints where it is and counts, and the
// program goes on; main() reports g_failures at the end.
#pragma once

#include <cstdio>

inline int g_failures = 0;

#define CHECK(cond)                                                 \
  do {                                                              \
    if (!(cond)) {                                                  \
      std::printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                 \
    }                                                               \
  } while (0)

// Checks that a Status-returning expression succeeds; returns from the (void) test if not.
#define CHECK_OK(expr)                                                                  \
  do {                                                                                  \
    ::tl::Status s_ = (expr);                                                           \
    if (!s_.ok()) {                                                                     \
      std::printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, s_.to_string().c_str()); \
      ++g_failures;                                                                     \
      return;                                                                           \
    }                                                                                   \
  } while (0)
