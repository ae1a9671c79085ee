#include "client/signer.h"

#include <optional>

#include "auth/http_date.h"
#include "auth/signer.h"

namespace offerledger::client {

namespace {
bool EqualsI(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}
}  // namespace

Signer::Signer(std::string key, std::string secret, Algorithm alg, std::vector<std::string> headers)
    : key_(std::move(key)), secret_(std::move(secret)), alg_(alg), headers_(std::move(headers)) {}

std::string Signer::Authorization(std::string_view method, std::string_view target,
                                  std::string_view date, const HeaderList& extra) const {
  const std::string api_key = key_;
  HeaderLookup lookup = [&](std::string_view name) -> std::optional<std::string_view> {
    if (name == "date") return date;
    if (name == "x-api-key") return std::string_view(api_key);
    for (const auto& [k, v] : extra) {
      if (EqualsI(k, name)) return std::string_view(v);
    }
    return std::nullopt;
  };
  return BuildAuthorization(key_, secret_, alg_, headers_, method, target, lookup);
}

HeaderList Signer::Sign(std::string_view method, std::string_view target, Micros now,
                        const HeaderList& extra) const {
  const std::string date = FormatHttpDate(now);
  HeaderList out;
  out.emplace_back("Date", date);
  out.emplace_back("X-Api-Key", key_);
  out.emplace_back("Authorization", Authorization(method, target, date, extra));
  return out;
}

}  // namespace offerledger::client
