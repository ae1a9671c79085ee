// Catalog::PriceQuote / RepriceQuote: the recorded XCover prices, the 422
// cases in XCover's wording, clamping, multipliers, re-pricing.
#include <map>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "domain/catalog.h"

namespace offerledger {
namespace {

namespace json = boost::json;

const char* kDefaultCatalog = OFFERLEDGER_SOURCE_DIR "/catalog/default.json";

// The quote request of the cassettes test_quote.yaml / test_quote_422.yaml.
constexpr const char* kCassetteRequest = R"({"policy_type": "event_ticket_protection",
  "policy_type_version": 1, "policy_start_date": "2021-10-01T00:29:29Z",
  "event_datetime": "2021-10-10T13:44:15Z", "event_name": "Ariana Grande",
  "event_location": "The O2", "number_of_tickets": 2, "tickets": [{"price": 100}],
  "resale_ticket": false, "event_country": "GB"})";

constexpr const char* kCassetteDescription =
    "90% of attendees add Missed Event Cover for generous protection when things go wrong or "
    "your plans change. For only  per ticket it covers you - and all ticket holders - if:";
constexpr const char* kCassetteDisclaimer =
    "<p>This insurance is arranged by Cover Genius Ltd which is authorised and regulated by the "
    "FCA (No.750711). Policies are underwritten by Markel International Insurance Company "
    "Limited which is authorised by the PRA and regulated by the FCA, (No.202570).</p>";

class PricingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = Catalog::LoadFile(kDefaultCatalog);
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = new std::shared_ptr<const Catalog>(*c);
  }
  static void TearDownTestSuite() {
    delete catalog_;
    catalog_ = nullptr;
  }
  const Catalog& catalog() const { return **catalog_; }

  static json::object Request() { return json::parse(kCassetteRequest).as_object(); }
  static PricingContext Gbp() {
    PricingContext ctx;
    ctx.currency = "GBP";
    ctx.customer_country = "GB";
    ctx.now = *ParseIso8601("2021-09-30T12:59:55Z");
    return ctx;
  }

  Result<PricedQuote> Price(const json::object& req, const PricingContext& ctx = Gbp(),
                            const std::string& prefix = "request.0") const {
    return catalog().PriceQuote(req, ctx, prefix);
  }

  // path -> message of a failed pricing (and a test failure when it succeeded).
  std::map<std::string, std::string> Errors(const json::object& req,
                                            const PricingContext& ctx = Gbp()) const {
    auto r = Price(req, ctx);
    std::map<std::string, std::string> out;
    if (r.ok()) {
      ADD_FAILURE() << "priced: " << r->fields_json;
      return out;
    }
    EXPECT_EQ(r.status().code(), StatusCode::kInvalid) << r.status().ToString();
    for (const auto& f : r.status().fields()) out[f.path] = f.message;
    return out;
  }

  static std::shared_ptr<const Catalog>* catalog_;
};
std::shared_ptr<const Catalog>* PricingTest::catalog_ = nullptr;

TEST_F(PricingTest, CassetteRequestPricesExactlyLikeTheRecording) {
  auto r = Price(Request());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PricedQuote& p = *r;
  ASSERT_NE(p.product, nullptr);
  EXPECT_EQ(p.product->code, "MECG0001");
  EXPECT_EQ(p.currency, "GBP");
  EXPECT_EQ(p.cover_amount, 10000);
  EXPECT_EQ(p.premium, 90);  // "total_amount_without_tax": 0.9
  ASSERT_EQ(p.taxes.size(), 2u);
  EXPECT_EQ(p.taxes[0], (TaxLine{"Admin. fee", 100}));  // fees first
  EXPECT_EQ(p.taxes[1], (TaxLine{"IPT", 11}));          // 12% of 0.90 = 0.108
  EXPECT_EQ(p.price, 201);                              // "price": 2.01
  EXPECT_EQ(FormatMoney(p.price, *FindCurrency("GBP")), "£2.01");
  EXPECT_EQ(p.policy_start, *ParseIso8601("2021-10-01T00:29:29Z"));
  EXPECT_EQ(p.policy_end, *ParseIso8601("2021-10-10T13:44:15Z"));
  EXPECT_EQ(FormatIsoOffset(p.policy_start), "2021-10-01T00:29:29+00:00");
  EXPECT_EQ(FormatIsoOffset(p.policy_end), "2021-10-10T13:44:15+00:00");
  EXPECT_EQ(p.content.title, "Missed Event Cover for Ariana Grande");
  EXPECT_EQ(p.content.description, kCassetteDescription);
  EXPECT_EQ(p.content.optout_msg, "");
  EXPECT_EQ(p.content.disclaimer, kCassetteDisclaimer);
  EXPECT_EQ(p.multiplier, Rate{Rate::kOne});
  EXPECT_EQ(p.fields_json,
            R"({"event_country":"GB","event_datetime":"2021-10-10T13:44:15Z",)"
            R"("event_location":"The O2","event_name":"Ariana Grande","number_of_tickets":2,)"
            R"("policy_start_date":"2021-10-01T00:29:29Z","resale_ticket":false,)"
            R"("tickets":[{"price":100}]})");
}

