// Router: every partner route under /x and /xcover, with and without the
// trailing slash; query splitting; 405 with Allow; 404; percent-decoding and
// the malformed paths that must be refused; QueryInt; route classes.
#include "http/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace offerledger {
namespace {

const char* KindName(RouteKind k) {
  switch (k) {
    case RouteKind::kHealth:
      return "kHealth";
    case RouteKind::kCreateQuote:
      return "kCreateQuote";
    case RouteKind::kGetQuote:
      return "kGetQuote";
    case RouteKind::kUpdateQuote:
      return "kUpdateQuote";
    case RouteKind::kAddQuotes:
      return "kAddQuotes";
    case RouteKind::kDeleteQuotes:
      return "kDeleteQuotes";
    case RouteKind::kOptOut:
      return "kOptOut";
    case RouteKind::kCreateBooking:
      return "kCreateBooking";
    case RouteKind::kGetBooking:
      return "kGetBooking";
    case RouteKind::kListBookings:
      return "kListBookings";
    case RouteKind::kInstantBooking:
      return "kInstantBooking";
    case RouteKind::kCancel:
      return "kCancel";
    case RouteKind::kConfirmCancellation:
      return "kConfirmCancellation";
    case RouteKind::kConfirmPayment:
      return "kConfirmPayment";
    case RouteKind::kModifyBooking:
      return "kModifyBooking";
    case RouteKind::kQuoteForUpdate:
      return "kQuoteForUpdate";
    case RouteKind::kConfirmUpdate:
      return "kConfirmUpdate";
    case RouteKind::kGetInstalments:
      return "kGetInstalments";
    case RouteKind::kRecordInstalments:
      return "kRecordInstalments";
    case RouteKind::kSendEmail:
      return "kSendEmail";
    case RouteKind::kPartnerConversionReport:
      return "kPartnerConversionReport";
    case RouteKind::kAdminConversionReport:
      return "kAdminConversionReport";
    case RouteKind::kAdminOptimizer:
      return "kAdminOptimizer";
    case RouteKind::kAdminDashboard:
      return "kAdminDashboard";
    case RouteKind::kAdminDashboardAsset:
      return "kAdminDashboardAsset";
    case RouteKind::kNotFound:
      return "kNotFound";
    case RouteKind::kMethodNotAllowed:
      return "kMethodNotAllowed";
    case RouteKind::kBadPath:
      return "kBadPath";
  }
  return "?";
}

#define EXPECT_KIND(route, expected) EXPECT_EQ(KindName((route).kind), KindName(expected))

struct RouteCase {
  const char* method;
  const char* rest;  // after /{prefix}/partners/LLODT
  RouteKind kind;
  const char* id;
  const char* sub_id;
};

const RouteCase kRoutes[] = {
    {"POST", "/quotes", RouteKind::kCreateQuote, "", ""},
    {"GET", "/quotes/PYWUR-TAPHT-INS", RouteKind::kGetQuote, "PYWUR-TAPHT-INS", ""},
    {"PATCH", "/quotes/PYWUR-TAPHT-INS", RouteKind::kUpdateQuote, "PYWUR-TAPHT-INS", ""},
    {"POST", "/quotes/PYWUR-TAPHT-INS/add", RouteKind::kAddQuotes, "PYWUR-TAPHT-INS", ""},
    {"POST", "/quotes/PYWUR-TAPHT-INS/delete", RouteKind::kDeleteQuotes, "PYWUR-TAPHT-INS", ""},
    {"GET", "/bookings", RouteKind::kListBookings, "", ""},
    {"GET", "/bookings/PYWUR-TAPHT-INS", RouteKind::kGetBooking, "PYWUR-TAPHT-INS", ""},
    {"POST", "/bookings/PYWUR-TAPHT-INS", RouteKind::kCreateBooking, "PYWUR-TAPHT-INS", ""},
    {"POST", "/bookings/PYWUR-TAPHT-INS/opt_out", RouteKind::kOptOut, "PYWUR-TAPHT-INS", ""},
    {"POST", "/bookings/PYWUR-TAPHT-INS/cancel", RouteKind::kCancel, "PYWUR-TAPHT-INS", ""},
    {"POST", "/bookings/PYWUR-TAPHT-INS/confirm_cancellation/u7Thv-d6C5P-8FAQW-CCL",
     RouteKind::kConfirmCancellation, "PYWUR-TAPHT-INS", "u7Thv-d6C5P-8FAQW-CCL"},
    {"PUT", "/bookings/PYWUR-TAPHT-INS/confirm", RouteKind::kConfirmPayment, "PYWUR-TAPHT-INS", ""},
    {"PATCH", "/bookings/PYWUR-TAPHT-INS", RouteKind::kModifyBooking, "PYWUR-TAPHT-INS", ""},
    {"PATCH", "/bookings/PYWUR-TAPHT-INS/quote_for_update", RouteKind::kQuoteForUpdate,
     "PYWUR-TAPHT-INS", ""},
    {"POST", "/bookings/PYWUR-TAPHT-INS/confirm_update/joaiJ-Cao42-o9ulM-UPD",
     RouteKind::kConfirmUpdate, "PYWUR-TAPHT-INS", "joaiJ-Cao42-o9ulM-UPD"},
    {"GET", "/bookings/PYWUR-TAPHT-INS/instalments", RouteKind::kGetInstalments,
     "PYWUR-TAPHT-INS", ""},
    {"POST", "/bookings/PYWUR-TAPHT-INS/instalments", RouteKind::kRecordInstalments,
     "PYWUR-TAPHT-INS", ""},
    {"POST", "/bookings/BGNJF-49BDW-INS/send_email", RouteKind::kSendEmail, "BGNJF-49BDW-INS",
     ""},
    {"POST", "/instant_booking", RouteKind::kInstantBooking, "", ""},
    {"GET", "/reports/conversion", RouteKind::kPartnerConversionReport, "", ""},
};

TEST(MatchRouteTest, EveryRouteUnderBothPrefixesWithAndWithoutTrailingSlash) {
  for (const auto& c : kRoutes) {
    for (const std::string prefix : {"/x", "/xcover"}) {
      for (const std::string slash : {"", "/"}) {
        const std::string target = prefix + "/partners/LLODT" + c.rest + slash;
        SCOPED_TRACE(std::string(c.method) + " " + target);
        Route r = MatchRoute(c.method, target);
        EXPECT_KIND(r, c.kind);
        EXPECT_EQ(r.partner, "LLODT");
        EXPECT_EQ(r.id, c.id);
        EXPECT_EQ(r.sub_id, c.sub_id);
        EXPECT_EQ(r.path, target);
        EXPECT_EQ(r.query, "");
        EXPECT_EQ(r.allow, "");
      }
    }
  }
}

TEST(MatchRouteTest, QueryStringIsSplitOff) {
  for (const char* target : {"/x/partners/LLODT/bookings/?limit=5&offset=10",
                             "/x/partners/LLODT/bookings?limit=5&offset=10"}) {
    Route r = MatchRoute("GET", target);
    EXPECT_KIND(r, RouteKind::kListBookings);
    EXPECT_EQ(r.query, "limit=5&offset=10");
    EXPECT_EQ(r.path, std::string(target).substr(0, std::string(target).find('?')));
  }
  Route empty = MatchRoute("POST", "/xcover/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out?");
  EXPECT_KIND(empty, RouteKind::kOptOut);
  EXPECT_EQ(empty.query, "");
  EXPECT_EQ(empty.path, "/xcover/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out");
  // Only the first '?' splits; a '/' in the query is not part of the path.
  Route q = MatchRoute("GET", "/x/partners/LLODT/quotes/ID?next=/a/b?c");
  EXPECT_KIND(q, RouteKind::kGetQuote);
  EXPECT_EQ(q.id, "ID");
  EXPECT_EQ(q.query, "next=/a/b?c");
}

TEST(MatchRouteTest, WrongMethodOnAKnownPathIs405WithAllow) {
  struct Case {
    const char* method;
    const char* target;
    const char* allow;
  };
  const Case cases[] = {
      {"GET", "/x/partners/LLODT/quotes/", "POST"},
      {"DELETE", "/x/partners/LLODT/quotes/ID/", "GET, PATCH"},
      {"POST", "/x/partners/LLODT/quotes/ID", "GET, PATCH"},
      {"GET", "/xcover/partners/LLODT/quotes/ID/add", "POST"},
      {"GET", "/x/partners/LLODT/quotes/ID/delete/", "POST"},
      {"POST", "/x/partners/LLODT/bookings/", "GET"},
      {"PUT", "/x/partners/LLODT/bookings/ID/", "GET, POST, PATCH"},
      {"POST", "/x/partners/LLODT/bookings/ID/confirm", "PUT"},
      {"GET", "/x/partners/LLODT/bookings/ID/opt_out", "POST"},
      {"GET", "/x/partners/LLODT/bookings/ID/cancel", "POST"},
      {"GET", "/x/partners/LLODT/bookings/ID/confirm_cancellation/C/", "POST"},
      {"GET", "/x/partners/LLODT/instant_booking/", "POST"},
      {"post", "/x/partners/LLODT/quotes/", "POST"},  // methods are case-sensitive
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.target);
    Route r = MatchRoute(c.method, c.target);
    EXPECT_KIND(r, RouteKind::kMethodNotAllowed);
    EXPECT_EQ(r.allow, c.allow);
  }
}

