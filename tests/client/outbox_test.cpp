// The durable outbox: entries survive reopening, a permanent failure is
// moved aside with its error, delivered entries are kept for audit.
#include "client/outbox.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "client/errors.h"

namespace offerledger::client {
namespace {

using namespace std::chrono_literals;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ol-outbox-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/sub/outbox.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::string path_;
};

SenderOptions Fast() {
  SenderOptions o;
  o.retry.base = 1ms;
  o.retry.cap = 5ms;
  o.idle_poll = 10ms;
  return o;
}

TEST_F(OutboxTest, EntriesSurviveReopenAndAreNotDuplicated) {
  {
    Outbox box(path_);
    EXPECT_EQ(box.Enqueue("DEMO", "A", 1), box.Enqueue("DEMO", "A", 2));
    box.Enqueue("DEMO", "B", 3);
  }
  Outbox box(path_);
  EXPECT_EQ(box.Counts().pending, 2);
  const auto due = box.Due(NowMicros());
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].package_id, "A");
  EXPECT_EQ(due[0].idempotency_key.size(), 36u);
  EXPECT_NE(due[0].idempotency_key, due[1].idempotency_key);
}

TEST_F(OutboxTest, RetriesWithSameKeyUntilDelivered) {
  Outbox box(path_);
  box.Enqueue("DEMO", "A", NowMicros());
  std::vector<std::string> keys;
  int calls = 0;
  OutboxSender sender(
      box,
      [&](const OutboxEntry& e) {
        keys.push_back(e.idempotency_key);
        if (++calls < 3) throw TransportError(TransportError::Kind::kConnect, "refused");
      },
      Fast());
  EXPECT_TRUE(sender.Flush(5s));
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0], keys[2]);
  const auto delivered = box.List("delivered");
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].attempts, 3);
  EXPECT_GT(delivered[0].finished_at, 0);
}

TEST_F(OutboxTest, PermanentFailureIsMovedAsideWithItsError) {
  Outbox box(path_);
  box.Enqueue("DEMO", "GONE", NowMicros());
  box.Enqueue("DEMO", "OK", NowMicros());
  int gone_calls = 0;
  OutboxSender sender(
      box,
      [&](const OutboxEntry& e) {
        if (e.package_id == "GONE") {
          ++gone_calls;
          throw ApiError(404, "not_found", "No such quote package", "{}", 1);
        }
      },
      Fast());
  EXPECT_TRUE(sender.Flush(5s));
  sender.RunOnce();
  EXPECT_EQ(gone_calls, 1);
  const auto failed = box.List("failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].package_id, "GONE");
  EXPECT_EQ(failed[0].last_status, 404);
  EXPECT_NE(failed[0].last_error.find("No such quote package"), std::string::npos);
  const OutboxCounts c = box.Counts();
  EXPECT_EQ(c.pending, 0);
  EXPECT_EQ(c.delivered, 1);
  EXPECT_EQ(c.failed, 1);
}

TEST_F(OutboxTest, RetryableApiErrorStaysPending) {
  Outbox box(path_);
  box.Enqueue("DEMO", "A", NowMicros());
  OutboxSender sender(
      box, [&](const OutboxEntry&) { throw ApiError(503, "", "down", "", 1); }, Fast());
  EXPECT_FALSE(sender.Flush(100ms));
  const auto pending = box.List("pending");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_GE(pending[0].attempts, 1);
  EXPECT_EQ(pending[0].last_status, 503);
}

TEST_F(OutboxTest, DeliveredKeptForRetentionThenPurged) {
  Outbox box(path_);
  box.Enqueue("DEMO", "A", NowMicros());
  SenderOptions o = Fast();
  o.retention = 1h;
  OutboxSender sender(
      box, [](const OutboxEntry&) {}, o);
  EXPECT_TRUE(sender.Flush(1s));
  EXPECT_EQ(box.Counts().delivered, 1);
  EXPECT_EQ(box.PurgeDelivered(NowMicros() - 3600LL * 1'000'000), 0);
  EXPECT_EQ(box.PurgeDelivered(NowMicros() + 1), 1);
  EXPECT_EQ(box.Counts().delivered, 0);
}

TEST_F(OutboxTest, BackgroundSenderDelivers) {
  Outbox box(path_);
  std::atomic<int> n{0};
  OutboxSender sender(
      box, [&](const OutboxEntry&) { ++n; }, Fast());
  sender.Start();
  for (int i = 0; i < 20; ++i) box.Enqueue("DEMO", "P" + std::to_string(i), NowMicros());
  sender.Wake();
  for (int i = 0; i < 300 && box.Counts().delivered < 20; ++i) std::this_thread::sleep_for(10ms);
  sender.Stop();
  EXPECT_EQ(box.Counts().delivered, 20);
  EXPECT_EQ(n.load(), 20);
}

}  // namespace
}  // namespace offerledger::client
