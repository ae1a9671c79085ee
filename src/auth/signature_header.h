// Parsing of the `Authorization: Signature ...` header (the draft-cavage HTTP
// signatures form that XCover uses):
//   Signature keyId="K",algorithm="hmac-sha512",headers="(request-target) date",signature="S"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/hmac.h"
#include "common/result.h"

namespace offerledger {

struct SignatureParams {
  std::string key_id;
  Algorithm algorithm = Algorithm::kHmacSha512;
  // The signed header names, lower-cased, in the order listed. `headers`
  // absent means {"date"} (the XCover default, and what Postman users send).
  std::vector<std::string> headers;
  // As sent: normally URL-encoded Base64. Compared with SignatureMatches().
  std::string signature;
};

struct SignatureParseOptions {
  bool allow_sha1 = false;  // hmac-sha1 is deprecated; an operator may re-enable it.
};

// Parameters may come in any order with optional whitespace around commas;
// unknown parameters are ignored; names are case-insensitive (RFC 7235).
// Every failure is Status::Unauthenticated with a message naming the problem
// and never echoing the signature.
Result<SignatureParams> ParseSignatureHeader(std::string_view value,
                                             SignatureParseOptions opts = {});

// "hmac-sha256" / "hmac-sha384" / "hmac-sha512" (and "hmac-sha1" if allowed),
// case-insensitive. Anything else: Unauthenticated, naming the supported ones.
Result<Algorithm> ParseAlgorithm(std::string_view name, bool allow_sha1);

}  // namespace offerledger
