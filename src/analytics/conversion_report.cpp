#include "analytics/conversion_report.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <tuple>

#include "common/time.h"
#include "domain/json_writer.h"
#include "domain/money.h"
#include "store/store.h"

namespace offerledger {

namespace {

constexpr ReportDimension kAllDimensions[] = {
    ReportDimension::kPartner, ReportDimension::kPolicyType, ReportDimension::kPriceBand,
    ReportDimension::kCountry, ReportDimension::kCurrency};

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string DimensionList() {
  std::string out;
  for (ReportDimension d : kAllDimensions) {
    if (!out.empty()) out += ", ";
    out += ReportDimensionName(d);
  }
  return out;
}

// Price bands sort by their lower edge ("5-10" before "10-20"), then by label.
double BandLowerEdge(const std::string& label) {
  const char* begin = label.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  return end == begin ? -1.0 : v;
}

struct GroupKey {
  std::int64_t period = 0;
  std::string partner;
  std::string policy_type;
  std::string price_band;
  std::string country;
  std::string currency;
};

struct GroupKeyLess {
  bool operator()(const GroupKey& a, const GroupKey& b) const {
    const double ea = BandLowerEdge(a.price_band);
    const double eb = BandLowerEdge(b.price_band);
    return std::tie(a.period, a.partner, a.policy_type, ea, a.price_band, a.country, a.currency) <
           std::tie(b.period, b.partner, b.policy_type, eb, b.price_band, b.country, b.currency);
  }
};

std::string FormatRate(double v) {
  if (v == 0) v = 0.0;  // never "-0.0000"
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// One rendered value of a row.
struct Cell {
  enum Kind { kText, kNumber, kNull } kind = kNull;
  std::string text;
  bool numeric_column = false;  // right-aligned in the table
};

Cell Text(std::string s) { return {Cell::kText, std::move(s), false}; }
Cell Number(std::string s) { return {Cell::kNumber, std::move(s), true}; }
Cell Int(std::int64_t v) { return Number(std::to_string(v)); }
Cell Null(bool numeric) { return {Cell::kNull, "", numeric}; }

using NamedCells = std::vector<std::pair<std::string, Cell>>;

// The cells of `row` in column order. `table`: one cell per rate holding
// "value [low, high]" instead of three columns.
NamedCells RowCells(const ReportQuery& q, const ReportRow& row, bool table) {
  NamedCells cells;
  if (q.by != ReportPeriod::kNone)
    cells.emplace_back("period", Text(FormatReportDate(*row.period)));
  if (q.Groups(ReportDimension::kPartner)) cells.emplace_back("partner", Text(row.partner));
  if (q.Groups(ReportDimension::kPolicyType)) {
    cells.emplace_back("policy_type", Text(row.policy_type));
  }
  if (q.Groups(ReportDimension::kPriceBand)) cells.emplace_back("price_band", Text(row.price_band));
  if (q.Groups(ReportDimension::kCountry)) {
    cells.emplace_back("country", row.country.empty() ? Null(false) : Text(row.country));
  }
  cells.emplace_back("currency", Text(row.currency));
  const RollupCounts& c = row.counts;
  cells.emplace_back("packages_offered", Int(c.packages_offered));
  cells.emplace_back("quotes_offered", Int(c.quotes_offered));
  cells.emplace_back("booked", Int(c.booked));
  cells.emplace_back("opted_out", Int(c.opted_out));
  cells.emplace_back("not_selected", Int(c.not_selected));
  cells.emplace_back("opt_out_events", Int(c.opt_out_events));
  cells.emplace_back("no_answer", Int(row.no_answer));
  cells.emplace_back("pending", Int(row.pending));
  cells.emplace_back("cancelled", Int(c.cancelled));
  cells.emplace_back("cancelled_cooling_off", Int(c.cancelled_cooling_off));
  auto rate = [&](const std::string& name, const std::optional<RateEstimate>& r) {
    if (table) {
      cells.emplace_back(name, r ? Number(FormatRate(r->value) + " [" + FormatRate(r->low) + ", " +
                                          FormatRate(r->high) + "]")
                                 : Null(true));
      return;
    }
    cells.emplace_back(name, r ? Number(FormatRate(r->value)) : Null(true));
    cells.emplace_back(name + "_low", r ? Number(FormatRate(r->low)) : Null(true));
    cells.emplace_back(name + "_high", r ? Number(FormatRate(r->high)) : Null(true));
  };
  rate("take_up_rate", row.take_up_rate());
  rate("coverage", row.coverage());
  rate("conversion_answered", row.conversion_answered());
  const int exp = row.currency_exponent();
  cells.emplace_back("gross_written_premium",
                     Number(FormatDecimal(row.gross_written_premium(), exp)));
  const auto avg = row.average_premium();
  cells.emplace_back("average_premium", avg ? Number(FormatDecimal(*avg, exp)) : Null(true));
  cells.emplace_back("premium_refunded", Number(FormatDecimal(row.premium_refunded(), exp)));
  // Renewals last, so the columns above keep their places.
  cells.emplace_back("renewal_offers", Int(c.renewal_offers));
  cells.emplace_back("renewals", Int(c.renewals));
  cells.emplace_back("renewal_opt_outs", Int(c.renewal_opt_outs));
  rate("renewal_take_up_rate", row.renewal_take_up_rate());
  return cells;
}

std::vector<std::string> ColumnNames(const ReportQuery& q, bool table) {
  ReportRow probe;
  probe.period = 0;
  std::vector<std::string> names;
  for (auto& [name, cell] : RowCells(q, probe, table)) names.push_back(name);
  return names;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
  return out;
}

}  // namespace

std::string_view ReportDimensionName(ReportDimension d) {
  switch (d) {
    case ReportDimension::kPartner:
      return "partner";
    case ReportDimension::kPolicyType:
      return "policy_type";
    case ReportDimension::kPriceBand:
      return "price_band";
    case ReportDimension::kCountry:
      return "country";
    case ReportDimension::kCurrency:
      return "currency";
  }
  return "?";
}

std::string_view ReportPeriodName(ReportPeriod p) {
  switch (p) {
    case ReportPeriod::kNone:
      return "none";
    case ReportPeriod::kDay:
      return "day";
    case ReportPeriod::kWeek:
      return "week";
    case ReportPeriod::kMonth:
      return "month";
  }
  return "?";
}

bool ReportQuery::Groups(ReportDimension d) const {
  return d == ReportDimension::kCurrency || std::find(group.begin(), group.end(), d) != group.end();
}

std::optional<std::int64_t> ParseReportDate(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const std::int64_t days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  int ry = 0;
  unsigned rm = 0, rd = 0;
  CivilFromDays(days, ry, rm, rd);
  if (ry != y || rm != static_cast<unsigned>(m) || rd != static_cast<unsigned>(d)) {
    return std::nullopt;  // 2023-02-30
  }
  return days;
}

std::string FormatReportDate(std::int64_t day) { return FormatDate(day * kMicrosPerDay); }

std::int64_t PeriodStart(std::int64_t day, ReportPeriod by) {
  switch (by) {
    case ReportPeriod::kNone:
    case ReportPeriod::kDay:
      return day;
    case ReportPeriod::kWeek:
      // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
      return day - (day + 3 - FloorDiv(day + 3, 7) * 7);
    case ReportPeriod::kMonth: {
      int y = 0;
      unsigned m = 0, d = 0;
      CivilFromDays(day, y, m, d);
      return DaysFromCivil(y, m, 1);
    }
  }
  return day;
}

Result<ReportRequest> ParseReportParams(const ReportParams& p, std::int64_t today,
                                        int decision_window_days, ReportFormat default_format) {
  ReportRequest out;
  out.format = default_format;
  ReportQuery& q = out.query;
  q.today = today;
  q.decision_window_days = decision_window_days;
  std::vector<FieldError> errors;

  std::optional<std::int64_t> from, to;
  if (p.from) {
    from = ParseReportDate(*p.from);
    if (!from) errors.push_back({"from", "must be a date YYYY-MM-DD, got '" + *p.from + "'"});
  }
  if (p.to) {
    to = ParseReportDate(*p.to);
    if (!to) errors.push_back({"to", "must be a date YYYY-MM-DD, got '" + *p.to + "'"});
  }
  q.to_day = to.value_or(today);
  q.from_day = from.value_or(q.to_day - 29);
  if ((!p.from || from) && (!p.to || to) && q.from_day > q.to_day) {
    errors.push_back({"from", "must not be after to (" + FormatReportDate(q.to_day) + ")"});
  }

  if (p.by) {
    const std::string by = Trim(*p.by);
    if (by == "none" || by.empty()) {
      q.by = ReportPeriod::kNone;
    } else if (by == "day") {
      q.by = ReportPeriod::kDay;
    } else if (by == "week") {
      q.by = ReportPeriod::kWeek;
    } else if (by == "month") {
      q.by = ReportPeriod::kMonth;
    } else {
      errors.push_back({"by", "must be one of none, day, week, month, got '" + *p.by + "'"});
    }
  }

  if (p.group) {
    std::string_view rest = *p.group;
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string name = Trim(rest.substr(0, comma));
      if (!name.empty()) {
        bool known = false;
        for (ReportDimension d : kAllDimensions) {
          if (ReportDimensionName(d) == name) {
            known = true;
            if (std::find(q.group.begin(), q.group.end(), d) == q.group.end()) {
              q.group.push_back(d);
            }
          }
        }
        if (!known) {
          errors.push_back(
              {"group", "unknown dimension '" + name + "' (dimensions: " + DimensionList() + ")"});
          break;
        }
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    std::sort(q.group.begin(), q.group.end());
  }

  if (p.format) {
    const std::string f = Trim(*p.format);
    if (f == "table") {
      out.format = ReportFormat::kTable;
    } else if (f == "csv") {
      out.format = ReportFormat::kCsv;
    } else if (f == "json") {
      out.format = ReportFormat::kJson;
    } else {
      errors.push_back({"format", "must be one of table, csv, json, got '" + *p.format + "'"});
    }
  }

  if (!errors.empty()) return Status::Invalid("Invalid report parameters.", std::move(errors));
  return out;
}

std::optional<RateEstimate> EstimateRate(std::int64_t successes, std::int64_t trials) {
  if (trials <= 0) return std::nullopt;
  const Interval ci = WilsonInterval(successes, trials);
  const double value = static_cast<double>(successes) / static_cast<double>(trials);
  // The bounds are proportions: keep rounding noise out of [0, 1].
  return RateEstimate{value, std::clamp(ci.low, 0.0, value), std::clamp(ci.high, value, 1.0)};
}

std::optional<RateEstimate> ReportRow::take_up_rate() const {
  return EstimateRate(counts.booked, counts.quotes_offered);
}
std::optional<RateEstimate> ReportRow::coverage() const {
  return EstimateRate(answered(), counts.quotes_offered);
}
std::optional<RateEstimate> ReportRow::conversion_answered() const {
  return EstimateRate(counts.booked, answered());
}
std::optional<RateEstimate> ReportRow::renewal_take_up_rate() const {
  return EstimateRate(counts.renewals, counts.renewal_offers);
}
std::optional<MinorUnits> ReportRow::average_premium() const {
  if (counts.booked <= 0) return std::nullopt;
  return MulDivRound(counts.premium_booked, 1, counts.booked);
}
int ReportRow::currency_exponent() const {
  const Currency* c = FindCurrency(currency);
  return c ? c->exponent : 2;
}

ConversionReport BuildConversionReport(const ReportQuery& query,
                                       const std::vector<RollupRow>& rollups) {
  ConversionReport report;
  report.query = query;
  std::map<GroupKey, ReportRow, GroupKeyLess> groups;
  for (const RollupRow& r : rollups) {
    const RollupKey& k = r.key;
    if (k.day < query.from_day || k.day > query.to_day) continue;
    if (query.partner && k.partner != *query.partner) continue;
    GroupKey g;
    if (query.by != ReportPeriod::kNone) g.period = PeriodStart(k.day, query.by);
    if (query.Groups(ReportDimension::kPartner)) g.partner = k.partner;
    if (query.Groups(ReportDimension::kPolicyType)) g.policy_type = k.policy_type;
    if (query.Groups(ReportDimension::kPriceBand)) g.price_band = k.price_band;
    if (query.Groups(ReportDimension::kCountry)) g.country = k.country;
    g.currency = k.currency;
    auto [it, inserted] = groups.try_emplace(g);
    ReportRow& row = it->second;
    if (inserted) {
      if (query.by != ReportPeriod::kNone) row.period = g.period;
      row.partner = g.partner;
      row.policy_type = g.policy_type;
      row.price_band = g.price_band;
      row.country = g.country;
      row.currency = g.currency;
    }
    row.counts += r.counts;
    // No answer: still pending decision_window_days or more after the cohort day.
    if (query.today - k.day >= query.decision_window_days) {
      row.no_answer += r.counts.pending;
    } else {
      row.pending += r.counts.pending;
    }
  }
  report.rows.reserve(groups.size());
  for (auto& [key, row] : groups) report.rows.push_back(std::move(row));
  return report;
}

Result<ConversionReport> RunConversionReport(Store& store, const ReportQuery& query) {
  RollupFilter filter;
  filter.from_day = query.from_day;
  filter.to_day = query.to_day + 1;  // the filter's end is exclusive
  filter.partner = query.partner;
  auto rollups = store.ReadRollups(filter);
  if (!rollups.ok()) return rollups.status();
  return BuildConversionReport(query, *rollups);
}

std::vector<std::string> ReportColumns(const ReportQuery& query) {
  return ColumnNames(query, false);
}

std::string RenderReportTable(const ConversionReport& report) {
  const std::vector<std::string> names = ColumnNames(report.query, true);
  std::vector<NamedCells> rows;
  rows.reserve(report.rows.size());
  for (const ReportRow& r : report.rows) rows.push_back(RowCells(report.query, r, true));
  std::vector<std::size_t> width(names.size());
  std::vector<bool> right;  // numbers and rates are right-aligned
  ReportRow probe;
  probe.period = 0;
  for (const auto& [name, cell] : RowCells(report.query, probe, true)) {
    right.push_back(cell.numeric_column);
  }
  auto shown = [](const Cell& c) { return c.kind == Cell::kNull ? std::string("-") : c.text; };
  for (std::size_t i = 0; i < names.size(); ++i) width[i] = names[i].size();
  for (const NamedCells& cells : rows) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      width[i] = std::max(width[i], shown(cells[i].second).size());
    }
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& values) {
    std::string l;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) l += "  ";
      const std::string pad(width[i] - values[i].size(), ' ');
      l += right[i] ? pad + values[i] : values[i] + pad;
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l;
    out += '\n';
  };
  line(names);
  std::vector<std::string> rule;
  for (std::size_t w : width) rule.emplace_back(w, '-');
  line(rule);
  for (const NamedCells& cells : rows) {
    std::vector<std::string> values;
    for (const auto& [name, cell] : cells) values.push_back(shown(cell));
    line(values);
  }
  return out;
}

