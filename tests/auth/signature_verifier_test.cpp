#include "auth/signature_verifier.h"

#include <atomic>
#include <cctype>
#include <map>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "auth/http_date.h"
#include "auth/signer.h"

namespace offerledger {
namespace {

constexpr std::string_view kDate = "Thu, 04 Nov 2021 18:07:11 GMT";
constexpr Micros kDateMicros = 1636049231 * kMicrosPerSecond;
constexpr std::string_view kKey = "LLODT_KEY";
constexpr std::string_view kSecret = "partner-secret";
constexpr std::string_view kOptOut = "/x/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An HTTP request as the verifier sees it: header names are matched
// case-insensitively and repeated fields are kept apart, as an HTTP parser does.
struct FakeRequest {
  std::string method = "POST";
  std::string target = std::string(kOptOut);
  std::vector<std::pair<std::string, std::string>> headers;

  FakeRequest& Add(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  FakeRequest& Remove(std::string_view name) {
    std::erase_if(headers, [&](const auto& h) { return Lower(h.first) == Lower(name); });
    return *this;
  }
  std::optional<std::string_view> First(std::string_view lower_name) const {
    for (const auto& [n, v] : headers) {
      if (Lower(n) == lower_name) return std::string_view(v);
    }
    return std::nullopt;
  }
  AuthRequest View() const {
    return AuthRequest{method, target, [this](std::string_view lower_name) {
                         std::vector<std::string_view> out;
                         for (const auto& [n, v] : headers) {
                           if (Lower(n) == lower_name) out.emplace_back(v);
                         }
                         return out;
                       }};
  }
  // Signs the request as it stands now, the way the official client does.
  FakeRequest& Sign(std::vector<std::string> signed_headers = {"(request-target)", "date"},
                    Algorithm alg = Algorithm::kHmacSha512, std::string_view key = kKey,
                    std::string_view secret = kSecret) {
    const std::string auth = BuildAuthorization(key, secret, alg, signed_headers, method, target,
                                                [this](std::string_view n) { return First(n); });
    return Add("Authorization", auth);
  }
};

FakeRequest Dated(std::string_view date = kDate) {
  FakeRequest r;
  r.Add("Date", std::string(date));
  return r;
}

// A key store holding LLODT_KEY; counts look-ups so tests can check that
// cheap failures never reach it.
struct FakeKeys {
  std::map<std::string, KeyRecord, std::less<>> keys{
      {std::string(kKey), KeyRecord{"LLODT", std::string(kSecret)}},
      {"test_api_key", KeyRecord{"TEST", "test_api_secret"}},
      {"OLD_KEY", KeyRecord{"LLODT", std::string(kSecret), /*revoked=*/true}},
      {"EMPTY_SECRET", KeyRecord{"LLODT", ""}},
  };
  int calls = 0;
  std::optional<Status> fail;
  KeyLookup Lookup() {
    return [this](std::string_view key) -> Result<std::optional<KeyRecord>> {
      ++calls;
      if (fail) return *fail;
      auto it = keys.find(key);
      if (it == keys.end()) return std::optional<KeyRecord>();
      return std::optional<KeyRecord>(it->second);
    };
  }
};

class VerifierTest : public ::testing::Test {
 protected:
  Result<AuthIdentity> Verify(const FakeRequest& r, Micros now = kDateMicros,
                              VerifierOptions opts = {}) {
    return SignatureVerifier(opts).Verify(r.View(), now, keys_.Lookup());
  }
  // The 401 message, or "OK" when verification succeeded.
  std::string Error(const FakeRequest& r, Micros now = kDateMicros, VerifierOptions opts = {}) {
    Result<AuthIdentity> res = Verify(r, now, opts);
    if (res.ok()) return "OK";
    EXPECT_EQ(res.status().code(), StatusCode::kUnauthenticated) << res.status().ToString();
    return res.status().message();
  }
  FakeKeys keys_;
};

constexpr std::string_view kMismatch = "Signature string does not match!";

TEST_F(VerifierTest, OfficialClientDefaultRequest) {
  FakeRequest r = Dated();
  r.Sign();
  Result<AuthIdentity> id = Verify(r);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->partner, "LLODT");
  EXPECT_EQ(id->api_key, "LLODT_KEY");
}

// The exact header from the official client's test suite, verified end to end.
TEST_F(VerifierTest, OfficialClientTestVector) {
  FakeRequest r;
  r.method = "GET";
  r.target = "/get";
  r.Add("date", "Sun, 29 Aug 2021 12:07:26 GMT")
      .Add(
          "Authorization",
          R"(Signature keyId="test_api_key",algorithm="hmac-sha256",headers="date",signature="bfxytCfvFqito27v0%2FKcN1jBJsgnCReimKXdAWwoi0k%3D")");
  Result<AuthIdentity> id = Verify(r, 1630238846 * kMicrosPerSecond);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->partner, "TEST");
  EXPECT_EQ(id->api_key, "test_api_key");
}

// Literal signature from the openssl CLI (hmac_test.cpp MultiLineSha512Vector);
// the query string is not part of the signed path.
TEST_F(VerifierTest, CliVectorWithQueryStringStripped) {
  FakeRequest r = Dated();
  r.target = std::string(kOptOut) + "?utm=1&x=%2F";
  r.Add(
      "Authorization",
      R"(Signature keyId="LLODT_KEY",algorithm="hmac-sha512",headers="(request-target) date",)"
      R"(signature="%2FPtPm4VrbLS07%2FwDaFwpdFI1GjKoaKd%2Bu97unfla2WJqhhOav0gGpCe%2BTk1%2FvaK0mKfxQzvZWNTE867Il5fwjg%3D%3D")");
  EXPECT_EQ(Error(r), "OK");
}

// L1='(request-target): get /xcover/partners/LLODT/quotes/PYWUR-TAPHT-INS/'
// L2='date: Thu, 04 Nov 2021 18:07:11 GMT'
// L3='x-api-key: LLODT_KEY'
// STR2="$(printf '%s\n%s\n%s' "$L1" "$L2" "$L3")"
// printf '%s' "$STR2" | openssl dgst -sha256 -hmac 'partner-secret' -binary | base64 -w0
//   -> TxAE/gMuK1fucWLWlInejZdrzwNd25CRjMQDP5wzcxI=
TEST_F(VerifierTest, CliVectorTrailingSlashAndApiKeySigned) {
  FakeRequest r;
  r.method = "GET";
  r.target = "/xcover/partners/LLODT/quotes/PYWUR-TAPHT-INS/";
  r.Add("date", std::string(kDate)).Add("X-API-KEY", "LLODT_KEY");
  r.Add(
      "Authorization",
      R"(Signature keyId="LLODT_KEY",algorithm="hmac-sha256",headers="(request-target) date x-api-key",)"
      R"(signature="TxAE%2FgMuK1fucWLWlInejZdrzwNd25CRjMQDP5wzcxI%3D")");
  EXPECT_EQ(Error(r), "OK");
  // Without the trailing slash it is another path, hence another signature.
  r.target.pop_back();
  EXPECT_EQ(Error(r), kMismatch);
}

TEST_F(VerifierTest, NonEncodedStandardBase64Accepted) {
  FakeRequest r = Dated();
  r.Add(
      "Authorization",
      R"(Signature keyId="LLODT_KEY",algorithm="hmac-sha512",headers="(request-target) date",)"
      R"(signature="/PtPm4VrbLS07/wDaFwpdFI1GjKoaKd+u97unfla2WJqhhOav0gGpCe+Tk1/vaK0mKfxQzvZWNTE867Il5fwjg==")");
  EXPECT_EQ(Error(r), "OK");
}

TEST_F(VerifierTest, UrlSafeBase64Rejected) {
  FakeRequest r = Dated();
  r.Add(
      "Authorization",
      R"(Signature keyId="LLODT_KEY",algorithm="hmac-sha512",headers="(request-target) date",)"
      R"(signature="_PtPm4VrbLS07_wDaFwpdFI1GjKoaKd-u97unfla2WJqhhOav0gGpCe-Tk1_vaK0mKfxQzvZWNTE867Il5fwjg%3D%3D")");
  EXPECT_EQ(Error(r), kMismatch);
}

TEST_F(VerifierTest, ShuffledParametersAndUnknownOnesAccepted) {
  FakeRequest r = Dated();
  r.Add(
      "Authorization",
      R"(Signature signature="%2FPtPm4VrbLS07%2FwDaFwpdFI1GjKoaKd%2Bu97unfla2WJqhhOav0gGpCe%2BTk1%2FvaK0mKfxQzvZWNTE867Il5fwjg%3D%3D", )"
      R"(nonce="abc", headers="(request-target) date", keyId="LLODT_KEY", algorithm="hmac-sha512")");
  EXPECT_EQ(Error(r), "OK");
}

TEST_F(VerifierTest, HeadersParameterAbsentMeansDate) {
  // What the Postman script in the XCover documentation sends.
  FakeRequest r = Dated();
  const std::string sig =
      ComputeSignature(Algorithm::kHmacSha512, kSecret, "date: " + std::string(kDate)).value();
  r.Add("Authorization",
        R"(Signature keyId="LLODT_KEY",algorithm="hmac-sha512",signature=")" + sig + "\"");
  EXPECT_EQ(Error(r), "OK");
}

