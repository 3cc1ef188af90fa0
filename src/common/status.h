// Status and Result<T>: the one error type that crosses module boundaries.
// Cheap on success (no allocation); a failure carries a code and a message for a person.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sluice {

enum class StatusCode {
  kOk,
  kInvalidArgument,  // the user's mistake (flag, SQL, URL): the CLI exits 2
  kNotFound,
  kIOError,
  kCorruption,   // a file sluice wrote itself is damaged (checkpoint)
  kUnavailable,  // a peer (broker) cannot be reached
  kBrokenPipe,   // the reader of an output pipe went away: the run ends quietly
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
  static Status BrokenPipe(std::string msg) { return {StatusCode::kBrokenPipe, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Exit code for the CLI: 2 for a user's mistake or a damaged checkpoint (nothing ran: the
  // user must act), 141 for a closed output pipe (what a shell shows for a death by SIGPIPE,
  // as `cmd | head` gives), 1 for everything else that failed.
  int exit_code() const {
    if (ok()) return 0;
    if (code_ == StatusCode::kBrokenPipe) return 141;
    return code_ == StatusCode::kInvalidArgument || code_ == StatusCode::kCorruption ? 2 : 1;
  }

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like absl::StatusOr
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sluice

#define SLUICE_RETURN_IF_ERROR(expr) \
  do {                               \
    ::sluice::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)

// `lhs = value of expr`, or return expr's Status from the enclosing function. Expands to more
// than one statement: use it inside braces.
#define SLUICE_CONCAT_INNER(a, b) a##b
#define SLUICE_CONCAT(a, b) SLUICE_CONCAT_INNER(a, b)
// tmp is declared and lhs assigned to, so neither can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define SLUICE_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                       \
  if (!tmp.ok()) return tmp.status();      \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
#define SLUICE_ASSIGN_OR_RETURN(lhs, expr) \
  SLUICE_ASSIGN_IMPL(SLUICE_CONCAT(result_, __LINE__), lhs, expr)
