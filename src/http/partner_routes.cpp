#include "http/partner_routes.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <iostream>

#include "analytics/conversion_report.h"

#include "api/request_decoder.h"
#include "api/response_renderer.h"
#include "http/router.h"

namespace offerledger {

namespace {

// A 503 means the database is unavailable for now (a restart, a failover):
// Retry-After tells clients, the partner SDK among them, to try again soon.
void AddRetryAfterTo503(HttpResponse& res) {
  if (res.status == 503) res.headers.emplace_back("Retry-After", "1");
}

// A 500 is a server fault whose text may hold SQL, a database's message or
// other internals (CONTRACT.md: no error leaks them). The operator gets the
// text on stderr; the partner gets a fixed sentence.
void HideInternalDetail(HttpResponse& res) {
  if (res.status < 500 || res.status == 503) return;
  std::cerr << "offerledger: internal error answered " << res.status << ": " << res.body
            << std::endl;
  res.body = RenderError(Status::Internal(
      "Internal server error: it has been logged; retrying later is safe for an opt-out or a "
      "request with an idempotency key."));
}

void SetError(HttpResponse& res, const Status& st) {
  res.status = HttpStatusFor(st.code());
  res.body = RenderError(st);
  HideInternalDetail(res);
  AddRetryAfterTo503(res);
}

void SetReply(HttpResponse& res, ApiReply reply) {
  res.status = reply.status;
  res.body = std::move(reply.body);
  if (reply.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
  HideInternalDetail(res);
  AddRetryAfterTo503(res);
}

void SetMethodNotAllowed(HttpResponse& res, const HttpRequest& req, const Route& route) {
  res.status = 405;
  res.body = R"({"type":"method_not_allowed","message":"Method )" + req.method +
             R"( is not allowed here.","errors":{}})";
  res.headers.emplace_back("Allow", route.allow);
}

std::string Sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

// SHA-256 over method, path and body: identifies "the same request" for
// idempotency keys.
std::string Fingerprint(std::string_view method, std::string_view path, std::string_view body) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, method.data(), method.size());
  EVP_DigestUpdate(ctx, "\n", 1);
  EVP_DigestUpdate(ctx, path.data(), path.size());
  EVP_DigestUpdate(ctx, "\n", 1);
  EVP_DigestUpdate(ctx, body.data(), body.size());
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace

PartnerRoutes::PartnerRoutes(Store& store, PartnerApi& api, VerifierOptions verifier_options,
                             std::string public_url, ReportRouteOptions report_options,
                             RateLimiter* rate_limiter)
    : store_(store),
      api_(api),
      verifier_(verifier_options),
      public_url_(std::move(public_url)),
      report_options_(std::move(report_options)),
      rate_limiter_(rate_limiter) {
  if (report_options_.admin_token) admin_token_digest_ = Sha256(*report_options_.admin_token);
}

void PartnerRoutes::Handle(const HttpRequest& req, HttpResponse& res) {
  HandleRoute(req, MatchRoute(req.method, req.target), res);
}

void PartnerRoutes::HandleRoute(const HttpRequest& req, const Route& route, HttpResponse& res) {
  if (route.admin) return HandleAdmin(req, route, res);
  switch (route.kind) {
    case RouteKind::kHealth: {
      const Status st = store_.Ping();
      res.status = st.ok() ? 200 : 503;
      res.body = st.ok() ? R"({"status":"ok"})"
                         : R"({"status":"unavailable","message":"The store does not answer."})";
      return;
    }
    case RouteKind::kNotFound:
      return SetError(res, Status::NotFound("No such route: " + route.path));
    case RouteKind::kBadPath:
      return SetError(res, Status::BadRequest("Malformed path: bad percent-encoding, or an encoded "
                                              "'/' or NUL inside a path segment."));
    case RouteKind::kMethodNotAllowed:
      return SetMethodNotAllowed(res, req, route);
    case RouteKind::kAdminConversionReport:  // only with route.admin, handled above
    case RouteKind::kAdminDashboard:
    case RouteKind::kAdminDashboardAsset:
      return SetError(res, Status::NotFound("No such route: " + route.path));
    default:
      return HandlePartnerCall(req, route, res);
  }
}

