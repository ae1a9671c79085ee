// The conversion model's pure functions: price band labels, the Wilson score
// interval, the outcome state machine and the counter deltas the store applies.
#include "domain/conversion.h"

#include <gtest/gtest.h>

#include "domain/catalog.h"

namespace offerledger {
namespace {

// ----------------------------------------------------------------- PriceBands

TEST(PriceBandsTest, LabelsAreHalfOpenBandsInMajorUnits) {
  const PriceBands bands{{200, 500, 1000, 2000, 5000}};  // GBP: 2, 5, 10, 20, 50
  EXPECT_EQ(bands.Label(0, 2), "0-2");
  EXPECT_EQ(bands.Label(199, 2), "0-2");
  EXPECT_EQ(bands.Label(200, 2), "2-5");  // an edge belongs to the band above it
  EXPECT_EQ(bands.Label(201, 2), "2-5");
  EXPECT_EQ(bands.Label(499, 2), "2-5");
  EXPECT_EQ(bands.Label(500, 2), "5-10");
  EXPECT_EQ(bands.Label(999, 2), "5-10");
  EXPECT_EQ(bands.Label(1000, 2), "10-20");
  EXPECT_EQ(bands.Label(4999, 2), "20-50");
  EXPECT_EQ(bands.Label(5000, 2), "50+");
  EXPECT_EQ(bands.Label(123'456'789, 2), "50+");
}

TEST(PriceBandsTest, LabelsDropTrailingZerosButKeepSignificantDecimals) {
  const PriceBands bands{{250, 1000, 1275}};
  EXPECT_EQ(bands.Label(100, 2), "0-2.5");
  EXPECT_EQ(bands.Label(250, 2), "2.5-10");
  EXPECT_EQ(bands.Label(1100, 2), "10-12.75");
  EXPECT_EQ(bands.Label(1275, 2), "12.75+");
}

TEST(PriceBandsTest, ZeroExponentCurrency) {
  const PriceBands yen{{300, 750, 1500}};
  EXPECT_EQ(yen.Label(299, 0), "0-300");
  EXPECT_EQ(yen.Label(300, 0), "300-750");
  EXPECT_EQ(yen.Label(1500, 0), "1500+");
}

TEST(PriceBandsTest, NoEdgesIsOneBand) {
  EXPECT_EQ(PriceBands{}.Label(0, 2), "0+");
  EXPECT_EQ(PriceBands{}.Label(99999, 2), "0+");
}

TEST(PriceBandsTest, DefaultCatalogEdges) {
  auto catalog = Catalog::LoadFile(OFFERLEDGER_SOURCE_DIR "/catalog/default.json");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  const Catalog& c = **catalog;
  EXPECT_EQ(c.PriceBandsFor("GBP").edges, (std::vector<MinorUnits>{200, 500, 1000, 2000, 5000}));
  EXPECT_EQ(c.PriceBandsFor("AUD").edges, (std::vector<MinorUnits>{200, 500, 1000, 2000, 5000}));
  EXPECT_EQ(c.PriceBandsFor("JPY").edges, (std::vector<MinorUnits>{300, 750, 1500, 3000, 7500}));
  // Not sold, not listed: the default edges at its exponent.
  EXPECT_EQ(c.PriceBandsFor("CHF").edges, (std::vector<MinorUnits>{200, 500, 1000, 2000, 5000}));
  EXPECT_EQ(c.PriceBandsFor("GBP").Label(201, 2), "2-5");
}

// A minimal valid catalog with `price_bands` spliced in ("" for none).
std::string CatalogWithBands(const std::string& bands, const std::string& currency = "GBP") {
  std::string doc = R"({)";
  if (!bands.empty()) doc += R"("price_bands": )" + bands + ",";
  doc += R"("products": [{"policy_type": "p", "version": 1, "name": "P", "code": "P1",
    "version_id": "5d24e2d1-a341-4b8b-9917-82878470a9c3", "group": "g",
    "fields": {"start": {"type": "datetime", "required": true},
               "value": {"type": "money", "required": true}},
    "cover_period": {"start_field": "start", "duration_days": 10},
    "insured_value": {"paths": ["value"]}, "premium_rate": "0.01",
    "currencies": {")" +
         currency + R"(": {}}, "content": {"title": "t"}}]})";
  return doc;
}

