#include "store/postgres/postgres_webhooks.h"

#include <algorithm>
#include <utility>

#include "common/status_macros.h"
#include "store/webhook_rows.h"

namespace offerledger::pg {

namespace {

constexpr std::string_view kWebhookColumns =
    "id, partner, event, body, created_at, status, attempts, next_attempt_at, last_error, "
    "delivered_at";

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
  // SKIP LOCKED: rows another process is claiming right now are left to it.
  OL_ASSIGN_OR_RETURN(
      Rows r, c.Query("WITH due AS (SELECT seq FROM webhooks WHERE status = 'pending' AND "
                      "next_attempt_at <= $1 AND lease_until <= $1 ORDER BY next_attempt_at, seq "
                      "LIMIT $2 FOR UPDATE SKIP LOCKED) "
                      "UPDATE webhooks w SET lease_until = $3, claim = $4 FROM due "
                      "WHERE w.seq = due.seq RETURNING w.id, w.partner, w.event, w.body, "
                      "w.created_at, w.status, w.attempts, w.next_attempt_at, w.last_error, "
                      "w.delivered_at, w.seq",
                      Params().Add(now).Add(limit).Add(now + lease).Add(claim)));
  std::vector<std::pair<std::int64_t, ClaimedWebhook>> rows;
  for (int i = 0; i < r.size(); ++i) {
    OL_ASSIGN_OR_RETURN(Webhook w, ReadWebhook(r, i));
    rows.emplace_back(r.Int(i, 10), ClaimedWebhook{std::move(w), claim, now + lease, std::nullopt});
  }
  // RETURNING has no order: oldest first, as SQLite hands them out.
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.second.webhook.next_attempt_at != b.second.webhook.next_attempt_at) {
      return a.second.webhook.next_attempt_at < b.second.webhook.next_attempt_at;
    }
    return a.first < b.first;
  });
  std::vector<ClaimedWebhook> out;
  for (auto& [seq, cw] : rows) {
    OL_ASSIGN_OR_RETURN(cw.target, ReadWebhookConfig(c, cw.webhook.partner));
    out.push_back(std::move(cw));
  }
  return out;
}

Status FinishWebhook(Connection& c, const WebhookOutcome& o) {
  OL_ASSIGN_OR_RETURN(
      Rows r,
      c.Query("UPDATE webhooks SET status = $3, attempts = $4, next_attempt_at = $5, "
              "last_error = $6, delivered_at = $7, lease_until = 0, claim = '' "
              "WHERE id = $1 AND claim = $2 AND status = 'pending'",
              Params()
                  .Add(o.id)
                  .Add(o.claim)
                  .Add(WebhookStatusName(o.status))
                  .Add(o.attempts)
                  .Add(o.next_attempt_at)
                  .Add(o.last_error)
                  .Add(o.status == WebhookStatus::kDelivered ? std::optional<std::int64_t>(o.at)
                                                             : std::nullopt)));
  if (r.Affected() == 0) {
    return Status::Conflict("webhook " + o.id + " is no longer held by this sender");
  }
  return Status::Ok();
}

Result<std::vector<Webhook>> ReadWebhooks(Connection& c, const WebhookFilter& filter) {
  // NULL parameters switch a filter off, so there is one statement to prepare.
  Params p;
  if (filter.partner) {
    p.Add(*filter.partner);
  } else {
    p.Null();
  }
  if (filter.status) {
    p.Add(WebhookStatusName(*filter.status));
  } else {
    p.Null();
  }
  if (filter.limit > 0) {
    p.Add(filter.limit);
  } else {
    p.Null();
  }
  OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT " + std::string(kWebhookColumns) +
                                          " FROM webhooks WHERE ($1::text IS NULL OR partner = "
                                          "$1) AND ($2::text IS NULL OR status = $2) ORDER BY "
                                          "seq DESC LIMIT $3",
                                      p));
  std::vector<Webhook> out;
  for (int i = 0; i < r.size(); ++i) {
    OL_ASSIGN_OR_RETURN(Webhook w, ReadWebhook(r, i));
    out.push_back(std::move(w));
  }
  return out;
}

Result<std::int64_t> RetryDeadWebhooks(Connection& c, std::string_view id,
                                       const std::optional<std::string>& partner, Micros now) {
  if (!id.empty()) {
    OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT status, partner FROM webhooks WHERE id = $1 "
                                        "FOR UPDATE",
                                        Params().Add(id)));
    if (r.size() == 0 || (partner && r.Text(0, 1) != *partner)) {
      return Status::NotFound("no webhook " + std::string(id));
    }
    const std::string status = r.Text(0, 0);
    if (status != "dead") {
      return Status::Invalid("webhook " + std::string(id) + " is " + status +
                             ", not dead: only dead webhooks are retried");
    }
  }
  Params p;
  p.Add(now);
  if (id.empty()) {
    p.Null();
  } else {
    p.Add(id);
  }
  if (partner) {
    p.Add(*partner);
  } else {
    p.Null();
  }
  OL_ASSIGN_OR_RETURN(
      Rows r, c.Query("UPDATE webhooks SET status = 'pending', attempts = 0, next_attempt_at = $1, "
                      "lease_until = 0, claim = '' WHERE status = 'dead' AND ($2::text IS NULL OR "
                      "id = $2) AND ($3::text IS NULL OR partner = $3)",
                      p));
  return r.Affected();
}

}  // namespace offerledger::pg