TEST_F(VerifierTest, LowerCaseDateHeaderAndMixedCaseSignedName) {
  FakeRequest r;
  r.Add("date", std::string(kDate));
  r.Sign({"(request-target)", "Date"});
  EXPECT_EQ(Error(r), "OK");
}

TEST_F(VerifierTest, AllSha2Algorithms) {
  for (Algorithm alg : {Algorithm::kHmacSha256, Algorithm::kHmacSha384, Algorithm::kHmacSha512}) {
    FakeRequest r = Dated();
    r.Sign({"(request-target)", "date"}, alg);
    EXPECT_EQ(Error(r), "OK") << AlgorithmName(alg);
  }
}

TEST_F(VerifierTest, Sha1RefusedByDefaultAcceptedWithOption) {
  FakeRequest r = Dated();
  r.Sign({"(request-target)", "date"}, Algorithm::kHmacSha1);
  EXPECT_EQ(Error(r),
            "unsupported algorithm: hmac-sha1 is deprecated and disabled; use hmac-sha256, "
            "hmac-sha384 or hmac-sha512");
  EXPECT_EQ(Error(r, kDateMicros, VerifierOptions{.allow_sha1 = true}), "OK");
}

TEST_F(VerifierTest, UnsupportedAlgorithm) {
  FakeRequest r = Dated();
  r.Add("Authorization", R"(Signature keyId="LLODT_KEY",algorithm="hmac-md5",signature="abc")");
  EXPECT_EQ(Error(r), "unsupported algorithm: use hmac-sha256, hmac-sha384 or hmac-sha512");
  EXPECT_EQ(keys_.calls, 0);
}

