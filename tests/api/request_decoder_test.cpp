// Request decoding: body parsing (empty, malformed, UTF-8, depth) and the
// shape checks of every XCover request, with XCover's field error wording
// and dotted paths.
#include "api/request_decoder.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include <boost/json.hpp>

namespace offerledger {
namespace {

namespace json = boost::json;

constexpr const char* kCassetteQuoteRequest = R"({"policy_type": "event_ticket_protection",
  "policy_type_version": 1, "policy_start_date": "2021-10-01T00:29:29Z",
  "event_datetime": "2021-10-10T13:44:15Z", "event_name": "Ariana Grande",
  "event_location": "The O2", "number_of_tickets": 2, "tickets": [{"price": 100}],
  "resale_ticket": false, "event_country": "GB"})";

json::value J(std::string_view text) { return json::parse(text); }

json::value CassetteCreate() {
  json::object o;
  o["request"] = json::array{J(kCassetteQuoteRequest)};
  o["currency"] = "GBP";
  o["customer_country"] = "GB";
  o["customer_region"] = "London";
  o["customer_language"] = "en";
  return o;
}

// path -> message of a failed decode; fails the test when it succeeded or
// was not a 422-style validation error.
template <typename T>
std::map<std::string, std::string> Errors(const Result<T>& r) {
  std::map<std::string, std::string> out;
  if (r.ok()) {
    ADD_FAILURE() << "decoded without errors";
    return out;
  }
  EXPECT_EQ(r.status().code(), StatusCode::kInvalid) << r.status().ToString();
  EXPECT_EQ(r.status().message(), "An API error occurred.");
  for (const auto& f : r.status().fields()) out[f.path] = f.message;
  return out;
}

// ---------------------------------------------------------------- ParseJsonBody

TEST(ParseJsonBodyTest, EmptyBodyIsNull) {
  auto v = ParseJsonBody("");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->is_null());
}

TEST(ParseJsonBodyTest, ParsesValues) {
  auto n = ParseJsonBody("null");
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->is_null());
  auto o = ParseJsonBody(R"( {"a": [1, "£"]} )");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->at("a").at(1).as_string(), "£");
  auto e = ParseJsonBody("{}");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->is_object());
}

TEST(ParseJsonBodyTest, MalformedJsonIsBadRequest) {
  for (std::string_view body :
       {"{", "{\"a\":}", "{} x", "nul", "{'a':1}", "[1,]", " ", "{\"a\":\"\n\"}"}) {
    auto v = ParseJsonBody(body);
    ASSERT_FALSE(v.ok()) << body;
    EXPECT_EQ(v.status().code(), StatusCode::kBadRequest) << body;
    EXPECT_NE(v.status().message().find("Malformed JSON"), std::string::npos)
        << v.status().message();
  }
}

TEST(ParseJsonBodyTest, InvalidUtf8IsBadRequest) {
  const std::string bad[] = {
      "{\"a\":\"\xff\"}",              // never valid
      "{\"a\":\"\xC3\"}",              // truncated two-byte sequence
      "{\"a\":\"\xC0\xAF\"}",          // overlong '/'
      "{\"a\":\"\xE0\x80\xAF\"}",      // overlong, three bytes
      "{\"a\":\"\xED\xA0\x80\"}",      // UTF-16 surrogate
      "{\"a\":\"\xF4\x90\x80\x80\"}",  // above U+10FFFF
      "{\"a\":\"\x80\"}",              // lone continuation byte
      "\xE2\x82",                      // truncated at the very end
  };
  for (const auto& body : bad) {
    auto v = ParseJsonBody(body);
    ASSERT_FALSE(v.ok()) << body;
    EXPECT_EQ(v.status().code(), StatusCode::kBadRequest);
    EXPECT_NE(v.status().message().find("UTF-8"), std::string::npos) << v.status().message();
  }
}

