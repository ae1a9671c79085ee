// Conversion roll-ups on every Store backend: the effect of each event kind,
// filters, rollback of a failed job (under group commit on SQLite), concurrent
// writers, and RebuildRollups. (Migration of a version 1 SQLite database:
// sqlite_rollup_test.cpp.)
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "domain/conversion.h"
#include "store/ledger_event_builder.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::BackendTest;

constexpr Micros kDay0 = 19'000 * kMicrosPerDay;  // 2022-01-08
constexpr std::int64_t kDayNo = 19'000;

// An event about quote `quote` of package `pkg`, first offered at `offered_at`.
LedgerEvent Ev(EventKind kind, const std::string& quote, const std::string& pkg, MinorUnits price,
               const std::string& band, Micros at, Micros offered_at = kDay0,
               const std::string& partner = "LLODT") {
  return testing::MakeLedgerEvent(kind, quote, pkg, price, band, at, offered_at, partner);
}

RollupKey Key(const std::string& band, std::int64_t day = kDayNo,
              const std::string& partner = "LLODT") {
  return {day, partner, "event_ticket_protection", band, "GB", "GBP"};
}

class RollupStoreTest : public BackendTest {
 protected:
  void Append(const std::vector<LedgerEvent>& events) {
    Status s = store_->Write([&](WriteTxn& t) { return t.AppendEvents(events); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  RollupFilter All() const { return {kDayNo - 1000, kDayNo + 1000, std::nullopt}; }

  // The rows as a map, checked against a recount from the events.
  std::map<std::string, RollupCounts> Rows(const RollupFilter& f) {
    auto read = store_->ReadRollups(f);
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    auto recount = store_->RecountRollups(f);
    EXPECT_TRUE(recount.ok()) << recount.status().ToString();
    std::map<std::string, RollupCounts> out;
    if (!read.ok() || !recount.ok()) return out;
    EXPECT_EQ(read->size(), recount->size());
    for (std::size_t i = 0; i < read->size() && i < recount->size(); ++i) {
      EXPECT_EQ((*read)[i].key, (*recount)[i].key);
      EXPECT_EQ((*read)[i].counts, (*recount)[i].counts) << (*read)[i].key.price_band;
    }
    for (const RollupRow& r : *read) {
      out[std::to_string(r.key.day) + "/" + r.key.partner + "/" + r.key.price_band] = r.counts;
    }
    return out;
  }
  std::map<std::string, RollupCounts> Rows() { return Rows(All()); }
  static std::string K(const std::string& band, std::int64_t day = kDayNo,
                       const std::string& partner = "LLODT") {
    return std::to_string(day) + "/" + partner + "/" + band;
  }
};

RollupCounts C(std::int64_t packages, std::int64_t quotes, std::int64_t pending,
               std::int64_t booked = 0, std::int64_t opted_out = 0, std::int64_t not_selected = 0) {
  RollupCounts c;
  c.packages_offered = packages;
  c.quotes_offered = quotes;
  c.pending = pending;
  c.booked = booked;
  c.opted_out = opted_out;
  c.not_selected = not_selected;
  return c;
}

TEST_P(RollupStoreTest, EmptyStoreHasNoRows) {
  auto rows = store_->ReadRollups(All());
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TRUE(rows->empty());
}

TEST_P(RollupStoreTest, OfferedCountsQuotesAndThePackageOnce) {
  Append({Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0),
          Ev(EventKind::kOffered, "q2", "P1", 700, "5-10", kDay0)});
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[K("2-5")], C(1, 1, 1));  // the package counts with its first quote
  EXPECT_EQ(rows[K("5-10")], C(0, 1, 1));
  // A quote added later to the same package does not count it again.
  Append({Ev(EventKind::kOffered, "q3", "P1", 350, "2-5", kDay0 + 10)});
  EXPECT_EQ(Rows()[K("2-5")], C(1, 2, 2));
}

TEST_P(RollupStoreTest, RepricedMovesTheOfferToItsNewBand) {
  Append({Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0)});
  // Re-priced two days later: it stays in its cohort day, in the new band.
  Append({Ev(EventKind::kRepriced, "q1", "P1", 1200, "10-20", kDay0 + 2 * kMicrosPerDay)});
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 1u) << "the old row is all zeros now and left out";
  EXPECT_EQ(rows[K("10-20")], C(1, 1, 1));
  // Booked at the new price.
  Append({Ev(EventKind::kBooked, "q1", "P1", 1200, "10-20", kDay0 + 3 * kMicrosPerDay)});
  RollupCounts expected = C(1, 1, 0, 1);
  expected.premium_booked = 1200;
  EXPECT_EQ(Rows()[K("10-20")], expected);
}

