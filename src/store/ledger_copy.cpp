#include "store/ledger_copy.h"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string_view>

#include "common/status_macros.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_schema.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_schema.h"

namespace offerledger {

namespace {

enum class Type {
  kText,    // TEXT -> text
  kInt,     // INTEGER -> bigint
  kOptInt,  // INTEGER or NULL -> bigint or NULL
  kBool,    // INTEGER 0/1 -> boolean
};

struct Column {
  std::string_view name;
  Type type;
};

struct Table {
  std::string_view name;
  std::vector<Column> columns;
  std::string_view order_by;  // the primary key: a stable, index-ordered scan
};

// The ledger's tables in both schemas (sqlite_schema.cpp, postgres_schema.cpp),
// in an order that satisfies the one foreign key (api_keys -> partners). A
// migration that adds a column or a table must add it here too: until then
// CheckColumns / CheckSourceTables refuse to copy, rather than silently
// leave it behind.
const std::vector<Table>& Tables() {
  using T = Type;
  static const std::vector<Table> kTables = {
      {"partners",
       {{"code", T::kText},
        {"name", T::kText},
        {"created_at", T::kInt},
        {"quote_rps", T::kInt},
        {"other_rps", T::kInt},
        {"require_request_target", T::kBool}},
       "code"},
      {"api_keys",
       {{"key", T::kText},
        {"partner", T::kText},
        {"secret", T::kText},
        {"created_at", T::kInt},
        {"revoked_at", T::kOptInt}},
       "key"},
      {"packages",
       {{"id", T::kText},
        {"partner", T::kText},
        {"status", T::kText},
        {"currency", T::kText},
        {"customer_country", T::kText},
        {"created_at", T::kInt},
        {"updated_at", T::kInt},
        {"booked_at", T::kOptInt},
        {"doc", T::kText},
        {"renewal_due_at", T::kOptInt},
        {"renewal_expires_at", T::kOptInt}},
       "id"},
      // seq is copied as it is: it is the cursor of the partners' event feed.
      {"events",
       {{"seq", T::kInt},
        {"kind", T::kText},
        {"at", T::kInt},
        {"partner", T::kText},
        {"package_id", T::kText},
        {"quote_id", T::kText},
        {"policy_type", T::kText},
        {"policy_type_version", T::kInt},
        {"policy_code", T::kText},
        {"price", T::kInt},
        {"premium", T::kInt},
        {"tax", T::kInt},
        {"amount", T::kInt},
        {"currency", T::kText},
        {"customer_country", T::kText},
        {"price_multiplier_nanos", T::kInt},
        {"data", T::kText},
        {"offered_at", T::kInt},
        {"price_band", T::kText}},
       "seq"},
      {"idempotency",
       {{"partner", T::kText},
        {"key", T::kText},
        {"fingerprint", T::kText},
        {"status", T::kInt},
        {"body", T::kText},
        {"created_at", T::kInt}},
       "partner, key"},
      {"offer_state",
       {{"quote_id", T::kText},
        {"package_id", T::kText},
        {"partner", T::kText},
        {"day", T::kInt},
        {"policy_type", T::kText},
        {"price_band", T::kText},
        {"country", T::kText},
        {"currency", T::kText},
        {"price", T::kInt},
        {"outcome", T::kText},
        {"counts_package", T::kBool},
        {"multiplier_nanos", T::kInt}},
       "quote_id"},
      {"rollups",
       {{"day", T::kInt},
        {"partner", T::kText},
        {"policy_type", T::kText},
        {"price_band", T::kText},
        {"country", T::kText},
        {"currency", T::kText},
        {"packages_offered", T::kInt},
        {"quotes_offered", T::kInt},
        {"pending", T::kInt},
        {"booked", T::kInt},
        {"opted_out", T::kInt},
        {"not_selected", T::kInt},
        {"opt_out_events", T::kInt},
        {"cancelled", T::kInt},
        {"cancelled_cooling_off", T::kInt},
        {"premium_booked", T::kInt},
        {"premium_refunded", T::kInt},
        {"renewal_offers", T::kInt},
        {"renewals", T::kInt},
        {"renewal_opt_outs", T::kInt}},
       "day, partner, policy_type, price_band, country, currency"},
      {"arms",
       {{"policy_type", T::kText},
        {"partner", T::kText},
        {"country", T::kText},
        {"multiplier_nanos", T::kInt},
        {"day", T::kInt},
        {"successes", T::kInt},
        {"failures", T::kInt},
        {"pending", T::kInt}},
       "policy_type, partner, country, multiplier_nanos, day"},
      // Webhooks (schema v5): the listeners after their partners (foreign
      // key), and the queue with its seqs (AdvanceSeq continues them).
      {"partner_webhooks",
       {{"partner", T::kText},
        {"url", T::kText},
        {"key", T::kText},
        {"secret", T::kText},
        {"events", T::kText},
        {"updated_at", T::kInt}},
       "partner"},
      {"webhooks",
       {{"seq", T::kInt},
        {"id", T::kText},
        {"partner", T::kText},
        {"event", T::kText},
        {"body", T::kText},
        {"created_at", T::kInt},
        {"status", T::kText},
        {"attempts", T::kInt},
        {"next_attempt_at", T::kInt},
        {"lease_until", T::kInt},
        {"claim", T::kText},
        {"last_error", T::kText},
        {"delivered_at", T::kOptInt}},
       "seq"},
      // The admin audit log (schema v6), with its seqs (AdvanceSeq).
      {"admin_audit",
       {{"seq", T::kInt},
        {"at", T::kInt},
        {"actor", T::kText},
        {"action", T::kText},
        {"partner", T::kText},
        {"key", T::kText},
        {"detail", T::kText}},
       "seq"},
      // The email outbox (schema v7), with its seqs (AdvanceSeq).
      {"emails",
       {{"seq", T::kInt},
        {"id", T::kText},
        {"partner", T::kText},
        {"booking_id", T::kText},
        {"event", T::kText},
        {"recipient", T::kText},
        {"subject", T::kText},
        {"body", T::kText},
        {"created_at", T::kInt},
        {"status", T::kText},
        {"attempts", T::kInt},
        {"next_attempt_at", T::kInt},
        {"lease_until", T::kInt},
        {"claim", T::kText},
        {"last_error", T::kText},
        {"delivered_at", T::kOptInt}},
       "seq"},
  };
  return kTables;
}

std::string ColumnList(const Table& t) {
  std::string out;
  for (const Column& c : t.columns) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

// A value in COPY's text format: backslash, tab, newline and carriage return
// escaped (tab is the delimiter, newline ends the row).
void AppendCopyText(std::string& out, std::string_view v) {
  for (char ch : v) {
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += ch;
    }
  }
}

// One row of the source statement as a COPY text line.
void AppendRow(std::string& out, const Table& t, const sqlite::Statement& st) {
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (i > 0) out += '\t';
    const int col = static_cast<int>(i);
    if (st.IsNull(col)) {
      out += "\\N";
      continue;
    }
    switch (t.columns[i].type) {
      case Type::kText:
        AppendCopyText(out, st.Text(col));
        break;
      case Type::kInt:
      case Type::kOptInt:
        out += std::to_string(st.Int(col));
        break;
      case Type::kBool:
        out += st.Int(col) != 0 ? "t" : "f";
        break;
    }
  }
  out += '\n';
}

// The libpq error text of `c` (or of the result `r`), without the trailing newline.
std::string PgMessage(PGconn* c, PGresult* r = nullptr) {
  std::string msg = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

Status CopyFailed(PGconn* c, std::string_view table, const std::string& msg) {
  if (PQstatus(c) != CONNECTION_OK) {
    return Status::Unavailable("PostgreSQL connection lost while copying " + std::string(table) +
                               ": " + msg);
  }
  return Status::Internal("copying " + std::string(table) + " into PostgreSQL failed: " + msg);
}

// COPY table (columns) FROM STDIN on `c`, fed a row at a time.
class CopyIn {
 public:
  CopyIn(PGconn* c, const Table& t) : c_(c), t_(t) {}

  Status Begin() {
    const std::string sql = "COPY " + std::string(t_.name) + " (" + ColumnList(t_) + ") FROM STDIN";
    PGresult* r = PQexec(c_, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COPY_IN;
    const std::string msg = ok ? "" : PgMessage(c_, r);
    PQclear(r);
    if (!ok) return CopyFailed(c_, t_.name, msg);
    return Status::Ok();
  }

  std::string& buffer() { return buf_; }

  // Sends what the buffer holds once it is large enough (or always, `force`).
  Status Flush(bool force = false) {
    if (buf_.empty() || (!force && buf_.size() < kFlushBytes)) return Status::Ok();
    if (PQputCopyData(c_, buf_.data(), static_cast<int>(buf_.size())) != 1) {
      return CopyFailed(c_, t_.name, PgMessage(c_));
    }
    buf_.clear();
    return Status::Ok();
  }

  // Ends the COPY; returns the rows PostgreSQL says it stored.
  Result<std::int64_t> End() {
    OL_RETURN_IF_ERROR(Flush(/*force=*/true));
    if (PQputCopyEnd(c_, nullptr) != 1) return CopyFailed(c_, t_.name, PgMessage(c_));
    Status status;
    std::int64_t rows = 0;
    while (PGresult* r = PQgetResult(c_)) {
      if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        const char* n = PQcmdTuples(r);
        rows = *n ? std::stoll(n) : 0;
      } else if (status.ok()) {
        status = CopyFailed(c_, t_.name, PgMessage(c_, r));
      }
      PQclear(r);
    }
    if (!status.ok()) return status;
    return rows;
  }

 private:
  static constexpr std::size_t kFlushBytes = 256 * 1024;
  PGconn* c_;
  const Table& t_;
  std::string buf_;
};

Result<std::int64_t> SqliteInt(sqlite::Connection& c, const std::string& sql) {
  OL_ASSIGN_OR_RETURN(sqlite::Statement st, c.Prepare(sql));
  OL_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row || st.IsNull(0)) return std::int64_t{0};
  return st.Int(0);
}

// Refuses a source that is not at the schema version this copy knows.
Status CheckSourceSchema(sqlite::Connection& src, const std::string& path) {
  OL_ASSIGN_OR_RETURN(std::int64_t has_table,
                      SqliteInt(src,
                                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name = 'schema_migrations'"));
  std::int64_t version = 0;
  if (has_table > 0) {
    OL_ASSIGN_OR_RETURN(version, SqliteInt(src, "SELECT max(version) FROM schema_migrations"));
  }
  const int newest = sqlite::SchemaMigrations().back().version;
  if (version == 0) {
    return Status::Invalid("'" + path + "' is not an offerledger database (no schema version)");
  }
  if (version < newest) {
    return Status::Invalid("the source '" + path + "' has schema version " +
                           std::to_string(version) + ", older than this offerledger's (" +
                           std::to_string(newest) + "): run `offerledger migrate --db sqlite:" +
                           path + "` first (migrate-data never writes to its source)");
  }
  if (version > newest) {
    return Status::Invalid("the source '" + path + "' has schema version " +
                           std::to_string(version) + ", newer than this offerledger knows (" +
                           std::to_string(newest) + "): upgrade offerledger");
  }
  return Status::Ok();
}

// Tables of the source that are deliberately not copied, and why.
bool NotCopied(std::string_view table) {
  return table == "schema_migrations" ||   // the target keeps its own schema history
         table == "sqlite_sequence" ||     // becomes the identities (AdvanceSeq)
         table == "rate_limit_processes";  // live processes' heartbeats, not ledger data
}

Status Outdated(const std::string& what) {
  return Status::Internal(what +
                          ": migrate-data does not know it (src/store/ledger_copy.cpp "
                          "needs updating for this schema)");
}

// Every table of the source is copied or deliberately left out.
Status CheckSourceTables(sqlite::Connection& src) {
  OL_ASSIGN_OR_RETURN(sqlite::Statement st,
                      src.Prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY "
                                  "name"));
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::Ok();
    const std::string name = st.Text(0);
    bool known = NotCopied(name);
    for (const Table& t : Tables()) known = known || t.name == name;
    if (!known) return Outdated("the source has a table '" + name + "'");
  }
}

// `have` (a table's columns in one database) are exactly the columns copied.
Status SameColumns(const Table& t, std::vector<std::string> have, const std::string& where) {
  std::vector<std::string> want;
  for (const Column& c : t.columns) want.emplace_back(c.name);
  std::sort(have.begin(), have.end());
  std::sort(want.begin(), want.end());
  if (have == want) return Status::Ok();
  std::string list;
  for (const std::string& c : have) list += (list.empty() ? "" : ", ") + c;
  return Outdated("table " + std::string(t.name) + " in the " + where + " has columns (" + list +
                  ")");
}

Status CheckColumns(sqlite::Connection& src, pg::Connection& dst) {
  for (const Table& t : Tables()) {
    std::vector<std::string> cols;
    OL_ASSIGN_OR_RETURN(sqlite::Statement st, src.Prepare("SELECT name FROM pragma_table_info('" +
                                                          std::string(t.name) + "')"));
    for (;;) {
      OL_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      cols.push_back(st.Text(0));
    }
    OL_RETURN_IF_ERROR(SameColumns(t, cols, "source"));
    OL_ASSIGN_OR_RETURN(pg::Rows r, dst.Query("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_schema = current_schema() AND "
                                              "table_name = $1",
                                              pg::Params().Add(t.name)));
    cols.clear();
    for (int i = 0; i < r.size(); ++i) cols.push_back(r.Text(i, 0));
    OL_RETURN_IF_ERROR(SameColumns(t, cols, "target"));
  }
  return Status::Ok();
}

// Refuses a target that holds any row: the copy keeps the source's keys and
// seqs, which would collide with (or interleave) what is there.
Status CheckTargetEmpty(pg::Connection& dst) {
  std::string held;
  for (const Table& t : Tables()) {
    OL_ASSIGN_OR_RETURN(pg::Rows r, dst.Query("SELECT count(*) FROM " + std::string(t.name)));
    const std::int64_t n = r.Int(0, 0);
    if (n == 0) continue;
    if (!held.empty()) held += ", ";
    held += std::to_string(n) + " " + std::string(t.name) + " row" + (n == 1 ? "" : "s");
  }
  if (held.empty()) return Status::Ok();
  return Status::Conflict("the target database is not empty (it holds " + held +
                          "): migrate-data copies into an empty database only; point --to at a "
                          "new database or schema");
}

class Copier {
 public:
  Copier(sqlite::Connection& src, pg::Connection& dst, const LedgerCopyOptions& o)
      : src_(src), dst_(dst), o_(o), start_(std::chrono::steady_clock::now()) {}

