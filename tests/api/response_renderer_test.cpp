// Response rendering: the XCover shapes of the recorded cassettes, checked by
// parsing the rendered JSON and by looking at the exact money text.
#include "api/response_renderer.h"

#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

#include "common/time.h"

namespace offerledger {
namespace {

namespace json = boost::json;

const Micros kNow = *ParseIso8601("2021-09-30T12:59:55.123456Z");

// A quote priced like the cassette test_quote.yaml: 0.90 + Admin. fee 1.00 + IPT 0.11.
Quote CassetteQuote(std::string id) {
  Quote q;
  q.id = std::move(id);
  q.policy_type = "event_ticket_protection";
  q.policy_type_version = 1;
  q.policy_name = "Missed Event Cover (Generic)";
  q.policy_code = "MECG0001";
  q.policy_version_id = "5d24e2d1-a341-4b8b-9917-82878470a9c3";
  q.policy_group = "event";
  q.fields_json = R"({"tickets":[{"price":100}]})";
  q.policy_start = *ParseIso8601("2021-10-01T00:29:29Z");
  q.policy_end = *ParseIso8601("2021-10-10T13:44:15Z");
  q.premium = 90;
  q.taxes = {{"Admin. fee", 100}, {"IPT", 11}};
  q.price = 201;
  q.cover_amount = 20000;
  q.content = {"Missed Event Cover for Ariana Grande", "Covers \"you\"", "", "<p>Terms</p>"};
  q.created_at = kNow;
  q.updated_at = kNow;
  return q;
}

QuotePackage CassettePackage(int quotes = 1) {
  QuotePackage p;
  p.id = "PYWUR-TAPHT-INS";
  p.partner = "LLODT";
  p.security_token = "iH1w8-bSWnL-xd6SC-8icSM";
  p.currency = "GBP";
  p.customer_country = "GB";
  p.customer_region = "London";
  p.customer_language = "en";
  p.created_at = kNow;
  p.updated_at = kNow;
  for (int i = 0; i < quotes; ++i) {
    p.quotes.push_back(CassetteQuote("00000000-0000-4000-8000-00000000000" + std::to_string(i)));
  }
  return p;
}

Partner TestPartner() { return Partner{"LLODT", "Llama Tickets", kNow, 0, 0}; }

RenderOptions Opts() {
  RenderOptions o;
  o.public_url = "https://ol.example";
  return o;
}

double Num(const json::value& v) { return v.to_number<double>(); }

// ----------------------------------------------------------- RenderQuotePackage

TEST(RenderQuotePackageTest, CassetteShape) {
  const std::string text = RenderQuotePackage(CassettePackage(), Opts());
  json::value v = json::parse(text);
  const json::object& o = v.as_object();
  EXPECT_EQ(o.at("id").as_string(), "PYWUR-TAPHT-INS");
  EXPECT_EQ(o.at("status").as_string(), "RECEIVED");
  EXPECT_EQ(o.at("currency").as_string(), "GBP");
  EXPECT_TRUE(o.at("total_price").is_number());
  EXPECT_NEAR(Num(o.at("total_price")), 2.01, 1e-12);
  EXPECT_NE(text.find(R"("total_price":2.01,)"), std::string::npos) << text;
  EXPECT_EQ(o.at("total_price_formatted").as_string(), "£2.01");
  EXPECT_TRUE(o.at("partner_transaction_id").is_null());
  EXPECT_EQ(o.at("created_at").as_string(), "2021-09-30T12:59:55.123456Z");
  EXPECT_EQ(o.at("updated_at").as_string(), "2021-09-30T12:59:55.123456Z");
  EXPECT_EQ(o.at("pds_url").as_string(), "https://ol.example/pds/PYWUR-TAPHT-INS");
  EXPECT_EQ(o.at("security_token").as_string(), "iH1w8-bSWnL-xd6SC-8icSM");
  EXPECT_NEAR(Num(o.at("bundle_price")), 2.01, 1e-12);
  EXPECT_TRUE(o.at("errors").as_object().empty());

  ASSERT_TRUE(o.at("quotes").is_object());
  const json::object& quotes = o.at("quotes").as_object();
  ASSERT_EQ(quotes.size(), 1u);
  const json::object& q = quotes.at("0").as_object();
  EXPECT_EQ(q.at("id").as_string(), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(q.at("policy_start_date").as_string(), "2021-10-01T00:29:29+00:00");
  EXPECT_EQ(q.at("policy_end_date").as_string(), "2021-10-10T13:44:15+00:00");
  EXPECT_EQ(q.at("status").as_string(), "RECEIVED");
  EXPECT_NEAR(Num(q.at("price")), 2.01, 1e-12);
  EXPECT_EQ(q.at("price_formatted").as_string(), "£2.01");
  EXPECT_EQ(q.at("duration").as_string(), "9 13:14:46");
  EXPECT_TRUE(q.at("confirmed_at").is_null());
  EXPECT_TRUE(q.at("cancelled_at").is_null());
  EXPECT_EQ(q.at("can_be_cancelled").as_bool(), false);
  EXPECT_NEAR(Num(q.at("cover_amount")), 200.0, 1e-12);
  EXPECT_EQ(q.at("cover_amount_formatted").as_string(), "£200.00");
  EXPECT_EQ(q.at("pds_url").as_string(),
            "https://ol.example/pds/PYWUR-TAPHT-INS?policy_type=event_ticket_protection_v1");

  const json::object& policy = q.at("policy").as_object();
  EXPECT_EQ(policy.at("policy_type").as_string(), "event_ticket_protection");
  EXPECT_EQ(policy.at("policy_name").as_string(), "Missed Event Cover (Generic)");
  EXPECT_EQ(policy.at("policy_code").as_string(), "MECG0001");
  EXPECT_EQ(policy.at("policy_version").as_string(), "5d24e2d1-a341-4b8b-9917-82878470a9c3");
  EXPECT_EQ(policy.at("policy_type_group_name").as_string(), "event");
  const json::object& content = policy.at("content").as_object();
  EXPECT_EQ(content.at("title").as_string(), "Missed Event Cover for Ariana Grande");
  EXPECT_EQ(content.at("description").as_string(), "Covers \"you\"");
  EXPECT_EQ(content.at("optout_msg").as_string(), "");
  EXPECT_EQ(content.at("disclaimer").as_string(), "<p>Terms</p>");

  const json::object& tax = q.at("tax").as_object();
  EXPECT_NEAR(Num(tax.at("total_tax")), 1.11, 1e-12);
  EXPECT_EQ(tax.at("total_tax_formatted").as_string(), "£1.11");
  EXPECT_NEAR(Num(tax.at("total_amount_without_tax")), 0.90, 1e-12);
  EXPECT_EQ(tax.at("total_amount_without_tax_formatted").as_string(), "£0.90");
  const json::array& taxes = tax.at("taxes").as_array();
  ASSERT_EQ(taxes.size(), 2u);
  EXPECT_EQ(taxes[0].at("tax_code").as_string(), "Admin. fee");
  EXPECT_NEAR(Num(taxes[0].at("tax_amount")), 1.00, 1e-12);
  EXPECT_EQ(taxes[0].at("tax_amount_formatted").as_string(), "£1.00");
  EXPECT_EQ(taxes[1].at("tax_code").as_string(), "IPT");
  EXPECT_NEAR(Num(taxes[1].at("tax_amount")), 0.11, 1e-12);
  EXPECT_NE(text.find(R"("tax_amount":1.00,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("total_amount_without_tax":0.90,)"), std::string::npos);

  EXPECT_TRUE(q.at("benefits").is_array());
  const json::object& commission = q.at("commission").as_object();
  EXPECT_NEAR(Num(commission.at("total_commission")), 0.0, 1e-12);
  EXPECT_EQ(commission.at("total_commission_formatted").as_string(), "£0.00");
}

TEST(RenderQuotePackageTest, QuotesAreKeyedByPositionInOrder) {
  QuotePackage p = CassettePackage(3);
  p.quotes[1].price = 350;
  const std::string text = RenderQuotePackage(p, Opts());
  json::value v = json::parse(text);
  const json::object& quotes = v.at("quotes").as_object();
  ASSERT_EQ(quotes.size(), 3u);
  EXPECT_EQ(quotes.at("0").at("id").as_string(), p.quotes[0].id);
  EXPECT_EQ(quotes.at("1").at("id").as_string(), p.quotes[1].id);
  EXPECT_EQ(quotes.at("2").at("id").as_string(), p.quotes[2].id);
  EXPECT_NEAR(Num(quotes.at("1").at("price")), 3.50, 1e-12);
  // Keys appear in order in the text.
  EXPECT_LT(text.find(R"("0":{)"), text.find(R"("1":{)"));
  EXPECT_LT(text.find(R"("1":{)"), text.find(R"("2":{)"));
  // 2.01 + 3.50 + 2.01
  EXPECT_NE(text.find(R"("total_price":7.52,)"), std::string::npos) << text;
  EXPECT_EQ(v.at("total_price_formatted").as_string(), "£7.52");
}

TEST(RenderQuotePackageTest, WholeAmountsKeepTheirDecimals) {
  QuotePackage p = CassettePackage();
  p.quotes[0].price = 200;
  const std::string text = RenderQuotePackage(p, Opts());
  EXPECT_NE(text.find(R"("total_price":2.00,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("price":2.00,)"), std::string::npos) << text;
  json::value v = json::parse(text);
  EXPECT_EQ(v.at("total_price_formatted").as_string(), "£2.00");
}

TEST(RenderQuotePackageTest, YenHasNoDecimals) {
  QuotePackage p = CassettePackage();
  p.currency = "JPY";
  p.quotes[0].price = 1500;
  p.quotes[0].premium = 1300;
  p.quotes[0].taxes = {{"Admin. fee", 200}};
  const std::string text = RenderQuotePackage(p, Opts());
  EXPECT_NE(text.find(R"("total_price":1500,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("price":1500,)"), std::string::npos) << text;
  json::value v = json::parse(text);
  EXPECT_EQ(v.at("currency").as_string(), "JPY");
  EXPECT_EQ(v.at("total_price").to_number<std::int64_t>(), 1500);
  EXPECT_EQ(v.at("total_price_formatted").as_string(), "¥1500");
  EXPECT_EQ(v.at("quotes").at("0").at("tax").at("total_tax_formatted").as_string(), "¥200");
  EXPECT_EQ(v.at("quotes").at("0").at("cover_amount_formatted").as_string(), "¥20000");
}

TEST(RenderQuotePackageTest, OtherCurrencySymbols) {
  QuotePackage p = CassettePackage();
  p.currency = "AUD";
  p.quotes[0].price = 275;
  json::value v = json::parse(RenderQuotePackage(p, Opts()));
  EXPECT_EQ(v.at("total_price_formatted").as_string(), "A$2.75");
  EXPECT_NEAR(Num(v.at("total_price")), 2.75, 1e-12);
}

TEST(RenderQuotePackageTest, CancelledQuotesAreLeftOutOfTotals) {
  QuotePackage p = CassettePackage(2);
  p.quotes[1].price = 500;
  p.quotes[1].status = QuoteStatus::kCancelled;
  p.quotes[1].cancelled_at = kNow;
  const std::string text = RenderQuotePackage(p, Opts());
  json::value v = json::parse(text);
  EXPECT_NEAR(Num(v.at("total_price")), 2.01, 1e-12);
  EXPECT_NE(text.find(R"("total_price":2.01,)"), std::string::npos) << text;
  EXPECT_EQ(v.at("total_price_formatted").as_string(), "£2.01");
  // The cancelled quote is still listed with its own status and price.
  const json::value& q1 = v.at("quotes").at("1");
  EXPECT_EQ(q1.at("status").as_string(), "CANCELLED");
  EXPECT_NEAR(Num(q1.at("price")), 5.00, 1e-12);
  EXPECT_EQ(q1.at("cancelled_at").as_string(), "2021-09-30T12:59:55.123456Z");
}

TEST(RenderQuotePackageTest, StatusAndTransactionId) {
  QuotePackage p = CassettePackage();
  p.status = PackageStatus::kOptedOut;
  p.partner_transaction_id = "order \"7\"";
  json::value v = json::parse(RenderQuotePackage(p, Opts()));
  EXPECT_EQ(v.at("status").as_string(), "OPTED_OUT");
  EXPECT_EQ(v.at("partner_transaction_id").as_string(), "order \"7\"");
  // Quotes keep their own status.
  EXPECT_EQ(v.at("quotes").at("0").at("status").as_string(), "RECEIVED");
}

TEST(RenderQuotePackageTest, TextIsEscaped) {
  QuotePackage p = CassettePackage();
  p.quotes[0].content.title = "Line\nbreak \xE2\x80\xA8 and \x01";
  const std::string text = RenderQuotePackage(p, Opts());
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.find("\xE2\x80\xA8"), std::string::npos);
  json::value v = json::parse(text);
  EXPECT_EQ(v.at("quotes").at("0").at("policy").at("content").at("title").as_string(),
            "Line\nbreak \xE2\x80\xA8 and \x01");
}

// ---------------------------------------------------------------- RenderBooking

QuotePackage BookedPackage() {
  QuotePackage p = CassettePackage(2);
  p.status = PackageStatus::kConfirmed;
  p.booked_at = kNow;
  for (auto& q : p.quotes) {
    q.status = QuoteStatus::kConfirmed;
    q.confirmed_at = kNow;
  }
  p.policyholder_json =
      R"({"first_name":"Ann","last_name":"Lee","email":"ann@example.com","age":30})";
  return p;
}

TEST(RenderBookingTest, QuotesAreAnArray) {
  const std::string text = RenderBooking(BookedPackage(), TestPartner(), Opts());
  json::value v = json::parse(text);
  const json::object& o = v.as_object();
  EXPECT_EQ(o.at("id").as_string(), "PYWUR-TAPHT-INS");
  EXPECT_EQ(o.at("status").as_string(), "CONFIRMED");
  ASSERT_TRUE(o.at("quotes").is_array());
  const json::array& quotes = o.at("quotes").as_array();
  ASSERT_EQ(quotes.size(), 2u);
  EXPECT_EQ(quotes[0].at("status").as_string(), "CONFIRMED");
  EXPECT_EQ(quotes[0].at("confirmed_at").as_string(), "2021-09-30T12:59:55.123456Z");
  EXPECT_EQ(quotes[0].at("can_be_cancelled").as_bool(), true);
  EXPECT_NEAR(Num(o.at("total_price")), 4.02, 1e-12);
  EXPECT_NE(text.find(R"("total_price":4.02,)"), std::string::npos) << text;
  EXPECT_NEAR(Num(o.at("total_premium")), 1.80, 1e-12);
  EXPECT_EQ(o.at("total_premium_formatted").as_string(), "£1.80");
  EXPECT_NEAR(Num(o.at("total_tax")), 2.22, 1e-12);
  EXPECT_EQ(o.at("total_tax_formatted").as_string(), "£2.22");
  EXPECT_EQ(o.at("customer_language").as_string(), "en");
}

TEST(RenderBookingTest, PartnerPolicyholderAndCoi) {
  json::value v = json::parse(RenderBooking(BookedPackage(), TestPartner(), Opts()));
  const json::object& partner = v.at("partner").as_object();
  EXPECT_EQ(partner.at("id").as_string(), "LLODT");
  EXPECT_EQ(partner.at("slug").as_string(), "llodt");
  EXPECT_EQ(partner.at("name").as_string(), "Llama Tickets");
  EXPECT_EQ(partner.at("title").as_string(), "Llama Tickets");
  const json::object& ph = v.at("policyholder").as_object();
  EXPECT_EQ(ph.at("first_name").as_string(), "Ann");
  EXPECT_EQ(ph.at("age").as_int64(), 30);
  const json::object& coi = v.at("coi").as_object();
  EXPECT_EQ(coi.at("url").as_string(),
            "https://ol.example/coi/PYWUR-TAPHT-INS?security_token=iH1w8-bSWnL-xd6SC-8icSM");
  EXPECT_EQ(coi.at("pdf").as_string(),
            "https://ol.example/coi/PYWUR-TAPHT-INS.pdf?security_token=iH1w8-bSWnL-xd6SC-8icSM");
}

TEST(RenderBookingTest, NoPolicyholderIsNull) {
  QuotePackage p = BookedPackage();
  p.policyholder_json.clear();
  json::value v = json::parse(RenderBooking(p, TestPartner(), Opts()));
  EXPECT_TRUE(v.at("policyholder").is_null());
}

TEST(RenderBookingTest, CancelledQuoteNotInTotals) {
  QuotePackage p = BookedPackage();
  p.quotes[0].status = QuoteStatus::kCancelled;
  json::value v = json::parse(RenderBooking(p, TestPartner(), Opts()));
  EXPECT_NEAR(Num(v.at("total_price")), 2.01, 1e-12);
  EXPECT_NEAR(Num(v.at("total_premium")), 0.90, 1e-12);
  EXPECT_NEAR(Num(v.at("total_tax")), 1.11, 1e-12);
  EXPECT_EQ(v.at("quotes").as_array().size(), 2u);
  EXPECT_EQ(v.at("quotes").at(0).at("can_be_cancelled").as_bool(), false);
}

// ----------------------------------------------------------- RenderCancellation

TEST(RenderCancellationTest, Preview) {
  QuotePackage p = BookedPackage();
  CancellationView view;
  view.refunds = {201, 150};
  view.cancellation_id = "u7Thv-d6C5P-8FAQW-CCL";
  view.confirm_before = kNow + kMicrosPerDay;
  const std::string text = RenderCancellation(p, TestPartner(), view, Opts());
  json::value v = json::parse(text);
  EXPECT_EQ(v.at("id").as_string(), "PYWUR-TAPHT-INS");
  EXPECT_EQ(v.at("status").as_string(), "CANCELLED");
  EXPECT_EQ(v.at("cancellation_id").as_string(), "u7Thv-d6C5P-8FAQW-CCL");
  EXPECT_EQ(v.at("confirm_before").as_string(), "2021-10-01T12:59:55.123456Z");
  const json::array& quotes = v.at("quotes").as_array();
  ASSERT_EQ(quotes.size(), 2u);
  EXPECT_NEAR(Num(quotes[0].at("refund_value")), 2.01, 1e-12);
  EXPECT_NEAR(Num(quotes[0].at("adjustment_fee")), 0.0, 1e-12);
  EXPECT_NEAR(Num(quotes[1].at("refund_value")), 1.50, 1e-12);
  EXPECT_NEAR(Num(quotes[1].at("adjustment_fee")), 0.51, 1e-12);
  EXPECT_NEAR(Num(quotes[1].at("price")), 2.01, 1e-12);
  EXPECT_EQ(quotes[0].at("policy_coolingoff_date").as_string(), "2021-10-14T12:59:55.123456Z");
  EXPECT_EQ(quotes[0].at("policy").at("policy_code").as_string(), "MECG0001");
  EXPECT_NEAR(Num(v.at("total_refund")), 3.51, 1e-12);
  EXPECT_NE(text.find(R"("total_refund":3.51,)"), std::string::npos) << text;
  EXPECT_EQ(v.at("total_refund_formatted").as_string(), "£3.51");
  EXPECT_NEAR(Num(v.at("total_price")), 0.0, 1e-12);
  EXPECT_EQ(v.at("currency").as_string(), "GBP");
  EXPECT_EQ(v.at("partner").at("id").as_string(), "LLODT");
  EXPECT_EQ(v.at("policyholder").at("last_name").as_string(), "Lee");
}

TEST(RenderCancellationTest, AppliedUsesTheQuotesRefunds) {
  QuotePackage p = BookedPackage();
  for (auto& q : p.quotes) {
    q.status = QuoteStatus::kCancelled;
    q.cancelled_at = kNow;
  }
  p.quotes[0].refund = 201;
  p.quotes[1].refund = 0;
  p.status = PackageStatus::kCancelled;
  json::value v = json::parse(RenderCancellation(p, TestPartner(), {}, Opts()));
  EXPECT_TRUE(v.at("cancellation_id").is_null());
  EXPECT_TRUE(v.at("confirm_before").is_null());
  EXPECT_NEAR(Num(v.at("total_refund")), 2.01, 1e-12);
  EXPECT_NEAR(Num(v.at("quotes").at(1).at("refund_value")), 0.0, 1e-12);
  EXPECT_NEAR(Num(v.at("quotes").at(1).at("adjustment_fee")), 2.01, 1e-12);
  EXPECT_EQ(v.at("quotes").at(0).at("policy_cancellation_date").as_string(),
            "2021-09-30T12:59:55.123456Z");
}

// ------------------------------------------------------------ RenderBookingList

TEST(RenderBookingListTest, FirstPage) {
  BookingPage page;
  page.count = 5;
  page.results = {BookedPackage(), BookedPackage()};
  const std::string url = "https://ol.example/x/partners/LLODT/bookings/";
  json::value v = json::parse(RenderBookingList(page, TestPartner(), 2, 0, url, Opts()));
  EXPECT_EQ(v.at("count").as_int64(), 5);
  EXPECT_EQ(v.at("next").as_string(), url + "?limit=2&offset=2");
  EXPECT_TRUE(v.at("previous").is_null());
  const json::array& results = v.at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].at("quotes").is_array());
  EXPECT_EQ(results[0].at("partner").at("id").as_string(), "LLODT");
}

