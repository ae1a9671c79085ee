// ConversionReport on hand-built roll-up rows: parameters, periods (ISO
// weeks, months), grouping and sorting, no-answer window, rates with their
// Wilson bounds, money per currency, and the three formats byte for byte.
#include "analytics/conversion_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace offerledger {
namespace {

std::int64_t D(const char* date) {
  const auto d = ParseReportDate(date);
  EXPECT_TRUE(d.has_value()) << date;
  return d.value_or(0);
}

RollupCounts Counts(std::int64_t offered, std::int64_t booked, std::int64_t opted_out,
                    std::int64_t not_selected, std::int64_t pending, MinorUnits premium = 0) {
  RollupCounts c;
  c.packages_offered = offered;
  c.quotes_offered = offered;
  c.booked = booked;
  c.opted_out = opted_out;
  c.not_selected = not_selected;
  c.pending = pending;
  c.opt_out_events = opted_out;
  c.premium_booked = premium;
  return c;
}

RollupRow Row(const char* day, std::string partner, std::string policy_type, std::string band,
              std::string country, std::string currency, RollupCounts counts) {
  RollupRow r;
  r.key.day = D(day);
  r.key.partner = std::move(partner);
  r.key.policy_type = std::move(policy_type);
  r.key.price_band = std::move(band);
  r.key.country = std::move(country);
  r.key.currency = std::move(currency);
  r.counts = counts;
  return r;
}

ReportQuery Query(const char* from, const char* to, ReportPeriod by = ReportPeriod::kNone,
                  std::vector<ReportDimension> group = {}) {
  ReportQuery q;
  q.from_day = D(from);
  q.to_day = D(to);
  q.by = by;
  q.group = std::move(group);
  q.today = D(to) + 30;  // everything pending is no answer unless a test says otherwise
  return q;
}

// ------------------------------------------------------------ parameters

TEST(ReportParams, DefaultsAreTheLast30DaysUngroupedInTheDefaultFormat) {
  const std::int64_t today = D("2024-03-15");
  auto r = ParseReportParams({}, today, 7, ReportFormat::kTable);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->query.to_day, today);
  EXPECT_EQ(r->query.from_day, today - 29);
  EXPECT_EQ(r->query.by, ReportPeriod::kNone);
  EXPECT_TRUE(r->query.group.empty());
  EXPECT_EQ(r->query.decision_window_days, 7);
  EXPECT_EQ(r->query.today, today);
  EXPECT_EQ(r->format, ReportFormat::kTable);
  EXPECT_FALSE(r->query.partner.has_value());
}

TEST(ReportParams, ParsesEveryParameter) {
  ReportParams p;
  p.from = "2024-01-01";
  p.to = "2024-01-31";
  p.by = "week";
  p.group = "currency, price_band,partner,price_band";
  p.format = "csv";
  auto r = ParseReportParams(p, D("2024-03-15"), 0, ReportFormat::kJson);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->query.from_day, D("2024-01-01"));
  EXPECT_EQ(r->query.to_day, D("2024-01-31"));
  EXPECT_EQ(r->query.by, ReportPeriod::kWeek);
  // Canonical order, no duplicates.
  EXPECT_EQ(r->query.group,
            (std::vector<ReportDimension>{ReportDimension::kPartner, ReportDimension::kPriceBand,
                                          ReportDimension::kCurrency}));
  EXPECT_EQ(r->format, ReportFormat::kCsv);
  EXPECT_EQ(r->query.decision_window_days, 0);
}

TEST(ReportParams, OnlyToGivenStartsTheRange29DaysEarlier) {
  ReportParams p;
  p.to = "2024-03-01";
  auto r = ParseReportParams(p, D("2024-06-01"), 7, ReportFormat::kJson);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->query.from_day, D("2024-03-01") - 29);
}

std::vector<std::string> ErrorPaths(const Status& s) {
  std::vector<std::string> paths;
  for (const auto& f : s.fields()) paths.push_back(f.path);
  return paths;
}

