// `offerledger report conversion`: the conversion report (docs/metrics.md)
// read from the database's roll-ups, as a table, CSV or JSON.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "analytics/conversion_report.h"
#include "app/commands.h"
#include "app/default_catalog.h"
#include "common/time.h"
#include "domain/catalog.h"
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
  if (!store.ok()) Fail("cannot open " + RedactDbUrl(o.db) + ": " + store.status().message(), 1);
  auto report = RunConversionReport(**store, request->query);
  (*store)->Close();
  if (!report.ok()) Fail(report.status().message(), 1);
  std::cout << RenderReport(*report, request->format);
  if (request->format == ReportFormat::kJson) std::cout << "\n";
  std::cout.flush();
}

std::unique_ptr<Store> OpenExisting(const std::string& what, const std::string& db) {
  if (db.rfind("sqlite:", 0) == 0 && !std::filesystem::exists(db.substr(7))) {
    std::cerr << "offerledger report " << what << ": no database at " << db.substr(7) << "\n";
    throw CLI::RuntimeError(1);
  }
  auto store = OpenStore(db);
  if (!store.ok()) {
    std::cerr << "offerledger report " << what << ": cannot open " << RedactDbUrl(db) << ": "
              << store.status().message() << "\n";
    throw CLI::RuntimeError(1);
  }
  return std::move(*store);
}

// Every cohort day there can be: the roll-ups are keyed by day since 1970.
constexpr RollupFilter kAllDays{0, 4'000'000, std::nullopt};

// Rows of `a` that `b` lacks or counts differently, and rows only `b` has;
// printed when `print`. Returns how many.
std::size_t Differences(const std::vector<RollupRow>& a, const std::vector<RollupRow>& b,
                        bool print) {
  std::size_t n = 0;
  auto report = [&](const RollupRow& r, const char* what) {
    ++n;
    if (!print) return;
    std::cout << what << ": day " << FormatDate(r.key.day * kMicrosPerDay) << " " << r.key.partner
              << " " << r.key.policy_type << " band '" << r.key.price_band << "' " << r.key.country
              << " " << r.key.currency << "\n";
  };
  for (const RollupRow& r : a) {
    auto it = std::find_if(b.begin(), b.end(), [&](const RollupRow& x) { return x.key == r.key; });
    if (it == b.end() || !(it->counts == r.counts)) report(r, "differs");
  }
  for (const RollupRow& r : b) {
    if (std::none_of(a.begin(), a.end(), [&](const RollupRow& x) { return x.key == r.key; })) {
      report(r, "missing roll-up");
    }
  }
  return n;
}

Store::PriceBandOf BandsOf(const std::shared_ptr<const Catalog>& cat) {
  return [cat](MinorUnits price, const std::string& currency) {
    const Currency* c = FindCurrency(currency);
    return cat->PriceBandsFor(currency).Label(price, c != nullptr ? c->exponent : 2);
  };
}

std::shared_ptr<const Catalog> LoadCatalogOrExit(const std::string& what, const std::string& file) {
  auto catalog = file.empty() ? Catalog::Parse(DefaultCatalogJson()) : Catalog::LoadFile(file);
  if (!catalog.ok()) {
    std::cerr << "offerledger report " << what << ": catalog: " << catalog.status().ToString()
              << "\n";
    throw CLI::RuntimeError(2);
  }
  return *catalog;
}

// Compares the roll-ups with a recount of the events; exit 1 on a difference.
// Roll-ups rebuilt with other price band edges are compared with a recount
// that re-derives the bands from the catalog in the same way.
void RunVerify(const std::string& db, const std::string& catalog_file) {
  auto store = OpenExisting("verify", db);
  auto kept = store->ReadRollups(kAllDays);
  auto recounted = store->RecountRollups(kAllDays);
  if (!kept.ok() || !recounted.ok()) {
    std::cerr << "offerledger report verify: "
              << (!kept.ok() ? kept.status() : recounted.status()).message() << "\n";
    throw CLI::RuntimeError(1);
  }
  std::size_t differences = Differences(*kept, *recounted, false);
  std::string how = "with the price bands the events recorded";
  if (differences != 0) {
    auto rebanded =
        store->RecountRollups(kAllDays, BandsOf(LoadCatalogOrExit("verify", catalog_file)));
    if (rebanded.ok() && Differences(*kept, *rebanded, false) == 0) {
      differences = 0;
      how = "with the catalog's current price bands (the roll-ups were rebuilt)";
    } else {
      Differences(*kept, *recounted, true);
    }
  }
  store->Close();
  std::cout << kept->size() << " roll-up rows checked against a recount of the events " << how
            << ": " << (differences == 0 ? "all equal" : std::to_string(differences) + " differ")
            << std::endl;
  if (differences != 0) throw CLI::RuntimeError(1);
}

// Recomputes the roll-ups from the events with the catalog's price bands.
void RunRebuild(const std::string& db, const std::string& catalog_file) {
  const auto cat = LoadCatalogOrExit("rebuild-rollups", catalog_file);
  auto store = OpenExisting("rebuild-rollups", db);
  auto rows = store->RebuildRollups(BandsOf(cat));
  store->Close();
  if (!rows.ok()) {
    std::cerr << "offerledger report rebuild-rollups: " << rows.status().message() << "\n";
    throw CLI::RuntimeError(1);
  }
  std::cout << "rebuilt " << *rows << " roll-up rows from the events" << std::endl;
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
  AddDbOption(conv, o->db);
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

  auto db = std::make_shared<std::string>(kDefaultDb);
  auto catalog = std::make_shared<std::string>();
  CLI::App* verify = report->add_subcommand(
      "verify", "Check that the roll-ups equal a recount of the events (exit 1 if not)");
  AddDbOption(verify, *db);
  verify
      ->add_option("--catalog", *catalog,
                   "Catalog whose price_bands rebuilt roll-ups used (default: built-in)")
      ->check(CLI::ExistingFile);
  verify->callback([db, catalog] { RunVerify(*db, *catalog); });

  CLI::App* rebuild = report->add_subcommand(
      "rebuild-rollups",
      "Recompute the roll-ups from the events, e.g. after the catalog's price_bands changed");
  AddDbOption(rebuild, *db);
  rebuild->add_option("--catalog", *catalog, "Catalog whose price_bands to use (default: built-in)")
      ->check(CLI::ExistingFile);
  rebuild->callback([db, catalog] { RunRebuild(*db, *catalog); });
}

}  // namespace offerledger
