#include "store/postgres/postgres_rollups.h"

#include <algorithm>
#include <iterator>
#include <tuple>
#include <unordered_set>

#include "common/status_macros.h"
#include "store/arm_bookkeeping.h"

namespace offerledger::pg {

namespace {

constexpr std::int64_t kOneNanos = 1'000'000'000;
constexpr const char* kCountNames[] = {
    "packages_offered", "quotes_offered",   "pending",
    "booked",           "opted_out",        "not_selected",
    "opt_out_events",   "cancelled",        "cancelled_cooling_off",
    "premium_booked",   "premium_refunded", "renewal_offers",
    "renewals",         "renewal_opt_outs"};
const std::string kKeyColumns = "day, partner, policy_type, price_band, country, currency";

std::string CountColumns() {
  std::string s;
  for (const char* n : kCountNames) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

Params& AddKey(Params& p, const RollupKey& k) {
  return p.Add(k.day)
      .Add(k.partner)
      .Add(k.policy_type)
      .Add(k.price_band)
      .Add(k.country)
      .Add(k.currency);
}
Params& AddCounts(Params& p, const RollupCounts& c) {
  return p.Add(c.packages_offered)
      .Add(c.quotes_offered)
      .Add(c.pending)
      .Add(c.booked)
      .Add(c.opted_out)
      .Add(c.not_selected)
      .Add(c.opt_out_events)
      .Add(c.cancelled)
      .Add(c.cancelled_cooling_off)
      .Add(c.premium_booked)
      .Add(c.premium_refunded)
      .Add(c.renewal_offers)
      .Add(c.renewals)
      .Add(c.renewal_opt_outs);
}
RollupKey ReadKey(const Rows& r, int row, int first) {
  return {r.Int(row, first),      r.Text(row, first + 1), r.Text(row, first + 2),
          r.Text(row, first + 3), r.Text(row, first + 4), r.Text(row, first + 5)};
}
RollupCounts ReadCounts(const Rows& r, int row, int f) {
  RollupCounts c;
  c.packages_offered = r.Int(row, f);
  c.quotes_offered = r.Int(row, f + 1);
  c.pending = r.Int(row, f + 2);
  c.booked = r.Int(row, f + 3);
  c.opted_out = r.Int(row, f + 4);
  c.not_selected = r.Int(row, f + 5);
  c.opt_out_events = r.Int(row, f + 6);
  c.cancelled = r.Int(row, f + 7);
  c.cancelled_cooling_off = r.Int(row, f + 8);
  c.premium_booked = r.Int(row, f + 9);
  c.premium_refunded = r.Int(row, f + 10);
  c.renewal_offers = r.Int(row, f + 11);
  c.renewals = r.Int(row, f + 12);
  c.renewal_opt_outs = r.Int(row, f + 13);
  return c;
}

const std::string& UpsertRollupSql() {
  static const std::string sql = [] {
    std::string s = "INSERT INTO rollups(" + kKeyColumns + ", " + CountColumns() + ") VALUES (";
    for (int i = 1; i <= 6 + static_cast<int>(std::size(kCountNames)); ++i)
      s += (i > 1 ? ", $" : "$") + std::to_string(i);
    s += ") ON CONFLICT(" + kKeyColumns + ") DO UPDATE SET ";
    bool first = true;
    for (const char* n : kCountNames) {
      if (!first) s += ", ";
      s += std::string(n) + " = rollups." + n + " + excluded." + n;
      first = false;
    }
    return s;
  }();
  return sql;
}

Status AddToRollup(Connection& c, const RollupDelta& d) {
  Params p;
  AddKey(p, d.key);
  AddCounts(p, d.counts);
  return c.Query(UpsertRollupSql(), p).status();
}

Result<std::optional<OfferState>> LoadOffer(Connection& c, const std::string& quote_id,
                                            std::int64_t* multiplier_nanos) {
  OL_ASSIGN_OR_RETURN(Rows r,
                      c.Query("SELECT day, partner, policy_type, price_band, country, currency, "
                              "package_id, price, outcome, counts_package, multiplier_nanos "
                              "FROM offer_state WHERE quote_id = $1",
                              Params().Add(quote_id)));
  if (r.size() == 0) return std::optional<OfferState>();
  *multiplier_nanos = r.Int(0, 10);
  OfferState s;
  s.key = ReadKey(r, 0, 0);
  s.package_id = r.Text(0, 6);
  s.price = r.Int(0, 7);
  const std::string outcome = r.Text(0, 8);
  const auto parsed = ParseOfferOutcome(outcome);
  if (!parsed)
    return Status::Internal("corrupt offer_state row: unknown outcome '" + outcome + "'");
  s.outcome = *parsed;
  s.counts_package = r.Text(0, 9) == "t";
  return std::optional<OfferState>(std::move(s));
}

Status SaveOffer(Connection& c, const std::string& quote_id, const OfferState& s,
                 std::int64_t multiplier_nanos) {
  return c
      .Query(
          "INSERT INTO offer_state(quote_id, package_id, partner, day, policy_type, price_band, "
          "country, currency, price, outcome, counts_package, multiplier_nanos) VALUES ($1, $2, "
          "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT(quote_id) DO UPDATE SET "
          "package_id = excluded.package_id, partner = excluded.partner, day = excluded.day, "
          "policy_type = excluded.policy_type, price_band = excluded.price_band, "
          "country = excluded.country, currency = excluded.currency, price = excluded.price, "
          "outcome = excluded.outcome, counts_package = excluded.counts_package, "
          "multiplier_nanos = excluded.multiplier_nanos",
          Params()
              .Add(quote_id)
              .Add(s.package_id)
              .Add(s.key.partner)
              .Add(s.key.day)
              .Add(s.key.policy_type)
              .Add(s.key.price_band)
              .Add(s.key.country)
              .Add(s.key.currency)
              .Add(s.price)
              .Add(OfferOutcomeName(s.outcome))
              .Add(s.counts_package ? "true" : "false")
              .Add(multiplier_nanos))
      .status();
}

Status AddToArm(Connection& c, const ArmRow& a) {
  return c
      .Query(
          "INSERT INTO arms(policy_type, partner, country, multiplier_nanos, day, successes, "
          "failures, pending) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT(policy_type, "
          "partner, country, multiplier_nanos, day) DO UPDATE SET successes = arms.successes "
          "+ excluded.successes, failures = arms.failures + excluded.failures, pending = "
          "arms.pending + excluded.pending",
          Params()
              .Add(a.policy_type)
              .Add(a.partner)
              .Add(a.country)
              .Add(a.multiplier_nanos)
              .Add(a.day)
              .Add(a.successes)
              .Add(a.failures)
              .Add(a.pending))
      .status();
}

class Replayer {
 public:
  void Apply(const LedgerEvent& e) {
    std::optional<OfferState> before;
    if (auto it = out_.offers.find(e.quote_id); it != out_.offers.end()) before = it->second;
    const bool package_counted =
        !before && e.kind == EventKind::kOffered && counted_.contains(e.package_id);
    OfferChange change = ApplyToOffer(before, e, package_counted);
    for (const RollupDelta& d : change.deltas) out_.rows[d.key] += d.counts;
    if (!change.after) return;
    const std::int64_t m_before = before ? out_.multipliers[e.quote_id] : kOneNanos;
    const std::int64_t m_after = MultiplierAfter(before.has_value(), m_before, e);
    out_.multipliers[e.quote_id] = m_after;
    for (const ArmRow& d : ArmDeltas(before, m_before, *change.after, m_after)) {
      auto k = std::make_tuple(d.policy_type, d.partner, d.country, d.multiplier_nanos, d.day);
      auto [it, fresh] = arms_.try_emplace(k, d);
      if (!fresh) {
        it->second.successes += d.successes;
        it->second.failures += d.failures;
        it->second.pending += d.pending;
      }
    }
    if (change.after->counts_package) counted_.insert(change.after->package_id);
    out_.offers[e.quote_id] = std::move(*change.after);
  }
  Replayed Take() {
    for (auto& [k, row] : arms_) {  // std::map: key order
      if (!ArmZero(row)) out_.arms.push_back(row);
    }
    return std::move(out_);
  }

 private:
  Replayed out_;
  std::map<std::tuple<std::string, std::string, std::string, std::int64_t, std::int64_t>, ArmRow>
      arms_;
  std::unordered_set<std::string> counted_;
};

}  // namespace

Status ApplyEventToRollups(Connection& c, const LedgerEvent& e) {
  std::int64_t m_before = kOneNanos;
  OL_ASSIGN_OR_RETURN(std::optional<OfferState> before, LoadOffer(c, e.quote_id, &m_before));
  bool package_counted = false;
  if (!before && e.kind == EventKind::kOffered) {
    OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT 1 FROM offer_state WHERE package_id = $1 AND "
                                        "counts_package LIMIT 1",
                                        Params().Add(e.package_id)));
    package_counted = r.size() > 0;
  }
  const OfferChange change = ApplyToOffer(before, e, package_counted);
  for (const RollupDelta& d : change.deltas) OL_RETURN_IF_ERROR(AddToRollup(c, d));
  if (!change.after) return Status::Ok();
  const std::int64_t m_after = MultiplierAfter(before.has_value(), m_before, e);
  for (const ArmRow& d : ArmDeltas(before, m_before, *change.after, m_after)) {
    OL_RETURN_IF_ERROR(AddToArm(c, d));
  }
  if (before == change.after && m_before == m_after) return Status::Ok();
  return SaveOffer(c, e.quote_id, *change.after, m_after);
}

