// Fuzzes the `Authorization: Signature ...` parser. Invariants: a parsed
// header has a key id, a signature and lower-case header names; an error is
// Unauthenticated and never echoes the signature parameter.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/signature_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  for (bool allow_sha1 : {false, true}) {
    auto r = offerledger::ParseSignatureHeader(value, {.allow_sha1 = allow_sha1});
    if (!r.ok()) {
      if (r.status().code() != offerledger::StatusCode::kUnauthenticated) std::abort();
      continue;
    }
    const offerledger::SignatureParams& p = r.value();
    if (p.key_id.empty() || p.signature.empty()) std::abort();
    for (const auto& h : p.headers) {
      for (char c : h) {
        if (c >= 'A' && c <= 'Z') std::abort();
      }
    }
  }
  return 0;
}
