#include "store/sqlite/wal_checkpointer.h"

#include <sqlite3.h>

#include <iostream>

#include "common/status_macros.h"
#include "store/sqlite/sqlite_db.h"

namespace offerledger::sqlite {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(const std::string& path, int pages,
                                                                int busy_timeout_ms) {
  OL_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
                      Connection::Open(path, Connection::Mode::kReadWrite, busy_timeout_ms));
  // The checkpoint fsyncs the database file before the WAL may be reused, as
  // the writer's automatic checkpoint did (synchronous=FULL on both).
  OL_RETURN_IF_ERROR(conn->Exec("PRAGMA synchronous=FULL", "configuring the checkpointer"));
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(std::move(conn), pages));
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Connection> conn, int pages)
    : conn_(std::move(conn)), pages_(pages < 1 ? 1 : pages) {
  thread_ = std::thread([this] { Loop(); });
}

WalCheckpointer::~WalCheckpointer() { Stop(); }

void WalCheckpointer::Attach(Connection& writer) {
  sqlite3_wal_autocheckpoint(writer.raw(), 0);
  sqlite3_wal_hook(writer.raw(), &WalCheckpointer::OnCommit, this);
}

void WalCheckpointer::Detach(Connection& writer) {
  // Also replaces our hook (SQLite's automatic checkpoint is a WAL hook).
  sqlite3_wal_autocheckpoint(writer.raw(), pages_);
}

void WalCheckpointer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

long long WalCheckpointer::checkpoints() const {
  std::lock_guard lock(mu_);
  return checkpoints_;
}

// Runs on the writer thread right after each commit: it only flags the work.
int WalCheckpointer::OnCommit(void* self, sqlite3*, const char*, int wal_pages) {
  auto* me = static_cast<WalCheckpointer*>(self);
  if (wal_pages >= me->pages_) {
    {
      std::lock_guard lock(me->mu_);
      me->wanted_ = true;
    }
    me->cv_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::Loop() {
  bool reported = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return wanted_ || stop_; });
      if (stop_) return;
      wanted_ = false;
    }
    int log = 0;
    int done = 0;
    const int rc =
        sqlite3_wal_checkpoint_v2(conn_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    // SQLITE_BUSY: another checkpoint (a CLI's, say) is running; the next
    // commit over the threshold asks again. Anything else is worth a line:
    // the WAL keeps growing until a checkpoint succeeds (nothing is lost).
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && !reported) {
      std::cerr << "offerledger: WAL checkpoint failed: "
                << conn_->Error(rc, "checkpointing").message() << std::endl;
      reported = true;
    } else if (rc == SQLITE_OK) {
      reported = false;
    }
    std::lock_guard lock(mu_);
    ++checkpoints_;
  }
}

}  // namespace offerledger::sqlite
