// Property test of the conversion roll-ups: a seeded random workload drives
// PartnerApi (real default catalog; every real Store backend, a SQLite file
// or a PostgreSQL schema) through create, add, delete, re-price, opt-out
// (with repeats), book (subsets, also after an opt-out), cancel (preview +
// confirm, and direct) and instant booking, for several partners over ~20
// days. Then the roll-ups kept by AppendEvents must equal a full recount from
// the events, every row must balance, and the totals must match what the
// test itself saw happen.
//
// The seed is printed; rerun one with OFFERLEDGER_ROLLUP_SEED=<seed>.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "domain/conversion.h"
#include "domain/ids.h"
#include "service/partner_api.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

namespace json = boost::json;
using testing::BackendTest;

constexpr const char* kPolicyholder =
    R"({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "age": 30,
        "country": "GB"})";

const std::vector<std::string> kPartners = {"ALPHA", "BETA", "GAMMA"};
const std::vector<std::string> kCurrencies = {"GBP", "EUR", "USD", "AUD"};
const std::vector<std::string> kCountries = {"GB", "AU", "US", "FR"};
// Ticket prices that land in every band of the default catalog (total price
// 1.50, 2.01, 7.05, 16.12, 31.24, 101.80 in GBP).
const std::vector<int> kTicketPrices = {10, 100, 600, 1500, 3000, 10000};

struct ModelPackage {
  std::string id;
  std::string partner;
  std::string status = "RECEIVED";  // RECEIVED, OPTED_OUT, CONFIRMED, CANCELLED
  std::vector<std::string> quotes;  // current quote ids, in order
};

class RollupPropertyTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto catalog = Catalog::LoadFile(OFFERLEDGER_SOURCE_DIR "/catalog/default.json");
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = *catalog;
    for (const std::string& code : kPartners) {
      Partner p{code, code + " Ltd", start_, 0, 0};
      ApiKey key{NewApiKey(), NewApiSecret(), code, start_, std::nullopt};
      ASSERT_TRUE(store_->CreatePartner(p, key).ok());
    }
    api_ = std::make_unique<PartnerApi>(*store_, catalog_, PartnerApiOptions{});
  }

  // The API (and its chooser) goes before the store it uses.
  void TearDown() override {
    api_.reset();
    BackendTest::TearDown();
  }

  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng_)];
  }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  json::object QuoteRequest() {
    if (Chance(0.25)) {
      return json::object{{"policy_type", "travel_insurance"},
                          {"trip_start_date", "2030-06-01"},
                          {"trip_end_date", "2030-06-10"},
                          {"destination_country", "FR"},
                          {"travellers", json::array{json::object{{"age", 30}}}},
                          {"trip_cost", Pick(std::vector<int>{50, 200, 900, 4000})}};
    }
    return json::object{{"policy_type", "event_ticket_protection"},
                        {"policy_start_date", "2030-01-01T00:00:00Z"},
                        {"event_datetime", "2030-02-01T20:00:00Z"},
                        {"event_name", "Show"},
                        {"number_of_tickets", 1},
                        {"tickets", json::array{json::object{{"price", Pick(kTicketPrices)}}}}};
  }

  RequestContext Ctx(const std::string& partner, Micros now) const {
    return RequestContext{partner, now, "", ""};
  }

  static std::vector<std::string> QuoteIds(const json::value& pkg) {
    std::vector<std::string> ids;
    const json::object& quotes = pkg.at("quotes").as_object();
    for (std::size_t i = 0; i < quotes.size(); ++i) {
      ids.emplace_back(quotes.at(std::to_string(i)).at("id").as_string());
    }
    return ids;
  }

  // --- operations; each checks the reply and updates the model.

  void Create(Micros now) {
    const std::string partner = Pick(kPartners);
    json::array requests;
    const int n = Uniform(1, 3);
    for (int i = 0; i < n; ++i) requests.push_back(QuoteRequest());
    json::object body{{"request", std::move(requests)},
                      {"currency", Pick(kCurrencies)},
                      {"customer_country", Pick(kCountries)}};
    ApiReply r = api_->CreateQuote(Ctx(partner, now), body);
    ASSERT_EQ(r.status, 201) << r.body;
    const json::value v = json::parse(r.body);
    ModelPackage p;
    p.id = std::string(v.at("id").as_string());
    p.partner = partner;
    p.quotes = QuoteIds(v);
    for (const auto& q : p.quotes) outcome_[q] = OfferOutcome::kPending;
    packages_.push_back(std::move(p));
    ++packages_offered_;
  }

  void Instant(Micros now) {
    const std::string partner = Pick(kPartners);
    json::array requests;
    const int n = Uniform(1, 2);
    for (int i = 0; i < n; ++i) requests.push_back(QuoteRequest());
    json::object body{{"request", std::move(requests)},
                      {"currency", Pick(kCurrencies)},
                      {"policyholder", json::parse(kPolicyholder)}};
    ApiReply r = api_->InstantBooking(Ctx(partner, now), body);
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value v = json::parse(r.body);
    ModelPackage p;
    p.id = std::string(v.at("id").as_string());
    p.partner = partner;
    p.status = "CONFIRMED";
    for (const auto& q : v.at("quotes").as_array()) {
      p.quotes.emplace_back(q.at("id").as_string());
      outcome_[p.quotes.back()] = OfferOutcome::kBooked;
    }
    packages_.push_back(std::move(p));
    ++packages_offered_;
  }

  void Add(ModelPackage& p, Micros now) {
    json::object body{{"request", json::array{QuoteRequest()}}};
    ApiReply r = api_->AddQuotes(Ctx(p.partner, now), p.id, body);
    if (p.status != "RECEIVED") {
      ASSERT_EQ(r.status, 422) << r.body;
      return;
    }
    ASSERT_EQ(r.status, 201) << r.body;
    p.quotes = QuoteIds(json::parse(r.body));
    outcome_[p.quotes.back()] = OfferOutcome::kPending;
  }

  void Delete(ModelPackage& p, Micros now) {
    if (p.quotes.size() < 2 && p.status == "RECEIVED") return;  // must keep one
    const std::string victim = Pick(p.quotes);
    json::object body{{"quotes", json::array{json::object{{"id", victim}}}}};
    ApiReply r = api_->DeleteQuotes(Ctx(p.partner, now), p.id, body);
    if (p.status != "RECEIVED") {
      ASSERT_EQ(r.status, 422) << r.body;
      return;
    }
    ASSERT_EQ(r.status, 200) << r.body;
    p.quotes = QuoteIds(json::parse(r.body));
    outcome_[victim] = OfferOutcome::kWithdrawn;
  }

  void Update(ModelPackage& p, Micros now) {
    // Re-price one quote (a ticket or trip cost in another band); sometimes
    // the whole package moves to another currency or country.
    const std::size_t k =
        static_cast<std::size_t>(Uniform(0, static_cast<int>(p.quotes.size()) - 1));
    json::object body;
    if (Chance(0.25)) body["currency"] = Pick(kCurrencies);
    if (Chance(0.15)) body["customer_country"] = Pick(kCountries);
    auto stored = store_->GetPackage(p.partner, p.id);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    const Quote& q = (*stored)->quotes[k];
    json::object fields{{"quote_id", q.id}};
    if (q.policy_type == "travel_insurance") {
      fields["trip_cost"] = Pick(std::vector<int>{50, 200, 900, 4000});
    } else {
      fields["tickets"] = json::array{json::object{{"price", Pick(kTicketPrices)}}};
    }
    body["request"] = json::array{std::move(fields)};
    ApiReply r = api_->UpdateQuote(Ctx(p.partner, now), p.id, body);
    if (p.status != "RECEIVED") {
      ASSERT_EQ(r.status, 422) << r.body;
      return;
    }
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(QuoteIds(json::parse(r.body)), p.quotes);
  }

  void OptOut(ModelPackage& p, Micros now) {
    ApiReply r = api_->OptOut(Ctx(p.partner, now), p.id);
    if (p.status == "RECEIVED" || p.status == "OPTED_OUT") {
      ASSERT_EQ(r.status, 204) << r.body;
      if (p.status == "RECEIVED") {
        for (const auto& q : p.quotes) outcome_[q] = OfferOutcome::kOptedOut;
        opt_out_events_ += static_cast<std::int64_t>(p.quotes.size());
      }
      p.status = "OPTED_OUT";
    } else {
      ASSERT_EQ(r.status, 422) << r.body;
    }
  }

  void Book(ModelPackage& p, Micros now) {
    std::vector<std::string> chosen;
    for (const auto& q : p.quotes) {
      if (Chance(0.6)) chosen.push_back(q);
    }
    if (chosen.empty()) chosen.push_back(Pick(p.quotes));
    json::array quotes;
    for (const auto& q : chosen) quotes.push_back(json::object{{"id", q}});
    json::object body{{"quotes", std::move(quotes)}, {"policyholder", json::parse(kPolicyholder)}};
    ApiReply r = api_->CreateBooking(Ctx(p.partner, now), p.id, body);
    if (p.status != "RECEIVED" && p.status != "OPTED_OUT") {
      ASSERT_EQ(r.status, 422) << r.body;
      return;
    }
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& q : p.quotes) outcome_[q] = OfferOutcome::kNotSelected;
    for (const auto& q : chosen) outcome_[q] = OfferOutcome::kBooked;
    p.quotes = chosen;
    p.status = "CONFIRMED";
  }

  void Cancel(ModelPackage& p, Micros now) {
    // Sometimes well after the cooling-off period.
    if (Chance(0.3)) now += Uniform(15, 40) * kMicrosPerDay;
    const RequestContext ctx = Ctx(p.partner, now);
    ApiReply r;
    if (Chance(0.5)) {
      ApiReply preview = api_->Cancel(ctx, p.id, json::parse(R"({"preview": true})"));
      if (p.status != "CONFIRMED") {
        ASSERT_EQ(preview.status, 422) << preview.body;
        return;
      }
      ASSERT_EQ(preview.status, 200) << preview.body;
      const std::string cid(json::parse(preview.body).at("cancellation_id").as_string());
      r = api_->ConfirmCancellation(ctx, p.id, cid);
    } else {
      r = api_->Cancel(ctx, p.id, json::value(nullptr));
      if (p.status != "CONFIRMED") {
        ASSERT_EQ(r.status, 422) << r.body;
        return;
      }
    }
    ASSERT_EQ(r.status, 200) << r.body;
    p.status = "CANCELLED";
    cancelled_ += static_cast<std::int64_t>(p.quotes.size());
  }

  void RunWorkload(std::uint64_t seed, int steps) {
    rng_.seed(seed);
    Micros now = start_;
    for (int i = 0; i < steps; ++i) {
      now += Uniform(0, 5000) * kMicrosPerSecond;  // ~400 steps: ~12 days, plus jumps
      if (Chance(0.02)) now += Uniform(1, 3) * kMicrosPerDay;
      const int op = Uniform(0, 99);
      if (packages_.empty() || op < 25) {
        Create(now);
      } else if (op < 29) {
        Instant(now);
      } else {
        ModelPackage& p =
            packages_[static_cast<std::size_t>(Uniform(0, static_cast<int>(packages_.size()) - 1))];
        if (op < 36) {
          Add(p, now);
        } else if (op < 42) {
          Delete(p, now);
        } else if (op < 54) {
          Update(p, now);
        } else if (op < 70) {
          OptOut(p, now);
        } else if (op < 88) {
          Book(p, now);
        } else {
          Cancel(p, now);
        }
      }
      if (HasFatalFailure()) return;
    }
    end_ = now;
  }

  std::shared_ptr<const Catalog> catalog_;
  std::unique_ptr<PartnerApi> api_;
  std::mt19937_64 rng_;
  const Micros start_ = 19'500 * kMicrosPerDay + 7 * 3600 * kMicrosPerSecond;
  Micros end_ = 0;

  std::vector<ModelPackage> packages_;
  std::map<std::string, OfferOutcome> outcome_;  // every quote ever offered
  std::int64_t packages_offered_ = 0;
  std::int64_t opt_out_events_ = 0;
  std::int64_t cancelled_ = 0;
};

