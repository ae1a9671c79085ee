#include "domain/money.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace offerledger {
namespace {

TEST(Currency, FindsKnownCodesOnly) {
  ASSERT_NE(FindCurrency("GBP"), nullptr);
  EXPECT_EQ(FindCurrency("GBP")->exponent, 2);
  EXPECT_EQ(FindCurrency("JPY")->exponent, 0);
  EXPECT_EQ(FindCurrency("AUD")->symbol, "A$");
  EXPECT_EQ(FindCurrency("gbp"), nullptr);
  EXPECT_EQ(FindCurrency("XYZ"), nullptr);
  EXPECT_EQ(FindCurrency(""), nullptr);
}

TEST(ParseDecimal, AcceptsPlainDecimals) {
  EXPECT_EQ(ParseDecimal("100", 2), 10000);
  EXPECT_EQ(ParseDecimal("100.5", 2), 10050);
  EXPECT_EQ(ParseDecimal("100.05", 2), 10005);
  EXPECT_EQ(ParseDecimal("-0.25", 2), -25);
  EXPECT_EQ(ParseDecimal("0", 2), 0);
  EXPECT_EQ(ParseDecimal("-0", 2), 0);
  EXPECT_EQ(ParseDecimal("007.10", 2), 710);
  EXPECT_EQ(ParseDecimal("1500", 0), 1500);
  EXPECT_EQ(ParseDecimal("0.009", 9), 9'000'000);
}

TEST(ParseDecimal, TrailingZerosBeyondTheExponentAreExact) {
  EXPECT_EQ(ParseDecimal("1.000", 2), 100);
  EXPECT_EQ(ParseDecimal("1500.00", 0), 1500);
}

TEST(ParseDecimal, RefusesMorePrecisionThanTheCurrency) {
  EXPECT_EQ(ParseDecimal("1.005", 2), std::nullopt);
  EXPECT_EQ(ParseDecimal("1.5", 0), std::nullopt);
  EXPECT_EQ(ParseDecimal("0.0000000001", 9), std::nullopt);
}

TEST(ParseDecimal, RefusesMalformedText) {
  for (const char* s : {"", "-", "+", ".", "1.", ".5", "-.5", "1..2", "1.2.3", "1e2", " 1", "1 ",
                        "0x10", "1,00", "--1", "abc", "1a", "NaN", "inf"}) {
    EXPECT_EQ(ParseDecimal(s, 2), std::nullopt) << '"' << s << '"';
  }
}

TEST(ParseDecimal, RefusesOverflowInsteadOfWrapping) {
  // 92233720368547758.07 is INT64_MAX minor units: the largest that fits.
  EXPECT_EQ(ParseDecimal("92233720368547758.07", 2), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ParseDecimal("92233720368547758.08", 2), std::nullopt);
  EXPECT_EQ(ParseDecimal("92233720368547759", 2), std::nullopt);
  EXPECT_EQ(ParseDecimal("99999999999999999999999", 2), std::nullopt);
  // Rates have 9 digits: just above the old guard's limit used to overflow.
  EXPECT_EQ(ParseDecimal("9223372039", 9), std::nullopt);
  EXPECT_EQ(ParseDecimal("9223372036", 9), 9'223'372'036'000'000'000);
}

TEST(FormatDecimal, PadsTheFraction) {
  EXPECT_EQ(FormatDecimal(201, 2), "2.01");
  EXPECT_EQ(FormatDecimal(5, 2), "0.05");
  EXPECT_EQ(FormatDecimal(0, 2), "0.00");
  EXPECT_EQ(FormatDecimal(-50, 2), "-0.50");
  EXPECT_EQ(FormatDecimal(1500, 0), "1500");
  EXPECT_EQ(FormatDecimal(std::numeric_limits<std::int64_t>::min(), 2), "-92233720368547758.08");
}

// The formatting before it was hand-rolled (std::to_string of the integer
// and fraction parts), kept as the reference the new one must equal.
std::string ReferenceDecimal(MinorUnits amount, int exponent) {
  const bool neg = amount < 0;
  const std::uint64_t mag = neg ? ~static_cast<std::uint64_t>(amount) + 1 : amount;
  std::uint64_t scale = 1;
  for (int i = 0; i < exponent; ++i) scale *= 10;
  std::string out = neg ? "-" : "";
  out += std::to_string(mag / scale);
  if (exponent > 0) {
    std::string frac = std::to_string(mag % scale);
    out += '.';
    out.append(static_cast<std::size_t>(exponent) - frac.size(), '0');
    out += frac;
  }
  return out;
}

TEST(FormatDecimal, EqualsTheReferenceForEveryExponent) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::vector<std::int64_t> amounts = {0,   1,    -1,    9,      10,   -10,  99,       100,     101,
                                       999, 1000, -1000, 123456, kMin, kMax, kMin + 1, kMax - 1};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const auto v = static_cast<std::int64_t>(rng());
    amounts.push_back(v);
    amounts.push_back(v >> (i % 63));  // every magnitude
  }
  for (int exponent = 0; exponent <= 18; ++exponent) {
    for (const std::int64_t a : amounts) {
      ASSERT_EQ(FormatDecimal(a, exponent), ReferenceDecimal(a, exponent)) << a << " e" << exponent;
      std::string appended = "x";
      AppendDecimal(appended, a, exponent);
      ASSERT_EQ(appended.substr(0, 1), "x");  // appended, not replaced
      ASSERT_EQ(appended.substr(1), ReferenceDecimal(a, exponent));
    }
  }
}

