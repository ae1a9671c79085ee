// The price optimizer in the service layer: PartnerApi with a PriceChooser
// on every real Store backend and the default catalog. Fixed mode prices at the
// catalog price; optimize mode records the chosen multiplier on the quote
// and its events; prices stay within the product's min/max premium; the
// chooser follows what the arms in the store say.
#include "service/price_chooser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <boost/json.hpp>

#include "domain/ids.h"
#include "service/partner_api.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

namespace json = boost::json;
using testing::BackendTest;

constexpr Micros kNow = 19'000 * kMicrosPerDay + 3600 * kMicrosPerSecond;

json::value ParcelBody(double value, const std::string& country = "GB") {
  json::object q{{"policy_type", "parcel_protection"},
                 {"policy_type_version", 1},
                 {"parcel_value", value},
                 {"shipping_date", "2022-01-08T12:00:00Z"},
                 {"destination_country", "FR"}};
  json::object o;
  o["request"] = json::array{q};
  o["currency"] = "GBP";
  o["customer_country"] = country;
  return o;
}

json::value TicketBody() {
  json::object q = json::parse(R"({"policy_type": "event_ticket_protection",
    "policy_type_version": 1, "policy_start_date": "2021-10-01T00:29:29Z",
    "event_datetime": "2021-10-10T13:44:15Z", "event_name": "X", "event_location": "Y",
    "number_of_tickets": 2, "tickets": [{"price": 100}], "resale_ticket": false,
    "event_country": "GB"})")
                       .as_object();
  json::object o;
  o["request"] = json::array{q};
  o["currency"] = "GBP";
  o["customer_country"] = "GB";
  return o;
}

class PriceChooserTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto catalog = Catalog::LoadFile(OFFERLEDGER_SOURCE_DIR "/catalog/default.json");
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = *catalog;
    Partner p{"LLODT", "LLODT", kNow, 0, 0};
    ApiKey key{NewApiKey(), NewApiSecret(), "LLODT", kNow, std::nullopt};
    ASSERT_TRUE(store_->CreatePartner(p, key).ok());
  }

  // The API (and its chooser) goes before the store it uses.
  void TearDown() override {
    api_.reset();
    BackendTest::TearDown();
  }

  void Start(PricingMode mode, PolicyKind policy = PolicyKind::kThompson) {
    PriceChooserOptions o;
    o.mode = mode;
    o.policy = policy;
    o.seed = 42;
    o.cache_ttl = 0;  // read the arms every time
    PartnerApiOptions opts;
    opts.render.public_url = "https://ol.example";
    opts.chooser = std::make_shared<PriceChooser>(*store_, o);
    api_ = std::make_unique<PartnerApi>(*store_, catalog_, opts);
  }

  // Creates a package; returns its only quote as stored.
  Quote Offer(const json::value& body) {
    RequestContext ctx{"LLODT", kNow, "", ""};
    ApiReply r = api_->CreateQuote(ctx, body);
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string id(json::parse(r.body).at("id").as_string());
    auto pkg = store_->GetPackage("LLODT", id);
    EXPECT_TRUE(pkg.ok() && pkg->has_value());
    return (*pkg)->quotes.at(0);
  }

  // The multiplier of every `offered` event, by quote id.
  std::map<std::string, std::int64_t> OfferedMultipliers() {
    std::map<std::string, std::int64_t> out;
    auto events = store_->ListEvents("LLODT", 0, 0);
    EXPECT_TRUE(events.ok());
    for (const LedgerEvent& e : *events) {
      if (e.kind == EventKind::kOffered) out[e.quote_id] = e.price_multiplier_nanos;
    }
    return out;
  }

  std::shared_ptr<const Catalog> catalog_;
  std::unique_ptr<PartnerApi> api_;
};

TEST_P(PriceChooserTest, FixedModeAlwaysPricesAtTheCatalogPrice) {
  Start(PricingMode::kFixed);
  for (int i = 0; i < 20; ++i) {
    const Quote q = Offer(ParcelBody(100));
    EXPECT_EQ(q.price_multiplier_nanos, Rate::kOne);
    EXPECT_EQ(q.premium, 150);  // 1.5% of 100.00 GBP
  }
  for (const auto& [id, m] : OfferedMultipliers()) EXPECT_EQ(m, Rate::kOne) << id;
}

TEST_P(PriceChooserTest, OptimizeModeStoresTheChosenMultiplierOnQuoteAndEvents) {
  Start(PricingMode::kOptimize);
  const Product* product = catalog_->FindLatest("parcel_protection");
  ASSERT_NE(product, nullptr);
  std::set<std::int64_t> grid;
  for (const Rate& r : product->multiplier_grid) grid.insert(r.nanos);
  std::set<std::int64_t> seen;
  std::map<std::string, std::int64_t> on_quotes;
  for (int i = 0; i < 40; ++i) {
    const Quote q = Offer(ParcelBody(100));
    EXPECT_TRUE(grid.contains(q.price_multiplier_nanos)) << q.price_multiplier_nanos;
    EXPECT_EQ(q.premium, ApplyRate(150, Rate{q.price_multiplier_nanos}));
    seen.insert(q.price_multiplier_nanos);
    on_quotes[q.id] = q.price_multiplier_nanos;
  }
  EXPECT_GT(seen.size(), 1u) << "with no data the policy explores";
  EXPECT_EQ(OfferedMultipliers(), on_quotes);
  // The store's arms count them where they were offered.
  auto arms = store_->ReadArms({"parcel_protection", "LLODT", "GB"}, DayOf(kNow), 7);
  ASSERT_TRUE(arms.ok());
  std::int64_t pending = 0;
  for (const ArmTotals& a : *arms) pending += a.pending;
  EXPECT_EQ(pending, 40);
}

