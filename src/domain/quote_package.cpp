#include "domain/quote_package.h"

#include <algorithm>
#include <array>
#include <set>

namespace offerledger {

namespace {
constexpr std::array<std::pair<PackageStatus, std::string_view>, 6> kPackageNames = {{
    {PackageStatus::kReceived, "RECEIVED"},
    {PackageStatus::kOptedOut, "OPTED_OUT"},
    {PackageStatus::kPendingPayment, "PENDING_PAYMENT"},
    {PackageStatus::kConfirmed, "CONFIRMED"},
    {PackageStatus::kCancelled, "CANCELLED"},
    {PackageStatus::kRenewed, "RENEWED"},
}};
constexpr std::array<std::pair<QuoteStatus, std::string_view>, 5> kQuoteNames = {{
    {QuoteStatus::kReceived, "RECEIVED"},
    {QuoteStatus::kPendingPayment, "PENDING_PAYMENT"},
    {QuoteStatus::kConfirmed, "CONFIRMED"},
    {QuoteStatus::kCancelled, "CANCELLED"},
    {QuoteStatus::kRenewed, "RENEWED"},
}};
constexpr std::array<std::pair<EventKind, std::string_view>, 14> kEventNames = {{
    {EventKind::kOffered, "offered"},
    {EventKind::kRepriced, "repriced"},
    {EventKind::kWithdrawn, "withdrawn"},
    {EventKind::kOptedOut, "opted_out"},
    {EventKind::kBooked, "booked"},
    {EventKind::kNotSelected, "not_selected"},
    {EventKind::kCancelled, "cancelled"},
    {EventKind::kRenewalOffered, "renewal_offered"},
    {EventKind::kRenewed, "renewed"},
    {EventKind::kRenewalOptedOut, "renewal_opted_out"},
    {EventKind::kPaymentPending, "payment_pending"},
    {EventKind::kModified, "modified"},
    {EventKind::kInstalment, "instalment"},
    {EventKind::kEmailRequested, "email_requested"},
}};

template <typename E, std::size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [k, v] : table) {
    if (k == e) return v;
  }
  return "UNKNOWN";
}
template <typename E, std::size_t N>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, N>& table,
                       std::string_view s) {
  for (const auto& [k, v] : table) {
    if (v == s) return k;
  }
  return std::nullopt;
}

Status NotInState(const QuotePackage& pkg, std::string_view action) {
  std::string msg = "Quote package ";
  msg += pkg.id;
  msg += " is ";
  msg += PackageStatusName(pkg.status);
  msg += " and cannot be ";
  msg += action;
  msg += ".";
  return Status::Invalid(msg, {{"status", std::string(PackageStatusName(pkg.status))}});
}
}  // namespace

std::string_view PackageStatusName(PackageStatus s) { return NameOf(kPackageNames, s); }
std::optional<PackageStatus> ParsePackageStatus(std::string_view s) {
  return Parse(kPackageNames, s);
}
std::string_view QuoteStatusName(QuoteStatus s) { return NameOf(kQuoteNames, s); }
std::optional<QuoteStatus> ParseQuoteStatus(std::string_view s) { return Parse(kQuoteNames, s); }
std::string_view EventKindName(EventKind k) { return NameOf(kEventNames, k); }
std::optional<EventKind> ParseEventKind(std::string_view s) { return Parse(kEventNames, s); }

MinorUnits Quote::total_tax() const {
  MinorUnits t = 0;
  for (const auto& line : taxes) t += line.amount;
  return t;
}

MinorUnits QuotePackage::total_price() const {
  MinorUnits t = 0;
  for (const auto& q : quotes) {
    if (q.status != QuoteStatus::kCancelled) t += q.price;
  }
  return t;
}
MinorUnits QuotePackage::total_premium() const {
  MinorUnits t = 0;
  for (const auto& q : quotes) {
    if (q.status != QuoteStatus::kCancelled) t += q.premium;
  }
  return t;
}
MinorUnits QuotePackage::total_tax() const {
  MinorUnits t = 0;
  for (const auto& q : quotes) {
    if (q.status != QuoteStatus::kCancelled) t += q.total_tax();
  }
  return t;
}

