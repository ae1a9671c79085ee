// HMAC signatures as XCover computes them: HMAC(secret, signing string),
// standard Base64 (RFC 4648, with + / =), then URL-encoded. OpenSSL does the
// crypto; this file only names the algorithms and does the two encodings.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX; OpenSSL itself stays in hmac.cpp

namespace offerledger {

// The `algorithm` values of the Authorization header. SHA-1 exists only because
// XCover still documents it (as deprecated); the verifier refuses it by default.
enum class Algorithm { kHmacSha1, kHmacSha256, kHmacSha384, kHmacSha512 };

// "hmac-sha512" etc., exactly as written in the Authorization header.
std::string_view AlgorithmName(Algorithm alg);

// The raw MAC bytes (20, 32, 48 or 64 of them). Fails (Internal) only if
// OpenSSL cannot provide the digest, e.g. SHA-1 under a FIPS-only config.
Result<std::string> HmacDigest(Algorithm alg, std::string_view secret, std::string_view message);

// The raw bytes of one MAC, held inline: computing a MAC allocates nothing.
struct MacBytes {
  static constexpr std::size_t kMaxSize = 64;  // SHA-512
  unsigned char data[kMaxSize];
  std::size_t size = 0;
  std::string_view view() const { return {reinterpret_cast<const char*>(data), size}; }
};

// One HMAC key prepared for many messages: OpenSSL's MAC context with the
// digest already fetched and the key's inner and outer pads already hashed.
// OpenSSL's one-shot HMAC() redoes both on every call (a provider look-up
// under a lock, two extra blocks of hashing), which costs more than hashing a
// signing string; here each Compute() hashes only the message.
// Not thread-safe: one Compute() at a time per object (HmacKeyCache hands
// each thread its own). Freeing it wipes OpenSSL's copy of the key.
class HmacContext {
 public:
  // Fails (Internal) only if OpenSSL cannot provide the digest.
  static Result<HmacContext> New(Algorithm alg, std::string_view secret);

  HmacContext(HmacContext&& other) noexcept;
  HmacContext& operator=(HmacContext&& other) noexcept;
  HmacContext(const HmacContext&) = delete;
  HmacContext& operator=(const HmacContext&) = delete;
  ~HmacContext();

  Algorithm algorithm() const { return alg_; }
  // HMAC(secret, message) into `out`; the context is ready for the next one.
  Status Compute(std::string_view message, MacBytes& out);

 private:
  HmacContext(Algorithm alg, evp_mac_ctx_st* ctx) : alg_(alg), ctx_(ctx) {}

  Algorithm alg_;
  evp_mac_ctx_st* ctx_;  // owned
};

// RFC 4648 section 4 Base64, padded. Never the URL-safe alphabet: XCover
// rejects "-" and "_" and so do we.
std::string Base64Encode(std::string_view bytes);

// Base64 of a MAC, held inline (no allocation): at most 88 characters.
struct MacBase64 {
  char data[4 * ((MacBytes::kMaxSize + 2) / 3) + 1];  // + the NUL OpenSSL writes
  std::size_t size = 0;
  std::string_view view() const { return {data, size}; }
};
MacBase64 Base64Encode(const MacBytes& mac);

// Percent-encodes every byte except the RFC 3986 unreserved set
// (A-Z a-z 0-9 - _ . ~), upper-case hex: what Python's quote(s, safe="") and
// JavaScript's encodeURIComponent produce for Base64 text ("+" -> "%2B").
std::string UrlEncode(std::string_view text);

// The `signature` parameter a client sends: UrlEncode(Base64Encode(HMAC)).
Result<std::string> ComputeSignature(Algorithm alg, std::string_view secret,
                                     std::string_view signing_string);

// True when `received` (the `signature` parameter as sent) is the Base64 text
// `expected_base64`, either URL-encoded (the documented form) or sent raw
// (some curl users skip the URL-encoding). Percent escapes are decoded first,
// so "%2b" and "%2B" both count; a URL-safe signature ("-", "_") never matches.
// The comparison of the secret-derived bytes is constant-time.
bool SignatureMatches(std::string_view received, std::string_view expected_base64);

}  // namespace offerledger
