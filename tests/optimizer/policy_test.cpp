#include "optimizer/policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace offerledger {
namespace {

std::vector<ArmStats> Grid(std::initializer_list<const char*> ms) {
  std::vector<ArmStats> arms;
  for (const char* m : ms) arms.push_back(ArmStats{*ParseRate(m)});
  return arms;
}

std::vector<ArmStats> Grid7() {
  return Grid({"0.80", "0.90", "1.00", "1.10", "1.20", "1.30", "1.40"});
}

// Plays `trials` offers against Bernoulli take-ups `p` and returns how often
// each arm was chosen in the last half.
std::vector<int> Play(const PricingPolicy& policy, std::vector<ArmStats> arms,
                      const std::vector<double>& p, int trials, std::uint64_t seed) {
  std::mt19937_64 rng(seed), world(seed + 100);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<int> late(arms.size(), 0);
  for (int t = 0; t < trials; ++t) {
    const std::size_t a = policy.Choose(arms, rng);
    if (t >= trials / 2) ++late[a];
    if (u(world) < p[a]) {
      ++arms[a].successes;
    } else {
      ++arms[a].failures;
    }
  }
  return late;
}

TEST(PolicyKindTest, NamesRoundTrip) {
  for (PolicyKind k :
       {PolicyKind::kThompson, PolicyKind::kUcb, PolicyKind::kEpsilonGreedy, PolicyKind::kFixed}) {
    auto parsed = ParsePolicyKind(PolicyKindName(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_FALSE(ParsePolicyKind("greedy").ok());
}

TEST(FixedPolicyTest, AlwaysPicksOne) {
  auto policy = MakePolicy(PolicyKind::kFixed);
  std::mt19937_64 rng(1);
  auto arms = Grid7();
  arms[0].successes = 1000;  // data does not matter
  for (int i = 0; i < 10; ++i) EXPECT_EQ(policy->Choose(arms, rng), 2u);
  EXPECT_EQ(policy->Choose(Grid({"0.85", "0.95", "1.04", "1.15"}), rng), 2u);
}

TEST(UcbPolicyTest, TriesEveryArmFirstInOrder) {
  auto policy = MakePolicy(PolicyKind::kUcb);
  std::mt19937_64 rng(1);
  auto arms = Grid7();
  for (std::size_t i = 0; i < arms.size(); ++i) {
    EXPECT_EQ(policy->Choose(arms, rng), i);
    ++arms[i].pending;  // an unanswered offer counts as tried
  }
}

// Revenue m*p per arm: 0.8*0.30=0.24, 0.9*0.29=0.261, 1.0*0.33=0.33 (best),
// 1.1*0.20=0.22, ...
const std::vector<double> kClearBest = {0.30, 0.29, 0.33, 0.20, 0.15, 0.10, 0.05};

TEST(ThompsonPolicyTest, ClearlyBestArmChosenMostOfTheTime) {
  auto policy = MakePolicy(PolicyKind::kThompson);
  for (std::uint64_t seed : {1, 2, 3}) {
    auto late = Play(*policy, Grid7(), kClearBest, 4000, seed);
    EXPECT_GT(late[2], 2000 * 0.7) << "seed " << seed;
  }
}

TEST(UcbPolicyTest, ClearlyBestArmChosenMostOfTheTime) {
  auto policy = MakePolicy(PolicyKind::kUcb);
  auto late = Play(*policy, Grid7(), kClearBest, 20000, 1);
  EXPECT_EQ(std::max_element(late.begin(), late.end()) - late.begin(), 2);
}

TEST(EpsilonGreedyPolicyTest, ClearlyBestArmChosenMostOfTheTime) {
  auto policy = MakePolicy(PolicyKind::kEpsilonGreedy);
  auto late = Play(*policy, Grid7(), kClearBest, 4000, 1);
  EXPECT_GT(late[2], 2000 * 0.6);
}

TEST(EpsilonGreedyPolicyTest, ExploresAboutEpsilon) {
  auto policy = MakeEpsilonGreedyPolicy(0.2);
  auto arms = Grid7();
  for (auto& a : arms) a.failures = 100;
  arms[3].successes = 50;
  std::mt19937_64 rng(7);
  int other = 0;
  for (int i = 0; i < 10000; ++i) other += policy->Choose(arms, rng) != 3;
  EXPECT_NEAR(other / 10000.0, 0.2 * 6 / 7, 0.02);
}

TEST(ThompsonPolicyTest, SharesStrengthWithNeighbours) {
  // Only the arms around 1.00 have data; the untried 0.90 borrows from them.
  auto policy = MakePolicy(PolicyKind::kThompson);
  auto arms = Grid7();
  arms[2] = {arms[2].multiplier, 40, 60};
  arms[3] = {arms[3].multiplier, 30, 70};
  auto est = policy->EstimatedTakeUp(arms);
  ASSERT_EQ(est.size(), 7u);
  EXPECT_GT(est[1], 0.3);  // not the flat prior 0.5, nearer its neighbours
  EXPECT_LT(est[1], 0.5);
  for (std::size_t i = 1; i < est.size(); ++i) EXPECT_LE(est[i], est[i - 1]);  // monotone
}

TEST(ThompsonPolicyTest, DeterministicForASeed) {
  auto policy = MakePolicy(PolicyKind::kThompson);
  auto a = Play(*policy, Grid7(), kClearBest, 500, 9);
  auto b = Play(*policy, Grid7(), kClearBest, 500, 9);
  EXPECT_EQ(a, b);
}

TEST(MonotoneProjectionTest, PoolsAdjacentViolators) {
  std::vector<double> v = {0.5, 0.3, 0.4, 0.2, 0.25, 0.1};
  std::vector<double> w = {1, 1, 1, 1, 3, 1};
  ProjectNonIncreasing(v.data(), w.data(), v.size());
  EXPECT_DOUBLE_EQ(v[0], 0.5);
  EXPECT_DOUBLE_EQ(v[1], 0.35);
  EXPECT_DOUBLE_EQ(v[2], 0.35);
  EXPECT_DOUBLE_EQ(v[3], (0.2 + 0.75) / 4);
  EXPECT_DOUBLE_EQ(v[4], (0.2 + 0.75) / 4);
  EXPECT_DOUBLE_EQ(v[5], 0.1);
}

TEST(MonotoneProjectionTest, IncreasingBecomesWeightedMean) {
  std::vector<double> v = {0.1, 0.2, 0.6};
  std::vector<double> w = {1, 2, 1};
  ProjectNonIncreasing(v.data(), w.data(), v.size());
  for (double x : v) EXPECT_DOUBLE_EQ(x, (0.1 + 0.4 + 0.6) / 4);
}

TEST(MonotoneProjectionTest, AlreadyMonotoneUnchanged) {
  std::vector<double> v = {0.9, 0.9, 0.5, 0.1};
  std::vector<double> w = {1, 1, 1, 1};
  auto before = v;
  ProjectNonIncreasing(v.data(), w.data(), v.size());
  EXPECT_EQ(v, before);
}

}  // namespace
}  // namespace offerledger