const Quote* QuotePackage::FindQuote(std::string_view quote_id) const {
  for (const auto& q : quotes) {
    if (q.id == quote_id) return &q;
  }
  return nullptr;
}
Quote* QuotePackage::FindQuote(std::string_view quote_id) {
  for (auto& q : quotes) {
    if (q.id == quote_id) return &q;
  }
  return nullptr;
}

LedgerEvent MakeEvent(EventKind kind, const QuotePackage& pkg, const Quote& q, Micros now) {
  LedgerEvent e;
  e.kind = kind;
  e.at = now;
  e.offered_at = q.created_at != 0 ? q.created_at : now;
  e.partner = pkg.partner;
  e.package_id = pkg.id;
  e.quote_id = q.id;
  e.policy_type = q.policy_type;
  e.policy_type_version = q.policy_type_version;
  e.policy_code = q.policy_code;
  e.price = q.price;
  e.premium = q.premium;
  e.tax = q.total_tax();
  e.currency = pkg.currency;
  e.customer_country = pkg.customer_country;
  e.price_multiplier_nanos = q.price_multiplier_nanos;
  return e;
}

Result<std::vector<LedgerEvent>> ApplyOptOut(QuotePackage& pkg, Micros now) {
  if (pkg.status == PackageStatus::kOptedOut) return std::vector<LedgerEvent>{};
  if (pkg.status != PackageStatus::kReceived) return NotInState(pkg, "opted out");
  pkg.status = PackageStatus::kOptedOut;
  pkg.updated_at = now;
  std::vector<LedgerEvent> events;
  events.reserve(pkg.quotes.size());
  for (const auto& q : pkg.quotes) events.push_back(MakeEvent(EventKind::kOptedOut, pkg, q, now));
  return events;
}

Result<std::vector<LedgerEvent>> ApplyBooking(QuotePackage& pkg,
                                              const std::vector<std::string>& selected,
                                              std::string policyholder_json, Micros now,
                                              bool payment_pending) {
  if (pkg.status != PackageStatus::kReceived && pkg.status != PackageStatus::kOptedOut) {
    return NotInState(pkg, "booked");
  }
  if (selected.empty()) {
    return Status::Invalid("Select at least one quote to book.",
                           {{"quotes", "This field is required."}});
  }
  std::set<std::string_view> chosen;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const std::string path = "quotes." + std::to_string(i) + ".id";
    if (pkg.FindQuote(selected[i]) == nullptr) {
      return Status::Invalid("A selected quote is not part of this package.",
                             {{path, "Unknown quote id " + selected[i] + "."}});
    }
    if (!chosen.insert(selected[i]).second) {
      return Status::Invalid("A quote was selected twice.", {{path, "Duplicate quote id."}});
    }
  }
  std::vector<LedgerEvent> events;
  std::vector<Quote> kept;
  for (auto& q : pkg.quotes) {
    if (chosen.contains(q.id)) {
      q.updated_at = now;
      if (payment_pending) {
        q.status = QuoteStatus::kPendingPayment;
        events.push_back(MakeEvent(EventKind::kPaymentPending, pkg, q, now));
      } else {
        q.status = QuoteStatus::kConfirmed;
        q.confirmed_at = now;
        events.push_back(MakeEvent(EventKind::kBooked, pkg, q, now));
      }
      kept.push_back(std::move(q));
    } else {
      events.push_back(MakeEvent(EventKind::kNotSelected, pkg, q, now));
    }
  }
  pkg.quotes = std::move(kept);
  pkg.status = payment_pending ? PackageStatus::kPendingPayment : PackageStatus::kConfirmed;
  pkg.booked_at = now;
  pkg.updated_at = now;
  pkg.policyholder_json = std::move(policyholder_json);
  return events;
}

Result<std::vector<LedgerEvent>> ApplyPaymentConfirmation(QuotePackage& pkg, Micros now) {
  if (pkg.status != PackageStatus::kPendingPayment) return NotInState(pkg, "payment-confirmed");
  std::vector<LedgerEvent> events;
  for (auto& q : pkg.quotes) {
    if (q.status != QuoteStatus::kPendingPayment) continue;
    q.status = QuoteStatus::kConfirmed;
    q.confirmed_at = now;  // the cooling-off period runs from the payment
    q.updated_at = now;
    events.push_back(MakeEvent(EventKind::kBooked, pkg, q, now));
  }
  pkg.status = PackageStatus::kConfirmed;
  pkg.updated_at = now;
  return events;
}

