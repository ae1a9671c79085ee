#include "store/sqlite/sqlite_db.h"

#include "store/sqlite/read_failure.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <system_error>
#include <thread>
#include <utility>

namespace offerledger::sqlite {

namespace {

// Why a database file could not be opened, when the file system can tell.
std::string OpenHint(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p(path);
  fs::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::exists(dir, ec)) return " (directory '" + dir.string() + "' does not exist)";
  if (!fs::is_directory(dir, ec)) return " ('" + dir.string() + "' is not a directory)";
  if (fs::is_directory(p, ec)) return " ('" + path + "' is a directory)";
  return {};
}

}  // namespace

Status ErrorStatus(int rc, std::string_view sqlite_message, std::string_view path,
                   std::string_view what) {
  std::string msg;
  if (!what.empty()) {
    msg += what;
    msg += ": ";
  }
  msg += "SQLite database '";
  msg += path;
  msg += "': ";
  msg += sqlite_message;
  const char* code_text = sqlite3_errstr(rc);
  if (code_text != nullptr && sqlite_message != code_text) {
    msg += " (";
    msg += code_text;
    msg += ")";
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
      return Status::Unavailable(std::move(msg));
    case SQLITE_CONSTRAINT:
      return Status::Conflict(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

// ---------------------------------------------------------------- Statement

Statement::Statement(Statement&& other) noexcept
    : conn_(other.conn_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

Statement& Statement::Bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  int rc;
  if (value.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    rc = SQLITE_TOOBIG;
  } else {
    // SQLITE_TRANSIENT: SQLite copies the bytes, so callers may pass temporaries.
    rc = sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                           SQLITE_TRANSIENT);
  }
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Statement& Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::Step(std::string_view what) {
  if (bind_rc_ != SQLITE_OK) {
    return ErrorStatus(bind_rc_, sqlite3_errstr(bind_rc_), conn_->path(), "binding a parameter");
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->Error(rc, what);
}

Status Statement::Run(std::string_view what) {
  for (;;) {
    auto row = Step(what);
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::optional<std::int64_t> Statement::OptInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  int n = sqlite3_column_bytes(stmt_, column);
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

// --------------------------------------------------------------- Connection

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, Mode mode,
                                                     int busy_timeout_ms) {
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= mode == Mode::kReadWrite ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
                                    : SQLITE_OPEN_READONLY;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return ErrorStatus(rc, message + OpenHint(path), path, "cannot open");
  }
  std::unique_ptr<Connection> conn(new Connection(db, path));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  if (mode == Mode::kReadWrite && sqlite3_db_readonly(db, "main") == 1) {
    return Status::Unavailable("cannot open SQLite database '" + path +
                               "' for writing: the file (or its directory) is read-only");
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

Status Connection::Exec(std::string_view sql, std::string_view what) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string message = err != nullptr ? err : sqlite3_errmsg(db_);
  sqlite3_free(err);
  return Report(
      ErrorStatus(rc, message, path_, what.empty() ? std::string_view("executing SQL") : what));
}

Result<std::string> Connection::QueryText(std::string_view sql) {
  auto st = Prepare(sql);
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("query returned no row: " + std::string(sql));
  return st->Text(0);
}

Result<std::string> Connection::EnableWal(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto mode = QueryText("PRAGMA journal_mode=WAL");
    const int rc = sqlite3_extended_errcode(db_) & 0xff;
    if (mode.ok() || (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() >= deadline) {
      return mode;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end() && !it->second.in_use) {
    it->second.in_use = true;
    return Statement(this, it->second.stmt, &it->second.in_use);
  }
  const bool cache = it == cache_.end();
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                              cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "preparing a statement");
  if (stmt == nullptr) return Status::Internal("empty SQL statement");
  if (!cache) return Statement(this, stmt, nullptr);
  // unordered_map never moves its nodes, so &in_use stays valid.
  Cached& entry = cache_.emplace(std::move(key), Cached{stmt, true}).first->second;
  return Statement(this, stmt, &entry.in_use);
}

Status Connection::Error(int rc, std::string_view what) const {
  return Report(ErrorStatus(rc, sqlite3_errmsg(db_), path_, what));
}

Status Connection::Report(Status st) const {
  if (!partner_facing_) return st;
  return ReadFailureStatus(db_, st);
}

std::int64_t Connection::Changes() const { return sqlite3_changes64(db_); }

bool Connection::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace offerledger::sqlite