TEST_F(PricingTest, FillQuoteCopiesEverything) {
  auto r = Price(Request());
  ASSERT_TRUE(r.ok());
  Quote q;
  q.id = "keep-me";
  r->FillQuote(q);
  EXPECT_EQ(q.id, "keep-me");
  EXPECT_EQ(q.policy_type, "event_ticket_protection");
  EXPECT_EQ(q.policy_type_version, 1);
  EXPECT_EQ(q.policy_name, "Missed Event Cover (Generic)");
  EXPECT_EQ(q.policy_code, "MECG0001");
  EXPECT_EQ(q.policy_version_id, "5d24e2d1-a341-4b8b-9917-82878470a9c3");
  EXPECT_EQ(q.policy_group, "event");
  EXPECT_EQ(q.price, 201);
  EXPECT_EQ(q.total_tax(), 111);
  EXPECT_EQ(q.cover_amount, 10000);
  EXPECT_EQ(q.fields_json, r->fields_json);
  EXPECT_EQ(q.price_multiplier_nanos, Rate::kOne);
}

TEST_F(PricingTest, CassetteRepricingInAudMatchesTheRecording) {
  // test_update_quote.yaml: PATCH {"currency": "AUD", "request": [{"quote_id": ...,
  // "tickets": [{"price": 50}]}]} -> 0.79 + Admin. fee 1.87 + IPT 0.09 = A$2.75.
  json::object req = Request();
  req["policy_start_date"] = "2021-10-01T04:04:32Z";
  req["event_datetime"] = "2021-10-02T23:42:38Z";
  auto first = Price(req);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->price, 201);
  Quote q;
  q.id = "13962f43-6156-4891-8f1b-02e10bee0769";
  first->FillQuote(q);

  PricingContext aud = Gbp();
  aud.currency = "AUD";
  const json::object update = json::parse(R"({"quote_id": "13962f43-6156-4891-8f1b-02e10bee0769",
                      "tickets": [{"price": 50}]})")
                                  .as_object();
  auto r = catalog().RepriceQuote(q, update, aud, "request.0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->currency, "AUD");
  EXPECT_EQ(r->cover_amount, 5000);
  EXPECT_EQ(r->premium, 79);
  ASSERT_EQ(r->taxes.size(), 2u);
  EXPECT_EQ(r->taxes[0], (TaxLine{"Admin. fee", 187}));
  EXPECT_EQ(r->taxes[1], (TaxLine{"IPT", 9}));
  EXPECT_EQ(r->price, 275);
  EXPECT_EQ(FormatMoney(r->price, *FindCurrency("AUD")), "A$2.75");
  EXPECT_EQ(r->policy_end, *ParseIso8601("2021-10-02T23:42:38Z"));
  EXPECT_EQ(r->content.title, "Missed Event Cover for Ariana Grande");
}

TEST_F(PricingTest, UnexpectedFieldUsesXCoverWording) {
  json::object req = Request();
  req["policy_version"] = "unknown";
  const auto errors = Errors(req);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.at("request.0.policy_version"), "Unexpected field");
}

TEST_F(PricingTest, MissingRequiredField) {
  json::object req = Request();
  req.erase("event_name");
  req.erase("tickets");
  const auto errors = Errors(req);
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors.at("request.0.event_name"), "This field is required.");
  EXPECT_EQ(errors.at("request.0.tickets"), "This field is required.");
}

