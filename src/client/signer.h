// The request signature of CONTRACT.md "Authentication", as the official
// XCover clients send it: Date, X-Api-Key and
// Authorization: Signature keyId=...,algorithm=...,headers=...,signature=...
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/hmac.h"
#include "common/time.h"

namespace offerledger::client {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class Signer {
 public:
  Signer(std::string key, std::string secret, Algorithm alg = Algorithm::kHmacSha512,
         std::vector<std::string> headers = {"(request-target)", "date"});

  // The headers to add to a request `method target` sent at `now`: Date,
  // X-Api-Key and Authorization. `extra` are other headers of the request
  // that the signed header list may name (e.g. "x-idempotency-key").
  HeaderList Sign(std::string_view method, std::string_view target, Micros now,
                  const HeaderList& extra = {}) const;

  // Only the Authorization value, for a known Date.
  std::string Authorization(std::string_view method, std::string_view target, std::string_view date,
                            const HeaderList& extra = {}) const;

 private:
  std::string key_;
  std::string secret_;
  Algorithm alg_;
  std::vector<std::string> headers_;
};

}  // namespace offerledger::client
