// Secrets never reach the logs or another command's output (issue 8): the
// server's stdout and stderr, after signed, mis-signed and hostile requests
// (a secret sent as the keyId, in a header of its own, in a body, and an
// Authorization header that fails to parse), hold neither the partner's
// secret nor any Authorization value it was sent; `partner list` shows keys,
// never secrets.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace itest {
namespace {

TEST(Secrets, NeverInTheServersOutputOrPartnerList) {
  Env env;
  const Credentials a = env.AddPartner("LLODT");
  const Credentials b = env.AddPartner("OTHER");
  auto server = env.StartServer();
  ASSERT_NE(server, nullptr);
  const Client client(server->port(), a);

  // Normal traffic: a quote, an opt-out, a booking list.
  const auto package = client.CreateQuote();
  const std::string id = Str(package, {"id"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(client.Post("bookings/" + id + "/opt_out", std::nullopt).status, 204);
  EXPECT_EQ(client.Get("bookings/?limit=1").status, 200);

  // Hostile and broken ones, each carrying secrets where a log might echo them.
  const std::string forged_signature = "c2lnbmF0dXJlLXRoYXQtaXMtbm90LXJlYWw%3D";
  const std::vector<std::string> authorizations = {
      // The secret as the keyId, a forged signature.
      "Signature keyId=\"" + a.secret +
          "\",algorithm=\"hmac-sha512\",headers=\"date\","
          "signature=\"" +
          forged_signature + "\"",
      // A real key, a forged signature.
      "Signature keyId=\"" + a.key +
          "\",algorithm=\"hmac-sha512\",headers=\"date\","
          "signature=\"" +
          forged_signature + "\"",
      // Unparseable, with the secret in it.
      "Signature " + a.secret + " garbage=\"",
      // Another partner's key on this partner's path.
      "Signature keyId=\"" + b.key +
          "\",algorithm=\"hmac-sha512\",headers=\"date\","
          "signature=\"" +
          forged_signature + "\"",
  };
  for (const std::string& auth : authorizations) {
    RawRequest req;
    req.method = "POST";
    req.target = "/x/partners/LLODT/bookings/" + id + "/opt_out";
    req.headers = {{"Date", "Thu, 26 Nov 2026 12:00:00 GMT"},
                   {"Authorization", auth},
                   {"X-Api-Key", a.key},
                   {"X-Secret-Echo", a.secret}};
    const HttpReply r = SendRaw(server->port(), req);
    EXPECT_TRUE(r.status == 401 || r.status == 400 || r.status == 404) << r.Describe();
    EXPECT_EQ(r.body.find(a.secret), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find(forged_signature), std::string::npos) << r.body;
  }
  // A signed request with the secret in its body (a malformed quote).
  const HttpReply bad = client.Post("quotes/", "{\"request\": \"" + a.secret + "\"");
  EXPECT_EQ(bad.status, 400) << bad.Describe();
  EXPECT_EQ(bad.body.find(a.secret), std::string::npos) << bad.body;

  ASSERT_EQ(server->Terminate(), 0);
  const std::string out = server->stdout_text() + server->stderr_text();
  for (const std::string& secret : {a.secret, b.secret}) {
    EXPECT_EQ(out.find(secret), std::string::npos) << "a secret in the server's output:\n" << out;
  }
  EXPECT_EQ(out.find(forged_signature), std::string::npos) << out;
  EXPECT_EQ(out.find("Signature keyId"), std::string::npos) << out;

  const CommandResult list = RunOfferledger({"partner", "list", "--db", env.db_url()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(a.key), std::string::npos) << list.out;  // keys are shown
  for (const std::string& secret : {a.secret, b.secret}) {
    EXPECT_EQ((list.out + list.err).find(secret), std::string::npos) << list.out << list.err;
  }
}

}  // namespace
}  // namespace itest
