// Copying a ledger from SQLite into PostgreSQL (store/ledger_copy.h): a
// ledger built through the real SqliteStore API (partners, keys, quotes,
// opt-outs, bookings, cancellations, idempotency replies, awkward text) is
// copied into a fresh schema of the private test server; every table's rows
// must be equal, and a PostgresStore opened on the copy must answer what the
// SQLite store answers. A target that holds anything is refused untouched.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/ledger_copy.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::ExpectSameEvent;
using testing::ExpectSamePackage;
using testing::MakePackage;
using testing::PgSchema;
using testing::TempDir;
using testing::TestPgUrl;

using Rows = std::vector<std::vector<std::string>>;

constexpr std::int64_t kDayNo = 19'500;
constexpr Micros kDay0 = kDayNo * kMicrosPerDay;
constexpr RollupFilter kAllDays{0, 4'000'000, std::nullopt};

// Every row of `table` in the SQLite file, every column as text ("NULL" for
// NULL), sorted (the databases' text orders may differ).
Rows SqliteRows(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  Rows rows;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path;
    sqlite3_close_v2(db);
    return rows;
  }
  sqlite3_stmt* st = nullptr;
  const std::string sql = "SELECT * FROM " + table;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const unsigned char* v = sqlite3_column_text(st, i);
        row.emplace_back(v == nullptr ? "NULL" : reinterpret_cast<const char*>(v));
      }
      rows.push_back(std::move(row));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close_v2(db);
  std::sort(rows.begin(), rows.end());
  return rows;
}

// The same from PostgreSQL; booleans as SQLite stores them (1/0).
Rows PgRows(const std::string& url, const std::string& sql) {
  Rows rows;
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    ADD_FAILURE() << PQerrorMessage(c);
    PQfinish(c);
    return rows;
  }
  PGresult* r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
  } else {
    constexpr Oid kBoolOid = 16;
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<std::string> row;
      for (int j = 0; j < PQnfields(r); ++j) {
        std::string v = PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j);
        if (PQftype(r, j) == kBoolOid && v != "NULL") v = v == "t" ? "1" : "0";
        row.push_back(std::move(v));
      }
      rows.push_back(std::move(row));
    }
  }
  PQclear(r);
  PQfinish(c);
  std::sort(rows.begin(), rows.end());
  return rows;
}

void ExpectSameRollups(const std::vector<RollupRow>& got, const std::vector<RollupRow>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_TRUE(got[i].key == want[i].key)
        << "row " << i << ": " << got[i].key.partner << "/" << got[i].key.day << " vs "
        << want[i].key.partner << "/" << want[i].key.day;
    EXPECT_TRUE(got[i].counts == want[i].counts) << "row " << i;
  }
}

LedgerEvent Event(EventKind kind, const QuotePackage& pkg, const Quote& q, Micros at) {
  LedgerEvent e;
  e.kind = kind;
  e.at = at;
  e.offered_at = pkg.created_at;
  e.partner = pkg.partner;
  e.package_id = pkg.id;
  e.quote_id = q.id;
  e.policy_type = q.policy_type;
  e.policy_type_version = q.policy_type_version;
  e.policy_code = q.policy_code;
  e.price = q.price;
  e.premium = q.premium;
  e.tax = q.price - q.premium;
  e.amount = kind == EventKind::kCancelled ? q.price : 0;
  e.currency = pkg.currency;
  e.customer_country = pkg.customer_country;
  e.price_band = q.price < 110 ? "0-1.10" : "1.10+";
  e.price_multiplier_nanos = q.price_multiplier_nanos;
  return e;
}

class LedgerCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string url = TestPgUrl();
    if (url.empty()) {
      GTEST_SKIP() << "no PostgreSQL test server: set OFFERLEDGER_TEST_PG_URL or run through "
                      "ctest (fixture pg_server_start)";
    }
    schema_ = std::make_unique<PgSchema>(url);
    auto s = SqliteStore::OpenSqlite(path_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    src_ = std::move(*s);
  }
  void TearDown() override {
    if (src_) src_->Close();
  }

  void Ok(const Status& s) { ASSERT_TRUE(s.ok()) << s.ToString(); }

  // A new package of `quotes` quotes, offered (one event per quote), as the
  // partner API's create-quote writes it.
  QuotePackage Offer(const std::string& partner, Micros at, int quotes,
                     std::int64_t multiplier = 1'000'000'000, const std::string& country = "GB") {
    QuotePackage pkg = MakePackage(partner, at, quotes);
    pkg.customer_country = country;
    for (Quote& q : pkg.quotes) q.price_multiplier_nanos = multiplier;
    std::vector<LedgerEvent> events;
    for (const Quote& q : pkg.quotes) events.push_back(Event(EventKind::kOffered, pkg, q, at));
    Ok(src_->Write([&](WriteTxn& t) -> Status {
      if (Status s = t.InsertPackage(pkg); !s.ok()) return s;
      return t.AppendEvents(events);
    }));
    return pkg;
  }

  // Loads, changes and stores the package with its events in one write, as
  // the service does (`change` returns the events).
  void Change(const QuotePackage& pkg,
              const std::function<std::vector<LedgerEvent>(QuotePackage&)>& change) {
    Ok(src_->Write([&](WriteTxn& t) -> Status {
      auto loaded = t.LoadPackage(pkg.partner, pkg.id);
      if (!loaded.ok()) return loaded.status();
      if (!loaded->has_value()) return Status::NotFound(pkg.id);
      QuotePackage p = **loaded;
      const std::vector<LedgerEvent> events = change(p);
      if (Status s = t.UpdatePackage(p); !s.ok()) return s;
      return t.AppendEvents(events);
    }));
  }

  void OptOut(const QuotePackage& pkg, Micros at) {
    Change(pkg, [&](QuotePackage& p) {
      p.status = PackageStatus::kOptedOut;
      p.updated_at = at;
      std::vector<LedgerEvent> ev;
      for (const Quote& q : p.quotes) ev.push_back(Event(EventKind::kOptedOut, p, q, at));
      return ev;
    });
  }

  // Books the first quote; the others are not selected.
  void Book(const QuotePackage& pkg, Micros at) {
    Change(pkg, [&](QuotePackage& p) {
      p.status = PackageStatus::kConfirmed;
      p.booked_at = at;
      p.updated_at = at;
      p.policyholder_json = R"({"first_name":"Zoë","last_name":"O'Brien\\t"})";
      std::vector<LedgerEvent> ev;
      for (std::size_t i = 0; i < p.quotes.size(); ++i) {
        if (i == 0) {
          p.quotes[i].status = QuoteStatus::kConfirmed;
          p.quotes[i].confirmed_at = at;
        }
        ev.push_back(
            Event(i == 0 ? EventKind::kBooked : EventKind::kNotSelected, p, p.quotes[i], at));
      }
      return ev;
    });
  }

  void Cancel(const QuotePackage& pkg, Micros at) {
    Change(pkg, [&](QuotePackage& p) {
      p.status = PackageStatus::kCancelled;
      p.updated_at = at;
      p.quotes[0].status = QuoteStatus::kCancelled;
      p.quotes[0].cancelled_at = at;
      return std::vector<LedgerEvent>{Event(EventKind::kCancelled, p, p.quotes[0], at)};
    });
  }

  // A ledger with something in every table, returning its packages.
  std::vector<QuotePackage> BuildLedger() {
    Ok(src_->CreatePartner({"LLODT", "Lloyd's \"Travel\"\tLtd", kDay0, 0, 0},
                           {"key-a1", "secret-a1", "LLODT", kDay0, std::nullopt}));
    Ok(src_->CreatePartner({"ACME", "Acme\nWidgets \\ Co", kDay0 + 1, 0, 0},
                           {"key-b1", "secret-b1", "ACME", kDay0 + 1, std::nullopt}));
    Ok(src_->AddKey({"key-a2", "secret-a2", "LLODT", kDay0 + 2, std::nullopt}));
    Ok(src_->RevokeKey("key-a2", kDay0 + 3));
    const AuditEntry audit{0,      kDay0 + 4, "tester via test", "partner.set_limits",
                           "ACME", "",        R"({"quote_rps":50,"note":"tab\there"})"};
    Ok(src_->SetPartnerLimits("ACME", 50, 20, &audit));
    Ok(src_->SetPartnerAuth("LLODT", true));

    std::vector<QuotePackage> pkgs;
    for (int i = 0; i < 12; ++i) {
      const Micros at = kDay0 + (i % 3) * kMicrosPerDay + i;
      const std::string partner = i % 4 == 0 ? "ACME" : "LLODT";
      pkgs.push_back(Offer(partner, at, 1 + i % 3, i % 2 ? 900'000'000 : 1'100'000'000,
                           i % 5 == 0 ? "FR" : "GB"));
    }
    const Micros later = kDay0 + 4 * kMicrosPerDay;
    for (int i : {0, 3, 7}) OptOut(pkgs[i], later + i);
    for (int i : {1, 2, 5, 8, 10}) Book(pkgs[i], later + i);
    for (int i : {2, 8}) Cancel(pkgs[i], later + kMicrosPerDay + i);
    // A booking after an opt-out (allowed: the customer changed their mind).
    Book(pkgs[3], later + 50);

    Ok(src_->Write([&](WriteTxn& t) -> Status {
      if (Status s = t.SaveReply("LLODT", "idem-1", {"fp-1", 201, "{\"id\":\"x\"}", later});
          !s.ok()) {
        return s;
      }
      return t.SaveReply("ACME", "idem-2",
                         {"fp-2", 200, "line 1\nline 2\r\n\ttabbed \\ back\\slash é ✓", later});
    }));
    // Webhooks: a listener and its queue, one delivered and one pending.
    Ok(src_->SetWebhookConfig({"LLODT",
                               "https://hooks.example/x",
                               "hook-key",
                               "hook,secret",
                               {"BOOKING_CREATED", "BOOKING_CANCELLED"},
                               later}));
    for (const std::string id : {"wh-1", "wh-2"}) {
      Ok(src_->Write([&](WriteTxn& t) -> Status {
        Webhook w;
        w.id = id;
        w.partner = "LLODT";
        w.event = "BOOKING_CREATED";
        w.body = "{\"event\": \"BOOKING_CREATED\", \"payload\": {\"id\": \"" + id + "\"}}";
        w.created_at = later;
        w.next_attempt_at = later;
        return t.EnqueueWebhook(w);
      }));
    }
    auto claimed = src_->ClaimWebhooks(later, kMicrosPerSecond, 1);
    EXPECT_TRUE(claimed.ok() && claimed->size() == 1u);
    if (claimed.ok() && claimed->size() == 1u) {
      Ok(src_->FinishWebhook({(*claimed)[0].webhook.id, (*claimed)[0].claim,
                              WebhookStatus::kDelivered, 1, later, "", later + 1}));
    }
    // The email outbox (schema v7): one recorded email.
    Ok(src_->Write([&](WriteTxn& t) -> Status {
      Email e;
      e.id = "em-1";
      e.partner = "LLODT";
      e.booking_id = "BGNJF-49BDW-INS";
      e.event = "BOOKING_CREATED";
      e.recipient = "jason.campbell@test-xcover.com";
      e.subject = "Your booking";
      e.body = "Dear Jason,\n";
      e.created_at = later;
      e.status = EmailStatus::kRecorded;
      e.next_attempt_at = later;
      return t.EnqueueEmail(e);
    }));
    return pkgs;
  }

  TempDir dir_;
  std::string path_ = dir_.File("ledger.db");
  std::unique_ptr<PgSchema> schema_;
  std::unique_ptr<SqliteStore> src_;
};

