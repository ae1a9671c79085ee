// Router: maps a method and raw request target to a partner API route.
// Pure string work, no I/O. Every partner route is served under /x and
// /xcover, with or without a trailing slash.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace offerledger {

enum class RouteKind {
  kHealth,
  kCreateQuote,
  kGetQuote,
  kUpdateQuote,
  kAddQuotes,
  kDeleteQuotes,
  kOptOut,
  kCreateBooking,
  kGetBooking,
  kListBookings,
  kInstantBooking,
  kCancel,
  kConfirmCancellation,
  kQuoteForRenewal,  // PATCH renewals/{id}/quote_for_renewal
  kConfirmRenewal,   // POST renewals/{id}/confirm/{renewal_id} (`sub_id`)
  kRenewalOptOut,    // POST renewals/{id}/opt_out
  kConfirmPayment,           // PUT bookings/{id}/confirm
  kModifyBooking,            // PATCH bookings/{id}/
  kQuoteForUpdate,           // PATCH bookings/{id}/quote_for_update
  kConfirmUpdate,            // POST bookings/{id}/confirm_update/{update_id} (`sub_id`)
  kGetInstalments,           // GET bookings/{id}/instalments
  kRecordInstalments,        // POST bookings/{id}/instalments
  kSendEmail,                // POST bookings/{id}/send_email
  kPartnerConversionReport,  // GET /x/partners/{p}/reports/conversion
  kAdminConversionReport,    // GET /admin/v1/reports/conversion (bearer token)
  kAdminOptimizer,           // GET /admin/v1/optimizer: the live optimizer's arms (bearer token)
  kAdminDashboard,           // GET /admin/dashboard: the dashboard page (no token: the page asks)
  kAdminDashboardAsset,      // GET /admin/dashboard/{file}: its script, style and Chart.js (`id`)
  kNotFound,                 // no such route
  kMethodNotAllowed,         // the path exists; `allow` lists its methods
  kBadPath,                  // malformed percent-encoding or a decoded '/' or NUL in a segment
};

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  std::string partner;  // decoded path segments
  std::string id;
  std::string sub_id;  // cancellation or update id
  std::string path;    // raw path without the query
  std::string query;   // raw query without '?'
  std::string allow;   // for kMethodNotAllowed: "GET, POST"
  bool admin = false;  // under /admin/: behind the admin token, whatever the kind
};

Route MatchRoute(std::string_view method, std::string_view target);

// Reads a non-negative integer query parameter; `fallback` when absent,
// nullopt-like -1 when present but not a number.
long long QueryInt(std::string_view query, std::string_view name, long long fallback);

// The query's name=value pairs, percent-decoded ('+' is a space), in order;
// nullopt when an escape is malformed or decodes to NUL.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

// Whether a route changes state (and so takes an idempotency key).
bool IsWriteRoute(RouteKind kind);
// XCover's two rate-limit classes: quote and booking creation vs the rest.
bool IsQuoteClassRoute(RouteKind kind);

}  // namespace offerledger
