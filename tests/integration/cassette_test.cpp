// The cassette reader and the shape comparison themselves (no server): the
// replay test is only as good as these.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/cassette.h"

namespace itest {
namespace {

namespace json = boost::json;

TEST(CassetteReader, DecodesGzipBinaryBodiesAndEscapes) {
  const auto flow = LoadCassette("test_opt_out");
  ASSERT_EQ(flow.size(), 3u);
  EXPECT_EQ(flow[0].request.method, "POST");
  EXPECT_EQ(flow[0].request.target, "/xcover/partners/LLODT/quotes/");
  EXPECT_EQ(flow[0].response.status, 201);
  // "\xA3" in the YAML double-quoted string is U+00A3, i.e. UTF-8 C2 A3.
  const json::value created = json::parse(flow[0].response.body);
  EXPECT_EQ(created.at("total_price_formatted").as_string(),
            "\xC2\xA3"
            "2.01");
  EXPECT_EQ(flow[1].request.body.value_or("?"), "{}");
  EXPECT_EQ(flow[1].response.status, 204);
  EXPECT_EQ(flow[1].response.body, "");
  // The GET's reply was gzip, stored !!binary: inflated to JSON.
  EXPECT_EQ(flow[2].request.body.value_or("?"), "null");
  const json::value got = json::parse(flow[2].response.body);
  EXPECT_EQ(got.at("status").as_string(), "OPTED_OUT");
  EXPECT_EQ(got.at("quotes").at("0").at("status").as_string(), "RECEIVED");
}

TEST(CassetteReader, GunzipRejectsGarbage) {
  EXPECT_THROW(Gunzip("definitely not gzip"), std::runtime_error);
}

TEST(ShapeComparison, AcceptsSameShapeAndRecordedNull) {
  const json::value rec = json::parse(
      R"({"id":"A","n":1.5,"s":"x","z":null,"o":{"k":[{"a":1}]},"e":[],"status":"RECEIVED"})");
  const json::value ours = json::parse(
      R"({"id":"B","n":2,"s":"y","z":{"any":1},"o":{"k":[{"a":7,"extra":1}]},"e":[1],"status":"RECEIVED","more":1})");
  ShapeResult r;
  CompareShape(rec, ours, {}, {}, r);
  EXPECT_TRUE(r.problems.empty()) << r.problems.front();
}

TEST(ShapeComparison, ReportsMissingKeysKindsAndStatus) {
  const json::value rec = json::parse(
      R"({"a":1,"b":"s","c":{"d":true},"l":[{"x":1}],"q":{"0":{"id":"u"}},"status":"OPTED_OUT","currency":"GBP"})");
  const json::value ours = json::parse(
      R"({"a":"1","c":{},"l":[{"x":null}],"q":{"0":{}},"status":"RECEIVED","currency":"AUD"})");
  ShapeResult r;
  CompareShape(rec, ours, {}, {}, r);
  std::string all;
  for (const auto& p : r.problems) all += p + "\n";
  EXPECT_NE(all.find("a: recorded number, got string"), std::string::npos) << all;
  EXPECT_NE(all.find("b: recorded key is missing"), std::string::npos) << all;
  EXPECT_NE(all.find("c.d: recorded key is missing"), std::string::npos) << all;
  EXPECT_NE(all.find("l[].x: recorded number, got null"), std::string::npos) << all;
  EXPECT_NE(all.find("q.*.id: recorded key is missing"), std::string::npos) << all;
  EXPECT_NE(all.find("status: recorded \"OPTED_OUT\", got \"RECEIVED\""), std::string::npos) << all;
  EXPECT_NE(all.find("currency: recorded \"GBP\", got \"AUD\""), std::string::npos) << all;
  EXPECT_EQ(r.problems.size(), 7u) << all;
}

TEST(ShapeComparison, AllowListAndNullableKeys) {
  const json::value rec =
      json::parse(R"({"partner":{"id":"P","logo":"l","emails":[{"id":"e"}]},"ph":{"region":"x"}})");
  const json::value ours = json::parse(R"({"partner":{"id":"P"},"ph":{"region":null}})");
  ShapeResult r;
  CompareShape(rec, ours, {"partner.logo", "partner.emails"}, {"ph.region"}, r);
  EXPECT_TRUE(r.problems.empty()) << r.problems.front();
  EXPECT_EQ(r.skipped, (std::vector<std::string>{"partner.logo", "partner.emails"}));
  // policyholder.region is null in XCover's own answers; total_price never is.
  EXPECT_EQ(NullableKeys().count("policyholder.region"), 1u);
  EXPECT_EQ(NullableKeys().count("total_price"), 0u);
  EXPECT_EQ(NullableKeys().count("quotes.id"), 0u);
}

TEST(IdMapping, PairsQuotesByStartDateAndFlagsInconsistentAnswers) {
  std::map<std::string, std::string> ids;
  std::vector<std::string> problems;
  // XCover lists the added quote first; ours keeps request order.
  LearnIds(json::parse(R"({"id":"REC-PKG-0001","quotes":{
             "0":{"id":"rec-new-quote","policy_start_date":"2021-10-02T09:01:44+00:00"},
             "1":{"id":"rec-old-quote","policy_start_date":"2021-10-02T10:05:59+00:00"}}})"),
           json::parse(R"({"id":"OUR-PKG-0001","quotes":{
             "0":{"id":"our-old-quote","policy_start_date":"2021-10-02T10:05:59+00:00"},
             "1":{"id":"our-new-quote","policy_start_date":"2021-10-02T09:01:44+00:00"}}})"),
           ids, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(ids["REC-PKG-0001"], "OUR-PKG-0001");
  EXPECT_EQ(ids["rec-new-quote"], "our-new-quote");
  EXPECT_EQ(ids["rec-old-quote"], "our-old-quote");
  LearnIds(json::parse(R"({"id":"REC-PKG-0001"})"), json::parse(R"({"id":"OTHER-PKG-01"})"), ids,
           problems);
  EXPECT_EQ(problems.size(), 1u);
  EXPECT_EQ(ReplaceIds("/bookings/REC-PKG-0001/ {\"id\": \"rec-old-quote\"}", ids),
            "/bookings/OUR-PKG-0001/ {\"id\": \"our-old-quote\"}");
}

}  // namespace
}  // namespace itest
