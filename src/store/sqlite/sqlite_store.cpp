#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <exception>
#include <iostream>
#include <utility>

#include "common/status_macros.h"
#include "domain/ids.h"
#include "store/package_codec.h"
#include "store/sqlite/read_failure.h"
#include "store/sqlite/sqlite_audit.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_emails.h"
#include "store/sqlite/sqlite_rollups.h"
#include "store/sqlite/sqlite_schema.h"
#include "store/sqlite/sqlite_webhooks.h"
#include "store/sqlite/wal_checkpointer.h"
#include "store/sqlite/write_failure.h"

namespace offerledger {

using sqlite::Connection;
using sqlite::Statement;

namespace {

Status Closed() { return Status::Unavailable("the store is closed"); }

// The error of a write that was not committed, as kUnavailable.
Status NotCommitted(const Status& cause) {
  return Status::Unavailable("write not committed: " + cause.message());
}

std::optional<QuotePackage> CheckOwner(QuotePackage pkg, std::string_view partner) {
  // The queries already filter by partner; this guards the document itself.
  if (pkg.partner != partner) return std::nullopt;
  return pkg;
}

constexpr std::string_view kEventColumns =
    "kind, at, partner, package_id, quote_id, policy_type, policy_type_version, policy_code, "
    "price, premium, tax, amount, currency, customer_country, price_multiplier_nanos, data, "
    "offered_at, price_band";

Result<LedgerEvent> ReadEvent(const Statement& st) {
  LedgerEvent e;
  std::string kind = st.Text(0);
  auto parsed = ParseEventKind(kind);
  if (!parsed) return Status::Internal("corrupt event row: unknown kind '" + kind + "'");
  e.kind = *parsed;
  e.at = st.Int(1);
  e.partner = st.Text(2);
  e.package_id = st.Text(3);
  e.quote_id = st.Text(4);
  e.policy_type = st.Text(5);
  e.policy_type_version = static_cast<int>(st.Int(6));
  e.policy_code = st.Text(7);
  e.price = st.Int(8);
  e.premium = st.Int(9);
  e.tax = st.Int(10);
  e.amount = st.Int(11);
  e.currency = st.Text(12);
  e.customer_country = st.Text(13);
  e.price_multiplier_nanos = st.Int(14);
  e.data_json = st.Text(15);
  e.offered_at = st.Int(16);
  e.price_band = st.Text(17);
  return e;
}

Partner ReadPartner(const Statement& st) {
  Partner p;
  p.code = st.Text(0);
  p.name = st.Text(1);
  p.created_at = st.Int(2);
  p.quote_rps = st.Int(3);
  p.other_rps = st.Int(4);
  p.require_request_target = st.Int(5) != 0;
  return p;
}

ApiKey ReadKey(const Statement& st) {
  ApiKey k;
  k.key = st.Text(0);
  k.secret = st.Text(1);
  k.partner = st.Text(2);
  k.created_at = st.Int(3);
  k.revoked_at = st.OptInt(4);
  return k;
}

Result<std::optional<QuotePackage>> LoadPackageFrom(Connection& c, std::string_view partner,
                                                    std::string_view id) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("SELECT doc FROM packages WHERE id = ?1 AND partner = ?2"));
  st.Bind(1, id).Bind(2, partner);
  OL_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<QuotePackage>();
  OL_ASSIGN_OR_RETURN(QuotePackage pkg, DecodePackage(st.Text(0)));
  return CheckOwner(std::move(pkg), partner);
}

// Ends a read transaction on scope exit if it is still open.
class ReadTxn {
 public:
  explicit ReadTxn(Connection& c) : c_(c) {}
  ~ReadTxn() {
    if (c_.InTransaction()) (void)c_.Exec("ROLLBACK");
  }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  Status Begin() { return c_.Exec("BEGIN", "starting a read transaction"); }

 private:
  Connection& c_;
};

}  // namespace

// ------------------------------------------------------------------ ReaderPool

class SqliteStore::ReaderPool {
 public:
  ReaderPool(std::string path, int max_open, int busy_timeout_ms)
      : path_(std::move(path)), max_open_(max_open < 1 ? 1 : max_open), busy_(busy_timeout_ms) {}

  // A read-only connection lent to one caller; returned to the pool on destruction.
  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->Release(std::move(conn_));
    }
    Connection& operator*() { return *conn_; }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  Result<Lease> Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !idle_.empty() || open_ < max_open_; });
    if (closed_) return Closed();
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;  // reserve the slot, open outside the lock
    lock.unlock();
    auto conn = Connection::Open(path_, Connection::Mode::kReadOnly, busy_);
    if (!conn.ok()) {
      lock.lock();
      --open_;
      cv_.notify_all();
      return sqlite::ReadFailureStatus(nullptr, conn.status());
    }
    (*conn)->ReportFailuresToPartners();
    return Lease(this, std::move(*conn));
  }

  // Waits for every lent connection to come back, then closes them all.
  void Close() {
    std::vector<std::unique_ptr<Connection>> to_close;
    {
      std::unique_lock lock(mu_);
      closed_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return static_cast<int>(idle_.size()) == open_; });
      to_close.swap(idle_);
      open_ = 0;
    }
  }

 private:
  void Release(std::unique_ptr<Connection> conn) {
    // Never pool a connection inside a read transaction: it would pin an old snapshot.
    if (conn->InTransaction()) (void)conn->Exec("ROLLBACK");
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
    cv_.notify_all();
  }

  const std::string path_;
  const int max_open_;
  const int busy_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // idle + lent
  bool closed_ = false;
};

