// Authentication over HTTP (CONTRACT.md, "Authentication"): every refusal is
// a 401 whose message names the failed check and never carries a secret.
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "auth/hmac.h"
#include "integration/fixture.h"

namespace itest {
namespace {

namespace json = boost::json;
using offerledger::Algorithm;
using std::chrono::seconds;

class Auth : public ServerTest {
 protected:
  // A cheap authenticated call: GET a package that exists.
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    secrets_.push_back(a_.secret);
    package_ = Str(c().CreateQuote(), {"id"});
    ASSERT_FALSE(package_.empty());
  }

  std::string Target() const { return c().Path("quotes/" + package_ + "/"); }

  HttpReply Call(const SignOptions& opts) const {
    return c().Send("GET", Target(), std::nullopt, opts);
  }
  HttpReply Call(const Client& client, const SignOptions& opts = {}) const {
    return client.Send("GET", client.Path("quotes/" + package_ + "/"), std::nullopt, opts);
  }

  // 401, an error body whose message contains every one of `words`
  // (case-insensitive), and no secret anywhere in the reply.
  void Expect401(const HttpReply& r, std::initializer_list<std::string_view> words,
                 const std::string& what) const {
    EXPECT_EQ(r.status, 401) << what << ": " << r.Describe();
    const json::value v = r.Json();
    EXPECT_FALSE(Str(v, {"type"}).empty()) << what << ": " << r.body;
    const std::string message = Str(v, {"message"});
    for (std::string_view w : words) {
      EXPECT_TRUE(ContainsI(message, w))
          << what << ": message \"" << message << "\" does not name the check (" << w << ")";
    }
    EXPECT_TRUE(Has(v, {"errors"})) << what << ": " << r.body;
    ExpectNoSecret(r, what);
  }

  void ExpectNoSecret(const HttpReply& r, const std::string& what) const {
    for (const std::string& secret : secrets_) {
      if (secret.empty()) continue;
      EXPECT_EQ(r.body.find(secret), std::string::npos) << what << " leaks a secret";
      for (const auto& [k, v] : r.headers) {
        EXPECT_EQ(v.find(secret), std::string::npos) << what << " leaks a secret in " << k;
      }
    }
  }

