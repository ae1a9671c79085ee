// The webhook tables on PostgreSQL (see sqlite_webhooks.h for the model):
// the queue follows the outbox rules of postgres_outbox.h. Claims take the
// due rows with FOR UPDATE SKIP LOCKED and lease them, so several server
// processes sharing the database never send one webhook at the same time,
// and none waits for another's claim.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/pg_conn.h"
#include "store/store.h"

namespace offerledger::pg {

Result<bool> WantsWebhook(Connection& c, std::string_view partner, std::string_view event);
Status InsertWebhook(Connection& c, const Webhook& w);

Status UpsertWebhookConfig(Connection& c, const WebhookConfig& config);
Result<bool> DeleteWebhookConfig(Connection& c, std::string_view partner);
Result<std::optional<WebhookConfig>> ReadWebhookConfig(Connection& c, std::string_view partner);

// Each claimed webhook comes with its partner's listener as it is now.
Result<std::vector<ClaimedWebhook>> ClaimDueWebhooks(Connection& c, Micros now, Micros lease,
                                                     int limit, const std::string& claim);
Status FinishWebhook(Connection& c, const WebhookOutcome& outcome);
Result<std::vector<Webhook>> ReadWebhooks(Connection& c, const WebhookFilter& filter);
Result<std::int64_t> RetryDeadWebhooks(Connection& c, std::string_view id,
                                       const std::optional<std::string>& partner, Micros now);

}  // namespace offerledger::pg
