#include "store/postgres/postgres_webhooks.h"

#include <utility>

#include "common/status_macros.h"
#include "store/postgres/postgres_outbox.h"
#include "store/webhook_rows.h"

namespace offerledger::pg {

namespace {

// Reads kWebhookOutbox.columns.
Result<Webhook> ReadWebhook(const Rows& r, int i) {
  Webhook w;
  w.id = r.Text(i, 0);
  w.partner = r.Text(i, 1);
  w.event = r.Text(i, 2);
  w.body = r.Text(i, 3);
  w.created_at = r.Int(i, 4);
  const std::string status = r.Text(i, 5);
  auto parsed = ParseWebhookStatus(status);
  if (!parsed) return Status::Internal("corrupt webhook row: unknown status '" + status + "'");
  w.status = *parsed;
  w.attempts = r.Int(i, 6);
  w.next_attempt_at = r.Int(i, 7);
  w.last_error = r.Text(i, 8);
  w.delivered_at = r.OptInt(i, 9);
  return w;
}

}  // namespace

Result<bool> WantsWebhook(Connection& c, std::string_view partner, std::string_view event) {
  OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT 1 FROM partner_webhooks WHERE partner = $1 AND "
                                      "position(',' || $2 || ',' in events) > 0",
                                      Params().Add(partner).Add(event)));
  return r.size() > 0;
}

Status InsertWebhook(Connection& c, const Webhook& w) {
  OL_ASSIGN_OR_RETURN(Rows r, c.Query("INSERT INTO webhooks(id, partner, event, body, created_at, "
                                      "status, attempts, next_attempt_at) VALUES ($1, $2, $3, "
                                      "$4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
                                      Params()
                                          .Add(w.id)
                                          .Add(w.partner)
                                          .Add(w.event)
                                          .Add(w.body)
                                          .Add(w.created_at)
                                          .Add(WebhookStatusName(w.status))
                                          .Add(w.attempts)
                                          .Add(w.next_attempt_at)));
  if (r.Affected() == 0) return Status::Conflict("webhook " + w.id + " exists");
  return Status::Ok();
}

Status UpsertWebhookConfig(Connection& c, const WebhookConfig& config) {
  {
    OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT 1 FROM partners WHERE code = $1 FOR SHARE",
                                        Params().Add(config.partner)));
    if (r.size() == 0) return Status::NotFound("no partner " + config.partner);
  }
  return c
      .Query(
          "INSERT INTO partner_webhooks(partner, url, key, secret, events, updated_at) "
          "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (partner) DO UPDATE SET "
          "url = excluded.url, key = excluded.key, secret = excluded.secret, "
          "events = excluded.events, updated_at = excluded.updated_at",
          Params()
              .Add(config.partner)
              .Add(config.url)
              .Add(config.key)
              .Add(config.secret)
              .Add(JoinWebhookEvents(config.events))
              .Add(config.updated_at))
      .status();
}

Result<bool> DeleteWebhookConfig(Connection& c, std::string_view partner) {
  OL_ASSIGN_OR_RETURN(
      Rows r, c.Query("DELETE FROM partner_webhooks WHERE partner = $1", Params().Add(partner)));
  return r.Affected() > 0;
}

Result<std::optional<WebhookConfig>> ReadWebhookConfig(Connection& c, std::string_view partner) {
  OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT partner, url, key, secret, events, updated_at FROM "
                                      "partner_webhooks WHERE partner = $1",
                                      Params().Add(partner)));
  if (r.size() == 0) return std::optional<WebhookConfig>();
  WebhookConfig config;
  config.partner = r.Text(0, 0);
  config.url = r.Text(0, 1);
  config.key = r.Text(0, 2);
  config.secret = r.Text(0, 3);
  config.events = SplitWebhookEvents(r.Text(0, 4));
  config.updated_at = r.Int(0, 5);
  return std::optional<WebhookConfig>(std::move(config));
}

Result<std::vector<ClaimedWebhook>> ClaimDueWebhooks(Connection& c, Micros now, Micros lease,
                                                     int limit, const std::string& claim) {
  OL_ASSIGN_OR_RETURN(std::vector<Webhook> due, ClaimDueOutboxRows(c, kWebhookOutbox, ReadWebhook,
                                                                   now, now + lease, limit, claim));
  std::vector<ClaimedWebhook> out;
  for (Webhook& w : due) {
    // The listener as it is now, read in the claim's transaction.
    OL_ASSIGN_OR_RETURN(std::optional<WebhookConfig> target, ReadWebhookConfig(c, w.partner));
    out.push_back(ClaimedWebhook{std::move(w), claim, now + lease, std::move(target)});
  }
  return out;
}

Status FinishWebhook(Connection& c, const WebhookOutcome& o) {
  return FinishOutboxRow(c, kWebhookOutbox, StoredOutcome(o));
}

Result<std::vector<Webhook>> ReadWebhooks(Connection& c, const WebhookFilter& filter) {
  return ListOutboxRows(c, kWebhookOutbox, ReadWebhook, StoredFilter(filter));
}

Result<std::int64_t> RetryDeadWebhooks(Connection& c, std::string_view id,
                                       const std::optional<std::string>& partner, Micros now) {
  return RetryOutboxRows(c, kWebhookOutbox, id, partner, now);
}

}  // namespace offerledger::pg
