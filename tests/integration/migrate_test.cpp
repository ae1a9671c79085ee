// The PostgreSQL side of the command line, with the real binary:
// `offerledger migrate` on both backends (versions, idempotence, concurrent
// runs, an unreachable server), `migrate-data` after real HTTP traffic on a
// SQLite server followed by a server on PostgreSQL serving the copy, --db
// from $OFFERLEDGER_DB and from libpq's PG* variables, serve --db-pool-size,
// and passwords kept out of every message.
//
// These tests pick their databases themselves (a SQLite file and a fresh
// PostgreSQL schema), so the PostgreSQL run of the integration suite
// (OFFERLEDGER_ITEST_BACKEND=postgres) skips them instead of repeating them.
#include <libpq-fe.h>
#include <stdlib.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"
#include "support/pg_schema.h"

namespace itest {
namespace {

namespace json = boost::json;
using offerledger::testing::PgSchema;
using offerledger::testing::TestPgUrl;

using Rows = std::vector<std::vector<std::string>>;

// Rows of `sql` on `url`, every column as text ("NULL" for NULL).
Rows PgQuery(const std::string& url, const std::string& sql) {
  Rows rows;
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    ADD_FAILURE() << PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    } else {
      for (int i = 0; i < PQntuples(r); ++i) {
        std::vector<std::string> row;
        for (int j = 0; j < PQnfields(r); ++j) {
          row.emplace_back(PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
        }
        rows.push_back(std::move(row));
      }
    }
    PQclear(r);
  }
  PQfinish(c);
  return rows;
}

int PgInt(const std::string& url, const std::string& sql) {
  const Rows r = PgQuery(url, sql);
  return r.empty() ? -1 : std::stoi(r[0][0]);
}

// Sets an environment variable for the tests' child processes; restores it.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

std::string Describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

class Migrate : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* b = std::getenv("OFFERLEDGER_ITEST_BACKEND");
        b != nullptr && std::string(b) == "postgres") {
      GTEST_SKIP() << "these tests choose both backends themselves; the SQLite run covers them";
    }
    pg_url_ = TestPgUrl();
    if (pg_url_.empty()) {
      GTEST_SKIP() << "no PostgreSQL test server: set OFFERLEDGER_TEST_PG_URL or run through "
                      "ctest (fixture pg_server_start)";
    }
    schema_ = std::make_unique<PgSchema>(pg_url_);
    sqlite_url_ = "sqlite:" + (dir_.path() / "ledger.db").string();
  }

  // The newest schema version, as a fresh SQLite migrate reports it.
  int Newest() {
    const CommandResult r = RunOfferledger(
        {"migrate", "--json", "--db", "sqlite:" + (dir_.path() / "newest.db").string()});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return static_cast<int>(json::parse(r.out).at("after").as_int64());
  }

  Credentials AddPartner(const std::string& db, const std::string& code) {
    const CommandResult r = RunOfferledger({"partner", "add", code, "--db", db, "--json"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    if (r.exit_code != 0) return {};
    const json::value v = json::parse(r.out);
    return {Str(v, {"partner"}), Str(v, {"api_key"}), Str(v, {"api_secret"})};
  }

  std::unique_ptr<ServerProcess> Serve(const std::string& db,
                                       const std::vector<std::string>& extra = {}) {
    return ServerProcess::Start(db, extra,
                                dir_.path() / ("serve-" + std::to_string(++servers_) + ".stderr"));
  }

  TempDir dir_;
  std::string pg_url_;
  std::unique_ptr<PgSchema> schema_;
  std::string sqlite_url_;
  int servers_ = 0;
};

// ------------------------------------------------------------------ migrate

TEST_F(Migrate, FreshDatabasesOfBothBackendsThenAlreadyUpToDate) {
  const int newest = Newest();
  ASSERT_GE(newest, 3);
  std::string all;
  for (int v = 1; v <= newest; ++v) all += (v > 1 ? ", " : "") + std::to_string(v);
  for (const std::string& db : {sqlite_url_, schema_->url()}) {
    SCOPED_TRACE(db);
    const CommandResult first = RunOfferledger({"migrate", "--db", db});
    ASSERT_EQ(first.exit_code, 0) << Describe(first);
    EXPECT_NE(first.out.find("schema version 0 -> " + std::to_string(newest) +
                             " (applied migrations " + all + ")"),
              std::string::npos)
        << first.out;
    const CommandResult second = RunOfferledger({"migrate", "--db", db});
    ASSERT_EQ(second.exit_code, 0) << Describe(second);
    EXPECT_NE(second.out.find("schema version " + std::to_string(newest) + " -> " +
                              std::to_string(newest) + ": already up to date"),
              std::string::npos)
        << second.out;
    const CommandResult js = RunOfferledger({"migrate", "--db", db, "--json"});
    ASSERT_EQ(js.exit_code, 0) << Describe(js);
    const json::value v = json::parse(js.out);
    EXPECT_EQ(v.at("before").as_int64(), newest);
    EXPECT_EQ(v.at("after").as_int64(), newest);
    EXPECT_TRUE(v.at("applied").as_array().empty());
    EXPECT_TRUE(v.at("already_up_to_date").as_bool());
    // What migrate made is what the store uses.
    EXPECT_FALSE(AddPartner(db, "LLODT").key.empty());
  }
  EXPECT_EQ(PgInt(schema_->url(), "SELECT count(*) FROM schema_migrations"), newest);
  EXPECT_EQ(QueryDb(dir_.path() / "ledger.db", "SELECT count(*) FROM schema_migrations"),
            (std::vector<std::vector<std::string>>{{std::to_string(newest)}}));
}

TEST_F(Migrate, ConcurrentRunsOnOneFreshDatabaseBothSucceed) {
  const int newest = Newest();
  for (const std::string& db : {schema_->url(), sqlite_url_}) {
    SCOPED_TRACE(db);
    CommandResult a;
    CommandResult b;
    std::thread ta([&] { a = RunOfferledger({"migrate", "--db", db, "--json"}); });
    std::thread tb([&] { b = RunOfferledger({"migrate", "--db", db, "--json"}); });
    ta.join();
    tb.join();
    ASSERT_EQ(a.exit_code, 0) << Describe(a);
    ASSERT_EQ(b.exit_code, 0) << Describe(b);
    // Under the lock one of them applied everything, the other found it done.
    const json::value va = json::parse(a.out);
    const json::value vb = json::parse(b.out);
    EXPECT_EQ(va.at("after").as_int64(), newest);
    EXPECT_EQ(vb.at("after").as_int64(), newest);
    const std::size_t applied =
        va.at("applied").as_array().size() + vb.at("applied").as_array().size();
    EXPECT_EQ(applied, static_cast<std::size_t>(newest));
    EXPECT_NE(va.at("already_up_to_date").as_bool(), vb.at("already_up_to_date").as_bool());
  }
  EXPECT_EQ(PgInt(schema_->url(), "SELECT count(*) FROM schema_migrations"), newest);
}

TEST_F(Migrate, UnreachableOrUnknownDatabaseFailsClearlyWithoutThePassword) {
  const CommandResult down = RunOfferledger(
      {"migrate", "--db", "postgresql://ol:hunter2@127.0.0.1:1/offerledger?connect_timeout=5"});
  EXPECT_EQ(down.exit_code, 1) << Describe(down);
  EXPECT_NE(down.err.find("cannot connect to PostgreSQL"), std::string::npos) << down.err;
  EXPECT_NE(down.err.find("postgresql://ol:***@127.0.0.1:1/offerledger"), std::string::npos)
      << down.err;
  EXPECT_EQ(down.err.find("hunter2"), std::string::npos) << down.err;
  EXPECT_EQ(down.out.find("hunter2"), std::string::npos) << down.out;

  const CommandResult scheme = RunOfferledger({"migrate", "--db", "mysql://ol:hunter2@h/x"});
  EXPECT_EQ(scheme.exit_code, 2) << Describe(scheme);
  EXPECT_NE(scheme.err.find("unsupported database URL"), std::string::npos) << scheme.err;
  EXPECT_EQ(scheme.err.find("hunter2"), std::string::npos) << scheme.err;

  const CommandResult nodir = RunOfferledger(
      {"migrate", "--db", "sqlite:" + (dir_.path() / "no" / "such" / "dir.db").string()});
  EXPECT_EQ(nodir.exit_code, 1) << Describe(nodir);
  EXPECT_NE(nodir.err.find("cannot migrate"), std::string::npos) << nodir.err;

  // serve and partner say the same, without the password.
  const CommandResult serve =
      RunOfferledger({"serve", "--listen", "127.0.0.1:0", "--db",
                      "postgresql://ol:hunter2@127.0.0.1:1/offerledger?connect_timeout=5"});
  EXPECT_EQ(serve.exit_code, 1) << Describe(serve);
  EXPECT_EQ(serve.err.find("hunter2"), std::string::npos) << serve.err;
  EXPECT_EQ(serve.out.find("hunter2"), std::string::npos) << serve.out;
  const CommandResult partner =
      RunOfferledger({"partner", "list", "--db",
                      "postgresql://ol:hunter2@127.0.0.1:1/offerledger?connect_timeout=5"});
  EXPECT_EQ(partner.exit_code, 1) << Describe(partner);
  EXPECT_EQ(partner.err.find("hunter2"), std::string::npos) << partner.err;
}

// ------------------------------------------------------------- --db sources

TEST_F(Migrate, DbDefaultsToOfferledgerDbAndTheFlagWins) {
  {
    ScopedEnv env("OFFERLEDGER_DB", schema_->url());
    EXPECT_FALSE(AddPartner(schema_->url(), "VIAFLAG").key.empty());
    const CommandResult add = RunOfferledger({"partner", "add", "VIAENV", "--json"});
    ASSERT_EQ(add.exit_code, 0) << Describe(add);
    // --db wins over the variable.
    EXPECT_FALSE(AddPartner(sqlite_url_, "SQLITEONLY").key.empty());
    const CommandResult list = RunOfferledger({"partner", "list"});
    ASSERT_EQ(list.exit_code, 0) << Describe(list);
    EXPECT_NE(list.out.find("VIAENV"), std::string::npos) << list.out;
    EXPECT_EQ(list.out.find("SQLITEONLY"), std::string::npos) << list.out;
    const CommandResult report = RunOfferledger({"report", "conversion", "--format", "csv"});
    EXPECT_EQ(report.exit_code, 0) << Describe(report);
    const CommandResult show = RunOfferledger({"optimizer", "show"});
    EXPECT_EQ(show.exit_code, 0) << Describe(show);
    const CommandResult migrate = RunOfferledger({"migrate", "--json"});
    ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
    EXPECT_TRUE(json::parse(migrate.out).at("already_up_to_date").as_bool());
  }
  EXPECT_EQ(PgQuery(schema_->url(), "SELECT code FROM partners ORDER BY code"),
            (Rows{{"VIAENV"}, {"VIAFLAG"}}));
  EXPECT_EQ(QueryDb(dir_.path() / "ledger.db", "SELECT code FROM partners"),
            (std::vector<std::vector<std::string>>{{"SQLITEONLY"}}));
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"serve", "--help"},
                                             {"partner", "add", "--help"},
                                             {"report", "conversion", "--help"},
                                             {"report", "verify", "--help"},
                                             {"optimizer", "show", "--help"},
                                             {"migrate", "--help"}}) {
    const CommandResult help = RunOfferledger(cmd);
    EXPECT_NE(help.out.find("OFFERLEDGER_DB"), std::string::npos) << cmd[0] << help.out;
    EXPECT_NE(help.out.find("postgresql://"), std::string::npos) << cmd[0] << help.out;
  }
}

