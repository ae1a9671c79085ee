// The outbox tables on SQLite (store/outbox_table.h): what claiming, leasing,
// finishing, listing and retrying do to the rows of any of them. Writes run
// on the store's writer connection inside its transaction (BEGIN IMMEDIATE:
// nothing else writes in between); AnyOutboxRowDue and ListOutboxRows on a
// reader. sqlite_emails.h and sqlite_webhooks.h keep what is each kind's own:
// its row type and payload columns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "store/outbox_table.h"
#include "store/sqlite/sqlite_db.h"

namespace offerledger::sqlite {

// Reads one row of `table.columns` (ReadEmail, ReadWebhook).
template <typename Row>
using OutboxRowReader = Result<Row> (*)(const Statement& st);

// Whether ClaimDueOutboxRows would find anything: a read, so an idle
// sender's polls cost no write transaction.
Result<bool> AnyOutboxRowDue(Connection& c, const OutboxTable& table, Micros now);

// The pending rows due at `now` whose lease (if any) ran out, earliest due
// first (then oldest written), at most `limit`: their SELECT, bound.
Result<Statement> SelectDueOutboxRows(Connection& c, const OutboxTable& table, Micros now,
                                      int limit);
// Leases row `id` to `claim` until `lease_until`.
Status LeaseOutboxRow(Connection& c, const OutboxTable& table, std::string_view id,
                      Micros lease_until, std::string_view claim);
// Every row a list of `filter` shows, newest first: its SELECT, bound.
Result<Statement> SelectListedOutboxRows(Connection& c, const OutboxTable& table,
                                         const OutboxFilter& filter);

// The rows `st` steps through, as `read` reads them.
template <typename Row>
Result<std::vector<Row>> ReadOutboxRows(Statement& st, OutboxRowReader<Row> read) {
  std::vector<Row> out;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    OL_ASSIGN_OR_RETURN(Row row, read(st));
    out.push_back(std::move(row));
  }
  return out;
}

// Claims the due rows (SelectDueOutboxRows), leasing each to `claim` until
// `lease_until`, and returns them in that order.
template <typename Row>
Result<std::vector<Row>> ClaimDueOutboxRows(Connection& c, const OutboxTable& table,
                                            OutboxRowReader<Row> read, Micros now,
                                            Micros lease_until, int limit, std::string_view claim) {
  std::vector<Row> rows;
  {
    // Scoped: the SELECT is reset before the UPDATEs below run.
    OL_ASSIGN_OR_RETURN(Statement st, SelectDueOutboxRows(c, table, now, limit));
    OL_ASSIGN_OR_RETURN(rows, ReadOutboxRows(st, read));
  }
  for (const Row& row : rows) {
    OL_RETURN_IF_ERROR(LeaseOutboxRow(c, table, row.id, lease_until, claim));
  }
  return rows;
}

// Records an attempt's outcome, if row `outcome.id` is still pending and
// held by `outcome.claim`; table.LostClaim otherwise.
Status FinishOutboxRow(Connection& c, const OutboxTable& table, const OutboxOutcome& outcome);

template <typename Row>
Result<std::vector<Row>> ListOutboxRows(Connection& c, const OutboxTable& table,
                                        OutboxRowReader<Row> read, const OutboxFilter& filter) {
  OL_ASSIGN_OR_RETURN(Statement st, SelectListedOutboxRows(c, table, filter));
  return ReadOutboxRows(st, read);
}

// Makes rows pending again, due at `now`, with no attempts and no lease: row
// `id` if `table.check_retry` allows its status (table.NoSuchRow if there is
// none, or it is not `partner`'s when one is given), or with `id` empty
// every dead row (of `partner` if given). Returns how many.
Result<std::int64_t> RetryOutboxRows(Connection& c, const OutboxTable& table, std::string_view id,
                                     const std::optional<std::string>& partner, Micros now);

}  // namespace offerledger::sqlite