TEST_P(PriceChooserTest, OptimizedPricesAreClampedToMinAndMaxPremium) {
  Start(PricingMode::kOptimize);
  for (int i = 0; i < 20; ++i) {
    // 1.5% of 10.00 GBP is 0.15, below the 0.50 minimum at every multiplier.
    const Quote low = Offer(ParcelBody(10));
    EXPECT_EQ(low.premium, 50);
    // 1.5% of 50000.00 GBP is 750.00, the maximum: 1.40 x cannot exceed it.
    const Quote high = Offer(ParcelBody(50000));
    EXPECT_LE(high.premium, 75000);
    EXPECT_EQ(high.premium,
              std::min<MinorUnits>(75000, ApplyRate(75000, Rate{high.price_multiplier_nanos})));
  }
}

TEST_P(PriceChooserTest, CatalogModeFollowsEachProduct) {
  Start(PricingMode::kCatalog);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Offer(TicketBody()).price_multiplier_nanos, Rate::kOne);  // "pricing": "fixed"
  }
  std::set<std::int64_t> seen;
  for (int i = 0; i < 30; ++i) seen.insert(Offer(ParcelBody(100)).price_multiplier_nanos);
  EXPECT_GT(seen.size(), 1u);  // "pricing": "optimize"
}

TEST_P(PriceChooserTest, ChoosesWhatTheArmsInTheStoreFavour) {
  // History: at 1.20 every offer was booked, elsewhere every one declined.
  std::vector<LedgerEvent> events;
  const Product* product = catalog_->FindLatest("parcel_protection");
  int n = 0;
  for (const Rate& m : product->multiplier_grid) {
    for (int i = 0; i < 60; ++i, ++n) {
      LedgerEvent e;
      e.at = kNow;
      e.partner = "LLODT";
      e.package_id = "P" + std::to_string(n);
      e.quote_id = "q" + std::to_string(n);
      e.policy_type = "parcel_protection";
      e.currency = "GBP";
      e.customer_country = "GB";
      e.price_multiplier_nanos = m.nanos;
      events.push_back(e);
      e.kind = m.nanos == 1'200'000'000 ? EventKind::kBooked : EventKind::kOptedOut;
      events.push_back(e);
    }
  }
  ASSERT_TRUE(store_->Write([&](WriteTxn& t) { return t.AppendEvents(events); }).ok());
  PriceChooserOptions o;
  o.mode = PricingMode::kCatalog;
  o.seed = 7;
  PriceChooser chooser(*store_, o);
  int at_best = 0;
  for (int i = 0; i < 100; ++i) {
    if (chooser.Choose(*product, "LLODT", "GB", kNow).nanos == 1'200'000'000) ++at_best;
  }
  EXPECT_GE(at_best, 90);
  // Another country is another context, with no data of its own.
  EXPECT_EQ(ContextOf(*product, "LLODT", "FR").key,
            "partner=LLODT,policy_type=parcel_protection,customer_country=FR");
  // The view shows the same best arm.
  auto view = BuildOptimizerView(*store_, *catalog_, o, kNow);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_EQ(view->contexts.size(), 1u);
  EXPECT_DOUBLE_EQ(view->contexts[0].best_multiplier, 1.2);
  EXPECT_EQ(view->contexts[0].offers, 7 * 60);
  EXPECT_NE(OptimizerViewJson(*view).find("\"best_multiplier\":1.2000"), std::string::npos);
}

TEST_P(PriceChooserTest, ContextDimensionsComeFromTheCatalog) {
  Product p;
  p.policy_type = "parcel_protection";
  p.optimizer_context = {"policy_type"};
  const OptimizerContextKey k = ContextOf(p, "LLODT", "GB");
  EXPECT_EQ(k.key, "policy_type=parcel_protection");
  EXPECT_FALSE(k.filter.partner.has_value());
  EXPECT_FALSE(k.filter.country.has_value());
  // Only partner, policy_type and customer_country are dimensions: never
  // personal data.
  std::ifstream in(OFFERLEDGER_SOURCE_DIR "/catalog/default.json");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string good = buf.str();
  const std::string dims = R"("optimizer_context": ["partner", "policy_type", "customer_country"])";
  ASSERT_NE(good.find(dims), std::string::npos);
  for (const char* bad :
       {R"("optimizer_context": ["partner", "email"])",
        R"("optimizer_context": ["partner", "partner"])", R"("optimizer_context": "partner")"}) {
    std::string text = good;
    text.replace(text.find(dims), dims.size(), bad);
    auto parsed = Catalog::Parse(text);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().ToString().find("optimizer_context"), std::string::npos)
        << parsed.status().ToString();
  }
  std::string narrow = good;
  narrow.replace(narrow.find(dims), dims.size(), R"("optimizer_context": ["customer_country"])");
  auto parsed = Catalog::Parse(narrow);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ((*parsed)->FindLatest("parcel_protection")->optimizer_context,
            (std::vector<std::string>{"policy_type", "customer_country"}));
}

TEST(PricingModeTest, Parse) {
  EXPECT_EQ(*ParsePricingMode("fixed"), PricingMode::kFixed);
  EXPECT_EQ(*ParsePricingMode("optimize"), PricingMode::kOptimize);
  EXPECT_EQ(*ParsePricingMode("catalog"), PricingMode::kCatalog);
  EXPECT_FALSE(ParsePricingMode("random").ok());
}

OL_BACKENDS(PriceChooserTest);

}  // namespace
}  // namespace offerledger