TEST_P(RollupStoreTest, RepricedInAnotherCurrencyAndCountryMovesTheGroup) {
  Append({Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0)});
  LedgerEvent e = Ev(EventKind::kRepriced, "q1", "P1", 275, "2-5", kDay0 + 5);
  e.currency = "AUD";
  e.customer_country = "AU";
  Append({e});
  auto rows = store_->ReadRollups(All());
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].key.currency, "AUD");
  EXPECT_EQ((*rows)[0].key.country, "AU");
  EXPECT_EQ((*rows)[0].counts, C(1, 1, 1));
  EXPECT_EQ(Rows().size(), 1u);
}

TEST_P(RollupStoreTest, WithdrawnIsNoLongerAnOffer) {
  Append({Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0),
          Ev(EventKind::kOffered, "q2", "P1", 320, "2-5", kDay0)});
  Append({Ev(EventKind::kWithdrawn, "q2", "P1", 320, "2-5", kDay0 + 1)});
  EXPECT_EQ(Rows()[K("2-5")], C(1, 1, 1));
  // Withdrawing the package's first quote keeps the package counted: it was offered.
  Append({Ev(EventKind::kOffered, "q3", "P2", 300, "2-5", kDay0),
          Ev(EventKind::kOffered, "q4", "P2", 300, "2-5", kDay0)});
  Append({Ev(EventKind::kWithdrawn, "q3", "P2", 300, "2-5", kDay0 + 1)});
  EXPECT_EQ(Rows()[K("2-5")], C(2, 2, 2));
}

TEST_P(RollupStoreTest, OptOutThenBookAndNotSelected) {
  Append({Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0),
          Ev(EventKind::kOffered, "q2", "P1", 300, "2-5", kDay0)});
  Append({Ev(EventKind::kOptedOut, "q1", "P1", 300, "2-5", kDay0 + 1),
          Ev(EventKind::kOptedOut, "q2", "P1", 300, "2-5", kDay0 + 1)});
  RollupCounts expected = C(1, 2, 0, 0, 2);
  expected.opt_out_events = 2;
  EXPECT_EQ(Rows()[K("2-5")], expected);
  // The customer changed their mind: books q1 only.
  Append({Ev(EventKind::kBooked, "q1", "P1", 300, "2-5", kDay0 + 2),
          Ev(EventKind::kNotSelected, "q2", "P1", 300, "2-5", kDay0 + 2)});
  expected = C(1, 2, 0, 1, 0, 1);
  expected.opt_out_events = 2;  // the opt-outs were received all the same
  expected.premium_booked = 300;
  EXPECT_EQ(Rows()[K("2-5")], expected);
}

