// The email outbox on every Store backend: an email is written only with the
// commit of the unit of work that wrote it (with its ledger event, or with
// neither); a claim leases pending emails to one sender at a time; recorded
// ones are never claimed; outcomes, listing and retries.
#include <gtest/gtest.h>

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

class EmailStoreTest : public BackendTest {
 protected:
  Email Mail(const std::string& id, const std::string& partner,
             EmailStatus status = EmailStatus::kPending, Micros at = kT0) {
    Email e;
    e.id = id;
    e.partner = partner;
    e.booking_id = "BGNJF-49BDW-INS";
    e.event = "BOOKING_CREATED";
    e.recipient = "jason.campbell@test-xcover.com";
    e.subject = "Your booking BGNJF-49BDW-INS";
    e.body = "Dear Jason,\n\nthank you.\n";
    e.created_at = at;
    e.status = status;
    e.next_attempt_at = at;
    return e;
  }

  LedgerEvent Requested(const Email& e) {
    LedgerEvent ev;
    ev.kind = EventKind::kEmailRequested;
    ev.at = e.created_at;
    ev.offered_at = e.created_at;
    ev.partner = e.partner;
    ev.package_id = e.booking_id;
    ev.quote_id = "q-" + e.id;
    ev.policy_type = "event_ticket_protection";
    ev.policy_type_version = 1;
    ev.currency = "GBP";
    ev.customer_country = "GB";
    ev.data_json = R"({"email_id":")" + e.id + R"("})";
    return ev;
  }

  // Writes `e` and its ledger event in one unit of work, as PartnerApi does.
  void Write(const Email& e) {
    Status s = store_->Write([&](WriteTxn& tx) -> Status {
      if (Status st = tx.EnqueueEmail(e); !st.ok()) return st;
      return tx.AppendEvents({Requested(e)});
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::vector<Email> List(EmailFilter f = {}) {
    auto l = store_->ListEmails(f);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? *l : std::vector<Email>{};
  }

  std::vector<ClaimedEmail> Claim(Store& store, Micros now, int limit = 10) {
    auto c = store.ClaimEmails(now, kLease, limit);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : std::vector<ClaimedEmail>{};
  }

  std::int64_t RequestedEvents() {
    auto n = store_->CountEvents(EventKind::kEmailRequested);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }
};

TEST_P(EmailStoreTest, AnEmailIsWrittenWithItsLedgerEventOrNotAtAll) {
  Write(Mail("e1", "AAA"));
  auto all = List();
  ASSERT_EQ(all.size(), 1u);
  const Email& e = all[0];
  EXPECT_EQ(e.id, "e1");
  EXPECT_EQ(e.partner, "AAA");
  EXPECT_EQ(e.booking_id, "BGNJF-49BDW-INS");
  EXPECT_EQ(e.event, "BOOKING_CREATED");
  EXPECT_EQ(e.recipient, "jason.campbell@test-xcover.com");
  EXPECT_EQ(e.subject, "Your booking BGNJF-49BDW-INS");
  EXPECT_EQ(e.body, "Dear Jason,\n\nthank you.\n");
  EXPECT_EQ(e.status, EmailStatus::kPending);
  EXPECT_EQ(e.created_at, kT0);
  EXPECT_EQ(RequestedEvents(), 1);

  // A unit of work that fails after writing the email keeps neither.
  Status s = store_->Write([&](WriteTxn& tx) -> Status {
    if (Status st = tx.EnqueueEmail(Mail("gone", "AAA")); !st.ok()) return st;
    if (Status st = tx.AppendEvents({Requested(Mail("gone", "AAA"))}); !st.ok()) return st;
    return Status::Invalid("the request failed after writing its email");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_EQ(List().size(), 1u);
  EXPECT_EQ(RequestedEvents(), 1);
  EXPECT_EQ(Claim(*store_, kT0 + kLease).size(), 1u) << "only e1";

  // The id is unique.
  Status dup = store_->Write([&](WriteTxn& tx) { return tx.EnqueueEmail(Mail("e1", "AAA")); });
  EXPECT_EQ(dup.code(), StatusCode::kConflict);
}

TEST_P(EmailStoreTest, RecordedEmailsAreKeptNotSentUntilRetried) {
  Write(Mail("r1", "AAA", EmailStatus::kRecorded));
  EXPECT_TRUE(Claim(*store_, kT0 + 100 * kLease).empty());
  auto recorded = List({std::nullopt, EmailStatus::kRecorded, 100});
  ASSERT_EQ(recorded.size(), 1u);
  auto retried = store_->RetryEmails("r1", std::nullopt, kT0 + 5);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(*retried, 1);
  auto claimed = Claim(*store_, kT0 + 5);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].email.id, "r1");
}

TEST_P(EmailStoreTest, AClaimLeasesFailuresRetryDieAndComeBack) {
  Write(Mail("a1", "AAA", EmailStatus::kPending, kT0));
  Write(Mail("b1", "BBB", EmailStatus::kPending, kT0 + 10));
  EXPECT_TRUE(Claim(*store_, kT0 - 1).empty()) << "nothing is due before its time";
  auto first = Claim(*store_, kT0 + 100, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].email.id, "a1") << "oldest first";
  EXPECT_EQ(first[0].lease_until, kT0 + 100 + kLease);
  auto second = Claim(*store_, kT0 + 200);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].email.id, "b1") << "a1 is leased";

