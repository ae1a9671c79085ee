#include "auth/http_date.h"

#include <gtest/gtest.h>

namespace offerledger {
namespace {

constexpr Micros kExample = 1636049231 * kMicrosPerSecond;  // date -u -d '...' +%s

TEST(HttpDateTest, ParsesImfFixdate) {
  EXPECT_EQ(ParseHttpDate("Thu, 04 Nov 2021 18:07:11 GMT"), kExample);
  EXPECT_EQ(ParseHttpDate("Sun, 29 Aug 2021 12:07:26 GMT"), 1630238846 * kMicrosPerSecond);
  EXPECT_EQ(ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
}

TEST(HttpDateTest, FormatsImfFixdate) {
  EXPECT_EQ(FormatHttpDate(kExample), "Thu, 04 Nov 2021 18:07:11 GMT");
  EXPECT_EQ(FormatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(-kMicrosPerSecond), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(FormatHttpDate(kExample + 999'999), "Thu, 04 Nov 2021 18:07:11 GMT");
  EXPECT_EQ(FormatHttpDate(951782400 * kMicrosPerSecond), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(HttpDateTest, RoundTripsAcrossCenturies) {
  // Steps of a day and 1 h 1 min 1 s walk through every weekday, month and
  // time-of-day field from 1900 to ~2100.
  const Micros step = kMicrosPerDay + 3661 * kMicrosPerSecond;
  for (Micros t = -2208988800 * kMicrosPerSecond; t < 4102444800 * kMicrosPerSecond; t += step) {
    const std::string text = FormatHttpDate(t);
    ASSERT_EQ(ParseHttpDate(text), t) << text;
  }
}

TEST(HttpDateTest, LeapYears) {
  EXPECT_TRUE(ParseHttpDate("Thu, 29 Feb 2024 00:00:00 GMT"));
  EXPECT_TRUE(ParseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT"));
  EXPECT_FALSE(ParseHttpDate("Wed, 29 Feb 2023 00:00:00 GMT"));
  EXPECT_FALSE(ParseHttpDate("Thu, 29 Feb 1900 00:00:00 GMT"));
  EXPECT_FALSE(ParseHttpDate("Fri, 30 Feb 2024 00:00:00 GMT"));
  EXPECT_FALSE(ParseHttpDate("Fri, 31 Apr 2024 00:00:00 GMT"));
}

TEST(HttpDateTest, ObsoleteRfc850) {
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777 * kMicrosPerSecond);
  EXPECT_EQ(ParseHttpDate("Thursday, 04-Nov-21 18:07:11 GMT"), kExample);
  EXPECT_FALSE(ParseHttpDate("Sun, 06-Nov-94 08:49:37 GMT"));
}

TEST(HttpDateTest, ObsoleteAsctime) {
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), 784111777 * kMicrosPerSecond);
  EXPECT_EQ(ParseHttpDate("Thu Nov  4 18:07:11 2021"), kExample);
  EXPECT_EQ(ParseHttpDate("Mon Nov 15 00:00:00 2021"),
            ParseHttpDate("Mon, 15 Nov 2021 00:00:00 GMT"));
}

TEST(HttpDateTest, WrongWeekdayIgnored) {
  EXPECT_EQ(ParseHttpDate("Mon, 04 Nov 2021 18:07:11 GMT"), kExample);
}

TEST(HttpDateTest, LeapSecondAccepted) {
  EXPECT_EQ(ParseHttpDate("Thu, 31 Dec 2016 23:59:60 GMT"),
            ParseHttpDate("Sun, 01 Jan 2017 00:00:00 GMT"));
}

TEST(HttpDateTest, RejectsMalformed) {
  for (const char* bad : {
           "",
           "garbage",
           "Thu, 4 Nov 2021 18:07:11 GMT",     // not zero-padded
           "Thu, 04 Nov 2021 8:07:11 GMT",     // hour not padded
           "Thu, 04 Nov 21 18:07:11 GMT",      // two-digit year in IMF-fixdate
           "Thu, 04 Nov 2021 18:07:11 UTC",    // only GMT
           "Thu, 04 Nov 2021 18:07:11 +0000",  // numeric zone
           "Thu, 04 Nov 2021 18:07:11",        // no zone
           "Thu, 04 Nov 2021 18:07:11 GMT ",   // trailing text
           " Thu, 04 Nov 2021 18:07:11 GMT",   // leading text
           "Thu,04 Nov 2021 18:07:11 GMT",     // missing space
           "thu, 04 nov 2021 18:07:11 GMT",    // names are case-sensitive
           "Xyz, 04 Nov 2021 18:07:11 GMT",    // bad weekday
           "Thu, 04 Noe 2021 18:07:11 GMT",    // bad month
           "Thu, 00 Nov 2021 18:07:11 GMT",    // day 0
           "Thu, 32 Dec 2021 18:07:11 GMT",    // day 32
           "Thu, 04 Nov 2021 24:00:00 GMT",    // hour 24
           "Thu, 04 Nov 2021 18:60:11 GMT",    // minute 60
           "Thu, 04 Nov 2021 18:07:61 GMT",    // second 61
           "Thu, 04 Nov 0000 18:07:11 GMT",    // year 0
           "Thu, 04 Nov 2021 18:07:1a GMT",    // non-digit
           "Thu, -4 Nov 2021 18:07:11 GMT",    // sign
           "2021-11-04T18:07:11Z",             // ISO 8601 is not an HTTP date
           "Thu Nov 4 18:07:11 2021",          // asctime needs the padding space
           "Thursday, 04-Nov-21 18:07:11",     // RFC 850 without zone
       }) {
    EXPECT_FALSE(ParseHttpDate(bad)) << bad;
  }
}

TEST(HttpDateTest, RejectsEmbeddedNul) {
  EXPECT_FALSE(ParseHttpDate(std::string_view("Thu, 04 Nov 2021 18:07:11 GMT\0", 30)));
}

}  // namespace
}  // namespace offerledger
