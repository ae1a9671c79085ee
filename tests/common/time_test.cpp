// The timestamp formats of the API, checked against printf, which produced
// them before they were written by hand.
#include "common/time.h"

#include <cstdio>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace offerledger {
namespace {

struct Parts {
  int y;
  unsigned mo, d, h, mi, s;
  long long us;
};

Parts Split(Micros t) {
  std::int64_t days = t / kMicrosPerDay;
  Micros rem = t % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    --days;
  }
  Parts p{};
  CivilFromDays(days, p.y, p.mo, p.d);
  const std::int64_t secs = rem / kMicrosPerSecond;
  p.us = rem % kMicrosPerSecond;
  p.h = static_cast<unsigned>(secs / 3600);
  p.mi = static_cast<unsigned>(secs / 60 % 60);
  p.s = static_cast<unsigned>(secs % 60);
  return p;
}

std::string PrintfIsoMicros(Micros t) {
  const Parts p = Split(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u.%06lldZ", p.y, p.mo, p.d, p.h, p.mi,
                p.s, p.us);
  return buf;
}

std::string PrintfIsoOffset(Micros t) {
  const Parts p = Split(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u+00:00", p.y, p.mo, p.d, p.h, p.mi,
                p.s);
  return buf;
}

std::string PrintfDate(Micros t) {
  const Parts p = Split(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", p.y, p.mo, p.d);
  return buf;
}

TEST(FormatTimeTest, KnownValues) {
  const Micros t = 1633070093 * kMicrosPerSecond + 937708;  // 2021-10-01T06:34:53.937708Z
  EXPECT_EQ(FormatIsoMicros(t), "2021-10-01T06:34:53.937708Z");
  EXPECT_EQ(FormatIsoOffset(t), "2021-10-01T06:34:53+00:00");
  EXPECT_EQ(FormatDate(t), "2021-10-01");
  EXPECT_EQ(FormatIsoMicros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatIsoMicros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatIsoOffset(-1), "1969-12-31T23:59:59+00:00");
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
}

// Every field width and both sides of the four-digit years, where the hand
// written path hands over to printf.
TEST(FormatTimeTest, EqualsPrintf) {
  std::vector<Micros> times = {0, 1, -1, kMicrosPerDay - 1, kMicrosPerDay, -kMicrosPerDay};
  for (const auto& [y, mo, d] :
       {std::tuple{0, 1u, 1u}, std::tuple{1, 1u, 1u}, std::tuple{999, 12u, 31u},
        std::tuple{1000, 1u, 1u}, std::tuple{2024, 2u, 29u}, std::tuple{9999, 12u, 31u},
        std::tuple{10000, 1u, 1u}, std::tuple{-1, 12u, 31u}, std::tuple{-10000, 1u, 1u},
        std::tuple{123456, 6u, 15u}}) {
    const Micros midnight = DaysFromCivil(y, mo, d) * kMicrosPerDay;
    times.push_back(midnight);
    times.push_back(midnight - 1);
    times.push_back(midnight + kMicrosPerDay - 1);
    times.push_back(midnight + 45296 * kMicrosPerSecond + 7);  // 12:34:56.000007
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 5000; ++i) {
    // Years -9999..19999 or so, spread evenly.
    times.push_back(static_cast<Micros>(rng() % (1ULL << 59)) - (1LL << 58));
  }
  for (const Micros t : times) {
    ASSERT_EQ(FormatIsoMicros(t), PrintfIsoMicros(t)) << t;
    ASSERT_EQ(FormatIsoOffset(t), PrintfIsoOffset(t)) << t;
    ASSERT_EQ(FormatDate(t), PrintfDate(t)) << t;
  }
}

}  // namespace
}  // namespace offerledger
