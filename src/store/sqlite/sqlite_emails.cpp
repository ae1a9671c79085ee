#include "store/sqlite/sqlite_emails.h"

#include "common/status_macros.h"

namespace offerledger::sqlite {

namespace {

constexpr std::string_view kEmailColumns =
    "id, partner, booking_id, event, recipient, subject, body, created_at, status, attempts, "
    "next_attempt_at, last_error, delivered_at";

Result<Email> ReadEmail(const Statement& st) {
  Email e;
  e.id = st.Text(0);
  e.partner = st.Text(1);
  e.booking_id = st.Text(2);
  e.event = st.Text(3);
  e.recipient = st.Text(4);
  e.subject = st.Text(5);
  e.body = st.Text(6);
  e.created_at = st.Int(7);
  const std::string status = st.Text(8);
  auto parsed = ParseEmailStatus(status);
  if (!parsed) return Status::Internal("corrupt email row: unknown status '" + status + "'");
  e.status = *parsed;
  e.attempts = st.Int(9);
  e.next_attempt_at = st.Int(10);
  e.last_error = st.Text(11);
  e.delivered_at = st.OptInt(12);
  return e;
}

}  // namespace

Status InsertEmail(Connection& c, const Email& e) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("INSERT INTO emails(id, partner, booking_id, event, recipient, "
                                "subject, body, created_at, status, attempts, next_attempt_at) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  st.Bind(1, e.id)
      .Bind(2, e.partner)
      .Bind(3, e.booking_id)
      .Bind(4, e.event)
      .Bind(5, e.recipient)
      .Bind(6, e.subject)
      .Bind(7, e.body)
      .Bind(8, e.created_at)
      .Bind(9, EmailStatusName(e.status))
      .Bind(10, e.attempts)
      .Bind(11, e.next_attempt_at);
  Status s = st.Run();
  if (s.code() == StatusCode::kConflict) return Status::Conflict("email " + e.id + " exists");
  return s;
}

Result<bool> AnyEmailDue(Connection& c, Micros now) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("SELECT 1 FROM emails WHERE status = 'pending' AND "
                                "next_attempt_at <= ?1 AND lease_until <= ?1 LIMIT 1"));
  st.Bind(1, now);
  return st.Step();
}

Result<std::vector<ClaimedEmail>> ClaimDueEmails(Connection& c, Micros now, Micros lease, int limit,
                                                 const std::string& claim) {
  std::vector<ClaimedEmail> out;
  {
    OL_ASSIGN_OR_RETURN(Statement st,
                        c.Prepare("SELECT " + std::string(kEmailColumns) +
                                  " FROM emails WHERE status = 'pending' AND next_attempt_at "
                                  "<= ?1 AND lease_until <= ?1 ORDER BY next_attempt_at, seq "
                                  "LIMIT ?2"));
    st.Bind(1, now).Bind(2, limit);
    for (;;) {
      OL_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      OL_ASSIGN_OR_RETURN(Email e, ReadEmail(st));
      out.push_back(ClaimedEmail{std::move(e), claim, now + lease});
    }
  }
  for (ClaimedEmail& ce : out) {
    OL_ASSIGN_OR_RETURN(Statement up, c.Prepare("UPDATE emails SET lease_until = ?2, claim = ?3 "
                                                "WHERE id = ?1"));
    up.Bind(1, ce.email.id).Bind(2, ce.lease_until).Bind(3, claim);
    OL_RETURN_IF_ERROR(up.Run());
  }
  return out;
}

Status FinishEmail(Connection& c, const EmailOutcome& o) {
  OL_ASSIGN_OR_RETURN(
      Statement st, c.Prepare("UPDATE emails SET status = ?3, attempts = ?4, next_attempt_at = ?5, "
                              "last_error = ?6, delivered_at = ?7, lease_until = 0, claim = '' "
                              "WHERE id = ?1 AND claim = ?2 AND status = 'pending'"));
  st.Bind(1, o.id)
      .Bind(2, o.claim)
      .Bind(3, EmailStatusName(o.status))
      .Bind(4, o.attempts)
      .Bind(5, o.next_attempt_at)
      .Bind(6, o.last_error)
      .Bind(7,
            o.status == EmailStatus::kDelivered ? std::optional<std::int64_t>(o.at) : std::nullopt);
  OL_RETURN_IF_ERROR(st.Run());
  if (c.Changes() == 0) {
    return Status::Conflict("email " + o.id + " is no longer held by this sender");
  }
  return Status::Ok();
}

Result<std::vector<Email>> ReadEmails(Connection& c, const EmailFilter& filter) {
  std::string sql = "SELECT " + std::string(kEmailColumns) + " FROM emails WHERE 1 = 1";
  if (filter.partner) sql += " AND partner = ?1";
  if (filter.status) sql += " AND status = ?2";
  sql += " ORDER BY seq DESC LIMIT ?3";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  if (filter.partner) st.Bind(1, *filter.partner);
  if (filter.status) st.Bind(2, EmailStatusName(*filter.status));
  st.Bind(3, filter.limit <= 0 ? std::int64_t{-1} : filter.limit);
  std::vector<Email> out;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    OL_ASSIGN_OR_RETURN(Email e, ReadEmail(st));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::int64_t> RetryEmails(Connection& c, std::string_view id,
                                 const std::optional<std::string>& partner, Micros now) {
  if (!id.empty()) {
    OL_ASSIGN_OR_RETURN(Statement st,
                        c.Prepare("SELECT status, partner FROM emails WHERE id = ?1"));
    st.Bind(1, id);
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row || (partner && st.Text(1) != *partner)) {
      return Status::NotFound("no email " + std::string(id));
    }
    const std::string status = st.Text(0);
    if (status != "dead" && status != "recorded") {
      return Status::Invalid("email " + std::string(id) + " is " + status +
                             ": only dead or recorded emails are retried");
    }
    OL_ASSIGN_OR_RETURN(Statement up,
                        c.Prepare("UPDATE emails SET status = 'pending', attempts = 0, "
                                  "next_attempt_at = ?1, lease_until = 0, claim = '' "
                                  "WHERE id = ?2"));
    up.Bind(1, now).Bind(2, id);
    OL_RETURN_IF_ERROR(up.Run());
    return c.Changes();
  }
  std::string sql =
      "UPDATE emails SET status = 'pending', attempts = 0, next_attempt_at = ?1, "
      "lease_until = 0, claim = '' WHERE status = 'dead'";
  if (partner) sql += " AND partner = ?2";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  st.Bind(1, now);
  if (partner) st.Bind(2, *partner);
  OL_RETURN_IF_ERROR(st.Run());
  return c.Changes();
}

}  // namespace offerledger::sqlite
