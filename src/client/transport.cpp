#include "client/transport.h"

#include <poll.h>

#include <mutex>
#include <vector>

#include <openssl/x509v3.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "client/errors.h"

namespace offerledger::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return std::nullopt;
}

namespace {

TransportError MapError(const boost::system::system_error& e, std::string_view stage) {
  const auto ec = e.code();
  std::string what = std::string(stage) + ": " + e.code().message();
  if (ec == beast::error::timeout || ec == asio::error::timed_out)
    return TransportError(TransportError::Kind::kTimeout, what);
  if (ec.category() == asio::error::get_ssl_category() && stage == "tls handshake")
    return TransportError(TransportError::Kind::kTls, what);
  if (stage == "connect" || stage == "resolve")
    return TransportError(TransportError::Kind::kConnect, what);
  return TransportError(TransportError::Kind::kIo, what);
}

// Where a connection goes; a pooled connection is reused only for the same.
struct Endpoint {
  std::string scheme;
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

// A kept-alive connection whose server closed it while it sat idle fails
// before any byte of the answer arrives; the request is then sent once more
// on a fresh connection (it cannot have been answered).
struct StaleConnection {
  TransportError error;
};

// One HTTP/1.1 connection (plain or TLS) and the io_context that drives it.
// Used by one Send at a time.
class Connection {
 public:
  Connection(Endpoint endpoint, ssl::context& tls, bool verify)
      : endpoint_(std::move(endpoint)), tls_ctx_(tls), verify_(verify) {}
  ~Connection() {
    // Streams first: their pending operations are then destroyed with the
    // io_context, never run.
    plain_.reset();
    tls_.reset();
  }

  const Endpoint& endpoint() const { return endpoint_; }

