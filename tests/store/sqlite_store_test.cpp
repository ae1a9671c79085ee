#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "store/sqlite_test_support.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::Backend;
using testing::ExpectSameEvent;
using testing::ExpectSamePackage;
using testing::MakePackage;
using testing::MakeTestEvent;
using testing::OpenTestStore;
using testing::RawDb;
using testing::TempDir;

Status Insert(Store& store, const QuotePackage& pkg) {
  return store.Write([&](WriteTxn& txn) { return txn.InsertPackage(pkg); });
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenTestStore(dir_);
    ASSERT_NE(store_, nullptr);
  }
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

// The Store contract, on every backend (store_backends.h).
class StoreTest : public testing::BackendTest {};
OL_BACKENDS(StoreTest);

// ------------------------------------------------------------- open & schema

TEST_F(SqliteStoreTest, OpenCreatesFileInWalModeWithSchema) {
  EXPECT_TRUE(std::filesystem::exists(dir_.File("store.db")));
  EXPECT_TRUE(store_->Ping().ok());
  RawDb raw(dir_.File("store.db"));
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
  for (const char* table :
       {"partners", "api_keys", "packages", "events", "idempotency", "schema_migrations"}) {
    EXPECT_EQ(raw.Int(std::string("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                                  "name='") +
                      table + "'"),
              1)
        << table;
  }
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name='packages_bookings'"), 1);
}

// The checkpointer thread (wal_checkpointer.h) copies the WAL into the
// database file while writes go on; nothing written is lost or damaged, and a
// reopened store reads it all back.
TEST(SqliteStoreCheckpoint, CheckpointsRunOffTheWriterThreadAndLoseNothing) {
  TempDir dir;
  SqliteStore::Options options;
  options.checkpoint_pages = 8;  // a checkpoint every few commits
  auto opened = SqliteStore::OpenSqlite(dir.File("store.db"), options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<SqliteStore> store = std::move(*opened);
  std::vector<std::string> ids;
  std::vector<std::thread> writers;
  std::mutex mu;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 75; ++i) {
        QuotePackage pkg = MakePackage("ACME", NowMicros());
        ASSERT_TRUE(Insert(*store, pkg).ok());
        std::lock_guard lock(mu);
        ids.push_back(pkg.id);
      }
    });
  }
  for (auto& w : writers) w.join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store->checkpoints() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(store->checkpoints(), 0);
  {
    RawDb raw(dir.File("store.db"));
    EXPECT_EQ(raw.Int("SELECT count(*) FROM packages"), 300);
    EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
  }
  store->Close();
  EXPECT_EQ(store->checkpoints(), 0);  // the thread is gone after Close()
  auto reopened = SqliteStore::OpenSqlite(dir.File("store.db"));
  ASSERT_TRUE(reopened.ok());
  for (const std::string& id : ids) {
    auto got = (*reopened)->GetPackage("ACME", id);
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->has_value()) << id;
  }
}

TEST_F(SqliteStoreTest, WriteAsyncAfterCloseIsRefusedAtOnce) {
  store_->Close();
  std::optional<Status> answer;
  store_->WriteAsync([](WriteTxn&) { return Status::Ok(); },
                     [&answer](Status st) { answer = std::move(st); });
  ASSERT_TRUE(answer.has_value());  // on the caller's thread, before returning
  EXPECT_EQ(answer->code(), StatusCode::kUnavailable) << answer->ToString();
}

TEST(SqliteStoreCheckpoint, ZeroPagesLeavesCheckpointsToSqlite) {
  TempDir dir;
  SqliteStore::Options options;
  options.checkpoint_pages = 0;
  auto opened = SqliteStore::OpenSqlite(dir.File("store.db"), options);
  ASSERT_TRUE(opened.ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Insert(**opened, MakePackage("ACME", NowMicros())).ok());
  EXPECT_EQ((*opened)->checkpoints(), 0);
  RawDb raw(dir.File("store.db"));
  EXPECT_EQ(raw.Int("SELECT count(*) FROM packages"), 20);
}

TEST(SqliteStoreOpen, MissingDirectoryIsAClearError) {
  TempDir dir;
  std::string path = dir.File("no/such/dir/store.db");
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("does not exist"), std::string::npos)
      << store.status().message();
}

TEST(SqliteStoreOpen, ADirectoryIsNotADatabase) {
  TempDir dir;
  auto store = SqliteStore::Open(dir.path().string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(dir.path().string()), std::string::npos);
}

