#include "domain/ids.h"

#include <cctype>

#include "common/random.h"

namespace offerledger {

namespace {
constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kMixed =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kHex = "0123456789abcdef";

// n groups of 5 characters joined by '-', drawn in one RandomString call.
std::string Groups(int n, std::string_view alphabet) {
  const std::string chars = RandomString(static_cast<std::size_t>(5 * n), alphabet);
  std::string out;
  out.reserve(chars.size() + static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < chars.size(); i += 5) {
    if (i > 0) out += '-';
    out.append(chars, i, 5);
  }
  return out;
}
}  // namespace

std::string NewPackageId() { return Groups(2, kUpperDigits) + "-INS"; }

bool IsPackageId(std::string_view s) {
  if (s.size() != 15 || s.substr(11) != "-INS" || s[5] != '-') return false;
  for (std::size_t i = 0; i < 11; ++i) {
    if (i == 5) continue;
    const char c = s[i];
    if (!(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

std::string NewUuid() {
  unsigned char b[16];
  SecureRandomBytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0x0f];
  }
  return out;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

std::string NewSecurityToken() { return Groups(4, kMixed); }
std::string NewCancellationId() { return Groups(4, kMixed).substr(0, 17) + "-CCL"; }
std::string NewRenewalId() { return Groups(4, kMixed).substr(0, 17) + "-RNW"; }
std::string NewUpdateId() { return Groups(4, kMixed).substr(0, 17) + "-UPD"; }
std::string NewApiKey() { return "ol_" + RandomString(24, kMixed); }
std::string NewApiSecret() { return RandomString(48, kMixed); }

}  // namespace offerledger
