// Running one test on every Store backend: SQLite (a file in a fresh temp
// dir) and PostgreSQL (a fresh schema in the private test server that
// scripts/pg-test-server.sh starts as the ctest fixture `pg`; its URL comes
// from OFFERLEDGER_TEST_PG_URL or the file the fixture writes). PostgreSQL
// cases skip, saying why, only when there is no URL at all.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite_test_support.h"
#include "support/pg_schema.h"

namespace offerledger::testing {

enum class Backend { kSqlite, kPostgres };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// Fixture base: a fresh store of the parameter's backend in SetUp.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      const std::string url = TestPgUrl();
      if (url.empty()) {
        GTEST_SKIP() << "no PostgreSQL test server: set OFFERLEDGER_TEST_PG_URL or run through "
                        "ctest (fixture pg_server_start)";
      }
      schema_ = std::make_unique<PgSchema>(url);
    }
    store_ = Reopen();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    if (store_) store_->Close();
    store_.reset();
    schema_.reset();
  }
  // Another store on the same database (the file or the schema).
  std::unique_ptr<Store> Reopen() {
    if (GetParam() == Backend::kPostgres) {
      auto s = PostgresStore::Open(schema_->url());
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      return s.ok() ? std::move(*s) : nullptr;
    }
    auto s = SqliteStore::Open(dir_.File("store.db"));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<PgSchema> schema_;
  std::unique_ptr<Store> store_;
};

#define OL_BACKENDS(Fixture)                                                              \
  INSTANTIATE_TEST_SUITE_P(, Fixture,                                                     \
                           ::testing::Values(::offerledger::testing::Backend::kSqlite,    \
                                             ::offerledger::testing::Backend::kPostgres), \
                           ::offerledger::testing::BackendName)

}  // namespace offerledger::testing