std::string RenderReportCsv(const ConversionReport& report) {
  std::string out;
  const std::vector<std::string> names = ColumnNames(report.query, false);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += CsvField(names[i]);
  }
  out += "\r\n";
  for (const ReportRow& r : report.rows) {
    const NamedCells cells = RowCells(report.query, r, false);
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += CsvField(cells[i].second.text);
    }
    out += "\r\n";
  }
  return out;
}

std::string RenderReportJson(const ConversionReport& report) {
  JsonWriter w;
  w.BeginArray();
  for (const ReportRow& r : report.rows) {
    w.BeginObject();
    for (const auto& [name, cell] : RowCells(report.query, r, false)) {
      w.Key(name);
      switch (cell.kind) {
        case Cell::kText:
          w.String(cell.text);
          break;
        case Cell::kNumber:
          w.Raw(cell.text);
          break;
        case Cell::kNull:
          w.Null();
          break;
      }
    }
    w.EndObject();
  }
  w.EndArray();
  return w.Take();
}

std::string RenderReport(const ConversionReport& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      return RenderReportTable(report);
    case ReportFormat::kCsv:
      return RenderReportCsv(report);
    case ReportFormat::kJson:
      return RenderReportJson(report);
  }
  return {};
}

std::string_view ReportContentType(ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      return "text/plain; charset=utf-8";
    case ReportFormat::kCsv:
      return "text/csv; charset=utf-8; header=present";
    case ReportFormat::kJson:
      return "application/json";
  }
  return "application/json";
}

