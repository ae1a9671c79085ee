// Money is exact: integer minor units (pence, cents) of one currency.
// Nothing here uses binary floating point for amounts; rates are fixed-point
// decimals, and a product is rounded once, half away from zero.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace offerledger {

using MinorUnits = std::int64_t;

struct Currency {
  std::string_view code;    // ISO 4217, "GBP"
  int exponent;             // minor-unit digits: 2 for GBP, 0 for JPY
  std::string_view symbol;  // "£", "A$"
};

// The currencies offerledger can price in; nullptr for any other code.
const Currency* FindCurrency(std::string_view code);

// "2.01" / "-0.50" / "1500" (JPY): the amount as a decimal string with exactly
// the currency's number of fraction digits.
std::string FormatDecimal(MinorUnits amount, int exponent);
// FormatDecimal(amount, exponent) appended to `out` (no temporary string).
void AppendDecimal(std::string& out, MinorUnits amount, int exponent);
// "£2.01", "-A$0.50".
std::string FormatMoney(MinorUnits amount, const Currency& currency);

// Parses a decimal string ("100", "100.5", "-0.25") into minor units at
// `exponent`; nullopt when malformed or when it has more fraction digits than
// the currency allows (no silent rounding of input amounts).
std::optional<MinorUnits> ParseDecimal(std::string_view text, int exponent);

// A non-negative fixed-point rate with nine fraction digits ("0.009" is
// 9'000'000): tax rates, premium rates, price multipliers.
struct Rate {
  std::int64_t nanos = 0;  // rate * 1e9
  static constexpr std::int64_t kOne = 1'000'000'000;
  bool operator==(const Rate&) const = default;
};
std::optional<Rate> ParseRate(std::string_view text);
std::string FormatRate(Rate r);  // shortest exact decimal: "0.009", "1", "1.25"

// amount * rate, rounded once, half away from zero.
MinorUnits ApplyRate(MinorUnits amount, Rate rate);
// amount * num / den, rounded once, half away from zero (den > 0).
MinorUnits MulDivRound(MinorUnits amount, std::int64_t num, std::int64_t den);

}  // namespace offerledger