TEST_F(PricingTest, OptionalFieldsMayBeAbsentOrNull) {
  json::object req = Request();
  req.erase("event_location");
  req.erase("resale_ticket");
  req["event_country"] = nullptr;
  auto r = Price(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->price, 201);
  EXPECT_EQ(r->fields_json.find("event_country"), std::string::npos);  // null = absent
  req["number_of_tickets"] = nullptr;
  EXPECT_EQ(Errors(req).at("request.0.number_of_tickets"), "This field may not be null.");
}

TEST_F(PricingTest, WrongTypesAreAllReportedTogether) {
  json::object req = Request();
  req["number_of_tickets"] = "2";
  req["event_name"] = 5;
  req["resale_ticket"] = "no";
  req["event_location"] = json::array{};
  req["policy_start_date"] = 20211001;
  const auto errors = Errors(req);
  EXPECT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors.at("request.0.number_of_tickets"), "Expected integer.");
  EXPECT_EQ(errors.at("request.0.event_name"), "Expected string.");
  EXPECT_EQ(errors.at("request.0.resale_ticket"), "Expected boolean.");
  EXPECT_EQ(errors.at("request.0.event_location"), "Expected string.");
  EXPECT_EQ(errors.at("request.0.policy_start_date"), "Expected string.");
}

TEST_F(PricingTest, ArraysAndTheirItems) {
  json::object req = Request();
  req["tickets"] = json::object{};
  EXPECT_EQ(Errors(req).at("request.0.tickets"), "Expected array.");
  req["tickets"] = json::array{5, json::object{{"price", 10}, {"seat", "A1"}}, json::object{}};
  auto errors = Errors(req);
  EXPECT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors.at("request.0.tickets.0"), "Expected object.");
  EXPECT_EQ(errors.at("request.0.tickets.1.seat"), "Unexpected field");
  EXPECT_EQ(errors.at("request.0.tickets.2.price"), "This field is required.");
  req["tickets"] = json::array{};
  EXPECT_EQ(Errors(req).at("request.0.tickets"), "Ensure this field has at least 1 item.");
  json::array many;
  for (int i = 0; i < 101; ++i) many.push_back(json::object{{"price", 1}});
  req["tickets"] = many;
  EXPECT_EQ(Errors(req).at("request.0.tickets"), "Ensure this field has no more than 100 items.");
}

TEST_F(PricingTest, IntegerBounds) {
  json::object req = Request();
  req["number_of_tickets"] = 0;
  EXPECT_EQ(Errors(req).at("request.0.number_of_tickets"),
            "Ensure this value is greater than or equal to 1.");
  req["number_of_tickets"] = 101;
  EXPECT_EQ(Errors(req).at("request.0.number_of_tickets"),
            "Ensure this value is less than or equal to 100.");
  req["number_of_tickets"] = 2.5;
  EXPECT_EQ(Errors(req).at("request.0.number_of_tickets"), "Expected integer.");
  req["number_of_tickets"] = 2.0;  // integral: accepted, kept as an integer
  auto r = Price(req);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->fields_json.find(R"("number_of_tickets":2,)"), std::string::npos) << r->fields_json;
  req["number_of_tickets"] = json::value(std::uint64_t{18'446'744'073'709'551'615u});
  EXPECT_EQ(Errors(req).at("request.0.number_of_tickets"), "Integer is too large.");
  // A small unsigned value (built in code rather than parsed) is an ordinary integer.
  req["number_of_tickets"] = json::value(std::uint64_t{3});
  EXPECT_TRUE(Price(req).ok());
}

TEST_F(PricingTest, UnsignedMoneyValuesBuiltInCodeArePriced) {
  json::object req = Request();
  req["tickets"] = json::array{json::object{{"price", json::value(std::uint64_t{100})}}};
  auto r = Price(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cover_amount, 10000);
}

TEST_F(PricingTest, BadDates) {
  json::object req = Request();
  req["policy_start_date"] = "2021-13-01T00:00:00Z";
  req["event_datetime"] = "tomorrow";
  const auto errors = Errors(req);
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_NE(errors.at("request.0.policy_start_date").find("Invalid date-time"), std::string::npos);
  EXPECT_NE(errors.at("request.0.event_datetime").find("Invalid date-time"), std::string::npos);
}

