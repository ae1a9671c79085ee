#include "store/arm_bookkeeping.h"

namespace offerledger {

ArmRow ArmOf(const OfferState& s, std::int64_t multiplier_nanos, int sign) {
  ArmRow a;
  a.policy_type = s.key.policy_type;
  a.partner = s.key.partner;
  a.country = s.key.country;
  a.multiplier_nanos = multiplier_nanos;
  a.day = s.key.day;
  switch (s.outcome) {
    case OfferOutcome::kPending:
      a.pending = sign;
      break;
    case OfferOutcome::kBooked:
      a.successes = sign;
      break;
    case OfferOutcome::kOptedOut:
    case OfferOutcome::kNotSelected:
      a.failures = sign;
      break;
    case OfferOutcome::kWithdrawn:
      break;
  }
  return a;
}

std::vector<ArmRow> ArmDeltas(const std::optional<OfferState>& before, std::int64_t m_before,
                              const OfferState& after, std::int64_t m_after) {
  std::vector<ArmRow> out;
  ArmRow plus = ArmOf(after, m_after, +1);
  if (before) {
    ArmRow minus = ArmOf(*before, m_before, -1);
    if (ArmKeyOf(minus) == ArmKeyOf(plus)) {
      plus.successes += minus.successes;
      plus.failures += minus.failures;
      plus.pending += minus.pending;
    } else if (!ArmZero(minus)) {
      out.push_back(minus);
    }
  }
  if (!ArmZero(plus)) out.push_back(plus);
  return out;
}

std::int64_t MultiplierAfter(bool offered_before, std::int64_t m_before, const LedgerEvent& e) {
  if (!offered_before || EventSetsGroup(e.kind)) {
    return e.price_multiplier_nanos > 0 ? e.price_multiplier_nanos : Rate::kOne;
  }
  return m_before;
}

}  // namespace offerledger
