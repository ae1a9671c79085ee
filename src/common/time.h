// Time is UTC, held as microseconds since the Unix epoch. These helpers
// format and parse the two textual forms the API uses: ISO 8601 / RFC 3339
// timestamps in JSON bodies, and civil dates for reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace offerledger {

using Micros = std::int64_t;  // microseconds since 1970-01-01T00:00:00Z

// The wall clock, in microseconds.
Micros NowMicros();

// "2021-10-01T06:34:53.937708Z" (always six fractional digits, as XCover does).
std::string FormatIsoMicros(Micros t);
// "2021-10-02T00:03:25+00:00" (whole seconds, explicit offset: policy dates).
std::string FormatIsoOffset(Micros t);
// "2021-10-02" (UTC calendar day).
std::string FormatDate(Micros t);

// Parses RFC 3339 / ISO 8601 date-times: "2021-10-01T00:29:29Z",
// "2021-10-01T00:29:29.123+02:00", "2021-10-01 00:29:29Z", and a bare date
// "2021-10-01" (midnight UTC). Years 1..9999 only. nullopt when malformed.
std::optional<Micros> ParseIso8601(std::string_view text);

// Days since the epoch for a proleptic Gregorian civil date, and back.
std::int64_t DaysFromCivil(int y, unsigned m, unsigned d);
void CivilFromDays(std::int64_t days, int& y, unsigned& m, unsigned& d);

constexpr Micros kMicrosPerSecond = 1'000'000;
constexpr Micros kMicrosPerDay = 86'400 * kMicrosPerSecond;

}  // namespace offerledger
