// `fixed`: the catalog price (multiplier 1, or the grid's nearest to it).
#include <cstdlib>

#include "optimizer/policy.h"

namespace offerledger {
namespace {

class FixedPolicy final : public PricingPolicy {
 public:
  std::size_t Choose(const std::vector<ArmStats>& arms, std::mt19937_64& /*rng*/) const override {
    std::size_t best = 0;
    for (std::size_t i = 1; i < arms.size(); ++i) {
      if (std::llabs(arms[i].multiplier.nanos - Rate::kOne) <
          std::llabs(arms[best].multiplier.nanos - Rate::kOne)) {
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

std::unique_ptr<PricingPolicy> MakeFixedPolicy() { return std::make_unique<FixedPolicy>(); }

}  // namespace offerledger
