// PriceChooser: the price optimizer inside the live server
// (docs/optimizer-live.md). For an offer of a product in a context (the
// product's optimizer_context dimensions of partner × policy type × customer
// country), it reads the arms of that context from the store — cached per
// context for a short time, so choosing stays cheap — and asks the pricing
// policy for the multiplier of the product's grid to offer. The store keeps
// the arms (every offered quote records its multiplier, and its outcome
// updates that arm), so the state survives restarts and is shared by every
// process on the same database.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "domain/catalog.h"
#include "optimizer/policy.h"
#include "store/store.h"

namespace offerledger {

// serve --pricing: `catalog` (each product as its catalog entry says),
// `fixed` (the kill switch: every product at its catalog price), `optimize`
// (every product with a multiplier grid optimized).
enum class PricingMode { kCatalog, kFixed, kOptimize };
std::string_view PricingModeName(PricingMode m);
Result<PricingMode> ParsePricingMode(std::string_view s);

struct PriceChooserOptions {
  PricingMode mode = PricingMode::kCatalog;
  PolicyKind policy = PolicyKind::kThompson;
  Micros cache_ttl = kMicrosPerSecond;  // how long the arms of a context are reused
  int decision_window_days = 7;         // pending this long after the offer day = failure
  std::uint64_t seed = 0;               // 0: from std::random_device
};

// One context of one product: what the store sums, and its printable key
// ("partner=LLODT,policy_type=parcel_protection,customer_country=GB").
struct OptimizerContextKey {
  ArmFilter filter;
  std::string key;
};
OptimizerContextKey ContextOf(const Product& product, std::string_view partner,
                              std::string_view customer_country);

// The arms of the product's grid, in grid order, from the store's totals
// (multipliers missing from the totals have no trials; totals of
// multipliers no longer in the grid are left out).
std::vector<ArmStats> GridArms(const Product& product, const std::vector<ArmTotals>& totals);

class PriceChooser {
 public:
  PriceChooser(Store& store, PriceChooserOptions options);

  const PriceChooserOptions& options() const { return options_; }
  // Does `product` get optimized prices under the mode?
  bool Optimizes(const Product& product) const;
  // The multiplier to price a new offer of `product` at: 1 when it is not
  // optimized (or the store cannot be read: fail safe to the catalog price).
  Rate Choose(const Product& product, std::string_view partner, std::string_view customer_country,
              Micros now);
  // The multiplier a re-priced offer keeps: its own while its product is
  // optimized, 1 once it is not (the kill switch reprices at catalog price).
  Rate Keep(const Product& product, Rate current) const;

 private:
  struct Cached {
    Micros read_at = 0;
    std::vector<ArmStats> arms;
  };
  Result<std::vector<ArmStats>> ArmsOf(const Product& product, const OptimizerContextKey& ctx,
                                       Micros now);

  Store& store_;
  PriceChooserOptions options_;
  std::unique_ptr<PricingPolicy> policy_;
  std::mutex mu_;  // guards cache_ and rng_
  std::unordered_map<std::string, Cached> cache_;
  std::mt19937_64 rng_;
};

// --------------------------------------------------------------- the report

struct OptimizerArmView {
  double multiplier = 0;
  ArmStats stats;
  std::int64_t no_answer = 0;   // included in stats.failures
  double take_up = 0;           // the policy's estimate of P(booked)
  double expected_revenue = 0;  // multiplier × take_up (× the catalog premium)
};
struct OptimizerContextView {
  std::string policy_type;
  std::string context;  // the key, see OptimizerContextKey
  std::string partner;  // "" when not a dimension of the product's context
  std::string customer_country;
  bool optimized = false;  // priced by the optimizer under the current mode
  std::vector<OptimizerArmView> arms;
  double best_multiplier = 1;  // the arm of highest expected revenue
  double best_take_up = 0;     // its expected take-up
  std::int64_t offers = 0;     // successes + failures + pending
};
struct OptimizerView {
  std::string mode;
  std::string policy;
  int decision_window_days = 7;
  std::vector<OptimizerContextView> contexts;
};

// Every context with arms, of every product with a grid, as the policy sees
// it now (for GET /admin/v1/optimizer and `offerledger optimizer show`).
Result<OptimizerView> BuildOptimizerView(Store& store, const Catalog& catalog,
                                         const PriceChooserOptions& options, Micros now);
std::string OptimizerViewJson(const OptimizerView& view);
std::string OptimizerViewTable(const OptimizerView& view);

}  // namespace offerledger
