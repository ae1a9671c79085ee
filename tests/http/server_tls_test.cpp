// HttpServer with TLS, in process: a peer that stalls in the handshake is
// cut off after handshake_timeout, a stop does not wait for one, and
// unusable certificate files are refused by Listen(). Requests over TLS, the
// plain-HTTP refusal and the graceful stop with requests in flight are
// tested against the real binary (tests/integration/tls_test.cpp).
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "integration/test_certs.h"

namespace offerledger {
namespace {

using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ol-tls-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A TCP connection to 127.0.0.1:port; -1 on failure.
int Connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Waits (at most `guard`) for the peer to close `fd`: true on EOF or reset,
// false when the guard ran out first.
bool PeerCloses(int fd, std::chrono::seconds guard) {
  timeval tv{static_cast<time_t>(guard.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[256];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

class ServerTls : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = itest::MakeTestPki(dir_.path());
    ASSERT_TRUE(pki_.ok);
  }

  ServerOptions Options() const {
    ServerOptions o;
    o.port = 0;
    o.threads = 2;
    o.tls_cert_file = pki_.server_cert.string();
    o.tls_key_file = pki_.server_key.string();
    return o;
  }

  static void Ok(const HttpRequest&, HttpResponse& res) {
    res.status = 200;
    res.body = "{}";
  }

  TempDir dir_;
  itest::TestPki pki_;
};

TEST_F(ServerTls, StalledHandshakeIsCutOff) {
  ServerOptions o = Options();
  o.handshake_timeout = 1s;
  HttpServer server(o, &Ok);
  ASSERT_TRUE(server.Listen().ok());
  EXPECT_TRUE(server.tls());
  std::thread runner([&] { server.Run(); });

  // Says nothing at all.
  const int silent = Connect(server.port());
  ASSERT_GE(silent, 0);
  // Starts a TLS record (handshake, TLS 1.0 record version, 512 bytes) and stops.
  const int partial = Connect(server.port());
  ASSERT_GE(partial, 0);
  const unsigned char record_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
  ASSERT_EQ(::send(partial, record_start, sizeof record_start, 0),
            static_cast<ssize_t>(sizeof record_start));

  // The guard is far beyond the 1 s handshake timeout; the idle timeout
  // (60 s) would not close them within it.
  EXPECT_TRUE(PeerCloses(silent, 20s));
  EXPECT_TRUE(PeerCloses(partial, 20s));
  ::close(silent);
  ::close(partial);
  server.Stop();
  runner.join();
}

TEST_F(ServerTls, StopDoesNotWaitForAHandshake) {
  ServerOptions o = Options();
  o.handshake_timeout = 120s;
  o.drain_timeout = 120s;
  HttpServer server(o, &Ok);
  ASSERT_TRUE(server.Listen().ok());
  std::promise<void> stopped;
  std::thread runner([&] {
    server.Run();
    stopped.set_value();
  });
  const int fd = Connect(server.port());
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(200ms);  // accepted, waiting for a ClientHello
  server.Stop();
  // Both timeouts are 120 s: returning within the guard means the stop
  // closed the connection instead of waiting for either.
  EXPECT_EQ(stopped.get_future().wait_for(60s), std::future_status::ready);
  EXPECT_TRUE(PeerCloses(fd, 20s));
  ::close(fd);
  runner.join();
}

TEST_F(ServerTls, ListenRefusesUnusableFiles) {
  {
    ServerOptions o = Options();
    o.tls_key_file = pki_.other_key.string();
    HttpServer server(o, &Ok);
    const Status s = server.Listen();
    EXPECT_EQ(s.code(), StatusCode::kInvalid);
    EXPECT_NE(s.message().find("does not match the certificate"), std::string::npos) << s.message();
  }
  {
    ServerOptions o = Options();
    o.tls_cert_file = (dir_.path() / "absent.pem").string();
    HttpServer server(o, &Ok);
    const Status s = server.Listen();
    EXPECT_EQ(s.code(), StatusCode::kInvalid);
    EXPECT_NE(s.message().find("absent.pem"), std::string::npos) << s.message();
  }
  {
    ServerOptions o = Options();
    o.tls_key_file.clear();  // a certificate alone is not enough
    HttpServer server(o, &Ok);
    EXPECT_EQ(server.Listen().code(), StatusCode::kInvalid);
  }
}

}  // namespace
}  // namespace offerledger
