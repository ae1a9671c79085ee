// The durable opt-out outbox: a local SQLite file (WAL, synchronous=FULL)
// that an opt-out is committed to before OptOut(..., Durable) returns, and a
// sender that delivers its entries with retries, across process restarts.
//
// Entry states: "pending" (to deliver; next_attempt_at says when),
// "delivered" (kept for audit until the retention passes), "failed" (the
// server refused it for good, e.g. 404 or 422: moved aside with its status
// and error, never retried, listed by `outbox list`).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/config.h"
#include "common/time.h"

struct sqlite3;

namespace offerledger::client {

struct OutboxEntry {
  std::int64_t id = 0;
  std::string partner;
  std::string package_id;
  std::string idempotency_key;
  std::string state;  // pending | delivered | failed
  int attempts = 0;
  int last_status = 0;  // HTTP status of the last answer, 0 = none
  std::string last_error;
  Micros created_at = 0;
  Micros next_attempt_at = 0;
  Micros finished_at = 0;  // delivered or failed at
};

struct OutboxCounts {
  std::int64_t pending = 0;
  std::int64_t delivered = 0;
  std::int64_t failed = 0;
};

class Outbox {
 public:
  // Opens (creating the file, its directory and the schema) `path`.
  // Throws std::runtime_error when SQLite refuses.
  explicit Outbox(const std::string& path);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  const std::string& path() const { return path_; }

  // Commits a pending opt-out and returns its entry id. A package that already
  // has a pending entry for the partner gets that entry back (no duplicate).
  std::int64_t Enqueue(const std::string& partner, const std::string& package_id, Micros now);

  // Pending entries with next_attempt_at <= now, oldest first.
  std::vector<OutboxEntry> Due(Micros now, int limit = 100);
  // The earliest next_attempt_at of a pending entry.
  std::optional<Micros> NextDue();

  void MarkDelivered(std::int64_t id, int status, Micros now);
  void MarkRetry(std::int64_t id, int status, const std::string& error, Micros next_attempt_at);
  void MarkFailed(std::int64_t id, int status, const std::string& error, Micros now);

  OutboxCounts Counts();
  // All entries (or those in `state`), oldest first.
  std::vector<OutboxEntry> List(const std::string& state = {}, int limit = 1000);
  // Deletes delivered entries finished before `before`; returns how many.
  int PurgeDelivered(Micros before);

 private:
  void Exec(const char* sql);
  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

// What delivering one entry means; throws ApiError / TransportError.
using DeliverFn = std::function<void(const OutboxEntry&)>;

struct SenderOptions {
  RetryPolicy retry;  // backoff between delivery attempts of one entry
  std::chrono::milliseconds retention{std::chrono::hours(24 * 30)};
  std::chrono::milliseconds idle_poll{1000};  // re-read the file this often
};

class OutboxSender {
 public:
  OutboxSender(Outbox& outbox, DeliverFn deliver, SenderOptions options = {});
  ~OutboxSender();  // Stop()

  // One pass: delivers every entry due now. Returns how many were tried.
  int RunOnce();
  // Until no entry is pending (waiting for backoffs) or `timeout` passes.
  // True when nothing is pending.
  bool Flush(std::chrono::milliseconds timeout);

  // The background thread: RunOnce, then sleep until the next due entry,
  // a Wake(), or idle_poll.
  void Start();
  void Stop();
  void Wake();

 private:
  void Loop();
  std::chrono::milliseconds BackoffFor(int attempts);

  Outbox& outbox_;
  DeliverFn deliver_;
  SenderOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace offerledger::client
