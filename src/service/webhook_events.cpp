#include "service/webhook_events.h"

#include <algorithm>

#include "domain/ids.h"

namespace offerledger {

const std::vector<std::string_view>& WebhookEventNames() {
  static const std::vector<std::string_view> kNames = {kBookingCreated,   kBookingUpdated,
                                                       kBookingCancelled, kRenewalCreated,
                                                       kRenewalDue,       kRenewalExpired};
  return kNames;
}

bool IsWebhookEvent(std::string_view name) {
  const auto& names = WebhookEventNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

Result<std::vector<std::string>> ParseWebhookEvents(std::string_view text) {
  std::vector<std::string> events;
  std::vector<std::string> unknown;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view name = text.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) {
      if (!IsWebhookEvent(name)) {
        unknown.emplace_back(name);
      } else if (std::find(events.begin(), events.end(), name) == events.end()) {
        events.emplace_back(name);
      }
    }
    start = comma + 1;
  }
  std::string known;
  for (std::string_view n : WebhookEventNames())
    known += (known.empty() ? "" : ", ") + std::string(n);
  if (!unknown.empty()) {
    std::string names;
    for (const auto& u : unknown) names += (names.empty() ? "'" : ", '") + u + "'";
    return Status::Invalid("unknown webhook event " + names + "; the events are " + known);
  }
  if (events.empty()) return Status::Invalid("no webhook events given; the events are " + known);
  return events;
}

std::string WebhookBody(std::string_view event, std::string_view payload_json) {
  std::string body;
  body.reserve(payload_json.size() + event.size() + 32);
  body += "{\"event\": \"";
  body += event;  // one of WebhookEventNames(): nothing to escape
  body += "\", \"payload\": ";
  body += payload_json;
  body += "}";
  return body;
}

Status QueueWebhook(WriteTxn& tx, std::string_view partner, std::string_view event, Micros now,
                    const std::function<std::string()>& payload) {
  auto wanted = tx.WantsWebhook(partner, event);
  if (!wanted.ok()) return wanted.status();
  if (!*wanted) return Status::Ok();
  Webhook w;
  w.id = NewUuid();
  w.partner = std::string(partner);
  w.event = std::string(event);
  w.body = WebhookBody(event, payload());
  w.created_at = now;
  w.next_attempt_at = now;
  return tx.EnqueueWebhook(w);
}

}  // namespace offerledger
