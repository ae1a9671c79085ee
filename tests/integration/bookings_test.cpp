// Quote packages and bookings over HTTP (CONTRACT.md, "Quote packages",
// "Bookings"), and the default catalog's price for the cassette request.
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/cassette.h"
#include "integration/fixture.h"

namespace itest {
namespace {

namespace json = boost::json;

class Bookings : public ServerTest {};

// The body of the cassette's first request, with its "request" list repeated.
std::string QuoteBodyWithTwoQuotes() {
  json::value v = json::parse(CassetteQuoteBody());
  json::array& req = v.as_object()["request"].as_array();
  req.push_back(req.at(0));
  return json::serialize(v);
}

// A link of ours ("http://127.0.0.1:PORT/xcover/...") as a request target.
std::string TargetOfLink(const std::string& url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const std::size_t slash = url.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

TEST_F(Bookings, DefaultCatalogPricesTheCassetteRequestAt201) {
  // event_ticket_protection v1, GBP, customer_country GB, as recorded:
  // premium 0.90 + Admin. fee 1.00 + IPT 0.11 = 2.01.
  const json::object pkg = c().CreateQuote();
  EXPECT_EQ(Str(pkg, {"status"}), "RECEIVED");
  EXPECT_EQ(Str(pkg, {"currency"}), "GBP");
  EXPECT_DOUBLE_EQ(Num(pkg, {"total_price"}), 2.01) << json::serialize(pkg);
  EXPECT_EQ(Str(pkg, {"total_price_formatted"}),
            "\xC2\xA3"
            "2.01");
  const json::value& q = pkg.at("quotes").at("0");
  EXPECT_EQ(Str(q, {"status"}), "RECEIVED");
  EXPECT_DOUBLE_EQ(Num(q, {"price"}), 2.01);
  EXPECT_EQ(Str(q, {"price_formatted"}),
            "\xC2\xA3"
            "2.01");
  EXPECT_EQ(Str(q, {"policy", "policy_type"}), "event_ticket_protection");
  EXPECT_DOUBLE_EQ(Num(q, {"tax", "total_amount_without_tax"}), 0.90);
  EXPECT_DOUBLE_EQ(Num(q, {"tax", "total_tax"}), 1.11);
  ASSERT_TRUE(Has(q, {"tax", "taxes", "1"})) << json::serialize(q);
  EXPECT_EQ(Str(q, {"tax", "taxes", "0", "tax_code"}), "Admin. fee");
  EXPECT_DOUBLE_EQ(Num(q, {"tax", "taxes", "0", "tax_amount"}), 1.00);
  EXPECT_EQ(Str(q, {"tax", "taxes", "1", "tax_code"}), "IPT");
  EXPECT_DOUBLE_EQ(Num(q, {"tax", "taxes", "1", "tax_amount"}), 0.11);
  // The id format: two groups of five upper-case letters/digits, then -INS.
  const std::string id = Str(pkg, {"id"});
  ASSERT_EQ(id.size(), 15u) << id;
  EXPECT_EQ(id.substr(5, 1), "-");
  EXPECT_EQ(id.substr(11), "-INS");
  for (std::size_t i : {0, 1, 2, 3, 4, 6, 7, 8, 9, 10}) {
    EXPECT_TRUE((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')) << id;
  }
}

TEST_F(Bookings, ListWithLimitAndOffset) {
  std::set<std::string> booked;
  for (int i = 0; i < 5; ++i) booked.insert(Str(c().InstantBooking(), {"id"}));
  ASSERT_EQ(booked.size(), 5u);
  // Not bookings: a plain quote and an opted-out one.
  c().CreateQuote();
  const std::string opted = Str(c().CreateQuote(), {"id"});
  ASSERT_EQ(c().Post("bookings/" + opted + "/opt_out", "{}").status, 204);

  std::set<std::string> listed;
  const HttpReply first = c().Get("bookings/?limit=2&offset=0");
  ASSERT_EQ(first.status, 200) << first.Describe();
  const json::value p1 = first.Json();
  EXPECT_EQ(Num(p1, {"count"}), 5);
  ASSERT_TRUE(p1.at("results").is_array());
  EXPECT_EQ(p1.at("results").as_array().size(), 2u);
  EXPECT_TRUE(p1.at("previous").is_null()) << first.body.substr(0, 300);
  const std::string next = Str(p1, {"next"});
  EXPECT_NE(next.find("limit=2"), std::string::npos) << next;
  EXPECT_NE(next.find("offset=2"), std::string::npos) << next;
  for (const auto& r : p1.at("results").as_array()) {
    listed.insert(Str(r, {"id"}));
    EXPECT_EQ(Str(r, {"status"}), "CONFIRMED");
    EXPECT_TRUE(r.at("quotes").is_array());
  }

  // Follow the next link as a client would.
  const HttpReply second = c().Send("GET", TargetOfLink(next), std::nullopt);
  ASSERT_EQ(second.status, 200) << next << ": " << second.Describe();
  const json::value p2 = second.Json();
  EXPECT_EQ(p2.at("results").as_array().size(), 2u);
  EXPECT_FALSE(Str(p2, {"previous"}).empty()) << second.body.substr(0, 300);
  EXPECT_FALSE(Str(p2, {"next"}).empty()) << second.body.substr(0, 300);
  for (const auto& r : p2.at("results").as_array()) listed.insert(Str(r, {"id"}));

  const HttpReply last = c().Get("bookings/?limit=2&offset=4");
  ASSERT_EQ(last.status, 200) << last.Describe();
  const json::value p3 = last.Json();
  EXPECT_EQ(Num(p3, {"count"}), 5);
  EXPECT_EQ(p3.at("results").as_array().size(), 1u);
  EXPECT_TRUE(p3.at("next").is_null()) << last.body.substr(0, 300);
  EXPECT_FALSE(Str(p3, {"previous"}).empty());
  for (const auto& r : p3.at("results").as_array()) listed.insert(Str(r, {"id"}));

  EXPECT_EQ(listed, booked) << "pages overlap or miss bookings";

  const HttpReply beyond = c().Get("bookings/?limit=2&offset=10");
  ASSERT_EQ(beyond.status, 200) << beyond.Describe();
  EXPECT_TRUE(beyond.Json().at("results").as_array().empty());
  EXPECT_EQ(c().Get("bookings/").status, 200);
  EXPECT_EQ(c().Get("bookings").status, 200);
}

TEST_F(Bookings, ListIsPerPartner) {
  c().InstantBooking();
  const Credentials b = env_.AddPartner("OTHER");
  const Client other(port(), b);
  const HttpReply r = other.Get("bookings/?limit=10&offset=0");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(Num(r.Json(), {"count"}), 0);
}

TEST_F(Bookings, GetBooking) {
  const json::object booked = c().InstantBooking();
  const std::string id = Str(booked, {"id"});
  const HttpReply r = c().Get("bookings/" + id + "/");
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json::value v = r.Json();
  EXPECT_EQ(Str(v, {"id"}), id);
  EXPECT_EQ(Str(v, {"status"}), "CONFIRMED");
  EXPECT_EQ(Str(v, {"quotes", "0", "status"}), "CONFIRMED");
  EXPECT_EQ(Str(v, {"quotes", "0", "id"}), Str(booked, {"quotes", "0", "id"}));
  EXPECT_EQ(Str(v, {"policyholder", "first_name"}), "Melanie");
  EXPECT_DOUBLE_EQ(Num(v, {"total_price"}), 2.01);
  // Without the trailing slash, and under /x.
  EXPECT_EQ(c().Get("bookings/" + id).status, 200);
  const Client x(port(), a_, "/x");
  EXPECT_EQ(x.Get("bookings/" + id + "/").status, 200);
}

TEST_F(Bookings, GetBookingOfUnbookedPackageIs404) {
  const std::string id = Str(c().CreateQuote(), {"id"});
  const HttpReply r = c().Get("bookings/" + id + "/");
  EXPECT_EQ(r.status, 404) << r.Describe();
  EXPECT_FALSE(Str(r.Json(), {"type"}).empty()) << r.body;
  EXPECT_EQ(c().Get("bookings/AAAAA-BBBBB-INS/").status, 404);
}

TEST_F(Bookings, CancelPreviewThenConfirm) {
  const json::object booked = c().InstantBooking();
  const std::string id = Str(booked, {"id"});

  const HttpReply preview = c().Post("bookings/" + id + "/cancel", R"({"preview": true})");
  ASSERT_EQ(preview.status, 200) << preview.Describe();
  const json::value pv = preview.Json();
  const std::string cancellation_id = Str(pv, {"cancellation_id"});
  ASSERT_FALSE(cancellation_id.empty()) << preview.body.substr(0, 500);
  EXPECT_TRUE(Has(pv, {"total_refund"}));
  const double preview_refund = Num(pv, {"total_refund"});
  // Right after booking the whole price comes back (as recorded: refund 2.02
  // of 2.02 in test_cancel_booking*.yaml).
  EXPECT_DOUBLE_EQ(preview_refund, 2.01) << preview.body.substr(0, 500);

  // A preview changes nothing (test_cancel_booking_with_confirmation.yaml).
  const HttpReply still = c().Get("bookings/" + id + "/");
  ASSERT_EQ(still.status, 200);
  EXPECT_EQ(Str(still.Json(), {"status"}), "CONFIRMED");

  const HttpReply confirm =
      c().Post("bookings/" + id + "/confirm_cancellation/" + cancellation_id + "/", "{}");
  ASSERT_EQ(confirm.status, 200) << confirm.Describe();
  const json::value cv = confirm.Json();
  EXPECT_EQ(Str(cv, {"status"}), "CANCELLED");
  EXPECT_DOUBLE_EQ(Num(cv, {"total_refund"}), preview_refund) << confirm.body.substr(0, 500);
  EXPECT_EQ(Str(cv, {"quotes", "0", "status"}), "CANCELLED");

  const HttpReply after = c().Get("bookings/" + id + "/");
  ASSERT_EQ(after.status, 200) << after.Describe();
  EXPECT_EQ(Str(after.Json(), {"status"}), "CANCELLED");
  EXPECT_DOUBLE_EQ(Num(after.Json(), {"total_price"}), 0.0) << after.body.substr(0, 300);
  EXPECT_EQ(Str(c().GetQuote(id), {"status"}), "CANCELLED");

  // Cancelling again is an invalid state: 422 naming CANCELLED.
  const HttpReply again = c().Post("bookings/" + id + "/cancel", "{}");
  EXPECT_EQ(again.status, 422) << again.Describe();
  EXPECT_EQ(Str(again.Json(), {"errors", "status"}), "CANCELLED") << again.body;
}

TEST_F(Bookings, CancelWithoutPreview) {
  const std::string id = Str(c().InstantBooking(), {"id"});
  const HttpReply r = c().Post("bookings/" + id + "/cancel", "{}");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(Str(r.Json(), {"status"}), "CANCELLED");
  EXPECT_DOUBLE_EQ(Num(r.Json(), {"total_refund"}), 2.01);
  EXPECT_EQ(Str(c().GetQuote(id), {"status"}), "CANCELLED");
}

TEST_F(Bookings, InstantBooking) {
  const HttpReply r = c().Post("instant_booking/", CassetteInstantBookingBody());
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json::value v = r.Json();
  EXPECT_EQ(Str(v, {"status"}), "CONFIRMED");
  ASSERT_TRUE(v.at("quotes").is_array());
  EXPECT_EQ(v.at("quotes").as_array().size(), 1u);
  EXPECT_EQ(Str(v, {"quotes", "0", "status"}), "CONFIRMED");
  EXPECT_DOUBLE_EQ(Num(v, {"total_price"}), 2.01);
  EXPECT_EQ(Str(v, {"policyholder", "email"}), "melanie.martinez@test-xcover.com");
  EXPECT_EQ(Str(c().GetQuote(Str(v, {"id"})), {"status"}), "CONFIRMED");
}

TEST_F(Bookings, BookingDropsQuotesNotSelected) {
  const json::object pkg = c().CreateQuote(QuoteBodyWithTwoQuotes());
  ASSERT_DOUBLE_EQ(Num(pkg, {"total_price"}), 4.02);
  const std::string id = Str(pkg, {"id"});
  const std::string keep = Str(pkg, {"quotes", "1", "id"});
  json::value body = json::parse(BookingBodyFor(pkg));
  body.as_object()["quotes"] = json::array{json::object{{"id", keep}}};
  const HttpReply r = c().Post("bookings/" + id + "/", json::serialize(body));
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json::value v = r.Json();
  ASSERT_EQ(v.at("quotes").as_array().size(), 1u) << r.body.substr(0, 400);
  EXPECT_EQ(Str(v, {"quotes", "0", "id"}), keep);
  EXPECT_DOUBLE_EQ(Num(v, {"total_price"}), 2.01);
}

TEST_F(Bookings, BookingWithUnknownQuoteIdIs422) {
  const json::object pkg = c().CreateQuote();
  const std::string id = Str(pkg, {"id"});
  json::value body = json::parse(BookingBodyFor(pkg));
  body.as_object()["quotes"] =
      json::array{json::object{{"id", "02a4f0ca-fab0-405c-b9c7-831f0a1f129f"}}};
  const HttpReply r = c().Post("bookings/" + id + "/", json::serialize(body));
  EXPECT_EQ(r.status, 422) << r.Describe();
  EXPECT_EQ(Str(r.Json(), {"type"}), "validation_error");
  EXPECT_EQ(Str(c().GetQuote(id), {"status"}), "RECEIVED");
}

TEST_F(Bookings, UpdateQuoteRepricesInAud) {
  // test_update_quote.yaml: PATCH currency AUD and a cheaper ticket.
  const json::object pkg = c().CreateQuote();
  const std::string id = Str(pkg, {"id"});
  const std::string quote_id = Str(pkg, {"quotes", "0", "id"});
  const std::string patch = R"({"currency": "AUD", "request": [{"quote_id": ")" + quote_id +
                            R"(", "tickets": [{"price": 50}]}]})";
  const HttpReply r = c().Send("PATCH", c().Path("quotes/" + id + "/"), patch);
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json::value v = r.Json();
  EXPECT_EQ(Str(v, {"currency"}), "AUD");
  EXPECT_NE(Num(v, {"total_price"}), 2.01);
  EXPECT_GT(Num(v, {"total_price"}), 0.0);
  EXPECT_NE(Str(v, {"total_price_formatted"}).find('$'), std::string::npos)
      << Str(v, {"total_price_formatted"});
  EXPECT_EQ(Str(v, {"quotes", "0", "id"}), quote_id);
  EXPECT_DOUBLE_EQ(Num(v, {"quotes", "0", "price"}), Num(v, {"total_price"}));
  // Stored, not just rendered.
  const json::object again = c().GetQuote(id);
  EXPECT_EQ(Str(again, {"currency"}), "AUD");
  EXPECT_DOUBLE_EQ(Num(again, {"total_price"}), Num(v, {"total_price"}));
}

