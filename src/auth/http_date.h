// The HTTP `Date` header (RFC 7231 section 7.1.1.1). XCover signs it, and the
// verifier uses it as the replay guard, so it must parse exactly one way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace offerledger {

// Parses the preferred IMF-fixdate "Thu, 04 Nov 2021 18:07:11 GMT" (day
// zero-padded, always GMT), and, because RFC 7231 asks recipients to, the
// obsolete RFC 850 "Thursday, 04-Nov-21 18:07:11 GMT" (two-digit years
// 70-99 are 19xx, 00-69 are 20xx) and asctime "Thu Nov  4 18:07:11 2021".
// Out-of-range fields, other zones and trailing text give nullopt. The weekday
// must be a valid name but is not checked against the date (harmless: the
// string is signed exactly as sent). Second 60 (a leap second) is accepted.
std::optional<Micros> ParseHttpDate(std::string_view text);

// IMF-fixdate for `t`, sub-second part dropped: "Thu, 04 Nov 2021 18:07:11 GMT".
std::string FormatHttpDate(Micros t);

}  // namespace offerledger
