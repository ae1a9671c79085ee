// PartnerApi on every real Store backend (a fresh SQLite file or PostgreSQL
// schema per test, store/store_backends.h) with the real default catalog:
// status codes, bodies, what the ledger records, partner scoping,
// idempotency keys and concurrent retries.
#include "service/partner_api.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "domain/ids.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

namespace json = boost::json;
using testing::BackendTest;

constexpr const char* kCassetteQuoteRequest = R"({"policy_type": "event_ticket_protection",
  "policy_type_version": 1, "policy_start_date": "2021-10-01T00:29:29Z",
  "event_datetime": "2021-10-10T13:44:15Z", "event_name": "Ariana Grande",
  "event_location": "The O2", "number_of_tickets": 2, "tickets": [{"price": 100}],
  "resale_ticket": false, "event_country": "GB"})";

constexpr const char* kPolicyholder =
    R"({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "age": 30,
        "country": "GB"})";

json::value CreateBody(int quotes = 1) {
  json::object o;
  json::array requests;
  for (int i = 0; i < quotes; ++i) requests.push_back(json::parse(kCassetteQuoteRequest));
  o["request"] = std::move(requests);
  o["currency"] = "GBP";
  o["customer_country"] = "GB";
  o["customer_region"] = "London";
  o["customer_language"] = "en";
  return o;
}

json::value BookingBody(const std::vector<std::string>& quote_ids) {
  json::object o;
  json::array quotes;
  for (const auto& id : quote_ids) quotes.push_back(json::object{{"id", id}});
  o["quotes"] = std::move(quotes);
  o["policyholder"] = json::parse(kPolicyholder);
  return o;
}

double Num(const json::value& v) { return v.to_number<double>(); }

class PartnerApiTest : public BackendTest {
 protected:
  static constexpr const char* kPartner = "LLODT";
  static constexpr const char* kOther = "OTHER";

  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto catalog = Catalog::LoadFile(OFFERLEDGER_SOURCE_DIR "/catalog/default.json");
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    for (const char* code : {kPartner, kOther}) {
      Partner p{code, std::string(code) + " Tickets", now_, 0, 0};
      ApiKey key{NewApiKey(), NewApiSecret(), code, now_, std::nullopt};
      ASSERT_TRUE(store_->CreatePartner(p, key).ok());
    }
    PartnerApiOptions opts;
    opts.render.public_url = "https://ol.example";
    api_ = std::make_unique<PartnerApi>(*store_, *catalog, opts);
  }

  // The API (and its chooser) goes before the store it uses.
  void TearDown() override {
    api_.reset();
    BackendTest::TearDown();
  }

  RequestContext Ctx(const std::string& partner = kPartner, std::string key = "",
                     std::string fingerprint = "") const {
    return RequestContext{partner, now_, std::move(key), std::move(fingerprint)};
  }

  // Creates the cassette package with `quotes` quotes; returns its parsed body.
  json::value Create(int quotes = 1) {
    ApiReply r = api_->CreateQuote(Ctx(), CreateBody(quotes));
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body);
  }
  static std::string Id(const json::value& pkg) { return std::string(pkg.at("id").as_string()); }
  static std::string QuoteId(const json::value& pkg, int i) {
    return std::string(pkg.at("quotes").at(std::to_string(i)).at("id").as_string());
  }

  std::optional<QuotePackage> Stored(const std::string& id, const std::string& partner = kPartner) {
    auto pkg = store_->GetPackage(partner, id);
    EXPECT_TRUE(pkg.ok()) << pkg.status().ToString();
    return pkg.ok() ? *pkg : std::nullopt;
  }
  std::int64_t Count(EventKind kind) {
    auto n = store_->CountEvents(kind);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }
  std::vector<LedgerEvent> Events(const std::string& partner = kPartner) {
    auto e = store_->ListEvents(partner, 0, 0);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : std::vector<LedgerEvent>{};
  }
  std::vector<LedgerEvent> EventsOf(EventKind kind, const std::string& package_id) {
    std::vector<LedgerEvent> out;
    for (auto& e : Events()) {
      if (e.kind == kind && e.package_id == package_id) out.push_back(std::move(e));
    }
    return out;
  }
  std::string Book(const json::value& pkg, const std::vector<int>& which) {
    std::vector<std::string> ids;
    for (int i : which) ids.push_back(QuoteId(pkg, i));
    ApiReply r = api_->CreateBooking(Ctx(), Id(pkg), BookingBody(ids));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
  static std::map<std::string, std::string> ErrorsOf(const ApiReply& r) {
    std::map<std::string, std::string> out;
    json::value v = json::parse(r.body);
    for (const auto& kv : v.at("errors").as_object()) {
      out[std::string(kv.key())] = std::string(kv.value().as_string());
    }
    return out;
  }

  Micros now_ = *ParseIso8601("2021-09-30T12:59:55Z");
  std::unique_ptr<PartnerApi> api_;
};

