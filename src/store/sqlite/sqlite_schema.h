// The SQLite schema as an ordered list of migrations. Each is applied once;
// `schema_migrations(version, applied_at)` records which ones a database has.
// Changing the schema later means appending a new Migration to the list in
// sqlite_schema.cpp — never editing one that has shipped. See docs/storage.md.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "store/sqlite/sqlite_db.h"

namespace offerledger::sqlite {

struct Migration {
  int version;                   // 1, 2, 3, ... strictly increasing
  std::string_view description;  // one line, for humans
  std::string_view sql;          // one or more statements
  // Optional: run after `sql`, in the same transaction (data that SQL alone
  // cannot derive, e.g. roll-ups replayed from the events).
  Status (*then)(Connection& conn) = nullptr;
};

// offerledger's schema, oldest migration first.
std::span<const Migration> SchemaMigrations();

// Applies, in one BEGIN IMMEDIATE transaction, every migration of `migrations`
// that `conn`'s database does not have yet (creating schema_migrations if
// needed), and records each with `now`. Returns the versions it applied
// (empty when the database was up to date). Refuses a database that has a
// version newer than the newest in `migrations` (written by a newer
// offerledger), and a list whose versions do not strictly increase.
Result<std::vector<int>> ApplyMigrations(Connection& conn, std::span<const Migration> migrations,
                                         Micros now);

}  // namespace offerledger::sqlite
