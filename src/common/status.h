// Status: an explicit success-or-error value, in the spirit of LevelDB's.
// Errors carry a kind (which maps to an HTTP status at the edge), a human
// sentence, and optional per-field details for validation errors.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace offerledger {

enum class StatusCode {
  kOk = 0,
  kBadRequest,        // malformed input: bad JSON, bad header (400)
  kUnauthenticated,   // signature, key or date check failed (401)
  kNotFound,          // unknown, or belongs to another partner (404)
  kConflict,          // idempotency key reused with another body (409)
  kInvalid,           // validation error or invalid state (422)
  kRateLimited,       // over the partner's rate (429)
  kUnavailable,       // the store cannot make the write durable now (503)
  kInternal,          // a real server fault (500)
};

// One problem with one field of a request: `path` names the field
// ("policy_version", "request.0.tickets"), `message` says what is wrong.
struct FieldError {
  std::string path;
  std::string message;
  bool operator==(const FieldError&) const = default;
};

class Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return {}; }
  static Status BadRequest(std::string msg) { return {StatusCode::kBadRequest, std::move(msg)}; }
  static Status Unauthenticated(std::string msg) {
    return {StatusCode::kUnauthenticated, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {StatusCode::kConflict, std::move(msg)}; }
  static Status Invalid(std::string msg, std::vector<FieldError> fields = {}) {
    Status s{StatusCode::kInvalid, std::move(msg)};
    s.fields_ = std::move(fields);
    return s;
  }
  static Status RateLimited(std::string msg) { return {StatusCode::kRateLimited, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldError>& fields() const { return fields_; }

  // "NotFound: no quote package ABCDE-FGHIJ-INS" — for logs and tests.
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::vector<FieldError> fields_;
};

const char* StatusCodeName(StatusCode code);

}  // namespace offerledger
