// The outbox tables on PostgreSQL (store/outbox_table.h; see
// sqlite/sqlite_outbox.h for the model). Claims take the due rows with FOR
// UPDATE SKIP LOCKED and lease them, so several server processes sharing the
// database never send one row at the same time, and none waits for
// another's claim. postgres_emails.h and postgres_webhooks.h keep what is
// each kind's own: its row type and payload columns.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "store/outbox_table.h"
#include "store/postgres/pg_conn.h"

namespace offerledger::pg {

// Reads row `i` of `table.columns` (ReadEmail, ReadWebhook).
template <typename Row>
using OutboxRowReader = Result<Row> (*)(const Rows& r, int i);

// Leases the pending rows due at `now` whose lease (if any) ran out, earliest
// due first (then oldest written), at most `limit`, to `claim` until
// `lease_until`, skipping rows another transaction holds. Returns them as
// `table.columns` and then their seq, in no particular order.
Result<Rows> LeaseDueOutboxRows(Connection& c, const OutboxTable& table, Micros now, int limit,
                                Micros lease_until, std::string_view claim);
// Where LeaseDueOutboxRows returns a row's seq: after `table.columns`.
int OutboxSeqColumn(const OutboxTable& table);
// Every row a list of `filter` shows, newest first, as `table.columns`.
Result<Rows> SelectListedOutboxRows(Connection& c, const OutboxTable& table,
                                    const OutboxFilter& filter);

// Claims the due rows (LeaseDueOutboxRows) and returns them in the order
// they were due in.
template <typename Row>
Result<std::vector<Row>> ClaimDueOutboxRows(Connection& c, const OutboxTable& table,
                                            OutboxRowReader<Row> read, Micros now,
                                            Micros lease_until, int limit, std::string_view claim) {
  OL_ASSIGN_OR_RETURN(Rows r, LeaseDueOutboxRows(c, table, now, limit, lease_until, claim));
  const int seq_column = OutboxSeqColumn(table);
  std::vector<std::pair<std::int64_t, Row>> rows;
  for (int i = 0; i < r.size(); ++i) {
    OL_ASSIGN_OR_RETURN(Row row, read(r, i));
    rows.emplace_back(r.Int(i, seq_column), std::move(row));
  }
  // RETURNING has no order: oldest first, as SQLite hands them out.
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.second.next_attempt_at != b.second.next_attempt_at) {
      return a.second.next_attempt_at < b.second.next_attempt_at;
    }
    return a.first < b.first;
  });
  std::vector<Row> out;
  out.reserve(rows.size());
  for (auto& [seq, row] : rows) out.push_back(std::move(row));
  return out;
}

// Records an attempt's outcome, if row `outcome.id` is still pending and
// held by `outcome.claim`; table.LostClaim otherwise.
Status FinishOutboxRow(Connection& c, const OutboxTable& table, const OutboxOutcome& outcome);

template <typename Row>
Result<std::vector<Row>> ListOutboxRows(Connection& c, const OutboxTable& table,
                                        OutboxRowReader<Row> read, const OutboxFilter& filter) {
  OL_ASSIGN_OR_RETURN(Rows r, SelectListedOutboxRows(c, table, filter));
  std::vector<Row> out;
  for (int i = 0; i < r.size(); ++i) {
    OL_ASSIGN_OR_RETURN(Row row, read(r, i));
    out.push_back(std::move(row));
  }
  return out;
}

// Makes rows pending again, due at `now`, with no attempts and no lease: row
// `id` if `table.check_retry` allows its status (table.NoSuchRow if there is
// none, or it is not `partner`'s when one is given), or with `id` empty
// every dead row (of `partner` if given). Returns how many.
Result<std::int64_t> RetryOutboxRows(Connection& c, const OutboxTable& table, std::string_view id,
                                     const std::optional<std::string>& partner, Micros now);

}  // namespace offerledger::pg