TEST(MatchRouteTest, Health) {
  for (const char* target : {"/healthz", "/healthz/", "/healthz?probe=1"}) {
    EXPECT_KIND(MatchRoute("GET", target), RouteKind::kHealth);
    EXPECT_KIND(MatchRoute("HEAD", target), RouteKind::kHealth);
    Route post = MatchRoute("POST", target);
    EXPECT_KIND(post, RouteKind::kMethodNotAllowed);
    EXPECT_EQ(post.allow, "GET, HEAD");
  }
  EXPECT_KIND(MatchRoute("GET", "/healthz/x"), RouteKind::kNotFound);
  EXPECT_KIND(MatchRoute("GET", "/x/healthz"), RouteKind::kNotFound);
}

TEST(MatchRouteTest, UnknownPathsAre404) {
  const char* targets[] = {
      "",
      "/",
      "x/partners/LLODT/quotes",  // no leading slash
      "/x",
      "/x/partners",
      "/x/partners/LLODT",
      "/x/partners/LLODT/",
      "/y/partners/LLODT/quotes",
      "/X/partners/LLODT/quotes",
      "/x/partner/LLODT/quotes",
      "/x/partners/LLODT/quote",
      "/x/partners/LLODT/quotes/ID/add/more",
      "/x/partners/LLODT/bookings/ID/confirm_cancellation",
      "/x/partners/LLODT/bookings/ID/refund",
      "/x/partners/LLODT/instant_booking/ID",
      "/xcover/partners/LLODT/bookings/ID/confirm_cancellation/C/extra",
      "/api/x/partners/LLODT/quotes",
  };
  for (const char* target : targets) {
    for (const char* method : {"GET", "POST"}) {
      SCOPED_TRACE(std::string(method) + " " + target);
      Route r = MatchRoute(method, target);
      EXPECT_KIND(r, RouteKind::kNotFound);
      EXPECT_EQ(r.allow, "");
    }
  }
}

