#include "common/status.h"

namespace offerledger {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kBadRequest: return "BadRequest";
    case StatusCode::kUnauthenticated: return "Unauthenticated";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kConflict: return "Conflict";
    case StatusCode::kInvalid: return "Invalid";
    case StatusCode::kRateLimited: return "RateLimited";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out = StatusCodeName(code_);
  out += ": ";
  out += message_;
  for (const auto& f : fields_) {
    out += " [";
    out += f.path;
    out += ": ";
    out += f.message;
    out += "]";
  }
  return out;
}

}  // namespace offerledger
