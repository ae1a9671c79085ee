// Micro benchmarks of the per-request CPU work of the partner API, on the
// project's own libraries (no I/O): signature verification, pricing and
// rendering of a one-quote package, and routing.
//
// Targets (issue 7): signature verification <= 2 us; pricing + rendering a
// one-quote package <= 20 us. bench/README.md says how to run and read them.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>

#include "api/request_decoder.h"
#include "api/response_renderer.h"
#include "auth/hmac.h"
#include "auth/http_date.h"
#include "auth/signature_verifier.h"
#include "auth/signer.h"
#include "common/time.h"
#include "domain/catalog.h"
#include "domain/ids.h"
#include "domain/quote_package.h"
#include "http/router.h"
#include "store/package_codec.h"

namespace ol = offerledger;
namespace json = boost::json;

namespace {

// ------------------------------------------------------------ fixtures

constexpr std::string_view kApiKey = "ol_bench_key_0123456789abcdef";
constexpr std::string_view kSecret = "s3cr3t-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
// A realistic request: the opt-out of a package (the hottest write route).
constexpr std::string_view kMethod = "POST";
constexpr std::string_view kTarget = "/x/partners/BENCH/bookings/PYWUR-TAPHT-INS/opt_out";

// The cassette quote request (test_quote), one quote.
constexpr std::string_view kQuoteRequest = R"({
  "policy_type": "event_ticket_protection",
  "policy_type_version": 1,
  "policy_start_date": "2021-10-01T00:29:29Z",
  "event_datetime": "2021-10-10T13:44:15Z",
  "event_name": "Ariana Grande",
  "event_location": "The O2",
  "number_of_tickets": 2,
  "tickets": [{"price": 100}],
  "resale_ticket": false,
  "event_country": "GB"
})";

// The whole POST quotes/ body around it.
std::string QuoteBody() {
  return std::string(R"({"request": [)") + std::string(kQuoteRequest) +
         R"(], "currency": "GBP", "customer_country": "GB"})";
}

// "Fri, 01 Oct 2021 00:29:29 GMT" and the moment the server checks it.
constexpr ol::Micros kNow = 1633048169LL * ol::kMicrosPerSecond;

const std::shared_ptr<const ol::Catalog>& DefaultCatalog() {
  static const std::shared_ptr<const ol::Catalog> catalog = [] {
    auto c = ol::Catalog::LoadFile(OFFERLEDGER_SOURCE_DIR "/catalog/default.json");
    if (!c.ok()) {
      std::fprintf(stderr, "cannot load the default catalog: %s\n", c.status().message().c_str());
      std::abort();
    }
    return *c;
  }();
  return catalog;
}

const ol::PricingContext kPricing{"GBP", "GB", kNow, ol::Rate{ol::Rate::kOne}};

// A one-quote package as POST quotes/ builds it (see PartnerApi::NewPackage).
ol::QuotePackage OneQuotePackage(const ol::PricedQuote& priced) {
  ol::QuotePackage pkg;
  pkg.id = "PYWUR-TAPHT-INS";
  pkg.partner = "BENCH";
  pkg.security_token = "iH1w8-bSWnL-xd6SC-8icSM";
  pkg.currency = "GBP";
  pkg.customer_country = "GB";
  pkg.created_at = kNow;
  pkg.updated_at = kNow;
  ol::Quote q;
  q.id = "2b3c7a5e-8f4d-4c1a-9e6b-0d2f1a3c5b7e";
  priced.FillQuote(q);
  q.created_at = kNow;
  q.updated_at = kNow;
  pkg.quotes.push_back(std::move(q));
  return pkg;
}

ol::PricedQuote PriceOrDie(const json::object& request) {
  auto priced = DefaultCatalog()->PriceQuote(request, kPricing, "request.0");
  if (!priced.ok()) {
    std::fprintf(stderr, "pricing the cassette request failed: %s\n",
                 ol::RenderError(priced.status()).c_str());
    std::abort();
  }
  return std::move(priced).value();
}

// ------------------------------------------------------------ auth

