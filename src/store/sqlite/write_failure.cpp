#include "store/sqlite/write_failure.h"

#include <sqlite3.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace offerledger::sqlite {

std::string_view WriteFailure::Name() const {
  switch (kind) {
    case WriteFailureKind::kDiskFull:
      return "disk full";
    case WriteFailureKind::kReadOnly:
      return "database read-only";
    case WriteFailureKind::kIoError:
      return "storage I/O error";
    case WriteFailureKind::kBusy:
      return "database locked by another process";
  }
  return "storage error";
}

Status WriteFailure::PartnerStatus() const {
  switch (kind) {
    case WriteFailureKind::kDiskFull:
    case WriteFailureKind::kReadOnly:
      // Both fail before the commit record is written: nothing of the request
      // is in the ledger, and retrying it later is safe.
      return Status::Unavailable("The ledger cannot store this request right now (" +
                                 std::string(Name()) + "): nothing was recorded. Retry later.");
    case WriteFailureKind::kBusy:
      return Status::Unavailable(
          "The ledger is busy (its database is locked by another process): nothing was "
          "recorded. Retry shortly.");
    case WriteFailureKind::kIoError:
      break;
  }
  // An I/O error may strike after the commit record was written (a failed
  // fsync): the request was not acknowledged, but say what a retry does.
  return Status::Unavailable(
      "The ledger cannot store this request right now (storage I/O error): it was not "
      "recorded as far as the server knows. Retry later; an opt-out, or a request with the same "
      "x-idempotency-key, is never applied twice.");
}

WriteFailure ClassifyWriteFailure(sqlite3* db, const Status& cause) {
  WriteFailure f;
  const int rc = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_IOERR;
  const int sys_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
  switch (rc & 0xff) {
    case SQLITE_FULL:
      f.kind = WriteFailureKind::kDiskFull;
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      f.kind = WriteFailureKind::kReadOnly;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      f.kind = WriteFailureKind::kBusy;
      break;
    default:
      f.kind = WriteFailureKind::kIoError;
      break;
  }
  // SQLite maps a failed write() to SQLITE_FULL only for ENOSPC; EROFS,
  // EDQUOT and a failed fsync are SQLITE_IOERR_*. Its errno is often gone by
  // the time the error reaches us (later calls overwrite it), so the file
  // system is asked as well: read-only, or no space left for us.
  if ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN) {
    if (sys_errno == ENOSPC || sys_errno == EDQUOT) f.kind = WriteFailureKind::kDiskFull;
    if (sys_errno == EROFS || sys_errno == EACCES || sys_errno == EPERM) {
      f.kind = WriteFailureKind::kReadOnly;
    }
    const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
    struct statvfs vfs;
    if (f.kind == WriteFailureKind::kIoError && file != nullptr && *file != '\0' &&
        ::statvfs(file, &vfs) == 0) {
      if ((vfs.f_flag & ST_RDONLY) != 0) {
        f.kind = WriteFailureKind::kReadOnly;
      } else if (vfs.f_bavail == 0) {
        f.kind = WriteFailureKind::kDiskFull;
      }
    }
  }
  f.detail = cause.message();
  f.detail += " [SQLite code " + std::to_string(rc);
  if (sys_errno != 0) f.detail += std::string(", errno ") + std::strerror(sys_errno);
  f.detail += "]";
  return f;
}

void WriteFailureLog::Failed(const WriteFailure& failure, std::int64_t requests) {
  ++failed_batches_;
  failed_requests_ += requests;
  if (failing_) return;
  failing_ = true;
  std::cerr << "offerledger: SQLite writes are failing (" << failure.Name()
            << "); requests that write answer 503 and nothing of them is recorded until a write "
               "succeeds again; reads keep working: "
            << failure.detail << std::endl;
}

void WriteFailureLog::Succeeded() {
  if (!failing_) return;
  std::cerr << "offerledger: SQLite writes succeed again, without a restart (" << failed_requests_
            << " write requests refused with 503 in " << failed_batches_ << " failed transactions)"
            << std::endl;
  failing_ = false;
  failed_batches_ = 0;
  failed_requests_ = 0;
}

}  // namespace offerledger::sqlite
