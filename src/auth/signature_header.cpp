#include "auth/signature_header.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

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

// RFC 7230 tchar: what a parameter name may be made of. A table, as this
// runs for every character of every parameter of every request.
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool IsTokenChar(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

Status Malformed(std::string_view why) {
  return Status::Unauthenticated("malformed Authorization header: " + std::string(why));
}

void SkipSpace(std::string_view& s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
}

// The content of a quoted-string as sent: a view into the header, its
// quoted-pairs ("\x") still escaped. Values almost never have any, so they
// are copied once, when they go into SignatureParams, and only if needed.
struct Quoted {
  std::string_view raw;
  bool escaped = false;

  std::string Text() const {
    if (!escaped) return std::string(raw);
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\') ++i;  // TakeQuoted saw to it that a character follows
      out.push_back(raw[i]);
    }
    return out;
  }
};

// A quoted-string (RFC 7230 3.2.6) at the front of `s`. nullopt when it does
// not start with '"' or never ends.
std::optional<Quoted> TakeQuoted(std::string_view& s) {
  if (s.empty() || s.front() != '"') return std::nullopt;
  // Usually there is no backslash before the closing quote: two memchr
  // calls (the signature alone is ~90 characters) instead of a byte loop.
  const std::size_t close = s.find('"', 1);
  if (close != std::string_view::npos &&
      s.substr(1, close - 1).find('\\') == std::string_view::npos) {
    Quoted q{s.substr(1, close - 1), false};
    s.remove_prefix(close + 1);
    return q;
  }
  Quoted q;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '"') {
      q.raw = s.substr(1, i - 1);
      s.remove_prefix(i + 1);
      return q;
    }
    if (s[i] == '\\') {
      q.escaped = true;
      if (++i == s.size()) break;
    }
  }
  return std::nullopt;
}

struct RawParams {
  std::optional<Quoted> key_id, algorithm, headers, signature;
  // Names of the other parameters, for duplicate detection only.
  std::vector<std::string_view> unknown;
};

// The slot a known parameter name maps to; null for the others (ignored,
// but still checked for duplicates).
std::optional<Quoted>* Slot(RawParams& p, std::string_view name) {
  if (IEquals(name, "keyId")) return &p.key_id;
  if (IEquals(name, "algorithm")) return &p.algorithm;
  if (IEquals(name, "headers")) return &p.headers;
  if (IEquals(name, "signature")) return &p.signature;
  return nullptr;
}

// Records the parameter `name`; false if it was already there (names are
// case-insensitive).
bool Record(RawParams& p, std::string_view name, const Quoted& value) {
  if (std::optional<Quoted>* slot = Slot(p, name)) {
    if (slot->has_value()) return false;
    *slot = value;
    return true;
  }
  for (std::string_view seen : p.unknown) {
    if (IEquals(seen, name)) return false;
  }
  p.unknown.push_back(name);
  return true;
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
    const std::string_view name = rest.substr(0, n);
    rest.remove_prefix(n);
    SkipSpace(rest);
    if (rest.empty() || rest.front() != '=') return Malformed("parameter without '=' value");
    rest.remove_prefix(1);
    SkipSpace(rest);
    std::optional<Quoted> quoted = TakeQuoted(rest);
    if (!quoted) {
      return Malformed("the value of every parameter must be a complete \"quoted\" string");
    }
    if (!Record(raw, name, *quoted)) return Malformed("duplicate parameter " + ToLower(name));
    SkipSpace(rest);
    if (!rest.empty()) {
      if (rest.front() != ',') return Malformed("parameters must be separated by commas");
      rest.remove_prefix(1);
    }
  }

  if (!raw.key_id || raw.key_id->raw.empty()) return Malformed("missing keyId");
  if (!raw.signature || raw.signature->raw.empty()) return Malformed("missing signature");
  if (!raw.algorithm) return Malformed("missing algorithm (use " + std::string(kSupported) + ")");
  Result<Algorithm> alg = ParseAlgorithm(raw.algorithm->Text(), opts.allow_sha1);
  if (!alg.ok()) return alg.status();

  SignatureParams out;
  out.key_id = raw.key_id->Text();
  out.algorithm = *alg;
  out.signature = raw.signature->Text();
  if (!raw.headers) {
    out.headers = {"date"};
  } else {
    // Space-separated, empty items dropped: the official client's split.
    const std::string unescaped = raw.headers->escaped ? raw.headers->Text() : std::string();
    const std::string_view list = raw.headers->escaped ? unescaped : raw.headers->raw;
    const auto separators = std::count_if(list.begin(), list.end(), IsSpace);
    out.headers.reserve(static_cast<std::size_t>(separators) + 1);  // at most that many names
    std::string_view h = list;
    while (!h.empty()) {
      const auto end =
          static_cast<std::size_t>(std::find_if(h.begin(), h.end(), IsSpace) - h.begin());
      if (end > 0) out.headers.push_back(ToLower(h.substr(0, end)));
      h.remove_prefix(std::min(end + 1, h.size()));
    }
  }
  return out;
}

}  // namespace offerledger
