// Optimizer arm bookkeeping shared by every store: what an offer's change of
// outcome or multiplier does to the `arms` rows (see docs/optimizer-live.md).
// Pure functions; each backend only applies the rows they return.
#pragma once

#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "domain/conversion.h"
#include "domain/ledger_event.h"
#include "store/store.h"

namespace offerledger {

// What one offer contributes to its arm row (sign +1 to add, -1 to remove).
ArmRow ArmOf(const OfferState& s, std::int64_t multiplier_nanos, int sign);

inline auto ArmKeyOf(const ArmRow& a) {
  return std::tie(a.policy_type, a.partner, a.country, a.multiplier_nanos, a.day);
}
inline bool ArmZero(const ArmRow& a) {
  return a.successes == 0 && a.failures == 0 && a.pending == 0;
}

// The arm changes of an offer going from (before, m_before) to (after,
// m_after): at most two non-zero rows.
std::vector<ArmRow> ArmDeltas(const std::optional<OfferState>& before, std::int64_t m_before,
                              const OfferState& after, std::int64_t m_after);

// The multiplier of an offer after event `e` (`offered_before`: it had been
// offered at `m_before`): offered and repriced set it, other events keep it.
std::int64_t MultiplierAfter(bool offered_before, std::int64_t m_before, const LedgerEvent& e);

}  // namespace offerledger