  Result<LedgerCopyReport> Run() {
    LedgerCopyReport report;
    for (const Table& t : Tables()) {
      OL_ASSIGN_OR_RETURN(std::int64_t n,
                          SqliteInt(src_, "SELECT count(*) FROM " + std::string(t.name)));
      report.counts.push_back({std::string(t.name), n, 0});
      progress_.rows_total += n;
      if (t.name == "events") progress_.events_total = n;
    }
    for (std::size_t i = 0; i < Tables().size(); ++i) {
      OL_RETURN_IF_ERROR(CopyTable(Tables()[i], report.counts[i].source));
    }
    OL_RETURN_IF_ERROR(AdvanceSeq("events"));
    OL_RETURN_IF_ERROR(AdvanceSeq("webhooks"));
    OL_RETURN_IF_ERROR(AdvanceSeq("admin_audit"));
    OL_RETURN_IF_ERROR(AdvanceSeq("emails"));
    for (TableCount& c : report.counts) {
      OL_ASSIGN_OR_RETURN(pg::Rows r, dst_.Query("SELECT count(*) FROM " + c.table));
      c.target = r.Int(0, 0);
    }
    report.rows = progress_.rows_done;
    report.seconds = Seconds();
    return report;
  }

 private:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  void Report() {
    if (!o_.progress) return;
    progress_.seconds = Seconds();
    o_.progress(progress_);
  }

