#include "auth/signature_header.h"

#include <algorithm>
#include <optional>

namespace offerledger {
namespace {

constexpr std::string_view kSupported = "hmac-sha256, hmac-sha384 or hmac-sha512";

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// RFC 7230 tchar: what a parameter name may be made of.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Status Malformed(std::string_view why) {
  return Status::Unauthenticated("malformed Authorization header: " + std::string(why));
}

void SkipSpace(std::string_view& s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
}

// A quoted-string (RFC 7230 3.2.6) at the front of `s`, with its quoted-pairs
// ("\x") unescaped. nullopt when it does not start with '"' or never ends.
std::optional<std::string> TakeQuoted(std::string_view& s) {
  if (s.empty() || s.front() != '"') return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '"') {
      s.remove_prefix(i + 1);
      return out;
    }
    if (s[i] == '\\') {
      if (++i == s.size()) break;
    }
    out.push_back(s[i]);
  }
  return std::nullopt;
}

struct RawParams {
  std::optional<std::string> key_id, algorithm, headers, signature;
};

// Fills the one slot a known parameter name maps to; unknown names map to
// none (they are ignored, but still counted for duplicate detection).
std::optional<std::string>* Slot(RawParams& p, std::string_view name) {
  if (IEquals(name, "keyId")) return &p.key_id;
  if (IEquals(name, "algorithm")) return &p.algorithm;
  if (IEquals(name, "headers")) return &p.headers;
  if (IEquals(name, "signature")) return &p.signature;
  return nullptr;
}

}  // namespace

Result<Algorithm> ParseAlgorithm(std::string_view name, bool allow_sha1) {
  if (IEquals(name, "hmac-sha256")) return Algorithm::kHmacSha256;
  if (IEquals(name, "hmac-sha384")) return Algorithm::kHmacSha384;
  if (IEquals(name, "hmac-sha512")) return Algorithm::kHmacSha512;
  if (IEquals(name, "hmac-sha1")) {
    if (allow_sha1) return Algorithm::kHmacSha1;
    return Status::Unauthenticated(
        "unsupported algorithm: hmac-sha1 is deprecated and disabled; use " +
        std::string(kSupported));
  }
  // The received name is not echoed: it is attacker-controlled text.
  return Status::Unauthenticated("unsupported algorithm: use " + std::string(kSupported));
}

Result<SignatureParams> ParseSignatureHeader(std::string_view value, SignatureParseOptions opts) {
  // Auth scheme names are case-insensitive (RFC 7235 2.1); at least one space follows.
  constexpr std::string_view kScheme = "Signature";
  if (value.size() <= kScheme.size() || !IEquals(value.substr(0, kScheme.size()), kScheme) ||
      !IsSpace(value[kScheme.size()])) {
    return Malformed("expected the \"Signature\" scheme followed by parameters");
  }
  std::string_view rest = value.substr(kScheme.size());

  RawParams raw;
  std::vector<std::string> seen;  // lower-cased names, for duplicate detection
  for (;;) {
    SkipSpace(rest);
    if (rest.empty()) break;
    if (rest.front() == ',') {  // empty list elements are allowed (RFC 7230 7)
      rest.remove_prefix(1);
      continue;
    }
    std::size_t n = 0;
    while (n < rest.size() && IsTokenChar(rest[n])) ++n;
    if (n == 0) return Malformed("expected a parameter name");
    const std::string name = ToLower(rest.substr(0, n));
    rest.remove_prefix(n);
    SkipSpace(rest);
    if (rest.empty() || rest.front() != '=') return Malformed("parameter without '=' value");
    rest.remove_prefix(1);
    SkipSpace(rest);
    std::optional<std::string> quoted = TakeQuoted(rest);
    if (!quoted) {
      return Malformed("the value of every parameter must be a complete \"quoted\" string");
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return Malformed("duplicate parameter " + name);
    }
    seen.push_back(name);
    if (std::optional<std::string>* slot = Slot(raw, name)) *slot = std::move(*quoted);
    SkipSpace(rest);
    if (!rest.empty()) {
      if (rest.front() != ',') return Malformed("parameters must be separated by commas");
      rest.remove_prefix(1);
    }
  }

  if (!raw.key_id || raw.key_id->empty()) return Malformed("missing keyId");
  if (!raw.signature || raw.signature->empty()) return Malformed("missing signature");
  if (!raw.algorithm) return Malformed("missing algorithm (use " + std::string(kSupported) + ")");
  Result<Algorithm> alg = ParseAlgorithm(*raw.algorithm, opts.allow_sha1);
  if (!alg.ok()) return alg.status();

  SignatureParams out;
  out.key_id = std::move(*raw.key_id);
  out.algorithm = *alg;
  out.signature = std::move(*raw.signature);
  if (!raw.headers) {
    out.headers = {"date"};
  } else {
    // Space-separated, empty items dropped: the official client's split.
    std::string_view h = *raw.headers;
    while (!h.empty()) {
      const std::size_t end = std::min(h.find_first_of(" \t"), h.size());
      if (end > 0) out.headers.push_back(ToLower(h.substr(0, end)));
      h.remove_prefix(std::min(end + 1, h.size()));
    }
  }
  return out;
}

}  // namespace offerledger
