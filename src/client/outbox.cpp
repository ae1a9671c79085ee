#include "client/outbox.h"

#include <sqlite3.h>

#include <filesystem>
#include <random>
#include <stdexcept>

#include "client/errors.h"

namespace offerledger::client {

namespace {

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("outbox: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  bool Step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("outbox: ") + sqlite3_errmsg(db_));
  }
  std::int64_t Int(int c) { return sqlite3_column_int64(st_, c); }
  std::string Text(int c) {
    const auto* p = sqlite3_column_text(st_, c);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

constexpr const char* kColumns =
    "id, partner, package_id, idempotency_key, state, attempts, last_status, last_error, "
    "created_at, next_attempt_at, finished_at";

OutboxEntry ReadEntry(Stmt& s) {
  OutboxEntry e;
  e.id = s.Int(0);
  e.partner = s.Text(1);
  e.package_id = s.Text(2);
  e.idempotency_key = s.Text(3);
  e.state = s.Text(4);
  e.attempts = static_cast<int>(s.Int(5));
  e.last_status = static_cast<int>(s.Int(6));
  e.last_error = s.Text(7);
  e.created_at = s.Int(8);
  e.next_attempt_at = s.Int(9);
  e.finished_at = s.Int(10);
  return e;
}

std::string NewKey() {
  // Local UUID v4 (the SDK's NewUuid lives in client.cpp; keep outbox standalone).
  std::random_device rd;
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(rd());
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[b[i] >> 4]);
    out.push_back(hex[b[i] & 15]);
  }
  return out;
}

}  // namespace

Outbox::Outbox(const std::string& path) : path_(path) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("outbox: cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 10'000);
  Exec("PRAGMA journal_mode=WAL");
  Exec("PRAGMA synchronous=FULL");
  Exec(
      "CREATE TABLE IF NOT EXISTS outbox ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " kind TEXT NOT NULL DEFAULT 'opt_out',"
      " partner TEXT NOT NULL,"
      " package_id TEXT NOT NULL,"
      " idempotency_key TEXT NOT NULL,"
      " state TEXT NOT NULL DEFAULT 'pending',"
      " attempts INTEGER NOT NULL DEFAULT 0,"
      " last_status INTEGER NOT NULL DEFAULT 0,"
      " last_error TEXT NOT NULL DEFAULT '',"
      " created_at INTEGER NOT NULL,"
      " next_attempt_at INTEGER NOT NULL,"
      " finished_at INTEGER NOT NULL DEFAULT 0)");
  Exec("CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at)");
  Exec("CREATE INDEX IF NOT EXISTS outbox_pkg ON outbox(partner, package_id, state)");
}

Outbox::~Outbox() { sqlite3_close(db_); }

void Outbox::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("outbox: " + msg);
  }
}

std::int64_t Outbox::Enqueue(const std::string& partner, const std::string& package_id,
                             Micros now) {
  std::lock_guard lock(mu_);
  Exec("BEGIN IMMEDIATE");
  try {
    Stmt find(db_, "SELECT id FROM outbox WHERE partner=?1 AND package_id=?2 AND state='pending'");
    find.Bind(1, partner).Bind(2, package_id);
    std::int64_t id = 0;
    if (find.Step()) {
      id = find.Int(0);
    } else {
      Stmt ins(db_,
               "INSERT INTO outbox(partner, package_id, idempotency_key, created_at, "
               "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?4)");
      ins.Bind(1, partner).Bind(2, package_id).Bind(3, NewKey()).Bind(4, now);
      ins.Step();
      id = sqlite3_last_insert_rowid(db_);
    }
    Exec("COMMIT");
    return id;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<OutboxEntry> Outbox::Due(Micros now, int limit) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kColumns +
               " FROM outbox WHERE state='pending' AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2")
                  .c_str());
  s.Bind(1, now).Bind(2, static_cast<std::int64_t>(limit));
  std::vector<OutboxEntry> out;
  while (s.Step()) out.push_back(ReadEntry(s));
  return out;
}

std::optional<Micros> Outbox::NextDue() {
  std::lock_guard lock(mu_);
  Stmt s2(
      db_,
      "SELECT next_attempt_at FROM outbox WHERE state='pending' ORDER BY next_attempt_at LIMIT 1");
  if (s2.Step()) return s2.Int(0);
  return std::nullopt;
}

void Outbox::MarkDelivered(std::int64_t id, int status, Micros now) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "UPDATE outbox SET state='delivered', attempts=attempts+1, last_status=?2, "
         "last_error='', finished_at=?3 WHERE id=?1");
  s.Bind(1, id).Bind(2, static_cast<std::int64_t>(status)).Bind(3, now);
  s.Step();
}

