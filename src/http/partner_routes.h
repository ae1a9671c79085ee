// PartnerRoutes: the request -> handler -> response path of the partner API.
// Matches the route, authenticates the signature, checks that the key's
// partner is the partner of the path, then calls PartnerApi.
#pragma once

#include <memory>
#include <string>

#include "auth/signature_verifier.h"
#include "http/http_types.h"
#include "service/partner_api.h"

namespace offerledger {

class PartnerRoutes {
 public:
  // `public_url`: this server's base URL as partners reach it, for links.
  PartnerRoutes(Store& store, PartnerApi& api, VerifierOptions verifier_options,
                std::string public_url);

  void Handle(const HttpRequest& req, HttpResponse& res);

 private:
  void HandlePartnerCall(const HttpRequest& req, const struct Route& route, HttpResponse& res);

  Store& store_;
  PartnerApi& api_;
  SignatureVerifier verifier_;
  std::string public_url_;
};

}  // namespace offerledger
