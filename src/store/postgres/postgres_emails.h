// The email outbox on PostgreSQL (schema: postgres_schema.cpp, version 7):
// the outbox rules of postgres_outbox.h on the emails table, with its rows
// read as Email. Claims take the rows FOR UPDATE SKIP LOCKED, so processes
// sharing the database never send one email at the same time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/pg_conn.h"
#include "store/store.h"

namespace offerledger::pg {

Status InsertEmail(Connection& c, const Email& e);
Result<std::vector<ClaimedEmail>> ClaimDueEmails(Connection& c, Micros now, Micros lease, int limit,
                                                 const std::string& claim);
Status FinishEmail(Connection& c, const EmailOutcome& outcome);
Result<std::vector<Email>> ReadEmails(Connection& c, const EmailFilter& filter);
Result<std::int64_t> RetryEmails(Connection& c, std::string_view id,
                                 const std::optional<std::string>& partner, Micros now);

}  // namespace offerledger::pg
