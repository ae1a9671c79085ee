#include "http/partner_routes.h"

#include <openssl/evp.h>

#include "api/request_decoder.h"
#include "api/response_renderer.h"
#include "http/router.h"

namespace offerledger {

namespace {

void SetError(HttpResponse& res, const Status& st) {
  res.status = HttpStatusFor(st.code());
  res.body = RenderError(st);
}

void SetReply(HttpResponse& res, ApiReply reply) {
  res.status = reply.status;
  res.body = std::move(reply.body);
  if (reply.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
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
                             std::string public_url)
    : store_(store), api_(api), verifier_(verifier_options), public_url_(std::move(public_url)) {}

void PartnerRoutes::Handle(const HttpRequest& req, HttpResponse& res) {
  const Route route = MatchRoute(req.method, req.target);
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
      return SetError(res, Status::BadRequest("Malformed path: bad percent-encoding."));
    case RouteKind::kMethodNotAllowed:
      res.status = 405;
      res.body = R"({"type":"method_not_allowed","message":"Method )" + req.method +
                 R"( is not allowed here.","errors":{}})";
      res.headers.emplace_back("Allow", route.allow);
      return;
    default:
      return HandlePartnerCall(req, route, res);
  }
}

void PartnerRoutes::HandlePartnerCall(const HttpRequest& req, const Route& route,
                                      HttpResponse& res) {
  const Micros now = NowMicros();
  AuthRequest auth_req{req.method, req.target,
                       [&req](std::string_view name) { return req.HeaderValues(name); }};
  auto identity = verifier_.Verify(auth_req, now, [this](std::string_view key)
                                       -> Result<std::optional<KeyRecord>> {
    auto found = store_.FindKey(key);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return std::optional<KeyRecord>{};
    const ApiKey& k = **found;
    return std::optional<KeyRecord>(KeyRecord{k.partner, k.secret, k.revoked_at.has_value()});
  });
  if (!identity.ok()) return SetError(res, identity.status());
  // A key used on another partner's path learns nothing: the same 404 as a
  // package that does not exist.
  if (identity->partner != route.partner) {
    return SetError(res, Status::NotFound("Quote package not found."));
  }

  auto body = ParseJsonBody(req.body);
  if (!body.ok()) return SetError(res, body.status());

  RequestContext ctx;
  ctx.partner = identity->partner;
  ctx.now = now;
  if (IsWriteRoute(route.kind)) {
    const auto keys = req.HeaderValues("x-idempotency-key");
    if (keys.size() > 1) {
      return SetError(res, Status::BadRequest("Duplicated x-idempotency-key header."));
    }
    if (!keys.empty()) {
      if (keys[0].empty() || keys[0].size() > 255) {
        return SetError(res, Status::BadRequest("x-idempotency-key must be 1-255 characters."));
      }
      ctx.idempotency_key = std::string(keys[0]);
      ctx.fingerprint = Fingerprint(req.method, route.path, req.body);
    }
  }

  switch (route.kind) {
    case RouteKind::kCreateQuote:
      return SetReply(res, api_.CreateQuote(ctx, *body));
    case RouteKind::kGetQuote:
      return SetReply(res, api_.GetQuote(ctx, route.id));
    case RouteKind::kUpdateQuote:
      return SetReply(res, api_.UpdateQuote(ctx, route.id, *body));
    case RouteKind::kAddQuotes:
      return SetReply(res, api_.AddQuotes(ctx, route.id, *body));
    case RouteKind::kDeleteQuotes:
      return SetReply(res, api_.DeleteQuotes(ctx, route.id, *body));
    case RouteKind::kOptOut:
      if (Status s = CheckEmptyPayload(*body); !s.ok()) return SetError(res, s);
      return SetReply(res, api_.OptOut(ctx, route.id));
    case RouteKind::kCreateBooking:
      return SetReply(res, api_.CreateBooking(ctx, route.id, *body));
    case RouteKind::kInstantBooking:
      return SetReply(res, api_.InstantBooking(ctx, *body));
    case RouteKind::kGetBooking:
      return SetReply(res, api_.GetBooking(ctx, route.id));
    case RouteKind::kListBookings: {
      const long long limit = QueryInt(route.query, "limit", 10);
      const long long offset = QueryInt(route.query, "offset", 0);
      if (limit < 0 || offset < 0) {
        return SetError(res, Status::Invalid("An API error occurred.",
                                             {{"limit", "limit and offset must be whole numbers."}}));
      }
      const std::string list_url = public_url_ + route.path;
      return SetReply(res, api_.ListBookings(ctx, limit, offset, list_url));
    }
    case RouteKind::kCancel:
      return SetReply(res, api_.Cancel(ctx, route.id, *body));
    case RouteKind::kConfirmCancellation:
      if (Status s = CheckEmptyPayload(*body); !s.ok()) return SetError(res, s);
      return SetReply(res, api_.ConfirmCancellation(ctx, route.id, route.sub_id));
    default:
      return SetError(res, Status::NotFound("No such route: " + route.path));
  }
}

}  // namespace offerledger