Result<Replayed> ReplayEvents(Connection& c, const std::optional<std::string>& partner,
                              const BandOfEvent& band_of) {
  const std::string sql =
      "SELECT kind, at, offered_at, partner, package_id, quote_id, policy_type, price, amount, "
      "currency, customer_country, price_band, data, price_multiplier_nanos FROM events" +
      std::string(partner ? " WHERE partner = $1" : "") + " ORDER BY seq";
  Params p;
  if (partner) p.Add(*partner);
  OL_ASSIGN_OR_RETURN(Rows r, c.Query(sql, p));
  Replayer replayer;
  for (int i = 0; i < r.size(); ++i) {
    LedgerEvent e;
    const std::string kind = r.Text(i, 0);
    const auto parsed = ParseEventKind(kind);
    if (!parsed) return Status::Internal("corrupt event row: unknown kind '" + kind + "'");
    e.kind = *parsed;
    e.at = r.Int(i, 1);
    e.offered_at = r.Int(i, 2);
    e.partner = r.Text(i, 3);
    e.package_id = r.Text(i, 4);
    e.quote_id = r.Text(i, 5);
    e.policy_type = r.Text(i, 6);
    e.price = r.Int(i, 7);
    e.amount = r.Int(i, 8);
    e.currency = r.Text(i, 9);
    e.customer_country = r.Text(i, 10);
    e.price_band = r.Text(i, 11);
    if (e.kind == EventKind::kCancelled) e.data_json = r.Text(i, 12);
    e.price_multiplier_nanos = r.Int(i, 13);
    if (band_of && (EventSetsGroup(e.kind) || IsRenewalEvent(e.kind))) e.price_band = band_of(e);
    replayer.Apply(e);
  }
  return replayer.Take();
}