TEST_F(VerifierTest, ListedButAbsentHeaderSkippedLikeTheOfficialClient) {
  FakeRequest r = Dated();
  r.Sign({"(request-target)", "date", "x-request-id"});  // x-request-id never sent
  EXPECT_EQ(Error(r), "OK");
  // Adding it afterwards changes the signing string: the signature no longer holds.
  r.Add("X-Request-Id", "injected");
  EXPECT_EQ(Error(r), kMismatch);
}

// Independent of our signer: the CLI signature of the two-line string
// (hmac_test.cpp MultiLineSha512Vector) must verify when the header list also
// names x-request-id and the request does not carry it.
TEST_F(VerifierTest, ListedButAbsentHeaderCliVector) {
  FakeRequest r = Dated();
  r.Add(
      "Authorization",
      R"(Signature keyId="LLODT_KEY",algorithm="hmac-sha512",headers="(request-target) date x-request-id",)"
      R"(signature="%2FPtPm4VrbLS07%2FwDaFwpdFI1GjKoaKd%2Bu97unfla2WJqhhOav0gGpCe%2BTk1%2FvaK0mKfxQzvZWNTE867Il5fwjg%3D%3D")");
  EXPECT_EQ(Error(r), "OK");
}

TEST_F(VerifierTest, RepeatedSignedHeaderCombinedWithComma) {
  FakeRequest r = Dated();
  r.Add("X-Tag", "a").Add("X-Tag", "b");
  const std::string sig = ComputeSignature(Algorithm::kHmacSha256, kSecret,
                                           "date: " + std::string(kDate) + "\nx-tag: a, b")
                              .value();
  r.Add("Authorization",
        R"(Signature keyId="LLODT_KEY",algorithm="hmac-sha256",headers="date x-tag",signature=")" +
            sig + "\"");
  EXPECT_EQ(Error(r), "OK");
}

