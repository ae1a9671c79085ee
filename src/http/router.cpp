#include "http/router.h"

#include <array>
#include <vector>

namespace offerledger {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool DecodeSegment(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '/' || c == '\0') return false;
    out += c;
    i += 2;
  }
  return true;
}

struct Pattern {
  std::vector<std::string_view> parts;  // "{}" = a variable segment
  std::string_view method;
  RouteKind kind;
};

const std::vector<Pattern>& Patterns() {
  static const std::vector<Pattern> kPatterns = {
      {{"quotes"}, "POST", RouteKind::kCreateQuote},
      {{"quotes", "{}"}, "GET", RouteKind::kGetQuote},
      {{"quotes", "{}"}, "PATCH", RouteKind::kUpdateQuote},
      {{"quotes", "{}", "add"}, "POST", RouteKind::kAddQuotes},
      {{"quotes", "{}", "delete"}, "POST", RouteKind::kDeleteQuotes},
      {{"bookings"}, "GET", RouteKind::kListBookings},
      {{"bookings", "{}"}, "GET", RouteKind::kGetBooking},
      {{"bookings", "{}"}, "POST", RouteKind::kCreateBooking},
      {{"bookings", "{}", "opt_out"}, "POST", RouteKind::kOptOut},
      {{"bookings", "{}", "cancel"}, "POST", RouteKind::kCancel},
      {{"bookings", "{}", "confirm_cancellation", "{}"}, "POST", RouteKind::kConfirmCancellation},
      {{"renewals", "{}", "quote_for_renewal"}, "PATCH", RouteKind::kQuoteForRenewal},
      {{"renewals", "{}", "confirm", "{}"}, "POST", RouteKind::kConfirmRenewal},
      {{"renewals", "{}", "opt_out"}, "POST", RouteKind::kRenewalOptOut},
      {{"bookings", "{}"}, "PATCH", RouteKind::kModifyBooking},
      {{"bookings", "{}", "confirm"}, "PUT", RouteKind::kConfirmPayment},
      {{"bookings", "{}", "quote_for_update"}, "PATCH", RouteKind::kQuoteForUpdate},
      {{"bookings", "{}", "confirm_update", "{}"}, "POST", RouteKind::kConfirmUpdate},
      {{"bookings", "{}", "instalments"}, "GET", RouteKind::kGetInstalments},
      {{"bookings", "{}", "instalments"}, "POST", RouteKind::kRecordInstalments},
      {{"bookings", "{}", "send_email"}, "POST", RouteKind::kSendEmail},
      {{"instant_booking"}, "POST", RouteKind::kInstantBooking},
      {{"reports", "conversion"}, "GET", RouteKind::kPartnerConversionReport},
  };
  return kPatterns;
}

}  // namespace