TEST_F(LedgerCopyTest, CopiesEveryTableRowForRow) {
  const std::vector<QuotePackage> pkgs = BuildLedger();
  // Compare what the SQLite store says before it is closed.
  auto partners = src_->ListPartners();
  auto events = src_->ListEvents("", 0, 0);
  auto rollups = src_->ReadRollups(kAllDays);
  auto arm_rows = src_->ReadArmRows();
  auto arms =
      src_->ReadArms({"event_ticket_protection", std::nullopt, std::nullopt}, kDayNo + 30, 7);
  auto contexts = src_->ListArmContexts();
  ASSERT_TRUE(partners.ok() && events.ok() && rollups.ok() && arm_rows.ok() && arms.ok() &&
              contexts.ok());
  ASSERT_FALSE(rollups->empty());
  ASSERT_FALSE(arm_rows->empty());
  src_->Close();

  std::vector<LedgerCopyProgress> progress;
  LedgerCopyOptions options;
  options.batch_rows = 4;  // several COPY statements per table
  options.progress = [&](const LedgerCopyProgress& p) { progress.push_back(p); };
  auto report = CopyLedgerToPostgres(path_, schema_->url(), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->committed);
  EXPECT_TRUE(report->counts_match());

  // Every table, row for row, and the report's counts are the real ones.
  ASSERT_EQ(report->counts.size(), LedgerTables().size());
  std::int64_t total = 0;
  for (const TableCount& c : report->counts) {
    SCOPED_TRACE(c.table);
    const Rows want = SqliteRows(path_, c.table);
    const Rows got = PgRows(schema_->url(), "SELECT * FROM " + c.table);
    EXPECT_EQ(got, want);
    EXPECT_EQ(c.source, static_cast<std::int64_t>(want.size()));
    EXPECT_EQ(c.target, static_cast<std::int64_t>(got.size()));
    EXPECT_GT(c.source, 0) << "the ledger should have rows in every table";
    total += c.source;
  }
  EXPECT_EQ(report->rows, total);

  // Progress: per batch, events counted up to their total.
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().rows_done, total);
  EXPECT_EQ(progress.back().events_done, static_cast<std::int64_t>(events->size()));
  EXPECT_EQ(progress.back().events_total, static_cast<std::int64_t>(events->size()));
  for (std::size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GE(progress[i].rows_done, progress[i - 1].rows_done);
    EXPECT_LE(progress[i].table_done - progress[i - 1].table_done, 4)
        << "batches of at most --batch rows";
  }

  // A PostgresStore on the copy answers what the SQLite store answered.
  auto opened = PostgresStore::Open(schema_->url());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& pg = **opened;
  auto pg_partners = pg.ListPartners();
  ASSERT_TRUE(pg_partners.ok());
  ASSERT_EQ(pg_partners->size(), partners->size());
  for (std::size_t i = 0; i < partners->size(); ++i) {
    EXPECT_EQ((*pg_partners)[i].code, (*partners)[i].code);
    EXPECT_EQ((*pg_partners)[i].name, (*partners)[i].name);
    EXPECT_EQ((*pg_partners)[i].quote_rps, (*partners)[i].quote_rps);
    EXPECT_EQ((*pg_partners)[i].other_rps, (*partners)[i].other_rps);
  }
  auto revoked = pg.FindKey("key-a2");
  ASSERT_TRUE(revoked.ok() && revoked->has_value());
  EXPECT_EQ((*revoked)->secret, "secret-a2");
  EXPECT_EQ((*revoked)->revoked_at, kDay0 + 3);
  for (const QuotePackage& p : pkgs) {
    SCOPED_TRACE(p.id);
    auto sqlite_pkg = SqliteStore::Open(path_);  // (re)read the source's final state
    ASSERT_TRUE(sqlite_pkg.ok());
    auto want = (*sqlite_pkg)->GetPackage(p.partner, p.id);
    auto got = pg.GetPackage(p.partner, p.id);
    (*sqlite_pkg)->Close();
    ASSERT_TRUE(want.ok() && got.ok() && want->has_value() && got->has_value());
    ExpectSamePackage(**got, **want);
    // The row lock path (LoadPackage) reads the same document.
    Ok(pg.Write([&](WriteTxn& t) -> Status {
      auto locked = t.LoadPackage(p.partner, p.id);
      if (!locked.ok()) return locked.status();
      EXPECT_TRUE(locked->has_value());
      if (locked->has_value()) ExpectSamePackage(**locked, **want);
      return Status::Ok();
    }));
  }
  auto pg_events = pg.ListEvents("", 0, 0);
  ASSERT_TRUE(pg_events.ok());
  ASSERT_EQ(pg_events->size(), events->size());
  for (std::size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*pg_events)[i].seq, (*events)[i].seq);
    ExpectSameEvent((*pg_events)[i], (*events)[i]);
  }
  auto pg_rollups = pg.ReadRollups(kAllDays);
  ASSERT_TRUE(pg_rollups.ok());
  ExpectSameRollups(*pg_rollups, *rollups);
  auto pg_recount = pg.RecountRollups(kAllDays);
  ASSERT_TRUE(pg_recount.ok());
  {
    SCOPED_TRACE("the copied roll-ups agree with the copied events");
    ExpectSameRollups(*pg_recount, *rollups);
  }
  auto pg_arm_rows = pg.ReadArmRows();
  ASSERT_TRUE(pg_arm_rows.ok());
  EXPECT_EQ(*pg_arm_rows, *arm_rows);
  auto pg_arms =
      pg.ReadArms({"event_ticket_protection", std::nullopt, std::nullopt}, kDayNo + 30, 7);
  ASSERT_TRUE(pg_arms.ok());
  EXPECT_EQ(*pg_arms, *arms);
  auto pg_contexts = pg.ListArmContexts();
  ASSERT_TRUE(pg_contexts.ok());
  EXPECT_EQ(*pg_contexts, *contexts);
  Ok(pg.Write([&](WriteTxn& t) -> Status {
    auto reply = t.FindReply("ACME", "idem-2", 0);
    if (!reply.ok()) return reply.status();
    EXPECT_TRUE(reply->has_value());
    if (reply->has_value()) {
      EXPECT_EQ((*reply)->status, 200);
      EXPECT_EQ((*reply)->fingerprint, "fp-2");
      EXPECT_EQ((*reply)->body, "line 1\nline 2\r\n\ttabbed \\ back\\slash é ✓");
    }
    return Status::Ok();
  }));

  // New events continue after the copied seqs.
  const QuotePackage& first = pkgs[4];
  Ok(pg.Write([&](WriteTxn& t) -> Status {
    return t.AppendEvents({Event(EventKind::kOptedOut, first, first.quotes[0], kDay0 + 99)});
  }));
  auto after = pg.ListEvents("", events->back().seq, 0);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_GT((*after)[0].seq, events->back().seq);
  // So do new webhooks, and the listener and queue arrived.
  Ok(pg.Write([&](WriteTxn& t) -> Status {
    Webhook w;
    w.id = "wh-3";
    w.partner = "LLODT";
    w.event = "BOOKING_CANCELLED";
    w.body = "{}";
    return t.EnqueueWebhook(w);
  }));
  auto hooks = pg.ListWebhooks({});
  ASSERT_TRUE(hooks.ok());
  ASSERT_EQ(hooks->size(), 3u);
  EXPECT_EQ((*hooks)[0].id, "wh-3") << "newest first: its seq follows the copied ones";
  auto listener = pg.GetWebhookConfig("LLODT");
  ASSERT_TRUE(listener.ok() && listener->has_value());
  EXPECT_EQ((*listener)->secret, "hook,secret");
  pg.Close();
}

