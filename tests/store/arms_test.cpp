// Optimizer arms on every Store backend: every outcome transition moves
// exactly one offer between counters of its arm, the arms always equal a
// recount from the events, no-answers after the decision window count as
// failures when read, and two store handles on one database share them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "domain/conversion.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::BackendTest;

constexpr std::int64_t kDayNo = 19'000;
constexpr Micros kDay0 = kDayNo * kMicrosPerDay;
constexpr std::int64_t k090 = 900'000'000;
constexpr std::int64_t k110 = 1'100'000'000;

LedgerEvent Ev(EventKind kind, const std::string& quote, const std::string& pkg,
               std::int64_t multiplier, Micros at = kDay0, const std::string& partner = "LLODT",
               const std::string& country = "GB") {
  LedgerEvent e;
  e.kind = kind;
  e.at = at;
  e.offered_at = kDay0;
  e.partner = partner;
  e.package_id = pkg;
  e.quote_id = quote;
  e.policy_type = "parcel_protection";
  e.policy_type_version = 1;
  e.policy_code = "PP-1";
  e.price = 500;
  e.premium = 450;
  e.tax = 50;
  e.currency = "GBP";
  e.customer_country = country;
  e.price_multiplier_nanos = multiplier;
  return e;
}

ArmTotals T(std::int64_t m, std::int64_t s, std::int64_t f, std::int64_t p,
            std::int64_t no_answer = 0) {
  return {m, s, f, p, no_answer};
}

class ArmStoreTest : public BackendTest {
 protected:
  void Append(const std::vector<LedgerEvent>& events) {
    Status s = store_->Write([&](WriteTxn& t) { return t.AppendEvents(events); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // The arms of the product in every context, after checking that the rows
  // equal a recount from the events.
  std::vector<ArmTotals> Arms(std::int64_t today = kDayNo, int window = 7,
                              std::optional<std::string> partner = std::nullopt) {
    auto rows = store_->ReadArmRows();
    auto recount = store_->RecountArmRows();
    EXPECT_TRUE(rows.ok() && recount.ok());
    if (rows.ok() && recount.ok()) {
      EXPECT_EQ(*rows, *recount);
    }
    auto arms = store_->ReadArms({"parcel_protection", partner, std::nullopt}, today, window);
    EXPECT_TRUE(arms.ok()) << arms.status().ToString();
    return arms.ok() ? *arms : std::vector<ArmTotals>{};
  }
};

TEST_P(ArmStoreTest, OfferedIsPendingInItsArm) {
  Append({Ev(EventKind::kOffered, "q1", "P1", k090), Ev(EventKind::kOffered, "q2", "P2", k110),
          Ev(EventKind::kOffered, "q3", "P3", k110)});
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 0, 0, 1), T(k110, 0, 0, 2)}));
}

TEST_P(ArmStoreTest, EveryOutcomeTransition) {
  Append({Ev(EventKind::kOffered, "q1", "P1", k090), Ev(EventKind::kOffered, "q2", "P2", k090),
          Ev(EventKind::kOffered, "q3", "P3", k090), Ev(EventKind::kOffered, "q4", "P4", k090),
          Ev(EventKind::kOffered, "q5", "P4", k090)});
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 0, 0, 5)}));
  Append({Ev(EventKind::kBooked, "q1", "P1", k090)});  // success
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 1, 0, 4)}));
  Append({Ev(EventKind::kOptedOut, "q2", "P2", k090)});  // failure
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 1, 1, 3)}));
  Append({Ev(EventKind::kWithdrawn, "q3", "P3", k090)});  // pending - 1
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 1, 1, 2)}));
  // P4 booked with q4 only: q5 not selected = failure.
  Append({Ev(EventKind::kBooked, "q4", "P4", k090), Ev(EventKind::kNotSelected, "q5", "P4", k090)});
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 2, 2, 0)}));
  // A booking after an opt-out moves the failure to a success.
  Append({Ev(EventKind::kBooked, "q2", "P2", k090)});
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 3, 1, 0)}));
  // A second opt-out of an opted-out offer changes nothing; a cancellation
  // leaves the booking a success.
  Append({Ev(EventKind::kCancelled, "q2", "P2", k090)});
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 3, 1, 0)}));
  // Events about quotes never offered change nothing.
  Append({Ev(EventKind::kBooked, "nope", "PX", k110)});
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 3, 1, 0)}));
}

TEST_P(ArmStoreTest, RepricedMovesTheOfferToItsNewMultiplier) {
  Append({Ev(EventKind::kOffered, "q1", "P1", k090)});
  Append({Ev(EventKind::kRepriced, "q1", "P1", k110)});
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k110, 0, 0, 1)}));
  // The booking counts in the arm the offer stands at, whatever the event says.
  Append({Ev(EventKind::kBooked, "q1", "P1", 1'000'000'000)});
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k110, 1, 0, 0)}));
}