// --------------------------------------------------------------------- Txn

// The WriteTxn a job receives: the write connection, inside the batch's
// transaction and the job's savepoint. Valid only while the job runs.
class SqliteStore::Txn final : public WriteTxn {
 public:
  explicit Txn(Connection* c) : c_(c) {}
  void Invalidate() { c_ = nullptr; }

  // The write of Ping()'s probe: page 1 written back unchanged (setting
  // user_version, which nothing else uses, to its own value dirties the
  // page), so the commit needs the same disk space and permissions as any
  // other and changes nothing.
  Status RewriteHeader() {
    OL_RETURN_IF_ERROR(CheckValid());
    OL_ASSIGN_OR_RETURN(std::string version, c_->QueryText("PRAGMA user_version"));
    if (version.find_first_not_of("-0123456789") != std::string::npos || version.empty()) {
      return Status::Internal("unexpected user_version '" + version + "'");
    }
    return c_->Exec("PRAGMA user_version = " + version, "probing a write");
  }

  Result<std::optional<QuotePackage>> LoadPackage(std::string_view partner,
                                                  std::string_view id) override {
    OL_RETURN_IF_ERROR(CheckValid());
    return LoadPackageFrom(*c_, partner, id);
  }

  Status InsertPackage(const QuotePackage& pkg) override {
    OL_RETURN_IF_ERROR(CheckValid());
    OL_RETURN_IF_ERROR(CheckPackage(pkg));
    OL_ASSIGN_OR_RETURN(Statement st,
                        c_->Prepare("INSERT INTO packages(id, partner, status, currency, "
                                    "customer_country, created_at, updated_at, booked_at, doc, "
                                    "renewal_due_at, renewal_expires_at) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    BindPackage(st, pkg);
    Status s = st.Run();
    if (s.code() == StatusCode::kConflict) {
      return Status::Conflict("quote package " + pkg.id + " already exists");
    }
    return s;
  }

  Status UpdatePackage(const QuotePackage& pkg) override {
    OL_RETURN_IF_ERROR(CheckValid());
    OL_RETURN_IF_ERROR(CheckPackage(pkg));
    OL_ASSIGN_OR_RETURN(Statement st,
                        c_->Prepare("UPDATE packages SET status = ?3, currency = ?4, "
                                    "customer_country = ?5, created_at = ?6, updated_at = ?7, "
                                    "booked_at = ?8, doc = ?9, renewal_due_at = ?10, "
                                    "renewal_expires_at = ?11 WHERE id = ?1 AND partner = ?2"));
    BindPackage(st, pkg);
    OL_RETURN_IF_ERROR(st.Run());
    if (c_->Changes() == 0) return Status::NotFound("no quote package " + pkg.id);
    return Status::Ok();
  }

  Status AppendEvents(const std::vector<LedgerEvent>& events) override {
    OL_RETURN_IF_ERROR(CheckValid());
    for (const LedgerEvent& e : events) {
      OL_ASSIGN_OR_RETURN(Statement st,
                          c_->Prepare("INSERT INTO events(" + std::string(kEventColumns) +
                                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                                      "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"));
      st.Bind(1, EventKindName(e.kind))
          .Bind(2, e.at)
          .Bind(3, e.partner)
          .Bind(4, e.package_id)
          .Bind(5, e.quote_id)
          .Bind(6, e.policy_type)
          .Bind(7, e.policy_type_version)
          .Bind(8, e.policy_code)
          .Bind(9, e.price)
          .Bind(10, e.premium)
          .Bind(11, e.tax)
          .Bind(12, e.amount)
          .Bind(13, e.currency)
          .Bind(14, e.customer_country)
          .Bind(15, e.price_multiplier_nanos)
          .Bind(16, e.data_json)
          .Bind(17, CohortTime(e))
          .Bind(18, e.price_band);
      OL_RETURN_IF_ERROR(st.Run());
      // The roll-ups, in the same transaction and savepoint as the event.
      OL_RETURN_IF_ERROR(sqlite::ApplyEventToRollups(*c_, e));
    }
    return Status::Ok();
  }

  Result<std::optional<IdempotentReply>> FindReply(std::string_view partner, std::string_view key,
                                                   Micros not_before) override {
    OL_RETURN_IF_ERROR(CheckValid());
    OL_ASSIGN_OR_RETURN(Statement st,
                        c_->Prepare("SELECT fingerprint, status, body, created_at FROM idempotency "
                                    "WHERE partner = ?1 AND key = ?2 AND created_at >= ?3"));
    st.Bind(1, partner).Bind(2, key).Bind(3, not_before);
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return std::optional<IdempotentReply>();
    IdempotentReply r;
    r.fingerprint = st.Text(0);
    r.status = static_cast<int>(st.Int(1));
    r.body = st.Text(2);
    r.created_at = st.Int(3);
    return std::optional<IdempotentReply>(std::move(r));
  }

  Status SaveReply(std::string_view partner, std::string_view key,
                   const IdempotentReply& reply) override {
    OL_RETURN_IF_ERROR(CheckValid());
    // Replaces whatever is stored for (partner, key): callers look it up with
    // FindReply first in the same unit of work, so what remains is expired.
    OL_ASSIGN_OR_RETURN(
        Statement st,
        c_->Prepare("INSERT INTO idempotency(partner, key, fingerprint, status, body, created_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(partner, key) DO UPDATE SET "
                    "fingerprint = excluded.fingerprint, status = excluded.status, "
                    "body = excluded.body, created_at = excluded.created_at"));
    st.Bind(1, partner)
        .Bind(2, key)
        .Bind(3, reply.fingerprint)
        .Bind(4, reply.status)
        .Bind(5, reply.body)
        .Bind(6, reply.created_at);
    return st.Run();
  }

  Result<bool> WantsWebhook(std::string_view partner, std::string_view event) override {
    OL_RETURN_IF_ERROR(CheckValid());
    return sqlite::WantsWebhook(*c_, partner, event);
  }

  Status EnqueueWebhook(const Webhook& webhook) override {
    OL_RETURN_IF_ERROR(CheckValid());
    return sqlite::InsertWebhook(*c_, webhook);
  }

  Status EnqueueEmail(const Email& email) override {
    OL_RETURN_IF_ERROR(CheckValid());
    return sqlite::InsertEmail(*c_, email);
  }

  // The writer connection, for the store's own writes kept in other files
  // (sqlite_webhooks.h). Valid only while the job runs.
  Connection& connection() { return *c_; }

  // ---- the store's own writes (partners, keys, purge), also on the writer.

  Status InsertPartner(const Partner& p) {
    OL_ASSIGN_OR_RETURN(Statement st,
                        c_->Prepare("INSERT INTO partners(code, name, created_at, quote_rps, "
                                    "other_rps, require_request_target) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    st.Bind(1, p.code)
        .Bind(2, p.name)
        .Bind(3, p.created_at)
        .Bind(4, p.quote_rps)
        .Bind(5, p.other_rps)
        .Bind(6, std::int64_t{p.require_request_target ? 1 : 0});
    Status s = st.Run();
    if (s.code() == StatusCode::kConflict) {
      return Status::Conflict("partner " + p.code + " already exists");
    }
    return s;
  }

  Status InsertKey(const ApiKey& k) {
    {
      OL_ASSIGN_OR_RETURN(Statement st, c_->Prepare("SELECT 1 FROM partners WHERE code = ?1"));
      st.Bind(1, k.partner);
      OL_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return Status::NotFound("no partner " + k.partner);
    }
    OL_ASSIGN_OR_RETURN(Statement st,
                        c_->Prepare("INSERT INTO api_keys(key, partner, secret, created_at, "
                                    "revoked_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.Bind(1, k.key)
        .Bind(2, k.partner)
        .Bind(3, k.secret)
        .Bind(4, k.created_at)
        .Bind(5, k.revoked_at);
    Status s = st.Run();
    if (s.code() == StatusCode::kConflict) {
      return Status::Conflict("API key " + k.key + " already exists");
    }
    return s;
  }

  Status Revoke(std::string_view key, Micros at) {
    OL_ASSIGN_OR_RETURN(Statement st,
                        c_->Prepare("SELECT revoked_at FROM api_keys WHERE key = ?1"));
    st.Bind(1, key);
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::NotFound("no API key " + std::string(key));
    if (!st.IsNull(0)) return Status::Ok();  // already revoked: keep the first time
    OL_ASSIGN_OR_RETURN(Statement up,
                        c_->Prepare("UPDATE api_keys SET revoked_at = ?2 WHERE key = ?1"));
    up.Bind(1, key).Bind(2, at);
    return up.Run();
  }

  Status ReplaceSecret(std::string_view key, std::string_view expected, std::string_view secret) {
    OL_ASSIGN_OR_RETURN(
        Statement st,
        c_->Prepare("UPDATE api_keys SET secret = ?3 WHERE key = ?1 AND secret = ?2"));
    st.Bind(1, key).Bind(2, expected).Bind(3, secret);
    OL_RETURN_IF_ERROR(st.Run());
    if (c_->Changes() > 0) return Status::Ok();
    OL_ASSIGN_OR_RETURN(Statement q, c_->Prepare("SELECT 1 FROM api_keys WHERE key = ?1"));
    q.Bind(1, key);
    OL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return Status::NotFound("no API key " + std::string(key));
    return Status::Conflict("the secret of API key " + std::string(key) + " changed meanwhile");
  }

  Status SetLimits(std::string_view code, std::int64_t quote_rps, std::int64_t other_rps) {
    OL_ASSIGN_OR_RETURN(Statement st, c_->Prepare("UPDATE partners SET quote_rps = ?2, "
                                                  "other_rps = ?3 WHERE code = ?1"));
    st.Bind(1, code).Bind(2, quote_rps).Bind(3, other_rps);
    OL_RETURN_IF_ERROR(st.Run());
    if (c_->Changes() == 0) return Status::NotFound("no partner " + std::string(code));
    return Status::Ok();
  }

  Status SetAuth(std::string_view code, bool require_request_target) {
    OL_ASSIGN_OR_RETURN(Statement st, c_->Prepare("UPDATE partners SET require_request_target = "
                                                  "?2 WHERE code = ?1"));
    st.Bind(1, code).Bind(2, std::int64_t{require_request_target ? 1 : 0});
    OL_RETURN_IF_ERROR(st.Run());
    if (c_->Changes() == 0) return Status::NotFound("no partner " + std::string(code));
    return Status::Ok();
  }

  Result<std::int64_t> RebuildRollups(
      const std::function<std::string(MinorUnits, const std::string&)>& band_of) {
    OL_ASSIGN_OR_RETURN(sqlite::ReplayedRollups replayed,
                        sqlite::ReplayEvents(*c_, std::nullopt, [&](const LedgerEvent& e) {
                          return band_of(e.price, e.currency);
                        }));
    return sqlite::RewriteRollups(*c_, replayed);
  }

  Result<std::int64_t> Purge(Micros before) {
    OL_ASSIGN_OR_RETURN(Statement st, c_->Prepare("DELETE FROM idempotency WHERE created_at < ?1"));
    st.Bind(1, before);
    OL_RETURN_IF_ERROR(st.Run());
    return c_->Changes();
  }

 private:
  Status CheckValid() const {
    if (c_ == nullptr) return Status::Internal("WriteTxn used outside its Write() call");
    return Status::Ok();
  }
  static Status CheckPackage(const QuotePackage& pkg) {
    if (pkg.id.empty() || pkg.partner.empty()) {
      return Status::Internal("a quote package needs an id and a partner to be stored");
    }
    return Status::Ok();
  }
  static void BindPackage(Statement& st, const QuotePackage& pkg) {
    st.Bind(1, pkg.id)
        .Bind(2, pkg.partner)
        .Bind(3, PackageStatusName(pkg.status))
        .Bind(4, pkg.currency)
        .Bind(5, pkg.customer_country)
        .Bind(6, pkg.created_at)
        .Bind(7, pkg.updated_at)
        .Bind(8, pkg.booked_at)
        .Bind(9, EncodePackage(pkg))
        .Bind(10, RenewalDueAt(pkg))
        .Bind(11, RenewalExpiresAt(pkg));
  }

  Connection* c_;
};

// ------------------------------------------------------------- SqliteStore

struct SqliteStore::Job {
  const std::function<Status(Txn&)>* work = nullptr;
  Status result;
  bool done = false;  // guarded by SqliteStore::mu_
  std::condition_variable cv;
  // A WriteAsync() job owns its work, is owned by the queue (deleted by the
  // writer after `then` ran) and has no waiter.
  std::function<Status(Txn&)> owned_work;
  std::function<void(Status)> then;
};

Result<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path) {
  auto store = OpenSqlite(path, Options{});
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::OpenSqlite(const std::string& path,
                                                             const Options& given) {
  Options options = given;
  if (options.max_batch < 1) options.max_batch = 1;
  if (options.read_connections < 1) options.read_connections = 1;
  if (path.empty()) return Status::Invalid("the SQLite database path is empty");
  if (path == ":memory:" || path.rfind("file:", 0) == 0) {
    return Status::Invalid("the SQLite store needs a file path (WAL mode), not '" + path + "'");
  }
  OL_ASSIGN_OR_RETURN(
      std::unique_ptr<Connection> writer,
      Connection::Open(path, Connection::Mode::kReadWrite, options.busy_timeout_ms));
  OL_ASSIGN_OR_RETURN(std::string mode, writer->EnableWal(options.busy_timeout_ms));
  if (mode != "wal") {
    return Status::Unavailable("cannot use WAL mode on SQLite database '" + path +
                               "' (journal_mode is '" + mode + "')");
  }
  OL_RETURN_IF_ERROR(
      writer->Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                   "PRAGMA cache_size=-" +
                       std::to_string(std::max(options.writer_cache_kib, 64)),
                   "configuring the connection"));
  auto applied = sqlite::ApplyMigrations(*writer, sqlite::SchemaMigrations(), NowMicros());
  if (!applied.ok()) return applied.status();

  std::unique_ptr<sqlite::WalCheckpointer> checkpointer;
  if (options.checkpoint_pages > 0) {
    OL_ASSIGN_OR_RETURN(checkpointer, sqlite::WalCheckpointer::Start(path, options.checkpoint_pages,
                                                                     options.busy_timeout_ms));
    checkpointer->Attach(*writer);
  }
  auto readers =
      std::make_unique<ReaderPool>(path, options.read_connections, options.busy_timeout_ms);
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, options, std::move(writer),
                                                     std::move(readers), std::move(checkpointer)));
  if (Status s = store->Ping(); !s.ok()) return s;  // a reader can open and query it
  return store;
}

SqliteStore::SqliteStore(std::string path, Options options, std::unique_ptr<Connection> writer,
                         std::unique_ptr<ReaderPool> readers,
                         std::unique_ptr<sqlite::WalCheckpointer> checkpointer)
    : path_(std::move(path)),
      options_(options),
      writer_conn_(std::move(writer)),
      readers_(std::move(readers)),
      checkpointer_(std::move(checkpointer)),
      write_failure_log_(std::make_unique<sqlite::WriteFailureLog>()) {
  writer_ = std::thread([this] { WriterLoop(); });
  std::lock_guard lock(mu_);
  writer_id_ = writer_.get_id();
}

SqliteStore::~SqliteStore() { Close(); }

SqliteStore::WriteStats SqliteStore::write_stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

long long SqliteStore::checkpoints() const {
  std::lock_guard lock(close_mu_);
  return checkpointer_ ? checkpointer_->checkpoints() : 0;
}

std::int64_t SqliteStore::pending_writes() const {
  std::lock_guard lock(mu_);
  return static_cast<std::int64_t>(queue_.size());
}

bool SqliteStore::closing() const {
  std::lock_guard lock(mu_);
  return closing_;
}

void SqliteStore::Close() {
  std::lock_guard close_lock(close_mu_);
  if (closed_) return;
  {
    std::lock_guard lock(mu_);
    if (std::this_thread::get_id() == writer_id_) return;  // from inside a job: cannot join itself
    closing_ = true;
  }
  work_cv_.notify_all();
  if (writer_.joinable()) writer_.join();  // drains the queue first
  if (checkpointer_) {
    checkpointer_->Detach(*writer_conn_);
    checkpointer_->Stop();
    checkpointer_.reset();  // its connection closes before the writer's
  }
  readers_->Close();     // waits for reads in flight
  writer_conn_.reset();  // last: it checkpoints the WAL
  closed_ = true;
}

Status SqliteStore::Submit(const std::function<Status(Txn&)>& work) {
  Job job;
  job.work = &work;
  std::unique_lock lock(mu_);
  if (std::this_thread::get_id() == writer_id_) {
    return Status::Internal("Write() called from inside a Write() job");
  }
  if (closing_) return Closed();
  queue_.push_back(&job);
  work_cv_.notify_one();
  job.cv.wait(lock, [&] { return job.done; });
  return std::move(job.result);
}

Status SqliteStore::Write(const std::function<Status(WriteTxn&)>& work) {
  return Submit([&work](Txn& txn) { return work(txn); });
}

void SqliteStore::WriteAsync(std::function<Status(WriteTxn&)> work,
                             std::function<void(Status)> done) {
  auto job = std::make_unique<Job>();
  job->owned_work = [work = std::move(work)](Txn& txn) { return work(txn); };
  job->work = &job->owned_work;
  job->then = std::move(done);
  {
    std::lock_guard lock(mu_);
    if (std::this_thread::get_id() == writer_id_) {
      job->result = Status::Internal("WriteAsync() called from inside a Write() job");
    } else if (closing_) {
      job->result = Closed();
    } else {
      queue_.push_back(job.release());
      work_cv_.notify_one();
      return;
    }
  }
  job->then(std::move(job->result));
}

void SqliteStore::WriterLoop() {
  std::vector<Job*> batch;
  batch.reserve(static_cast<std::size_t>(options_.max_batch));
  for (;;) {
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing, and everything queued is done
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    batch.clear();
  }
}

namespace {

// Transaction control through cached prepared statements: sqlite3_exec would
// parse the text again on every call, four times per job.
Status RunCached(Connection& c, std::string_view sql, std::string_view what) {
  auto st = c.Prepare(sql);
  if (!st.ok()) return st.status();
  return st->Run(what);
}

}  // namespace

void SqliteStore::RunBatch(std::vector<Job*>& batch) {
  Connection& c = *writer_conn_;
  std::int64_t failed_jobs = 0;
  std::optional<Status> batch_error;  // set when nothing of the batch can be committed
  // What the file system or SQLite refused (disk full, read-only, ...), read
  // from the connection right after the failed call, before a ROLLBACK
  // replaces its error code.
  std::optional<sqlite::WriteFailure> failure;
  std::int64_t refused_jobs = 0;
  auto fail_batch = [&](Status s) {
    if (!failure) failure = sqlite::ClassifyWriteFailure(c.raw(), s);
    batch_error = std::move(s);
  };

  if (Status s = RunCached(c, "BEGIN IMMEDIATE", "starting a write transaction"); !s.ok()) {
    fail_batch(std::move(s));
  }
  for (Job* job : batch) {
    if (batch_error) break;
    if (Status s = RunCached(c, "SAVEPOINT job", "starting a savepoint"); !s.ok()) {
      fail_batch(std::move(s));
      break;
    }
    Txn txn(&c);
    Status result;
    try {
      result = (*job->work)(txn);
    } catch (const std::exception& e) {
      result = Status::Internal(std::string("a write job threw an exception: ") + e.what());
    } catch (...) {
      result = Status::Internal("a write job threw an exception");
    }
    txn.Invalidate();
    if (!c.InTransaction()) {
      // SQLite rolled the whole transaction back (I/O error, disk full, ...).
      fail_batch(result.ok() ? Status::Unavailable("the write transaction was rolled back")
                             : result);
      break;
    }
    if (!result.ok() && result.code() == StatusCode::kUnavailable) {
      // This job's statement hit the disk (full, read-only ...) but SQLite
      // kept the transaction: the job alone fails, with the partner's words.
      sqlite::WriteFailure f = sqlite::ClassifyWriteFailure(c.raw(), result);
      result = f.PartnerStatus();
      ++refused_jobs;
      if (!failure) failure = std::move(f);
    }
    if (result.ok()) {
      if (Status s = RunCached(c, "RELEASE job", "releasing a savepoint"); !s.ok()) {
        fail_batch(std::move(s));
      }
    } else {
      ++failed_jobs;
      if (Status s = c.Exec("ROLLBACK TO job; RELEASE job", "rolling back a savepoint"); !s.ok()) {
        fail_batch(std::move(s));
      }
    }
    job->result = std::move(result);
  }
  if (!batch_error) {
    if (Status s = RunCached(c, "COMMIT", "committing"); !s.ok()) fail_batch(std::move(s));
  }
  if (batch_error && c.InTransaction()) (void)c.Exec("ROLLBACK");
  // Once per episode on stderr; the partners get a message without the path.
  if (batch_error) refused_jobs = static_cast<std::int64_t>(batch.size());
  if (failure) {
    write_failure_log_->Failed(*failure, refused_jobs);
  } else if (!batch_error) {
    write_failure_log_->Succeeded();
  }
  const bool failing = write_failure_log_->failing();

  // WriteAsync() jobs are answered after the lock is released: their `then`
  // may take other locks (an HTTP session's executor).
  std::vector<std::unique_ptr<Job>> async_jobs;
  {
    std::lock_guard lock(mu_);
    ++stats_.batches;
    stats_.jobs += static_cast<std::int64_t>(batch.size());
    stats_.failed_jobs += failed_jobs;
    if (batch_error) ++stats_.failed_batches;
    writes_failing_ = failing;
    if (static_cast<std::int64_t>(batch.size()) > stats_.largest_batch) {
      stats_.largest_batch = static_cast<std::int64_t>(batch.size());
    }
    for (Job* job : batch) {
      // Nothing of the batch was applied, and a job's own answer may rest on
      // earlier jobs' writes that are now gone: every job reports the failure.
      if (batch_error) {
        job->result = failure ? failure->PartnerStatus() : NotCommitted(*batch_error);
      }
      if (job->then) {
        async_jobs.emplace_back(job);
        continue;
      }
      job->done = true;
      job->cv.notify_one();  // under mu_: the waiter cannot destroy the Job before this returns
    }
  }
  for (auto& job : async_jobs) {
    try {
      job->then(std::move(job->result));
    } catch (const std::exception& e) {  // never lose the other jobs' answers
      std::cerr << "offerledger: a write's completion failed: " << e.what() << std::endl;
    }
  }
}

// ------------------------------------------------------------------- reads

Result<std::optional<QuotePackage>> SqliteStore::GetPackage(std::string_view partner,
                                                            std::string_view id) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  return LoadPackageFrom(*lease, partner, id);
}

Result<BookingPage> SqliteStore::ListBookings(std::string_view partner, std::int64_t limit,
                                              std::int64_t offset) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  Connection& c = *lease;
  ReadTxn txn(c);  // count and page from one snapshot
  OL_RETURN_IF_ERROR(txn.Begin());
  BookingPage page;
  {
    OL_ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT count(*) FROM packages "
                                                "WHERE partner = ?1 AND booked_at IS NOT NULL"));
    st.Bind(1, partner);
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    page.count = row ? st.Int(0) : 0;
  }
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("SELECT doc FROM packages WHERE partner = ?1 AND booked_at IS NOT "
                                "NULL ORDER BY booked_at DESC, id LIMIT ?2 OFFSET ?3"));
  st.Bind(1, partner).Bind(2, limit).Bind(3, offset < 0 ? 0 : offset);
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    OL_ASSIGN_OR_RETURN(QuotePackage pkg, DecodePackage(st.Text(0)));
    page.results.push_back(std::move(pkg));
  }
  return page;
}

