// The SDK and the CLI against the real offerledger binary serving HTTPS
// (`serve --tls-cert --tls-key`) with a certificate made at test time: calls
// succeed when the CA is trusted, fail with a clear TransportError when it is
// not or the name does not match, work with verification off, and the
// durable outbox delivers over TLS.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "client/client.h"
#include "client/outbox.h"
#include "integration/harness.h"
#include "integration/test_certs.h"

namespace offerledger::client {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class LiveTls : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = itest::MakeTestPki(env_.dir());
    ASSERT_TRUE(pki_.ok);
    creds_ = env_.AddPartner("DEMO");
  }

  // A TLS server with the certificate for 127.0.0.1/localhost, or with the
  // one for other.invalid.
  void Start(bool other_name = false) {
    server_ =
        env_.StartServer({"--tls-cert", (other_name ? pki_.other_cert : pki_.server_cert).string(),
                          "--tls-key", (other_name ? pki_.other_key : pki_.server_key).string()});
    ASSERT_NE(server_, nullptr);
  }

  std::string BaseUrl(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(server_->port()) + "/xcover/";
  }

  Config Cfg(bool trust_ca = true) {
    Config c;
    c.base_url = BaseUrl();
    c.partner_code = creds_.partner;
    c.api_key = creds_.key;
    c.api_secret = creds_.secret;
    c.outbox_path = (env_.dir() / "outbox.db").string();
    c.retry.max_attempts = 2;
    c.retry.base = 10ms;
    if (trust_ca) c.ca_file = pki_.ca_cert.string();
    return c;
  }

  // The TransportError `fn` throws (a gtest failure if it throws none).
  template <class Fn>
  std::optional<TransportError> TransportFailure(Fn&& fn) {
    try {
      fn();
    } catch (const TransportError& e) {
      return e;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a TransportError: " << e.what();
      return std::nullopt;
    }
    ADD_FAILURE() << "no error";
    return std::nullopt;
  }

  std::string NewPackage(Client& c) {
    return std::string(c.CreateQuote(json::parse(itest::CassetteQuoteBody())).at("id").as_string());
  }

  // `offerledger client ARGS... --base-url URL --partner ... ` (flags, so that
  // no XC_* variable of the caller's environment matters).
  itest::CommandResult Cli(std::vector<std::string> args, const std::string& base_url) {
    args.insert(args.begin(), "client");
    for (const std::string& s :
         {std::string("--base-url"), base_url, std::string("--partner"), creds_.partner,
          std::string("--api-key"), creds_.key, std::string("--api-secret"), creds_.secret,
          std::string("--outbox"), (env_.dir() / "cli-outbox.db").string()}) {
      args.push_back(s);
    }
    return itest::RunOfferledger(args);
  }

  itest::Env env_;
  itest::TestPki pki_;
  itest::Credentials creds_;
  std::unique_ptr<itest::ServerProcess> server_;
};

TEST_F(LiveTls, CallsSucceedWhenTheCaIsTrusted) {
  Start();
  Client c(Cfg());
  const std::string id = NewPackage(c);
  EXPECT_EQ(c.GetQuote(id).at("status").as_string(), "RECEIVED");
  c.OptOut(id);
  EXPECT_EQ(c.GetQuote(id).at("status").as_string(), "OPTED_OUT");
  // The answer's links name the https URL.
  EXPECT_NE(json::serialize(c.GetQuote(id)).find("https://127.0.0.1:"), std::string::npos);

  // By host name as well (the certificate names localhost too).
  Config by_name = Cfg();
  by_name.base_url = BaseUrl("localhost");
  Client named(by_name);
  EXPECT_EQ(named.GetQuote(id).at("status").as_string(), "OPTED_OUT");
}

TEST_F(LiveTls, UntrustedCertificateIsAClearTransportError) {
  Start();
  Client c(Cfg(/*trust_ca=*/false));
  const auto e = TransportFailure([&] { c.GetQuote("AAAAA-BBBBB-INS"); });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind(), TransportError::Kind::kTls);
  EXPECT_TRUE(e->tls_verification());
  const std::string what = e->what();
  EXPECT_NE(what.find("certificate verify failed"), std::string::npos) << what;
  EXPECT_NE(what.find("unable to get local issuer certificate"), std::string::npos) << what;
  // Configuration, not an outage: not retried.
  EXPECT_EQ(e->attempts(), 1);
}

