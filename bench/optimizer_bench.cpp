// The optimizer's benchmarks (docs/optimizer.md):
//  - Choose() of each policy on a 7-arm grid with realistic counts (Google
//    Benchmark): the time a price choice adds to a quote;
//  - with --table: the 100,000-offer target, seeds x policies on a market,
//    share of the oracle and revenue per policy, and whether Thompson beats
//    epsilon-greedy and fixed pricing on every seed.
//
//   optimizer_bench                              # the micro benchmarks
//   optimizer_bench --table [MARKET] [OFFERS] [SEEDS] [DELAY]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "optimizer/simulator.h"

namespace offerledger {
namespace {

// A context some weeks in: 0.80..1.40, thousands of trials near the best
// multiplier, hundreds elsewhere, some outcomes pending.
std::vector<ArmStats> RealisticArms() {
  const char* ms[] = {"0.80", "0.90", "1.00", "1.10", "1.20", "1.30", "1.40"};
  const std::int64_t trials[] = {310, 820, 5400, 2100, 640, 260, 150};
  const double rate[] = {0.34, 0.31, 0.28, 0.25, 0.21, 0.18, 0.15};
  std::vector<ArmStats> arms;
  for (int i = 0; i < 7; ++i) {
    ArmStats a{*ParseRate(ms[i])};
    a.successes = static_cast<std::int64_t>(trials[i] * rate[i]);
    a.failures = trials[i] - a.successes;
    a.pending = trials[i] / 50;
    arms.push_back(a);
  }
  return arms;
}

void BM_Choose(benchmark::State& state) {
  auto policy = MakePolicy(static_cast<PolicyKind>(state.range(0)));
  state.SetLabel(std::string(PolicyKindName(static_cast<PolicyKind>(state.range(0)))));
  const auto arms = RealisticArms();
  std::mt19937_64 rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(policy->Choose(arms, rng));
}
BENCHMARK(BM_Choose)->DenseRange(0, 3);

int Table(int argc, char** argv) {
  const std::string market_path =
      argc > 0 ? argv[0] : std::string(OFFERLEDGER_SOURCE_DIR) + "/markets/retail-4.json";
  const std::int64_t offers = argc > 1 ? std::atoll(argv[1]) : 100'000;
  const int seeds = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::int64_t delay = argc > 3 ? std::atoll(argv[3]) : 0;
  auto market = LoadMarketFile(market_path);
  if (!market.ok()) {
    std::fprintf(stderr, "%s: %s\n", market_path.c_str(), market.status().ToString().c_str());
    return 2;
  }
  std::printf("market %s, %lld offers, delay %lld: share of oracle (revenue)\n",
              market->name.c_str(), static_cast<long long>(offers), static_cast<long long>(delay));
  std::printf("%-5s %-22s %-22s %-22s %-22s %s\n", "seed", "thompson", "ucb", "egreedy", "fixed",
              "thompson > egreedy, fixed");
  int wins = 0;
  bool all_95 = true;
  for (int seed = 1; seed <= seeds; ++seed) {
    SimulationOptions o;
    o.offers = offers;
    o.seed = static_cast<std::uint64_t>(seed);
    o.delay = delay;
    auto r = Simulate(*market, o);
    if (!r.ok()) return 1;
    std::printf("%-5d", seed);
    for (const PolicyResult& p : r->results) {
      std::printf(" %6.2f%% (%12.2f)", 100 * p.share_of_oracle, p.revenue);
    }
    const double ts = r->results[0].revenue;
    const bool win = ts > r->results[2].revenue && ts > r->results[3].revenue;
    wins += win;
    all_95 = all_95 && r->results[0].share_of_oracle >= 0.95;
    std::printf(" %s\n", win ? "yes" : "NO");
  }
  std::printf(
      "thompson >= 95%% of oracle on every seed: %s; beats egreedy and fixed on %d/%d "
      "seeds\n",
      all_95 ? "yes" : "NO", wins, seeds);
  return all_95 && wins == seeds ? 0 : 1;
}

}  // namespace
}  // namespace offerledger

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--table") == 0) {
    return offerledger::Table(argc - 2, argv + 2);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
