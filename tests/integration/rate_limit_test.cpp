// Per-partner rate limits over HTTP (CONTRACT.md "Rate limits", docs/api.md):
// two classes per partner, 429 + Retry-After + the JSON error body, decided
// before authentication, picked up from `partner set-limits` by a running
// server, and shared by two server processes on one PostgreSQL database.
//
// Timing: a burst is never instantaneous, and a bucket refills N tokens per
// second while it is sent. Each burst measures how long it took (T) and
// allows at most floor(T x N) admissions beyond the burst N -- the limiter's
// exact bound -- instead of assuming the burst took no time.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"
#include "support/pg_schema.h"

namespace itest {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

Credentials AddPartner(const std::string& db, const std::string& code,
                       std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"partner", "add", code, "--db", db, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const CommandResult r = RunOfferledger(args);
  Credentials c;
  EXPECT_EQ(r.exit_code, 0) << "partner add " << code << ": " << r.err << r.out;
  if (r.exit_code != 0) return c;
  const json::value v = json::parse(r.out);
  c.partner = Str(v, {"partner"});
  c.key = Str(v, {"api_key"});
  c.secret = Str(v, {"api_secret"});
  return c;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A 429 as the contract says: Retry-After in whole seconds (>= 1; with a
// bucket refilling N per second the next token is at most 1/N s away, so 1),
// and the JSON error body of type rate_limited that names nothing else.
void Expect429(const HttpReply& r, const std::string& what) {
  ASSERT_EQ(r.status, 429) << what << ": " << r.Describe();
  const auto retry = r.Header("Retry-After");
  ASSERT_TRUE(retry.has_value()) << what << ": no Retry-After";
  ASSERT_FALSE(retry->empty());
  EXPECT_EQ(retry->find_first_not_of("0123456789"), std::string::npos) << *retry;
  EXPECT_EQ(*retry, "1") << what;
  EXPECT_TRUE(ContainsI(r.Header("Content-Type").value_or(""), "application/json"));
  const json::value v = r.Json();
  EXPECT_EQ(Str(v, {"type"}), "rate_limited") << r.body;
  EXPECT_FALSE(Str(v, {"message"}).empty()) << r.body;
  ASSERT_TRUE(Has(v, {"errors"})) << r.body;
  EXPECT_TRUE(v.as_object().at("errors").is_object()) << r.body;
  EXPECT_EQ(v.as_object().at("errors").as_object().size(), 0u) << r.body;
}

struct Burst {
  std::vector<HttpReply> replies;
  double seconds = 0;
  int Count(int status) const {
    return static_cast<int>(std::count_if(replies.begin(), replies.end(),
                                          [&](const HttpReply& r) { return r.status == status; }));
  }
};

Burst Send(int n, const std::function<HttpReply()>& call) {
  Burst b;
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) b.replies.push_back(call());
  b.seconds = SecondsSince(start);
  return b;
}

// `limit` successes (`ok_status`) first, then only 429s -- give or take the
// tokens that refilled while the burst was being sent.
void ExpectLimited(const Burst& b, int limit, int ok_status, const std::string& what) {
  const int ok = b.Count(ok_status);
  const int refused = b.Count(429);
  const int refilled = static_cast<int>(std::floor(b.seconds * limit));
  EXPECT_EQ(ok + refused, static_cast<int>(b.replies.size()))
      << what << ": only " << ok_status << " and 429 expected; first reply "
      << b.replies.front().Describe();
  EXPECT_GE(ok, limit) << what;
  EXPECT_LE(ok, limit + refilled) << what << " (burst took " << b.seconds << " s)";
  if (refilled == 0) {
    EXPECT_EQ(ok, limit) << what;
  }
  for (int i = 0; i < limit && i < static_cast<int>(b.replies.size()); ++i) {
    EXPECT_EQ(b.replies[i].status, ok_status)
        << what << ", request " << i << ": " << b.replies[i].Describe();
  }
  for (const HttpReply& r : b.replies) {
    if (r.status == 429) Expect429(r, what);
  }
  std::cout << "[ rate ] " << what << ": " << ok << " admitted, " << refused << " refused in "
            << b.seconds << " s\n";
}

class RateLimits : public ::testing::Test {
 protected:
  std::unique_ptr<Client> Connect(const Credentials& c) const {
    return std::make_unique<Client>(server_->port(), c);
  }
  void Start(const std::vector<std::string>& args = {}) {
    server_ = env_.StartServer(args);
    ASSERT_NE(server_, nullptr);
  }
  // A package of `c`'s to GET (other class), created before any limit bites.
  static std::string Package(const Client& c) { return Str(c.CreateQuote(), {"id"}); }

  Env env_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(RateLimits, BurstGetsExactlyTheLimitThen429PerClass) {
  const Credentials limited =
      AddPartner(env_.db_url(), "LIMITED", {"--quote-rps", "5", "--other-rps", "10"});
  ASSERT_FALSE(limited.key.empty());
  Start();
  const auto c = Connect(limited);

  // Create quote: the quote class, 5 per second.
  const Burst quotes = Send(15, [&] { return c->Post("quotes/", CassetteQuoteBody()); });
  ExpectLimited(quotes, 5, 201, "LIMITED create quote");
  const std::string id = Str(quotes.replies.front().Json(), {"id"});
  ASSERT_FALSE(id.empty());

  // The other class is independent: its own 10, although quotes are spent.
  const Burst gets = Send(25, [&] { return c->Get("quotes/" + id + "/"); });
  ExpectLimited(gets, 10, 200, "LIMITED get quote");

  // Create booking and instant booking are in the quote class; opt-out and
  // the report in the other. After a quiet second both buckets are full again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const Burst instant =
      Send(12, [&] { return c->Post("instant_booking/", CassetteInstantBookingBody()); });
  ExpectLimited(instant, 5, 200, "LIMITED instant booking");
  const Burst reports = Send(20, [&] { return c->Get("reports/conversion"); });
  ExpectLimited(reports, 10, 200, "LIMITED conversion report");
}

TEST_F(RateLimits, BookingCountsAsQuoteClass) {
  const Credentials limited =
      AddPartner(env_.db_url(), "BOOKER", {"--quote-rps", "3", "--other-rps", "100"});
  Start();
  const auto c = Connect(limited);
  std::vector<json::object> packages;
  for (int i = 0; i < 3; ++i) packages.push_back(c->CreateQuote());  // the 3 quote tokens
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));      // full again
  // Three bookings, then quotes: the bookings took the class's 3 tokens.
  int i = 0;
  const Burst burst = Send(8, [&]() -> HttpReply {
    if (i < 3) {
      const json::object& p = packages[i++];
      return c->Post("bookings/" + Str(p, {"id"}) + "/", BookingBodyFor(p));
    }
    return c->Post("quotes/", CassetteQuoteBody());
  });
  for (int k = 0; k < 3; ++k)
    EXPECT_EQ(burst.replies[k].status, 200) << burst.replies[k].Describe();
  const int quotes_ok = burst.Count(201);
  EXPECT_LE(quotes_ok, static_cast<int>(std::floor(burst.seconds * 3)))
      << "quotes admitted after 3 bookings (burst took " << burst.seconds << " s)";
  for (const HttpReply& r : burst.replies) {
    if (r.status == 429) Expect429(r, "quote after 3 bookings");
  }
  EXPECT_EQ(burst.Count(200) + burst.Count(201) + burst.Count(429), 8);
}

TEST_F(RateLimits, OtherPartnersAreUnaffectedAndUnlimitedNeverRefused) {
  const Credentials a =
      AddPartner(env_.db_url(), "ALPHA", {"--quote-rps", "5", "--other-rps", "10"});
  const Credentials b =
      AddPartner(env_.db_url(), "BRAVO", {"--quote-rps", "5", "--other-rps", "10"});
  const Credentials unl = env_.AddPartner("FREE");  // no limits, no server default
  Start();
  const auto ca = Connect(a);
  const auto cb = Connect(b);
  const auto cf = Connect(unl);
  const std::string pa = Package(*ca);
  const std::string pb = Package(*cb);

  ExpectLimited(Send(20, [&] { return ca->Get("quotes/" + pa + "/"); }), 10, 200, "ALPHA");
  // ALPHA is spent; BRAVO still has all of its own.
  ExpectLimited(Send(20, [&] { return cb->Get("quotes/" + pb + "/"); }), 10, 200, "BRAVO");

  // The unlimited partner: hundreds in a few seconds, never a 429.
  const Burst created = Send(60, [&] { return cf->Post("quotes/", CassetteQuoteBody()); });
  EXPECT_EQ(created.Count(201), 60) << created.replies.back().Describe();
  const std::string pf = Str(created.replies.front().Json(), {"id"});
  const Burst read = Send(300, [&] { return cf->Get("quotes/" + pf + "/"); });
  EXPECT_EQ(read.Count(200), 300) << read.replies.back().Describe();
}

TEST_F(RateLimits, ServerDefaultsApplyToPartnersWithoutTheirOwn) {
  const Credentials plain = env_.AddPartner("PLAIN");  // 0: the server default
  const Credentials own = AddPartner(env_.db_url(), "OWN", {"--other-rps", "4"});
  const Credentials exempt =
      AddPartner(env_.db_url(), "EXEMPT", {"--quote-rps", "unlimited", "--other-rps", "unlimited"});
  Start({"--default-quote-rps", "50", "--default-other-rps", "3"});
  const auto cp = Connect(plain);
  const auto co = Connect(own);
  const auto ce = Connect(exempt);
  const std::string pp = Package(*cp), po = Package(*co), pe = Package(*ce);
  ExpectLimited(Send(12, [&] { return cp->Get("quotes/" + pp + "/"); }), 3, 200, "PLAIN (default)");
  ExpectLimited(Send(12, [&] { return co->Get("quotes/" + po + "/"); }), 4, 200, "OWN (its own)");
  const Burst e = Send(100, [&] { return ce->Get("quotes/" + pe + "/"); });
  EXPECT_EQ(e.Count(200), 100) << "EXEMPT is unlimited whatever the default";
}

TEST_F(RateLimits, SetLimitsIsPickedUpByARunningServer) {
  const Credentials p = env_.AddPartner("LATER");
  Start({"--rate-limit-refresh-ms", "200"});
  const auto c = Connect(p);
  const std::string id = Package(*c);
  const Burst before = Send(40, [&] { return c->Get("quotes/" + id + "/"); });
  ASSERT_EQ(before.Count(200), 40) << "unlimited before set-limits";

  const CommandResult set =
      RunOfferledger({"partner", "set-limits", "LATER", "--other-rps", "3", "--db", env_.db_url()});
  ASSERT_EQ(set.exit_code, 0) << set.err << set.out;
  EXPECT_TRUE(ContainsI(set.out, "other 3/s")) << set.out;
  const auto changed = Clock::now();

  // The server applies it at its next refresh (every 200 ms). Poll with
  // bursts until one is refused; the deadline is generous on purpose (a
  // loaded machine), the time it took is printed.
  bool refused = false;
  while (!refused && SecondsSince(changed) < 10) {
    refused = Send(8, [&] { return c->Get("quotes/" + id + "/"); }).Count(429) > 0;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(refused) << "set-limits was not applied within 10 s";
  std::cout << "[ rate ] set-limits applied after " << SecondsSince(changed) << " s\n";

  // And exactly: after a quiet second, a burst gets 3.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ExpectLimited(Send(10, [&] { return c->Get("quotes/" + id + "/"); }), 3, 200, "LATER at 3/s");

  // Lifting it again (unlimited) is picked up the same way.
  ASSERT_EQ(RunOfferledger({"partner", "set-limits", "LATER", "--other-rps", "unlimited", "--db",
                            env_.db_url()})
                .exit_code,
            0);
  bool lifted = false;
  const auto lifting = Clock::now();
  while (!lifted && SecondsSince(lifting) < 10) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    lifted = Send(20, [&] { return c->Get("quotes/" + id + "/"); }).Count(200) == 20;
  }
  EXPECT_TRUE(lifted);
}

TEST_F(RateLimits, DecidedBeforeAuthenticationAndRevealsNothing) {
  const Credentials a = AddPartner(env_.db_url(), "ALPHA", {"--other-rps", "2"});
  const Credentials b = env_.AddPartner("BRAVO");
  Start();
  const auto ca = Connect(a);
  const std::string id = Package(*ca);
  const std::string target = ca->Path("quotes/" + id + "/");

  // While ALPHA has tokens, a bad signature is a 401 (and takes a token).
  SignOptions bad;
  bad.secret_override = std::string(a.secret.size(), 'x');
  EXPECT_EQ(ca->Send("GET", target, std::nullopt, bad).status, 401);
  // Spend the rest.
  const Burst spend = Send(6, [&] { return ca->Get("quotes/" + id + "/"); });
  const auto last_refusal = std::find_if(spend.replies.rbegin(), spend.replies.rend(),
                                         [](const HttpReply& r) { return r.status == 429; });
  ASSERT_NE(last_refusal, spend.replies.rend()) << "ALPHA was never refused";
  const HttpReply good = *last_refusal;
  Expect429(good, "signed");

  // Now the refusal comes before the signature check: a bad signature, no
  // signature at all, and another partner's key on ALPHA's path all get the
  // very same 429 -- not a 401 or 404 that would tell them apart.
  const HttpReply bad_sig = ca->Send("GET", target, std::nullopt, bad);
  RawRequest unsigned_req;
  unsigned_req.target = target;
  const HttpReply no_sig = SendRaw(server_->port(), unsigned_req);
  const Client cb(server_->port(), b);
  const HttpReply foreign = cb.Send("GET", target, std::nullopt);
  for (const auto& [r, what] :
       {std::pair{&bad_sig, "bad signature"}, std::pair{&no_sig, "no signature"},
        std::pair{&foreign, "another partner's key"}}) {
    Expect429(*r, what);
    EXPECT_EQ(r->body, good.body) << what;
    for (const std::string& secret : {a.secret, b.secret, a.key, b.key, id}) {
      EXPECT_EQ(r->body.find(secret), std::string::npos) << what << " leaks " << secret;
      for (const auto& [name, value] : r->headers) {
        EXPECT_EQ(value.find(secret), std::string::npos) << what << " leaks in " << name;
      }
    }
    // Neither the limit nor the partner is named.
    EXPECT_FALSE(ContainsI(r->body, "ALPHA")) << r->body;
    EXPECT_EQ(r->body.find('2'), std::string::npos) << r->body;
  }
  // BRAVO's own path is not affected by ALPHA's flood.
  const std::string pb = Package(cb);
  EXPECT_EQ(cb.Get("quotes/" + pb + "/").status, 200);
}

TEST_F(RateLimits, UnknownPartnersStayAuthenticationErrors) {
  const Credentials a = env_.AddPartner("ALPHA");
  // A default of 1 per second: if unknown codes got a bucket, the second
  // request to each would be a 429.
  Start({"--default-quote-rps", "1", "--default-other-rps", "1"});
  const Client ca(server_->port(), a);
  int refused = 0, other = 0;
  for (int i = 0; i < 150; ++i) {
    const std::string code = "NOPE" + std::to_string(i);
    for (int k = 0; k < 3; ++k) {
      const HttpReply r =
          k == 0 ? ca.Send("GET", "/xcover/partners/" + code + "/quotes/X/", std::nullopt)
                 : ca.Send("POST", "/xcover/partners/" + code + "/quotes/", CassetteQuoteBody());
      if (r.status == 429) ++refused;
      if (r.status != 404 && r.status != 401) ++other;
    }
  }
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(other, 0);
  // The server is healthy and ALPHA still has its own default bucket.
  EXPECT_EQ(SendRaw(server_->port(), RawRequest{"GET", "/healthz", std::nullopt, {}}).status, 200);
  EXPECT_EQ(ca.CreateQuote().count("id"), 1u);
}

TEST_F(RateLimits, CliValidatesLimits) {
  env_.AddPartner("ALPHA");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--quote-rps", "-3"},
                                               {"--other-rps", "fast"},
                                               {"--quote-rps", "99999999"},
                                               {}}) {
    std::vector<std::string> cmd = {"partner", "set-limits", "ALPHA", "--db", env_.db_url()};
    cmd.insert(cmd.end(), args.begin(), args.end());
    const CommandResult r = RunOfferledger(cmd);
    EXPECT_NE(r.exit_code, 0) << (args.empty() ? "no limits" : args[1]);
    EXPECT_FALSE(r.err.empty());
  }
  const CommandResult unknown = RunOfferledger(
      {"partner", "set-limits", "NOBODY", "--other-rps", "3", "--db", env_.db_url()});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_TRUE(ContainsI(unknown.err, "NOBODY")) << unknown.err;
  const CommandResult list = RunOfferledger({"partner", "list", "--db", env_.db_url(), "--json"});
  ASSERT_EQ(list.exit_code, 0);
  const json::value v = json::parse(list.out);
  EXPECT_EQ(v.as_array().at(0).as_object().at("quote_rps").as_int64(), 0);  // unchanged
}

