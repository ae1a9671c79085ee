// The partner SDK: typed calls of the XCover partner API, signed, retried
// with exponential backoff and full jitter, one idempotency key per logical
// operation. Works against offerledger and against XCover.
//
//   auto cfg = offerledger::client::ConfigFromEnv();
//   offerledger::client::Client xc(cfg);
//   xc.OptOut("PYWUR-TAPHT-INS", offerledger::client::Delivery::Durable);
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "client/config.h"
#include "client/errors.h"
#include "client/transport.h"

namespace offerledger::client {

enum class Delivery {
  Direct,   // send now (with retries); throws if it cannot be delivered
  Durable,  // write to the local outbox and return; a background sender delivers
};

class Outbox;
class OutboxSender;

class Client {
 public:
  // `transport` null: the Beast HTTP/HTTPS transport.
  explicit Client(Config config, std::unique_ptr<Transport> transport = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Config& config() const { return config_; }

  // Quote packages.
  boost::json::value CreateQuote(const boost::json::value& body);
  boost::json::value GetQuote(std::string_view id);
  boost::json::value UpdateQuote(std::string_view id, const boost::json::value& body);

  // The customer declined package `id`. Durable returns once the opt-out is
  // committed to the outbox (config().outbox_path) and starts the background
  // sender of this Client if it is not running.
  void OptOut(std::string_view id, Delivery delivery = Delivery::Direct);
  // Direct opt-out with a caller-chosen idempotency key (the outbox uses the
  // key it stored, so that every retry, across restarts, reuses it).
  void OptOutWithKey(std::string_view id, const std::string& idempotency_key);

  // Bookings.
  boost::json::value CreateBooking(std::string_view id, const boost::json::value& body);
  boost::json::value InstantBooking(const boost::json::value& body);
  boost::json::value GetBooking(std::string_view id);
  boost::json::value ListBookings(std::optional<int> limit = std::nullopt,
                                  std::optional<int> offset = std::nullopt);
  // {"preview": true} previews; the answer names the cancellation, which
  // ConfirmCancellation then applies. Without preview it cancels at once.
  boost::json::value CancelBooking(std::string_view id, const boost::json::value& body);
  boost::json::value ConfirmCancellation(std::string_view id, std::string_view cancellation_id);

  // One logical call: `relative` is joined to base_url ("partners/X/quotes/").
  // POST/PUT/PATCH carry x-idempotency-key (fresh UUID if `idempotency_key`
  // is empty), the same on every retry. Returns the 2xx answer; throws
  // ApiError / TransportError.
  HttpResponse Call(std::string_view method, std::string_view relative,
                    std::optional<std::string> body, std::string idempotency_key = {});

  // The durable outbox of this client (opened on first use).
  Outbox& outbox();
  // Waits until the background sender has nothing due (or `timeout`).
  // True when the outbox has no pending entry left.
  bool WaitForOutbox(std::chrono::milliseconds timeout);

  // Test hooks: how the client waits between attempts, and its jitter source
  // (uniform in [0, 1)).
  void SetSleepForTesting(std::function<void(std::chrono::milliseconds)> sleep);
  void SetRandomForTesting(std::function<double()> uniform01);

  // The wait before retry `retry` (1-based) under full jitter, for u in [0,1).
  static std::chrono::milliseconds Backoff(const RetryPolicy& p, int retry, double u);
  // Retry-After: delta-seconds or an HTTP date (relative to now).
  static std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value);

 private:
  std::string PartnerPath(std::string_view rest) const;
  static boost::json::value ParseBody(const HttpResponse& r);

  Config config_;
  std::unique_ptr<Transport> transport_;
  std::function<void(std::chrono::milliseconds)> sleep_;
  std::function<double()> uniform01_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<OutboxSender> sender_;
};

// A random UUID v4 ("0f8fad5b-d9cb-469f-a165-70867728950e").
std::string NewUuid();

}  // namespace offerledger::client