  // a1 fails and is due again later; b1's sender loses its lease.
  ASSERT_TRUE(store_
                  ->FinishEmail({"a1", first[0].claim, EmailStatus::kPending, 1, kT0 + 1000,
                                 "SMTP: connection refused", kT0 + 150})
                  .ok());
  auto retaken = Claim(*store_, kT0 + 200 + kLease);
  ASSERT_EQ(retaken.size(), 2u);
  // b1 (due at kT0 + 10) comes before a1 (due again at kT0 + 1000).
  EXPECT_EQ(retaken[0].email.id, "b1");
  EXPECT_EQ(retaken[1].email.id, "a1");
  EXPECT_EQ(retaken[1].email.attempts, 1);
  EXPECT_EQ(retaken[1].email.last_error, "SMTP: connection refused");
  EXPECT_EQ(
      store_->FinishEmail({"b1", second[0].claim, EmailStatus::kDelivered, 1, 0, "", kT0}).code(),
      StatusCode::kConflict);
  ASSERT_TRUE(store_
                  ->FinishEmail({"b1", retaken[0].claim, EmailStatus::kDelivered, 1, 0, "",
                                 kT0 + 300 + kLease})
                  .ok());
  ASSERT_TRUE(store_
                  ->FinishEmail({"a1", retaken[1].claim, EmailStatus::kDead, 2, kT0 + 1000,
                                 "SMTP 550", kT0 + 300 + kLease})
                  .ok());
  EXPECT_TRUE(Claim(*store_, kT0 + 100 * kLease).empty()) << "dead and delivered ones stay";

  auto delivered = List({std::string("BBB"), EmailStatus::kDelivered, 100});
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].delivered_at, kT0 + 300 + kLease);
  EXPECT_EQ(List({std::string("AAA"), EmailStatus::kDead, 100}).size(), 1u);
  EXPECT_TRUE(List({std::string("BBB"), EmailStatus::kDead, 100}).empty());

  EXPECT_EQ(store_->RetryEmails("nope", std::nullopt, kT0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->RetryEmails("a1", std::string("BBB"), kT0).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->RetryEmails("b1", std::nullopt, kT0).status().code(), StatusCode::kInvalid)
      << "a delivered one is not retried";
  auto all_dead = store_->RetryEmails("", std::nullopt, kT0 + 7);
  ASSERT_TRUE(all_dead.ok());
  EXPECT_EQ(*all_dead, 1);
  auto again = Claim(*store_, kT0 + 7);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].email.id, "a1");
  EXPECT_EQ(again[0].email.attempts, 0) << "a retried email gets its attempts again";
}

TEST_P(EmailStoreTest, TwoHandlesClaimingAtOnceNeverShareAnEmail) {
  constexpr int kEmails = 40;
  for (int i = 0; i < kEmails; ++i) Write(Mail("e" + std::to_string(i), "AAA"));
  std::unique_ptr<Store> other = Reopen();
  ASSERT_NE(other, nullptr);
  std::vector<std::string> got[2];
  auto drain = [&](Store& s, std::vector<std::string>& out) {
    for (int round = 0; round < 60; ++round) {
      auto c = s.ClaimEmails(kT0, kLease, 3);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      for (const auto& e : *c) out.push_back(e.email.id);
    }
  };
  std::thread a([&] { drain(*store_, got[0]); });
  std::thread b([&] { drain(*other, got[1]); });
  a.join();
  b.join();
  other->Close();
  std::set<std::string> all(got[0].begin(), got[0].end());
  all.insert(got[1].begin(), got[1].end());
  EXPECT_EQ(all.size(), got[0].size() + got[1].size()) << "an email was claimed twice";
  EXPECT_EQ(static_cast<int>(all.size()), kEmails);
}

OL_BACKENDS(EmailStoreTest);

}  // namespace
}  // namespace offerledger
