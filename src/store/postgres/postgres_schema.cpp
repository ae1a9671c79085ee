// PostgreSQL schema migrations: the logical schema of SQLite's v1-v4
// (src/store/sqlite/sqlite_schema.cpp) in PostgreSQL types. Times are bigint
// microseconds, money bigint minor units. A PostgreSQL database starts at
// offerledger's v3 features, so there are no backfills to replay: migrations
// 2 and 3 only change the (then empty) tables.
#include "store/postgres/postgres_schema.h"

#include <string>

#include "common/status_macros.h"
#include "common/time.h"

namespace offerledger::pg {

namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE partners (
  code       text   NOT NULL PRIMARY KEY,
  name       text   NOT NULL,
  created_at bigint NOT NULL,
  quote_rps  bigint NOT NULL DEFAULT 0,
  other_rps  bigint NOT NULL DEFAULT 0
);
CREATE TABLE api_keys (
  key        text   NOT NULL PRIMARY KEY,
  partner    text   NOT NULL REFERENCES partners(code),
  secret     text   NOT NULL,
  created_at bigint NOT NULL,
  revoked_at bigint
);
CREATE INDEX api_keys_by_partner ON api_keys(partner, created_at);
CREATE TABLE packages (
  id               text   NOT NULL PRIMARY KEY,
  partner          text   NOT NULL,
  status           text   NOT NULL,
  currency         text   NOT NULL,
  customer_country text   NOT NULL,
  created_at       bigint NOT NULL,
  updated_at       bigint NOT NULL,
  booked_at        bigint,
  doc              text   NOT NULL
);
CREATE INDEX packages_bookings ON packages(partner, booked_at DESC, id)
  WHERE booked_at IS NOT NULL;
CREATE TABLE events (
  seq                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind                   text   NOT NULL,
  at                     bigint NOT NULL,
  partner                text   NOT NULL,
  package_id             text   NOT NULL,
  quote_id               text   NOT NULL,
  policy_type            text   NOT NULL,
  policy_type_version    bigint NOT NULL,
  policy_code            text   NOT NULL,
  price                  bigint NOT NULL,
  premium                bigint NOT NULL,
  tax                    bigint NOT NULL,
  amount                 bigint NOT NULL,
  currency               text   NOT NULL,
  customer_country       text   NOT NULL,
  price_multiplier_nanos bigint NOT NULL,
  data                   text   NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_partner ON events(partner, seq);
CREATE INDEX events_by_kind ON events(kind);
-- The ledger is append-only: history is never rewritten.
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP;
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
CREATE TABLE idempotency (
  partner     text   NOT NULL,
  key         text   NOT NULL,
  fingerprint text   NOT NULL,
  status      bigint NOT NULL,
  body        text   NOT NULL,
  created_at  bigint NOT NULL,
  PRIMARY KEY (partner, key)
);
CREATE INDEX idempotency_by_age ON idempotency(created_at);
)sql";

constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE events ADD COLUMN offered_at bigint NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN price_band text NOT NULL DEFAULT '';
CREATE TABLE offer_state (
  quote_id       text   NOT NULL PRIMARY KEY,
  package_id     text   NOT NULL,
  partner        text   NOT NULL,
  day            bigint NOT NULL,
  policy_type    text   NOT NULL,
  price_band     text   NOT NULL,
  country        text   NOT NULL,
  currency       text   NOT NULL,
  price          bigint NOT NULL,
  outcome        text   NOT NULL,
  counts_package boolean NOT NULL DEFAULT false
);
CREATE INDEX offer_state_by_package ON offer_state(package_id);
CREATE TABLE rollups (
  day                   bigint NOT NULL,
  partner               text   NOT NULL,
  policy_type           text   NOT NULL,
  price_band            text   NOT NULL,
  country               text   NOT NULL,
  currency              text   NOT NULL,
  packages_offered      bigint NOT NULL DEFAULT 0,
  quotes_offered        bigint NOT NULL DEFAULT 0,
  pending               bigint NOT NULL DEFAULT 0,
  booked                bigint NOT NULL DEFAULT 0,
  opted_out             bigint NOT NULL DEFAULT 0,
  not_selected          bigint NOT NULL DEFAULT 0,
  opt_out_events        bigint NOT NULL DEFAULT 0,
  cancelled             bigint NOT NULL DEFAULT 0,
  cancelled_cooling_off bigint NOT NULL DEFAULT 0,
  premium_booked        bigint NOT NULL DEFAULT 0,
  premium_refunded      bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, partner, policy_type, price_band, country, currency)
);
CREATE INDEX rollups_by_partner ON rollups(partner, day);
)sql";

constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE offer_state ADD COLUMN multiplier_nanos bigint NOT NULL DEFAULT 1000000000;
CREATE TABLE arms (
  policy_type      text   NOT NULL,
  partner          text   NOT NULL,
  country          text   NOT NULL,
  multiplier_nanos bigint NOT NULL,
  day              bigint NOT NULL,
  successes        bigint NOT NULL DEFAULT 0,
  failures         bigint NOT NULL DEFAULT 0,
  pending          bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (policy_type, partner, country, multiplier_nanos, day)
);
)sql";

// Version 4: the processes serving from this database, so that they share
// each partner's rate limits (docs/api.md "Rate limits"). Each live process
// keeps its row's expires_at in the future (PostgresStore::HeartbeatProcess).
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE rate_limit_processes (
  id           text   NOT NULL PRIMARY KEY,
  heartbeat_at bigint NOT NULL,
  expires_at   bigint NOT NULL
);
)sql";

struct PgMigration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Webhooks: see sqlite_schema.cpp.
constexpr std::string_view kSchemaWebhooks = R"sql(
CREATE TABLE partner_webhooks (
  partner    text   NOT NULL PRIMARY KEY REFERENCES partners(code),
  url        text   NOT NULL,
  key        text   NOT NULL,
  secret     text   NOT NULL,
  events     text   NOT NULL,
  updated_at bigint NOT NULL
);
CREATE TABLE webhooks (
  seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id              text   NOT NULL UNIQUE,
  partner         text   NOT NULL,
  event           text   NOT NULL,
  body            text   NOT NULL,
  created_at      bigint NOT NULL,
  status          text   NOT NULL,
  attempts        bigint NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  lease_until     bigint NOT NULL DEFAULT 0,
  claim           text   NOT NULL DEFAULT '',
  last_error      text   NOT NULL DEFAULT '',
  delivered_at    bigint
);
CREATE INDEX webhooks_due ON webhooks(next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhooks_by_partner ON webhooks(partner, seq);
)sql";

// Version 6: the admin audit log and each partner's signature requirement
// (see sqlite_schema.cpp).
constexpr std::string_view kSchemaAudit = R"sql(
CREATE TABLE admin_audit (
  seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at      bigint NOT NULL,
  actor   text   NOT NULL,
  action  text   NOT NULL,
  partner text   NOT NULL,
  key     text   NOT NULL,
  detail  text   NOT NULL
);
CREATE INDEX admin_audit_by_partner ON admin_audit(partner, seq);

ALTER TABLE partners ADD COLUMN require_request_target boolean NOT NULL DEFAULT false;
)sql";

// Version 7: the email outbox (see sqlite_schema.cpp).
constexpr std::string_view kSchemaEmails = R"sql(
CREATE TABLE emails (
  seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id              text   NOT NULL UNIQUE,
  partner         text   NOT NULL,
  booking_id      text   NOT NULL,
  event           text   NOT NULL,
  recipient       text   NOT NULL,
  subject         text   NOT NULL,
  body            text   NOT NULL,
  created_at      bigint NOT NULL,
  status          text   NOT NULL,
  attempts        bigint NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  lease_until     bigint NOT NULL DEFAULT 0,
  claim           text   NOT NULL DEFAULT '',
  last_error      text   NOT NULL DEFAULT '',
  delivered_at    bigint
);
CREATE INDEX emails_due ON emails(next_attempt_at) WHERE status = 'pending';
CREATE INDEX emails_by_partner ON emails(partner, seq);
)sql";

// Version 8: renewal figures in the conversion roll-ups (see
// sqlite_schema.cpp), the renewal events written before counted by the same
// rule.
constexpr std::string_view kSchemaRenewalRollups = R"sql(
ALTER TABLE rollups ADD COLUMN renewal_offers   bigint NOT NULL DEFAULT 0;
ALTER TABLE rollups ADD COLUMN renewals         bigint NOT NULL DEFAULT 0;
ALTER TABLE rollups ADD COLUMN renewal_opt_outs bigint NOT NULL DEFAULT 0;

INSERT INTO rollups(day, partner, policy_type, price_band, country, currency,
                    renewal_offers, renewals, renewal_opt_outs)
SELECT div(CASE WHEN offered_at <> 0 THEN offered_at ELSE at END, 86400000000) AS d,
       partner, policy_type, price_band, customer_country, currency,
       count(*) FILTER (WHERE kind = 'renewal_offered'),
       count(*) FILTER (WHERE kind = 'renewed'),
       count(*) FILTER (WHERE kind = 'renewal_opted_out')
