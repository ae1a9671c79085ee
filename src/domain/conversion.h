// Conversion: what happened to each offered quote, and the daily roll-ups
// that conversion reports are answered from. Pure logic, no I/O.
//
// Every offered quote has one current OUTCOME, decided by the ledger events
// about it (the last one wins):
//   offered / repriced -> kPending      (no answer yet)
//   opted_out          -> kOptedOut
//   not_selected       -> kNotSelected  (its package was booked without it)
//   booked             -> kBooked       (also after an earlier opt-out)
//   withdrawn          -> kWithdrawn    (removed from the offer: not an offer any more)
//   cancelled          -> kBooked stays; cancellations are counted separately
//   renewal_offered, renewed, renewal_opted_out -> unchanged (a renewal is
//                         not the first offer; it is counted on its own:
//                         RenewalDelta below)
//   payment_pending    -> unchanged     (a booking awaiting payment is not a sale yet)
//   modified           -> unchanged     (a booked offer's premium counts at its new price)
//   instalment         -> unchanged     (a payment of a booking)
// Outcomes are attributed to the offer's COHORT: the UTC day the quote was
// first offered, with the partner, product, price band, customer country and
// currency of the offer as it stands (a re-price moves it to its new band).
// A roll-up row holds the counts of one cohort day and group; a change of
// outcome moves one offer from one counter to another in the same
// transaction that appends the event, so reports never scan the events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ledger_event.h"
#include "domain/money.h"

