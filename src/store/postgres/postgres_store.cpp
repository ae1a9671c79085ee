#include "store/postgres/postgres_store.h"

#include <chrono>
#include <exception>
#include <thread>
#include <utility>

#include "common/status_macros.h"
#include "domain/ids.h"
#include "store/package_codec.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_audit.h"
#include "store/postgres/postgres_emails.h"
#include "store/postgres/postgres_rollups.h"
#include "store/postgres/postgres_schema.h"
#include "store/postgres/postgres_webhooks.h"

namespace offerledger {

using pg::Connection;
using pg::Params;
using pg::Rows;

namespace {

Status Closed() { return Status::Unavailable("the store is closed"); }

// Write() inside a Write() job would wait for a row lock its caller holds.
thread_local int tl_write_depth = 0;

// The first key of the (int, int) advisory locks on idempotency keys ("olik");
// two-int locks never collide with the bigint ones of the migrations.
constexpr int kIdempotencyLockClass = 0x6f6c696b;

const std::string kEventColumns =
    "kind, at, partner, package_id, quote_id, policy_type, policy_type_version, policy_code, "
    "price, premium, tax, amount, currency, customer_country, price_multiplier_nanos, data, "
    "offered_at, price_band";

Result<LedgerEvent> ReadEvent(const Rows& r, int i) {
  LedgerEvent e;
  const std::string kind = r.Text(i, 0);
  auto parsed = ParseEventKind(kind);
  if (!parsed) return Status::Internal("corrupt event row: unknown kind '" + kind + "'");
  e.kind = *parsed;
  e.at = r.Int(i, 1);
  e.partner = r.Text(i, 2);
  e.package_id = r.Text(i, 3);
  e.quote_id = r.Text(i, 4);
  e.policy_type = r.Text(i, 5);
  e.policy_type_version = static_cast<int>(r.Int(i, 6));
  e.policy_code = r.Text(i, 7);
  e.price = r.Int(i, 8);
  e.premium = r.Int(i, 9);
  e.tax = r.Int(i, 10);
  e.amount = r.Int(i, 11);
  e.currency = r.Text(i, 12);
  e.customer_country = r.Text(i, 13);
  e.price_multiplier_nanos = r.Int(i, 14);
  e.data_json = r.Text(i, 15);
  e.offered_at = r.Int(i, 16);
  e.price_band = r.Text(i, 17);
  return e;
}

Partner ReadPartner(const Rows& r, int i) {
  return {r.Text(i, 0), r.Text(i, 1), r.Int(i, 2), r.Int(i, 3), r.Int(i, 4), r.Text(i, 5) == "t"};
}

ApiKey ReadKey(const Rows& r, int i) {
  ApiKey k;
  k.key = r.Text(i, 0);
  k.secret = r.Text(i, 1);
  k.partner = r.Text(i, 2);
  k.created_at = r.Int(i, 3);
  k.revoked_at = r.OptInt(i, 4);
  return k;
}

Result<std::optional<QuotePackage>> LoadPackageFrom(Connection& c, std::string_view partner,
                                                    std::string_view id, bool for_update) {
  OL_ASSIGN_OR_RETURN(Rows r, c.Query(std::string("SELECT doc FROM packages WHERE id = $1 AND "
                                                  "partner = $2") +
                                          (for_update ? " FOR UPDATE" : ""),
                                      Params().Add(id).Add(partner)));
  if (r.size() == 0) return std::optional<QuotePackage>();
  OL_ASSIGN_OR_RETURN(QuotePackage pkg, DecodePackage(r.Text(0, 0)));
  if (pkg.partner != partner) return std::optional<QuotePackage>();
  return std::optional<QuotePackage>(std::move(pkg));
}

Params PackageParams(const QuotePackage& pkg) {
  Params p;
  p.Add(pkg.id)
      .Add(pkg.partner)
      .Add(PackageStatusName(pkg.status))
      .Add(pkg.currency)
      .Add(pkg.customer_country)
      .Add(pkg.created_at)
      .Add(pkg.updated_at)
      .Add(pkg.booked_at)
      .Add(EncodePackage(pkg))
      .Add(RenewalDueAt(pkg))
      .Add(RenewalExpiresAt(pkg));
  return p;
}

Status CheckPackage(const QuotePackage& pkg) {
  if (pkg.id.empty() || pkg.partner.empty()) {
    return Status::Internal("a quote package needs an id and a partner to be stored");
  }
  return Status::Ok();
}

}  // namespace

// --------------------------------------------------------------------- pool

class PostgresStore::Lease {
 public:
  Lease(PostgresStore* store, std::unique_ptr<Connection> c) : store_(store), c_(std::move(c)) {}
  Lease(Lease&& o) noexcept : store_(std::exchange(o.store_, nullptr)), c_(std::move(o.c_)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (store_ != nullptr) store_->Release(std::move(c_));
  }
  Connection& operator*() { return *c_; }
  Connection* operator->() { return c_.get(); }

