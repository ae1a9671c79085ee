#include "auth/hmac.h"

#include <gtest/gtest.h>

namespace offerledger {
namespace {

constexpr std::string_view kDateLine = "date: Thu, 04 Nov 2021 18:07:11 GMT";

std::string B64Mac(Algorithm alg, std::string_view secret, std::string_view msg) {
  Result<std::string> mac = HmacDigest(alg, secret, msg);
  EXPECT_TRUE(mac.ok()) << mac.status().ToString();
  return mac.ok() ? Base64Encode(*mac) : std::string();
}

// Expected values computed independently with the openssl CLI:
//   D='date: Thu, 04 Nov 2021 18:07:11 GMT'
//   printf '%s' "$D" | openssl dgst -sha256 -hmac 's3cr3t' -binary | base64 -w0
// (and -sha384, -sha512, -sha1 likewise).
TEST(HmacTest, Sha256Vector) {
  EXPECT_EQ(B64Mac(Algorithm::kHmacSha256, "s3cr3t", kDateLine),
            "O6DlL2EBrQyxCECFZt2VVyOF33R5flHMLShnY3ODMAU=");
}

TEST(HmacTest, Sha384Vector) {
  EXPECT_EQ(B64Mac(Algorithm::kHmacSha384, "s3cr3t", kDateLine),
            "4fquGKAHOIaFOfgz0HPuxunysfnaaBynV0XU5Fb5Y52wbQpZG1RVfRktZOIiEPnU");
}

TEST(HmacTest, Sha512Vector) {
  EXPECT_EQ(
      B64Mac(Algorithm::kHmacSha512, "s3cr3t", kDateLine),
      "8jz+Z4Ez2hTOCT4S4rFTK9J+1NdXhhDD97qaESJMUdevTKDSaDlOFlxeHDP5mtvcgS3XSCH454sCA+NfnkFk1w==");
}

TEST(HmacTest, Sha1Vector) {
  EXPECT_EQ(B64Mac(Algorithm::kHmacSha1, "s3cr3t", kDateLine), "C5pcEmsXf2eWfatvesJ4uIHsUXs=");
}

// L1='(request-target): post /x/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out'
// L2='date: Thu, 04 Nov 2021 18:07:11 GMT'
// STR="$(printf '%s\n%s' "$L1" "$L2")"
// printf '%s' "$STR" | openssl dgst -sha512 -hmac 'partner-secret' -binary | base64 -w0
TEST(HmacTest, MultiLineSha512Vector) {
  EXPECT_EQ(
      B64Mac(Algorithm::kHmacSha512, "partner-secret",
             "(request-target): post /x/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out\n"
             "date: Thu, 04 Nov 2021 18:07:11 GMT"),
      "/PtPm4VrbLS07/wDaFwpdFI1GjKoaKd+u97unfla2WJqhhOav0gGpCe+Tk1/vaK0mKfxQzvZWNTE867Il5fwjg==");
}

// printf '' | openssl dgst -sha256 -hmac '' -binary | base64 -w0
TEST(HmacTest, EmptyKeyAndMessage) {
  EXPECT_EQ(B64Mac(Algorithm::kHmacSha256, "", ""), "thNnmggU2ex3L5XXeMNfxf8Wl8STcVZTxscSFEKSxa0=");
}

TEST(HmacTest, DigestLengths) {
  EXPECT_EQ(HmacDigest(Algorithm::kHmacSha1, "k", "m")->size(), 20u);
  EXPECT_EQ(HmacDigest(Algorithm::kHmacSha256, "k", "m")->size(), 32u);
  EXPECT_EQ(HmacDigest(Algorithm::kHmacSha384, "k", "m")->size(), 48u);
  EXPECT_EQ(HmacDigest(Algorithm::kHmacSha512, "k", "m")->size(), 64u);
}

// A prepared context gives the one-shot MAC for every message, however many
// it has computed before: each Compute starts again from the key alone.
TEST(HmacContextTest, ReusedContextMatchesOneShot) {
  for (Algorithm alg : {Algorithm::kHmacSha1, Algorithm::kHmacSha256, Algorithm::kHmacSha384,
                        Algorithm::kHmacSha512}) {
    Result<HmacContext> ctx = HmacContext::New(alg, "partner-secret");
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    EXPECT_EQ(ctx->algorithm(), alg);
    for (std::string_view msg :
         {kDateLine, std::string_view("other"), std::string_view(""), kDateLine}) {
      MacBytes mac;
      ASSERT_TRUE(ctx->Compute(msg, mac).ok());
      EXPECT_EQ(mac.view(), HmacDigest(alg, "partner-secret", msg).value())
          << AlgorithmName(alg) << " " << msg;
    }
  }
}

// The openssl CLI vector of Sha512Vector, through a context.
TEST(HmacContextTest, Sha512Vector) {
  Result<HmacContext> ctx = HmacContext::New(Algorithm::kHmacSha512, "s3cr3t");
  ASSERT_TRUE(ctx.ok());
  MacBytes mac;
  ASSERT_TRUE(ctx->Compute("ignored first message", mac).ok());
  ASSERT_TRUE(ctx->Compute(kDateLine, mac).ok());
  EXPECT_EQ(
      Base64Encode(mac.view()),
      "8jz+Z4Ez2hTOCT4S4rFTK9J+1NdXhhDD97qaESJMUdevTKDSaDlOFlxeHDP5mtvcgS3XSCH454sCA+NfnkFk1w==");
}

// Contexts of other keys do not share state (each is its own OpenSSL copy of
// the per-algorithm template).
TEST(HmacContextTest, ContextsAreIndependent) {
  Result<HmacContext> a = HmacContext::New(Algorithm::kHmacSha256, "key-a");
  Result<HmacContext> b = HmacContext::New(Algorithm::kHmacSha256, "key-b");
  ASSERT_TRUE(a.ok() && b.ok());
  MacBytes ma, mb;
  ASSERT_TRUE(a->Compute("m", ma).ok());
  ASSERT_TRUE(b->Compute("m", mb).ok());
  EXPECT_EQ(ma.view(), HmacDigest(Algorithm::kHmacSha256, "key-a", "m").value());
  EXPECT_EQ(mb.view(), HmacDigest(Algorithm::kHmacSha256, "key-b", "m").value());
  EXPECT_NE(ma.view(), mb.view());
}

TEST(HmacContextTest, MovedFromContextFailsCleanly) {
  Result<HmacContext> a = HmacContext::New(Algorithm::kHmacSha256, "k");
  ASSERT_TRUE(a.ok());
  HmacContext b = std::move(*a);
  MacBytes mac;
  EXPECT_TRUE(b.Compute("m", mac).ok());
  EXPECT_EQ(mac.size, 32u);
  const Status moved = a->Compute("m", mac);  // NOLINT(bugprone-use-after-move): on purpose
  EXPECT_EQ(moved.code(), StatusCode::kInternal);
  EXPECT_EQ(mac.size, 0u);
}

TEST(HmacTest, AlgorithmNames) {
  EXPECT_EQ(AlgorithmName(Algorithm::kHmacSha1), "hmac-sha1");
  EXPECT_EQ(AlgorithmName(Algorithm::kHmacSha256), "hmac-sha256");
  EXPECT_EQ(AlgorithmName(Algorithm::kHmacSha384), "hmac-sha384");
  EXPECT_EQ(AlgorithmName(Algorithm::kHmacSha512), "hmac-sha512");
}

// RFC 4648 section 10 test vectors.
TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, StandardAlphabetNotUrlSafe) {
  EXPECT_EQ(Base64Encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
}

TEST(Base64Test, LongInputHasNoLineBreaks) {
  const std::string out = Base64Encode(std::string(200, 'x'));
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(out.size(), 4u * 67u);
}

TEST(UrlEncodeTest, EncodesBase64Punctuation) { EXPECT_EQ(UrlEncode("a+b/c="), "a%2Bb%2Fc%3D"); }

TEST(UrlEncodeTest, KeepsUnreserved) {
  const std::string unreserved =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
  EXPECT_EQ(UrlEncode(unreserved), unreserved);
}

TEST(UrlEncodeTest, EncodesEverythingElseUpperHex) {
  EXPECT_EQ(UrlEncode(" %\"\xff\n"), "%20%25%22%FF%0A");
}

// The official client's own test vector (xcover-python tests/test_auth.py):
// HMAC-SHA256("test_api_secret", "date: Sun, 29 Aug 2021 12:07:26 GMT").
TEST(ComputeSignatureTest, OfficialClientVector) {
  Result<std::string> sig = ComputeSignature(Algorithm::kHmacSha256, "test_api_secret",
                                             "date: Sun, 29 Aug 2021 12:07:26 GMT");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, "bfxytCfvFqito27v0%2FKcN1jBJsgnCReimKXdAWwoi0k%3D");
}

constexpr std::string_view kExpected = "bfxytCfvFqito27v0/KcN1jBJsgnCReimKXdAWwoi0k=";

TEST(SignatureMatchesTest, UrlEncodedForm) {
  EXPECT_TRUE(SignatureMatches("bfxytCfvFqito27v0%2FKcN1jBJsgnCReimKXdAWwoi0k%3D", kExpected));
}

TEST(SignatureMatchesTest, RawStandardBase64) {
  EXPECT_TRUE(SignatureMatches(kExpected, kExpected));
}

TEST(SignatureMatchesTest, LowerCaseHexEscapes) {
  EXPECT_TRUE(SignatureMatches("bfxytCfvFqito27v0%2fKcN1jBJsgnCReimKXdAWwoi0k%3d", kExpected));
}

TEST(SignatureMatchesTest, UrlSafeBase64Rejected) {
  EXPECT_FALSE(SignatureMatches("bfxytCfvFqito27v0_KcN1jBJsgnCReimKXdAWwoi0k=", kExpected));
  EXPECT_FALSE(SignatureMatches("bfxytCfvFqito27v0_KcN1jBJsgnCReimKXdAWwoi0k", kExpected));
}

TEST(SignatureMatchesTest, NearMissesRejected) {
  EXPECT_FALSE(SignatureMatches("", kExpected));
  EXPECT_FALSE(SignatureMatches("", ""));
  EXPECT_FALSE(SignatureMatches("bfxytCfvFqito27v0%2FKcN1jBJsgnCReimKXdAWwoi0k", kExpected));
  EXPECT_FALSE(SignatureMatches("bfxytCfvFqito27v0%2FKcN1jBJsgnCReimKXdAWwoi0k%3", kExpected));
  EXPECT_FALSE(SignatureMatches("bfxytCfvFqito27v0%2FKcN1jBJsgnCReimKXdAWwoi0k%", kExpected));
  EXPECT_FALSE(SignatureMatches("bfxytCfvFqito27v0%ZZKcN1jBJsgnCReimKXdAWwoi0k=", kExpected));
  EXPECT_FALSE(SignatureMatches("Bfxytcfvfqito27v0/KcN1jBJsgnCReimKXdAWwoi0k=", kExpected));
  EXPECT_FALSE(SignatureMatches("bfxytCfvFqito27v0/KcN1jBJsgnCReimKXdAWwoi0k==", kExpected));
}

}  // namespace
}  // namespace offerledger