std::vector<RollupRow> RowsIn(const Replayed& replayed, const RollupFilter& f) {
  std::vector<RollupRow> rows;
  for (const auto& [k, counts] : replayed.rows) {
    if (k.day >= f.from_day && k.day < f.to_day && (!f.partner || k.partner == *f.partner) &&
        !IsZero(counts)) {
      rows.push_back({k, counts});
    }
  }
  return rows;
}

Result<std::int64_t> RewriteRollups(Connection& c, const Replayed& replayed) {
  OL_RETURN_IF_ERROR(c.Exec("DELETE FROM offer_state; DELETE FROM rollups; DELETE FROM arms"));
  for (const auto& [quote_id, offer] : replayed.offers) {
    const auto it = replayed.multipliers.find(quote_id);
    OL_RETURN_IF_ERROR(
        SaveOffer(c, quote_id, offer, it != replayed.multipliers.end() ? it->second : kOneNanos));
  }
  for (const ArmRow& a : replayed.arms) OL_RETURN_IF_ERROR(AddToArm(c, a));
  std::int64_t written = 0;
  for (const auto& [key, counts] : replayed.rows) {
    if (IsZero(counts)) continue;
    OL_RETURN_IF_ERROR(AddToRollup(c, {key, counts}));
    ++written;
  }
  return written;
}

