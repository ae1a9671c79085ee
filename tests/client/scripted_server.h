// A misbehaving HTTP server for retry tests: each connection gets the next
// scripted step (delay, status + headers, or a dropped connection); every
// request is recorded.
#pragma once

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
  bool drop = false;  // close the connection without answering
};

struct Seen {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Step> script) : script_(std::move(script)) {
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

 private:
  void Run() {
    namespace http = boost::beast::http;
    std::size_t next = 0;
    while (!stop_) {
      boost::asio::ip::tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) break;
      boost::beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(sock, buf, req, ec);
      if (ec) continue;
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
      if (step.drop) {
        sock.close(ec);
        continue;
      }
      http::response<http::string_body> res{static_cast<http::status>(step.status), 11};
      for (const auto& [k, v] : step.headers) res.set(k, v);
      if (step.status != 204) {
        res.set(http::field::content_type, "application/json");
        res.body() = step.body;
      }
      res.prepare_payload();
      http::write(sock, res, ec);
      sock.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  unsigned short port_ = 0;
  std::vector<Step> script_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

}  // namespace offerledger::client::testing
