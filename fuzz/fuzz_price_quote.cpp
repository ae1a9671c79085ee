// Fuzzes quote validation and pricing against the default catalog (the
// product fields of a partner's request reach Catalog::PriceQuote as-is).
// Invariant: a priced quote's price is its premium plus its fees and taxes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "api/request_decoder.h"
#include "domain/catalog.h"

namespace {

const offerledger::Catalog& DefaultCatalog() {
  static const std::shared_ptr<const offerledger::Catalog> catalog = [] {
    auto c = offerledger::Catalog::LoadFile(OL_DEFAULT_CATALOG);
    if (!c.ok()) std::abort();
    return c.value();
  }();
  return *catalog;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const offerledger::Catalog& catalog = DefaultCatalog();
  auto parsed =
      offerledger::ParseJsonBody(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.ok() || !parsed.value().is_object()) return 0;
  const boost::json::object& request = parsed.value().get_object();
  for (const char* currency : {"", "GBP", "EUR", "AUD"}) {
    offerledger::PricingContext ctx;
    ctx.currency = currency;
    ctx.customer_country = "GB";
    ctx.now = 1'633'046'400'000'000;  // 2021-10-01
    auto priced = catalog.PriceQuote(request, ctx, "request.0");
    if (!priced.ok()) continue;
    const offerledger::PricedQuote& q = priced.value();
    offerledger::MinorUnits sum = q.premium;
    for (const auto& t : q.taxes) sum += t.amount;
    if (sum != q.price) std::abort();
  }
  return 0;
}
