// RenewalSweeper: the background sweep of `serve` that makes renewals fall
// due and expire by themselves (docs/webhooks.md, RENEWAL_DUE and
// RENEWAL_EXPIRED). On its own thread, every interval, it asks the store for
// the renewable bookings whose period ends within the notice window (or has
// ended), and for each runs one unit of work: the package, re-read under its
// lock, goes through ApplyRenewalSweep (domain/quote_package.h), and the
// change and its webhook are written in one transaction.
// The package remembers what was sent, so a second sweep -- in this process
// or another, before or after a restart -- sends nothing again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "api/response_renderer.h"
#include "common/result.h"
#include "store/store.h"

namespace offerledger {

struct RenewalSweepOptions {
  Micros notice = 7 * kMicrosPerDay;           // RENEWAL_DUE this long before the period ends
  std::chrono::milliseconds interval{60'000};  // between two sweeps of the thread
  int batch = 100;                             // bookings read at once
  RenderOptions render;                        // the webhook payload is the booking as rendered
};

struct RenewalSweepCounts {
  int due = 0;      // bookings that fell due (RENEWAL_DUE queued)
  int expired = 0;  // bookings whose renewal expired (RENEWAL_EXPIRED queued)
};

class RenewalSweeper {
 public:
  RenewalSweeper(Store& store, RenewalSweepOptions options);
  ~RenewalSweeper();  // Stop()
  RenewalSweeper(const RenewalSweeper&) = delete;
  RenewalSweeper& operator=(const RenewalSweeper&) = delete;

  void Start();
  void Stop();

  // One sweep at `now`, on the caller's thread (tests pass their own clock).
  Result<RenewalSweepCounts> RunOnce(Micros now);

 private:
  void Loop();

  Store& store_;
  const RenewalSweepOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool store_failing_ = false;  // say so on stderr once per episode
  std::thread thread_;
};

}  // namespace offerledger