TEST(MatchRouteTest, EmptySegmentsAreNotFound) {
  const char* targets[] = {
      "/x/partners//quotes",
      "//x/partners/LLODT/quotes",
      "/x//partners/LLODT/quotes",
      "/x/partners/LLODT//quotes",
      "/x/partners/LLODT/quotes//",  // only one trailing slash is allowed
      "/x/partners/LLODT/bookings//opt_out",
      "/x/partners/LLODT/bookings/ID/confirm_cancellation//",
  };
  for (const char* target : targets) {
    SCOPED_TRACE(target);
    EXPECT_KIND(MatchRoute("POST", target), RouteKind::kNotFound);
    EXPECT_KIND(MatchRoute("GET", target), RouteKind::kNotFound);
  }
}

TEST(MatchRouteTest, SegmentsArePercentDecoded) {
  Route r = MatchRoute("POST", "/x/partners/LL%4FDT/bookings/PYWUR%2dTAPHT%2DINS/opt_out/");
  EXPECT_KIND(r, RouteKind::kOptOut);
  EXPECT_EQ(r.partner, "LLODT");
  EXPECT_EQ(r.id, "PYWUR-TAPHT-INS");
  // The raw path is kept as sent.
  EXPECT_EQ(r.path, "/x/partners/LL%4FDT/bookings/PYWUR%2dTAPHT%2DINS/opt_out/");

  Route space = MatchRoute("GET", "/x/partners/A%20B/quotes/%E2%82%AC");
  EXPECT_KIND(space, RouteKind::kGetQuote);
  EXPECT_EQ(space.partner, "A B");
  EXPECT_EQ(space.id, "\xE2\x82\xAC");

  Route sub = MatchRoute("POST", "/x/partners/P/bookings/ID/confirm_cancellation/a%3Fb");
  EXPECT_KIND(sub, RouteKind::kConfirmCancellation);
  EXPECT_EQ(sub.sub_id, "a?b");
  // '+' is not a space in a path.
  EXPECT_EQ(MatchRoute("GET", "/x/partners/A+B/quotes/I").partner, "A+B");
}