TEST(RenderBookingListTest, MiddleAndLastPages) {
  BookingPage page;
  page.count = 5;
  const std::string url = "https://h/x/partners/P/bookings/";
  json::value mid = json::parse(RenderBookingList(page, TestPartner(), 2, 2, url, Opts()));
  EXPECT_EQ(mid.at("next").as_string(), url + "?limit=2&offset=4");
  EXPECT_EQ(mid.at("previous").as_string(), url + "?limit=2");  // offset 0 is left out

  json::value last = json::parse(RenderBookingList(page, TestPartner(), 2, 4, url, Opts()));
  EXPECT_TRUE(last.at("next").is_null());
  EXPECT_EQ(last.at("previous").as_string(), url + "?limit=2&offset=2");

  // An offset that is not a multiple of the limit never links to a negative offset.
  json::value odd = json::parse(RenderBookingList(page, TestPartner(), 2, 1, url, Opts()));
  EXPECT_EQ(odd.at("previous").as_string(), url + "?limit=2");
  EXPECT_EQ(odd.at("next").as_string(), url + "?limit=2&offset=3");
}

TEST(RenderBookingListTest, EmptyList) {
  BookingPage page;
  json::value v = json::parse(RenderBookingList(page, TestPartner(), 10, 0, "u", Opts()));
  EXPECT_EQ(v.at("count").as_int64(), 0);
  EXPECT_TRUE(v.at("next").is_null());
  EXPECT_TRUE(v.at("previous").is_null());
  EXPECT_TRUE(v.at("results").as_array().empty());
  // Exactly a full page: no next.
  page.count = 10;
  json::value full = json::parse(RenderBookingList(page, TestPartner(), 10, 0, "u", Opts()));
  EXPECT_TRUE(full.at("next").is_null());
}