MinorUnits RefundFor(const Quote& q, Micros now) {
  const Micros confirmed = q.confirmed_at.value_or(q.created_at);
  if (now < confirmed + kCoolingOffPeriod || now < q.policy_start) return q.price;
  if (now >= q.policy_end || q.policy_end <= q.policy_start) return 0;
  return MulDivRound(q.premium, q.policy_end - now, q.policy_end - q.policy_start);
}

Result<std::vector<LedgerEvent>> ApplyCancellation(QuotePackage& pkg, Micros now) {
  if (pkg.status != PackageStatus::kConfirmed) return NotInState(pkg, "cancelled");
  std::vector<LedgerEvent> events;
  for (auto& q : pkg.quotes) {
    if (q.status != QuoteStatus::kConfirmed) continue;
    q.refund = RefundFor(q, now);
    q.status = QuoteStatus::kCancelled;
    q.cancelled_at = now;
    q.updated_at = now;
    LedgerEvent e = MakeEvent(EventKind::kCancelled, pkg, q, now);
    e.amount = q.refund;
    const bool cooling_off = now < q.confirmed_at.value_or(q.created_at) + kCoolingOffPeriod;
    e.data_json = std::string("{\"within_cooling_off\":") + (cooling_off ? "true" : "false") + "}";
    events.push_back(std::move(e));
  }
  pkg.status = PackageStatus::kCancelled;
  pkg.pending_cancellation.reset();
  pkg.pending_renewal.reset();
  pkg.pending_update.reset();
  pkg.updated_at = now;
  return events;
}

Result<std::vector<LedgerEvent>> ApplyPolicyholderChange(QuotePackage& pkg,
                                                         std::string policyholder_json,
                                                         Micros now) {
  if (Status s = CheckBookingModifiable(pkg); !s.ok()) return s;
  pkg.policyholder_json = std::move(policyholder_json);
  pkg.updated_at = now;
  std::vector<LedgerEvent> events;
  for (const auto& q : pkg.quotes) {
    if (q.status == QuoteStatus::kCancelled) continue;
    LedgerEvent e = MakeEvent(EventKind::kModified, pkg, q, now);
    e.data_json = R"({"change":"policyholder","premium_change":0,"previous_price":)" +
                  std::to_string(q.price) + "}";
    events.push_back(std::move(e));
  }
  return events;
}

Result<std::vector<LedgerEvent>> ApplyUpdate(QuotePackage& pkg, std::string_view update_id,
                                             Micros now) {
  if (!pkg.pending_update || pkg.pending_update->id != update_id) {
    return Status::NotFound("Update " + std::string(update_id) + " not found.");
  }
  if (Status s = CheckBookingModifiable(pkg); !s.ok()) return s;
  if (now > pkg.pending_update->confirm_before) {
    return Status::Invalid("This update quote has expired; request a new one.",
                           {{"update_id", "Expired."}});
  }
  PendingUpdate update = std::move(*pkg.pending_update);
  pkg.pending_update.reset();
  std::vector<LedgerEvent> events;
  for (Quote& repriced : update.quotes) {
    Quote* q = pkg.FindQuote(repriced.id);
    if (q == nullptr || q->status == QuoteStatus::kCancelled) {
      return Status::Invalid("The booking changed since this update was quoted.",
                             {{"update_id", "Request a new quote_for_update."}});
    }
    const MinorUnits old_price = q->price;
    const MinorUnits old_premium = q->premium;
    // The booking's own state stays: only what the re-pricing decides moves.
    repriced.status = q->status;
    repriced.created_at = q->created_at;
    repriced.confirmed_at = q->confirmed_at;
    repriced.cancelled_at = q->cancelled_at;
    repriced.refund = q->refund;
    repriced.updated_at = now;
    *q = std::move(repriced);
    LedgerEvent e = MakeEvent(EventKind::kModified, pkg, *q, now);
    e.amount = q->price - old_price;
    e.data_json = R"({"change":"update","update_id":")" + update.id + R"(","premium_change":)" +
                  std::to_string(q->premium - old_premium) + R"(,"previous_price":)" +
                  std::to_string(old_price) + "}";
    events.push_back(std::move(e));
  }
  pkg.updated_at = now;
  return events;
}

