#include "auth/signer.h"

#include <gtest/gtest.h>

#include "auth/http_date.h"

namespace offerledger {
namespace {

HeaderLookup DateOnly(std::string date) {
  return [date = std::move(date)](std::string_view name) -> std::optional<std::string_view> {
    if (name == "date") return std::string_view(date);
    return std::nullopt;
  };
}

// xcover-python tests/test_auth.py::test_date_header_is_not_overridden, byte for byte.
TEST(SignerTest, OfficialClientVector) {
  EXPECT_EQ(
      BuildAuthorization("test_api_key", "test_api_secret", Algorithm::kHmacSha256, {"date"}, "GET",
                         "/get", DateOnly("Sun, 29 Aug 2021 12:07:26 GMT")),
      R"(Signature keyId="test_api_key",algorithm="hmac-sha256",headers="date",signature="bfxytCfvFqito27v0%2FKcN1jBJsgnCReimKXdAWwoi0k%3D")");
}

// Signature from the openssl CLI (see hmac_test.cpp, MultiLineSha512Vector),
// URL-encoded by hand: / -> %2F, + -> %2B, = -> %3D.
TEST(SignerTest, RequestTargetAndDateSha512) {
  EXPECT_EQ(
      BuildAuthorization("LLODT_KEY", "partner-secret", Algorithm::kHmacSha512,
                         {"(request-target)", "date"}, "POST",
                         "/x/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out?ignored=1",
                         DateOnly("Thu, 04 Nov 2021 18:07:11 GMT")),
      R"(Signature keyId="LLODT_KEY",algorithm="hmac-sha512",headers="(request-target) date",)"
      R"(signature="%2FPtPm4VrbLS07%2FwDaFwpdFI1GjKoaKd%2Bu97unfla2WJqhhOav0gGpCe%2BTk1%2FvaK0mKfxQzvZWNTE867Il5fwjg%3D%3D")");
}

TEST(SignerTest, HeadersWrittenAsGiven) {
  const std::string auth = BuildAuthorization("K", "S", Algorithm::kHmacSha384,
                                              {"(request-target)", "Date", "x-missing"}, "GET", "/",
                                              DateOnly(FormatHttpDate(0)));
  EXPECT_EQ(
      auth.rfind(
          R"(Signature keyId="K",algorithm="hmac-sha384",headers="(request-target) Date x-missing",signature=")",
          0),
      0u)
      << auth;
}

}  // namespace
}  // namespace offerledger