TEST(PriceBandsTest, CatalogWithoutBandsHasOneBand) {
  auto c = Catalog::Parse(CatalogWithBands(""));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE((*c)->PriceBandsFor("GBP").edges.empty());
  EXPECT_EQ((*c)->PriceBandsFor("GBP").Label(500, 2), "0+");
}

TEST(PriceBandsTest, CatalogChecksTheEdges) {
  struct Case {
    std::string bands;
    std::string currency;
    std::string path;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {R"({"default": ["5", "2"]})", "GBP", "price_bands.default[1]", "ascending"},
      {R"({"default": ["5", "5"]})", "GBP", "price_bands.default[1]", "ascending"},
      {R"({"default": ["0"]})", "GBP", "price_bands.default[0]", "greater than 0"},
      {R"({"default": ["-1"]})", "GBP", "price_bands.default[0]", "greater than 0"},
      {R"({"default": [5]})", "GBP", "price_bands.default[0]", "decimal string"},
      {R"({"default": "5"})", "GBP", "price_bands.default", "array"},
      {R"({"default": ["abc"]})", "GBP", "price_bands.default[0]", "not a decimal"},
      {R"({"GBP": ["2.555"]})", "GBP", "price_bands.GBP[0]", "decimal places"},
      {R"({"XXX": ["2"]})", "GBP", "price_bands.XXX", "unknown currency"},
      {R"({"default": ["2.5"]})", "JPY", "price_bands.default[0]", "JPY"},
      {R"({"EUR": ["2"]})", "GBP", "price_bands.default", "required"},
      {R"(["2"])", "GBP", "price_bands", "object"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.bands + " " + k.currency);
    auto c = Catalog::Parse(CatalogWithBands(k.bands, k.currency));
    ASSERT_FALSE(c.ok());
    bool found = false;
    for (const auto& f : c.status().fields()) {
      if (f.path == k.path && f.message.find(k.message_part) != std::string::npos) found = true;
    }
    EXPECT_TRUE(found) << c.status().message();
  }
}

