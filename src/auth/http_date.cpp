#include "auth/http_date.h"

#include <array>
#include <cstdio>

namespace offerledger {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A forward-only reader over the date text: every method consumes what it
// matched and returns false on mismatch, so a parse is a chain of &&.
struct Cursor {
  std::string_view s;

  bool Lit(std::string_view lit) {
    if (s.substr(0, lit.size()) != lit) return false;
    s.remove_prefix(lit.size());
    return true;
  }
  // Exactly n ASCII digits (the formats are fixed-width; no signs, no spaces).
  bool Num(std::size_t n, int& out) {
    if (s.size() < n) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    s.remove_prefix(n);
    out = v;
    return true;
  }
  template <std::size_t N>
  bool OneOf(const std::array<std::string_view, N>& names, unsigned& index) {
    for (std::size_t i = 0; i < N; ++i) {
      if (Lit(names[i])) {
        index = static_cast<unsigned>(i);
        return true;
      }
    }
    return false;
  }
  bool Month(unsigned& m) {
    if (!OneOf(kMonths, m)) return false;
    m += 1;
    return true;
  }
  bool Time(int& h, int& mi, int& sec) {
    return Num(2, h) && Lit(":") && Num(2, mi) && Lit(":") && Num(2, sec);
  }
  bool Done() const { return s.empty(); }
};

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int y, unsigned m) {
  static constexpr unsigned kLen[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kLen[m - 1];
}

std::optional<Micros> Assemble(int y, unsigned mo, int d, int h, int mi, int sec) {
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || static_cast<unsigned>(d) > DaysInMonth(y, mo) ||
      h > 23 || mi > 59 || sec > 60) {
    return std::nullopt;
  }
  const std::int64_t days = DaysFromCivil(y, mo, static_cast<unsigned>(d));
  return (days * 86'400 + h * 3600 + mi * 60 + sec) * kMicrosPerSecond;
}

// "Thu, 04 Nov 2021 18:07:11 GMT"
std::optional<Micros> ParseImfFixdate(std::string_view text) {
  Cursor c{text};
  unsigned wd = 0, mo = 0;
  int d = 0, y = 0, h = 0, mi = 0, sec = 0;
  if (c.OneOf(kDays, wd) && c.Lit(", ") && c.Num(2, d) && c.Lit(" ") && c.Month(mo) && c.Lit(" ") &&
      c.Num(4, y) && c.Lit(" ") && c.Time(h, mi, sec) && c.Lit(" GMT") && c.Done()) {
    return Assemble(y, mo, d, h, mi, sec);
  }
  return std::nullopt;
}

// "Thursday, 04-Nov-21 18:07:11 GMT"
std::optional<Micros> ParseRfc850(std::string_view text) {
  Cursor c{text};
  unsigned wd = 0, mo = 0;
  int d = 0, yy = 0, h = 0, mi = 0, sec = 0;
  if (c.OneOf(kLongDays, wd) && c.Lit(", ") && c.Num(2, d) && c.Lit("-") && c.Month(mo) &&
      c.Lit("-") && c.Num(2, yy) && c.Lit(" ") && c.Time(h, mi, sec) && c.Lit(" GMT") && c.Done()) {
    return Assemble(yy < 70 ? 2000 + yy : 1900 + yy, mo, d, h, mi, sec);
  }
  return std::nullopt;
}

// "Thu Nov  4 18:07:11 2021" (day space-padded to two characters)
std::optional<Micros> ParseAsctime(std::string_view text) {
  Cursor c{text};
  unsigned wd = 0, mo = 0;
  int d = 0, y = 0, h = 0, mi = 0, sec = 0;
  if (!(c.OneOf(kDays, wd) && c.Lit(" ") && c.Month(mo) && c.Lit(" "))) return std::nullopt;
  if (!(c.Lit(" ") ? c.Num(1, d) : c.Num(2, d))) return std::nullopt;
  if (c.Lit(" ") && c.Time(h, mi, sec) && c.Lit(" ") && c.Num(4, y) && c.Done()) {
    return Assemble(y, mo, d, h, mi, sec);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Micros> ParseHttpDate(std::string_view text) {
  // The three formats are told apart by their fixed punctuation, so trying
  // each in turn is unambiguous.
  if (auto t = ParseImfFixdate(text)) return t;
  if (auto t = ParseRfc850(text)) return t;
  return ParseAsctime(text);
}

std::string FormatHttpDate(Micros t) {
  std::int64_t days = t / kMicrosPerDay;
  Micros rem = t % kMicrosPerDay;
  if (rem < 0) {  // floor division, so times before 1970 format correctly
    rem += kMicrosPerDay;
    --days;
  }
  int y = 0;
  unsigned mo = 0, d = 0;
  CivilFromDays(days, y, mo, d);
  const std::int64_t secs = rem / kMicrosPerSecond;
  // 1970-01-01 was a Thursday (index 4); ((x % 7) + 7) % 7 handles negatives.
  const auto wd = static_cast<std::size_t>(((days + 4) % 7 + 7) % 7);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[wd].data(), d,
                kMonths[mo - 1].data(), y, static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

}  // namespace offerledger
