#include "service/price_chooser.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "domain/json_writer.h"

namespace offerledger {

std::string_view PricingModeName(PricingMode m) {
  switch (m) {
    case PricingMode::kCatalog:
      return "catalog";
    case PricingMode::kFixed:
      return "fixed";
    case PricingMode::kOptimize:
      return "optimize";
  }
  return "catalog";
}

Result<PricingMode> ParsePricingMode(std::string_view s) {
  if (s == "catalog") return PricingMode::kCatalog;
  if (s == "fixed") return PricingMode::kFixed;
  if (s == "optimize") return PricingMode::kOptimize;
  return Status::Invalid("--pricing must be catalog, fixed or optimize (not '" + std::string(s) +
                         "')");
}

OptimizerContextKey ContextOf(const Product& product, std::string_view partner,
                              std::string_view customer_country) {
  OptimizerContextKey c;
  c.filter.policy_type = product.policy_type;
  for (const std::string& d : product.optimizer_context) {
    if (!c.key.empty()) c.key += ',';
    if (d == "partner") {
      c.filter.partner = std::string(partner);
      c.key += "partner=" + std::string(partner);
    } else if (d == "customer_country") {
      c.filter.country = std::string(customer_country);
      c.key += "customer_country=" + std::string(customer_country);
    } else {
      c.key += "policy_type=" + product.policy_type;
    }
  }
  return c;
}

std::vector<ArmStats> GridArms(const Product& product, const std::vector<ArmTotals>& totals) {
  std::vector<ArmStats> arms;
  arms.reserve(product.multiplier_grid.size());
  for (const Rate& m : product.multiplier_grid) {
    ArmStats a;
    a.multiplier = m;
    for (const ArmTotals& t : totals) {
      if (t.multiplier_nanos != m.nanos) continue;
      a.successes = t.successes;
      a.failures = t.failures;
      a.pending = t.pending;
    }
    arms.push_back(a);
  }
  return arms;
}

PriceChooser::PriceChooser(Store& store, PriceChooserOptions options)
    : store_(store),
      options_(options),
      policy_(MakePolicy(options.policy)),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()) {}

bool PriceChooser::Optimizes(const Product& product) const {
  if (product.multiplier_grid.empty()) return false;
  switch (options_.mode) {
    case PricingMode::kFixed:
      return false;
    case PricingMode::kOptimize:
      return true;
    case PricingMode::kCatalog:
      return product.pricing == "optimize";
  }
  return false;
}

Rate PriceChooser::Keep(const Product& product, Rate current) const {
  return Optimizes(product) ? current : Rate{Rate::kOne};
}

Result<std::vector<ArmStats>> PriceChooser::ArmsOf(const Product& product,
                                                   const OptimizerContextKey& ctx, Micros now) {
  const std::string cache_key = ctx.key + "|v" + std::to_string(product.version);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end() && now - it->second.read_at < options_.cache_ttl &&
        now >= it->second.read_at) {
      return it->second.arms;
    }
  }
  auto totals = store_.ReadArms(ctx.filter, DayOf(now), options_.decision_window_days);
  if (!totals.ok()) return totals.status();
  std::vector<ArmStats> arms = GridArms(product, *totals);
  std::lock_guard<std::mutex> lock(mu_);
  cache_[cache_key] = {now, arms};
  return arms;
}

Rate PriceChooser::Choose(const Product& product, std::string_view partner,
                          std::string_view customer_country, Micros now) {
  if (!Optimizes(product) || policy_ == nullptr) return Rate{Rate::kOne};
  auto arms = ArmsOf(product, ContextOf(product, partner, customer_country), now);
  if (!arms.ok() || arms->empty()) return Rate{Rate::kOne};  // fail safe: the catalog price
  std::size_t i = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    i = policy_->Choose(*arms, rng_);
  }
  if (i >= arms->size()) return Rate{Rate::kOne};
  return (*arms)[i].multiplier;
}

// ------------------------------------------------------------------ report

namespace {

double ToDouble(Rate r) { return static_cast<double>(r.nanos) / Rate::kOne; }

std::string Num(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, std::isfinite(v) ? v : 0.0);
  return buf;
}

}  // namespace

