#include "service/webhook_sender.h"

#include <algorithm>
#include <exception>
#include <iostream>
#include <utility>

#include "auth/hmac.h"
#include "auth/http_date.h"
#include "auth/signer.h"
#include "service/outbox_loop.h"

namespace offerledger {

WebhookSender::WebhookSender(Store& store, client::Transport& transport,
                             WebhookSecretOpener open_secret, WebhookSenderOptions options)
    : store_(store),
      transport_(transport),
      open_secret_(std::move(open_secret)),
      options_(options) {}

WebhookSender::~WebhookSender() { Stop(); }

void WebhookSender::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void WebhookSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Micros WebhookSender::BackoffAfter(std::int64_t attempts_done, const WebhookSenderOptions& o) {
  Micros wait = o.backoff;
  for (std::int64_t i = 1; i < attempts_done && wait < o.max_backoff; ++i) wait *= 2;
  return std::min(wait, o.max_backoff);
}

client::HttpRequest WebhookSender::BuildRequest(const Webhook& webhook, const WebhookConfig& target,
                                                std::string_view secret, Micros now) {
  const std::string date = FormatHttpDate(now);
  // XCover signs webhooks over the Date header alone, with hmac-sha256.
  const std::string authorization =
      BuildAuthorization(target.key, secret, Algorithm::kHmacSha256, {"date"}, "post", "",
                         [&](std::string_view name) -> std::optional<std::string_view> {
                           if (name == "date") return std::string_view(date);
                           return std::nullopt;
                         });
  client::HttpRequest req;
  req.method = "POST";
  req.url = target.url;
  req.headers = {{"Content-Type", "application/json"}, {"Date", date},
                 {"Authorization", authorization},     {"X-Api-Key", target.key},
                 {"X-Webhook-Id", webhook.id},         {"X-Webhook-Event", webhook.event}};
  req.body = webhook.body;
  return req;
}

std::string WebhookSender::Send(const ClaimedWebhook& claimed, Micros now) {
  if (!claimed.target) return "the partner has no webhook configured any more";
  auto secret =
      open_secret_ ? open_secret_(*claimed.target) : Result<std::string>(claimed.target->secret);
  if (!secret.ok()) return "the webhook secret cannot be read: " + secret.status().message();
  const client::HttpRequest req = BuildRequest(claimed.webhook, *claimed.target, *secret, now);
  for (const auto& [name, value] : req.headers) {
    if (name == "Authorization" && value.empty()) return "the webhook could not be signed";
  }
  try {
    const client::HttpResponse resp = transport_.Send(req, options_.timeout);
    if (resp.status >= 200 && resp.status < 300) return "";
    return "the listener answered HTTP " + std::to_string(resp.status);
  } catch (const std::exception& e) {
    return std::string("no answer from the listener: ") + e.what();
  }
}

Result<int> WebhookSender::RunOnce(Micros now) {
  // The lease covers sending the whole batch (each POST at most `timeout`,
  // plus a second for recording its outcome); a sender that dies holding it
  // delays these webhooks by at most that much.
  const Micros lease =
      options_.batch * (static_cast<Micros>(options_.timeout.count()) * 1000 + kMicrosPerSecond);
  auto claimed = store_.ClaimWebhooks(now, lease, options_.batch);
  if (!claimed.ok()) return claimed.status();
  // Times are the caller's `now` or the clock, whichever is later: the
  // clock in production (a POST takes time), `now` when a test runs ahead.
  auto clock = [now] { return std::max(now, NowMicros()); };
  for (const ClaimedWebhook& c : *claimed) {
    const std::string error = Send(c, clock());
    WebhookOutcome outcome;
    outcome.id = c.webhook.id;
    outcome.claim = c.claim;
    outcome.attempts = c.webhook.attempts + 1;
    outcome.at = clock();
    outcome.last_error = error;
    if (error.empty()) {
      outcome.status = WebhookStatus::kDelivered;
      outcome.next_attempt_at = c.webhook.next_attempt_at;
    } else if (outcome.attempts > options_.retries) {
      outcome.status = WebhookStatus::kDead;
      outcome.next_attempt_at = c.webhook.next_attempt_at;
    } else {
      outcome.status = WebhookStatus::kPending;
      outcome.next_attempt_at = outcome.at + BackoffAfter(outcome.attempts, options_);
    }
    if (!error.empty()) {
      std::cerr << "offerledger: webhook " << c.webhook.id << " (" << c.webhook.event << " for "
                << c.webhook.partner << ") attempt " << outcome.attempts << " failed: " << error
                << (outcome.status == WebhookStatus::kDead
                        ? "; no retries left: dead (offerledger webhooks retry " + c.webhook.id +
                              ")"
                        : "; retrying in " +
                              std::to_string((outcome.next_attempt_at - outcome.at) / 1000) + " ms")
                << std::endl;
    }
    if (Status s = store_.FinishWebhook(outcome); !s.ok()) {
      // Lost the lease (another sender has it now) or the store failed: the
      // webhook stays pending and is sent again -- at least once.
      std::cerr << "offerledger: webhook " << c.webhook.id
                << " outcome not recorded: " << s.message() << std::endl;
    }
  }
  return static_cast<int>(claimed->size());
}

void WebhookSender::Loop() {
  RunOutboxLoop(mu_, cv_, stopping_, options_.poll, "webhook sender", "the queue",
                [this](Micros now) { return RunOnce(now); });
}

}  // namespace offerledger