Status CheckBookingModifiable(const QuotePackage& pkg) {
  if (pkg.status != PackageStatus::kPendingPayment && pkg.status != PackageStatus::kConfirmed) {
    return NotInState(pkg, "modified");
  }
  return Status::Ok();
}

// ----------------------------------------------------------------- renewals

namespace {
bool RenewsQuote(const Quote& q) { return q.renewable && q.status == QuoteStatus::kConfirmed; }

std::string RenewalData(std::string_view renewal_id, std::string_view key, std::string_view value) {
  return R"({"renewal_id":")" + std::string(renewal_id) + R"(",")" + std::string(key) + R"(":")" +
         std::string(value) + R"("})";
}
}  // namespace

Status CheckRenewable(const QuotePackage& pkg) {
  if (pkg.status != PackageStatus::kConfirmed) return NotInState(pkg, "renewed");
  if (pkg.renewal_expired_at) {
    return Status::Invalid("Quote package " + pkg.id +
                               " is CONFIRMED but its cover period ended without a renewal: it "
                               "cannot be renewed.",
                           {{"status", "CONFIRMED"}, {"renewal", "EXPIRED"}});
  }
  if (std::none_of(pkg.quotes.begin(), pkg.quotes.end(), RenewsQuote)) {
    return Status::Invalid(
        "Quote package " + pkg.id + " is " + std::string(PackageStatusName(pkg.status)) +
            " but holds no renewable policy and cannot be renewed.",
        {{"status", std::string(PackageStatusName(pkg.status))}, {"renewable", "false"}});
  }
  return Status::Ok();
}

std::pair<Micros, Micros> NextRenewalPeriod(const Quote& q, int period_days) {
  return {q.policy_end, q.policy_end + static_cast<Micros>(period_days) * kMicrosPerDay};
}

Result<std::vector<LedgerEvent>> ApplyRenewalQuote(QuotePackage& pkg, PendingRenewal renewal,
                                                   Micros now) {
  if (Status s = CheckRenewable(pkg); !s.ok()) return s;
  if (pkg.pending_renewal) return std::vector<LedgerEvent>{};
  if (renewal.quotes.empty()) {
    return Status::Internal("a renewal without quotes for package " + pkg.id);
  }
  std::vector<LedgerEvent> events;
  for (std::size_t i = 0; i < renewal.quotes.size(); ++i) {
    Quote& q = renewal.quotes[i];
    q.status = QuoteStatus::kReceived;
    q.created_at = now;  // the renewal offer's cohort is the day it was offered
    q.updated_at = now;
    q.confirmed_at.reset();
    q.cancelled_at.reset();
    q.refund = 0;
    LedgerEvent e = MakeEvent(EventKind::kRenewalOffered, pkg, q, now);
    // Which quote it renews: the i-th renewable one, in order.
    std::string_view renews;
    std::size_t seen = 0;
    for (const Quote& old : pkg.quotes) {
      if (RenewsQuote(old) && seen++ == i) renews = old.id;
    }
    e.data_json = RenewalData(renewal.id, "renewal_of", renews);
    events.push_back(std::move(e));
  }
  renewal.created_at = now;
  pkg.renewal_opted_out_at.reset();  // a new offer: the customer may decline it again
  pkg.pending_renewal = std::move(renewal);
  pkg.updated_at = now;
  return events;
}

