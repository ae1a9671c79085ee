// QuotePackage: the offer made to one customer at one checkout, its quotes,
// and the state machine that governs it:
//
//   RECEIVED --opt out--> OPTED_OUT        (idempotent; no new event on repeat)
//   RECEIVED | OPTED_OUT --book--> CONFIRMED   (a customer may change their mind)
//   RECEIVED | OPTED_OUT --book, payment to confirm--> PENDING_PAYMENT
//   PENDING_PAYMENT --confirm--> CONFIRMED
//   CONFIRMED --cancel--> CANCELLED
//   CONFIRMED (renewable) --quote_for_renewal--> CONFIRMED + a pending renewal
//   CONFIRMED + pending renewal --confirm renewal--> RENEWED, and a new
//                                   CONFIRMED package for the next period
//   CONFIRMED (renewable) --renewal opt-out--> CONFIRMED, renewal declined
//                                   (idempotent; no new event on repeat)
//   PENDING_PAYMENT | CONFIRMED --modify--> the same status, new policyholder
//                                           or re-priced quotes
//
// PENDING_PAYMENT is a booking the customer has asked for but not paid for
// yet: it is not a sale. It cannot be opted out (the customer chose to buy)
// nor cancelled (there is nothing to refund); the partner confirms it once
// the payment went through, and only then is it a booking in the ledger.
// Opting out anything but RECEIVED/OPTED_OUT is refused with the current
// status named. Pure logic: no I/O, the clock is passed in.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "common/time.h"
#include "domain/ledger_event.h"
#include "domain/money.h"

namespace offerledger {

enum class PackageStatus {
  kReceived,
  kOptedOut,
  kPendingPayment,
  kConfirmed,
  kCancelled,
  kRenewed,  // a renewal was confirmed: the next period is another package
};
enum class QuoteStatus { kReceived, kPendingPayment, kConfirmed, kCancelled, kRenewed };

std::string_view PackageStatusName(PackageStatus s);  // "RECEIVED", "OPTED_OUT", ...
std::optional<PackageStatus> ParsePackageStatus(std::string_view s);
std::string_view QuoteStatusName(QuoteStatus s);
std::optional<QuoteStatus> ParseQuoteStatus(std::string_view s);

struct TaxLine {
  std::string code;  // "IPT", "Admin. fee"
  MinorUnits amount = 0;
  bool operator==(const TaxLine&) const = default;
};

// The product texts shown with a quote, rendered when it was priced.
struct QuoteContent {
  std::string title;
  std::string description;
  std::string optout_msg;
  std::string disclaimer;
  bool operator==(const QuoteContent&) const = default;
};

// An instalment plan a product offers ("1year-monthly": 12 instalments, one
// month apart), copied into each quote priced from it.
struct InstalmentPlan {
  std::string name;   // "1year-monthly"
  std::string label;  // "1Year-Monthly"
  int instalments = 0;
  int period_months = 0;
};

// The last reported payment attempt of one instalment.
struct InstalmentPayment {
  int number = 0;
  std::string status;  // "PAID", "FAILED"
  Micros attempted_at = 0;
  int failures = 0;  // failed attempts reported so far
};

struct Quote {
  std::string id;  // UUID
  std::string policy_type;
  int policy_type_version = 0;
  std::string policy_name;
  std::string policy_code;
  std::string policy_version_id;  // the catalog's UUID for this product version
  std::string policy_group;       // "event"
  std::string fields_json;        // the product fields as requested (a JSON object), for re-pricing
  Micros policy_start = 0;
  Micros policy_end = 0;
  QuoteStatus status = QuoteStatus::kReceived;
  MinorUnits premium = 0;  // without taxes and fees
  std::vector<TaxLine> taxes;
  MinorUnits price = 0;  // premium + taxes: what the customer pays
  MinorUnits cover_amount = 0;
  std::int64_t price_multiplier_nanos = 1'000'000'000;
  QuoteContent content;
  Micros created_at = 0;
  Micros updated_at = 0;
  bool renewable = false;  // its product is renewable (catalog): quote_for_renewal may renew it
  std::optional<Micros> confirmed_at;
  std::optional<Micros> cancelled_at;
  MinorUnits refund = 0;                         // set when cancelled
  std::vector<InstalmentPlan> instalment_plans;  // offered (from the catalog)
  std::string instalment_plan;                   // chosen at booking; "" = paid at once
  std::vector<InstalmentPayment> instalment_payments;

