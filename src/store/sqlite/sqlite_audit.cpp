#include "store/sqlite/sqlite_audit.h"

#include "common/status_macros.h"

namespace offerledger::sqlite {

Status InsertAudit(Connection& c, const AuditEntry* audit) {
  if (audit == nullptr) return Status::Ok();
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("INSERT INTO admin_audit(at, actor, action, partner, key, detail) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  st.Bind(1, audit->at)
      .Bind(2, audit->actor)
      .Bind(3, audit->action)
      .Bind(4, audit->partner)
      .Bind(5, audit->key)
      .Bind(6, audit->detail);
  return st.Run();
}

Result<std::vector<AuditEntry>> ReadAudit(Connection& c, const AuditFilter& filter) {
  std::string sql =
      "SELECT seq, at, actor, action, partner, key, detail FROM admin_audit WHERE 1 = 1";
  if (filter.partner) sql += " AND partner = ?1";
  if (filter.action) sql += " AND action = ?2";
  sql += " ORDER BY seq DESC LIMIT ?3";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  if (filter.partner) st.Bind(1, *filter.partner);
  if (filter.action) st.Bind(2, *filter.action);
  st.Bind(3, filter.limit <= 0 ? std::int64_t{-1} : filter.limit);
  std::vector<AuditEntry> out;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(AuditEntry{st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Text(4), st.Text(5),
                             st.Text(6)});
  }
  return out;
}

}  // namespace offerledger::sqlite
