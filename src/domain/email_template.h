// Booking emails (docs/emails.md): the events a partner may ask to send
// (POST bookings/{id}/send_email), which booking states each fits, the
// catalog's subject and body templates with their {{placeholders}}, and
// rendering one email for a booking. Pure: no I/O, nothing is sent here.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "domain/quote_package.h"

namespace offerledger {

inline constexpr std::string_view kEmailBookingCreated = "BOOKING_CREATED";  // the default
inline constexpr std::string_view kEmailBookingUpdated = "BOOKING_UPDATED";
inline constexpr std::string_view kEmailBookingCancelled = "BOOKING_CANCELLED";

// Every email event, in the order docs/emails.md lists them.
const std::vector<std::string_view>& EmailEventNames();
bool IsEmailEvent(std::string_view name);
// "BOOKING_CREATED, BOOKING_UPDATED, BOOKING_CANCELLED", for messages.
std::string EmailEventList();

// The placeholders a template may use, "{{policyholder.first_name}}", ...
const std::vector<std::string_view>& EmailPlaceholderNames();

// One event's email: a subject line and a plain-text body with
// {{placeholders}} (spaces inside the braces are allowed). A "{" or "}"
// that is not part of "{{name}}" is literal text.
struct EmailTemplate {
  std::string subject;
  std::string body;
  bool operator==(const EmailTemplate&) const = default;
};

// What is wrong with a template text, or nullopt: an unclosed "{{", an
// empty or unknown placeholder (naming it and listing the known ones).
std::optional<std::string> CheckEmailText(std::string_view text);

using EmailValues = std::map<std::string, std::string, std::less<>>;

// `text` with each placeholder replaced by its value (none: "").
std::string RenderEmailText(std::string_view text, const EmailValues& values);

// The built-in template of `event`, used when the catalog has none for it.
const EmailTemplate& DefaultEmailTemplate(std::string_view event);

// Whether `event` may be sent for `pkg` now. A package that is not a booking
// is refused naming its status; an event that does not fit the booking's
// status is refused as XCover words it: "BOOKING_CANCELLED email can be only
// triggered for CANCELLED bookings." Both kInvalid (422).
Status CheckEmailEvent(const QuotePackage& pkg, std::string_view event);

// The placeholder values of a booking: its policyholder, its first live
// quote (quote.*), its total price, and the partner.
EmailValues BookingEmailValues(const QuotePackage& pkg, std::string_view partner_code,
                               std::string_view partner_name);

struct RenderedEmail {
  std::string recipient;  // the policyholder's email
  std::string subject;    // one line: line breaks become spaces
  std::string body;
};

// The email of `pkg` from `tmpl`. kInvalid when the booking has no
// policyholder email to send it to.
Result<RenderedEmail> RenderBookingEmail(const QuotePackage& pkg, const EmailTemplate& tmpl,
                                         std::string_view partner_code,
                                         std::string_view partner_name);

}  // namespace offerledger