Result<RenewalOutcome> ApplyRenewal(QuotePackage& pkg, std::string_view renewal_id,
                                    std::string next_id, std::string next_security_token,
                                    Micros now) {
  if (!pkg.pending_renewal || pkg.pending_renewal->id != renewal_id) {
    if (Status s = CheckRenewable(pkg); !s.ok()) return s;
    return Status::NotFound("Renewal " + std::string(renewal_id) + " not found.");
  }
  if (Status s = CheckRenewable(pkg); !s.ok()) return s;
  PendingRenewal renewal = std::move(*pkg.pending_renewal);
  pkg.pending_renewal.reset();

  RenewalOutcome out;
  QuotePackage& next = out.next;
  next.id = std::move(next_id);
  next.partner = pkg.partner;
  next.security_token = std::move(next_security_token);
  next.status = PackageStatus::kConfirmed;
  next.currency = pkg.currency;
  next.customer_country = pkg.customer_country;
  next.customer_region = pkg.customer_region;
  next.customer_language = pkg.customer_language;
  next.partner_transaction_id = pkg.partner_transaction_id;
  next.created_at = now;
  next.updated_at = now;
  next.booked_at = now;
  next.policyholder_json = pkg.policyholder_json;
  next.renewed_from = pkg.id;
  next.quotes = std::move(renewal.quotes);
  for (Quote& q : next.quotes) {
    q.status = QuoteStatus::kConfirmed;
    q.confirmed_at = now;
    q.updated_at = now;
    LedgerEvent e = MakeEvent(EventKind::kRenewed, next, q, now);
    e.data_json = RenewalData(renewal.id, "renewed_from", pkg.id);
    out.events.push_back(std::move(e));
  }
  for (Quote& q : pkg.quotes) {
    if (!RenewsQuote(q)) continue;
    q.status = QuoteStatus::kRenewed;
    q.updated_at = now;
  }
  pkg.status = PackageStatus::kRenewed;
  pkg.renewed_to = next.id;
  pkg.pending_update.reset();
  pkg.updated_at = now;
  return out;
}

Result<std::vector<LedgerEvent>> ApplyRenewalOptOut(QuotePackage& pkg, Micros now) {
  if (Status s = CheckRenewable(pkg); !s.ok()) return s;
  if (pkg.renewal_opted_out_at) return std::vector<LedgerEvent>{};
  std::vector<LedgerEvent> events;
  if (pkg.pending_renewal) {
    // The customer declines the renewal offered: record it at its price.
    for (const Quote& q : pkg.pending_renewal->quotes) {
      LedgerEvent e = MakeEvent(EventKind::kRenewalOptedOut, pkg, q, now);
      e.data_json = RenewalData(pkg.pending_renewal->id, "package", pkg.id);
      events.push_back(std::move(e));
    }
    pkg.pending_renewal.reset();
  } else {
    for (const Quote& q : pkg.quotes) {
      if (!RenewsQuote(q)) continue;
      LedgerEvent e = MakeEvent(EventKind::kRenewalOptedOut, pkg, q, now);
      e.offered_at = now;
      e.data_json = R"({"renewal_id":null})";
      events.push_back(std::move(e));
    }
  }
  pkg.renewal_opted_out_at = now;
  pkg.updated_at = now;
  return events;
}

std::optional<Micros> NextRenewal(const QuotePackage& pkg, const Quote& q) {
  if (pkg.status != PackageStatus::kConfirmed || !RenewsQuote(q) || pkg.renewal_opted_out_at ||
      pkg.renewal_expired_at) {
    return std::nullopt;
  }
  return q.policy_end;
}

std::optional<Micros> RenewalPeriodEnd(const QuotePackage& pkg) {
  if (pkg.status != PackageStatus::kConfirmed || pkg.renewal_expired_at) return std::nullopt;
  std::optional<Micros> end;
  for (const Quote& q : pkg.quotes) {
    if (RenewsQuote(q) && (!end || q.policy_end < *end)) end = q.policy_end;
  }
  return end;
}

std::optional<Micros> RenewalDueAt(const QuotePackage& pkg) {
  const std::optional<Micros> end = RenewalPeriodEnd(pkg);
  if (!end || pkg.renewal_opted_out_at || pkg.renewal_due_sent_for == end) return std::nullopt;
  return end;
}

std::optional<Micros> RenewalExpiresAt(const QuotePackage& pkg) { return RenewalPeriodEnd(pkg); }

RenewalNotice ApplyRenewalSweep(QuotePackage& pkg, Micros now, Micros notice) {
  const std::optional<Micros> end = RenewalPeriodEnd(pkg);
  if (!end) return RenewalNotice::kNone;
  if (now >= *end) {
    pkg.renewal_expired_at = now;
    pkg.pending_renewal.reset();
    pkg.updated_at = now;
    return RenewalNotice::kExpired;
  }
  if (RenewalDueAt(pkg) && now >= *end - notice) {
    pkg.renewal_due_sent_for = end;
    pkg.updated_at = now;
    return RenewalNotice::kDue;
  }
  return RenewalNotice::kNone;
}

Status CheckModifiable(const QuotePackage& pkg) {
  if (pkg.status != PackageStatus::kReceived) return NotInState(pkg, "modified");
  return Status::Ok();
}

}  // namespace offerledger