  MinorUnits total_tax() const;
};

struct PendingCancellation {
  std::string id;  // "u7Thv-d6C5P-8FAQW-CCL"
  Micros created_at = 0;
  Micros confirm_before = 0;
};

// A re-pricing of a booking's quotes offered by quote_for_update and not
// applied yet: `quotes` are the re-priced copies, applied as they are by
// confirm_update before `confirm_before`. Any later change to the quotes
// (another update, a cancellation) drops it.
struct PendingUpdate {
  std::string id;  // "joaiJ-Cao42-o9ulM-UPD"
  Micros created_at = 0;
  Micros confirm_before = 0;
  std::vector<Quote> quotes;
};

// A renewal offered by quote_for_renewal and not confirmed yet: `quotes` are
// the next period of the package's renewable quotes, priced when it was
// offered. It stands until confirmed, declined (renewal opt-out) or the
// booking is cancelled.
struct PendingRenewal {
  std::string id;  // "b2XkP-7QmZr-Lw3Ns-RNW"
  Micros created_at = 0;
  std::vector<Quote> quotes;
};

struct QuotePackage {
  std::string id;       // "PYWUR-TAPHT-INS"
  std::string partner;  // owning partner code
  std::string security_token;
  PackageStatus status = PackageStatus::kReceived;
  std::string currency;
  std::string customer_country;
  std::string customer_region;
  std::string customer_language;
  std::optional<std::string> partner_transaction_id;
  Micros created_at = 0;
  Micros updated_at = 0;
  std::optional<Micros> booked_at;
  std::vector<Quote> quotes;      // in request order
  std::string policyholder_json;  // JSON object once booked, else empty
  std::optional<PendingCancellation> pending_cancellation;
  std::optional<PendingRenewal> pending_renewal;
  // When the customer declined to renew (the renewal opt-out); a later
  // quote_for_renewal is a new offer and clears it.
  std::optional<Micros> renewal_opted_out_at;
  std::string renewed_from;  // the package this one is the renewal of ("" = none)
  std::string renewed_to;    // once RENEWED: the package of the next period
  // The renewal sweep (ApplyRenewalSweep): the period end a RENEWAL_DUE was
  // sent for, and when the period ended without a confirmed renewal.
  std::optional<Micros> renewal_due_sent_for;
  std::optional<Micros> renewal_expired_at;
  std::optional<PendingUpdate> pending_update;

