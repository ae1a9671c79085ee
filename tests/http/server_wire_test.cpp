// What HttpServer puts on the wire, byte for byte, and how it reads requests
// that arrive whole, pipelined or in pieces. The server writes the status
// line and headers itself (SerializeResponse in server.cpp) and parses the
// buffered bytes before asking the socket for more, so these pin down what
// Beast's serializer and async_read used to guarantee.
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace offerledger {
namespace {

using namespace std::chrono_literals;

// A client socket on the loopback, reads bounded by a 10 s timeout.
class Conn {
 public:
  explicit Conn(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Conn() { ::close(fd_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool connected() const { return connected_; }
  bool Send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Reads until `n` bytes have come (or the peer closes, or the timeout).
  std::string ReadBytes(std::size_t n) {
    std::string out;
    char buf[4096];
    while (out.size() < n) {
      const ssize_t got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }
  // Reads until the peer closes the connection (or the timeout).
  std::string ReadToClose() {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
      if (got <= 0) break;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }
  // True when the peer has closed: a read returns end-of-file.
  bool ClosedByPeer() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// Answers by path: /204 -> 204, /bad-header -> a header with CR LF in its
// value, anything else -> 200 echoing method, path and body.
void Answer(const HttpRequest& req, HttpResponse& res) {
  if (req.target == "/204") {
    res.status = 204;
    return;
  }
  if (req.target == "/bad-header") {
    res.headers.emplace_back("X-Injected", "a\r\nSet-Cookie: evil=1");
    res.headers.emplace_back("Retry-After", "1");
  }
  res.status = 200;
  res.body = req.method + " " + req.target + " [" + req.body + "]";
}

class ServerWire : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.port = 0;
    o.threads = 2;
    server_ = std::make_unique<HttpServer>(o, HttpServer::Handler(Answer));
    ASSERT_TRUE(server_->Listen().ok());
    runner_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    server_->Stop();
    runner_.join();
  }
  std::uint16_t port() const { return server_->port(); }

  std::unique_ptr<HttpServer> server_;
  std::thread runner_;
};

const std::string k200Head = "HTTP/1.1 200 OK\r\nServer: offerledger\r\n";

// A 200 as the server writes it: `handler_headers` after Server, then
// Content-Type, `connection` (a whole header line, or ""), Content-Length.
std::string Ok11(const std::string& body, const std::string& connection = "",
                 const std::string& handler_headers = "") {
  return k200Head + handler_headers + "Content-Type: application/json\r\n" + connection +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(ServerWire, AnswerBytesExactly) {
  Conn c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string want = Ok11("GET /a []");
  EXPECT_EQ(c.ReadBytes(want.size()), want);
  // Keep-alive: the same connection answers a second request.
  ASSERT_TRUE(c.Send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string want2 = Ok11("GET /b []");
  EXPECT_EQ(c.ReadBytes(want2.size()), want2);
}

TEST_F(ServerWire, NoContentHasNoLengthNoTypeNoBody) {
  Conn c(port());
  ASSERT_TRUE(c.Send("POST /204 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  const std::string want = "HTTP/1.1 204 No Content\r\nServer: offerledger\r\n\r\n";
  EXPECT_EQ(c.ReadBytes(want.size()), want);
  // Nothing follows it: the next bytes are the next answer.
  ASSERT_TRUE(c.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string next = Ok11("GET /next []");
  EXPECT_EQ(c.ReadBytes(next.size()), next);
}

TEST_F(ServerWire, HeadAnnouncesTheLengthAndSendsNoBody) {
  Conn c(port());
  ASSERT_TRUE(c.Send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string want = k200Head + "Content-Type: application/json\r\nContent-Length: " +
                           std::to_string(std::string("HEAD /h []").size()) + "\r\n\r\n";
  EXPECT_EQ(c.ReadBytes(want.size()), want);
  ASSERT_TRUE(c.Send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string next = Ok11("GET /after []");
  EXPECT_EQ(c.ReadBytes(next.size()), next);
}

TEST_F(ServerWire, ConnectionCloseIsAnnouncedAndKept) {
  Conn c(port());
  ASSERT_TRUE(c.Send("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(c.ReadToClose(), Ok11("GET /c []", "Connection: close\r\n"));
}

TEST_F(ServerWire, Http10ClosesUnlessAskedToKeepAlive) {
  {
    Conn c(port());
    ASSERT_TRUE(c.Send("GET /old HTTP/1.0\r\n\r\n"));
    EXPECT_EQ(c.ReadToClose(),
              "HTTP/1.0 200 OK\r\nServer: offerledger\r\nContent-Type: "
              "application/json\r\nContent-Length: 11\r\n\r\nGET /old []");
  }
  Conn c(port());
  ASSERT_TRUE(c.Send("GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  const std::string want =
      "HTTP/1.0 200 OK\r\nServer: offerledger\r\nContent-Type: application/json\r\nConnection: "
      "keep-alive\r\nContent-Length: 9\r\n\r\nGET /k []";
  EXPECT_EQ(c.ReadBytes(want.size()), want);
  ASSERT_TRUE(c.Send("GET /k2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  const std::string want2 =
      "HTTP/1.0 200 OK\r\nServer: offerledger\r\nContent-Type: application/json\r\nConnection: "
      "keep-alive\r\nContent-Length: 10\r\n\r\nGET /k2 []";
  EXPECT_EQ(c.ReadBytes(want2.size()), want2);
}

TEST_F(ServerWire, PipelinedRequestsAreAnsweredInOrder) {
  Conn c(port());
  // Three requests in one segment, the second with a body.
  ASSERT_TRUE(
      c.Send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
             "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
             "GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(c.ReadToClose(), Ok11("GET /1 []") + Ok11("POST /2 [hello]") +
                                 Ok11("GET /3 []", "Connection: close\r\n"));
}

TEST_F(ServerWire, ARequestInPiecesIsReadWhole) {
  Conn c(port());
  // The header split mid-line, then the body in two parts: the server reads
  // what is missing from the socket instead of answering early.
  ASSERT_TRUE(c.Send("POST /p HTTP/1.1\r\nHo"));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c.Send("st: x\r\nContent-Length: 10\r\n\r\n01234"));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c.Send("56789"));
  const std::string want = Ok11("POST /p [0123456789]");
  EXPECT_EQ(c.ReadBytes(want.size()), want);
}

TEST_F(ServerWire, AHeaderValueWithCrLfIsNotSent) {
  Conn c(port());
  ASSERT_TRUE(c.Send("GET /bad-header HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const std::string got = c.ReadToClose();
  EXPECT_EQ(got, Ok11("GET /bad-header []", "Connection: close\r\n", "Retry-After: 1\r\n"));
  EXPECT_EQ(got.find("Set-Cookie"), std::string::npos);
}

TEST_F(ServerWire, MalformedRequestGets400AndClose) {
  Conn c(port());
  ASSERT_TRUE(c.Send("GARBAGE\r\n\r\n"));
  const std::string got = c.ReadToClose();
  EXPECT_EQ(got.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos) << got;
}

}  // namespace
}  // namespace offerledger