TEST_F(PricingTest, CoverMustEndAfterItStarts) {
  json::object req = Request();
  req["event_datetime"] = "2021-09-30T00:00:00Z";
  EXPECT_EQ(Errors(req).at("request.0.event_datetime"), "Must be after policy_start_date.");
  req["event_datetime"] = "2021-10-01T00:29:29Z";  // equal is not after
  EXPECT_EQ(Errors(req).at("request.0.event_datetime"), "Must be after policy_start_date.");
  // Offsets are honoured: 02:29:30+02:00 is one second after the start.
  req["event_datetime"] = "2021-10-01T02:29:30+02:00";
  auto r = Price(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->policy_end - r->policy_start, kMicrosPerSecond);
}

TEST_F(PricingTest, MoneyAmounts) {
  json::object req = Request();
  auto price_with = [&](json::value v) {
    req["tickets"] = json::array{json::object{{"price", std::move(v)}}};
    return Price(req);
  };
  EXPECT_EQ(price_with(100.5)->cover_amount, 10050);
  EXPECT_EQ(price_with(0.1 + 0.2)->cover_amount, 30);  // 0.30000000000000004: float noise
  EXPECT_EQ(price_with("100.50")->cover_amount, 10050);
  EXPECT_EQ(price_with(json::parse("99999.99"))->cover_amount, 9999999);
  EXPECT_EQ(price_with(0)->cover_amount, 0);
  // Normalised in fields_json: the exact amount as a short number.
  EXPECT_NE(price_with("100.50")->fields_json.find(R"("tickets":[{"price":100.5}])"),
            std::string::npos);
  EXPECT_NE(price_with(0.1 + 0.2)->fields_json.find(R"("tickets":[{"price":0.3}])"),
            std::string::npos);

  auto error_for = [&](json::value v) {
    req["tickets"] = json::array{json::object{{"price", std::move(v)}}};
    return Errors(req)["request.0.tickets.0.price"];
  };
  EXPECT_EQ(error_for(-1), "Ensure this value is greater than or equal to 0.");
  EXPECT_EQ(error_for(-0.5), "Ensure this value is greater than or equal to 0.");
  EXPECT_EQ(error_for("-1.00"), "Ensure this value is greater than or equal to 0.");
  EXPECT_EQ(error_for(100.005), "Too many decimal places.");
  EXPECT_EQ(error_for("100.005"), "Too many decimal places.");
  EXPECT_EQ(error_for(100.0000001), "Too many decimal places.");
  EXPECT_EQ(error_for(1e13), "Amount is too large.");
  EXPECT_EQ(error_for(json::parse("99999999999999999999")), "Amount is too large.");
  EXPECT_EQ(error_for("1e3"), "Expected number.");
  EXPECT_EQ(error_for("abc"), "Expected number.");
  EXPECT_EQ(error_for(true), "Expected number.");
  // The default catalog's ticket-price maximum (raised to 1,000,000 so the
  // recorded quote_for_update of 100,500 prices).
  EXPECT_EQ(error_for(1000001), "Ensure this value is less than or equal to 1000000.");
  req["tickets"] = json::array{json::object{{"price", 1000000}}};
  EXPECT_TRUE(Price(req, Gbp()).ok()) << "the maximum itself is allowed";
}

TEST_F(PricingTest, ProductNotOfferedInTheCurrency) {
  // JPY is a known currency that no default product is sold in.
  PricingContext jpy = Gbp();
  jpy.currency = "JPY";
  const auto errors = Errors(Request(), jpy);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.at("currency"), "Missed Event Cover (Generic) is not offered in JPY.");
}

TEST_F(PricingTest, UnknownProduct) {
  json::object req = Request();
  req["policy_type"] = "spaceflight_cover";
  auto errors = Errors(req);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.at("request.0.policy_type"), "Unknown policy type spaceflight_cover.");
  req["policy_type"] = "event_ticket_protection";
  req["policy_type_version"] = 7;
  errors = Errors(req);
  EXPECT_EQ(errors.at("request.0.policy_type"),
            "Unknown version 7 of policy type event_ticket_protection.");
  req["policy_type_version"] = "1";
  EXPECT_EQ(Errors(req).at("request.0.policy_type_version"), "Expected integer.");
  req.erase("policy_type");
  req["policy_type_version"] = 1;
  EXPECT_EQ(Errors(req).at("request.0.policy_type"), "This field is required.");
}

