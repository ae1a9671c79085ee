// PostgresStore: the Store on a PostgreSQL server (libpq), for several
// offerledger processes sharing one database.
//
// Writes: Write() runs its work function in one READ COMMITTED transaction on
// a pooled connection. LoadPackage takes the package's row lock (SELECT ...
// FOR UPDATE), so read-check-modify work on one package is serialised by the
// database across threads and processes; roll-ups and arms are additive
// UPSERTs (INSERT ... ON CONFLICT DO UPDATE), inserts use ON CONFLICT DO
// NOTHING so a duplicate is a clean kConflict. There is no process-local
// write lock. A transaction that fails with serialization_failure (40001),
// deadlock_detected (40P01) or a connection lost before COMMIT is rolled back
// and run again (up to Options::max_attempts times), so work functions must
// be re-runnable (they only act through the WriteTxn).
//
// Reads use the same pool; ListBookings reads count and page from one
// REPEATABLE READ snapshot. Schema migrations (postgres_schema.cpp) run at
// Open under pg_advisory_xact_lock, so processes starting at once are safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace offerledger {

namespace pg {
class Connection;
}

class PostgresStore final : public Store {
 public:
  struct Options {
    int pool_size = 8;     // connections, at most
    int max_attempts = 5;  // tries of a Write() on transient errors
  };

  // Connects to `url` (postgresql://user:pass@host:port/dbname?...; the PG*
  // environment variables fill in the rest) and applies pending migrations.
  static Result<std::unique_ptr<Store>> Open(const std::string& url);
  static Result<std::unique_ptr<PostgresStore>> OpenPostgres(const std::string& url,
                                                             const Options& options);
  // Applies pending migrations only; returns the versions applied.
  static Result<std::vector<int>> Migrate(const std::string& url);

  ~PostgresStore() override;

  Status Write(const std::function<Status(WriteTxn&)>& work) override;
  Result<std::optional<QuotePackage>> GetPackage(std::string_view partner,
                                                 std::string_view id) override;
  Result<BookingPage> ListBookings(std::string_view partner, std::int64_t limit,
                                   std::int64_t offset) override;
  Result<std::vector<QuotePackage>> ListRenewalsToSweep(Micros due_by, Micros expired_by,
                                                        std::int64_t limit) override;
  Result<std::vector<LedgerEvent>> ListEvents(std::string_view partner, std::int64_t after_seq,
                                              std::int64_t limit) override;
  Result<std::int64_t> CountEvents(EventKind kind) override;
  Status CreatePartner(const Partner& partner, const ApiKey& first_key,
                       const AuditEntry* audit = nullptr) override;
  Result<std::optional<Partner>> GetPartner(std::string_view code) override;
  Result<std::vector<Partner>> ListPartners() override;
  Status AddKey(const ApiKey& key, const AuditEntry* audit = nullptr) override;
  Status RevokeKey(std::string_view key, Micros at, const AuditEntry* audit = nullptr) override;
  Status ReplaceKeySecret(std::string_view key, std::string_view expected, std::string_view secret,
                          const AuditEntry* audit = nullptr) override;
  Status SetPartnerLimits(std::string_view code, std::int64_t quote_rps, std::int64_t other_rps,
                          const AuditEntry* audit = nullptr) override;
  Status SetPartnerAuth(std::string_view code, bool require_request_target,
                        const AuditEntry* audit = nullptr) override;
  Result<std::vector<AuditEntry>> ListAudit(const AuditFilter& filter) override;
  Result<std::optional<ApiKey>> FindKey(std::string_view key) override;
  Result<std::vector<ApiKey>> ListKeys(std::string_view partner) override;
  Result<std::vector<RollupRow>> ReadRollups(const RollupFilter& filter) override;
  Result<std::vector<RollupRow>> RecountRollups(const RollupFilter& filter,
                                                const PriceBandOf& band_of = nullptr) override;
  Result<std::int64_t> RebuildRollups(
      const std::function<std::string(MinorUnits price, const std::string& currency)>& band_of)
      override;
  Result<std::vector<ArmTotals>> ReadArms(const ArmFilter& filter, std::int64_t today,
                                          int decision_window_days) override;
  Result<std::vector<ArmContext>> ListArmContexts() override;
  Result<std::vector<ArmRow>> ReadArmRows() override;
  Result<std::vector<ArmRow>> RecountArmRows() override;
  Result<std::int64_t> HeartbeatProcess(std::string_view id, Micros ttl) override;
  Status ForgetProcess(std::string_view id) override;
  Status Ping() override;
  Result<std::int64_t> PurgeReplies(Micros before) override;
  Status SetWebhookConfig(const WebhookConfig& config, const AuditEntry* audit = nullptr) override;
  Result<bool> RemoveWebhookConfig(std::string_view partner,
                                   const AuditEntry* audit = nullptr) override;
  Result<std::optional<WebhookConfig>> GetWebhookConfig(std::string_view partner) override;
  Result<std::vector<ClaimedWebhook>> ClaimWebhooks(Micros now, Micros lease, int limit) override;
  Status FinishWebhook(const WebhookOutcome& outcome) override;
  Result<std::vector<Webhook>> ListWebhooks(const WebhookFilter& filter) override;
  Result<std::vector<ClaimedEmail>> ClaimEmails(Micros now, Micros lease, int limit) override;
  Status FinishEmail(const EmailOutcome& outcome) override;
  Result<std::vector<Email>> ListEmails(const EmailFilter& filter) override;
  Result<std::int64_t> RetryEmails(std::string_view id, const std::optional<std::string>& partner,
                                   Micros now) override;
  Result<std::int64_t> RetryWebhooks(std::string_view id, const std::optional<std::string>& partner,
                                     Micros now) override;
  void Close() override;

  class Txn;

 private:
  class Lease;
  PostgresStore(std::string url, Options options);
  Result<Lease> Acquire();
  void Release(std::unique_ptr<pg::Connection> conn);
  // Runs `work` in a transaction, retrying transient failures.
  Status Transact(const std::function<Status(Txn&)>& work);

  const std::string url_;
  const Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pg::Connection>> idle_;
  int open_ = 0;  // idle + lent
  bool closed_ = false;
};

}  // namespace offerledger
