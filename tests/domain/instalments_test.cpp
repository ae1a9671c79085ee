#include "domain/instalments.h"

#include <gtest/gtest.h>

namespace offerledger {
namespace {

constexpr Micros kStart = 1'637'952'993LL * kMicrosPerSecond;  // 2021-11-26T18:56:33Z

Quote PlannedQuote(int instalments, int period_months) {
  Quote q;
  q.id = "d6578e02-f939-4037-91d2-8be6711ed52b";
  q.premium = 90;
  q.taxes = {{"Admin. fee", 100}, {"IPT", 11}};
  q.price = 201;
  q.policy_start = kStart;
  q.policy_end = kStart + 365 * kMicrosPerDay;
  q.status = QuoteStatus::kConfirmed;
  q.confirmed_at = kStart - 5;
  q.instalment_plans = {{"plan", "Plan", instalments, period_months}};
  q.instalment_plan = "plan";
  return q;
}

TEST(AddMonths, ClampsToTheEndOfTheMonthAndKeepsTheTime) {
  EXPECT_EQ(FormatIsoOffset(AddMonths(kStart, 1)), "2021-12-26T18:56:33+00:00");
  EXPECT_EQ(FormatIsoOffset(AddMonths(kStart, 2)), "2022-01-26T18:56:33+00:00");
  const Micros jan31 = *ParseIso8601("2022-01-31T10:00:00Z");
  EXPECT_EQ(FormatIsoOffset(AddMonths(jan31, 1)), "2022-02-28T10:00:00+00:00");
  EXPECT_EQ(FormatIsoOffset(AddMonths(jan31, 13)), "2023-02-28T10:00:00+00:00");
  EXPECT_EQ(FormatIsoOffset(AddMonths(*ParseIso8601("2023-12-15T00:00:00Z"), 1)),
            "2024-01-15T00:00:00+00:00");
}

TEST(InstalmentSchedule, SplitsThePriceExactlyAndPaysTheFirstAtCheckout) {
  const Quote q = PlannedQuote(12, 1);
  const auto s = InstalmentSchedule(q);
  ASSERT_EQ(s.size(), 12u);
  MinorUnits total = 0, premium = 0;
  for (const auto& in : s) {
    total += in.amount;
    premium += in.premium;
    MinorUnits parts = in.premium;
    for (const auto& t : in.taxes) parts += t.amount;
    EXPECT_EQ(parts, in.amount);
  }
  EXPECT_EQ(total, 201);
  EXPECT_EQ(premium, 90);
  EXPECT_EQ(s[0].status, "PAID");
  EXPECT_EQ(s[1].status, "UNPAID");
  EXPECT_EQ(s[0].period_start, kStart);
  EXPECT_EQ(s[0].period_end, s[1].period_start);
  EXPECT_EQ(s[11].number, 12);
  EXPECT_EQ(s[1].id, "d6578e02-f939-4037-91d2-000000000002");
  // Not confirmed yet (payment pending): nothing paid.
  Quote pending = q;
  pending.status = QuoteStatus::kPendingPayment;
  EXPECT_EQ(InstalmentSchedule(pending)[0].status, "UNPAID");
  Quote none = q;
  none.instalment_plan.clear();
  EXPECT_TRUE(InstalmentSchedule(none).empty());
}

TEST(InstalmentPlan, OnlyOfferedPlansCanBeChosen) {
  Quote q = PlannedQuote(4, 3);
  q.instalment_plan.clear();
  EXPECT_TRUE(ChooseInstalmentPlan(q, "plan").ok());
  EXPECT_EQ(q.instalment_plan, "plan");
  const Status bad = ChooseInstalmentPlan(q, "weekly");
  EXPECT_EQ(bad.code(), StatusCode::kInvalid);
  ASSERT_EQ(bad.fields().size(), 1u);
  EXPECT_EQ(bad.fields()[0].path, "instalment_plan");
  EXPECT_NE(bad.fields()[0].message.find("plan"), std::string::npos);
}

TEST(InstalmentReports, RecordLatestStatusCountFailuresAndEmitEvents) {
  QuotePackage p;
  p.id = "PYWUR-TAPHT-INS";
  p.status = PackageStatus::kConfirmed;
  p.quotes = {PlannedQuote(4, 3)};
  const std::string qid = p.quotes[0].id;
  auto events = ApplyInstalmentReports(p, {{qid, 2, "FAILED", kStart + 1}}, kStart + 2);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, EventKind::kInstalment);
  EXPECT_EQ((*events)[0].amount, InstalmentSchedule(p.quotes[0])[1].amount);
  EXPECT_EQ((*events)[0].data_json, R"({"number":2,"status":"FAILED"})");
  ASSERT_TRUE(ApplyInstalmentReports(p, {{qid, 2, "FAILED", kStart + 3}}, kStart + 4).ok());
  ASSERT_TRUE(ApplyInstalmentReports(p, {{qid, 2, "PAID", kStart + 5}}, kStart + 6).ok());
  const auto s = InstalmentSchedule(p.quotes[0]);
  EXPECT_EQ(s[1].status, "PAID");
  EXPECT_EQ(s[1].failures, 2);
  EXPECT_EQ(s[1].paid_at, kStart + 5);

  EXPECT_FALSE(ApplyInstalmentReports(p, {{qid, 5, "PAID", kStart}}, kStart).ok());
  EXPECT_FALSE(ApplyInstalmentReports(p, {{"nope", 1, "PAID", kStart}}, kStart).ok());
  p.status = PackageStatus::kCancelled;
  EXPECT_FALSE(ApplyInstalmentReports(p, {{qid, 3, "PAID", kStart}}, kStart).ok());
}

}  // namespace
}  // namespace offerledger
