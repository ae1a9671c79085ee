#include "optimizer/simulator.h"

#include <gtest/gtest.h>

#include <numeric>
#include <stdexcept>

namespace offerledger {
namespace {

Market Load(const char* name) {
  auto m = LoadMarketFile(std::string(OFFERLEDGER_SOURCE_DIR) + "/markets/" + name);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

const PolicyResult& Of(const SimulationReport& r, PolicyKind k) {
  for (const PolicyResult& p : r.results) {
    if (p.kind == k) return p;
  }
  throw std::runtime_error("no result");
}

TEST(SimulatorTest, DeterministicForASeed) {
  Market m = Load("travel-3.json");
  SimulationOptions o;
  o.offers = 3000;
  o.seed = 5;
  auto a = Simulate(m, o);
  auto b = Simulate(m, o);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  for (std::size_t i = 0; i < a->results.size(); ++i) {
    EXPECT_EQ(a->results[i].revenue, b->results[i].revenue);
    EXPECT_EQ(a->results[i].chosen, b->results[i].chosen);
  }
  o.seed = 6;
  auto c = Simulate(m, o);
  EXPECT_NE(a->results[0].revenue, c->results[0].revenue);
}

TEST(SimulatorTest, OracleRegretAndCurvesAreConsistent) {
  Market m = Load("retail-4.json");
  SimulationOptions o;
  o.offers = 5000;
  o.curve_points = 50;
  auto r = Simulate(m, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->oracle_arm, (std::vector<std::size_t>{0, 2, 4, 6}));  // 0.80 1.00 1.20 1.40
  for (const PolicyResult& p : r->results) {
    EXPECT_GE(p.regret, 0);
    EXPECT_NEAR(p.share_of_oracle, 1 - p.regret / r->oracle_expected_revenue, 1e-9);
    ASSERT_EQ(p.regret_curve.size(), 50u);
    EXPECT_EQ(p.regret_curve.back().first, 5000);
    EXPECT_NEAR(p.regret_curve.back().second, p.regret, 1e-6 * r->oracle_expected_revenue);
    std::int64_t total = 0;
    for (const auto& ctx : p.chosen) {
      for (std::int64_t n : ctx) total += n;
    }
    EXPECT_EQ(total, 5000);
  }
  // Fixed pricing always offers 1.00.
  const PolicyResult& fixed = Of(*r, PolicyKind::kFixed);
  for (const auto& ctx : fixed.chosen)
    EXPECT_EQ(ctx[2], std::accumulate(ctx.begin(), ctx.end(), 0LL));
}

// The target, smaller: Thompson earns more than epsilon-greedy and fixed.
TEST(SimulatorTest, ThompsonBeatsEpsilonGreedyAndFixed) {
  for (const char* market : {"retail-4.json"}) {
    Market m = Load(market);
    for (std::uint64_t seed : {1, 2, 3}) {
      SimulationOptions o;
      o.offers = 20000;
      o.seed = seed;
      o.policies = {PolicyKind::kThompson, PolicyKind::kEpsilonGreedy, PolicyKind::kFixed};
      auto r = Simulate(m, o);
      ASSERT_TRUE(r.ok());
      const double ts = Of(*r, PolicyKind::kThompson).revenue;
      EXPECT_GT(ts, Of(*r, PolicyKind::kEpsilonGreedy).revenue) << market << " seed " << seed;
      EXPECT_GT(ts, Of(*r, PolicyKind::kFixed).revenue) << market << " seed " << seed;
      EXPECT_GT(Of(*r, PolicyKind::kThompson).share_of_oracle, 0.93) << market << " seed " << seed;
    }
  }
}

TEST(SimulatorTest, DelayedFeedbackStaysGood) {
  Market m = Load("retail-4.json");
  SimulationOptions o;
  o.offers = 20000;
  o.delay = 500;
  o.policies = {PolicyKind::kThompson, PolicyKind::kUcb, PolicyKind::kEpsilonGreedy};
  auto r = Simulate(m, o);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(Of(*r, PolicyKind::kThompson).share_of_oracle, 0.93);
  EXPECT_GT(Of(*r, PolicyKind::kThompson).revenue, Of(*r, PolicyKind::kEpsilonGreedy).revenue);
}

TEST(SimulatorTest, RejectsBadOptions) {
  Market m = Load("travel-3.json");
  SimulationOptions o;
  o.offers = 0;
  EXPECT_FALSE(Simulate(m, o).ok());
  o.offers = 10;
  o.delay = -1;
  EXPECT_FALSE(Simulate(m, o).ok());
}

}  // namespace
}  // namespace offerledger
