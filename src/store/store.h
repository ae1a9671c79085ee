// Store: the one interface the rest of offerledger uses for persistence.
//
// Writes are units of work: Write() runs a function against a WriteTxn and
// commits everything it did atomically and durably (the commit is on disk
// before Write() returns OK), or nothing if the function returns an error.
// Read-check-modify logic (opt out, book, idempotency) therefore runs inside
// the function and is serialised against every other write of the same
// package, in this process and — on PostgreSQL — across processes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "common/time.h"
#include "domain/conversion.h"
#include "domain/ledger_event.h"
#include "domain/quote_package.h"

namespace offerledger {

struct Partner {
  std::string code;  // "LLODT"
  std::string name;
  Micros created_at = 0;
  std::int64_t quote_rps = 0;  // 0 = use the server default
  std::int64_t other_rps = 0;
  // Refuse signatures that do not sign "(request-target)" (docs/api.md
  // "Replay"); off by default, as XCover clients sign only the Date.
  bool require_request_target = false;
};

struct ApiKey {
  std::string key;     // public id, sent as keyId / X-Api-Key
  std::string secret;  // HMAC secret: never logged, never returned after creation
  std::string partner;
  Micros created_at = 0;
  std::optional<Micros> revoked_at;
  // FindKey only: the key's partner's Partner::require_request_target, read
  // with the key so the signature check needs no second look-up.
  bool require_request_target = false;
};

// One admin action (docs/storage.md "Audit log"): written by the store in
// the same transaction as the change it records, never holding a secret.
struct AuditEntry {
  std::int64_t seq = 0;  // assigned by the store
  Micros at = 0;
  std::string actor;    // who ran it: "alice via cli"
  std::string action;   // "partner.add", "key.revoke", ...
  std::string partner;  // partner code, "" if none
  std::string key;      // public API key id, "" if none
  std::string detail;   // JSON object text, "{}" if nothing more
};

struct AuditFilter {
  std::optional<std::string> partner;
  std::optional<std::string> action;
  std::int64_t limit = 100;  // newest first
};

// A response remembered for an idempotency key.
struct IdempotentReply {
  std::string fingerprint;  // hash of method, path and body of the first request
  int status = 0;
  std::string body;
  Micros created_at = 0;
};

// Price-optimizer arms (docs/optimizer-live.md): what the offers made at one
// price multiplier became, per finest context (partner, product, customer
// country) and cohort day. The catalog's context dimensions are applied when
// reading (ArmFilter), so changing them needs no rebuild.
struct ArmRow {
  std::string policy_type;
  std::string partner;
  std::string country;
  std::int64_t multiplier_nanos = 0;
  std::int64_t day = 0;        // cohort: UTC day of the first offer
  std::int64_t successes = 0;  // booked
  std::int64_t failures = 0;   // opted out or not selected
  std::int64_t pending = 0;    // no answer yet
  bool operator==(const ArmRow&) const = default;
};

// Which offers an arm read sums: one product, and optionally one partner
// and/or one customer country (nullopt: every one — the dimension is not
// part of the context).
struct ArmFilter {
  std::string policy_type;
  std::optional<std::string> partner;
  std::optional<std::string> country;
};

// One arm as the optimizer reads it, summed over cohort days. Offers still
// pending `decision_window_days` or more after their cohort day (today - day
// >= window, as in the conversion report's no_answer) count as failures:
// `failures` includes `no_answer`, `pending` does not.
struct ArmTotals {
  std::int64_t multiplier_nanos = 0;
  std::int64_t successes = 0;
  std::int64_t failures = 0;
  std::int64_t pending = 0;
  std::int64_t no_answer = 0;
  bool operator==(const ArmTotals&) const = default;
};

// A finest context that has arms.
struct ArmContext {
  std::string policy_type;
  std::string partner;
  std::string country;
  bool operator==(const ArmContext&) const = default;
};

struct BookingPage {
  std::int64_t count = 0;  // all bookings of the partner
  std::vector<QuotePackage> results;
};

// Webhooks (docs/webhooks.md). A partner's listener, as `partner
// set-webhook` configured it. `secret` is as stored: sealed with the master
// key when one is configured (service/secret_sealing.h), never shown.
struct WebhookConfig {
  std::string partner;
  std::string url;
  std::string key;
  std::string secret;
  std::vector<std::string> events;  // the event names it subscribes to
  Micros updated_at = 0;
};

enum class WebhookStatus { kPending, kDelivered, kDead };
std::string_view WebhookStatusName(WebhookStatus s);  // "pending", "delivered", "dead"
std::optional<WebhookStatus> ParseWebhookStatus(std::string_view name);

// One webhook to send: written with the change that caused it, sent by the
// background sender (service/webhook_sender.h) until delivered or dead.
struct Webhook {
  std::string id;  // the delivery id the listener sees (X-Webhook-Id), stable across retries
  std::string partner;
  std::string event;  // "BOOKING_CREATED", ...
  std::string body;   // {"event": ..., "payload": ...}, exactly as POSTed
  Micros created_at = 0;
  WebhookStatus status = WebhookStatus::kPending;
  std::int64_t attempts = 0;   // sends tried since created (or since the last retry)
  Micros next_attempt_at = 0;  // pending: not sent before this
  std::string last_error;      // why the last attempt failed; "" if none
  std::optional<Micros> delivered_at;
};

// A pending webhook the sender has claimed: no other sender (thread or
// process) takes it before `lease_until`, and only `claim` may finish it.
struct ClaimedWebhook {
  Webhook webhook;
  std::string claim;
  Micros lease_until = 0;
  std::optional<WebhookConfig> target;  // the partner's webhook now; nullopt: removed meanwhile
};

// What one attempt ended in: delivered, failed and due again at
// `next_attempt_at`, or dead (no retries left).
struct WebhookOutcome {
  std::string id;
  std::string claim;
  WebhookStatus status = WebhookStatus::kPending;
  std::int64_t attempts = 0;
  Micros next_attempt_at = 0;
  std::string last_error;
  Micros at = 0;
};

struct WebhookFilter {
  std::optional<std::string> partner;
  std::optional<WebhookStatus> status;
  std::int64_t limit = 100;  // newest first
};

// Booking emails (docs/emails.md): the outbox. An email is written in the
// same transaction as the send_email request that asked for it; a
// background sender delivers pending ones over SMTP. `recorded`: written
// while no SMTP server was configured, kept but never sent (until retried).
enum class EmailStatus { kRecorded, kPending, kDelivered, kDead };
std::string_view EmailStatusName(EmailStatus s);  // "recorded", "pending", "delivered", "dead"
std::optional<EmailStatus> ParseEmailStatus(std::string_view name);

struct Email {
  std::string id;  // UUID
  std::string partner;
  std::string booking_id;
  std::string event;      // "BOOKING_CREATED", ...
  std::string recipient;  // the policyholder's email
  std::string subject;
  std::string body;  // plain text, as rendered from the catalog's template
  Micros created_at = 0;
  EmailStatus status = EmailStatus::kPending;
  std::int64_t attempts = 0;   // sends tried since created (or since the last retry)
  Micros next_attempt_at = 0;  // pending: not sent before this
  std::string last_error;      // why the last attempt failed; "" if none
  std::optional<Micros> delivered_at;
};

// A pending email a sender has claimed until `lease_until` (as ClaimedWebhook).
struct ClaimedEmail {
  Email email;
  std::string claim;
  Micros lease_until = 0;
};

struct EmailOutcome {
  std::string id;
  std::string claim;
  EmailStatus status = EmailStatus::kPending;
  std::int64_t attempts = 0;
  Micros next_attempt_at = 0;
  std::string last_error;
  Micros at = 0;
};

struct EmailFilter {
  std::optional<std::string> partner;
  std::optional<EmailStatus> status;
  std::int64_t limit = 100;  // newest first
};

class WriteTxn {
 public:
  virtual ~WriteTxn() = default;
  // The package as committed, locked for the rest of this unit of work.
  // nullopt when it does not exist or belongs to another partner.
  virtual Result<std::optional<QuotePackage>> LoadPackage(std::string_view partner,
                                                          std::string_view id) = 0;
  virtual Status InsertPackage(const QuotePackage& pkg) = 0;
  virtual Status UpdatePackage(const QuotePackage& pkg) = 0;
  virtual Status AppendEvents(const std::vector<LedgerEvent>& events) = 0;
  // Replies remembered for (partner, key) younger than `not_before`.
  virtual Result<std::optional<IdempotentReply>> FindReply(std::string_view partner,
                                                           std::string_view key,
                                                           Micros not_before) = 0;
  virtual Status SaveReply(std::string_view partner, std::string_view key,
                           const IdempotentReply& reply) = 0;
  // Webhooks: whether `partner`'s webhook subscribes to `event`, and queues
  // one in this unit of work, so it is sent exactly when the change commits
  // (service/webhook_events.h does both).
  virtual Result<bool> WantsWebhook(std::string_view partner, std::string_view event) {
    (void)partner;
    (void)event;
    return false;
  }
  virtual Status EnqueueWebhook(const Webhook& webhook) {
    (void)webhook;
    return Status::Internal("this store keeps no webhooks");
  }
  // Emails: writes one to the outbox in this unit of work.
  virtual Status EnqueueEmail(const Email& email) {
    (void)email;
    return Status::Internal("this store keeps no emails");
  }
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `work` in one transaction. OK only once the commit is durable.
  // If `work` returns an error, nothing it did is kept and that error is
  // returned. kUnavailable when the database cannot commit (disk full, ...).
  virtual Status Write(const std::function<Status(WriteTxn&)>& work) = 0;
  // Write() without waiting for it: `done` gets what Write() would have
  // returned, once the commit is durable or has failed, on a thread of the
  // store's choosing (SqliteStore: its writer thread, so `done` must be
  // quick and must not write). This default runs it on the caller's thread.
  virtual void WriteAsync(std::function<Status(WriteTxn&)> work, std::function<void(Status)> done) {
    done(Write(work));
  }

