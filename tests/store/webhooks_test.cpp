// The webhook queue on every Store backend: a partner's listener is set,
// replaced and removed; a webhook is queued only with the commit of the unit
// of work that queued it; a claim leases a webhook to one sender (one store
// handle or process) at a time; outcomes, listing and the retry of dead ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::BackendTest;

constexpr Micros kT0 = Micros{1'700'000'000} * kMicrosPerSecond;
constexpr Micros kLease = 30 * kMicrosPerSecond;

class WebhookStoreTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const std::string code : {"AAA", "BBB"}) {
      Status s = store_->CreatePartner({code, code, kT0, 0, 0},
                                       ApiKey{"key-" + code, "secret", code, kT0, std::nullopt});
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  WebhookConfig Config(const std::string& partner, std::vector<std::string> events) {
    return {partner,         "http://127.0.0.1:9/hook", "wk-" + partner,
            "stored-secret", std::move(events),         kT0};
  }

  Webhook Hook(const std::string& id, const std::string& partner, Micros at = kT0) {
    Webhook w;
    w.id = id;
    w.partner = partner;
    w.event = "BOOKING_CREATED";
    w.body = R"({"event":"BOOKING_CREATED","payload":{"id":")" + id + R"("}})";
    w.created_at = at;
    w.next_attempt_at = at;
    return w;
  }

  // Queues `w` in a unit of work, as PartnerApi does, if the partner wants it.
  bool Enqueue(const Webhook& w) {
    bool wanted = false;
    Status s = store_->Write([&](WriteTxn& tx) -> Status {
      auto wants = tx.WantsWebhook(w.partner, w.event);
      if (!wants.ok()) return wants.status();
      wanted = *wants;
      return wanted ? tx.EnqueueWebhook(w) : Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return wanted;
  }

  std::vector<Webhook> List(WebhookFilter f = {}) {
    auto l = store_->ListWebhooks(f);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? *l : std::vector<Webhook>{};
  }

  std::vector<ClaimedWebhook> Claim(Store& store, Micros now, int limit = 10) {
    auto c = store.ClaimWebhooks(now, kLease, limit);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : std::vector<ClaimedWebhook>{};
  }
};

TEST_P(WebhookStoreTest, ConfigIsSetReplacedAndRemoved) {
  auto none = store_->GetWebhookConfig("AAA");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(store_->SetWebhookConfig(Config("AAA", {"BOOKING_CREATED"})).ok());
  WebhookConfig replaced = Config("AAA", {"BOOKING_CANCELLED", "BOOKING_UPDATED"});
  replaced.url = "https://listener.example/x";
  ASSERT_TRUE(store_->SetWebhookConfig(replaced).ok());
  auto got = store_->GetWebhookConfig("AAA");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->url, "https://listener.example/x");
  EXPECT_EQ((*got)->key, "wk-AAA");
  EXPECT_EQ((*got)->secret, "stored-secret");
  EXPECT_EQ((*got)->events, (std::vector<std::string>{"BOOKING_CANCELLED", "BOOKING_UPDATED"}));

  EXPECT_EQ(store_->SetWebhookConfig(Config("NOPE", {"BOOKING_CREATED"})).code(),
            StatusCode::kNotFound);
  auto removed = store_->RemoveWebhookConfig("AAA");
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(*removed);
  auto again = store_->RemoveWebhookConfig("AAA");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  got = store_->GetWebhookConfig("AAA");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_P(WebhookStoreTest, OnlySubscribedEventsOfThePartnerAreWanted) {
  ASSERT_TRUE(store_->SetWebhookConfig(Config("AAA", {"BOOKING_CREATED"})).ok());
  Webhook created = Hook("w1", "AAA");
  Webhook cancelled = Hook("w2", "AAA");
  cancelled.event = "BOOKING_CANCELLED";
  Webhook other = Hook("w3", "BBB");  // BBB has no webhook
  Webhook prefix = Hook("w4", "AAA");
  prefix.event = "BOOKING";  // a substring of a subscribed name is not a subscription
  EXPECT_TRUE(Enqueue(created));
  EXPECT_FALSE(Enqueue(cancelled));
  EXPECT_FALSE(Enqueue(other));
  EXPECT_FALSE(Enqueue(prefix));
  auto all = List();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "w1");
  EXPECT_EQ(all[0].status, WebhookStatus::kPending);
  EXPECT_EQ(all[0].body, created.body);
}

TEST_P(WebhookStoreTest, ARolledBackUnitOfWorkQueuesNothing) {
  ASSERT_TRUE(store_->SetWebhookConfig(Config("AAA", {"BOOKING_CREATED"})).ok());
  Status s = store_->Write([&](WriteTxn& tx) -> Status {
    if (Status e = tx.EnqueueWebhook(Hook("gone", "AAA")); !e.ok()) return e;
    return Status::Invalid("the change failed after queuing its webhook");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_TRUE(List().empty());
  EXPECT_TRUE(Claim(*store_, kT0 + kLease).empty());
}

TEST_P(WebhookStoreTest, AClaimLeasesAWebhookToOneSender) {
  ASSERT_TRUE(store_->SetWebhookConfig(Config("AAA", {"BOOKING_CREATED"})).ok());
  ASSERT_TRUE(Enqueue(Hook("w1", "AAA", kT0)));
  ASSERT_TRUE(Enqueue(Hook("w2", "AAA", kT0 + 10)));
  EXPECT_TRUE(Claim(*store_, kT0 - 1).empty()) << "nothing is due before its time";

  auto first = Claim(*store_, kT0 + 100, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].webhook.id, "w1") << "oldest first";
  ASSERT_TRUE(first[0].target.has_value());
  EXPECT_EQ(first[0].target->key, "wk-AAA");
  EXPECT_EQ(first[0].lease_until, kT0 + 100 + kLease);

  auto second = Claim(*store_, kT0 + 200);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].webhook.id, "w2") << "w1 is leased";
  EXPECT_NE(second[0].claim, first[0].claim);