TEST_P(RollupStoreTest, CancellationsAreCountedOnTopOfTheBooking) {
  Append({Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0),
          Ev(EventKind::kOffered, "q2", "P2", 400, "2-5", kDay0)});
  Append({Ev(EventKind::kBooked, "q1", "P1", 300, "2-5", kDay0 + 1),
          Ev(EventKind::kBooked, "q2", "P2", 400, "2-5", kDay0 + 1)});
  LedgerEvent c1 = Ev(EventKind::kCancelled, "q1", "P1", 300, "2-5", kDay0 + 2);
  c1.amount = 300;
  c1.data_json = R"({"within_cooling_off":true})";
  LedgerEvent c2 = Ev(EventKind::kCancelled, "q2", "P2", 400, "2-5", kDay0 + 30 * kMicrosPerDay);
  c2.amount = 120;
  c2.data_json = R"({"within_cooling_off":false})";
  Append({c1, c2});
  RollupCounts expected = C(2, 2, 0, 2);
  expected.premium_booked = 700;  // gross written premium stays
  expected.cancelled = 2;
  expected.cancelled_cooling_off = 1;
  expected.premium_refunded = 420;
  EXPECT_EQ(Rows()[K("2-5")], expected);
}

TEST_P(RollupStoreTest, EventsAboutUnknownQuotesChangeNothing) {
  Append({Ev(EventKind::kBooked, "ghost", "P9", 300, "2-5", kDay0)});
  EXPECT_TRUE(Rows().empty());
}

// Renewals are counted in the renewal offer's own group (its cohort day is
// the day of quote_for_renewal; its band that of the renewal price), never
// as a change of the first offer's outcome.
TEST_P(RollupStoreTest, RenewalEventsCountInTheRenewalOffersGroup) {
  const Micros renewal_day = kDay0 + 30 * kMicrosPerDay;
  Append({Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0),
          Ev(EventKind::kBooked, "q1", "P1", 300, "2-5", kDay0 + 1)});
  // Offered for the next period at 600 (band 5-10), then confirmed: the
  // renewed event carries the renewal quote and its offer time.
  Append({Ev(EventKind::kRenewalOffered, "r1", "P1", 600, "5-10", renewal_day, renewal_day)});
  Append({Ev(EventKind::kRenewed, "r1", "P2", 600, "5-10", renewal_day + 5, renewal_day)});
  // A second booking offered a renewal and declined it; a third declined
  // before any offer (its own booked quote, offered_at = the opt-out).
  Append({Ev(EventKind::kOffered, "q3", "P3", 300, "2-5", kDay0),
          Ev(EventKind::kBooked, "q3", "P3", 300, "2-5", kDay0 + 1),
          Ev(EventKind::kRenewalOffered, "r3", "P3", 600, "5-10", renewal_day, renewal_day),
          Ev(EventKind::kRenewalOptedOut, "r3", "P3", 600, "5-10", renewal_day + 9, renewal_day),
          Ev(EventKind::kOffered, "q4", "P4", 300, "2-5", kDay0),
          Ev(EventKind::kBooked, "q4", "P4", 300, "2-5", kDay0 + 1),
          Ev(EventKind::kRenewalOptedOut, "q4", "P4", 300, "2-5", renewal_day, renewal_day)});

  auto rows = Rows();  // also checks ReadRollups against the recount
  // The first offers: three bookings, untouched by the renewals.
  RollupCounts first = C(3, 3, 0, 3);
  first.premium_booked = 900;
  EXPECT_EQ(rows[K("2-5")], first);
  // The renewal offers' day: two offers, one renewal, one renewal opt-out at
  // 600; the opt-out without an offer in the booked quote's band.
  RollupCounts renewal;
  renewal.renewal_offers = 2;
  renewal.renewals = 1;
  renewal.renewal_opt_outs = 1;
  EXPECT_EQ(rows[K("5-10", kDayNo + 30)], renewal);
  RollupCounts declined;
  declined.renewal_opt_outs = 1;
  EXPECT_EQ(rows[K("2-5", kDayNo + 30)], declined);
  EXPECT_EQ(rows.size(), 3u);

  // A rebuild re-derives the renewal events' bands as well.
  auto written = store_->RebuildRollups(
      [](MinorUnits price, const std::string&) { return price >= 500 ? "5+" : "0-5"; });
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto read = store_->ReadRollups(All());
  ASSERT_TRUE(read.ok());
  RollupCounts renewals_rebuilt;
  for (const RollupRow& r : *read) {
    if (r.key.price_band == "5+") renewals_rebuilt += r.counts;
  }
  EXPECT_EQ(renewals_rebuilt, renewal);
}

