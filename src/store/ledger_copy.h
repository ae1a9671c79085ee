// Copying a whole ledger from a SQLite database into an empty PostgreSQL one
// (`offerledger migrate-data`, docs/storage.md "Migrating a ledger from
// SQLite").
//
// Every table is copied row for row, column by column (SQLite INTEGER ->
// bigint, 0/1 -> boolean, TEXT -> text, NULL -> NULL), with COPY ... FROM
// STDIN in statements of `batch_rows` rows:
//   partners, api_keys, packages, events (seq kept: partners page the event
//   feed by it), idempotency, offer_state, rollups, arms.
// The derived tables (offer_state, rollups, arms) are copied, not rebuilt on
// the target: the copy then reports exactly what the source reported, with
// the price bands the source recorded (rebuilding would need the catalog's
// band edges, and PostgresStore has no replay code to rebuild them with);
// `offerledger report verify` checks them against the events afterwards.
//
// One transaction: the target's schema is migrated first, then one
// transaction locks its tables against writers, refuses a target that holds
// any row, copies, moves the events' identity past the copied seqs, compares
// every table's row count with the source's and commits only when all agree.
// A failure or a mismatch rolls everything back, so the target is either
// complete or still empty: nothing to resume, run it again. The source is
// only read, from one read transaction (a consistent snapshot even while a
// server writes to it), and must already be at the newest schema version.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"

namespace offerledger {

struct LedgerCopyProgress {
  std::string table;  // the table being copied
  std::int64_t table_done = 0;
  std::int64_t table_total = 0;
  std::int64_t events_done = 0;  // of the events table
  std::int64_t events_total = 0;
  std::int64_t rows_done = 0;  // every table so far
  std::int64_t rows_total = 0;
  double seconds = 0;  // since the copy started
};

struct LedgerCopyOptions {
  std::int64_t batch_rows = 10'000;  // rows per COPY statement (and progress call)
  // Called after every batch and at the end of each table (on the copying thread).
  std::function<void(const LedgerCopyProgress&)> progress;
};

struct TableCount {
  std::string table;
  std::int64_t source = 0;
  std::int64_t target = 0;
};

struct LedgerCopyReport {
  std::vector<TableCount> counts;  // every copied table, in copy order
  bool committed = false;          // false: a count differed, nothing was kept
  std::int64_t rows = 0;           // rows copied
  double seconds = 0;
  bool counts_match() const {
    for (const TableCount& c : counts) {
      if (c.source != c.target) return false;
    }
    return true;
  }
};

// The tables a copy covers, in copy order.
const std::vector<std::string>& LedgerTables();

// Copies the ledger in the SQLite file `sqlite_path` into the PostgreSQL
// database `pg_url` (see above). Errors: kNotFound when the source file does
// not exist, kInvalid when its schema is not the newest (run `offerledger
// migrate` on it first) or the batch size is below 1, kConflict when the
// target already holds rows (naming the tables), kUnavailable when a
// database cannot be reached. A count mismatch is not an error: the report
// says which table and committed is false.
Result<LedgerCopyReport> CopyLedgerToPostgres(const std::string& sqlite_path,
                                              const std::string& pg_url,
                                              const LedgerCopyOptions& options = {});

}  // namespace offerledger