TEST(ParseJsonBodyTest, ValidMultiByteUtf8IsAccepted) {
  // 2-, 3- and 4-byte sequences, including the last code point.
  auto v =
      ParseJsonBody("[\"\xC2\xA3\", \"\xE2\x82\xAC\", \"\xF0\x9F\x8E\xAB\", \"\xF4\x8F\xBF\xBF\"]");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->as_array().size(), 4u);
}

TEST(ParseJsonBodyTest, DepthLimitIs64) {
  auto nest = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  auto ok = ParseJsonBody(nest(64));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  auto deep = ParseJsonBody(nest(65));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kBadRequest);
  std::string objects;
  for (int i = 0; i < 200; ++i) objects += "{\"a\":";
  objects += "1";
  for (int i = 0; i < 200; ++i) objects += "}";
  auto very_deep = ParseJsonBody(objects);
  ASSERT_FALSE(very_deep.ok());
  EXPECT_EQ(very_deep.status().code(), StatusCode::kBadRequest);
}

// ---------------------------------------------------------- DecodeCreatePackage

TEST(DecodeCreatePackageTest, CassetteRequest) {
  auto r = DecodeCreatePackage(CassetteCreate(), false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->currency, "GBP");
  EXPECT_EQ(r->customer_country, "GB");
  EXPECT_EQ(r->customer_region, "London");
  EXPECT_EQ(r->customer_language, "en");
  EXPECT_FALSE(r->partner_transaction_id.has_value());
  ASSERT_EQ(r->quote_requests.size(), 1u);
  EXPECT_EQ(r->quote_requests[0].at("event_name").as_string(), "Ariana Grande");
  // Product fields are kept whole for the catalog.
  EXPECT_TRUE(r->quote_requests[0].contains("policy_type"));
  EXPECT_TRUE(r->policyholder_json.empty());
}

TEST(DecodeCreatePackageTest, OptionalMembersMayBeAbsentOrNull) {
  json::object o;
  o["request"] = json::array{J(kCassetteQuoteRequest)};
  o["currency"] = nullptr;
  o["partner_transaction_id"] = "tx-42";
  o["partner_metadata"] = json::object{{"anything", 1}};
  auto r = DecodeCreatePackage(o, false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->currency, "");  // the catalog's default
  EXPECT_EQ(r->customer_country, "");
  EXPECT_EQ(r->partner_transaction_id, "tx-42");
}

TEST(DecodeCreatePackageTest, NotAnObject) {
  for (const char* body : {"[]", "null", "\"x\"", "3"}) {
    auto e = Errors(DecodeCreatePackage(J(body), false));
    EXPECT_EQ(e["non_field_errors"], "Expected a JSON object.") << body;
  }
}

TEST(DecodeCreatePackageTest, UnexpectedTopLevelField) {
  json::value body = CassetteCreate();
  body.as_object()["policy_version"] = 1;
  body.as_object()["policyholder"] = json::object{};  // only for instant booking
  auto e = Errors(DecodeCreatePackage(body, false));
  EXPECT_EQ(e.size(), 2u);
  EXPECT_EQ(e["policy_version"], "Unexpected field");
  EXPECT_EQ(e["policyholder"], "Unexpected field");
}

TEST(DecodeCreatePackageTest, RequestIsRequired) {
  json::value body = CassetteCreate();
  body.as_object().erase("request");
  auto e = Errors(DecodeCreatePackage(body, false));
  EXPECT_EQ(e["request"], "This field is required.");

  body.as_object()["request"] = nullptr;
  EXPECT_EQ(Errors(DecodeCreatePackage(body, false))["request"], "This field is required.");
}

TEST(DecodeCreatePackageTest, RequestMustBeANonEmptyListOfObjects) {
  json::value body = CassetteCreate();
  body.as_object()["request"] = json::array{};
  EXPECT_EQ(Errors(DecodeCreatePackage(body, false))["request"],
            "Expected a non-empty list of quote requests.");
  body.as_object()["request"] = json::object{};
  EXPECT_EQ(Errors(DecodeCreatePackage(body, false))["request"],
            "Expected a non-empty list of quote requests.");
  body.as_object()["request"] = json::array{J(kCassetteQuoteRequest), 7, "x"};
  auto e = Errors(DecodeCreatePackage(body, false));
  EXPECT_EQ(e.count("request.0"), 0u);
  EXPECT_EQ(e["request.1"], "Expected an object.");
  EXPECT_EQ(e["request.2"], "Expected an object.");
}