void Outbox::MarkRetry(std::int64_t id, int status, const std::string& error,
                       Micros next_attempt_at) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "UPDATE outbox SET attempts=attempts+1, last_status=?2, last_error=?3, "
         "next_attempt_at=?4 WHERE id=?1 AND state='pending'");
  s.Bind(1, id).Bind(2, static_cast<std::int64_t>(status)).Bind(3, error).Bind(4, next_attempt_at);
  s.Step();
}

void Outbox::MarkFailed(std::int64_t id, int status, const std::string& error, Micros now) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "UPDATE outbox SET state='failed', attempts=attempts+1, last_status=?2, last_error=?3, "
         "finished_at=?4 WHERE id=?1");
  s.Bind(1, id).Bind(2, static_cast<std::int64_t>(status)).Bind(3, error).Bind(4, now);
  s.Step();
}

OutboxCounts Outbox::Counts() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT state, count(*) FROM outbox GROUP BY state");
  OutboxCounts c;
  while (s.Step()) {
    const std::string st = s.Text(0);
    if (st == "pending") c.pending = s.Int(1);
    if (st == "delivered") c.delivered = s.Int(1);
    if (st == "failed") c.failed = s.Int(1);
  }
  return c;
}

std::vector<OutboxEntry> Outbox::List(const std::string& state, int limit) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kColumns +
               " FROM outbox WHERE (?1 = '' OR state = ?1) ORDER BY id LIMIT ?2")
                  .c_str());
  s.Bind(1, state).Bind(2, static_cast<std::int64_t>(limit));
  std::vector<OutboxEntry> out;
  while (s.Step()) out.push_back(ReadEntry(s));
  return out;
}

int Outbox::PurgeDelivered(Micros before) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "DELETE FROM outbox WHERE state='delivered' AND finished_at < ?1");
  s.Bind(1, before);
  s.Step();
  return sqlite3_changes(db_);
}

// ---------------------------------------------------------------- sender

OutboxSender::OutboxSender(Outbox& outbox, DeliverFn deliver, SenderOptions options)
    : outbox_(outbox), deliver_(std::move(deliver)), options_(options) {}

OutboxSender::~OutboxSender() { Stop(); }

std::chrono::milliseconds OutboxSender::BackoffFor(int attempts) {
  // Full jitter, but never below a tenth of the ceiling so a dead server is
  // not hammered by a lucky draw of zeros.
  const auto& p = options_.retry;
  double ceiling = static_cast<double>(p.base.count());
  for (int i = 1; i < attempts && ceiling < static_cast<double>(p.cap.count()); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<double>(p.cap.count()));
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> u(0.1, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(ceiling * u(rng)));
}

int OutboxSender::RunOnce() {
  const Micros now = NowMicros();
  auto due = outbox_.Due(now);
  for (const OutboxEntry& e : due) {
    try {
      deliver_(e);
      outbox_.MarkDelivered(e.id, 204, NowMicros());
    } catch (const ApiError& err) {
      if (err.retryable()) {
        outbox_.MarkRetry(e.id, err.status(), err.what(),
                          NowMicros() + BackoffFor(e.attempts + 1).count() * 1000);
      } else {
        outbox_.MarkFailed(e.id, err.status(), err.what(), NowMicros());
      }
    } catch (const TransportError& err) {
      outbox_.MarkRetry(e.id, 0, err.what(),
                        NowMicros() + BackoffFor(e.attempts + 1).count() * 1000);
    } catch (const std::exception& err) {
      // Configuration (bad URL, ...): keep it pending, retry slowly.
      outbox_.MarkRetry(e.id, 0, err.what(), NowMicros() + options_.retry.cap.count() * 1000);
    }
  }
  if (!due.empty()) {
    outbox_.PurgeDelivered(NowMicros() - options_.retention.count() * 1000);
  }
  return static_cast<int>(due.size());
}

bool OutboxSender::Flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    RunOnce();
    const auto next = outbox_.NextDue();
    if (!next) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    auto wait = std::chrono::microseconds(std::max<Micros>(0, *next - NowMicros()));
    wait = std::min<std::chrono::microseconds>(
        wait, std::chrono::duration_cast<std::chrono::microseconds>(deadline - now));
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stop_; });
    if (stop_) return !outbox_.NextDue().has_value();
  }
}

void OutboxSender::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void OutboxSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxSender::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void OutboxSender::Loop() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      woken_ = false;
    }
    try {
      RunOnce();
    } catch (const std::exception&) {
      // The file is busy or gone for a moment: try again after idle_poll.
    }
    std::chrono::microseconds wait = options_.idle_poll;
    try {
      if (auto next = outbox_.NextDue()) {
        wait = std::min(wait, std::chrono::microseconds(std::max<Micros>(0, *next - NowMicros())));
      }
    } catch (const std::exception&) {
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stop_ || woken_; });
  }
}

}  // namespace offerledger::client