 private:
  PostgresStore* store_;
  std::unique_ptr<Connection> c_;
};

Result<PostgresStore::Lease> PostgresStore::Acquire() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return closed_ || !idle_.empty() || open_ < options_.pool_size; });
    if (closed_) return Closed();
    if (idle_.empty()) break;
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (c->Alive()) return Lease(this, std::move(c));
    // The server closed it while it sat idle (PostgreSQL stopped or
    // restarted): replace it rather than hand it out to fail its first
    // query. After an outage every pooled connection is such a one.
    --open_;
    c.reset();
    cv_.notify_all();
  }
  ++open_;
  lock.unlock();
  auto c = Connection::Open(url_);
  if (!c.ok()) {
    lock.lock();
    --open_;
    cv_.notify_all();
    pg::NoteUnavailable(c.status().message());
    return Status::Unavailable(std::string(pg::kUnavailableMessage));
  }
  return Lease(this, std::move(*c));
}

void PostgresStore::Release(std::unique_ptr<Connection> c) {
  if (!c->Broken() && c->InTransaction()) (void)c->Exec("ROLLBACK");
  std::lock_guard lock(mu_);
  if (c->Broken() || c->read_only()) {
    --open_;  // a lost (or read-only) connection is dropped; the next Acquire opens a new one
    c.reset();
  } else {
    idle_.push_back(std::move(c));
  }
  cv_.notify_all();
}

// --------------------------------------------------------------------- Txn

class PostgresStore::Txn final : public WriteTxn {
 public:
  explicit Txn(Connection* c) : c_(c) {}
  void Invalidate() { c_ = nullptr; }

  Result<std::optional<QuotePackage>> LoadPackage(std::string_view partner,
                                                  std::string_view id) override {
    OL_RETURN_IF_ERROR(CheckValid());
    return LoadPackageFrom(*c_, partner, id, /*for_update=*/true);
  }

  Status InsertPackage(const QuotePackage& pkg) override {
    OL_RETURN_IF_ERROR(CheckValid());
    OL_RETURN_IF_ERROR(CheckPackage(pkg));
    OL_ASSIGN_OR_RETURN(Rows r, c_->Query("INSERT INTO packages(id, partner, status, currency, "
                                          "customer_country, created_at, updated_at, booked_at, "
                                          "doc, renewal_due_at, renewal_expires_at) VALUES ($1, "
                                          "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                                          "ON CONFLICT (id) DO NOTHING",
                                          PackageParams(pkg)));
    if (r.Affected() == 0) return Status::Conflict("quote package " + pkg.id + " already exists");
    return Status::Ok();
  }

  Status UpdatePackage(const QuotePackage& pkg) override {
    OL_RETURN_IF_ERROR(CheckValid());
    OL_RETURN_IF_ERROR(CheckPackage(pkg));
    OL_ASSIGN_OR_RETURN(Rows r, c_->Query("UPDATE packages SET status = $3, currency = $4, "
                                          "customer_country = $5, created_at = $6, updated_at = "
                                          "$7, booked_at = $8, doc = $9, renewal_due_at = $10, "
                                          "renewal_expires_at = $11 WHERE id = $1 AND "
                                          "partner = $2",
                                          PackageParams(pkg)));
    if (r.Affected() == 0) return Status::NotFound("no quote package " + pkg.id);
    return Status::Ok();
  }

  Status AppendEvents(const std::vector<LedgerEvent>& events) override {
    OL_RETURN_IF_ERROR(CheckValid());
    for (const LedgerEvent& e : events) {
      OL_RETURN_IF_ERROR(c_->Query("INSERT INTO events(" + kEventColumns +
                                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                                       "$12, $13, $14, $15, $16, $17, $18)",
                                   Params()
                                       .Add(EventKindName(e.kind))
                                       .Add(e.at)
                                       .Add(e.partner)
                                       .Add(e.package_id)
                                       .Add(e.quote_id)
                                       .Add(e.policy_type)
                                       .Add(e.policy_type_version)
                                       .Add(e.policy_code)
                                       .Add(e.price)
                                       .Add(e.premium)
                                       .Add(e.tax)
                                       .Add(e.amount)
                                       .Add(e.currency)
                                       .Add(e.customer_country)
                                       .Add(e.price_multiplier_nanos)
                                       .Add(e.data_json)
                                       .Add(CohortTime(e))
                                       .Add(e.price_band))
                             .status());
      OL_RETURN_IF_ERROR(pg::ApplyEventToRollups(*c_, e));
    }
    return Status::Ok();
  }

