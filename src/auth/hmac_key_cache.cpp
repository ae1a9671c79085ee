#include "auth/hmac_key_cache.h"

#include <optional>
#include <utility>
#include <vector>

#include <openssl/crypto.h>

namespace offerledger {
namespace {

// Idle contexts kept per key: one per thread that verified concurrently,
// up to the server's handler threads; more than that are freed after use.
constexpr std::size_t kMaxIdlePerKey = 16;

}  // namespace

struct HmacKeyCache::Entry {
  Entry(std::string_view stored_in, std::string secret_in, Algorithm alg_in)
      : stored(stored_in), secret(std::move(secret_in)), alg(alg_in) {}
  ~Entry() {
    OPENSSL_cleanse(stored.data(), stored.size());
    OPENSSL_cleanse(secret.data(), secret.size());
  }
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  // The stored secret's length is public (nothing an attacker controls is
  // compared here), but its bytes are compared in constant time anyway.
  bool Matches(std::string_view s, Algorithm a) const {
    return a == alg && s.size() == stored.size() &&
           CRYPTO_memcmp(s.data(), stored.data(), s.size()) == 0;
  }

  // Never changed after construction (read unlocked).
  std::string stored;  // as the store holds it (sealed or plain)
  std::string secret;  // what the contexts are made from
  const Algorithm alg;
  std::vector<HmacContext> idle;  // guarded by the cache's mu_
};

HmacKeyCache::HmacKeyCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

HmacKeyCache::~HmacKeyCache() = default;

Status HmacKeyCache::Compute(std::string_view api_key, std::string_view stored, Algorithm alg,
                             std::string_view message, MacBytes& out, const SecretOpener& open) {
  std::shared_ptr<Entry> entry;
  std::optional<HmacContext> ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(api_key);
    if (it != entries_.end() && it->second->Matches(stored, alg)) {
      entry = it->second;
      if (!entry->idle.empty()) {
        ctx.emplace(std::move(entry->idle.back()));
        entry->idle.pop_back();
      }
    }
  }
  if (!entry) {
    // A miss: open the secret (decryption, outside the lock) and replace
    // what the cache held for this key, if anything.
    std::string secret;
    if (open) {
      Result<std::string> opened = open(api_key, stored);
      if (!opened.ok()) return opened.status();
      secret = std::move(*opened);
    } else {
      secret = std::string(stored);
    }
    entry = std::make_shared<Entry>(stored, std::move(secret), alg);
    std::shared_ptr<Entry> dropped;  // wiped and freed outside the lock
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(api_key);
    if (it == entries_.end() && entries_.size() >= capacity_) it = entries_.begin();
    if (it != entries_.end()) {  // another secret (rotated) or algorithm, or no room
      dropped = std::move(it->second);
      entries_.erase(it);
    }
    entries_.emplace(std::string(api_key), entry);
  }
  // Preparing a context (the only costly step) happens outside the lock.
  if (!ctx) {
    Result<HmacContext> fresh = HmacContext::New(alg, entry->secret);
    if (!fresh.ok()) return fresh.status();
    ctx.emplace(std::move(fresh).value());
  }
  Status status = ctx->Compute(message, out);
  if (status.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (entry->idle.size() < kMaxIdlePerKey) entry->idle.push_back(std::move(*ctx));
  }
  return status;
}

void HmacKeyCache::Forget(std::string_view api_key) {
  std::shared_ptr<Entry> dropped;  // destroyed (and wiped) outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(api_key);
  if (it == entries_.end()) return;
  dropped = std::move(it->second);
  entries_.erase(it);
}

std::size_t HmacKeyCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace offerledger
