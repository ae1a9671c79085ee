// `offerledger migrate`: applies the schema migrations of a database (either
// backend) and says which versions it found and left.
// `offerledger migrate-data`: copies a whole ledger from SQLite into an empty
// PostgreSQL database (src/store/ledger_copy.h), with progress on stderr and
// a per-table count check on stdout.
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "app/commands.h"
#include "domain/json_writer.h"
#include "store/ledger_copy.h"
#include "store/store.h"

namespace offerledger {

namespace {

struct MigrateOptions {
  std::string db = kDefaultDb;
  bool json = false;
};

struct MigrateDataOptions {
  std::string from;
  std::string to;
  std::int64_t batch = 10'000;
};

[[noreturn]] void Fail(const std::string& command, const std::string& message, int code) {
  std::cerr << "offerledger " << command << ": " << message << "\n";
  throw CLI::RuntimeError(code);
}

std::string JoinVersions(const std::vector<int>& versions) {
  std::string out;
  for (int v : versions) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return out;
}

void RunMigrate(const MigrateOptions& o) {
  const std::string shown = RedactDbUrl(o.db);
  auto backend = BackendOf(o.db);
  if (!backend.ok()) Fail("migrate", backend.status().message(), 2);
  auto result = MigrateStore(o.db);
  if (!result.ok()) {
    // PostgreSQL's connection errors already name the (redacted) URL.
    const std::string message = RedactDbUrl(result.status().message());
    Fail("migrate",
         message.find(shown) != std::string::npos ? message
                                                  : "cannot migrate " + shown + ": " + message,
         result.status().code() == StatusCode::kInvalid ? 2 : 1);
  }
  const bool up_to_date = result->applied.empty();
  if (o.json) {
    JsonWriter w;
    w.BeginObject();
    w.Key("db").String(shown);
    w.Key("backend").String(*backend == StoreBackend::kSqlite ? "sqlite" : "postgresql");
    w.Key("before").Int(result->before);
    w.Key("after").Int(result->after);
    w.Key("applied").BeginArray();
    for (int v : result->applied) w.Int(v);
    w.EndArray();
    w.Key("already_up_to_date").Bool(up_to_date);
    w.EndObject();
    std::cout << w.str() << std::endl;
    return;
  }
  std::cout << shown << ": schema version " << result->before << " -> " << result->after
            << (up_to_date ? ": already up to date"
                           : " (applied migration" +
                                 std::string(result->applied.size() == 1 ? " " : "s ") +
                                 JoinVersions(result->applied) + ")")
            << std::endl;
}

std::string Thousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

std::int64_t Rate(std::int64_t rows, double seconds) {
  return seconds > 0 ? static_cast<std::int64_t>(static_cast<double>(rows) / seconds) : 0;
}

// Progress lines on stderr, at most one a second (none for a copy that is
// done within the first second).
class ProgressPrinter {
 public:
  void operator()(const LedgerCopyProgress& p) {
    if (p.seconds - last_ < 1.0) return;
    last_ = p.seconds;
    std::ostringstream line;
    line << "offerledger migrate-data: ";
    if (p.table != "events") {
      line << p.table << " " << Thousands(p.table_done) << "/" << Thousands(p.table_total) << "; ";
    }
    line << "events " << Thousands(p.events_done) << "/" << Thousands(p.events_total) << " ("
         << std::fixed << std::setprecision(1)
         << (p.events_total > 0
                 ? 100.0 * static_cast<double>(p.events_done) / static_cast<double>(p.events_total)
                 : 100.0)
         << "%), " << Thousands(Rate(p.rows_done, p.seconds)) << " rows/s";
    std::cerr << line.str() << std::endl;
  }