std::string ReportMeasuresHelp() {
  return "Measures (offers are attributed to the UTC day they were first offered; "
         "docs/metrics.md):\n"
         "  packages_offered       quote packages offered (each counted once)\n"
         "  quotes_offered         individual quotes offered and not withdrawn\n"
         "  booked                 quotes bought (also after an opt-out)\n"
         "  opted_out              quotes whose final outcome is an opt-out (not booked later)\n"
         "  not_selected           quotes left out when their package was booked\n"
         "  opt_out_events         opt-outs received, including those booked later\n"
         "  no_answer              no outcome reported DECISION_WINDOW days after the offer day\n"
         "  pending                no outcome yet, still inside the decision window\n"
         "  cancelled              booked quotes cancelled since\n"
         "  cancelled_cooling_off  of those, cancelled inside the cooling-off period\n"
         "  take_up_rate           booked / quotes_offered\n"
         "  coverage               (booked + opted_out + not_selected) / quotes_offered: answers "
         "the partner reported\n"
         "  conversion_answered    booked / (booked + opted_out + not_selected)\n"
         "  *_low, *_high          95% Wilson score interval of each rate (empty when 0/0)\n"
         "  gross_written_premium  price of the booked quotes, in the row's currency\n"
         "  average_premium        gross_written_premium / booked\n"
         "  premium_refunded       refunds of cancelled quotes\n"
         "  renewal_offers         renewals offered (quote_for_renewal), per renewed quote,\n"
         "                         counted on the day of the renewal offer\n"
         "  renewals               renewals confirmed, counted with their offer\n"
         "  renewal_opt_outs       renewal opt-outs received (customers who declined to renew)\n"
         "  renewal_take_up_rate   renewals / renewal_offers\n"
         "Every row is per currency: money is never added across currencies.\n";
}

}  // namespace offerledger
