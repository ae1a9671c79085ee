#include "http/server.h"

#include <atomic>
#include <iostream>
#include <list>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "http/tls_context.h"

namespace offerledger {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::vector<std::string_view> HttpRequest::HeaderValues(std::string_view lower_name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : headers) {
    if (k == lower_name) out.emplace_back(v);
  }
  return out;
}

std::optional<std::string_view> HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return std::string_view(v);
  }
  return std::nullopt;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The response as it goes on the wire: status line, headers, body, in one
// string written with one call. Beast's serializer did the same from a
// http::response, but its generic buffer sequences (a buffers_cat_view over
// the fields and the body, walked anew on every partial write) were ~10% of
// the server's CPU on a small answer (issue 7 profile, bench/README.md).
// Requests are still parsed by Beast.
std::string SerializeResponse(const HttpResponse& out, unsigned version, bool keep_alive,
                              bool head) {
  const auto status = static_cast<http::status>(out.status);
  std::string w;
  w.reserve(160 + out.body.size());
  w += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  w += std::to_string(out.status);
  w += ' ';
  const auto reason = http::obsolete_reason(status);
  w.append(reason.data(), reason.size());
  w += "\r\nServer: offerledger\r\n";
  for (const auto& [name, value] : out.headers) {
    // Handlers set fixed names and values; a CR or LF would split the header
    // block, so such a header is dropped rather than sent.
    if (name.find_first_of("\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    w += name;
    w += ": ";
    w += value;
    w += "\r\n";
  }
  if (!out.body.empty()) {
    w += "Content-Type: ";
    w += out.content_type;
    w += "\r\n";
  }
  // HTTP/1.1 keeps a connection open unless told; HTTP/1.0 closes it unless told.
  if (version >= 11 && !keep_alive) w += "Connection: close\r\n";
  if (version < 11 && keep_alive) w += "Connection: keep-alive\r\n";
  // 204 and 304 carry no Content-Length; HEAD announces the GET length.
  if (head || (out.status != 204 && out.status != 304)) {
    w += "Content-Length: ";
    w += std::to_string(out.body.size());
    w += "\r\n";
  }
  w += "\r\n";
  if (!head) w += out.body;
  return w;
}

}  // namespace

// What the server needs of a session of either kind.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Called on stop: a connection waiting for its next request (or still in
  // its TLS handshake) closes now; one in the middle of a request finishes
  // it first.
  virtual void CloseIfIdle() = 0;
};

class HttpServer::Impl {
 public:
  Impl(ServerOptions opts, AsyncHandler handler)
      : opts_(std::move(opts)),
        handler_(std::move(handler)),
        ioc_(opts_.threads),
        acceptor_(asio::make_strand(ioc_)),
        signals_(ioc_, SIGINT, SIGTERM) {}

  Status Listen();
  void Run();
  void Stop();
  void Accept();
  void PollDrain(const std::shared_ptr<asio::steady_timer>& poll);
  std::chrono::steady_clock::time_point drain_deadline_;

  void Register(const std::shared_ptr<SessionBase>& s);
  void Unregister(SessionBase* s);
  bool stopping() const { return stopping_.load(); }

  ServerOptions opts_;
  AsyncHandler handler_;
  std::shared_ptr<ssl::context> tls_;  // null: plain HTTP
  // Declared before ioc_, so they outlive it: destroying ioc_ destroys the
  // handlers still queued on it (e.g. an answer the store posted after the
  // drain deadline), whose sessions then Unregister themselves.
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::list<std::weak_ptr<SessionBase>> sessions_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  std::uint16_t port_ = 0;
};