TEST_F(LedgerCopyTest, EmptyLedgerCopiesToEmptyTables) {
  src_->Close();
  auto report = CopyLedgerToPostgres(path_, schema_->url());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->committed);
  EXPECT_EQ(report->rows, 0);
  for (const TableCount& c : report->counts) {
    EXPECT_EQ(c.source, 0) << c.table;
    EXPECT_EQ(c.target, 0) << c.table;
  }
}

TEST_F(LedgerCopyTest, RefusesANonEmptyTargetAndLeavesItAsItWas) {
  BuildLedger();
  src_->Close();
  {
    auto pg = PostgresStore::Open(schema_->url());
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    Ok((*pg)->CreatePartner({"OTHER", "Already here", kDay0, 0, 0},
                            {"key-o", "secret-o", "OTHER", kDay0, std::nullopt}));
    (*pg)->Close();
  }
  auto report = CopyLedgerToPostgres(path_, schema_->url());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kConflict) << report.status().ToString();
  EXPECT_NE(report.status().message().find("not empty"), std::string::npos);
  EXPECT_NE(report.status().message().find("1 partners row"), std::string::npos)
      << report.status().message();
  EXPECT_EQ(PgRows(schema_->url(), "SELECT code FROM partners"), (Rows{{"OTHER"}}));
  EXPECT_EQ(PgRows(schema_->url(), "SELECT count(*) FROM events"), (Rows{{"0"}}));
  EXPECT_EQ(PgRows(schema_->url(), "SELECT count(*) FROM packages"), (Rows{{"0"}}));

  // A second copy into a schema that already received one is refused too.
  PgSchema fresh(TestPgUrl());
  ASSERT_TRUE(CopyLedgerToPostgres(path_, fresh.url()).ok());
  auto again = CopyLedgerToPostgres(path_, fresh.url());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kConflict);
  EXPECT_NE(again.status().message().find("events"), std::string::npos) << again.status().message();
}

