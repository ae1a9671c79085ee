// The private PostgreSQL test server, for every test layer: its URL and a
// fresh schema per test. scripts/pg-test-server.sh starts the server as the
// ctest fixture `pg`; its URL comes from OFFERLEDGER_TEST_PG_URL or the file
// the fixture writes (OFFERLEDGER_TEST_PG_URL_FILE, set by tests/CMakeLists.txt).
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>

namespace offerledger::testing {

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

// Runs `sql` on a plain connection to `url`; returns the error message ("" if
// none). NOTICEs (DROP ... CASCADE / IF EXISTS) stay off the test's output.
inline std::string RunPgSql(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
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
    return RunPgSql(url_.empty() ? base_ : url_, sql);
  }

 private:
  std::string base_;
  std::string name_;
  std::string url_;
};

}  // namespace offerledger::testing
