// Scale-out on one PostgreSQL (issue 5): several `offerledger serve`
// processes sharing one database keep every guarantee one process gives.
//
// - Concurrent workload through two processes: the same opt-out sent to both
//   at once, a booking racing an opt-out, one idempotency key sent to both;
//   then the database is checked exactly against what the HTTP answers said,
//   and the roll-ups and optimizer arms against a recount of the events done
//   here in SQL (independent of the store's own recount code).
// - One process SIGKILLed mid-load: every acknowledged write is in the
//   ledger, the other process keeps serving, a restarted one sees the same.
// - PostgreSQL stopped under load (fast and immediate shutdown), on a private
//   server so that no other test loses its database: 503 with the JSON error
//   body while it is down (never a 2xx for a write it does not hold, never a
//   500), recovery without a restart, every acknowledged or retried write
//   recorded exactly once.
//
// No timed assertions: waits have generous deadlines (recovery within 30 s).
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <boost/json.hpp>

#include "integration/harness.h"
#include "support/pg_schema.h"

namespace itest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using offerledger::testing::PgSchema;
using offerledger::testing::TestPgUrl;

using Rows = std::vector<std::vector<std::string>>;

// ------------------------------------------------------------------ helpers

// Every row of `sql` on `url`, columns as text ("NULL" for NULL).
Rows PgRows(const std::string& url, const std::string& sql) {
  Rows out;
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    ADD_FAILURE() << "cannot connect to the test database: " << PQerrorMessage(c);
    PQfinish(c);
    return out;
  }
  PGresult* r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
  } else {
    for (int i = 0; i < PQntuples(r); ++i) {
      auto& row = out.emplace_back();
      for (int j = 0; j < PQnfields(r); ++j) {
        row.emplace_back(PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
      }
    }
  }
  PQclear(r);
  PQfinish(c);
  return out;
}

std::int64_t PgInt(const std::string& url, const std::string& sql) {
  const Rows rows = PgRows(url, sql);
  if (rows.size() != 1 || rows[0].size() != 1 || rows[0][0] == "NULL") {
    ADD_FAILURE() << "expected one number from: " << sql;
    return -1;
  }
  return std::stoll(rows[0][0]);
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

// "STATUS BODY" cut short: a package body is several KB.
std::string Short(const HttpReply& r) { return r.Describe().substr(0, 300); }

// m[k], or a default value, without inserting.
template <typename Map>
typename Map::mapped_type At(const Map& m, const typename Map::key_type& k) {
  auto it = m.find(k);
  return it == m.end() ? typename Map::mapped_type{} : it->second;
}

Credentials AddPartner(const std::string& db_url, const std::string& code) {
  const CommandResult r = RunOfferledger({"partner", "add", code, "--db", db_url, "--json"});
  Credentials c;
  EXPECT_EQ(r.exit_code, 0) << "partner add: " << r.err << r.out;
  boost::system::error_code ec;
  const json::value v = json::parse(r.out, ec);
  if (ec) {
    ADD_FAILURE() << "partner add printed no JSON: " << r.out;
    return c;
  }
  c.partner = Str(v, {"partner"});
  c.key = Str(v, {"api_key"});
  c.secret = Str(v, {"api_secret"});
  return c;
}

// The server flags of every test: the live optimizer, so that offers go out
// at several multipliers and the arms have something to get wrong.
const std::vector<std::string> kServeArgs = {"--pricing", "optimize", "--optimizer-refresh-ms",
                                             "50"};

// The cassette quote with another ticket price: a different request body.
std::string OtherQuoteBody() {
  std::string body = CassetteQuoteBody();
  const std::string from = "\"price\": 100";
  const std::size_t at = body.find(from);
  EXPECT_NE(at, std::string::npos) << "the cassette quote changed: " << body;
  if (at != std::string::npos) body.replace(at, from.size(), "\"price\": 180");
  return body;
}

HttpReply PostWithKey(const Client& c, std::string_view rest, const std::string& body,
                      const std::string& key) {
  SignOptions opts;
  opts.idempotency_key = key;
  return c.Send("POST", c.Path(rest), body, opts);
}

// Runs `a` and `b` on two threads released together.
void AtOnce(const std::function<void()>& a, const std::function<void()>& b) {
  std::latch go(2);
  std::thread other([&] {
    go.arrive_and_wait();
    b();
  });
  go.arrive_and_wait();
  a();
  other.join();
}

// Runs job(i) for i in [0, n) on `threads` threads.
void ParallelFor(int n, int threads, const std::function<void(int)>& job) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) job(i);
    });
  }
  for (auto& th : pool) th.join();
}

