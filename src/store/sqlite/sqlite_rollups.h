// Conversion roll-ups in SQLite (schema v2: offer_state and rollups; see
// docs/storage.md). Two independent ways to the same numbers, sharing only
// the pure rules of domain/conversion.h (ApplyToOffer):
//
// - incremental: ApplyEventToRollups, called by AppendEvents for each event
//   it inserts, reads the quote's offer_state row, applies the event and
//   writes the new state and the counter deltas (UPSERTs) — in the caller's
//   transaction and savepoint, so they commit or roll back with the event;
// - replay: ReplayEvents reads the events table in seq order and applies the
//   same rules in memory (RecountRollups; RebuildRollups and migration 2
//   write its result back with RewriteRollups).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "domain/conversion.h"
#include "domain/ledger_event.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace offerledger::sqlite {

// Updates offer_state, rollups and arms (schema v3) for event `e`, just appended.
// An offer's arm is (partner, product, country, multiplier, cohort day) of
// the offer as it stands: offered and repriced set its multiplier to the
// event's price_multiplier_nanos (kept in offer_state.multiplier_nanos);
// its outcome counts pending (pending), successes (booked) or failures
// (opted_out, not_selected); withdrawn counts nothing. A change of outcome
// moves the offer from one counter (and arm) to another.
Status ApplyEventToRollups(Connection& c, const LedgerEvent& e);

// The rows of the rollups table in `filter`, in key order, all-zero rows left out.
Result<std::vector<RollupRow>> ReadRollupRows(Connection& c, const RollupFilter& filter);

// Roll-ups and offer states recomputed from the events.
struct ReplayedRollups {
  std::map<RollupKey, RollupCounts> rows;
  std::unordered_map<std::string, OfferState> offers;         // by quote id
  std::unordered_map<std::string, std::int64_t> multipliers;  // by quote id (v3)
  std::vector<ArmRow> arms;                                   // v3: non-zero arm rows in key order
};

// The band of an offered or re-priced event; nullptr: the band the event recorded.
using BandOfEvent = std::function<std::string(const LedgerEvent& e)>;

// Replays the events (of `partner` only, when given) in seq order.
Result<ReplayedRollups> ReplayEvents(Connection& c, const std::optional<std::string>& partner,
                                     const BandOfEvent& band_of);

// The replayed rows in `filter`, in key order, all-zero rows left out.
std::vector<RollupRow> RowsIn(const ReplayedRollups& replayed, const RollupFilter& filter);

// Replaces offer_state and rollups with `replayed`; returns the number of
// roll-up rows written. Run it inside a write transaction.
// `with_arms`: also offer_state.multiplier_nanos and the arms table (schema
// v3), and the renewal counters (v8); false: migration 2's backfill.
Result<std::int64_t> RewriteRollups(Connection& c, const ReplayedRollups& replayed,
                                    bool with_arms = true);

// Schema migration 2: the roll-ups of the events already in the database.
Status BackfillRollups(Connection& c);
// Schema migration 3: the arms (and offer multipliers) of those events.
Status BackfillArms(Connection& c);

// Arms: summed per multiplier for `filter` (see Store::ReadArms), every
// finest context, and the raw non-zero rows in key order.
Result<std::vector<ArmTotals>> ReadArmTotals(Connection& c, const ArmFilter& filter,
                                             std::int64_t today, int decision_window_days);
Result<std::vector<ArmContext>> ReadArmContexts(Connection& c);
Result<std::vector<ArmRow>> ReadAllArmRows(Connection& c);

}  // namespace offerledger::sqlite
