// Typed errors of the partner SDK.
#pragma once

#include <stdexcept>
#include <string>

namespace offerledger::client {

// The server answered with a non-2xx status (after any retries).
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string type, std::string message, std::string body, int attempts)
      : std::runtime_error("HTTP " + std::to_string(status) + " " + type + ": " + message),
        status_(status),
        type_(std::move(type)),
        message_(std::move(message)),
        body_(std::move(body)),
        attempts_(attempts) {}
  int status() const { return status_; }
  const std::string& type() const { return type_; }        // "validation_error", ...
  const std::string& message() const { return message_; }  // the server's sentence
  const std::string& body() const { return body_; }        // raw response body
  int attempts() const { return attempts_; }
  // 429, 502, 503, 504: worth trying again later.
  bool retryable() const { return IsRetryableStatus(status_); }
  static bool IsRetryableStatus(int s) { return s == 429 || s == 502 || s == 503 || s == 504; }

 private:
  int status_;
  std::string type_;
  std::string message_;
  std::string body_;
  int attempts_;
};

// No HTTP answer: DNS, connect, TLS handshake/verification, timeout, dropped
// connection (after any retries). Always worth retrying later, except for a
// TLS verification failure (tls_verification() true), which is configuration.
class TransportError : public std::runtime_error {
 public:
  enum class Kind { kConnect, kTimeout, kIo, kTls };
  TransportError(Kind kind, const std::string& what, int attempts = 1)
      : std::runtime_error(what), kind_(kind), attempts_(attempts) {}
  Kind kind() const { return kind_; }
  int attempts() const { return attempts_; }
  bool tls_verification() const { return kind_ == Kind::kTls; }

 private:
  Kind kind_;
  int attempts_;
};

}  // namespace offerledger::client