TEST(ReportParams, BadValuesAreNamedFieldErrors) {
  const std::int64_t today = D("2024-03-15");
  auto bad = [&](ReportParams p) {
    auto r = ParseReportParams(p, today, 7, ReportFormat::kJson);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
    return r.ok() ? std::vector<std::string>{} : ErrorPaths(r.status());
  };
  EXPECT_EQ(bad({.from = "2024-02-30"}), std::vector<std::string>{"from"});
  EXPECT_EQ(bad({.from = "2024-1-01"}), std::vector<std::string>{"from"});
  EXPECT_EQ(bad({.to = "yesterday"}), std::vector<std::string>{"to"});
  EXPECT_EQ(bad({.to = "2024-13-01"}), std::vector<std::string>{"to"});
  EXPECT_EQ(bad({.from = "2024-02-02", .to = "2024-02-01"}), std::vector<std::string>{"from"});
  EXPECT_EQ(bad({.from = "2024-04-01"}), std::vector<std::string>{"from"});  // after today
  EXPECT_EQ(bad({.by = "year"}), std::vector<std::string>{"by"});
  EXPECT_EQ(bad({.group = "partner,product"}), std::vector<std::string>{"group"});
  EXPECT_EQ(bad({.format = "xml"}), std::vector<std::string>{"format"});
  EXPECT_EQ(bad({.from = "x", .by = "year", .format = "xml"}),
            (std::vector<std::string>{"from", "by", "format"}));
  auto r = ParseReportParams({.group = "product"}, today, 7, ReportFormat::kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().fields()[0].message.find("policy_type"), std::string::npos)
      << "lists the valid dimensions";
}

