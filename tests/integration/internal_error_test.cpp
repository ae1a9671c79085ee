// A server fault (a 500) tells the partner nothing of the internals: no SQL,
// no table, no database message (CONTRACT.md, "Errors"); the operator finds
// the detail on the server's stderr. The fault is made real by renaming the
// events table under a running server on PostgreSQL, so this runs in the
// suite's PostgreSQL pass (pg.*) only.
#include <libpq-fe.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace itest {
namespace {

std::string Exec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) err = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return err;
}

TEST(InternalError, A500NamesNoTableNoSqlAndTheDetailGoesToStderr) {
  Env env;
  if (!env.postgres()) {
    GTEST_SKIP() << "needs PostgreSQL (a table renamed under a running server): the pg.* pass "
                    "runs it";
  }
  const Credentials creds = env.AddPartner("LLODT");
  auto server = env.StartServer();
  ASSERT_NE(server, nullptr);
  const Client client(server->port(), creds);
  const auto package = client.CreateQuote();
  const std::string id = Str(package, {"id"});
  ASSERT_FALSE(id.empty());

  ASSERT_EQ(Exec(env.db_url(), "ALTER TABLE events RENAME TO events_moved_by_test"), "");
  const HttpReply reply = client.Post("bookings/" + id + "/opt_out", std::nullopt);
  ASSERT_EQ(Exec(env.db_url(), "ALTER TABLE events_moved_by_test RENAME TO events"), "");

  EXPECT_EQ(reply.status, 500) << reply.Describe();
  EXPECT_EQ(Str(reply.Json(), {"type"}), "server_error") << reply.body;
  for (const char* internal :
       {"events", "relation", "INSERT", "SELECT", "postgres", "PostgreSQL", "sql"}) {
    EXPECT_FALSE(ContainsI(reply.body, internal)) << "'" << internal << "' in " << reply.body;
  }
  EXPECT_TRUE(ContainsI(server->stderr_text(), "events_moved_by_test") ||
              ContainsI(server->stderr_text(), "relation"))
      << "the operator's stderr should hold the database's reason:\n"
      << server->stderr_text();

  // The table is back: the same opt-out now succeeds, recorded once.
  const HttpReply again = client.Post("bookings/" + id + "/opt_out", std::nullopt);
  EXPECT_EQ(again.status, 204) << again.Describe();
  const auto rows = env.Query("SELECT count(*) FROM events WHERE package_id = '" + id +
                              "' AND kind = 'opted_out'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "1");
}

}  // namespace
}  // namespace itest
