#include "store/sqlite/sqlite_schema.h"

#include <gtest/gtest.h>

#include "store/sqlite_test_support.h"

namespace offerledger::sqlite {
namespace {

using testing::OpenTestStore;
using testing::RawDb;
using testing::TempDir;

std::unique_ptr<Connection> OpenRaw(const TempDir& dir) {
  auto c = Connection::Open(dir.File("m.db"), Connection::Mode::kReadWrite, 1000);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(SqliteSchema, ReopeningDoesNotReapplyMigrations) {
  TempDir dir;
  { ASSERT_NE(OpenTestStore(dir), nullptr); }
  std::int64_t applied_at = 0;
  {
    RawDb raw(dir.File("store.db"));
    EXPECT_EQ(raw.Int("SELECT count(*) FROM schema_migrations"),
              static_cast<std::int64_t>(SchemaMigrations().size()));
    EXPECT_EQ(raw.Int("SELECT max(version) FROM schema_migrations"),
              SchemaMigrations().back().version);
    applied_at = raw.Int("SELECT applied_at FROM schema_migrations WHERE version = 1");
    EXPECT_GT(applied_at, 0);
  }
  { ASSERT_NE(OpenTestStore(dir), nullptr); }
  { ASSERT_NE(OpenTestStore(dir), nullptr); }
  RawDb raw(dir.File("store.db"));
  EXPECT_EQ(raw.Int("SELECT count(*) FROM schema_migrations"),
            static_cast<std::int64_t>(SchemaMigrations().size()));
  EXPECT_EQ(raw.Int("SELECT applied_at FROM schema_migrations WHERE version = 1"), applied_at);
}

TEST(SqliteSchema, ALaterMigrationIsJustANewEntry) {
  TempDir dir;
  auto c = OpenRaw(dir);
  ASSERT_NE(c, nullptr);
  const Migration v1[] = {{1, "t", "CREATE TABLE t(a INTEGER)"}};
  auto r = ApplyMigrations(*c, v1, 100);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, std::vector<int>{1});
  ASSERT_TRUE(c->Exec("INSERT INTO t VALUES (7)").ok());

  const Migration v2[] = {{1, "t", "CREATE TABLE t(a INTEGER)"},
                          {2, "t.b", "ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'x'"}};
  r = ApplyMigrations(*c, v2, 200);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, std::vector<int>{2});
  r = ApplyMigrations(*c, v2, 300);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());

  c.reset();
  RawDb raw(dir.File("m.db"));
  EXPECT_EQ(raw.Text("SELECT group_concat(version || ':' || applied_at) FROM schema_migrations"),
            "1:100,2:200");
  EXPECT_EQ(raw.Text("SELECT a || b FROM t"), "7x");
}

TEST(SqliteSchema, AFailingMigrationAppliesNothing) {
  TempDir dir;
  auto c = OpenRaw(dir);
  ASSERT_NE(c, nullptr);
  const Migration bad[] = {{1, "ok", "CREATE TABLE t(a INTEGER)"},
                           {2, "broken", "CREATE TABLE u(a INTEGER); THIS IS NOT SQL"}};
  auto r = ApplyMigrations(*c, bad, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("migration 2"), std::string::npos) << r.status().message();
  EXPECT_FALSE(c->InTransaction());
  c.reset();
  RawDb raw(dir.File("m.db"));
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name IN ('t', 'u')"), 0);
}

TEST(SqliteSchema, ADatabaseFromANewerVersionIsRefused) {
  TempDir dir;
  auto c = OpenRaw(dir);
  ASSERT_NE(c, nullptr);
  const Migration v2[] = {{1, "a", "CREATE TABLE a(x)"}, {2, "b", "CREATE TABLE b(x)"}};
  ASSERT_TRUE(ApplyMigrations(*c, v2, 1).ok());
  const Migration v1[] = {{1, "a", "CREATE TABLE a(x)"}};
  auto r = ApplyMigrations(*c, v1, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("newer"), std::string::npos) << r.status().message();
}

TEST(SqliteSchema, OutOfOrderMigrationsAreRefused) {
  TempDir dir;
  auto c = OpenRaw(dir);
  ASSERT_NE(c, nullptr);
  const Migration list[] = {{2, "b", "CREATE TABLE b(x)"}, {1, "a", "CREATE TABLE a(x)"}};
  EXPECT_FALSE(ApplyMigrations(*c, list, 1).ok());
}

TEST(SqliteSchema, SchemaVersionsStrictlyIncrease) {
  auto list = SchemaMigrations();
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(list.front().version, 1);
  for (std::size_t i = 1; i < list.size(); ++i) EXPECT_GT(list[i].version, list[i - 1].version);
}

TEST(SqliteSchema, ApiKeysReferencePartners) {
  TempDir dir;
  auto store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  // A key for a partner that does not exist is refused by the store (NotFound)
  // and would be by the foreign key too.
  EXPECT_EQ(store->AddKey({"K", "s", "GHOST", 1, {}}).code(), StatusCode::kNotFound);
  RawDb raw(dir.File("store.db"));
  ASSERT_EQ(raw.Exec("PRAGMA foreign_keys=ON"), SQLITE_OK);
  EXPECT_EQ(raw.Exec("INSERT INTO api_keys VALUES ('K', 'GHOST', 's', 1, NULL)") & 0xff,
            SQLITE_CONSTRAINT);
}

}  // namespace
}  // namespace offerledger::sqlite
