// RateLimiter: per-partner request rates in XCover's two classes (CONTRACT.md
// "Rate limits"), decided in memory before any other work on a request.
//
// Each (partner, class) is a token bucket of capacity N refilled at N tokens
// per second: a partner that has been quiet may send a burst of N at once,
// and at a steady rate above N exactly N requests are admitted per second.
// Refused requests take no token. Pure: no I/O, no clock of its own (the
// caller passes a monotonic `now`), so tests drive it with a fake clock.
//
// Memory is bounded by the partners given to SetLimits (the partners that
// exist and have a limit): a request for any other partner code is admitted
// without creating state, so junk partner codes in URLs cost nothing here
// (authentication refuses them afterwards).
//
// Thread-safe: partners are spread over shards, each with its own mutex held
// only for a few integer operations.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/time.h"

namespace offerledger {

// XCover's two classes: creating quotes and bookings (including instant
// booking); every other partner call.
enum class RateClass { kQuote = 0, kOther = 1 };

// Requests per second; 0 means unlimited.
struct RateLimits {
  std::int64_t quote_rps = 0;
  std::int64_t other_rps = 0;
  bool operator==(const RateLimits&) const = default;
  bool unlimited() const { return quote_rps <= 0 && other_rps <= 0; }
};

struct RateDecision {
  bool admitted = true;
  // When refused: how long until the next token, in microseconds (> 0).
  Micros retry_after = 0;
  // The Retry-After header's value: whole seconds, rounded up, at least 1.
  std::int64_t RetryAfterSeconds() const;
};

// A monotonic clock in microseconds (never steps back with the wall clock):
// the `now` the server gives the limiter.
Micros MonotonicMicros();

class RateLimiter {
 public:
  RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Replaces every partner's limits. Partners absent from `limits` (or
  // unlimited in both classes) are forgotten and admitted from now on. A
  // partner seen for the first time starts with full buckets; a changed limit
  // keeps the tokens the partner had (refilled up to `now` at the old rate),
  // capped at the new capacity, so lowering a limit takes effect at once.
  void SetLimits(const std::unordered_map<std::string, RateLimits>& limits, Micros now);

  // Takes one token of `partner`'s `cls` bucket if there is one.
  RateDecision Admit(std::string_view partner, RateClass cls, Micros now);

  // How many partners have state (for tests: bounded by SetLimits).
  std::size_t TrackedPartners() const;

 private:
  struct Bucket {
    std::int64_t rate = 0;   // tokens per second; 0: unlimited
    std::int64_t level = 0;  // tokens x 1e6 (so refills stay exact integers)
    Micros last = 0;         // when `level` was last brought up to date
    void Refill(Micros now);
  };
  struct Entry {
    std::array<Bucket, 2> buckets;  // by RateClass
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> partners;
  };
  static constexpr std::size_t kShards = 16;

  Shard& ShardOf(std::string_view partner);

  std::array<Shard, kShards> shards_;
};

}  // namespace offerledger
