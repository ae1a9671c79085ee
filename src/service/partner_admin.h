// PartnerAdmin: operator use cases for partners and their API keys (the
// `offerledger partner ...` commands). Keys rotate without downtime: add a
// new key, move the partner's clients to it, revoke the old one. Each change
// writes its audit entry (store.h AuditEntry) in the same transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/secret_box.h"
#include "common/result.h"
#include "store/store.h"

namespace offerledger {

struct NewCredentials {
  std::string partner;
  std::string api_key;
  std::string api_secret;  // shown once; only its holder and the store know it
};

class PartnerAdmin {
 public:
  // With a master key (`box`, not owned, may be null) new secrets are stored
  // sealed (service/secret_sealing.h); without one, in plain text.
  // `actor` names who runs the actions in the audit log ("alice via cli").
  explicit PartnerAdmin(Store& store, const SecretBox* box = nullptr,
                        std::string actor = "unknown")
      : store_(store), box_(box), actor_(std::move(actor)) {}

  // Partner codes: 2-32 characters of A-Z, a-z, 0-9, '_' and '-'.
  static bool IsValidPartnerCode(std::string_view code);

  // Rate limits (docs/api.md "Rate limits"), requests per second per class:
  // N > 0 the partner's own limit, 0 the server's default, kUnlimited none
  // whatever the default.
  static constexpr std::int64_t kUnlimited = -1;
  static constexpr std::int64_t kMaxRps = 1'000'000;
  // Parses a limit as the CLI takes it: a whole number 0..kMaxRps or
  // "unlimited".
  static Result<std::int64_t> ParseRps(std::string_view text);

  Result<NewCredentials> AddPartner(const std::string& code, const std::string& name,
                                    std::int64_t quote_rps = 0, std::int64_t other_rps = 0);
  // Sets a partner's limits; nullopt keeps that class's current limit.
  // Running servers apply them within their refresh interval.
  Status SetLimits(const std::string& code, std::optional<std::int64_t> quote_rps,
                   std::optional<std::int64_t> other_rps);
  Result<NewCredentials> AddKey(const std::string& code);
  Status RevokeKey(const std::string& api_key);
  // Whether the partner's signatures must sign "(request-target)" (docs/api.md
  // "Replay"). Running servers apply it to the next request.
  Status SetAuth(const std::string& code, bool require_request_target);
  Result<std::vector<Partner>> List();

 private:
  AuditEntry Audit(std::string action, std::string partner, std::string key,
                   std::string detail) const;

  Store& store_;
  const SecretBox* box_;
  std::string actor_;
};

}  // namespace offerledger