TEST_F(Bookings, AddAndDeleteQuotesChangeTotalPrice) {
  const json::object pkg = c().CreateQuote();
  const std::string id = Str(pkg, {"id"});
  ASSERT_DOUBLE_EQ(Num(pkg, {"total_price"}), 2.01);
  json::value add = json::parse(CassetteQuoteBody());
  const std::string add_body = json::serialize(json::object{{"request", add.at("request")}});
  const HttpReply added = c().Post("quotes/" + id + "/add/", add_body);
  ASSERT_EQ(added.status, 201) << added.Describe();
  EXPECT_DOUBLE_EQ(Num(added.Json(), {"total_price"}), 4.02);
  const std::string second = Str(added.Json(), {"quotes", "1", "id"});
  ASSERT_FALSE(second.empty()) << added.body.substr(0, 400);
  EXPECT_EQ(Str(added.Json(), {"quotes", "0", "id"}), Str(pkg, {"quotes", "0", "id"}));

  const HttpReply removed =
      c().Post("quotes/" + id + "/delete/", R"({"quotes": [{"id": ")" + second + R"("}]})");
  ASSERT_EQ(removed.status, 200) << removed.Describe();
  EXPECT_DOUBLE_EQ(Num(removed.Json(), {"total_price"}), 2.01);
  EXPECT_FALSE(Has(removed.Json(), {"quotes", "1"}));
  EXPECT_DOUBLE_EQ(Num(c().GetQuote(id), {"total_price"}), 2.01);
}

}  // namespace
}  // namespace itest