TEST_F(Migrate, LibpqEnvironmentVariablesFillInTheUrl) {
  // The test server's URL taken apart into PG* variables.
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(pg_url_.c_str(), &err);
  ASSERT_NE(opts, nullptr) << (err ? err : "");
  std::vector<std::unique_ptr<ScopedEnv>> env;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || o->envvar == nullptr || *o->val == '\0') continue;
    env.push_back(std::make_unique<ScopedEnv>(o->envvar, o->val));
  }
  PQconninfoFree(opts);
  env.push_back(std::make_unique<ScopedEnv>("PGOPTIONS", "-csearch_path=" + schema_->name()));

  const CommandResult migrate = RunOfferledger({"migrate", "--db", "postgresql://", "--json"});
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  EXPECT_EQ(json::parse(migrate.out).at("before").as_int64(), 0);
  EXPECT_FALSE(AddPartner("postgresql://", "ENVPG").key.empty());
  auto server = Serve("postgresql://");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(SendRaw(server->port(), {"GET", "/healthz", std::nullopt, {}}).status, 200);
  server->Terminate();
  env.clear();
  EXPECT_EQ(PgQuery(schema_->url(), "SELECT code FROM partners"), (Rows{{"ENVPG"}}));
}

// ---------------------------------------------------------------- pool size

