// SqliteStore: the embedded default Store, one SQLite file in WAL mode.
//
// Writes: one writer thread owns the only read-write connection. Write()
// enqueues its work function and blocks; the writer takes everything queued
// (up to Options::max_batch jobs) and runs it as one transaction — BEGIN
// IMMEDIATE, then per job a SAVEPOINT that is RELEASEd when the job returns OK
// or rolled back when it fails (so one failing job never affects the others)
// — then one COMMIT (durable: synchronous=FULL) and only then wakes each
// caller with its own result. This group commit amortises the fsync over
// every writer waiting at that moment. If the COMMIT fails, every job of the
// batch gets kUnavailable and none of them is applied. A disk that is full
// or read-only fails the write with a message for the partner (no path or
// SQL; write_failure.h), said once per episode on stderr; the connection
// stays usable, so the first write after space returns succeeds.
//
// Reads use a small pool of read-only connections: WAL readers see the last
// committed state and never block, or are blocked by, the writer.
//
// All methods are thread-safe. Write() must not be called from inside a
// Write() job (it would wait for itself): that returns kInternal.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace offerledger {

namespace sqlite {
class Connection;
class WalCheckpointer;
class WriteFailureLog;
}  // namespace sqlite

class SqliteStore final : public Store {
 public:
  struct Options {
    int max_batch = 256;         // jobs per group commit, at most
    int read_connections = 8;    // pooled read-only connections, at most
    int busy_timeout_ms = 5000;  // waits for another process's lock (e.g. the CLI)
    // WAL pages after which the checkpointer thread copies the WAL into the
    // database file (wal_checkpointer.h); 0 leaves it to SQLite's automatic
    // checkpoint inside the writer's commits, as before.
    int checkpoint_pages = 1000;
    // The writer connection's page cache, in KiB: the pages every write
    // touches (roll-ups, arms, the top of each index) stay in memory instead
    // of being read back through the OS on each commit. 16 MiB, once.
    int writer_cache_kib = 16 * 1024;
  };

  // Counters of the writer thread since Open, for tests and benchmarks.
  struct WriteStats {
    std::int64_t batches = 0;         // transactions committed or attempted
    std::int64_t jobs = 0;            // Write() jobs run (including failed ones)
    std::int64_t failed_jobs = 0;     // jobs whose function returned an error
    std::int64_t failed_batches = 0;  // batches whose BEGIN or COMMIT failed
    std::int64_t largest_batch = 0;   // most jobs in one batch
  };

  // Opens the database at `path`, creating the file and the schema if missing
  // and applying any pending migrations. kUnavailable (with the path and
  // SQLite's message) when the file cannot be opened or written.
  static Result<std::unique_ptr<Store>> Open(const std::string& path);
  static Result<std::unique_ptr<SqliteStore>> OpenSqlite(const std::string& path,
                                                         const Options& options);
  static Result<std::unique_ptr<SqliteStore>> OpenSqlite(const std::string& path) {
    return OpenSqlite(path, Options{});
  }

  ~SqliteStore() override;  // Close()s

  WriteStats write_stats() const;
  // WAL checkpoints the checkpointer thread has run (0 without one).
  long long checkpoints() const;
  // Write() jobs queued and not yet taken by the writer thread.
  std::int64_t pending_writes() const;
  // True once Close() has begun: new writes are refused from then on.
  bool closing() const;
  // True while the last write transaction failed for lack of space, a
  // read-only file, an I/O error or another process's lock (write_failure.h);
  // false again after the next commit succeeds. Ping() then probes with a
  // write that changes nothing, so a health check sees the recovery.
  bool writes_failing() const;
  const std::string& path() const { return path_; }

  // Store.
  Status Write(const std::function<Status(WriteTxn&)>& work) override;
  // Queued like Write(); `done` runs on the writer thread after the commit.
  void WriteAsync(std::function<Status(WriteTxn&)> work, std::function<void(Status)> done) override;
  Result<std::optional<QuotePackage>> GetPackage(std::string_view partner,
                                                 std::string_view id) override;
  // limit < 0 means no limit (limit 0: only the count); offset < 0 is 0.
  Result<BookingPage> ListBookings(std::string_view partner, std::int64_t limit,
                                   std::int64_t offset) override;
  Result<std::vector<QuotePackage>> ListRenewalsToSweep(Micros due_by, Micros expired_by,
                                                        std::int64_t limit) override;
  // Events of `partner` (of every partner when `partner` is empty) with
  // seq > after_seq, in seq order; limit <= 0 means no limit.
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
  // Roll-ups: the rollups table (ReadRollups), a replay of the events in
  // C++ (RecountRollups), and both rewritten from that replay in one write
  // (RebuildRollups). See docs/storage.md.
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
  Status Ping() override;
  Result<std::int64_t> PurgeReplies(Micros before) override;
  Status SetWebhookConfig(const WebhookConfig& config, const AuditEntry* audit = nullptr) override;
  Result<bool> RemoveWebhookConfig(std::string_view partner,
                                   const AuditEntry* audit = nullptr) override;
  Result<std::optional<WebhookConfig>> GetWebhookConfig(std::string_view partner) override;
  Result<std::vector<ClaimedWebhook>> ClaimWebhooks(Micros now, Micros lease, int limit) override;
  Status FinishWebhook(const WebhookOutcome& outcome) override;
  Result<std::vector<Webhook>> ListWebhooks(const WebhookFilter& filter) override;
  Result<std::int64_t> RetryWebhooks(std::string_view id, const std::optional<std::string>& partner,
                                     Micros now) override;
  Result<std::vector<ClaimedEmail>> ClaimEmails(Micros now, Micros lease, int limit) override;
  Status FinishEmail(const EmailOutcome& outcome) override;
  Result<std::vector<Email>> ListEmails(const EmailFilter& filter) override;
  Result<std::int64_t> RetryEmails(std::string_view id, const std::optional<std::string>& partner,
                                   Micros now) override;
  void Close() override;

  class Txn;  // the WriteTxn handed to jobs (sqlite_store.cpp)

 private:
  class ReaderPool;
  struct Job;

  SqliteStore(std::string path, Options options, std::unique_ptr<sqlite::Connection> writer,
              std::unique_ptr<ReaderPool> readers,
              std::unique_ptr<sqlite::WalCheckpointer> checkpointer);

  // Runs `work` on the writer thread inside the batch transaction.
  Status Submit(const std::function<Status(Txn&)>& work);
  void WriterLoop();
  void RunBatch(std::vector<Job*>& batch);

  const std::string path_;
  const Options options_;
  std::unique_ptr<sqlite::Connection> writer_conn_;
  std::unique_ptr<ReaderPool> readers_;
  std::unique_ptr<sqlite::WalCheckpointer> checkpointer_;       // null: SQLite's own
  std::unique_ptr<sqlite::WriteFailureLog> write_failure_log_;  // the writer thread's

  mutable std::mutex mu_;  // guards the queue, the flags and the stats
  std::condition_variable work_cv_;
  std::deque<Job*> queue_;
  bool closing_ = false;
  WriteStats stats_;
  bool writes_failing_ = false;  // the last batch failed (write_failure.h)
  std::thread writer_;
  std::thread::id writer_id_;

  mutable std::mutex close_mu_;  // serialises Close(), guards checkpointer_
  bool closed_ = false;          // guarded by close_mu_
};

}  // namespace offerledger
