#include "domain/conversion.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace offerledger {

namespace {

constexpr double kZ95 = 1.959963984540054;  // the 97.5th percentile of the standard normal

constexpr std::array<std::pair<OfferOutcome, std::string_view>, 5> kOutcomeNames = {{
    {OfferOutcome::kPending, "pending"},
    {OfferOutcome::kOptedOut, "opted_out"},
    {OfferOutcome::kNotSelected, "not_selected"},
    {OfferOutcome::kBooked, "booked"},
    {OfferOutcome::kWithdrawn, "withdrawn"},
}};

// "12.50" -> "12.5", "10.00" -> "10", "1500" -> "1500".
std::string MajorUnits(MinorUnits amount, int exponent) {
  std::string s = FormatDecimal(amount, exponent);
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// Applies `f(field_of_a, field_of_b)` to every counter.
template <typename F>
void ForEachCounter(RollupCounts& a, const RollupCounts& b, F f) {
  f(a.packages_offered, b.packages_offered);
  f(a.quotes_offered, b.quotes_offered);
  f(a.pending, b.pending);
  f(a.booked, b.booked);
  f(a.opted_out, b.opted_out);
  f(a.not_selected, b.not_selected);
  f(a.opt_out_events, b.opt_out_events);
  f(a.cancelled, b.cancelled);
  f(a.cancelled_cooling_off, b.cancelled_cooling_off);
  f(a.premium_booked, b.premium_booked);
  f(a.premium_refunded, b.premium_refunded);
  f(a.renewal_offers, b.renewal_offers);
  f(a.renewals, b.renewals);
  f(a.renewal_opt_outs, b.renewal_opt_outs);
}

}  // namespace

RollupCounts& RollupCounts::operator+=(const RollupCounts& o) {
  ForEachCounter(*this, o, [](std::int64_t& x, std::int64_t y) { x += y; });
  return *this;
}

RollupCounts operator+(const RollupCounts& a, const RollupCounts& b) {
  RollupCounts r = a;
  r += b;
  return r;
}

RollupCounts Negated(const RollupCounts& c) {
  RollupCounts r = c;
  ForEachCounter(r, c, [](std::int64_t& x, std::int64_t) { x = -x; });
  return r;
}

RollupCounts operator-(const RollupCounts& a, const RollupCounts& b) { return a + Negated(b); }

bool IsZero(const RollupCounts& c) { return c == RollupCounts{}; }

bool operator<(const RollupKey& a, const RollupKey& b) {
  return std::tie(a.day, a.partner, a.policy_type, a.price_band, a.country, a.currency) <
         std::tie(b.day, b.partner, b.policy_type, b.price_band, b.country, b.currency);
}

std::string PriceBands::Label(MinorUnits price, int exponent) const {
  if (edges.empty()) return "0+";
  // The first edge above the price: the band is [previous edge, that edge).
  const auto above = std::upper_bound(edges.begin(), edges.end(), price);
  if (above == edges.end()) return MajorUnits(edges.back(), exponent) + "+";
  const MinorUnits low = above == edges.begin() ? 0 : *(above - 1);
  return MajorUnits(low, exponent) + "-" + MajorUnits(*above, exponent);
}

Interval WilsonInterval(std::int64_t successes, std::int64_t trials) {
  if (trials <= 0) return {};
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = kZ95 * kZ95;
  const double denom = 1.0 + z2 / n;
  const double center = (p + z2 / (2.0 * n)) / denom;
  const double half = kZ95 * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom;
  Interval ci{std::max(0.0, center - half), std::min(1.0, center + half)};
  if (successes <= 0) ci.low = 0.0;  // exact bounds, no rounding noise
  if (successes >= trials) ci.high = 1.0;
  return ci;
}

std::string_view OfferOutcomeName(OfferOutcome o) {
  for (const auto& [k, v] : kOutcomeNames) {
    if (k == o) return v;
  }
  return "unknown";
}

std::optional<OfferOutcome> ParseOfferOutcome(std::string_view s) {
  for (const auto& [k, v] : kOutcomeNames) {
    if (v == s) return k;
  }
  return std::nullopt;
}

OfferOutcome OutcomeAfter(OfferOutcome before, EventKind kind) {
  switch (kind) {
    case EventKind::kOffered:
    case EventKind::kRepriced:
      return OfferOutcome::kPending;
    case EventKind::kWithdrawn:
      return OfferOutcome::kWithdrawn;
    case EventKind::kOptedOut:
      return OfferOutcome::kOptedOut;
    case EventKind::kBooked:
      return OfferOutcome::kBooked;
    case EventKind::kNotSelected:
      return OfferOutcome::kNotSelected;
    case EventKind::kCancelled:
    // Renewals are counted on their own (EventCounts): they change no
    // outcome of the first offer, which was booked.
    case EventKind::kRenewalOffered:
    case EventKind::kRenewed:
    case EventKind::kRenewalOptedOut:
    case EventKind::kPaymentPending:  // not a sale until the payment is confirmed
    case EventKind::kModified:
    case EventKind::kInstalment:  // payments of a booking change no outcome
    case EventKind::kEmailRequested:
      return before;
  }
  return before;
}

RollupCounts OfferContribution(OfferOutcome outcome, MinorUnits price, bool counts_package) {
  RollupCounts c;
  c.packages_offered = counts_package ? 1 : 0;
  switch (outcome) {
    case OfferOutcome::kPending:
      c.quotes_offered = 1;
      c.pending = 1;
      break;
    case OfferOutcome::kOptedOut:
      c.quotes_offered = 1;
      c.opted_out = 1;
      break;
    case OfferOutcome::kNotSelected:
      c.quotes_offered = 1;
      c.not_selected = 1;
      break;
    case OfferOutcome::kBooked:
      c.quotes_offered = 1;
      c.booked = 1;
      c.premium_booked = price;
      break;
    case OfferOutcome::kWithdrawn:
      break;
  }
  return c;
}

RollupCounts OutcomeDelta(OfferOutcome before, OfferOutcome after, MinorUnits price,
                          bool counts_package) {
  return OfferContribution(after, price, counts_package) -
         OfferContribution(before, price, counts_package);
}

bool IsRenewalEvent(EventKind kind) {
  return kind == EventKind::kRenewalOffered || kind == EventKind::kRenewed ||
         kind == EventKind::kRenewalOptedOut;
}

RollupCounts EventCounts(const LedgerEvent& e) {
  RollupCounts c;
  if (e.kind == EventKind::kOptedOut) {
    c.opt_out_events = 1;
  } else if (e.kind == EventKind::kRenewalOffered) {
    c.renewal_offers = 1;
  } else if (e.kind == EventKind::kRenewed) {
    c.renewals = 1;
  } else if (e.kind == EventKind::kRenewalOptedOut) {
    c.renewal_opt_outs = 1;
  } else if (e.kind == EventKind::kCancelled) {
    c.cancelled = 1;
    c.premium_refunded = e.amount;
    boost::system::error_code ec;
    const boost::json::value data = boost::json::parse(e.data_json, ec);
    if (!ec && data.is_object()) {
      const boost::json::value* v = data.get_object().if_contains("within_cooling_off");
      if (v != nullptr && v->is_bool() && v->get_bool()) c.cancelled_cooling_off = 1;
    }
  }
  return c;
}

bool EventSetsGroup(EventKind kind) {
  return kind == EventKind::kOffered || kind == EventKind::kRepriced;
}

Micros CohortTime(const LedgerEvent& e) { return e.offered_at != 0 ? e.offered_at : e.at; }

std::int64_t DayOf(Micros t) {
  std::int64_t d = t / kMicrosPerDay;
  if (t % kMicrosPerDay < 0) --d;
  return d;
}

OfferChange ApplyToOffer(const std::optional<OfferState>& before, const LedgerEvent& e,
                         bool package_counted) {
  OfferChange change;
  auto add = [&](const RollupKey& key, const RollupCounts& counts) {
    if (IsZero(counts)) return;
    for (RollupDelta& d : change.deltas) {
      if (d.key == key) {
        d.counts += counts;
        return;
      }
    }
    change.deltas.push_back({key, counts});
  };
  if (IsRenewalEvent(e.kind)) {
    // Counted in the renewal offer's own group; the first offer's outcome
    // (booked) does not change.
    change.after = before;
    add({DayOf(CohortTime(e)), e.partner, e.policy_type, e.price_band, e.customer_country,
         e.currency},
        EventCounts(e));
    return change;
  }
  if (!before) {
    if (e.kind != EventKind::kOffered) return change;
    OfferState s;
    s.key = {DayOf(CohortTime(e)), e.partner,          e.policy_type,
             e.price_band,         e.customer_country, e.currency};
    s.package_id = e.package_id;
    s.price = e.price;
    s.outcome = OfferOutcome::kPending;
    s.counts_package = !package_counted;
    add(s.key, OfferContribution(s.outcome, s.price, s.counts_package) + EventCounts(e));
    change.after = std::move(s);
    return change;
  }
  OfferState s = *before;
  s.outcome = OutcomeAfter(before->outcome, e.kind);
  if (EventSetsGroup(e.kind)) {
    s.key.policy_type = e.policy_type;
    s.key.price_band = e.price_band;
    s.key.country = e.customer_country;
    s.key.currency = e.currency;
    s.price = e.price;
  } else if (e.kind == EventKind::kBooked || e.kind == EventKind::kModified) {
    // A modified booking's premium counts at its new price.
    s.price = e.price;
  }
  add(before->key,
      Negated(OfferContribution(before->outcome, before->price, before->counts_package)));
  add(s.key, OfferContribution(s.outcome, s.price, s.counts_package) + EventCounts(e));
  std::erase_if(change.deltas, [](const RollupDelta& d) { return IsZero(d.counts); });
  change.after = std::move(s);
  return change;
}

}  // namespace offerledger
