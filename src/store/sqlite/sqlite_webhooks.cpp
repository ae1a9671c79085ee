#include "store/sqlite/sqlite_webhooks.h"

#include "common/status_macros.h"
#include "store/webhook_rows.h"

namespace offerledger::sqlite {

namespace {

constexpr std::string_view kWebhookColumns =
    "id, partner, event, body, created_at, status, attempts, next_attempt_at, last_error, "
    "delivered_at";

Result<Webhook> ReadWebhook(const Statement& st) {
  Webhook w;
  w.id = st.Text(0);
  w.partner = st.Text(1);
  w.event = st.Text(2);
  w.body = st.Text(3);
  w.created_at = st.Int(4);
  const std::string status = st.Text(5);
  auto parsed = ParseWebhookStatus(status);
  if (!parsed) return Status::Internal("corrupt webhook row: unknown status '" + status + "'");
  w.status = *parsed;
  w.attempts = st.Int(6);
  w.next_attempt_at = st.Int(7);
  w.last_error = st.Text(8);
  w.delivered_at = st.OptInt(9);
  return w;
}

}  // namespace

Result<bool> WantsWebhook(Connection& c, std::string_view partner, std::string_view event) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("SELECT 1 FROM partner_webhooks WHERE partner = ?1 AND "
                                "instr(events, ',' || ?2 || ',') > 0"));
  st.Bind(1, partner).Bind(2, event);
  return st.Step();
}

Status InsertWebhook(Connection& c, const Webhook& w) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("INSERT INTO webhooks(id, partner, event, body, created_at, "
                                "status, attempts, next_attempt_at) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  st.Bind(1, w.id)
      .Bind(2, w.partner)
      .Bind(3, w.event)
      .Bind(4, w.body)
      .Bind(5, w.created_at)
      .Bind(6, WebhookStatusName(w.status))
      .Bind(7, w.attempts)
      .Bind(8, w.next_attempt_at);
  Status s = st.Run();
  if (s.code() == StatusCode::kConflict) return Status::Conflict("webhook " + w.id + " exists");
  return s;
}

Status UpsertWebhookConfig(Connection& c, const WebhookConfig& config) {
  {
    OL_ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT 1 FROM partners WHERE code = ?1"));
    st.Bind(1, config.partner);
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::NotFound("no partner " + config.partner);
  }
  OL_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("INSERT INTO partner_webhooks(partner, url, key, secret, events, updated_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(partner) DO UPDATE SET "
                "url = excluded.url, key = excluded.key, secret = excluded.secret, "
                "events = excluded.events, updated_at = excluded.updated_at"));
  st.Bind(1, config.partner)
      .Bind(2, config.url)
      .Bind(3, config.key)
      .Bind(4, config.secret)
      .Bind(5, JoinWebhookEvents(config.events))
      .Bind(6, config.updated_at);
  return st.Run();
}

Result<bool> DeleteWebhookConfig(Connection& c, std::string_view partner) {
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare("DELETE FROM partner_webhooks WHERE partner = ?1"));
  st.Bind(1, partner);
  OL_RETURN_IF_ERROR(st.Run());
  return c.Changes() > 0;
}

Result<std::optional<WebhookConfig>> ReadWebhookConfig(Connection& c, std::string_view partner) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("SELECT partner, url, key, secret, events, updated_at FROM "
                                "partner_webhooks WHERE partner = ?1"));
  st.Bind(1, partner);
  OL_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<WebhookConfig>();
  WebhookConfig config;
  config.partner = st.Text(0);
  config.url = st.Text(1);
  config.key = st.Text(2);
  config.secret = st.Text(3);
  config.events = SplitWebhookEvents(st.Text(4));
  config.updated_at = st.Int(5);
  return std::optional<WebhookConfig>(std::move(config));
}

Result<bool> AnyWebhookDue(Connection& c, Micros now) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("SELECT 1 FROM webhooks WHERE status = 'pending' AND "
                                "next_attempt_at <= ?1 AND lease_until <= ?1 LIMIT 1"));
  st.Bind(1, now);
  return st.Step();
}