// ------------------------------------------------------------------- create

TEST_P(PartnerApiTest, CreateQuotePricesTheCassetteRequest) {
  ApiReply r = api_->CreateQuote(Ctx(), CreateBody());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(r.replayed);
  EXPECT_NE(r.body.find(R"("total_price":2.01,)"), std::string::npos) << r.body;
  json::value v = json::parse(r.body);
  EXPECT_TRUE(IsPackageId(v.at("id").as_string())) << v.at("id");
  EXPECT_EQ(v.at("status").as_string(), "RECEIVED");
  EXPECT_EQ(v.at("currency").as_string(), "GBP");
  EXPECT_NEAR(Num(v.at("total_price")), 2.01, 1e-12);
  EXPECT_EQ(v.at("total_price_formatted").as_string(), "£2.01");
  const json::value& q = v.at("quotes").at("0");
  EXPECT_TRUE(IsUuid(q.at("id").as_string()));
  EXPECT_NEAR(Num(q.at("price")), 2.01, 1e-12);
  EXPECT_EQ(q.at("policy_start_date").as_string(), "2021-10-01T00:29:29+00:00");
  EXPECT_EQ(q.at("policy").at("content").at("title").as_string(),
            "Missed Event Cover for Ariana Grande");
  EXPECT_EQ(v.at("pds_url").as_string(), "https://ol.example/pds/" + Id(v));

  auto stored = Stored(Id(v));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->partner, kPartner);
  EXPECT_EQ(stored->total_price(), 201);
  EXPECT_EQ(stored->customer_region, "London");
  auto offered = EventsOf(EventKind::kOffered, Id(v));
  ASSERT_EQ(offered.size(), 1u);
  EXPECT_EQ(offered[0].price, 201);
  EXPECT_EQ(offered[0].quote_id, QuoteId(v, 0));
  EXPECT_EQ(offered[0].currency, "GBP");
  EXPECT_EQ(offered[0].at, now_);
}

TEST_P(PartnerApiTest, CreateQuoteValidationErrorWritesNothing) {
  json::value body = CreateBody();
  body.at("request").at(0).as_object()["policy_version"] = 1;
  ApiReply r = api_->CreateQuote(Ctx(), body);
  ASSERT_EQ(r.status, 422) << r.body;
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("type").as_string(), "validation_error");
  EXPECT_EQ(ErrorsOf(r)["request.0.policy_version"], "Unexpected field");
  EXPECT_EQ(Count(EventKind::kOffered), 0);

  ApiReply bad_shape = api_->CreateQuote(Ctx(), json::parse("[]"));
  EXPECT_EQ(bad_shape.status, 422);
  ApiReply unsupported = api_->CreateQuote(Ctx(), [] {
    json::value b = CreateBody();
    b.as_object()["currency"] = "XYZ";
    return b;
  }());
  EXPECT_EQ(unsupported.status, 422) << unsupported.body;
  EXPECT_EQ(ErrorsOf(unsupported).count("currency"), 1u) << unsupported.body;
  EXPECT_EQ(Count(EventKind::kOffered), 0);
}

TEST_P(PartnerApiTest, GetQuoteIsScopedToThePartner) {
  json::value pkg = Create();
  ApiReply mine = api_->GetQuote(Ctx(), Id(pkg));
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(json::parse(mine.body), pkg);

  ApiReply theirs = api_->GetQuote(Ctx(kOther), Id(pkg));
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(json::parse(theirs.body).at("type").as_string(), "not_found");
  EXPECT_EQ(theirs.body.find("Ariana"), std::string::npos);

  EXPECT_EQ(api_->GetQuote(Ctx(), "AAAAA-BBBBB-INS").status, 404);
  EXPECT_EQ(api_->GetQuote(Ctx(), "not-an-id").status, 404);
  EXPECT_EQ(api_->GetQuote(Ctx(), "").status, 404);
}

// ------------------------------------------------------------------ opt out

