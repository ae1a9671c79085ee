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

namespace offerledger::sqlite {

// Updates offer_state and rollups for event `e`, just appended.
Status ApplyEventToRollups(Connection& c, const LedgerEvent& e);

// The rows of the rollups table in `filter`, in key order, all-zero rows left out.
Result<std::vector<RollupRow>> ReadRollupRows(Connection& c, const RollupFilter& filter);

// Roll-ups and offer states recomputed from the events.
struct ReplayedRollups {
  std::map<RollupKey, RollupCounts> rows;
  std::unordered_map<std::string, OfferState> offers;  // by quote id
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
Result<std::int64_t> RewriteRollups(Connection& c, const ReplayedRollups& replayed);

// Schema migration 2: the roll-ups of the events already in the database.
Status BackfillRollups(Connection& c);

}  // namespace offerledger::sqlite