// Server side: the whole check of one signed request (header parsing, Date
// and skew, key lookup in memory, HMAC-SHA512, constant-time compare).
void BM_SignatureVerify(benchmark::State& state) {
  const std::string date = ol::FormatHttpDate(kNow);
  const std::string authorization = ol::BuildAuthorization(
      kApiKey, kSecret, ol::Algorithm::kHmacSha512, {"(request-target)", "date"}, kMethod, kTarget,
      [&](std::string_view name) -> std::optional<std::string_view> {
        if (name == "date") return date;
        return std::nullopt;
      });
  // Headers as the server sees them: a few more than the signed ones.
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"host", "127.0.0.1:8080"},
      {"user-agent", "python-requests/2.31.0"},
      {"accept", "*/*"},
      {"content-type", "application/json"},
      {"date", date},
      {"authorization", authorization},
      {"content-length", "0"},
  };
  ol::AuthRequest req;
  req.method = kMethod;
  req.target = kTarget;
  req.header_values = [&](std::string_view name) {
    std::vector<std::string_view> out;
    for (const auto& [k, v] : headers) {
      if (k == name) out.emplace_back(v);
    }
    return out;
  };
  const ol::KeyRecord record{"BENCH", std::string(kSecret), false};
  const ol::KeyLookup lookup =
      [&](std::string_view key) -> ol::Result<std::optional<ol::KeyRecord>> {
    if (key == kApiKey) return std::optional<ol::KeyRecord>(record);
    return std::optional<ol::KeyRecord>();
  };
  const ol::SignatureVerifier verifier(ol::VerifierOptions{});
  {
    auto id = verifier.Verify(req, kNow, lookup);
    if (!id.ok() || id->partner != "BENCH") {
      state.SkipWithError("the benchmark request does not verify");
      return;
    }
  }
  for (auto _ : state) {
    auto id = verifier.Verify(req, kNow, lookup);
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(BM_SignatureVerify);

// The HMAC-SHA512 as the verifier computes it: a context prepared for the
// key (cached per API key), re-initialised for each signing string. The
// share of BM_SignatureVerify that is crypto.
void BM_HmacSha512Prepared(benchmark::State& state) {
  const std::string signing =
      "(request-target): post " + std::string(kTarget) + "\ndate: " + ol::FormatHttpDate(kNow);
  auto ctx = ol::HmacContext::New(ol::Algorithm::kHmacSha512, kSecret);
  if (!ctx.ok()) {
    state.SkipWithError("no HMAC-SHA512 context");
    return;
  }
  for (auto _ : state) {
    ol::MacBytes mac;
    auto status = ctx->Compute(signing, mac);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(mac);
  }
}
BENCHMARK(BM_HmacSha512Prepared);

// HmacDigest: a context for the key from scratch, then the MAC (what a
// client pays per request when it signs, see BM_SignRequest).
void BM_HmacSha512(benchmark::State& state) {
  const std::string signing =
      "(request-target): post " + std::string(kTarget) + "\ndate: " + ol::FormatHttpDate(kNow);
  for (auto _ : state) {
    auto mac = ol::HmacDigest(ol::Algorithm::kHmacSha512, kSecret, signing);
    benchmark::DoNotOptimize(mac);
  }
}
BENCHMARK(BM_HmacSha512);

// Client side: Date + Authorization for one request (what the load
// generator and the partner SDK pay per call).
void BM_SignRequest(benchmark::State& state) {
  for (auto _ : state) {
    const std::string date = ol::FormatHttpDate(kNow);
    std::string auth = ol::BuildAuthorization(
        kApiKey, kSecret, ol::Algorithm::kHmacSha512, {"(request-target)", "date"}, kMethod,
        kTarget, [&](std::string_view name) -> std::optional<std::string_view> {
          if (name == "date") return date;
          return std::nullopt;
        });
    benchmark::DoNotOptimize(auth);
  }
}
BENCHMARK(BM_SignRequest);

// ------------------------------------------------------------ pricing and rendering

// Catalog::PriceQuote of the cassette request (validation, cover period,
// insured value, premium, IPT, content templates).
void BM_PriceQuote(benchmark::State& state) {
  const json::object request = json::parse(kQuoteRequest).as_object();
  const auto& catalog = DefaultCatalog();
  PriceOrDie(request);
  for (auto _ : state) {
    auto priced = catalog->PriceQuote(request, kPricing, "request.0");
    benchmark::DoNotOptimize(priced);
  }
}
BENCHMARK(BM_PriceQuote);

// RenderQuotePackage of a one-quote package (the 201 body of POST quotes/).
void BM_RenderQuotePackage(benchmark::State& state) {
  const ol::QuotePackage pkg = OneQuotePackage(PriceOrDie(json::parse(kQuoteRequest).as_object()));
  const ol::RenderOptions opts;
  state.counters["body_bytes"] = static_cast<double>(ol::RenderQuotePackage(pkg, opts).size());
  for (auto _ : state) {
    std::string body = ol::RenderQuotePackage(pkg, opts);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_RenderQuotePackage);

// Issue 7's "pricing + rendering a one-quote package": price, fill the
// quote (with a fresh CSPRNG quote id, as the service does), render.
void BM_PriceAndRender(benchmark::State& state) {
  const json::object request = json::parse(kQuoteRequest).as_object();
  const auto& catalog = DefaultCatalog();
  const ol::RenderOptions opts;
  PriceOrDie(request);
  for (auto _ : state) {
    auto priced = catalog->PriceQuote(request, kPricing, "request.0");
    ol::QuotePackage pkg = OneQuotePackage(*priced);
    pkg.quotes.front().id = ol::NewUuid();
    std::string body = ol::RenderQuotePackage(pkg, opts);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_PriceAndRender);

// The stored document of a one-quote package (store/package_codec.h): what
// every write encodes on the SQLite writer thread (UpdatePackage), and what
// every read and every write decodes (LoadPackage, GetPackage).
void BM_EncodePackage(benchmark::State& state) {
  const ol::QuotePackage pkg = OneQuotePackage(PriceOrDie(json::parse(kQuoteRequest).as_object()));
  state.counters["doc_bytes"] = static_cast<double>(ol::EncodePackage(pkg).size());
  for (auto _ : state) {
    std::string doc = ol::EncodePackage(pkg);
    benchmark::DoNotOptimize(doc);
  }
}
BENCHMARK(BM_EncodePackage);

void BM_DecodePackage(benchmark::State& state) {
  const std::string doc =
      ol::EncodePackage(OneQuotePackage(PriceOrDie(json::parse(kQuoteRequest).as_object())));
  for (auto _ : state) {
    auto pkg = ol::DecodePackage(doc);
    if (!pkg.ok()) state.SkipWithError("the document does not decode");
    benchmark::DoNotOptimize(pkg);
  }
}
BENCHMARK(BM_DecodePackage);

// The whole CPU path of POST quotes/ before the store: parse the body,
// decode it, new package/quote ids and token, price, render.
void BM_ParseDecodePriceRender(benchmark::State& state) {
  const std::string body = QuoteBody();
  const auto& catalog = DefaultCatalog();
  const ol::RenderOptions opts;
  for (auto _ : state) {
    auto value = ol::ParseJsonBody(body);
    auto req = ol::DecodeCreatePackage(*value, /*instant_booking=*/false);
    if (!req.ok()) {
      state.SkipWithError("the cassette body does not decode");
      return;
    }
    ol::QuotePackage pkg;
    pkg.id = ol::NewPackageId();
    pkg.partner = "BENCH";
    pkg.security_token = ol::NewSecurityToken();
    pkg.currency = req->currency;
    pkg.customer_country = req->customer_country;
    pkg.created_at = kNow;
    pkg.updated_at = kNow;
    for (const auto& qr : req->quote_requests) {
      auto priced = catalog->PriceQuote(qr, kPricing, "request.0");
      ol::Quote q;
      q.id = ol::NewUuid();
      priced->FillQuote(q);
      q.created_at = kNow;
      q.updated_at = kNow;
      pkg.quotes.push_back(std::move(q));
    }
    std::string out = ol::RenderQuotePackage(pkg, opts);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ParseDecodePriceRender);

// ------------------------------------------------------------ routing

void BM_MatchRoute(benchmark::State& state, std::string_view method, std::string_view target,
                   ol::RouteKind expected) {
  if (ol::MatchRoute(method, target).kind != expected) {
    state.SkipWithError("unexpected route");
    return;
  }
  for (auto _ : state) {
    ol::Route r = ol::MatchRoute(method, target);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK_CAPTURE(BM_MatchRoute, opt_out, "POST",
                  "/x/partners/BENCH/bookings/PYWUR-TAPHT-INS/opt_out", ol::RouteKind::kOptOut);
BENCHMARK_CAPTURE(BM_MatchRoute, create_quote, "POST", "/xcover/partners/BENCH/quotes/",
                  ol::RouteKind::kCreateQuote);
BENCHMARK_CAPTURE(BM_MatchRoute, list_bookings, "GET",
                  "/x/partners/BENCH/bookings/?limit=10&offset=20", ol::RouteKind::kListBookings);
BENCHMARK_CAPTURE(BM_MatchRoute, not_found, "GET", "/x/partners/BENCH/nothing/here",
                  ol::RouteKind::kNotFound);

}  // namespace

BENCHMARK_MAIN();