TEST_P(PartnerApiTest, OptOutIs204AndIdempotent) {
  json::value pkg = Create(2);
  ApiReply first = api_->OptOut(Ctx(), Id(pkg));
  EXPECT_EQ(first.status, 204);
  EXPECT_EQ(first.body, "");
  EXPECT_EQ(Count(EventKind::kOptedOut), 2);  // one per quote

  ApiReply again = api_->OptOut(Ctx(), Id(pkg));
  EXPECT_EQ(again.status, 204);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(Count(EventKind::kOptedOut), 2);  // nothing new

  auto events = EventsOf(EventKind::kOptedOut, Id(pkg));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].quote_id, QuoteId(pkg, 0));
  EXPECT_EQ(events[1].quote_id, QuoteId(pkg, 1));
  EXPECT_EQ(events[0].price, 201);
  EXPECT_EQ(events[0].policy_type, "event_ticket_protection");
  EXPECT_EQ(events[0].partner, kPartner);

  ApiReply get = api_->GetQuote(Ctx(), Id(pkg));
  json::value v = json::parse(get.body);
  EXPECT_EQ(v.at("status").as_string(), "OPTED_OUT");
  EXPECT_EQ(v.at("quotes").at("0").at("status").as_string(), "RECEIVED");
  EXPECT_EQ(Stored(Id(pkg))->status, PackageStatus::kOptedOut);
}

TEST_P(PartnerApiTest, OptOutAfterBookingNamesTheStatus) {
  json::value pkg = Create();
  Book(pkg, {0});
  ApiReply r = api_->OptOut(Ctx(), Id(pkg));
  ASSERT_EQ(r.status, 422) << r.body;
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("type").as_string(), "validation_error");
  EXPECT_NE(std::string(v.at("message").as_string()).find("CONFIRMED"), std::string::npos)
      << r.body;
  EXPECT_EQ(ErrorsOf(r)["status"], "CONFIRMED");
  EXPECT_EQ(Count(EventKind::kOptedOut), 0);
  EXPECT_EQ(Stored(Id(pkg))->status, PackageStatus::kConfirmed);
}

TEST_P(PartnerApiTest, OptOutOfAnotherPartnersPackageIs404) {
  json::value pkg = Create();
  ApiReply r = api_->OptOut(Ctx(kOther), Id(pkg));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body).at("type").as_string(), "not_found");
  EXPECT_EQ(Stored(Id(pkg))->status, PackageStatus::kReceived);
  EXPECT_EQ(Count(EventKind::kOptedOut), 0);

  EXPECT_EQ(api_->OptOut(Ctx(), "AAAAA-BBBBB-INS").status, 404);
  EXPECT_EQ(api_->OptOut(Ctx(), "garbage").status, 404);
  EXPECT_EQ(Count(EventKind::kOptedOut), 0);
}

TEST_P(PartnerApiTest, ConcurrentOptOutsRecordOneSetOfEvents) {
  json::value pkg = Create(2);
  const std::string id = Id(pkg);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::atomic<int> go{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      go.fetch_add(1);
      while (go.load() < 8) std::this_thread::yield();
      ApiReply r = api_->OptOut(Ctx(), id);
      if (r.status == 204 && r.body.empty()) ok.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(Count(EventKind::kOptedOut), 2);
  EXPECT_EQ(EventsOf(EventKind::kOptedOut, id).size(), 2u);
  EXPECT_EQ(Stored(id)->status, PackageStatus::kOptedOut);
}

// ------------------------------------------------------------------ booking

TEST_P(PartnerApiTest, BookingDropsUnselectedQuotes) {
  json::value pkg = Create(2);
  const std::string kept = QuoteId(pkg, 1);
  const std::string dropped = QuoteId(pkg, 0);
  json::value body = BookingBody({kept});
  body.as_object()["partner_transaction_id"] = "order-7";
  ApiReply r = api_->CreateBooking(Ctx(), Id(pkg), body);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("status").as_string(), "CONFIRMED");
  ASSERT_TRUE(v.at("quotes").is_array());
  ASSERT_EQ(v.at("quotes").as_array().size(), 1u);
  EXPECT_EQ(v.at("quotes").at(0).at("id").as_string(), kept);
  EXPECT_EQ(v.at("quotes").at(0).at("status").as_string(), "CONFIRMED");
  EXPECT_NEAR(Num(v.at("total_price")), 2.01, 1e-12);
  EXPECT_EQ(v.at("partner").at("id").as_string(), kPartner);
  EXPECT_EQ(v.at("partner").at("name").as_string(), "LLODT Tickets");
  EXPECT_EQ(v.at("policyholder").at("first_name").as_string(), "Ann");
  EXPECT_EQ(v.at("partner_transaction_id").as_string(), "order-7");

  auto stored = Stored(Id(pkg));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->status, PackageStatus::kConfirmed);
  ASSERT_EQ(stored->quotes.size(), 1u);
  EXPECT_EQ(stored->quotes[0].id, kept);
  EXPECT_TRUE(stored->booked_at.has_value());

  auto booked = EventsOf(EventKind::kBooked, Id(pkg));
  auto not_selected = EventsOf(EventKind::kNotSelected, Id(pkg));
  ASSERT_EQ(booked.size(), 1u);
  ASSERT_EQ(not_selected.size(), 1u);
  EXPECT_EQ(booked[0].quote_id, kept);
  EXPECT_EQ(not_selected[0].quote_id, dropped);

  ApiReply get = api_->GetBooking(Ctx(), Id(pkg));
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(json::parse(get.body), v);
  EXPECT_EQ(api_->GetBooking(Ctx(kOther), Id(pkg)).status, 404);
}

