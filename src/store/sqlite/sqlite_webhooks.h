// The webhook tables on SQLite (schema: sqlite_schema.cpp, "webhooks"):
// partner_webhooks holds each partner's listener, webhooks the queue of
// webhooks to send (the outbox rules of sqlite_outbox.h, with its rows read
// as Webhook). Writes run on the store's writer connection inside its
// transaction; AnyWebhookDue and ReadWebhooks on a reader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace offerledger::sqlite {

Result<bool> WantsWebhook(Connection& c, std::string_view partner, std::string_view event);
Status InsertWebhook(Connection& c, const Webhook& w);

Status UpsertWebhookConfig(Connection& c, const WebhookConfig& config);
Result<bool> DeleteWebhookConfig(Connection& c, std::string_view partner);
Result<std::optional<WebhookConfig>> ReadWebhookConfig(Connection& c, std::string_view partner);

// Whether ClaimDueWebhooks would find anything: a read, so an idle sender's
// polls cost no write transaction.
Result<bool> AnyWebhookDue(Connection& c, Micros now);
// Each claimed webhook comes with its partner's listener as it is now.
Result<std::vector<ClaimedWebhook>> ClaimDueWebhooks(Connection& c, Micros now, Micros lease,
                                                     int limit, const std::string& claim);
Status FinishWebhook(Connection& c, const WebhookOutcome& outcome);
Result<std::vector<Webhook>> ReadWebhooks(Connection& c, const WebhookFilter& filter);
Result<std::int64_t> RetryDeadWebhooks(Connection& c, std::string_view id,
                                       const std::optional<std::string>& partner, Micros now);

}  // namespace offerledger::sqlite