  Result<std::optional<IdempotentReply>> FindReply(std::string_view partner, std::string_view key,
                                                   Micros not_before) override {
    OL_RETURN_IF_ERROR(CheckValid());
    // The same key sent to two processes at once: without a lock both would
    // find no reply and both do the work (two packages for one key, or a
    // 422 for the second of two identical bookings). The key's advisory lock
    // is held until this transaction ends, i.e. until its reply is saved;
    // the other one then reads that reply (its SELECT is a new statement, so
    // under READ COMMITTED it sees the commit) and replays it. Keys whose
    // hashes collide only wait for each other.
    OL_RETURN_IF_ERROR(c_->Query("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                                 Params()
                                     .Add(kIdempotencyLockClass)
                                     .Add(std::string(partner) + "\n" + std::string(key)))
                           .status());
    OL_ASSIGN_OR_RETURN(Rows r, c_->Query("SELECT fingerprint, status, body, created_at FROM "
                                          "idempotency WHERE partner = $1 AND key = $2 AND "
                                          "created_at >= $3",
                                          Params().Add(partner).Add(key).Add(not_before)));
    if (r.size() == 0) return std::optional<IdempotentReply>();
    IdempotentReply reply;
    reply.fingerprint = r.Text(0, 0);
    reply.status = static_cast<int>(r.Int(0, 1));
    reply.body = r.Text(0, 2);
    reply.created_at = r.Int(0, 3);
    return std::optional<IdempotentReply>(std::move(reply));
  }

  Status SaveReply(std::string_view partner, std::string_view key,
                   const IdempotentReply& reply) override {
    OL_RETURN_IF_ERROR(CheckValid());
    return c_
        ->Query(
            "INSERT INTO idempotency(partner, key, fingerprint, status, body, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(partner, key) DO UPDATE SET "
            "fingerprint = excluded.fingerprint, status = excluded.status, "
            "body = excluded.body, created_at = excluded.created_at",
            Params()
                .Add(partner)
                .Add(key)
                .Add(reply.fingerprint)
                .Add(reply.status)
                .Add(reply.body)
                .Add(reply.created_at))
        .status();
  }

  Result<bool> WantsWebhook(std::string_view partner, std::string_view event) override {
    OL_RETURN_IF_ERROR(CheckValid());
    return pg::WantsWebhook(*c_, partner, event);
  }

  Status EnqueueWebhook(const Webhook& webhook) override {
    OL_RETURN_IF_ERROR(CheckValid());
    return pg::InsertWebhook(*c_, webhook);
  }

  Status EnqueueEmail(const Email& email) override {
    OL_RETURN_IF_ERROR(CheckValid());
    return pg::InsertEmail(*c_, email);
  }

  // The transaction's connection, for the store's own writes kept in other
  // files (postgres_webhooks.h). Valid only while the job runs.
  Connection& connection() { return *c_; }

  // ---- the store's own writes.
  Status InsertPartner(const Partner& p) {
    OL_ASSIGN_OR_RETURN(
        Rows r,
        c_->Query(
            "INSERT INTO partners(code, name, created_at, "
            "quote_rps, other_rps, require_request_target) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (code) DO NOTHING",
            Params()
                .Add(p.code)
                .Add(p.name)
                .Add(p.created_at)
                .Add(p.quote_rps)
                .Add(p.other_rps)
                .Add(p.require_request_target ? "true" : "false")));
    if (r.Affected() == 0) return Status::Conflict("partner " + p.code + " already exists");
    return Status::Ok();
  }

  Status InsertKey(const ApiKey& k) {
    {
      // FOR SHARE: the partner cannot disappear before the key is in.
      OL_ASSIGN_OR_RETURN(Rows r, c_->Query("SELECT 1 FROM partners WHERE code = $1 FOR SHARE",
                                            Params().Add(k.partner)));
      if (r.size() == 0) return Status::NotFound("no partner " + k.partner);
    }
    OL_ASSIGN_OR_RETURN(
        Rows r,
        c_->Query(
            "INSERT INTO api_keys(key, partner, secret, created_at, revoked_at) VALUES "
            "($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
            Params().Add(k.key).Add(k.partner).Add(k.secret).Add(k.created_at).Add(k.revoked_at)));
    if (r.Affected() == 0) return Status::Conflict("API key " + k.key + " already exists");
    return Status::Ok();
  }