TEST(DecodeCreatePackageTest, AtMostTwentyQuoteRequests) {
  json::value body = CassetteCreate();
  json::array many;
  for (int i = 0; i < 20; ++i) many.push_back(J(kCassetteQuoteRequest));
  body.as_object()["request"] = many;
  auto ok = DecodeCreatePackage(body, false);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->quote_requests.size(), 20u);
  many.push_back(J(kCassetteQuoteRequest));
  body.as_object()["request"] = many;
  EXPECT_EQ(Errors(DecodeCreatePackage(body, false))["request"],
            "No more than 20 quote requests per package.");
}

TEST(DecodeCreatePackageTest, CodesAreChecked) {
  json::value body = CassetteCreate();
  body.as_object()["currency"] = "gbp";
  body.as_object()["customer_country"] = "GBR";
  auto e = Errors(DecodeCreatePackage(body, false));
  EXPECT_EQ(e["currency"], "Expected an ISO 4217 currency code.");
  EXPECT_EQ(e["customer_country"], "Expected an ISO 3166-1 alpha-2 country code.");

  body.as_object()["currency"] = "GB";
  body.as_object()["customer_country"] = "gb";
  e = Errors(DecodeCreatePackage(body, false));
  EXPECT_EQ(e["currency"], "Expected an ISO 4217 currency code.");
  EXPECT_EQ(e["customer_country"], "Expected an ISO 3166-1 alpha-2 country code.");
}

TEST(DecodeCreatePackageTest, StringMembersAreTypedAndBounded) {
  json::value body = CassetteCreate();
  body.as_object()["currency"] = 826;
  body.as_object()["customer_region"] = std::string(201, 'x');
  body.as_object()["customer_language"] = std::string(17, 'e');
  body.as_object()["partner_transaction_id"] = "tx\x01";
  auto e = Errors(DecodeCreatePackage(body, false));
  EXPECT_EQ(e["currency"], "Expected a string.");
  EXPECT_EQ(e["customer_region"], "Ensure this field has no more than 200 characters.");
  EXPECT_EQ(e["customer_language"], "Ensure this field has no more than 16 characters.");
  EXPECT_EQ(e["partner_transaction_id"], "Control characters are not allowed.");

  body = CassetteCreate();
  body.as_object()["customer_region"] = std::string(200, 'x');
  body.as_object()["customer_language"] = std::string(16, 'e');
  EXPECT_TRUE(DecodeCreatePackage(body, false).ok());
}

TEST(DecodeCreatePackageTest, InstantBookingNeedsAPolicyholder) {
  json::value body = CassetteCreate();
  auto e = Errors(DecodeCreatePackage(body, true));
  EXPECT_EQ(e["policyholder"], "This field is required.");

  body.as_object()["policyholder"] =
      J(R"({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com",
            "country": "GB", "age": 30})");
  auto r = DecodeCreatePackage(body, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  json::value ph = json::parse(r->policyholder_json);
  EXPECT_EQ(ph.at("first_name").as_string(), "Ann");
  EXPECT_EQ(ph.at("age").as_int64(), 30);
}

TEST(DecodeCreatePackageTest, InstantBookingReportsPolicyholderFieldsWithTheirPath) {
  json::value body = CassetteCreate();
  body.as_object()["policyholder"] = J(R"({"first_name": "Ann", "email": "nope", "pet": 1})");
  body.as_object()["currency"] = "x";
  auto e = Errors(DecodeCreatePackage(body, true));
  EXPECT_EQ(e["policyholder.last_name"], "This field is required.");
  EXPECT_EQ(e["policyholder.email"], "Enter a valid email address.");
  EXPECT_EQ(e["policyholder.pet"], "Unexpected field");
  EXPECT_EQ(e["currency"], "Expected an ISO 4217 currency code.");
}

