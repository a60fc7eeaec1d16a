// Status: how every fallible tensorlib call reports failure.
//
// An OK status is one null pointer, so returning it costs nothing on hot paths. A failed
// status carries a code, a message and, when the failure belongs to a graph node, that node's
// id so the Python layer can name the op and the user's source line.
//
//   tl::Status s = graph.add_node(spec, &id);
//   if (!s.ok()) std::cerr << s.message() << "\n";
//
//   TL_RETURN_IF_ERROR(check_inputs(ctx));   // propagate inside tensorlib code
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace tl {

// Codes follow TensorFlow's canonical error codes, plus kTypeError for dtype mismatches
// found while building a graph (Python raises TypeError for those, as TF1 does).
enum class StatusCode : int32_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kDataLoss = 15,
  kTypeError = 100,
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, int32_t node = -1);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  // True when the call succeeded.
  bool ok() const { return state_ == nullptr; }
  // The error code (kOk when ok()).
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  // The error message (empty when ok()).
  const std::string& message() const;
  // The graph node the error belongs to, or -1.
  int32_t node() const { return state_ ? state_->node : -1; }
  // Returns a copy attributed to `node` unless it already names one.
  Status with_node(int32_t node) const;
  // "InvalidArgument: message" style text for logs and the C++ API.
  std::string to_string() const;

  static Status OK() { return Status(); }

 private:
  struct State {
    StatusCode code;
    std::string message;
    int32_t node;
  };
  std::unique_ptr<State> state_;
};

// Constructors for the common codes.
inline Status invalid_argument(std::string msg) {
  return Status(StatusCode::kInvalidArgument, std::move(msg));
}
inline Status type_error(std::string msg) { return Status(StatusCode::kTypeError, std::move(msg)); }
inline Status failed_precondition(std::string msg) {
  return Status(StatusCode::kFailedPrecondition, std::move(msg));
}
inline Status cancelled(std::string msg) { return Status(StatusCode::kCancelled, std::move(msg)); }
inline Status deadline_exceeded(std::string msg) {
  return Status(StatusCode::kDeadlineExceeded, std::move(msg));
}
inline Status not_found(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
inline Status unimplemented(std::string msg) {
  return Status(StatusCode::kUnimplemented, std::move(msg));
}
inline Status internal_error(std::string msg) {
  return Status(StatusCode::kInternal, std::move(msg));
}
inline Status resource_exhausted(std::string msg) {
  return Status(StatusCode::kResourceExhausted, std::move(msg));
}
inline Status data_loss(std::string msg) { return Status(StatusCode::kDataLoss, std::move(msg)); }

}  // namespace tl

#define TL_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::tl::Status tl_status_ = (expr);       \
    if (!tl_status_.ok()) return tl_status_; \
  } while (0)
