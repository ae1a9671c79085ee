// Bad input gets a clear 4xx with an error body {"type","message","errors"}
// (CONTRACT.md, "Errors"), never a crash.
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/cassette.h"
#include "integration/fixture.h"

namespace itest {
namespace {

namespace json = boost::json;

class BadInput : public ServerTest {
 protected:
  void ExpectErrorBody(const HttpReply& r, const std::string& what) {
    const json::value v = r.Json();
    EXPECT_TRUE(v.is_object()) << what << ": " << r.body;
    if (!v.is_object()) return;
    EXPECT_TRUE(v.as_object().contains("type")) << what << ": " << r.body;
    EXPECT_TRUE(v.as_object().contains("message")) << what << ": " << r.body;
    EXPECT_TRUE(v.as_object().contains("errors")) << what << ": " << r.body;
  }
};

TEST_F(BadInput, InvalidJsonIs400) {
  for (const std::string body : {"{not json", "{\"request\": [", "\"unterminated", "{}}"}) {
    const HttpReply r = c().Post("quotes/", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.Describe();
    ExpectErrorBody(r, body);
  }
  // The server is still fine.
  EXPECT_EQ(c().Post("quotes/", CassetteQuoteBody()).status, 201);
}

TEST_F(BadInput, UnknownFieldIs422UnexpectedField) {
  // test_quote_422.yaml, request and answer as recorded.
  const auto recorded = LoadCassette("test_quote_422").at(0);
  const HttpReply r = c().Post("quotes/", *recorded.request.body);
  EXPECT_EQ(r.status, 422) << r.Describe();
  const json::value v = r.Json();
  EXPECT_EQ(Str(v, {"type"}), "validation_error") << r.body;
  EXPECT_EQ(Str(v, {"message"}), "An API error occurred.") << r.body;
  EXPECT_EQ(Str(v, {"errors", "policy_version"}), "Unexpected field") << r.body;
}

TEST_F(BadInput, UnknownFieldInAQuoteRequestIs422) {
  json::value v = json::parse(CassetteQuoteBody());
  v.as_object()["request"].as_array()[0].as_object()["colour"] = "blue";
  const HttpReply r = c().Post("quotes/", json::serialize(v));
  EXPECT_EQ(r.status, 422) << r.Describe();
  EXPECT_EQ(Str(r.Json(), {"type"}), "validation_error");
  EXPECT_NE(r.body.find("Unexpected field"), std::string::npos) << r.body;
}

TEST_F(BadInput, UnknownRouteIs404) {
  const HttpReply r = c().Get("nothing-here/");
  EXPECT_EQ(r.status, 404) << r.Describe();
  ExpectErrorBody(r, "signed unknown route");
  const HttpReply bare = SendRaw(port(), RawRequest{"GET", "/no/such/thing", std::nullopt, {}});
  EXPECT_EQ(bare.status, 404) << bare.Describe();
  ExpectErrorBody(bare, "/no/such/thing");
  const HttpReply other_prefix =
      SendRaw(port(), RawRequest{"GET", "/api/partners/LLODT/quotes/", std::nullopt, {}});
  EXPECT_EQ(other_prefix.status, 404) << other_prefix.Describe();
}

// A path segment that decodes to '/' or NUL is refused as malformed, and the
// message says so (its percent-encoding itself is valid).
TEST_F(BadInput, EncodedSlashOrNulInAPathSegmentIs400) {
  for (const std::string target :
       {"/x/partners/LLODT/quotes/a%2Fb/", "/x/partners/LLODT/quotes/a%00b/",
        "/x/partners/LLODT/quotes/%zz/"}) {
    const HttpReply r = SendRaw(port(), RawRequest{"GET", target, std::nullopt, {}});
    EXPECT_EQ(r.status, 400) << target << ": " << r.Describe();
    ExpectErrorBody(r, target);
    const std::string message = Str(r.Json(), {"message"});
    EXPECT_NE(message.find("percent-encoding"), std::string::npos) << message;
    EXPECT_NE(message.find("'/' or NUL"), std::string::npos) << message;
  }
}

TEST_F(BadInput, WrongMethodIs405WithAllow) {
  const HttpReply r = c().Send("DELETE", c().Path("quotes/"), std::nullopt);
  EXPECT_EQ(r.status, 405) << r.Describe();
  ASSERT_TRUE(r.Header("Allow").has_value()) << "405 without Allow";
  EXPECT_NE(r.Header("Allow")->find("POST"), std::string::npos) << *r.Header("Allow");
  ExpectErrorBody(r, "DELETE quotes/");

  const HttpReply get_opt_out =
      c().Send("GET", c().Path("bookings/AAAAA-BBBBB-INS/opt_out"), std::nullopt);
  EXPECT_EQ(get_opt_out.status, 405) << get_opt_out.Describe();
  EXPECT_NE(get_opt_out.Header("Allow").value_or("").find("POST"), std::string::npos);

  const HttpReply post_healthz = SendRaw(port(), RawRequest{"POST", "/healthz", "{}", {}});
  EXPECT_EQ(post_healthz.status, 405) << post_healthz.Describe();
  EXPECT_NE(post_healthz.Header("Allow").value_or("").find("GET"), std::string::npos);
}

TEST_F(BadInput, HealthzNeedsNoSignature) {
  const HttpReply r = SendRaw(port(), RawRequest{"GET", "/healthz", std::nullopt, {}});
  EXPECT_EQ(r.status, 200) << r.Describe();
}

TEST_F(BadInput, GarbageHttpDoesNotKillTheServer) {
  RawConnection conn(port());
  ASSERT_TRUE(conn.connected());
  conn.Write("THIS IS NOT HTTP\r\n\r\n");
  const HttpReply r = conn.ReadReply(std::chrono::seconds(5));
  if (r.status != 0) {
    EXPECT_EQ(r.status, 400) << r.Describe();
  }
  EXPECT_EQ(c().Post("quotes/", CassetteQuoteBody()).status, 201);
}

}  // namespace
}  // namespace itest
