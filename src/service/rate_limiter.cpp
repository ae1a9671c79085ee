#include "service/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace offerledger {

namespace {

// A token is kMicrosPerSecond units of `level`: refilling `rate` tokens per
// second adds exactly `rate` units per microsecond, with no rounding.
constexpr std::int64_t kToken = kMicrosPerSecond;
// Larger limits are treated as this one (keeps rate * kToken far from overflow).
constexpr std::int64_t kMaxRate = 1'000'000'000;

std::int64_t Clamp(std::int64_t rps) { return rps <= 0 ? 0 : std::min(rps, kMaxRate); }

}  // namespace

Micros MonotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t RateDecision::RetryAfterSeconds() const {
  const std::int64_t s = (retry_after + kMicrosPerSecond - 1) / kMicrosPerSecond;
  return std::max<std::int64_t>(1, s);
}

void RateLimiter::Bucket::Refill(Micros now) {
  if (rate == 0 || now <= last) return;  // a clock that stepped back refills nothing
  const Micros elapsed = now - last;
  const std::int64_t capacity = rate * kToken;
  // A full refill takes one second, so a longer gap fills the bucket (and
  // rate * elapsed stays below rate * 1e6).
  level = elapsed >= kMicrosPerSecond ? capacity : std::min(capacity, level + rate * elapsed);
  last = now;
}

RateLimiter::RateLimiter() = default;

RateLimiter::Shard& RateLimiter::ShardOf(std::string_view partner) {
  return shards_[Hash{}(partner) % kShards];
}

void RateLimiter::SetLimits(const std::unordered_map<std::string, RateLimits>& limits, Micros now) {
  std::array<std::vector<std::pair<const std::string*, RateLimits>>, kShards> by_shard;
  for (const auto& [code, l] : limits) {
    const RateLimits clamped{Clamp(l.quote_rps), Clamp(l.other_rps)};
    if (clamped.unlimited()) continue;  // no state: Admit lets it through
    by_shard[Hash{}(code) % kShards].emplace_back(&code, clamped);
  }
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mu);
    // Forget partners that are gone or have become unlimited.
    for (auto it = shard.partners.begin(); it != shard.partners.end();) {
      const auto found = limits.find(it->first);
      const bool keep =
          found != limits.end() &&
          !RateLimits{Clamp(found->second.quote_rps), Clamp(found->second.other_rps)}.unlimited();
      it = keep ? std::next(it) : shard.partners.erase(it);
    }
    for (const auto& [code, l] : by_shard[i]) {
      const std::int64_t rates[2] = {l.quote_rps, l.other_rps};
      auto [it, inserted] = shard.partners.try_emplace(*code);
      for (int c = 0; c < 2; ++c) {
        Bucket& b = it->second.buckets[c];
        const std::int64_t rate = rates[c];
        if (!inserted && b.rate == rate) continue;  // unchanged: keep its state
        if (inserted || b.rate == 0) {
          // New, or limited from now on: a full bucket, as for a quiet partner.
          b.level = rate * kToken;
        } else {
          // Changed: what the partner had under the old rate, capped at the new capacity.
          b.Refill(now);
          b.level = std::min(b.level, rate * kToken);
        }
        b.rate = rate;
        b.last = now;
      }
    }
  }
}

RateDecision RateLimiter::Admit(std::string_view partner, RateClass cls, Micros now) {
  Shard& shard = ShardOf(partner);
  std::lock_guard lock(shard.mu);
  const auto it = shard.partners.find(partner);
  if (it == shard.partners.end()) return {};
  Bucket& b = it->second.buckets[static_cast<int>(cls)];
  if (b.rate == 0) return {};
  b.Refill(now);
  if (b.level >= kToken) {
    b.level -= kToken;
    return {};
  }
  // The next token arrives when `level` reaches kToken, `rate` units per microsecond.
  const std::int64_t missing = kToken - b.level;
  return RateDecision{false, (missing + b.rate - 1) / b.rate};
}

std::size_t RateLimiter::TrackedPartners() const {
  std::size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.partners.size();
  }
  return n;
}

}  // namespace offerledger
