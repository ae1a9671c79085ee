// The client side: builds the Authorization header exactly as the official
// XCover Python client does. Used by integration tests and the partner SDK.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/hmac.h"
#include "auth/signing_string.h"

namespace offerledger {

// Signature keyId="<key>",algorithm="<alg>",headers="<h1 h2>",signature="<UrlEncode(Base64(HMAC))>"
// `headers` is written space-separated as given and signed via
// BuildSigningString (so a listed header that `lookup` lacks is skipped, as
// the official client does). The caller must also send the Date header it
// signed (see FormatHttpDate). Returns "" only if OpenSSL cannot compute the
// MAC, which the server then answers with 401.
std::string BuildAuthorization(std::string_view key, std::string_view secret, Algorithm alg,
                               const std::vector<std::string>& headers, std::string_view method,
                               std::string_view target, const HeaderLookup& lookup);

}  // namespace offerledger
