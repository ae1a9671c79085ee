// API secrets at rest (docs/storage.md "API secrets"): with a master key
// configured every stored secret is sealed (auth/secret_box.h); without one
// they stay plain text, as before encryption existed. This checks that the
// store and the configured key agree, and upgrades plain secrets in place.
#pragma once

#include <cstdint>
#include <string>

#include "auth/hmac_key_cache.h"
#include "auth/secret_box.h"
#include "common/result.h"
#include "store/store.h"

namespace offerledger {

struct SecretCensus {
  std::int64_t plain = 0;   // plain-text secrets left in the store
  std::int64_t sealed = 0;  // sealed secrets (incl. newly_sealed)
  std::int64_t newly_sealed = 0;
};

// Reads every API key's stored secret (revoked ones too) and:
// - without a master key (box null): Invalid if any secret is sealed, with a
//   message naming OFFERLEDGER_MASTER_KEY and --master-key-file;
// - with one: Invalid if a sealed secret does not open with it (a wrong
//   key); then, when `seal_plain`, seals each plain secret in place.
// Never puts a secret in a message. Each secret sealed writes a
// "partner.seal_secrets" audit entry by `actor` in the same transaction.
Result<SecretCensus> CheckStoredSecrets(Store& store, const SecretBox* box, bool seal_plain,
                                        const std::string& actor = "unknown");

// The text to store for a new secret of key `key_id`: sealed with `box`, or
// the secret itself without a master key.
Result<std::string> StoredSecret(const SecretBox* box, const std::string& key_id,
                                 const std::string& secret);

// The verifier's SecretOpener (auth/hmac_key_cache.h) for secrets as stored:
// opens sealed ones with `box` (kept by copy), passes plain ones through. A
// secret that does not open is a server fault (Internal), not the client's.
SecretOpener MakeSecretOpener(const SecretBox* box);

}  // namespace offerledger
