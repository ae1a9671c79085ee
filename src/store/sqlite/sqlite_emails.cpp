#include "store/sqlite/sqlite_emails.h"

#include "common/status_macros.h"
#include "store/email_rows.h"
#include "store/sqlite/sqlite_outbox.h"

namespace offerledger::sqlite {

namespace {

// Reads kEmailOutbox.columns.
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
  return AnyOutboxRowDue(c, kEmailOutbox, now);
}

Result<std::vector<ClaimedEmail>> ClaimDueEmails(Connection& c, Micros now, Micros lease, int limit,
                                                 const std::string& claim) {
  OL_ASSIGN_OR_RETURN(std::vector<Email> due, ClaimDueOutboxRows(c, kEmailOutbox, ReadEmail, now,
                                                                 now + lease, limit, claim));
  std::vector<ClaimedEmail> out;
  out.reserve(due.size());
  for (Email& e : due) out.push_back(ClaimedEmail{std::move(e), claim, now + lease});
  return out;
}

Status FinishEmail(Connection& c, const EmailOutcome& o) {
  return FinishOutboxRow(c, kEmailOutbox, StoredOutcome(o));
}

Result<std::vector<Email>> ReadEmails(Connection& c, const EmailFilter& filter) {
  return ListOutboxRows(c, kEmailOutbox, ReadEmail, StoredFilter(filter));
}

Result<std::int64_t> RetryEmails(Connection& c, std::string_view id,
                                 const std::optional<std::string>& partner, Micros now) {
  return RetryOutboxRows(c, kEmailOutbox, id, partner, now);
}

}  // namespace offerledger::sqlite
