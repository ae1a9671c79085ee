// One HTTP exchange. The SDK talks to the network only through Transport,
// so Beast and Asio stay in transport.cpp (and tests can script answers).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/config.h"
#include "client/signer.h"

namespace offerledger::client {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string url;     // absolute
  HeaderList headers;
  std::optional<std::string> body;
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
  std::optional<std::string> Header(std::string_view name) const;  // case-insensitive
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Throws TransportError when no HTTP answer arrives within `timeout`.
  virtual HttpResponse Send(const HttpRequest& req, std::chrono::milliseconds timeout) = 0;
};

// HTTP/1.1 over TCP or TLS 1.2+ (Boost.Beast, OpenSSL). Connections are
// kept alive and reused by later calls to the same scheme, host and port
// (up to 4 idle ones, so concurrent callers each get their own); one the
// server has closed meanwhile is replaced transparently. TLS verifies the
// chain (system store + config.ca_file) and the host name or IP address
// unless config.verify_tls is false. Send is thread-safe.
std::unique_ptr<Transport> MakeHttpTransport(const Config& config);

}  // namespace offerledger::client
