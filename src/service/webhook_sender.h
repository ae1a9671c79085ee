// WebhookSender: the background sender of `serve` (docs/webhooks.md). On its
// own thread -- never an HTTP worker's or the SQLite writer's -- it claims
// due webhooks from the store (leased, so other threads and processes leave
// them alone), POSTs each to its partner's listener signed as XCover signs
// webhooks, and records the outcome: delivered on a 2xx answer; otherwise
// due again after a backoff that doubles, or dead once the retries are
// spent. Delivery is at least once: a sender that dies between the POST and
// recording it sends that webhook again when the lease runs out.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "client/transport.h"
#include "common/result.h"
#include "store/store.h"

namespace offerledger {

struct WebhookSenderOptions {
  int retries = 3;  // attempts after the first before a webhook is dead (XCover: 3)
  Micros backoff = 10 * kMicrosPerSecond;        // before the first retry; doubles per retry
  Micros max_backoff = 3600 * kMicrosPerSecond;  // the doubling stops here
  std::chrono::milliseconds timeout{10'000};     // per POST: connect, send, answer
  std::chrono::milliseconds poll{250};           // how often an idle sender looks for work
  int batch = 8;                                 // webhooks claimed at once
};

// The listener's secret from its stored form (sealed with the master key or not).
using WebhookSecretOpener = std::function<Result<std::string>(const WebhookConfig& config)>;

class WebhookSender {
 public:
  WebhookSender(Store& store, client::Transport& transport, WebhookSecretOpener open_secret,
                WebhookSenderOptions options);
  ~WebhookSender();  // Stop()
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  void Start();
  // Finishes the POST in flight (bounded by the timeout) and joins the thread.
  void Stop();

  // One round, on the caller's thread: claims what is due at `now`, sends
  // it, records the outcomes. Returns how many were attempted.
  Result<int> RunOnce(Micros now);

  // The wait before attempt `attempts_done + 1`, after `attempts_done` failed ones.
  static Micros BackoffAfter(std::int64_t attempts_done, const WebhookSenderOptions& options);

  // The POST for `webhook` to `target`: the body as stored, Content-Type,
  // Date (`now`), X-Api-Key, X-Webhook-Id, X-Webhook-Event and Authorization
  // `Signature keyId="<key>",algorithm="hmac-sha256",headers="date",signature="..."`
  // over "date: <Date>" with `secret`.
  static client::HttpRequest BuildRequest(const Webhook& webhook, const WebhookConfig& target,
                                          std::string_view secret, Micros now);

 private:
  void Loop();
  // Sends one; "" when delivered, else why not.
  std::string Send(const ClaimedWebhook& claimed, Micros now);

  Store& store_;
  client::Transport& transport_;
  WebhookSecretOpener open_secret_;
  const WebhookSenderOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace offerledger
