#include "auth/signing_string.h"

namespace offerledger {
namespace {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
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
  return target.substr(0, target.find_first_of("?#"));
}

std::string BuildSigningString(const std::vector<std::string>& headers, std::string_view method,
                               std::string_view target, const HeaderLookup& lookup) {
  std::string out;
  for (const std::string& header : headers) {
    const std::string name = ToLower(header);
    std::string line;
    if (name == "(request-target)") {
      line = "(request-target): " + ToLower(method) + " " + std::string(RequestPath(target));
    } else {
      const std::optional<std::string_view> value =
          lookup ? lookup(name) : std::optional<std::string_view>{};
      if (!value) continue;  // absent: skipped, like the official client (see header)
      line = name + ": " + std::string(*value);
    }
    if (!out.empty()) out.push_back('\n');
    out += line;
  }
  return out;
}

}  // namespace offerledger