  // The first sender died: once its lease ran out, w1 is claimed again, and
  // the old claim can no longer finish it.
  auto retaken = Claim(*store_, kT0 + 100 + kLease);
  ASSERT_EQ(retaken.size(), 1u);
  EXPECT_EQ(retaken[0].webhook.id, "w1");
  WebhookOutcome stale{"w1", first[0].claim, WebhookStatus::kDelivered, 1, 0, "", kT0 + kLease};
  EXPECT_EQ(store_->FinishWebhook(stale).code(), StatusCode::kConflict);
  WebhookOutcome done{"w1", retaken[0].claim, WebhookStatus::kDelivered, 1, 0, "", kT0 + kLease};
  ASSERT_TRUE(store_->FinishWebhook(done).ok());
  EXPECT_EQ(store_->FinishWebhook(done).code(), StatusCode::kConflict) << "finished once only";

  auto delivered = List({std::nullopt, WebhookStatus::kDelivered, 100});
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].id, "w1");
  EXPECT_EQ(delivered[0].attempts, 1);
  EXPECT_EQ(delivered[0].delivered_at, kT0 + kLease);
  EXPECT_TRUE(Claim(*store_, kT0 + 200 + kLease - 1).empty()) << "w2 is still leased, w1 delivered";
}

TEST_P(WebhookStoreTest, FailuresRetryLaterThenDieAndRetryBringsThemBack) {
  ASSERT_TRUE(store_->SetWebhookConfig(Config("AAA", {"BOOKING_CREATED"})).ok());
  ASSERT_TRUE(store_->SetWebhookConfig(Config("BBB", {"BOOKING_CREATED"})).ok());
  ASSERT_TRUE(Enqueue(Hook("a1", "AAA")));
  ASSERT_TRUE(Enqueue(Hook("b1", "BBB")));
  auto claimed = Claim(*store_, kT0);
  ASSERT_EQ(claimed.size(), 2u);
  for (const auto& c : claimed) {
    WebhookOutcome failed{c.webhook.id,         c.claim, WebhookStatus::kPending, 1, kT0 + 1000,
                          "connection refused", kT0};
    ASSERT_TRUE(store_->FinishWebhook(failed).ok());
  }
  EXPECT_TRUE(Claim(*store_, kT0 + 999).empty()) << "not due before next_attempt_at";
  claimed = Claim(*store_, kT0 + 1000);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].webhook.attempts, 1);
  EXPECT_EQ(claimed[0].webhook.last_error, "connection refused");
  for (const auto& c : claimed) {
    WebhookOutcome dead{c.webhook.id, c.claim,   WebhookStatus::kDead, 2, kT0 + 1000,
                        "HTTP 500",   kT0 + 1000};
    ASSERT_TRUE(store_->FinishWebhook(dead).ok());
  }
  EXPECT_TRUE(Claim(*store_, kT0 + 100 * kLease).empty()) << "dead ones are not sent";
  EXPECT_EQ(List({std::string("AAA"), WebhookStatus::kDead, 100}).size(), 1u);
  EXPECT_EQ(List({std::nullopt, WebhookStatus::kDead, 100}).size(), 2u);
  EXPECT_TRUE(List({std::nullopt, WebhookStatus::kPending, 100}).empty());

  EXPECT_EQ(store_->RetryWebhooks("nope", std::nullopt, kT0).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->RetryWebhooks("a1", std::string("BBB"), kT0).status().code(),
            StatusCode::kNotFound)
      << "another partner's webhook is not found";
  auto one = store_->RetryWebhooks("a1", std::nullopt, kT0 + 2000);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(*one, 1);
  EXPECT_EQ(store_->RetryWebhooks("a1", std::nullopt, kT0).status().code(), StatusCode::kInvalid)
      << "a pending one is not retried";
  auto pending = List({std::nullopt, WebhookStatus::kPending, 100});
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].attempts, 0) << "a retried webhook gets its attempts again";
  EXPECT_EQ(pending[0].next_attempt_at, kT0 + 2000);

  auto all_dead = store_->RetryWebhooks("", std::string("BBB"), kT0 + 3000);
  ASSERT_TRUE(all_dead.ok());
  EXPECT_EQ(*all_dead, 1);
  EXPECT_TRUE(List({std::nullopt, WebhookStatus::kDead, 100}).empty());
  EXPECT_EQ(Claim(*store_, kT0 + 3000).size(), 2u);
}