// ---------------------------------------------------------- DecodePolicyholder

TEST(DecodePolicyholderTest, CanonicalObjectHasEveryKnownMember) {
  auto r = DecodePolicyholder(
      J(R"({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"})"), "ph");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  json::value v = json::parse(*r);
  const json::object& o = v.as_object();
  for (const char* key :
       {"first_name", "middle_name", "last_name", "email", "phone", "country", "age", "address1",
        "address2", "city", "postcode", "region", "secondary_email", "birth_date", "company",
        "allow_updates", "language"}) {
    EXPECT_TRUE(o.contains(key)) << key;
  }
  EXPECT_EQ(o.size(), 17u);
  EXPECT_EQ(o.at("first_name").as_string(), "Ann");
  EXPECT_TRUE(o.at("middle_name").is_null());
  EXPECT_TRUE(o.at("age").is_null());
  EXPECT_EQ(o.at("allow_updates").as_bool(), false);
}

TEST(DecodePolicyholderTest, FullPolicyholder) {
  auto r = DecodePolicyholder(J(R"({"first_name": "Ann", "middle_name": "B", "last_name": "Lee",
      "email": "ann@example.com", "phone": "+447700900000", "country": "GB", "age": 130,
      "address1": "1 Road", "city": "London", "postcode": "E1 1AA", "region": "London",
      "birth_date": "1990-01-02", "allow_updates": true, "language": "en"})"),
                              "policyholder");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  json::value v = json::parse(*r);
  EXPECT_EQ(v.at("age").as_int64(), 130);
  EXPECT_EQ(v.at("allow_updates").as_bool(), true);
  EXPECT_EQ(v.at("phone").as_string(), "+447700900000");
  EXPECT_EQ(v.at("birth_date").as_string(), "1990-01-02");
}

TEST(DecodePolicyholderTest, RequiredMembers) {
  auto e = Errors(DecodePolicyholder(J(R"({"first_name": "", "middle_name": "x"})"), "p"));
  EXPECT_EQ(e["p.first_name"], "This field is required.");
  EXPECT_EQ(e["p.last_name"], "This field is required.");
  EXPECT_EQ(e["p.email"], "This field is required.");
  EXPECT_EQ(e.count("p.middle_name"), 0u);
}

TEST(DecodePolicyholderTest, NotAnObject) {
  auto e = Errors(DecodePolicyholder(J("[1]"), "policyholder"));
  EXPECT_EQ(e["policyholder"], "Expected an object.");
}

TEST(DecodePolicyholderTest, MemberChecks) {
  const std::string base = R"("first_name": "Ann", "last_name": "Lee", )";
  struct Case {
    std::string members;
    std::string path;
    std::string message;
  };
  const Case cases[] = {
      {R"("email": "ann")", "email", "Enter a valid email address."},
      {R"("email": "@example.com")", "email", "Enter a valid email address."},
      {R"("email": "ann@")", "email", "Enter a valid email address."},
      {R"("email": "a@b", "country": "gb")", "country",
       "Expected an ISO 3166-1 alpha-2 country code."},
      {R"("email": "a@b", "country": "GBR")", "country",
       "Expected an ISO 3166-1 alpha-2 country code."},
      {R"("email": "a@b", "phone": "07700900000")", "phone",
       "Phone number must be in international format (+...)."},
      {R"("email": "a@b", "birth_date": "02/01/1990")", "birth_date",
       "Expected a date (YYYY-MM-DD)."},
      {R"("email": "a@b", "age": 131)", "age",
       "Expected a whole number of years between 0 and 130."},
      {R"("email": "a@b", "age": -1)", "age",
       "Expected a whole number of years between 0 and 130."},
      {R"("email": "a@b", "age": 30.5)", "age",
       "Expected a whole number of years between 0 and 130."},
      {R"("email": "a@b", "age": "30")", "age",
       "Expected a whole number of years between 0 and 130."},
      {R"("email": "a@b", "allow_updates": "yes")", "allow_updates", "Expected true or false."},
      {R"("email": "a@b", "city": 5)", "city", "Expected a string."},
      {R"("email": "a@b", "city": "Lon\u0000don")", "city", "Control characters are not allowed."},
      {R"("email": "a@b", "nickname": "A")", "nickname", "Unexpected field"},
  };
  for (const auto& c : cases) {
    const std::string text = "{" + base + c.members + "}";
    auto e = Errors(DecodePolicyholder(J(text), "policyholder"));
    EXPECT_EQ(e["policyholder." + c.path], c.message) << text;
  }
}