TEST_P(PartnerApiTest, BookingAnOptedOutPackageKeepsTheOptOutEvent) {
  json::value pkg = Create();
  ASSERT_EQ(api_->OptOut(Ctx(), Id(pkg)).status, 204);
  Book(pkg, {0});
  EXPECT_EQ(Stored(Id(pkg))->status, PackageStatus::kConfirmed);
  EXPECT_EQ(EventsOf(EventKind::kOptedOut, Id(pkg)).size(), 1u);
  EXPECT_EQ(EventsOf(EventKind::kBooked, Id(pkg)).size(), 1u);
}

TEST_P(PartnerApiTest, BookingErrors) {
  json::value pkg = Create();
  ApiReply unknown = api_->CreateBooking(Ctx(), Id(pkg), BookingBody({NewUuid()}));
  EXPECT_EQ(unknown.status, 422) << unknown.body;
  EXPECT_EQ(ErrorsOf(unknown).count("quotes.0.id"), 1u) << unknown.body;

  ApiReply twice =
      api_->CreateBooking(Ctx(), Id(pkg), BookingBody({QuoteId(pkg, 0), QuoteId(pkg, 0)}));
  EXPECT_EQ(twice.status, 422) << twice.body;

  ApiReply no_holder = api_->CreateBooking(Ctx(), Id(pkg), json::parse(R"({"quotes": []})"));
  EXPECT_EQ(no_holder.status, 422);
  EXPECT_EQ(ErrorsOf(no_holder)["policyholder"], "This field is required.");

  ApiReply other = api_->CreateBooking(Ctx(kOther), Id(pkg), BookingBody({QuoteId(pkg, 0)}));
  EXPECT_EQ(other.status, 404);

  EXPECT_EQ(Count(EventKind::kBooked), 0);
  EXPECT_EQ(Stored(Id(pkg))->status, PackageStatus::kReceived);
  EXPECT_EQ(api_->GetBooking(Ctx(), Id(pkg)).status, 404);  // not booked

  Book(pkg, {0});
  ApiReply rebook = api_->CreateBooking(Ctx(), Id(pkg), BookingBody({QuoteId(pkg, 0)}));
  EXPECT_EQ(rebook.status, 422);
  EXPECT_EQ(ErrorsOf(rebook)["status"], "CONFIRMED");
  EXPECT_EQ(Count(EventKind::kBooked), 1);
}

TEST_P(PartnerApiTest, InstantBooking) {
  json::value body = CreateBody();
  body.as_object()["policyholder"] = json::parse(kPolicyholder);
  body.as_object().erase("customer_country");
  ApiReply r = api_->InstantBooking(Ctx(), body);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("status").as_string(), "CONFIRMED");
  ASSERT_EQ(v.at("quotes").as_array().size(), 1u);
  EXPECT_NEAR(Num(v.at("total_price")), 2.01, 1e-12);  // IPT from the policyholder's country
  auto stored = Stored(Id(v));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->customer_country, "GB");
  EXPECT_EQ(EventsOf(EventKind::kOffered, Id(v)).size(), 1u);
  EXPECT_EQ(EventsOf(EventKind::kBooked, Id(v)).size(), 1u);

  ApiReply missing = api_->InstantBooking(Ctx(), CreateBody());
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(ErrorsOf(missing)["policyholder"], "This field is required.");
}

TEST_P(PartnerApiTest, ListBookings) {
  std::vector<std::string> booked;
  for (int i = 0; i < 3; ++i) {
    json::value pkg = Create();
    Book(pkg, {0});
    booked.push_back(Id(pkg));
  }
  Create();  // not booked: not listed
  const std::string url = "https://ol.example/x/partners/LLODT/bookings/";
  ApiReply r = api_->ListBookings(Ctx(), 2, 0, url);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("count").as_int64(), 3);
  EXPECT_EQ(v.at("next").as_string(), url + "?limit=2&offset=2");
  EXPECT_TRUE(v.at("previous").is_null());
  EXPECT_EQ(v.at("results").as_array().size(), 2u);

  json::value last = json::parse(api_->ListBookings(Ctx(), 2, 2, url).body);
  EXPECT_EQ(last.at("results").as_array().size(), 1u);
  EXPECT_TRUE(last.at("next").is_null());

  json::value other = json::parse(api_->ListBookings(Ctx(kOther), 10, 0, url).body);
  EXPECT_EQ(other.at("count").as_int64(), 0);

  EXPECT_EQ(api_->ListBookings(Ctx(), 0, 0, url).status, 422);
  EXPECT_EQ(api_->ListBookings(Ctx(), 101, 0, url).status, 422);
  EXPECT_EQ(api_->ListBookings(Ctx(), 10, -1, url).status, 422);
  EXPECT_EQ(api_->ListBookings(Ctx(), 100, 0, url).status, 200);
}

