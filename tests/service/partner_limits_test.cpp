// PartnerLimits (the rate-limit cache) on both store backends: limits come
// from the partners table and the server defaults, a refresh applies changes,
// and on PostgreSQL the processes sharing the database divide every limit.
#include "service/partner_limits.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "service/partner_admin.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::Backend;
using testing::BackendTest;

constexpr Micros kT0 = 5'000 * kMicrosPerSecond;

TEST(SharedLimit, OwnDefaultUnlimitedAndShares) {
  EXPECT_EQ(SharedLimit(5, 50, 1), 5);   // its own
  EXPECT_EQ(SharedLimit(0, 50, 1), 50);  // the default
  EXPECT_EQ(SharedLimit(0, 0, 1), 0);    // no default: unlimited
  EXPECT_EQ(SharedLimit(-1, 50, 1), 0);  // unlimited whatever the default
  EXPECT_EQ(SharedLimit(10, 0, 2), 5);   // shared by two processes
  EXPECT_EQ(SharedLimit(10, 0, 3), 4);   // rounded up: 3 x 4 = 12 <= 10 + 3 - 1
  EXPECT_EQ(SharedLimit(2, 0, 5), 1);    // every process admits at least one
  EXPECT_EQ(SharedLimit(0, 20, 4), 5);   // the default is shared too
  EXPECT_EQ(SharedLimit(-1, 20, 4), 0);
  EXPECT_EQ(SharedLimit(7, 0, 0), 7);  // no count yet: alone
}

TEST(PartnerAdminRps, ParsesNumbersAndUnlimited) {
  EXPECT_EQ(*PartnerAdmin::ParseRps("0"), 0);
  EXPECT_EQ(*PartnerAdmin::ParseRps("50"), 50);
  EXPECT_EQ(*PartnerAdmin::ParseRps("1000000"), 1'000'000);
  EXPECT_EQ(*PartnerAdmin::ParseRps("unlimited"), PartnerAdmin::kUnlimited);
  for (const char* bad : {"", "-1", "1000001", "1e3", "5 ", "ten", "99999999999999999999"}) {
    EXPECT_EQ(PartnerAdmin::ParseRps(bad).status().code(), StatusCode::kInvalid) << bad;
  }
}

