#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
// Connection reuse in the SDK transport: one connection for many calls while
// the server keeps it open; a connection the server closed (announced or
// not) is replaced without costing a retry attempt.
#include <gtest/gtest.h>

#include "client/client.h"
#include "client/scripted_server.h"

namespace offerledger::client {
namespace {

using testing::ScriptedServer;
using testing::Step;
using namespace std::chrono_literals;

Config Cfg(unsigned short port) {
  Config c;
  c.base_url = "http://127.0.0.1:" + std::to_string(port) + "/xcover/";
  c.partner_code = "DEMO";
  c.api_key = "k";
  c.api_secret = "s";
  c.timeout = 2s;
  return c;
}

// Counts the waits between attempts: a reconnect must not be one.
struct Waits {
  int count = 0;
};

std::unique_ptr<Client> MakeClient(unsigned short port, Waits& waits) {
  auto c = std::make_unique<Client>(Cfg(port));
  c->SetSleepForTesting([&waits](std::chrono::milliseconds) { ++waits.count; });
  return c;
}

TEST(KeepAlive, OneConnectionForManyCalls) {
  ScriptedServer server({}, /*keep_alive=*/true);
  Waits waits;
  auto c = MakeClient(server.port(), waits);
  for (int i = 0; i < 5; ++i) c->GetQuote("AAAAA-BBBBB-INS");
  c->OptOut("AAAAA-BBBBB-INS");
  EXPECT_EQ(server.seen().size(), 6u);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(waits.count, 0);
  for (const auto& s : server.seen()) EXPECT_EQ(s.headers.count("connection"), 0u);
  c.reset();  // closes the connection, which ends the server's read
}

TEST(KeepAlive, ServerThatClosesAfterEachAnswerCostsNoRetry) {
  // Closes after every answer without saying so: each call finds its pooled
  // connection closed and opens another, and no attempt is lost.
  ScriptedServer server({});
  Waits waits;
  auto c = MakeClient(server.port(), waits);
  for (int i = 0; i < 4; ++i) c->GetQuote("AAAAA-BBBBB-INS");
  EXPECT_EQ(server.seen().size(), 4u);
  EXPECT_EQ(server.connections(), 4);
  EXPECT_EQ(waits.count, 0);
}

TEST(KeepAlive, AnnouncedCloseIsHonoured) {
  ScriptedServer server({{.headers = {{"Connection", "close"}}, .close = true}, {}, {}},
                        /*keep_alive=*/true);
  Waits waits;
  auto c = MakeClient(server.port(), waits);
  for (int i = 0; i < 3; ++i) c->GetQuote("AAAAA-BBBBB-INS");
  EXPECT_EQ(server.seen().size(), 3u);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(waits.count, 0);
  c.reset();
}

TEST(KeepAlive, ReusedConnectionClosedUnderTheRequestIsRetriedOnAFreshOne) {
  // The second request arrives on the kept connection and the server closes
  // it without a byte of answer (its idle timeout raced the request): the
  // transport sends it again on a new connection, with the same key, and
  // the Client sees one attempt.
  ScriptedServer server({{.status = 204}, {.drop = true}, {.status = 204}}, /*keep_alive=*/true);
  Waits waits;
  auto c = MakeClient(server.port(), waits);
  c->OptOut("AAAAA-BBBBB-INS");
  c->OptOut("CCCCC-DDDDD-INS");
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(waits.count, 0);
  EXPECT_EQ(seen[1].target, seen[2].target);
  EXPECT_EQ(seen[1].headers.at("x-idempotency-key"), seen[2].headers.at("x-idempotency-key"));
  c.reset();
}

TEST(KeepAlive, FreshConnectionDroppedIsAnAttempt) {
  // Without a kept connection a drop is a transport failure the Client
  // retries after a wait (the transport does not resend on its own).
  ScriptedServer server({{.drop = true}, {.status = 204}});
  Waits waits;
  auto c = MakeClient(server.port(), waits);
  c->OptOut("AAAAA-BBBBB-INS");
  EXPECT_EQ(server.seen().size(), 2u);
  EXPECT_EQ(waits.count, 1);
}

}  // namespace
}  // namespace offerledger::client
