#include "auth/signature_header.h"

#include <gtest/gtest.h>

namespace offerledger {
namespace {

using Headers = std::vector<std::string>;

SignatureParams ParseOk(std::string_view text, SignatureParseOptions opts = {}) {
  Result<SignatureParams> r = ParseSignatureHeader(text, opts);
  EXPECT_TRUE(r.ok()) << text << " -> " << r.status().ToString();
  return r.ok() ? *r : SignatureParams{};
}

// The error message for a header that must be refused (empty when accepted).
std::string ParseError(std::string_view text, SignatureParseOptions opts = {}) {
  Result<SignatureParams> r = ParseSignatureHeader(text, opts);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  return r.status().message();
}

TEST(SignatureHeaderTest, OfficialClientForm) {
  const SignatureParams p = ParseOk(
      R"(Signature keyId="LLODT_KEY",algorithm="hmac-sha512",headers="(request-target) date",signature="ab%2Bc%3D")");
  EXPECT_EQ(p.key_id, "LLODT_KEY");
  EXPECT_EQ(p.algorithm, Algorithm::kHmacSha512);
  EXPECT_EQ(p.headers, (Headers{"(request-target)", "date"}));
  EXPECT_EQ(p.signature, "ab%2Bc%3D");
}

TEST(SignatureHeaderTest, ParametersInAnyOrder) {
  const SignatureParams p =
      ParseOk(R"(Signature signature="S",headers="date",algorithm="hmac-sha256",keyId="K")");
  EXPECT_EQ(p.key_id, "K");
  EXPECT_EQ(p.algorithm, Algorithm::kHmacSha256);
  EXPECT_EQ(p.headers, (Headers{"date"}));
  EXPECT_EQ(p.signature, "S");
}

TEST(SignatureHeaderTest, UnknownParametersIgnored) {
  const SignatureParams p = ParseOk(
      R"(Signature keyId="K",created="1636049231",algorithm="hmac-sha384",x-extra="a,b=\"c\"",signature="S")");
  EXPECT_EQ(p.key_id, "K");
  EXPECT_EQ(p.algorithm, Algorithm::kHmacSha384);
  EXPECT_EQ(p.signature, "S");
}

TEST(SignatureHeaderTest, OptionalWhitespace) {
  const SignatureParams p = ParseOk(
      "Signature   keyId=\"K\", algorithm=\"hmac-sha512\" ,\theaders = \"date\",  signature=\"S\" "
      " ");
  EXPECT_EQ(p.key_id, "K");
  EXPECT_EQ(p.headers, (Headers{"date"}));
  EXPECT_EQ(p.signature, "S");
}

TEST(SignatureHeaderTest, HeadersAbsentMeansDate) {
  // The Postman script in the XCover documentation sends no headers parameter.
  const SignatureParams p = ParseOk(R"(Signature keyId="K",algorithm="hmac-sha512",signature="S")");
  EXPECT_EQ(p.headers, (Headers{"date"}));
}

TEST(SignatureHeaderTest, HeaderNamesLowerCasedAndSplitOnSpaces) {
  const SignatureParams p = ParseOk(
      R"(Signature keyId="K",algorithm="hmac-sha512",headers="  (Request-Target)  Date X-Api-Key ",signature="S")");
  EXPECT_EQ(p.headers, (Headers{"(request-target)", "date", "x-api-key"}));
}

TEST(SignatureHeaderTest, SchemeAndParameterNamesCaseInsensitive) {
  const SignatureParams p = ParseOk(R"(signature KEYID="K",Algorithm="HMAC-SHA512",SIGNATURE="S")");
  EXPECT_EQ(p.key_id, "K");
  EXPECT_EQ(p.algorithm, Algorithm::kHmacSha512);
  EXPECT_EQ(p.signature, "S");
}

TEST(SignatureHeaderTest, QuotedPairsUnescaped) {
  const SignatureParams p =
      ParseOk(R"(Signature keyId="K\"1\\",algorithm="hmac-sha512",signature="S")");
  EXPECT_EQ(p.key_id, "K\"1\\");
}

TEST(SignatureHeaderTest, EmptyListElementsTolerated) {
  const SignatureParams p =
      ParseOk(R"(Signature ,keyId="K",,algorithm="hmac-sha512",signature="S",)");
  EXPECT_EQ(p.key_id, "K");
}

TEST(SignatureHeaderTest, RequiresSignatureScheme) {
  const std::string why = "malformed Authorization header: expected the \"Signature\" scheme";
  EXPECT_EQ(ParseError("Basic dXNlcjpwYXNz").rfind(why, 0), 0u);
  EXPECT_EQ(ParseError(R"(Bearer keyId="K",algorithm="hmac-sha512",signature="S")").rfind(why, 0),
            0u);
  EXPECT_EQ(ParseError(R"(SignaturekeyId="K",algorithm="hmac-sha512",signature="S")").rfind(why, 0),
            0u);
  EXPECT_EQ(ParseError("Signature").rfind(why, 0), 0u);
  EXPECT_EQ(ParseError("").rfind(why, 0), 0u);
}

TEST(SignatureHeaderTest, MissingKeyId) {
  EXPECT_EQ(ParseError(R"(Signature algorithm="hmac-sha512",signature="S")"),
            "malformed Authorization header: missing keyId");
  EXPECT_EQ(ParseError(R"(Signature keyId="",algorithm="hmac-sha512",signature="S")"),
            "malformed Authorization header: missing keyId");
}

TEST(SignatureHeaderTest, MissingSignature) {
  EXPECT_EQ(ParseError(R"(Signature keyId="K",algorithm="hmac-sha512")"),
            "malformed Authorization header: missing signature");
  EXPECT_EQ(ParseError(R"(Signature keyId="K",algorithm="hmac-sha512",signature="")"),
            "malformed Authorization header: missing signature");
}

TEST(SignatureHeaderTest, MissingAlgorithmNamesSupportedOnes) {
  EXPECT_EQ(ParseError(R"(Signature keyId="K",signature="S")"),
            "malformed Authorization header: missing algorithm (use hmac-sha256, hmac-sha384 or "
            "hmac-sha512)");
}

TEST(SignatureHeaderTest, MalformedQuoting) {
  const std::string quoted =
      "malformed Authorization header: the value of every parameter must be a complete "
      "\"quoted\" string";
  EXPECT_EQ(ParseError(R"(Signature keyId=K,algorithm="hmac-sha512",signature="S")"), quoted);
  EXPECT_EQ(ParseError(R"(Signature algorithm="hmac-sha512",signature="S",keyId="K)"), quoted);
  // A stray quote swallows the next parameter's name; what follows is then no separator.
  EXPECT_EQ(ParseError(R"(Signature keyId="K,algorithm="hmac-sha512",signature="S)"),
            "malformed Authorization header: parameters must be separated by commas");
  EXPECT_EQ(ParseError(R"(Signature keyId="K",algorithm="hmac-sha512",signature="S\")"), quoted);
  EXPECT_EQ(ParseError(R"(Signature keyId='K',algorithm="hmac-sha512",signature="S")"), quoted);
  EXPECT_EQ(ParseError(R"(Signature keyId="K" algorithm="hmac-sha512",signature="S")"),
            "malformed Authorization header: parameters must be separated by commas");
  EXPECT_EQ(ParseError(R"(Signature keyId,algorithm="hmac-sha512",signature="S")"),
            "malformed Authorization header: parameter without '=' value");
  EXPECT_EQ(ParseError(R"(Signature ="K",algorithm="hmac-sha512",signature="S")"),
            "malformed Authorization header: expected a parameter name");
}

TEST(SignatureHeaderTest, DuplicateParameter) {
  EXPECT_EQ(ParseError(R"(Signature keyId="K",keyId="K2",algorithm="hmac-sha512",signature="S")"),
            "malformed Authorization header: duplicate parameter keyid");
  EXPECT_EQ(
      ParseError(R"(Signature keyId="K",algorithm="hmac-sha512",signature="S",Signature="T")"),
      "malformed Authorization header: duplicate parameter signature");
  // Even an ignored parameter may not repeat: a repeated name is a sign of tampering.
  EXPECT_EQ(ParseError(R"(Signature keyId="K",algorithm="hmac-sha512",signature="S",x="1",x="2")"),
            "malformed Authorization header: duplicate parameter x");
  // Names are case-insensitive, the ignored ones too.
  EXPECT_EQ(ParseError(R"(Signature keyId="K",algorithm="hmac-sha512",signature="S",Nonce="1",)"
                       R"(y="0",nONCE="2")"),
            "malformed Authorization header: duplicate parameter nonce");
  EXPECT_EQ(ParseError(R"(Signature KEYID="K",algorithm="hmac-sha512",signature="S",keyid="K")"),
            "malformed Authorization header: duplicate parameter keyid");
}

TEST(SignatureHeaderTest, DistinctUnknownParametersIgnored) {
  const SignatureParams p = ParseOk(
      R"(Signature a="1",keyId="K",b="2",algorithm="hmac-sha512",c="3",signature="S",d="4")");
  EXPECT_EQ(p.key_id, "K");
  EXPECT_EQ(p.signature, "S");
}

// Quoted-pairs in every parameter: unescaped before use, the header list
// before it is split.
TEST(SignatureHeaderTest, QuotedPairsInEveryParameter) {
  const SignatureParams p =
      ParseOk(R"(Signature keyId="\K",algorithm="hmac-sha\512",headers="(request-target)\ \Date",)"
              R"(signature="a\%2Bb")");
  EXPECT_EQ(p.key_id, "K");
  EXPECT_EQ(p.algorithm, Algorithm::kHmacSha512);
  EXPECT_EQ(p.headers, (Headers{"(request-target)", "date"}));
  EXPECT_EQ(p.signature, "a%2Bb");
}

TEST(SignatureHeaderTest, AllSha2AlgorithmsAccepted) {
  EXPECT_EQ(ParseAlgorithm("hmac-sha256", false).value(), Algorithm::kHmacSha256);
  EXPECT_EQ(ParseAlgorithm("hmac-sha384", false).value(), Algorithm::kHmacSha384);
  EXPECT_EQ(ParseAlgorithm("hmac-sha512", false).value(), Algorithm::kHmacSha512);
}

TEST(SignatureHeaderTest, Sha1RefusedByDefault) {
  EXPECT_EQ(ParseError(R"(Signature keyId="K",algorithm="hmac-sha1",signature="S")"),
            "unsupported algorithm: hmac-sha1 is deprecated and disabled; use hmac-sha256, "
            "hmac-sha384 or hmac-sha512");
}

TEST(SignatureHeaderTest, Sha1AcceptedWhenEnabled) {
  const SignatureParams p = ParseOk(R"(Signature keyId="K",algorithm="hmac-sha1",signature="S")",
                                    SignatureParseOptions{.allow_sha1 = true});
  EXPECT_EQ(p.algorithm, Algorithm::kHmacSha1);
}

TEST(SignatureHeaderTest, OtherAlgorithmsRefusedNamingSupported) {
  for (const char* alg : {"hmac-md5", "rsa-sha256", "hs2019", "sha512", "hmac-sha512 ", ""}) {
    const std::string header =
        std::string(R"(Signature keyId="K",algorithm=")") + alg + R"(",signature="S")";
    EXPECT_EQ(ParseError(header, SignatureParseOptions{.allow_sha1 = true}),
              "unsupported algorithm: use hmac-sha256, hmac-sha384 or hmac-sha512")
        << alg;
  }
}

TEST(SignatureHeaderTest, ErrorsNeverEchoTheSignature) {
  const std::string err =
      ParseError(R"(Signature keyId="K",algorithm="hmac-md5",signature="SECRETSIG")");
  EXPECT_EQ(err.find("SECRETSIG"), std::string::npos);
}

}  // namespace
}  // namespace offerledger
