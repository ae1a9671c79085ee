// Fuzzes the signing-string builder: listed header names, method, target and
// the request's headers all come from the input. Invariants: RequestPath is a
// piece of the target, and the string has at most one line per listed header.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "auth/signing_string.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<std::string> listed;
  std::map<std::string, std::string, std::less<>> carried;
  const int n = in.ConsumeIntegralInRange(0, 8);
  for (int i = 0; i < n; ++i) {
    std::string name = in.ConsumeRandomLengthString(32);
    if (in.ConsumeBool()) carried[name] = in.ConsumeRandomLengthString(128);
    listed.push_back(std::move(name));
  }
  const std::string method = in.ConsumeRandomLengthString(16);
  const std::string target = in.ConsumeRemainingBytesAsString();

  std::string_view path = offerledger::RequestPath(target);
  if (!path.empty() && path != "/" &&
      std::string_view(target).find(path) == std::string_view::npos) {
    std::abort();
  }
  auto lookup = [&](std::string_view lower) -> std::optional<std::string_view> {
    auto it = carried.find(lower);
    if (it == carried.end()) return std::nullopt;
    return std::string_view(it->second);
  };
  std::string s = offerledger::BuildSigningString(listed, method, target, lookup);
  // Values may hold '\n' themselves, so only count the separators added for
  // names whose values and names carry none.
  bool clean = std::none_of(listed.begin(), listed.end(), [&](const std::string& h) {
    auto it = carried.find(h);
    return h.find('\n') != std::string::npos ||
           (it != carried.end() && it->second.find('\n') != std::string::npos) ||
           method.find('\n') != std::string::npos || target.find('\n') != std::string::npos;
  });
  if (clean && !s.empty() &&
      static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1 > listed.size()) {
    std::abort();
  }
  return 0;
}
