#include "store/postgres/postgres_outbox.h"

namespace offerledger::pg {

Result<Rows> LeaseDueOutboxRows(Connection& c, const OutboxTable& table, Micros now, int limit,
                                Micros lease_until, std::string_view claim) {
  const std::string name(table.name);
  // SKIP LOCKED: rows another process is claiming right now are left to it.
  // (RETURNING names the columns bare: `due` has none of them but seq.)
  return c.Query("WITH due AS (SELECT seq FROM " + name +
                     " WHERE status = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1 "
                     "ORDER BY next_attempt_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED) "
                     "UPDATE " +
                     name + " SET lease_until = $3, claim = $4 FROM due WHERE " + name +
                     ".seq = due.seq RETURNING " + std::string(table.columns) + ", " + name +
                     ".seq",
                 Params().Add(now).Add(limit).Add(lease_until).Add(claim));
}

int OutboxSeqColumn(const OutboxTable& table) {
  return static_cast<int>(std::count(table.columns.begin(), table.columns.end(), ',')) + 1;
}

Result<Rows> SelectListedOutboxRows(Connection& c, const OutboxTable& table,
                                    const OutboxFilter& filter) {
  // NULL parameters switch a filter off, so there is one statement to prepare.
  Params p;
  p.Add(filter.partner).Add(filter.status).AddLimit(filter.limit);
  return c.Query("SELECT " + std::string(table.columns) + " FROM " + std::string(table.name) +
                     " WHERE ($1::text IS NULL OR partner = $1) AND ($2::text IS NULL OR "
                     "status = $2) ORDER BY seq DESC LIMIT $3",
                 p);
}

Status FinishOutboxRow(Connection& c, const OutboxTable& table, const OutboxOutcome& o) {
  OL_ASSIGN_OR_RETURN(Rows r, c.Query("UPDATE " + std::string(table.name) +
                                          " SET status = $3, attempts = $4, next_attempt_at = $5, "
                                          "last_error = $6, delivered_at = $7, lease_until = 0, "
                                          "claim = '' WHERE id = $1 AND claim = $2 AND status = "
                                          "'pending'",
                                      Params()
                                          .Add(o.id)
                                          .Add(o.claim)
                                          .Add(o.status)
                                          .Add(o.attempts)
                                          .Add(o.next_attempt_at)
                                          .Add(o.last_error)
                                          .Add(o.delivered_at)));
  if (r.Affected() == 0) {
    return table.LostClaim(o.id);
  }
  return Status::Ok();
}

Result<std::int64_t> RetryOutboxRows(Connection& c, const OutboxTable& table, std::string_view id,
                                     const std::optional<std::string>& partner, Micros now) {
  const std::string name(table.name);
  if (!id.empty()) {
    OL_ASSIGN_OR_RETURN(Rows r,
                        c.Query("SELECT status, partner FROM " + name + " WHERE id = $1 FOR UPDATE",
                                Params().Add(id)));
    if (r.size() == 0 || (partner && r.Text(0, 1) != *partner)) {
      return table.NoSuchRow(id);
    }
    OL_RETURN_IF_ERROR(table.check_retry(id, r.Text(0, 0)));
    // FOR UPDATE: the row stays as just read until this transaction ends.
    OL_ASSIGN_OR_RETURN(Rows u, c.Query("UPDATE " + name +
                                            " SET status = 'pending', attempts = 0, "
                                            "next_attempt_at = $1, lease_until = 0, claim = '' "
                                            "WHERE id = $2",
                                        Params().Add(now).Add(id)));
    return u.Affected();
  }
  Params p;
  p.Add(now).Add(partner);
  OL_ASSIGN_OR_RETURN(Rows r, c.Query("UPDATE " + name +
                                          " SET status = 'pending', attempts = 0, next_attempt_at "
                                          "= $1, lease_until = 0, claim = '' WHERE status = "
                                          "'dead' AND ($2::text IS NULL OR partner = $2)",
                                      p));
  return r.Affected();
}

}  // namespace offerledger::pg