  Status CopyTable(const Table& t, std::int64_t total) {
    progress_.table = std::string(t.name);
    progress_.table_done = 0;
    progress_.table_total = total;
    const bool events = t.name == "events";
    OL_ASSIGN_OR_RETURN(sqlite::Statement st,
                        src_.Prepare("SELECT " + ColumnList(t) + " FROM " + std::string(t.name) +
                                     " ORDER BY " + std::string(t.order_by)));
    // The source is read by one statement; the target gets a COPY per batch,
    // so each batch is confirmed (and reported) as it lands.
    bool more = true;
    while (more) {
      CopyIn copy(dst_.raw(), t);
      std::int64_t sent = 0;
      bool begun = false;
      while (sent < o_.batch_rows) {
        OL_ASSIGN_OR_RETURN(more, st.Step());
        if (!more) break;
        if (!begun) {
          OL_RETURN_IF_ERROR(copy.Begin());
          begun = true;
        }
        AppendRow(copy.buffer(), t, st);
        OL_RETURN_IF_ERROR(copy.Flush());
        ++sent;
      }
      if (!begun) break;
      OL_ASSIGN_OR_RETURN(std::int64_t stored, copy.End());
      if (stored != sent) {
        return Status::Internal("PostgreSQL stored " + std::to_string(stored) + " of " +
                                std::to_string(sent) + " " + std::string(t.name) + " rows");
      }
      progress_.table_done += stored;
      progress_.rows_done += stored;
      if (events) progress_.events_done += stored;
      Report();
    }
    if (progress_.table_done == 0) Report();  // an empty table is done too
    return Status::Ok();
  }