TEST_P(WebhookStoreTest, ARemovedListenerLeavesTheClaimWithoutTarget) {
  ASSERT_TRUE(store_->SetWebhookConfig(Config("AAA", {"BOOKING_CREATED"})).ok());
  ASSERT_TRUE(Enqueue(Hook("w1", "AAA")));
  ASSERT_TRUE(store_->RemoveWebhookConfig("AAA").ok());
  auto claimed = Claim(*store_, kT0);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_FALSE(claimed[0].target.has_value());
}

TEST_P(WebhookStoreTest, TwoHandlesClaimingAtOnceNeverShareAWebhook) {
  ASSERT_TRUE(store_->SetWebhookConfig(Config("AAA", {"BOOKING_CREATED"})).ok());
  constexpr int kHooks = 60;
  for (int i = 0; i < kHooks; ++i) ASSERT_TRUE(Enqueue(Hook("w" + std::to_string(i), "AAA")));
  std::unique_ptr<Store> other = Reopen();
  ASSERT_NE(other, nullptr);
  std::vector<std::string> got[2];
  auto drain = [&](Store& s, std::vector<std::string>& out) {
    for (int round = 0; round < 100; ++round) {
      auto c = s.ClaimWebhooks(kT0, kLease, 3);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      for (const auto& w : *c) out.push_back(w.webhook.id);
    }
  };
  std::thread a([&] { drain(*store_, got[0]); });
  std::thread b([&] { drain(*other, got[1]); });
  a.join();
  b.join();
  other->Close();
  std::set<std::string> all(got[0].begin(), got[0].end());
  all.insert(got[1].begin(), got[1].end());
  EXPECT_EQ(all.size(), got[0].size() + got[1].size()) << "a webhook was claimed twice";
  EXPECT_EQ(static_cast<int>(all.size()), kHooks) << "every webhook was claimed";
}

OL_BACKENDS(WebhookStoreTest);

}  // namespace
}  // namespace offerledger