Result<std::vector<QuotePackage>> SqliteStore::ListRenewalsToSweep(Micros due_by, Micros expired_by,
                                                                   std::int64_t limit) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  // Two index ranges (schema v9), each cut to `limit`, merged by period end.
  OL_ASSIGN_OR_RETURN(
      Statement st,
      (*lease).Prepare("SELECT doc FROM (SELECT * FROM (SELECT id, doc, renewal_expires_at AS at "
                       "FROM packages WHERE renewal_due_at <= ?1 ORDER BY renewal_due_at "
                       "LIMIT ?3) UNION ALL SELECT * FROM (SELECT id, doc, renewal_expires_at AS "
                       "at FROM packages WHERE renewal_expires_at <= ?2 AND (renewal_due_at IS "
                       "NULL OR renewal_due_at > ?1) ORDER BY renewal_expires_at LIMIT ?3)) "
                       "ORDER BY at, id LIMIT ?3"));
  st.Bind(1, due_by).Bind(2, expired_by).Bind(3, limit);
  std::vector<QuotePackage> out;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    OL_ASSIGN_OR_RETURN(QuotePackage pkg, DecodePackage(st.Text(0)));
    out.push_back(std::move(pkg));
  }
  return out;
}

Result<std::vector<LedgerEvent>> SqliteStore::ListEvents(std::string_view partner,
                                                         std::int64_t after_seq,
                                                         std::int64_t limit) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  Connection& c = *lease;
  const std::string sql = "SELECT " + std::string(kEventColumns) + ", seq FROM events WHERE " +
                          (partner.empty() ? "?1 = ''" : "partner = ?1") +
                          " AND seq > ?2 ORDER BY seq LIMIT ?3";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  st.Bind(1, partner).Bind(2, after_seq).Bind(3, limit <= 0 ? -1 : limit);
  std::vector<LedgerEvent> events;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    OL_ASSIGN_OR_RETURN(LedgerEvent e, ReadEvent(st));
    e.seq = st.Int(18);
    events.push_back(std::move(e));
  }
  return events;
}

