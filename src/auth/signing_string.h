// The signing string: the exact bytes that the HMAC covers.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offerledger {

// Returns the value of a request header given its lower-cased name, or
// nullopt when the request does not carry it. A callback keeps this layer
// free of any HTTP library type.
using HeaderLookup = std::function<std::optional<std::string_view>(std::string_view lower_name)>;

// The path part of a raw request target: everything before "?" (and "#"),
// not percent-decoded. For an absolute-form target ("http://h/p?q") the path
// after the authority ("/p"), or "/" when there is none.
std::string_view RequestPath(std::string_view target);

// One line per listed header, joined by "\n" (no trailing newline):
//   "(request-target)" -> "(request-target): <lower-case method> <RequestPath(target)>"
//   any other name     -> "<lower-case name>: <value>"
// A listed header that the request does not carry is left out entirely, as
// the official XCover Python client does when it signs, so its signatures
// verify. (Safe: the Date replay guard is enforced separately by the verifier.)
std::string BuildSigningString(const std::vector<std::string>& headers, std::string_view method,
                               std::string_view target, const HeaderLookup& lookup);

}  // namespace offerledger
