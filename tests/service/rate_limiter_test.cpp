// RateLimiter with a fake clock: token buckets of capacity N refilled at N
// per second, per partner and class, exact to the microsecond.
#include "service/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace offerledger {
namespace {

constexpr Micros kSecond = kMicrosPerSecond;
constexpr Micros kT0 = 1'000 * kSecond;  // an arbitrary monotonic start

class RateLimiterTest : public ::testing::Test {
 protected:
  void Set(std::unordered_map<std::string, RateLimits> limits, Micros now = kT0) {
    limiter_.SetLimits(limits, now);
  }
  // How many of `n` requests at `now` are admitted.
  int Burst(std::string_view partner, RateClass cls, int n, Micros now) {
    int ok = 0;
    for (int i = 0; i < n; ++i) ok += limiter_.Admit(partner, cls, now).admitted ? 1 : 0;
    return ok;
  }

  RateLimiter limiter_;
};

TEST_F(RateLimiterTest, BurstIsTheLimit) {
  Set({{"ACME", {5, 10}}});
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 20, kT0), 5);
  EXPECT_EQ(Burst("ACME", RateClass::kOther, 20, kT0), 10);
}

TEST_F(RateLimiterTest, ExactlyNPerSecondAtASteadyRate) {
  constexpr int kLimit = 7;
  Set({{"ACME", {kLimit, 0}}});
  // Drain the initial burst, then send far faster than the limit (one
  // request per millisecond) for ten seconds: every whole second admits
  // exactly kLimit.
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, kLimit, kT0), kLimit);
  for (int second = 0; second < 10; ++second) {
    int admitted = 0;
    for (int ms = 1; ms <= 1000; ++ms) {
      const Micros now = kT0 + second * kSecond + ms * 1000;
      admitted += limiter_.Admit("ACME", RateClass::kQuote, now).admitted ? 1 : 0;
    }
    EXPECT_EQ(admitted, kLimit) << "second " << second;
  }
}

TEST_F(RateLimiterTest, SteadyRateBelowTheLimitIsNeverRefused) {
  Set({{"ACME", {0, 10}}});
  // Ten per second, evenly spaced, for a minute: all admitted.
  for (int i = 0; i < 600; ++i) {
    EXPECT_TRUE(limiter_.Admit("ACME", RateClass::kOther, kT0 + i * (kSecond / 10)).admitted)
        << "request " << i;
  }
}

TEST_F(RateLimiterTest, RetryAfterIsTheWaitForTheNextToken) {
  Set({{"ACME", {4, 0}}});  // a token every 250 ms
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 4, kT0), 4);
  const RateDecision at_once = limiter_.Admit("ACME", RateClass::kQuote, kT0);
  EXPECT_FALSE(at_once.admitted);
  EXPECT_EQ(at_once.retry_after, 250'000);
  EXPECT_EQ(at_once.RetryAfterSeconds(), 1);  // whole seconds, rounded up

  const RateDecision later = limiter_.Admit("ACME", RateClass::kQuote, kT0 + 100'000);
  EXPECT_FALSE(later.admitted);
  EXPECT_EQ(later.retry_after, 150'000);
  // Right when it said: admitted, and not a microsecond earlier.
  EXPECT_FALSE(limiter_.Admit("ACME", RateClass::kQuote, kT0 + 249'999).admitted);
  EXPECT_TRUE(limiter_.Admit("ACME", RateClass::kQuote, kT0 + 250'000).admitted);
}

TEST_F(RateLimiterTest, RetryAfterSecondsRoundsUpAndIsAtLeastOne) {
  EXPECT_EQ((RateDecision{false, 1}).RetryAfterSeconds(), 1);
  EXPECT_EQ((RateDecision{false, kSecond}).RetryAfterSeconds(), 1);
  EXPECT_EQ((RateDecision{false, kSecond + 1}).RetryAfterSeconds(), 2);
  EXPECT_EQ((RateDecision{false, 0}).RetryAfterSeconds(), 1);
}

TEST_F(RateLimiterTest, ClassesAreIndependent) {
  Set({{"ACME", {2, 3}}});
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 10, kT0), 2);
  // The quote class being empty takes nothing from the other class.
  EXPECT_EQ(Burst("ACME", RateClass::kOther, 10, kT0), 3);
  EXPECT_FALSE(limiter_.Admit("ACME", RateClass::kQuote, kT0).admitted);
}

TEST_F(RateLimiterTest, PartnersAreIndependent) {
  Set({{"ACME", {2, 2}}, {"BETA", {2, 2}}});
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 10, kT0), 2);
  EXPECT_EQ(Burst("BETA", RateClass::kQuote, 10, kT0), 2);
  EXPECT_EQ(Burst("ACME", RateClass::kOther, 10, kT0), 2);
  EXPECT_EQ(Burst("BETA", RateClass::kOther, 10, kT0), 2);
}

TEST_F(RateLimiterTest, UnlimitedClassesAndUnknownPartnersAreAdmittedWithoutState) {
  Set({{"ACME", {3, 0}}, {"FREE", {0, 0}}});
  EXPECT_EQ(Burst("ACME", RateClass::kOther, 1000, kT0), 1000);
  EXPECT_EQ(Burst("FREE", RateClass::kQuote, 1000, kT0), 1000);
  // Junk partner codes (anything in a URL) are admitted and leave nothing behind.
  for (int i = 0; i < 10'000; ++i) {
    EXPECT_TRUE(limiter_.Admit("junk" + std::to_string(i), RateClass::kQuote, kT0).admitted);
  }
  EXPECT_EQ(limiter_.TrackedPartners(), 1u);  // ACME only
}

TEST_F(RateLimiterTest, LoweringALimitAppliesAtOnce) {
  Set({{"ACME", {10, 0}}});
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 3, kT0), 3);  // 7 left
  Set({{"ACME", {2, 0}}}, kT0);                            // capped at the new capacity
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 10, kT0), 2);
  // And the new rate from then on.
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 10, kT0 + kSecond / 2), 1);
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 10, kT0 + kSecond), 1);
}

