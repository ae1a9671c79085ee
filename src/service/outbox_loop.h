// The poll loop of the durable senders (service/webhook_sender.h,
// service/email_sender.h): run one batch; when it sent something, run the
// next at once (more may be due); else wait `poll` or until stopped. A store
// that cannot be read is said on stderr once per episode, not once per poll.
#pragma once

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <string_view>

#include "common/result.h"
#include "common/time.h"

namespace offerledger {

// `run_once(now)` returns how many items it handled. `sender` and `outbox`
// name them in the log ("email sender", "the outbox"). Returns once
// `stopping` is set (under `mu`; the caller notifies `cv`).
template <typename RunOnce>
void RunOutboxLoop(std::mutex& mu, std::condition_variable& cv, const bool& stopping,
                   std::chrono::milliseconds poll, std::string_view sender, std::string_view outbox,
                   RunOnce&& run_once) {
  bool store_failing = false;
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (stopping) return;
    }
    Result<int> sent = run_once(NowMicros());
    if (!sent.ok()) {
      if (!store_failing) {
        std::cerr << "offerledger: " << sender << " cannot read " << outbox
                  << " (retrying): " << sent.status().message() << std::endl;
      }
      store_failing = true;
    } else {
      if (store_failing)
        std::cerr << "offerledger: " << sender << " reads " << outbox << " again\n";
      store_failing = false;
      if (*sent > 0) continue;  // more may be due right away
    }
    std::unique_lock lock(mu);
    cv.wait_for(lock, poll, [&] { return stopping; });
  }
}

}  // namespace offerledger
