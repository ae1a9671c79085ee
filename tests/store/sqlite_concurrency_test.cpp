// The writer thread: group commit, per-job savepoints, serialised
// read-modify-write, draining on Close, and readers that the writer never blocks.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <latch>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite_test_support.h"

namespace offerledger {
namespace {

using testing::MakePackage;
using testing::MakeTestEvent;
using testing::OpenTestStore;
using testing::TempDir;
using testing::WaitFor;

// Holds the writer thread inside one job until released, so that the test can
// line up the jobs of the next batch.
class WriterGate {
 public:
  explicit WriterGate(SqliteStore& store) {
    thread_ = std::thread([this, &store] {
      result_ = store.Write([this](WriteTxn&) {
        entered_.count_down();
        release_.wait();
        return Status::Ok();
      });
    });
    entered_.wait();
  }
  ~WriterGate() { Open(); }
  void Open() {
    if (thread_.joinable()) {
      release_.count_down();
      thread_.join();
    }
  }
  const Status& result() const { return result_; }

 private:
  std::latch entered_{1};
  std::latch release_{1};
  std::thread thread_;
  Status result_;
};

TEST(SqliteConcurrency, FailingJobIsRolledBackWhileTheOthersInItsBatchCommit) {
  TempDir dir;
  auto store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  const auto before = store->write_stats();

  QuotePackage a = MakePackage("LLODT"), b = MakePackage("LLODT"), c = MakePackage("LLODT");
  Status ra, rb, rc;
  std::vector<std::thread> threads;
  {
    WriterGate gate(*store);
    threads.emplace_back(
        [&] { ra = store->Write([&](WriteTxn& t) { return t.InsertPackage(a); }); });
    ASSERT_TRUE(WaitFor([&] { return store->pending_writes() == 1; }));
    threads.emplace_back([&] {
      rb = store->Write([&](WriteTxn& t) -> Status {
        if (Status s = t.InsertPackage(b); !s.ok()) return s;
        if (Status s = t.AppendEvents({MakeTestEvent(EventKind::kOffered, "LLODT", b.id, 1)});
            !s.ok()) {
          return s;
        }
        return Status::Invalid("job b fails after writing");
      });
    });
    ASSERT_TRUE(WaitFor([&] { return store->pending_writes() == 2; }));
    threads.emplace_back([&] {
      rc = store->Write([&](WriteTxn& t) -> Status {
        // Sees a's insert (same batch, earlier job) and not b's (rolled back).
        auto seen_a = t.LoadPackage("LLODT", a.id);
        auto seen_b = t.LoadPackage("LLODT", b.id);
        if (!seen_a.ok() || !seen_b.ok()) return Status::Internal("load failed");
        if (!seen_a->has_value()) return Status::Internal("a not visible");
        if (seen_b->has_value()) return Status::Internal("b visible");
        return t.InsertPackage(c);
      });
    });
    ASSERT_TRUE(WaitFor([&] { return store->pending_writes() == 3; }));
    gate.Open();
    ASSERT_TRUE(gate.result().ok());
  }
  for (auto& t : threads) t.join();

  EXPECT_TRUE(ra.ok()) << ra.ToString();
  EXPECT_EQ(rb.code(), StatusCode::kInvalid);
  EXPECT_EQ(rb.message(), "job b fails after writing");
  EXPECT_TRUE(rc.ok()) << rc.ToString();

  auto got_a = store->GetPackage("LLODT", a.id);
  auto got_b = store->GetPackage("LLODT", b.id);
  auto got_c = store->GetPackage("LLODT", c.id);
  ASSERT_TRUE(got_a.ok() && got_b.ok() && got_c.ok());
  EXPECT_TRUE(got_a->has_value());
  EXPECT_FALSE(got_b->has_value());
  EXPECT_TRUE(got_c->has_value());
  auto events = store->CountEvents(EventKind::kOffered);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(*events, 0);

  // a, b and c went in one batch (one transaction, one commit).
  const auto after = store->write_stats();
  EXPECT_EQ(after.batches - before.batches, 2);  // the gate's, then a+b+c
  EXPECT_EQ(after.jobs - before.jobs, 4);
  EXPECT_EQ(after.failed_jobs - before.failed_jobs, 1);
  EXPECT_EQ(after.largest_batch, 3);
}

TEST(SqliteConcurrency, ConcurrentWritesAreAllCommittedWithGroupCommit) {
  TempDir dir;
  auto store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  const auto before = store->write_stats();
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
        Status s = store->Write([&](WriteTxn& txn) -> Status {
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

  auto n = store->CountEvents(EventKind::kOffered);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    auto events = store->ListEvents("P" + std::to_string(t), 0, 0);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), static_cast<std::size_t>(kPerThread));
    // One thread's writes are committed in the order it made them.
    for (int i = 0; i < kPerThread; ++i) EXPECT_EQ((*events)[i].package_id, ids[t][i]);
    auto last = store->GetPackage("P" + std::to_string(t), ids[t].back());
    ASSERT_TRUE(last.ok());
    EXPECT_TRUE(last->has_value());
  }

