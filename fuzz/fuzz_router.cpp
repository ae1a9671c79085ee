// Fuzzes the router: method and raw request target from the input (split at
// the first space), plus the query helpers. Invariants: a matched route's
// decoded segments hold no '/' or NUL, and its query is the target's.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/router.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view method = "GET";
  std::string_view target = in;
  if (const std::size_t sp = in.find(' '); sp != std::string_view::npos) {
    method = in.substr(0, sp);
    target = in.substr(sp + 1);
  }
  offerledger::Route r = offerledger::MatchRoute(method, target);
  // A raw NUL or '/' cannot be in a segment; a percent-encoded one must give
  // kBadPath. (Raw control characters never get here: the HTTP parser refuses
  // them in the request line.)
  const bool raw_nul = target.find('\0') != std::string_view::npos;
  if (!raw_nul && r.kind != offerledger::RouteKind::kBadPath &&
      r.kind != offerledger::RouteKind::kNotFound) {
    for (std::string_view seg :
         {std::string_view(r.partner), std::string_view(r.id), std::string_view(r.sub_id)}) {
      if (seg.find('/') != std::string_view::npos || seg.find('\0') != std::string_view::npos) {
        std::abort();
      }
    }
  }
  if (!r.query.empty() && target.find(r.query) == std::string_view::npos) std::abort();
  (void)offerledger::IsWriteRoute(r.kind);
  (void)offerledger::IsQuoteClassRoute(r.kind);
  // An escape never decodes to NUL.
  const std::string_view query = r.query.empty() ? target : std::string_view(r.query);
  auto pairs = offerledger::ParseQuery(query);
  if (pairs && !raw_nul) {
    for (const auto& [name, value] : *pairs) {
      if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
        std::abort();
      }
    }
  }
  (void)offerledger::QueryInt(r.query, "limit", 10);
  (void)offerledger::QueryInt(r.query, "offset", 0);
  return 0;
}
