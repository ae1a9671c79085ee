#include "store/sqlite/sqlite_rollups.h"
#include "common/status_macros.h"
#include "store/arm_bookkeeping.h"

#include <algorithm>
#include <tuple>
#include <unordered_set>
#include <utility>

namespace offerledger::sqlite {

namespace {

constexpr std::string_view kKeyColumns = "day, partner, policy_type, price_band, country, currency";
constexpr std::string_view kCountColumns =
    "packages_offered, quotes_offered, pending, booked, opted_out, not_selected, "
    "opt_out_events, cancelled, cancelled_cooling_off, premium_booked, premium_refunded, "
    "renewal_offers, renewals, renewal_opt_outs";
// The counters before schema v8 (the first 11 of kCountColumns): what
// migration 2's backfill may write, the renewal columns not existing yet.
constexpr int kV2Counts = 11;

// Binds a key at ?first.. and its counters after it.
void BindKey(Statement& st, int first, const RollupKey& k) {
  st.Bind(first, k.day)
      .Bind(first + 1, k.partner)
      .Bind(first + 2, k.policy_type)
      .Bind(first + 3, k.price_band)
      .Bind(first + 4, k.country)
      .Bind(first + 5, k.currency);
}
void BindCounts(Statement& st, int first, const RollupCounts& c, bool with_renewals = true) {
  st.Bind(first, c.packages_offered)
      .Bind(first + 1, c.quotes_offered)
      .Bind(first + 2, c.pending)
      .Bind(first + 3, c.booked)
      .Bind(first + 4, c.opted_out)
      .Bind(first + 5, c.not_selected)
      .Bind(first + 6, c.opt_out_events)
      .Bind(first + 7, c.cancelled)
      .Bind(first + 8, c.cancelled_cooling_off)
      .Bind(first + 9, c.premium_booked)
      .Bind(first + 10, c.premium_refunded);
  if (!with_renewals) return;
  st.Bind(first + 11, c.renewal_offers)
      .Bind(first + 12, c.renewals)
      .Bind(first + 13, c.renewal_opt_outs);
}
RollupKey ReadKey(const Statement& st, int first) {
  return {st.Int(first),      st.Text(first + 1), st.Text(first + 2),
          st.Text(first + 3), st.Text(first + 4), st.Text(first + 5)};
}
RollupCounts ReadCounts(const Statement& st, int first) {
  RollupCounts c;
  c.packages_offered = st.Int(first);
  c.quotes_offered = st.Int(first + 1);
  c.pending = st.Int(first + 2);
  c.booked = st.Int(first + 3);
  c.opted_out = st.Int(first + 4);
  c.not_selected = st.Int(first + 5);
  c.opt_out_events = st.Int(first + 6);
  c.cancelled = st.Int(first + 7);
  c.cancelled_cooling_off = st.Int(first + 8);
  c.premium_booked = st.Int(first + 9);
  c.premium_refunded = st.Int(first + 10);
  c.renewal_offers = st.Int(first + 11);
  c.renewals = st.Int(first + 12);
  c.renewal_opt_outs = st.Int(first + 13);
  return c;
}

// ------------------------------------------------------------- incremental

// `counters`: how many of kCountColumns the statement writes (all, or kV2Counts).
std::string MakeUpsertRollupSql(int counters) {
  std::vector<std::string> names;
  const std::string_view cols = kCountColumns;
  std::size_t pos = 0;
  while (pos < cols.size() && static_cast<int>(names.size()) < counters) {
    std::size_t end = cols.find(',', pos);
    if (end == std::string_view::npos) end = cols.size();
    std::string c(cols.substr(pos, end - pos));
    while (!c.empty() && c.front() == ' ') c.erase(0, 1);
    names.push_back(std::move(c));
    pos = end + 1;
  }
  std::string s = "INSERT INTO rollups(" + std::string(kKeyColumns);
  for (const std::string& n : names) s += ", " + n;
  s += ") VALUES (";
  for (std::size_t i = 1; i <= 6 + names.size(); ++i)
    s += (i > 1 ? ", ?" : "?") + std::to_string(i);
  s += ") ON CONFLICT(" + std::string(kKeyColumns) + ") DO UPDATE SET ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    s += (i > 0 ? ", " : "") + names[i] + " = " + names[i] + " + excluded." + names[i];
  }
  return s;
}

// `with_renewals`: false for migration 2's backfill (schema v2: no renewal
// columns yet; migration 8 counts the renewal events by itself).
Status AddToRollup(Connection& c, const RollupDelta& d, bool with_renewals = true) {
  static const std::string kAll = MakeUpsertRollupSql(14);
  static const std::string kV2 = MakeUpsertRollupSql(kV2Counts);
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(with_renewals ? kAll : kV2));
  BindKey(st, 1, d.key);
  RollupCounts counts = d.counts;
  if (!with_renewals) counts.renewal_offers = counts.renewals = counts.renewal_opt_outs = 0;
  BindCounts(st, 7, counts, with_renewals);
  return st.Run();
}

