// The outage: the server is down, opt-outs are queued durably with the CLI,
// a flushing client process is killed mid-way, the server comes back, and a
// fresh `outbox flush` delivers every opt-out, each exactly once on the ledger.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <thread>

#include <gtest/gtest.h>

#include "integration/harness.h"

extern char** environ;

namespace offerledger::client {
namespace {

using namespace std::chrono_literals;

// Kept modest so the suite stays quick on 2 shared cores; the mechanism does
// not depend on N (OUTAGE_N overrides it, e.g. OUTAGE_N=1000).
int N() {
  const char* v = std::getenv("OUTAGE_N");
  return v != nullptr ? std::atoi(v) : 200;
}

TEST(Outage, QueuedOptOutsSurviveServerAndClientRestarts) {
  itest::Env env;
  const itest::Credentials creds = env.AddPartner("DEMO");
  auto server = env.StartServer();
  ASSERT_NE(server, nullptr);
  itest::Client http(server->port(), creds);
  std::vector<std::string> ids;
  for (int i = 0; i < N(); ++i) ids.push_back(itest::Str(http.CreateQuote(), {"id"}));
  ASSERT_TRUE(server->Terminate().has_value());
  server.reset();

  const std::string outbox = (env.dir() / "state" / "outbox.db").string();
  const std::vector<std::string> common = {"client",     "--partner", creds.partner,
                                           "--api-key",  creds.key,   "--api-secret",
                                           creds.secret, "--outbox",  outbox};
  auto args = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = common;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  for (const std::string& id : ids) {
    const auto r = itest::RunOfferledger(args({"opt-out", id, "--durable"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // A flusher against the dead server, SIGKILLed while it retries.
  {
    std::vector<std::string> full{OFFERLEDGER_BINARY};
    auto a =
        args({"--base-url", "http://127.0.0.1:9/xcover/", "--timeout", "0.2", "outbox", "flush"});
    full.insert(full.end(), a.begin(), a.end());
    std::vector<char*> argv;
    for (auto& s : full) argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    ASSERT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    std::this_thread::sleep_for(1500ms);
    ::kill(pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFSIGNALED(st));
  }
  auto status = itest::RunOfferledger(args({"outbox", "status"}));
  EXPECT_NE(status.out.find("\"pending\":" + std::to_string(N())), std::string::npos) << status.out;

  server = env.StartServer();
  ASSERT_NE(server, nullptr);
  const std::string base = "http://127.0.0.1:" + std::to_string(server->port()) + "/xcover/";
  const auto flushed = itest::RunOfferledger(args({"--base-url", base, "outbox", "flush"}));
  EXPECT_EQ(flushed.exit_code, 0) << flushed.out << flushed.err;
  EXPECT_NE(flushed.out.find("\"pending\":0"), std::string::npos) << flushed.out;
  EXPECT_NE(flushed.out.find("\"delivered\":" + std::to_string(N())), std::string::npos)
      << flushed.out;

  const auto rows =
      env.Query("SELECT count(*), count(DISTINCT package_id) FROM events WHERE kind = 'opted_out'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], std::to_string(N()));
  EXPECT_EQ(rows[0][1], std::to_string(N()));
}

TEST(Outage, FlushExitsNonZeroWhenAnEntryFailsForGood) {
  itest::Env env;
  const itest::Credentials creds = env.AddPartner("DEMO");
  auto server = env.StartServer();
  ASSERT_NE(server, nullptr);
  const std::string base = "http://127.0.0.1:" + std::to_string(server->port()) + "/xcover/";
  const std::string outbox = (env.dir() / "outbox.db").string();
  const std::vector<std::string> common = {"client",  "--partner",    creds.partner, "--api-key",
                                           creds.key, "--api-secret", creds.secret,  "--outbox",
                                           outbox,    "--base-url",   base};
  auto a = common;
  a.insert(a.end(), {"opt-out", "ZZZZZ-ZZZZZ-INS", "--durable"});
  ASSERT_EQ(itest::RunOfferledger(a).exit_code, 0);
  a = common;
  a.insert(a.end(), {"outbox", "flush"});
  const auto r = itest::RunOfferledger(a);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("\"failed\":1"), std::string::npos) << r.out;
  a = common;
  a.insert(a.end(), {"outbox", "list"});
  const auto list = itest::RunOfferledger(a);
  EXPECT_NE(list.out.find("\"state\":\"failed\""), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("\"last_status\":404"), std::string::npos) << list.out;
}

}  // namespace
}  // namespace offerledger::client