// ------------------------------------------------------------------ RenderError

TEST(RenderErrorTest, ValidationErrorShape) {
  Status s = Status::Invalid(
      "An API error occurred.",
      {{"policy_version", "Unexpected field"}, {"request.0.tickets", "This field is required."}});
  const std::string text = RenderError(s);
  json::value v = json::parse(text);
  EXPECT_EQ(v.at("type").as_string(), "validation_error");
  EXPECT_EQ(v.at("message").as_string(), "An API error occurred.");
  const json::object& errors = v.at("errors").as_object();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors.at("policy_version").as_string(), "Unexpected field");
  EXPECT_EQ(errors.at("request.0.tickets").as_string(), "This field is required.");
  // The cassette test_quote_422 shape, byte for byte.
  EXPECT_EQ(RenderError(Status::Invalid("An API error occurred.",
                                        {{"policy_version", "Unexpected field"}})),
            R"({"type":"validation_error","message":"An API error occurred.",)"
            R"("errors":{"policy_version":"Unexpected field"}})");
}

TEST(RenderErrorTest, TypesByKind) {
  struct Case {
    Status status;
    const char* type;
  };
  const Case cases[] = {
      {Status::BadRequest("b"), "bad_request"},
      {Status::Unauthenticated("u"), "authentication_error"},
      {Status::NotFound("n"), "not_found"},
      {Status::Conflict("c"), "conflict"},
      {Status::Invalid("i"), "validation_error"},
      {Status::RateLimited("r"), "rate_limited"},
      {Status::Unavailable("s"), "service_unavailable"},
      {Status::Internal("x"), "server_error"},
  };
  for (const auto& c : cases) {
    json::value v = json::parse(RenderError(c.status));
    EXPECT_EQ(v.at("type").as_string(), c.type);
    EXPECT_EQ(v.at("message").as_string(), c.status.message());
    EXPECT_TRUE(v.at("errors").as_object().empty());
  }
}

TEST(RenderErrorTest, MessageIsEscaped) {
  json::value v = json::parse(RenderError(Status::NotFound("Quote package \"A\\B\"\n not found.")));
  EXPECT_EQ(v.at("message").as_string(), "Quote package \"A\\B\"\n not found.");
}

TEST(HttpStatusForTest, EveryCode) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusFor(StatusCode::kBadRequest), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kConflict), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalid), 422);
  EXPECT_EQ(HttpStatusFor(StatusCode::kRateLimited), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
}

}  // namespace
}  // namespace offerledger