  const auto after = store->write_stats();
  const auto jobs = after.jobs - before.jobs;
  const auto batches = after.batches - before.batches;
  EXPECT_EQ(jobs, kThreads * kPerThread);
  EXPECT_LT(batches, jobs) << "no group commit happened";
  EXPECT_GT(after.largest_batch, 1);
  std::cout << "[ info ] " << jobs << " jobs in " << batches << " batches (largest "
            << after.largest_batch << ")\n";
}

TEST(SqliteConcurrency, ReadModifyWriteInsideWriteIsSerialised) {
  TempDir dir;
  auto store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  QuotePackage pkg = MakePackage("LLODT");
  pkg.quotes[0].cover_amount = 0;  // the counter
  ASSERT_TRUE(store->Write([&](WriteTxn& t) { return t.InsertPackage(pkg); }).ok());

  constexpr int kThreads = 16;
  constexpr int kIncrements = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        Status s = store->Write([&](WriteTxn& txn) -> Status {
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
  auto got = store->GetPackage("LLODT", pkg.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->quotes[0].cover_amount, kThreads * kIncrements);
}

TEST(SqliteConcurrency, ReadersSeeCommittedStateWhileTheWriterIsBusy) {
  TempDir dir;
  auto store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  QuotePackage committed = MakePackage("LLODT");
  ASSERT_TRUE(store->Write([&](WriteTxn& t) { return t.InsertPackage(committed); }).ok());

  QuotePackage pending = MakePackage("LLODT");
  std::latch inserted{1};
  std::latch release{1};
  std::thread writer([&] {
    Status s = store->Write([&](WriteTxn& t) {
      Status st = t.InsertPackage(pending);
      inserted.count_down();
      release.wait();  // holds the write transaction open
      return st;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
  });
  inserted.wait();
  // Readers are not blocked by the open write transaction and do not see it.
  auto a = store->GetPackage("LLODT", committed.id);
  auto b = store->GetPackage("LLODT", pending.id);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(a->has_value());
  EXPECT_FALSE(b->has_value());
  EXPECT_TRUE(store->Ping().ok());
  release.count_down();
  writer.join();
  // Write() returned OK: the commit is visible to the next read.
  b = store->GetPackage("LLODT", pending.id);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->has_value());
}

TEST(SqliteConcurrency, CloseDrainsQueuedWrites) {
  TempDir dir;
  auto store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  constexpr int kQueued = 5;
  std::vector<QuotePackage> pkgs;
  for (int i = 0; i < kQueued; ++i) pkgs.push_back(MakePackage("LLODT"));
  std::vector<Status> results(kQueued);
  std::vector<std::thread> threads;
  std::thread closer;
  {
    WriterGate gate(*store);
    for (int i = 0; i < kQueued; ++i) {
      threads.emplace_back([&, i] {
        results[i] = store->Write([&, i](WriteTxn& t) { return t.InsertPackage(pkgs[i]); });
      });
    }
    ASSERT_TRUE(WaitFor([&] { return store->pending_writes() == kQueued; }));
    closer = std::thread([&] { store->Close(); });
    // Close() refuses new writes at once, but lets the queued ones finish.
    ASSERT_TRUE(WaitFor([&] { return store->closing(); }));
    EXPECT_EQ(store->Write([](WriteTxn&) { return Status::Ok(); }).code(),
              StatusCode::kUnavailable);
    EXPECT_EQ(store->pending_writes(), kQueued);
  }
  closer.join();
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();

  store.reset();
  auto reopened = OpenTestStore(dir);
  ASSERT_NE(reopened, nullptr);
  for (const auto& p : pkgs) {
    auto got = reopened->GetPackage("LLODT", p.id);
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->has_value());
  }
}

TEST(SqliteConcurrency, ConcurrentReadsAndWrites) {
  TempDir dir;
  auto store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> read_errors{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 12; ++r) {  // more readers than pooled connections
    readers.emplace_back([&] {
      while (!stop) {
        auto page = store->ListBookings("LLODT", 5, 0);
        auto events = store->ListEvents("LLODT", 0, 10);
        if (!page.ok() || !events.ok() || page->count < 0) ++read_errors;
      }
    });
  }
  for (int i = 0; i < 100; ++i) {
    QuotePackage p = MakePackage("LLODT", 1'000 + i);
    p.status = PackageStatus::kConfirmed;
    p.booked_at = 2'000 + i;
    ASSERT_TRUE(store->Write([&](WriteTxn& t) { return t.InsertPackage(p); }).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(read_errors.load(), 0);
  auto page = store->ListBookings("LLODT", 1, 0);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->count, 100);
  ASSERT_EQ(page->results.size(), 1u);
  EXPECT_EQ(page->results[0].booked_at, 2'099);
}

}  // namespace
}  // namespace offerledger
