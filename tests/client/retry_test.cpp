#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
// Retries against a misbehaving server: right number of attempts, right
// waits (full jitter, Retry-After), the same idempotency key every time.
#include <gtest/gtest.h>

#include "client/client.h"
#include "client/scripted_server.h"

namespace offerledger::client {
namespace {

using testing::ScriptedServer;
using testing::Step;
using namespace std::chrono_literals;

struct Recorder {
  std::vector<std::chrono::milliseconds> waits;
};

std::unique_ptr<Client> MakeClient(unsigned short port, Recorder& rec, double u = 0.5) {
  Config c;
  c.base_url = "http://127.0.0.1:" + std::to_string(port) + "/xcover/";
  c.partner_code = "DEMO";
  c.api_key = "k";
  c.api_secret = "s";
  c.timeout = 400ms;
  c.retry.max_attempts = 5;
  c.retry.base = 100ms;
  c.retry.cap = 1000ms;
  auto client = std::make_unique<Client>(c);
  client->SetSleepForTesting([&rec](std::chrono::milliseconds d) { rec.waits.push_back(d); });
  client->SetRandomForTesting([u] { return u; });
  return client;
}

TEST(Backoff, FullJitterExponentialCapped) {
  RetryPolicy p;
  p.base = 100ms;
  p.cap = 1000ms;
  EXPECT_EQ(Client::Backoff(p, 1, 0.999), 99ms);
  EXPECT_EQ(Client::Backoff(p, 2, 0.5), 100ms);
  EXPECT_EQ(Client::Backoff(p, 3, 0.5), 200ms);
  EXPECT_EQ(Client::Backoff(p, 5, 0.5), 500ms);  // 1600 capped to 1000
  EXPECT_EQ(Client::Backoff(p, 30, 0.5), 500ms);
  EXPECT_EQ(Client::Backoff(p, 3, 0.0), 0ms);
}

TEST(RetryAfter, SecondsAndDates) {
  EXPECT_EQ(Client::ParseRetryAfter("3"), 3000ms);
  EXPECT_EQ(Client::ParseRetryAfter(" 0 "), 0ms);
  EXPECT_EQ(Client::ParseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT"), 0ms);
  EXPECT_FALSE(Client::ParseRetryAfter("soon").has_value());
}

TEST(Retry, Transient503And502And504ThenSuccessSameKey) {
  ScriptedServer server({{.status = 503}, {.status = 502}, {.status = 504}, {.status = 204}});
  Recorder rec;
  auto c = MakeClient(server.port(), rec);
  c->OptOut("AAAAA-BBBBB-INS");
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 4u);
  const std::string key = seen[0].headers.at("x-idempotency-key");
  EXPECT_EQ(key.size(), 36u);
  for (const auto& s : seen) {
    EXPECT_EQ(s.method, "POST");
    EXPECT_EQ(s.target, "/xcover/partners/DEMO/bookings/AAAAA-BBBBB-INS/opt_out");
    EXPECT_EQ(s.headers.at("x-idempotency-key"), key);
    EXPECT_EQ(s.headers.at("x-api-key"), "k");
    EXPECT_NE(s.headers.at("authorization").find("algorithm=\"hmac-sha512\""), std::string::npos);
  }
  EXPECT_EQ(rec.waits, (std::vector<std::chrono::milliseconds>{50ms, 100ms, 200ms}));
}

TEST(Retry, Honours429RetryAfter) {
  ScriptedServer server({{.status = 429, .headers = {{"Retry-After", "2"}}},
                         {.status = 503, .headers = {{"Retry-After", "1"}}},
                         {.status = 204}});
  Recorder rec;
  auto c = MakeClient(server.port(), rec);
  c->OptOut("AAAAA-BBBBB-INS");
  EXPECT_EQ(server.seen().size(), 3u);
  EXPECT_EQ(rec.waits, (std::vector<std::chrono::milliseconds>{2000ms, 1000ms}));
}

TEST(Retry, DroppedConnectionsAndTimeoutsAreRetried) {
  ScriptedServer server({{.drop = true}, {.delay = 550ms}, {.status = 204}});
  Recorder rec;
  auto c = MakeClient(server.port(), rec);
  c->OptOut("AAAAA-BBBBB-INS");
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].headers.at("x-idempotency-key"), seen[2].headers.at("x-idempotency-key"));
  EXPECT_EQ(rec.waits.size(), 2u);
}

TEST(Retry, NeverOnOther4xx) {
  for (int status : {400, 401, 404, 409, 422}) {
    ScriptedServer server(
        {{.status = status,
          .body = R"({"type":"not_found","message":"No such package","errors":{}})"}});
    Recorder rec;
    auto c = MakeClient(server.port(), rec);
    try {
      c->OptOut("AAAAA-BBBBB-INS");
      ADD_FAILURE() << "no exception for " << status;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status(), status);
      EXPECT_EQ(e.type(), "not_found");
      EXPECT_EQ(e.message(), "No such package");
      EXPECT_EQ(e.attempts(), 1);
      EXPECT_FALSE(e.retryable());
    }
    EXPECT_EQ(server.seen().size(), 1u);
    EXPECT_TRUE(rec.waits.empty());
  }
}

TEST(Retry, GivesUpAfterMaxAttempts) {
  ScriptedServer server({{.status = 503},
                         {.status = 503},
                         {.status = 503},
                         {.status = 503},
                         {.status = 503},
                         {.status = 204}});
  Recorder rec;
  auto c = MakeClient(server.port(), rec);
  try {
    c->GetQuote("AAAAA-BBBBB-INS");
    ADD_FAILURE() << "no exception";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_EQ(e.attempts(), 5);
    EXPECT_TRUE(e.retryable());
  }
  EXPECT_EQ(server.seen().size(), 5u);
  EXPECT_EQ(rec.waits.size(), 4u);
  EXPECT_FALSE(server.seen()[0].headers.contains("x-idempotency-key"));  // GET
}

TEST(Retry, ConnectionRefusedIsATransportErrorAfterRetries) {
  unsigned short port;
  {
    ScriptedServer s(std::vector<Step>{});
    port = s.port();
  }
  Recorder rec;
  auto c = MakeClient(port, rec);
  EXPECT_THROW(c->GetQuote("X"), TransportError);
  EXPECT_EQ(rec.waits.size(), 4u);
}

TEST(Transport, HttpsVerifiesCertificatesByDefault) {
  // A plain-HTTP server answering a TLS client: the handshake fails and
  // nothing is sent in clear text.
  ScriptedServer server(std::vector<Step>{{.status = 204}});
  Recorder rec;
  Config c;
  c.base_url = "https://127.0.0.1:" + std::to_string(server.port()) + "/xcover/";
  c.timeout = 400ms;
  c.retry.max_attempts = 1;
  Client client(c);
  EXPECT_TRUE(c.verify_tls);
  EXPECT_THROW(client.GetQuote("X"), TransportError);
}

}  // namespace
}  // namespace offerledger::client