constexpr std::int64_t kOneNanos = 1'000'000'000;

// An offer's multiplier (offer_state.multiplier_nanos, v3) is loaded with it.
Result<std::optional<OfferState>> LoadOffer(Connection& c, const std::string& quote_id,
                                            std::int64_t* multiplier_nanos) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("SELECT day, partner, policy_type, price_band, country, currency, "
                                "package_id, price, outcome, counts_package, multiplier_nanos "
                                "FROM offer_state WHERE quote_id = ?1"));
  st.Bind(1, quote_id);
  OL_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<OfferState>();
  *multiplier_nanos = st.Int(10);
  OfferState s;
  s.key = ReadKey(st, 0);
  s.package_id = st.Text(6);
  s.price = st.Int(7);
  const std::string outcome = st.Text(8);
  const auto parsed = ParseOfferOutcome(outcome);
  if (!parsed) {
    return Status::Internal("corrupt offer_state row: unknown outcome '" + outcome + "'");
  }
  s.outcome = *parsed;
  s.counts_package = st.Int(9) != 0;
  return std::optional<OfferState>(std::move(s));
}

// `multiplier_nanos`: nullopt before schema v3 (migration 2's backfill).
Status SaveOffer(Connection& c, const std::string& quote_id, const OfferState& s,
                 std::optional<std::int64_t> multiplier_nanos) {
  static const std::string kV2 =
      "INSERT INTO offer_state(quote_id, package_id, partner, day, policy_type, "
      "price_band, country, currency, price, outcome, counts_package) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
      "ON CONFLICT(quote_id) DO UPDATE SET package_id = excluded.package_id, "
      "partner = excluded.partner, day = excluded.day, "
      "policy_type = excluded.policy_type, price_band = excluded.price_band, "
      "country = excluded.country, currency = excluded.currency, "
      "price = excluded.price, outcome = excluded.outcome, "
      "counts_package = excluded.counts_package";
  static const std::string kV3 =
      "INSERT INTO offer_state(quote_id, package_id, partner, day, policy_type, "
      "price_band, country, currency, price, outcome, counts_package, multiplier_nanos) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
      "ON CONFLICT(quote_id) DO UPDATE SET package_id = excluded.package_id, "
      "partner = excluded.partner, day = excluded.day, "
      "policy_type = excluded.policy_type, price_band = excluded.price_band, "
      "country = excluded.country, currency = excluded.currency, "
      "price = excluded.price, outcome = excluded.outcome, "
      "counts_package = excluded.counts_package, multiplier_nanos = excluded.multiplier_nanos";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(multiplier_nanos ? kV3 : kV2));
  if (multiplier_nanos) st.Bind(12, *multiplier_nanos);
  st.Bind(1, quote_id)
      .Bind(2, s.package_id)
      .Bind(3, s.key.partner)
      .Bind(4, s.key.day)
      .Bind(5, s.key.policy_type)
      .Bind(6, s.key.price_band)
      .Bind(7, s.key.country)
      .Bind(8, s.key.currency)
      .Bind(9, s.price)
      .Bind(10, OfferOutcomeName(s.outcome))
      .Bind(11, s.counts_package ? 1 : 0);
  return st.Run();
}

