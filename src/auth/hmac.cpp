#include "auth/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace offerledger {
namespace {

static_assert(MacBytes::kMaxSize >= EVP_MAX_MD_SIZE);

// OpenSSL treats a null key as "reuse the previous key" and may not like a
// null message; an empty string_view can carry a null data() pointer.
const unsigned char* Bytes(std::string_view s) {
  static const unsigned char kEmpty[1] = {0};
  return s.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

// An HMAC context for `alg` keyed with the empty key: HMAC and the digest
// fetched (provider look-ups under OpenSSL's global lock) once. OpenSSL cannot
// duplicate a context that has no key yet, hence the placeholder key, which
// HmacContext::New replaces. Null if OpenSSL lacks the digest.
EVP_MAC_CTX* NewTemplate(Algorithm alg) {
  const char* digest = nullptr;
  switch (alg) {
    case Algorithm::kHmacSha1:
      digest = "SHA1";
      break;
    case Algorithm::kHmacSha256:
      digest = "SHA256";
      break;
    case Algorithm::kHmacSha384:
      digest = "SHA384";
      break;
    case Algorithm::kHmacSha512:
      digest = "SHA512";
      break;
  }
  if (digest == nullptr) return nullptr;
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return nullptr;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context holds its own reference
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  if (ctx == nullptr || EVP_MAC_init(ctx, Bytes(""), 0, params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

// One template per algorithm, built on first use and kept for the life of
// the process (only ever read: duplicating a context does not modify it).
const EVP_MAC_CTX* Template(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHmacSha1: {
      static const EVP_MAC_CTX* const sha1 = NewTemplate(alg);
      return sha1;
    }
    case Algorithm::kHmacSha256: {
      static const EVP_MAC_CTX* const sha256 = NewTemplate(alg);
      return sha256;
    }
    case Algorithm::kHmacSha384: {
      static const EVP_MAC_CTX* const sha384 = NewTemplate(alg);
      return sha384;
    }
    case Algorithm::kHmacSha512: {
      static const EVP_MAC_CTX* const sha512 = NewTemplate(alg);
      return sha512;
    }
  }
  return nullptr;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHmacSha1:
      return "hmac-sha1";
    case Algorithm::kHmacSha256:
      return "hmac-sha256";
    case Algorithm::kHmacSha384:
      return "hmac-sha384";
    case Algorithm::kHmacSha512:
      return "hmac-sha512";
  }
  return "unknown";
}

Result<HmacContext> HmacContext::New(Algorithm alg, std::string_view secret) {
  const EVP_MAC_CTX* tmpl = Template(alg);
  if (tmpl == nullptr) return Status::Internal("HMAC: digest unavailable");
  // EVP_MAC_CTX_dup takes a non-const pointer but only reads the source.
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(const_cast<EVP_MAC_CTX*>(tmpl));
  if (ctx == nullptr || EVP_MAC_init(ctx, Bytes(secret), secret.size(), nullptr) != 1) {
    EVP_MAC_CTX_free(ctx);
    return Status::Internal("HMAC: OpenSSL failed to set up " + std::string(AlgorithmName(alg)));
  }
  return HmacContext(alg, ctx);
}

HmacContext::HmacContext(HmacContext&& other) noexcept : alg_(other.alg_), ctx_(other.ctx_) {
  other.ctx_ = nullptr;
}

HmacContext& HmacContext::operator=(HmacContext&& other) noexcept {
  if (this != &other) {
    EVP_MAC_CTX_free(ctx_);
    alg_ = other.alg_;
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

// OpenSSL's HMAC frees its copy of the key with OPENSSL_clear_free.
HmacContext::~HmacContext() { EVP_MAC_CTX_free(ctx_); }

Status HmacContext::Compute(std::string_view message, MacBytes& out) {
  // A null key re-initialises the context with the key it already has: the
  // hashed pads are copied, not recomputed.
  if (ctx_ == nullptr || EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(ctx_, Bytes(message), message.size()) != 1 ||
      EVP_MAC_final(ctx_, out.data, &out.size, sizeof out.data) != 1) {
    out.size = 0;
    return Status::Internal("HMAC: OpenSSL failed to compute " + std::string(AlgorithmName(alg_)));
  }
  return Status::Ok();
}

Result<std::string> HmacDigest(Algorithm alg, std::string_view secret, std::string_view message) {
  Result<HmacContext> ctx = HmacContext::New(alg, secret);
  if (!ctx.ok()) return ctx.status();
  MacBytes mac;
  if (Status s = ctx->Compute(message, mac); !s.ok()) return s;
  return std::string(mac.view());
}

std::string Base64Encode(std::string_view bytes) {
  // EVP_EncodeBlock writes 4 chars per 3 input bytes (padded) plus a NUL, and
  // never inserts newlines (unlike the BIO/EVP_EncodeUpdate API).
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), Bytes(bytes),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

MacBase64 Base64Encode(const MacBytes& mac) {
  MacBase64 out;
  out.size = static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data),
                                                      mac.data, static_cast<int>(mac.size)));
  return out;
}

std::string UrlEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

Result<std::string> ComputeSignature(Algorithm alg, std::string_view secret,
                                     std::string_view signing_string) {
  Result<std::string> mac = HmacDigest(alg, secret, signing_string);
  if (!mac.ok()) return mac.status();
  return UrlEncode(Base64Encode(*mac));
}

bool SignatureMatches(std::string_view received, std::string_view expected_base64) {
  // Decoding the escapes looks only at what the client sent, so it may take
  // data-dependent time; only the comparison with the secret-derived value
  // must not. A stray "%" that is not an escape cannot be Base64: no match.
  // The length is not secret (it follows from the algorithm, which is
  // public), so decoding stops as soon as the text is longer than expected.
  // Decoded into a stack buffer: expected values are MACs (88 characters at
  // most), a longer one takes the heap.
  if (expected_base64.empty()) return false;
  char stack[128];
  std::string heap;
  char* decoded = stack;
  if (expected_base64.size() > sizeof stack) {
    heap.resize(expected_base64.size());
    decoded = heap.data();
  }
  std::size_t n = 0;
  for (std::size_t i = 0; i < received.size(); ++i) {
    char c = received[i];
    if (c == '%') {
      if (i + 2 >= received.size()) return false;
      const int hi = HexValue(received[i + 1]);
      const int lo = HexValue(received[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (n == expected_base64.size()) return false;
    decoded[n++] = c;
  }
  if (n != expected_base64.size()) return false;
  return CRYPTO_memcmp(decoded, expected_base64.data(), n) == 0;
}

}  // namespace offerledger
