// Policy names, the factory, and the helpers every policy shares.
#include "optimizer/policy.h"

#include <string>

namespace offerledger {

std::string_view PolicyKindName(PolicyKind k) {
  switch (k) {
    case PolicyKind::kThompson:
      return "thompson";
    case PolicyKind::kUcb:
      return "ucb";
    case PolicyKind::kEpsilonGreedy:
      return "egreedy";
    case PolicyKind::kFixed:
      return "fixed";
  }
  return "?";
}

Result<PolicyKind> ParsePolicyKind(std::string_view s) {
  for (PolicyKind k :
       {PolicyKind::kThompson, PolicyKind::kUcb, PolicyKind::kEpsilonGreedy, PolicyKind::kFixed}) {
    if (s == PolicyKindName(k)) return k;
  }
  return Status::Invalid("unknown policy \"" + std::string(s) +
                         "\" (expected thompson, ucb, egreedy or fixed)");
}

std::vector<double> EmpiricalTakeUp(const std::vector<ArmStats>& arms) {
  std::vector<double> out;
  out.reserve(arms.size());
  for (const ArmStats& a : arms) {
    out.push_back(a.trials() > 0 ? static_cast<double>(a.successes) / a.trials() : 0.0);
  }
  return out;
}

std::unique_ptr<PricingPolicy> MakePolicy(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::kThompson:
      return MakeThompsonPolicy();
    case PolicyKind::kUcb:
      return MakeUcbPolicy();
    case PolicyKind::kEpsilonGreedy:
      return MakeEpsilonGreedyPolicy();
    case PolicyKind::kFixed:
      return MakeFixedPolicy();
  }
  return MakeFixedPolicy();
}

double MultiplierValue(Rate r) { return static_cast<double>(r.nanos) / Rate::kOne; }

void ProjectNonIncreasing(double* values, const double* weights, std::size_t n) {
  if (n < 2) return;
  // Blocks of pooled values: mean, weight, length. At most n blocks; small
  // grids stay on the stack.
  constexpr std::size_t kStack = 32;
  double mean_buf[kStack], weight_buf[kStack];
  std::size_t len_buf[kStack];
  std::vector<double> mean_v, weight_v;
  std::vector<std::size_t> len_v;
  double* mean = mean_buf;
  double* weight = weight_buf;
  std::size_t* len = len_buf;
  if (n > kStack) {
    mean_v.resize(n);
    weight_v.resize(n);
    len_v.resize(n);
    mean = mean_v.data();
    weight = weight_v.data();
    len = len_v.data();
  }
  std::size_t blocks = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mean[blocks] = values[i];
    weight[blocks] = weights[i];
    len[blocks] = 1;
    ++blocks;
    // Non-increasing: a block may not exceed the block before it.
    while (blocks > 1 && mean[blocks - 1] > mean[blocks - 2]) {
      const double w = weight[blocks - 2] + weight[blocks - 1];
      mean[blocks - 2] =
          (mean[blocks - 2] * weight[blocks - 2] + mean[blocks - 1] * weight[blocks - 1]) / w;
      weight[blocks - 2] = w;
      len[blocks - 2] += len[blocks - 1];
      --blocks;
    }
  }
  std::size_t i = 0;
  for (std::size_t b = 0; b < blocks; ++b) {
    for (std::size_t k = 0; k < len[b]; ++k) values[i++] = mean[b];
  }
}

}  // namespace offerledger
