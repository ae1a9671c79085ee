#include "store/sqlite/sqlite_webhooks.h"

#include "common/status_macros.h"
#include "store/sqlite/sqlite_outbox.h"
#include "store/webhook_rows.h"

namespace offerledger::sqlite {

namespace {

// Reads kWebhookOutbox.columns.
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
  return AnyOutboxRowDue(c, kWebhookOutbox, now);
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

}  // namespace offerledger::sqlite
