#include "auth/secret_box.h"

#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/hmac.h"
#include "common/random.h"

namespace offerledger {
namespace {

constexpr std::size_t kNonceSize = 12;  // GCM's native IV size
constexpr std::size_t kTagSize = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Strict RFC 4648 Base64 decode (padded, standard alphabet), nullopt-like
// false on anything else. EVP_DecodeBlock skips whitespace and counts the
// padding as zero bytes, so the padding is checked and trimmed here.
bool DecodeBase64(std::string_view text, std::string& out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/';
    const bool pad =
        c == '=' && i >= text.size() - 2 && (i == text.size() - 1 || text[text.size() - 1] == '=');
    if (!alpha && !pad) return false;
  }
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.assign(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), U(text),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) < padding) return false;
  out.resize(static_cast<std::size_t>(n) - padding);
  return true;
}

}  // namespace

Result<SecretBox> SecretBox::FromKey(std::string_view key) {
  if (key.size() != kKeySize) {
    return Status::Invalid("the master key must be " + std::to_string(kKeySize) + " bytes, got " +
                           std::to_string(key.size()));
  }
  SecretBox box;
  std::copy(key.begin(), key.end(), box.key_.begin());
  return box;
}

SecretBox::~SecretBox() { OPENSSL_cleanse(key_.data(), key_.size()); }

bool SecretBox::IsSealed(std::string_view stored) { return stored.starts_with(kPrefix); }

Result<std::string> SecretBox::Seal(std::string_view secret, std::string_view key_id) const {
  std::string raw(kNonceSize + secret.size() + kTagSize, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(raw.data());
  SecureRandomBytes(nonce, kNonceSize);
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(key_id), static_cast<int>(key_id.size())) ==
          1 &&
      EVP_EncryptUpdate(ctx.get(), nonce + kNonceSize, &len, U(secret),
                        static_cast<int>(secret.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), nonce + kNonceSize + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          nonce + kNonceSize + secret.size()) == 1;
  if (!ok) return Status::Internal("AES-256-GCM encryption failed");
  return std::string(kPrefix) + Base64Encode(raw);
}

Result<std::string> SecretBox::Open(std::string_view sealed, std::string_view key_id) const {
  if (!IsSealed(sealed)) return Status::Invalid("not an encrypted secret");
  std::string raw;
  if (!DecodeBase64(sealed.substr(kPrefix.size()), raw) || raw.size() < kNonceSize + kTagSize) {
    return Status::Invalid("malformed encrypted secret");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  const std::size_t n = raw.size() - kNonceSize - kTagSize;
  std::string plain(n, '\0');
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), bytes) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(key_id), static_cast<int>(key_id.size())) ==
          1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                        bytes + kNonceSize, static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          const_cast<unsigned char*>(bytes + kNonceSize + n)) == 1;
  // Final checks the tag: only then is the plain text genuine.
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len,
                                 &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return Status::Unauthenticated(
        "an encrypted API secret does not decrypt: wrong master key, or the stored text was "
        "changed or belongs to another key");
  }
  return plain;
}

}  // namespace offerledger