// -------------------------------------------------------- update, add, delete

TEST_P(PartnerApiTest, UpdateToAudReprices) {
  json::value pkg = Create();
  json::object body;
  body["currency"] = "AUD";
  body["request"] = json::array{json::object{
      {"quote_id", QuoteId(pkg, 0)}, {"tickets", json::array{json::object{{"price", 50}}}}}};
  ApiReply r = api_->UpdateQuote(Ctx(), Id(pkg), body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("total_price":2.75,)"), std::string::npos) << r.body;
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("currency").as_string(), "AUD");
  EXPECT_NEAR(Num(v.at("total_price")), 2.75, 1e-12);
  EXPECT_EQ(v.at("total_price_formatted").as_string(), "A$2.75");
  EXPECT_EQ(v.at("quotes").at("0").at("id").as_string(), QuoteId(pkg, 0));  // same quote

  auto stored = Stored(Id(pkg));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->currency, "AUD");
  EXPECT_EQ(stored->total_price(), 275);
  auto repriced = EventsOf(EventKind::kRepriced, Id(pkg));
  ASSERT_EQ(repriced.size(), 1u);
  EXPECT_EQ(repriced[0].price, 275);
  EXPECT_EQ(repriced[0].currency, "AUD");
  EXPECT_EQ(repriced[0].quote_id, QuoteId(pkg, 0));
}

