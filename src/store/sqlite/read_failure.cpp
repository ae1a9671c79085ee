#include "store/sqlite/read_failure.h"

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>

#include "store/sqlite/write_failure.h"

namespace offerledger::sqlite {

namespace {

constexpr std::int64_t kLogEveryMs = 10'000;

// Process-wide: every reader connection reports to the same stderr.
std::atomic<std::int64_t> g_last_log_ms{-kLogEveryMs};
std::atomic<std::int64_t> g_unlogged{0};

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Log(const WriteFailure& failure) {
  const std::int64_t now = NowMs();
  std::int64_t last = g_last_log_ms.load(std::memory_order_relaxed);
  if (now - last < kLogEveryMs || !g_last_log_ms.compare_exchange_strong(last, now)) {
    g_unlogged.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::int64_t more = g_unlogged.exchange(0);
  std::cerr << "offerledger: an SQLite read failed (" << failure.Name()
            << "); the request answered 503: " << failure.detail;
  if (more > 0) std::cerr << " (and " << more << " more since the last line)";
  std::cerr << std::endl;
}

}  // namespace

Status ReadFailureStatus(sqlite3* db, const Status& cause) {
  if (cause.code() != StatusCode::kUnavailable) return cause;
  WriteFailure failure = ClassifyWriteFailure(db, cause);
  Log(failure);
  if (failure.kind == WriteFailureKind::kBusy) {
    return Status::Unavailable(
        "The ledger is busy (its database is locked by another process): nothing was changed. "
        "Retry shortly.");
  }
  // Disk full or a read-only file system do not stop a read; what is left is
  // an I/O error (or a file that cannot be opened), whatever the classifier
  // guessed from the file system's state.
  return Status::Unavailable(
      "The ledger cannot be read right now (storage I/O error): nothing was changed. Retry "
      "later.");
}

}  // namespace offerledger::sqlite
