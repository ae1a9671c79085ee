// Response rendering: domain objects -> the XCover JSON shapes recorded in
// the reference cassettes (test_quote, test_create_booking,
// test_cancel_booking_with_confirmation, test_list_bookings).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "domain/quote_package.h"
#include "store/store.h"

namespace offerledger {

struct RenderOptions {
  // Public base URL of this server, for pds_url / coi links ("https://host").
  std::string public_url = "http://127.0.0.1:8080";
};

// A quote package as quotes/ answers it: `quotes` is an object keyed "0",
// "1", ... in request order.
std::string RenderQuotePackage(const QuotePackage& pkg, const RenderOptions& opts);

// A booking as bookings/ answers it: `quotes` is an array of the booked
// quotes, plus policyholder, coi and totals.
std::string RenderBooking(const QuotePackage& pkg, const Partner& partner,
                          const RenderOptions& opts);

// The answer to cancel (preview or applied) and confirm_cancellation.
// `refunds` are per quote (same order as pkg.quotes); `cancellation_id` and
// `confirm_before` are set for a preview only.
struct CancellationView {
  std::vector<MinorUnits> refunds;
  std::string cancellation_id;  // empty: not a preview
  Micros confirm_before = 0;
  Micros cancelled_at = 0;
};
std::string RenderCancellation(const QuotePackage& pkg, const Partner& partner,
                               const CancellationView& view, const RenderOptions& opts);

// The booking as quote_for_update (with `update_id`, the booking re-priced
// but not changed) and confirm_update (without) answer it: each quote with
// its price_diff, and total_price_diff. `price_diffs` follow pkg.quotes.
struct UpdateView {
  std::vector<MinorUnits> price_diffs;
  MinorUnits total_price_diff = 0;
  std::string update_id;  // empty: not shown
};
std::string RenderBookingUpdate(const QuotePackage& pkg, const Partner& partner,
                                const UpdateView& update, const RenderOptions& opts);

// GET bookings/{id}/instalments/: {"quotes": [{"id", "next_payment",
// "paid_until", "payment_schedule", "total_amount_paid", "total_amount_due"}],
// "currency"}, for the quotes paid in instalments.
std::string RenderInstalments(const QuotePackage& pkg);

// bookings/?limit=&offset=: {"count", "next", "previous", "results"}.
// `list_url` is the absolute URL of the list without query.
std::string RenderBookingList(const BookingPage& page, const Partner& partner, std::int64_t limit,
                              std::int64_t offset, std::string_view list_url,
                              const RenderOptions& opts);

// {"type": ..., "message": ..., "errors": {...}}
// The answer to quote_for_renewal: the booking's id and status, the
// renewal_id to confirm, and the renewed quotes (the next period, priced).
std::string RenderRenewalQuote(const QuotePackage& pkg, const PendingRenewal& renewal,
                               const RenderOptions& opts);

std::string RenderError(const Status& status);
// The same with the field paths as a tree of message lists, as XCover
// answers booking modifications:
// {"errors": {"policyholder": {"phone": ["..."]}}}
std::string RenderNestedError(const Status& status);
// {"type": ..., "message": "An API error occurred.", "errors": ["<status message>"]},
// as XCover answers send_email.
std::string RenderListError(const Status& status);
int HttpStatusFor(StatusCode code);

}  // namespace offerledger
