#include "auth/signing_string.h"

#include <algorithm>

namespace offerledger {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

void AppendLower(std::string& out, std::string_view s) {
  for (const char c : s) out.push_back(Lower(c));
}

bool IsLower(std::string_view s) {
  for (const char c : s) {
    if (c != Lower(c)) return false;
  }
  return true;
}

}  // namespace

std::string_view RequestPath(std::string_view target) {
  // Absolute-form ("http://host/p?q", RFC 7230 5.3.2): skip scheme and
  // authority, as the client's urlparse(url).path would.
  if (!target.empty() && target.front() != '/') {
    const std::size_t scheme_end = target.find("://");
    if (scheme_end != std::string_view::npos) {
      target.remove_prefix(scheme_end + 3);
      const std::size_t path_start = target.find_first_of("/?#");
      if (path_start == std::string_view::npos || target[path_start] != '/') return "/";
      target.remove_prefix(path_start);
    }
  }
  // Not find_first_of("?#"): libstdc++ calls memchr on "?#" for every
  // character, which showed in the profile.
  const auto end =
      std::find_if(target.begin(), target.end(), [](char c) { return c == '?' || c == '#'; });
  return target.substr(0, static_cast<std::size_t>(end - target.begin()));
}

std::string BuildSigningString(const std::vector<std::string>& headers, std::string_view method,
                               std::string_view target, const HeaderLookup& lookup) {
  // Written straight into one string: a typical signing string (request
  // target and date, ~120 bytes) takes one allocation.
  std::string out;
  out.reserve(256);
  for (const std::string& header : headers) {
    // The lookup wants the lower-cased name; the verifier's are already.
    std::string_view name = header;
    std::string lowered;
    if (!IsLower(name)) {
      AppendLower(lowered, name);
      name = lowered;
    }
    if (name == "(request-target)") {
      if (!out.empty()) out.push_back('\n');
      out += "(request-target): ";
      AppendLower(out, method);
      out += ' ';
      out += RequestPath(target);
      continue;
    }
    const std::optional<std::string_view> value =
        lookup ? lookup(name) : std::optional<std::string_view>{};
    if (!value) continue;  // absent: skipped, like the official client (see header)
    if (!out.empty()) out.push_back('\n');
    out += name;
    out += ": ";
    out += *value;
  }
  return out;
}

}  // namespace offerledger
