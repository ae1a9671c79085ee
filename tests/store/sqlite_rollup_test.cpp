// Conversion roll-ups, SQLite only: a version 1 database (events without
// cohort time or price band) gets its roll-ups and arms on upgrade. The
// roll-ups themselves on every backend: rollup_test.cpp.
#include <gtest/gtest.h>

#include <string>

#include "domain/conversion.h"
#include "store/ledger_event_builder.h"
#include "store/sqlite/sqlite_schema.h"
#include "store/sqlite_test_support.h"

namespace offerledger {
namespace {

using testing::RawDb;
using testing::TempDir;

constexpr Micros kDay0 = 19'000 * kMicrosPerDay;  // 2022-01-08
constexpr std::int64_t kDayNo = 19'000;

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

TEST(RollupMigrationTest, AVersionOneDatabaseGetsItsRollupsOnUpgrade) {
  TempDir dir;
  const std::string path = dir.File("old.db");
  {
    auto c = sqlite::Connection::Open(path, sqlite::Connection::Mode::kReadWrite, 1000);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE((*c)->QueryText("PRAGMA journal_mode=WAL").ok());
    auto v1 = sqlite::SchemaMigrations().subspan(0, 1);
    ASSERT_EQ(v1[0].version, 1);
    ASSERT_TRUE(sqlite::ApplyMigrations(**c, v1, 1).ok());
    // Events as version 1 wrote them: no offered_at, no band.
    const std::string cols =
        "INSERT INTO events(kind, at, partner, package_id, quote_id, policy_type, "
        "policy_type_version, policy_code, price, premium, tax, amount, currency, "
        "customer_country, price_multiplier_nanos, data) VALUES ";
    const std::string t0 = std::to_string(kDay0);
    const std::string t1 = std::to_string(kDay0 + 2 * kMicrosPerDay);
    ASSERT_TRUE((*c)->Exec(cols + "('offered'," + t0 +
                           ",'LLODT','P1','q1','travel',1,'T1',500,400,100,0,'GBP','GB',"
                           "1000000000,'{}')")
                    .ok());
    ASSERT_TRUE((*c)->Exec(cols + "('offered'," + t0 +
                           ",'LLODT','P1','q2','travel',1,'T1',700,600,100,0,'GBP','GB',"
                           "1000000000,'{}')")
                    .ok());
    ASSERT_TRUE((*c)->Exec(cols + "('booked'," + t1 +
                           ",'LLODT','P1','q1','travel',1,'T1',500,400,100,0,'GBP','GB',"
                           "1000000000,'{}')")
                    .ok());
    ASSERT_TRUE((*c)->Exec(cols + "('not_selected'," + t1 +
                           ",'LLODT','P1','q2','travel',1,'T1',700,600,100,0,'GBP','GB',"
                           "1000000000,'{}')")
                    .ok());
  }
  auto store = SqliteStore::OpenSqlite(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    RawDb raw(path);
    EXPECT_EQ(raw.Int("SELECT max(version) FROM schema_migrations"),
              sqlite::SchemaMigrations().back().version);
    // Every event's cohort is its quote's first offer; no bands were recorded.
    EXPECT_EQ(raw.Int("SELECT count(*) FROM events WHERE offered_at = " + std::to_string(kDay0)),
              4);
    EXPECT_EQ(raw.Int("SELECT count(*) FROM events WHERE price_band = ''"), 4);
    // Still append-only.
    EXPECT_NE(raw.Exec("UPDATE events SET price = 1"), SQLITE_OK);
    EXPECT_EQ(raw.Int("SELECT count(*) FROM offer_state"), 2);
  }
  const RollupFilter all{kDayNo - 10, kDayNo + 10, std::nullopt};
  auto rows = (*store)->ReadRollups(all);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].key, (RollupKey{kDayNo, "LLODT", "travel", "", "GB", "GBP"}));
  RollupCounts expected = C(1, 2, 0, 1, 0, 1);
  expected.premium_booked = 500;
  EXPECT_EQ((*rows)[0].counts, expected);
  auto recount = (*store)->RecountRollups(all);
  ASSERT_TRUE(recount.ok());
  ASSERT_EQ(recount->size(), 1u);
  EXPECT_EQ((*recount)[0].counts, expected);
  // Migration 3 built the optimizer arms of those offers too (one booked,
  // one not selected, both at the catalog price).
  auto arms = (*store)->ReadArmRows();
  ASSERT_TRUE(arms.ok()) << arms.status().ToString();
  ASSERT_EQ(arms->size(), 1u);
  EXPECT_EQ((*arms)[0], (ArmRow{"travel", "LLODT", "GB", 1'000'000'000, kDayNo, 1, 1, 0}));
  auto arms_recount = (*store)->RecountArmRows();
  ASSERT_TRUE(arms_recount.ok());
  EXPECT_EQ(*arms_recount, *arms);
}

LedgerEvent Ev(EventKind kind, const std::string& quote, const std::string& pkg, MinorUnits price,
               const std::string& band, Micros at) {
  return testing::MakeLedgerEvent(kind, quote, pkg, price, band, at, kDay0);
}

// Each offer_state row as text, in quote order.
std::string OfferStateRows(RawDb& raw) {
  return raw.Text(
      "SELECT group_concat(r, char(10)) FROM (SELECT quote_id || '|' || package_id || '|' || "
      "partner || '|' || day || '|' || policy_type || '|' || price_band || '|' || country || '|' "
      "|| "
      "currency || '|' || price || '|' || outcome || '|' || counts_package || '|' || "
      "multiplier_nanos AS r FROM offer_state ORDER BY quote_id)");
}

// Events about known offers update offer_state in place (the opt-out path);
// the rows they leave must be the rows a rebuild from the events writes.
TEST(OfferStateTest, IncrementalUpdatesLeaveTheRowsARebuildWrites) {
  TempDir dir;
  auto store = testing::OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  const Micros t = kDay0 + kMicrosPerDay;
  LedgerEvent repriced = Ev(EventKind::kRepriced, "q3", "P2", 900, "5-10", t);
  repriced.price_multiplier_nanos = 1'200'000'000;
  LedgerEvent cancelled = Ev(EventKind::kCancelled, "q1", "P1", 300, "2-5", t + 3);
  cancelled.amount = 300;
  const std::vector<std::vector<LedgerEvent>> batches = {
      {Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0),
       Ev(EventKind::kOffered, "q2", "P1", 600, "5-10", kDay0),
       Ev(EventKind::kOffered, "q3", "P2", 700, "5-10", kDay0),
       Ev(EventKind::kOffered, "q4", "P3", 400, "2-5", kDay0),
       Ev(EventKind::kOffered, "q5", "P4", 450, "2-5", kDay0)},
      {repriced, Ev(EventKind::kOptedOut, "q4", "P3", 400, "2-5", t)},
      {Ev(EventKind::kBooked, "q1", "P1", 300, "2-5", t + 1),
       Ev(EventKind::kNotSelected, "q2", "P1", 600, "5-10", t + 1),
       Ev(EventKind::kOptedOut, "q3", "P2", 900, "5-10", t + 1),
       Ev(EventKind::kWithdrawn, "q5", "P4", 450, "2-5", t + 1)},
      {Ev(EventKind::kBooked, "q4", "P3", 400, "2-5", t + 2), cancelled}};
  for (const auto& batch : batches) {
    Status s = store->Write([&](WriteTxn& txn) { return txn.AppendEvents(batch); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  RawDb raw(dir.File("store.db"));
  const std::string incremental = OfferStateRows(raw);
  // The outcomes and the new price and multiplier were written in place.
  EXPECT_NE(incremental.find("q3|P2|LLODT|19000|event_ticket_protection|5-10|GB|GBP|900|"
                             "opted_out|1|1200000000"),
            std::string::npos)
      << incremental;
  EXPECT_NE(incremental.find("|booked|"), std::string::npos) << incremental;
  EXPECT_NE(incremental.find("|withdrawn|"), std::string::npos) << incremental;

  auto rebuilt = store->RebuildRollups([](MinorUnits price, const std::string&) {
    return PriceBands{{200, 500, 1000}}.Label(price, 2);
  });
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(OfferStateRows(raw), incremental);
}

}  // namespace
}  // namespace offerledger