TEST(PriceBandsTest, CatalogOwnEdgesPerCurrency) {
  auto c = Catalog::Parse(CatalogWithBands(
      R"({"default": ["2.5", "10"], "JPY": ["300"], "GBP": ["1", "3.25"]})", "JPY"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->PriceBandsFor("JPY").edges, (std::vector<MinorUnits>{300}));
  EXPECT_EQ((*c)->PriceBandsFor("GBP").edges, (std::vector<MinorUnits>{100, 325}));
  EXPECT_EQ((*c)->PriceBandsFor("EUR").edges, (std::vector<MinorUnits>{250, 1000}));
}

// -------------------------------------------------------------------- Wilson

// Reference values computed independently with Python 3:
//   from statistics import NormalDist; import math
//   z = NormalDist().inv_cdf(0.975)              # 1.9599639845400536
//   def w(s, n):
//       p = s / n; d = 1 + z*z/n; c = (p + z*z/(2*n)) / d
//       h = z * math.sqrt(p*(1-p)/n + z*z/(4*n*n)) / d
//       return c - h, c + h
//   w(30, 100)  -> (0.2189488529493276, 0.3958485463334666)
//   w(0, 10)    -> (2.8e-17, 0.27753279986288915)
//   w(10, 10)   -> (0.7224672001371109, 1.0)
//   w(1, 2)     -> (0.09453120573423074, 0.9054687942657693)
//   w(500, 1000)-> (0.4690696003681042, 0.5309303996318958)
TEST(WilsonTest, MatchesIndependentComputation) {
  struct Case {
    std::int64_t s, n;
    double low, high;
  };
  for (const Case& k : std::vector<Case>{{30, 100, 0.2189488529493276, 0.3958485463334666},
                                         {0, 10, 0.0, 0.27753279986288915},
                                         {10, 10, 0.7224672001371109, 1.0},
                                         {1, 2, 0.09453120573423074, 0.9054687942657693},
                                         {500, 1000, 0.4690696003681042, 0.5309303996318958}}) {
    SCOPED_TRACE(std::to_string(k.s) + "/" + std::to_string(k.n));
    const Interval ci = WilsonInterval(k.s, k.n);
    EXPECT_NEAR(ci.low, k.low, 1e-12);
    EXPECT_NEAR(ci.high, k.high, 1e-12);
  }
}

TEST(WilsonTest, ExactBoundsAtTheExtremes) {
  EXPECT_EQ(WilsonInterval(0, 10).low, 0.0);
  EXPECT_EQ(WilsonInterval(10, 10).high, 1.0);
  const Interval none = WilsonInterval(0, 0);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_EQ(none.high, 0.0);
}

// ------------------------------------------------------------ outcome rules

TEST(OutcomeTest, OutcomeAfterEveryTransition) {
  using O = OfferOutcome;
  using K = EventKind;
  const std::vector<O> all = {O::kPending, O::kOptedOut, O::kNotSelected, O::kBooked,
                              O::kWithdrawn};
  for (O before : all) {
    SCOPED_TRACE(std::string(OfferOutcomeName(before)));
    EXPECT_EQ(OutcomeAfter(before, K::kOffered), O::kPending);
    EXPECT_EQ(OutcomeAfter(before, K::kRepriced), O::kPending);
    EXPECT_EQ(OutcomeAfter(before, K::kWithdrawn), O::kWithdrawn);
    EXPECT_EQ(OutcomeAfter(before, K::kOptedOut), O::kOptedOut);
    EXPECT_EQ(OutcomeAfter(before, K::kBooked), O::kBooked);  // also after an opt-out
    EXPECT_EQ(OutcomeAfter(before, K::kNotSelected), O::kNotSelected);
    EXPECT_EQ(OutcomeAfter(before, K::kCancelled), before);  // a cancelled booking stays booked
    // Not a sale until the payment is confirmed; a modification changes no outcome.
    EXPECT_EQ(OutcomeAfter(before, K::kPaymentPending), before);
    EXPECT_EQ(OutcomeAfter(before, K::kModified), before);
  }
}

TEST(OutcomeTest, NamesRoundTrip) {
  for (OfferOutcome o :
       {OfferOutcome::kPending, OfferOutcome::kOptedOut, OfferOutcome::kNotSelected,
        OfferOutcome::kBooked, OfferOutcome::kWithdrawn}) {
    EXPECT_EQ(ParseOfferOutcome(OfferOutcomeName(o)), o);
  }
  EXPECT_EQ(OfferOutcomeName(OfferOutcome::kPending), "pending");
  EXPECT_EQ(OfferOutcomeName(OfferOutcome::kOptedOut), "opted_out");
  EXPECT_FALSE(ParseOfferOutcome("nope").has_value());
}

TEST(OutcomeTest, Contributions) {
  RollupCounts pending = OfferContribution(OfferOutcome::kPending, 500, true);
  EXPECT_EQ(pending.packages_offered, 1);
  EXPECT_EQ(pending.quotes_offered, 1);
  EXPECT_EQ(pending.pending, 1);
  EXPECT_EQ(pending.premium_booked, 0);

  RollupCounts booked = OfferContribution(OfferOutcome::kBooked, 500, false);
  EXPECT_EQ(booked.packages_offered, 0);
  EXPECT_EQ(booked.quotes_offered, 1);
  EXPECT_EQ(booked.booked, 1);
  EXPECT_EQ(booked.premium_booked, 500);

  EXPECT_EQ(OfferContribution(OfferOutcome::kOptedOut, 500, false).opted_out, 1);
  EXPECT_EQ(OfferContribution(OfferOutcome::kNotSelected, 500, false).not_selected, 1);

  RollupCounts withdrawn = OfferContribution(OfferOutcome::kWithdrawn, 500, true);
  RollupCounts expected;
  expected.packages_offered = 1;  // the package was offered all the same
  EXPECT_EQ(withdrawn, expected);
  EXPECT_TRUE(IsZero(OfferContribution(OfferOutcome::kWithdrawn, 500, false)));
}

TEST(OutcomeTest, DeltasMoveOneOfferBetweenCounters) {
  RollupCounts d = OutcomeDelta(OfferOutcome::kOptedOut, OfferOutcome::kBooked, 700, true);
  RollupCounts expected;
  expected.opted_out = -1;
  expected.booked = 1;
  expected.premium_booked = 700;
  EXPECT_EQ(d, expected);

  d = OutcomeDelta(OfferOutcome::kPending, OfferOutcome::kWithdrawn, 700, false);
  expected = {};
  expected.quotes_offered = -1;
  expected.pending = -1;
  EXPECT_EQ(d, expected);

  EXPECT_TRUE(IsZero(OutcomeDelta(OfferOutcome::kBooked, OfferOutcome::kBooked, 700, true)));
}

TEST(OutcomeTest, EventCounts) {
  LedgerEvent e;
  e.kind = EventKind::kOptedOut;
  EXPECT_EQ(EventCounts(e).opt_out_events, 1);

  e.kind = EventKind::kCancelled;
  e.amount = 250;
  e.data_json = R"({"within_cooling_off":true})";
  RollupCounts c = EventCounts(e);
  EXPECT_EQ(c.cancelled, 1);
  EXPECT_EQ(c.cancelled_cooling_off, 1);
  EXPECT_EQ(c.premium_refunded, 250);

  e.data_json = R"({"within_cooling_off":false})";
  EXPECT_EQ(EventCounts(e).cancelled_cooling_off, 0);
  e.data_json = "not json";
  EXPECT_EQ(EventCounts(e).cancelled_cooling_off, 0);
  EXPECT_EQ(EventCounts(e).cancelled, 1);

  for (EventKind k : {EventKind::kOffered, EventKind::kRepriced, EventKind::kWithdrawn,
                      EventKind::kBooked, EventKind::kNotSelected}) {
    e.kind = k;
    EXPECT_TRUE(IsZero(EventCounts(e))) << EventKindName(k);
  }
}

TEST(OutcomeTest, CountsAddAndSubtract) {
  RollupCounts a;
  a.packages_offered = 1;
  a.quotes_offered = 2;
  a.premium_booked = 300;
  a.cancelled_cooling_off = 4;
  RollupCounts b = a;
  b += a;
  EXPECT_EQ(b.quotes_offered, 4);
  EXPECT_EQ(b.premium_booked, 600);
  EXPECT_EQ(b.cancelled_cooling_off, 8);
  EXPECT_EQ(b - a, a);
  EXPECT_TRUE(IsZero(a + Negated(a)));
}

TEST(OutcomeTest, DaysAndCohorts) {
  EXPECT_EQ(DayOf(0), 0);
  EXPECT_EQ(DayOf(kMicrosPerDay - 1), 0);
  EXPECT_EQ(DayOf(kMicrosPerDay), 1);
  EXPECT_EQ(DayOf(-1), -1);
  EXPECT_EQ(DayOf(1'700'000'000'000'000), 19675);  // 2023-11-14
  LedgerEvent e;
  e.at = 5 * kMicrosPerDay;
  EXPECT_EQ(CohortTime(e), 5 * kMicrosPerDay);
  e.offered_at = 2 * kMicrosPerDay;
  EXPECT_EQ(CohortTime(e), 2 * kMicrosPerDay);
  EXPECT_EQ(EventSetsGroup(EventKind::kOffered), true);
  EXPECT_EQ(EventSetsGroup(EventKind::kRepriced), true);
  EXPECT_EQ(EventSetsGroup(EventKind::kBooked), false);
}

LedgerEvent OfferEvent(EventKind kind, MinorUnits price, const std::string& band) {
  LedgerEvent e;
  e.kind = kind;
  e.at = 3 * kMicrosPerDay + 5;
  e.offered_at = 2 * kMicrosPerDay + 7;
  e.partner = "P";
  e.package_id = "PKG";
  e.quote_id = "Q";
  e.policy_type = "travel";
  e.price = price;
  e.price_band = band;
  e.currency = "GBP";
  e.customer_country = "GB";
  return e;
}

TEST(ApplyToOfferTest, FirstOfferCountsThePackageUnlessCounted) {
  OfferChange c = ApplyToOffer(std::nullopt, OfferEvent(EventKind::kOffered, 300, "2-5"), false);
  ASSERT_TRUE(c.after.has_value());
  EXPECT_EQ(c.after->key, (RollupKey{2, "P", "travel", "2-5", "GB", "GBP"}));
  EXPECT_TRUE(c.after->counts_package);
  EXPECT_EQ(c.after->outcome, OfferOutcome::kPending);
  ASSERT_EQ(c.deltas.size(), 1u);
  EXPECT_EQ(c.deltas[0].counts, OfferContribution(OfferOutcome::kPending, 300, true));

  c = ApplyToOffer(std::nullopt, OfferEvent(EventKind::kOffered, 300, "2-5"), true);
  EXPECT_FALSE(c.after->counts_package);
  EXPECT_EQ(c.deltas[0].counts.packages_offered, 0);
}

TEST(ApplyToOfferTest, UnknownQuotesAreIgnored) {
  for (EventKind k : {EventKind::kRepriced, EventKind::kWithdrawn, EventKind::kOptedOut,
                      EventKind::kBooked, EventKind::kNotSelected, EventKind::kCancelled,
                      EventKind::kPaymentPending, EventKind::kModified}) {
    OfferChange c = ApplyToOffer(std::nullopt, OfferEvent(k, 300, "2-5"), false);
    EXPECT_FALSE(c.after.has_value()) << EventKindName(k);
    EXPECT_TRUE(c.deltas.empty());
  }
}

TEST(ApplyToOfferTest, RepriceMovesBetweenRowsAndKeepsTheCohort) {
  const OfferState before =
      *ApplyToOffer(std::nullopt, OfferEvent(EventKind::kOffered, 300, "2-5"), false).after;
  LedgerEvent e = OfferEvent(EventKind::kRepriced, 1200, "10-20");
  e.offered_at = 9 * kMicrosPerDay;  // ignored: the cohort was fixed at the first offer
  OfferChange c = ApplyToOffer(before, e, false);
  ASSERT_TRUE(c.after.has_value());
  EXPECT_EQ(c.after->key.day, 2);
  EXPECT_EQ(c.after->key.price_band, "10-20");
  EXPECT_EQ(c.after->price, 1200);
  ASSERT_EQ(c.deltas.size(), 2u);
  EXPECT_EQ(c.deltas[0].key.price_band, "2-5");
  EXPECT_EQ(c.deltas[0].counts, Negated(OfferContribution(OfferOutcome::kPending, 300, true)));
  EXPECT_EQ(c.deltas[1].key.price_band, "10-20");
  EXPECT_EQ(c.deltas[1].counts, OfferContribution(OfferOutcome::kPending, 1200, true));
}

TEST(ApplyToOfferTest, OutcomeChangesStayInTheRow) {
  OfferState s =
      *ApplyToOffer(std::nullopt, OfferEvent(EventKind::kOffered, 300, "2-5"), false).after;
  OfferChange c = ApplyToOffer(s, OfferEvent(EventKind::kOptedOut, 300, "2-5"), false);
  ASSERT_EQ(c.deltas.size(), 1u);
  RollupCounts expected;
  expected.pending = -1;
  expected.opted_out = 1;
  expected.opt_out_events = 1;
  EXPECT_EQ(c.deltas[0].counts, expected);
  s = *c.after;
  c = ApplyToOffer(s, OfferEvent(EventKind::kBooked, 300, "2-5"), false);
  expected = {};
  expected.opted_out = -1;
  expected.booked = 1;
  expected.premium_booked = 300;
  EXPECT_EQ(c.deltas[0].counts, expected);
  s = *c.after;
  LedgerEvent cancel = OfferEvent(EventKind::kCancelled, 300, "2-5");
  cancel.amount = 300;
  cancel.data_json = R"({"within_cooling_off":true})";
  c = ApplyToOffer(s, cancel, false);
  EXPECT_EQ(c.after->outcome, OfferOutcome::kBooked);
  expected = {};
  expected.cancelled = 1;
  expected.cancelled_cooling_off = 1;
  expected.premium_refunded = 300;
  ASSERT_EQ(c.deltas.size(), 1u);
  EXPECT_EQ(c.deltas[0].counts, expected);
}

// A renewal event counts in the group of the renewal offer it carries (its
// cohort day and band) and leaves the first offer, known or not, as it was.
TEST(ApplyToOfferTest, RenewalEventsCountInTheirOwnGroupAndChangeNoOutcome) {
  OfferState booked =
      *ApplyToOffer(std::nullopt, OfferEvent(EventKind::kOffered, 300, "2-5"), false).after;
  booked = *ApplyToOffer(booked, OfferEvent(EventKind::kBooked, 300, "2-5"), false).after;
  struct Case {
    EventKind kind;
    RollupCounts counts;
  };
  RollupCounts offers, renewals, opt_outs;
  offers.renewal_offers = 1;
  renewals.renewals = 1;
  opt_outs.renewal_opt_outs = 1;
  for (const Case& k :
       {Case{EventKind::kRenewalOffered, offers}, Case{EventKind::kRenewed, renewals},
        Case{EventKind::kRenewalOptedOut, opt_outs}}) {
    EXPECT_TRUE(IsRenewalEvent(k.kind));
    LedgerEvent e = OfferEvent(k.kind, 600, "5-10");
    e.offered_at = 40 * kMicrosPerDay + 3;  // the renewal offer's time
    EXPECT_EQ(EventCounts(e), k.counts);
    for (const std::optional<OfferState>& before :
         {std::optional<OfferState>(), std::optional<OfferState>(booked)}) {
      const OfferChange c = ApplyToOffer(before, e, false);
      EXPECT_EQ(c.after, before) << EventKindName(k.kind);
      ASSERT_EQ(c.deltas.size(), 1u);
      EXPECT_EQ(c.deltas[0].key, (RollupKey{40, "P", "travel", "5-10", "GB", "GBP"}));
      EXPECT_EQ(c.deltas[0].counts, k.counts);
    }
  }
  EXPECT_FALSE(IsRenewalEvent(EventKind::kOptedOut));
  EXPECT_FALSE(IsRenewalEvent(EventKind::kBooked));
}

TEST(ApplyToOfferTest, PaymentPendingStaysPendingAndModifiedMovesTheBookedPremium) {
  OfferState s =
      *ApplyToOffer(std::nullopt, OfferEvent(EventKind::kOffered, 300, "2-5"), false).after;
  OfferChange c = ApplyToOffer(s, OfferEvent(EventKind::kPaymentPending, 300, "2-5"), false);
  EXPECT_EQ(c.after->outcome, OfferOutcome::kPending);
  EXPECT_TRUE(c.deltas.empty());  // not a sale yet: nothing moves
  s = *c.after;
  s = *ApplyToOffer(s, OfferEvent(EventKind::kBooked, 300, "2-5"), false).after;
  LedgerEvent modified = OfferEvent(EventKind::kModified, 1100, "10-20");
  modified.amount = 800;
  c = ApplyToOffer(s, modified, false);
  ASSERT_TRUE(c.after.has_value());
  EXPECT_EQ(c.after->outcome, OfferOutcome::kBooked);
  EXPECT_EQ(c.after->price, 1100);
  EXPECT_EQ(c.after->key.price_band, "2-5");  // the offer's group stays
  ASSERT_EQ(c.deltas.size(), 1u);
  RollupCounts expected;
  expected.premium_booked = 800;
  EXPECT_EQ(c.deltas[0].counts, expected);
}

TEST(OutcomeTest, MakeEventCarriesTheCohort) {
  QuotePackage pkg;
  pkg.id = "P";
  Quote q;
  q.id = "Q";
  q.created_at = 1000;
  const LedgerEvent e = MakeEvent(EventKind::kBooked, pkg, q, 9000);
  EXPECT_EQ(e.at, 9000);
  EXPECT_EQ(e.offered_at, 1000);
}

}  // namespace
}  // namespace offerledger