TEST_P(PartnerApiTest, CurrencyChangeRepricesEveryQuote) {
  json::value pkg = Create(2);
  ApiReply r = api_->UpdateQuote(Ctx(), Id(pkg), json::parse(R"({"currency": "AUD"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(EventsOf(EventKind::kRepriced, Id(pkg)).size(), 2u);
  EXPECT_EQ(Stored(Id(pkg))->currency, "AUD");
}

TEST_P(PartnerApiTest, CustomerCountryChangeAppliesThatCountrysTaxes) {
  json::value pkg = Create();
  ApiReply r = api_->UpdateQuote(Ctx(), Id(pkg), json::parse(R"({"customer_country": "AU"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = json::parse(r.body);
  // 0.90 + Admin. fee 1.00 + GST 10% of the premium (0.09) instead of IPT 12% (0.11).
  EXPECT_NEAR(Num(v.at("total_price")), 1.99, 1e-12);
  const json::array& taxes = v.at("quotes").at("0").at("tax").at("taxes").as_array();
  ASSERT_EQ(taxes.size(), 2u);
  EXPECT_EQ(taxes[1].at("tax_code").as_string(), "GST");
  EXPECT_EQ(Stored(Id(pkg))->customer_country, "AU");
  EXPECT_EQ(EventsOf(EventKind::kRepriced, Id(pkg)).size(), 1u);
}

TEST_P(PartnerApiTest, UpdateErrors) {
  json::value pkg = Create(2);
  json::object unknown;
  unknown["request"] = json::array{json::object{{"quote_id", NewUuid()}}};
  ApiReply r = api_->UpdateQuote(Ctx(), Id(pkg), unknown);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(ErrorsOf(r).count("request.0.quote_id"), 1u) << r.body;

  ApiReply bad_currency = api_->UpdateQuote(Ctx(), Id(pkg), json::parse(R"({"currency": "XYZ"})"));
  EXPECT_EQ(bad_currency.status, 422);
  EXPECT_EQ(ErrorsOf(bad_currency).count("currency"), 1u) << bad_currency.body;

  ApiReply other = api_->UpdateQuote(Ctx(kOther), Id(pkg), json::parse(R"({"currency": "AUD"})"));
  EXPECT_EQ(other.status, 404);

  EXPECT_EQ(Count(EventKind::kRepriced), 0);
  EXPECT_EQ(Stored(Id(pkg))->currency, "GBP");

  ASSERT_EQ(api_->OptOut(Ctx(), Id(pkg)).status, 204);
  ApiReply after = api_->UpdateQuote(Ctx(), Id(pkg), json::parse(R"({"currency": "AUD"})"));
  EXPECT_EQ(after.status, 422);
  EXPECT_EQ(ErrorsOf(after)["status"], "OPTED_OUT");
}

// A field error of a PATCH names the entry of the request that caused it:
// the partner sent one entry, so the path is request.0 whichever quote of
// the package it names.
TEST_P(PartnerApiTest, UpdateFieldErrorsNameTheRequestEntry) {
  json::value pkg = Create(2);
  json::object body;
  body["request"] =
      json::array{json::object{{"quote_id", QuoteId(pkg, 1)}, {"number_of_tickets", 0}}};
  ApiReply r = api_->UpdateQuote(Ctx(), Id(pkg), body);
  ASSERT_EQ(r.status, 422) << r.body;
  auto errors = ErrorsOf(r);
  EXPECT_EQ(errors.count("request.0.number_of_tickets"), 1u) << r.body;
  EXPECT_EQ(errors.count("request.1.number_of_tickets"), 0u) << r.body;
}

TEST_P(PartnerApiTest, AddQuotes) {
  json::value pkg = Create();
  json::object body;
  body["request"] = json::array{json::parse(kCassetteQuoteRequest)};
  ApiReply r = api_->AddQuotes(Ctx(), Id(pkg), body);
  ASSERT_EQ(r.status, 201) << r.body;
  json::value v = json::parse(r.body);
  ASSERT_EQ(v.at("quotes").as_object().size(), 2u);
  EXPECT_EQ(v.at("quotes").at("0").at("id").as_string(), QuoteId(pkg, 0));
  EXPECT_NEAR(Num(v.at("total_price")), 4.02, 1e-12);
  EXPECT_EQ(Stored(Id(pkg))->quotes.size(), 2u);
  auto offered = EventsOf(EventKind::kOffered, Id(pkg));
  ASSERT_EQ(offered.size(), 2u);
  EXPECT_EQ(offered[1].quote_id, QuoteId(v, 1));

  json::object bad;
  bad["request"] = json::array{json::object{{"policy_type", "no_such_product"}}};
  ApiReply invalid = api_->AddQuotes(Ctx(), Id(pkg), bad);
  EXPECT_EQ(invalid.status, 422);
  auto invalid_errors = ErrorsOf(invalid);
  ASSERT_FALSE(invalid_errors.empty()) << invalid.body;
  EXPECT_EQ(invalid_errors.begin()->first.rfind("request.0", 0), 0u) << invalid.body;
  EXPECT_EQ(api_->AddQuotes(Ctx(kOther), Id(pkg), body).status, 404);
  EXPECT_EQ(Stored(Id(pkg))->quotes.size(), 2u);
  EXPECT_EQ(Count(EventKind::kOffered), 2);
}

TEST_P(PartnerApiTest, DeleteQuotes) {
  json::value pkg = Create(2);
  json::object body;
  body["quotes"] = json::array{json::object{{"id", QuoteId(pkg, 0)}}};
  ApiReply r = api_->DeleteQuotes(Ctx(), Id(pkg), body);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = json::parse(r.body);
  ASSERT_EQ(v.at("quotes").as_object().size(), 1u);
  EXPECT_EQ(v.at("quotes").at("0").at("id").as_string(), QuoteId(pkg, 1));
  EXPECT_NEAR(Num(v.at("total_price")), 2.01, 1e-12);
  auto withdrawn = EventsOf(EventKind::kWithdrawn, Id(pkg));
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].quote_id, QuoteId(pkg, 0));

  // The last quote stays: opt out instead.
  json::object last;
  last["quotes"] = json::array{json::object{{"id", QuoteId(pkg, 1)}}};
  ApiReply refused = api_->DeleteQuotes(Ctx(), Id(pkg), last);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(ErrorsOf(refused).count("quotes"), 1u);
  EXPECT_EQ(Stored(Id(pkg))->quotes.size(), 1u);
  EXPECT_EQ(Count(EventKind::kWithdrawn), 1);

  json::object unknown;
  unknown["quotes"] = json::array{json::object{{"id", NewUuid()}}};
  ApiReply not_there = api_->DeleteQuotes(Ctx(), Id(pkg), unknown);
  EXPECT_EQ(not_there.status, 422);
  EXPECT_EQ(ErrorsOf(not_there).count("quotes.0.id"), 1u);
  EXPECT_EQ(api_->DeleteQuotes(Ctx(kOther), Id(pkg), last).status, 404);
  EXPECT_EQ(Count(EventKind::kWithdrawn), 1);
}

// ------------------------------------------------------------------- cancel

TEST_P(PartnerApiTest, CancelPreviewThenConfirm) {
  json::value pkg = Create();
  Book(pkg, {0});
  ApiReply preview = api_->Cancel(Ctx(), Id(pkg), json::parse(R"({"preview": true})"));
  ASSERT_EQ(preview.status, 200) << preview.body;
  json::value pv = json::parse(preview.body);
  ASSERT_TRUE(pv.at("cancellation_id").is_string()) << preview.body;
  const std::string cid(pv.at("cancellation_id").as_string());
  EXPECT_FALSE(cid.empty());
  EXPECT_TRUE(pv.at("confirm_before").is_string());
  EXPECT_NEAR(Num(pv.at("total_refund")), 2.01, 1e-12);  // within cooling-off: in full

  // The preview changes nothing but remembers the pending cancellation.
  auto stored = Stored(Id(pkg));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->status, PackageStatus::kConfirmed);
  EXPECT_EQ(stored->quotes[0].status, QuoteStatus::kConfirmed);
  ASSERT_TRUE(stored->pending_cancellation.has_value());
  EXPECT_EQ(stored->pending_cancellation->id, cid);
  EXPECT_EQ(Count(EventKind::kCancelled), 0);

  ApiReply wrong = api_->ConfirmCancellation(Ctx(), Id(pkg), "WRONG-ID");
  EXPECT_EQ(wrong.status, 404) << wrong.body;
  EXPECT_EQ(Stored(Id(pkg))->status, PackageStatus::kConfirmed);
  EXPECT_EQ(api_->ConfirmCancellation(Ctx(kOther), Id(pkg), cid).status, 404);
  EXPECT_EQ(Count(EventKind::kCancelled), 0);

  ApiReply confirm = api_->ConfirmCancellation(Ctx(), Id(pkg), cid);
  ASSERT_EQ(confirm.status, 200) << confirm.body;
  json::value cv = json::parse(confirm.body);
  EXPECT_EQ(cv.at("status").as_string(), "CANCELLED");
  EXPECT_NEAR(Num(cv.at("total_refund")), 2.01, 1e-12);
  stored = Stored(Id(pkg));
  EXPECT_EQ(stored->status, PackageStatus::kCancelled);
  EXPECT_EQ(stored->quotes[0].status, QuoteStatus::kCancelled);
  EXPECT_FALSE(stored->pending_cancellation.has_value());
  auto cancelled = EventsOf(EventKind::kCancelled, Id(pkg));
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].amount, 201);  // the refund
  EXPECT_EQ(cancelled[0].price, 201);

  ApiReply twice = api_->ConfirmCancellation(Ctx(), Id(pkg), cid);
  EXPECT_EQ(twice.status, 404) << twice.body;
  EXPECT_EQ(Count(EventKind::kCancelled), 1);
}

