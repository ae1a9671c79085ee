// A tiny SMTP server for the integration tests: a plain-socket listener on
// 127.0.0.1 speaking just enough SMTP (220, EHLO/HELO, MAIL, RCPT, DATA with
// dot-unstuffing, RSET, NOOP, QUIT) to capture each message offerledger's
// email sender delivers -- nothing of offerledger's code. It can be stopped
// (connections refused: the server is down) and started again on the same
// port.
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

struct ReceivedMail {
  std::string mail_from;                       // as given in MAIL FROM:<...>, without the brackets
  std::vector<std::string> rcpt_to;            // RCPT TO addresses, without the brackets
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // after the blank line, CRLF kept, dots unstuffed
  std::string Header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
};

class SmtpListener {
 public:
  ~SmtpListener() { Stop(); }

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

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  std::vector<ReceivedMail> received() {
    std::lock_guard lock(mu_);
    return received_;
  }

  // Waits until `n` messages have arrived (true) or `limit` passed (false).
  bool WaitFor(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(60)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return received_.size() >= n; });
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

  static void Say(int c, const std::string& line) {
    const std::string out = line + "\r\n";
    (void)!::write(c, out.data(), out.size());
  }

  // The next CRLF-terminated line (without it); false when the peer is gone.
  bool ReadLine(int c, std::string& buffer, std::string& line) {
    for (;;) {
      const std::size_t eol = buffer.find("\r\n");
      if (eol != std::string::npos) {
        line = buffer.substr(0, eol);
        buffer.erase(0, eol + 2);
        return true;
      }
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) return false;
      char buf[8192];
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) return false;
      buffer.append(buf, static_cast<std::size_t>(n));
    }
  }

  static std::string Address(const std::string& arg) {
    const std::size_t lt = arg.find('<');
    const std::size_t gt = arg.find('>');
    if (lt == std::string::npos || gt == std::string::npos || gt < lt) return arg;
    return arg.substr(lt + 1, gt - lt - 1);
  }

  static std::string Upper(std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return s;
  }

  void Serve(int c) {
    Say(c, "220 test-smtp ESMTP ready");
    std::string buffer, line;
    ReceivedMail mail;
    while (ReadLine(c, buffer, line)) {
      const std::string verb = Upper(line.substr(0, 4));
      if (verb == "EHLO" || verb == "HELO") {
        Say(c, "250-test-smtp");
        Say(c, "250 8BITMIME");
      } else if (Upper(line.substr(0, 10)) == "MAIL FROM:") {
        mail = ReceivedMail{};
        mail.mail_from = Address(line.substr(10));
        Say(c, "250 OK");
      } else if (Upper(line.substr(0, 8)) == "RCPT TO:") {
        mail.rcpt_to.push_back(Address(line.substr(8)));
        Say(c, "250 OK");
      } else if (verb == "DATA") {
        Say(c, "354 end with <CRLF>.<CRLF>");
        std::string data;
        std::string l;
        bool done = false;
        while (ReadLine(c, buffer, l)) {
          if (l == ".") {
            done = true;
            break;
          }
          if (!l.empty() && l[0] == '.') l.erase(0, 1);  // dot-unstuffing
          data += l + "\r\n";
        }
        if (!done) return;
        Parse(data, mail);
        Say(c, "250 OK queued");
        std::lock_guard lock(mu_);
        received_.push_back(mail);
        cv_.notify_all();
      } else if (verb == "RSET" || verb == "NOOP") {
        Say(c, "250 OK");
      } else if (verb == "QUIT") {
        Say(c, "221 bye");
        return;
      } else {
        Say(c, "502 command not implemented");
      }
    }
  }

  static void Parse(const std::string& data, ReceivedMail& mail) {
    const std::size_t end = data.find("\r\n\r\n");
    const std::string head = data.substr(0, end);
    mail.body = end == std::string::npos ? "" : data.substr(end + 4);
    std::size_t pos = 0;
    while (pos < head.size()) {
      std::size_t eol = head.find("\r\n", pos);
      if (eol == std::string::npos) eol = head.size();
      const std::string h = head.substr(pos, eol - pos);
      const std::size_t colon = h.find(':');
      if (colon != std::string::npos) {
        std::string name = h.substr(0, colon);
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string value = h.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        mail.headers[name] = value;
      }
      pos = eol + 2;
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReceivedMail> received_;
};

}  // namespace itest