Result<std::vector<ClaimedWebhook>> ClaimDueWebhooks(Connection& c, Micros now, Micros lease,
                                                     int limit, const std::string& claim) {
  std::vector<ClaimedWebhook> out;
  {
    OL_ASSIGN_OR_RETURN(Statement st,
                        c.Prepare("SELECT " + std::string(kWebhookColumns) +
                                  " FROM webhooks WHERE status = 'pending' AND next_attempt_at "
                                  "<= ?1 AND lease_until <= ?1 ORDER BY next_attempt_at, seq "
                                  "LIMIT ?2"));
    st.Bind(1, now).Bind(2, limit);
    for (;;) {
      OL_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      OL_ASSIGN_OR_RETURN(Webhook w, ReadWebhook(st));
      out.push_back(ClaimedWebhook{std::move(w), claim, now + lease, std::nullopt});
    }
  }
  for (ClaimedWebhook& cw : out) {
    OL_ASSIGN_OR_RETURN(Statement up, c.Prepare("UPDATE webhooks SET lease_until = ?2, claim = ?3 "
                                                "WHERE id = ?1"));
    up.Bind(1, cw.webhook.id).Bind(2, cw.lease_until).Bind(3, claim);
    OL_RETURN_IF_ERROR(up.Run());
    OL_ASSIGN_OR_RETURN(cw.target, ReadWebhookConfig(c, cw.webhook.partner));
  }
  return out;
}

Status FinishWebhook(Connection& c, const WebhookOutcome& o) {
  OL_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("UPDATE webhooks SET status = ?3, attempts = ?4, next_attempt_at = ?5, "
                "last_error = ?6, delivered_at = ?7, lease_until = 0, claim = '' "
                "WHERE id = ?1 AND claim = ?2 AND status = 'pending'"));
  st.Bind(1, o.id)
      .Bind(2, o.claim)
      .Bind(3, WebhookStatusName(o.status))
      .Bind(4, o.attempts)
      .Bind(5, o.next_attempt_at)
      .Bind(6, o.last_error)
      .Bind(7, o.status == WebhookStatus::kDelivered ? std::optional<std::int64_t>(o.at)
                                                     : std::nullopt);
  OL_RETURN_IF_ERROR(st.Run());
  if (c.Changes() == 0) {
    return Status::Conflict("webhook " + o.id + " is no longer held by this sender");
  }
  return Status::Ok();
}

Result<std::vector<Webhook>> ReadWebhooks(Connection& c, const WebhookFilter& filter) {
  std::string sql = "SELECT " + std::string(kWebhookColumns) + " FROM webhooks WHERE 1 = 1";
  if (filter.partner) sql += " AND partner = ?1";
  if (filter.status) sql += " AND status = ?2";
  sql += " ORDER BY seq DESC LIMIT ?3";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  if (filter.partner) st.Bind(1, *filter.partner);
  if (filter.status) st.Bind(2, WebhookStatusName(*filter.status));
  st.Bind(3, filter.limit <= 0 ? std::int64_t{-1} : filter.limit);
  std::vector<Webhook> out;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    OL_ASSIGN_OR_RETURN(Webhook w, ReadWebhook(st));
    out.push_back(std::move(w));
  }
  return out;
}

Result<std::int64_t> RetryDeadWebhooks(Connection& c, std::string_view id,
                                       const std::optional<std::string>& partner, Micros now) {
  if (!id.empty()) {
    OL_ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT status, partner FROM webhooks "
                                                "WHERE id = ?1"));
    st.Bind(1, id);
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row || (partner && st.Text(1) != *partner)) {
      return Status::NotFound("no webhook " + std::string(id));
    }
    const std::string status = st.Text(0);
    if (status != "dead") {
      return Status::Invalid("webhook " + std::string(id) + " is " + status +
                             ", not dead: only dead webhooks are retried");
    }
  }
  std::string sql =
      "UPDATE webhooks SET status = 'pending', attempts = 0, next_attempt_at = ?1, "
      "lease_until = 0, claim = '' WHERE status = 'dead'";
  if (!id.empty()) sql += " AND id = ?2";
  if (partner) sql += " AND partner = ?3";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  st.Bind(1, now);
  if (!id.empty()) st.Bind(2, id);
  if (partner) st.Bind(3, *partner);
  OL_RETURN_IF_ERROR(st.Run());
  return c.Changes();
}

}  // namespace offerledger::sqlite