TEST(MatchRouteTest, EncodedSlashOrNulIsABadPath) {
  const char* targets[] = {
      "/x/partners/LL%2FDT/quotes",
      "/x/partners/LL%2fDT/quotes",
      "/x/partners/LLODT/quotes/ID%2F..%2F..",
      "/x/partners/LLODT/quotes/%00",
      "/x/partners/LLODT%00/quotes",
      "/x/partners/LLODT/bookings/ID/confirm_cancellation/C%2F",
  };
  for (const char* target : targets) {
    SCOPED_TRACE(target);
    Route r = MatchRoute("GET", target);
    EXPECT_KIND(r, RouteKind::kBadPath);
    EXPECT_KIND(MatchRoute("POST", target), RouteKind::kBadPath);
  }
}

TEST(MatchRouteTest, MalformedEscapesAreABadPath) {
  const char* targets[] = {
      "/x/partners/LLODT/quotes/%",    "/x/partners/LLODT/quotes/%4",
      "/x/partners/LLODT/quotes/ID%",  "/x/partners/LLODT/quotes/ID%4",
      "/x/partners/LLODT/quotes/%zz",  "/x/partners/LLODT/quotes/%g0",
      "/x/partners/LLODT/quotes/%0g",  "/x/partners/%/quotes",
      "/x/partners/LLODT/quotes/%%41", "/x/partners/LLODT/quotes/% 4",
      "/x/partners/LLODT/quotes/%-1",  "/x/partners/LLODT/quotes/%4/",
  };
  for (const char* target : targets) {
    SCOPED_TRACE(target);
    EXPECT_KIND(MatchRoute("GET", target), RouteKind::kBadPath);
  }
  // A well-formed escape at the very end of a segment is fine.
  Route r = MatchRoute("GET", "/x/partners/LLODT/quotes/ID%41");
  EXPECT_KIND(r, RouteKind::kGetQuote);
  EXPECT_EQ(r.id, "IDA");
}

// ------------------------------------------------------------------- QueryInt

TEST(QueryIntTest, ReadsNamedParameters) {
  EXPECT_EQ(QueryInt("limit=10&offset=20", "limit", 7), 10);
  EXPECT_EQ(QueryInt("limit=10&offset=20", "offset", 7), 20);
  EXPECT_EQ(QueryInt("offset=0", "offset", 7), 0);
  EXPECT_EQ(QueryInt("a=1&&limit=3&", "limit", 7), 3);
  EXPECT_EQ(QueryInt("limit=5&limit=9", "limit", 7), 5);  // the first one wins
  EXPECT_EQ(QueryInt("limit=000123", "limit", 7), 123);
  EXPECT_EQ(QueryInt("limit=999999999999", "limit", 7), 999999999999LL);  // 12 digits
}

TEST(QueryIntTest, AbsentGivesTheFallback) {
  EXPECT_EQ(QueryInt("", "limit", 25), 25);
  EXPECT_EQ(QueryInt("offset=3", "limit", 25), 25);
  EXPECT_EQ(QueryInt("xlimit=3&limitx=4", "limit", 25), 25);
  EXPECT_EQ(QueryInt("&&&", "limit", 25), 25);
}

TEST(QueryIntTest, PresentButNotANumberIsMinusOne) {
  for (const char* q : {"limit", "limit=", "limit=abc", "limit=-5", "limit=+5", "limit=1.5",
                        "limit=5x", "limit= 5", "limit=1234567890123", "limit=%35"}) {
    EXPECT_EQ(QueryInt(q, "limit", 25), -1) << q;
  }
}

// ------------------------------------------------------------ route classes

TEST(RouteClassTest, WriteRoutes) {
  for (RouteKind k :
       {RouteKind::kCreateQuote, RouteKind::kUpdateQuote, RouteKind::kAddQuotes,
        RouteKind::kDeleteQuotes, RouteKind::kOptOut, RouteKind::kCreateBooking,
        RouteKind::kInstantBooking, RouteKind::kCancel, RouteKind::kConfirmCancellation,
        RouteKind::kConfirmPayment, RouteKind::kModifyBooking, RouteKind::kQuoteForUpdate,
        RouteKind::kConfirmUpdate}) {
    EXPECT_TRUE(IsWriteRoute(k)) << KindName(k);
  }
  for (RouteKind k :
       {RouteKind::kHealth, RouteKind::kGetQuote, RouteKind::kGetBooking, RouteKind::kListBookings,
        RouteKind::kNotFound, RouteKind::kMethodNotAllowed, RouteKind::kBadPath}) {
    EXPECT_FALSE(IsWriteRoute(k)) << KindName(k);
  }
}

