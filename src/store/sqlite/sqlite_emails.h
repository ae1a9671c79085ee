// The email outbox on SQLite (schema: sqlite_schema.cpp, version 7 "emails"):
// the outbox rules of sqlite_outbox.h on the emails table, with its rows read
// as Email. Writes run on the store's writer connection inside its
// transaction; AnyEmailDue and ReadEmails on a reader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace offerledger::sqlite {

Status InsertEmail(Connection& c, const Email& e);
// Whether ClaimDueEmails would find anything (a read: idle polls write nothing).
Result<bool> AnyEmailDue(Connection& c, Micros now);
Result<std::vector<ClaimedEmail>> ClaimDueEmails(Connection& c, Micros now, Micros lease, int limit,
                                                 const std::string& claim);
Status FinishEmail(Connection& c, const EmailOutcome& outcome);
Result<std::vector<Email>> ReadEmails(Connection& c, const EmailFilter& filter);
Result<std::int64_t> RetryEmails(Connection& c, std::string_view id,
                                 const std::optional<std::string>& partner, Micros now);

}  // namespace offerledger::sqlite
