// The SQLite writer thread: group commit with per-job savepoints, and
// draining on Close. (Concurrency every backend shares: concurrency_test.cpp.)
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace offerledger
