// Concurrency on every Store backend: concurrent writers all commit (with
// group commit on SQLite), read-modify-write inside Write() is serialised,
// and readers see committed state while a write is open. (The SQLite writer
// thread's batches and Close: sqlite_concurrency_test.cpp.)
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <latch>
#include <thread>
#include <vector>

#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::Backend;
using testing::BackendTest;
using testing::MakePackage;
using testing::MakeTestEvent;

class ConcurrencyTest : public BackendTest {};

TEST_P(ConcurrencyTest, ConcurrentWritesAreAllCommitted) {
  // Group commit is SQLite's (one writer thread, batches of jobs).
  auto* sqlite = GetParam() == Backend::kSqlite ? static_cast<SqliteStore*>(store_.get()) : nullptr;
  const auto before = sqlite != nullptr ? sqlite->write_stats() : SqliteStore::WriteStats{};
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::atomic<int> failures{0};
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        QuotePackage pkg = MakePackage("P" + std::to_string(t));
        ids[t].push_back(pkg.id);
        Status s = store_->Write([&](WriteTxn& txn) -> Status {
          if (Status st = txn.InsertPackage(pkg); !st.ok()) return st;
          return txn.AppendEvents(
              {MakeTestEvent(EventKind::kOffered, pkg.partner, pkg.id, pkg.created_at)});
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);

  auto n = store_->CountEvents(EventKind::kOffered);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    auto events = store_->ListEvents("P" + std::to_string(t), 0, 0);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), static_cast<std::size_t>(kPerThread));
    // One thread's writes are committed in the order it made them.
    for (int i = 0; i < kPerThread; ++i) EXPECT_EQ((*events)[i].package_id, ids[t][i]);
    auto last = store_->GetPackage("P" + std::to_string(t), ids[t].back());
    ASSERT_TRUE(last.ok());
    EXPECT_TRUE(last->has_value());
  }

  if (sqlite == nullptr) return;
  const auto after = sqlite->write_stats();
  const auto jobs = after.jobs - before.jobs;
  const auto batches = after.batches - before.batches;
  EXPECT_EQ(jobs, kThreads * kPerThread);
  EXPECT_LT(batches, jobs) << "no group commit happened";
  EXPECT_GT(after.largest_batch, 1);
  std::cout << "[ info ] " << jobs << " jobs in " << batches << " batches (largest "
            << after.largest_batch << ")\n";
}

TEST_P(ConcurrencyTest, ReadModifyWriteInsideWriteIsSerialised) {
  QuotePackage pkg = MakePackage("LLODT");
  pkg.quotes[0].cover_amount = 0;  // the counter
  ASSERT_TRUE(store_->Write([&](WriteTxn& t) { return t.InsertPackage(pkg); }).ok());

  constexpr int kThreads = 16;
  constexpr int kIncrements = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        Status s = store_->Write([&](WriteTxn& txn) -> Status {
          auto loaded = txn.LoadPackage("LLODT", pkg.id);
          if (!loaded.ok()) return loaded.status();
          if (!loaded->has_value()) return Status::NotFound("package");
          QuotePackage p = std::move(**loaded);
          p.quotes[0].cover_amount += 1;
          return txn.UpdatePackage(p);
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto got = store_->GetPackage("LLODT", pkg.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->quotes[0].cover_amount, kThreads * kIncrements);
}

TEST_P(ConcurrencyTest, ReadersSeeCommittedStateWhileTheWriterIsBusy) {
  QuotePackage committed = MakePackage("LLODT");
  ASSERT_TRUE(store_->Write([&](WriteTxn& t) { return t.InsertPackage(committed); }).ok());

  QuotePackage pending = MakePackage("LLODT");
  std::latch inserted{1};
  std::latch release{1};
  std::thread writer([&] {
    Status s = store_->Write([&](WriteTxn& t) {
      Status st = t.InsertPackage(pending);
      inserted.count_down();
      release.wait();  // holds the write transaction open
      return st;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
  });
  inserted.wait();
  // Readers are not blocked by the open write transaction and do not see it.
  auto a = store_->GetPackage("LLODT", committed.id);
  auto b = store_->GetPackage("LLODT", pending.id);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(a->has_value());
  EXPECT_FALSE(b->has_value());
  EXPECT_TRUE(store_->Ping().ok());
  release.count_down();
  writer.join();
  // Write() returned OK: the commit is visible to the next read.
  b = store_->GetPackage("LLODT", pending.id);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->has_value());
}

TEST_P(ConcurrencyTest, ConcurrentReadsAndWrites) {
  std::atomic<bool> stop{false};
  std::atomic<int> read_errors{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 12; ++r) {  // more readers than pooled connections
    readers.emplace_back([&] {
      while (!stop) {
        auto page = store_->ListBookings("LLODT", 5, 0);
        auto events = store_->ListEvents("LLODT", 0, 10);
        if (!page.ok() || !events.ok() || page->count < 0) ++read_errors;
      }
    });
  }
  for (int i = 0; i < 100; ++i) {
    QuotePackage p = MakePackage("LLODT", 1'000 + i);
    p.status = PackageStatus::kConfirmed;
    p.booked_at = 2'000 + i;
    ASSERT_TRUE(store_->Write([&](WriteTxn& t) { return t.InsertPackage(p); }).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(read_errors.load(), 0);
  auto page = store_->ListBookings("LLODT", 1, 0);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->count, 100);
  ASSERT_EQ(page->results.size(), 1u);
  EXPECT_EQ(page->results[0].booked_at, 2'099);
}

OL_BACKENDS(ConcurrencyTest);

}  // namespace
}  // namespace offerledger