// A 503 carries the JSON error body and says nothing of the database's address.
std::string CheckUnavailable(const HttpReply& r, const std::string& db_url) {
  boost::system::error_code ec;
  const json::value v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return "503 without a JSON body: " + Short(r);
  if (Str(v, {"type"}) != "service_unavailable" || Str(v, {"message"}).empty() ||
      !v.as_object().contains("errors")) {
    return "503 with an unexpected body: " + Short(r);
  }
  // postgresql://user@host:PORT/db: neither the server nor its port.
  const std::size_t colon = db_url.rfind(':', db_url.find('/', db_url.find('@')));
  const std::string port = db_url.substr(colon + 1, db_url.find('/', colon) - colon - 1);
  if (ContainsI(r.body, "postgres") || r.body.find(port) != std::string::npos) {
    return "a 503 names the database: " + Short(r);
  }
  if (!r.Header("Retry-After")) return "a 503 without Retry-After: " + Short(r);
  return "";
}

// Waits until `ok()` or `deadline` from now; whether it became true.
bool WaitFor(const std::function<bool()>& ok, std::chrono::seconds deadline) {
  const auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    if (ok()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return ok();
}

int Health(const ServerProcess& s) {
  return SendRaw(s.port(), RawRequest{"GET", "/healthz", std::nullopt, {}}).status;
}

// ------------------------------------------------------------------ ledger checks

// Roll-up totals and optimizer arms against a recount of the events done here
// in SQL, plus `offerledger report verify`. The workloads here offer one quote
// per package and never re-price, withdraw or cancel.
void ExpectRollupsAndArmsExact(const std::string& url) {
  const CommandResult verify = RunOfferledger({"report", "verify", "--db", url});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("all equal"), std::string::npos) << verify.out;

  // The final outcome of each offered quote, from the events alone.
  const std::string outcomes =
      "WITH o AS (SELECT quote_id, min(partner) AS partner, min(policy_type) AS policy_type, "
      "min(customer_country) AS country, min(price) FILTER (WHERE kind = 'booked') AS price, "
      "min(CASE WHEN price_multiplier_nanos > 0 THEN price_multiplier_nanos ELSE 1000000000 END) "
      "FILTER (WHERE kind = 'offered') AS m, "
      "floor(min(offered_at) / 86400000000.0)::bigint AS day, "
      "bool_or(kind = 'booked') AS booked, bool_or(kind = 'opted_out') AS opted_out, "
      "bool_or(kind = 'not_selected') AS not_selected FROM events "
      "WHERE quote_id IN (SELECT quote_id FROM events WHERE kind = 'offered') GROUP BY quote_id) ";
  const Rows counted = PgRows(
      url, outcomes +
               "SELECT count(*), count(*) FILTER (WHERE booked), "
               "count(*) FILTER (WHERE opted_out AND NOT booked), count(*) FILTER (WHERE "
               "not_selected), count(*) FILTER (WHERE NOT booked AND NOT opted_out AND NOT "
               "not_selected), coalesce(sum(price) FILTER (WHERE booked), 0), "
               "(SELECT count(*) FROM events WHERE kind = 'opted_out'), "
               "(SELECT count(DISTINCT package_id) FROM events WHERE kind = 'offered') FROM o");
  const Rows rolled = PgRows(
      url,
      "SELECT coalesce(sum(quotes_offered), 0), coalesce(sum(booked), 0), "
      "coalesce(sum(opted_out), 0), coalesce(sum(not_selected), 0), coalesce(sum(pending), 0), "
      "coalesce(sum(premium_booked), 0), coalesce(sum(opt_out_events), 0), "
      "coalesce(sum(packages_offered), 0) FROM rollups");
  ASSERT_EQ(counted.size(), 1u);
  ASSERT_EQ(rolled.size(), 1u);
  const char* names[] = {"quotes offered", "booked",         "opted out",      "not selected",
                         "pending",        "premium booked", "opt-out events", "packages offered"};
  for (std::size_t i = 0; i < counted[0].size(); ++i) {
    EXPECT_EQ(rolled[0][i], counted[0][i]) << "roll-up total of " << names[i];
  }

  // Arms: per (policy type, partner, country, multiplier, cohort day).
  const Rows arms_expected = PgRows(
      url, outcomes +
               "SELECT policy_type, partner, country, m, day, count(*) FILTER (WHERE booked), "
               "count(*) FILTER (WHERE NOT booked AND (opted_out OR not_selected)), "
               "count(*) FILTER (WHERE NOT booked AND NOT opted_out AND NOT not_selected) FROM o "
               "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5");
  const Rows arms = PgRows(url,
                           "SELECT policy_type, partner, country, multiplier_nanos, day, "
                           "successes, failures, pending FROM arms WHERE successes <> 0 OR "
                           "failures <> 0 OR pending <> 0 ORDER BY 1, 2, 3, 4, 5");
  EXPECT_EQ(arms, arms_expected) << "the optimizer arms differ from a recount of the events";
  EXPECT_GT(arms_expected.size(), 1u) << "the workload should offer at several multipliers";
}