TEST_P(RollupStoreTest, CohortDayIsTheFirstOfferAndFiltersApply) {
  Append(
      {Ev(EventKind::kOffered, "a", "PA", 300, "2-5", kDay0, kDay0),
       Ev(EventKind::kOffered, "b", "PB", 300, "2-5", kDay0 + kMicrosPerDay, kDay0 + kMicrosPerDay),
       Ev(EventKind::kOffered, "c", "PC", 300, "2-5", kDay0 + kMicrosPerDay, kDay0 + kMicrosPerDay,
          "OTHER")});
  // Booked on a later day: counted in the cohort of the offer.
  Append({Ev(EventKind::kBooked, "a", "PA", 300, "2-5", kDay0 + 5 * kMicrosPerDay, kDay0)});
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[K("2-5", kDayNo)].booked, 1);
  EXPECT_EQ(rows[K("2-5", kDayNo + 1)], C(1, 1, 1));
  EXPECT_EQ(rows[K("2-5", kDayNo + 1, "OTHER")], C(1, 1, 1));

  EXPECT_EQ(Rows({kDayNo, kDayNo + 1, std::nullopt}).size(), 1u);  // [from, to)
  EXPECT_EQ(Rows({kDayNo + 1, kDayNo + 2, std::nullopt}).size(), 2u);
  EXPECT_EQ(Rows({kDayNo, kDayNo + 2, std::string("OTHER")}).size(), 1u);
  EXPECT_EQ(Rows({kDayNo, kDayNo + 2, std::string("NOBODY")}).size(), 0u);
  EXPECT_EQ(Rows({kDayNo + 2, kDayNo + 10, std::nullopt}).size(), 0u);
}

TEST_P(RollupStoreTest, ZeroOfferedAtMeansTheEventTime) {
  LedgerEvent e = Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0 + 3 * kMicrosPerDay, 0);
  Append({e});
  EXPECT_EQ(Rows().count(K("2-5", kDayNo + 3)), 1u);
  auto events = store_->ListEvents("LLODT", 0, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].offered_at, kDay0 + 3 * kMicrosPerDay);
  EXPECT_EQ((*events)[0].price_band, "2-5");
}

TEST_P(RollupStoreTest, AFailedJobRollsBackItsRollupsWithItsEvents) {
  Append({Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0)});
  // Several jobs in flight at once (on SQLite they share a batch, and the
  // failing one is rolled back to its savepoint): the others commit.
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Status s = store_->Write([&](WriteTxn& t) -> Status {
        const std::string q = "x" + std::to_string(i);
        Status a = t.AppendEvents(
            {Ev(EventKind::kOffered, q, "PX" + std::to_string(i), 300, "2-5", kDay0),
             Ev(EventKind::kBooked, q, "PX" + std::to_string(i), 300, "2-5", kDay0)});
        if (!a.ok()) return a;
        if (i % 2 == 1) return Status::Invalid("changed my mind");
        return Status::Ok();
      });
      EXPECT_EQ(s.ok(), i % 2 == 0) << s.ToString();
    });
  }
  for (auto& t : threads) t.join();
  // A job that fails after booking its first offer leaves nothing behind.
  Status s = store_->Write([&](WriteTxn& t) -> Status {
    Status a = t.AppendEvents({Ev(EventKind::kBooked, "q1", "P1", 300, "2-5", kDay0 + 1)});
    if (!a.ok()) return a;
    return Status::Conflict("no");
  });
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  RollupCounts expected = C(5, 5, 1, 4);
  expected.premium_booked = 4 * 300;
  EXPECT_EQ(Rows()[K("2-5")], expected);
}