FROM events WHERE kind IN ('renewal_offered', 'renewed', 'renewal_opted_out')
GROUP BY 1, partner, policy_type, price_band, customer_country, currency
ON CONFLICT(day, partner, policy_type, price_band, country, currency) DO UPDATE SET
  renewal_offers = rollups.renewal_offers + excluded.renewal_offers,
  renewals = rollups.renewals + excluded.renewals,
  renewal_opt_outs = rollups.renewal_opt_outs + excluded.renewal_opt_outs;
)sql";

// Version 9: what the renewal sweep has to do for each renewable booking
// (see sqlite_schema.cpp), the packages written before filled from their
// documents by the same rule.
constexpr std::string_view kSchemaRenewalSweep = R"sql(
ALTER TABLE packages ADD COLUMN renewal_due_at bigint;
ALTER TABLE packages ADD COLUMN renewal_expires_at bigint;

UPDATE packages SET renewal_expires_at = (
  SELECT min((q->>'policy_end')::bigint) FROM jsonb_array_elements(packages.doc::jsonb->'quotes') AS q
  WHERE (q->>'renewable')::boolean AND q->>'status' = 'CONFIRMED')
WHERE status = 'CONFIRMED' AND packages.doc::jsonb->'renewal_expired_at' IS NULL;
UPDATE packages SET renewal_due_at = renewal_expires_at
WHERE renewal_expires_at IS NOT NULL AND packages.doc::jsonb->'renewal_opted_out_at' IS NULL
  AND coalesce((packages.doc::jsonb->>'renewal_due_sent_for')::bigint, -1) <> renewal_expires_at;

CREATE INDEX packages_renewal_due ON packages(renewal_due_at) WHERE renewal_due_at IS NOT NULL;
CREATE INDEX packages_renewal_expires ON packages(renewal_expires_at)
  WHERE renewal_expires_at IS NOT NULL;
)sql";

constexpr PgMigration kMigrations[] = {
    {1, "initial schema: partners, api_keys, packages, events, idempotency", kSchemaV1},
    {2, "conversion roll-ups: events.offered_at/price_band, offer_state, rollups", kSchemaV2},
    {3, "optimizer arms: offer_state.multiplier_nanos, arms", kSchemaV3},
    {4, "rate-limit processes: rate_limit_processes", kSchemaV4},
    {5, "webhooks: partner_webhooks, webhooks", kSchemaWebhooks},
    {6, "audit log: admin_audit, partners.require_request_target", kSchemaAudit},
    {7, "email outbox: emails", kSchemaEmails},
    {8, "renewal roll-ups: rollups.renewal_offers/renewals/renewal_opt_outs",
     kSchemaRenewalRollups},
    {9, "renewal sweep: packages.renewal_due_at/renewal_expires_at", kSchemaRenewalSweep},
};

}  // namespace

int NewestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<std::vector<int>> ApplyMigrations(Connection& c) {
  OL_RETURN_IF_ERROR(c.Exec("BEGIN"));
  auto run = [&]() -> Result<std::vector<int>> {
    // One migrator per database schema at a time, across processes; released at COMMIT.
    OL_RETURN_IF_ERROR(c.Query("SELECT pg_advisory_xact_lock(hashtext('offerledger-migrate:' || "
                               "current_schema()))")
                           .status());
    OL_RETURN_IF_ERROR(
        c.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, "
               "name text NOT NULL, applied_at bigint NOT NULL)"));
    OL_ASSIGN_OR_RETURN(Rows cur,
                        c.Query("SELECT coalesce(max(version), 0) FROM schema_migrations"));
    const std::int64_t current = cur.Int(0, 0);
    if (current > NewestSchemaVersion()) {
      return Status::Internal("PostgreSQL database has schema version " + std::to_string(current) +
                              ", newer than this offerledger knows (" +
                              std::to_string(NewestSchemaVersion()) + "): upgrade offerledger");
    }
    std::vector<int> applied;
    for (const PgMigration& m : kMigrations) {
      // Each version by itself, not "above the newest applied": a version
      // added below one a database already has (7 after 8) still runs.
      OL_ASSIGN_OR_RETURN(Rows done, c.Query("SELECT 1 FROM schema_migrations WHERE version = $1",
                                             Params().Add(m.version)));
      if (done.size() > 0) continue;
      OL_RETURN_IF_ERROR(c.Exec(std::string(m.sql)));
      OL_RETURN_IF_ERROR(c.Query("INSERT INTO schema_migrations(version, name, applied_at) "
                                 "VALUES ($1, $2, $3)",
                                 Params().Add(m.version).Add(m.name).Add(NowMicros()))
                             .status());
      applied.push_back(m.version);
    }
    return applied;
  };
  auto result = run();
  if (!result.ok()) {
    (void)c.Exec("ROLLBACK");
    return result;
  }
  OL_RETURN_IF_ERROR(c.Exec("COMMIT"));
  return result;
}

}  // namespace offerledger::pg
