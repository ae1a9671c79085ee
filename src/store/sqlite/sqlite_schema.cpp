#include "store/sqlite/sqlite_schema.h"

#include <string>

#include "store/sqlite/sqlite_rollups.h"

namespace offerledger::sqlite {

namespace {

// Version 1: the initial schema. Times are INTEGER microseconds since the Unix
// epoch (UTC), money INTEGER minor units. STRICT tables make SQLite enforce
// the column types.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE partners (
  code       TEXT    NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  quote_rps  INTEGER NOT NULL DEFAULT 0,
  other_rps  INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE TABLE api_keys (
  key        TEXT    NOT NULL PRIMARY KEY,
  partner    TEXT    NOT NULL REFERENCES partners(code),
  secret     TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX api_keys_by_partner ON api_keys(partner, created_at);

CREATE TABLE packages (
  id               TEXT    NOT NULL PRIMARY KEY,
  partner          TEXT    NOT NULL,
  status           TEXT    NOT NULL,
  currency         TEXT    NOT NULL,
  customer_country TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  booked_at        INTEGER,
  doc              TEXT    NOT NULL
) STRICT;
CREATE INDEX packages_bookings ON packages(partner, booked_at DESC, id)
  WHERE booked_at IS NOT NULL;

CREATE TABLE events (
  seq                    INTEGER PRIMARY KEY AUTOINCREMENT,
  kind                   TEXT    NOT NULL,
  at                     INTEGER NOT NULL,
  partner                TEXT    NOT NULL,
  package_id             TEXT    NOT NULL,
  quote_id               TEXT    NOT NULL,
  policy_type            TEXT    NOT NULL,
  policy_type_version    INTEGER NOT NULL,
  policy_code            TEXT    NOT NULL,
  price                  INTEGER NOT NULL,
  premium                INTEGER NOT NULL,
  tax                    INTEGER NOT NULL,
  amount                 INTEGER NOT NULL,
  currency               TEXT    NOT NULL,
  customer_country       TEXT    NOT NULL,
  price_multiplier_nanos INTEGER NOT NULL,
  data                   TEXT    NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX events_by_partner ON events(partner, seq);
CREATE INDEX events_by_kind ON events(kind);

-- The ledger is append-only: history is never rewritten.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed');
END;

CREATE TABLE idempotency (
  partner     TEXT    NOT NULL,
  key         TEXT    NOT NULL,
  fingerprint TEXT    NOT NULL,
  status      INTEGER NOT NULL,
  body        TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (partner, key)
) STRICT;
CREATE INDEX idempotency_by_age ON idempotency(created_at);
)sql";

// Version 2: conversion roll-ups. Events record the cohort of their quote
// (offered_at: when it was first offered) and its price band; offer_state
// holds each offered quote's group and current outcome, rollups the counters
// of each cohort day and group (domain/conversion.h). AppendEvents keeps both
// up to date in the transaction that appends the events.
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE events ADD COLUMN offered_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN price_band TEXT NOT NULL DEFAULT '';

-- Events written before: the cohort of each is the first offer of its quote
-- (its own time when there is none). The append-only trigger is lifted for
-- this one statement, inside the migration's transaction.
DROP TRIGGER events_no_update;
CREATE INDEX events_first_offer ON events(quote_id, kind, at);
UPDATE events SET offered_at = coalesce(
  (SELECT min(o.at) FROM events AS o WHERE o.quote_id = events.quote_id AND o.kind = 'offered'),
  at);
DROP INDEX events_first_offer;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed');
END;

CREATE TABLE offer_state (
  quote_id       TEXT    NOT NULL PRIMARY KEY,
  package_id     TEXT    NOT NULL,
  partner        TEXT    NOT NULL,
  day            INTEGER NOT NULL,
  policy_type    TEXT    NOT NULL,
  price_band     TEXT    NOT NULL,
  country        TEXT    NOT NULL,
  currency       TEXT    NOT NULL,
  price          INTEGER NOT NULL,
  outcome        TEXT    NOT NULL,
  counts_package INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
CREATE INDEX offer_state_by_package ON offer_state(package_id);

CREATE TABLE rollups (
  day                   INTEGER NOT NULL,
  partner               TEXT    NOT NULL,
  policy_type           TEXT    NOT NULL,
  price_band            TEXT    NOT NULL,
  country               TEXT    NOT NULL,
  currency              TEXT    NOT NULL,
  packages_offered      INTEGER NOT NULL DEFAULT 0,
  quotes_offered        INTEGER NOT NULL DEFAULT 0,
  pending               INTEGER NOT NULL DEFAULT 0,
  booked                INTEGER NOT NULL DEFAULT 0,
  opted_out             INTEGER NOT NULL DEFAULT 0,
  not_selected          INTEGER NOT NULL DEFAULT 0,
  opt_out_events        INTEGER NOT NULL DEFAULT 0,
  cancelled             INTEGER NOT NULL DEFAULT 0,
  cancelled_cooling_off INTEGER NOT NULL DEFAULT 0,
  premium_booked        INTEGER NOT NULL DEFAULT 0,
  premium_refunded      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, partner, policy_type, price_band, country, currency)
) STRICT, WITHOUT ROWID;
CREATE INDEX rollups_by_partner ON rollups(partner, day);
)sql";

// Version 3: the price optimizer's arms (docs/optimizer-live.md). Each offer
// remembers the multiplier it was offered at; `arms` counts the outcomes of
// the offers per (product, partner, customer country, multiplier, cohort day).
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE offer_state ADD COLUMN multiplier_nanos INTEGER NOT NULL DEFAULT 1000000000;

CREATE TABLE arms (
  policy_type      TEXT    NOT NULL,
  partner          TEXT    NOT NULL,
  country          TEXT    NOT NULL,
  multiplier_nanos INTEGER NOT NULL,
  day              INTEGER NOT NULL,
  successes        INTEGER NOT NULL DEFAULT 0,
  failures         INTEGER NOT NULL DEFAULT 0,
  pending          INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (policy_type, partner, country, multiplier_nanos, day)
) STRICT, WITHOUT ROWID;
)sql";

// Version 4: the processes serving from this database, for sharing rate
// limits between them (docs/api.md "Rate limits across processes"). Only
// PostgresStore writes it: on SQLite each server process enforces the whole
// limit. It exists here so both backends keep one schema history.
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE rate_limit_processes (
  id           TEXT    NOT NULL PRIMARY KEY,
  heartbeat_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

// Version 5: webhooks (docs/webhooks.md). partner_webhooks: each partner's
// listener; events is ",A,B,". webhooks: the queue, written in the same
// transaction as the change that caused each one; a sender leases a row
// (lease_until, claim) while it sends it.
constexpr std::string_view kSchemaWebhooks = R"sql(
CREATE TABLE partner_webhooks (
  partner    TEXT    NOT NULL PRIMARY KEY REFERENCES partners(code),
  url        TEXT    NOT NULL,
  key        TEXT    NOT NULL,
  secret     TEXT    NOT NULL,
  events     TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE webhooks (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  partner         TEXT    NOT NULL,
  event           TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  status          TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until     INTEGER NOT NULL DEFAULT 0,
  claim           TEXT    NOT NULL DEFAULT '',
  last_error      TEXT    NOT NULL DEFAULT '',
  delivered_at    INTEGER
) STRICT;
CREATE INDEX webhooks_due ON webhooks(next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhooks_by_partner ON webhooks(partner, seq);
)sql";

// Version 6: the admin audit log (docs/storage.md "Audit log"), one row per
// partner/key change written in the change's own transaction, and each
// partner's signature requirement (docs/api.md "Replay").
constexpr std::string_view kSchemaAudit = R"sql(
CREATE TABLE admin_audit (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  at      INTEGER NOT NULL,
  actor   TEXT    NOT NULL,
  action  TEXT    NOT NULL,
  partner TEXT    NOT NULL,
  key     TEXT    NOT NULL,
  detail  TEXT    NOT NULL
) STRICT;
CREATE INDEX admin_audit_by_partner ON admin_audit(partner, seq);

ALTER TABLE partners ADD COLUMN require_request_target INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 7: the email outbox (docs/emails.md), written in the same
// transaction as the send_email request; a sender leases a row (lease_until,
// claim) while it sends it, as with webhooks. `recorded` rows are kept, not
// sent (no SMTP server was configured).
constexpr std::string_view kSchemaEmails = R"sql(
CREATE TABLE emails (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  partner         TEXT    NOT NULL,
  booking_id      TEXT    NOT NULL,
  event           TEXT    NOT NULL,
  recipient       TEXT    NOT NULL,
  subject         TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  status          TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until     INTEGER NOT NULL DEFAULT 0,
  claim           TEXT    NOT NULL DEFAULT '',
  last_error      TEXT    NOT NULL DEFAULT '',
  delivered_at    INTEGER
) STRICT;
CREATE INDEX emails_due ON emails(next_attempt_at) WHERE status = 'pending';
CREATE INDEX emails_by_partner ON emails(partner, seq);
)sql";

// Version 8: renewal figures in the conversion roll-ups (docs/metrics.md).
// Each renewal event adds 1 to its counter in the row of the renewal
// offer's group (domain/conversion.h ApplyToOffer); the renewal events
// written before are counted here, by the same rule.
constexpr std::string_view kSchemaRenewalRollups = R"sql(
ALTER TABLE rollups ADD COLUMN renewal_offers   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups ADD COLUMN renewals         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups ADD COLUMN renewal_opt_outs INTEGER NOT NULL DEFAULT 0;

INSERT INTO rollups(day, partner, policy_type, price_band, country, currency,
                    renewal_offers, renewals, renewal_opt_outs)
SELECT (CASE WHEN offered_at != 0 THEN offered_at ELSE at END) / 86400000000 AS d,
       partner, policy_type, price_band, customer_country, currency,
       sum(kind = 'renewal_offered'), sum(kind = 'renewed'), sum(kind = 'renewal_opted_out')
FROM events WHERE kind IN ('renewal_offered', 'renewed', 'renewal_opted_out')
GROUP BY d, partner, policy_type, price_band, customer_country, currency
ON CONFLICT(day, partner, policy_type, price_band, country, currency) DO UPDATE SET
  renewal_offers = renewal_offers + excluded.renewal_offers,
  renewals = renewals + excluded.renewals,
  renewal_opt_outs = renewal_opt_outs + excluded.renewal_opt_outs;
)sql";

// Version 9: what the renewal sweep has to do for each renewable booking
// (service/renewal_sweep.h), kept by InsertPackage/UpdatePackage from the
// package (domain/quote_package.h RenewalDueAt, RenewalExpiresAt) and
// indexed, so a sweep reads only the bookings it acts on. The packages
// written before get theirs from their documents, by the same rule.
constexpr std::string_view kSchemaRenewalSweep = R"sql(
ALTER TABLE packages ADD COLUMN renewal_due_at INTEGER;
ALTER TABLE packages ADD COLUMN renewal_expires_at INTEGER;

UPDATE packages SET renewal_expires_at = (
  SELECT min(json_extract(q.value, '$.policy_end')) FROM json_each(packages.doc, '$.quotes') AS q
  WHERE json_extract(q.value, '$.renewable') = 1 AND json_extract(q.value, '$.status') = 'CONFIRMED')
WHERE status = 'CONFIRMED' AND json_extract(doc, '$.renewal_expired_at') IS NULL;
UPDATE packages SET renewal_due_at = renewal_expires_at
WHERE renewal_expires_at IS NOT NULL AND json_extract(doc, '$.renewal_opted_out_at') IS NULL
  AND coalesce(json_extract(doc, '$.renewal_due_sent_for'), -1) != renewal_expires_at;

CREATE INDEX packages_renewal_due ON packages(renewal_due_at) WHERE renewal_due_at IS NOT NULL;
CREATE INDEX packages_renewal_expires ON packages(renewal_expires_at)
  WHERE renewal_expires_at IS NOT NULL;
)sql";