  // Reads: committed state, never blocked by the writer.
  virtual Result<std::optional<QuotePackage>> GetPackage(std::string_view partner,
                                                         std::string_view id) = 0;
  // Booked packages (CONFIRMED or CANCELLED) of `partner`, newest booking first.
  virtual Result<BookingPage> ListBookings(std::string_view partner, std::int64_t limit,
                                           std::int64_t offset) = 0;
  // Renewable bookings the renewal sweep (service/renewal_sweep.h) has
  // something to do for: RENEWAL_DUE still to send and a period end at or
  // before `due_by`, or an expiry still to record and a period end at or
  // before `expired_by` (domain/quote_package.h RenewalDueAt,
  // RenewalExpiresAt); earliest period end first, at most `limit`.
  virtual Result<std::vector<QuotePackage>> ListRenewalsToSweep(Micros due_by, Micros expired_by,
                                                                std::int64_t limit) {
    (void)due_by;
    (void)expired_by;
    (void)limit;
    return Status::Internal("this store has no renewal sweep");
  }
  virtual Result<std::vector<LedgerEvent>> ListEvents(std::string_view partner,
                                                      std::int64_t after_seq,
                                                      std::int64_t limit) = 0;
  virtual Result<std::int64_t> CountEvents(EventKind kind) = 0;