 private:
  double last_ = 0;
};

void PrintCounts(const LedgerCopyReport& r) {
  std::cout << std::left << std::setw(14) << "table" << std::right << std::setw(14) << "source"
            << std::setw(14) << "target"
            << "\n";
  std::int64_t source = 0;
  std::int64_t target = 0;
  for (const TableCount& c : r.counts) {
    std::cout << std::left << std::setw(14) << c.table << std::right << std::setw(14)
              << Thousands(c.source) << std::setw(14) << Thousands(c.target)
              << (c.source == c.target ? "" : "  MISMATCH") << "\n";
    source += c.source;
    target += c.target;
  }
  std::cout << std::left << std::setw(14) << "total" << std::right << std::setw(14)
            << Thousands(source) << std::setw(14) << Thousands(target) << "\n";
}

void RunMigrateData(const MigrateDataOptions& o) {
  auto from = BackendOf(o.from);
  if (!from.ok()) Fail("migrate-data", "--from: " + from.status().message(), 2);
  auto to = BackendOf(o.to);
  if (!to.ok()) Fail("migrate-data", "--to: " + to.status().message(), 2);
  if (*from != StoreBackend::kSqlite) {
    Fail("migrate-data",
         "--from must be a SQLite database (sqlite:PATH), got " + RedactDbUrl(o.from), 2);
  }
  if (*to != StoreBackend::kPostgres) {
    Fail("migrate-data",
         "--to must be a PostgreSQL database (postgresql://...), got " + RedactDbUrl(o.to), 2);
  }
  auto path = SqlitePathOf(o.from);
  if (!path.ok()) Fail("migrate-data", "--from: " + path.status().message(), 2);

  LedgerCopyOptions options;
  options.batch_rows = o.batch;
  options.progress = ProgressPrinter();
  auto report = CopyLedgerToPostgres(*path, o.to, options);
  if (!report.ok()) {
    const Status& s = report.status();
    Fail("migrate-data",
         "nothing was copied into " + RedactDbUrl(o.to) + ": " + RedactDbUrl(s.message()),
         s.code() == StatusCode::kInvalid || s.code() == StatusCode::kNotFound ? 2 : 1);
  }
  PrintCounts(*report);
  if (!report->committed) {
    std::cout.flush();
    Fail("migrate-data",
         "the row counts differ (MISMATCH above): the copy was rolled back, the target is as "
         "empty as before",
         1);
  }
  std::cout << "copied " << Thousands(report->rows) << " rows from " << RedactDbUrl(o.from)
            << " to " << RedactDbUrl(o.to) << " in " << std::fixed << std::setprecision(1)
            << report->seconds << " s (" << Thousands(Rate(report->rows, report->seconds))
            << " rows/s); every count matches" << std::endl;
}

}  // namespace

void RegisterMigrateCommands(CLI::App& app) {
  auto m = std::make_shared<MigrateOptions>();
  CLI::App* migrate = app.add_subcommand(
      "migrate",
      "Apply the pending schema migrations of a database (SQLite or PostgreSQL) and print its "
      "schema version before and after. Safe to run from several processes at once (the "
      "migrations run under a lock); `serve` and every other subcommand also migrate when they "
      "open the database");
  AddDbOption(migrate, m->db, "Database to migrate");
  migrate->add_flag("--json", m->json,
                    "Print {db, backend, before, after, applied, already_up_to_date} as JSON");
  migrate->callback([m] { RunMigrate(*m); });

  auto d = std::make_shared<MigrateDataOptions>();
  CLI::App* data = app.add_subcommand(
      "migrate-data",
      "Copy a whole ledger (partners, API keys, packages, events, idempotency replies, offer "
      "state, roll-ups, optimizer arms) from a SQLite database into an EMPTY PostgreSQL "
      "database, in one transaction: the target ends complete or untouched. Prints each "
      "table's row count in source and target; exits 1 if any differs. Stop the servers "
      "writing to the source first (the copy reads one consistent snapshot of it either way). "
      "See docs/storage.md");
  data->add_option("--from", d->from,
                   "Source: sqlite:PATH (only read; must be at the newest "
                   "schema version, see `offerledger migrate`)")
      ->required();
  data->add_option("--to", d->to,
                   "Target: postgresql://[USER[:PASSWORD]@][HOST][:PORT][/DBNAME][?...] (libpq's "
                   "PG* variables fill in the rest); migrated to the newest schema first, and "
                   "refused if it holds any row")
      ->required();
  data->add_option("--batch", d->batch,
                   "Rows per COPY statement (each batch is confirmed by the server and reported "
                   "in the progress lines on stderr)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10'000'000}));
  data->callback([d] { RunMigrateData(*d); });
}

}  // namespace offerledger
