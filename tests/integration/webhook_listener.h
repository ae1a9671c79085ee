// A partner's webhook listener for the integration tests: a plain-socket
// HTTP server on 127.0.0.1 (loopback_listener.h) that records every POST and
// checks its signature the way a partner's XCover webhook verifier does -- its
// own OpenSSL HMAC-SHA256 over "date: <Date>", nothing of offerledger's code.
// It can be stopped (connections refused: the listener is down) and started
// again on the same port.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <unistd.h>

#include <map>
#include <string>
#include <utility>

#include "integration/loopback_listener.h"

namespace itest {

struct ReceivedWebhook {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool signature_ok = false;
  std::string Header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
};

class WebhookListener : public LoopbackListener<ReceivedWebhook> {
 public:
  WebhookListener(std::string key, std::string secret)
      : key_(std::move(key)), secret_(std::move(secret)) {}
  ~WebhookListener() override { Stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/hooks"; }

 private:
  void Serve(int c) override {
    std::string data;
    char buf[8192];
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    for (;;) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end == std::string::npos) continue;
        ReceivedWebhook w;
        Parse(data.substr(0, header_end), w);
        const std::string cl = w.Header("content-length");
        content_length = cl.empty() ? 0 : std::stoul(cl);
      }
      if (data.size() >= header_end + 4 + content_length) break;
    }
    ReceivedWebhook w;
    Parse(data.substr(0, header_end), w);
    w.body = data.substr(header_end + 4, content_length);
    w.signature_ok = Verify(w);
    const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!::write(c, reply.data(), reply.size());
    Record(std::move(w));
  }

  static void Parse(const std::string& head, ReceivedWebhook& w) {
    std::size_t pos = head.find("\r\n");
    const std::string request_line = head.substr(0, pos);
    const std::size_t sp1 = request_line.find(' ');
    const std::size_t sp2 = request_line.find(' ', sp1 + 1);
    w.method = request_line.substr(0, sp1);
    w.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    while (pos != std::string::npos && pos < head.size()) {
      const std::size_t start = pos + 2;
      pos = head.find("\r\n", start);
      AddHeader(head.substr(start, pos == std::string::npos ? pos : pos - start), w.headers);
    }
  }

  // What docs.covergenius.com/xcover/webhooks shows a partner doing.
  bool Verify(const ReceivedWebhook& w) const {
    std::string auth = w.Header("authorization");
    if (auth.rfind("Signature ", 0) != 0) return false;
    auth = auth.substr(10);
    std::map<std::string, std::string> parts;
    std::size_t start = 0;
    while (start < auth.size()) {
      std::size_t comma = auth.find(',', start);
      if (comma == std::string::npos) comma = auth.size();
      const std::string part = auth.substr(start, comma - start);
      const std::size_t eq = part.find('=');
      if (eq == std::string::npos) return false;
      std::string v = part.substr(eq + 1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      parts[part.substr(0, eq)] = v;
      start = comma + 1;
    }
    std::string received;  // unquote()
    const std::string& enc = parts["signature"];
    for (std::size_t i = 0; i < enc.size(); ++i) {
      if (enc[i] == '%' && i + 2 < enc.size()) {
        received.push_back(static_cast<char>(std::stoi(enc.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else {
        received.push_back(enc[i]);
      }
    }
    const std::string raw = "date: " + w.Header("date");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
         reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), mac, &mac_len);
    unsigned char b64[2 * EVP_MAX_MD_SIZE];
    const int n = EVP_EncodeBlock(b64, mac, static_cast<int>(mac_len));
    const std::string expected(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
    return parts["algorithm"] == "hmac-sha256" && parts["keyId"] == key_ &&
           w.Header("x-api-key") == key_ && !w.Header("date").empty() && received == expected;
  }

  const std::string key_;
  const std::string secret_;
};

}  // namespace itest