Result<std::vector<RollupRow>> ReadRollupRows(Connection& c, const RollupFilter& filter) {
  const std::string sql = "SELECT " + kKeyColumns + ", " + CountColumns() +
                          " FROM rollups WHERE day >= $1 AND day < $2" +
                          (filter.partner ? " AND partner = $3" : "") + " ORDER BY day, " +
                          "partner COLLATE \"C\", policy_type COLLATE \"C\", price_band COLLATE "
                          "\"C\", country COLLATE \"C\", currency COLLATE \"C\"";
  Params p;
  p.Add(filter.from_day).Add(filter.to_day);
  if (filter.partner) p.Add(*filter.partner);
  OL_ASSIGN_OR_RETURN(Rows r, c.Query(sql, p));
  std::vector<RollupRow> rows;
  for (int i = 0; i < r.size(); ++i) {
    RollupRow row{ReadKey(r, i, 0), ReadCounts(r, i, 6)};
    if (!IsZero(row.counts)) rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<ArmTotals>> ReadArmTotals(Connection& c, const ArmFilter& filter,
                                             std::int64_t today, int decision_window_days) {
  std::string sql =
      "SELECT multiplier_nanos, sum(successes), sum(failures), "
      "sum(CASE WHEN day > $2 THEN pending ELSE 0 END), "
      "sum(CASE WHEN day <= $2 THEN pending ELSE 0 END) FROM arms WHERE policy_type = $1";
  Params p;
  p.Add(filter.policy_type).Add(today - decision_window_days);
  int n = 3;
  if (filter.partner) {
    sql += " AND partner = $" + std::to_string(n++);
    p.Add(*filter.partner);
  }
  if (filter.country) {
    sql += " AND country = $" + std::to_string(n++);
    p.Add(*filter.country);
  }
  sql += " GROUP BY multiplier_nanos ORDER BY multiplier_nanos";
  OL_ASSIGN_OR_RETURN(Rows r, c.Query(sql, p));
  std::vector<ArmTotals> out;
  for (int i = 0; i < r.size(); ++i) {
    ArmTotals t;
    t.multiplier_nanos = r.Int(i, 0);
    t.successes = r.Int(i, 1);
    t.no_answer = r.Int(i, 4);
    t.failures = r.Int(i, 2) + t.no_answer;
    t.pending = r.Int(i, 3);
    if (t.successes == 0 && t.failures == 0 && t.pending == 0) continue;
    out.push_back(t);
  }
  return out;
}

Result<std::vector<ArmContext>> ReadArmContexts(Connection& c) {
  OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT DISTINCT policy_type COLLATE \"C\", partner COLLATE "
                                      "\"C\", country COLLATE \"C\" FROM arms ORDER BY 1, 2, 3"));
  std::vector<ArmContext> out;
  for (int i = 0; i < r.size(); ++i) out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2)});
  return out;
}

Result<std::vector<ArmRow>> ReadAllArmRows(Connection& c) {
  OL_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT policy_type, partner, country, multiplier_nanos, "
                                      "day, successes, failures, pending FROM arms ORDER BY "
                                      "policy_type COLLATE \"C\", partner COLLATE \"C\", country "
                                      "COLLATE \"C\", multiplier_nanos, day"));
  std::vector<ArmRow> out;
  for (int i = 0; i < r.size(); ++i) {
    ArmRow a{r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Int(i, 3),
             r.Int(i, 4),  r.Int(i, 5),  r.Int(i, 6),  r.Int(i, 7)};
    if (!ArmZero(a)) out.push_back(std::move(a));
  }
  return out;
}

}  // namespace offerledger::pg