void PartnerRoutes::HandleAsync(HttpRequest req, Respond respond) {
  const Route route = MatchRoute(req.method, req.target);
  const bool async = route.kind == RouteKind::kOptOut || route.kind == RouteKind::kCreateQuote;
  if (route.admin || !async) {
    if (offload_ && (route.admin || IsWriteRoute(route.kind))) {
      return offload_([this, req = std::move(req), route, respond = std::move(respond)]() mutable {
        HttpResponse res;
        try {
          HandleRoute(req, route, res);
        } catch (const std::exception& e) {
          // As the server does for a handler on its own threads.
          std::cerr << "offerledger: handler failed: " << e.what() << "\n";
          res = HttpResponse{};
          res.status = 500;
          res.body = std::string(kHandlerFailedBody);
        }
        respond(std::move(res));
      });
    }
    HttpResponse res;
    HandleRoute(req, route, res);  // the route is matched once
    return respond(std::move(res));
  }
  HttpResponse res;
  std::optional<PartnerCall> call = AdmitPartnerCall(req, route, res);
  if (!call) return respond(std::move(res));
  if (route.kind == RouteKind::kOptOut) {
    if (Status s = CheckEmptyPayload(call->body); !s.ok()) {
      SetError(res, s);
      return respond(std::move(res));
    }
  }
  auto answer = [respond = std::move(respond)](ApiReply reply) {
    HttpResponse out;
    SetReply(out, std::move(reply));
    respond(std::move(out));
  };
  if (route.kind == RouteKind::kCreateQuote) {
    return api_.CreateQuoteAsync(call->ctx, call->body, std::move(answer));
  }
  api_.OptOutAsync(call->ctx, route.id, std::move(answer));
}

bool PartnerRoutes::AdminAuthorized(const HttpRequest& req) const {
  const auto values = req.HeaderValues("authorization");
  if (values.size() != 1) return false;
  std::string_view v = values[0];
  constexpr std::string_view kScheme = "bearer ";
  if (v.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = v[i] >= 'A' && v[i] <= 'Z' ? static_cast<char>(v[i] - 'A' + 'a') : v[i];
    if (c != kScheme[i]) return false;
  }
  v.remove_prefix(kScheme.size());
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return false;
  // Constant time whatever the token: compare fixed-size digests with
  // CRYPTO_memcmp, so neither the content nor the length leaks.
  const std::string given = Sha256(v);
  return given.size() == admin_token_digest_.size() &&
         CRYPTO_memcmp(given.data(), admin_token_digest_.data(), given.size()) == 0;
}

void PartnerRoutes::HandleAdmin(const HttpRequest& req, const Route& route, HttpResponse& res) {
  // No admin token configured: there is no admin API at all.
  if (!report_options_.admin_token) {
    return SetError(res, Status::NotFound("No such route: " + route.path));
  }
  // The dashboard's page and files hold no data, and a browser opening a page
  // cannot send a bearer token: they are served without it. The page asks for
  // the token and sends it with every report it fetches.
  if (route.kind == RouteKind::kAdminDashboard || route.kind == RouteKind::kAdminDashboardAsset) {
    return HandleDashboard(route, res);
  }
  if (!AdminAuthorized(req)) {
    SetError(res, Status::Unauthenticated("Missing or wrong admin token (Authorization: Bearer)."));
    res.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="offerledger-admin")");
    return;
  }
  switch (route.kind) {
    case RouteKind::kAdminConversionReport:
      return HandleReport(route, std::nullopt, res);
    case RouteKind::kAdminOptimizer:
      return HandleOptimizer(res);
    case RouteKind::kMethodNotAllowed:
      return SetMethodNotAllowed(res, req, route);
    default:
      return SetError(res, Status::NotFound("No such route: " + route.path));
  }
}

void PartnerRoutes::HandleDashboard(const Route& route, HttpResponse& res) const {
  // The page is "" (a path segment is never empty, so no file can be named so).
  // (Both arms are string_views: a `"" : route.id` would make a temporary
  // std::string that dies before `name` is used.)
  const std::string_view name =
      route.kind == RouteKind::kAdminDashboard ? std::string_view() : std::string_view(route.id);
  std::optional<StaticAsset> asset;
  if (report_options_.dashboard_asset != nullptr) asset = report_options_.dashboard_asset(name);
  if (!asset) return SetError(res, Status::NotFound("No such route: " + route.path));
  res.status = 200;
  res.content_type = std::string(asset->content_type);
  res.body = std::string(asset->body);
  // Everything from this server, nothing inline, no framing, no referrer.
  res.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; script-src 'self'; style-src 'self'; "
                           "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                           "form-action 'none'; frame-ancestors 'none'");
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.headers.emplace_back("Referrer-Policy", "no-referrer");
  res.headers.emplace_back("Cache-Control", "no-cache");
}

void PartnerRoutes::HandleOptimizer(HttpResponse& res) {
  if (report_options_.catalog == nullptr) {
    return SetError(res, Status::NotFound("No such route: /admin/v1/optimizer"));
  }
  auto view =
      BuildOptimizerView(store_, *report_options_.catalog, report_options_.optimizer, NowMicros());
  if (!view.ok()) return SetError(res, view.status());
  res.status = 200;
  res.content_type = "application/json";
  res.body = OptimizerViewJson(*view);
  res.headers.emplace_back("Cache-Control", "no-store");
}

