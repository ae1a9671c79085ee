#include "service/email_sender.h"

#include <algorithm>
#include <exception>
#include <iostream>

#include "service/outbox_loop.h"

namespace offerledger {

EmailSender::EmailSender(Store& store, Mailer& mailer, EmailSenderOptions options)
    : store_(store), mailer_(mailer), options_(options) {}

EmailSender::~EmailSender() { Stop(); }

void EmailSender::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void EmailSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Micros EmailSender::BackoffAfter(std::int64_t attempts_done, const EmailSenderOptions& o) {
  Micros wait = o.backoff;
  for (std::int64_t i = 1; i < attempts_done && wait < o.max_backoff; ++i) wait *= 2;
  return std::min(wait, o.max_backoff);
}

Result<int> EmailSender::RunOnce(Micros now) {
  // The lease covers sending the whole batch (each send at most `timeout`,
  // plus a second for recording its outcome).
  const Micros lease =
      options_.batch * (static_cast<Micros>(options_.timeout.count()) * 1000 + kMicrosPerSecond);
  auto claimed = store_.ClaimEmails(now, lease, options_.batch);
  if (!claimed.ok()) return claimed.status();
  // The clock in production (a send takes time), `now` when a test runs ahead.
  auto clock = [now] { return std::max(now, NowMicros()); };
  for (const ClaimedEmail& c : *claimed) {
    std::string error;
    try {
      error = mailer_.Send(c.email);
    } catch (const std::exception& e) {
      error = std::string("the mailer failed: ") + e.what();
    }
    EmailOutcome outcome;
    outcome.id = c.email.id;
    outcome.claim = c.claim;
    outcome.attempts = c.email.attempts + 1;
    outcome.at = clock();
    outcome.last_error = error;
    outcome.next_attempt_at = c.email.next_attempt_at;
    if (error.empty()) {
      outcome.status = EmailStatus::kDelivered;
    } else if (outcome.attempts > options_.retries) {
      outcome.status = EmailStatus::kDead;
    } else {
      outcome.status = EmailStatus::kPending;
      outcome.next_attempt_at = outcome.at + BackoffAfter(outcome.attempts, options_);
    }
    if (!error.empty()) {
      // The recipient is personal data and the body may be too: neither is logged.
      std::cerr << "offerledger: email " << c.email.id << " (" << c.email.event << " of "
                << c.email.booking_id << ", partner " << c.email.partner << ") attempt "
                << outcome.attempts << " failed: " << error
                << (outcome.status == EmailStatus::kDead
                        ? "; no retries left: dead (offerledger emails retry " + c.email.id + ")"
                        : "; retrying in " +
                              std::to_string((outcome.next_attempt_at - outcome.at) / 1000) + " ms")
                << std::endl;
    }
    if (Status s = store_.FinishEmail(outcome); !s.ok()) {
      // Lost the lease or the store failed: the email stays pending and is
      // sent again -- at least once.
      std::cerr << "offerledger: email " << c.email.id << " outcome not recorded: " << s.message()
                << std::endl;
    }
  }
  return static_cast<int>(claimed->size());
}

void EmailSender::Loop() {
  RunOutboxLoop(mu_, cv_, stopping_, options_.poll, "email sender", "the outbox",
                [this](Micros now) { return RunOnce(now); });
}

}  // namespace offerledger