  Status Revoke(std::string_view key, Micros at) {
    OL_ASSIGN_OR_RETURN(Rows r, c_->Query("SELECT revoked_at FROM api_keys WHERE key = $1 FOR "
                                          "UPDATE",
                                          Params().Add(key)));
    if (r.size() == 0) return Status::NotFound("no API key " + std::string(key));
    if (!r.IsNull(0, 0)) return Status::Ok();  // already revoked: keep the first time
    return c_
        ->Query("UPDATE api_keys SET revoked_at = $2 WHERE key = $1", Params().Add(key).Add(at))
        .status();
  }

  Status ReplaceSecret(std::string_view key, std::string_view expected, std::string_view secret) {
    OL_ASSIGN_OR_RETURN(Rows r, c_->Query("UPDATE api_keys SET secret = $3 WHERE key = $1 AND "
                                          "secret = $2",
                                          Params().Add(key).Add(expected).Add(secret)));
    if (r.Affected() > 0) return Status::Ok();
    OL_ASSIGN_OR_RETURN(Rows q,
                        c_->Query("SELECT 1 FROM api_keys WHERE key = $1", Params().Add(key)));
    if (q.size() == 0) return Status::NotFound("no API key " + std::string(key));
    return Status::Conflict("the secret of API key " + std::string(key) + " changed meanwhile");
  }

  Status SetLimits(std::string_view code, std::int64_t quote_rps, std::int64_t other_rps) {
    OL_ASSIGN_OR_RETURN(Rows r,
                        c_->Query("UPDATE partners SET quote_rps = $2, other_rps = $3 WHERE code "
                                  "= $1",
                                  Params().Add(code).Add(quote_rps).Add(other_rps)));
    if (r.Affected() == 0) return Status::NotFound("no partner " + std::string(code));
    return Status::Ok();
  }

  Status SetAuth(std::string_view code, bool require_request_target) {
    OL_ASSIGN_OR_RETURN(Rows r, c_->Query("UPDATE partners SET require_request_target = $2 "
                                          "WHERE code = $1",
                                          Params().Add(code).Add(require_request_target ? "true"
                                                                                        : "false")));
    if (r.Affected() == 0) return Status::NotFound("no partner " + std::string(code));
    return Status::Ok();
  }

  Result<std::int64_t> Rebuild(const PriceBandOf& band_of) {
    // No event may be appended between the replay and the rewrite (any process).
    OL_RETURN_IF_ERROR(c_->Exec("LOCK TABLE events IN SHARE MODE"));
    OL_ASSIGN_OR_RETURN(pg::Replayed replayed,
                        pg::ReplayEvents(*c_, std::nullopt, [&](const LedgerEvent& e) {
                          return band_of(e.price, e.currency);
                        }));
    return pg::RewriteRollups(*c_, replayed);
  }

  Result<std::int64_t> Purge(Micros before) {
    OL_ASSIGN_OR_RETURN(
        Rows r, c_->Query("DELETE FROM idempotency WHERE created_at < $1", Params().Add(before)));
    return r.Affected();
  }

 private:
  Status CheckValid() const {
    if (c_ == nullptr) return Status::Internal("WriteTxn used outside its Write() call");
    return Status::Ok();
  }
  Connection* c_;
};

// ------------------------------------------------------------ PostgresStore

PostgresStore::PostgresStore(std::string url, Options options)
    : url_(std::move(url)), options_(options) {}

PostgresStore::~PostgresStore() { Close(); }

Result<std::unique_ptr<Store>> PostgresStore::Open(const std::string& url) {
  OL_ASSIGN_OR_RETURN(std::unique_ptr<PostgresStore> store, OpenPostgres(url, Options{}));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::OpenPostgres(const std::string& url,
                                                                   const Options& options) {
  Options o = options;
  if (o.pool_size < 1) o.pool_size = 1;
  if (o.max_attempts < 1) o.max_attempts = 1;
  std::unique_ptr<PostgresStore> store(new PostgresStore(url, o));
  {
    // Opened here rather than through Acquire(), which answers with the
    // partner-facing kUnavailableMessage: whoever starts offerledger with a
    // wrong URL or no server is told libpq's reason.
    OL_ASSIGN_OR_RETURN(std::unique_ptr<Connection> first, Connection::Open(url));
    auto applied = pg::ApplyMigrations(*first);
    if (!applied.ok()) return applied.status();
    std::lock_guard lock(store->mu_);
    ++store->open_;
    store->idle_.push_back(std::move(first));
  }
  OL_RETURN_IF_ERROR(store->Ping());
  return store;
}

Result<std::vector<int>> PostgresStore::Migrate(const std::string& url) {
  OL_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, Connection::Open(url));
  return pg::ApplyMigrations(*c);
}

