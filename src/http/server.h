// HttpServer: a Boost.Beast HTTP/1.1 server. One session per connection,
// keep-alive, bounded header and body sizes, timeouts against slow clients.
// Request -> handler -> response; the handler is the only application code
// it knows. Stops gracefully: no new connections, in-flight requests finish,
// idle keep-alive connections close.
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
  std::chrono::seconds read_timeout{30};  // to receive one whole request
  std::chrono::seconds idle_timeout{60};  // keep-alive connection with nothing to say
  std::chrono::seconds drain_timeout{15}; // longest a graceful stop waits for in-flight work
};

class HttpServer {
 public:
  using Handler = std::function<void(const HttpRequest&, HttpResponse&)>;

  HttpServer(ServerOptions opts, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Unavailable with the reason when the address is taken.
  Status Listen();
  std::uint16_t port() const;
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
