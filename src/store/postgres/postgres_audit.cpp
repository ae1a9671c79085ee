#include "store/postgres/postgres_audit.h"

#include "common/status_macros.h"

namespace offerledger::pg {

Status InsertAudit(Connection& c, const AuditEntry* audit) {
  if (audit == nullptr) return Status::Ok();
  return c
      .Query(
          "INSERT INTO admin_audit(at, actor, action, partner, key, detail) "
          "VALUES ($1, $2, $3, $4, $5, $6)",
          Params()
              .Add(audit->at)
              .Add(audit->actor)
              .Add(audit->action)
              .Add(audit->partner)
              .Add(audit->key)
              .Add(audit->detail))
      .status();
}

Result<std::vector<AuditEntry>> ReadAudit(Connection& c, const AuditFilter& filter) {
  // NULL parameters switch a filter off, so there is one statement to prepare.
  Params p;
  p.Add(filter.partner).Add(filter.action).AddLimit(filter.limit);
  OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT seq, at, actor, action, partner, key, detail "
                                      "FROM admin_audit WHERE ($1::text IS NULL OR partner = $1) "
                                      "AND ($2::text IS NULL OR action = $2) "
                                      "ORDER BY seq DESC LIMIT $3",
                                      p));
  std::vector<AuditEntry> out;
  for (int i = 0; i < r.size(); ++i) {
    out.push_back(AuditEntry{r.Int(i, 0), r.Int(i, 1), r.Text(i, 2), r.Text(i, 3), r.Text(i, 4),
                             r.Text(i, 5), r.Text(i, 6)});
  }
  return out;
}

}  // namespace offerledger::pg