Route MatchRoute(std::string_view method, std::string_view target) {
  Route r;
  const std::size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));

  std::string_view path = r.path;
  if (path == "/healthz" || path == "/healthz/") {
    r.kind =
        method == "GET" || method == "HEAD" ? RouteKind::kHealth : RouteKind::kMethodNotAllowed;
    if (r.kind == RouteKind::kMethodNotAllowed) r.allow = "GET, HEAD";
    return r;
  }
  // Split into segments; one trailing slash is allowed, empty segments are not.
  if (path.empty() || path[0] != '/') return r;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  std::vector<std::string_view> raw;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    raw.push_back(path.substr(start, end - start));
    if (raw.back().empty()) return r;
    start = end + 1;
  }
  if (raw[0] == "admin") {
    // Admin API: every path under /admin/ is behind the admin token; the
    // handler checks it before saying whether the route exists.
    r.admin = true;
    if (raw.size() == 4 && raw[1] == "v1" && raw[2] == "reports" && raw[3] == "conversion") {
      if (method == "GET") {
        r.kind = RouteKind::kAdminConversionReport;
      } else {
        r.kind = RouteKind::kMethodNotAllowed;
        r.allow = "GET";
      }
    }
    if (raw.size() == 3 && raw[1] == "v1" && raw[2] == "optimizer") {
      if (method == "GET") {
        r.kind = RouteKind::kAdminOptimizer;
      } else {
        r.kind = RouteKind::kMethodNotAllowed;
        r.allow = "GET";
      }
    }
    // The dashboard page and its files (served without the token, see
    // PartnerRoutes::HandleAdmin); the file name is matched verbatim.
    if ((raw.size() == 2 || raw.size() == 3) && raw[1] == "dashboard") {
      if (method == "GET" || method == "HEAD") {
        r.kind = raw.size() == 2 ? RouteKind::kAdminDashboard : RouteKind::kAdminDashboardAsset;
        if (raw.size() == 3) r.id = std::string(raw[2]);
      } else {
        r.kind = RouteKind::kMethodNotAllowed;
        r.allow = "GET, HEAD";
      }
    }
    return r;
  }
  if (raw.size() < 3 || (raw[0] != "x" && raw[0] != "xcover") || raw[1] != "partners") return r;

  std::vector<std::string> seg(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (!DecodeSegment(raw[i], seg[i])) {
      r.kind = RouteKind::kBadPath;
      return r;
    }
  }
  r.partner = seg[2];
  const std::vector<std::string> rest(seg.begin() + 3, seg.end());
  std::string allow;
  for (const auto& p : Patterns()) {
    if (p.parts.size() != rest.size()) continue;
    bool match = true;
    std::vector<const std::string*> vars;
    for (std::size_t i = 0; i < rest.size() && match; ++i) {
      if (p.parts[i] == "{}") {
        vars.push_back(&rest[i]);
      } else {
        match = p.parts[i] == rest[i];
      }
    }
    if (!match) continue;
    if (p.method != method) {
      if (!allow.empty()) allow += ", ";
      allow += p.method;
      continue;
    }
    r.kind = p.kind;
    if (!vars.empty()) r.id = *vars[0];
    if (vars.size() > 1) r.sub_id = *vars[1];
    return r;
  }
  if (!allow.empty()) {
    r.kind = RouteKind::kMethodNotAllowed;
    r.allow = allow;
  }
  return r;
}

long long QueryInt(std::string_view query, std::string_view name, long long fallback) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    const std::size_t amp = query.find('&', pos);
    const std::string_view pair =
        query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      if (eq == std::string_view::npos) return -1;
      const std::string_view v = pair.substr(eq + 1);
      if (v.empty() || v.size() > 12) return -1;
      long long n = 0;
      for (char c : v) {
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
      }
      return n;
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return fallback;
}

std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  auto decode = [](std::string_view in, std::string& text) {
    text.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '+') {
        text += ' ';
      } else if (in[i] != '%') {
        text += in[i];
      } else {
        if (i + 2 >= in.size()) return false;
        const int hi = HexValue(in[i + 1]);
        const int lo = HexValue(in[i + 2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return false;
        text += static_cast<char>(hi * 16 + lo);
        i += 2;
      }
    }
    return true;
  };
  std::size_t pos = 0;
  while (pos < query.size()) {
    const std::size_t amp = query.find('&', pos);
    const std::string_view pair =
        query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      std::string name, value;
      if (!decode(pair.substr(0, eq), name)) return std::nullopt;
      if (eq != std::string_view::npos && !decode(pair.substr(eq + 1), value)) {
        return std::nullopt;
      }
      out.emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

bool IsWriteRoute(RouteKind kind) {
  switch (kind) {
    case RouteKind::kCreateQuote:
    case RouteKind::kUpdateQuote:
    case RouteKind::kAddQuotes:
    case RouteKind::kDeleteQuotes:
    case RouteKind::kOptOut:
    case RouteKind::kCreateBooking:
    case RouteKind::kInstantBooking:
    case RouteKind::kCancel:
    case RouteKind::kConfirmCancellation:
    case RouteKind::kQuoteForRenewal:
    case RouteKind::kConfirmRenewal:
    case RouteKind::kRenewalOptOut:
    case RouteKind::kConfirmPayment:
    case RouteKind::kModifyBooking:
    case RouteKind::kQuoteForUpdate:
    case RouteKind::kConfirmUpdate:
    case RouteKind::kRecordInstalments:
    case RouteKind::kSendEmail:
      return true;
    default:
      return false;
  }
}

bool IsQuoteClassRoute(RouteKind kind) {
  return kind == RouteKind::kCreateQuote || kind == RouteKind::kCreateBooking ||
         kind == RouteKind::kInstantBooking;
}

}  // namespace offerledger