// ================================================================ a. workload

TEST(ScaleOut, ConcurrentWorkloadThroughTwoProcessesIsExact) {
  const std::string base = TestPgUrl();
  if (base.empty()) GTEST_SKIP() << "no PostgreSQL test server (ctest fixture pg)";
  PgSchema schema(base);
  const std::string& url = schema.url();
  TempDir dir;
  const Credentials creds = AddPartner(url, "LLODT");
  ASSERT_FALSE(creds.key.empty());
  std::unique_ptr<ServerProcess> servers[2];
  for (int i = 0; i < 2; ++i) {
    servers[i] = ServerProcess::Start(url, kServeArgs,
                                      dir.path() / ("serve-" + std::to_string(i) + ".stderr"));
    ASSERT_NE(servers[i], nullptr);
  }
  const Client c[2] = {Client(servers[0]->port(), creds), Client(servers[1]->port(), creds)};

  // Roles of the packages created first (index i, role i % 5).
  enum Role { kDoubleOptOut, kBookVsOptOut, kBooked, kUntouched, kDoubleBookingSameKey };
  constexpr int kRoles = 5;
  constexpr int kPackages = 12 * kRoles;
  constexpr int kThreads = 8;

  // 1. Packages through both processes at once.
  std::vector<json::object> packages(kPackages);
  ParallelFor(kPackages, kThreads, [&](int i) {
    const HttpReply r = c[i % 2].Post("quotes/", CassetteQuoteBody());
    if (r.status == 201) packages[static_cast<std::size_t>(i)] = r.Json().as_object();
  });
  std::vector<std::string> ids;
  for (const auto& p : packages) {
    ids.push_back(Str(p, {"id"}));
    ASSERT_FALSE(ids.back().empty()) << "a quote was not created";
  }

  // 2. Everything at once: each job races two requests through the two
  //    processes; quote creations run in between.
  std::mutex mu;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(mu);
    failures.push_back(what);
  };
  std::map<std::string, std::string> expected_status;  // package id -> status
  std::map<std::string, int> expected_opt_out_events;  // package id -> count
  std::set<std::string> booked;
  constexpr int kKeyJobs = 24;  // same key, same or different body, to both processes
  std::map<std::string, std::string> key_package;  // idempotency key -> package id
  int plain_created = 0;

  ParallelFor(kPackages + kKeyJobs, kThreads, [&](int job) {
    const int first = job % 2;  // which process gets the first of the two
    const Client& x = c[first];
    const Client& y = c[1 - first];
    // A plain quote creation through each process, between the races.
    for (const Client* cl : {&x, &y}) {
      const HttpReply r = cl->Post("quotes/", CassetteQuoteBody());
      std::lock_guard lock(mu);
      if (r.status != 201) {
        failures.push_back("create quote: " + Short(r));
      } else {
        expected_status[Str(r.Json(), {"id"})] = "RECEIVED";
        ++plain_created;
      }
    }
    if (job >= kPackages) {
      const int k = job - kPackages;
      const std::string key = "same-key-" + std::to_string(k);
      const bool same_body = k % 2 == 0;
      HttpReply ra, rb;
      AtOnce([&] { ra = PostWithKey(x, "quotes/", CassetteQuoteBody(), key); },
             [&] {
               rb = PostWithKey(y, "quotes/", same_body ? CassetteQuoteBody() : OtherQuoteBody(),
                                key);
             });
      std::string id;
      if (same_body) {
        // One execution; the other process replays the identical response.
        if (ra.status != 201 || rb.status != 201 || ra.body != rb.body) {
          return fail("same key, same body: " + Short(ra) + " | " + Short(rb));
        }
        const int replays = (ra.Header("Idempotent-Replayed") == "true") +
                            (rb.Header("Idempotent-Replayed") == "true");
        if (replays != 1) fail("same key, same body: " + std::to_string(replays) + " replays");
        id = Str(ra.Json(), {"id"});
      } else {
        // One execution; the other body is a 409.
        const bool a_won = ra.status == 201 && rb.status == 409;
        const bool b_won = rb.status == 201 && ra.status == 409;
        if (!a_won && !b_won) {
          return fail("same key, other body: " + Short(ra) + " | " + Short(rb));
        }
        id = Str((a_won ? ra : rb).Json(), {"id"});
      }
      std::lock_guard lock(mu);
      key_package[key] = id;
      expected_status[id] = "RECEIVED";
      return;
    }
    const std::string& id = ids[static_cast<std::size_t>(job)];
    const std::string opt_out = "bookings/" + id + "/opt_out";
    const std::string booking = BookingBodyFor(packages[static_cast<std::size_t>(job)]);
    HttpReply ra, rb;
    switch (job % kRoles) {
      case kDoubleOptOut: {
        AtOnce([&] { ra = x.Post(opt_out, "{}"); }, [&] { rb = y.Post(opt_out, std::nullopt); });
        if (ra.status != 204 || rb.status != 204) {
          fail("double opt-out " + id + ": " + Short(ra) + " | " + Short(rb));
        }
        std::lock_guard lock(mu);
        expected_status[id] = "OPTED_OUT";
        expected_opt_out_events[id] = 1;
        return;
      }
      case kBookVsOptOut: {
        AtOnce([&] { ra = x.Post("bookings/" + id + "/", booking); },
               [&] { rb = y.Post(opt_out, "{}"); });
        // Booking an opted-out package is allowed; opting out a booked one is 422.
        if (ra.status != 200 || (rb.status != 204 && rb.status != 422)) {
          fail("booking vs opt-out " + id + ": " + Short(ra) + " | " + Short(rb));
        }
        std::lock_guard lock(mu);
        expected_status[id] = "CONFIRMED";
        expected_opt_out_events[id] = rb.status == 204 ? 1 : 0;
        booked.insert(id);
        return;
      }
      case kBooked: {
        ra = x.Post("bookings/" + id + "/", booking);
        if (ra.status != 200) fail("booking " + id + ": " + Short(ra));
        std::lock_guard lock(mu);
        expected_status[id] = "CONFIRMED";
        booked.insert(id);
        return;
      }
      case kUntouched: {
        std::lock_guard lock(mu);
        expected_status[id] = "RECEIVED";
        return;
      }
      case kDoubleBookingSameKey: {
        const std::string key = "book-" + id;
        AtOnce([&] { ra = PostWithKey(x, "bookings/" + id + "/", booking, key); },
               [&] { rb = PostWithKey(y, "bookings/" + id + "/", booking, key); });
        if (ra.status != 200 || rb.status != 200 || ra.body != rb.body) {
          fail("double booking, one key " + id + ": " + Short(ra) + " | " + Short(rb));
        }
        std::lock_guard lock(mu);
        expected_status[id] = "CONFIRMED";
        booked.insert(id);
        return;
      }
    }
  });
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(plain_created, 2 * (kPackages + kKeyJobs));
  int opt_out_first = 0;
  for (int i = kBookVsOptOut; i < kPackages; i += kRoles) {
    opt_out_first += At(expected_opt_out_events, ids[static_cast<std::size_t>(i)]);
  }
  std::cout << "[ scale-out ] booking vs opt-out: the opt-out came first " << opt_out_first
            << " times of " << kPackages / kRoles << "\n";

  // 3. The database, exactly: no package more or less, each in the state the
  //    answers said, one event of each kind per quote at most.
  std::map<std::string, std::string> in_db;
  for (const auto& row : PgRows(url, "SELECT id, status FROM packages")) in_db[row[0]] = row[1];
  EXPECT_EQ(in_db, expected_status);
  EXPECT_EQ(in_db.size(),
            static_cast<std::size_t>(kPackages + 2 * (kPackages + kKeyJobs) + kKeyJobs));

  std::map<std::string, std::map<std::string, std::string>> events;  // package -> kind -> n
  for (const auto& row :
       PgRows(url, "SELECT package_id, kind, count(*) FROM events GROUP BY 1, 2")) {
    events[row[0]][row[1]] = row[2];
  }
  for (const auto& [id, status] : expected_status) {
    const int opt_outs = At(expected_opt_out_events, id);
    std::map<std::string, std::string> want = {{"offered", "1"}};
    if (opt_outs > 0) want["opted_out"] = std::to_string(opt_outs);
    if (booked.contains(id)) want["booked"] = "1";
    EXPECT_EQ(At(events, id), want) << "events of package " << id << " (" << status << ")";
  }
  // A booking that won over an opt-out came after it in the ledger.
  EXPECT_EQ(PgInt(url,
                  "SELECT count(*) FROM events o JOIN events b ON o.package_id = b.package_id "
                  "WHERE o.kind = 'opted_out' AND b.kind = 'booked' AND o.seq > b.seq"),
            0);
  // The replies remembered for the keys name the packages the answers named.
  for (const auto& [key, id] : key_package) {
    const Rows r = PgRows(url, "SELECT body FROM idempotency WHERE key = " + Quoted(key));
    ASSERT_EQ(r.size(), 1u) << key;
    EXPECT_NE(r[0][0].find(id), std::string::npos) << key << ": " << r[0][0];
  }

  ExpectRollupsAndArmsExact(url);
}

