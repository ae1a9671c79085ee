// LedgerEvent: one append-only row of the ledger. Every state change of a
// quote package writes events; conversion reports and the price optimizer
// read only these, so each event carries everything they need (product,
// price, currency, country, partner) as it was at that moment — never a
// reference to mutable data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"
#include "domain/money.h"

namespace offerledger {

enum class EventKind {
  kOffered,      // a quote was priced and offered (create, add)
  kRepriced,     // an offered quote was re-priced (PATCH): the offer now stands at this price
  kWithdrawn,    // an offered quote was removed from its package (delete)
  kOptedOut,     // the customer declined the package: one event per quote in it
  kBooked,       // the quote was bought
  kNotSelected,  // the package was booked without this quote
  kCancelled,    // a booked quote was cancelled (refund in `amount`)
  // The quote was chosen in a booking that awaits payment
  // (require_payment_confirmation): not a sale yet, the offer stays open
  // until kBooked (payment confirmed).
  kPaymentPending,
  // A booked (or payment-pending) quote was modified after booking: `price`,
  // `premium` and `tax` are the new ones, `amount` the change of the price
  // (new - old, may be negative or 0 for a policyholder-only change).
  kModified,
  // A payment attempt of one instalment was reported: `amount` is the
  // instalment's amount, data {"number", "status"}.
  kInstalment,
  // Renewals (of a CONFIRMED booking of renewable products). The offer of
  // the next period: one per renewed quote, with the renewal's quote id and
  // price; data {"renewal_id", "renewal_of"} (the quote it renews).
  kRenewalOffered,
  // The renewal was confirmed: one per quote of the new period's package,
  // data {"renewal_id", "renewed_from"} (the previous package).
  kRenewed,
  // The customer declined to renew (the renewal opt-out): one per renewable
  // quote, recorded once, like kOptedOut for the first offer.
  kRenewalOptedOut,
  // A booking email was requested (POST bookings/{id}/send_email) and
  // written to the outbox: one per email, on the booking's first booked
  // quote, data {"email_id", "event"}. No outcome changes.
  kEmailRequested,
};

std::string_view EventKindName(EventKind k);  // "offered", "opted_out", ...
std::optional<EventKind> ParseEventKind(std::string_view s);

struct LedgerEvent {
  std::int64_t seq = 0;  // position in the ledger, assigned by the store (0 until stored)
  EventKind kind = EventKind::kOffered;
  Micros at = 0;  // server receive time of the request that caused it
  // When the quote was first offered (its created_at): the cohort its outcome
  // is counted in. 0 means "not known" (the store then takes `at`).
  Micros offered_at = 0;
  std::string partner;
  std::string package_id;
  std::string quote_id;
  std::string policy_type;
  int policy_type_version = 0;
  std::string policy_code;
  MinorUnits price = 0;    // total the customer pays, taxes and fees included
  MinorUnits premium = 0;  // premium without taxes and fees
  MinorUnits tax = 0;      // taxes and fees
  MinorUnits amount = 0;   // kind-specific: refund for kCancelled, else 0
  std::string currency;
  std::string customer_country;
  // Price band label of `price` ("5-10", see domain/conversion.h), set by the
  // service from the catalog's band edges; "" when not known.
  std::string price_band;
  std::int64_t price_multiplier_nanos =
      1'000'000'000;             // the optimizer's choice (1 = catalog price)
  std::string data_json = "{}";  // anything else, as a JSON object
};

}  // namespace offerledger
