// `offerledger report conversion`: the conversion report (docs/metrics.md)
// read from the database's roll-ups, as a table, CSV or JSON.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "analytics/conversion_report.h"
#include "app/commands.h"
#include "common/time.h"
#include "store/store.h"

namespace offerledger {

namespace {

struct ReportOptions {
  std::string db = kDefaultDb;
  std::string from;
  std::string to;
  std::string by;
  std::string group;
  std::string format = "table";
  int decision_window_days = 7;
};

[[noreturn]] void Fail(const std::string& message, int code) {
  std::cerr << "offerledger report conversion: " << message << "\n";
  throw CLI::RuntimeError(code);
}

void RunConversion(const ReportOptions& o, const CLI::App& cmd) {
  ReportParams params;
  auto set = [&cmd](const char* flag, const std::string& value, std::optional<std::string>& out) {
    if (cmd.count(flag) > 0) out = value;
  };
  set("--from", o.from, params.from);
  set("--to", o.to, params.to);
  set("--by", o.by, params.by);
  set("--group", o.group, params.group);
  set("--format", o.format, params.format);
  if (o.decision_window_days < 0) Fail("--decision-window-days must be 0 or more", 2);

  const std::int64_t today = DayOf(NowMicros());
  auto request = ParseReportParams(params, today, o.decision_window_days, ReportFormat::kTable);
  if (!request.ok()) {
    std::string message;
    for (const FieldError& e : request.status().fields()) {
      if (!message.empty()) message += "; ";
      message += "--" + e.path + " " + e.message;
    }
    Fail(message.empty() ? request.status().message() : message, 2);
  }

  // A report never creates a database: a mistyped path is an error, not an
  // empty report.
  if (o.db.rfind("sqlite:", 0) == 0) {
    const std::string path = o.db.substr(7);
    if (path != ":memory:" && !std::filesystem::exists(path)) {
      Fail("no database at " + path + " (--db sqlite:PATH)", 1);
    }
  }
  auto store = OpenStore(o.db);
  if (!store.ok()) Fail("cannot open " + o.db + ": " + store.status().message(), 1);
  auto report = RunConversionReport(**store, request->query);
  (*store)->Close();
  if (!report.ok()) Fail(report.status().message(), 1);
  std::cout << RenderReport(*report, request->format);
  if (request->format == ReportFormat::kJson) std::cout << "\n";
  std::cout.flush();
}

}  // namespace

void RegisterReportCommand(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* report = app.add_subcommand("report", "Reports computed from the ledger");
  report->require_subcommand(1);

  CLI::App* conv = report->add_subcommand(
      "conversion",
      "Offers, bookings, opt-outs, no-answers, cancellations, rates with 95% Wilson intervals "
      "and premium, by cohort (the UTC day of the offer)");
  conv->add_option("--db", o->db, "Database URL: sqlite:PATH")->capture_default_str();
  conv->add_option("--from", o->from,
                   "First offer day, YYYY-MM-DD (UTC); default: 29 days before --to");
  conv->add_option("--to", o->to, "Last offer day, YYYY-MM-DD (UTC), inclusive; default: today");
  conv->add_option("--by", o->by,
                   "One row per period: none (default), day, week (ISO, from "
                   "Monday) or month");
  conv->add_option("--group", o->group,
                   "Comma-separated dimensions: partner,policy_type,price_band,country,currency "
                   "(rows are always per currency)");
  conv->add_option("--format", o->format, "table (default), csv (RFC 4180) or json");
  conv->add_option("--decision-window-days", o->decision_window_days,
                   "Days after the offer day from which a pending offer counts as no answer")
      ->capture_default_str();
  conv->footer(ReportMeasuresHelp());
  CLI::App* conv_ptr = conv;
  conv->callback([o, conv_ptr] { RunConversion(*o, *conv_ptr); });
}

}  // namespace offerledger
