// `egreedy`: epsilon-greedy on the empirical multiplier x take-up.
#include "optimizer/policy.h"

namespace offerledger {
namespace {

class EpsilonGreedyPolicy final : public PricingPolicy {
 public:
  explicit EpsilonGreedyPolicy(double epsilon) : epsilon_(epsilon) {}

  std::size_t Choose(const std::vector<ArmStats>& arms, std::mt19937_64& rng) const override {
    for (std::size_t i = 0; i < arms.size(); ++i) {
      if (arms[i].trials() + arms[i].pending == 0) return i;
    }
    if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) < epsilon_) {
      return std::uniform_int_distribution<std::size_t>(0, arms.size() - 1)(rng);
    }
    std::size_t best = 0;
    double best_value = -1;
    for (std::size_t i = 0; i < arms.size(); ++i) {
      const ArmStats& a = arms[i];
      // Offered but not answered yet: optimistic (take-up 1).
      const double rate =
          a.trials() > 0 ? static_cast<double>(a.successes) / static_cast<double>(a.trials()) : 1.0;
      const double value = MultiplierValue(a.multiplier) * rate;
      if (value > best_value) {
        best_value = value;
        best = i;
      }
    }
    return best;
  }
  std::vector<double> EstimatedTakeUp(const std::vector<ArmStats>& arms) const override {
    return EmpiricalTakeUp(arms);
  }

 private:
  double epsilon_;
};

}  // namespace

std::unique_ptr<PricingPolicy> MakeEpsilonGreedyPolicy(double epsilon) {
  return std::make_unique<EpsilonGreedyPolicy>(epsilon);
}

}  // namespace offerledger
