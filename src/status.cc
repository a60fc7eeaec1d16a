#include "tensorlib/status.h"

namespace tl {

Status::Status(StatusCode code, std::string message, int32_t node) {
  if (code != StatusCode::kOk) state_.reset(new State{code, std::move(message), node});
}

Status::Status(const Status& other)
    : state_(other.state_ ? new State(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) state_.reset(other.state_ ? new State(*other.state_) : nullptr);
  return *this;
}

const std::string& Status::message() const {
  static const std::string empty;
  return state_ ? state_->message : empty;
}

Status Status::with_node(int32_t node) const {
  Status s(*this);
  if (s.state_ && s.state_->node < 0) s.state_->node = node;
  return s;
}

std::string Status::to_string() const {
  if (ok()) return "OK";
  const char* name = "Unknown";
  switch (code()) {
    case StatusCode::kCancelled: name = "Cancelled"; break;
    case StatusCode::kDeadlineExceeded: name = "DeadlineExceeded"; break;
    case StatusCode::kInvalidArgument: name = "InvalidArgument"; break;
    case StatusCode::kNotFound: name = "NotFound"; break;
    case StatusCode::kAlreadyExists: name = "AlreadyExists"; break;
    case StatusCode::kResourceExhausted: name = "ResourceExhausted"; break;
    case StatusCode::kFailedPrecondition: name = "FailedPrecondition"; break;
    case StatusCode::kOutOfRange: name = "OutOfRange"; break;
    case StatusCode::kUnimplemented: name = "Unimplemented"; break;
    case StatusCode::kInternal: name = "Internal"; break;
    case StatusCode::kDataLoss: name = "DataLoss"; break;
    case StatusCode::kTypeError: name = "TypeError"; break;
    default: break;
  }
  return std::string(name) + ": " + message();
}

}  // namespace tl