  // Partners and their keys.
  // The admin writes below take an optional audit entry (may be null),
  // written in the same transaction as the change: both commit or neither.
  virtual Status CreatePartner(const Partner& partner, const ApiKey& first_key,
                               const AuditEntry* audit = nullptr) = 0;
  virtual Result<std::optional<Partner>> GetPartner(std::string_view code) = 0;
  virtual Result<std::vector<Partner>> ListPartners() = 0;
  virtual Status AddKey(const ApiKey& key, const AuditEntry* audit = nullptr) = 0;
  virtual Status RevokeKey(std::string_view key, Micros at,
                           const AuditEntry* audit = nullptr) = 0;  // NotFound if unknown
  // Sets a partner's rate limits (0 = use the server default). NotFound if unknown.
  virtual Status SetPartnerLimits(std::string_view code, std::int64_t quote_rps,
                                  std::int64_t other_rps, const AuditEntry* audit = nullptr) {
    return Status::Internal("this store cannot change partner limits");
  }
  // Sets Partner::require_request_target. NotFound if unknown.
  virtual Status SetPartnerAuth(std::string_view code, bool require_request_target,
                                const AuditEntry* audit = nullptr) {
    return Status::Internal("this store cannot change partner authentication");
  }
  // Replaces a key's stored secret (sealing plain-text secrets with the
  // master key), only if it is still `expected`: Conflict otherwise, NotFound
  // for an unknown key.
  virtual Status ReplaceKeySecret(std::string_view key, std::string_view expected,
                                  std::string_view secret, const AuditEntry* audit = nullptr) {
    return Status::Internal("this store cannot change key secrets");
  }
  virtual Result<std::optional<ApiKey>> FindKey(std::string_view key) = 0;
  virtual Result<std::vector<ApiKey>> ListKeys(std::string_view partner) = 0;

