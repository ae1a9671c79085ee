// The admin audit log on SQLite (schema: sqlite_schema.cpp, "admin_audit").
// InsertAudit runs on the store's writer connection inside the transaction
// of the change it records; ReadAudit on a reader.
#pragma once

#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace offerledger::sqlite {

// Writes `audit` if not null (the admin write methods take it optionally).
Status InsertAudit(Connection& c, const AuditEntry* audit);
Result<std::vector<AuditEntry>> ReadAudit(Connection& c, const AuditFilter& filter);

}  // namespace offerledger::sqlite