Result<std::int64_t> SqliteStore::CountEvents(EventKind kind) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  OL_ASSIGN_OR_RETURN(Statement st,
                      (*lease).Prepare("SELECT count(*) FROM events WHERE kind = ?1"));
  st.Bind(1, EventKindName(kind));
  OL_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

// ---------------------------------------------------------- partners, keys

Status SqliteStore::CreatePartner(const Partner& partner, const ApiKey& first_key,
                                  const AuditEntry* audit) {
  if (first_key.partner != partner.code) {
    return Status::Invalid("the first key of partner " + partner.code + " names another partner");
  }
  return Submit([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.InsertPartner(partner));
    OL_RETURN_IF_ERROR(txn.InsertKey(first_key));
    return sqlite::InsertAudit(txn.connection(), audit);
  });
}

Result<std::optional<Partner>> SqliteStore::GetPartner(std::string_view code) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  OL_ASSIGN_OR_RETURN(Statement st,
                      (*lease).Prepare("SELECT code, name, created_at, quote_rps, other_rps, "
                                       "require_request_target "
                                       "FROM partners WHERE code = ?1"));
  st.Bind(1, code);
  OL_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<Partner>();
  return std::optional<Partner>(ReadPartner(st));
}

Result<std::vector<Partner>> SqliteStore::ListPartners() {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  OL_ASSIGN_OR_RETURN(Statement st,
                      (*lease).Prepare("SELECT code, name, created_at, quote_rps, other_rps, "
                                       "require_request_target "
                                       "FROM partners ORDER BY code"));
  std::vector<Partner> partners;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    partners.push_back(ReadPartner(st));
  }
  return partners;
}