  // Conversion roll-ups (see domain/conversion.h), kept up to date by
  // AppendEvents in the same transaction. Rows of cohort days in the filter,
  // in key order; rows whose counters are all zero are left out.
  virtual Result<std::vector<RollupRow>> ReadRollups(const RollupFilter& filter) {
    return Status::Internal("this store keeps no roll-ups");
  }
  // The price band of a price in a currency (from the catalog's price_bands).
  using PriceBandOf = std::function<std::string(MinorUnits price, const std::string& currency)>;
  // The same rows recomputed from the events alone (for verification), with
  // the price bands recorded on the events or, given `band_of`, re-derived
  // ones (to check roll-ups rebuilt after the band edges changed).
  virtual Result<std::vector<RollupRow>> RecountRollups(const RollupFilter& filter,
                                                        const PriceBandOf& band_of = nullptr) {
    return Status::Internal("this store keeps no roll-ups");
  }
  // Recomputes every roll-up from the events in one write (e.g. after the
  // price band edges changed), the band of each offer and re-price being
  // band_of(price, currency). Returns the number of roll-up rows written.
  virtual Result<std::int64_t> RebuildRollups(
      const std::function<std::string(MinorUnits price, const std::string& currency)>& band_of) {
    return Status::Internal("this store keeps no roll-ups");
  }

  // Optimizer arms (see ArmRow), kept by AppendEvents in the same
  // transaction. ReadArms: the arms of `filter` in ascending multiplier order,
  // summed over days, no-answers counted as failures (see ArmTotals).
  virtual Result<std::vector<ArmTotals>> ReadArms(const ArmFilter& filter, std::int64_t today,
                                                  int decision_window_days) {
    return Status::Internal("this store keeps no optimizer arms");
  }
  // Every finest context (product, partner, country) that has arms.
  virtual Result<std::vector<ArmContext>> ListArmContexts() {
    return Status::Internal("this store keeps no optimizer arms");
  }
  // The raw rows (non-zero ones, in key order), and the same recomputed from
  // the events alone (verification).
  virtual Result<std::vector<ArmRow>> ReadArmRows() {
    return Status::Internal("this store keeps no optimizer arms");
  }
  virtual Result<std::vector<ArmRow>> RecountArmRows() {
    return Status::Internal("this store keeps no optimizer arms");
  }

  // The processes serving from this database, for sharing rate limits
  // between them (docs/api.md "Rate limits"). Marks process `id` alive for
  // `ttl` from now (on the database's clock, so the processes' clocks need
  // not agree), forgets processes whose time ran out, and returns how many
  // are alive, this one included. Called once per refresh interval, never
  // per request. A store that does not share limits between processes
  // (SQLite) answers 1.
  virtual Result<std::int64_t> HeartbeatProcess(std::string_view id, Micros ttl) {
    (void)id;
    (void)ttl;
    return std::int64_t{1};
  }
  // Forgets process `id` at a clean stop, so the others take over its share
  // at their next refresh instead of after its ttl.
  virtual Status ForgetProcess(std::string_view id) {
    (void)id;
    return Status::Ok();
  }

  // Webhooks (docs/webhooks.md). The partner's listener: set (NotFound for
  // an unknown partner; replaces the one there), removed (false: there was
  // none) and read.
  virtual Status SetWebhookConfig(const WebhookConfig& config, const AuditEntry* audit = nullptr) {
    (void)config;
    return Status::Internal("this store keeps no webhooks");
  }
  virtual Result<bool> RemoveWebhookConfig(std::string_view partner,
                                           const AuditEntry* audit = nullptr) {
    (void)partner;
    return Status::Internal("this store keeps no webhooks");
  }
  virtual Result<std::optional<WebhookConfig>> GetWebhookConfig(std::string_view partner) {
    (void)partner;
    return Status::Internal("this store keeps no webhooks");
  }
  // Claims up to `limit` pending webhooks due at `now` whose lease (if any)
  // ran out, oldest first, leasing them until now + `lease`: no other caller,
  // in this process or another, claims them meanwhile. A sender that dies
  // holding one only delays it until the lease ends (at-least-once).
  virtual Result<std::vector<ClaimedWebhook>> ClaimWebhooks(Micros now, Micros lease, int limit) {
    (void)now;
    (void)lease;
    (void)limit;
    return std::vector<ClaimedWebhook>{};
  }
  // Records an attempt's outcome, if the webhook is still held by
  // `outcome.claim` (Conflict otherwise: its lease ran out and another
  // sender took it).
  virtual Status FinishWebhook(const WebhookOutcome& outcome) {
    (void)outcome;
    return Status::Internal("this store keeps no webhooks");
  }
  virtual Result<std::vector<Webhook>> ListWebhooks(const WebhookFilter& filter) {
    (void)filter;
    return Status::Internal("this store keeps no webhooks");
  }
  // Makes dead webhooks pending again, due at `now` with a fresh count of
  // attempts: the one named `id` (NotFound if unknown, Invalid if it is not
  // dead), or with `id` empty every dead one (of `partner` if given).
  // Returns how many.
  virtual Result<std::int64_t> RetryWebhooks(std::string_view id,
                                             const std::optional<std::string>& partner,
                                             Micros now) {
    (void)id;
    (void)partner;
    (void)now;
    return Status::Internal("this store keeps no webhooks");
  }

