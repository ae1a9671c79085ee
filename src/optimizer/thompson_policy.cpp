// `thompson`: Thompson sampling on expected revenue multiplier x P(booked),
// with strength shared between neighbouring multipliers:
//
//  1. each arm's Beta posterior gets, besides its own successes and failures,
//     pseudo-counts borrowed from the other arms with weight
//     kernel^(grid distance), capped in total and faded as the arm gains its
//     own data (cap x cap / (cap + own trials));
//  2. a weak prior centred on the context's pooled take-up, tilted to fall as
//     the price rises;
//  3. one sample per arm, projected onto non-increasing take-up in price
//     (pool-adjacent-violators, weighted by the posterior's strength);
//  4. the arm with the largest multiplier x sampled take-up.
//
// docs/optimizer.md compares it with UCB1, epsilon-greedy and fixed pricing.
#include <algorithm>
#include <cmath>

#include "optimizer/policy.h"

namespace offerledger {
namespace {

constexpr std::size_t kStack = 32;

// Beta(a, b) from two gammas.
double SampleBeta(double a, double b, std::mt19937_64& rng) {
  const double x = std::gamma_distribution<double>(a, 1.0)(rng);
  const double y = std::gamma_distribution<double>(b, 1.0)(rng);
  const double s = x + y;
  return s > 0 ? x / s : 0.5;
}

class ThompsonPolicy final : public PricingPolicy {
 public:
  explicit ThompsonPolicy(ThompsonOptions o) : o_(o) {}

  // Posterior Beta parameters per arm.
  void Posterior(const std::vector<ArmStats>& arms, double* alpha, double* beta) const {
    const std::size_t n = arms.size();
    double pooled_s = 0, pooled_n = 0, m_mean = 0;
    for (const ArmStats& a : arms) {
      pooled_s += static_cast<double>(a.successes);
      pooled_n += static_cast<double>(a.trials());
      m_mean += MultiplierValue(a.multiplier);
    }
    m_mean /= static_cast<double>(n);
    const double pooled = (pooled_s + 1.0) / (pooled_n + 2.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double m = MultiplierValue(arms[i].multiplier);
      // Prior: pooled take-up, higher below the mean multiplier and lower above.
      const double prior_mean = std::clamp(pooled * (1.0 + (m_mean - m)), 0.02, 0.98);
      double a = o_.prior_strength * prior_mean;
      double b = o_.prior_strength * (1.0 - prior_mean);
      // Borrowed pseudo-counts.
      double bs = 0, bn = 0, w = 1;
      for (std::size_t d = 1; d < n; ++d) {
        w *= o_.kernel;
        if (i >= d) {
          bs += w * static_cast<double>(arms[i - d].successes);
          bn += w * static_cast<double>(arms[i - d].trials());
        }
        if (i + d < n) {
          bs += w * static_cast<double>(arms[i + d].successes);
          bn += w * static_cast<double>(arms[i + d].trials());
        }
      }
      if (bn > 0) {
        const double own = static_cast<double>(arms[i].trials());
        const double scale =
            std::min(1.0, o_.borrow_cap / bn) * (o_.borrow_cap / (o_.borrow_cap + own));
        a += scale * bs;
        b += scale * (bn - bs);
      }
      alpha[i] = a + static_cast<double>(arms[i].successes);
      beta[i] = b + static_cast<double>(arms[i].failures);
    }
  }

  std::size_t Choose(const std::vector<ArmStats>& arms, std::mt19937_64& rng) const override {
    const std::size_t n = arms.size();
    double alpha_buf[kStack], beta_buf[kStack], p_buf[kStack], w_buf[kStack];
    std::vector<double> heap;
    double *alpha = alpha_buf, *beta = beta_buf, *p = p_buf, *w = w_buf;
    if (n > kStack) {
      heap.resize(4 * n);
      alpha = heap.data();
      beta = alpha + n;
      p = beta + n;
      w = p + n;
    }
    Posterior(arms, alpha, beta);
    for (std::size_t i = 0; i < n; ++i) {
      p[i] = SampleBeta(alpha[i], beta[i], rng);
      w[i] = alpha[i] + beta[i];
    }
    if (o_.monotone) ProjectNonIncreasing(p, w, n);
    std::size_t best = 0;
    double best_value = -1;
    for (std::size_t i = 0; i < n; ++i) {
      const double value = MultiplierValue(arms[i].multiplier) * p[i];
      if (value > best_value) {
        best_value = value;
        best = i;
      }
    }
    return best;
  }

  std::vector<double> EstimatedTakeUp(const std::vector<ArmStats>& arms) const override {
    const std::size_t n = arms.size();
    std::vector<double> alpha(n), beta(n), out(n), w(n);
    Posterior(arms, alpha.data(), beta.data());
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = alpha[i] / (alpha[i] + beta[i]);
      w[i] = alpha[i] + beta[i];
    }
    if (o_.monotone) ProjectNonIncreasing(out.data(), w.data(), n);
    return out;
  }

 private:
  ThompsonOptions o_;
};

}  // namespace

std::unique_ptr<PricingPolicy> MakeThompsonPolicy(ThompsonOptions options) {
  return std::make_unique<ThompsonPolicy>(options);
}

}  // namespace offerledger
