// A tiny SMTP server for the integration tests: a plain-socket listener on
// 127.0.0.1 (loopback_listener.h) speaking just enough SMTP (220, EHLO/HELO,
// MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) to capture each
// message offerledger's email sender delivers -- nothing of offerledger's
// code. It can be stopped (connections refused: the server is down) and
// started again on the same port.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "integration/loopback_listener.h"

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

class SmtpListener : public LoopbackListener<ReceivedMail> {
 public:
  ~SmtpListener() override { Stop(); }

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port()); }

 private:
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

  void Serve(int c) override {
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
        Record(mail);
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
      AddHeader(head.substr(pos, eol - pos), mail.headers);
      pos = eol + 2;
    }
  }
};

}  // namespace itest