void PostgresStore::Close() {
  std::vector<std::unique_ptr<Connection>> to_close;
  std::unique_lock lock(mu_);
  if (closed_ && open_ == 0) return;
  closed_ = true;
  cv_.notify_all();
  cv_.wait(lock, [&] { return static_cast<int>(idle_.size()) == open_; });
  to_close.swap(idle_);
  open_ = 0;
}

Status PostgresStore::Transact(const std::function<Status(Txn&)>& work) {
  if (tl_write_depth > 0) return Status::Internal("Write() called from inside a Write() job");
  struct Depth {
    Depth() { ++tl_write_depth; }
    ~Depth() { --tl_write_depth; }
  } depth;
  Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(std::chrono::milliseconds(5 * attempt));
    auto lease = Acquire();
    if (!lease.ok()) {
      last = lease.status();
      if (last.message() == Closed().message()) return last;
      continue;  // the server may be restarting: try again
    }
    Connection& c = **lease;
    bool transient = false;
    Status result;
    if (Status s = c.Exec("BEGIN"); !s.ok()) {
      result = s;
      transient = c.last_error_transient();
    } else {
      Txn txn(&c);
      try {
        result = work(txn);
      } catch (const std::exception& e) {
        result = Status::Internal(std::string("a write job threw an exception: ") + e.what());
      } catch (...) {
        result = Status::Internal("a write job threw an exception");
      }
      txn.Invalidate();
      transient = !result.ok() && c.last_error_transient();
      if (result.ok()) {
        if (Status s = c.Exec("COMMIT"); !s.ok()) {
          // A COMMIT whose answer was lost may or may not have been applied:
          // it is not retried (that could apply it twice).
          if (c.Broken()) return Status::Unavailable(std::string(pg::kOutcomeUnknownMessage));
          result = s;
          transient = c.last_error_transient();
        }
      } else if (!c.Broken()) {
        (void)c.Exec("ROLLBACK");
      }
    }
    if (result.ok()) return result;
    last = result;
    if (!transient) return result;
  }
  // Transient failures all the way: nothing was committed. The last error's
  // text is for stderr (NoteUnavailable already said why, if the database
  // went away), not for the partner who gets this 503.
  return Status::Unavailable(std::string(pg::kUnavailableMessage));
}

Status PostgresStore::Write(const std::function<Status(WriteTxn&)>& work) {
  return Transact([&work](Txn& txn) { return work(txn); });
}

// ------------------------------------------------------------------- reads

Result<std::optional<QuotePackage>> PostgresStore::GetPackage(std::string_view partner,
                                                              std::string_view id) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return LoadPackageFrom(*lease, partner, id, /*for_update=*/false);
}

Result<std::vector<QuotePackage>> PostgresStore::ListRenewalsToSweep(Micros due_by,
                                                                     Micros expired_by,
                                                                     std::int64_t limit) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  // Two index ranges (schema v9), each cut to `limit`, merged by period end.
  OL_ASSIGN_OR_RETURN(
      Rows r, (*lease).Query("SELECT doc FROM ((SELECT id, doc, renewal_expires_at AS at FROM "
                             "packages WHERE renewal_due_at <= $1 ORDER BY renewal_due_at LIMIT "
                             "$3) UNION ALL (SELECT id, doc, renewal_expires_at AS at FROM "
                             "packages WHERE renewal_expires_at <= $2 AND (renewal_due_at IS NULL "
                             "OR renewal_due_at > $1) ORDER BY renewal_expires_at LIMIT $3)) AS s "
                             "ORDER BY at, id COLLATE \"C\" LIMIT $3",
                             Params().Add(due_by).Add(expired_by).Add(limit)));
  std::vector<QuotePackage> out;
  for (int i = 0; i < r.size(); ++i) {
    OL_ASSIGN_OR_RETURN(QuotePackage pkg, DecodePackage(r.Text(i, 0)));
    out.push_back(std::move(pkg));
  }
  return out;
}

