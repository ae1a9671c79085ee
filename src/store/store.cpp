#include "store/store.h"

#include <regex>

#include "common/status_macros.h"
#include "common/time.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_schema.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_schema.h"
#include "store/sqlite/sqlite_store.h"

namespace offerledger {

namespace {

constexpr std::string_view kSqlite = "sqlite:";

bool IsPostgresUrl(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

// The version a migration call started from. Both backends' versions are
// 1, 2, 3, ... without gaps and are applied in order, so when some were
// applied the database stood just below the first of them; otherwise it
// stands where it was.
int VersionBefore(const std::vector<int>& applied, int after) {
  return applied.empty() ? after : applied.front() - 1;
}

Result<SchemaMigrationResult> MigrateSqlite(const std::string& path) {
  if (path == ":memory:" || path.rfind("file:", 0) == 0) {
    return Status::Invalid("the SQLite store needs a file path (WAL mode), not '" + path + "'");
  }
  OL_ASSIGN_OR_RETURN(
      std::unique_ptr<sqlite::Connection> conn,
      sqlite::Connection::Open(path, sqlite::Connection::Mode::kReadWrite, /*busy_timeout_ms=*/
                               30'000));
  // The same file settings SqliteStore::OpenSqlite makes, so a database
  // created here is what the store would have created.
  OL_ASSIGN_OR_RETURN(std::string mode, conn->EnableWal(30'000));
  if (mode != "wal") {
    return Status::Unavailable("cannot use WAL mode on SQLite database '" + path +
                               "' (journal_mode is '" + mode + "')");
  }
  OL_RETURN_IF_ERROR(conn->Exec("PRAGMA synchronous=FULL", "configuring the connection"));
  SchemaMigrationResult out;
  OL_ASSIGN_OR_RETURN(out.applied,
                      sqlite::ApplyMigrations(*conn, sqlite::SchemaMigrations(), NowMicros()));
  OL_ASSIGN_OR_RETURN(std::string after,
                      conn->QueryText("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  out.after = std::stoi(after);
  out.before = VersionBefore(out.applied, out.after);
  return out;
}

Result<SchemaMigrationResult> MigratePostgres(const std::string& url) {
  OL_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> c, pg::Connection::Open(url));
  SchemaMigrationResult out;
  OL_ASSIGN_OR_RETURN(out.applied, pg::ApplyMigrations(*c));
  OL_ASSIGN_OR_RETURN(pg::Rows rows,
                      c->Query("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  out.after = static_cast<int>(rows.Int(0, 0));
  out.before = VersionBefore(out.applied, out.after);
  return out;
}

}  // namespace

Result<StoreBackend> BackendOf(const std::string& url) {
  if (url.rfind(kSqlite, 0) == 0) return StoreBackend::kSqlite;
  if (IsPostgresUrl(url)) return StoreBackend::kPostgres;
  return Status::Invalid("unsupported database URL '" + RedactDbUrl(url) +
                         "': use sqlite:PATH (for example sqlite:./offerledger.db) or "
                         "postgresql://user:pass@host:port/dbname");
}

Result<std::string> SqlitePathOf(const std::string& url) {
  if (url.rfind(kSqlite, 0) != 0) {
    return Status::Invalid("not a SQLite URL: '" + RedactDbUrl(url) + "' (want sqlite:PATH)");
  }
  std::string path = url.substr(kSqlite.size());
  if (path.rfind("//", 0) == 0) path.erase(0, 2);  // sqlite://PATH
  if (path.empty()) return Status::Invalid("sqlite URL needs a path: sqlite:PATH");
  return path;
}

std::string RedactDbUrl(const std::string& url) {
  // scheme://user:password@host... -> scheme://user:***@host...
  static const std::regex kUserinfo(R"(^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*):[^@]*@)");
  std::string out = std::regex_replace(url, kUserinfo, "$1:***@");
  // ?password=... (URI parameter) and password=... (libpq keyword string)
  static const std::regex kPasswordParam(R"((password\s*=\s*)('[^']*'|[^&\s]*))",
                                         std::regex::icase);
  return std::regex_replace(out, kPasswordParam, "$1***");
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& url) {
  return OpenStore(url, StoreOpenOptions{});
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOpenOptions& options) {
  OL_ASSIGN_OR_RETURN(StoreBackend backend, BackendOf(url));
  if (backend == StoreBackend::kSqlite) {
    OL_ASSIGN_OR_RETURN(std::string path, SqlitePathOf(url));
    return SqliteStore::Open(path);
  }
  PostgresStore::Options pg_options;
  if (options.pg_pool_size > 0) pg_options.pool_size = options.pg_pool_size;
  OL_ASSIGN_OR_RETURN(std::unique_ptr<PostgresStore> store,
                      PostgresStore::OpenPostgres(url, pg_options));
  return std::unique_ptr<Store>(std::move(store));
}

Result<SchemaMigrationResult> MigrateStore(const std::string& url) {
  OL_ASSIGN_OR_RETURN(StoreBackend backend, BackendOf(url));
  if (backend == StoreBackend::kSqlite) {
    OL_ASSIGN_OR_RETURN(std::string path, SqlitePathOf(url));
    return MigrateSqlite(path);
  }
  return MigratePostgres(url);
}

}  // namespace offerledger
