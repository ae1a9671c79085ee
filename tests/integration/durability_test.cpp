// "204 means durable" (CONTRACT.md, "Opt-out"; DESIGN.md, "Principles"), and
// the graceful stop: SIGTERM lets in-flight requests finish, exit code 0.
#include <signal.h>

#include <atomic>
#include <mutex>
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

// Creates `n` quote packages from `threads` threads; returns their ids.
std::vector<std::string> CreatePackages(const Client& client, int n, int threads) {
  std::vector<std::string> ids(static_cast<std::size_t>(n));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = t; i < n; i += threads) {
        const HttpReply r = client.Post("quotes/", CassetteQuoteBody());
        if (r.status == 201) ids[static_cast<std::size_t>(i)] = Str(r.Json(), {"id"});
      }
    });
  }
  for (auto& th : pool) th.join();
  for (const auto& id : ids) EXPECT_FALSE(id.empty()) << "a quote was not created";
  return ids;
}

TEST(Durability, AcknowledgedOptOutsSurviveSigkill) {
  constexpr int kPackages = 50;
  constexpr int kThreads = 5;
  Env env;
  const Credentials a = env.AddPartner("LLODT");
  auto server = env.StartServer();
  ASSERT_NE(server, nullptr);
  const Client client(server->port(), a);
  const std::vector<std::string> ids = CreatePackages(client, kPackages, kThreads);

  // Opt out all of them concurrently; remember every acknowledged one.
  std::mutex mu;
  std::set<std::string> acked;
  std::vector<std::string> failures;
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = t; i < kPackages; i += kThreads) {
        const std::string& id = ids[static_cast<std::size_t>(i)];
        const HttpReply r = client.Post("bookings/" + id + "/opt_out", i % 2 ? "{}" : "null");
        std::lock_guard lock(mu);
        if (r.status == 204) {
          acked.insert(id);
        } else {
          failures.push_back(id + ": " + r.Describe());
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  // Right after the last 204: no graceful anything.
  server->Kill();
  for (const auto& f : failures) ADD_FAILURE() << "opt out " << f;
  EXPECT_EQ(acked.size(), static_cast<std::size_t>(kPackages));

  auto restarted = env.StartServer();
  ASSERT_NE(restarted, nullptr);
  const Client after(restarted->port(), a);
  for (const std::string& id : acked) {
    const HttpReply r = after.Get("quotes/" + id + "/");
    EXPECT_EQ(r.status, 200) << id << ": " << r.Describe();
    EXPECT_EQ(Str(r.Json(), {"status"}), "OPTED_OUT") << id << " lost its acknowledged opt-out";
  }
  const std::optional<int> rc = restarted->Terminate();
  EXPECT_EQ(rc, 0);

  // The ledger itself: one opted_out row per quote (each package has one).
  const auto rows = env.Query(
      "SELECT package_id, count(*) FROM events WHERE kind = 'opted_out' "
      "GROUP BY package_id");
  std::set<std::string> in_ledger;
  for (const auto& row : rows) {
    EXPECT_EQ(row[1], "1") << row[0] << " has " << row[1] << " opted_out rows";
    in_ledger.insert(row[0]);
  }
  EXPECT_EQ(in_ledger, acked);
  const auto quotes =
      env.Query("SELECT count(DISTINCT quote_id) FROM events WHERE kind = 'opted_out'");
  ASSERT_FALSE(quotes.empty());
  EXPECT_EQ(quotes[0][0], std::to_string(kPackages));
}

// The raw bytes of `req` as an HTTP/1.1 message (keep-alive).
std::string Serialize(const RawRequest& req, std::uint16_t port) {
  std::string out = req.method + " " + req.target + " HTTP/1.1\r\n";
  out += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  for (const auto& [k, v] : req.headers) out += k + ": " + v + "\r\n";
  const std::string body = req.body.value_or("");
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

TEST(GracefulStop, SigtermLetsInFlightRequestsFinishAndExitsZero) {
  Env env;
  const Credentials a = env.AddPartner("LLODT");
  auto server = env.StartServer();
  ASSERT_NE(server, nullptr);
  const std::uint16_t port = server->port();
  const Client client(port, a);
  const std::vector<std::string> ids = CreatePackages(client, 4, 2);

  // In flight: each connection has sent its headers and half of its body when
  // SIGTERM arrives. Opt-outs on three, a quote creation on the fourth.
  struct Pending {
    std::unique_ptr<RawConnection> conn;
    std::string rest;
    int expect;
  };
  std::vector<Pending> pending;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const bool create = i == ids.size() - 1;
    const RawRequest req =
        create ? client.Build("POST", client.Path("quotes/"), CassetteQuoteBody())
               : client.Build("POST", client.Path("bookings/" + ids[i] + "/opt_out"), "{}");
    const std::string bytes = Serialize(req, port);
    const std::size_t half = bytes.size() - (req.body->size() + 1) / 2;
    Pending p{std::make_unique<RawConnection>(port), bytes.substr(half), create ? 201 : 204};
    ASSERT_TRUE(p.conn->connected());
    ASSERT_TRUE(p.conn->Write(std::string_view(bytes).substr(0, half)));
    pending.push_back(std::move(p));
  }
  std::this_thread::sleep_for(500ms);  // the server has read the headers

  server->Signal(SIGTERM);
  // The stop has begun once new connections are refused.
  bool refused = false;
  for (int i = 0; i < 250 && !refused; ++i) {
    refused = ConnectRefused(port);
    if (!refused) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(refused) << "the server still accepts connections 5 s after SIGTERM";
  EXPECT_TRUE(server->running());

  for (auto& p : pending) {
    ASSERT_TRUE(p.conn->Write(p.rest));
    const HttpReply r = p.conn->ReadReply(10s);
    EXPECT_EQ(r.status, p.expect) << "in-flight request: " << r.Describe();
  }

  const std::optional<int> rc = server->Wait(20s);
  ASSERT_TRUE(rc.has_value()) << "the server did not exit within 20 s of SIGTERM";
  EXPECT_EQ(*rc, 0);
  EXPECT_NE(server->stdout_text().find("offerledger: stopped"), std::string::npos)
      << server->stdout_text();

  // What the in-flight requests were told is on disk.
  auto restarted = env.StartServer();
  ASSERT_NE(restarted, nullptr);
  const Client after(restarted->port(), a);
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
    EXPECT_EQ(Str(after.GetQuote(ids[i]), {"status"}), "OPTED_OUT") << ids[i];
  }
  EXPECT_EQ(restarted->Terminate(), 0);
}

TEST(GracefulStop, IdleServerStopsWithExitZero) {
  Env env;
  env.AddPartner("LLODT");
  auto server = env.StartServer();
  ASSERT_NE(server, nullptr);
  // An idle keep-alive connection must not hold the stop up.
  RawConnection idle(server->port());
  ASSERT_TRUE(idle.connected());
  const auto start = std::chrono::steady_clock::now();
  const std::optional<int> rc = server->Terminate();
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(*rc, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(server->stdout_text().find("offerledger: stopped"), std::string::npos)
      << server->stdout_text();
}

}  // namespace
}  // namespace itest
