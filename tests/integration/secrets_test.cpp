// Secrets never reach the logs or another command's output (issue 8): the
// server's stdout and stderr, after signed, mis-signed and hostile requests
// (a secret sent as the keyId, in a header of its own, in a body, and an
// Authorization header that fails to parse), hold neither the partner's
// secret nor any Authorization value it was sent; `partner list` shows keys,
// never secrets. With a master key (--master-key-file), secrets are
// encrypted at rest: neither the database file nor the row holds them, the
// server accepts signed requests, and a wrong, missing or readable key file
// stops it with a clear message.
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

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

// A master key file in `dir` with `mode`.
std::string WriteKeyFile(const std::filesystem::path& dir, const std::string& name,
                         const std::string& hex, mode_t mode) {
  const std::string path = (dir / name).string();
  std::ofstream(path) << hex << "\n";
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

const std::string kKeyHex = "5b1e0f3c9a7d2e4b8c6f1a0d3e5b7c9f2a4d6e8b0c1f3a5d7e9b2c4f6a8d0e1b";
const std::string kOtherHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// `partner add|add-key ... --json` with extra arguments; empty on failure.
Credentials AddWith(const std::vector<std::string>& args) {
  const CommandResult r = RunOfferledger(args);
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  if (r.exit_code != 0) return {};
  const boost::json::object o = boost::json::parse(r.out).as_object();
  return {std::string(o.at("partner").as_string()), std::string(o.at("api_key").as_string()),
          std::string(o.at("api_secret").as_string())};
}

// Every byte of the SQLite database files in `dir` (db, WAL, journal).
std::string SqliteBytes(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("offerledger.db", 0) != 0) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    all += s.str();
  }
  return all;
}

// `offerledger serve` that is expected to refuse to start: its result.
CommandResult ServeExpectingRefusal(const Env& env, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--db", env.db_url()};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunOfferledger(args);
}

TEST(Secrets, EncryptedAtRestAndServedWithTheMasterKey) {
  Env env;
  const std::string key_file = WriteKeyFile(env.dir(), "offerledger.key", kKeyHex, 0600);
  const Credentials a = AddWith(
      {"partner", "add", "LLODT", "--db", env.db_url(), "--json", "--master-key-file", key_file});
  const Credentials a2 = AddWith(
      {"partner", "add-key", "LLODT", "--db", env.db_url(), "--json", "--master-key-file", key_file});
  ASSERT_FALSE(a.secret.empty());
  ASSERT_FALSE(a2.secret.empty());

  const auto rows = env.Query("SELECT key, secret FROM api_keys ORDER BY key");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row[1].rfind("olsec1:", 0), 0u) << "not encrypted";
    for (const std::string& secret : {a.secret, a2.secret}) {
      EXPECT_EQ(row[1].find(secret), std::string::npos);
    }
  }
  if (!env.postgres()) {
    const std::string bytes = SqliteBytes(env.dir());
    ASSERT_NE(bytes.find(a.key), std::string::npos);  // the file was read
    EXPECT_EQ(bytes.find(a.secret), std::string::npos);
    EXPECT_EQ(bytes.find(a2.secret), std::string::npos);
  }

  auto server = env.StartServer({"--master-key-file", key_file});
  ASSERT_NE(server, nullptr);
  for (const Credentials* c : {&a, &a2}) {
    const Client client(server->port(), *c);
    const auto package = client.CreateQuote();
    EXPECT_FALSE(Str(package, {"id"}).empty());
    EXPECT_EQ(client.Get("bookings/?limit=1").status, 200);
  }
  Credentials forged = a;
  forged.secret = "not-" + a.secret;
  EXPECT_EQ(Client(server->port(), forged).Get("bookings/?limit=1").status, 401);
  ASSERT_EQ(server->Terminate(), 0);
  const std::string out = server->stdout_text() + server->stderr_text();
  for (const std::string& secret : {a.secret, a2.secret, kKeyHex}) {
    EXPECT_EQ(out.find(secret), std::string::npos) << out;
  }
  EXPECT_EQ(out.find("unencrypted"), std::string::npos) << out;

  // The master key from the environment works the same (same key, hex).
  ::setenv("OFFERLEDGER_MASTER_KEY", kKeyHex.c_str(), 1);
  auto from_env = env.StartServer();
  ::unsetenv("OFFERLEDGER_MASTER_KEY");
  ASSERT_NE(from_env, nullptr);
  EXPECT_EQ(Client(from_env->port(), a).Get("bookings/?limit=1").status, 200);
  ASSERT_EQ(from_env->Terminate(), 0);
}

