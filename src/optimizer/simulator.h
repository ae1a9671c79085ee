// The market simulator: runs pricing policies against a synthetic market
// whose demand curves it knows, and scores them against the oracle (the best
// fixed multiplier per context by expected revenue).
//
// Every policy in one run sees the same offers: the same sequence of contexts
// and the same uniform draw deciding each booking (common random numbers), so
// differences between policies are their choices, not luck. Deterministic for
// a seed (std::mt19937_64).
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.h"
#include "optimizer/market.h"
#include "optimizer/policy.h"

namespace offerledger {

struct SimulationOptions {
  std::int64_t offers = 100'000;
  std::uint64_t seed = 1;
  std::vector<PolicyKind> policies = {PolicyKind::kThompson, PolicyKind::kUcb,
                                      PolicyKind::kEpsilonGreedy, PolicyKind::kFixed};
  // Outcomes arrive late: each offer is resolved after this many more offers
  // (0: at once). Until then its arm counts it as pending.
  std::int64_t delay = 0;
  // Points of each cumulative-regret curve (evenly spaced, the last at N).
  int curve_points = 200;
  // Tuning of the thompson policy (for comparing variants).
  ThompsonOptions thompson;
};

struct PolicyResult {
  PolicyKind kind;
  double revenue = 0;           // realised premium of the bookings
  double expected_revenue = 0;  // sum of base x m x P(booked | m) of the choices
  double share_of_oracle = 0;   // expected_revenue / oracle expected revenue
  std::int64_t bookings = 0;
  double take_up = 0;  // bookings / offers
  double regret = 0;   // cumulative: oracle expected - expected_revenue
  std::vector<std::pair<std::int64_t, double>> regret_curve;  // (offers so far, regret)
  std::vector<std::vector<std::int64_t>> chosen;              // [context][arm] offers
};

struct SimulationReport {
  std::int64_t offers = 0;
  std::uint64_t seed = 0;
  std::int64_t delay = 0;
  double oracle_expected_revenue = 0;
  double oracle_revenue = 0;                 // realised, same draws
  std::vector<std::size_t> oracle_arm;       // per context
  std::vector<std::int64_t> context_offers;  // per context
  std::vector<PolicyResult> results;         // in the order of options.policies
  std::size_t best = 0;                      // index in results: most revenue
};

Result<SimulationReport> Simulate(const Market& market, const SimulationOptions& options);

// The oracle arm of one context: the grid index maximising m x P(booked | m).
std::size_t OracleArm(const Market& market, const MarketContext& context);

}  // namespace offerledger