TEST_F(Migrate, ServeDbPoolSizeBoundsTheConnections) {
  const Credentials a = AddPartner(schema_->url(), "LLODT");
  const std::string app = "ol_itest_" + schema_->name();
  const std::string url = schema_->url() + "&application_name=" + app;
  auto server = Serve(url, {"--db-pool-size", "2", "--threads", "8"});
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->first_line().find("2 db connections"), std::string::npos)
      << server->first_line();
  // Eight clients at once, through eight worker threads.
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      Client c(server->port(), a);
      for (int j = 0; j < 3; ++j) c.CreateQuote();
    });
  }
  for (auto& t : clients) t.join();
  const int connections = PgInt(
      pg_url_, "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app + "'");
  EXPECT_GE(connections, 1);
  EXPECT_LE(connections, 2);
  EXPECT_EQ(PgInt(schema_->url(), "SELECT count(*) FROM packages"), 24);
  server->Terminate();

  // The default: --threads + 1.
  auto by_default = Serve(url, {"--threads", "5"});
  ASSERT_NE(by_default, nullptr);
  EXPECT_NE(by_default->first_line().find("6 db connections"), std::string::npos)
      << by_default->first_line();
  by_default->Terminate();

  // SQLite ignores it, saying so.
  auto sqlite = Serve(sqlite_url_, {"--db-pool-size", "2"});
  ASSERT_NE(sqlite, nullptr);
  sqlite->Terminate();
  EXPECT_NE(sqlite->stderr_text().find("--db-pool-size applies to PostgreSQL only"),
            std::string::npos)
      << sqlite->stderr_text();
  EXPECT_NE(RunOfferledger({"serve", "--help"}).out.find("--db-pool-size"), std::string::npos);
}