TEST(Secrets, WrongMissingOrExposedMasterKeyIsRefused) {
  Env env;
  const std::string key_file = WriteKeyFile(env.dir(), "offerledger.key", kKeyHex, 0600);
  const Credentials a = AddWith(
      {"partner", "add", "LLODT", "--db", env.db_url(), "--json", "--master-key-file", key_file});

  const std::string wrong = WriteKeyFile(env.dir(), "wrong.key", kOtherHex, 0600);
  const CommandResult wrong_key = ServeExpectingRefusal(env, {"--master-key-file", wrong});
  EXPECT_NE(wrong_key.exit_code, 0);
  EXPECT_NE(wrong_key.err.find("master key does not decrypt"), std::string::npos) << wrong_key.err;

  const CommandResult no_key = ServeExpectingRefusal(env, {});
  EXPECT_NE(no_key.exit_code, 0);
  EXPECT_NE(no_key.err.find("OFFERLEDGER_MASTER_KEY"), std::string::npos) << no_key.err;
  EXPECT_NE(no_key.err.find("--master-key-file"), std::string::npos) << no_key.err;

  const std::string open_file = WriteKeyFile(env.dir(), "open.key", kKeyHex, 0644);
  const CommandResult exposed = ServeExpectingRefusal(env, {"--master-key-file", open_file});
  EXPECT_NE(exposed.exit_code, 0);
  EXPECT_NE(exposed.err.find("chmod 600 " + open_file), std::string::npos) << exposed.err;

  const std::string short_file = WriteKeyFile(env.dir(), "short.key", kKeyHex.substr(4), 0600);
  const CommandResult bad = ServeExpectingRefusal(env, {"--master-key-file", short_file});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("64 hex digits"), std::string::npos) << bad.err;

  // No plain secret is added to an encrypted database, none with another key.
  const CommandResult plain_add =
      RunOfferledger({"partner", "add-key", "LLODT", "--db", env.db_url(), "--json"});
  EXPECT_NE(plain_add.exit_code, 0);
  EXPECT_NE(plain_add.err.find("OFFERLEDGER_MASTER_KEY"), std::string::npos) << plain_add.err;
  const CommandResult other_add = RunOfferledger(
      {"partner", "add-key", "LLODT", "--db", env.db_url(), "--master-key-file", wrong});
  EXPECT_NE(other_add.exit_code, 0);
  EXPECT_EQ(env.Query("SELECT key FROM api_keys").size(), 1u);

  for (const CommandResult* r : {&wrong_key, &no_key, &exposed, &bad, &plain_add, &other_add}) {
    EXPECT_EQ((r->out + r->err).find(a.secret), std::string::npos);
    EXPECT_EQ((r->out + r->err).find(kKeyHex), std::string::npos);
    EXPECT_EQ((r->out + r->err).find(kOtherHex), std::string::npos);
  }
}

TEST(Secrets, PlainSecretsWarnThenAreEncryptedWhenAKeyIsGiven) {
  Env env;
  const Credentials a = env.AddPartner("LLODT");  // no master key: plain text
  ASSERT_EQ(env.Query("SELECT secret FROM api_keys")[0][0], a.secret);

  auto plain = env.StartServer();
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(Client(plain->port(), a).Get("bookings/?limit=1").status, 200);
  ASSERT_EQ(plain->Terminate(), 0);
  const std::string plain_err = plain->stderr_text();
  const auto warning = plain_err.find("API secrets are stored unencrypted");
  EXPECT_NE(warning, std::string::npos) << plain_err;
  EXPECT_EQ(plain_err.find("API secrets are stored unencrypted", warning + 1), std::string::npos)
      << "warned twice";

  const std::string key_file = WriteKeyFile(env.dir(), "offerledger.key", kKeyHex, 0600);
  auto sealed = env.StartServer({"--master-key-file", key_file});
  ASSERT_NE(sealed, nullptr);
  EXPECT_EQ(Client(sealed->port(), a).Get("bookings/?limit=1").status, 200);
  ASSERT_EQ(sealed->Terminate(), 0);
  EXPECT_NE(sealed->stderr_text().find("encrypted 1 API secret"), std::string::npos)
      << sealed->stderr_text();
  const auto rows = env.Query("SELECT secret FROM api_keys");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].rfind("olsec1:", 0), 0u);

  // The explicit command finds nothing left to do, and checks the key.
  const CommandResult seal = RunOfferledger(
      {"partner", "seal-secrets", "--db", env.db_url(), "--master-key-file", key_file});
  EXPECT_EQ(seal.exit_code, 0) << seal.err;
  EXPECT_NE(seal.out.find("sealed 0 plain-text API secrets; 1 encrypted"), std::string::npos)
      << seal.out;
  const CommandResult no_key = RunOfferledger({"partner", "seal-secrets", "--db", env.db_url()});
  EXPECT_NE(no_key.exit_code, 0);
  EXPECT_NE(no_key.err.find("--master-key-file"), std::string::npos) << no_key.err;
}

}  // namespace
}  // namespace itest
