// Conversion roll-ups and optimizer arms in PostgreSQL: the same two ways to
// the same numbers as src/store/sqlite/sqlite_rollups.h, on the same pure
// rules (domain/conversion.h: ApplyToOffer): ApplyEventToRollups in the
// transaction that appends the event (additive UPSERTs), and a replay of the
// events in memory (RecountRollups/RecountArmRows/RebuildRollups).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/postgres/pg_conn.h"
#include "store/store.h"

namespace offerledger::pg {

Status ApplyEventToRollups(Connection& c, const LedgerEvent& e);

struct Replayed {
  std::map<RollupKey, RollupCounts> rows;
  std::unordered_map<std::string, OfferState> offers;
  std::unordered_map<std::string, std::int64_t> multipliers;
  std::vector<ArmRow> arms;  // non-zero, key order
};
using BandOfEvent = std::function<std::string(const LedgerEvent& e)>;
Result<Replayed> ReplayEvents(Connection& c, const std::optional<std::string>& partner,
                              const BandOfEvent& band_of);
std::vector<RollupRow> RowsIn(const Replayed& r, const RollupFilter& filter);
Result<std::int64_t> RewriteRollups(Connection& c, const Replayed& r);

Result<std::vector<RollupRow>> ReadRollupRows(Connection& c, const RollupFilter& filter);
Result<std::vector<ArmTotals>> ReadArmTotals(Connection& c, const ArmFilter& filter,
                                             std::int64_t today, int decision_window_days);
Result<std::vector<ArmContext>> ReadArmContexts(Connection& c);
Result<std::vector<ArmRow>> ReadAllArmRows(Connection& c);

}  // namespace offerledger::pg
