// `offerledger serve --tls-cert --tls-key` (the real binary): signed calls
// over HTTPS with a certificate made at test time (test_certs.h), plain HTTP
// refused on the HTTPS port, unusable certificate files refused at start-up,
// and the graceful stop over TLS.
#include <sys/socket.h>
#include <sys/time.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "integration/harness.h"
#include "integration/test_certs.h"

namespace itest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A TLS connection to 127.0.0.1:port that verifies the server against
// `ca_file` and the name `verify_as`, kept open across requests. Blocking,
// with 15 s socket timeouts.
class TlsConnection {
 public:
  TlsConnection(std::uint16_t port, const fs::path& ca_file,
                const std::string& verify_as = "127.0.0.1")
      : port_(port), ctx_(ssl::context::tls_client), stream_(ioc_, ctx_) {
    try {
      ctx_.load_verify_file(ca_file.string());
      stream_.set_verify_mode(ssl::verify_peer);
      stream_.set_verify_callback(ssl::host_name_verification(verify_as));
      stream_.lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
      timeval tv{15, 0};
      const int fd = stream_.lowest_layer().native_handle();
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      stream_.handshake(ssl::stream_base::client);
      ok_ = true;
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  std::string protocol() { return SSL_get_version(stream_.native_handle()); }

  bool Write(std::string_view bytes) {
    beast::error_code ec;
    asio::write(stream_, asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }

  HttpReply Read() {
    HttpReply out;
    try {
      http::response_parser<http::string_body> parser;
      http::read(stream_, buffer_, parser);
      const auto& res = parser.get();
      out.status = static_cast<int>(res.result_int());
      out.body = res.body();
      for (const auto& f : res) out.headers.emplace_back(f.name_string(), f.value());
    } catch (const std::exception& e) {
      out.error = e.what();
    }
    return out;
  }

  HttpReply Send(const RawRequest& req) {
    if (!Write(Serialize(req))) return HttpReply{0, "write failed", "", {}};
    return Read();
  }

  // The raw bytes of `req` as an HTTP/1.1 message (keep-alive).
  std::string Serialize(const RawRequest& req) const {
    std::string out = req.method + " " + req.target + " HTTP/1.1\r\n";
    out += "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
    for (const auto& [k, v] : req.headers) out += k + ": " + v + "\r\n";
    const std::string body = req.body.value_or("");
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    out += body;
    return out;
  }

 private:
  std::uint16_t port_;
  asio::io_context ioc_;
  ssl::context ctx_;
  ssl::stream<tcp::socket> stream_;
  beast::flat_buffer buffer_;
  bool ok_ = false;
  std::string error_;
};

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = MakeTestPki(env_.dir());
    ASSERT_TRUE(pki_.ok);
    creds_ = env_.AddPartner("DEMO");
  }

  std::vector<std::string> TlsArgs() const {
    return {"--tls-cert", pki_.server_cert.string(), "--tls-key", pki_.server_key.string()};
  }

  // `offerledger serve ... EXTRA` on a db file that does not exist yet; for
  // start-up failures (it must not get as far as creating the db).
  CommandResult ServeExpectingRefusal(const std::vector<std::string>& extra) {
    const fs::path db = env_.dir() / "refused.db";
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--db",
                                     "sqlite:" + db.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = RunOfferledger(args);
    EXPECT_FALSE(fs::exists(db)) << "the db was created before the TLS files were checked";
    return r;
  }

  Env env_;
  TestPki pki_;
  Credentials creds_;
};

TEST_F(Tls, SignedOptOutOverHttps) {
  auto server = env_.StartServer(TlsArgs());
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->first_line().find("listening on https://127.0.0.1:"), std::string::npos)
      << server->first_line();

  const Client client(server->port(), creds_);
  TlsConnection conn(server->port(), pki_.ca_cert);
  ASSERT_TRUE(conn.ok()) << conn.error();
  const std::string protocol = conn.protocol();
  EXPECT_TRUE(protocol == "TLSv1.2" || protocol == "TLSv1.3") << protocol;

  // Three signed requests on one kept-alive TLS connection.
  const HttpReply created =
      conn.Send(client.Build("POST", client.Path("quotes/"), CassetteQuoteBody()));
  ASSERT_EQ(created.status, 201) << created.Describe() << created.error;
  const std::string id = Str(created.Json(), {"id"});
  ASSERT_FALSE(id.empty());
  // Links in answers name the https URL the server listens on.
  EXPECT_NE(created.body.find("https://127.0.0.1:"), std::string::npos) << created.body;