TEST_P(RollupStoreTest, ConcurrentWritersKeepEveryCounterExact) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string q = "t" + std::to_string(t) + "-" + std::to_string(i);
        const std::string band = (i % 3 == 0) ? "0-2" : "2-5";
        const Micros day = kDay0 + (i % 4) * kMicrosPerDay;
        Status s = store_->Write([&](WriteTxn& txn) {
          return txn.AppendEvents({Ev(EventKind::kOffered, q, "P" + q, 150, band, day, day)});
        });
        ASSERT_TRUE(s.ok()) << s.ToString();
        const EventKind next = i % 2 == 0 ? EventKind::kOptedOut : EventKind::kBooked;
        s = store_->Write([&](WriteTxn& txn) {
          return txn.AppendEvents({Ev(next, q, "P" + q, 150, band, day + 1, day)});
        });
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  auto rows = Rows();  // checks ReadRollups == RecountRollups
  RollupCounts total;
  for (const auto& [k, c] : rows) total += c;
  EXPECT_EQ(total.quotes_offered, kThreads * kPerThread);
  EXPECT_EQ(total.packages_offered, kThreads * kPerThread);
  EXPECT_EQ(total.opted_out, kThreads * kPerThread / 2);
  EXPECT_EQ(total.booked, kThreads * kPerThread / 2);
  EXPECT_EQ(total.pending, 0);
  EXPECT_EQ(total.premium_booked, 150 * kThreads * kPerThread / 2);
}

TEST_P(RollupStoreTest, RebuildRederivesBandsAndKeepsCountingAfterwards) {
  Append({Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0),
          Ev(EventKind::kOffered, "q2", "P1", 900, "5-10", kDay0)});
  Append({Ev(EventKind::kBooked, "q1", "P1", 300, "2-5", kDay0 + 1),
          Ev(EventKind::kNotSelected, "q2", "P1", 900, "5-10", kDay0 + 1)});
  const auto before = store_->ReadRollups(All());
  ASSERT_TRUE(before.ok());
  // New edges: one band below 10, one above.
  auto written = store_->RebuildRollups([](MinorUnits price, const std::string& currency) {
    EXPECT_EQ(currency, "GBP");
    return PriceBands{{1000}}.Label(price, 2);
  });
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, 1);
  auto rows = store_->ReadRollups(All());
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].key, Key("0-10"));
  RollupCounts expected = C(1, 2, 0, 1, 0, 1);
  expected.premium_booked = 300;
  EXPECT_EQ((*rows)[0].counts, expected);
  // A recount with the recorded bands no longer matches; one that re-derives
  // the bands the same way does (what `report verify` relies on).
  auto recorded = store_->RecountRollups(All());
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->size(), 2u);
  auto rebanded = store_->RecountRollups(All(), [](MinorUnits price, const std::string&) {
    return PriceBands{{1000}}.Label(price, 2);
  });
  ASSERT_TRUE(rebanded.ok());
  ASSERT_EQ(rebanded->size(), 1u);
  EXPECT_EQ((*rebanded)[0].key, Key("0-10"));
  EXPECT_EQ((*rebanded)[0].counts, expected);
  // offer_state moved too: a cancellation lands in the rebuilt row.
  LedgerEvent c = Ev(EventKind::kCancelled, "q1", "P1", 300, "2-5", kDay0 + 2);
  c.amount = 300;
  Append({c});
  rows = store_->ReadRollups(All());
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].counts.cancelled, 1);
  // Rebuilding with the recorded bands gives back the original rows (plus the cancellation).
  written = store_->RebuildRollups([](MinorUnits price, const std::string&) {
    return PriceBands{{200, 500, 1000}}.Label(price, 2);
  });
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, 2);
  auto again = Rows();
  EXPECT_EQ(again[K("2-5")].booked, 1);
  EXPECT_EQ(again[K("2-5")].cancelled, 1);
  EXPECT_EQ(again[K("5-10")].not_selected, 1);
}

TEST_P(RollupStoreTest, RebuildWithoutABandFunctionIsRefused) {
  auto r = store_->RebuildRollups(nullptr);
  EXPECT_FALSE(r.ok());
}

OL_BACKENDS(RollupStoreTest);

}  // namespace
}  // namespace offerledger