  // Emails (docs/emails.md), as webhooks: claim due pending ones under a
  // lease, record an attempt's outcome (Conflict when the claim was lost),
  // list them, and make them pending again -- the one named `id` if it is
  // dead or recorded (NotFound if unknown, Invalid otherwise), or with `id`
  // empty every dead one (of `partner` if given). Returns how many.
  virtual Result<std::vector<ClaimedEmail>> ClaimEmails(Micros now, Micros lease, int limit) {
    (void)now;
    (void)lease;
    (void)limit;
    return std::vector<ClaimedEmail>{};
  }
  virtual Status FinishEmail(const EmailOutcome& outcome) {
    (void)outcome;
    return Status::Internal("this store keeps no emails");
  }
  virtual Result<std::vector<Email>> ListEmails(const EmailFilter& filter) {
    (void)filter;
    return Status::Internal("this store keeps no emails");
  }
  virtual Result<std::int64_t> RetryEmails(std::string_view id,
                                           const std::optional<std::string>& partner, Micros now) {
    (void)id;
    (void)partner;
    (void)now;
    return Status::Internal("this store keeps no emails");
  }

  // The audit log of admin actions, newest first.
  virtual Result<std::vector<AuditEntry>> ListAudit(const AuditFilter& filter) {
    (void)filter;
    return Status::Internal("this store keeps no audit log");
  }

  // Cheap liveness probe: the database answers a query.
  virtual Status Ping() = 0;
  // Removes idempotency replies older than `before`; returns how many.
  virtual Result<std::int64_t> PurgeReplies(Micros before) = 0;
  // Flushes and closes; further calls fail with kUnavailable.
  virtual void Close() = 0;
};

// How OpenStore opens a store; each backend reads only its own fields.
struct StoreOpenOptions {
  // PostgreSQL: connections in the pool, at most (0: PostgresStore's default).
  // SQLite ignores it (one writer thread and a few pooled readers).
  int pg_pool_size = 0;
};

// Opens the store named by a URL: "sqlite:PATH" (created with its schema if
// missing) or "postgresql://..." / "postgres://..." (a libpq URI; the PG*
// environment variables fill in what it leaves out, so "postgresql://" alone
// works). Either applies pending schema migrations. Unknown schemes are an
// error that lists the supported ones.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url);
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOpenOptions& options);

enum class StoreBackend { kSqlite, kPostgres };
// The backend a URL names; kInvalid (listing the supported schemes) otherwise.
Result<StoreBackend> BackendOf(const std::string& url);
// The file of a "sqlite:PATH" (or "sqlite://PATH") URL; kInvalid for any other URL.
Result<std::string> SqlitePathOf(const std::string& url);

// `url` with any password replaced by "***", for every message that shows a URL.
std::string RedactDbUrl(const std::string& url);

// What MigrateStore did. Versions are the schema_migrations versions (0: a
// database without offerledger's schema yet).
struct SchemaMigrationResult {
  int before = 0;            // the version found, under the migration lock
  int after = 0;             // the version now
  std::vector<int> applied;  // the migrations this call applied, in order
};

// Applies the pending schema migrations of the database named by `url`, as
// opening a store would (the same migrations, under the same lock: SQLite's
// BEGIN IMMEDIATE, PostgreSQL's advisory lock), so several processes may run
// it at once. Creates a missing SQLite file. kUnavailable when the database
// cannot be reached; the message never shows a password.
Result<SchemaMigrationResult> MigrateStore(const std::string& url);

}  // namespace offerledger
