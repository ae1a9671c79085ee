// A thin RAII layer over libpq for PostgresStore: one connection, its
// prepared statements (named per connection, prepared on first use), query
// results, and PostgreSQL errors mapped to Status.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace offerledger::pg {

// Text-format query parameters ($1, $2, ...); nullopt is SQL NULL.
class Params {
 public:
  Params& Add(std::int64_t v) {
    values_.emplace_back(std::to_string(v));
    return *this;
  }
  Params& Add(int v) { return Add(static_cast<std::int64_t>(v)); }
  Params& Add(std::string_view v) {
    values_.emplace_back(std::string(v));
    return *this;
  }
  Params& Add(const std::string& v) { return Add(std::string_view(v)); }
  Params& Add(const char* v) { return Add(std::string_view(v)); }
  Params& Add(const std::optional<std::int64_t>& v) {
    if (v) return Add(*v);
    values_.emplace_back(std::nullopt);
    return *this;
  }
  Params& Null() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  // NULL when absent: the queries switch a filter off with `$n IS NULL`.
  Params& Add(const std::optional<std::string>& v) {
    return v ? Add(std::string_view(*v)) : Null();
  }
  Params& Add(const std::optional<std::string_view>& v) { return v ? Add(*v) : Null(); }
  // A LIMIT: NULL, no limit, when `n` is 0 or less.
  Params& AddLimit(std::int64_t n) { return n > 0 ? Add(n) : Null(); }
  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> Pointers() const {
    std::vector<const char*> out;
    for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
    return out;
  }

 private:
  std::vector<std::optional<std::string>> values_;
};

// The rows of one query.
class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* r) : r_(r, &PQclear) {}
  int size() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string Text(int row, int col) const { return PQgetvalue(r_.get(), row, col); }
  std::int64_t Int(int row, int col) const {
    if (IsNull(row, col)) return 0;
    return std::stoll(PQgetvalue(r_.get(), row, col));
  }
  std::optional<std::int64_t> OptInt(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Int(row, col);
  }
  // Rows changed by an INSERT/UPDATE/DELETE.
  std::int64_t Affected() const {
    const char* n = r_ ? PQcmdTuples(r_.get()) : "";
    return *n ? std::stoll(n) : 0;
  }

 private:
  std::shared_ptr<PGresult> r_;
};

class Connection {
 public:
  // Connects to `url` (a libpq connection URI or keyword string; the usual
  // PG* environment variables fill in what it leaves out).
  static Result<std::unique_ptr<Connection>> Open(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with parameters, prepared on first use on this connection.
  Result<Rows> Query(const std::string& sql, const Params& params = {});
  // Statements without parameters (may be several, separated by ';').
  Status Exec(const std::string& sql);

  bool Broken() const;  // the connection is lost
  // The session refused a write as read-only (SQLSTATE 25006): the pool drops
  // it, so that the next write runs in a new session, which sees the database
  // writable again once it is (default_transaction_read_only is read at
  // session start).
  bool read_only() const { return read_only_; }
  void set_read_only() { read_only_ = true; }
  // Whether the connection still works as far as can be told without a
  // round trip: reads, without blocking, whatever the server sent while it
  // sat idle. A server that stopped or restarted has sent an error and
  // closed the socket; libpq only notices (and Broken() turns true) once it
  // reads that.
  bool Alive();
  // Whether the last error is worth retrying the whole transaction for:
  // serialization_failure, deadlock_detected or a lost connection.
  bool last_error_transient() const { return transient_; }
  bool InTransaction() const;
  // The libpq handle, for what this class does not wrap (COPY in ledger_copy.cpp).
  PGconn* raw() { return c_; }

 private:
  explicit Connection(PGconn* c) : c_(c) {}
  Status Error(PGresult* r, std::string_view sql);

  PGconn* c_;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
  bool transient_ = false;
  bool read_only_ = false;
};

// The URL with any password replaced by "***" (for error messages).
std::string RedactUrl(const std::string& url);

// What a partner reads in a 503. The API passes store errors on, so these
// name no host, port, user or database; they say whether to retry. The
// details go to stderr (NoteUnavailable).
inline constexpr std::string_view kUnavailableMessage =
    "The database is unavailable: the request was not applied. Retry it shortly.";
// A read-only database (default_transaction_read_only, a standby after a
// failover; SQLSTATE 25006): the transaction failed before it changed anything.
inline constexpr std::string_view kReadOnlyMessage =
    "The ledger cannot store this request right now (database read-only): nothing was "
    "recorded. Retry later.";
inline constexpr std::string_view kOutcomeUnknownMessage =
    "The connection to the database was lost while the change was being committed: it may or "
    "may not have been applied. Retry the request; an opt-out, or a request with the same "
    "x-idempotency-key, is never applied twice.";

// Says on stderr, once per outage, why the database is unavailable (the
// first report after it was last reachable), and when it is reachable again.
void NoteUnavailable(std::string_view detail);
void NoteAvailable();

}  // namespace offerledger::pg
