#include "store/postgres/postgres_emails.h"

#include <algorithm>
#include <utility>

#include "common/status_macros.h"

namespace offerledger::pg {

namespace {

constexpr std::string_view kEmailColumns =
    "id, partner, booking_id, event, recipient, subject, body, created_at, status, attempts, "
    "next_attempt_at, last_error, delivered_at";

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
  // SKIP LOCKED: rows another process is claiming right now are left to it.
  OL_ASSIGN_OR_RETURN(
      Rows r, c.Query("WITH due AS (SELECT seq FROM emails WHERE status = 'pending' AND "
                      "next_attempt_at <= $1 AND lease_until <= $1 ORDER BY next_attempt_at, seq "
                      "LIMIT $2 FOR UPDATE SKIP LOCKED) "
                      "UPDATE emails e SET lease_until = $3, claim = $4 FROM due "
                      "WHERE e.seq = due.seq RETURNING e.id, e.partner, e.booking_id, e.event, "
                      "e.recipient, e.subject, e.body, e.created_at, e.status, e.attempts, "
                      "e.next_attempt_at, e.last_error, e.delivered_at, e.seq",
                      Params().Add(now).Add(limit).Add(now + lease).Add(claim)));
  std::vector<std::pair<std::int64_t, ClaimedEmail>> rows;
  for (int i = 0; i < r.size(); ++i) {
    OL_ASSIGN_OR_RETURN(Email e, ReadEmail(r, i));
    rows.emplace_back(r.Int(i, 13), ClaimedEmail{std::move(e), claim, now + lease});
  }
  // RETURNING has no order: oldest first, as SQLite hands them out.
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.second.email.next_attempt_at != b.second.email.next_attempt_at) {
      return a.second.email.next_attempt_at < b.second.email.next_attempt_at;
    }
    return a.first < b.first;
  });
  std::vector<ClaimedEmail> out;
  for (auto& [seq, ce] : rows) out.push_back(std::move(ce));
  return out;
}

Status FinishEmail(Connection& c, const EmailOutcome& o) {
  OL_ASSIGN_OR_RETURN(
      Rows r,
      c.Query("UPDATE emails SET status = $3, attempts = $4, next_attempt_at = $5, "
              "last_error = $6, delivered_at = $7, lease_until = 0, claim = '' "
              "WHERE id = $1 AND claim = $2 AND status = 'pending'",
              Params()
                  .Add(o.id)
                  .Add(o.claim)
                  .Add(EmailStatusName(o.status))
                  .Add(o.attempts)
                  .Add(o.next_attempt_at)
                  .Add(o.last_error)
                  .Add(o.status == EmailStatus::kDelivered ? std::optional<std::int64_t>(o.at)
                                                           : std::nullopt)));
  if (r.Affected() == 0) {
    return Status::Conflict("email " + o.id + " is no longer held by this sender");
  }
  return Status::Ok();
}

Result<std::vector<Email>> ReadEmails(Connection& c, const EmailFilter& filter) {
  // NULL parameters switch a filter off, so there is one statement to prepare.
  Params p;
  if (filter.partner) {
    p.Add(*filter.partner);
  } else {
    p.Null();
  }
  if (filter.status) {
    p.Add(EmailStatusName(*filter.status));
  } else {
    p.Null();
  }
  if (filter.limit > 0) {
    p.Add(filter.limit);
  } else {
    p.Null();
  }
  OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT " + std::string(kEmailColumns) +
                                          " FROM emails WHERE ($1::text IS NULL OR partner = $1) "
                                          "AND ($2::text IS NULL OR status = $2) ORDER BY seq "
                                          "DESC LIMIT $3",
                                      p));
  std::vector<Email> out;
  for (int i = 0; i < r.size(); ++i) {
    OL_ASSIGN_OR_RETURN(Email e, ReadEmail(r, i));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::int64_t> RetryEmails(Connection& c, std::string_view id,
                                 const std::optional<std::string>& partner, Micros now) {
  if (!id.empty()) {
    OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT status, partner FROM emails WHERE id = $1 "
                                        "FOR UPDATE",
                                        Params().Add(id)));
    if (r.size() == 0 || (partner && r.Text(0, 1) != *partner)) {
      return Status::NotFound("no email " + std::string(id));
    }
    const std::string status = r.Text(0, 0);
    if (status != "dead" && status != "recorded") {
      return Status::Invalid("email " + std::string(id) + " is " + status +
                             ": only dead or recorded emails are retried");
    }
    OL_ASSIGN_OR_RETURN(Rows u, c.Query("UPDATE emails SET status = 'pending', attempts = 0, "
                                        "next_attempt_at = $1, lease_until = 0, claim = '' "
                                        "WHERE id = $2",
                                        Params().Add(now).Add(id)));
    return u.Affected();
  }
  Params p;
  p.Add(now);
  if (partner) {
    p.Add(*partner);
  } else {
    p.Null();
  }
  OL_ASSIGN_OR_RETURN(
      Rows r, c.Query("UPDATE emails SET status = 'pending', attempts = 0, next_attempt_at = $1, "
                      "lease_until = 0, claim = '' WHERE status = 'dead' AND ($2::text IS NULL OR "
                      "partner = $2)",
                      p));
  return r.Affected();
}

}  // namespace offerledger::pg