TEST_F(VerifierTest, MissingAuthorization) {
  EXPECT_EQ(Error(Dated()), "missing Authorization header");
  FakeRequest r;
  r.Add("Date", std::string(kDate));
  AuthRequest no_headers{r.method, r.target, nullptr};
  EXPECT_EQ(
      SignatureVerifier({}).Verify(no_headers, kDateMicros, keys_.Lookup()).status().message(),
      "missing Authorization header");
}

TEST_F(VerifierTest, MalformedAuthorization) {
  FakeRequest r = Dated();
  r.Add("Authorization", "Basic dXNlcjpwYXNz");
  EXPECT_EQ(Error(r).rfind("malformed Authorization header: expected the \"Signature\" scheme", 0),
            0u);
  EXPECT_EQ(keys_.calls, 0);
}

TEST_F(VerifierTest, DuplicatedAuthorization) {
  FakeRequest r = Dated();
  r.Sign().Sign();
  EXPECT_EQ(Error(r), "duplicated Authorization header");
}

TEST_F(VerifierTest, DuplicatedDate) {
  FakeRequest r = Dated();
  r.Sign();
  r.Add("date", std::string(kDate));
  EXPECT_EQ(Error(r), "duplicated Date header");
}

TEST_F(VerifierTest, DuplicatedApiKey) {
  FakeRequest r = Dated();
  r.Add("X-Api-Key", std::string(kKey)).Add("x-api-key", std::string(kKey));
  r.Sign();
  EXPECT_EQ(Error(r), "duplicated X-Api-Key header");
}

TEST_F(VerifierTest, MissingDate) {
  FakeRequest r = Dated();
  r.Sign();
  r.Remove("Date");
  EXPECT_EQ(Error(r), "missing Date header");
}

TEST_F(VerifierTest, UnparseableDate) {
  FakeRequest r = Dated("Thu, 4 Nov 2021 18:07:11 GMT");
  r.Sign();
  EXPECT_EQ(Error(r),
            "unparseable Date header: expected an RFC 7231 date such as "
            "\"Thu, 04 Nov 2021 18:07:11 GMT\" (zero-padded, GMT)");
  EXPECT_EQ(keys_.calls, 0);
}

TEST_F(VerifierTest, SkewBoundaryInThePast) {
  FakeRequest r = Dated();
  r.Sign();
  EXPECT_EQ(Error(r, kDateMicros + 300 * kMicrosPerSecond), "OK");
  EXPECT_EQ(Error(r, kDateMicros + 300 * kMicrosPerSecond + 1),
            "stale date: the Date header is more than 300 s behind the server clock");
  EXPECT_EQ(Error(r, kDateMicros + 301 * kMicrosPerSecond),
            "stale date: the Date header is more than 300 s behind the server clock");
}

TEST_F(VerifierTest, SkewBoundaryInTheFuture) {
  FakeRequest r = Dated();
  r.Sign();
  EXPECT_EQ(Error(r, kDateMicros - 300 * kMicrosPerSecond), "OK");
  EXPECT_EQ(Error(r, kDateMicros - 301 * kMicrosPerSecond),
            "date in the future: the Date header is more than 300 s ahead of the server clock");
}