TEST_F(Migrate, ServeShowsTheUrlWithoutThePassword) {
  // The test server trusts local connections, so any password is accepted.
  std::string url = schema_->url();
  const std::size_t at = url.find('@');
  ASSERT_NE(at, std::string::npos) << "the test URL names a user: " << url;
  url.insert(at, ":pa55word");
  auto server = Serve(url);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->first_line().find("pa55word"), std::string::npos) << server->first_line();
  EXPECT_NE(server->first_line().find(":***@"), std::string::npos) << server->first_line();
  server->Terminate();
  EXPECT_EQ(server->stderr_text().find("pa55word"), std::string::npos);
}

// ------------------------------------------------------------- migrate-data

TEST_F(Migrate, MigrateDataThenAPostgresServerServesTheLedger) {
  const Credentials a = AddPartner(sqlite_url_, "LLODT");
  const Credentials b = AddPartner(sqlite_url_, "ACME");
  ASSERT_FALSE(a.key.empty());
  ASSERT_FALSE(b.key.empty());

  // Real traffic on a SQLite server: quotes, opt-outs (one with an
  // idempotency key), bookings, instant bookings.
  std::vector<std::string> opted_out;
  std::vector<std::string> all;
  std::vector<bool> of_b;           // whose package: ACME (b) or LLODT (a)
  std::vector<std::string> status;  // the package status the SQLite server shows
  {
    auto server = Serve(sqlite_url_);
    ASSERT_NE(server, nullptr);
    Client ca(server->port(), a);
    Client cb(server->port(), b);
    for (int i = 0; i < 9; ++i) {
      const Client& c = i % 3 == 0 ? cb : ca;
      const json::object pkg = c.CreateQuote();
      const std::string id = Str(pkg, {"id"});
      ASSERT_FALSE(id.empty());
      all.push_back(id);
      if (i % 3 == 1) {
        SignOptions idem;
        idem.idempotency_key = "optout-" + id;
        const HttpReply r = c.Send("POST", c.Path("bookings/" + id + "/opt_out"), "{}", idem);
        ASSERT_EQ(r.status, 204) << r.Describe();
        opted_out.push_back(id);
      } else if (i % 3 == 2) {
        c.Book(pkg);
      }
    }
    all.push_back(Str(ca.InstantBooking(), {"id"}));
    for (std::size_t i = 0; i < all.size(); ++i) {
      of_b.push_back(i < 9 && i % 3 == 0);
      status.push_back(Str((of_b[i] ? cb : ca).GetQuote(all[i]), {"status"}));
      ASSERT_FALSE(status.back().empty());
    }
    server->Terminate();
  }
  const CommandResult report_sqlite = RunOfferledger({"report", "conversion", "--db", sqlite_url_});
  ASSERT_EQ(report_sqlite.exit_code, 0) << Describe(report_sqlite);

  // The copy, in small batches.
  const CommandResult copy = RunOfferledger(
      {"migrate-data", "--from", sqlite_url_, "--to", schema_->url(), "--batch", "5"});
  ASSERT_EQ(copy.exit_code, 0) << Describe(copy);
  EXPECT_NE(copy.out.find("every count matches"), std::string::npos) << copy.out;
  for (const std::string table : {"partners", "api_keys", "packages", "events", "idempotency",
                                  "offer_state", "rollups", "arms"}) {
    const auto rows = QueryDb(dir_.path() / "ledger.db", "SELECT count(*) FROM " + table);
    ASSERT_EQ(rows.size(), 1u);
    const int n = std::stoi(rows[0][0]);
    EXPECT_GT(n, 0) << table;
    EXPECT_EQ(PgInt(schema_->url(), "SELECT count(*) FROM " + table), n) << table;
    // The printed line: table, source count, target count.
    const std::size_t line = copy.out.find("\n" + table + " ");
    ASSERT_NE(line, std::string::npos) << table << "\n" << copy.out;
    const std::string text = copy.out.substr(line + 1, copy.out.find('\n', line + 1) - line - 1);
    EXPECT_EQ(text.find("MISMATCH"), std::string::npos) << text;
    EXPECT_NE(text.find(" " + std::to_string(n) + " "), std::string::npos) << text;
  }

  // A server on PostgreSQL serves the migrated ledger with the same keys.
  auto server = Serve(schema_->url());
  ASSERT_NE(server, nullptr);
  Client ca(server->port(), a);
  Client cb(server->port(), b);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const HttpReply r = (of_b[i] ? cb : ca).Get("quotes/" + all[i] + "/");
    ASSERT_EQ(r.status, 200) << all[i] << " " << r.Describe();
    EXPECT_EQ(Str(r.Json(), {"id"}), all[i]);
    EXPECT_EQ(Str(r.Json(), {"status"}), status[i]) << all[i];
  }
  for (const std::string& id : opted_out) {
    EXPECT_EQ(Str(ca.GetQuote(id), {"status"}), "OPTED_OUT");
    const std::string events = "SELECT count(*) FROM events WHERE package_id = '" + id + "'";
    const int before = PgInt(schema_->url(), events);
    ASSERT_GT(before, 0);
    // Opting out again is still 204 and records nothing; so is replaying
    // the first request's idempotency key.
    const HttpReply again = ca.Post("bookings/" + id + "/opt_out", "{}");
    EXPECT_EQ(again.status, 204) << again.Describe();
    SignOptions idem;
    idem.idempotency_key = "optout-" + id;
    const HttpReply replay = ca.Send("POST", ca.Path("bookings/" + id + "/opt_out"), "{}", idem);
    EXPECT_EQ(replay.status, 204) << replay.Describe();
    EXPECT_EQ(PgInt(schema_->url(), events), before);
  }
  const CommandResult report_pg = RunOfferledger({"report", "conversion", "--db", schema_->url()});
  ASSERT_EQ(report_pg.exit_code, 0) << Describe(report_pg);
  EXPECT_EQ(report_pg.out, report_sqlite.out);
  const CommandResult verify = RunOfferledger({"report", "verify", "--db", schema_->url()});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);

  // New events follow the copied ones.
  const int max_seq = PgInt(schema_->url(), "SELECT max(seq) FROM events");
  const std::string fresh = Str(ca.CreateQuote(), {"id"});
  EXPECT_GT(PgInt(schema_->url(), "SELECT min(seq) FROM events WHERE package_id = '" + fresh + "'"),
            max_seq);
  server->Terminate();

  // A second copy into the now non-empty target is refused and changes nothing.
  const int events_now = PgInt(schema_->url(), "SELECT count(*) FROM events");
  const CommandResult twice =
      RunOfferledger({"migrate-data", "--from", sqlite_url_, "--to", schema_->url()});
  EXPECT_EQ(twice.exit_code, 1) << Describe(twice);
  EXPECT_NE(twice.err.find("not empty"), std::string::npos) << twice.err;
  EXPECT_EQ(PgInt(schema_->url(), "SELECT count(*) FROM events"), events_now);
}

TEST_F(Migrate, MigrateDataRejectsWrongUrls) {
  const CommandResult to_sqlite =
      RunOfferledger({"migrate-data", "--from", sqlite_url_, "--to", sqlite_url_});
  EXPECT_EQ(to_sqlite.exit_code, 2) << Describe(to_sqlite);
  EXPECT_NE(to_sqlite.err.find("--to must be a PostgreSQL database"), std::string::npos)
      << to_sqlite.err;
  const CommandResult missing =
      RunOfferledger({"migrate-data", "--from", "sqlite:" + (dir_.path() / "nope.db").string(),
                      "--to", schema_->url()});
  EXPECT_EQ(missing.exit_code, 2) << Describe(missing);
  EXPECT_NE(missing.err.find("no SQLite database"), std::string::npos) << missing.err;
  const CommandResult no_to = RunOfferledger({"migrate-data", "--from", sqlite_url_});
  EXPECT_NE(no_to.exit_code, 0);
}

}  // namespace
}  // namespace itest
