// Request decoding: XCover JSON request bodies -> plain request structs.
// Shapes are checked here (unknown keys, types, required members); product
// fields are left as JSON objects for the catalog to validate and price.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/result.h"
#include "domain/instalments.h"

namespace offerledger {

// Parses a request body. Empty => null. Invalid JSON, nesting deeper than 64
// or a body that is not valid UTF-8 => BadRequest with the parser's reason.
Result<boost::json::value> ParseJsonBody(std::string_view body);

// POST quotes/ and POST instant_booking/.
struct CreatePackageRequest {
  std::string currency;  // empty: the catalog's default
  std::string customer_country;
  std::string customer_region;
  std::string customer_language;
  std::optional<std::string> partner_transaction_id;
  std::vector<boost::json::object> quote_requests;
  std::string policyholder_json;  // instant booking only (validated, canonical)
};
Result<CreatePackageRequest> DecodeCreatePackage(const boost::json::value& body,
                                                 bool instant_booking);

// PATCH quotes/{id}/: {"currency": "AUD", "request": [{"quote_id": ..., fields...}]}
struct QuoteUpdate {
  std::string quote_id;
  boost::json::object fields;  // the product fields to replace
};
struct UpdatePackageRequest {
  std::optional<std::string> currency;
  std::optional<std::string> customer_country;
  std::optional<std::string> partner_transaction_id;
  std::vector<QuoteUpdate> updates;
};
Result<UpdatePackageRequest> DecodeUpdatePackage(const boost::json::value& body);

// POST quotes/{id}/add/: {"request": [quote requests]}
Result<std::vector<boost::json::object>> DecodeAddQuotes(const boost::json::value& body);

// POST quotes/{id}/delete/: {"quotes": [{"id": ...}]}
Result<std::vector<std::string>> DecodeQuoteIds(const boost::json::value& body);

// POST bookings/{id}/: {"quotes": [{"id": ...}], "policyholder": {...}}
struct BookingRequest {
  std::vector<std::string> quote_ids;
  std::string policyholder_json;  // validated, canonical: every known member present
  std::optional<std::string> partner_transaction_id;
  // The package waits in PENDING_PAYMENT for PUT bookings/{id}/confirm.
  bool require_payment_confirmation = false;
  // quotes[i].instalment_plan, parallel to quote_ids ("" = none).
  std::vector<std::string> instalment_plans;
};
Result<BookingRequest> DecodeBooking(const boost::json::value& body);

// PATCH bookings/{id}/: {"policyholder": {the members to change}}. The
// members are merged into the booking's policyholder by the service, which
// validates the result with DecodePolicyholder.
struct BookingModification {
  boost::json::object policyholder;  // the given members only
  std::optional<std::string> partner_transaction_id;
};
Result<BookingModification> DecodeBookingModification(const boost::json::value& body);

// PATCH bookings/{id}/quote_for_update:
// {"quotes": [{"id": ..., "update_fields": {product fields to replace}}]}
Result<std::vector<QuoteUpdate>> DecodeQuoteForUpdate(const boost::json::value& body);

// POST bookings/{id}/instalments/: {"quotes": [{"id", "instalment_number",
// "payment_status": "PAID" | "FAILED", "payment_attempted_date"}]}; a
// missing date is `now`.
Result<std::vector<InstalmentReport>> DecodeInstalmentReports(const boost::json::value& body,
                                                              Micros now);

// POST bookings/{id}/cancel: {} or {"preview": true}
struct CancelRequest {
  bool preview = false;
};
Result<CancelRequest> DecodeCancel(const boost::json::value& body);

// The policyholder object: first_name, last_name and email required; the
// other XCover members optional. Returns the canonical JSON object text.
Result<std::string> DecodePolicyholder(const boost::json::value& v, const std::string& path);

// Opt-out and confirmations take no payload: absent, null or an object.
Status CheckEmptyPayload(const boost::json::value& body);

// POST bookings/{id}/send_email: no payload, {} or null (BOOKING_CREATED), or
// {"event": "..."}. Returns the event's name; whether the catalog knows it
// and it fits the booking is the service's to say. An unexpected member or a
// non-string event is kInvalid (XCover answers those with its list-shaped
// 422), a body that is not an object kBadRequest.
Result<std::string> DecodeEmailEvent(const boost::json::value& body);

}  // namespace offerledger