TEST_F(VerifierTest, SkewIsConfigurable) {
  FakeRequest r = Dated();
  r.Sign();
  const VerifierOptions tight{.max_skew = 30 * kMicrosPerSecond};
  EXPECT_EQ(Error(r, kDateMicros + 30 * kMicrosPerSecond, tight), "OK");
  EXPECT_EQ(Error(r, kDateMicros + 31 * kMicrosPerSecond, tight),
            "stale date: the Date header is more than 30 s behind the server clock");
}

TEST_F(VerifierTest, ApiKeyOptionalButMustMatchKeyId) {
  FakeRequest r = Dated();
  r.Add("X-Api-Key", std::string(kKey));
  r.Sign();
  EXPECT_EQ(Error(r), "OK");

  FakeRequest other = Dated();
  other.Add("X-Api-Key", "SOMEONE_ELSE");
  other.Sign();
  EXPECT_EQ(Error(other), "the X-Api-Key header does not match the signature keyId");
  EXPECT_EQ(keys_.calls, 1);  // only the first request reached the key store
}

TEST_F(VerifierTest, SignedHeadersMustIncludeDate) {
  FakeRequest r = Dated();
  r.Sign({"(request-target)"});
  EXPECT_EQ(Error(r),
            "the signed headers must include date: the signed Date is what stops a captured "
            "request from being replayed");
  EXPECT_EQ(keys_.calls, 0);
}

TEST_F(VerifierTest, UnknownKey) {
  FakeRequest r = Dated();
  r.Sign({"(request-target)", "date"}, Algorithm::kHmacSha512, "NOPE");
  EXPECT_EQ(Error(r), "unknown API key");
}

TEST_F(VerifierTest, RevokedKeyLooksUnknown) {
  FakeRequest r = Dated();
  r.Sign({"(request-target)", "date"}, Algorithm::kHmacSha512, "OLD_KEY");
  EXPECT_EQ(Error(r), "unknown API key");
}

TEST_F(VerifierTest, EmptySecretLooksUnknown) {
  // Anyone can compute an HMAC with an empty key: such a record must not authenticate.
  FakeRequest r = Dated();
  r.Sign({"(request-target)", "date"}, Algorithm::kHmacSha512, "EMPTY_SECRET", "");
  EXPECT_EQ(Error(r), "unknown API key");
}

TEST_F(VerifierTest, LookupErrorPassedThroughUnchanged) {
  FakeRequest r = Dated();
  r.Sign();
  keys_.fail = Status::Unavailable("database is down");
  Result<AuthIdentity> res = Verify(r);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(res.status().message(), "database is down");
}

TEST_F(VerifierTest, WrongSecretDoesNotMatchAndLeaksNothing) {
  FakeRequest r = Dated();
  r.Sign({"(request-target)", "date"}, Algorithm::kHmacSha512, kKey, "wrong-secret");
  Result<AuthIdentity> res = Verify(r);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), kMismatch);
  const std::string expected_sig =
      ComputeSignature(
          Algorithm::kHmacSha512, kSecret,
          "(request-target): post " + std::string(kOptOut) + "\ndate: " + std::string(kDate))
          .value();
  EXPECT_EQ(res.status().ToString().find(expected_sig), std::string::npos);
  EXPECT_EQ(res.status().ToString().find(kSecret), std::string::npos);
}

TEST_F(VerifierTest, TamperedRequestDoesNotMatch) {
  FakeRequest base = Dated();
  base.Sign();

  FakeRequest other_path = base;
  other_path.target = "/x/partners/LLODT/bookings/ZZZZZ-ZZZZZ-INS/opt_out";
  EXPECT_EQ(Error(other_path), kMismatch);

  FakeRequest other_method = base;
  other_method.method = "DELETE";
  EXPECT_EQ(Error(other_method), kMismatch);

  // A Date moved within the window, to replay the request later: caught.
  FakeRequest other_date = base;
  other_date.Remove("Date").Add("Date", "Thu, 04 Nov 2021 18:07:12 GMT");
  EXPECT_EQ(Error(other_date), kMismatch);
}

