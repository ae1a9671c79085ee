// Webhook events (docs/webhooks.md): their names, the body a listener
// receives, and queuing one inside a unit of work so that it is written in
// the same transaction as the change that caused it -- a commit never loses
// it and a rollback never sends it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "store/store.h"

namespace offerledger {

inline constexpr std::string_view kBookingCreated = "BOOKING_CREATED";
inline constexpr std::string_view kBookingUpdated = "BOOKING_UPDATED";
inline constexpr std::string_view kBookingCancelled = "BOOKING_CANCELLED";
inline constexpr std::string_view kRenewalCreated = "RENEWAL_CREATED";
inline constexpr std::string_view kRenewalDue = "RENEWAL_DUE";
inline constexpr std::string_view kRenewalExpired = "RENEWAL_EXPIRED";

// Every event a partner may subscribe to, in the order docs/webhooks.md lists them.
const std::vector<std::string_view>& WebhookEventNames();
bool IsWebhookEvent(std::string_view name);

// "BOOKING_CREATED,BOOKING_CANCELLED" -> the names, each once, in the order
// given. Invalid, naming the unknown ones and listing the known, otherwise.
Result<std::vector<std::string>> ParseWebhookEvents(std::string_view comma_separated);

// {"event": "<event>", "payload": <payload_json>}: the payload as given, byte for byte.
std::string WebhookBody(std::string_view event, std::string_view payload_json);

// Queues `event` for `partner` if its webhook subscribes to it; `payload`
// renders the payload only then. A new delivery id, due at `now`.
Status QueueWebhook(WriteTxn& tx, std::string_view partner, std::string_view event, Micros now,
                    const std::function<std::string()>& payload);

}  // namespace offerledger
