// EmailSender: the background sender of `serve` for the email outbox
// (docs/emails.md), the same way as WebhookSender: on its own thread it
// claims due pending emails (leased, so other threads and processes leave
// them alone), hands each to the Mailer, and records the outcome: delivered
// when the SMTP server accepted it; otherwise due again after a backoff that
// doubles, or dead once the retries are spent. At least once: a sender that
// dies between the send and recording it sends that email again when the
// lease runs out.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "store/store.h"

namespace offerledger {

// Delivers one email (service/smtp_mailer.h over SMTP; tests use fakes).
class Mailer {
 public:
  virtual ~Mailer() = default;
  // "" when the server accepted the email for delivery, else why not.
  virtual std::string Send(const Email& email) = 0;
};

struct EmailSenderOptions {
  int retries = 3;                               // attempts after the first before an email is dead
  Micros backoff = 10 * kMicrosPerSecond;        // before the first retry; doubles per retry
  Micros max_backoff = 3600 * kMicrosPerSecond;  // the doubling stops here
  std::chrono::milliseconds timeout{30'000};     // the Mailer's bound on one send (for the lease)
  std::chrono::milliseconds poll{250};           // how often an idle sender looks for work
  int batch = 8;                                 // emails claimed at once
};

class EmailSender {
 public:
  EmailSender(Store& store, Mailer& mailer, EmailSenderOptions options);
  ~EmailSender();  // Stop()
  EmailSender(const EmailSender&) = delete;
  EmailSender& operator=(const EmailSender&) = delete;

  void Start();
  // Finishes the send in flight (bounded by the timeout) and joins the thread.
  void Stop();

  // One round, on the caller's thread: claims what is due at `now`, sends
  // it, records the outcomes. Returns how many were attempted.
  Result<int> RunOnce(Micros now);

  // The wait before attempt `attempts_done + 1`, after `attempts_done` failed ones.
  static Micros BackoffAfter(std::int64_t attempts_done, const EmailSenderOptions& options);

 private:
  void Loop();

  Store& store_;
  Mailer& mailer_;
  const EmailSenderOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace offerledger