// Two `serve` processes on one PostgreSQL schema share each limit: each
// enforces ceil(L / 2), so over T seconds of load on both the total admitted
// is at most 2 x ceil(L / 2) x (1 + T) (docs/api.md "Rate limits"), where
// two unshared processes would admit twice that.
TEST(RateLimitsAcrossProcesses, TwoServersOnPostgresShareTheLimit) {
  const std::string base = offerledger::testing::TestPgUrl();
  if (base.empty()) GTEST_SKIP() << "no PostgreSQL test server (run through ctest)";
  offerledger::testing::PgSchema schema(base);
  TempDir dir;
  constexpr int kLimit = 10;
  const Credentials p = AddPartner(schema.url(), "SHARED", {"--other-rps", std::to_string(kLimit)});
  ASSERT_FALSE(p.key.empty());
  const std::vector<std::string> args = {"--rate-limit-refresh-ms", "200"};
  auto s1 = ServerProcess::Start(schema.url(), args, dir.path() / "s1.stderr");
  ASSERT_NE(s1, nullptr);
  auto s2 = ServerProcess::Start(schema.url(), args, dir.path() / "s2.stderr");
  ASSERT_NE(s2, nullptr);

  // Wait until both have seen each other (each says so on stderr).
  const auto start = Clock::now();
  auto both_shared = [&] {
    return ContainsI(s1->stderr_text(), "shared by 2 live processes") &&
           ContainsI(s2->stderr_text(), "shared by 2 live processes");
  };
  while (!both_shared() && SecondsSince(start) < 20) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(both_shared()) << "s1: " << s1->stderr_text() << "\ns2: " << s2->stderr_text();

  const Client c1(s1->port(), p), c2(s2->port(), p);
  const std::string id = Str(c1.CreateQuote(), {"id"});  // quote class: unlimited
  ASSERT_FALSE(id.empty());
  // Let both other-class buckets be full, then load both servers for ~3 s
  // with two client threads each, paced (5 ms apart: ~200 requests per
  // second per thread, 40 times a share) and bounded in count as well as time.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::atomic<int> ok1{0}, ok2{0}, refused{0}, unexpected{0};
  const auto load_start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Client& c = t % 2 == 0 ? c1 : c2;
      std::atomic<int>& ok = t % 2 == 0 ? ok1 : ok2;
      for (int i = 0; i < 1000 && SecondsSince(load_start) < 3.0; ++i) {
        if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        const HttpReply r = c.Get("quotes/" + id + "/");
        if (r.status == 200) {
          ++ok;
        } else if (r.status == 429) {
          ++refused;
        } else {
          ++unexpected;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = SecondsSince(load_start);
  const int total = ok1 + ok2;
  const int share = (kLimit + 1) / 2;
  std::cout << "[ rate ] two processes, limit " << kLimit << "/s: " << ok1 << " + " << ok2 << " = "
            << total << " admitted, " << refused << " refused in " << seconds << " s\n";
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_GT(refused.load(), 0) << "the load never reached the limit";
  // Each process: its share as a burst, then its share per second.
  const int per_process_bound = share + static_cast<int>(std::floor(share * seconds));
  EXPECT_LE(ok1.load(), per_process_bound);
  EXPECT_LE(ok2.load(), per_process_bound);
  // Together: within the documented bound 2 x ceil(L / 2) x (1 + T).
  EXPECT_LE(total, 2 * per_process_bound);
  EXPECT_GE(total, 2 * share);  // both bursts at least
  EXPECT_GE(ok1.load(), share);
  EXPECT_GE(ok2.load(), share);

  // One stops cleanly: the survivor takes the whole limit back.
  ASSERT_EQ(s2->Terminate(), 0);
  const auto stop = Clock::now();
  while (!ContainsI(s1->stderr_text(), "shared by 1 live process ") && SecondsSince(stop) < 20) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ContainsI(s1->stderr_text(), "shared by 1 live process ")) << s1->stderr_text();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ExpectLimited(Send(25, [&] { return c1.Get("quotes/" + id + "/"); }), kLimit, 200,
                "SHARED on the survivor");
}

}  // namespace
}  // namespace itest