TEST(RouteClassTest, QuoteClassRoutes) {
  for (RouteKind k :
       {RouteKind::kCreateQuote, RouteKind::kCreateBooking, RouteKind::kInstantBooking}) {
    EXPECT_TRUE(IsQuoteClassRoute(k)) << KindName(k);
  }
  for (RouteKind k : {RouteKind::kHealth, RouteKind::kGetQuote, RouteKind::kUpdateQuote,
                      RouteKind::kAddQuotes, RouteKind::kDeleteQuotes, RouteKind::kOptOut,
                      RouteKind::kGetBooking, RouteKind::kListBookings, RouteKind::kCancel,
                      RouteKind::kConfirmCancellation, RouteKind::kNotFound}) {
    EXPECT_FALSE(IsQuoteClassRoute(k)) << KindName(k);
  }
}

TEST(RouteClassTest, EveryMatchedPartnerRouteIsClassified) {
  // Writes are exactly the non-GET routes.
  for (const auto& c : kRoutes) {
    Route r = MatchRoute(c.method, std::string("/x/partners/P") + c.rest);
    EXPECT_EQ(IsWriteRoute(r.kind), std::string(c.method) != "GET") << c.method << " " << c.rest;
  }
}

TEST(MatchRouteTest, AdminRoutesAreMarkedAndMatched) {
  Route r = MatchRoute("GET", "/admin/v1/reports/conversion?from=2026-11-01&by=day");
  EXPECT_KIND(r, RouteKind::kAdminConversionReport);
  EXPECT_TRUE(r.admin);
  EXPECT_EQ(r.query, "from=2026-11-01&by=day");
  Route slash = MatchRoute("GET", "/admin/v1/reports/conversion/");
  EXPECT_KIND(slash, RouteKind::kAdminConversionReport);

  Route post = MatchRoute("POST", "/admin/v1/reports/conversion");
  EXPECT_KIND(post, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(post.allow, "GET");
  EXPECT_TRUE(post.admin);

  // Any other path under /admin/ is still an admin path (the token is checked
  // before the handler says whether it exists), but matches no route.
  Route other = MatchRoute("GET", "/admin/v1/secrets");
  EXPECT_KIND(other, RouteKind::kNotFound);
  EXPECT_TRUE(other.admin);

  // Partner routes are never admin routes.
  EXPECT_FALSE(MatchRoute("GET", "/x/partners/LLODT/reports/conversion").admin);
}

TEST(MatchRouteTest, ReportsAreReadOnlyAndOtherClass) {
  EXPECT_FALSE(IsWriteRoute(RouteKind::kPartnerConversionReport));
  EXPECT_FALSE(IsWriteRoute(RouteKind::kAdminConversionReport));
  EXPECT_FALSE(IsQuoteClassRoute(RouteKind::kPartnerConversionReport));
  Route wrong = MatchRoute("POST", "/x/partners/LLODT/reports/conversion");
  EXPECT_KIND(wrong, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(wrong.allow, "GET");
}

TEST(MatchRouteTest, DashboardPageAndAssets) {
  Route page = MatchRoute("GET", "/admin/dashboard");
  EXPECT_KIND(page, RouteKind::kAdminDashboard);
  EXPECT_TRUE(page.admin);
  EXPECT_KIND(MatchRoute("HEAD", "/admin/dashboard/"), RouteKind::kAdminDashboard);
  Route asset = MatchRoute("GET", "/admin/dashboard/chart.js");
  EXPECT_KIND(asset, RouteKind::kAdminDashboardAsset);
  EXPECT_EQ(asset.id, "chart.js");
  Route post = MatchRoute("POST", "/admin/dashboard");
  EXPECT_KIND(post, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(post.allow, "GET, HEAD");
  // Deeper paths are no asset.
  EXPECT_KIND(MatchRoute("GET", "/admin/dashboard/a/b.js"), RouteKind::kNotFound);
}

TEST(MatchRouteTest, AdminOptimizerRoute) {
  Route r = MatchRoute("GET", "/admin/v1/optimizer");
  EXPECT_KIND(r, RouteKind::kAdminOptimizer);
  EXPECT_TRUE(r.admin);
  EXPECT_KIND(MatchRoute("GET", "/admin/v1/optimizer/"), RouteKind::kAdminOptimizer);
  Route post = MatchRoute("POST", "/admin/v1/optimizer");
  EXPECT_KIND(post, RouteKind::kMethodNotAllowed);
  EXPECT_TRUE(post.admin);
  EXPECT_FALSE(IsWriteRoute(RouteKind::kAdminOptimizer));
}

}  // namespace
}  // namespace offerledger
