// What the email and webhook outboxes share (store/outbox_table.h and each
// backend's outbox code), on every Store backend: the order claims hand rows
// out in, what a lost claim and a refused retry say (word for word: the CLI
// prints these messages), and the rule each kind keeps for itself -- which
// statuses `retry ID` takes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::BackendTest;

constexpr Micros kT0 = Micros{1'800'000'000} * kMicrosPerSecond;
constexpr Micros kLease = 30 * kMicrosPerSecond;

class OutboxStoreTest : public BackendTest {
 protected:
  void WriteEmail(const std::string& id, const std::string& partner, Micros due,
                  EmailStatus status = EmailStatus::kPending) {
    Email e;
    e.id = id;
    e.partner = partner;
    e.booking_id = "B-" + id;
    e.event = "BOOKING_CREATED";
    e.recipient = "someone@example.com";
    e.subject = "Your booking";
    e.body = "Hello";
    e.created_at = kT0;
    e.status = status;
    e.next_attempt_at = due;
    Status s = store_->Write([&](WriteTxn& tx) { return tx.EnqueueEmail(e); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void WriteWebhook(const std::string& id, const std::string& partner, Micros due) {
    Webhook w;
    w.id = id;
    w.partner = partner;
    w.event = "BOOKING_CREATED";
    w.body = "{}";
    w.created_at = kT0;
    w.next_attempt_at = due;
    Status s = store_->Write([&](WriteTxn& tx) { return tx.EnqueueWebhook(w); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::vector<std::string> ClaimEmailIds(Micros now, int limit) {
    std::vector<std::string> ids;
    auto claimed = store_->ClaimEmails(now, kLease, limit);
    EXPECT_TRUE(claimed.ok()) << claimed.status().ToString();
    if (claimed.ok()) {
      for (const auto& c : *claimed) ids.push_back(c.email.id);
    }
    return ids;
  }

  std::vector<std::string> ClaimWebhookIds(Micros now, int limit) {
    std::vector<std::string> ids;
    auto claimed = store_->ClaimWebhooks(now, kLease, limit);
    EXPECT_TRUE(claimed.ok()) << claimed.status().ToString();
    if (claimed.ok()) {
      for (const auto& c : *claimed) ids.push_back(c.webhook.id);
    }
    return ids;
  }

  // Claims the one due row of each kind and finishes it as dead.
  void KillBoth(const std::string& email, const std::string& webhook, Micros now) {
    auto e = store_->ClaimEmails(now, kLease, 1);
    ASSERT_TRUE(e.ok() && e->size() == 1u && (*e)[0].email.id == email);
    ASSERT_TRUE(
        store_->FinishEmail({email, (*e)[0].claim, EmailStatus::kDead, 3, now, "550", now}).ok());
    auto w = store_->ClaimWebhooks(now, kLease, 1);
    ASSERT_TRUE(w.ok() && w->size() == 1u && (*w)[0].webhook.id == webhook);
    ASSERT_TRUE(
        store_
            ->FinishWebhook({webhook, (*w)[0].claim, WebhookStatus::kDead, 3, now, "HTTP 500", now})
            .ok());
  }
};

TEST_P(OutboxStoreTest, ClaimsHandOutTheEarliestDueFirstThenTheOldestWritten) {
  // Written out of due order; e2 and e3 are due at the same time.
  WriteEmail("e1", "AAA", kT0 + 30);
  WriteEmail("e2", "AAA", kT0 + 10);
  WriteEmail("e3", "AAA", kT0 + 10);
  WriteEmail("e4", "AAA", kT0 + 20);
  WriteEmail("late", "AAA", kT0 + 10 * kLease);
  WriteWebhook("w1", "AAA", kT0 + 30);
  WriteWebhook("w2", "AAA", kT0 + 10);
  WriteWebhook("w3", "AAA", kT0 + 10);
  WriteWebhook("w4", "AAA", kT0 + 20);
  WriteWebhook("late", "AAA", kT0 + 10 * kLease);

  EXPECT_EQ(ClaimEmailIds(kT0 + 100, 3), (std::vector<std::string>{"e2", "e3", "e4"}));
  EXPECT_EQ(ClaimEmailIds(kT0 + 100, 3), (std::vector<std::string>{"e1"})) << "the rest are leased";
  EXPECT_EQ(ClaimWebhookIds(kT0 + 100, 3), (std::vector<std::string>{"w2", "w3", "w4"}));
  EXPECT_EQ(ClaimWebhookIds(kT0 + 100, 3), (std::vector<std::string>{"w1"}));
  // Leases run out at kT0 + 100 + kLease: all of them come back, in order.
  EXPECT_EQ(ClaimEmailIds(kT0 + 100 + kLease, 10),
            (std::vector<std::string>{"e2", "e3", "e4", "e1"}));
  EXPECT_EQ(ClaimWebhookIds(kT0 + 100 + kLease, 10),
            (std::vector<std::string>{"w2", "w3", "w4", "w1"}));
}

TEST_P(OutboxStoreTest, ALostOrSpentClaimCannotFinishARow) {
  WriteEmail("e1", "AAA", kT0);
  WriteWebhook("w1", "AAA", kT0);
  auto e = store_->ClaimEmails(kT0, kLease, 10);
  auto w = store_->ClaimWebhooks(kT0, kLease, 10);
  ASSERT_TRUE(e.ok() && e->size() == 1u);
  ASSERT_TRUE(w.ok() && w->size() == 1u);

  Status email_lost =
      store_->FinishEmail({"e1", "not-the-claim", EmailStatus::kDelivered, 1, 0, "", kT0});
  EXPECT_EQ(email_lost.code(), StatusCode::kConflict);
  EXPECT_EQ(email_lost.message(), "email e1 is no longer held by this sender");
  Status webhook_lost =
      store_->FinishWebhook({"w1", "not-the-claim", WebhookStatus::kDelivered, 1, 0, "", kT0});
  EXPECT_EQ(webhook_lost.code(), StatusCode::kConflict);
  EXPECT_EQ(webhook_lost.message(), "webhook w1 is no longer held by this sender");

  ASSERT_TRUE(
      store_->FinishEmail({"e1", (*e)[0].claim, EmailStatus::kDelivered, 1, 0, "", kT0 + 5}).ok());
  ASSERT_TRUE(
      store_->FinishWebhook({"w1", (*w)[0].claim, WebhookStatus::kDelivered, 1, 0, "", kT0 + 6})
          .ok());
  // Delivered: the same claim cannot finish it again.
  EXPECT_EQ(store_->FinishEmail({"e1", (*e)[0].claim, EmailStatus::kDead, 2, 0, "x", kT0}).code(),
            StatusCode::kConflict);
  EXPECT_EQ(
      store_->FinishWebhook({"w1", (*w)[0].claim, WebhookStatus::kDead, 2, 0, "x", kT0}).code(),
      StatusCode::kConflict);

  auto emails = store_->ListEmails({});
  ASSERT_TRUE(emails.ok() && emails->size() == 1u);
  EXPECT_EQ((*emails)[0].delivered_at, kT0 + 5);
  auto webhooks = store_->ListWebhooks({});
  ASSERT_TRUE(webhooks.ok() && webhooks->size() == 1u);
  EXPECT_EQ((*webhooks)[0].delivered_at, kT0 + 6);
}

TEST_P(OutboxStoreTest, ARefusedRetrySaysWhichRowAndWhy) {
  WriteEmail("e1", "AAA", kT0);
  WriteWebhook("w1", "AAA", kT0);

  auto no_email = store_->RetryEmails("nope", std::nullopt, kT0);
  EXPECT_EQ(no_email.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(no_email.status().message(), "no email nope");
  auto no_webhook = store_->RetryWebhooks("nope", std::nullopt, kT0);
  EXPECT_EQ(no_webhook.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(no_webhook.status().message(), "no webhook nope");

  // Another partner's row is not found either.
  EXPECT_EQ(store_->RetryEmails("e1", std::string("BBB"), kT0).status().message(), "no email e1");
  EXPECT_EQ(store_->RetryWebhooks("w1", std::string("BBB"), kT0).status().message(),
            "no webhook w1");

  // Each kind words its own rule.
  auto pending_email = store_->RetryEmails("e1", std::nullopt, kT0);
  EXPECT_EQ(pending_email.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(pending_email.status().message(),
            "email e1 is pending: only dead or recorded emails are retried");
  auto pending_webhook = store_->RetryWebhooks("w1", std::string("AAA"), kT0);
  EXPECT_EQ(pending_webhook.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(pending_webhook.status().message(),
            "webhook w1 is pending, not dead: only dead webhooks are retried");
}

TEST_P(OutboxStoreTest, RetryByIdTakesWhatItsKindAllowsAllDeadOnlyTheDead) {
  WriteEmail("e-dead", "AAA", kT0);
  WriteWebhook("w-dead", "AAA", kT0);
  KillBoth("e-dead", "w-dead", kT0);
  WriteEmail("e-recorded", "AAA", kT0, EmailStatus::kRecorded);
  WriteEmail("e-other", "BBB", kT0 + 1);
  WriteWebhook("w-other", "BBB", kT0 + 1);
  KillBoth("e-other", "w-other", kT0 + 1);
  WriteEmail("e-pending", "AAA", kT0 + 50);
  WriteWebhook("w-pending", "AAA", kT0 + 50);

  // --all-dead of AAA: its dead rows only, not recorded or pending ones.
  auto emails = store_->RetryEmails("", std::string("AAA"), kT0 + 100);
  ASSERT_TRUE(emails.ok()) << emails.status().ToString();
  EXPECT_EQ(*emails, 1);
  auto webhooks = store_->RetryWebhooks("", std::string("AAA"), kT0 + 100);
  ASSERT_TRUE(webhooks.ok()) << webhooks.status().ToString();
  EXPECT_EQ(*webhooks, 1);
  EXPECT_EQ(ClaimEmailIds(kT0 + 100, 10), (std::vector<std::string>{"e-pending", "e-dead"}))
      << "e-dead is due again at the retry's time, with no attempts";
  EXPECT_EQ(ClaimWebhookIds(kT0 + 100, 10), (std::vector<std::string>{"w-pending", "w-dead"}));

  // An email retried by id may be recorded; the partner given must be its own.
  auto recorded = store_->RetryEmails("e-recorded", std::string("AAA"), kT0 + 200);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(*recorded, 1);
  auto other = store_->RetryWebhooks("w-other", std::string("BBB"), kT0 + 200);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(*other, 1);
  auto listed = store_->ListEmails({std::nullopt, EmailStatus::kPending, 100});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].id, "e-pending") << "newest first";
  EXPECT_EQ((*listed)[1].id, "e-recorded");
  EXPECT_EQ((*listed)[1].attempts, 0);
  EXPECT_EQ((*listed)[1].next_attempt_at, kT0 + 200);
  EXPECT_EQ((*listed)[2].id, "e-dead");
  EXPECT_EQ(ClaimEmailIds(kT0 + 200, 10), (std::vector<std::string>{"e-recorded"}));
  EXPECT_EQ(ClaimWebhookIds(kT0 + 200, 10), (std::vector<std::string>{"w-other"}));
  auto still_dead = store_->ListEmails({std::string("BBB"), EmailStatus::kDead, 100});
  ASSERT_TRUE(still_dead.ok());
  ASSERT_EQ(still_dead->size(), 1u);
  EXPECT_EQ((*still_dead)[0].id, "e-other");
}

TEST_P(OutboxStoreTest, ListsFilterByPartnerAndStatusNewestFirstUpToTheLimit) {
  for (int i = 0; i < 5; ++i) {
    WriteEmail("e" + std::to_string(i), i % 2 == 0 ? "AAA" : "BBB", kT0 + i);
    WriteWebhook("w" + std::to_string(i), i % 2 == 0 ? "AAA" : "BBB", kT0 + i);
  }
  auto ids = [](const auto& rows) {
    std::vector<std::string> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(r.id);
    return out;
  };
  auto emails = store_->ListEmails({std::string("AAA"), std::nullopt, 2});
  ASSERT_TRUE(emails.ok());
  EXPECT_EQ(ids(*emails), (std::vector<std::string>{"e4", "e2"}));
  auto webhooks = store_->ListWebhooks({std::string("AAA"), std::nullopt, 2});
  ASSERT_TRUE(webhooks.ok());
  EXPECT_EQ(ids(*webhooks), (std::vector<std::string>{"w4", "w2"}));
  // No limit (0): all of them.
  auto all_emails = store_->ListEmails({std::nullopt, EmailStatus::kPending, 0});
  ASSERT_TRUE(all_emails.ok());
  EXPECT_EQ(ids(*all_emails), (std::vector<std::string>{"e4", "e3", "e2", "e1", "e0"}));
  auto all_webhooks = store_->ListWebhooks({std::nullopt, WebhookStatus::kPending, 0});
  ASSERT_TRUE(all_webhooks.ok());
  EXPECT_EQ(ids(*all_webhooks), (std::vector<std::string>{"w4", "w3", "w2", "w1", "w0"}));
  auto none = store_->ListWebhooks({std::string("BBB"), WebhookStatus::kDead, 10});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

OL_BACKENDS(OutboxStoreTest);

}  // namespace
}  // namespace offerledger
