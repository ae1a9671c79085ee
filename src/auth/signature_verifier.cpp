#include "auth/signature_verifier.h"

#include <algorithm>
#include <functional>
#include <list>

#include "auth/hmac.h"
#include "auth/http_date.h"
#include "auth/signature_header.h"
#include "auth/signing_string.h"

namespace offerledger {
namespace {

std::vector<std::string_view> Values(const AuthRequest& req, std::string_view lower_name) {
  return req.header_values ? req.header_values(lower_name) : std::vector<std::string_view>{};
}

std::string Seconds(Micros m) { return std::to_string(m / kMicrosPerSecond) + " s"; }

// The values of the signed headers, as BuildSigningString asks for them.
// Repeated header lines (other than Authorization, Date and X-Api-Key, which
// must be single) are combined with ", " as HTTP defines; the joined strings
// must outlive the string_views handed out, hence a list (its elements never
// move, and an empty one allocates nothing).
class SignedHeaderValues {
 public:
  SignedHeaderValues(const AuthRequest& req, std::string_view date) : req_(req), date_(date) {}

  std::optional<std::string_view> operator()(std::string_view name) {
    if (name == "date") return date_;  // already looked up, and single
    const std::vector<std::string_view> values = Values(req_, name);
    if (values.empty()) return std::nullopt;
    if (values.size() == 1) return values.front();
    std::string& all = joined_.emplace_back();
    for (const std::string_view v : values) {
      if (!all.empty()) all += ", ";
      all += v;
    }
    return std::string_view(all);
  }

 private:
  const AuthRequest& req_;
  const std::string_view date_;
  std::list<std::string> joined_;
};

}  // namespace

SignatureVerifier::SignatureVerifier(VerifierOptions opts) : opts_(opts) {}

Result<AuthIdentity> SignatureVerifier::Verify(const AuthRequest& req, Micros now,
                                               const KeyLookup& lookup) const {
  // 1. The Authorization header itself. Two of them would leave it ambiguous
  //    which one a proxy or a logger saw: refuse rather than pick one.
  const std::vector<std::string_view> auth = Values(req, "authorization");
  if (auth.empty()) return Status::Unauthenticated("missing Authorization header");
  if (auth.size() > 1) return Status::Unauthenticated("duplicated Authorization header");
  Result<SignatureParams> params =
      ParseSignatureHeader(auth.front(), SignatureParseOptions{opts_.allow_sha1});
  if (!params.ok()) return params.status();

  // 2. The Date must be signed, or a captured request could be replayed
  //    forever with a fresh Date next to the old signature.
  if (std::find(params->headers.begin(), params->headers.end(), "date") == params->headers.end()) {
    return Status::Unauthenticated(
        "the signed headers must include date: the signed Date is what stops a captured request "
        "from being replayed");
  }

  // 3. The Date: one, well-formed, and close to our clock (the replay window).
  const std::vector<std::string_view> dates = Values(req, "date");
  if (dates.empty()) return Status::Unauthenticated("missing Date header");
  if (dates.size() > 1) return Status::Unauthenticated("duplicated Date header");
  const std::optional<Micros> date = ParseHttpDate(dates.front());
  if (!date) {
    return Status::Unauthenticated(
        "unparseable Date header: expected an RFC 7231 date such as "
        "\"Thu, 04 Nov 2021 18:07:11 GMT\" (zero-padded, GMT)");
  }
  if (now - *date > opts_.max_skew) {
    return Status::Unauthenticated("stale date: the Date header is more than " +
                                   Seconds(opts_.max_skew) + " behind the server clock");
  }
  if (*date - now > opts_.max_skew) {
    return Status::Unauthenticated("date in the future: the Date header is more than " +
                                   Seconds(opts_.max_skew) + " ahead of the server clock");
  }

  // 4. X-Api-Key is optional (keyId names the key) but must agree when sent.
  const std::vector<std::string_view> api_keys = Values(req, "x-api-key");
  if (api_keys.size() > 1) return Status::Unauthenticated("duplicated X-Api-Key header");
  if (!api_keys.empty() && api_keys.front() != params->key_id) {
    return Status::Unauthenticated("the X-Api-Key header does not match the signature keyId");
  }

  // 5. The key. A store error is a server fault, not the client's: pass it on.
  //    Revoked keys get the unknown-key answer so that nothing about them leaks;
  //    so does an empty secret, with which anyone could sign.
  Result<std::optional<KeyRecord>> record = lookup(params->key_id);
  if (!record.ok()) return record.status();
  if (!record->has_value() || (*record)->revoked || (*record)->secret.empty()) {
    hmac_keys_.Forget(params->key_id);
    return Status::Unauthenticated("unknown API key");
  }
  const KeyRecord& key = **record;

  // 6. The signature. (std::ref: the std::function wraps a reference
  //    instead of allocating a copy of the object.)
  SignedHeaderValues header_values(req, dates.front());
  const std::string signing_string =
      BuildSigningString(params->headers, req.method, req.target, std::ref(header_values));
  MacBytes mac;
  if (Status s = hmac_keys_.Compute(params->key_id, key.secret, params->algorithm, signing_string,
                                    mac, opts_.open_secret);
      !s.ok()) {
    return s;
  }
  if (!SignatureMatches(params->signature, Base64Encode(mac).view())) {
    return Status::Unauthenticated("Signature string does not match!");
  }

  // 7. The partner's own requirement: a date-only signature can be replayed
  //    on another path or method within the Date window; signing the
  //    request target ties it to this one.
  if (key.require_request_target && std::find(params->headers.begin(), params->headers.end(),
                                              "(request-target)") == params->headers.end()) {
    return Status::Unauthenticated(
        "partner " + key.partner +
        " requires (request-target) to be signed: list \"(request-target)\" in the Signature "
        "headers");
  }
  return AuthIdentity{key.partner, params->key_id};
}

}  // namespace offerledger
