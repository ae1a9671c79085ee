#include "store/webhook_rows.h"

namespace offerledger {

std::string_view WebhookStatusName(WebhookStatus s) {
  switch (s) {
    case WebhookStatus::kPending:
      return "pending";
    case WebhookStatus::kDelivered:
      return "delivered";
    case WebhookStatus::kDead:
      return "dead";
  }
  return "pending";
}

std::optional<WebhookStatus> ParseWebhookStatus(std::string_view name) {
  if (name == "pending") return WebhookStatus::kPending;
  if (name == "delivered") return WebhookStatus::kDelivered;
  if (name == "dead") return WebhookStatus::kDead;
  return std::nullopt;
}

std::string JoinWebhookEvents(const std::vector<std::string>& events) {
  std::string out = ",";
  for (const auto& e : events) out += e + ",";
  return out;
}

std::vector<std::string> SplitWebhookEvents(std::string_view stored) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= stored.size()) {
    std::size_t comma = stored.find(',', start);
    if (comma == std::string_view::npos) comma = stored.size();
    if (comma > start) out.emplace_back(stored.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

namespace {

Status CheckWebhookRetry(std::string_view id, std::string_view status) {
  if (status != "dead") {
    return Status::Invalid("webhook " + std::string(id) + " is " + std::string(status) +
                           ", not dead: only dead webhooks are retried");
  }
  return Status::Ok();
}

}  // namespace

const OutboxTable kWebhookOutbox = {
    "webhooks", "webhook",
    "id, partner, event, body, created_at, status, attempts, next_attempt_at, last_error, "
    "delivered_at",
    CheckWebhookRetry};

OutboxOutcome StoredOutcome(const WebhookOutcome& o) {
  return {o.id,
          o.claim,
          WebhookStatusName(o.status),
          o.attempts,
          o.next_attempt_at,
          o.last_error,
          o.status == WebhookStatus::kDelivered ? std::optional<Micros>(o.at) : std::nullopt};
}

OutboxFilter StoredFilter(const WebhookFilter& f) {
  return {f.partner,
          f.status ? std::optional<std::string_view>(WebhookStatusName(*f.status)) : std::nullopt,
          f.limit};
}

}  // namespace offerledger
