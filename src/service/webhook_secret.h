// The webhook secret at rest: sealed with the master key like the API
// secrets (service/secret_sealing.h, auth/secret_box.h), bound to the
// partner ("webhook:<CODE>" as the additional data), so a sealed secret
// copied onto another partner's row or an API key's does not open.
#pragma once

#include <string>
#include <string_view>

#include "auth/secret_box.h"
#include "common/result.h"
#include "store/store.h"

namespace offerledger {

// The text to store for `secret`: sealed with `box`, or plain without a master key.
Result<std::string> SealWebhookSecret(const SecretBox* box, std::string_view partner,
                                      const std::string& secret);

// The secret of `config` as the sender signs with it. Invalid when it is
// sealed and there is no master key; the message never holds the secret.
Result<std::string> OpenWebhookSecret(const SecretBox* box, const WebhookConfig& config);

}  // namespace offerledger