Result<BookingPage> PostgresStore::ListBookings(std::string_view partner, std::int64_t limit,
                                                std::int64_t offset) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  Connection& c = *lease;
  OL_RETURN_IF_ERROR(c.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  BookingPage page;
  auto run = [&]() -> Status {
    OL_ASSIGN_OR_RETURN(Rows n, c.Query("SELECT count(*) FROM packages WHERE partner = $1 AND "
                                        "booked_at IS NOT NULL",
                                        Params().Add(partner)));
    page.count = n.Int(0, 0);
    Params p;
    p.Add(partner);
    if (limit < 0) {
      p.Null();
    } else {
      p.Add(limit);
    }
    p.Add(offset < 0 ? std::int64_t{0} : offset);
    OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT doc FROM packages WHERE partner = $1 AND "
                                        "booked_at IS NOT NULL ORDER BY booked_at DESC, id "
                                        "COLLATE \"C\" LIMIT $2 OFFSET $3",
                                        p));
    for (int i = 0; i < r.size(); ++i) {
      OL_ASSIGN_OR_RETURN(QuotePackage pkg, DecodePackage(r.Text(i, 0)));
      page.results.push_back(std::move(pkg));
    }
    return Status::Ok();
  };
  Status s = run();
  (void)c.Exec(s.ok() ? "COMMIT" : "ROLLBACK");
  if (!s.ok()) return s;
  return page;
}

Result<std::vector<LedgerEvent>> PostgresStore::ListEvents(std::string_view partner,
                                                           std::int64_t after_seq,
                                                           std::int64_t limit) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  Params p;
  p.Add(partner).Add(after_seq).AddLimit(limit);
  OL_ASSIGN_OR_RETURN(Rows r,
                      lease->Query("SELECT " + kEventColumns +
                                       ", seq FROM events WHERE "
                                       "($1 = '' OR partner = $1) AND seq > $2 ORDER BY seq "
                                       "LIMIT $3",
                                   p));
  std::vector<LedgerEvent> events;
  for (int i = 0; i < r.size(); ++i) {
    OL_ASSIGN_OR_RETURN(LedgerEvent e, ReadEvent(r, i));
    e.seq = r.Int(i, 18);
    events.push_back(std::move(e));
  }
  return events;
}

Result<std::int64_t> PostgresStore::CountEvents(EventKind kind) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  OL_ASSIGN_OR_RETURN(Rows r, lease->Query("SELECT count(*) FROM events WHERE kind = $1",
                                           Params().Add(EventKindName(kind))));
  return r.Int(0, 0);
}

// ---------------------------------------------------------- partners, keys

Status PostgresStore::CreatePartner(const Partner& partner, const ApiKey& first_key,
                                    const AuditEntry* audit) {
  if (first_key.partner != partner.code) {
    return Status::Invalid("the first key of partner " + partner.code + " names another partner");
  }
  return Transact([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.InsertPartner(partner));
    OL_RETURN_IF_ERROR(txn.InsertKey(first_key));
    return pg::InsertAudit(txn.connection(), audit);
  });
}

Result<std::optional<Partner>> PostgresStore::GetPartner(std::string_view code) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  OL_ASSIGN_OR_RETURN(Rows r, lease->Query("SELECT code, name, created_at, quote_rps, other_rps, "
                                           "require_request_target "
                                           "FROM partners WHERE code = $1",
                                           Params().Add(code)));
  if (r.size() == 0) return std::optional<Partner>();
  return std::optional<Partner>(ReadPartner(r, 0));
}

Result<std::vector<Partner>> PostgresStore::ListPartners() {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  OL_ASSIGN_OR_RETURN(Rows r, lease->Query("SELECT code, name, created_at, quote_rps, other_rps, "
                                           "require_request_target "
                                           "FROM partners ORDER BY code COLLATE \"C\""));
  std::vector<Partner> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(ReadPartner(r, i));
  return out;
}

Status PostgresStore::AddKey(const ApiKey& key, const AuditEntry* audit) {
  return Transact([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.InsertKey(key));
    return pg::InsertAudit(txn.connection(), audit);
  });
}

Status PostgresStore::RevokeKey(std::string_view key, Micros at, const AuditEntry* audit) {
  return Transact([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.Revoke(key, at));
    return pg::InsertAudit(txn.connection(), audit);
  });
}

Status PostgresStore::ReplaceKeySecret(std::string_view key, std::string_view expected,
                                       std::string_view secret, const AuditEntry* audit) {
  return Transact([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.ReplaceSecret(key, expected, secret));
    return pg::InsertAudit(txn.connection(), audit);
  });
}