Status SqliteStore::AddKey(const ApiKey& key, const AuditEntry* audit) {
  return Submit([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.InsertKey(key));
    return sqlite::InsertAudit(txn.connection(), audit);
  });
}

Status SqliteStore::RevokeKey(std::string_view key, Micros at, const AuditEntry* audit) {
  return Submit([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.Revoke(key, at));
    return sqlite::InsertAudit(txn.connection(), audit);
  });
}

Status SqliteStore::ReplaceKeySecret(std::string_view key, std::string_view expected,
                                     std::string_view secret, const AuditEntry* audit) {
  return Submit([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.ReplaceSecret(key, expected, secret));
    return sqlite::InsertAudit(txn.connection(), audit);
  });
}

Status SqliteStore::SetPartnerLimits(std::string_view code, std::int64_t quote_rps,
                                     std::int64_t other_rps, const AuditEntry* audit) {
  return Submit([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.SetLimits(code, quote_rps, other_rps));
    return sqlite::InsertAudit(txn.connection(), audit);
  });
}

Status SqliteStore::SetPartnerAuth(std::string_view code, bool require_request_target,
                                   const AuditEntry* audit) {
  return Submit([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.SetAuth(code, require_request_target));
    return sqlite::InsertAudit(txn.connection(), audit);
  });
}

