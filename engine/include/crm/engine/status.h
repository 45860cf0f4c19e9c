// Status and Result<T>: how every expected error travels in crm.
//
// A Status is OK or carries a stable code, a message that tells the user what
// to do, optionally the field that was wrong, and, for AlreadyExists, the id of
// the record that already holds the key. The same codes travel on the wire.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace crm::engine::internal {
// Reports a broken invariant (a bug, never bad input) and aborts.
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace crm::engine::internal

// Always-on invariant check: a false `cond` is a bug in crm, so the process
// stops with the condition and its place rather than corrupting data.
#define CRM_CHECK(cond)                                                         \
  do {                                                                          \
    if (!(cond)) ::crm::engine::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (0)

namespace crm::engine {

// Stable numeric codes: never renumber, only append.
enum class Code : uint8_t {
  kOk = 0,
  kNotFound = 1,
  kInvalidArgument = 2,
  kAlreadyExists = 3,
  kPermissionDenied = 4,
  kConflict = 5,
  kUnavailable = 6,
  kInternal = 7,
  // A resource is held by another process (a data directory open in a
  // running crmd): go through that process, or stop it first.
  kInUse = 8,
  // The record is not in the state the operation requires (converting a
  // customer that is not a lead): the message names the state it is in.
  kFailedPrecondition = 9,
};

// Returns the lower-case name of `code` ("not_found", ...).
std::string_view CodeName(Code code);

// [[nodiscard]]: an ignored Status is an ignored error; discard one on
// purpose with `.IgnoreError()`.
class [[nodiscard]] Status {
 public:
  // OK. Costs nothing: an OK status holds no allocation.
  Status() = default;
  Status(Code code, std::string message, std::string field = {}, uint64_t existing_id = 0);

  Status(const Status& other) : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg, std::string field = {}) {
    return Status(Code::kNotFound, std::move(msg), std::move(field));
  }
  static Status InvalidArgument(std::string msg, std::string field = {}) {
    return Status(Code::kInvalidArgument, std::move(msg), std::move(field));
  }
  // `existing_id` names the record that already holds the unique key.
  static Status AlreadyExists(std::string msg, std::string field, uint64_t existing_id) {
    return Status(Code::kAlreadyExists, std::move(msg), std::move(field), existing_id);
  }
  static Status PermissionDenied(std::string msg) {
    return Status(Code::kPermissionDenied, std::move(msg));
  }
  static Status Conflict(std::string msg, std::string field = {}) {
    return Status(Code::kConflict, std::move(msg), std::move(field));
  }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }
  static Status InUse(std::string msg) { return Status(Code::kInUse, std::move(msg)); }
  static Status FailedPrecondition(std::string msg, std::string field = {}) {
    return Status(Code::kFailedPrecondition, std::move(msg), std::move(field));
  }

  bool ok() const { return rep_ == nullptr; }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  const std::string& message() const { return rep_ ? rep_->message : Empty(); }
  // The offending field ("customer.phones[1]"), empty when not about one field.
  const std::string& field() const { return rep_ ? rep_->field : Empty(); }
  // For AlreadyExists: the id of the record that already holds the key.
  uint64_t existing_id() const { return rep_ ? rep_->existing_id : 0; }

  // "invalid_argument: customer.name: must be valid UTF-8".
  std::string ToString() const;

  // Says, where it is not obvious, that the error is deliberately dropped.
  void IgnoreError() const {}

 private:
  struct Rep {
    Code code;
    std::string message;
    std::string field;
    uint64_t existing_id;
  };
  static const std::string& Empty();
  std::unique_ptr<Rep> rep_;
};

// Either a value or a non-OK Status. Reading the value of an error is a bug
// and stops the process (CRM_CHECK), never undefined behaviour.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Internal("Result constructed from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }

 private:
  T& Checked() {
    CRM_CHECK(value_.has_value());
    return *value_;
  }
  const T& Checked() const {
    CRM_CHECK(value_.has_value());
    return *value_;
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace crm::engine

// Returns the Status of `expr` from the enclosing function unless it is OK.
#define CRM_RETURN_IF_ERROR(expr)                  \
  do {                                             \
    ::crm::engine::Status crm_status_ = (expr);    \
    if (!crm_status_.ok()) return crm_status_;     \
  } while (0)