  const HttpReply opted =
      conn.Send(client.Build("POST", client.Path("bookings/" + id + "/opt_out"), "{}"));
  EXPECT_EQ(opted.status, 204) << opted.Describe() << opted.error;
  const HttpReply got = conn.Send(client.Build("GET", client.Path("quotes/" + id + "/"), {}));
  ASSERT_EQ(got.status, 200) << got.Describe() << got.error;
  EXPECT_EQ(Str(got.Json(), {"status"}), "OPTED_OUT");
}

TEST_F(Tls, ClientVerifyingAnotherNameIsRefused) {
  auto server = env_.StartServer(TlsArgs());
  ASSERT_NE(server, nullptr);
  // The certificate names 127.0.0.1 and localhost, not other.invalid.
  TlsConnection wrong(server->port(), pki_.ca_cert, "other.invalid");
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().find("certificate verify failed"), std::string::npos) << wrong.error();
  TlsConnection by_name(server->port(), pki_.ca_cert, "localhost");
  EXPECT_TRUE(by_name.ok()) << by_name.error();
}

TEST_F(Tls, PlainHttpToTheHttpsPortFails) {
  auto server = env_.StartServer(TlsArgs());
  ASSERT_NE(server, nullptr);
  // No HTTP answer: the handshake fails and the connection is dropped.
  const HttpReply plain = SendRaw(server->port(), RawRequest{"GET", "/healthz", std::nullopt, {}});
  EXPECT_EQ(plain.status, 0) << plain.Describe();
  EXPECT_FALSE(plain.error.empty());
  // Garbage that is not TLS either, then the server still serves TLS.
  {
    RawConnection raw(server->port());
    ASSERT_TRUE(raw.connected());
    EXPECT_TRUE(raw.Write(std::string(2000, 'x')));
    EXPECT_EQ(raw.ReadReply(5s).status, 0);
  }
  TlsConnection conn(server->port(), pki_.ca_cert);
  ASSERT_TRUE(conn.ok()) << conn.error();
  EXPECT_EQ(conn.Send(RawRequest{"GET", "/healthz", std::nullopt, {}}).status, 200);
}

