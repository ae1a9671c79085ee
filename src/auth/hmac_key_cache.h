// HmacKeyCache: prepared HMAC contexts (hmac.h) of the API keys in use, so
// that verifying a request hashes only its signing string. Preparing a key
// costs more than the MAC itself; a partner signs every request with the same
// key.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/hmac.h"
#include "common/result.h"
#include "common/status.h"

namespace offerledger {

// Turns a key's secret as stored into the HMAC secret: decrypts a sealed one
// (secret_box.h). Called only when a key's context is prepared, never per
// request once the key is cached. Its error is returned by Compute as is.
using SecretOpener =
    std::function<Result<std::string>(std::string_view api_key, std::string_view stored)>;

class HmacKeyCache {
 public:
  // At most `capacity` keys are held. Only keys that the key store knows are
  // ever added (the verifier looks the key up first), so a full cache means
  // more keys in use than that; it then drops an arbitrary key per new one
  // and keeps working, preparing contexts more often.
  static constexpr std::size_t kDefaultCapacity = 1024;
  explicit HmacKeyCache(std::size_t capacity = kDefaultCapacity);
  ~HmacKeyCache();

  HmacKeyCache(const HmacKeyCache&) = delete;
  HmacKeyCache& operator=(const HmacKeyCache&) = delete;

  // HMAC(secret, message) with `alg`, into `out`, where secret is
  // open(api_key, stored) (or `stored` itself without an opener). Uses
  // api_key's cached context only if it was prepared from exactly this
  // stored secret and algorithm; otherwise the old one is dropped (its secret
  // wiped) and a new one prepared, so a rotated secret is never served from
  // the cache. Thread-safe: concurrent calls for one key each get their own
  // context.
  Status Compute(std::string_view api_key, std::string_view stored, Algorithm alg,
                 std::string_view message, MacBytes& out, const SecretOpener& open = nullptr);

  // Drops api_key's contexts and wipes the secret they were made from (the
  // key was revoked or deleted). Calls in flight finish with what they hold.
  void Forget(std::string_view api_key);

  std::size_t size() const;  // keys held

 private:
  struct Entry;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const std::size_t capacity_;
  mutable std::mutex mu_;
  // By API key. Shared with calls in flight, so that dropping an entry never
  // pulls a context from under a thread that is using it.
  std::unordered_map<std::string, std::shared_ptr<Entry>, Hash, std::equal_to<>> entries_;
};

}  // namespace offerledger