Result<OptimizerView> BuildOptimizerView(Store& store, const Catalog& catalog,
                                         const PriceChooserOptions& options, Micros now) {
  OptimizerView view;
  view.mode = std::string(PricingModeName(options.mode));
  view.policy = std::string(PolicyKindName(options.policy));
  view.decision_window_days = options.decision_window_days;
  auto finest = store.ListArmContexts();
  if (!finest.ok()) return finest.status();
  std::unique_ptr<PricingPolicy> policy = MakePolicy(options.policy);
  PriceChooser modes(store, options);  // only for Optimizes()
  std::set<std::string> done;
  for (const ArmContext& f : *finest) {
    const Product* product = catalog.FindLatest(f.policy_type);
    if (product == nullptr || product->multiplier_grid.empty()) continue;
    const OptimizerContextKey ctx = ContextOf(*product, f.partner, f.country);
    if (!done.insert(ctx.key).second) continue;
    auto totals = store.ReadArms(ctx.filter, DayOf(now), options.decision_window_days);
    if (!totals.ok()) return totals.status();
    OptimizerContextView cv;
    cv.policy_type = product->policy_type;
    cv.context = ctx.key;
    cv.partner = ctx.filter.partner.value_or("");
    cv.customer_country = ctx.filter.country.value_or("");
    cv.optimized = modes.Optimizes(*product);
    const std::vector<ArmStats> arms = GridArms(*product, *totals);
    const std::vector<double> take_up =
        policy != nullptr ? policy->EstimatedTakeUp(arms) : std::vector<double>(arms.size(), 0.0);
    double best = -1;
    for (std::size_t i = 0; i < arms.size(); ++i) {
      OptimizerArmView av;
      av.multiplier = ToDouble(arms[i].multiplier);
      av.stats = arms[i];
      for (const ArmTotals& t : *totals) {
        if (t.multiplier_nanos == arms[i].multiplier.nanos) av.no_answer = t.no_answer;
      }
      av.take_up = i < take_up.size() ? take_up[i] : 0;
      av.expected_revenue = av.multiplier * av.take_up;
      cv.offers += arms[i].trials() + arms[i].pending;
      if (av.expected_revenue > best) {
        best = av.expected_revenue;
        cv.best_multiplier = av.multiplier;
        cv.best_take_up = av.take_up;
      }
      cv.arms.push_back(av);
    }
    view.contexts.push_back(std::move(cv));
  }
  std::sort(view.contexts.begin(), view.contexts.end(),
            [](const OptimizerContextView& a, const OptimizerContextView& b) {
              return std::tie(a.policy_type, a.context) < std::tie(b.policy_type, b.context);
            });
  return view;
}

std::string OptimizerViewJson(const OptimizerView& view) {
  JsonWriter w;
  w.BeginObject();
  w.Key("pricing").String(view.mode);
  w.Key("policy").String(view.policy);
  w.Key("decision_window_days").Int(view.decision_window_days);
  w.Key("contexts").BeginArray();
  for (const OptimizerContextView& c : view.contexts) {
    w.BeginObject();
    w.Key("policy_type").String(c.policy_type);
    w.Key("context").String(c.context);
    w.Key("partner").String(c.partner);
    w.Key("customer_country").String(c.customer_country);
    w.Key("optimized").Bool(c.optimized);
    w.Key("offers").Int(c.offers);
    w.Key("best_multiplier").Raw(Num(c.best_multiplier, 4));
    w.Key("best_take_up").Raw(Num(c.best_take_up, 6));
    w.Key("arms").BeginArray();
    for (const OptimizerArmView& a : c.arms) {
      w.BeginObject();
      w.Key("multiplier").Raw(Num(a.multiplier, 4));
      w.Key("successes").Int(a.stats.successes);
      w.Key("failures").Int(a.stats.failures);
      w.Key("pending").Int(a.stats.pending);
      w.Key("no_answer").Int(a.no_answer);
      // Beta(1 + successes, 1 + failures): the posterior of P(booked).
      w.Key("posterior").BeginObject();
      w.Key("alpha").Int(1 + a.stats.successes);
      w.Key("beta").Int(1 + a.stats.failures);
      w.EndObject();
      w.Key("take_up").Raw(Num(a.take_up, 6));
      w.Key("expected_revenue").Raw(Num(a.expected_revenue, 6));
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string OptimizerViewTable(const OptimizerView& view) {
  std::string out = "pricing " + view.mode + ", policy " + view.policy + ", decision window " +
                    std::to_string(view.decision_window_days) + " days\n";
  if (view.contexts.empty()) out += "no offers yet\n";
  for (const OptimizerContextView& c : view.contexts) {
    out += "\n" + c.context + (c.optimized ? "" : " (not optimized now)") + ": best " +
           Num(c.best_multiplier, 2) + " (take-up " + Num(c.best_take_up, 3) + "), " +
           std::to_string(c.offers) + " offers\n";
    char line[160];
    std::snprintf(line, sizeof line, "  %10s %8s %8s %8s %9s %8s %8s\n", "multiplier", "booked",
                  "failed", "pending", "no_answer", "take_up", "revenue");
    out += line;
    for (const OptimizerArmView& a : c.arms) {
      std::snprintf(line, sizeof line, "  %10.2f %8lld %8lld %8lld %9lld %8.3f %8.3f%s\n",
                    a.multiplier, static_cast<long long>(a.stats.successes),
                    static_cast<long long>(a.stats.failures),
                    static_cast<long long>(a.stats.pending), static_cast<long long>(a.no_answer),
                    a.take_up, a.expected_revenue, a.multiplier == c.best_multiplier ? "  *" : "");
      out += line;
    }
  }
  return out;
}

}  // namespace offerledger
