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
  std::int64_t opted_out = 0;         // final outcome opted out (not booked later)
  std::int64_t not_selected = 0;
  std::int64_t opt_out_events = 0;    // opt-outs received, including later-booked ones
  std::int64_t cancelled = 0;
  std::int64_t cancelled_cooling_off = 0;
  MinorUnits premium_booked = 0;      // gross written premium: price of booked quotes
  MinorUnits premium_refunded = 0;
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

}  // namespace offerledger