class PartnerLimitsTest : public BackendTest {
 protected:
  void AddPartner(const std::string& code, std::int64_t quote, std::int64_t other) {
    auto c = PartnerAdmin(*store_).AddPartner(code, code, quote, other);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
  int Burst(RateLimiter& l, std::string_view partner, RateClass cls, Micros now) {
    int ok = 0;
    for (int i = 0; i < 100; ++i) ok += l.Admit(partner, cls, now).admitted ? 1 : 0;
    return ok;
  }
  PartnerLimitOptions Options(RateLimits defaults = {}) {
    PartnerLimitOptions o;
    o.defaults = defaults;
    o.clock = [this] { return now_.load(); };
    return o;
  }

  std::atomic<Micros> now_{kT0};  // read by the refresh thread too
};

TEST_P(PartnerLimitsTest, RefreshAppliesOwnLimitsAndDefaults) {
  AddPartner("OWN", 5, 10);
  AddPartner("DEFAULTED", 0, 0);
  AddPartner("FREE", PartnerAdmin::kUnlimited, 3);
  RateLimiter limiter;
  PartnerLimits limits(*store_, limiter, Options({50, 20}));
  ASSERT_TRUE(limits.Refresh().ok());
  EXPECT_EQ(limits.processes(), 1);
  EXPECT_EQ(Burst(limiter, "OWN", RateClass::kQuote, now_), 5);
  EXPECT_EQ(Burst(limiter, "OWN", RateClass::kOther, now_), 10);
  EXPECT_EQ(Burst(limiter, "DEFAULTED", RateClass::kQuote, now_), 50);
  EXPECT_EQ(Burst(limiter, "DEFAULTED", RateClass::kOther, now_), 20);
  EXPECT_EQ(Burst(limiter, "FREE", RateClass::kQuote, now_), 100);
  EXPECT_EQ(Burst(limiter, "FREE", RateClass::kOther, now_), 3);
  EXPECT_EQ(Burst(limiter, "NOBODY", RateClass::kQuote, now_), 100);
  EXPECT_EQ(limiter.TrackedPartners(), 3u);
}

TEST_P(PartnerLimitsTest, NoDefaultsMeansUnlimited) {
  AddPartner("ZERO", 0, 0);
  RateLimiter limiter;
  PartnerLimits limits(*store_, limiter, Options());
  ASSERT_TRUE(limits.Refresh().ok());
  EXPECT_EQ(Burst(limiter, "ZERO", RateClass::kQuote, now_), 100);
  EXPECT_EQ(Burst(limiter, "ZERO", RateClass::kOther, now_), 100);
  EXPECT_EQ(limiter.TrackedPartners(), 0u);
}

TEST_P(PartnerLimitsTest, SetLimitsIsPickedUpByTheNextRefresh) {
  AddPartner("ACME", 0, 0);
  RateLimiter limiter;
  PartnerLimits limits(*store_, limiter, Options());
  ASSERT_TRUE(limits.Refresh().ok());
  EXPECT_EQ(Burst(limiter, "ACME", RateClass::kOther, now_), 100);

  // Another process (here: another store on the same database) changes it.
  auto other = Reopen();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(PartnerAdmin(*other).SetLimits("ACME", std::nullopt, 4).ok());
  other->Close();
  EXPECT_EQ(Burst(limiter, "ACME", RateClass::kOther, now_), 100);  // not yet
  ASSERT_TRUE(limits.Refresh().ok());
  EXPECT_EQ(Burst(limiter, "ACME", RateClass::kOther, now_), 4);
  EXPECT_EQ(Burst(limiter, "ACME", RateClass::kQuote, now_), 100);  // kept: unlimited

  ASSERT_TRUE(PartnerAdmin(*store_).SetLimits("ACME", 2, std::nullopt).ok());
  auto p = store_->GetPartner("ACME");
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->quote_rps, 2);
  EXPECT_EQ((*p)->other_rps, 4);  // the class not given keeps its limit
  EXPECT_EQ(PartnerAdmin(*store_).SetLimits("NOPE", 1, 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(PartnerAdmin(*store_).SetLimits("ACME", -5, 1).code(), StatusCode::kInvalid);
}

TEST_P(PartnerLimitsTest, ProcessesShareEachLimit) {
  AddPartner("ACME", 10, 5);
  auto store_b = Reopen();  // a second server process on the same database
  ASSERT_NE(store_b, nullptr);
  RateLimiter limiter_a, limiter_b;
  PartnerLimits a(*store_, limiter_a, Options());
  PartnerLimits b(*store_b, limiter_b, Options());
  ASSERT_NE(a.process_id(), b.process_id());
  ASSERT_TRUE(a.Refresh().ok());
  ASSERT_TRUE(b.Refresh().ok());
  ASSERT_TRUE(a.Refresh().ok());  // now a has seen b too
  if (GetParam() == Backend::kSqlite) {
    // SQLite: each process enforces the whole limit (docs/api.md).
    EXPECT_EQ(a.processes(), 1);
    EXPECT_EQ(b.processes(), 1);
    EXPECT_EQ(Burst(limiter_a, "ACME", RateClass::kQuote, now_), 10);
    b.Stop();
    store_b->Close();
    return;
  }
  EXPECT_EQ(a.processes(), 2);
  EXPECT_EQ(b.processes(), 2);
  EXPECT_EQ(Burst(limiter_a, "ACME", RateClass::kQuote, now_), 5);
  EXPECT_EQ(Burst(limiter_b, "ACME", RateClass::kQuote, now_), 5);
  EXPECT_EQ(Burst(limiter_a, "ACME", RateClass::kOther, now_), 3);  // ceil(5 / 2)
  EXPECT_EQ(Burst(limiter_b, "ACME", RateClass::kOther, now_), 3);

  // b stops cleanly: a takes the whole limit back at its next refresh.
  b.Stop();
  store_b->Close();
  ASSERT_TRUE(a.Refresh().ok());
  EXPECT_EQ(a.processes(), 1);
  now_ += 2 * kMicrosPerSecond;
  EXPECT_EQ(Burst(limiter_a, "ACME", RateClass::kQuote, now_), 10);
}

TEST_P(PartnerLimitsTest, DeadProcessesExpire) {
  if (GetParam() == Backend::kSqlite) {
    auto n = store_->HeartbeatProcess("anyone", kMicrosPerSecond);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 1);
    return;
  }
  // A process that stopped renewing (killed): its row expires after its ttl,
  // on the database's clock. One microsecond has passed by the next statement.
  ASSERT_TRUE(store_->HeartbeatProcess("ghost", 1).ok());
  ASSERT_TRUE(store_->HeartbeatProcess("alive", 60 * kMicrosPerSecond).ok());
  auto n = store_->HeartbeatProcess("me", 60 * kMicrosPerSecond);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);  // me and alive
  ASSERT_TRUE(store_->ForgetProcess("alive").ok());
  n = store_->HeartbeatProcess("me", 60 * kMicrosPerSecond);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
}

TEST_P(PartnerLimitsTest, StartRefreshesInTheBackgroundAndStopForgetsTheProcess) {
  AddPartner("ACME", 0, 0);
  RateLimiter limiter;
  PartnerLimitOptions o = Options();
  o.refresh_interval = 20'000;  // 20 ms
  PartnerLimits limits(*store_, limiter, o);
  ASSERT_TRUE(limits.Refresh().ok());
  limits.Start();
  ASSERT_TRUE(PartnerAdmin(*store_).SetLimits("ACME", 1, std::nullopt).ok());
  // Wait (bounded) for the background refresh; no assertion on how long it took.
  bool limited = false;
  for (int i = 0; i < 500 && !limited; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    now_ += kMicrosPerSecond;  // a fresh bucket each try
    limited = Burst(limiter, "ACME", RateClass::kQuote, now_) == 1;
  }
  EXPECT_TRUE(limited) << "the background refresh never applied the new limit";
  limits.Stop();
  limits.Stop();  // idempotent
  if (GetParam() == Backend::kPostgres) {
    auto n = store_->HeartbeatProcess("me", kMicrosPerSecond);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 1);  // the stopped process is gone
  }
}

OL_BACKENDS(PartnerLimitsTest);

}  // namespace
}  // namespace offerledger
