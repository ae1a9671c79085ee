#include "service/secret_sealing.h"

#include <memory>

#include <openssl/crypto.h>

#include "auth/master_key.h"

namespace offerledger {

Result<SecretCensus> CheckStoredSecrets(Store& store, const SecretBox* box, bool seal_plain,
                                        const std::string& actor) {
  SecretCensus census;
  Result<std::vector<Partner>> partners = store.ListPartners();
  if (!partners.ok()) return partners.status();
  for (const Partner& p : *partners) {
    Result<std::vector<ApiKey>> keys = store.ListKeys(p.code);
    if (!keys.ok()) return keys.status();
    for (ApiKey& k : *keys) {
      if (SecretBox::IsSealed(k.secret)) {
        ++census.sealed;
        if (box == nullptr) {
          return Status::Invalid(std::string("the database holds encrypted API secrets: give their "
                                             "master key with $") +
                                 kMasterKeyEnv + " or --master-key-file PATH");
        }
        Result<std::string> opened = box->Open(k.secret, k.key);
        if (!opened.ok()) {
          return Status::Invalid("the master key does not decrypt the secret of API key " + k.key +
                                 " (a wrong master key, or a changed database row)");
        }
        OPENSSL_cleanse(opened->data(), opened->size());
      } else if (box != nullptr && seal_plain) {
        Result<std::string> sealed = box->Seal(k.secret, k.key);
        if (!sealed.ok()) return sealed.status();
        const AuditEntry audit{0, NowMicros(), actor, "partner.seal_secrets", p.code, k.key, "{}"};
        if (Status s = store.ReplaceKeySecret(k.key, k.secret, *sealed, &audit); !s.ok()) return s;
        ++census.sealed;
        ++census.newly_sealed;
      } else {
        ++census.plain;
      }
      OPENSSL_cleanse(k.secret.data(), k.secret.size());
    }
  }
  return census;
}

Result<std::string> StoredSecret(const SecretBox* box, const std::string& key_id,
                                 const std::string& secret) {
  if (box == nullptr) return secret;
  return box->Seal(secret, key_id);
}

SecretOpener MakeSecretOpener(const SecretBox* box) {
  std::shared_ptr<const SecretBox> held = box ? std::make_shared<SecretBox>(*box) : nullptr;
  return [held](std::string_view api_key, std::string_view stored) -> Result<std::string> {
    if (!SecretBox::IsSealed(stored)) return std::string(stored);
    if (held == nullptr) {
      return Status::Internal("API key " + std::string(api_key) +
                              " has an encrypted secret and the server has no master key");
    }
    Result<std::string> opened = held->Open(stored, api_key);
    if (!opened.ok()) {
      return Status::Internal("the secret of API key " + std::string(api_key) +
                              " does not decrypt with the master key");
    }
    return opened;
  };
}

}  // namespace offerledger