namespace offerledger {

enum class OfferOutcome { kPending, kOptedOut, kNotSelected, kBooked, kWithdrawn };

// The group an offer is counted in.
struct RollupKey {
  std::int64_t day = 0;  // cohort: days since 1970-01-01 (UTC) of the first offer
  std::string partner;
  std::string policy_type;
  std::string price_band;  // label from PriceBands, e.g. "5-10"
  std::string country;     // customer country ("" when unknown)
  std::string currency;
  bool operator==(const RollupKey&) const = default;
};

// Additive counters of one roll-up row. Every field is a sum, so rows of any
// grouping can be added together.
struct RollupCounts {
  std::int64_t packages_offered = 0;  // each package once, in the group of its first quote
  std::int64_t quotes_offered = 0;    // offers not withdrawn
  std::int64_t pending = 0;           // offered, no answer yet
  std::int64_t booked = 0;
  std::int64_t opted_out = 0;  // final outcome opted out (not booked later)
  std::int64_t not_selected = 0;
  std::int64_t opt_out_events = 0;  // opt-outs received, including later-booked ones
  std::int64_t cancelled = 0;
  std::int64_t cancelled_cooling_off = 0;
  MinorUnits premium_booked = 0;  // gross written premium: price of booked quotes
  MinorUnits premium_refunded = 0;
  // Renewals (schema v8), counted per event in the group of the renewal
  // offer (see ApplyToOffer): renewal_offered, renewed and
  // renewal_opted_out events.
  std::int64_t renewal_offers = 0;
  std::int64_t renewals = 0;
  std::int64_t renewal_opt_outs = 0;
  bool operator==(const RollupCounts&) const = default;
  RollupCounts& operator+=(const RollupCounts& o);
};

struct RollupRow {
  RollupKey key;
  RollupCounts counts;
};

// Price band edges in minor units, ascending: {500, 1000, 2000} gives the
// bands "0-5", "5-10", "10-20", "20+" (labels in major units).
struct PriceBands {
  std::vector<MinorUnits> edges;
  std::string Label(MinorUnits price, int exponent) const;
};

// What the reports read: roll-up rows of cohort days [from_day, to_day),
// optionally of one partner.
struct RollupFilter {
  std::int64_t from_day = 0;
  std::int64_t to_day = 0;
  std::optional<std::string> partner;
};

// 95% Wilson score interval of `successes` out of `trials` (z = 1.959964).
// {0, 0} when trials == 0.
struct Interval {
  double low = 0;
  double high = 0;
};
Interval WilsonInterval(std::int64_t successes, std::int64_t trials);

// ---------------------------------------------------------------------------
// The outcome rules as pure functions: the store's incremental roll-ups and
// its recount from the events both apply exactly these.

std::string_view OfferOutcomeName(OfferOutcome o);  // "pending", "opted_out", ...
std::optional<OfferOutcome> ParseOfferOutcome(std::string_view s);

// The outcome of an offer after an event of `kind` about it (the comment at
// the top of this file): offered/repriced -> kPending, opted_out ->
// kOptedOut, not_selected -> kNotSelected, booked -> kBooked, withdrawn ->
// kWithdrawn, cancelled, payment_pending and modified -> `before` (a
// cancelled booking stays booked; an unpaid one stays pending).
OfferOutcome OutcomeAfter(OfferOutcome before, EventKind kind);

// What one offer contributes to the row of its group: quotes_offered (unless
// withdrawn), one outcome counter (pending, booked, opted_out or
// not_selected; nothing when withdrawn), premium_booked = price when booked,
// and packages_offered = 1 when it is the offer that counts its package (the
// package's first offered quote; it keeps counting the package even when
// withdrawn: the package was offered).
RollupCounts OfferContribution(OfferOutcome outcome, MinorUnits price, bool counts_package);

// The change of an offer's contribution when its outcome goes from `before`
// to `after` (same group, same price): OfferContribution(after) -
// OfferContribution(before).
RollupCounts OutcomeDelta(OfferOutcome before, OfferOutcome after, MinorUnits price,
                          bool counts_package);

// Counters an event adds by itself, whatever the outcome: opt_out_events for
// opted_out; cancelled, cancelled_cooling_off (data_json has
// "within_cooling_off": true) and premium_refunded (+= amount) for cancelled;
// renewal_offers, renewals, renewal_opt_outs for the renewal events.
RollupCounts EventCounts(const LedgerEvent& e);

// renewal_offered, renewed, renewal_opted_out.
bool IsRenewalEvent(EventKind kind);

// Does the event move the offer to the group and price it carries
// (offered, repriced)? Other events leave the offer where it is.
bool EventSetsGroup(EventKind kind);

// Field-wise negation and difference of counters.
RollupCounts Negated(const RollupCounts& c);
RollupCounts operator-(const RollupCounts& a, const RollupCounts& b);
RollupCounts operator+(const RollupCounts& a, const RollupCounts& b);
bool IsZero(const RollupCounts& c);

// The cohort time of an event: offered_at, or `at` when offered_at is 0.
Micros CohortTime(const LedgerEvent& e);
// Days since 1970-01-01 (UTC) of `t` (floor division: correct before 1970 too).
std::int64_t DayOf(Micros t);

// Key order: day, partner, policy_type, price_band, country, currency.
bool operator<(const RollupKey& a, const RollupKey& b);

// One offered quote as the roll-ups see it: its group, price and outcome.
struct OfferState {
  RollupKey key;  // key.day: the cohort, fixed at the first offer
  std::string package_id;
  MinorUnits price = 0;
  OfferOutcome outcome = OfferOutcome::kPending;
  bool counts_package = false;  // the package's first offer: carries packages_offered
  bool operator==(const OfferState&) const = default;
};

// A change to add to one roll-up row.
struct RollupDelta {
  RollupKey key;
  RollupCounts counts;
};

struct OfferChange {
  // nullopt: the event is not about a known offer; its deltas (a renewal
  // event's) count all the same.
  std::optional<OfferState> after;
  std::vector<RollupDelta> deltas;  // non-zero changes only, at most two rows
};

// What event `e` does to the offer of its quote (`before`: its state so far,
// nullopt when the quote has not been offered). `package_counted`: some offer
// of e.package_id already carries packages_offered (read for a first offer
// only).
// - a first `offered`: a new pending offer in the group of the event (cohort
//   day DayOf(CohortTime(e)), e.price_band, e.customer_country, ...), counting
//   its package unless package_counted;
// - a renewal event (IsRenewalEvent) leaves the offer as it is (`after` =
//   `before`, nullopt too) and adds its EventCounts to the row of its own
//   group: cohort day DayOf(CohortTime(e)) -- the day the renewal was
//   offered, which its renewed and renewal_opted_out events carry too -- and
//   the event's partner, product, band, country and currency. A renewal is
//   thus counted like an offer of its own, never as the first offer's
//   outcome;
// - any other event about an unknown quote changes nothing;
// - otherwise the outcome becomes OutcomeAfter(before, e.kind); offered and
//   repriced move the offer to the event's group and price (the cohort day
//   stays), booked takes the event's price; the offer's old contribution
//   leaves its old row, the new one and EventCounts(e) go to its new row.
OfferChange ApplyToOffer(const std::optional<OfferState>& before, const LedgerEvent& e,
                         bool package_counted);

}  // namespace offerledger
