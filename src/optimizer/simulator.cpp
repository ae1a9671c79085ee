#include "optimizer/simulator.h"

#include <deque>
#include <numeric>

namespace offerledger {

std::size_t OracleArm(const Market& market, const MarketContext& context) {
  std::size_t best = 0;
  double best_value = -1;
  for (std::size_t i = 0; i < market.grid.size(); ++i) {
    const double m = MultiplierValue(market.grid[i]);
    const double value = m * context.demand.TakeUp(m);
    if (value > best_value) {
      best_value = value;
      best = i;
    }
  }
  return best;
}

Result<SimulationReport> Simulate(const Market& market, const SimulationOptions& options) {
  if (market.grid.empty() || market.contexts.empty()) {
    return Status::Invalid("the market needs a grid and at least one context");
  }
  if (options.offers <= 0) return Status::Invalid("--offers must be greater than 0");
  if (options.delay < 0) return Status::Invalid("--delay must be 0 or more");
  if (options.policies.empty()) return Status::Invalid("no policy to simulate");

  const std::size_t n_ctx = market.contexts.size();
  const std::size_t n_arms = market.grid.size();

  // Expected revenue of every (context, arm), and the oracle's.
  std::vector<std::vector<double>> take_up(n_ctx, std::vector<double>(n_arms));
  std::vector<std::vector<double>> exp_rev(n_ctx, std::vector<double>(n_arms));
  SimulationReport report;
  report.offers = options.offers;
  report.seed = options.seed;
  report.delay = options.delay;
  for (std::size_t c = 0; c < n_ctx; ++c) {
    const MarketContext& ctx = market.contexts[c];
    for (std::size_t a = 0; a < n_arms; ++a) {
      const double m = MultiplierValue(market.grid[a]);
      take_up[c][a] = ctx.demand.TakeUp(m);
      exp_rev[c][a] = ctx.base_premium * m * take_up[c][a];
    }
    report.oracle_arm.push_back(OracleArm(market, ctx));
  }

  // The offers every policy sees: context and the uniform deciding the booking.
  std::vector<std::uint32_t> offer_ctx(options.offers);
  std::vector<double> offer_u(options.offers);
  {
    std::mt19937_64 market_rng(options.seed);
    std::vector<double> weights;
    for (const MarketContext& ctx : market.contexts) weights.push_back(ctx.weight);
    std::discrete_distribution<std::uint32_t> pick(weights.begin(), weights.end());
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (std::int64_t t = 0; t < options.offers; ++t) {
      offer_ctx[t] = pick(market_rng);
      offer_u[t] = uniform(market_rng);
    }
  }
  report.context_offers.assign(n_ctx, 0);
  for (std::int64_t t = 0; t < options.offers; ++t) {
    const std::uint32_t c = offer_ctx[t];
    const std::size_t o = report.oracle_arm[c];
    ++report.context_offers[c];
    report.oracle_expected_revenue += exp_rev[c][o];
    if (offer_u[t] < take_up[c][o]) {
      report.oracle_revenue += market.contexts[c].base_premium * MultiplierValue(market.grid[o]);
    }
  }

  const int points = std::max(1, options.curve_points);
  for (std::size_t p = 0; p < options.policies.size(); ++p) {
    const PolicyKind kind = options.policies[p];
    auto policy =
        kind == PolicyKind::kThompson ? MakeThompsonPolicy(options.thompson) : MakePolicy(kind);
    // Each policy's own randomness, independent of the market's draws.
    std::mt19937_64 rng(options.seed * 0x9E3779B97F4A7C15ULL + 1 + p);
    PolicyResult r;
    r.kind = kind;
    r.chosen.assign(n_ctx, std::vector<std::int64_t>(n_arms, 0));
    std::vector<std::vector<ArmStats>> stats(n_ctx);
    for (auto& s : stats) {
      for (Rate m : market.grid) s.push_back(ArmStats{m});
    }
    struct Pending {
      std::uint32_t ctx;
      std::uint32_t arm;
      bool booked;
    };
    std::deque<Pending> pending;
    std::int64_t next_point = 1;
    auto point_at = [&](std::int64_t k) { return options.offers * k / points; };
    double oracle_so_far = 0;
    for (std::int64_t t = 0; t < options.offers; ++t) {
      const std::uint32_t c = offer_ctx[t];
      const std::size_t a = policy->Choose(stats[c], rng);
      const double m = MultiplierValue(market.grid[a]);
      const bool booked = offer_u[t] < take_up[c][a];
      ++r.chosen[c][a];
      r.expected_revenue += exp_rev[c][a];
      oracle_so_far += exp_rev[c][report.oracle_arm[c]];
      if (booked) {
        ++r.bookings;
        r.revenue += market.contexts[c].base_premium * m;
      }
      ++stats[c][a].pending;
      pending.push_back({c, static_cast<std::uint32_t>(a), booked});
      while (static_cast<std::int64_t>(pending.size()) > options.delay) {
        const Pending done = pending.front();
        pending.pop_front();
        ArmStats& s = stats[done.ctx][done.arm];
        --s.pending;
        if (done.booked) {
          ++s.successes;
        } else {
          ++s.failures;
        }
      }
      while (next_point <= points && t + 1 == point_at(next_point)) {
        r.regret_curve.emplace_back(t + 1, oracle_so_far - r.expected_revenue);
        ++next_point;
      }
    }
    r.regret = report.oracle_expected_revenue - r.expected_revenue;
    r.share_of_oracle = r.expected_revenue / report.oracle_expected_revenue;
    r.take_up = static_cast<double>(r.bookings) / static_cast<double>(options.offers);
    report.results.push_back(std::move(r));
  }
  for (std::size_t i = 1; i < report.results.size(); ++i) {
    if (report.results[i].revenue > report.results[report.best].revenue) report.best = i;
  }
  return report;
}

}  // namespace offerledger
