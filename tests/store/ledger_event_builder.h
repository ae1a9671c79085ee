// A ledger event for the store tests that append events directly (roll-ups,
// offer state, migrations): quote `quote` of package `pkg`, its price split
// into a premium and 100 of tax, in GBP for a GB customer.
#pragma once

#include <string>

#include "domain/ledger_event.h"

namespace offerledger::testing {

struct EventProduct {
  std::string policy_type = "event_ticket_protection";
  std::string policy_code = "MECG0001";
};

inline LedgerEvent MakeLedgerEvent(EventKind kind, const std::string& quote, const std::string& pkg,
                                   MinorUnits price, const std::string& band, Micros at,
                                   Micros offered_at, const std::string& partner = "LLODT",
                                   const EventProduct& product = {}) {
  LedgerEvent e;
  e.kind = kind;
  e.at = at;
  e.offered_at = offered_at;
  e.partner = partner;
  e.package_id = pkg;
  e.quote_id = quote;
  e.policy_type = product.policy_type;
  e.policy_type_version = 1;
  e.policy_code = product.policy_code;
  e.price = price;
  e.premium = price - 100;
  e.tax = 100;
  e.currency = "GBP";
  e.customer_country = "GB";
  e.price_band = band;
  return e;
}

}  // namespace offerledger::testing
