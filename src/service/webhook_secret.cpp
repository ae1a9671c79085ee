#include "service/webhook_secret.h"

#include "service/secret_sealing.h"

namespace offerledger {

namespace {

std::string SecretId(std::string_view partner) { return "webhook:" + std::string(partner); }

}  // namespace

Result<std::string> SealWebhookSecret(const SecretBox* box, std::string_view partner,
                                      const std::string& secret) {
  return StoredSecret(box, SecretId(partner), secret);
}

Result<std::string> OpenWebhookSecret(const SecretBox* box, const WebhookConfig& config) {
  if (!SecretBox::IsSealed(config.secret)) return config.secret;
  if (box == nullptr) {
    return Status::Invalid("the webhook secret of partner " + config.partner +
                           " is encrypted and no master key is configured (--master-key-file "
                           "or $OFFERLEDGER_MASTER_KEY)");
  }
  return box->Open(config.secret, SecretId(config.partner));
}

}  // namespace offerledger