// One connection: request -> handler -> response, keep-alive, over a plain
// TCP stream or a TLS stream. The only differences are the TLS handshake
// before the first request and the close_notify before closing.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(tcp::socket&& socket, HttpServer::Impl& server) requires(!kTls)
      : stream_(std::move(socket)), server_(server) {}
  Session(tcp::socket&& socket, ssl::context& tls, HttpServer::Impl& server) requires(kTls)
      : stream_(std::move(socket), tls), server_(server) {}
  ~Session() override { server_.Unregister(this); }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->Read();
      }
    });
  }

  void CloseIfIdle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_ && self->buffer_.size() == 0) {
        beast::error_code ec;
        self->socket().cancel(ec);
      }
    });
  }

 private:
  tcp::socket& socket() { return beast::get_lowest_layer(stream_).socket(); }
  void ExpiresAfter(std::chrono::seconds d) { beast::get_lowest_layer(stream_).expires_after(d); }

  // A peer that never finishes the handshake is cut off after
  // handshake_timeout; one that is not speaking TLS at all (plain HTTP on
  // the HTTPS port) fails it at once and is dropped without an answer.
  void Handshake() requires(kTls) {
    idle_ = true;
    ExpiresAfter(server_.opts_.handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              if (ec) return self->CloseSocket();
                              self->handshake_done_ = true;
                              self->Read();
                            });
  }

  void Read() {
    if (server_.stopping()) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.opts_.header_limit));
    parser_->body_limit(server_.opts_.body_limit);
    idle_ = true;
    if (buffer_.size() > 0) return ParseBuffered();
    // Nothing pending: wait up to idle_timeout for the first bytes. From
    // then on the whole request must arrive within read_timeout, so that a
    // client trickling its headers a byte at a time (slowloris) is cut off.
    ExpiresAfter(server_.opts_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->OnReadError(ec);
                              self->ParseBuffered();
                            });
  }

  // Parses what the buffer holds. A request that arrived whole (the usual
  // case: one read_some brings the header and a small body) is handled at
  // once, without another asynchronous operation and its trip through the
  // scheduler; only a request still incomplete waits for the socket.
  void ParseBuffered() {
    idle_ = false;
    beast::error_code ec;
    while (!parser_->is_done() && buffer_.size() > 0) {
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more || (!ec && used == 0)) {
        ec = {};
        break;
      }
      if (ec) return OnReadError(ec);
    }
    if (parser_->is_done()) return OnRead({}, 0);
    // The rest must arrive within read_timeout of this point.
    ExpiresAfter(server_.opts_.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return ReplyAndClose(413, "payload_too_large", "The request body is too large.");
    }
    if (ec == http::error::header_limit) {
      return ReplyAndClose(431, "bad_request", "The request headers are too large.");
    }
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      return Close();
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      return ReplyAndClose(400, "bad_request", "Malformed HTTP request.");
    }
    Close();
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    HttpRequest in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    in.headers.reserve(16);
    for (const auto& f : req) in.headers.emplace_back(Lower(f.name_string()), f.value());
    in.body = std::move(req.body());
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    const bool head = in.method == "HEAD";

    // The handler may answer at once (then Send runs inline, on this
    // strand) or later from another thread (then it is posted here). The
    // flag makes a second answer, or an exception after the first, harmless.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto respond = [self = this->shared_from_this(), answered, version, keep_alive,
                    head](HttpResponse out) {
      if (answered->exchange(true)) return;
      asio::dispatch(self->stream_.get_executor(), [self, out = std::move(out), version, keep_alive,
                                                    head]() mutable {
        self->Send(std::move(out), version, keep_alive && !self->server_.stopping(), head);
      });
    };
    try {
      server_.handler_(std::move(in), respond);
    } catch (const std::exception& e) {
      std::cerr << "offerledger: handler failed: " << e.what() << "\n";
      HttpResponse out;
      out.status = 500;
      out.body = std::string(kHandlerFailedBody);
      respond(std::move(out));
    }
  }

  void Send(HttpResponse out, unsigned version, bool keep_alive, bool head) {
    auto wire = std::make_shared<std::string>(SerializeResponse(out, version, keep_alive, head));
    ExpiresAfter(server_.opts_.read_timeout);
    asio::async_write(
        stream_, asio::buffer(*wire),
        [self = this->shared_from_this(), wire, keep_alive](beast::error_code ec, std::size_t) {
          if (ec) return self->CloseSocket();
          if (!keep_alive) return self->Close();
          self->Read();
        });
  }

  void ReplyAndClose(int status, std::string_view type, std::string_view message) {
    HttpResponse out;
    out.status = status;
    out.body = std::string(R"({"type":")") + std::string(type) + R"(","message":")" +
               std::string(message) + R"(","errors":{}})";
    Send(std::move(out), 11, false, false);
  }

  // The orderly end of a connection: over TLS, close_notify first (bounded,
  // since a peer need not answer it), then the socket.
  void Close() {
    if constexpr (kTls) {
      if (handshake_done_ && !shutting_down_) {
        shutting_down_ = true;
        ExpiresAfter(std::chrono::seconds(2));
        stream_.async_shutdown(
            [self = this->shared_from_this()](beast::error_code) { self->CloseSocket(); });
        return;
      }
    }
    CloseSocket();
  }

  void CloseSocket() {
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_send, ec);
    socket().close(ec);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpServer::Impl& server_;
  bool idle_ = false;
  bool handshake_done_ = false;  // TLS only
  bool shutting_down_ = false;   // TLS only
};