TEST_F(PricingTest, MissingVersionMeansTheLatest) {
  json::object req = Request();
  req.erase("policy_type_version");
  auto r = Price(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->product->version, 1);
  EXPECT_EQ(r->price, 201);
}

TEST_F(PricingTest, UnsupportedCurrency) {
  PricingContext ctx = Gbp();
  ctx.currency = "XYZ";
  json::object req = Request();
  req["event_name"] = "";  // field errors are still reported alongside
  const auto errors = Errors(req, ctx);
  EXPECT_EQ(errors.at("currency"), "Unsupported currency XYZ.");
  EXPECT_EQ(errors.at("request.0.event_name"), "This field may not be blank.");
}

TEST_F(PricingTest, EmptyCurrencyMeansTheCatalogDefault) {
  PricingContext ctx = Gbp();
  ctx.currency.clear();
  auto r = Price(Request(), ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->currency, "GBP");
  EXPECT_EQ(r->price, 201);
}

TEST_F(PricingTest, Strings) {
  json::object req = Request();
  req["event_name"] = std::string("Ariana\xff Grande");
  EXPECT_EQ(Errors(req).at("request.0.event_name"), "Invalid UTF-8.");
  req["event_name"] = std::string("\xc0\xaf");  // overlong "/"
  EXPECT_EQ(Errors(req).at("request.0.event_name"), "Invalid UTF-8.");
  req["event_name"] = std::string("\xed\xa0\x80");  // a UTF-16 surrogate
  EXPECT_EQ(Errors(req).at("request.0.event_name"), "Invalid UTF-8.");
  req["event_name"] = "Ariana\nGrande";
  EXPECT_EQ(Errors(req).at("request.0.event_name"), "Control characters are not allowed.");
  req["event_name"] = "Ariana\xc2\x85Grande";  // U+0085, a C1 control
  EXPECT_EQ(Errors(req).at("request.0.event_name"), "Control characters are not allowed.");
  req["event_name"] = "   ";
  EXPECT_EQ(Errors(req).at("request.0.event_name"), "This field may not be blank.");
  req["event_name"] = std::string(256, 'a');
  EXPECT_EQ(Errors(req).at("request.0.event_name"),
            "Ensure this field has no more than 255 characters.");
  // The limit counts characters, not bytes: 255 two-byte letters are fine.
  std::string accents;
  for (int i = 0; i < 255; ++i) accents += "\xc3\xa9";
  req["event_name"] = accents;
  EXPECT_TRUE(Price(req).ok());
  req["event_name"] = "Björk 🎵";
  auto r = Price(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->content.title, "Missed Event Cover for Björk 🎵");
}

TEST_F(PricingTest, CountryCodes) {
  json::object req = Request();
  for (const char* bad : {"gb", "GBR", "G", "G1", ""}) {
    req["event_country"] = bad;
    EXPECT_EQ(Errors(req).count("request.0.event_country"), 1u) << bad;
  }
  req["event_country"] = "FR";
  EXPECT_TRUE(Price(req).ok());
}

TEST_F(PricingTest, ErrorPathsWithoutPrefixAndForHostileKeys) {
  json::object req = Request();
  req.erase("event_name");
  req[std::string("bad\xff\nkey")] = 1;
  auto r = catalog().PriceQuote(req, Gbp(), "");
  ASSERT_FALSE(r.ok());
  std::map<std::string, std::string> errors;
  for (const auto& f : r.status().fields()) errors[f.path] = f.message;
  EXPECT_EQ(errors.at("event_name"), "This field is required.");
  EXPECT_EQ(errors.at("bad??key"), "Unexpected field");
}

TEST_F(PricingTest, ErrorsAreCapped) {
  json::object req = Request();
  for (int i = 0; i < 1000; ++i) req["junk_" + std::to_string(i)] = i;
  auto r = Price(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().fields().size(), 100u);
}

