// Why a write to the SQLite file failed, in the words a partner may read.
//
// A failed write (disk full, a read-only file system or file, an I/O error,
// another process holding the lock) reaches the partner as a 503. SQLite's
// own message names the database path and says little a partner can act on,
// so the store answers with WriteFailure::PartnerMessage() instead and says
// the details once on stderr (WriteFailureLog), not once per request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;

namespace offerledger::sqlite {

enum class WriteFailureKind { kDiskFull, kReadOnly, kIoError, kBusy };

struct WriteFailure {
  WriteFailureKind kind = WriteFailureKind::kIoError;
  std::string detail;  // SQLite's message, error code and errno: for stderr only

  // "disk full", "read-only", ...: what the log and the partner message name.
  std::string_view Name() const;
  // The kUnavailable status a partner gets (no path, no SQL).
  Status PartnerStatus() const;
};

// Classifies the last failed call on `db` from its extended result code and
// the errno of the failed system call (SQLite reports a read-only file system
// as SQLITE_IOERR_WRITE with errno EROFS, a full disk as SQLITE_FULL or an
// I/O error with ENOSPC). `cause` is the store's Status for that failure.
WriteFailure ClassifyWriteFailure(sqlite3* db, const Status& cause);

// One line on stderr when writes start failing and one when they succeed
// again: a full disk under load fails thousands of requests, and a line per
// request would fill what space is left with the log. Used by the writer
// thread only (not thread-safe).
class WriteFailureLog {
 public:
  void Failed(const WriteFailure& failure, std::int64_t requests);
  void Succeeded();
  bool failing() const { return failing_; }

 private:
  bool failing_ = false;
  std::int64_t failed_batches_ = 0;
  std::int64_t failed_requests_ = 0;
};

}  // namespace offerledger::sqlite
