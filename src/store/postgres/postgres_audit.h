// The admin audit log on PostgreSQL (see sqlite_audit.h for the model).
#pragma once

#include <vector>

#include "store/postgres/pg_conn.h"
#include "store/store.h"

namespace offerledger::pg {

// Writes `audit` if not null, inside the caller's transaction.
Status InsertAudit(Connection& c, const AuditEntry* audit);
Result<std::vector<AuditEntry>> ReadAudit(Connection& c, const AuditFilter& filter);

}  // namespace offerledger::pg
