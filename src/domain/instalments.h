// Instalments: a booked quote paid in parts (a catalog plan such as
// "1year-monthly": 12 instalments one month apart). The schedule is derived,
// never stored: from the quote's plan, price and cover start, and the
// payment statuses the partner reported (POST bookings/{id}/instalments/).
// Pure logic: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "domain/quote_package.h"

namespace offerledger {

struct Instalment {
  int number = 0;  // 1-based
  std::string id;  // stable per quote and number (UUID-shaped)
  Micros period_start = 0;
  Micros period_end = 0;
  MinorUnits amount = 0;   // what this instalment charges, taxes included
  MinorUnits premium = 0;  // its share of the premium
  std::vector<TaxLine> taxes;
  std::string status;  // "PAID", "UNPAID", "FAILED"
  int failures = 0;
  std::optional<Micros> paid_at;
};

// The schedule of `q`, empty when it has no plan. The amounts add up to the
// price exactly (the first instalments carry the odd minor units). The
// first instalment is paid at checkout: PAID once the quote is confirmed,
// unless a later report says otherwise.
std::vector<Instalment> InstalmentSchedule(const Quote& q);

// Picks the instalment plan of a quote being booked: one it was offered.
Status ChooseInstalmentPlan(Quote& q, std::string_view plan);

// One reported payment attempt. Statuses: "PAID" or "FAILED".
struct InstalmentReport {
  std::string quote_id;
  int number = 0;
  std::string status;
  Micros attempted_at = 0;
};

// Records `reports` on a CONFIRMED booking: one "instalment" event each
// (amount = the instalment's amount, data {"number", "status"}). Invalid
// when a quote has no plan or the number is outside its schedule.
Result<std::vector<LedgerEvent>> ApplyInstalmentReports(
    QuotePackage& pkg, const std::vector<InstalmentReport>& reports, Micros now);

// `t` plus `months` calendar months (the day clamped to the month's end).
Micros AddMonths(Micros t, int months);

}  // namespace offerledger
