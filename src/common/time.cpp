#include "common/time.h"

#include <cctype>
#include <chrono>
#include <cstdio>

namespace offerledger {

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Howard Hinnant's civil-calendar algorithms (public domain), valid for the
// whole proleptic Gregorian calendar.
std::int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void CivilFromDays(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0));
}

namespace {

struct Split {
  int y;
  unsigned mo, d, h, mi, s;
  std::int64_t us;
};

Split SplitMicros(Micros t) {
  std::int64_t days = t / kMicrosPerDay;
  Micros rem = t % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    --days;
  }
  Split out{};
  CivilFromDays(days, out.y, out.mo, out.d);
  const std::int64_t secs = rem / kMicrosPerSecond;
  out.us = rem % kMicrosPerSecond;
  out.h = static_cast<unsigned>(secs / 3600);
  out.mi = static_cast<unsigned>((secs / 60) % 60);
  out.s = static_cast<unsigned>(secs % 60);
  return out;
}

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

namespace {

// `n` decimal digits of v, zero-padded, at p; returns the end.
char* PutDigits(char* p, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + n;
}

// printf does these fixed-width fields at a few hundred ns per call, and a
// quote package has a dozen timestamps. Years 0-9999 (four digits: all real
// ones) are written by hand; others keep the printf formatting.
bool FourDigitYear(const Split& p) { return p.y >= 0 && p.y <= 9999; }

// "YYYY-MM-DD" at p; returns the end.
char* PutDate(char* p, const Split& s) {
  p = PutDigits(p, static_cast<std::uint64_t>(s.y), 4);
  *p++ = '-';
  p = PutDigits(p, s.mo, 2);
  *p++ = '-';
  return PutDigits(p, s.d, 2);
}

// "YYYY-MM-DDTHH:MM:SS" at p; returns the end.
char* PutDateTime(char* p, const Split& s) {
  p = PutDate(p, s);
  *p++ = 'T';
  p = PutDigits(p, s.h, 2);
  *p++ = ':';
  p = PutDigits(p, s.mi, 2);
  *p++ = ':';
  return PutDigits(p, s.s, 2);
}

}  // namespace

std::string FormatIsoMicros(Micros t) {
  const Split p = SplitMicros(t);
  char buf[40];
  if (FourDigitYear(p)) {
    char* e = PutDateTime(buf, p);
    *e++ = '.';
    e = PutDigits(e, static_cast<std::uint64_t>(p.us), 6);
    *e++ = 'Z';
    return std::string(buf, e);
  }
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u.%06lldZ", p.y, p.mo, p.d, p.h, p.mi,
                p.s, static_cast<long long>(p.us));
  return buf;
}

std::string FormatIsoOffset(Micros t) {
  const Split p = SplitMicros(t);
  char buf[40];
  if (FourDigitYear(p)) {
    char* e = PutDateTime(buf, p);
    for (const char c : std::string_view("+00:00")) *e++ = c;
    return std::string(buf, e);
  }
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u+00:00", p.y, p.mo, p.d, p.h, p.mi,
                p.s);
  return buf;
}

std::string FormatDate(Micros t) {
  const Split p = SplitMicros(t);
  char buf[16];
  if (FourDigitYear(p)) return std::string(buf, PutDate(buf, p));
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", p.y, p.mo, p.d);
  return buf;
}

std::optional<Micros> ParseIso8601(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d)) {
    return std::nullopt;
  }
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return std::nullopt;
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDaysIn[mo - 1] || (mo == 2 && d == 29 && !leap)) return std::nullopt;
  std::int64_t us = 0;
  std::int64_t offset_seconds = 0;
  std::size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    ++pos;
    if (!Digits(s, pos, 2, h) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
        !Digits(s, pos + 3, 2, mi)) {
      return std::nullopt;
    }
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, sec)) return std::nullopt;
      pos += 3;
    }
    if (h > 23 || mi > 59 || sec > 59) return std::nullopt;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      std::size_t n = 0;
      std::int64_t scale = 100000;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        if (n < 6) us += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
        ++n;
      }
      if (n == 0) return std::nullopt;
    }
    if (pos == s.size()) return std::nullopt;  // a time needs a zone: Z or +hh:mm
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos] == '-' ? -1 : 1;
      int oh = 0, om = 0;
      if (!Digits(s, pos + 1, 2, oh)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == ':') ++pos;
      if (!Digits(s, pos, 2, om)) return std::nullopt;
      pos += 2;
      if (oh > 23 || om > 59) return std::nullopt;
      offset_seconds = std::int64_t{sign} * (oh * 3600 + om * 60);
    } else {
      return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
  }
  const std::int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const std::int64_t secs =
      days * 86400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + sec - offset_seconds;
  return secs * kMicrosPerSecond + us;
}

}  // namespace offerledger
