// Fuzzes the catalog loader (Catalog::Parse: JSON, then every product's
// validation). Invariants: a catalog that loads finds each of its products
// again by policy type and version, and knows its price bands.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto catalog = offerledger::Catalog::Parse(text);
  if (!catalog.ok()) return 0;
  const offerledger::Catalog& c = *catalog.value();
  for (const offerledger::Product& p : c.products()) {
    if (c.Find(p.policy_type, p.version) != &p) std::abort();
    const offerledger::Product* latest = c.FindLatest(p.policy_type);
    if (latest == nullptr || latest->version < p.version) std::abort();
    for (const auto& [currency, terms] : p.currencies) (void)c.PriceBandsFor(currency);
  }
  (void)c.PriceBandsFor(c.default_currency());
  return 0;
}
