// ConversionReport: the regulator's conversion report, computed from the
// conversion roll-ups (domain/conversion.h) for a range of cohort days,
// grouped by any of partner, policy type, price band, customer country and
// currency, optionally per day, ISO week or month (UTC). Every measure is
// defined in docs/metrics.md; this file computes exactly those definitions.
//
// Money is only ever summed within one currency: currency is always a
// grouping dimension of the report, whatever the caller asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/conversion.h"

namespace offerledger {

class Store;

enum class ReportPeriod { kNone, kDay, kWeek, kMonth };
enum class ReportDimension { kPartner, kPolicyType, kPriceBand, kCountry, kCurrency };
enum class ReportFormat { kTable, kCsv, kJson };

std::string_view ReportDimensionName(ReportDimension d);  // "policy_type"
std::string_view ReportPeriodName(ReportPeriod p);        // "week"

struct ReportQuery {
  std::int64_t from_day = 0;  // first cohort day, inclusive (days since 1970-01-01 UTC)
  std::int64_t to_day = 0;    // last cohort day, inclusive
  ReportPeriod by = ReportPeriod::kNone;
  // Requested dimensions. The report always groups by currency as well.
  std::vector<ReportDimension> group;
  // An offer still pending this many days after its cohort day is "no answer".
  int decision_window_days = 7;
  std::int64_t today = 0;              // days since the epoch, UTC
  std::optional<std::string> partner;  // only this partner's offers (partner API)

  bool Groups(ReportDimension d) const;
};

// The textual parameters of a report request, as the CLI options and the
// HTTP query carry them; absent means the default.
struct ReportParams {
  std::optional<std::string> from;    // YYYY-MM-DD, default: to - 29 days
  std::optional<std::string> to;      // YYYY-MM-DD inclusive, default: today
  std::optional<std::string> by;      // none|day|week|month, default none
  std::optional<std::string> group;   // comma-separated dimensions, default none
  std::optional<std::string> format;  // table|csv|json
};

struct ReportRequest {
  ReportQuery query;
  ReportFormat format = ReportFormat::kJson;
};

// Validates `params`. Errors are kInvalid with one FieldError per bad
// parameter, named "from", "to", "by", "group" or "format".
Result<ReportRequest> ParseReportParams(const ReportParams& params, std::int64_t today,
                                        int decision_window_days, ReportFormat default_format);

// "2024-03-01" -> days since the epoch; nullopt unless a valid YYYY-MM-DD.
std::optional<std::int64_t> ParseReportDate(std::string_view text);
std::string FormatReportDate(std::int64_t day);

// The first day of the period that contains `day`: the day itself, the
// Monday of its ISO week, or the 1st of its month. kNone: `day`.
std::int64_t PeriodStart(std::int64_t day, ReportPeriod by);

// A proportion with its 95% Wilson score interval.
struct RateEstimate {
  double value = 0;
  double low = 0;
  double high = 0;
};
// nullopt when `trials` is 0.
std::optional<RateEstimate> EstimateRate(std::int64_t successes, std::int64_t trials);

struct ReportRow {
  std::optional<std::int64_t> period;  // start day of the period, when `by` is not kNone
  // Group values; only the requested dimensions are meaningful, the others
  // are "". `currency` is always set. country "" = unknown.
  std::string partner;
  std::string policy_type;
  std::string price_band;
  std::string country;
  std::string currency;

  RollupCounts counts;         // sums of the roll-up rows of the group
  std::int64_t no_answer = 0;  // pending, cohort day at least decision_window_days before today
  std::int64_t pending = 0;    // pending, still inside the decision window

  std::int64_t answered() const { return counts.booked + counts.opted_out + counts.not_selected; }
  std::optional<RateEstimate> take_up_rate() const;         // booked / quotes_offered
  std::optional<RateEstimate> coverage() const;             // answered / quotes_offered
  std::optional<RateEstimate> conversion_answered() const;  // booked / answered
  // renewals / renewal_offers
  std::optional<RateEstimate> renewal_take_up_rate() const;
  MinorUnits gross_written_premium() const { return counts.premium_booked; }
  std::optional<MinorUnits> average_premium() const;  // GWP / booked, rounded half away from 0
  MinorUnits premium_refunded() const { return counts.premium_refunded; }
  int currency_exponent() const;  // minor-unit digits of `currency` (2 if unknown)
};

struct ConversionReport {
  ReportQuery query;
  std::vector<ReportRow> rows;  // sorted by period, then the group values
};

// Groups `rollups` as `query` says. Rows outside the query's days or of
// another partner than query.partner are ignored.
ConversionReport BuildConversionReport(const ReportQuery& query,
                                       const std::vector<RollupRow>& rollups);

// Reads the roll-ups of the query's days (and partner) from `store` and
// builds the report.
Result<ConversionReport> RunConversionReport(Store& store, const ReportQuery& query);

// Column names, in output order, of the report (JSON member names, CSV header).
std::vector<std::string> ReportColumns(const ReportQuery& query);

// A table aligned for a terminal: rates as "0.3500 [0.2600, 0.4500]".
std::string RenderReportTable(const ConversionReport& report);
// RFC 4180: a header row, CRLF line ends, fields quoted when needed; null is empty.
std::string RenderReportCsv(const ConversionReport& report);
// An array of objects: counts and money as numbers, rates with 4 decimals.
std::string RenderReportJson(const ConversionReport& report);
std::string RenderReport(const ConversionReport& report, ReportFormat format);
std::string_view ReportContentType(ReportFormat format);

// One line per measure, for --help.
std::string ReportMeasuresHelp();

}  // namespace offerledger
