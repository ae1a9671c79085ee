#include "client/client.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include <boost/json.hpp>

#include "auth/http_date.h"
#include "client/outbox.h"
#include "common/random.h"
#include "common/time.h"

namespace offerledger::client {

namespace json = boost::json;

std::string NewUuid() {
  unsigned char b[16];
  SecureRandomBytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[b[i] >> 4]);
    out.push_back(hex[b[i] & 15]);
  }
  return out;
}

namespace {

std::string UrlPathEscape(std::string_view s) {
  std::string out;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace

Client::Client(Config config, std::unique_ptr<Transport> transport)
    : config_(std::move(config)), transport_(std::move(transport)) {
  if (!transport_) transport_ = MakeHttpTransport(config_);
  sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  uniform01_ = [] {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  };
}

Client::~Client() {
  if (sender_) sender_->Stop();
}

void Client::SetSleepForTesting(std::function<void(std::chrono::milliseconds)> sleep) {
  sleep_ = std::move(sleep);
}
void Client::SetRandomForTesting(std::function<double()> uniform01) {
  uniform01_ = std::move(uniform01);
}

std::chrono::milliseconds Client::Backoff(const RetryPolicy& p, int retry, double u) {
  double ceiling = static_cast<double>(p.base.count());
  for (int i = 1; i < retry && ceiling < static_cast<double>(p.cap.count()); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<double>(p.cap.count()));
  u = std::clamp(u, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(std::floor(ceiling * u)));
}

std::optional<std::chrono::milliseconds> Client::ParseRetryAfter(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::milliseconds(999'999'999);
    return std::chrono::milliseconds(std::stoll(std::string(value)) * 1000);
  }
  if (auto t = ParseHttpDate(value)) {
    const Micros delta = *t - NowMicros();
    return std::chrono::milliseconds(std::max<Micros>(0, delta / 1000));
  }
  return std::nullopt;
}

json::value Client::ParseBody(const HttpResponse& r) {
  if (r.body.empty()) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec) return json::string(r.body);
  return v;
}

std::string Client::PartnerPath(std::string_view rest) const {
  return "partners/" + UrlPathEscape(config_.partner_code) + "/" + std::string(rest);
}

HttpResponse Client::Call(std::string_view method, std::string_view relative,
                          std::optional<std::string> body, std::string idempotency_key) {
  const bool unsafe = method == "POST" || method == "PUT" || method == "PATCH";
  if (unsafe && idempotency_key.empty()) idempotency_key = NewUuid();
  const std::string url = JoinUrl(config_.base_url, relative);
  const std::string target = ParseUrl(url).target;
  const Signer signer(config_.api_key, config_.api_secret, config_.algorithm,
                      config_.signed_headers);
  const int max_attempts = std::max(1, config_.retry.max_attempts);

  for (int attempt = 1;; ++attempt) {
    HttpRequest req;
    req.method = std::string(method);
    req.url = url;
    HeaderList extra;
    if (unsafe) extra.emplace_back("x-idempotency-key", idempotency_key);
    if (body) extra.emplace_back("Content-Type", "application/json");
    req.headers = signer.Sign(method, target, NowMicros(), extra);
    req.headers.insert(req.headers.end(), extra.begin(), extra.end());
    req.headers.emplace_back("Accept", "application/json");
    req.body = body;

    std::chrono::milliseconds wait{0};
    try {
      HttpResponse r = transport_->Send(req, config_.timeout);
      if (r.status >= 200 && r.status < 300) return r;
      if (!ApiError::IsRetryableStatus(r.status) || attempt >= max_attempts) {
        const json::value v = ParseBody(r);
        std::string type, message;
        if (v.is_object()) {
          if (auto* t = v.as_object().if_contains("type"); t && t->is_string())
            type = std::string(t->as_string());
          if (auto* m = v.as_object().if_contains("message"); m && m->is_string())
            message = std::string(m->as_string());
          else if (auto* d = v.as_object().if_contains("detail"); d && d->is_string())
            message = std::string(d->as_string());
        }
        if (message.empty()) message = r.body.substr(0, 200);
        throw ApiError(r.status, type, message, r.body, attempt);
      }
      wait = Backoff(config_.retry, attempt, uniform01_());
      if (r.status == 429 || r.status == 503) {
        if (auto h = r.Header("Retry-After")) {
          if (auto ra = ParseRetryAfter(*h)) wait = std::min(*ra, config_.retry.max_retry_after);
        }
      }
    } catch (const TransportError& e) {
      if (e.tls_verification() || attempt >= max_attempts)
        throw TransportError(e.kind(), e.what(), attempt);
      wait = Backoff(config_.retry, attempt, uniform01_());
    }
    sleep_(wait);
  }
}

