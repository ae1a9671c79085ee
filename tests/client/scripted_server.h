// A misbehaving HTTP server for retry tests: each request gets the next
// scripted step (delay, status + headers, or a dropped connection); every
// request is recorded. By default it closes each connection after one answer
// without announcing it (no "Connection: close"), as a server whose
// keep-alive timeout just ran out would; with keep_alive it serves requests
// on a connection until the client closes it (or a step says close).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace offerledger::client::testing {

struct Step {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "{}";
  std::chrono::milliseconds delay{0};
  bool drop = false;   // close the connection without answering
  bool close = false;  // keep_alive: answer, then close without announcing it
};

struct Seen {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Step> script, bool keep_alive = false)
      : script_(std::move(script)), keep_alive_(keep_alive) {
    namespace asio = boost::asio;
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    // Unblock a read on a kept-alive connection, then the accept.
    if (const int fd = current_fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    boost::system::error_code ec;
    // Wake the blocking accept.
    boost::asio::ip::tcp::socket s(ioc_);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  unsigned short port() const { return port_; }
  std::vector<Seen> seen() {
    std::lock_guard l(mu_);
    return seen_;
  }
  // Connections accepted so far.
  int connections() const { return connections_.load(); }

 private:
  void Run() {
    namespace http = boost::beast::http;
    std::size_t next = 0;
    while (!stop_) {
      boost::asio::ip::tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) break;
      ++connections_;
      current_fd_ = sock.native_handle();
      boost::beast::flat_buffer buf;
      while (!stop_) {
        http::request<http::string_body> req;
        http::read(sock, buf, req, ec);
        if (ec) break;
        Seen s;
        s.method = std::string(req.method_string());
        s.target = std::string(req.target());
        for (const auto& f : req) {
          std::string n(f.name_string());
          for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          s.headers[n] = std::string(f.value());
        }
        s.body = req.body();
        {
          std::lock_guard l(mu_);
          seen_.push_back(s);
        }
        const Step step = next < script_.size() ? script_[next] : Step{};
        ++next;
        if (step.delay.count() > 0) std::this_thread::sleep_for(step.delay);
        if (step.drop) break;
        http::response<http::string_body> res{static_cast<http::status>(step.status), 11};
        for (const auto& [k, v] : step.headers) res.set(k, v);
        if (step.status != 204) {
          res.set(http::field::content_type, "application/json");
          res.body() = step.body;
        }
        res.prepare_payload();
        http::write(sock, res, ec);
        if (ec || !keep_alive_ || step.close) {
          sock.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
          break;
        }
      }
      current_fd_ = -1;
      sock.close(ec);
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  unsigned short port_ = 0;
  std::vector<Step> script_;
  bool keep_alive_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> current_fd_{-1};
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

}  // namespace offerledger::client::testing