TEST_F(PricingTest, TaxesFollowTheCustomerCountry) {
  PricingContext ctx = Gbp();
  ctx.customer_country = "AU";
  auto r = Price(Request(), ctx);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->taxes.size(), 2u);
  EXPECT_EQ(r->taxes[1], (TaxLine{"GST", 9}));
  EXPECT_EQ(r->price, 90 + 100 + 9);
  ctx.customer_country = "US";  // no tax rule: the fee only
  r = Price(Request(), ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->taxes, (std::vector<TaxLine>{{"Admin. fee", 100}}));
  EXPECT_EQ(r->price, 190);
}

TEST_F(PricingTest, MultiplierScalesThePremiumThenTaxes) {
  PricingContext ctx = Gbp();
  ctx.multiplier = *ParseRate("1.2");
  auto r = Price(Request(), ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->premium, 108);
  EXPECT_EQ(r->taxes[1], (TaxLine{"IPT", 13}));  // 12.96
  EXPECT_EQ(r->price, 108 + 100 + 13);
  EXPECT_EQ(r->multiplier, *ParseRate("1.2"));
  ctx.multiplier = *ParseRate("0.8");
  r = Price(Request(), ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->premium, 72);
  EXPECT_EQ(r->taxes[1].amount, 9);  // 8.64
  EXPECT_EQ(r->price, 181);
  Quote q;
  r->FillQuote(q);
  EXPECT_EQ(q.price_multiplier_nanos, 800'000'000);
  ctx.multiplier = Rate{0};
  EXPECT_EQ(Price(Request(), ctx).status().code(), StatusCode::kInternal);
}

TEST_F(PricingTest, PremiumIsClampedToTheCurrencyLimits) {
  json::object req = Request();
  req["tickets"] = json::array{json::object{{"price", 10}}};  // 0.09 < 0.45 minimum
  auto r = Price(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->premium, 45);
  EXPECT_EQ(r->taxes[1].amount, 5);  // 12% of the clamped premium (5.4)
  EXPECT_EQ(r->price, 45 + 100 + 5);
  json::array tickets;
  for (int i = 0; i < 100; ++i) tickets.push_back(json::object{{"price", 100000}});
  req["tickets"] = tickets;  // 10,000,000.00 * 0.009 = 90,000.00 > 900.00 maximum
  r = Price(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cover_amount, 1'000'000'000);
  EXPECT_EQ(r->premium, 90000);
  EXPECT_EQ(r->taxes[1].amount, 10800);
  // The clamp applies after the multiplier.
  PricingContext ctx = Gbp();
  ctx.multiplier = *ParseRate("0.5");
  r = Price(req, ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->premium, 90000);
}

TEST_F(PricingTest, RepricingMergesTopLevelFields) {
  auto first = Price(Request());
  ASSERT_TRUE(first.ok());
  Quote q;
  q.id = "03c6a538-f9db-4426-b88c-0e30f6988b0d";
  first->FillQuote(q);

  // Replace two fields, remove a nullable one; the rest stays as stored.
  const json::object update = json::parse(R"({"event_name": "Coldplay",
      "tickets": [{"price": 100}, {"price": 50.5}], "event_location": null})")
                                  .as_object();
  auto r = catalog().RepriceQuote(q, update, Gbp(), "request.0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->content.title, "Missed Event Cover for Coldplay");
  EXPECT_EQ(r->cover_amount, 15050);
  EXPECT_EQ(r->premium, 135);  // 1.3545
  EXPECT_EQ(r->policy_start, first->policy_start);
  EXPECT_EQ(r->fields_json, R"({"event_country":"GB","event_datetime":"2021-10-10T13:44:15Z",)"
                            R"("event_name":"Coldplay","number_of_tickets":2,)"
                            R"("policy_start_date":"2021-10-01T00:29:29Z","resale_ticket":false,)"
                            R"("tickets":[{"price":100},{"price":50.5}]})");

  // Nothing to change: the same price again (a currency/country change re-prices this way).
  auto same = catalog().RepriceQuote(q, json::object{}, Gbp(), "request.0");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->price, 201);
  EXPECT_EQ(same->fields_json, q.fields_json);
}

