// Email status names (store/store.h) and the email outbox table
// (store/email_rows.h), shared by both backends.
#include "store/email_rows.h"

namespace offerledger {

std::string_view EmailStatusName(EmailStatus s) {
  switch (s) {
    case EmailStatus::kRecorded:
      return "recorded";
    case EmailStatus::kPending:
      return "pending";
    case EmailStatus::kDelivered:
      return "delivered";
    case EmailStatus::kDead:
      return "dead";
  }
  return "pending";
}

std::optional<EmailStatus> ParseEmailStatus(std::string_view name) {
  if (name == "recorded") return EmailStatus::kRecorded;
  if (name == "pending") return EmailStatus::kPending;
  if (name == "delivered") return EmailStatus::kDelivered;
  if (name == "dead") return EmailStatus::kDead;
  return std::nullopt;
}

namespace {

// A recorded email was never sent (no SMTP server was configured): retrying
// it is how it gets sent once there is one.
Status CheckEmailRetry(std::string_view id, std::string_view status) {
  if (status != "dead" && status != "recorded") {
    return Status::Invalid("email " + std::string(id) + " is " + std::string(status) +
                           ": only dead or recorded emails are retried");
  }
  return Status::Ok();
}

}  // namespace

const OutboxTable kEmailOutbox = {
    "emails", "email",
    "id, partner, booking_id, event, recipient, subject, body, created_at, status, attempts, "
    "next_attempt_at, last_error, delivered_at",
    CheckEmailRetry};

OutboxOutcome StoredOutcome(const EmailOutcome& o) {
  return {o.id,
          o.claim,
          EmailStatusName(o.status),
          o.attempts,
          o.next_attempt_at,
          o.last_error,
          o.status == EmailStatus::kDelivered ? std::optional<Micros>(o.at) : std::nullopt};
}

OutboxFilter StoredFilter(const EmailFilter& f) {
  return {f.partner,
          f.status ? std::optional<std::string_view>(EmailStatusName(*f.status)) : std::nullopt,
          f.limit};
}

}  // namespace offerledger
