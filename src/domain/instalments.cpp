#include "domain/instalments.h"

#include <algorithm>
#include <cstdio>

namespace offerledger {

namespace {

const InstalmentPlan* PlanOf(const Quote& q) {
  if (q.instalment_plan.empty()) return nullptr;
  for (const auto& p : q.instalment_plans) {
    if (p.name == q.instalment_plan) return &p;
  }
  return nullptr;
}

// Splits `total` into `n` parts that add up to it exactly.
MinorUnits Share(MinorUnits total, int n, int index) {
  const MinorUnits base = total / n;
  const MinorUnits odd = total % n;
  return base + (index < odd ? 1 : 0);
}

// "d6578e02-f939-4037-91d2-8be6711ed52b", 2 -> "d6578e02-f939-4037-91d2-000000000002":
// stable, so a partner can refer to an instalment across calls.
std::string InstalmentId(const std::string& quote_id, int number) {
  char tail[13];
  std::snprintf(tail, sizeof tail, "%012d", number);
  if (quote_id.size() != 36) return quote_id + "-" + tail;
  return quote_id.substr(0, 24) + tail;
}

}  // namespace

Micros AddMonths(Micros t, int months) {
  std::int64_t days = t / kMicrosPerDay;
  Micros rest = t % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  int y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  const int total = y * 12 + static_cast<int>(m) - 1 + months;
  const int ny = total / 12;
  const unsigned nm = static_cast<unsigned>(total % 12) + 1;
  const std::int64_t first = DaysFromCivil(ny, nm, 1);
  const std::int64_t next = nm == 12 ? DaysFromCivil(ny + 1, 1, 1) : DaysFromCivil(ny, nm + 1, 1);
  const unsigned last_day = static_cast<unsigned>(next - first);
  return (DaysFromCivil(ny, nm, std::min(d, last_day))) * kMicrosPerDay + rest;
}

std::vector<Instalment> InstalmentSchedule(const Quote& q) {
  std::vector<Instalment> out;
  const InstalmentPlan* plan = PlanOf(q);
  if (plan == nullptr || plan->instalments <= 0) return out;
  const int n = plan->instalments;
  for (int i = 0; i < n; ++i) {
    Instalment in;
    in.number = i + 1;
    in.id = InstalmentId(q.id, in.number);
    in.period_start = AddMonths(q.policy_start, i * plan->period_months);
    in.period_end = AddMonths(q.policy_start, (i + 1) * plan->period_months);
    in.premium = Share(q.premium, n, i);
    in.amount = in.premium;
    for (const auto& t : q.taxes) {
      TaxLine line{t.code, Share(t.amount, n, i)};
      in.amount += line.amount;
      in.taxes.push_back(std::move(line));
    }
    const bool booked = q.status == QuoteStatus::kConfirmed || q.status == QuoteStatus::kCancelled;
    in.status = in.number == 1 && booked ? "PAID" : "UNPAID";
    if (in.number == 1 && booked) in.paid_at = q.confirmed_at;
    for (const auto& p : q.instalment_payments) {
      if (p.number != in.number) continue;
      in.status = p.status;
      in.failures = p.failures;
      in.paid_at = p.status == "PAID" ? std::optional<Micros>(p.attempted_at) : std::nullopt;
    }
    out.push_back(std::move(in));
  }
  return out;
}

Status ChooseInstalmentPlan(Quote& q, std::string_view plan) {
  for (const auto& p : q.instalment_plans) {
    if (p.name == plan) {
      q.instalment_plan = std::string(plan);
      return Status::Ok();
    }
  }
  std::string offered;
  for (const auto& p : q.instalment_plans) offered += (offered.empty() ? "" : ", ") + p.name;
  return Status::Invalid(
      "An API error occurred.",
      {{"instalment_plan",
        "Unknown instalment plan " + std::string(plan) +
            (offered.empty() ? "; this quote offers none." : "; offered: " + offered + ".")}});
}

Result<std::vector<LedgerEvent>> ApplyInstalmentReports(
    QuotePackage& pkg, const std::vector<InstalmentReport>& reports, Micros now) {
  if (pkg.status != PackageStatus::kConfirmed) {
    return Status::Invalid("Quote package " + pkg.id + " is " +
                               std::string(PackageStatusName(pkg.status)) +
                               " and takes no instalment payments.",
                           {{"status", std::string(PackageStatusName(pkg.status))}});
  }
  std::vector<FieldError> errors;
  std::vector<LedgerEvent> events;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const InstalmentReport& r = reports[i];
    const std::string path = "quotes." + std::to_string(i);
    Quote* q = pkg.FindQuote(r.quote_id);
    if (q == nullptr) {
      errors.push_back({path + ".id", "Unknown quote id " + r.quote_id + "."});
      continue;
    }
    const std::vector<Instalment> schedule = InstalmentSchedule(*q);
    if (schedule.empty()) {
      errors.push_back({path + ".id", "This quote is not paid in instalments."});
      continue;
    }
    if (r.number < 1 || r.number > static_cast<int>(schedule.size())) {
      errors.push_back(
          {path + ".instalment_number", "Expected 1.." + std::to_string(schedule.size()) + "."});
      continue;
    }
    auto it = std::find_if(q->instalment_payments.begin(), q->instalment_payments.end(),
                           [&](const InstalmentPayment& p) { return p.number == r.number; });
    if (it == q->instalment_payments.end()) {
      q->instalment_payments.push_back({r.number, r.status, r.attempted_at, 0});
      it = q->instalment_payments.end() - 1;
    }
    it->status = r.status;
    it->attempted_at = r.attempted_at;
    if (r.status == "FAILED") ++it->failures;
    q->updated_at = now;
    LedgerEvent e = MakeEvent(EventKind::kInstalment, pkg, *q, now);
    e.amount = schedule[static_cast<std::size_t>(r.number - 1)].amount;
    e.data_json = "{\"number\":" + std::to_string(r.number) + ",\"status\":\"" + r.status + "\"}";
    events.push_back(std::move(e));
  }
  if (!errors.empty()) return Status::Invalid("An API error occurred.", std::move(errors));
  pkg.updated_at = now;
  return events;
}

}  // namespace offerledger
