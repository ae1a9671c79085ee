// pg::Connection's connection defaults: a bounded connect and TCP keepalives,
// so a vanished database server means a quick 503, not a request hanging for
// the OS's TCP timeout; a URL that sets them wins.
#include "store/postgres/pg_conn.h"

#include <libpq-fe.h>

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "support/pg_schema.h"

namespace offerledger::pg {
namespace {

// The options libpq used for the connection, keyword -> value.
std::map<std::string, std::string> UsedOptions(Connection& c) {
  std::map<std::string, std::string> out;
  PQconninfoOption* opts = PQconninfo(c.raw());
  for (PQconninfoOption* o = opts; o != nullptr && o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out[o->keyword] = o->val;
  }
  PQconninfoFree(opts);
  return out;
}

std::string WithParam(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

TEST(PgConnection, ConnectTimeoutAndKeepalivesByDefault) {
  const std::string url = offerledger::testing::TestPgUrl();
  if (url.empty()) GTEST_SKIP() << "no PostgreSQL test server (ctest fixture pg)";
  if (std::getenv("PGCONNECT_TIMEOUT") != nullptr) GTEST_SKIP() << "PGCONNECT_TIMEOUT is set";
  auto c = Connection::Open(url);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto used = UsedOptions(**c);
  EXPECT_EQ(used.at("connect_timeout"), "5");
  EXPECT_EQ(used.at("keepalives"), "1");
  EXPECT_EQ(used.at("keepalives_idle"), "30");
  EXPECT_EQ(used.at("keepalives_interval"), "10");
  EXPECT_EQ(used.at("keepalives_count"), "3");
}

TEST(PgConnection, TheUrlOverridesTheDefaults) {
  const std::string url = offerledger::testing::TestPgUrl();
  if (url.empty()) GTEST_SKIP() << "no PostgreSQL test server (ctest fixture pg)";
  auto c = Connection::Open(WithParam(WithParam(url, "connect_timeout=17"), "keepalives_idle=90"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto used = UsedOptions(**c);
  EXPECT_EQ(used.at("connect_timeout"), "17");
  EXPECT_EQ(used.at("keepalives_idle"), "90");
  EXPECT_EQ(used.at("keepalives_count"), "3");
}

}  // namespace
}  // namespace offerledger::pg