  // New rows of `table` (events, webhooks) on the target must follow the
  // copied ones: the identity continues after the source's largest seq ever
  // handed out (sqlite_sequence remembers it even past the last row).
  Status AdvanceSeq(const std::string& table) {
    OL_ASSIGN_OR_RETURN(std::int64_t max_seq,
                        SqliteInt(src_, "SELECT coalesce(max(seq), 0) FROM " + table));
    OL_ASSIGN_OR_RETURN(std::int64_t has_sequence,
                        SqliteInt(src_,
                                  "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                  "name = 'sqlite_sequence'"));
    if (has_sequence > 0) {
      OL_ASSIGN_OR_RETURN(std::int64_t handed_out,
                          SqliteInt(src_,
                                    "SELECT coalesce(max(seq), 0) FROM sqlite_sequence "
                                    "WHERE name = '" +
                                        table + "'"));
      max_seq = std::max(max_seq, handed_out);
    }
    if (max_seq == 0) return Status::Ok();
    return dst_
        .Query("SELECT setval(pg_get_serial_sequence($1, 'seq'), $2)",
               pg::Params().Add(table).Add(max_seq))
        .status();
  }

  sqlite::Connection& src_;
  pg::Connection& dst_;
  const LedgerCopyOptions& o_;
  const std::chrono::steady_clock::time_point start_;
  LedgerCopyProgress progress_;
};

// Runs the copy inside the target transaction that the caller opened.
Result<LedgerCopyReport> CopyInTransaction(sqlite::Connection& src, pg::Connection& dst,
                                           const LedgerCopyOptions& options) {
  // Writers (a server already pointed at the target, another migrate-data)
  // wait for the copy, or make it fail after lock_timeout, never interleave.
  std::string lock = "LOCK TABLE ";
  for (const Table& t : Tables()) {
    lock += std::string(t.name) + (&t == &Tables().back() ? "" : ", ");
  }
  OL_RETURN_IF_ERROR(dst.Exec("SET LOCAL lock_timeout = '30s'"));
  if (Status s = dst.Exec(lock + " IN SHARE ROW EXCLUSIVE MODE"); !s.ok()) {
    return Status::Unavailable(
        "cannot lock the target's tables (is a server or another migrate-data using it?): " +
        s.message());
  }
  OL_RETURN_IF_ERROR(CheckColumns(src, dst));
  OL_RETURN_IF_ERROR(CheckTargetEmpty(dst));
  Copier copier(src, dst, options);
  return copier.Run();
}

}  // namespace

const std::vector<std::string>& LedgerTables() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> out;
    for (const Table& t : Tables()) out.emplace_back(t.name);
    return out;
  }();
  return kNames;
}