constexpr Migration kMigrations[] = {
    {1, "initial schema: partners, api_keys, packages, events, idempotency", kSchemaV1},
    // The roll-ups of the events already written are replayed from them
    // (with the bands they recorded: none).
    {2, "conversion roll-ups: events.offered_at/price_band, offer_state, rollups", kSchemaV2,
     &BackfillRollups},
    // The arms of the offers already made are replayed from their events.
    {3, "optimizer arms: offer_state.multiplier_nanos, arms", kSchemaV3, &BackfillArms},
    {4, "rate-limit processes: rate_limit_processes", kSchemaV4},
    {5, "webhooks: partner_webhooks, webhooks", kSchemaWebhooks},
    {6, "audit log: admin_audit, partners.require_request_target", kSchemaAudit},
    {7, "email outbox: emails", kSchemaEmails},
    {8, "renewal roll-ups: rollups.renewal_offers/renewals/renewal_opt_outs",
     kSchemaRenewalRollups},
    {9, "renewal sweep: packages.renewal_due_at/renewal_expires_at", kSchemaRenewalSweep},
};

}  // namespace

std::span<const Migration> SchemaMigrations() { return kMigrations; }

Result<std::vector<int>> ApplyMigrations(Connection& conn, std::span<const Migration> migrations,
                                         Micros now) {
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version <= migrations[i - 1].version) {
      return Status::Internal("schema migrations are out of order at version " +
                              std::to_string(migrations[i].version));
    }
  }
  if (Status s = conn.Exec("BEGIN IMMEDIATE", "starting schema migration"); !s.ok()) return s;

  auto run = [&]() -> Result<std::vector<int>> {
    if (Status s = conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                             " version INTEGER NOT NULL PRIMARY KEY,"
                             " applied_at INTEGER NOT NULL) STRICT",
                             "creating schema_migrations");
        !s.ok()) {
      return s;
    }
    std::int64_t current = 0;
    {
      auto st = conn.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
      if (!st.ok()) return st.status();
      auto row = st->Step();
      if (!row.ok()) return row.status();
      current = st->Int(0);
    }
    const int newest = migrations.empty() ? 0 : migrations.back().version;
    if (current > newest) {
      return Status::Internal("SQLite database '" + conn.path() + "' has schema version " +
                              std::to_string(current) + ", newer than this offerledger knows (" +
                              std::to_string(newest) + "): upgrade offerledger");
    }
    std::vector<int> applied;
    for (const Migration& m : migrations) {
      {
        auto st = conn.Prepare("SELECT 1 FROM schema_migrations WHERE version = ?1");
        if (!st.ok()) return st.status();
        st->Bind(1, m.version);
        auto row = st->Step();
        if (!row.ok()) return row.status();
        if (*row) continue;  // already applied
      }
      std::string what = "applying schema migration " + std::to_string(m.version);
      if (Status s = conn.Exec(m.sql, what); !s.ok()) return s;
      if (m.then != nullptr) {
        if (Status s = m.then(conn); !s.ok()) return s;
      }
      auto st = conn.Prepare("INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)");
      if (!st.ok()) return st.status();
      st->Bind(1, m.version).Bind(2, now);
      if (Status s = st->Run(); !s.ok()) return s;
      applied.push_back(m.version);
    }
    return applied;
  };

  auto result = run();
  if (!result.ok()) {
    if (conn.InTransaction()) (void)conn.Exec("ROLLBACK");
    return result;
  }
  if (Status s = conn.Exec("COMMIT", "committing schema migration"); !s.ok()) {
    if (conn.InTransaction()) (void)conn.Exec("ROLLBACK");
    return s;
  }
  return result;
}

}  // namespace offerledger::sqlite
