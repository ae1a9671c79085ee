// `ucb`: UCB1 (Auer et al. 2002) on the reward multiplier x booked, scaled to
// [0, 1] by the grid's largest multiplier.
#include <cmath>

#include "optimizer/policy.h"

namespace offerledger {
namespace {

class UcbPolicy final : public PricingPolicy {
 public:
  std::size_t Choose(const std::vector<ArmStats>& arms, std::mt19937_64& /*rng*/) const override {
    // Every arm once first, in grid order. An arm offered but not yet
    // answered counts as tried, so delayed outcomes do not repeat it.
    double m_max = 0;
    std::int64_t total = 0;
    for (std::size_t i = 0; i < arms.size(); ++i) {
      if (arms[i].trials() + arms[i].pending == 0) return i;
      m_max = std::max(m_max, MultiplierValue(arms[i].multiplier));
      total += arms[i].trials() + arms[i].pending;
    }
    if (m_max <= 0) m_max = 1;
    const double log_total = std::log(static_cast<double>(total));
    std::size_t best = 0;
    double best_index = -1;
    for (std::size_t i = 0; i < arms.size(); ++i) {
      const ArmStats& a = arms[i];
      const double n = static_cast<double>(a.trials() + a.pending);
      // No outcome yet (all pending): optimistic.
      const double mean = a.trials() > 0 ? MultiplierValue(a.multiplier) / m_max *
                                               static_cast<double>(a.successes) / a.trials()
                                         : 1.0;
      const double index = mean + std::sqrt(2.0 * log_total / n);
      if (index > best_index) {
        best_index = index;
        best = i;
      }
    }
    return best;
  }
  std::vector<double> EstimatedTakeUp(const std::vector<ArmStats>& arms) const override {
    return EmpiricalTakeUp(arms);
  }
};

}  // namespace

std::unique_ptr<PricingPolicy> MakeUcbPolicy() { return std::make_unique<UcbPolicy>(); }

}  // namespace offerledger
