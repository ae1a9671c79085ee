// Partner SDK configuration: where the API is, who we are, how we sign, how
// patient we are. FromEnv reads the variables the official XCover clients use.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/hmac.h"

namespace offerledger::client {

struct RetryPolicy {
  // Total attempts of one logical operation (first try included).
  int max_attempts = 6;
  // Full jitter: the wait before retry n (n = 1, 2, ...) is uniform in
  // [0, min(cap, base * 2^(n-1))].
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{10'000};
  // A Retry-After larger than this is clamped to it.
  std::chrono::milliseconds max_retry_after{60'000};
};

struct Config {
  // Joined with "partners/..." as Python's urljoin does, so keep the
  // trailing slash: "https://api.xcover.com/xcover/".
  std::string base_url = "https://api.xcover.com/xcover/";
  std::string partner_code;
  std::string api_key;
  std::string api_secret;
  Algorithm algorithm = Algorithm::kHmacSha512;
  std::vector<std::string> signed_headers = {"(request-target)", "date"};
  // Per attempt: connect + send + receive.
  std::chrono::milliseconds timeout{10'000};
  RetryPolicy retry;
  // TLS: verification is on unless explicitly turned off.
  bool verify_tls = true;
  std::string ca_file;  // extra trust anchors (PEM); "" = system store only
  // The durable opt-out outbox (SQLite file); "" = DefaultOutboxPath().
  std::string outbox_path;
};

// Reads XC_BASE_URL, XC_PARTNER_CODE, XC_AUTH_API_KEY, XC_AUTH_API_SECRET,
// XC_AUTH_ALGORITHM, XC_AUTH_HEADERS, XC_TIMEOUT (seconds), XC_CA_FILE,
// XC_OUTBOX over the defaults. Throws std::invalid_argument on a bad value.
Config ConfigFromEnv();

// "hmac-sha256" -> Algorithm; nullopt if unknown.
std::optional<Algorithm> ParseAlgorithm(std::string_view name);
// "(request-target) date" -> {"(request-target)", "date"} (lower-cased).
std::vector<std::string> ParseHeaderList(std::string_view text);

// $XC_OUTBOX, else $XDG_STATE_HOME/offerledger/outbox.db, else
// ~/.local/state/offerledger/outbox.db.
std::string DefaultOutboxPath();

// RFC 3986 reference resolution as Python's urljoin does it for the cases
// clients meet: "https://h/xcover/" + "partners/X" -> "https://h/xcover/partners/X";
// a base without trailing slash loses its last segment; "/abs" keeps only the
// authority.
std::string JoinUrl(std::string_view base, std::string_view relative);

struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;
  std::uint16_t port = 0;
  std::string target;  // path + query, at least "/"
};
// Throws std::invalid_argument if not an absolute http(s) URL.
Url ParseUrl(std::string_view url);

}  // namespace offerledger::client