Status PostgresStore::SetPartnerLimits(std::string_view code, std::int64_t quote_rps,
                                       std::int64_t other_rps, const AuditEntry* audit) {
  return Transact([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.SetLimits(code, quote_rps, other_rps));
    return pg::InsertAudit(txn.connection(), audit);
  });
}

Status PostgresStore::SetPartnerAuth(std::string_view code, bool require_request_target,
                                     const AuditEntry* audit) {
  return Transact([&](Txn& txn) {
    OL_RETURN_IF_ERROR(txn.SetAuth(code, require_request_target));
    return pg::InsertAudit(txn.connection(), audit);
  });
}

Result<std::vector<AuditEntry>> PostgresStore::ListAudit(const AuditFilter& filter) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return pg::ReadAudit(*lease, filter);
}

Result<std::optional<ApiKey>> PostgresStore::FindKey(std::string_view key) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  OL_ASSIGN_OR_RETURN(Rows r, lease->Query("SELECT k.key, k.secret, k.partner, k.created_at, "
                                           "k.revoked_at, p.require_request_target FROM api_keys "
                                           "k JOIN partners p ON p.code = k.partner "
                                           "WHERE k.key = $1",
                                           Params().Add(key)));
  if (r.size() == 0) return std::optional<ApiKey>();
  ApiKey k = ReadKey(r, 0);
  k.require_request_target = r.Text(0, 5) == "t";
  return std::optional<ApiKey>(std::move(k));
}

Result<std::vector<ApiKey>> PostgresStore::ListKeys(std::string_view partner) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  OL_ASSIGN_OR_RETURN(Rows r, lease->Query("SELECT key, secret, partner, created_at, revoked_at "
                                           "FROM api_keys WHERE partner = $1 ORDER BY "
                                           "created_at, key COLLATE \"C\"",
                                           Params().Add(partner)));
  std::vector<ApiKey> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(ReadKey(r, i));
  return out;
}

// ----------------------------------------------------------- roll-ups, arms

Result<std::vector<RollupRow>> PostgresStore::ReadRollups(const RollupFilter& filter) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return pg::ReadRollupRows(*lease, filter);
}

Result<std::vector<RollupRow>> PostgresStore::RecountRollups(const RollupFilter& filter,
                                                             const PriceBandOf& band_of) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  pg::BandOfEvent band_of_event;
  if (band_of) {
    band_of_event = [&band_of](const LedgerEvent& e) { return band_of(e.price, e.currency); };
  }
  OL_ASSIGN_OR_RETURN(pg::Replayed replayed,
                      pg::ReplayEvents(*lease, filter.partner, band_of_event));
  return pg::RowsIn(replayed, filter);
}

Result<std::int64_t> PostgresStore::RebuildRollups(
    const std::function<std::string(MinorUnits price, const std::string& currency)>& band_of) {
  if (!band_of) return Status::Invalid("RebuildRollups needs a price band function");
  std::int64_t written = 0;
  Status s = Transact([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(written, txn.Rebuild(band_of));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return written;
}

Result<std::vector<ArmTotals>> PostgresStore::ReadArms(const ArmFilter& filter, std::int64_t today,
                                                       int decision_window_days) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return pg::ReadArmTotals(*lease, filter, today, decision_window_days);
}

Result<std::vector<ArmContext>> PostgresStore::ListArmContexts() {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return pg::ReadArmContexts(*lease);
}

Result<std::vector<ArmRow>> PostgresStore::ReadArmRows() {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return pg::ReadAllArmRows(*lease);
}

Result<std::vector<ArmRow>> PostgresStore::RecountArmRows() {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  OL_ASSIGN_OR_RETURN(pg::Replayed replayed, pg::ReplayEvents(*lease, std::nullopt, nullptr));
  return std::move(replayed.arms);
}

// ------------------------------------------------------------ maintenance

// ---------------------------------------------------------- rate-limit processes

// One autocommit statement on the database's clock: refresh this process's
// row, drop rows that expired, count the live ones. The SELECT sees the
// snapshot from before the CTEs ran, so it counts the others and adds itself.
Result<std::int64_t> PostgresStore::HeartbeatProcess(std::string_view id, Micros ttl) {
  static constexpr char kSql[] =
      "WITH clock AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS t), "
      "gone AS (DELETE FROM rate_limit_processes "
      "         WHERE id <> $1 AND expires_at < (SELECT t FROM clock)), "
      "up AS (INSERT INTO rate_limit_processes(id, heartbeat_at, expires_at) "
      "       SELECT $1, t, t + $2::bigint FROM clock "
      "       ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, "
      "                                      expires_at = excluded.expires_at) "
      "SELECT 1 + count(*) FROM rate_limit_processes, clock "
      "WHERE id <> $1 AND expires_at >= clock.t";
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  OL_ASSIGN_OR_RETURN(Rows r, lease->Query(kSql, Params().Add(id).Add(ttl)));
  return r.Int(0, 0);
}

Status PostgresStore::ForgetProcess(std::string_view id) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return lease->Query("DELETE FROM rate_limit_processes WHERE id = $1", Params().Add(id)).status();
}