// One error per field: a required member of the wrong type is reported as
// "Expected a string.", not also as missing (two errors on one path would
// render as a duplicate key in the 422 body's "errors" object).
TEST(DecodePolicyholderTest, WrongTypeOfARequiredMemberIsOneError) {
  auto r = DecodePolicyholder(J(R"({"first_name": 5, "last_name": "Lee", "email": "a@b"})"),
                              "policyholder");
  ASSERT_FALSE(r.ok());
  std::vector<std::string> messages;
  for (const auto& f : r.status().fields()) {
    if (f.path == "policyholder.first_name") messages.push_back(f.message);
  }
  EXPECT_EQ(messages, (std::vector<std::string>{"Expected a string."}));
}

TEST(DecodePolicyholderTest, AgeBounds) {
  for (const char* age : {"0", "130", "null"}) {
    const std::string text =
        std::string(R"({"first_name": "A", "last_name": "B", "email": "a@b", "age": )") + age + "}";
    EXPECT_TRUE(DecodePolicyholder(J(text), "p").ok()) << text;
  }
}

// ---------------------------------------------------------- DecodeUpdatePackage

TEST(DecodeUpdatePackageTest, CassetteUpdate) {
  auto r = DecodeUpdatePackage(J(R"({"currency": "AUD", "request": [{"quote_id":
      "13962f43-6156-4891-8f1b-02e10bee0769", "tickets": [{"price": 50}]}]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->currency, "AUD");
  EXPECT_FALSE(r->customer_country.has_value());
  ASSERT_EQ(r->updates.size(), 1u);
  EXPECT_EQ(r->updates[0].quote_id, "13962f43-6156-4891-8f1b-02e10bee0769");
  EXPECT_FALSE(r->updates[0].fields.contains("quote_id"));
  EXPECT_EQ(r->updates[0].fields.size(), 1u);
  EXPECT_TRUE(r->updates[0].fields.contains("tickets"));
}

