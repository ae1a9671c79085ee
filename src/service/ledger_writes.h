// How PartnerApi's write units record a change: the package and the ledger
// events that say what happened to it, each event labelled with the price
// band of its price (domain/conversion.h) from the catalog's band edges.
// Shared by partner_api.cpp and partner_renewals.cpp.
#pragma once

#include <utility>
#include <vector>

#include "common/status.h"
#include "domain/catalog.h"
#include "domain/ledger_event.h"
#include "domain/money.h"
#include "domain/quote_package.h"
#include "store/store.h"

namespace offerledger {

// Appends `events` (none: nothing to do) with their price bands.
inline Status AppendEvents(WriteTxn& tx, const Catalog& catalog, std::vector<LedgerEvent> events) {
  if (events.empty()) return Status::Ok();
  for (LedgerEvent& e : events) {
    const Currency* currency = FindCurrency(e.currency);
    e.price_band = catalog.PriceBandsFor(e.currency)
                       .Label(e.price, currency != nullptr ? currency->exponent : 2);
  }
  return tx.AppendEvents(events);
}

// A changed package and the events that record the change, in one unit of work.
inline Status SaveChange(WriteTxn& tx, const Catalog& catalog, const QuotePackage& pkg,
                         std::vector<LedgerEvent> events) {
  if (Status s = tx.UpdatePackage(pkg); !s.ok()) return s;
  return AppendEvents(tx, catalog, std::move(events));
}

}  // namespace offerledger