Result<std::vector<AuditEntry>> SqliteStore::ListAudit(const AuditFilter& filter) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  return sqlite::ReadAudit(*lease, filter);
}

Result<std::optional<ApiKey>> SqliteStore::FindKey(std::string_view key) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  OL_ASSIGN_OR_RETURN(Statement st,
                      (*lease).Prepare("SELECT k.key, k.secret, k.partner, k.created_at, "
                                       "k.revoked_at, p.require_request_target FROM api_keys k "
                                       "JOIN partners p ON p.code = k.partner WHERE k.key = ?1"));
  st.Bind(1, key);
  OL_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<ApiKey>();
  ApiKey k = ReadKey(st);
  k.require_request_target = st.Int(5) != 0;
  return std::optional<ApiKey>(std::move(k));
}

Result<std::vector<ApiKey>> SqliteStore::ListKeys(std::string_view partner) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  OL_ASSIGN_OR_RETURN(
      Statement st, (*lease).Prepare("SELECT key, secret, partner, created_at, revoked_at "
                                     "FROM api_keys WHERE partner = ?1 ORDER BY created_at, key"));
  st.Bind(1, partner);
  std::vector<ApiKey> keys;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    keys.push_back(ReadKey(st));
  }
  return keys;
}

// ------------------------------------------------------------------ roll-ups