TEST_F(PricingTest, RepricingValidatesTheMergedRequest) {
  auto first = Price(Request());
  ASSERT_TRUE(first.ok());
  Quote q;
  first->FillQuote(q);
  json::object update = json::parse(R"({"number_of_tickets": "two", "seat": "A1",
      "policy_type": "travel_insurance", "event_datetime": "2021-09-01T00:00:00Z"})")
                            .as_object();
  auto r = catalog().RepriceQuote(q, update, Gbp(), "request.3");
  ASSERT_FALSE(r.ok());
  std::map<std::string, std::string> errors;
  for (const auto& f : r.status().fields()) errors[f.path] = f.message;
  EXPECT_EQ(errors.at("request.3.number_of_tickets"), "Expected integer.");
  EXPECT_EQ(errors.at("request.3.seat"), "Unexpected field");
  EXPECT_EQ(errors.at("request.3.policy_type"), "This field cannot be changed.");
  // Repeating the product is harmless.
  update = json::parse(R"({"policy_type": "event_ticket_protection", "policy_type_version": 1})")
               .as_object();
  EXPECT_TRUE(catalog().RepriceQuote(q, update, Gbp(), "request.0").ok());
  // A product that left the catalog.
  q.policy_type_version = 9;
  r = catalog().RepriceQuote(q, json::object{}, Gbp(), "request.0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().fields().at(0).path, "request.0.policy_type");
  // Corrupt stored fields are a server fault, not the partner's.
  q.policy_type_version = 1;
  q.fields_json = "[1,2";
  EXPECT_EQ(catalog().RepriceQuote(q, json::object{}, Gbp(), "request.0").status().code(),
            StatusCode::kInternal);
}

TEST_F(PricingTest, FieldsJsonIsCanonical) {
  // The same request with keys in another order gives the same text.
  const json::object a = Request();
  json::object b;
  std::vector<const json::key_value_pair*> members;
  for (const auto& kv : a) members.push_back(&kv);
  for (auto it = members.rbegin(); it != members.rend(); ++it) b[(*it)->key()] = (*it)->value();
  EXPECT_EQ(Price(a)->fields_json, Price(b)->fields_json);
}

TEST_F(PricingTest, TravelInsurance) {
  const json::object req = json::parse(R"({"policy_type": "travel_insurance",
      "policy_type_version": 1, "trip_start_date": "2024-07-01T00:00:00Z",
      "trip_end_date": "2024-07-15T00:00:00Z", "destination_country": "ES",
      "travellers": [{"age": 34}, {"age": 36}], "trip_cost": 1000})")
                               .as_object();
  auto r = Price(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cover_amount, 100000);
  EXPECT_EQ(r->premium, 4500);  // 4.5%
  EXPECT_EQ(r->taxes, (std::vector<TaxLine>{{"Admin. fee", 150}, {"IPT", 540}}));
  EXPECT_EQ(r->price, 4500 + 150 + 540);
  EXPECT_EQ(r->policy_end - r->policy_start, 14 * kMicrosPerDay);
  EXPECT_EQ(r->content.title, "Travel Protection for your trip to ES");
  EXPECT_NE(r->content.description.find("for a trip costing £1000.00."), std::string::npos)
      << r->content.description;

  json::object bad = req;
  bad["travellers"] = json::parse(R"([{"age": 121}, {"age": -1}, {}])");
  const auto errors = Errors(bad);
  EXPECT_EQ(errors.at("request.0.travellers.0.age"),
            "Ensure this value is less than or equal to 120.");
  EXPECT_EQ(errors.at("request.0.travellers.1.age"),
            "Ensure this value is greater than or equal to 0.");
  EXPECT_EQ(errors.at("request.0.travellers.2.age"), "This field is required.");
}

TEST_F(PricingTest, ParcelProtection) {
  json::object req = json::parse(R"({"policy_type": "parcel_protection",
      "policy_type_version": 1, "parcel_value": 200, "shipping_date": "2024-03-01T09:00:00Z",
      "destination_country": "AU"})")
                         .as_object();
  PricingContext ctx = Gbp();
  ctx.currency = "AUD";
  ctx.customer_country = "AU";
  auto r = Price(req, ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->premium, 300);  // 1.5% of 200.00
  EXPECT_EQ(r->taxes, (std::vector<TaxLine>{{"GST", 30}}));
  EXPECT_EQ(r->price, 330);
  EXPECT_EQ(r->policy_start, *ParseIso8601("2024-03-01T09:00:00Z"));
  EXPECT_EQ(r->policy_end, *ParseIso8601("2024-03-31T09:00:00Z"));  // 30 days
  EXPECT_EQ(r->content.title, "Parcel Protection for your delivery to AU");
  EXPECT_NE(r->content.description.find("worth A$200.00 "), std::string::npos);
  EXPECT_EQ(r->product->pricing, "optimize");
  req["carrier"] = "DHL";
  EXPECT_TRUE(Price(req, ctx).ok());
}

