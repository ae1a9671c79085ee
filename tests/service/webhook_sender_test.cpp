// WebhookSender against a scripted listener, on every Store backend: the
// request is signed as XCover signs webhooks (checked here with OpenSSL
// directly, as a partner's verifier would), a 2xx answer delivers, anything
// else is retried after a doubling backoff and dead once the retries are
// spent; only committed webhooks are sent, and each once.
#include "service/webhook_sender.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/http_date.h"
#include "service/webhook_events.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::BackendTest;

// Answers each POST with the next scripted status (or throws, for -1), 200 when none is left.
class ScriptedListener : public client::Transport {
 public:
  client::HttpResponse Send(const client::HttpRequest& req, std::chrono::milliseconds) override {
    std::lock_guard lock(mu_);
    requests.push_back(req);
    int status = 200;
    if (!script.empty()) {
      status = script.front();
      script.pop_front();
    }
    if (status < 0) throw std::runtime_error("connection refused");
    client::HttpResponse r;
    r.status = status;
    return r;
  }
  std::mutex mu_;
  std::deque<int> script;
  std::vector<client::HttpRequest> requests;
};

std::string HeaderOf(const client::HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// What a partner's XCover webhook verifier does (docs.covergenius.com):
// split `Signature k="v",...`, URL-decode the signature, compare it with
// Base64(HMAC-SHA256(secret, "date: " + Date)). Written without offerledger's code.
bool XCoverVerifierAccepts(const client::HttpRequest& r, const std::string& secret) {
  std::string auth = HeaderOf(r, "Authorization");
  if (auth.rfind("Signature ", 0) != 0) return false;
  auth = auth.substr(10);
  std::map<std::string, std::string> parts;
  std::size_t start = 0;
  while (start < auth.size()) {
    std::size_t comma = auth.find(',', start);
    if (comma == std::string::npos) comma = auth.size();
    const std::string part = auth.substr(start, comma - start);
    const std::size_t eq = part.find('=');
    std::string v = part.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    parts[part.substr(0, eq)] = v;
    start = comma + 1;
  }
  std::string received;
  const std::string& enc = parts["signature"];
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] == '%' && i + 2 < enc.size()) {
      received.push_back(static_cast<char>(std::stoi(enc.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      received.push_back(enc[i]);
    }
  }
  const std::string raw = "date: " + HeaderOf(r, "Date");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), mac, &mac_len);
  unsigned char b64[2 * EVP_MAX_MD_SIZE];
  const int n = EVP_EncodeBlock(b64, mac, static_cast<int>(mac_len));
  return parts["algorithm"] == "hmac-sha256" && parts["headers"] == "date" &&
         parts["keyId"] == HeaderOf(r, "X-Api-Key") &&
         received == std::string(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
}

class WebhookSenderTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const Micros now = NowMicros();
    for (const std::string code : {"AAA", "BBB"}) {
      ASSERT_TRUE(store_
                      ->CreatePartner({code, code, now, 0, 0},
                                      ApiKey{"key-" + code, "s", code, now, std::nullopt})
                      .ok());
    }
    ASSERT_TRUE(store_
                    ->SetWebhookConfig({"AAA",
                                        "http://listener.test/hooks",
                                        "hook-key",
                                        "hook secret",
                                        {"BOOKING_CREATED"},
                                        now})
                    .ok());
    options_.retries = 2;
    options_.backoff = 1 * kMicrosPerSecond;
  }

  void Queue(std::string_view partner, std::string_view event, const std::string& payload) {
    Status s = store_->Write([&](WriteTxn& tx) {
      return QueueWebhook(tx, partner, event, NowMicros(), [&] { return payload; });
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  int RunOnce(WebhookSender& sender, Micros at) {
    auto n = sender.RunOnce(at);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }

  std::vector<Webhook> List(WebhookStatus status) {
    auto l = store_->ListWebhooks({std::nullopt, status, 100});
    EXPECT_TRUE(l.ok());
    return l.ok() ? *l : std::vector<Webhook>{};
  }

  ScriptedListener listener_;
  WebhookSenderOptions options_;
};

TEST_P(WebhookSenderTest, PostsTheBodySignedAsXCoverSignsWebhooks) {
  Queue("AAA", kBookingCreated, R"({"id":"ABCDE-FGHIJ-INS","status":"CONFIRMED"})");
  Queue("AAA", kBookingCancelled, R"({"id":"x"})");  // not subscribed
  Queue("BBB", kBookingCreated, R"({"id":"y"})");    // no webhook
  WebhookSender sender(*store_, listener_, nullptr, options_);
  EXPECT_EQ(RunOnce(sender, NowMicros()), 1);
  ASSERT_EQ(listener_.requests.size(), 1u);
  const client::HttpRequest& r = listener_.requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://listener.test/hooks");
  EXPECT_EQ(
      r.body.value_or(""),
      R"({"event": "BOOKING_CREATED", "payload": {"id":"ABCDE-FGHIJ-INS","status":"CONFIRMED"}})");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(r, "X-Api-Key"), "hook-key");
  EXPECT_EQ(HeaderOf(r, "X-Webhook-Event"), "BOOKING_CREATED");
  EXPECT_TRUE(ParseHttpDate(HeaderOf(r, "Date")).has_value()) << HeaderOf(r, "Date");
  EXPECT_TRUE(XCoverVerifierAccepts(r, "hook secret")) << HeaderOf(r, "Authorization");
  EXPECT_FALSE(XCoverVerifierAccepts(r, "another secret"));

  auto delivered = List(WebhookStatus::kDelivered);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(HeaderOf(r, "X-Webhook-Id"), delivered[0].id);
  EXPECT_EQ(RunOnce(sender, NowMicros() + 3600 * kMicrosPerSecond), 0) << "sent once only";
}

TEST_P(WebhookSenderTest, FailuresBackOffThenDieAndKeepTheirDeliveryId) {
  Queue("AAA", kBookingCreated, "{}");
  listener_.script = {500, -1, 404};
  WebhookSender sender(*store_, listener_, nullptr, options_);
  const Micros t0 = NowMicros();
  EXPECT_EQ(RunOnce(sender, t0), 1);
  auto pending = List(WebhookStatus::kPending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_EQ(pending[0].last_error, "the listener answered HTTP 500");
  const Micros first_retry = pending[0].next_attempt_at;
  EXPECT_GE(first_retry, t0 + options_.backoff);
  EXPECT_EQ(RunOnce(sender, first_retry - 1), 0) << "not before its backoff";

  EXPECT_EQ(RunOnce(sender, first_retry), 1);
  pending = List(WebhookStatus::kPending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].attempts, 2);
  EXPECT_NE(pending[0].last_error.find("connection refused"), std::string::npos);
  EXPECT_GE(pending[0].next_attempt_at - first_retry, 2 * options_.backoff) << "doubled";

  EXPECT_EQ(RunOnce(sender, pending[0].next_attempt_at), 1);
  auto dead = List(WebhookStatus::kDead);
  ASSERT_EQ(dead.size(), 1u) << "1 attempt + 2 retries";
  EXPECT_EQ(dead[0].attempts, 3);
  EXPECT_EQ(dead[0].last_error, "the listener answered HTTP 404");
  EXPECT_EQ(RunOnce(sender, NowMicros() + 3600 * kMicrosPerSecond), 0) << "dead is not sent";

  ASSERT_EQ(listener_.requests.size(), 3u);
  for (const auto& r : listener_.requests) {
    EXPECT_EQ(HeaderOf(r, "X-Webhook-Id"), dead[0].id) << "one delivery id for every attempt";
  }
  auto retried = store_->RetryWebhooks(dead[0].id, std::nullopt, NowMicros());
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(RunOnce(sender, NowMicros()), 1);
  EXPECT_EQ(List(WebhookStatus::kDelivered).size(), 1u);
}

TEST_P(WebhookSenderTest, BackoffDoublesUpToItsCap) {
  WebhookSenderOptions o;
  o.backoff = 10;
  o.max_backoff = 35;
  EXPECT_EQ(WebhookSender::BackoffAfter(1, o), 10);
  EXPECT_EQ(WebhookSender::BackoffAfter(2, o), 20);
  EXPECT_EQ(WebhookSender::BackoffAfter(3, o), 35);
  EXPECT_EQ(WebhookSender::BackoffAfter(60, o), 35);
}

TEST_P(WebhookSenderTest, TheBackgroundThreadDelivers) {
  options_.poll = std::chrono::milliseconds(10);
  WebhookSender sender(*store_, listener_, nullptr, options_);
  sender.Start();
  Queue("AAA", kBookingCreated, "{}");
  // Waits for the outcome, not for a time: the test fails only by hanging.
  while (List(WebhookStatus::kDelivered).empty())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  sender.Stop();
  EXPECT_EQ(listener_.requests.size(), 1u);
}

OL_BACKENDS(WebhookSenderTest);

}  // namespace
}  // namespace offerledger