Result<LedgerCopyReport> CopyLedgerToPostgres(const std::string& sqlite_path,
                                              const std::string& pg_url,
                                              const LedgerCopyOptions& options) {
  if (options.batch_rows < 1) return Status::Invalid("the batch size must be 1 or more");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(sqlite_path, ec)) {
    return Status::NotFound("no SQLite database at '" + sqlite_path + "'");
  }
  OL_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Connection> src,
                      sqlite::Connection::Open(sqlite_path, sqlite::Connection::Mode::kReadOnly,
                                               /*busy_timeout_ms=*/30'000));
  // One read transaction: every count and row below comes from one snapshot.
  OL_RETURN_IF_ERROR(src->Exec("BEGIN", "starting the read transaction"));
  OL_RETURN_IF_ERROR(CheckSourceSchema(*src, sqlite_path));
  OL_RETURN_IF_ERROR(CheckSourceTables(*src));

  OL_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> dst, pg::Connection::Open(pg_url));
  OL_RETURN_IF_ERROR(dst->Exec("SET client_encoding = 'UTF8'"));
  OL_RETURN_IF_ERROR(pg::ApplyMigrations(*dst).status());

  OL_RETURN_IF_ERROR(dst->Exec("BEGIN"));
  auto report = CopyInTransaction(*src, *dst, options);
  if (!report.ok() || !report->counts_match()) {
    (void)dst->Exec("ROLLBACK");
    (void)src->Exec("ROLLBACK");
    return report;
  }
  OL_RETURN_IF_ERROR(dst->Exec("COMMIT"));
  (void)src->Exec("ROLLBACK");  // nothing was written: just end the snapshot
  report->committed = true;
  return report;
}

}  // namespace offerledger
