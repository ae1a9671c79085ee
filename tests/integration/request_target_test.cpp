// The per-partner (request-target) requirement (docs/api.md "Replay")
// against the real binary: off by default (date-only signatures, as XCover
// clients send them, work); `partner set-auth CODE --require-request-target
// on` makes a running server refuse them with 401 at the next request,
// while "(request-target) date" still works; off again restores them.
#include <string>

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace itest {
namespace {

int SetAuth(const Env& env, const std::string& code, const std::string& value) {
  auto r = RunOfferledger(
      {"partner", "set-auth", code, "--require-request-target", value, "--db", env.db_url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code;
}

TEST(RequestTarget, PerPartnerRequirementAppliesToTheNextRequest) {
  Env env;
  const Credentials a = env.AddPartner("LLODT");
  const Credentials b = env.AddPartner("OTHER");
  auto server = env.StartServer();
  ASSERT_NE(server, nullptr);
  const Client client(server->port(), a);
  const Client other(server->port(), b);
  SignOptions date_only;
  date_only.signed_headers = {"date"};
  const SignOptions both;  // "(request-target) date"

  // Off (the default): date-only accepted.
  EXPECT_EQ(client.Send("GET", client.Path("bookings/?limit=1"), std::nullopt, date_only).status,
            200);

  ASSERT_EQ(SetAuth(env, "LLODT", "on"), 0);
  const HttpReply refused =
      client.Send("GET", client.Path("bookings/?limit=1"), std::nullopt, date_only);
  EXPECT_EQ(refused.status, 401) << refused.body;
  const boost::json::object body = boost::json::parse(refused.body).as_object();
  const std::string message(body.at("message").as_string());
  EXPECT_NE(message.find("requires (request-target) to be signed"), std::string::npos) << message;
  // The same shape as a bad signature's answer.
  SignOptions bad = date_only;
  bad.secret_override = "not-the-secret";
  const HttpReply mismatch =
      client.Send("GET", client.Path("bookings/?limit=1"), std::nullopt, bad);
  EXPECT_EQ(mismatch.status, 401);
  const boost::json::object mismatch_body = boost::json::parse(mismatch.body).as_object();
  EXPECT_EQ(mismatch_body.size(), body.size());
  for (const auto& kv : mismatch_body) EXPECT_TRUE(body.contains(kv.key())) << kv.key();

  EXPECT_EQ(client.Send("GET", client.Path("bookings/?limit=1"), std::nullopt, both).status, 200);
  EXPECT_EQ(client.CreateQuote().count("id"), 1u);  // a signed POST too
  // Another partner is not affected.
  EXPECT_EQ(other.Send("GET", other.Path("bookings/?limit=1"), std::nullopt, date_only).status,
            200);

  auto list = RunOfferledger({"partner", "list", "--json", "--db", env.db_url()});
  ASSERT_EQ(list.exit_code, 0);
  const boost::json::value partners = boost::json::parse(list.out);
  ASSERT_EQ(partners.as_array().size(), 2u);
  for (const auto& p : partners.as_array()) {
    const auto& o = p.as_object();
    EXPECT_EQ(o.at("require_request_target").as_bool(), o.at("partner").as_string() == "LLODT");
  }

  ASSERT_EQ(SetAuth(env, "LLODT", "off"), 0);
  EXPECT_EQ(client.Send("GET", client.Path("bookings/?limit=1"), std::nullopt, date_only).status,
            200);

  auto audit = RunOfferledger(
      {"audit", "list", "--action", "partner.set_auth", "--json", "--db", env.db_url()});
  ASSERT_EQ(audit.exit_code, 0);
  const auto rows = boost::json::parse(audit.out).as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[0].as_object().at("detail").as_object().at("require_request_target").as_bool());
  EXPECT_TRUE(rows[1].as_object().at("detail").as_object().at("require_request_target").as_bool());

  auto unknown = RunOfferledger(
      {"partner", "set-auth", "NOPE", "--require-request-target", "on", "--db", env.db_url()});
  EXPECT_NE(unknown.exit_code, 0);
  auto invalid = RunOfferledger(
      {"partner", "set-auth", "LLODT", "--require-request-target", "maybe", "--db", env.db_url()});
  EXPECT_NE(invalid.exit_code, 0);
}

}  // namespace
}  // namespace itest
