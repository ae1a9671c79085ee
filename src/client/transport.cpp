#include "client/transport.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
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

TransportError MapError(const boost::system::system_error& e, const char* stage) {
  const auto ec = e.code();
  std::string what = std::string(stage) + ": " + e.code().message();
  if (ec == beast::error::timeout || ec == asio::error::timed_out)
    return TransportError(TransportError::Kind::kTimeout, what);
  if (ec.category() == asio::error::get_ssl_category() &&
      std::string_view(stage) == "tls handshake")
    return TransportError(TransportError::Kind::kTls, what);
  if (std::string_view(stage) == "connect" || std::string_view(stage) == "resolve")
    return TransportError(TransportError::Kind::kConnect, what);
  return TransportError(TransportError::Kind::kIo, what);
}

class BeastTransport final : public Transport {
 public:
  explicit BeastTransport(const Config& config)
      : ssl_ctx_(ssl::context::tls_client), verify_(config.verify_tls) {
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
    msg.set(http::field::connection, "close");
    for (const auto& [k, v] : req.headers) msg.set(k, v);
    if (req.body) {
      msg.body() = *req.body;
      msg.prepare_payload();
    }

    asio::io_context ioc;
    HttpResponse out;
    std::exception_ptr failure;
    bool done = false;
    asio::co_spawn(ioc, Exchange(url, msg, timeout, out), [&](std::exception_ptr e) {
      failure = e;
      done = true;
    });
    // Backstop for the resolver, which tcp_stream's deadline does not cover.
    ioc.run_for(timeout + std::chrono::seconds(1));
    if (!done) throw TransportError(TransportError::Kind::kTimeout, "request timed out");
    if (failure) std::rethrow_exception(failure);
    return out;
  }

 private:
  template <class Stream>
  static asio::awaitable<void> WriteRead(Stream& stream, http::request<http::string_body>& msg,
                                         HttpResponse& out) {
    try {
      co_await http::async_write(stream, msg, asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      throw MapError(e, "write");
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    try {
      co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      throw MapError(e, "read");
    }
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res)
      out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.body = std::move(res.body());
  }

  asio::awaitable<void> Exchange(Url url, http::request<http::string_body>& msg,
                                 std::chrono::milliseconds timeout, HttpResponse& out) {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    tcp::resolver::results_type endpoints;
    try {
      endpoints =
          co_await resolver.async_resolve(url.host, std::to_string(url.port), asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      throw MapError(e, "resolve");
    }
    if (url.scheme == "http") {
      beast::tcp_stream stream(ex);
      stream.expires_after(timeout);
      try {
        co_await stream.async_connect(endpoints, asio::use_awaitable);
      } catch (const boost::system::system_error& e) {
        throw MapError(e, "connect");
      }
      co_await WriteRead(stream, msg, out);
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(ex, ssl_ctx_);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
      throw TransportError(TransportError::Kind::kTls, "cannot set SNI host name");
    if (verify_) stream.set_verify_callback(ssl::host_name_verification(url.host));
    beast::get_lowest_layer(stream).expires_after(timeout);
    try {
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      throw MapError(e, "connect");
    }
    try {
      co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      throw MapError(e, "tls handshake");
    }
    co_await WriteRead(stream, msg, out);
    // The answer is complete; a peer that skips close_notify is harmless here.
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  ssl::context ssl_ctx_;
  bool verify_;
};

}  // namespace

std::unique_ptr<Transport> MakeHttpTransport(const Config& config) {
  return std::make_unique<BeastTransport>(config);
}

}  // namespace offerledger::client
