#include "store/sqlite/sqlite_rollups.h"

#include <unordered_set>
#include <utility>

namespace offerledger::sqlite {

#define OL_RETURN_IF_ERROR(expr)             \
  do {                                       \
    Status ol_status_ = (expr);              \
    if (!ol_status_.ok()) return ol_status_; \
  } while (false)

#define OL_CONCAT_INNER(a, b) a##b
#define OL_CONCAT(a, b) OL_CONCAT_INNER(a, b)
#define OL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(*tmp)
#define OL_ASSIGN_OR_RETURN(lhs, expr) \
  OL_ASSIGN_OR_RETURN_IMPL(OL_CONCAT(ol_result_, __LINE__), lhs, expr)

namespace {

constexpr std::string_view kKeyColumns = "day, partner, policy_type, price_band, country, currency";
constexpr std::string_view kCountColumns =
    "packages_offered, quotes_offered, pending, booked, opted_out, not_selected, "
    "opt_out_events, cancelled, cancelled_cooling_off, premium_booked, premium_refunded";

// Binds a key at ?first.. and its counters after it.
void BindKey(Statement& st, int first, const RollupKey& k) {
  st.Bind(first, k.day)
      .Bind(first + 1, k.partner)
      .Bind(first + 2, k.policy_type)
      .Bind(first + 3, k.price_band)
      .Bind(first + 4, k.country)
      .Bind(first + 5, k.currency);
}
void BindCounts(Statement& st, int first, const RollupCounts& c) {
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
  return c;
}

// ------------------------------------------------------------- incremental

const std::string& UpsertRollupSql() {
  static const std::string sql = [] {
    std::string s = "INSERT INTO rollups(" + std::string(kKeyColumns) + ", " +
                    std::string(kCountColumns) +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                    "?16, ?17) ON CONFLICT(" +
                    std::string(kKeyColumns) + ") DO UPDATE SET ";
    const std::string_view cols = kCountColumns;
    std::size_t pos = 0;
    bool first = true;
    while (pos < cols.size()) {
      std::size_t end = cols.find(',', pos);
      if (end == std::string_view::npos) end = cols.size();
      std::string c(cols.substr(pos, end - pos));
      while (!c.empty() && c.front() == ' ') c.erase(0, 1);
      if (!first) s += ", ";
      s += c + " = " + c + " + excluded." + c;
      first = false;
      pos = end + 1;
    }
    return s;
  }();
  return sql;
}

Status AddToRollup(Connection& c, const RollupDelta& d) {
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare(UpsertRollupSql()));
  BindKey(st, 1, d.key);
  BindCounts(st, 7, d.counts);
  return st.Run();
}

Result<std::optional<OfferState>> LoadOffer(Connection& c, const std::string& quote_id) {
  OL_ASSIGN_OR_RETURN(Statement st,
                      c.Prepare("SELECT day, partner, policy_type, price_band, country, currency, "
                                "package_id, price, outcome, counts_package "
                                "FROM offer_state WHERE quote_id = ?1"));
  st.Bind(1, quote_id);
  OL_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<OfferState>();
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

Status SaveOffer(Connection& c, const std::string& quote_id, const OfferState& s) {
  OL_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("INSERT INTO offer_state(quote_id, package_id, partner, day, policy_type, "
                "price_band, country, currency, price, outcome, counts_package) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                "ON CONFLICT(quote_id) DO UPDATE SET package_id = excluded.package_id, "
                "partner = excluded.partner, day = excluded.day, "
                "policy_type = excluded.policy_type, price_band = excluded.price_band, "
                "country = excluded.country, currency = excluded.currency, "
                "price = excluded.price, outcome = excluded.outcome, "
                "counts_package = excluded.counts_package"));
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

Result<bool> PackageCounted(Connection& c, const std::string& package_id) {
  OL_ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT 1 FROM offer_state WHERE package_id = ?1 "
                                              "AND counts_package = 1 LIMIT 1"));
  st.Bind(1, package_id);
  return st.Step();
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
    if (!change.after) return;
    for (const RollupDelta& d : change.deltas) out_.rows[d.key] += d.counts;
    if (change.after->counts_package) counted_packages_.insert(change.after->package_id);
    out_.offers[e.quote_id] = std::move(*change.after);
  }
  ReplayedRollups Take() { return std::move(out_); }

 private:
  ReplayedRollups out_;
  std::unordered_set<std::string> counted_packages_;
};

bool InFilter(const RollupKey& k, const RollupFilter& f) {
  return k.day >= f.from_day && k.day < f.to_day && (!f.partner || k.partner == *f.partner);
}

}  // namespace

Status ApplyEventToRollups(Connection& c, const LedgerEvent& e) {
  OL_ASSIGN_OR_RETURN(std::optional<OfferState> before, LoadOffer(c, e.quote_id));
  bool package_counted = false;
  if (!before && e.kind == EventKind::kOffered) {
    OL_ASSIGN_OR_RETURN(package_counted, PackageCounted(c, e.package_id));
  }
  const OfferChange change = ApplyToOffer(before, e, package_counted);
  if (!change.after) return Status::Ok();  // not about an offer: nothing to count
  for (const RollupDelta& d : change.deltas) OL_RETURN_IF_ERROR(AddToRollup(c, d));
  if (before == change.after) return Status::Ok();
  return SaveOffer(c, e.quote_id, *change.after);
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
      "currency, customer_country, price_band, data FROM events" +
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
    if (band_of && EventSetsGroup(e.kind)) e.price_band = band_of(e);
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

Result<std::int64_t> RewriteRollups(Connection& c, const ReplayedRollups& replayed) {
  OL_RETURN_IF_ERROR(
      c.Exec("DELETE FROM offer_state; DELETE FROM rollups;", "clearing the roll-ups"));
  for (const auto& [quote_id, offer] : replayed.offers) {
    OL_RETURN_IF_ERROR(SaveOffer(c, quote_id, offer));
  }
  std::int64_t written = 0;
  for (const auto& [key, counts] : replayed.rows) {
    if (IsZero(counts)) continue;
    OL_RETURN_IF_ERROR(AddToRollup(c, {key, counts}));
    ++written;
  }
  return written;
}

Status BackfillRollups(Connection& c) {
  OL_ASSIGN_OR_RETURN(ReplayedRollups replayed, ReplayEvents(c, std::nullopt, nullptr));
  auto written = RewriteRollups(c, replayed);
  return written.ok() ? Status::Ok() : written.status();
}

}  // namespace offerledger::sqlite
