// The renewal sweep on every Store backend, with the test's own clock:
// RENEWAL_DUE once per period when the period ends within the notice window,
// RENEWAL_EXPIRED once when it ended without a renewal, each written with the
// package's change; nothing again on a second sweep, from a second store on
// the same database (another process, or after a restart), nor for bookings
// that are not renewable, renewed, cancelled or declined.
#include "service/renewal_sweep.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "service/webhook_events.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::BackendTest;

constexpr Micros kT0 = 1'800'000'000LL * kMicrosPerSecond;  // 2027-01-15
constexpr Micros kPeriodEnd = kT0 + 30 * kMicrosPerDay;
constexpr Micros kNotice = 7 * kMicrosPerDay;

Quote RenewableQuote(const std::string& id, bool renewable = true) {
  Quote q;
  q.id = id;
  q.policy_type = renewable ? "gadget_protection" : "event_ticket_protection";
  q.policy_type_version = 1;
  q.policy_code = "GDGT0001";
  q.renewable = renewable;
  q.premium = 800;
  q.taxes = {{"IPT", 96}};
  q.price = 896;
  q.status = QuoteStatus::kConfirmed;
  q.created_at = kT0;
  q.updated_at = kT0;
  q.confirmed_at = kT0;
  q.policy_start = kT0;
  q.policy_end = kPeriodEnd;
  return q;
}

QuotePackage Booking(const std::string& id, bool renewable = true) {
  QuotePackage p;
  p.id = id;
  p.partner = "LLODT";
  p.security_token = "tok";
  p.status = PackageStatus::kConfirmed;
  p.currency = "GBP";
  p.customer_country = "GB";
  p.created_at = kT0;
  p.updated_at = kT0;
  p.booked_at = kT0;
  p.policyholder_json = R"({"first_name":"Edgar"})";
  p.quotes = {RenewableQuote("q-" + id, renewable)};
  return p;
}

class RenewalSweepTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store_
                    ->CreatePartner({"LLODT", "LLODT", kT0, 0, 0},
                                    ApiKey{"key-LLODT", "s", "LLODT", kT0, std::nullopt})
                    .ok());
    WebhookConfig hook{"LLODT",
                       "http://127.0.0.1:9/hooks",
                       "k",
                       "secret",
                       {std::string(kRenewalDue), std::string(kRenewalExpired)},
                       kT0};
    ASSERT_TRUE(store_->SetWebhookConfig(hook).ok());
  }

  void Insert(const QuotePackage& p) {
    Status s = store_->Write([&](WriteTxn& tx) { return tx.InsertPackage(p); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Update(const QuotePackage& p) {
    Status s = store_->Write([&](WriteTxn& tx) { return tx.UpdatePackage(p); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  RenewalSweepCounts Sweep(Micros now, Store* store = nullptr) {
    RenewalSweepOptions opts;
    opts.notice = kNotice;
    opts.batch = 2;  // several rounds for a handful of bookings
    RenewalSweeper sweeper(store != nullptr ? *store : *store_, opts);
    auto counts = sweeper.RunOnce(now);
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.ok() ? *counts : RenewalSweepCounts{-1, -1};
  }

  // Queued webhooks as "EVENT booking-id", oldest first.
  std::vector<std::string> Queued() {
    auto hooks = store_->ListWebhooks({});
    EXPECT_TRUE(hooks.ok()) << hooks.status().ToString();
    std::vector<std::string> out;
    if (!hooks.ok()) return out;
    for (auto it = hooks->rbegin(); it != hooks->rend(); ++it) {
      const boost::json::value body = boost::json::parse(it->body);
      EXPECT_EQ(body.at("event").as_string(), it->event);
      out.push_back(it->event + " " + std::string(body.at("payload").at("id").as_string()));
    }
    return out;
  }

  QuotePackage Stored(const std::string& id) {
    auto p = store_->GetPackage("LLODT", id);
    EXPECT_TRUE(p.ok() && p->has_value());
    return p.ok() && *p ? **p : QuotePackage{};
  }
};

TEST_P(RenewalSweepTest, DueOnceInsideTheNoticeWindowThenExpiredOnce) {
  Insert(Booking("AAAAA-AAAAA-INS"));
  // Before the window: nothing.
  EXPECT_EQ(Sweep(kPeriodEnd - kNotice - 1).due, 0);
  EXPECT_TRUE(Queued().empty());

  // Inside it: RENEWAL_DUE once, however often the sweep runs.
  RenewalSweepCounts first = Sweep(kPeriodEnd - kNotice);
  EXPECT_EQ(first.due, 1);
  EXPECT_EQ(first.expired, 0);
  EXPECT_EQ(Sweep(kPeriodEnd - kNotice + 1).due, 0);
  EXPECT_EQ(Sweep(kPeriodEnd - 1).due, 0);
  EXPECT_EQ(Queued(), std::vector<std::string>{"RENEWAL_DUE AAAAA-AAAAA-INS"});
  EXPECT_EQ(Stored("AAAAA-AAAAA-INS").renewal_due_sent_for, kPeriodEnd);

  // The period ends without a renewal: RENEWAL_EXPIRED once.
  RenewalSweepCounts ended = Sweep(kPeriodEnd);
  EXPECT_EQ(ended.expired, 1);
  EXPECT_EQ(ended.due, 0);
  EXPECT_EQ(Sweep(kPeriodEnd + kMicrosPerDay).expired, 0);
  EXPECT_EQ(Queued(), (std::vector<std::string>{"RENEWAL_DUE AAAAA-AAAAA-INS",
                                                "RENEWAL_EXPIRED AAAAA-AAAAA-INS"}));
  const QuotePackage expired = Stored("AAAAA-AAAAA-INS");
  EXPECT_EQ(expired.renewal_expired_at, kPeriodEnd);
  EXPECT_EQ(expired.status, PackageStatus::kConfirmed);
  EXPECT_FALSE(CheckRenewable(expired).ok());
}

TEST_P(RenewalSweepTest, ASecondStoreOnTheSameDatabaseSendsNothingAgain) {
  Insert(Booking("AAAAA-AAAAA-INS"));
  Insert(Booking("BBBBB-BBBBB-INS"));
  EXPECT_EQ(Sweep(kPeriodEnd - 1).due, 2);
  // Another process (or this one after a restart) reads what was recorded.
  std::unique_ptr<Store> other = Reopen();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Sweep(kPeriodEnd - 1, other.get()).due, 0);
  EXPECT_EQ(Sweep(kPeriodEnd + 1, other.get()).expired, 2);
  EXPECT_EQ(Sweep(kPeriodEnd + 2).expired, 0);
  other->Close();
  EXPECT_EQ(Queued().size(), 4u);
}

TEST_P(RenewalSweepTest, FoundAfterItsPeriodEndedItOnlyExpires) {
  Insert(Booking("AAAAA-AAAAA-INS"));
  RenewalSweepCounts late = Sweep(kPeriodEnd + kMicrosPerDay);
  EXPECT_EQ(late.due, 0);
  EXPECT_EQ(late.expired, 1);
  EXPECT_EQ(Queued(), std::vector<std::string>{"RENEWAL_EXPIRED AAAAA-AAAAA-INS"});
}

TEST_P(RenewalSweepTest, ManyBookingsAreAllSweptInRounds) {
  for (int i = 0; i < 5; ++i) Insert(Booking("MANY" + std::to_string(i) + "-AAAAA-INS"));
  EXPECT_EQ(Sweep(kPeriodEnd - 1).due, 5);  // batches of 2
  EXPECT_EQ(Sweep(kPeriodEnd).expired, 5);
  EXPECT_EQ(Queued().size(), 10u);
}

TEST_P(RenewalSweepTest, NothingForBookingsWithoutARenewalToCome) {
  Insert(Booking("NOREN-AAAAA-INS", /*renewable=*/false));
  QuotePackage cancelled = Booking("CANCL-AAAAA-INS");
  Insert(cancelled);
  ASSERT_TRUE(ApplyCancellation(cancelled, kT0 + 1).ok());
  Update(cancelled);
  QuotePackage renewed = Booking("RENEW-AAAAA-INS");
  renewed.status = PackageStatus::kRenewed;
  renewed.quotes[0].status = QuoteStatus::kRenewed;
  Insert(renewed);
  QuotePackage quoted = Booking("QUOTE-AAAAA-INS");
  quoted.status = PackageStatus::kReceived;
  quoted.quotes[0].status = QuoteStatus::kReceived;
  quoted.booked_at.reset();
  Insert(quoted);
  // Declined to renew: no RENEWAL_DUE, but the cover still ends: RENEWAL_EXPIRED.
  QuotePackage declined = Booking("DECLN-AAAAA-INS");
  Insert(declined);
  ASSERT_TRUE(ApplyRenewalOptOut(declined, kT0 + 2).ok());
  Update(declined);

  EXPECT_EQ(Sweep(kPeriodEnd - 1).due, 0);
  RenewalSweepCounts ended = Sweep(kPeriodEnd);
  EXPECT_EQ(ended.due, 0);
  EXPECT_EQ(ended.expired, 1);
  EXPECT_EQ(Queued(), std::vector<std::string>{"RENEWAL_EXPIRED DECLN-AAAAA-INS"});
}

TEST_P(RenewalSweepTest, WithoutASubscriptionTheStateIsRecordedButNothingQueued) {
  ASSERT_TRUE(store_
                  ->SetWebhookConfig({"LLODT",
                                      "http://127.0.0.1:9/hooks",
                                      "k",
                                      "secret",
                                      {std::string(kBookingCreated)},
                                      kT0})
                  .ok());
  Insert(Booking("AAAAA-AAAAA-INS"));
  EXPECT_EQ(Sweep(kPeriodEnd - 1).due, 1);
  EXPECT_EQ(Sweep(kPeriodEnd).expired, 1);
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(Stored("AAAAA-AAAAA-INS").renewal_expired_at, kPeriodEnd);
}

OL_BACKENDS(RenewalSweepTest);

}  // namespace
}  // namespace offerledger
