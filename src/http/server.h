// HttpServer: a Boost.Beast HTTP/1.1 server. One session per connection,
// keep-alive, bounded header and body sizes, timeouts against slow clients.
// Request -> handler -> response; the handler is the only application code
// it knows. Plain HTTP or, with a certificate and key, HTTPS only (the same
// session code runs over either stream). Stops gracefully: no new
// connections, in-flight requests finish, idle keep-alive connections close.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/http_types.h"

namespace offerledger {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see HttpServer::port())
  int threads = 4;
  std::size_t header_limit = std::size_t{16} * 1024;
  std::size_t body_limit = std::size_t{1024} * 1024;
  std::chrono::seconds read_timeout{30};   // to receive one whole request
  std::chrono::seconds idle_timeout{60};   // keep-alive connection with nothing to say
  std::chrono::seconds drain_timeout{15};  // longest a graceful stop waits for in-flight work
  // TLS: with both files set the listener speaks only HTTPS (TLS 1.2+, see
  // http/tls_context.h); with neither, plain HTTP.
  std::string tls_cert_file;                   // PEM certificate chain, leaf first
  std::string tls_key_file;                    // PEM private key, unencrypted
  std::chrono::seconds handshake_timeout{10};  // to complete the TLS handshake
};

class HttpServer {
 public:
  // Answers a request before returning.
  using Handler = std::function<void(const HttpRequest&, HttpResponse&)>;
  // Hands a response back to the connection. Call it exactly once, from any
  // thread; the connection reads its next request only after it.
  using Respond = std::function<void(HttpResponse)>;
  // May answer later, from another thread: a write waiting for its group
  // commit then holds no server thread (see docs/storage.md, "Group commit").
  using AsyncHandler = std::function<void(HttpRequest, Respond)>;

  HttpServer(ServerOptions opts, Handler handler);
  HttpServer(ServerOptions opts, AsyncHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS files if any (Invalid, naming the file and the problem,
  // when they are unusable), then binds and listens (Unavailable with the
  // reason when the address is taken).
  Status Listen();
  std::uint16_t port() const;
  bool tls() const;  // the listener speaks HTTPS
  // Serves on opts.threads threads until Stop() or SIGINT/SIGTERM; returns
  // when every connection is closed.
  void Run();
  // Thread-safe; may be called from a signal-handling thread or a handler.
  void Stop();

  class Impl;  // defined in server.cpp, with the sessions

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace offerledger
