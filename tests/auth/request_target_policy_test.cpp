// KeyRecord::require_request_target (docs/api.md "Replay"): a partner that
// requires "(request-target)" gets date-only signatures refused, after the
// signature is checked (a forger learns nothing of the policy); partners
// without it keep accepting them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/signature_verifier.h"
#include "auth/signer.h"

namespace offerledger {
namespace {

constexpr std::string_view kDate = "Thu, 04 Nov 2021 18:07:11 GMT";
constexpr Micros kNow = 1636049231 * kMicrosPerSecond;
constexpr std::string_view kTarget = "/x/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out";

Result<AuthIdentity> Verify(const std::vector<std::string>& signed_headers, bool required,
                            std::string_view secret = "partner-secret") {
  const std::string auth =
      BuildAuthorization("KEY", secret, Algorithm::kHmacSha512, signed_headers, "POST", kTarget,
                         [](std::string_view n) -> std::optional<std::string_view> {
                           if (n == "date") return kDate;
                           return std::nullopt;
                         });
  const AuthRequest req{"POST", kTarget, [&](std::string_view name) {
                          std::vector<std::string_view> out;
                          if (name == "date") out.push_back(kDate);
                          if (name == "authorization") out.push_back(auth);
                          return out;
                        }};
  const KeyRecord record{"LLODT", "partner-secret", false, required};
  return SignatureVerifier(VerifierOptions{})
      .Verify(req, kNow, [&](std::string_view) -> Result<std::optional<KeyRecord>> {
        return std::optional<KeyRecord>(record);
      });
}

TEST(RequestTargetPolicy, OffAcceptsDateOnly) {
  EXPECT_TRUE(Verify({"date"}, false).ok());
  EXPECT_TRUE(Verify({"(request-target)", "date"}, false).ok());
}

TEST(RequestTargetPolicy, OnRefusesDateOnlyAndAcceptsRequestTarget) {
  const auto refused = Verify({"date"}, true);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("partner LLODT requires (request-target) to be signed"),
            std::string::npos)
      << refused.status().message();
  const auto ok = Verify({"(request-target)", "date"}, true);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->partner, "LLODT");
  EXPECT_TRUE(Verify({"date", "(request-target)"}, true).ok());
}

TEST(RequestTargetPolicy, AForgedSignatureLearnsNothingOfThePolicy) {
  const auto forged = Verify({"date"}, true, "not-the-secret");
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.status().message(), "Signature string does not match!");
}

}  // namespace
}  // namespace offerledger
