// WalCheckpointer: copies the WAL back into the database file on its own
// thread, so that the writer thread never does it inside a commit.
//
// With SQLite's default (wal_autocheckpoint=1000), the commit that takes the
// WAL past 1000 pages also runs the checkpoint: it reads the WAL, writes the
// pages into the database file and fsyncs it, while every job of the next
// group commit waits. Measured on the opt-out load, that was ~6% of the
// server's CPU and all of it on the one writer thread. Here the writer's
// connection has the automatic checkpoint off and a WAL hook that only wakes
// this thread; it runs PASSIVE checkpoints on its own connection, which never
// block the writer or the readers (a reader still using old frames just
// leaves them for the next one).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"

struct sqlite3;

namespace offerledger::sqlite {

class Connection;

class WalCheckpointer {
 public:
  // Opens a connection of its own to `path` and starts the thread. Call
  // Attach() with the writer's connection next.
  static Result<std::unique_ptr<WalCheckpointer>> Start(const std::string& path, int pages,
                                                        int busy_timeout_ms);
  ~WalCheckpointer();  // Stop()s
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Turns `writer`'s automatic checkpoint off and hooks its commits: a commit
  // that leaves the WAL at `pages` pages or more wakes the thread. `writer`
  // must outlive this object or be Detach()ed first.
  void Attach(Connection& writer);
  // Puts the writer's automatic checkpoint back (used on Close(): the last
  // connection to close checkpoints what is left, as SQLite always does).
  void Detach(Connection& writer);
  // Ends the thread after the checkpoint in progress, if any.
  void Stop();

  // Checkpoints run so far (for tests).
  long long checkpoints() const;

 private:
  WalCheckpointer(std::unique_ptr<Connection> conn, int pages);
  static int OnCommit(void* self, ::sqlite3* db, const char* schema, int wal_pages);
  void Loop();

  std::unique_ptr<Connection> conn_;
  const int pages_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;  // guarded by mu_
  bool stop_ = false;    // guarded by mu_
  long long checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace offerledger::sqlite