// The common change to a known offer (booked, opted out, withdrawn...): its
// key and package stay. Unlike SaveOffer's upsert, this leaves the
// offer_state_by_package index alone, so an opt-out rewrites one random page of
// offer_state instead of two.
Status UpdateOfferOutcome(Connection& c, const std::string& quote_id, const OfferState& s,
                          std::int64_t multiplier_nanos) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("UPDATE offer_state SET price = ?2, outcome = ?3, "
                                "counts_package = ?4, multiplier_nanos = ?5 WHERE quote_id = ?1"));
  st.Bind(1, quote_id)
      .Bind(2, s.price)
      .Bind(3, OfferOutcomeName(s.outcome))
      .Bind(4, s.counts_package ? 1 : 0)
      .Bind(5, multiplier_nanos);
  OL_RETURN_IF_ERROR(st.Run());
  if (c.Changes() != 1) {
    return Status::Internal("offer_state row for quote " + quote_id + " vanished");
  }
  return Status::Ok();
}

Result<bool> PackageCounted(Connection& c, const std::string& package_id) {
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT 1 FROM offer_state WHERE package_id = ?1 "
                                              "AND counts_package = 1 LIMIT 1"));
  st.Bind(1, package_id);
  return st.Step();
}

// -------------------------------------------------------------------- arms

Status AddToArm(Connection& c, const ArmRow& a) {
  OL_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("INSERT INTO arms(policy_type, partner, country, multiplier_nanos, day, "
                "successes, failures, pending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                "ON CONFLICT(policy_type, partner, country, multiplier_nanos, day) DO UPDATE SET "
                "successes = successes + excluded.successes, "
                "failures = failures + excluded.failures, pending = pending + excluded.pending"));
  st.Bind(1, a.policy_type)
      .Bind(2, a.partner)
      .Bind(3, a.country)
      .Bind(4, a.multiplier_nanos)
      .Bind(5, a.day)
      .Bind(6, a.successes)
      .Bind(7, a.failures)
      .Bind(8, a.pending);
  return st.Run();
}

// ------------------------------------------------------------------ replay

// Applies events in order to in-memory offers and rows.
class Replayer {
 public:
  void Apply(const LedgerEvent& e) {
    std::optional<OfferState> before;
    if (auto it = out_.offers.find(e.quote_id); it != out_.offers.end()) before = it->second;
    const bool package_counted =
        !before && e.kind == EventKind::kOffered && counted_packages_.contains(e.package_id);
    OfferChange change = ApplyToOffer(before, e, package_counted);
    for (const RollupDelta& d : change.deltas) out_.rows[d.key] += d.counts;
    if (!change.after) return;
    const std::int64_t m_before = before ? out_.multipliers[e.quote_id] : kOneNanos;
    const std::int64_t m_after = MultiplierAfter(before.has_value(), m_before, e);
    out_.multipliers[e.quote_id] = m_after;
    for (const ArmRow& d : ArmDeltas(before, m_before, *change.after, m_after)) {
      ArmRow zero = d;
      zero.successes = zero.failures = zero.pending = 0;
      ArmRow& row = arms_.try_emplace(ArmKeyString(d), zero).first->second;
      row.successes += d.successes;
      row.failures += d.failures;
      row.pending += d.pending;
    }
    if (change.after->counts_package) counted_packages_.insert(change.after->package_id);
    out_.offers[e.quote_id] = std::move(*change.after);
  }
  ReplayedRollups Take() {
    for (auto& [k, row] : arms_) {
      if (!ArmZero(row)) out_.arms.push_back(row);
    }
    std::sort(out_.arms.begin(), out_.arms.end(),
              [](const ArmRow& a, const ArmRow& b) { return ArmKeyOf(a) < ArmKeyOf(b); });
    return std::move(out_);
  }

 private:
  static std::string ArmKeyString(const ArmRow& a) {
    std::string k = a.policy_type;
    k += '\x1f';
    k += a.partner;
    k += '\x1f';
    k += a.country;
    k += '\x1f';
    k += std::to_string(a.multiplier_nanos);
    k += '\x1f';
    k += std::to_string(a.day);
    return k;
  }
  ReplayedRollups out_;
  std::unordered_map<std::string, ArmRow> arms_;
  std::unordered_set<std::string> counted_packages_;
};

bool InFilter(const RollupKey& k, const RollupFilter& f) {
  return k.day >= f.from_day && k.day < f.to_day && (!f.partner || k.partner == *f.partner);
}

}  // namespace