void PartnerRoutes::HandleReport(const Route& route, const std::optional<std::string>& partner,
                                 HttpResponse& res) {
  const auto pairs = ParseQuery(route.query);
  if (!pairs) return SetError(res, Status::BadRequest("Malformed query: bad percent-encoding."));
  ReportParams params;
  std::vector<FieldError> errors;
  for (const auto& [name, value] : *pairs) {
    std::optional<std::string>* slot = name == "from"     ? &params.from
                                       : name == "to"     ? &params.to
                                       : name == "by"     ? &params.by
                                       : name == "group"  ? &params.group
                                       : name == "format" ? &params.format
                                                          : nullptr;
    if (slot == nullptr) {
      errors.push_back({name, "Unexpected parameter (from, to, by, group, format)."});
    } else if (slot->has_value()) {
      errors.push_back({name, "Given more than once."});
    } else {
      *slot = value;
    }
  }
  if (!errors.empty()) {
    return SetError(res, Status::Invalid("Invalid report parameters.", std::move(errors)));
  }
  const std::int64_t today = DayOf(NowMicros());
  auto request =
      ParseReportParams(params, today, report_options_.decision_window_days, ReportFormat::kJson);
  if (!request.ok()) return SetError(res, request.status());
  // The partner API reports the caller's own offers, nothing else.
  request->query.partner = partner;
  auto report = RunConversionReport(store_, request->query);
  if (!report.ok()) return SetError(res, report.status());
  res.status = 200;
  res.content_type = std::string(ReportContentType(request->format));
  res.body = RenderReport(*report, request->format);
}

std::optional<PartnerRoutes::PartnerCall> PartnerRoutes::AdmitPartnerCall(const HttpRequest& req,
                                                                          const Route& route,
                                                                          HttpResponse& res) {
  // The rate limit comes first (CONTRACT.md "Rate limits"): it costs a hash
  // look-up in memory, whereas the signature check reads the key from the
  // database. It counts the path's partner, signed or not: a flood on a
  // partner's path is refused before it reaches the database. The answer
  // names neither the limit nor anything about the caller; unknown partner
  // codes have no limit here and go on to the 401/404 of authentication.
  if (rate_limiter_ != nullptr) {
    const RateClass cls = IsQuoteClassRoute(route.kind) ? RateClass::kQuote : RateClass::kOther;
    const RateDecision d = rate_limiter_->Admit(route.partner, cls, MonotonicMicros());
    if (!d.admitted) {
      const std::string seconds = std::to_string(d.RetryAfterSeconds());
      SetError(res, Status::RateLimited("Too many requests: slow down and retry after " + seconds +
                                        (seconds == "1" ? " second." : " seconds.")));
      res.headers.emplace_back("Retry-After", seconds);
      return std::nullopt;
    }
  }

  const Micros now = NowMicros();
  AuthRequest auth_req{req.method, req.target,
                       [&req](std::string_view name) { return req.HeaderValues(name); }};
  auto identity = verifier_.Verify(
      auth_req, now, [this](std::string_view key) -> Result<std::optional<KeyRecord>> {
        auto found = store_.FindKey(key);
        if (!found.ok()) return found.status();
        if (!found->has_value()) return std::optional<KeyRecord>{};
        const ApiKey& k = **found;
        return std::optional<KeyRecord>(
            KeyRecord{k.partner, k.secret, k.revoked_at.has_value(), k.require_request_target});
      });
  if (!identity.ok()) {
    SetError(res, identity.status());
    return std::nullopt;
  }
  // A key used on another partner's path learns nothing: the same 404 as a
  // package that does not exist.
  if (identity->partner != route.partner) {
    SetError(res, Status::NotFound("Quote package not found."));
    return std::nullopt;
  }

  auto body = ParseJsonBody(req.body);
  if (!body.ok()) {
    SetError(res, body.status());
    return std::nullopt;
  }

  PartnerCall call{RequestContext{}, std::move(*body)};
  RequestContext& ctx = call.ctx;
  ctx.partner = identity->partner;
  ctx.now = now;
  if (IsWriteRoute(route.kind)) {
    const auto keys = req.HeaderValues("x-idempotency-key");
    if (keys.size() > 1) {
      SetError(res, Status::BadRequest("Duplicated x-idempotency-key header."));
      return std::nullopt;
    }
    if (!keys.empty()) {
      if (keys[0].empty() || keys[0].size() > 255) {
        SetError(res, Status::BadRequest("x-idempotency-key must be 1-255 characters."));
        return std::nullopt;
      }
      ctx.idempotency_key = std::string(keys[0]);
      ctx.fingerprint = Fingerprint(req.method, route.path, req.body);
    }
  }
  return call;
}