TEST_F(RateLimiterTest, RaisingALimitKeepsTheTokensAndRefillsFaster) {
  Set({{"ACME", {2, 0}}});
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 2, kT0), 2);  // empty
  Set({{"ACME", {10, 0}}}, kT0);
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 10, kT0), 0);  // no free burst from the change
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 10, kT0 + kSecond / 2), 5);
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 20, kT0 + 2 * kSecond), 10);  // full: 10
}

TEST_F(RateLimiterTest, UnchangedLimitsKeepTheirState) {
  Set({{"ACME", {3, 0}}});
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 3, kT0), 3);
  Set({{"ACME", {3, 0}}}, kT0 + 1);  // a refresh with the same limits
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 3, kT0 + 1), 0);
}

TEST_F(RateLimiterTest, RemovedPartnersAndLimitsAreForgotten) {
  Set({{"ACME", {1, 1}}, {"BETA", {1, 0}}});
  EXPECT_EQ(limiter_.TrackedPartners(), 2u);
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 5, kT0), 1);
  Set({{"ACME", {0, 1}}}, kT0);  // BETA gone, ACME's quote class unlimited
  EXPECT_EQ(limiter_.TrackedPartners(), 1u);
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 5, kT0), 5);
  EXPECT_EQ(Burst("BETA", RateClass::kQuote, 5, kT0), 5);
  // Limited again: starts full.
  Set({{"ACME", {2, 1}}}, kT0);
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 5, kT0), 2);
  Set({}, kT0);
  EXPECT_EQ(limiter_.TrackedPartners(), 0u);
}

TEST_F(RateLimiterTest, AClockThatStepsBackRefillsNothing) {
  Set({{"ACME", {2, 0}}});
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 2, kT0), 2);
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 2, kT0 - 10 * kSecond), 0);
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 2, kT0 + kSecond / 2), 1);
}

TEST_F(RateLimiterTest, HugeLimitsDoNotOverflow) {
  Set({{"ACME", {std::int64_t{1} << 62, 1}}});
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 1000, kT0), 1000);
  EXPECT_EQ(Burst("ACME", RateClass::kQuote, 1000, kT0 + 100 * kSecond), 1000);
}

TEST_F(RateLimiterTest, ConcurrentCallersShareTheBudgetExactly) {
  // Many threads on one partner at one instant: exactly the burst is admitted.
  Set({{"ACME", {500, 300}}, {"BETA", {100, 0}}});
  std::atomic<int> quote{0}, other{0}, beta{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 400; ++i) {
        quote += limiter_.Admit("ACME", RateClass::kQuote, kT0).admitted ? 1 : 0;
        other += limiter_.Admit("ACME", RateClass::kOther, kT0).admitted ? 1 : 0;
        beta += limiter_.Admit("BETA", RateClass::kQuote, kT0).admitted ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(quote.load(), 500);
  EXPECT_EQ(other.load(), 300);
  EXPECT_EQ(beta.load(), 100);
}

}  // namespace
}  // namespace offerledger
