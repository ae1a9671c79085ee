// Pricing policies: which price multiplier to offer next in one context,
// given what every multiplier of the grid has earned so far. Pure logic, no
// I/O; the random generator is passed in, so runs are reproducible.
//
// A CONTEXT is one market segment the optimizer learns separately: partner ×
// policy type × customer country by default (never personal data). An ARM is
// one multiplier of the product's grid in that context. Each offered quote
// is attributed to exactly one arm (its price_multiplier_nanos), and its
// outcome updates that arm: booked = success; opted out, not selected or no
// answer after the decision window = failure. The reward of a success is
// the premium at that multiplier, so policies maximise expected revenue
// multiplier × P(booked | multiplier) (the catalog premium is common to the
// context and cancels out).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/money.h"

namespace offerledger {

struct ArmStats {
  Rate multiplier;             // e.g. 0.90
  std::int64_t successes = 0;  // booked
  std::int64_t failures = 0;   // opted out, not selected, no answer
  std::int64_t pending = 0;    // offered, outcome not known yet
  std::int64_t trials() const { return successes + failures; }
  bool operator==(const ArmStats&) const = default;
};

enum class PolicyKind { kThompson, kUcb, kEpsilonGreedy, kFixed };
std::string_view PolicyKindName(PolicyKind k);  // "thompson", "ucb", "egreedy", "fixed"
Result<PolicyKind> ParsePolicyKind(std::string_view s);

class PricingPolicy {
 public:
  virtual ~PricingPolicy() = default;
  // The index in `arms` (a non-empty grid in ascending multiplier order) of
  // the multiplier to offer next. Must be cheap: it runs on every quote.
  virtual std::size_t Choose(const std::vector<ArmStats>& arms, std::mt19937_64& rng) const = 0;
  // The policy's current estimate of P(booked) per arm (posterior mean or
  // empirical rate), for reports and `optimizer show`.
  virtual std::vector<double> EstimatedTakeUp(const std::vector<ArmStats>& arms) const = 0;
};

// successes / trials of each arm (0 for an arm without outcomes): the
// estimate of the policies that keep no posterior.
std::vector<double> EmpiricalTakeUp(const std::vector<ArmStats>& arms);

// `fixed` always offers the arm whose multiplier is 1 (the catalog price),
// or the one nearest to it.
std::unique_ptr<PricingPolicy> MakePolicy(PolicyKind kind);

// The policies with their tuning exposed (MakePolicy uses the defaults;
// docs/optimizer.md explains each value).
struct ThompsonOptions {
  // Pseudo-trials an arm borrows from the other arms, weighted by
  // kernel^(grid distance) and capped at `borrow_cap` in total, so the
  // borrowing matters while an arm has little data and fades as it gains it.
  double kernel = 0.5;
  double borrow_cap = 20.0;
  // Strength (pseudo-trials) of the prior centred on the context's pooled
  // take-up, tilted so that it falls as the price rises.
  double prior_strength = 2.0;
  // Project each posterior sample onto non-increasing take-up in price
  // (pool-adjacent-violators) before the argmax of multiplier x p.
  bool monotone = true;
};
std::unique_ptr<PricingPolicy> MakeThompsonPolicy(ThompsonOptions options = {});
// UCB1 on rewards multiplier x booked scaled to [0, 1] by the largest
// multiplier; every untried arm first, in grid order.
std::unique_ptr<PricingPolicy> MakeUcbPolicy();
// With probability epsilon a uniformly random arm, otherwise the arm with the
// best empirical multiplier x take-up (untried arms first).
std::unique_ptr<PricingPolicy> MakeEpsilonGreedyPolicy(double epsilon = 0.1);
std::unique_ptr<PricingPolicy> MakeFixedPolicy();

// The weighted least-squares projection of `values` onto non-increasing
// sequences (pool-adjacent-violators); `weights` (> 0) as long as `values`.
// In place.
void ProjectNonIncreasing(double* values, const double* weights, std::size_t n);

double MultiplierValue(Rate r);  // 1.10 for 1'100'000'000 nanos

}  // namespace offerledger