  MinorUnits total_price() const;
  MinorUnits total_premium() const;
  MinorUnits total_tax() const;
  const Quote* FindQuote(std::string_view quote_id) const;
  Quote* FindQuote(std::string_view quote_id);
};

// One event per quote of `pkg`, of kind `kind`, at `now`.
LedgerEvent MakeEvent(EventKind kind, const QuotePackage& pkg, const Quote& q, Micros now);

// Opt-out. Returns the events to record: empty when the package was already
// OPTED_OUT (an idempotent repeat). Invalid when booked or cancelled.
Result<std::vector<LedgerEvent>> ApplyOptOut(QuotePackage& pkg, Micros now);

// Booking: keeps the selected quotes (in their original order), confirms
// them, drops the rest. `selected` must name quotes of this package, at least
// one, without repeats. With `payment_pending` the kept quotes and the
// package become PENDING_PAYMENT instead, recorded as payment_pending (not a
// sale yet: ApplyPaymentConfirmation books them).
Result<std::vector<LedgerEvent>> ApplyBooking(QuotePackage& pkg,
                                              const std::vector<std::string>& selected,
                                              std::string policyholder_json, Micros now,
                                              bool payment_pending = false);

// The payment of a PENDING_PAYMENT booking went through: it becomes
// CONFIRMED, and each quote's booked event is recorded now.
Result<std::vector<LedgerEvent>> ApplyPaymentConfirmation(QuotePackage& pkg, Micros now);

// A booking's policyholder or quotes may change while it is PENDING_PAYMENT
// or CONFIRMED.
Status CheckBookingModifiable(const QuotePackage& pkg);

// The refund owed for cancelling `q` at `now`: the full price inside the
// cooling-off period (14 days from confirmation) or before cover starts,
// otherwise the unused share of the premium, pro rata by time.
MinorUnits RefundFor(const Quote& q, Micros now);
constexpr Micros kCoolingOffPeriod = 14 * kMicrosPerDay;
constexpr Micros kCancellationPreviewValidity = kMicrosPerDay;

// Cancels every confirmed quote of a CONFIRMED package.
Result<std::vector<LedgerEvent>> ApplyCancellation(QuotePackage& pkg, Micros now);

// Replaces the policyholder of a PENDING_PAYMENT or CONFIRMED booking
// (`policyholder_json` already validated). One modified event per live quote,
// with no price change.
Result<std::vector<LedgerEvent>> ApplyPolicyholderChange(QuotePackage& pkg,
                                                         std::string policyholder_json, Micros now);

// Applies the pending update `update_id` (NotFound when it is not the one
// pending, Invalid when expired or the booking cannot be modified). One
// modified event per changed quote: the new price, premium and tax, `amount`
// the price change, data {"update_id", "premium_change", "previous_price"}.
Result<std::vector<LedgerEvent>> ApplyUpdate(QuotePackage& pkg, std::string_view update_id,
                                             Micros now);
constexpr Micros kUpdateQuoteValidity = kMicrosPerDay;

// ----------------------------------------------------------------- renewals
// A booking can be renewed when it is CONFIRMED and holds at least one
// confirmed quote of a renewable product; otherwise Invalid naming the status
// (a RENEWED booking: "is RENEWED and cannot be renewed").
Status CheckRenewable(const QuotePackage& pkg);

// The cover period after `q`'s: from its end, `period_days` long.
std::pair<Micros, Micros> NextRenewalPeriod(const Quote& q, int period_days);

// Offers a renewal: `renewal.quotes` are the next period of the renewable
// quotes, priced by the caller (ids, prices and period set; status and
// timestamps are set here). One renewal_offered event per renewed quote.
// When a renewal is already pending it stands: nothing changes and no event
// is recorded (the caller answers with the pending one).
Result<std::vector<LedgerEvent>> ApplyRenewalQuote(QuotePackage& pkg, PendingRenewal renewal,
                                                   Micros now);

// Confirms the pending renewal `renewal_id` (NotFound when it is not the one
// pending): `pkg` becomes RENEWED (its renewed quotes too) and `next` — a new
// package `next_id` with the same partner, customer and policyholder — holds
// the next period, CONFIRMED. One renewed event per quote of `next`.
struct RenewalOutcome {
  QuotePackage next;
  std::vector<LedgerEvent> events;
};
Result<RenewalOutcome> ApplyRenewal(QuotePackage& pkg, std::string_view renewal_id,
                                    std::string next_id, std::string next_security_token,
                                    Micros now);

// The renewal opt-out: the customer declines to renew. Recorded like the
// offer opt-out: one renewal_opted_out event per renewable quote (those of
// the pending renewal when one was offered, which is dropped), and nothing on
// a repeat. Invalid (naming the status) unless CheckRenewable passes.
Result<std::vector<LedgerEvent>> ApplyRenewalOptOut(QuotePackage& pkg, Micros now);

// The date a booking's renewal falls due, shown as `next_renewal`: the end
// of `q`'s cover period when `q` is a confirmed quote of a renewable product
// in a CONFIRMED booking whose customer has not declined to renew; nullopt
// otherwise (not booked, not renewable, already RENEWED, cancelled, declined,
// expired).
std::optional<Micros> NextRenewal(const QuotePackage& pkg, const Quote& q);

// When the current cover period of a renewable booking ends: the earliest
// end of its confirmed renewable quotes while it is CONFIRMED and its
// renewal has not expired; nullopt otherwise.
std::optional<Micros> RenewalPeriodEnd(const QuotePackage& pkg);

// What the renewal sweep still has to do for `pkg`, as the store indexes it
// (packages.renewal_due_at / renewal_expires_at): the period end while a
// RENEWAL_DUE is still to send for it (not sent for this period, renewal not
// declined), and the period end while the expiry is still to record.
std::optional<Micros> RenewalDueAt(const QuotePackage& pkg);
std::optional<Micros> RenewalExpiresAt(const QuotePackage& pkg);

// The renewal sweep at `now`, with RENEWAL_DUE sent `notice` before the
// period ends:
// - kExpired when the period has ended (no renewal was confirmed: the
//   booking would be RENEWED): renewal_expired_at = now, a pending renewal
//   is dropped, and the booking can no longer be renewed (CheckRenewable);
// - else kDue when the period ends within `notice`, the customer has not
//   declined to renew and no RENEWAL_DUE was sent for this period:
//   renewal_due_sent_for = the period end;
// - else kNone, and nothing changes. Once per period each: a repeat is kNone.
enum class RenewalNotice { kNone, kDue, kExpired };
RenewalNotice ApplyRenewalSweep(QuotePackage& pkg, Micros now, Micros notice);

// Only RECEIVED packages may be re-priced, extended or trimmed.
Status CheckModifiable(const QuotePackage& pkg);

}  // namespace offerledger