TEST_F(LiveTls, HostNameMismatchIsRefused) {
  Start(/*other_name=*/true);  // a certificate for other.invalid, from the trusted CA
  {
    Client c(Cfg());
    const auto e = TransportFailure([&] { c.GetQuote("AAAAA-BBBBB-INS"); });
    ASSERT_TRUE(e.has_value());
    EXPECT_TRUE(e->tls_verification());
    EXPECT_NE(std::string(e->what()).find("IP address mismatch"), std::string::npos) << e->what();
  }
  {
    Config cfg = Cfg();
    cfg.base_url = BaseUrl("localhost");
    Client c(cfg);
    const auto e = TransportFailure([&] { c.GetQuote("AAAAA-BBBBB-INS"); });
    ASSERT_TRUE(e.has_value());
    EXPECT_TRUE(e->tls_verification());
    EXPECT_NE(std::string(e->what()).find("hostname mismatch"), std::string::npos) << e->what();
  }
  // Without verification the same server is reachable.
  Config insecure = Cfg(/*trust_ca=*/false);
  insecure.verify_tls = false;
  Client c(insecure);
  EXPECT_NO_THROW(NewPackage(c));
}

TEST_F(LiveTls, VerificationOffAcceptsTheUntrustedCertificate) {
  Start();
  Config cfg = Cfg(/*trust_ca=*/false);
  cfg.verify_tls = false;
  Client c(cfg);
  const std::string id = NewPackage(c);
  c.OptOut(id);
  EXPECT_EQ(c.GetQuote(id).at("status").as_string(), "OPTED_OUT");
}

TEST_F(LiveTls, DurableOutboxDeliversOverTls) {
  Start();
  Client c(Cfg());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(NewPackage(c));
  for (const auto& id : ids) c.OptOut(id, Delivery::Durable);
  EXPECT_TRUE(c.WaitForOutbox(20s));
  EXPECT_EQ(c.outbox().Counts().delivered, 5);
  EXPECT_EQ(c.outbox().Counts().failed, 0);
  for (const auto& id : ids) EXPECT_EQ(c.GetQuote(id).at("status").as_string(), "OPTED_OUT");
}

TEST_F(LiveTls, CliWithAndWithoutCaFile) {
  Start();
  std::string id;
  {
    Client c(Cfg());
    id = NewPackage(c);
  }
  const std::string ca = pki_.ca_cert.string();

  const itest::CommandResult ok = Cli({"get", id, "--ca-file", ca}, BaseUrl());
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(itest::Str(json::parse(ok.out), {"id"}), id) << ok.out;

  const itest::CommandResult refused = Cli({"get", id}, BaseUrl());
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("certificate verify failed"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("unable to get local issuer certificate"), std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.out, "");

  const itest::CommandResult insecure = Cli({"get", id, "--insecure"}, BaseUrl());
  EXPECT_EQ(insecure.exit_code, 0) << insecure.err;

  // Durable opt-out from the CLI, then `outbox flush` over TLS.
  const itest::CommandResult queued = Cli({"opt-out", id, "--durable"}, BaseUrl());
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  const itest::CommandResult flushed =
      Cli({"outbox", "flush", "--ca-file", ca, "--max-wait", "30"}, BaseUrl());
  EXPECT_EQ(flushed.exit_code, 0) << flushed.err << flushed.out;
  EXPECT_EQ(itest::Num(json::parse(flushed.out), {"delivered"}), 1) << flushed.out;
  const itest::CommandResult after = Cli({"get", id, "--ca-file", ca}, BaseUrl());
  EXPECT_EQ(itest::Str(json::parse(after.out), {"status"}), "OPTED_OUT") << after.out;
}

}  // namespace
}  // namespace offerledger::client