TEST(DecodeUpdatePackageTest, EverythingIsOptional) {
  auto r = DecodeUpdatePackage(J("{}"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->currency.has_value());
  EXPECT_TRUE(r->updates.empty());
  auto c = DecodeUpdatePackage(J(R"({"customer_country": "AU", "partner_transaction_id": "t"})"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->customer_country, "AU");
  EXPECT_EQ(c->partner_transaction_id, "t");
}

TEST(DecodeUpdatePackageTest, Errors) {
  auto e = Errors(DecodeUpdatePackage(J(R"({"currency": "aud", "customer_country": "AUS",
      "customer_region": "NSW", "request": [{"tickets": []}, 5, {"quote_id": 7}]})")));
  EXPECT_EQ(e["currency"], "Expected an ISO 4217 currency code.");
  EXPECT_EQ(e["customer_country"], "Expected an ISO 3166-1 alpha-2 country code.");
  EXPECT_EQ(e["customer_region"], "Unexpected field");
  EXPECT_EQ(e["request.0.quote_id"], "This field is required.");
  EXPECT_EQ(e["request.1"], "Expected an object.");
  EXPECT_EQ(e["request.2.quote_id"], "This field is required.");

  EXPECT_EQ(Errors(DecodeUpdatePackage(J(R"({"request": {}})")))["request"], "Expected a list.");
  EXPECT_EQ(Errors(DecodeUpdatePackage(J("[]")))["non_field_errors"], "Expected a JSON object.");
}

// -------------------------------------------------------------- DecodeAddQuotes

TEST(DecodeAddQuotesTest, Requests) {
  json::object body;
  body["request"] = json::array{J(kCassetteQuoteRequest), J(kCassetteQuoteRequest)};
  auto r = DecodeAddQuotes(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 2u);

  body["currency"] = "GBP";
  EXPECT_EQ(Errors(DecodeAddQuotes(body))["currency"], "Unexpected field");
  EXPECT_EQ(Errors(DecodeAddQuotes(J("{}")))["request"], "This field is required.");
  EXPECT_EQ(Errors(DecodeAddQuotes(J("null")))["non_field_errors"], "Expected a JSON object.");
}

// --------------------------------------------------------------- DecodeQuoteIds

TEST(DecodeQuoteIdsTest, Ids) {
  auto r = DecodeQuoteIds(J(R"({"quotes": [{"id": "a"}, {"id": "b", "insured": []}]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<std::string>{"a", "b"}));
}

TEST(DecodeQuoteIdsTest, Errors) {
  EXPECT_EQ(Errors(DecodeQuoteIds(J("{}")))["quotes"],
            "Expected a non-empty list of {\"id\": ...}.");
  EXPECT_EQ(Errors(DecodeQuoteIds(J(R"({"quotes": []})")))["quotes"],
            "Expected a non-empty list of {\"id\": ...}.");
  EXPECT_EQ(Errors(DecodeQuoteIds(J(R"({"quotes": "a"})")))["quotes"],
            "Expected a non-empty list of {\"id\": ...}.");
  auto e = Errors(DecodeQuoteIds(
      J(R"({"quotes": [{"id": "a", "price": 1}, "b", {}, {"id": 3}], "extra": true})")));
  EXPECT_EQ(e["extra"], "Unexpected field");
  EXPECT_EQ(e["quotes.0.price"], "Unexpected field");
  EXPECT_EQ(e["quotes.1"], "Expected an object.");
  EXPECT_EQ(e["quotes.2.id"], "This field is required.");
  EXPECT_EQ(e["quotes.3.id"], "This field is required.");
  EXPECT_EQ(e.count("quotes.0.id"), 0u);
}

// ---------------------------------------------------------------- DecodeBooking

TEST(DecodeBookingTest, CassetteBooking) {
  auto r = DecodeBooking(J(R"({"quotes": [{"id": "q1"}], "policyholder": {"first_name":
      "Ann", "last_name": "Lee", "email": "ann@example.com", "age": 30, "country": "GB"},
      "partner_transaction_id": "tx-9", "partner_metadata": {"k": "v"}})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->quote_ids, (std::vector<std::string>{"q1"}));
  EXPECT_EQ(r->partner_transaction_id, "tx-9");
  json::value ph = json::parse(r->policyholder_json);
  EXPECT_EQ(ph.at("email").as_string(), "ann@example.com");
  EXPECT_EQ(ph.at("country").as_string(), "GB");
  EXPECT_TRUE(ph.as_object().contains("postcode"));
}

TEST(DecodeBookingTest, ErrorsFromEveryPartAreCollected) {
  auto e = Errors(DecodeBooking(J(R"({"quotes": [{}], "policyholder": {"first_name": "A"},
      "coupon": "x"})")));
  EXPECT_EQ(e["coupon"], "Unexpected field");
  EXPECT_EQ(e["quotes.0.id"], "This field is required.");
  EXPECT_EQ(e["policyholder.last_name"], "This field is required.");
  EXPECT_EQ(e["policyholder.email"], "This field is required.");

  auto missing = Errors(DecodeBooking(J("{}")));
  EXPECT_EQ(missing["quotes"], "Expected a non-empty list of {\"id\": ...}.");
  EXPECT_EQ(missing["policyholder"], "This field is required.");

  EXPECT_EQ(Errors(DecodeBooking(J("[]")))["non_field_errors"], "Expected a JSON object.");
}

// ----------------------------------------------------------------- DecodeCancel

TEST(DecodeCancelTest, PreviewFlag) {
  auto none = DecodeCancel(json::value(nullptr));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->preview);
  auto empty = DecodeCancel(J("{}"));
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->preview);
  auto yes = DecodeCancel(J(R"({"preview": true})"));
  ASSERT_TRUE(yes.ok());
  EXPECT_TRUE(yes->preview);
  auto no = DecodeCancel(J(R"({"preview": false, "reason": "x", "quotes": []})"));
  ASSERT_TRUE(no.ok()) << no.status().ToString();
  EXPECT_FALSE(no->preview);
  auto null_preview = DecodeCancel(J(R"({"preview": null})"));
  ASSERT_TRUE(null_preview.ok());
  EXPECT_FALSE(null_preview->preview);
}

TEST(DecodeCancelTest, Errors) {
  EXPECT_EQ(Errors(DecodeCancel(J(R"({"preview": "yes"})")))["preview"], "Expected true or false.");
  EXPECT_EQ(Errors(DecodeCancel(J(R"({"preview": 1})")))["preview"], "Expected true or false.");
  EXPECT_EQ(Errors(DecodeCancel(J(R"({"confirm": true})")))["confirm"], "Unexpected field");
  EXPECT_EQ(Errors(DecodeCancel(J("[]")))["non_field_errors"], "Expected a JSON object.");
}

// ------------------------------------------------------------ CheckEmptyPayload

TEST(CheckEmptyPayloadTest, AcceptsNothingNullAndObjects) {
  EXPECT_TRUE(CheckEmptyPayload(json::value(nullptr)).ok());
  EXPECT_TRUE(CheckEmptyPayload(J("{}")).ok());
  EXPECT_TRUE(CheckEmptyPayload(*ParseJsonBody("")).ok());
  EXPECT_TRUE(CheckEmptyPayload(*ParseJsonBody("null")).ok());
  EXPECT_TRUE(CheckEmptyPayload(J(R"({"reason": "changed mind"})")).ok());
}

TEST(CheckEmptyPayloadTest, RefusesOtherValues) {
  for (const char* body : {"[]", "\"x\"", "1", "true"}) {
    Status s = CheckEmptyPayload(J(body));
    EXPECT_EQ(s.code(), StatusCode::kBadRequest) << body;
    EXPECT_FALSE(s.message().empty());
  }
}

// ---------------------------------------------------------------- send_email

TEST(DecodeEmailEventTest, NoPayloadMeansTheBookingConfirmation) {
  for (const char* body : {"", "null", "{}", R"({"event": null})"}) {
    auto e = DecodeEmailEvent(*ParseJsonBody(body));
    ASSERT_TRUE(e.ok()) << body << ": " << e.status().ToString();
    EXPECT_EQ(*e, "BOOKING_CREATED") << body;
  }
  auto cancelled = DecodeEmailEvent(J(R"({"event": "BOOKING_CANCELLED"})"));
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(*cancelled, "BOOKING_CANCELLED");
  // Any string is passed on: the service checks it against the catalog.
  auto unknown = DecodeEmailEvent(J(R"({"event": "NO_SUCH_EVENT"})"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(*unknown, "NO_SUCH_EVENT");
}

TEST(DecodeEmailEventTest, Errors) {
  Status extra = DecodeEmailEvent(J(R"({"event": "BOOKING_CREATED", "to": "x@y.z"})")).status();
  EXPECT_EQ(extra.code(), StatusCode::kInvalid);
  EXPECT_NE(extra.message().find("Unexpected field to"), std::string::npos) << extra.message();
  Status number = DecodeEmailEvent(J(R"({"event": 3})")).status();
  EXPECT_EQ(number.code(), StatusCode::kInvalid);
  EXPECT_NE(number.message().find("BOOKING_CREATED"), std::string::npos) << number.message();
  for (const char* body : {"[]", "\"BOOKING_CREATED\"", "1"}) {
    EXPECT_EQ(DecodeEmailEvent(J(body)).status().code(), StatusCode::kBadRequest) << body;
  }
}

}  // namespace
}  // namespace offerledger
