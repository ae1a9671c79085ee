// SecretBox: API secrets encrypted at rest with the master key (AES-256-GCM).
// The store keeps whatever text it is given; the admin path seals a new
// secret, the verification path opens it once per key (HmacKeyCache).
//
// Sealed text: "olsec1:" + Base64(nonce[12] | ciphertext | tag[16]), with a
// fresh random nonce per secret and the API key id as additional
// authenticated data, so a ciphertext copied onto another key's row does not
// open. The "olsec1:" prefix versions the format.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace offerledger {

class SecretBox {
 public:
  static constexpr std::size_t kKeySize = 32;  // AES-256
  static constexpr std::string_view kPrefix = "olsec1:";

  // `key` must be exactly kKeySize bytes (Invalid otherwise).
  static Result<SecretBox> FromKey(std::string_view key);

  SecretBox(const SecretBox& other) = default;
  SecretBox& operator=(const SecretBox& other) = default;
  ~SecretBox();  // wipes the key

  // True when `stored` is sealed text (starts with kPrefix); anything else is
  // a plain-text secret from before encryption.
  static bool IsSealed(std::string_view stored);

  // Encrypts `secret` bound to `key_id`. Fails (Internal) only if OpenSSL does.
  Result<std::string> Seal(std::string_view secret, std::string_view key_id) const;

  // Decrypts sealed text made for `key_id`. Unauthenticated when the text was
  // tampered with, made for another key id, or sealed with another master
  // key (GCM cannot tell these apart); Invalid when it is not sealed text.
  // The message never contains the text or the secret.
  Result<std::string> Open(std::string_view sealed, std::string_view key_id) const;

 private:
  SecretBox() = default;
  std::array<unsigned char, kKeySize> key_{};
};

}  // namespace offerledger