TEST(FormatMoney, EqualsSignSymbolDigits) {
  for (const char* code : {"GBP", "JPY", "CHF", "NZD"}) {
    const Currency& c = *FindCurrency(code);
    for (const std::int64_t a :
         {std::int64_t{0}, std::int64_t{7}, std::int64_t{-7}, std::int64_t{123456789},
          std::numeric_limits<std::int64_t>::min()}) {
      const std::string digits = ReferenceDecimal(a, c.exponent);
      std::string expected = a < 0 ? "-" : "";
      expected += c.symbol;
      expected += a < 0 ? digits.substr(1) : digits;
      EXPECT_EQ(FormatMoney(a, c), expected) << code << " " << a;
    }
  }
}

TEST(FormatMoney, PutsTheSignBeforeTheSymbol) {
  EXPECT_EQ(FormatMoney(201, *FindCurrency("GBP")), "£2.01");
  EXPECT_EQ(FormatMoney(-50, *FindCurrency("AUD")), "-A$0.50");
  EXPECT_EQ(FormatMoney(1500, *FindCurrency("JPY")), "¥1500");
  EXPECT_EQ(FormatMoney(0, *FindCurrency("EUR")), "€0.00");
}

TEST(Rate, ParsesAndFormats) {
  EXPECT_EQ(ParseRate("0.12")->nanos, 120'000'000);
  EXPECT_EQ(ParseRate("1")->nanos, Rate::kOne);
  EXPECT_EQ(ParseRate("-0.1"), std::nullopt);
  EXPECT_EQ(ParseRate("0.0000000001"), std::nullopt);
  EXPECT_EQ(FormatRate(Rate{9'000'000}), "0.009");
  EXPECT_EQ(FormatRate(Rate{Rate::kOne}), "1");
  EXPECT_EQ(FormatRate(Rate{1'250'000'000}), "1.25");
  EXPECT_EQ(FormatRate(Rate{0}), "0");
}

TEST(Rounding, ApplyRateRoundsHalfAwayFromZero) {
  const Rate twelve_pct{120'000'000};
  EXPECT_EQ(ApplyRate(90, twelve_pct), 11);            // 10.8
  EXPECT_EQ(ApplyRate(79, twelve_pct), 9);             // 9.48
  EXPECT_EQ(ApplyRate(125, Rate{100'000'000}), 13);    // 12.5 -> 13
  EXPECT_EQ(ApplyRate(-125, Rate{100'000'000}), -13);  // -12.5 -> -13, not -12
  EXPECT_EQ(ApplyRate(-124, Rate{100'000'000}), -12);
  EXPECT_EQ(ApplyRate(5, Rate{500'000'000}), 3);  // 2.5 -> 3
  EXPECT_EQ(ApplyRate(-5, Rate{500'000'000}), -3);
  EXPECT_EQ(ApplyRate(10000, Rate{9'000'000}), 90);  // 100.00 * 0.009 = 0.90
  EXPECT_EQ(ApplyRate(0, Rate{Rate::kOne}), 0);
}

TEST(Rounding, MulDivRoundIsExactAndRoundsOnce) {
  EXPECT_EQ(MulDivRound(10, 1, 3), 3);
  EXPECT_EQ(MulDivRound(20, 1, 3), 7);  // 6.67
  EXPECT_EQ(MulDivRound(3, 1, 2), 2);   // 1.5
  EXPECT_EQ(MulDivRound(-3, 1, 2), -2);
  EXPECT_EQ(MulDivRound(1, -3, 2), -2);
  EXPECT_EQ(MulDivRound(-7, 1, 4), -2);  // -1.75
  EXPECT_EQ(MulDivRound(-5, 1, 4), -1);  // -1.25
  // The intermediate product exceeds 64 bits; the result does not.
  const std::int64_t big = 4'000'000'000'000'000'000;
  EXPECT_EQ(MulDivRound(big, 3, 4), 3'000'000'000'000'000'000);
  EXPECT_EQ(MulDivRound(big, 1'000'000'000, 1'000'000'000), big);
}

}  // namespace
}  // namespace offerledger