// A product with a multiplier field, an optional start and no fees, from a catalog of its own.
TEST(PricingCustom, MultiplierFieldAndOptionalStart) {
  auto c = Catalog::Parse(R"({"default_currency": "EUR", "products": [{
    "policy_type": "bike_cover", "version": 1, "name": "Bike Cover", "code": "BIKE0001",
    "version_id": "7e0b1f0c-2a3b-4c5d-8e9f-0a1b2c3d4e5f", "group": "retail",
    "fields": {
      "from": {"type": "date"},
      "bikes": {"type": "integer", "required": true, "minimum": 1, "maximum": 5},
      "value": {"type": "money", "required": true},
      "accessories": {"type": "array", "items": {"value": {"type": "money", "required": true}}}
    },
    "cover_period": {"start_field": "from", "duration_days": 365},
    "insured_value": {"paths": ["value", "accessories[].value"], "multiplier_field": "bikes"},
    "premium_rate": "0.05",
    "currencies": {"EUR": {"min_premium": "10.00"}, "JPY": {"min_premium": "1500"}},
    "content": {"title": "Bike Cover for {bikes} bike(s) worth {value} each"}
  }]})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const json::object req = json::parse(R"({"policy_type": "bike_cover", "bikes": 2, "value": 400,
                      "accessories": [{"value": 50.25}]})")
                               .as_object();
  PricingContext ctx;
  ctx.now = *ParseIso8601("2024-01-01T12:00:00Z");
  auto r = (*c)->PriceQuote(req, ctx, "request.0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->currency, "EUR");          // the catalog default
  EXPECT_EQ(r->cover_amount, 2 * 45025);  // (400 + 50.25) * 2
  EXPECT_EQ(r->premium, 4503);            // 45.025 -> 45.03
  EXPECT_TRUE(r->taxes.empty());
  EXPECT_EQ(r->price, 4503);
  EXPECT_EQ(r->policy_start, ctx.now);  // no "from": cover starts now
  EXPECT_EQ(r->policy_end, ctx.now + 365 * kMicrosPerDay);
  EXPECT_EQ(r->content.title, "Bike Cover for 2 bike(s) worth €400.00 each");

  json::object dated = req;
  dated["from"] = "2024-02-01";
  r = (*c)->PriceQuote(dated, ctx, "request.0");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->policy_start, *ParseIso8601("2024-02-01T00:00:00Z"));
  dated["from"] = "2024-02-01T00:00:00Z";  // a date field takes a date only
  EXPECT_FALSE((*c)->PriceQuote(dated, ctx, "request.0").ok());

  // Large amounts keep every cent (the double is read back as the sender wrote it).
  json::object big = req;
  big["value"] = json::parse("100000000000.01");
  big.erase("accessories");
  r = (*c)->PriceQuote(big, ctx, "request.0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cover_amount, 2 * 10'000'000'000'001);
  big["bikes"] = 5;
  big["value"] = 300'000'000'000;  // 1.5e12 insured in all: too much
  r = (*c)->PriceQuote(big, ctx, "request.0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().fields().at(0).path, "request.0.value");
  EXPECT_EQ(r.status().fields().at(0).message, "The insured value is too large.");

  // JPY has no minor unit: 400.50 is too precise, 400 is fine.
  ctx.currency = "JPY";
  json::object yen = req;
  yen.erase("accessories");
  r = (*c)->PriceQuote(yen, ctx, "request.0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cover_amount, 800);
  EXPECT_EQ(r->premium, 1500);  // 40 -> the 1500 minimum
  yen["value"] = 400.5;
  r = (*c)->PriceQuote(yen, ctx, "request.0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().fields().at(0).path, "request.0.value");
  EXPECT_EQ(r.status().fields().at(0).message, "Too many decimal places.");
}

}  // namespace
}  // namespace offerledger