TEST_P(ArmStoreTest, NoAnswerAfterTheWindowIsAFailureWhenRead) {
  Append({Ev(EventKind::kOffered, "q1", "P1", k090), Ev(EventKind::kOffered, "q2", "P2", k090)});
  Append({Ev(EventKind::kOptedOut, "q2", "P2", k090)});
  EXPECT_EQ(Arms(kDayNo + 6, 7), (std::vector<ArmTotals>{T(k090, 0, 1, 1)}));
  EXPECT_EQ(Arms(kDayNo + 7, 7), (std::vector<ArmTotals>{T(k090, 0, 2, 0, 1)}));
  EXPECT_EQ(Arms(kDayNo, 0), (std::vector<ArmTotals>{T(k090, 0, 2, 0, 1)}));
  // A late answer still counts.
  Append({Ev(EventKind::kBooked, "q1", "P1", k090)});
  EXPECT_EQ(Arms(kDayNo + 30, 7), (std::vector<ArmTotals>{T(k090, 1, 1, 0)}));
}

TEST_P(ArmStoreTest, ContextsAndFilters) {
  Append({Ev(EventKind::kOffered, "q1", "P1", k090, kDay0, "A", "GB"),
          Ev(EventKind::kOffered, "q2", "P2", k090, kDay0, "B", "FR"),
          Ev(EventKind::kOffered, "q3", "P3", k110, kDay0, "B", "GB")});
  auto contexts = store_->ListArmContexts();
  ASSERT_TRUE(contexts.ok());
  EXPECT_EQ(*contexts, (std::vector<ArmContext>{{"parcel_protection", "A", "GB"},
                                                {"parcel_protection", "B", "FR"},
                                                {"parcel_protection", "B", "GB"}}));
  EXPECT_EQ(Arms(kDayNo, 7, "B"), (std::vector<ArmTotals>{T(k090, 0, 0, 1), T(k110, 0, 0, 1)}));
  auto gb = store_->ReadArms({"parcel_protection", std::nullopt, "GB"}, kDayNo, 7);
  ASSERT_TRUE(gb.ok());
  EXPECT_EQ(*gb, (std::vector<ArmTotals>{T(k090, 0, 0, 1), T(k110, 0, 0, 1)}));
  auto other = store_->ReadArms({"event_ticket_protection", std::nullopt, std::nullopt}, kDayNo, 7);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

TEST_P(ArmStoreTest, RolledBackJobTakesItsArmsWithIt) {
  Append({Ev(EventKind::kOffered, "q1", "P1", k090)});
  Status s = store_->Write([&](WriteTxn& t) {
    Status a = t.AppendEvents({Ev(EventKind::kBooked, "q1", "P1", k090)});
    if (!a.ok()) return a;
    return Status::Invalid("changed my mind");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 0, 0, 1)}));
}

TEST_P(ArmStoreTest, TwoHandlesOnOneDatabaseShareTheArms) {
  auto second = Reopen();
  ASSERT_NE(second, nullptr);
  Append({Ev(EventKind::kOffered, "q1", "P1", k090)});
  Status s = second->Write([&](WriteTxn& t) {
    return t.AppendEvents(
        {Ev(EventKind::kOffered, "q2", "P2", k110), Ev(EventKind::kBooked, "q1", "P1", k090)});
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::vector<ArmTotals> expected{T(k090, 1, 0, 0), T(k110, 0, 0, 1)};
  EXPECT_EQ(Arms(), expected);
  auto seen = second->ReadArms({"parcel_protection", std::nullopt, std::nullopt}, kDayNo, 7);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(*seen, expected);
}

TEST_P(ArmStoreTest, SurviveReopenAndRebuild) {
  Append({Ev(EventKind::kOffered, "q1", "P1", k090), Ev(EventKind::kOffered, "q2", "P2", k110)});
  Append({Ev(EventKind::kOptedOut, "q2", "P2", k110)});
  store_->Close();
  store_ = Reopen();
  ASSERT_NE(store_, nullptr);
  const std::vector<ArmTotals> expected{T(k090, 0, 0, 1), T(k110, 0, 1, 0)};
  EXPECT_EQ(Arms(), expected);
  auto rebuilt = store_->RebuildRollups([](MinorUnits, const std::string&) { return "x"; });
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(Arms(), expected);
  // The offer's multiplier survived the rebuild: a booking lands in its arm.
  Append({Ev(EventKind::kBooked, "q2", "P2", 1'000'000'000)});
  EXPECT_EQ(Arms(), (std::vector<ArmTotals>{T(k090, 0, 0, 1), T(k110, 1, 0, 0)}));
}

OL_BACKENDS(ArmStoreTest);

}  // namespace
}  // namespace offerledger
