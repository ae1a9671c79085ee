#include "service/partner_admin.h"

#include "common/status_macros.h"
#include "domain/ids.h"
#include "domain/json_writer.h"
#include "service/secret_sealing.h"

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

namespace {

Status CheckRps(std::string_view what, std::int64_t rps) {
  if (rps == PartnerAdmin::kUnlimited || (rps >= 0 && rps <= PartnerAdmin::kMaxRps)) {
    return Status::Ok();
  }
  return Status::Invalid(std::string(what) + " must be 0-" + std::to_string(PartnerAdmin::kMaxRps) +
                         " or 'unlimited', got " + std::to_string(rps));
}

}  // namespace

Result<std::int64_t> PartnerAdmin::ParseRps(std::string_view text) {
  if (text == "unlimited") return kUnlimited;
  // At most 7 digits (kMaxRps has 7): longer text is refused before it
  // could overflow.
  std::int64_t v = 0;
  bool digits = !text.empty() && text.size() <= 7;
  for (std::size_t i = 0; digits && i < text.size(); ++i) {
    const char c = text[i];
    digits = c >= '0' && c <= '9';
    v = v * 10 + (c - '0');
  }
  if (!digits || v > kMaxRps) {
    return Status::Invalid("'" + std::string(text) + "' is not a rate: use a whole number 0-" +
                           std::to_string(kMaxRps) +
                           " (requests per second; 0 = the server default) or 'unlimited'");
  }
  return v;
}

Result<NewCredentials> PartnerAdmin::AddPartner(const std::string& code, const std::string& name,
                                                std::int64_t quote_rps, std::int64_t other_rps) {
  if (!IsValidPartnerCode(code)) {
    return Status::Invalid("invalid partner code '" + code +
                           "': use 2-32 characters of A-Z, a-z, 0-9, '_' and '-'");
  }
  if (Status s = CheckRps("quote_rps", quote_rps); !s.ok()) return s;
  if (Status s = CheckRps("other_rps", other_rps); !s.ok()) return s;
  const Micros now = NowMicros();
  Partner p{code, name.empty() ? code : name, now, quote_rps, other_rps};
  std::string secret = NewApiSecret();
  ApiKey key{NewApiKey(), "", code, now, std::nullopt};
  OL_ASSIGN_OR_RETURN(key.secret, StoredSecret(box_, key.key, secret));
  JsonWriter detail;
  detail.BeginObject();
  detail.Key("name").String(p.name);
  detail.Key("quote_rps").Int(quote_rps);
  detail.Key("other_rps").Int(other_rps);
  detail.EndObject();
  const AuditEntry audit = Audit("partner.add", code, key.key, detail.str());
  if (Status s = store_.CreatePartner(p, key, &audit); !s.ok()) return s;
  return NewCredentials{code, key.key, std::move(secret)};
}

Result<NewCredentials> PartnerAdmin::AddKey(const std::string& code) {
  auto partner = store_.GetPartner(code);
  if (!partner.ok()) return partner.status();
  if (!partner->has_value()) return Status::NotFound("no partner '" + code + "'");
  std::string secret = NewApiSecret();
  ApiKey key{NewApiKey(), "", code, NowMicros(), std::nullopt};
  OL_ASSIGN_OR_RETURN(key.secret, StoredSecret(box_, key.key, secret));
  const AuditEntry audit = Audit("key.add", code, key.key, "{}");
  if (Status s = store_.AddKey(key, &audit); !s.ok()) return s;
  return NewCredentials{code, key.key, std::move(secret)};
}

Status PartnerAdmin::SetLimits(const std::string& code, std::optional<std::int64_t> quote_rps,
                               std::optional<std::int64_t> other_rps) {
  if (quote_rps) {
    if (Status s = CheckRps("quote_rps", *quote_rps); !s.ok()) return s;
  }
  if (other_rps) {
    if (Status s = CheckRps("other_rps", *other_rps); !s.ok()) return s;
  }
  auto partner = store_.GetPartner(code);
  if (!partner.ok()) return partner.status();
  if (!partner->has_value()) return Status::NotFound("no partner '" + code + "'");
  const Partner& p = **partner;
  const std::int64_t quote = quote_rps.value_or(p.quote_rps);
  const std::int64_t other = other_rps.value_or(p.other_rps);
  JsonWriter detail;
  detail.BeginObject();
  detail.Key("quote_rps").Int(quote);
  detail.Key("other_rps").Int(other);
  detail.EndObject();
  const AuditEntry audit = Audit("partner.set_limits", code, "", detail.str());
  return store_.SetPartnerLimits(code, quote, other, &audit);
}

Status PartnerAdmin::RevokeKey(const std::string& api_key) {
  auto key = store_.FindKey(api_key);
  if (!key.ok()) return key.status();
  if (!key->has_value()) return Status::NotFound("no API key " + api_key);
  // Revoking twice keeps the first time; the log says so.
  const AuditEntry audit = Audit("key.revoke", (*key)->partner, api_key,
                                 (*key)->revoked_at ? R"({"already_revoked":true})" : "{}");
  return store_.RevokeKey(api_key, NowMicros(), &audit);
}

Status PartnerAdmin::SetAuth(const std::string& code, bool require_request_target) {
  JsonWriter detail;
  detail.BeginObject();
  detail.Key("require_request_target").Bool(require_request_target);
  detail.EndObject();
  const AuditEntry audit = Audit("partner.set_auth", code, "", detail.str());
  return store_.SetPartnerAuth(code, require_request_target, &audit);
}

AuditEntry PartnerAdmin::Audit(std::string action, std::string partner, std::string key,
                               std::string detail) const {
  return AuditEntry{0,
                    NowMicros(),
                    actor_,
                    std::move(action),
                    std::move(partner),
                    std::move(key),
                    std::move(detail)};
}

Result<std::vector<Partner>> PartnerAdmin::List() { return store_.ListPartners(); }

}  // namespace offerledger