TEST(ReportDates, ParseAndFormat) {
  EXPECT_EQ(ParseReportDate("1970-01-01"), 0);
  EXPECT_EQ(ParseReportDate("2024-02-29"), DaysFromCivil(2024, 2, 29));
  EXPECT_FALSE(ParseReportDate("2023-02-29"));
  EXPECT_FALSE(ParseReportDate("2024-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseReportDate(""));
  EXPECT_EQ(FormatReportDate(DaysFromCivil(2024, 2, 29)), "2024-02-29");
}

// ------------------------------------------------------------ periods

TEST(PeriodStart, IsoWeeksStartOnMonday) {
  EXPECT_EQ(PeriodStart(D("2024-01-01"), ReportPeriod::kWeek), D("2024-01-01"));  // a Monday
  EXPECT_EQ(PeriodStart(D("2024-01-07"), ReportPeriod::kWeek), D("2024-01-01"));  // Sunday
  EXPECT_EQ(PeriodStart(D("2024-01-08"), ReportPeriod::kWeek), D("2024-01-08"));
  EXPECT_EQ(PeriodStart(D("2023-12-31"), ReportPeriod::kWeek), D("2023-12-25"));
  EXPECT_EQ(PeriodStart(D("1970-01-01"), ReportPeriod::kWeek), D("1969-12-29"));  // a Thursday
  EXPECT_EQ(PeriodStart(D("1969-12-28"), ReportPeriod::kWeek), D("1969-12-22"));
}

TEST(PeriodStart, MonthsAndDays) {
  EXPECT_EQ(PeriodStart(D("2024-02-29"), ReportPeriod::kMonth), D("2024-02-01"));
  EXPECT_EQ(PeriodStart(D("2024-03-01"), ReportPeriod::kMonth), D("2024-03-01"));
  EXPECT_EQ(PeriodStart(D("2023-12-31"), ReportPeriod::kMonth), D("2023-12-01"));
  EXPECT_EQ(PeriodStart(D("2024-02-29"), ReportPeriod::kDay), D("2024-02-29"));
}

TEST(ConversionReport, WeekBoundarySplitsSundayFromMonday) {
  const std::vector<RollupRow> rows = {
      Row("2024-01-07", "A", "t", "0-5", "GB", "GBP", Counts(2, 1, 1, 0, 0)),  // Sunday
      Row("2024-01-08", "A", "t", "0-5", "GB", "GBP", Counts(3, 1, 0, 0, 2)),  // Monday
      Row("2024-01-14", "A", "t", "0-5", "GB", "GBP", Counts(1, 1, 0, 0, 0)),  // Sunday
  };
  const auto report =
      BuildConversionReport(Query("2024-01-01", "2024-01-31", ReportPeriod::kWeek), rows);
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_EQ(report.rows[0].period, D("2024-01-01"));
  EXPECT_EQ(report.rows[0].counts.quotes_offered, 2);
  EXPECT_EQ(report.rows[1].period, D("2024-01-08"));
  EXPECT_EQ(report.rows[1].counts.quotes_offered, 4);
  EXPECT_EQ(report.rows[1].counts.booked, 2);
}

TEST(ConversionReport, MonthBoundary) {
  const std::vector<RollupRow> rows = {
      Row("2024-02-01", "A", "t", "0-5", "GB", "GBP", Counts(5, 0, 0, 0, 5)),
      Row("2024-01-31", "A", "t", "0-5", "GB", "GBP", Counts(2, 2, 0, 0, 0)),
      Row("2024-01-01", "A", "t", "0-5", "GB", "GBP", Counts(1, 0, 1, 0, 0)),
  };
  const auto report =
      BuildConversionReport(Query("2024-01-01", "2024-02-29", ReportPeriod::kMonth), rows);
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_EQ(report.rows[0].period, D("2024-01-01"));
  EXPECT_EQ(report.rows[0].counts.quotes_offered, 3);
  EXPECT_EQ(report.rows[1].period, D("2024-02-01"));
  EXPECT_EQ(report.rows[1].counts.quotes_offered, 5);
}

TEST(ConversionReport, DayPeriodsAndRangeAreInclusive) {
  const std::vector<RollupRow> rows = {
      Row("2023-12-31", "A", "t", "0-5", "GB", "GBP", Counts(9, 0, 0, 0, 9)),  // before
      Row("2024-01-01", "A", "t", "0-5", "GB", "GBP", Counts(1, 0, 0, 0, 1)),
      Row("2024-01-03", "A", "t", "0-5", "GB", "GBP", Counts(2, 0, 0, 0, 2)),
      Row("2024-01-04", "A", "t", "0-5", "GB", "GBP", Counts(9, 0, 0, 0, 9)),  // after
  };
  const auto report =
      BuildConversionReport(Query("2024-01-01", "2024-01-03", ReportPeriod::kDay), rows);
  ASSERT_EQ(report.rows.size(), 2u);  // no row for a day without offers
  EXPECT_EQ(report.rows[0].period, D("2024-01-01"));
  EXPECT_EQ(report.rows[1].period, D("2024-01-03"));
  EXPECT_EQ(report.rows[1].counts.quotes_offered, 2);
}

// ------------------------------------------------------------ grouping

TEST(ConversionReport, UngroupedSumsEverythingPerCurrency) {
  const std::vector<RollupRow> rows = {
      Row("2024-01-01", "A", "t", "0-5", "GB", "GBP", Counts(10, 3, 5, 1, 1, 600)),
      Row("2024-01-02", "B", "u", "5-10", "FR", "GBP", Counts(10, 4, 2, 0, 4, 3000)),
      Row("2024-01-02", "B", "u", "5-10", "FR", "EUR", Counts(1, 1, 0, 0, 0, 700)),
  };
  const auto report = BuildConversionReport(Query("2024-01-01", "2024-01-31"), rows);
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_EQ(report.rows[0].currency, "EUR");
  EXPECT_EQ(report.rows[0].counts.quotes_offered, 1);
  EXPECT_EQ(report.rows[0].gross_written_premium(), 700);
  const ReportRow& gbp = report.rows[1];
  EXPECT_EQ(gbp.currency, "GBP");
  EXPECT_FALSE(gbp.period.has_value());
  EXPECT_EQ(gbp.partner, "");
  EXPECT_EQ(gbp.counts.quotes_offered, 20);
  EXPECT_EQ(gbp.counts.booked, 7);
  EXPECT_EQ(gbp.counts.opted_out, 7);
  EXPECT_EQ(gbp.counts.not_selected, 1);
  EXPECT_EQ(gbp.no_answer, 5);
  EXPECT_EQ(gbp.gross_written_premium(), 3600);
  EXPECT_EQ(gbp.average_premium(), 514);  // 3600 / 7 = 514.28...
}

TEST(ConversionReport, GroupsByEveryRequestedDimensionAndSorts) {
  const std::vector<RollupRow> rows = {
      Row("2024-01-01", "B", "t", "10-20", "GB", "GBP", Counts(1, 1, 0, 0, 0)),
      Row("2024-01-01", "B", "t", "5-10", "GB", "GBP", Counts(2, 0, 2, 0, 0)),
      Row("2024-01-02", "B", "t", "5-10", "FR", "GBP", Counts(4, 0, 4, 0, 0)),
      Row("2024-01-01", "A", "t", "20+", "GB", "GBP", Counts(3, 3, 0, 0, 0)),
      Row("2024-01-01", "A", "t", "0-5", "", "GBP", Counts(5, 0, 0, 0, 5)),
  };
  auto q = Query("2024-01-01", "2024-01-31", ReportPeriod::kNone,
                 {ReportDimension::kPartner, ReportDimension::kPriceBand});
  const auto report = BuildConversionReport(q, rows);
  ASSERT_EQ(report.rows.size(), 4u);
  EXPECT_EQ(report.rows[0].partner, "A");
  EXPECT_EQ(report.rows[0].price_band, "0-5");
  EXPECT_EQ(report.rows[1].partner, "A");
  EXPECT_EQ(report.rows[1].price_band, "20+");
  EXPECT_EQ(report.rows[2].partner, "B");
  EXPECT_EQ(report.rows[2].price_band, "5-10");  // numeric order, not "10-20" < "5-10"
  EXPECT_EQ(report.rows[2].counts.quotes_offered, 6);
  EXPECT_EQ(report.rows[2].country, "");  // not a dimension here
  EXPECT_EQ(report.rows[3].price_band, "10-20");

  q.group = {ReportDimension::kCountry};
  const auto by_country = BuildConversionReport(q, rows);
  ASSERT_EQ(by_country.rows.size(), 3u);
  EXPECT_EQ(by_country.rows[0].country, "");  // unknown
  EXPECT_EQ(by_country.rows[1].country, "FR");
  EXPECT_EQ(by_country.rows[2].country, "GB");
  EXPECT_EQ(by_country.rows[2].counts.quotes_offered, 6);
}

TEST(ConversionReport, PartnerFilterKeepsOnlyThatPartner) {
  const std::vector<RollupRow> rows = {
      Row("2024-01-01", "A", "t", "0-5", "GB", "GBP", Counts(10, 1, 0, 0, 9)),
      Row("2024-01-01", "B", "t", "0-5", "GB", "GBP", Counts(7, 7, 0, 0, 0)),
  };
  auto q = Query("2024-01-01", "2024-01-31", ReportPeriod::kNone, {ReportDimension::kPartner});
  q.partner = "B";
  const auto report = BuildConversionReport(q, rows);
  ASSERT_EQ(report.rows.size(), 1u);
  EXPECT_EQ(report.rows[0].partner, "B");
  EXPECT_EQ(report.rows[0].counts.quotes_offered, 7);
}

TEST(ConversionReport, NoAnswerFromTheDecisionWindowOn) {
  const std::vector<RollupRow> rows = {
      Row("2024-01-01", "A", "t", "0-5", "GB", "GBP", Counts(4, 0, 0, 0, 4)),  // 7 days ago
      Row("2024-01-02", "A", "t", "0-5", "GB", "GBP", Counts(2, 0, 0, 0, 2)),  // 6 days ago
      Row("2024-01-08", "A", "t", "0-5", "GB", "GBP", Counts(1, 0, 0, 0, 1)),  // today
  };
  auto q = Query("2024-01-01", "2024-01-08");
  q.today = D("2024-01-08");
  q.decision_window_days = 7;
  auto report = BuildConversionReport(q, rows);
  ASSERT_EQ(report.rows.size(), 1u);
  EXPECT_EQ(report.rows[0].no_answer, 4);
  EXPECT_EQ(report.rows[0].pending, 3);
  q.decision_window_days = 0;
  report = BuildConversionReport(q, rows);
  EXPECT_EQ(report.rows[0].no_answer, 7);
  EXPECT_EQ(report.rows[0].pending, 0);
}

// ------------------------------------------------------------ rates

double Wilson(std::int64_t k, std::int64_t n, bool high) {
  const double z = 1.959964;
  const double p = static_cast<double>(k) / static_cast<double>(n);
  const double d = 1 + z * z / static_cast<double>(n);
  const double c = (p + z * z / (2.0 * static_cast<double>(n))) / d;
  const double h = z / d *
                   std::sqrt(p * (1 - p) / static_cast<double>(n) +
                             z * z / (4.0 * static_cast<double>(n) * static_cast<double>(n)));
  return high ? c + h : c - h;
}

TEST(ConversionReport, RatesWithWilsonIntervals) {
  // The scripted mix: 100 offers, 35 booked, 45 opted out, 20 no answer.
  const std::vector<RollupRow> rows = {
      Row("2024-01-01", "A", "t", "0-5", "GB", "GBP", Counts(100, 35, 45, 0, 20)),
  };
  const auto report = BuildConversionReport(Query("2024-01-01", "2024-01-31"), rows);
  ASSERT_EQ(report.rows.size(), 1u);
  const ReportRow& r = report.rows[0];
  auto check = [](const std::optional<RateEstimate>& e, std::int64_t k, std::int64_t n) {
    ASSERT_TRUE(e.has_value());
    EXPECT_DOUBLE_EQ(e->value, static_cast<double>(k) / static_cast<double>(n));
    EXPECT_NEAR(e->low, Wilson(k, n, false), 1e-9);
    EXPECT_NEAR(e->high, Wilson(k, n, true), 1e-9);
    EXPECT_LT(e->low, e->value);
    EXPECT_GT(e->high, e->value);
  };
  check(r.take_up_rate(), 35, 100);
  check(r.coverage(), 80, 100);
  check(r.conversion_answered(), 35, 80);
}

TEST(ConversionReport, RatesAreAbsentWhenTheDenominatorIsZero) {
  // Only withdrawn quotes (quotes_offered 0) / only pending offers (0 answered).
  const std::vector<RollupRow> rows = {
      Row("2024-01-01", "A", "t", "0-5", "GB", "GBP", Counts(0, 0, 0, 0, 0)),
      Row("2024-01-01", "B", "t", "0-5", "GB", "GBP", Counts(3, 0, 0, 0, 3)),
  };
  auto q = Query("2024-01-01", "2024-01-31", ReportPeriod::kNone, {ReportDimension::kPartner});
  const auto report = BuildConversionReport(q, rows);
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_FALSE(report.rows[0].take_up_rate());
  EXPECT_FALSE(report.rows[0].coverage());
  EXPECT_FALSE(report.rows[0].conversion_answered());
  EXPECT_FALSE(report.rows[0].average_premium());
  ASSERT_TRUE(report.rows[1].take_up_rate());
  EXPECT_EQ(report.rows[1].take_up_rate()->value, 0.0);
  EXPECT_EQ(report.rows[1].take_up_rate()->low, 0.0);
  EXPECT_FALSE(report.rows[1].conversion_answered());
}

TEST(ConversionReport, EstimateRateBoundsStayInsideZeroOne) {
  for (std::int64_t n : {1, 2, 3, 10, 1000}) {
    for (std::int64_t k : {std::int64_t{0}, n / 2, n}) {
      const auto e = EstimateRate(k, n);
      ASSERT_TRUE(e);
      EXPECT_GE(e->low, 0.0);
      EXPECT_LE(e->low, e->value);
      EXPECT_GE(e->high, e->value);
      EXPECT_LE(e->high, 1.0);
    }
  }
  EXPECT_FALSE(EstimateRate(0, 0));
}

// ------------------------------------------------------------ money

TEST(ConversionReport, MoneyIsPerCurrencyWithItsDecimals) {
  RollupCounts jpy = Counts(2, 2, 0, 0, 0, 3001);
  jpy.premium_refunded = 1500;
  RollupCounts gbp = Counts(2, 2, 0, 0, 0, 1001);  // 10.01 / 2 = 5.005 -> 5.01
  const std::vector<RollupRow> rows = {
      Row("2024-01-01", "A", "t", "0-5", "JP", "JPY", jpy),
      Row("2024-01-01", "A", "t", "0-5", "GB", "GBP", gbp),
  };
  auto q = Query("2024-01-01", "2024-01-31", ReportPeriod::kNone, {ReportDimension::kPartner});
  const auto report = BuildConversionReport(q, rows);
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_EQ(report.rows[0].currency, "GBP");
  EXPECT_EQ(report.rows[0].average_premium(), 501);
  EXPECT_EQ(report.rows[1].currency, "JPY");
  EXPECT_EQ(report.rows[1].average_premium(), 1501);  // 1500.5 rounds half away from zero
  const std::string csv = RenderReportCsv(report);
  // The money columns, then the renewal ones (none here).
  EXPECT_NE(csv.find(",10.01,5.01,0.00,0,0,0,,,\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",3001,1501,1500,0,0,0,,,\r\n"), std::string::npos) << csv;
}

// ------------------------------------------------------------ formats

ConversionReport SmallReport() {
  RollupCounts a = Counts(4, 1, 2, 0, 1, 250);
  a.packages_offered = 3;
  a.opt_out_events = 3;
  a.cancelled = 1;
  a.cancelled_cooling_off = 1;
  a.premium_refunded = 250;
  a.renewal_offers = 4;
  a.renewals = 1;
  a.renewal_opt_outs = 2;
  const std::vector<RollupRow> rows = {
      Row("2024-01-02", "A,1", "t", "0-5", "GB", "GBP", a),
      Row("2024-01-09", "B", "t", "0-5", "", "GBP", Counts(1, 0, 0, 0, 1)),
  };
  auto q = Query("2024-01-01", "2024-01-31", ReportPeriod::kWeek,
                 {ReportDimension::kPartner, ReportDimension::kCountry});
  q.today = D("2024-01-10");
  return BuildConversionReport(q, rows);
}

TEST(ReportFormats, ColumnsFollowTheQuery) {
  auto q = Query("2024-01-01", "2024-01-31");
  const auto cols = ReportColumns(q);
  ASSERT_GE(cols.size(), 2u);
  EXPECT_EQ(cols[0], "currency");
  q.by = ReportPeriod::kMonth;
  q.group = {ReportDimension::kPolicyType, ReportDimension::kPriceBand};
  const std::vector<std::string> expected = {
      "period",
      "policy_type",
      "price_band",
      "currency",
      "packages_offered",
      "quotes_offered",
      "booked",
      "opted_out",
      "not_selected",
      "opt_out_events",
      "no_answer",
      "pending",
      "cancelled",
      "cancelled_cooling_off",
      "take_up_rate",
      "take_up_rate_low",
      "take_up_rate_high",
      "coverage",
      "coverage_low",
      "coverage_high",
      "conversion_answered",
      "conversion_answered_low",
      "conversion_answered_high",
      "gross_written_premium",
      "average_premium",
      "premium_refunded",
      "renewal_offers",
      "renewals",
      "renewal_opt_outs",
      "renewal_take_up_rate",
      "renewal_take_up_rate_low",
      "renewal_take_up_rate_high",
  };
  EXPECT_EQ(ReportColumns(q), expected);
}

TEST(ReportFormats, Json) {
  EXPECT_EQ(RenderReportJson(SmallReport()),
            R"([{"period":"2024-01-01","partner":"A,1","country":"GB","currency":"GBP",)"
            R"("packages_offered":3,"quotes_offered":4,"booked":1,"opted_out":2,)"
            R"("not_selected":0,"opt_out_events":3,"no_answer":1,"pending":0,"cancelled":1,)"
            R"("cancelled_cooling_off":1,"take_up_rate":0.2500,"take_up_rate_low":0.0456,)"
            R"("take_up_rate_high":0.6994,"coverage":0.7500,"coverage_low":0.3006,)"
            R"("coverage_high":0.9544,"conversion_answered":0.3333,)"
            R"("conversion_answered_low":0.0615,"conversion_answered_high":0.7923,)"
            R"("gross_written_premium":2.50,"average_premium":2.50,"premium_refunded":2.50,)"
            R"("renewal_offers":4,"renewals":1,"renewal_opt_outs":2,"renewal_take_up_rate":0.2500,)"
            R"("renewal_take_up_rate_low":0.0456,"renewal_take_up_rate_high":0.6994},)"
            R"({"period":"2024-01-08","partner":"B","country":null,"currency":"GBP",)"
            R"("packages_offered":1,"quotes_offered":1,"booked":0,"opted_out":0,)"
            R"("not_selected":0,"opt_out_events":0,"no_answer":0,"pending":1,"cancelled":0,)"
            R"("cancelled_cooling_off":0,"take_up_rate":0.0000,"take_up_rate_low":0.0000,)"
            R"("take_up_rate_high":0.7935,"coverage":0.0000,"coverage_low":0.0000,)"
            R"("coverage_high":0.7935,"conversion_answered":null,)"
            R"("conversion_answered_low":null,"conversion_answered_high":null,)"
            R"("gross_written_premium":0.00,"average_premium":null,"premium_refunded":0.00,)"
            R"("renewal_offers":0,"renewals":0,"renewal_opt_outs":0,"renewal_take_up_rate":null,)"
            R"("renewal_take_up_rate_low":null,"renewal_take_up_rate_high":null}])");
}

TEST(ReportFormats, Csv) {
  EXPECT_EQ(RenderReportCsv(SmallReport()),
            "period,partner,country,currency,packages_offered,quotes_offered,booked,opted_out,"
            "not_selected,opt_out_events,no_answer,pending,cancelled,cancelled_cooling_off,"
            "take_up_rate,take_up_rate_low,take_up_rate_high,coverage,coverage_low,"
            "coverage_high,conversion_answered,conversion_answered_low,"
            "conversion_answered_high,gross_written_premium,average_premium,premium_refunded,"
            "renewal_offers,renewals,renewal_opt_outs,renewal_take_up_rate,"
            "renewal_take_up_rate_low,renewal_take_up_rate_high\r\n"
            "2024-01-01,\"A,1\",GB,GBP,3,4,1,2,0,3,1,0,1,1,0.2500,0.0456,0.6994,0.7500,0.3006,"
            "0.9544,0.3333,0.0615,0.7923,2.50,2.50,2.50,4,1,2,0.2500,0.0456,0.6994\r\n"
            "2024-01-08,B,,GBP,1,1,0,0,0,0,0,1,0,0,0.0000,0.0000,0.7935,0.0000,0.0000,0.7935,"
            ",,,0.00,,0.00,0,0,0,,,\r\n");
}

TEST(ReportFormats, CsvQuotesQuotesAndLineBreaks) {
  const std::vector<RollupRow> rows = {
      Row("2024-01-02", "say \"hi\"", "t", "0-5", "GB", "GBP", Counts(1, 0, 0, 0, 1)),
      Row("2024-01-02", "two\nlines", "t", "0-5", "GB", "GBP", Counts(1, 0, 0, 0, 1)),
  };
  const auto report = BuildConversionReport(
      Query("2024-01-01", "2024-01-31", ReportPeriod::kNone, {ReportDimension::kPartner}), rows);
  const std::string csv = RenderReportCsv(report);
  EXPECT_NE(csv.find("\r\n\"say \"\"hi\"\"\",GBP,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\r\n\"two\nlines\",GBP,"), std::string::npos) << csv;
}

TEST(ReportFormats, Table) {
  const std::string expected =
      "period      partner  country  currency  packages_offered  quotes_offered  booked  "
      "opted_out  not_selected  opt_out_events  no_answer  pending  cancelled  "
      "cancelled_cooling_off             take_up_rate                 coverage      "
      "conversion_answered  gross_written_premium  average_premium  premium_refunded  "
      "renewal_offers  renewals  renewal_opt_outs     renewal_take_up_rate\n"
      "----------  -------  -------  --------  ----------------  --------------  ------  "
      "---------  ------------  --------------  ---------  -------  ---------  "
      "---------------------  -----------------------  -----------------------  "
      "-----------------------  ---------------------  ---------------  ----------------  "
      "--------------  --------  ----------------  -----------------------\n"
      "2024-01-01  A,1      GB       GBP                      3               4       1  "
      "        2             0               3          1        0          1  "
      "                    1  0.2500 [0.0456, 0.6994]  0.7500 [0.3006, 0.9544]  "
      "0.3333 [0.0615, 0.7923]                   2.50             2.50              2.50  "
      "             4         1                 2  0.2500 [0.0456, 0.6994]\n"
      "2024-01-08  B        -        GBP                      1               1       0  "
      "        0             0               0          0        1          0  "
      "                    0  0.0000 [0.0000, 0.7935]  0.0000 [0.0000, 0.7935]  "
      "                      -                   0.00                -              0.00  "
      "             0         0                 0                        -\n";
  EXPECT_EQ(RenderReportTable(SmallReport()), expected);
}

TEST(ReportFormats, EmptyReport) {
  const auto report = BuildConversionReport(Query("2024-01-01", "2024-01-31"), {});
  EXPECT_EQ(RenderReportJson(report), "[]");
  const std::string csv = RenderReportCsv(report);
  EXPECT_EQ(csv.substr(0, 26), "currency,packages_offered,");
  EXPECT_EQ(csv.find("\r\n"), csv.size() - 2) << "the header row only";
  const std::string table = RenderReportTable(report);
  EXPECT_EQ(table.substr(0, 28), "currency  packages_offered  ");
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 2) << "header and rule only\n" << table;
}

TEST(ReportFormats, ContentTypes) {
  EXPECT_EQ(ReportContentType(ReportFormat::kJson), "application/json");
  EXPECT_EQ(ReportContentType(ReportFormat::kCsv).substr(0, 8), "text/csv");
}

}  // namespace
}  // namespace offerledger
