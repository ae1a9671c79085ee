#include "auth/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace offerledger {
namespace {

const EVP_MD* Digest(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHmacSha1:
      return EVP_sha1();
    case Algorithm::kHmacSha256:
      return EVP_sha256();
    case Algorithm::kHmacSha384:
      return EVP_sha384();
    case Algorithm::kHmacSha512:
      return EVP_sha512();
  }
  return nullptr;
}

// OpenSSL treats a null key as "reuse the previous key" and may not like a
// null message; an empty string_view can carry a null data() pointer.
const unsigned char* Bytes(std::string_view s) {
  static const unsigned char kEmpty[1] = {0};
  return s.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(s.data());
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

Result<std::string> HmacDigest(Algorithm alg, std::string_view secret, std::string_view message) {
  const EVP_MD* md = Digest(alg);
  if (md == nullptr) return Status::Internal("HMAC: digest unavailable");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (HMAC(md, Bytes(secret), static_cast<int>(secret.size()), Bytes(message), message.size(), out,
           &out_len) == nullptr) {
    return Status::Internal("HMAC: OpenSSL failed to compute " + std::string(AlgorithmName(alg)));
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
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
  std::string decoded;
  decoded.reserve(received.size());
  for (std::size_t i = 0; i < received.size(); ++i) {
    if (received[i] != '%') {
      decoded.push_back(received[i]);
      continue;
    }
    if (i + 2 >= received.size()) return false;
    const int hi = HexValue(received[i + 1]);
    const int lo = HexValue(received[i + 2]);
    if (hi < 0 || lo < 0) return false;
    decoded.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  // The length is not secret: it follows from the algorithm, which is public.
  if (decoded.size() != expected_base64.size() || decoded.empty()) return false;
  return CRYPTO_memcmp(decoded.data(), expected_base64.data(), decoded.size()) == 0;
}

}  // namespace offerledger