TEST_F(LedgerCopyTest, RefusesAMissingOrOutdatedSource) {
  src_->Close();
  auto missing = CopyLedgerToPostgres(dir_.File("nope.db"), schema_->url());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  // An older schema: migrate-data never migrates (writes to) its source.
  {
    testing::RawDb raw(path_);
    ASSERT_EQ(raw.Exec("DELETE FROM schema_migrations WHERE version = "
                       "(SELECT max(version) FROM schema_migrations)"),
              SQLITE_OK);
  }
  auto outdated = CopyLedgerToPostgres(path_, schema_->url());
  ASSERT_FALSE(outdated.ok());
  EXPECT_EQ(outdated.status().code(), StatusCode::kInvalid);
  EXPECT_NE(outdated.status().message().find("offerledger migrate"), std::string::npos)
      << outdated.status().message();
}

TEST_F(LedgerCopyTest, UnreachableTargetSaysSoWithoutThePassword) {
  src_->Close();
  auto r = CopyLedgerToPostgres(path_,
                                "postgresql://someone:hunter2@127.0.0.1:1/offerledger"
                                "?connect_timeout=5");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_EQ(r.status().message().find("hunter2"), std::string::npos) << r.status().message();
}

TEST(RedactDbUrlTest, HidesPasswordsOnly) {
  EXPECT_EQ(RedactDbUrl("postgresql://ol:s3cret@db.example:5432/ledger"),
            "postgresql://ol:***@db.example:5432/ledger");
  EXPECT_EQ(RedactDbUrl("postgres://ol:p%40ss@h/d?sslmode=require"),
            "postgres://ol:***@h/d?sslmode=require");
  EXPECT_EQ(RedactDbUrl("postgresql://ol@h/d?password=s3cret&sslmode=require"),
            "postgresql://ol@h/d?password=***&sslmode=require");
  EXPECT_EQ(RedactDbUrl("postgresql:///offerledger"), "postgresql:///offerledger");
  EXPECT_EQ(RedactDbUrl("sqlite:./offerledger.db"), "sqlite:./offerledger.db");
}