void ExpectSameRows(const std::vector<RollupRow>& read, const std::vector<RollupRow>& recount) {
  ASSERT_EQ(read.size(), recount.size());
  for (std::size_t i = 0; i < read.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i) + ": day " + std::to_string(read[i].key.day) + " " +
                 read[i].key.partner + " " + read[i].key.policy_type + " " +
                 read[i].key.price_band + " " + read[i].key.country + " " + read[i].key.currency);
    EXPECT_EQ(read[i].key, recount[i].key);
    EXPECT_EQ(read[i].counts, recount[i].counts);
  }
}

TEST_P(RollupPropertyTest, RollupsEqualARecountAfterARandomWorkload) {
  std::uint64_t seed = std::random_device{}();
  if (const char* env = std::getenv("OFFERLEDGER_ROLLUP_SEED"); env != nullptr) {
    seed = std::strtoull(env, nullptr, 10);
  }
  std::cout << "[ rollup property ] seed " << seed
            << " (rerun with OFFERLEDGER_ROLLUP_SEED=" << seed << ")\n";
  RecordProperty("seed", std::to_string(seed));
  SCOPED_TRACE("seed " + std::to_string(seed));

  RunWorkload(seed, 400);
  ASSERT_FALSE(HasFatalFailure());

  const RollupFilter all{DayOf(start_), DayOf(end_) + 1, std::nullopt};
  auto read = store_->ReadRollups(all);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  auto recount = store_->RecountRollups(all);
  ASSERT_TRUE(recount.ok()) << recount.status().ToString();
  ExpectSameRows(*read, *recount);
  ASSERT_FALSE(read->empty());

  // Every row balances, nothing is negative, and the totals are what happened.
  RollupCounts total;
  std::map<std::string, int> bands;
  std::map<std::int64_t, int> days;
  for (const RollupRow& row : *read) {
    const RollupCounts& c = row.counts;
    EXPECT_EQ(c.quotes_offered, c.pending + c.booked + c.opted_out + c.not_selected)
        << row.key.price_band;
    for (std::int64_t v : {c.packages_offered, c.quotes_offered, c.pending, c.booked, c.opted_out,
                           c.not_selected, c.opt_out_events, c.cancelled, c.cancelled_cooling_off,
                           c.premium_booked, c.premium_refunded}) {
      EXPECT_GE(v, 0);
    }
    EXPECT_LE(c.cancelled, c.booked);
    EXPECT_LE(c.cancelled_cooling_off, c.cancelled);
    total += c;
    ++bands[row.key.price_band];
    ++days[row.key.day];
  }
  std::map<OfferOutcome, std::int64_t> expected;
  for (const auto& [q, o] : outcome_) ++expected[o];
  EXPECT_EQ(total.packages_offered, packages_offered_);
  EXPECT_EQ(total.quotes_offered,
            static_cast<std::int64_t>(outcome_.size()) - expected[OfferOutcome::kWithdrawn]);
  EXPECT_EQ(total.pending, expected[OfferOutcome::kPending]);
  EXPECT_EQ(total.booked, expected[OfferOutcome::kBooked]);
  EXPECT_EQ(total.opted_out, expected[OfferOutcome::kOptedOut]);
  EXPECT_EQ(total.not_selected, expected[OfferOutcome::kNotSelected]);
  EXPECT_EQ(total.opt_out_events, opt_out_events_);
  EXPECT_EQ(total.cancelled, cancelled_);
  std::cout << "[ rollup property ] " << read->size() << " rows; packages "
            << total.packages_offered << ", quotes " << total.quotes_offered << ": pending "
            << total.pending << ", booked " << total.booked << ", opted out " << total.opted_out
            << ", not selected " << total.not_selected << "; opt-outs " << total.opt_out_events
            << ", cancelled " << total.cancelled << " (" << total.cancelled_cooling_off
            << " cooling off)\n";
  // The workload reaches every outcome, several bands and days.
  EXPECT_GT(total.booked, 0);
  EXPECT_GT(total.opted_out, 0);
  EXPECT_GT(total.not_selected, 0);
  EXPECT_GT(total.pending, 0);
  EXPECT_GT(total.cancelled, 0);
  EXPECT_GT(total.opt_out_events, total.opted_out);  // some opted-out packages were booked later
  EXPECT_GE(bands.size(), 4u);
  EXPECT_GE(days.size(), 5u);

  // One partner at a time, and a window of days, agree too.
  for (const std::string& partner : kPartners) {
    SCOPED_TRACE(partner);
    RollupFilter f{DayOf(start_) + 2, DayOf(start_) + 9, partner};
    auto r = store_->ReadRollups(f);
    auto c = store_->RecountRollups(f);
    ASSERT_TRUE(r.ok() && c.ok());
    ExpectSameRows(*r, *c);
  }

  // Premiums match the ledger: booked prices, refunds.
  auto events = store_->ListEvents("", 0, 0);
  ASSERT_TRUE(events.ok());
  MinorUnits booked_premium = 0, refunded = 0;
  for (const LedgerEvent& e : *events) {
    if (e.kind == EventKind::kBooked) booked_premium += e.price;
    if (e.kind == EventKind::kCancelled) refunded += e.amount;
    EXPECT_FALSE(e.price_band.empty()) << EventKindName(e.kind);
    const Currency* cur = FindCurrency(e.currency);
    ASSERT_NE(cur, nullptr);
    EXPECT_EQ(e.price_band, catalog_->PriceBandsFor(e.currency).Label(e.price, cur->exponent));
  }
  EXPECT_EQ(total.premium_booked, booked_premium);
  EXPECT_EQ(total.premium_refunded, refunded);

  // Rebuilding with the catalog's own edges changes nothing.
  auto rebuilt = store_->RebuildRollups([&](MinorUnits price, const std::string& currency) {
    const Currency* cur = FindCurrency(currency);
    return catalog_->PriceBandsFor(currency).Label(price, cur != nullptr ? cur->exponent : 2);
  });
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(*rebuilt, static_cast<std::int64_t>(read->size()));
  auto after = store_->ReadRollups(all);
  ASSERT_TRUE(after.ok());
  ExpectSameRows(*after, *read);
}

OL_BACKENDS(RollupPropertyTest);

}  // namespace
}  // namespace offerledger
