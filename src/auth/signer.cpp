#include "auth/signer.h"

namespace offerledger {

std::string BuildAuthorization(std::string_view key, std::string_view secret, Algorithm alg,
                               const std::vector<std::string>& headers, std::string_view method,
                               std::string_view target, const HeaderLookup& lookup) {
  const std::string signing_string = BuildSigningString(headers, method, target, lookup);
  Result<std::string> signature = ComputeSignature(alg, secret, signing_string);
  if (!signature.ok()) return {};

  std::string header_list;
  for (const std::string& h : headers) {
    if (!header_list.empty()) header_list.push_back(' ');
    header_list += h;
  }
  // Parameter order and quoting exactly as the official client writes them.
  std::string out = "Signature keyId=\"";
  out += key;
  out += "\",algorithm=\"";
  out += AlgorithmName(alg);
  out += "\",headers=\"";
  out += header_list;
  out += "\",signature=\"";
  out += *signature;
  out += "\"";
  return out;
}

}  // namespace offerledger
