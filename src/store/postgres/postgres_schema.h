// PostgreSQL schema migrations (see postgres_schema.cpp and docs/storage.md).
#pragma once

#include <vector>

#include "common/result.h"
#include "store/postgres/pg_conn.h"

namespace offerledger::pg {

int NewestSchemaVersion();
// Applies the pending migrations in one transaction under
// pg_advisory_xact_lock (safe when several processes start at once);
// returns the versions applied.
Result<std::vector<int>> ApplyMigrations(Connection& c);

}  // namespace offerledger::pg