  std::string package_;
  std::vector<std::string> secrets_;  // every secret of this test: none may leak
};

TEST_F(Auth, SignedRequestIsAccepted) {
  const HttpReply r = Call(SignOptions{});
  EXPECT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(Str(r.Json(), {"id"}), package_);
}

TEST_F(Auth, MissingAuthorizationHeader) {
  RawRequest req = c().Build("GET", Target(), std::nullopt);
  std::erase_if(req.headers, [](const auto& h) { return ToLower(h.first) == "authorization"; });
  Expect401(SendRaw(port(), req), {"authorization"}, "no Authorization");
}

TEST_F(Auth, MalformedAuthorizationHeader) {
  for (const std::string bad :
       {"Signature", "Bearer abc.def", "Signature keyId=", "Signature keyId=\"x\",algorithm",
        "Signature garbage garbage", "Basic dXNlcjpwYXNz"}) {
    RawRequest req = c().Build("GET", Target(), std::nullopt);
    for (auto& [k, v] : req.headers) {
      if (ToLower(k) == "authorization") v = bad;
    }
    const HttpReply r = SendRaw(port(), req);
    EXPECT_EQ(r.status, 401) << bad << ": " << r.Describe();
    EXPECT_TRUE(ContainsI(Str(r.Json(), {"message"}), "authorization") ||
                ContainsI(Str(r.Json(), {"message"}), "signature"))
        << bad << ": " << r.body;
    ExpectNoSecret(r, bad);
  }
}

TEST_F(Auth, UnknownKey) {
  const Client stranger(port(), Credentials{a_.partner, "no-such-key-0123456789", a_.secret});
  Expect401(Call(stranger), {"key"}, "unknown key");
}

TEST_F(Auth, RevokedKeyRefusedAndAddedKeyWorksWithoutRestart) {
  // Rotation without downtime: add a second key, revoke the first, all while
  // the server runs.
  const Credentials second = env_.AddKey("LLODT");
  ASSERT_FALSE(second.key.empty());
  ASSERT_NE(second.key, a_.key);
  secrets_.push_back(second.secret);
  const Client second_client(port(), second);
  EXPECT_EQ(Call(second_client).status, 200);
  EXPECT_EQ(Call(c()).status, 200);

  ASSERT_EQ(env_.RevokeKey(a_.key), 0);
  Expect401(Call(c()), {"key"}, "revoked key");
  // The new key keeps working, on the same running process.
  const HttpReply ok = Call(second_client);
  EXPECT_EQ(ok.status, 200) << ok.Describe();
  EXPECT_EQ(Str(ok.Json(), {"id"}), package_);
  // A third key, added after the revocation, works at once too.
  const Credentials third = env_.AddKey("LLODT");
  secrets_.push_back(third.secret);
  EXPECT_EQ(Call(Client(port(), third)).status, 200);
}

TEST_F(Auth, StaleDateRefused) {
  SignOptions opts;
  opts.date = HttpDate(-seconds(400));
  Expect401(Call(opts), {"date"}, "Date 400 s old");
  opts.date = HttpDate(seconds(400));
  Expect401(Call(opts), {"date"}, "Date 400 s ahead");
  // Inside the default 300 s window: accepted.
  opts.date = HttpDate(-seconds(60));
  EXPECT_EQ(Call(opts).status, 200);
  opts.date = HttpDate(seconds(60));
  EXPECT_EQ(Call(opts).status, 200);
}

TEST_F(Auth, MissingDate) {
  SignOptions opts;
  opts.send_date = false;  // still listed in headers=, the value is just absent
  Expect401(Call(opts), {"date"}, "no Date header");
}

TEST_F(Auth, UnparseableDate) {
  SignOptions opts;
  opts.date = "yesterday";
  Expect401(Call(opts), {"date"}, "Date 'yesterday'");
}

TEST_F(Auth, ApiKeyHeaderMismatch) {
  SignOptions opts;
  opts.api_key_value = "some-other-key";
  Expect401(Call(opts), {"x-api-key"}, "X-Api-Key mismatch");
  // Absent X-Api-Key is fine: keyId names the key.
  SignOptions none;
  none.send_api_key = false;
  EXPECT_EQ(Call(none).status, 200);
}

TEST_F(Auth, WrongSecret) {
  SignOptions opts;
  opts.secret_override = "definitely-not-the-secret";
  const HttpReply r = Call(opts);
  Expect401(r, {"Signature string does not match!"}, "wrong secret");
  // Nor the signature the server expected.
  RawRequest good = c().Build("GET", Target(), std::nullopt);
  for (const auto& [k, v] : good.headers) {
    if (ToLower(k) != "authorization") continue;
    const std::size_t at = v.find("signature=\"");
    const std::string sig = v.substr(at + 11, v.size() - at - 12);
    EXPECT_EQ(r.body.find(sig), std::string::npos) << "leaks the expected signature";
  }
}

TEST_F(Auth, TamperedTargetRefused) {
  // Signed for one package, sent for another path: (request-target) is signed.
  RawRequest req = c().Build("GET", Target(), std::nullopt);
  req.target = c().Path("bookings/");
  Expect401(SendRaw(port(), req), {"signature"}, "tampered target");
}

TEST_F(Auth, Sha1RefusedByDefault) {
  SignOptions opts;
  opts.alg = Algorithm::kHmacSha1;
  Expect401(Call(opts), {"algorithm"}, "hmac-sha1 by default");
}

TEST_F(Auth, Sha256Sha384Sha512Accepted) {
  for (Algorithm alg : {Algorithm::kHmacSha256, Algorithm::kHmacSha384, Algorithm::kHmacSha512}) {
    SignOptions opts;
    opts.alg = alg;
    const HttpReply r = Call(opts);
    EXPECT_EQ(r.status, 200) << offerledger::AlgorithmName(alg) << ": " << r.Describe();
  }
}

TEST_F(Auth, DateOnlySignedHeadersAccepted) {
  SignOptions opts;
  opts.signed_headers = {"date"};
  const HttpReply r = Call(opts);
  EXPECT_EQ(r.status, 200) << r.Describe();
}

TEST_F(Auth, OfficialClientStyleAccepted) {
  // Lower-case `date`, body `null` with Content-Type application/json on GET,
  // and the python-requests headers, as in every recorded GET.
  SignOptions opts;
  opts.date_header_name = "date";
  opts.extra_headers = {{"User-Agent", "python-requests/2.26.0"},
                        {"Accept", "*/*"},
                        {"Accept-Encoding", "gzip, deflate"}};
  const HttpReply r = c().Send("GET", Target(), std::string("null"), opts);
  EXPECT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(Str(r.Json(), {"id"}), package_);
  // And a POST the same way.
  const HttpReply created = c().Send("POST", c().Path("quotes/"), CassetteQuoteBody(), opts);
  EXPECT_EQ(created.status, 201) << created.Describe();
}

TEST_F(Auth, KeyOfAnotherPartnerOnThisPathIs404) {
  const Credentials b = env_.AddPartner("OTHER");
  secrets_.push_back(b.secret);
  const Client b_on_a(port(), Credentials{a_.partner, b.key, b.secret});
  const HttpReply r = Call(b_on_a);
  EXPECT_EQ(r.status, 404) << r.Describe();
  ExpectNoSecret(r, "B on A's path");
}

class AuthWithSha1 : public Auth {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--allow-sha1"}; }
};

TEST_F(AuthWithSha1, Sha1AcceptedWhenEnabled) {
  SignOptions opts;
  opts.alg = Algorithm::kHmacSha1;
  const HttpReply r = Call(opts);
  EXPECT_EQ(r.status, 200) << r.Describe();
  // The others still work.
  EXPECT_EQ(Call(SignOptions{}).status, 200);
}

class AuthWithSmallSkew : public Auth {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--max-skew", "5"}; }
};

TEST_F(AuthWithSmallSkew, DateOutsideFiveSecondsRefused) {
  SignOptions opts;
  opts.date = HttpDate(-seconds(30));
  Expect401(Call(opts), {"date"}, "Date 30 s old with --max-skew 5");
  opts.date = HttpDate(seconds(30));
  Expect401(Call(opts), {"date"}, "Date 30 s ahead with --max-skew 5");
  opts.date = HttpDate(-seconds(1));
  EXPECT_EQ(Call(opts).status, 200);
}

}  // namespace
}  // namespace itest
