// PartnerRoutes: the request -> handler -> response path of the partner API.
// Matches the route, applies the path partner's rate limit (before anything
// that costs a database look-up, signature checks included), authenticates
// the signature, checks that the key's partner is the partner of the path,
// then calls PartnerApi.
// Also serves the admin API (/admin/v1/..., bearer token) and the conversion
// reports (analytics/conversion_report.h) of both.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/signature_verifier.h"
#include "http/http_types.h"
#include "service/partner_api.h"
#include "service/rate_limiter.h"

namespace offerledger {

// A file served as is (the admin dashboard's page, script, style).
struct StaticAsset {
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;
};

struct ReportRouteOptions {
  // The admin API's bearer token; nullopt: no admin API (its routes answer 404).
  std::optional<std::string> admin_token;
  // Days after the offer day from which a pending offer counts as no answer.
  int decision_window_days = 7;
  // The admin dashboard's files by name ("" is the page, /admin/dashboard;
  // "app.js" is /admin/dashboard/app.js); nullopt: no such file. Null: no
  // dashboard. Served only when the admin API is on.
  std::optional<StaticAsset> (*dashboard_asset)(std::string_view name) = nullptr;
  // GET /admin/v1/optimizer: the catalog and the optimizer's settings (mode,
  // policy, decision window). Null catalog: the route answers 404.
  std::shared_ptr<const Catalog> catalog;
  PriceChooserOptions optimizer;
};

class PartnerRoutes {
 public:
  // `public_url`: this server's base URL as partners reach it, for links.
  // `rate_limiter`: the partners' rate limits (service/rate_limiter.h),
  // consulted with MonotonicMicros(); null: no limits.
  PartnerRoutes(Store& store, PartnerApi& api, VerifierOptions verifier_options,
                std::string public_url, ReportRouteOptions report_options = {},
                RateLimiter* rate_limiter = nullptr);

  void Handle(const HttpRequest& req, HttpResponse& res);
  // Handle() for HttpServer's asynchronous interface: an opt-out or a new
  // quote answers from the store's writer thread once its group commit is
  // durable, so it holds no server thread while it waits (the hot paths of
  // issue 7); every other route answers before returning, through Handle().
  using Respond = std::function<void(HttpResponse)>;
  void HandleAsync(HttpRequest req, Respond respond);

  // Where HandleAsync runs the routes that may wait: the writes other than
  // the two above (each waits for its group commit) and the admin API
  // (reports over the whole ledger). Unset, they run on the calling server
  // thread. With SQLite the server keeps one event-loop thread per core and
  // hands these to a pool of worker threads (app/serve_command.cpp): fewer
  // threads sharing the connections made a get quote ~20% cheaper in CPU
  // (issue 7), and a booking waiting for its commit still holds no
  // event-loop thread.
  using Offload = std::function<void(std::function<void()>)>;
  void SetOffload(Offload offload) { offload_ = std::move(offload); }

 private:
  // Handle() once the route is matched.
  void HandleRoute(const HttpRequest& req, const struct Route& route, HttpResponse& res);
  // What a partner call has once it is admitted.
  struct PartnerCall {
    RequestContext ctx;  // the authenticated partner, now, idempotency key
    boost::json::value body;
  };
  // The checks every partner call passes first: the rate limit, the
  // signature, the key's partner against the path's, a JSON body, the
  // idempotency key. nullopt: `res` holds the refusal.
  std::optional<PartnerCall> AdmitPartnerCall(const HttpRequest& req, const struct Route& route,
                                              HttpResponse& res);
  void HandlePartnerCall(const HttpRequest& req, const struct Route& route, HttpResponse& res);
  void HandleAdmin(const HttpRequest& req, const struct Route& route, HttpResponse& res);
  bool AdminAuthorized(const HttpRequest& req) const;
  void HandleDashboard(const struct Route& route, HttpResponse& res) const;
  // The conversion report of the query in `route`; of `partner` only if set.
  void HandleReport(const struct Route& route, const std::optional<std::string>& partner,
                    HttpResponse& res);
  void HandleOptimizer(HttpResponse& res);

  Store& store_;
  PartnerApi& api_;
  SignatureVerifier verifier_;
  std::string public_url_;
  ReportRouteOptions report_options_;
  std::string admin_token_digest_;  // SHA-256 of the admin token
  RateLimiter* rate_limiter_;       // may be null
  Offload offload_;
};

}  // namespace offerledger
