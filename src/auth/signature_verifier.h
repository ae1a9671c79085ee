// The whole server-side authentication check for one partner request.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/hmac_key_cache.h"
#include "common/result.h"
#include "common/time.h"

namespace offerledger {

// What the key store knows about an API key.
struct KeyRecord {
  std::string partner;
  std::string secret;
  bool revoked = false;
  // The key's partner requires "(request-target)" among the signed headers
  // (docs/api.md "Replay"). Read with the key, on every request, so a change
  // applies to the next request as a revocation does.
  bool require_request_target = false;
};

// The parts of an HTTP request the check needs, without HTTP types.
struct AuthRequest {
  std::string_view method;
  std::string_view target;  // raw request target, may include "?query"
  // Every value of a header, by lower-cased name, one element per header
  // field line (do NOT split on commas: a Date contains one). More than one
  // element for Authorization, Date or X-Api-Key is refused.
  std::function<std::vector<std::string_view>(std::string_view lower_name)> header_values;
};

struct VerifierOptions {
  Micros max_skew = 300 * kMicrosPerSecond;  // the replay window, either way
  bool allow_sha1 = false;
  // Turns KeyRecord::secret into the HMAC secret (decrypts a sealed one,
  // secret_box.h), once per key: the result is cached with the key's HMAC
  // context. Null: the stored secret is the HMAC secret.
  SecretOpener open_secret = nullptr;
};

struct AuthIdentity {
  std::string partner;
  std::string api_key;
};

// Looks an API key up: a record, nullopt when unknown, or an error (e.g. the
// database is down) which Verify passes through unchanged (not a 401).
using KeyLookup = std::function<Result<std::optional<KeyRecord>>(std::string_view api_key)>;

class SignatureVerifier {
 public:
  explicit SignatureVerifier(VerifierOptions opts);

  // Checks, cheapest first so that garbage never reaches the key store:
  // Authorization present, single and well-formed; the signed headers include
  // date; Date single, parseable and within max_skew of `now`; X-Api-Key, if
  // sent, single and equal to keyId; key known and not revoked; signature;
  // "(request-target)" signed if the key's partner requires it (checked after
  // the signature, so only the key's holder learns the partner's policy).
  // Every failure is Unauthenticated with a message saying which check
  // failed, never the expected signature or the secret; a bad signature is
  // exactly "Signature string does not match!" as XCover says it.
  // Thread-safe. The key's prepared HMAC context is cached (hmac_key_cache.h)
  // but used only while the lookup returns the same secret; a revoked or
  // unknown key drops it.
  Result<AuthIdentity> Verify(const AuthRequest& req, Micros now, const KeyLookup& lookup) const;

 private:
  VerifierOptions opts_;
  mutable HmacKeyCache hmac_keys_;
};

}  // namespace offerledger