// ================================================================ b. SIGKILL

TEST(ScaleOut, SigkillOfOneProcessLosesNoAcknowledgedWrite) {
  const std::string base = TestPgUrl();
  if (base.empty()) GTEST_SKIP() << "no PostgreSQL test server (ctest fixture pg)";
  PgSchema schema(base);
  const std::string& url = schema.url();
  TempDir dir;
  const Credentials creds = AddPartner(url, "LLODT");
  ASSERT_FALSE(creds.key.empty());
  std::unique_ptr<ServerProcess> servers[2];
  for (int i = 0; i < 2; ++i) {
    servers[i] = ServerProcess::Start(url, kServeArgs,
                                      dir.path() / ("serve-" + std::to_string(i) + ".stderr"));
    ASSERT_NE(servers[i], nullptr);
  }
  const Client c[2] = {Client(servers[0]->port(), creds), Client(servers[1]->port(), creds)};

  constexpr int kThreads = 6;
  constexpr int kRounds = 30;  // per thread: create a package, then opt it out
  std::mutex mu;
  std::set<std::string> created;     // 201 from either process
  std::set<std::string> opted_out;   // 204 from either process
  std::set<std::string> unanswered;  // opt-outs that died with the process
  std::vector<std::string> failures;
  std::atomic<int> acked_opt_outs{0};
  std::atomic<bool> killed{false};
  std::atomic<int> survivor_ok_after_kill{0};

  auto send = [&](int s, const std::function<HttpReply(const Client&)>& call, int want) {
    const HttpReply r = call(c[s]);
    if (r.status == want) {
      if (s == 0 && killed) ++survivor_ok_after_kill;
      return r;
    }
    // Process 1 may die under the request (no answer) or be gone (refused);
    // process 0 must answer every request as it would have anyway.
    if (!(s == 1 && r.status == 0)) {
      std::lock_guard lock(mu);
      failures.push_back("process " + std::to_string(s) + ": " + Short(r));
    }
    return r;
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (int n = 0; n < kRounds; ++n) {
        const int s = (t + n) % 2;
        const HttpReply q = send(
            s, [](const Client& cl) { return cl.Post("quotes/", CassetteQuoteBody()); }, 201);
        if (q.status != 201) continue;
        const std::string id = Str(q.Json(), {"id"});
        {
          std::lock_guard lock(mu);
          created.insert(id);
        }
        const int s2 = (t + n + 1) % 2;  // the opt-out through the other process
        const HttpReply o = send(
            s2, [&](const Client& cl) { return cl.Post("bookings/" + id + "/opt_out", "{}"); },
            204);
        std::lock_guard lock(mu);
        if (o.status == 204) {
          opted_out.insert(id);
          ++acked_opt_outs;
        } else if (o.status == 0) {
          unanswered.insert(id);
        }
      }
    });
  }
  // Mid-load: SIGKILL process 1 while requests are in flight through it.
  const bool loaded = WaitFor([&] { return acked_opt_outs >= kThreads * kRounds / 4; }, 60s);
  servers[1]->Kill();
  killed = true;
  for (auto& th : pool) th.join();
  EXPECT_TRUE(loaded) << "the load did not get going";
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_GT(survivor_ok_after_kill.load(), 0) << "the surviving process stopped serving";

  // Every acknowledged write is in the ledger, once.
  std::map<std::string, std::string> status;
  for (const auto& row : PgRows(url, "SELECT id, status FROM packages")) status[row[0]] = row[1];
  std::map<std::string, int> opt_out_events;
  for (const auto& row : PgRows(url,
                                "SELECT package_id, count(*) FROM events WHERE kind = "
                                "'opted_out' GROUP BY 1")) {
    opt_out_events[row[0]] = std::stoi(row[1]);
  }
  for (const auto& id : created) EXPECT_TRUE(status.contains(id)) << "acknowledged quote " << id;
  for (const auto& id : opted_out) {
    EXPECT_EQ(At(status, id), "OPTED_OUT") << id;
    EXPECT_EQ(At(opt_out_events, id), 1) << id;
  }
  // An opt-out that died with the process happened entirely or not at all.
  for (const auto& id : unanswered) {
    const std::string st = At(status, id);
    const int n = At(opt_out_events, id);
    EXPECT_TRUE((st == "OPTED_OUT" && n == 1) || (st == "RECEIVED" && n == 0))
        << id << ": " << st << ", " << n << " opt-out events";
  }
  for (const auto& [id, n] : opt_out_events) {
    EXPECT_EQ(n, 1) << id;
    EXPECT_EQ(At(status, id), "OPTED_OUT") << id;
  }
  EXPECT_GE(static_cast<int>(opted_out.size()), kThreads * kRounds / 4);

  // A restarted process serves the same data.
  servers[1] = ServerProcess::Start(url, kServeArgs, dir.path() / "serve-1-again.stderr");
  ASSERT_NE(servers[1], nullptr);
  const Client again(servers[1]->port(), creds);
  for (const auto& [id, st] : status) {
    const HttpReply r = again.Get("quotes/" + id + "/");
    ASSERT_EQ(r.status, 200) << id << ": " << Short(r);
    EXPECT_EQ(Str(r.Json(), {"status"}), st) << id;
  }
  ExpectRollupsAndArmsExact(url);
}

