// Thin RAII layer over the SQLite3 C API: a Connection that caches its
// prepared statements, and a Statement handle that binds, steps, reads
// columns and resets itself (ending any implicit read transaction) when it
// goes out of scope. Errors become Status values that name the database path
// and carry SQLite's message; bound values never appear in them (they may be
// secrets).
//
// A Connection is not thread-safe (it is opened with SQLITE_OPEN_NOMUTEX): one
// thread at a time uses it, which the store guarantees (one writer thread; a
// pool that lends each reader connection to one caller at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"
#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace offerledger::sqlite {

// Maps an SQLite result code to a Status: busy/locked/full/I/O/can't-open/
// read-only/no-memory are kUnavailable (the write cannot be made durable now),
// constraint violations kConflict, anything else kInternal.
Status ErrorStatus(int rc, std::string_view sqlite_message, std::string_view path,
                   std::string_view what);

class Connection;

class Statement {
 public:
  // `in_use` is the cache's busy flag for a cached statement (cleared when
  // this handle dies); nullptr for a one-off statement this handle finalizes.
  Statement(Connection* conn, sqlite3_stmt* stmt, bool* in_use)
      : conn_(conn), stmt_(stmt), in_use_(in_use) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();  // resets and clears bindings (a cached statement stays cached)

  // Parameters are 1-based, as in SQLite. A failed bind is reported by the
  // next Step()/Run().
  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<std::int64_t>(value)); }
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::optional<std::int64_t>& value);
  Statement& BindNull(int index);

  // true: a row is ready to read; false: the statement is done. `what`
  // names the step in an error ("committing").
  Result<bool> Step(std::string_view what = "executing a statement");
  // Steps to completion; rows, if any, are ignored.
  Status Run(std::string_view what = "executing a statement");

  bool IsNull(int column) const;
  std::int64_t Int(int column) const;
  std::optional<std::int64_t> OptInt(int column) const;
  std::string Text(int column) const;

 private:
  Connection* conn_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
  int bind_rc_ = 0;  // first failed bind, SQLITE_OK if none
};

class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens (and for kReadWrite creates) the database file. Sets the busy
  // timeout, extended result codes and, for kReadWrite, refuses a file that
  // SQLite could only open read-only.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, Mode mode,
                                                  int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more SQL statements that return no rows (DDL, BEGIN, ...).
  Status Exec(std::string_view sql, std::string_view what = {});
  // Runs a statement that returns one row with one text column (PRAGMAs).
  Result<std::string> QueryText(std::string_view sql);

  // PRAGMA journal_mode=WAL; returns the mode now in force ("wal" unless the
  // file cannot use it). When another process opens or migrates the same new
  // file at the same moment, SQLite can answer the mode change with
  // SQLITE_BUSY at once, without waiting in its busy handler; this retries
  // for up to `timeout_ms` itself.
  Result<std::string> EnableWal(int timeout_ms);
  // A cached prepared statement for `sql`, ready to bind. If the cached one is
  // still in use by a live handle, a one-off statement is prepared instead.
  Result<Statement> Prepare(std::string_view sql);

  // The Status for a failed call that returned `rc` on this connection.
  Status Error(int rc, std::string_view what) const;

  // From now on, storage failures (kUnavailable) of this connection are
  // reported in words a partner may read, without the database path, and
  // their details go to stderr (read_failure.h). For the store's readers,
  // whose errors reach HTTP responses.
  void ReportFailuresToPartners() { partner_facing_ = true; }

  std::int64_t Changes() const;
  bool InTransaction() const;  // false in autocommit mode
  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  Status Report(Status st) const;

  sqlite3* db_;
  std::string path_;
  bool partner_facing_ = false;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace offerledger::sqlite