Result<std::vector<RollupRow>> SqliteStore::ReadRollups(const RollupFilter& filter) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  return sqlite::ReadRollupRows(*lease, filter);
}

Result<std::vector<RollupRow>> SqliteStore::RecountRollups(const RollupFilter& filter,
                                                           const PriceBandOf& band_of) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  sqlite::BandOfEvent band_of_event;
  if (band_of) {
    band_of_event = [&band_of](const LedgerEvent& e) { return band_of(e.price, e.currency); };
  }
  OL_ASSIGN_OR_RETURN(sqlite::ReplayedRollups replayed,
                      sqlite::ReplayEvents(*lease, filter.partner, band_of_event));
  return sqlite::RowsIn(replayed, filter);
}

Result<std::int64_t> SqliteStore::RebuildRollups(
    const std::function<std::string(MinorUnits price, const std::string& currency)>& band_of) {
  if (!band_of) return Status::Invalid("RebuildRollups needs a price band function");
  std::int64_t written = 0;
  Status s = Submit([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(written, txn.RebuildRollups(band_of));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return written;
}

// -------------------------------------------------------------------- arms

Result<std::vector<ArmTotals>> SqliteStore::ReadArms(const ArmFilter& filter, std::int64_t today,
                                                     int decision_window_days) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  return sqlite::ReadArmTotals(*lease, filter, today, decision_window_days);
}

Result<std::vector<ArmContext>> SqliteStore::ListArmContexts() {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  return sqlite::ReadArmContexts(*lease);
}

Result<std::vector<ArmRow>> SqliteStore::ReadArmRows() {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  return sqlite::ReadAllArmRows(*lease);
}

Result<std::vector<ArmRow>> SqliteStore::RecountArmRows() {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  OL_ASSIGN_OR_RETURN(sqlite::ReplayedRollups replayed,
                      sqlite::ReplayEvents(*lease, std::nullopt, nullptr));
  return std::move(replayed.arms);
}

// ------------------------------------------------------------ maintenance

Status SqliteStore::Ping() {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  OL_ASSIGN_OR_RETURN(Statement st, (*lease).Prepare("SELECT count(*) FROM schema_migrations"));
  OL_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::Internal("SQLite database '" + path_ + "' did not answer");
  // While the last write failed (disk full, read-only ...), the store is not
  // healthy although it reads. A probe write tells whether that is over, so
  // /healthz turns 200 again when space returns even without partner traffic.
  if (writes_failing()) return Submit([](Txn& txn) { return txn.RewriteHeader(); });
  return Status::Ok();
}

bool SqliteStore::writes_failing() const {
  std::lock_guard lock(mu_);
  return writes_failing_;
}

Result<std::int64_t> SqliteStore::PurgeReplies(Micros before) {
  std::int64_t purged = 0;
  Status s = Submit([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(purged, txn.Purge(before));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return purged;
}

// ---------------------------------------------------------------- webhooks

Status SqliteStore::SetWebhookConfig(const WebhookConfig& config, const AuditEntry* audit) {
  return Submit([&](Txn& txn) {
    OL_RETURN_IF_ERROR(sqlite::UpsertWebhookConfig(txn.connection(), config));
    return sqlite::InsertAudit(txn.connection(), audit);
  });
}

// The audit entry is written only when there was a webhook to remove.
Result<bool> SqliteStore::RemoveWebhookConfig(std::string_view partner, const AuditEntry* audit) {
  bool removed = false;
  Status s = Submit([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(removed, sqlite::DeleteWebhookConfig(txn.connection(), partner));
    return removed ? sqlite::InsertAudit(txn.connection(), audit) : Status::Ok();
  });
  if (!s.ok()) return s;
  return removed;
}

Result<std::optional<WebhookConfig>> SqliteStore::GetWebhookConfig(std::string_view partner) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  return sqlite::ReadWebhookConfig(*lease, partner);
}

Result<std::vector<ClaimedWebhook>> SqliteStore::ClaimWebhooks(Micros now, Micros lease,
                                                               int limit) {
  {
    // Most polls find nothing: a read answers them without a write transaction.
    OL_ASSIGN_OR_RETURN(ReaderPool::Lease reader, readers_->Acquire());
    OL_ASSIGN_OR_RETURN(bool due, sqlite::AnyWebhookDue(*reader, now));
    if (!due) return std::vector<ClaimedWebhook>{};
  }
  std::vector<ClaimedWebhook> claimed;
  const std::string claim = NewUuid();
  Status s = Submit([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(claimed,
                        sqlite::ClaimDueWebhooks(txn.connection(), now, lease, limit, claim));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return claimed;
}

Status SqliteStore::FinishWebhook(const WebhookOutcome& outcome) {
  return Submit([&](Txn& txn) { return sqlite::FinishWebhook(txn.connection(), outcome); });
}

Result<std::vector<Webhook>> SqliteStore::ListWebhooks(const WebhookFilter& filter) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  return sqlite::ReadWebhooks(*lease, filter);
}

Result<std::int64_t> SqliteStore::RetryWebhooks(std::string_view id,
                                                const std::optional<std::string>& partner,
                                                Micros now) {
  std::int64_t retried = 0;
  Status s = Submit([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(retried, sqlite::RetryDeadWebhooks(txn.connection(), id, partner, now));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return retried;
}

// ---------------------------------------------------------------- emails

Result<std::vector<ClaimedEmail>> SqliteStore::ClaimEmails(Micros now, Micros lease, int limit) {
  {
    // Most polls find nothing: a read answers them without a write transaction.
    OL_ASSIGN_OR_RETURN(ReaderPool::Lease reader, readers_->Acquire());
    OL_ASSIGN_OR_RETURN(bool due, sqlite::AnyEmailDue(*reader, now));
    if (!due) return std::vector<ClaimedEmail>{};
  }
  std::vector<ClaimedEmail> claimed;
  const std::string claim = NewUuid();
  Status s = Submit([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(claimed,
                        sqlite::ClaimDueEmails(txn.connection(), now, lease, limit, claim));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return claimed;
}

Status SqliteStore::FinishEmail(const EmailOutcome& outcome) {
  return Submit([&](Txn& txn) { return sqlite::FinishEmail(txn.connection(), outcome); });
}

Result<std::vector<Email>> SqliteStore::ListEmails(const EmailFilter& filter) {
  OL_ASSIGN_OR_RETURN(ReaderPool::Lease lease, readers_->Acquire());
  return sqlite::ReadEmails(*lease, filter);
}

Result<std::int64_t> SqliteStore::RetryEmails(std::string_view id,
                                              const std::optional<std::string>& partner,
                                              Micros now) {
  std::int64_t retried = 0;
  Status s = Submit([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(retried, sqlite::RetryEmails(txn.connection(), id, partner, now));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return retried;
}

}  // namespace offerledger