TEST(OpenStoreUrlTest, BackendsAndSqlitePaths) {
  EXPECT_EQ(*BackendOf("sqlite:x.db"), StoreBackend::kSqlite);
  EXPECT_EQ(*BackendOf("postgresql://"), StoreBackend::kPostgres);
  EXPECT_EQ(*BackendOf("postgres://h/d"), StoreBackend::kPostgres);
  auto bad = BackendOf("mysql://u:pw@h/d");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find(":pw@"), std::string::npos) << bad.status().message();
  EXPECT_EQ(*SqlitePathOf("sqlite:./a.db"), "./a.db");
  EXPECT_EQ(*SqlitePathOf("sqlite:///tmp/a.db"), "/tmp/a.db");
  EXPECT_FALSE(SqlitePathOf("sqlite:").ok());
}

TEST(MigrateStoreTest, SqliteReportsVersionsAndIsIdempotent) {
  TempDir dir;
  const std::string url = "sqlite:" + dir.File("m.db");
  auto first = MigrateStore(url);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->before, 0);
  EXPECT_EQ(first->after, static_cast<int>(first->applied.size()));
  EXPECT_GE(first->after, 3);
  auto second = MigrateStore(url);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->before, first->after);
  EXPECT_EQ(second->after, first->after);
  EXPECT_TRUE(second->applied.empty());
  // The store opens what migrate made, with nothing left to apply.
  auto store = OpenStore(url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  (*store)->Close();
}

TEST(MigrateStoreTest, PostgresReportsVersionsAndHonoursThePoolSize) {
  const std::string base = TestPgUrl();
  if (base.empty()) GTEST_SKIP() << "no PostgreSQL test server";
  PgSchema schema(base);
  auto first = MigrateStore(schema.url());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->before, 0);
  EXPECT_EQ(first->after, static_cast<int>(first->applied.size()));
  auto second = MigrateStore(schema.url());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->before, first->after);
  EXPECT_TRUE(second->applied.empty());

  // OpenStore's pool size reaches PostgresStore: four threads whose writes
  // overlap never get more than two connections (the pool keeps what it
  // opened, so the server's count of this store's backends is the most it
  // ever had at once).
  const std::string app = "ol_pool_" + schema.name();
  StoreOpenOptions options;
  options.pg_pool_size = 2;
  auto store = OpenStore(schema.url() + "&application_name=" + app, options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([&] {
      for (int j = 0; j < 5; ++j) {
        EXPECT_TRUE((*store)
                        ->Write([](WriteTxn&) {
                          std::this_thread::sleep_for(std::chrono::milliseconds(20));
                          return Status::Ok();
                        })
                        .ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  const Rows backends =
      PgRows(base, "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app + "'");
  ASSERT_EQ(backends.size(), 1u);
  EXPECT_GE(std::stoi(backends[0][0]), 1);
  EXPECT_LE(std::stoi(backends[0][0]), 2) << "more connections than --db-pool-size";
  (*store)->Close();
}

TEST(MigrateStoreTest, UnreachablePostgresIsUnavailable) {
  auto r = MigrateStore("postgresql://u:topsecret@127.0.0.1:1/x?connect_timeout=5");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message().find("topsecret"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace offerledger
