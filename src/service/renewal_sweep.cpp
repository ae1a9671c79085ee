#include "service/renewal_sweep.h"

#include <iostream>
#include <utility>
#include <vector>

#include "service/webhook_events.h"

namespace offerledger {

RenewalSweeper::RenewalSweeper(Store& store, RenewalSweepOptions options)
    : store_(store), options_(std::move(options)) {}

RenewalSweeper::~RenewalSweeper() { Stop(); }

void RenewalSweeper::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void RenewalSweeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<RenewalSweepCounts> RenewalSweeper::RunOnce(Micros now) {
  RenewalSweepCounts counts;
  // Every booking found is changed (its due or expiry recorded), so the next
  // read finds the ones after it; a booking the read finds but the sweep
  // leaves alone (changed meanwhile) ends the round rather than looping.
  for (;;) {
    auto found = store_.ListRenewalsToSweep(now + options_.notice, now, options_.batch);
    if (!found.ok()) return found.status();
    int changed = 0;
    for (const QuotePackage& candidate : *found) {
      auto partner = store_.GetPartner(candidate.partner);
      if (!partner.ok()) return partner.status();
      if (!*partner) continue;  // cannot happen: packages belong to partners
      RenewalNotice notice = RenewalNotice::kNone;
      Status s = store_.Write([&](WriteTxn& tx) -> Status {
        notice = RenewalNotice::kNone;
        auto pkg = tx.LoadPackage(candidate.partner, candidate.id);
        if (!pkg.ok()) return pkg.status();
        if (!*pkg) return Status::Ok();
        notice = ApplyRenewalSweep(**pkg, now, options_.notice);
        if (notice == RenewalNotice::kNone) return Status::Ok();
        // No ledger event: falling due or expiring changes no figure; the
        // package records it (and the webhook tells the partner).
        if (Status s = tx.UpdatePackage(**pkg); !s.ok()) return s;
        const std::string_view event =
            notice == RenewalNotice::kDue ? kRenewalDue : kRenewalExpired;
        return QueueWebhook(tx, (*pkg)->partner, event, now,
                            [&] { return RenderBooking(**pkg, **partner, options_.render); });
      });
      if (!s.ok()) return s;
      if (notice == RenewalNotice::kDue) ++counts.due;
      if (notice == RenewalNotice::kExpired) ++counts.expired;
      if (notice != RenewalNotice::kNone) ++changed;
    }
    if (static_cast<int>(found->size()) < options_.batch || changed == 0) break;
  }
  return counts;
}

void RenewalSweeper::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    auto swept = RunOnce(NowMicros());
    lock.lock();
    if (!swept.ok()) {
      if (!store_failing_) {
        std::cerr << "offerledger: renewal sweep failed (retried every interval): "
                  << swept.status().message() << std::endl;
      }
      store_failing_ = true;
    } else {
      store_failing_ = false;
    }
    cv_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
}

}  // namespace offerledger
