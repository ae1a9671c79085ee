// Fuzzes the HTTP Date parser (the replay guard). Invariant: whatever parses
// formats as an IMF-fixdate that parses back to the same instant.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/http_date.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = offerledger::ParseHttpDate(text);
  if (!t) return 0;
  std::string formatted = offerledger::FormatHttpDate(*t);
  auto again = offerledger::ParseHttpDate(formatted);
  if (!again || *again != *t) std::abort();
  return 0;
}