TEST_P(PartnerApiTest, ExpiredPreviewIsRefused) {
  json::value pkg = Create();
  Book(pkg, {0});
  ApiReply preview = api_->Cancel(Ctx(), Id(pkg), json::parse(R"({"preview": true})"));
  const std::string cid(json::parse(preview.body).at("cancellation_id").as_string());
  RequestContext late = Ctx();
  late.now = now_ + kCancellationPreviewValidity + 1;
  ApiReply r = api_->ConfirmCancellation(late, Id(pkg), cid);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Stored(Id(pkg))->status, PackageStatus::kConfirmed);
  EXPECT_EQ(Count(EventKind::kCancelled), 0);
}

TEST_P(PartnerApiTest, CancelWithoutPreviewAndStateChecks) {
  json::value pkg = Create();
  ApiReply not_booked = api_->Cancel(Ctx(), Id(pkg), json::parse(R"({"preview": true})"));
  EXPECT_EQ(not_booked.status, 422);
  EXPECT_EQ(ErrorsOf(not_booked)["status"], "RECEIVED");
  EXPECT_EQ(api_->Cancel(Ctx(), Id(pkg), json::value(nullptr)).status, 422);

  Book(pkg, {0});
  EXPECT_EQ(api_->Cancel(Ctx(kOther), Id(pkg), json::value(nullptr)).status, 404);
  ApiReply r = api_->Cancel(Ctx(), Id(pkg), json::value(nullptr));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body).at("cancellation_id").is_null());
  EXPECT_EQ(Stored(Id(pkg))->status, PackageStatus::kCancelled);
  EXPECT_EQ(Count(EventKind::kCancelled), 1);

  ApiReply again = api_->Cancel(Ctx(), Id(pkg), json::value(nullptr));
  EXPECT_EQ(again.status, 422);
  EXPECT_EQ(ErrorsOf(again)["status"], "CANCELLED");
  EXPECT_EQ(api_->OptOut(Ctx(), Id(pkg)).status, 422);
  EXPECT_EQ(Count(EventKind::kCancelled), 1);
}

// -------------------------------------------------------------- idempotency

