#include "auth/signing_string.h"

#include <map>

#include <gtest/gtest.h>

namespace offerledger {
namespace {

using Headers = std::vector<std::string>;

// A lookup over a fixed map keyed by lower-case names, recording what was asked.
struct FakeHeaders {
  using Map = std::map<std::string, std::string, std::less<>>;
  FakeHeaders() = default;
  explicit FakeHeaders(Map v) : values(std::move(v)) {}

  Map values;
  std::vector<std::string> asked;
  HeaderLookup Lookup() {
    return [this](std::string_view name) -> std::optional<std::string_view> {
      asked.emplace_back(name);
      auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return std::string_view(it->second);
    };
  }
};

constexpr std::string_view kDate = "Thu, 04 Nov 2021 18:07:11 GMT";

TEST(SigningStringTest, DefaultIsTheDateLineOnly) {
  FakeHeaders h{{{"date", std::string(kDate)}}};
  EXPECT_EQ(BuildSigningString({"date"}, "GET", "/x/partners/P/quotes/", h.Lookup()),
            "date: Thu, 04 Nov 2021 18:07:11 GMT");
}

TEST(SigningStringTest, RequestTargetLowerCaseMethodAndNoQuery) {
  FakeHeaders h{{{"date", std::string(kDate)}}};
  EXPECT_EQ(BuildSigningString({"(request-target)", "date"}, "POST",
                               "/x/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out?a=1&b=%2F",
                               h.Lookup()),
            "(request-target): post /x/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out\n"
            "date: Thu, 04 Nov 2021 18:07:11 GMT");
}

TEST(SigningStringTest, TrailingSlashKeptAndNotPercentDecoded) {
  FakeHeaders h;
  EXPECT_EQ(BuildSigningString({"(request-target)"}, "get", "/xcover/partners/P/quotes/A%20B/",
                               h.Lookup()),
            "(request-target): get /xcover/partners/P/quotes/A%20B/");
}

TEST(SigningStringTest, HeaderNamesLowerCasedAndLookedUpLowerCase) {
  FakeHeaders h{{{"date", std::string(kDate)}, {"x-api-key", "K"}}};
  EXPECT_EQ(BuildSigningString({"Date", "X-Api-Key"}, "GET", "/", h.Lookup()),
            "date: Thu, 04 Nov 2021 18:07:11 GMT\nx-api-key: K");
  EXPECT_EQ(h.asked, (Headers{"date", "x-api-key"}));
}

TEST(SigningStringTest, ListedButAbsentHeaderLeftOutLikeTheOfficialClient) {
  FakeHeaders h{{{"date", std::string(kDate)}}};
  EXPECT_EQ(BuildSigningString({"x-missing", "(request-target)", "x-gone", "date", "x-absent"},
                               "GET", "/p", h.Lookup()),
            "(request-target): get /p\ndate: Thu, 04 Nov 2021 18:07:11 GMT");
  EXPECT_EQ(BuildSigningString({"x-missing"}, "GET", "/p", h.Lookup()), "");
}

TEST(SigningStringTest, EmptyValueIsStillALine) {
  FakeHeaders h{{{"x-empty", ""}}};
  EXPECT_EQ(BuildSigningString({"x-empty"}, "GET", "/", h.Lookup()), "x-empty: ");
}

TEST(SigningStringTest, HeaderOrderFollowsTheList) {
  FakeHeaders h{{{"date", std::string(kDate)}}};
  EXPECT_EQ(BuildSigningString({"date", "(request-target)"}, "DELETE", "/q", h.Lookup()),
            "date: Thu, 04 Nov 2021 18:07:11 GMT\n(request-target): delete /q");
}

TEST(RequestPathTest, Forms) {
  EXPECT_EQ(RequestPath("/a/b"), "/a/b");
  EXPECT_EQ(RequestPath("/a/b/"), "/a/b/");
  EXPECT_EQ(RequestPath("/a/b?x=1?y"), "/a/b");
  EXPECT_EQ(RequestPath("/a/b#frag"), "/a/b");
  EXPECT_EQ(RequestPath("/?"), "/");
  EXPECT_EQ(RequestPath("/a%3Fb"), "/a%3Fb");
  EXPECT_EQ(RequestPath("https://api.xcover.com/x/partners/P/?q=1"), "/x/partners/P/");
  EXPECT_EQ(RequestPath("http://host:8080"), "/");
  EXPECT_EQ(RequestPath("http://host?q"), "/");
  EXPECT_EQ(RequestPath(""), "");
}

}  // namespace
}  // namespace offerledger