  // Connected, and the peer has neither closed the connection nor sent
  // anything unasked since the last answer.
  bool Idle() {
    tcp::socket* s = Socket();
    if (s == nullptr || !s->is_open()) return false;
    pollfd p{s->native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  // One exchange; connects first unless connected. Returns whether the
  // connection may carry another request. Throws TransportError, or
  // StaleConnection when a reused connection turned out closed.
  bool Exchange(http::request<http::string_body>& msg, std::chrono::milliseconds timeout,
                HttpResponse& out) {
    const bool reused = Socket() != nullptr;
    bool keep_alive = false;
    std::exception_ptr failure;
    bool done = false;
    ioc_.restart();
    asio::co_spawn(ioc_, Run(msg, timeout, reused, out, keep_alive), [&](std::exception_ptr e) {
      failure = e;
      done = true;
    });
    // Backstop for the resolver, which tcp_stream's deadline does not cover.
    ioc_.run_for(timeout + std::chrono::seconds(1));
    if (!done) {
      Drop();
      ioc_.run_for(std::chrono::milliseconds(100));  // let the coroutine unwind
      throw TransportError(TransportError::Kind::kTimeout, "request timed out");
    }
    if (failure) {
      Drop();
      std::rethrow_exception(failure);
    }
    if (!keep_alive) Drop();
    return keep_alive;
  }

 private:
  tcp::socket* Socket() {
    if (plain_) return &plain_->socket();
    if (tls_) return &beast::get_lowest_layer(*tls_).socket();
    return nullptr;
  }

  void Drop() {
    beast::error_code ignored;
    if (plain_) plain_->socket().close(ignored);
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
  }

  asio::awaitable<void> Connect(std::chrono::milliseconds timeout) {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    tcp::resolver::results_type endpoints;
    try {
      endpoints = co_await resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                                                  asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      throw MapError(e, "resolve");
    }
    if (endpoint_.scheme == "http") {
      plain_.emplace(ex);
      plain_->expires_after(timeout);
      try {
        co_await plain_->async_connect(endpoints, asio::use_awaitable);
      } catch (const boost::system::system_error& e) {
        throw MapError(e, "connect");
      }
      plain_->socket().set_option(tcp::no_delay(true));
      co_return;
    }
    tls_.emplace(ex, tls_ctx_);
    SSL* native = tls_->native_handle();
    boost::system::error_code not_ip;
    asio::ip::make_address(endpoint_.host, not_ip);
    // SNI names hosts, never IP addresses (RFC 6066).
    if (not_ip && !SSL_set_tlsext_host_name(native, endpoint_.host.c_str()))
      throw TransportError(TransportError::Kind::kTls, "cannot set SNI host name");
    // OpenSSL checks the name (or IP address) against the certificate's
    // subjectAltName during the chain check, so that a mismatch is reported
    // as such ("hostname mismatch") by VerifyFailure.
    if (verify_) {
      X509_VERIFY_PARAM* param = SSL_get0_param(native);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      const int set = not_ip ? X509_VERIFY_PARAM_set1_host(param, endpoint_.host.c_str(), 0)
                             : X509_VERIFY_PARAM_set1_ip_asc(param, endpoint_.host.c_str());
      if (set != 1)
        throw TransportError(TransportError::Kind::kTls, "cannot set the host to verify");
    }
    auto& lowest = beast::get_lowest_layer(*tls_);
    lowest.expires_after(timeout);
    try {
      co_await lowest.async_connect(endpoints, asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      throw MapError(e, "connect");
    }
    lowest.socket().set_option(tcp::no_delay(true));
    try {
      co_await tls_->async_handshake(ssl::stream_base::client, asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      TransportError error = MapError(e, "tls handshake");
      // Why the certificate was refused: "unable to get local issuer
      // certificate", "hostname mismatch", "certificate has expired", ...
      const long result = SSL_get_verify_result(native);
      if (result != X509_V_OK) {
        error =
            TransportError(TransportError::Kind::kTls, std::string(error.what()) + ": " +
                                                           X509_verify_cert_error_string(result));
      }
      throw error;
    }
  }

  template <class Stream>
  static asio::awaitable<void> WriteRead(Stream& stream, http::request<http::string_body>& msg,
                                         bool reused, HttpResponse& out, bool& keep_alive) {
    try {
      co_await http::async_write(stream, msg, asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      if (reused && e.code() != beast::error::timeout) throw StaleConnection{MapError(e, "write")};
      throw MapError(e, "write");
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    try {
      co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      if (reused && !parser.got_some() && e.code() != beast::error::timeout)
        throw StaleConnection{MapError(e, "read")};
      throw MapError(e, "read");
    }
    auto res = parser.release();
    keep_alive = res.keep_alive();
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res)
      out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.body = std::move(res.body());
  }

  asio::awaitable<void> Run(http::request<http::string_body>& msg,
                            std::chrono::milliseconds timeout, bool reused, HttpResponse& out,
                            bool& keep_alive) {
    if (!reused) co_await Connect(timeout);
    if (plain_) {
      plain_->expires_after(timeout);
      co_await WriteRead(*plain_, msg, reused, out, keep_alive);
    } else {
      beast::get_lowest_layer(*tls_).expires_after(timeout);
      co_await WriteRead(*tls_, msg, reused, out, keep_alive);
    }
  }

  Endpoint endpoint_;
  ssl::context& tls_ctx_;
  bool verify_;
  asio::io_context ioc_;  // destroyed after the streams
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
};

class BeastTransport final : public Transport {
 public:
  explicit BeastTransport(const Config& config)
      : ssl_ctx_(ssl::context::tls_client), verify_(config.verify_tls) {
    SSL_CTX_set_min_proto_version(ssl_ctx_.native_handle(), TLS1_2_VERSION);
    ssl_ctx_.set_default_verify_paths();
    if (!config.ca_file.empty()) ssl_ctx_.load_verify_file(config.ca_file);
    ssl_ctx_.set_verify_mode(verify_ ? ssl::verify_peer : ssl::verify_none);
  }

  HttpResponse Send(const HttpRequest& req, std::chrono::milliseconds timeout) override {
    const Url url = ParseUrl(req.url);
    http::request<http::string_body> msg{http::string_to_verb(req.method), url.target, 11};
    const bool default_port =
        (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80);
    msg.set(http::field::host, default_port ? url.host : url.host + ":" + std::to_string(url.port));
    msg.set(http::field::user_agent, "offerledger-client/0.1");
    for (const auto& [k, v] : req.headers) msg.set(k, v);
    if (req.body) {
      msg.body() = *req.body;
      msg.prepare_payload();
    }

    Endpoint endpoint{url.scheme, url.host, url.port};
    std::unique_ptr<Connection> conn = TakeIdle(endpoint);
    HttpResponse out;
    bool keep_alive = false;
    try {
      if (!conn) conn = std::make_unique<Connection>(endpoint, ssl_ctx_, verify_);
      keep_alive = conn->Exchange(msg, timeout, out);
    } catch (const StaleConnection&) {
      out = HttpResponse{};
      conn = std::make_unique<Connection>(endpoint, ssl_ctx_, verify_);
      keep_alive = conn->Exchange(msg, timeout, out);
    }
    if (keep_alive) PutIdle(std::move(conn));
    return out;
  }

 private:
  // A connection to `endpoint` kept from an earlier Send, or null.
  std::unique_ptr<Connection> TakeIdle(const Endpoint& endpoint) {
    std::vector<std::unique_ptr<Connection>> closed;  // destroyed outside the lock
    std::unique_ptr<Connection> found;
    {
      std::lock_guard lock(mu_);
      for (auto it = idle_.begin(); it != idle_.end();) {
        if ((*it)->endpoint() != endpoint) {
          ++it;
        } else if (!(*it)->Idle()) {
          closed.push_back(std::move(*it));
          it = idle_.erase(it);
        } else {
          found = std::move(*it);
          idle_.erase(it);
          break;
        }
      }
    }
    return found;
  }

  void PutIdle(std::unique_ptr<Connection> conn) {
    std::unique_ptr<Connection> evicted;
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
    if (idle_.size() > kMaxIdle) {
      evicted = std::move(idle_.front());
      idle_.erase(idle_.begin());
    }
  }

  // More than one thread may call at once (the outbox sender and the
  // caller); each then gets a connection of its own.
  static constexpr std::size_t kMaxIdle = 4;

  ssl::context ssl_ctx_;
  bool verify_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

std::unique_ptr<Transport> MakeHttpTransport(const Config& config) {
  return std::make_unique<BeastTransport>(config);
}

}  // namespace offerledger::client