TEST_P(PartnerApiTest, SameKeySameRequestReplays) {
  ApiReply first = api_->CreateQuote(Ctx(kPartner, "key-1", "fp-A"), CreateBody());
  ASSERT_EQ(first.status, 201);
  EXPECT_FALSE(first.replayed);
  ApiReply second = api_->CreateQuote(Ctx(kPartner, "key-1", "fp-A"), CreateBody());
  EXPECT_EQ(second.status, 201);
  EXPECT_TRUE(second.replayed);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(Count(EventKind::kOffered), 1);  // no second package
  EXPECT_EQ(Events().size(), 1u);
}

TEST_P(PartnerApiTest, SameKeyOtherRequestIsAConflict) {
  ApiReply first = api_->CreateQuote(Ctx(kPartner, "key-1", "fp-A"), CreateBody());
  ASSERT_EQ(first.status, 201);
  ApiReply other = api_->CreateQuote(Ctx(kPartner, "key-1", "fp-B"), CreateBody());
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_FALSE(other.replayed);
  EXPECT_EQ(json::parse(other.body).at("type").as_string(), "conflict");
  EXPECT_EQ(Count(EventKind::kOffered), 1);
}

TEST_P(PartnerApiTest, KeysBelongToOnePartner) {
  ASSERT_EQ(api_->CreateQuote(Ctx(kPartner, "key-1", "fp-A"), CreateBody()).status, 201);
  ApiReply other = api_->CreateQuote(Ctx(kOther, "key-1", "fp-A"), CreateBody());
  EXPECT_EQ(other.status, 201);
  EXPECT_FALSE(other.replayed);
  EXPECT_EQ(Count(EventKind::kOffered), 2);
}

TEST_P(PartnerApiTest, ErrorRepliesAreNotRemembered) {
  json::value pkg = Create();
  Book(pkg, {0});
  ApiReply refused = api_->OptOut(Ctx(kPartner, "key-9", "fp-optout"), Id(pkg));
  ASSERT_EQ(refused.status, 422);
  // The same request again is worked out again, not replayed.
  ApiReply again = api_->OptOut(Ctx(kPartner, "key-9", "fp-optout"), Id(pkg));
  EXPECT_EQ(again.status, 422);
  EXPECT_FALSE(again.replayed);
  // And the key is still free for another request.
  ApiReply other = api_->CreateQuote(Ctx(kPartner, "key-9", "fp-create"), CreateBody());
  EXPECT_EQ(other.status, 201) << other.body;
  EXPECT_FALSE(other.replayed);

  ApiReply missing = api_->OptOut(Ctx(kPartner, "key-10", "fp-1"), "AAAAA-BBBBB-INS");
  ASSERT_EQ(missing.status, 404);
  ApiReply later = api_->OptOut(Ctx(kPartner, "key-10", "fp-2"), Id(Create()));
  EXPECT_EQ(later.status, 204) << later.body;
  EXPECT_FALSE(later.replayed);
}

TEST_P(PartnerApiTest, ReplayedOptOutRecordsNothing) {
  json::value pkg = Create();
  ApiReply first = api_->OptOut(Ctx(kPartner, "k", "f"), Id(pkg));
  ASSERT_EQ(first.status, 204);
  ApiReply second = api_->OptOut(Ctx(kPartner, "k", "f"), Id(pkg));
  EXPECT_EQ(second.status, 204);
  EXPECT_EQ(second.body, "");
  EXPECT_TRUE(second.replayed);
  EXPECT_EQ(Count(EventKind::kOptedOut), 1);
}

TEST_P(PartnerApiTest, KeysExpireAfterTheWindow) {
  ApiReply first = api_->CreateQuote(Ctx(kPartner, "key-1", "fp-A"), CreateBody());
  ASSERT_EQ(first.status, 201);
  RequestContext later = Ctx(kPartner, "key-1", "fp-B");
  later.now = now_ + 25 * 3600 * kMicrosPerSecond;
  ApiReply r = api_->CreateQuote(later, CreateBody());
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(r.replayed);
  EXPECT_NE(Id(json::parse(r.body)), Id(json::parse(first.body)));
}

TEST_P(PartnerApiTest, ConcurrentRetriesWithOneKeyCreateOnePackage) {
  std::vector<ApiReply> replies(8);
  std::vector<std::thread> threads;
  std::atomic<int> go{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      go.fetch_add(1);
      while (go.load() < 8) std::this_thread::yield();
      replies[i] = api_->CreateQuote(Ctx(kPartner, "retry-key", "fp"), CreateBody());
    });
  }
  for (auto& t : threads) t.join();
  int fresh = 0;
  for (const auto& r : replies) {
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.body, replies[0].body);
    if (!r.replayed) ++fresh;
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(Count(EventKind::kOffered), 1);
}

OL_BACKENDS(PartnerApiTest);

}  // namespace
}  // namespace offerledger
