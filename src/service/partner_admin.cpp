#include "service/partner_admin.h"

#include "domain/ids.h"

namespace offerledger {

bool PartnerAdmin::IsValidPartnerCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 32) return false;
  for (char c : code) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<NewCredentials> PartnerAdmin::AddPartner(const std::string& code, const std::string& name,
                                                std::int64_t quote_rps, std::int64_t other_rps) {
  if (!IsValidPartnerCode(code)) {
    return Status::Invalid("invalid partner code '" + code +
                           "': use 2-32 characters of A-Z, a-z, 0-9, '_' and '-'");
  }
  const Micros now = NowMicros();
  Partner p{code, name.empty() ? code : name, now, quote_rps, other_rps};
  ApiKey key{NewApiKey(), NewApiSecret(), code, now, std::nullopt};
  if (Status s = store_.CreatePartner(p, key); !s.ok()) return s;
  return NewCredentials{code, key.key, key.secret};
}

Result<NewCredentials> PartnerAdmin::AddKey(const std::string& code) {
  auto partner = store_.GetPartner(code);
  if (!partner.ok()) return partner.status();
  if (!partner->has_value()) return Status::NotFound("no partner '" + code + "'");
  ApiKey key{NewApiKey(), NewApiSecret(), code, NowMicros(), std::nullopt};
  if (Status s = store_.AddKey(key); !s.ok()) return s;
  return NewCredentials{code, key.key, key.secret};
}

Status PartnerAdmin::RevokeKey(const std::string& api_key) {
  return store_.RevokeKey(api_key, NowMicros());
}

Result<std::vector<Partner>> PartnerAdmin::List() { return store_.ListPartners(); }

}  // namespace offerledger
