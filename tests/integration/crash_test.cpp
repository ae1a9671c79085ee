// Crash consistency (issue 8): SIGKILL at twenty random moments of a
// concurrent opt-out and booking load. After each kill the server restarts on
// the same database and the next round goes on; at the end every request that
// got its 2xx is in the ledger, nothing is half-applied (a package's state and
// its events agree, whether or not its request was answered), the roll-ups
// equal a recount (`offerledger report verify`) and SQLite's integrity check
// passes. Runs on both backends (pg.* for PostgreSQL).
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"

namespace itest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

enum class Op { kOptOut, kBook };

struct Outcome {
  Op op;
  int status = 0;  // 0: no answer (the kill cut it off)
};

TEST(CrashConsistency, TwentySigkillsUnderLoadLoseNothingAcknowledged) {
  constexpr int kRounds = 20;
  constexpr int kPackagesPerRound = 40;
  constexpr int kThreads = 6;
  Env env;
  const Credentials a = env.AddPartner("LLODT");
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));

  std::map<std::string, Outcome> outcomes;  // package id -> what was asked, and the answer
  int killed_mid_load = 0;
  for (int round = 0; round < kRounds; ++round) {
    auto server = env.StartServer();
    ASSERT_NE(server, nullptr) << "round " << round << ": the server did not restart";
    const Client client(server->port(), a);

    // The packages of this round, created before the kill window.
    std::vector<json::object> packages;
    for (int i = 0; i < kPackagesPerRound; ++i) {
      const HttpReply r = client.Post("quotes/", CassetteQuoteBody());
      ASSERT_EQ(r.status, 201) << r.Describe();
      packages.push_back(r.Json().as_object());
    }

    std::mutex mu;
    std::atomic<int> answered{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < kThreads; ++t) {
      pool.emplace_back([&, t] {
        for (int i = t; i < kPackagesPerRound; i += kThreads) {
          const json::object& pkg = packages[static_cast<std::size_t>(i)];
          const std::string id(pkg.at("id").as_string());
          // 3 in 5 opt out, 2 in 5 book, as at a checkout.
          const Op op = i % 5 < 3 ? Op::kOptOut : Op::kBook;
          const HttpReply r = op == Op::kOptOut
                                  ? client.Post("bookings/" + id + "/opt_out", std::nullopt)
                                  : client.Post("bookings/" + id + "/", BookingBodyFor(pkg));
          if (r.status != 0) ++answered;
          std::lock_guard lock(mu);
          outcomes[id] = Outcome{op, r.status};
        }
      });
    }
    // A random moment inside the load: after a random number of answers
    // (the requests then in flight are cut off, some committed, some not).
    std::uniform_int_distribution<int> after_answers(1, kPackagesPerRound - 1);
    const int k = after_answers(rng);
    const auto guard = std::chrono::steady_clock::now() + 20s;
    while (answered.load() < k && std::chrono::steady_clock::now() < guard) {
      std::this_thread::sleep_for(50us);
    }
    const int before_kill = answered.load();
    server->Kill();
    for (auto& th : pool) th.join();
    if (before_kill > 0 && before_kill < kPackagesPerRound) ++killed_mid_load;
  }
  // The kills must land inside the load, or the test proves little (one
  // that comes as the last answers arrive counts as after it).
  EXPECT_GE(killed_mid_load, kRounds / 2) << "kills that landed mid-load";

  // Every answer was a 2xx or no answer at all (a kill is not an error reply).
  int acknowledged = 0;
  for (const auto& [id, o] : outcomes) {
    if (o.status == 0) continue;
    const int expected = o.op == Op::kOptOut ? 204 : 200;
    EXPECT_EQ(o.status, expected) << id;
    if (o.status == expected) ++acknowledged;
  }
  EXPECT_GT(acknowledged, 0);

  // The ledger after the last kill, read once more through a restarted server
  // (which must come up on whatever the kill left) and directly.
  auto final_server = env.StartServer();
  ASSERT_NE(final_server, nullptr);
  const Client client(final_server->port(), a);
  const auto rows = env.Query(
      "SELECT p.id, p.status, "
      "(SELECT count(*) FROM events e WHERE e.package_id = p.id AND e.kind = 'opted_out'), "
      "(SELECT count(*) FROM events e WHERE e.package_id = p.id AND e.kind = 'booked'), "
      "(SELECT count(*) FROM events e WHERE e.package_id = p.id AND e.kind = 'offered') "
      "FROM packages p");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kRounds * kPackagesPerRound));
  for (const auto& row : rows) {
    const std::string& id = row[0];
    const std::string& status = row[1];
    const int opted_out = std::stoi(row[2]);
    const int booked = std::stoi(row[3]);
    EXPECT_EQ(row[4], "1") << id << ": one offered event per one-quote package";
    // Never half-applied: the package's state and its events agree.
    EXPECT_LE(opted_out + booked, 1) << id << " is both opted out and booked, or twice";
    EXPECT_EQ(status == "OPTED_OUT", opted_out == 1) << id << " is " << status;
    EXPECT_EQ(status == "CONFIRMED", booked == 1) << id << " is " << status;
    // Acknowledged means there.
    const auto it = outcomes.find(id);
    ASSERT_NE(it, outcomes.end()) << id << " was never asked for";
    const Outcome& o = it->second;
    if (o.status == 204) {
      EXPECT_EQ(status, "OPTED_OUT") << id << " lost its acknowledged opt-out";
    }
    if (o.status == 200) {
      EXPECT_EQ(status, "CONFIRMED") << id << " lost its acknowledged booking";
    }
    // Nothing happened that was not asked.
    if (o.op == Op::kOptOut) {
      EXPECT_EQ(booked, 0) << id;
    }
    if (o.op == Op::kBook) {
      EXPECT_EQ(opted_out, 0) << id;
    }
  }
  // The server agrees with the rows for a sample of acknowledged ones.
  int checked = 0;
  for (const auto& [id, o] : outcomes) {
    if (o.status != 204 || ++checked > 20) continue;
    const HttpReply r = client.Get("quotes/" + id + "/");
    EXPECT_EQ(r.status, 200) << r.Describe();
    EXPECT_EQ(Str(r.Json(), {"status"}), "OPTED_OUT") << id;
  }
  EXPECT_EQ(final_server->Terminate(), 0);

  const CommandResult verify = RunOfferledger({"report", "verify", "--db", env.db_url()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("all equal"), std::string::npos) << verify.out;
  if (!env.postgres()) {
    const auto integrity = env.Query("PRAGMA integrity_check");
    ASSERT_EQ(integrity.size(), 1u);
    EXPECT_EQ(integrity[0][0], "ok");
  }
  RecordProperty("kills", kRounds);
  RecordProperty("kills_mid_load", killed_mid_load);
  RecordProperty("acknowledged", acknowledged);
  std::cout << "crash consistency: " << kRounds << " SIGKILLs (" << killed_mid_load
            << " mid-load), " << outcomes.size() << " requests, " << acknowledged
            << " acknowledged, every one in the ledger; seed " << seed << "\n";
}

}  // namespace
}  // namespace itest