Status PostgresStore::Ping() {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  // Healthy means writable: a read-only database answers every write with 503.
  OL_ASSIGN_OR_RETURN(
      pg::Rows rows,
      lease->Query("SELECT current_setting('transaction_read_only') FROM schema_migrations "
                   "LIMIT 1"));
  if (rows.size() == 1 && rows.Text(0, 0) == "on") {
    lease->set_read_only();  // dropped on release: a new session may be writable
    pg::NoteUnavailable("the database is read-only (transaction_read_only = on)");
    return Status::Unavailable(std::string(pg::kReadOnlyMessage));
  }
  return Status::Ok();
}

Result<std::int64_t> PostgresStore::PurgeReplies(Micros before) {
  std::int64_t purged = 0;
  Status s = Transact([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(purged, txn.Purge(before));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return purged;
}

// ---------------------------------------------------------------- webhooks

Status PostgresStore::SetWebhookConfig(const WebhookConfig& config, const AuditEntry* audit) {
  return Transact([&](Txn& txn) {
    OL_RETURN_IF_ERROR(pg::UpsertWebhookConfig(txn.connection(), config));
    return pg::InsertAudit(txn.connection(), audit);
  });
}

// The audit entry is written only when there was a webhook to remove.
Result<bool> PostgresStore::RemoveWebhookConfig(std::string_view partner,
                                                const AuditEntry* audit) {
  bool removed = false;
  Status s = Transact([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(removed, pg::DeleteWebhookConfig(txn.connection(), partner));
    return removed ? pg::InsertAudit(txn.connection(), audit) : Status::Ok();
  });
  if (!s.ok()) return s;
  return removed;
}

Result<std::optional<WebhookConfig>> PostgresStore::GetWebhookConfig(std::string_view partner) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return pg::ReadWebhookConfig(*lease, partner);
}

Result<std::vector<ClaimedWebhook>> PostgresStore::ClaimWebhooks(Micros now, Micros lease,
                                                                 int limit) {
  std::vector<ClaimedWebhook> claimed;
  const std::string claim = NewUuid();
  Status s = Transact([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(claimed, pg::ClaimDueWebhooks(txn.connection(), now, lease, limit, claim));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return claimed;
}

Status PostgresStore::FinishWebhook(const WebhookOutcome& outcome) {
  return Transact([&](Txn& txn) { return pg::FinishWebhook(txn.connection(), outcome); });
}

Result<std::vector<Webhook>> PostgresStore::ListWebhooks(const WebhookFilter& filter) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return pg::ReadWebhooks(*lease, filter);
}

Result<std::int64_t> PostgresStore::RetryWebhooks(std::string_view id,
                                                  const std::optional<std::string>& partner,
                                                  Micros now) {
  std::int64_t retried = 0;
  Status s = Transact([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(retried, pg::RetryDeadWebhooks(txn.connection(), id, partner, now));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return retried;
}

// ---------------------------------------------------------------- emails

Result<std::vector<ClaimedEmail>> PostgresStore::ClaimEmails(Micros now, Micros lease, int limit) {
  std::vector<ClaimedEmail> claimed;
  const std::string claim = NewUuid();
  Status s = Transact([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(claimed, pg::ClaimDueEmails(txn.connection(), now, lease, limit, claim));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return claimed;
}

Status PostgresStore::FinishEmail(const EmailOutcome& outcome) {
  return Transact([&](Txn& txn) { return pg::FinishEmail(txn.connection(), outcome); });
}

Result<std::vector<Email>> PostgresStore::ListEmails(const EmailFilter& filter) {
  OL_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return pg::ReadEmails(*lease, filter);
}

Result<std::int64_t> PostgresStore::RetryEmails(std::string_view id,
                                                const std::optional<std::string>& partner,
                                                Micros now) {
  std::int64_t retried = 0;
  Status s = Transact([&](Txn& txn) -> Status {
    OL_ASSIGN_OR_RETURN(retried, pg::RetryEmails(txn.connection(), id, partner, now));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return retried;
}

}  // namespace offerledger