void PartnerRoutes::HandlePartnerCall(const HttpRequest& req, const Route& route,
                                      HttpResponse& res) {
  std::optional<PartnerCall> call = AdmitPartnerCall(req, route, res);
  if (!call) return;
  const RequestContext& ctx = call->ctx;
  const boost::json::value& body = call->body;

  switch (route.kind) {
    case RouteKind::kCreateQuote:
      return SetReply(res, api_.CreateQuote(ctx, body));
    case RouteKind::kGetQuote:
      return SetReply(res, api_.GetQuote(ctx, route.id));
    case RouteKind::kUpdateQuote:
      return SetReply(res, api_.UpdateQuote(ctx, route.id, body));
    case RouteKind::kAddQuotes:
      return SetReply(res, api_.AddQuotes(ctx, route.id, body));
    case RouteKind::kDeleteQuotes:
      return SetReply(res, api_.DeleteQuotes(ctx, route.id, body));
    case RouteKind::kOptOut:
      if (Status s = CheckEmptyPayload(body); !s.ok()) return SetError(res, s);
      return SetReply(res, api_.OptOut(ctx, route.id));
    case RouteKind::kCreateBooking:
      return SetReply(res, api_.CreateBooking(ctx, route.id, body));
    case RouteKind::kInstantBooking:
      return SetReply(res, api_.InstantBooking(ctx, body));
    case RouteKind::kGetBooking:
      return SetReply(res, api_.GetBooking(ctx, route.id));
    case RouteKind::kListBookings: {
      const long long limit = QueryInt(route.query, "limit", 10);
      const long long offset = QueryInt(route.query, "offset", 0);
      if (limit < 0 || offset < 0) {
        return SetError(res,
                        Status::Invalid("An API error occurred.",
                                        {{"limit", "limit and offset must be whole numbers."}}));
      }
      const std::string list_url = public_url_ + route.path;
      return SetReply(res, api_.ListBookings(ctx, limit, offset, list_url));
    }
    case RouteKind::kCancel:
      return SetReply(res, api_.Cancel(ctx, route.id, body));
    case RouteKind::kConfirmCancellation:
      if (Status s = CheckEmptyPayload(body); !s.ok()) return SetError(res, s);
      return SetReply(res, api_.ConfirmCancellation(ctx, route.id, route.sub_id));
    case RouteKind::kQuoteForRenewal:
      if (Status s = CheckEmptyPayload(body); !s.ok()) return SetError(res, s);
      return SetReply(res, api_.QuoteForRenewal(ctx, route.id));
    case RouteKind::kConfirmRenewal:
      if (Status s = CheckEmptyPayload(body); !s.ok()) return SetError(res, s);
      return SetReply(res, api_.ConfirmRenewal(ctx, route.id, route.sub_id));
    case RouteKind::kRenewalOptOut:
      if (Status s = CheckEmptyPayload(body); !s.ok()) return SetError(res, s);
      return SetReply(res, api_.RenewalOptOut(ctx, route.id));
    case RouteKind::kConfirmPayment:
      if (Status s = CheckEmptyPayload(body); !s.ok()) return SetError(res, s);
      return SetReply(res, api_.ConfirmPayment(ctx, route.id));
    case RouteKind::kModifyBooking:
      return SetReply(res, api_.ModifyBooking(ctx, route.id, body));
    case RouteKind::kQuoteForUpdate:
      return SetReply(res, api_.QuoteForUpdate(ctx, route.id, body));
    case RouteKind::kConfirmUpdate:
      if (Status s = CheckEmptyPayload(body); !s.ok()) return SetError(res, s);
      return SetReply(res, api_.ConfirmUpdate(ctx, route.id, route.sub_id));
    case RouteKind::kGetInstalments:
      return SetReply(res, api_.GetInstalments(ctx, route.id));
    case RouteKind::kRecordInstalments:
      return SetReply(res, api_.RecordInstalments(ctx, route.id, body));
    case RouteKind::kSendEmail:
      return SetReply(res, api_.SendEmail(ctx, route.id, body));
    case RouteKind::kPartnerConversionReport:
      if (Status s = CheckEmptyPayload(body); !s.ok()) return SetError(res, s);
      return HandleReport(route, ctx.partner, res);
    default:
      return SetError(res, Status::NotFound("No such route: " + route.path));
  }
}

}  // namespace offerledger
