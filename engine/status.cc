#include "crm/engine/status.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace crm::engine {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kNotFound:
      return "not_found";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kAlreadyExists:
      return "already_exists";
    case Code::kPermissionDenied:
      return "permission_denied";
    case Code::kConflict:
      return "conflict";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kInternal:
      return "internal";
    case Code::kInUse:
      return "in_use";
    case Code::kFailedPrecondition:
      return "failed_precondition";
  }
  // A value outside the enum (a newer peer's code read off the wire).
  return "unknown";
}

// An OK status holds no Rep, so Status(Code::kOk, ...) is plain OK: ok() must
// agree with code() whichever way the status was built.
Status::Status(Code code, std::string message, std::string field, uint64_t existing_id) {
  if (code == Code::kOk) return;
  rep_ = std::make_unique<Rep>(Rep{code, std::move(message), std::move(field), existing_id});
}

std::string Status::ToString() const {
  std::string out(CodeName(code()));
  if (ok()) return out;
  if (!rep_->field.empty()) {
    out += ": ";
    out += rep_->field;
  }
  out += ": ";
  out += rep_->message;
  return out;
}

const std::string& Status::Empty() {
  // Never destroyed, so it stays valid for statuses read during static
  // destruction.
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

}  // namespace crm::engine

namespace crm::engine::internal {
void CheckFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "crm: invariant failed: %s at %s:%d\n", condition, file, line);
  std::abort();
}
}  // namespace crm::engine::internal
