#include "store/postgres/postgres_emails.h"

#include <utility>

#include "common/status_macros.h"
#include "store/email_rows.h"
#include "store/postgres/postgres_outbox.h"

namespace offerledger::pg {

namespace {

// Reads kEmailOutbox.columns.
Result<Email> ReadEmail(const Rows& r, int i) {
  Email e;
  e.id = r.Text(i, 0);
  e.partner = r.Text(i, 1);
  e.booking_id = r.Text(i, 2);
  e.event = r.Text(i, 3);
  e.recipient = r.Text(i, 4);
  e.subject = r.Text(i, 5);
  e.body = r.Text(i, 6);
  e.created_at = r.Int(i, 7);
  const std::string status = r.Text(i, 8);
  auto parsed = ParseEmailStatus(status);
  if (!parsed) return Status::Internal("corrupt email row: unknown status '" + status + "'");
  e.status = *parsed;
  e.attempts = r.Int(i, 9);
  e.next_attempt_at = r.Int(i, 10);
  e.last_error = r.Text(i, 11);
  e.delivered_at = r.OptInt(i, 12);
  return e;
}

}  // namespace

Status InsertEmail(Connection& c, const Email& e) {
  OL_ASSIGN_OR_RETURN(
      Rows r,
      c.Query("INSERT INTO emails(id, partner, booking_id, event, recipient, subject, body, "
              "created_at, status, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, "
              "$6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
              Params()
                  .Add(e.id)
                  .Add(e.partner)
                  .Add(e.booking_id)
                  .Add(e.event)
                  .Add(e.recipient)
                  .Add(e.subject)
                  .Add(e.body)
                  .Add(e.created_at)
                  .Add(EmailStatusName(e.status))
                  .Add(e.attempts)
                  .Add(e.next_attempt_at)));
  if (r.Affected() == 0) return Status::Conflict("email " + e.id + " exists");
  return Status::Ok();
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

}  // namespace offerledger::pg