// ================================================================ c. PostgreSQL goes away

// A PostgreSQL server of this test's own (scripts/pg-test-server.sh), which it
// stops and starts again on the same port with the same data.
class PrivatePg {
 public:
  PrivatePg() : state_(dir_.path() / "pg") {
    // As root the script runs the server as an unprivileged user, who must
    // be able to reach the state directory inside this (0700) temp dir.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    ok_ = Script("start") == 0;
    if (!ok_) std::cerr << "pg-test-server.sh: " << Log() << "\n";
    if (ok_) {
      std::ifstream in(state_ / "url");
      std::getline(in, url_);
    }
  }
  ~PrivatePg() { Script("stop"); }
  bool ok() const { return ok_ && !url_.empty(); }
  const std::string& url() const { return url_; }
  bool Halt(const std::string& mode) { return Script("halt", mode) == 0; }
  bool Resume() { return Script("resume") == 0; }
  std::string Log() const {
    std::ifstream in(dir_.path() / "script.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  int Script(const std::string& cmd, const std::string& arg = "") const {
    const std::string line = std::string("'") + OFFERLEDGER_SOURCE_DIR +
                             "/scripts/pg-test-server.sh' " + cmd + " '" + state_.string() + "' " +
                             arg + " >>'" + (dir_.path() / "script.log").string() + "' 2>&1";
    const int rc = std::system(line.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  TempDir dir_;
  std::filesystem::path state_;
  std::string url_;
  bool ok_ = false;
};

TEST(ScaleOut, ServersAnswer503WhilePostgresIsDownAndRecoverByThemselves) {
  if (TestPgUrl().empty()) GTEST_SKIP() << "no PostgreSQL test server (ctest fixture pg)";
  PrivatePg pg;
  ASSERT_TRUE(pg.ok()) << "scripts/pg-test-server.sh start failed";
  const std::string& url = pg.url();
  TempDir dir;
  const Credentials creds = AddPartner(url, "LLODT");
  ASSERT_FALSE(creds.key.empty());
  // The optimizer re-reads its arms rarely here: its background reads would
  // otherwise meet (and drop) the dead pooled connections before the test's
  // own requests do.
  const std::vector<std::string> args = {"--pricing", "optimize", "--optimizer-refresh-ms",
                                         "600000"};
  std::unique_ptr<ServerProcess> servers[2];
  for (int i = 0; i < 2; ++i) {
    servers[i] =
        ServerProcess::Start(url, args, dir.path() / ("serve-" + std::to_string(i) + ".stderr"));
    ASSERT_NE(servers[i], nullptr);
  }
  const Client c[2] = {Client(servers[0]->port(), creds), Client(servers[1]->port(), creds)};

  // A restart while nobody calls: afterwards every pooled connection is one
  // the server closed. They are replaced, not handed out to fail: the first
  // requests after PostgreSQL is back all succeed.
  {
    auto burst = [&](const char* when) {
      ParallelFor(40, 10, [&](int i) {
        const HttpReply r = c[i % 2].Get("bookings/");
        EXPECT_EQ(r.status, 200) << when << ": " << Short(r);
      });
    };
    burst("before the restart");  // several connections open in each process
    ASSERT_TRUE(pg.Halt("fast"));
    for (const auto& s : servers) EXPECT_EQ(Health(*s), 503);
    ASSERT_TRUE(pg.Resume());
    burst("right after the restart");
    for (const auto& s : servers) EXPECT_EQ(Health(*s), 200);
  }

  // The load: each thread creates a package (with an idempotency key) and
  // opts it out, each call retried after a 503 -- through the other process,
  // as a load balancer would -- until it is acknowledged.
  constexpr int kThreads = 6;
  std::mutex mu;
  std::vector<std::string> failures;
  std::set<std::string> keys;       // every key a thread started with
  std::set<std::string> created;    // packages acknowledged 201
  std::set<std::string> opted_out;  // packages acknowledged 204
  std::set<std::string> opt_outs_retried;
  std::atomic<int> unavailable{0};
  std::atomic<int> acked_opt_outs{0};
  std::atomic<bool> stop{false};

  // Sends until `want`; a 503 is checked and retried. False if it never came.
  auto until_acked = [&](int s, const std::function<HttpReply(const Client&)>& call, int want,
                         HttpReply& out, bool& retried) {
    const auto deadline = Clock::now() + 60s;
    retried = false;
    for (int n = 0; Clock::now() < deadline; ++n) {
      out = call(c[(s + n) % 2]);
      if (out.status == want) return true;
      if (out.status == 503) {
        ++unavailable;
        retried = true;
        if (std::string bad = CheckUnavailable(out, url); !bad.empty()) {
          std::lock_guard lock(mu);
          failures.push_back(bad);
        }
        std::this_thread::sleep_for(10ms);
        continue;
      }
      std::lock_guard lock(mu);
      failures.push_back("expected " + std::to_string(want) + " or 503, got " + Short(out));
      return false;
    }
    std::lock_guard lock(mu);
    failures.push_back("not acknowledged within 60 s: " + Short(out));
    return false;
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (int n = 0; !stop; ++n) {
        const std::string key = "t" + std::to_string(t) + "-" + std::to_string(n);
        {
          std::lock_guard lock(mu);
          keys.insert(key);
        }
        HttpReply q;
        bool retried = false;
        if (!until_acked(
                t + n,
                [&](const Client& cl) {
                  return PostWithKey(cl, "quotes/", CassetteQuoteBody(), key);
                },
                201, q, retried)) {
          return;
        }
        const std::string id = Str(q.Json(), {"id"});
        {
          std::lock_guard lock(mu);
          created.insert(id);
        }
        HttpReply o;
        if (!until_acked(
                t + n + 1,
                [&](const Client& cl) { return cl.Post("bookings/" + id + "/opt_out", "{}"); }, 204,
                o, retried)) {
          return;
        }
        std::lock_guard lock(mu);
        opted_out.insert(id);
        if (retried) opt_outs_retried.insert(id);
        ++acked_opt_outs;
      }
    });
  }

  // Packages the test opts out itself while PostgreSQL is down.
  auto make_package = [&](const Client& cl) { return Str(cl.CreateQuote(), {"id"}); };
  std::set<std::string> refused_while_down;

  for (const std::string mode : {"fast", "immediate"}) {
    SCOPED_TRACE("pg_ctl stop -m " + mode);
    const std::string mine[2] = {make_package(c[0]), make_package(c[1])};
    const int before = acked_opt_outs;
    ASSERT_TRUE(WaitFor([&] { return acked_opt_outs >= before + 20; }, 30s))
        << "no progress under load";

    ASSERT_TRUE(pg.Halt(mode));
    // Down: /healthz says so, and every write is a 503 -- not a 401 from a
    // key look-up that failed, not a 500, never a 2xx.
    for (int i = 0; i < 2; ++i) {
      const HttpReply h =
          SendRaw(servers[i]->port(), RawRequest{"GET", "/healthz", std::nullopt, {}});
      EXPECT_EQ(h.status, 503) << Short(h);
      EXPECT_EQ(Str(h.Json(), {"status"}), "unavailable") << Short(h);
      for (int s = 0; s < 2; ++s) {
        const HttpReply r = c[s].Post("bookings/" + mine[i] + "/opt_out", "{}");
        EXPECT_EQ(r.status, 503) << Short(r);
        if (r.status == 503) {
          EXPECT_EQ(CheckUnavailable(r, url), "");
        }
      }
      const HttpReply q = c[i].Post("quotes/", CassetteQuoteBody());
      EXPECT_EQ(q.status, 503) << Short(q);
      refused_while_down.insert(mine[i]);
    }
    const int unavailable_before = unavailable;
    EXPECT_TRUE(WaitFor([&] { return unavailable >= unavailable_before + 2 * kThreads; }, 30s))
        << "the load saw no 503s";

    ASSERT_TRUE(pg.Resume());
    // Back: both processes recover by themselves.
    EXPECT_TRUE(
        WaitFor([&] { return Health(*servers[0]) == 200 && Health(*servers[1]) == 200; }, 30s))
        << "/healthz did not recover";
    // The refused opt-outs were not applied; retried now, each is recorded once.
    for (const auto& id : mine) {
      EXPECT_EQ(PgInt(url,
                      "SELECT count(*) FROM events WHERE kind = 'opted_out' AND "
                      "package_id = " +
                          Quoted(id)),
                0)
          << "an opt-out answered 503 was applied: " << id;
    }
    for (int i = 0; i < 2; ++i) {
      HttpReply r;
      EXPECT_TRUE(WaitFor(
          [&] {
            r = c[1 - i].Post("bookings/" + mine[i] + "/opt_out", "{}");
            return r.status == 204;
          },
          30s))
          << "a retried opt-out was not accepted after recovery: " << Short(r);
    }
    const int after = acked_opt_outs;
    EXPECT_TRUE(WaitFor([&] { return acked_opt_outs >= after + 20; }, 30s))
        << "the load did not recover";
  }
  stop = true;
  for (auto& th : pool) th.join();
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_GT(unavailable.load(), 0);

  // Every acknowledged write exactly once; every retried one too.
  std::map<std::string, std::string> status;
  for (const auto& row : PgRows(url, "SELECT id, status FROM packages")) status[row[0]] = row[1];
  std::map<std::string, int> opt_out_events;
  for (const auto& row : PgRows(url,
                                "SELECT package_id, count(*) FROM events WHERE kind = "
                                "'opted_out' GROUP BY 1")) {
    opt_out_events[row[0]] = std::stoi(row[1]);
  }
  for (const auto& id : opted_out) {
    EXPECT_EQ(At(status, id), "OPTED_OUT") << id;
    EXPECT_EQ(At(opt_out_events, id), 1) << id;
  }
  for (const auto& id : refused_while_down) {
    EXPECT_EQ(At(status, id), "OPTED_OUT") << id;
    EXPECT_EQ(At(opt_out_events, id), 1) << id;
  }
  // One package per idempotency key, however often its creation was retried
  // (a thread stopped between its create and opt-out leaves one RECEIVED).
  EXPECT_EQ(PgInt(url, "SELECT count(*) FROM idempotency"), static_cast<std::int64_t>(keys.size()));
  EXPECT_EQ(status.size(), keys.size() + refused_while_down.size());
  EXPECT_EQ(created.size(), keys.size());
  std::int64_t total_opt_out_events = 0;
  for (const auto& [id, n] : opt_out_events) total_opt_out_events += n;
  EXPECT_EQ(total_opt_out_events,
            static_cast<std::int64_t>(opted_out.size() + refused_while_down.size()));
  std::cout << "[ scale-out ] " << keys.size() << " packages, " << opted_out.size()
            << " opt-outs acknowledged (" << opt_outs_retried.size() << " after a 503), "
            << unavailable.load() << " 503s to the load\n";
  ExpectRollupsAndArmsExact(url);
}

}  // namespace
}  // namespace itest
