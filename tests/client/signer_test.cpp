// Signatures equal ones computed independently with the openssl CLI, for
// every algorithm and several header lists.
#include "client/signer.h"

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace offerledger::client {
namespace {

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string UrlEnc(const std::string& b64) {
  std::string o;
  for (char c : b64) {
    if (c == '+')
      o += "%2B";
    else if (c == '/')
      o += "%2F";
    else if (c == '=')
      o += "%3D";
    else
      o += c;
  }
  return o;
}

// HMAC via `openssl dgst`, the signing string written to a file first.
std::string OpensslSignature(const std::string& digest, const std::string& secret,
                             const std::string& signing_string) {
  char path[] = "/tmp/ol-signer-XXXXXX";
  const int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  FILE* f = ::fdopen(fd, "w");
  std::fwrite(signing_string.data(), 1, signing_string.size(), f);
  std::fclose(f);
  const std::string b64 = Shell("openssl dgst -" + digest + " -hmac '" + secret + "' -binary " +
                                path + " | base64 -w0");
  ::unlink(path);
  return UrlEnc(b64);
}

struct Case {
  Algorithm alg;
  const char* name;
  const char* digest;
};

TEST(Signer, MatchesOpensslForEveryAlgorithmAndHeaderList) {
  const Case cases[] = {{Algorithm::kHmacSha1, "hmac-sha1", "sha1"},
                        {Algorithm::kHmacSha256, "hmac-sha256", "sha256"},
                        {Algorithm::kHmacSha384, "hmac-sha384", "sha384"},
                        {Algorithm::kHmacSha512, "hmac-sha512", "sha512"}};
  const std::string date = "Thu, 04 Nov 2021 18:07:11 GMT";
  const std::string target = "/xcover/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out?x=1";
  const std::string path = "/xcover/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out";
  const std::string idem = "0f8fad5b-d9cb-469f-a165-70867728950e";
  struct HeaderCase {
    std::vector<std::string> headers;
    std::string signing_string;
  };
  const HeaderCase header_cases[] = {
      {{"(request-target)", "date"}, "(request-target): post " + path + "\ndate: " + date},
      {{"date"}, "date: " + date},
      {{"date", "(request-target)"}, "date: " + date + "\n(request-target): post " + path},
      {{"(request-target)", "date", "x-api-key", "x-idempotency-key"},
       "(request-target): post " + path + "\ndate: " + date +
           "\nx-api-key: KEY1\nx-idempotency-key: " + idem},
  };
  for (const Case& c : cases) {
    for (const HeaderCase& h : header_cases) {
      const Signer signer("KEY1", "s3cr3t+/=", c.alg, h.headers);
      const std::string auth =
          signer.Authorization("POST", target, date, {{"X-Idempotency-Key", idem}});
      std::string list;
      for (const auto& x : h.headers) list += (list.empty() ? "" : " ") + x;
      const std::string expected = "Signature keyId=\"KEY1\",algorithm=\"" + std::string(c.name) +
                                   "\",headers=\"" + list + "\",signature=\"" +
                                   OpensslSignature(c.digest, "s3cr3t+/=", h.signing_string) + "\"";
      EXPECT_EQ(auth, expected) << c.name << " " << list;
    }
  }
}

TEST(Signer, SignAddsDateApiKeyAndAuthorization) {
  const Signer signer("KEY1", "sec");
  const HeaderList h = signer.Sign("get", "/x/partners/P/quotes/A/", 1636049231LL * 1'000'000);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].first, "Date");
  EXPECT_EQ(h[0].second, "Thu, 04 Nov 2021 18:07:11 GMT");
  EXPECT_EQ(h[1], (std::pair<std::string, std::string>{"X-Api-Key", "KEY1"}));
  EXPECT_EQ(h[2].first, "Authorization");
  EXPECT_EQ(h[2].second, signer.Authorization("GET", "/x/partners/P/quotes/A/", h[0].second));
  EXPECT_NE(h[2].second.find("headers=\"(request-target) date\""), std::string::npos);
}

}  // namespace
}  // namespace offerledger::client
