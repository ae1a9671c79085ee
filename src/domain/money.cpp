#include "domain/money.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>

namespace offerledger {

namespace {

constexpr std::array kCurrencies = {
    Currency{"GBP", 2, "£"},  Currency{"EUR", 2, "€"},   Currency{"USD", 2, "$"},
    Currency{"AUD", 2, "A$"}, Currency{"NZD", 2, "NZ$"}, Currency{"CAD", 2, "CA$"},
    Currency{"SGD", 2, "S$"}, Currency{"HKD", 2, "HK$"}, Currency{"CHF", 2, "CHF "},
    Currency{"SEK", 2, "SEK "}, Currency{"NOK", 2, "NOK "}, Currency{"DKK", 2, "DKK "},
    Currency{"JPY", 0, "¥"},  Currency{"INR", 2, "₹"},   Currency{"BRL", 2, "R$"},
    Currency{"MXN", 2, "MX$"}, Currency{"ZAR", 2, "R"},
};

// GCC/Clang's 128-bit integer: room for amount * rate without overflow.
__extension__ typedef __int128 Int128;

std::int64_t Pow10(int e) {
  std::int64_t p = 1;
  for (int i = 0; i < e; ++i) p *= 10;
  return p;
}

}  // namespace

const Currency* FindCurrency(std::string_view code) {
  for (const auto& c : kCurrencies) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

namespace {

// Exponents beyond 18 mean nothing here: 10^19 does not fit in 64 bits.
constexpr int kMaxExponent = 18;

// Room for the text of any magnitude with any exponent up to kMaxExponent:
// 20 digits, a point, up to 18 zeros before them, a sign.
constexpr std::size_t kDecimalBuf = 48;

// The decimal text of `mag` with `exponent` fraction digits, written
// backwards so as to end at `end`; returns where it starts.
char* WriteUnsignedDecimal(char* end, std::uint64_t mag, int exponent) {
  exponent = std::min(exponent, kMaxExponent);
  char* p = end;
  for (int i = 0; i < exponent; ++i) {
    *--p = static_cast<char>('0' + mag % 10);
    mag /= 10;
  }
  if (exponent > 0) *--p = '.';
  do {
    *--p = static_cast<char>('0' + mag % 10);
    mag /= 10;
  } while (mag != 0);
  return p;
}

std::uint64_t Magnitude(MinorUnits amount) {
  // In unsigned, so that INT64_MIN has one too.
  return amount < 0 ? ~static_cast<std::uint64_t>(amount) + 1 : static_cast<std::uint64_t>(amount);
}

}  // namespace

void AppendDecimal(std::string& out, MinorUnits amount, int exponent) {
  char buf[kDecimalBuf];
  char* end = buf + sizeof buf;
  char* p = WriteUnsignedDecimal(end, Magnitude(amount), exponent);
  if (amount < 0) *--p = '-';
  out.append(p, end);
}

std::string FormatDecimal(MinorUnits amount, int exponent) {
  std::string out;
  AppendDecimal(out, amount, exponent);
  return out;
}

std::string FormatMoney(MinorUnits amount, const Currency& currency) {
  char buf[kDecimalBuf];
  char* end = buf + sizeof buf;
  char* digits = WriteUnsignedDecimal(end, Magnitude(amount), currency.exponent);
  std::string out;
  out.reserve(1 + currency.symbol.size() + static_cast<std::size_t>(end - digits));
  if (amount < 0) out += '-';
  out += currency.symbol;
  out.append(digits, end);
  return out;
}

std::optional<MinorUnits> ParseDecimal(std::string_view s, int exponent) {
  if (exponent < 0 || exponent > 18) return std::nullopt;
  std::size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    neg = s[i] == '-';
    ++i;
  }
  auto is_digit = [&](std::size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
  // Accumulate in 128 bits and check against INT64_MAX at every step: no
  // signed overflow whatever the input.
  Int128 whole = 0;
  std::size_t whole_digits = 0;
  for (; is_digit(i); ++i, ++whole_digits) {
    whole = whole * 10 + (s[i] - '0');
    if (whole > INT64_MAX) return std::nullopt;
  }
  if (whole_digits == 0) return std::nullopt;  // "", "-", ".5"
  Int128 frac = 0;
  int frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t seen = 0;
    for (; is_digit(i); ++i, ++seen) {
      if (frac_digits == exponent) {
        if (s[i] != '0') return std::nullopt;  // more precision than the currency has
        continue;
      }
      frac = frac * 10 + (s[i] - '0');
      ++frac_digits;
    }
    if (seen == 0) return std::nullopt;  // "1."
  }
  if (i != s.size()) return std::nullopt;
  const Int128 v = whole * Pow10(exponent) + frac * Pow10(exponent - frac_digits);
  if (v > INT64_MAX) return std::nullopt;
  return static_cast<MinorUnits>(neg ? -v : v);
}

std::optional<Rate> ParseRate(std::string_view s) {
  auto v = ParseDecimal(s, 9);
  if (!v || *v < 0) return std::nullopt;
  return Rate{*v};
}

std::string FormatRate(Rate r) {
  std::string s = FormatDecimal(r.nanos, 9);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

MinorUnits MulDivRound(MinorUnits amount, std::int64_t num, std::int64_t den) {
  const Int128 p = static_cast<Int128>(amount) * num;
  Int128 q = p / den;
  const Int128 r = p % den;
  // Half away from zero: compare twice the remainder with the divisor.
  if (2 * (r < 0 ? -r : r) >= den) q += (p < 0) ? -1 : 1;
  return static_cast<MinorUnits>(q);
}

MinorUnits ApplyRate(MinorUnits amount, Rate rate) {
  return MulDivRound(amount, rate.nanos, Rate::kOne);
}

}  // namespace offerledger
