#include "service/partner_limits.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <unordered_map>

#include "common/random.h"

namespace offerledger {

namespace {

std::string NewProcessId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  // host and pid tell an operator which process a row is; the random part
  // keeps ids unique across restarts and machines with the same name.
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" +
         RandomString(8, "0123456789abcdefghijklmnopqrstuvwxyz");
}

}  // namespace

std::int64_t SharedLimit(std::int64_t own, std::int64_t fallback, std::int64_t processes) {
  const std::int64_t limit = own > 0 ? own : own < 0 ? 0 : std::max<std::int64_t>(fallback, 0);
  if (limit == 0) return 0;
  const std::int64_t n = std::max<std::int64_t>(processes, 1);
  return (limit + n - 1) / n;
}

PartnerLimits::PartnerLimits(Store& store, RateLimiter& limiter, PartnerLimitOptions options)
    : store_(store), limiter_(limiter), options_(std::move(options)) {
  if (options_.process_id.empty()) options_.process_id = NewProcessId();
  if (options_.refresh_interval <= 0) options_.refresh_interval = kMicrosPerSecond;
  if (!options_.clock) options_.clock = MonotonicMicros;
}

PartnerLimits::~PartnerLimits() { Stop(); }

Micros PartnerLimits::heartbeat_ttl() const {
  // Five missed refreshes before the others take this process for dead,
  // and never less than three seconds: a process whose heartbeat waits for
  // a pooled connection on a busy machine (or a slow database) must not look
  // gone, or the others would each take a larger share and admit more than
  // the limit together (seen with 1 s under a loaded CI run). A process that
  // dies keeps its share reserved that long: the total is below the limit
  // then, never above.
  return std::max<Micros>(5 * options_.refresh_interval, 3 * kMicrosPerSecond);
}

std::int64_t PartnerLimits::processes() const {
  std::lock_guard lock(mu_);
  return processes_;
}

Status PartnerLimits::Refresh() {
  Status first;
  std::int64_t n = 1;
  auto live = store_.HeartbeatProcess(options_.process_id, heartbeat_ttl());
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    if (live.ok()) {
      const std::int64_t now_live = std::max<std::int64_t>(*live, 1);
      changed = now_live != processes_;
      processes_ = now_live;
    }
    n = processes_;
  }
  if (changed) {
    // Operators (and the multi-process test) see when the shares change.
    std::cerr << "offerledger: rate limits shared by " << n << " live process"
              << (n == 1 ? "" : "es") << " (each enforces ceil(limit / " << n << "))" << std::endl;
  }
  if (!live.ok()) first = live.status();

  auto partners = store_.ListPartners();
  if (!partners.ok()) return first.ok() ? partners.status() : first;
  std::unordered_map<std::string, RateLimits> limits;
  limits.reserve(partners->size());
  for (const Partner& p : *partners) {
    RateLimits l{SharedLimit(p.quote_rps, options_.defaults.quote_rps, n),
                 SharedLimit(p.other_rps, options_.defaults.other_rps, n)};
    if (!l.unlimited()) limits.emplace(p.code, l);
  }
  limiter_.SetLimits(limits, options_.clock());
  return first;
}

void PartnerLimits::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void PartnerLimits::Loop() {
  bool failing = false;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::microseconds(options_.refresh_interval),
                 [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    const Status s = Refresh();
    if (!s.ok() && !failing) {
      std::cerr << "offerledger: rate limits not refreshed (keeping the last ones): "
                << s.ToString() << std::endl;
    } else if (s.ok() && failing) {
      std::cerr << "offerledger: rate limits refreshed again" << std::endl;
    }
    failing = !s.ok();
    lock.lock();
  }
}

void PartnerLimits::Stop() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable()) t.join();
  // Best effort: if it fails the row expires after heartbeat_ttl().
  (void)store_.ForgetProcess(options_.process_id);
}

}  // namespace offerledger