TEST(SqliteStoreOpen, AFileThatIsNotADatabaseIsRefused) {
  TempDir dir;
  std::string path = dir.File("junk.db");
  std::ofstream(path) << "this is not an SQLite database, not at all, not even close........";
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
}

TEST(SqliteStoreOpen, ReadOnlyFileIsRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can write read-only files";
  TempDir dir;
  std::string path = dir.File("ro.db");
  { ASSERT_NE(OpenTestStore(dir, "ro.db"), nullptr); }
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::group_read);
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find(path), std::string::npos);
}

TEST(SqliteStoreOpen, InMemoryIsRefused) {
  auto store = SqliteStore::Open(":memory:");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalid);
}

TEST(SqliteStoreOpen, OpenStoreUrl) {
  TempDir dir;
  auto store = OpenStore("sqlite:" + dir.File("url.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->Ping().ok());
}

// ------------------------------------------------------------------ packages

TEST_P(StoreTest, InsertLoadUpdate) {
  QuotePackage pkg = MakePackage("LLODT", 1'000, 2);
  pkg.partner_transaction_id = "tx-1";
  ASSERT_TRUE(Insert(*store_, pkg).ok());

  auto got = store_->GetPackage("LLODT", pkg.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  ExpectSamePackage(pkg, **got);

  Status s = store_->Write([&](WriteTxn& txn) -> Status {
    auto loaded = txn.LoadPackage("LLODT", pkg.id);
    if (!loaded.ok()) return loaded.status();
    if (!loaded->has_value()) return Status::NotFound("gone");
    QuotePackage p = **loaded;
    p.status = PackageStatus::kConfirmed;
    p.booked_at = 2'000;
    p.updated_at = 2'000;
    p.policyholder_json = R"({"first_name":"Ann"})";
    p.quotes.pop_back();
    return txn.UpdatePackage(p);
  });
  ASSERT_TRUE(s.ok()) << s.ToString();

  got = store_->GetPackage("LLODT", pkg.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, PackageStatus::kConfirmed);
  EXPECT_EQ((*got)->booked_at, 2'000);
  EXPECT_EQ((*got)->quotes.size(), 1u);
  EXPECT_EQ((*got)->policyholder_json, R"({"first_name":"Ann"})");

  // The indexed columns follow the document.
  if (GetParam() == Backend::kSqlite) {
    RawDb raw(dir_.File("store.db"));
    EXPECT_EQ(raw.Text("SELECT status FROM packages WHERE id='" + pkg.id + "'"), "CONFIRMED");
    EXPECT_EQ(raw.Int("SELECT booked_at FROM packages WHERE id='" + pkg.id + "'"), 2'000);
  }
}

// WriteAsync answers once the commit is durable, with what Write() would
// return; a failing unit of work keeps nothing. Many at once all answer.
TEST_P(StoreTest, WriteAsyncAnswersAfterTheCommit) {
  constexpr int kWrites = 40;
  std::vector<QuotePackage> pkgs;
  for (int i = 0; i < kWrites; ++i) pkgs.push_back(MakePackage("LLODT", 1'000 + i));
  std::vector<std::promise<Status>> answers(kWrites + 1);
  for (int i = 0; i < kWrites; ++i) {
    store_->WriteAsync([pkg = pkgs[i]](WriteTxn& txn) { return txn.InsertPackage(pkg); },
                       [&answers, i](Status st) { answers[i].set_value(std::move(st)); });
  }
  QuotePackage failed = MakePackage("LLODT", 5'000);
  store_->WriteAsync(
      [failed](WriteTxn& txn) -> Status {
        if (Status s = txn.InsertPackage(failed); !s.ok()) return s;
        return Status::Invalid("changed my mind");
      },
      [&answers](Status st) { answers[kWrites].set_value(std::move(st)); });
  for (int i = 0; i < kWrites; ++i) {
    auto f = answers[i].get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    const Status st = f.get();
    EXPECT_TRUE(st.ok()) << st.ToString();
    // Answered means committed: a reader sees it.
    auto got = store_->GetPackage("LLODT", pkgs[i].id);
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->has_value());
  }
  auto f = answers[kWrites].get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(f.get().code(), StatusCode::kInvalid);
  auto got = store_->GetPackage("LLODT", failed.id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_P(StoreTest, UnknownPackageIsNullopt) {
  auto got = store_->GetPackage("LLODT", "NOPE0-NOPE0-INS");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_P(StoreTest, DuplicateInsertIsConflictAndKeepsTheFirst) {
  QuotePackage pkg = MakePackage("LLODT");
  ASSERT_TRUE(Insert(*store_, pkg).ok());
  QuotePackage other = pkg;
  other.customer_region = "Leeds";
  Status s = Insert(*store_, other);
  EXPECT_EQ(s.code(), StatusCode::kConflict) << s.ToString();
  auto got = store_->GetPackage("LLODT", pkg.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->customer_region, "London");
}

TEST_P(StoreTest, UpdateOfUnknownPackageIsNotFound) {
  QuotePackage pkg = MakePackage("LLODT");
  Status s = store_->Write([&](WriteTxn& txn) { return txn.UpdatePackage(pkg); });
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
}

TEST_P(StoreTest, PackageIsInvisibleToAnotherPartner) {
  QuotePackage pkg = MakePackage("LLODT");
  ASSERT_TRUE(Insert(*store_, pkg).ok());

  auto got = store_->GetPackage("OTHER", pkg.id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());

  bool seen = true;
  Status s = store_->Write([&](WriteTxn& txn) -> Status {
    auto loaded = txn.LoadPackage("OTHER", pkg.id);
    if (!loaded.ok()) return loaded.status();
    seen = loaded->has_value();
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(seen);

  // Another partner cannot overwrite it either.
  QuotePackage hijack = pkg;
  hijack.partner = "OTHER";
  hijack.status = PackageStatus::kOptedOut;
  s = store_->Write([&](WriteTxn& txn) { return txn.UpdatePackage(hijack); });
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  got = store_->GetPackage("LLODT", pkg.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, PackageStatus::kReceived);

  // Nor list it among its bookings.
  auto page = store_->ListBookings("OTHER", 10, 0);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->count, 0);
}

TEST_P(StoreTest, LoadPackageSeesEarlierWritesOfTheSameJob) {
  QuotePackage pkg = MakePackage("LLODT");
  Status s = store_->Write([&](WriteTxn& txn) -> Status {
    if (Status st = txn.InsertPackage(pkg); !st.ok()) return st;
    auto loaded = txn.LoadPackage("LLODT", pkg.id);
    if (!loaded.ok()) return loaded.status();
    if (!loaded->has_value()) return Status::Internal("own insert not visible");
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_P(StoreTest, FailedWriteKeepsNothingAndReturnsItsError) {
  QuotePackage pkg = MakePackage("LLODT");
  Status s = store_->Write([&](WriteTxn& txn) -> Status {
    if (Status st = txn.InsertPackage(pkg); !st.ok()) return st;
    if (Status st = txn.AppendEvents({MakeTestEvent(EventKind::kOffered, "LLODT", pkg.id, 1)});
        !st.ok()) {
      return st;
    }
    return Status::Invalid("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_EQ(s.message(), "changed my mind");
  auto got = store_->GetPackage("LLODT", pkg.id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  auto n = store_->CountEvents(EventKind::kOffered);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

TEST_P(StoreTest, ThrowingJobIsAnInternalErrorAndTheWriterSurvives) {
  Status s = store_->Write([](WriteTxn&) -> Status { throw std::runtime_error("boom"); });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("boom"), std::string::npos);
  EXPECT_TRUE(Insert(*store_, MakePackage("LLODT")).ok());
}

TEST_P(StoreTest, NestedWriteIsRefusedInsteadOfDeadlocking) {
  Status inner;
  Status outer = store_->Write([&](WriteTxn&) {
    inner = store_->Write([](WriteTxn&) { return Status::Ok(); });
    return Status::Ok();
  });
  EXPECT_TRUE(outer.ok());
  EXPECT_EQ(inner.code(), StatusCode::kInternal);
}

// -------------------------------------------------------------------- events

TEST_P(StoreTest, EventsAreAppendedInOrderAndReadBack) {
  std::vector<LedgerEvent> first = {MakeTestEvent(EventKind::kOffered, "LLODT", "P1", 10),
                                    MakeTestEvent(EventKind::kOffered, "LLODT", "P1", 10)};
  std::vector<LedgerEvent> second = {MakeTestEvent(EventKind::kOptedOut, "OTHER", "P2", 20),
                                     MakeTestEvent(EventKind::kBooked, "LLODT", "P1", 30),
                                     MakeTestEvent(EventKind::kCancelled, "LLODT", "P1", 40)};
  second[2].data_json = R"({"reason":"changed \"mind\""})";
  ASSERT_TRUE(store_->Write([&](WriteTxn& t) { return t.AppendEvents(first); }).ok());
  ASSERT_TRUE(store_->Write([&](WriteTxn& t) { return t.AppendEvents(second); }).ok());

  auto mine = store_->ListEvents("LLODT", 0, 100);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  ASSERT_EQ(mine->size(), 4u);
  ExpectSameEvent((*mine)[0], first[0]);
  ExpectSameEvent((*mine)[1], first[1]);
  ExpectSameEvent((*mine)[2], second[1]);
  ExpectSameEvent((*mine)[3], second[2]);

  auto all = store_->ListEvents("", 0, 0);  // every partner, no limit
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  ExpectSameEvent((*all)[2], second[0]);

  // Paging by seq: seqs are 1..5 in append order.
  if (GetParam() == Backend::kSqlite) {
    RawDb raw(dir_.File("store.db"));
    EXPECT_EQ(raw.Text("SELECT group_concat(seq) FROM (SELECT seq FROM events ORDER BY seq)"),
              "1,2,3,4,5");
    EXPECT_EQ(raw.Text("SELECT quote_id FROM events WHERE seq = 3"), second[0].quote_id);
  }
  auto page = store_->ListEvents("", 2, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  ExpectSameEvent((*page)[0], second[0]);
  ExpectSameEvent((*page)[1], second[1]);
  // Each event carries its seq, so a reader can continue after the last one.
  EXPECT_EQ((*page)[0].seq, 3);
  EXPECT_EQ((*page)[1].seq, 4);
  EXPECT_EQ((*mine)[3].seq, 5);
  auto tail = store_->ListEvents("LLODT", 3, 10);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].kind, EventKind::kBooked);

  auto offered = store_->CountEvents(EventKind::kOffered);
  auto opted = store_->CountEvents(EventKind::kOptedOut);
  auto withdrawn = store_->CountEvents(EventKind::kWithdrawn);
  ASSERT_TRUE(offered.ok() && opted.ok() && withdrawn.ok());
  EXPECT_EQ(*offered, 2);
  EXPECT_EQ(*opted, 1);
  EXPECT_EQ(*withdrawn, 0);
}

TEST_F(SqliteStoreTest, EventsCannotBeUpdatedOrDeleted) {
  ASSERT_TRUE(store_
                  ->Write([&](WriteTxn& t) {
                    return t.AppendEvents({MakeTestEvent(EventKind::kOptedOut, "LLODT", "P", 1)});
                  })
                  .ok());
  RawDb raw(dir_.File("store.db"));
  std::string error;
  EXPECT_EQ(raw.Exec("UPDATE events SET price = 0", &error) & 0xff, SQLITE_CONSTRAINT);
  EXPECT_NE(error.find("append-only"), std::string::npos) << error;
  EXPECT_EQ(raw.Exec("DELETE FROM events", &error) & 0xff, SQLITE_CONSTRAINT);
  EXPECT_NE(error.find("append-only"), std::string::npos) << error;
  EXPECT_EQ(raw.Int("SELECT count(*) FROM events WHERE price = 201"), 1);
}

TEST_P(StoreTest, EventsAreAppendOnlyInTheDatabase) {
  if (GetParam() != Backend::kPostgres) GTEST_SKIP() << "SQLite: EventsCannotBeUpdatedOrDeleted";
  ASSERT_TRUE(store_
                  ->Write([&](WriteTxn& t) {
                    return t.AppendEvents({MakeTestEvent(EventKind::kOptedOut, "LLODT", "P", 1)});
                  })
                  .ok());
  EXPECT_NE(schema_->Run("UPDATE events SET price = 0").find("append-only"), std::string::npos);
  EXPECT_NE(schema_->Run("DELETE FROM events").find("append-only"), std::string::npos);
  EXPECT_NE(schema_->Run("TRUNCATE events").find("append-only"), std::string::npos);
  EXPECT_EQ(store_->CountEvents(EventKind::kOptedOut).value(), 1);
}

TEST(PostgresStoreOpen, OpenStoreUrlAndUnreachableServer) {
  auto bad = OpenStore("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnavailable) << bad.status().ToString();
  EXPECT_EQ(bad.status().ToString().find("secret"), std::string::npos) << bad.status().ToString();
  const std::string url = testing::TestPgUrl();
  if (url.empty()) GTEST_SKIP() << "no PostgreSQL test server (OFFERLEDGER_TEST_PG_URL)";
  testing::PgSchema schema(url);
  auto store = OpenStore(schema.url());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->Ping().ok());
  // Migrating again, as every `serve` start does, changes nothing.
  auto again = PostgresStore::Migrate(schema.url());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->empty());
}

// ------------------------------------------------------------------ bookings

TEST_P(StoreTest, ListBookingsOrdersCountsAndPages) {
  // booked_at values, with a tie; nullopt = never booked.
  const std::vector<std::optional<Micros>> booked = {500, std::nullopt, 300, 900,
                                                     300, std::nullopt, 100};
  std::vector<QuotePackage> pkgs;
  for (std::size_t i = 0; i < booked.size(); ++i) {
    QuotePackage p = MakePackage("LLODT", 50);
    p.booked_at = booked[i];
    if (booked[i]) p.status = i == 2 ? PackageStatus::kCancelled : PackageStatus::kConfirmed;
    pkgs.push_back(p);
    ASSERT_TRUE(Insert(*store_, p).ok());
  }
  QuotePackage foreign = MakePackage("OTHER", 50);
  foreign.booked_at = 700;
  foreign.status = PackageStatus::kConfirmed;
  ASSERT_TRUE(Insert(*store_, foreign).ok());

  // Expected: 900, then the two 300s by id, 500 goes before them, then 100.
  std::vector<std::string> tie = {pkgs[2].id, pkgs[4].id};
  std::sort(tie.begin(), tie.end());
  const std::vector<std::string> expected = {pkgs[3].id, pkgs[0].id, tie[0], tie[1], pkgs[6].id};

  auto all = store_->ListBookings("LLODT", 100, 0);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->count, 5);
  std::vector<std::string> ids;
  for (const auto& p : all->results) ids.push_back(p.id);
  EXPECT_EQ(ids, expected);
  ExpectSamePackage(all->results[0], pkgs[3]);

  auto page = store_->ListBookings("LLODT", 2, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->count, 5);
  ASSERT_EQ(page->results.size(), 2u);
  EXPECT_EQ(page->results[0].id, expected[2]);
  EXPECT_EQ(page->results[1].id, expected[3]);

  auto last = store_->ListBookings("LLODT", 2, 4);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->results.size(), 1u);
  EXPECT_EQ(last->results[0].id, expected[4]);

  auto beyond = store_->ListBookings("LLODT", 2, 10);
  ASSERT_TRUE(beyond.ok());
  EXPECT_EQ(beyond->count, 5);
  EXPECT_TRUE(beyond->results.empty());

  auto count_only = store_->ListBookings("LLODT", 0, 0);
  ASSERT_TRUE(count_only.ok());
  EXPECT_EQ(count_only->count, 5);
  EXPECT_TRUE(count_only->results.empty());

  auto other = store_->ListBookings("OTHER", 10, 0);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->count, 1);
  ASSERT_EQ(other->results.size(), 1u);
  EXPECT_EQ(other->results[0].id, foreign.id);
}

TEST_F(SqliteStoreTest, ListBookingsUsesTheIndex) {
  std::string plan;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(dir_.File("store.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "EXPLAIN QUERY PLAN SELECT doc FROM packages WHERE partner = ?1 "
                               "AND booked_at IS NOT NULL ORDER BY booked_at DESC, id LIMIT ?2 "
                               "OFFSET ?3",
                               -1, &st, nullptr),
            SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    plan += " | ";
  }
  sqlite3_finalize(st);
  sqlite3_close_v2(db);
  EXPECT_NE(plan.find("packages_bookings"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;  // no sort step
}

// --------------------------------------------------------------- idempotency

TEST_P(StoreTest, IdempotencyFindSaveExpireAndPurge) {
  auto find = [&](std::string_view partner, std::string_view key, Micros not_before) {
    std::optional<IdempotentReply> found;
    Status s = store_->Write([&](WriteTxn& txn) -> Status {
      auto r = txn.FindReply(partner, key, not_before);
      if (!r.ok()) return r.status();
      found = *r;
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return found;
  };
  auto save = [&](std::string_view partner, std::string_view key, const IdempotentReply& r) {
    return store_->Write([&](WriteTxn& txn) { return txn.SaveReply(partner, key, r); });
  };

  EXPECT_FALSE(find("LLODT", "k1", 0).has_value());
  IdempotentReply r{"fp-1", 201, R"({"id":"PYWUR-TAPHT-INS"})", 1'000};
  ASSERT_TRUE(save("LLODT", "k1", r).ok());

  auto got = find("LLODT", "k1", 1'000);  // not_before == created_at: still valid
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->fingerprint, "fp-1");
  EXPECT_EQ(got->status, 201);
  EXPECT_EQ(got->body, R"({"id":"PYWUR-TAPHT-INS"})");
  EXPECT_EQ(got->created_at, 1'000);

  EXPECT_FALSE(find("LLODT", "k1", 1'001).has_value());  // expired
  EXPECT_FALSE(find("OTHER", "k1", 0).has_value());      // keys are per partner

  // An expired reply is replaced by a new one under the same key.
  IdempotentReply r2{"fp-2", 200, "", 5'000};
  ASSERT_TRUE(save("LLODT", "k1", r2).ok());
  got = find("LLODT", "k1", 4'000);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->fingerprint, "fp-2");
  EXPECT_EQ(got->body, "");

  ASSERT_TRUE(save("LLODT", "k-old", {"fp", 204, "", 100}).ok());
  ASSERT_TRUE(save("OTHER", "k-old", {"fp", 204, "", 200}).ok());
  auto purged = store_->PurgeReplies(5'000);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 2);
  EXPECT_FALSE(find("LLODT", "k-old", 0).has_value());
  EXPECT_TRUE(find("LLODT", "k1", 0).has_value());  // created_at 5'000 is not before 5'000
  purged = store_->PurgeReplies(5'000);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 0);
}

// ------------------------------------------------------------ partners, keys

TEST_P(StoreTest, PartnersAndKeys) {
  Partner p{"LLODT", "Lloyd's Demo", 1'000, 50, 20};
  ApiKey k1{"KEY1", "secret-1", "LLODT", 1'000, std::nullopt};
  ASSERT_TRUE(store_->CreatePartner(p, k1).ok());

  auto got = store_->GetPartner("LLODT");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->name, "Lloyd's Demo");
  EXPECT_EQ((*got)->created_at, 1'000);
  EXPECT_EQ((*got)->quote_rps, 50);
  EXPECT_EQ((*got)->other_rps, 20);
  auto none = store_->GetPartner("NOPE");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // Duplicate partner: Conflict, and its key is not created either (one transaction).
  ApiKey k_dup{"KEY-DUP", "s", "LLODT", 2'000, std::nullopt};
  Status s = store_->CreatePartner({"LLODT", "Again", 2'000, 0, 0}, k_dup);
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(s.message(), "partner LLODT already exists");
  auto dup_key = store_->FindKey("KEY-DUP");
  ASSERT_TRUE(dup_key.ok());
  EXPECT_FALSE(dup_key->has_value());

  // A new partner whose first key is already taken: nothing is created.
  s = store_->CreatePartner({"ACME", "Acme", 2'000, 0, 0}, {"KEY1", "s", "ACME", 2'000, {}});
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  auto acme = store_->GetPartner("ACME");
  ASSERT_TRUE(acme.ok());
  EXPECT_FALSE(acme->has_value());

  ASSERT_TRUE(
      store_
          ->CreatePartner({"ACME", "Acme", 3'000, 0, 0}, {"ACME-KEY", "s-acme", "ACME", 3'000, {}})
          .ok());

  ApiKey k2{"KEY2", "secret-2", "LLODT", 4'000, std::nullopt};
  ASSERT_TRUE(store_->AddKey(k2).ok());
  EXPECT_EQ(store_->AddKey(k2).code(), StatusCode::kConflict);
  EXPECT_EQ(store_->AddKey({"KEY3", "s", "NOPE", 1, {}}).code(), StatusCode::kNotFound);

  auto found = store_->FindKey("KEY2");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->secret, "secret-2");
  EXPECT_EQ((*found)->partner, "LLODT");
  EXPECT_EQ((*found)->created_at, 4'000);
  EXPECT_FALSE((*found)->revoked_at.has_value());

  ASSERT_TRUE(store_->RevokeKey("KEY1", 5'000).ok());
  ASSERT_TRUE(store_->RevokeKey("KEY1", 6'000).ok());  // again: keeps the first time
  EXPECT_EQ(store_->RevokeKey("NOPE", 5'000).code(), StatusCode::kNotFound);
  found = store_->FindKey("KEY1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->revoked_at, 5'000);

  auto keys = store_->ListKeys("LLODT");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].key, "KEY1");
  EXPECT_EQ((*keys)[1].key, "KEY2");
  auto acme_keys = store_->ListKeys("ACME");
  ASSERT_TRUE(acme_keys.ok());
  ASSERT_EQ(acme_keys->size(), 1u);
  EXPECT_EQ((*acme_keys)[0].secret, "s-acme");

  auto partners = store_->ListPartners();
  ASSERT_TRUE(partners.ok());
  ASSERT_EQ(partners->size(), 2u);
  EXPECT_EQ((*partners)[0].code, "ACME");
  EXPECT_EQ((*partners)[1].code, "LLODT");

  ASSERT_TRUE(store_->SetPartnerLimits("ACME", 7, 3).ok());
  EXPECT_EQ(store_->SetPartnerLimits("NOPE", 7, 3).code(), StatusCode::kNotFound);
  acme = store_->GetPartner("ACME");
  ASSERT_TRUE(acme.ok() && acme->has_value());
  EXPECT_EQ((*acme)->quote_rps, 7);
  EXPECT_EQ((*acme)->other_rps, 3);
}

TEST_P(StoreTest, CreatePartnerRefusesAKeyOfAnotherPartner) {
  Status s = store_->CreatePartner({"A", "A", 1, 0, 0}, {"K", "s", "B", 1, {}});
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
}

TEST_P(StoreTest, ErrorsNeverContainSecrets) {
  ASSERT_TRUE(
      store_->CreatePartner({"LLODT", "L", 1, 0, 0}, {"KEY1", "TOP-SECRET-1", "LLODT", 1, {}})
          .ok());
  Status s = store_->AddKey({"KEY1", "TOP-SECRET-2", "LLODT", 2, {}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.ToString().find("TOP-SECRET"), std::string::npos) << s.ToString();
}

// ------------------------------------------------------------ close & reopen

TEST_P(StoreTest, DataSurvivesCloseAndReopen) {
  QuotePackage pkg = MakePackage("LLODT", 7, 3);
  ASSERT_TRUE(store_->CreatePartner({"LLODT", "L", 1, 0, 0}, {"K", "s", "LLODT", 1, {}}).ok());
  ASSERT_TRUE(store_
                  ->Write([&](WriteTxn& t) -> Status {
                    if (Status s = t.InsertPackage(pkg); !s.ok()) return s;
                    return t.AppendEvents({MakeTestEvent(EventKind::kOffered, "LLODT", pkg.id, 7)});
                  })
                  .ok());
  store_->Close();

  // Every call after Close() is kUnavailable.
  EXPECT_EQ(Insert(*store_, MakePackage("LLODT")).code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->GetPackage("LLODT", pkg.id).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->Ping().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->ListPartners().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->PurgeReplies(0).status().code(), StatusCode::kUnavailable);
  store_->Close();  // idempotent
  store_.reset();

  auto reopened = Reopen();
  ASSERT_NE(reopened, nullptr);
  auto got = reopened->GetPackage("LLODT", pkg.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectSamePackage(pkg, **got);
  auto n = reopened->CountEvents(EventKind::kOffered);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  auto key = reopened->FindKey("K");
  ASSERT_TRUE(key.ok() && key->has_value());
}

TEST_P(StoreTest, TwoStoresOnOneFileSeeEachOthersCommits) {
  // E.g. the CLI adding a partner while the server runs.
  auto second = Reopen();
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(second->CreatePartner({"CLI", "From CLI", 1, 0, 0}, {"CK", "s", "CLI", 1, {}}).ok());
  auto got = store_->GetPartner("CLI");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->has_value());
  QuotePackage pkg = MakePackage("CLI");
  ASSERT_TRUE(Insert(*store_, pkg).ok());
  auto pkg_got = second->GetPackage("CLI", pkg.id);
  ASSERT_TRUE(pkg_got.ok());
  EXPECT_TRUE(pkg_got->has_value());
}

}  // namespace
}  // namespace offerledger