json::value Client::CreateQuote(const json::value& body) {
  return ParseBody(Call("POST", PartnerPath("quotes/"), json::serialize(body)));
}

json::value Client::GetQuote(std::string_view id) {
  return ParseBody(Call("GET", PartnerPath("quotes/" + UrlPathEscape(id) + "/"), std::nullopt));
}

json::value Client::UpdateQuote(std::string_view id, const json::value& body) {
  return ParseBody(
      Call("PATCH", PartnerPath("quotes/" + UrlPathEscape(id) + "/"), json::serialize(body)));
}

void Client::OptOutWithKey(std::string_view id, const std::string& idempotency_key) {
  Call("POST", PartnerPath("bookings/" + UrlPathEscape(id) + "/opt_out"), std::string("{}"),
       idempotency_key);
}

Outbox& Client::outbox() {
  if (!outbox_) {
    outbox_ = std::make_unique<Outbox>(config_.outbox_path.empty() ? DefaultOutboxPath()
                                                                   : config_.outbox_path);
  }
  return *outbox_;
}

void Client::OptOut(std::string_view id, Delivery delivery) {
  if (delivery == Delivery::Direct) {
    OptOutWithKey(id, NewUuid());
    return;
  }
  outbox().Enqueue(config_.partner_code, std::string(id), NowMicros());
  if (!sender_) {
    SenderOptions opts;
    opts.retry = config_.retry;
    sender_ = std::make_unique<OutboxSender>(
        *outbox_, [this](const OutboxEntry& e) { OptOutWithKey(e.package_id, e.idempotency_key); },
        opts);
    sender_->Start();
  }
  sender_->Wake();
}

bool Client::WaitForOutbox(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (outbox().Counts().pending == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

json::value Client::CreateBooking(std::string_view id, const json::value& body) {
  return ParseBody(
      Call("POST", PartnerPath("bookings/" + UrlPathEscape(id) + "/"), json::serialize(body)));
}

json::value Client::InstantBooking(const json::value& body) {
  return ParseBody(Call("POST", PartnerPath("instant_booking/"), json::serialize(body)));
}

json::value Client::GetBooking(std::string_view id) {
  return ParseBody(Call("GET", PartnerPath("bookings/" + UrlPathEscape(id) + "/"), std::nullopt));
}

json::value Client::ListBookings(std::optional<int> limit, std::optional<int> offset) {
  std::string rest = "bookings/";
  std::string q;
  if (limit) q += "limit=" + std::to_string(*limit);
  if (offset) q += std::string(q.empty() ? "" : "&") + "offset=" + std::to_string(*offset);
  if (!q.empty()) rest += "?" + q;
  return ParseBody(Call("GET", PartnerPath(rest), std::nullopt));
}

json::value Client::CancelBooking(std::string_view id, const json::value& body) {
  return ParseBody(Call("POST", PartnerPath("bookings/" + UrlPathEscape(id) + "/cancel"),
                        json::serialize(body)));
}

json::value Client::ConfirmCancellation(std::string_view id, std::string_view cancellation_id) {
  return ParseBody(Call("POST",
                        PartnerPath("bookings/" + UrlPathEscape(id) + "/confirm_cancellation/" +
                                    UrlPathEscape(cancellation_id) + "/"),
                        std::string("{}")));
}

}  // namespace offerledger::client