using PlainSession = Session<beast::tcp_stream>;
using TlsSession = Session<beast::ssl_stream<beast::tcp_stream>>;

Status HttpServer::Impl::Listen() {
  if (!opts_.tls_cert_file.empty() || !opts_.tls_key_file.empty()) {
    auto ctx = MakeServerTlsContext(opts_.tls_cert_file, opts_.tls_key_file);
    if (!ctx.ok()) return ctx.status();
    tls_ = std::move(*ctx);
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(opts_.host, ec);
  if (ec) return Status::Invalid("invalid listen address '" + opts_.host + "': " + ec.message());
  const tcp::endpoint endpoint{address, opts_.port};
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + opts_.host + ":" + std::to_string(opts_.port) +
                               ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  return Status::Ok();
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    } else if (!stopping()) {
      beast::error_code opt_ec;
      socket.set_option(tcp::no_delay(true), opt_ec);
      if (tls_) {
        auto session = std::make_shared<TlsSession>(std::move(socket), *tls_, *this);
        Register(session);
        session->Start();
      } else {
        auto session = std::make_shared<PlainSession>(std::move(socket), *this);
        Register(session);
        session->Start();
      }
    }
    if (!stopping()) Accept();
  });
}

void HttpServer::Impl::Register(const std::shared_ptr<SessionBase>& s) {
  std::lock_guard lock(mu_);
  sessions_.push_back(s);
}

void HttpServer::Impl::Unregister(SessionBase* s) {
  // Declared before the lock, so destroyed after it is released: a locked
  // pointer can be a session's last owner, and its ~Session calls Unregister
  // again -- under the lock that would deadlock the thread on mu_.
  std::vector<std::shared_ptr<SessionBase>> locked;
  std::lock_guard lock(mu_);
  sessions_.remove_if([s, &locked](const std::weak_ptr<SessionBase>& w) {
    auto p = w.lock();
    const bool remove = !p || p.get() == s;
    if (p) locked.push_back(std::move(p));
    return remove;
  });
}

void HttpServer::Impl::Run() {
  signals_.async_wait([this](beast::error_code ec, int) {
    if (!ec) Stop();
  });
  Accept();
  std::vector<std::thread> threads;
  for (int i = 1; i < opts_.threads; ++i) threads.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : threads) t.join();
}

void HttpServer::Impl::Stop() {
  if (stopping_.exchange(true)) return;
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    signals_.cancel(ec);
    std::vector<std::shared_ptr<SessionBase>> live;
    {
      std::lock_guard lock(mu_);
      for (auto& w : sessions_) {
        if (auto s = w.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->CloseIfIdle();
    // Requests still running get drain_timeout to finish; then stop hard.
    drain_deadline_ = std::chrono::steady_clock::now() + opts_.drain_timeout;
    PollDrain(std::make_shared<asio::steady_timer>(ioc_));
  });
}

// Ends Run() once every session is gone, or when the drain deadline passes.
void HttpServer::Impl::PollDrain(const std::shared_ptr<asio::steady_timer>& poll) {
  bool empty;
  {
    std::lock_guard lock(mu_);
    empty = sessions_.empty();
  }
  if (empty || std::chrono::steady_clock::now() >= drain_deadline_) {
    ioc_.stop();
    return;
  }
  poll->expires_after(std::chrono::milliseconds(20));
  poll->async_wait([this, poll](beast::error_code) { PollDrain(poll); });
}

HttpServer::HttpServer(ServerOptions opts, Handler handler)
    : HttpServer(std::move(opts),
                 AsyncHandler([handler = std::move(handler)](HttpRequest req, Respond respond) {
                   HttpResponse out;
                   handler(req, out);
                   respond(std::move(out));
                 })) {}
HttpServer::HttpServer(ServerOptions opts, AsyncHandler handler)
    : impl_(std::make_unique<Impl>(std::move(opts), std::move(handler))) {}
HttpServer::~HttpServer() = default;
Status HttpServer::Listen() { return impl_->Listen(); }
std::uint16_t HttpServer::port() const { return impl_->port_; }
bool HttpServer::tls() const { return impl_->tls_ != nullptr; }
void HttpServer::Run() { impl_->Run(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace offerledger
