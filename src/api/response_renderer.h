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

// bookings/?limit=&offset=: {"count", "next", "previous", "results"}.
// `list_url` is the absolute URL of the list without query.
std::string RenderBookingList(const BookingPage& page, const Partner& partner, std::int64_t limit,
                              std::int64_t offset, std::string_view list_url,
                              const RenderOptions& opts);

// {"type": ..., "message": ..., "errors": {...}}
std::string RenderError(const Status& status);
int HttpStatusFor(StatusCode code);

}  // namespace offerledger