Status ApplyEventToRollups(Connection& c, const LedgerEvent& e) {
  std::int64_t m_before = kOneNanos;
  OL_ASSIGN_OR_RETURN(std::optional<OfferState> before, LoadOffer(c, e.quote_id, &m_before));
  bool package_counted = false;
  if (!before && e.kind == EventKind::kOffered) {
    OL_ASSIGN_OR_RETURN(package_counted, PackageCounted(c, e.package_id));
  }
  const OfferChange change = ApplyToOffer(before, e, package_counted);
  for (const RollupDelta& d : change.deltas) OL_RETURN_IF_ERROR(AddToRollup(c, d));
  if (!change.after) return Status::Ok();  // not about an offer: no offer to keep
  const std::int64_t m_after = MultiplierAfter(before.has_value(), m_before, e);
  for (const ArmRow& d : ArmDeltas(before, m_before, *change.after, m_after)) {
    OL_RETURN_IF_ERROR(AddToArm(c, d));
  }
  if (before == change.after && m_before == m_after) return Status::Ok();
  if (before && before->key == change.after->key &&
      before->package_id == change.after->package_id) {
    return UpdateOfferOutcome(c, e.quote_id, *change.after, m_after);
  }
  return SaveOffer(c, e.quote_id, *change.after, m_after);
}

Result<std::vector<RollupRow>> ReadRollupRows(Connection& c, const RollupFilter& filter) {
  const std::string sql = "SELECT " + std::string(kKeyColumns) + ", " + std::string(kCountColumns) +
                          " FROM rollups WHERE day >= ?1 AND day < ?2" +
                          (filter.partner ? " AND partner = ?3" : "") + " ORDER BY " +
                          std::string(kKeyColumns);
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  st.Bind(1, filter.from_day).Bind(2, filter.to_day);
  if (filter.partner) st.Bind(3, *filter.partner);
  std::vector<RollupRow> rows;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    RollupRow r{ReadKey(st, 0), ReadCounts(st, 6)};
    if (!IsZero(r.counts)) rows.push_back(std::move(r));
  }
  return rows;
}

Result<ReplayedRollups> ReplayEvents(Connection& c, const std::optional<std::string>& partner,
                                     const BandOfEvent& band_of) {
  const std::string sql =
      "SELECT kind, at, offered_at, partner, package_id, quote_id, policy_type, price, amount, "
      "currency, customer_country, price_band, data, price_multiplier_nanos FROM events" +
      std::string(partner ? " WHERE partner = ?1" : "") + " ORDER BY seq";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  if (partner) st.Bind(1, *partner);
  Replayer replayer;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    LedgerEvent e;
    const std::string kind = st.Text(0);
    const auto parsed = ParseEventKind(kind);
    if (!parsed) return Status::Internal("corrupt event row: unknown kind '" + kind + "'");
    e.kind = *parsed;
    e.at = st.Int(1);
    e.offered_at = st.Int(2);
    e.partner = st.Text(3);
    e.package_id = st.Text(4);
    e.quote_id = st.Text(5);
    e.policy_type = st.Text(6);
    e.price = st.Int(7);
    e.amount = st.Int(8);
    e.currency = st.Text(9);
    e.customer_country = st.Text(10);
    e.price_band = st.Text(11);
    if (e.kind == EventKind::kCancelled) e.data_json = st.Text(12);
    e.price_multiplier_nanos = st.Int(13);
    if (band_of && (EventSetsGroup(e.kind) || IsRenewalEvent(e.kind))) e.price_band = band_of(e);
    replayer.Apply(e);
  }
  return replayer.Take();
}

std::vector<RollupRow> RowsIn(const ReplayedRollups& replayed, const RollupFilter& filter) {
  std::vector<RollupRow> rows;
  for (const auto& [key, counts] : replayed.rows) {  // std::map: key order
    if (InFilter(key, filter) && !IsZero(counts)) rows.push_back({key, counts});
  }
  return rows;
}

