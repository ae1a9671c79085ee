#include "client/config.h"

#include <cstdlib>
#include <stdexcept>

namespace offerledger::client {

namespace {

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::optional<Algorithm> ParseAlgorithm(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "hmac-sha1") return Algorithm::kHmacSha1;
  if (n == "hmac-sha256") return Algorithm::kHmacSha256;
  if (n == "hmac-sha384") return Algorithm::kHmacSha384;
  if (n == "hmac-sha512") return Algorithm::kHmacSha512;
  return std::nullopt;
}

std::vector<std::string> ParseHeaderList(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',' || text[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != ',' && text[j] != '\t') ++j;
    if (j > i) out.push_back(Lower(text.substr(i, j - i)));
    i = j;
  }
  return out;
}

std::string DefaultOutboxPath() {
  if (auto v = Env("XC_OUTBOX")) return *v;
  if (auto v = Env("XDG_STATE_HOME")) return *v + "/offerledger/outbox.db";
  if (auto v = Env("HOME")) return *v + "/.local/state/offerledger/outbox.db";
  return "./offerledger-outbox.db";
}

Config ConfigFromEnv() {
  Config c;
  if (auto v = Env("XC_BASE_URL")) c.base_url = *v;
  if (auto v = Env("XC_PARTNER_CODE")) c.partner_code = *v;
  if (auto v = Env("XC_AUTH_API_KEY")) c.api_key = *v;
  if (auto v = Env("XC_AUTH_API_SECRET")) c.api_secret = *v;
  if (auto v = Env("XC_AUTH_ALGORITHM")) {
    auto a = ParseAlgorithm(*v);
    if (!a) throw std::invalid_argument("XC_AUTH_ALGORITHM: unknown algorithm " + *v);
    c.algorithm = *a;
  }
  if (auto v = Env("XC_AUTH_HEADERS")) c.signed_headers = ParseHeaderList(*v);
  if (auto v = Env("XC_TIMEOUT")) {
    try {
      c.timeout = std::chrono::milliseconds(static_cast<long long>(std::stod(*v) * 1000));
    } catch (const std::exception&) {
      throw std::invalid_argument("XC_TIMEOUT: not a number of seconds: " + *v);
    }
  }
  if (auto v = Env("XC_CA_FILE")) c.ca_file = *v;
  c.outbox_path = DefaultOutboxPath();
  return c;
}

Url ParseUrl(std::string_view url) {
  Url u;
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos)
    throw std::invalid_argument("not an absolute URL: " + std::string(url));
  u.scheme = Lower(url.substr(0, colon));
  if (u.scheme != "http" && u.scheme != "https")
    throw std::invalid_argument("unsupported URL scheme: " + std::string(url));
  std::string_view rest = url.substr(colon + 3);
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!u.target.empty() && u.target[0] == '?') u.target = "/" + u.target;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  u.port = u.scheme == "https" ? 443 : 80;
  std::string_view host = authority;
  if (!authority.empty() && authority[0] == '[') {
    const std::size_t end = authority.find(']');
    if (end == std::string_view::npos)
      throw std::invalid_argument("bad IPv6 host: " + std::string(url));
    host = authority.substr(1, end - 1);
    if (end + 1 < authority.size() && authority[end + 1] == ':')
      u.port = static_cast<std::uint16_t>(std::stoi(std::string(authority.substr(end + 2))));
  } else if (const std::size_t pc = authority.rfind(':'); pc != std::string_view::npos) {
    host = authority.substr(0, pc);
    try {
      const int p = std::stoi(std::string(authority.substr(pc + 1)));
      if (p <= 0 || p > 65535) throw std::out_of_range("port");
      u.port = static_cast<std::uint16_t>(p);
    } catch (const std::exception&) {
      throw std::invalid_argument("bad port in URL: " + std::string(url));
    }
  }
  if (host.empty()) throw std::invalid_argument("no host in URL: " + std::string(url));
  u.host = std::string(host);
  return u;
}

std::string JoinUrl(std::string_view base, std::string_view relative) {
  if (relative.find("://") != std::string_view::npos) return std::string(relative);
  const std::size_t colon = base.find("://");
  const std::size_t path_start = colon == std::string_view::npos ? 0 : base.find('/', colon + 3);
  std::string_view origin =
      path_start == std::string_view::npos ? base : base.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : base.substr(path_start);
  if (const std::size_t q = path.find_first_of("?#"); q != std::string_view::npos)
    path = path.substr(0, q);
  if (!relative.empty() && relative[0] == '/') return std::string(origin) + std::string(relative);
  std::string dir = path.empty() ? "/" : std::string(path.substr(0, path.rfind('/') + 1));
  return std::string(origin) + dir + std::string(relative);
}

}  // namespace offerledger::client