TEST_F(Tls, UnusableFilesAreRefusedAtStart) {
  const std::string cert = pki_.server_cert.string();
  const std::string key = pki_.server_key.string();
  const fs::path missing = env_.dir() / "no-such.pem";
  const fs::path garbage = env_.dir() / "garbage.pem";
  std::ofstream(garbage) << "this is not PEM\n";

  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::vector<std::string> expect_in_stderr;
  };
  const std::vector<Case> cases = {
      {"cert without key", {"--tls-cert", cert}, {"--tls-cert and --tls-key go together"}},
      {"key without cert", {"--tls-key", key}, {"--tls-cert and --tls-key go together"}},
      {"missing cert",
       {"--tls-cert", missing.string(), "--tls-key", key},
       {"cannot read --tls-cert", missing.string(), "No such file"}},
      {"missing key",
       {"--tls-cert", cert, "--tls-key", missing.string()},
       {"cannot read --tls-key", missing.string(), "No such file"}},
      {"directory as cert",
       {"--tls-cert", env_.dir().string(), "--tls-key", key},
       {"--tls-cert", env_.dir().string()}},
      {"garbage cert",
       {"--tls-cert", garbage.string(), "--tls-key", key},
       {"--tls-cert " + garbage.string() + " is not a usable PEM certificate"}},
      {"key as cert",
       {"--tls-cert", key, "--tls-key", key},
       {"--tls-cert " + key + " is not a usable PEM certificate"}},
      {"garbage key",
       {"--tls-cert", cert, "--tls-key", garbage.string()},
       {"--tls-key " + garbage.string() + " is not a usable PEM private key"}},
      {"key of another certificate",
       {"--tls-cert", cert, "--tls-key", pki_.other_key.string()},
       {"--tls-key " + pki_.other_key.string() + " does not match the certificate in --tls-cert " +
        cert}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const CommandResult r = ServeExpectingRefusal(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.err << r.out;
    for (const std::string& s : c.expect_in_stderr) {
      EXPECT_NE(r.err.find(s), std::string::npos) << "want '" << s << "' in: " << r.err;
    }
    EXPECT_EQ(r.out.find("listening"), std::string::npos) << r.out;
  }

  // An encrypted key is refused too, instead of a pass-phrase prompt.
  const fs::path encrypted = env_.dir() / "encrypted.key";
  ASSERT_EQ(std::system(("openssl pkey -in '" + key + "' -aes256 -passout pass:secret -out '" +
                         encrypted.string() + "' 2>/dev/null")
                            .c_str()),
            0);
  const CommandResult r =
      ServeExpectingRefusal({"--tls-cert", cert, "--tls-key", encrypted.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is not a usable PEM private key: bad decrypt (an encrypted key must be "
                       "decrypted first"),
            std::string::npos)
      << r.err;
}

// As GracefulStop.SigtermLetsInFlightRequestsFinishAndExitsZero
// (durability_test.cpp), over TLS: requests half sent when SIGTERM arrives
// are answered, an idle kept-alive connection and one stuck before its
// handshake do not hold the stop up, new connections are refused, exit 0.
TEST_F(Tls, SigtermDrainsGracefully) {
  auto server = env_.StartServer(TlsArgs());
  ASSERT_NE(server, nullptr);
  const std::uint16_t port = server->port();
  const Client client(port, creds_);

  std::vector<std::string> ids;
  {
    TlsConnection setup(port, pki_.ca_cert);
    ASSERT_TRUE(setup.ok()) << setup.error();
    for (int i = 0; i < 3; ++i) {
      const HttpReply r =
          setup.Send(client.Build("POST", client.Path("quotes/"), CassetteQuoteBody()));
      ASSERT_EQ(r.status, 201) << r.Describe();
      ids.push_back(Str(r.Json(), {"id"}));
    }
  }

  struct Pending {
    std::unique_ptr<TlsConnection> conn;
    std::string rest;
  };
  std::vector<Pending> pending;
  for (const std::string& id : ids) {
    auto conn = std::make_unique<TlsConnection>(port, pki_.ca_cert);
    ASSERT_TRUE(conn->ok()) << conn->error();
    const std::string bytes =
        conn->Serialize(client.Build("POST", client.Path("bookings/" + id + "/opt_out"), "{}"));
    const std::size_t half = bytes.size() - 1;  // all but the body's last byte
    ASSERT_TRUE(conn->Write(std::string_view(bytes).substr(0, half)));
    pending.push_back({std::move(conn), bytes.substr(half)});
  }
  TlsConnection idle(port, pki_.ca_cert);
  ASSERT_TRUE(idle.ok()) << idle.error();
  ASSERT_EQ(idle.Send(RawRequest{"GET", "/healthz", std::nullopt, {}}).status, 200);
  RawConnection no_handshake(port);  // TCP only: never sends a ClientHello
  ASSERT_TRUE(no_handshake.connected());
  std::this_thread::sleep_for(300ms);  // the server has read the headers

  const auto start = std::chrono::steady_clock::now();
  server->Signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(ConnectRefused(port));
  for (auto& p : pending) {
    ASSERT_TRUE(p.conn->Write(p.rest));
    const HttpReply r = p.conn->Read();
    EXPECT_EQ(r.status, 204) << r.Describe() << r.error;
    EXPECT_EQ(r.Header("connection").value_or(""), "close");
  }
  const std::optional<int> rc = server->Wait(20s);
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(*rc, 0) << server->stderr_text();
  // Well before the 10 s handshake timeout would have closed `no_handshake`.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
  EXPECT_NE(server->stdout_text().find("offerledger: stopped"), std::string::npos);

  // The answered opt-outs are in the database the next server reads.
  auto restarted = env_.StartServer(TlsArgs());
  ASSERT_NE(restarted, nullptr);
  const Client again(restarted->port(), creds_);
  TlsConnection check(restarted->port(), pki_.ca_cert);
  ASSERT_TRUE(check.ok()) << check.error();
  for (const std::string& id : ids) {
    const HttpReply r = check.Send(again.Build("GET", again.Path("quotes/" + id + "/"), {}));
    ASSERT_EQ(r.status, 200) << r.Describe() << r.error;
    EXPECT_EQ(Str(r.Json(), {"status"}), "OPTED_OUT") << id;
  }
}

}  // namespace
}  // namespace itest