// One verifier for many requests, as the server has: its cache of prepared
// HMAC keys must follow the key store, never lead it.
TEST_F(VerifierTest, RotatedSecretIsNotServedFromTheCache) {
  const SignatureVerifier verifier(VerifierOptions{});
  FakeRequest old_sig = Dated();
  old_sig.Sign();
  ASSERT_TRUE(verifier.Verify(old_sig.View(), kDateMicros, keys_.Lookup()).ok());

  keys_.keys[std::string(kKey)].secret = "rotated-secret";
  Result<AuthIdentity> res = verifier.Verify(old_sig.View(), kDateMicros, keys_.Lookup());
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), kMismatch);

  FakeRequest new_sig = Dated();
  new_sig.Sign({"(request-target)", "date"}, Algorithm::kHmacSha512, kKey, "rotated-secret");
  EXPECT_TRUE(verifier.Verify(new_sig.View(), kDateMicros, keys_.Lookup()).ok());
  EXPECT_FALSE(verifier.Verify(old_sig.View(), kDateMicros, keys_.Lookup()).ok());
}

TEST_F(VerifierTest, KeyRevokedAfterUseFails) {
  const SignatureVerifier verifier(VerifierOptions{});
  FakeRequest r = Dated();
  r.Sign();
  ASSERT_TRUE(verifier.Verify(r.View(), kDateMicros, keys_.Lookup()).ok());
  keys_.keys[std::string(kKey)].revoked = true;
  EXPECT_EQ(verifier.Verify(r.View(), kDateMicros, keys_.Lookup()).status().message(),
            "unknown API key");
  keys_.keys.erase(std::string(kKey));  // deleted outright
  EXPECT_EQ(verifier.Verify(r.View(), kDateMicros, keys_.Lookup()).status().message(),
            "unknown API key");
}

// Handler threads share one verifier: good and bad signatures of two keys,
// verified at once, each get their own answer.
TEST(VerifierConcurrencyTest, ThreadsShareOneVerifier) {
  const std::map<std::string, KeyRecord, std::less<>> keys = {
      {"KEY_A", KeyRecord{"A", "secret-a"}}, {"KEY_B", KeyRecord{"B", "secret-b"}}};
  const KeyLookup lookup = [&keys](std::string_view key) -> Result<std::optional<KeyRecord>> {
    auto it = keys.find(key);
    if (it == keys.end()) return std::optional<KeyRecord>();
    return std::optional<KeyRecord>(it->second);
  };
  struct Case {
    FakeRequest req;
    std::string partner;  // "" = must fail
  };
  std::vector<Case> cases;
  for (const auto& [key, secret, partner] :
       {std::tuple{"KEY_A", "secret-a", "A"}, std::tuple{"KEY_B", "secret-b", "B"},
        std::tuple{"KEY_A", "secret-b", ""}, std::tuple{"KEY_B", "wrong", ""}}) {
    FakeRequest r = Dated();
    r.Sign({"(request-target)", "date"}, Algorithm::kHmacSha512, key, secret);
    cases.push_back({std::move(r), partner});
  }
  const SignatureVerifier verifier(VerifierOptions{});
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const Case& c = cases[static_cast<std::size_t>(t + i) % cases.size()];
        Result<AuthIdentity> id = verifier.Verify(c.req.View(), kDateMicros, lookup);
        const bool right = c.partner.empty() ? !id.ok() && id.status().message() == kMismatch
                                             : id.ok() && id->partner == c.partner;
        if (!right) ++wrong;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(VerifierTest, MethodCaseDoesNotMatter) {
  FakeRequest r = Dated();
  r.method = "post";
  r.Sign();
  r.method = "POST";
  EXPECT_EQ(Error(r), "OK");
}

}  // namespace
}  // namespace offerledger
