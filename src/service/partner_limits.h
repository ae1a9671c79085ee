// PartnerLimits: the limit cache in front of RateLimiter. The request path
// never reads the database for a rate limit: a background thread re-reads the
// partners' limits every refresh interval (so `offerledger partner
// set-limits` in another process takes effect within one interval) and hands
// them to the limiter.
//
// Across processes (docs/api.md "Rate limits across processes"): every
// refresh also renews this process's heartbeat row in the store and learns
// how many processes are alive (n); each process then enforces
// ceil(limit / n) of every limit. The bounds of that approximation, for a
// limit L and refresh interval I:
//   - steady state: over T seconds the processes together admit at most
//     n * ceil(L / n) * (1 + T) <= (L + n - 1) * (1 + T);
//   - an uneven balancer gives the partner less than L, never more (each
//     process refuses past its own share);
//   - for up to I after a process starts, the others still divide by the old
//     n (overshoot of one share per new process); a process killed without
//     Stop() keeps its share reserved until its heartbeat expires (at most
//     3 * I, at least 1 s: undershoot).
// SQLite's store answers n = 1: each server process enforces the full limit.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "service/rate_limiter.h"
#include "store/store.h"

namespace offerledger {

struct PartnerLimitOptions {
  // For partners whose own limit is 0 (not set); 0 here means unlimited.
  RateLimits defaults;
  // How often the limits and the heartbeat are refreshed.
  Micros refresh_interval = kMicrosPerSecond;
  // This process's id in the store's process table; "" generates one
  // (host, pid and random characters).
  std::string process_id;
  // The limiter's clock (a fake one in tests).
  std::function<Micros()> clock = MonotonicMicros;
};

// A partner's limit in one class as this process enforces it: `own` > 0 is
// the partner's own, `own` < 0 means unlimited whatever the default, `own` ==
// 0 takes `fallback` (0: unlimited); the result is divided among `processes`
// rounding up, so every process admits at least one request per second and
// together they admit at most limit + processes - 1.
std::int64_t SharedLimit(std::int64_t own, std::int64_t fallback, std::int64_t processes);

class PartnerLimits {
 public:
  PartnerLimits(Store& store, RateLimiter& limiter, PartnerLimitOptions options);
  ~PartnerLimits();  // Stop()
  PartnerLimits(const PartnerLimits&) = delete;
  PartnerLimits& operator=(const PartnerLimits&) = delete;

  // One refresh now: renews the heartbeat, reads every partner's limits and
  // gives the limiter this process's shares. When the heartbeat fails the
  // last known process count is kept; when reading the partners fails the
  // limiter keeps its limits. Returns the first failure.
  Status Refresh();

  // Refreshes every interval on a background thread until Stop(). Failures
  // are reported on stderr once per run of failures (never a secret: store
  // errors carry no password).
  void Start();
  // Stops the thread (if started) and removes this process's heartbeat, so
  // the other processes take over its share at their next refresh.
  void Stop();

  // Processes sharing the limits, as of the last heartbeat (1 before any).
  std::int64_t processes() const;
  const std::string& process_id() const { return options_.process_id; }
  Micros heartbeat_ttl() const;

 private:
  void Loop();

  Store& store_;
  RateLimiter& limiter_;
  PartnerLimitOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::int64_t processes_ = 1;
  std::thread thread_;
};

}  // namespace offerledger
