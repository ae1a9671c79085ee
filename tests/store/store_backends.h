// Running one test on every Store backend: SQLite (a file in a fresh temp
// dir) and PostgreSQL (a fresh schema in the private test server that
// scripts/pg-test-server.sh starts as the ctest fixture `pg`; its URL comes
// from OFFERLEDGER_TEST_PG_URL or the file the fixture writes). PostgreSQL
// cases skip, saying why, only when there is no URL at all.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite_test_support.h"

namespace offerledger::testing {

enum class Backend { kSqlite, kPostgres };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// The test server's URL, or "" when there is none.
inline std::string TestPgUrl() {
  if (const char* env = std::getenv("OFFERLEDGER_TEST_PG_URL"); env != nullptr && *env) return env;
#ifdef OFFERLEDGER_TEST_PG_URL_FILE
  std::ifstream in(OFFERLEDGER_TEST_PG_URL_FILE);
  std::string url;
  if (in && std::getline(in, url)) return url;
#endif
  return "";
}

// A fresh schema in the test database, dropped on destruction; url() points
// the store at it (search_path).
class PgSchema {
 public:
  explicit PgSchema(const std::string& base) : base_(base) {
    static std::atomic<int> counter{0};
    name_ = "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    Run("DROP SCHEMA IF EXISTS " + name_ + " CASCADE; CREATE SCHEMA " + name_);
    url_ = base_ + (base_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           name_;
  }
  ~PgSchema() { Run("DROP SCHEMA IF EXISTS " + name_ + " CASCADE"); }
  PgSchema(const PgSchema&) = delete;
  PgSchema& operator=(const PgSchema&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

  // Runs `sql` on a plain connection to the schema; returns the error message ("" if none).
  std::string Run(const std::string& sql) const {
    PGconn* c = PQconnectdb((url_.empty() ? base_ : url_).c_str());
    std::string err;
    if (PQstatus(c) != CONNECTION_OK) {
      err = PQerrorMessage(c);
    } else {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        err = PQresultErrorMessage(r);
      }
      PQclear(r);
    }
    PQfinish(c);
    return err;
  }

 private:
  std::string base_;
  std::string name_;
  std::string url_;
};

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
