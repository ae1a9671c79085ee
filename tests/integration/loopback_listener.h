// What the integration tests' fake peers share (webhook_listener.h: a
// partner's HTTP webhook endpoint; smtp_listener.h: an SMTP server): a
// plain-socket listener on 127.0.0.1 that serves one connection at a time on
// its own thread and records what each connection delivered. It can be
// stopped (connections refused: the peer is down) and started again on the
// same port.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace itest {

// `Received`: what one delivery is recorded as. A subclass implements Serve
// and calls Record; its destructor must call Stop() (the thread calls Serve).
template <typename Received>
class LoopbackListener {
 public:
  virtual ~LoopbackListener() = default;

  // Listens on `port` (0: a free one); returns the port, 0 on failure.
  std::uint16_t Start(std::uint16_t port = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0) {
      ::close(fd_);
      fd_ = -1;
      return 0;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    stop_ = false;
    thread_ = std::thread([this] { Loop(); });
    return port_;
  }

  // Closes the listening socket: connections are refused from now on.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::uint16_t port() const { return port_; }

  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }

  // Waits until `n` deliveries have arrived (true) or `limit` passed (false).
  bool WaitFor(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(60)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return received_.size() >= n; });
  }

 protected:
  // Talks to one accepted connection `c` (closed after it returns).
  virtual void Serve(int c) = 0;

  void Record(Received r) {
    std::lock_guard lock(mu_);
    received_.push_back(std::move(r));
    cv_.notify_all();
  }

  // One "Name: value" header line into `headers`: the name lower-cased,
  // spaces before the value dropped; a line without a colon is ignored.
  static void AddHeader(const std::string& line, std::map<std::string, std::string>& headers) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) return;
    std::string name = line.substr(0, colon);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    headers[name] = value;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Serve(c);
      ::close(c);
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> received_;
};

}  // namespace itest
