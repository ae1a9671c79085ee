// The audit log of admin actions through the real binary (issue 8): the
// partner commands write it, `audit list` prints it (text and JSON, newest
// first, filtered), and no secret is ever in its output.
#include <string>
#include <vector>

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace itest {
namespace {

TEST(AuditLog, PartnerCommandsAreListedNewestFirst) {
  Env env;
  const Credentials a = env.AddPartner("LLODT");
  const Credentials k2 = env.AddKey("LLODT");
  ASSERT_EQ(env.RevokeKey(k2.key), 0);
  auto limits =
      RunOfferledger({"partner", "set-limits", "LLODT", "--quote-rps", "9", "--db", env.db_url()});
  ASSERT_EQ(limits.exit_code, 0) << limits.err;
  // A refused action leaves no row.
  auto bad = RunOfferledger({"partner", "revoke-key", "no-such-key", "--db", env.db_url()});
  EXPECT_NE(bad.exit_code, 0);

  auto json = RunOfferledger({"audit", "list", "--json", "--db", env.db_url()});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const boost::json::array rows = boost::json::parse(json.out).as_array();
  ASSERT_EQ(rows.size(), 4u) << json.out;
  const std::vector<std::string> actions = {"partner.set_limits", "key.revoke", "key.add",
                                            "partner.add"};
  const std::vector<std::string> keys = {"", k2.key, k2.key, a.key};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i].as_object();
    EXPECT_EQ(row.at("action").as_string(), actions[i]);
    EXPECT_EQ(row.at("partner").as_string(), "LLODT");
    EXPECT_EQ(row.at("api_key").as_string(), keys[i]);
    EXPECT_NE(std::string(row.at("actor").as_string()).find(" via cli"), std::string::npos);
    EXPECT_TRUE(row.at("detail").is_object());
  }
  EXPECT_EQ(rows[0].as_object().at("detail").as_object().at("quote_rps").as_int64(), 9);

  auto text = RunOfferledger(
      {"audit", "list", "--action", "key.revoke", "--partner", "LLODT", "--db", env.db_url()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("key.revoke"), std::string::npos);
  EXPECT_NE(text.out.find(k2.key), std::string::npos);
  EXPECT_EQ(text.out.find("partner.add"), std::string::npos);
  auto limited = RunOfferledger({"audit", "list", "--limit", "1", "--json", "--db", env.db_url()});
  ASSERT_EQ(limited.exit_code, 0);
  EXPECT_EQ(boost::json::parse(limited.out).as_array().size(), 1u);

  for (const std::string& out : {json.out, text.out}) {
    EXPECT_EQ(out.find(a.secret), std::string::npos);
    EXPECT_EQ(out.find(k2.secret), std::string::npos);
  }
  auto help = RunOfferledger({"audit", "list", "--help"});
  EXPECT_NE(help.out.find("--action"), std::string::npos);
}

}  // namespace
}  // namespace itest