Result<std::int64_t> RewriteRollups(Connection& c, const ReplayedRollups& replayed,
                                    bool with_arms) {
  OL_RETURN_IF_ERROR(
      c.Exec("DELETE FROM offer_state; DELETE FROM rollups;", "clearing the roll-ups"));
  for (const auto& [quote_id, offer] : replayed.offers) {
    std::optional<std::int64_t> m;
    if (with_arms) {
      const auto it = replayed.multipliers.find(quote_id);
      m = it != replayed.multipliers.end() ? it->second : kOneNanos;
    }
    OL_RETURN_IF_ERROR(SaveOffer(c, quote_id, offer, m));
  }
  if (with_arms) {
    OL_RETURN_IF_ERROR(c.Exec("DELETE FROM arms", "clearing the optimizer arms"));
    for (const ArmRow& a : replayed.arms) OL_RETURN_IF_ERROR(AddToArm(c, a));
  }
  std::int64_t written = 0;
  for (auto [key, counts] : replayed.rows) {
    if (!with_arms) {  // schema v2: no renewal columns yet (see AddToRollup)
      counts.renewal_offers = counts.renewals = counts.renewal_opt_outs = 0;
    }
    if (IsZero(counts)) continue;
    OL_RETURN_IF_ERROR(AddToRollup(c, {key, counts}, /*with_renewals=*/with_arms));
    ++written;
  }
  return written;
}

Status BackfillRollups(Connection& c) {
  OL_ASSIGN_OR_RETURN(ReplayedRollups replayed, ReplayEvents(c, std::nullopt, nullptr));
  auto written = RewriteRollups(c, replayed, /*with_arms=*/false);  // schema v2
  return written.ok() ? Status::Ok() : written.status();
}

Status BackfillArms(Connection& c) {
  OL_ASSIGN_OR_RETURN(ReplayedRollups replayed, ReplayEvents(c, std::nullopt, nullptr));
  OL_RETURN_IF_ERROR(c.Exec("DELETE FROM arms", "clearing the optimizer arms"));
  for (const ArmRow& a : replayed.arms) OL_RETURN_IF_ERROR(AddToArm(c, a));
  for (const auto& [quote_id, m] : replayed.multipliers) {
    if (m == kOneNanos) continue;  // the column's default
    OL_ASSIGN_OR_RETURN(Statement st, c.Prepare("UPDATE offer_state SET multiplier_nanos = ?2 "
                                                "WHERE quote_id = ?1"));
    st.Bind(1, quote_id).Bind(2, m);
    OL_RETURN_IF_ERROR(st.Run());
  }
  return Status::Ok();
}

Result<std::vector<ArmTotals>> ReadArmTotals(Connection& c, const ArmFilter& filter,
                                             std::int64_t today, int decision_window_days) {
  // Pending offers of cohort days <= today - window are no-answers (failures).
  std::string sql =
      "SELECT multiplier_nanos, sum(successes), sum(failures), "
      "sum(CASE WHEN day > ?2 THEN pending ELSE 0 END), "
      "sum(CASE WHEN day <= ?2 THEN pending ELSE 0 END) FROM arms WHERE policy_type = ?1";
  if (filter.partner) sql += " AND partner = ?3";
  if (filter.country) sql += " AND country = ?4";
  sql += " GROUP BY multiplier_nanos ORDER BY multiplier_nanos";
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  st.Bind(1, filter.policy_type).Bind(2, today - decision_window_days);
  if (filter.partner) st.Bind(3, *filter.partner);
  if (filter.country) st.Bind(4, *filter.country);
  std::vector<ArmTotals> out;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    ArmTotals t;
    t.multiplier_nanos = st.Int(0);
    t.successes = st.Int(1);
    t.no_answer = st.Int(4);
    t.failures = st.Int(2) + t.no_answer;
    t.pending = st.Int(3);
    if (t.successes == 0 && t.failures == 0 && t.pending == 0) continue;
    out.push_back(t);
  }
  return out;
}

Result<std::vector<ArmContext>> ReadArmContexts(Connection& c) {
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT DISTINCT policy_type, partner, country "
                                              "FROM arms ORDER BY policy_type, partner, country"));
  std::vector<ArmContext> out;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.Text(0), st.Text(1), st.Text(2)});
  }
  return out;
}

Result<std::vector<ArmRow>> ReadAllArmRows(Connection& c) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("SELECT policy_type, partner, country, multiplier_nanos, day, "
                                "successes, failures, pending FROM arms ORDER BY policy_type, "
                                "partner, country, multiplier_nanos, day"));
  std::vector<ArmRow> out;
  for (;;) {
    OL_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    ArmRow a{st.Text(0), st.Text(1), st.Text(2), st.Int(3),
             st.Int(4),  st.Int(5),  st.Int(6),  st.Int(7)};
    if (!ArmZero(a)) out.push_back(std::move(a));
  }
  return out;
}

}  // namespace offerledger::sqlite
