// Migrations 8 (renewal roll-ups) and 9 (the renewal sweep's columns) on a
// SQLite ledger that already holds renewal events and renewable bookings:
// what they compute from the existing rows must equal what the store keeps
// when the same rows are written at the current schema. The test writes the
// ledger at the current schema, takes the figures, turns the file back into
// a version-7 one (drops what 8 and 9 added and their schema_migrations
// rows), reopens it -- which applies 8 and 9 to the old rows -- and compares.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/status_macros.h"
#include "store/ledger_event_builder.h"
#include "store/sqlite_test_support.h"

namespace offerledger {
namespace {

using testing::RawDb;
using testing::TempDir;

constexpr Micros kDay0 = 19'000 * kMicrosPerDay;  // 2022-01-08
constexpr Micros kPeriodEnd = kDay0 + 30 * kMicrosPerDay;

LedgerEvent Ev(EventKind kind, const std::string& quote, const std::string& pkg, MinorUnits price,
               const std::string& band, Micros at, Micros offered_at) {
  return testing::MakeLedgerEvent(kind, quote, pkg, price, band, at, offered_at, "LLODT",
                                  {"gadget_protection", "GDGT0001"});
}

// A CONFIRMED booking of one quote, renewable or not, whose period ends at
// kPeriodEnd (as the renewal sweep's tests make them).
QuotePackage Booking(bool renewable) {
  QuotePackage p = testing::MakePackage("LLODT", kDay0);
  p.status = PackageStatus::kConfirmed;
  p.booked_at = kDay0;
  p.policyholder_json = R"({"first_name":"Edgar"})";
  Quote& q = p.quotes.front();
  q.renewable = renewable;
  q.policy_type = renewable ? "gadget_protection" : "event_ticket_protection";
  q.status = QuoteStatus::kConfirmed;
  q.confirmed_at = kDay0;
  q.policy_start = kDay0;
  q.policy_end = kPeriodEnd;
  return p;
}

// Every roll-up's renewal figures and every package's sweep columns, in key order.
std::string RenewalFigures(RawDb& raw) {
  return raw.Text(
      "SELECT group_concat(day || '/' || price_band || ':' || renewal_offers || ',' || renewals "
      "|| ',' || renewal_opt_outs, ';') FROM (SELECT * FROM rollups ORDER BY day, partner, "
      "policy_type, price_band, country, currency)");
}
std::string SweepColumns(RawDb& raw) {
  return raw.Text(
      "SELECT group_concat(id || ':' || ifnull(renewal_due_at, '-') || ',' || "
      "ifnull(renewal_expires_at, '-'), ';') FROM (SELECT * FROM packages ORDER BY id)");
}

TEST(RenewalMigrations, EightAndNineComputeFromExistingRowsWhatTheStoreKeeps) {
  TempDir dir;
  const std::string path = dir.File("ledger.db");
  const Micros renewal_day = kDay0 + 23 * kMicrosPerDay;
  const QuotePackage renewable = Booking(true);
  const QuotePackage plain = Booking(false);
  {
    auto opened = SqliteStore::OpenSqlite(path);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    auto& store = **opened;
    Status s = store.Write([&](WriteTxn& tx) -> Status {
      OL_RETURN_IF_ERROR(tx.InsertPackage(renewable));
      return tx.InsertPackage(plain);
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    const std::vector<LedgerEvent> events = {
        Ev(EventKind::kOffered, "q1", "P1", 300, "2-5", kDay0, kDay0),
        Ev(EventKind::kBooked, "q1", "P1", 300, "2-5", kDay0 + 1, kDay0),
        Ev(EventKind::kRenewalOffered, "r1", "P1", 600, "5-10", renewal_day, renewal_day),
        Ev(EventKind::kRenewed, "r1", "P2", 600, "5-10", renewal_day + 5, renewal_day),
        Ev(EventKind::kOffered, "q3", "P3", 300, "2-5", kDay0, kDay0),
        Ev(EventKind::kBooked, "q3", "P3", 300, "2-5", kDay0 + 1, kDay0),
        Ev(EventKind::kRenewalOffered, "r3", "P3", 600, "5-10", renewal_day, renewal_day),
        Ev(EventKind::kRenewalOptedOut, "r3", "P3", 600, "5-10", renewal_day + 9, renewal_day),
        Ev(EventKind::kRenewalOptedOut, "q4", "P4", 300, "2-5", renewal_day, renewal_day)};
    s = store.Write([&](WriteTxn& tx) { return tx.AppendEvents(events); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string figures;
  std::string sweep;
  {
    RawDb raw(path);
    figures = RenewalFigures(raw);
    sweep = SweepColumns(raw);
    // The figures are not all zero and the renewable booking has its
    // columns: a migration that computed nothing would not pass below.
    EXPECT_NE(figures.find(":2,1,1"), std::string::npos) << figures;
    EXPECT_NE(sweep.find(plain.id + ":-,-"), std::string::npos) << sweep;
    EXPECT_EQ(sweep.find(renewable.id + ":-"), std::string::npos) << sweep;

    // Back to a version-7 file: what 8 and 9 added is gone.
    std::string error;
    for (const char* sql :
         {"DROP INDEX packages_renewal_due", "DROP INDEX packages_renewal_expires",
          "ALTER TABLE packages DROP COLUMN renewal_due_at",
          "ALTER TABLE packages DROP COLUMN renewal_expires_at",
          "ALTER TABLE rollups DROP COLUMN renewal_offers",
          "ALTER TABLE rollups DROP COLUMN renewals",
          "ALTER TABLE rollups DROP COLUMN renewal_opt_outs",
          "DELETE FROM schema_migrations WHERE version IN (8, 9)"}) {
      ASSERT_EQ(raw.Exec(sql, &error), SQLITE_OK) << sql << ": " << error;
    }
    EXPECT_EQ(raw.Int("SELECT count(*) FROM schema_migrations WHERE version IN (8, 9)"), 0);
  }

  {
    auto reopened = SqliteStore::OpenSqlite(path);  // applies 8 and 9 to the old rows
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  }
  RawDb raw(path);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM schema_migrations WHERE version IN (8, 9)"), 2);
  EXPECT_EQ(RenewalFigures(raw), figures);
  EXPECT_EQ(SweepColumns(raw), sweep);
}

}  // namespace
}  // namespace offerledger
