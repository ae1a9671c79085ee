#include "store/sqlite/sqlite_outbox.h"

namespace offerledger::sqlite {

Result<bool> AnyOutboxRowDue(Connection& c, const OutboxTable& table, Micros now) {
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT 1 FROM " + std::string(table.name) +
                                              " WHERE status = 'pending' AND next_attempt_at <= "
                                              "?1 AND lease_until <= ?1 LIMIT 1"));
  st.Bind(1, now);
  return st.Step();
}

Result<Statement> SelectDueOutboxRows(Connection& c, const OutboxTable& table, Micros now,
                                      int limit) {
  OL_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("SELECT " + std::string(table.columns) + " FROM " + std::string(table.name) +
                " WHERE status = 'pending' AND next_attempt_at <= ?1 AND "
                "lease_until <= ?1 ORDER BY next_attempt_at, seq LIMIT ?2"));
  st.Bind(1, now).Bind(2, limit);
  return st;
}

Status LeaseOutboxRow(Connection& c, const OutboxTable& table, std::string_view id,
                      Micros lease_until, std::string_view claim) {
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare("UPDATE " + std::string(table.name) +
                                              " SET lease_until = ?2, claim = ?3 WHERE id = ?1"));
  st.Bind(1, id).Bind(2, lease_until).Bind(3, claim);
  return st.Run();
}

Result<Statement> SelectListedOutboxRows(Connection& c, const OutboxTable& table,
                                         const OutboxFilter& filter) {
  std::string sql =
      "SELECT " + std::string(table.columns) + " FROM " + std::string(table.name) + " WHERE 1 = 1";
  if (filter.partner) sql += " AND partner = ?1";
  if (filter.status) sql += " AND status = ?2";
  sql += " ORDER BY seq DESC LIMIT ?3";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  if (filter.partner) st.Bind(1, *filter.partner);
  if (filter.status) st.Bind(2, *filter.status);
  st.Bind(3, filter.limit <= 0 ? std::int64_t{-1} : filter.limit);
  return st;
}

Status FinishOutboxRow(Connection& c, const OutboxTable& table, const OutboxOutcome& o) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("UPDATE " + std::string(table.name) +
                                " SET status = ?3, attempts = ?4, next_attempt_at = ?5, "
                                "last_error = ?6, delivered_at = ?7, lease_until = 0, claim = '' "
                                "WHERE id = ?1 AND claim = ?2 AND status = 'pending'"));
  st.Bind(1, o.id)
      .Bind(2, o.claim)
      .Bind(3, o.status)
      .Bind(4, o.attempts)
      .Bind(5, o.next_attempt_at)
      .Bind(6, o.last_error)
      .Bind(7, o.delivered_at);
  OL_RETURN_IF_ERROR(st.Run());
  if (c.Changes() == 0) {
    return table.LostClaim(o.id);
  }
  return Status::Ok();
}

Result<std::int64_t> RetryOutboxRows(Connection& c, const OutboxTable& table, std::string_view id,
                                     const std::optional<std::string>& partner, Micros now) {
  const std::string name(table.name);
  if (!id.empty()) {
    {
      OL_ASSIGN_OR_RETURN(Statement st,
                          c.Prepare("SELECT status, partner FROM " + name + " WHERE id = ?1"));
      st.Bind(1, id);
      OL_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row || (partner && st.Text(1) != *partner)) {
        return table.NoSuchRow(id);
      }
      OL_RETURN_IF_ERROR(table.check_retry(id, st.Text(0)));
    }
    // The row is as just read: this write transaction holds the database.
    OL_ASSIGN_OR_RETURN(Statement up,
                        c.Prepare("UPDATE " + name +
                                  " SET status = 'pending', attempts = 0, next_attempt_at = ?1, "
                                  "lease_until = 0, claim = '' WHERE id = ?2"));
    up.Bind(1, now).Bind(2, id);
    OL_RETURN_IF_ERROR(up.Run());
    return c.Changes();
  }
  std::string sql = "UPDATE " + name +
                    " SET status = 'pending', attempts = 0, next_attempt_at = ?1, "
                    "lease_until = 0, claim = '' WHERE status = 'dead'";
  if (partner) sql += " AND partner = ?2";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  st.Bind(1, now);
  if (partner) st.Bind(2, *partner);
  OL_RETURN_IF_ERROR(st.Run());
  return c.Changes();
}

}  // namespace offerledger::sqlite
