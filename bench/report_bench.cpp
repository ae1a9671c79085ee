// Conversion report benchmark: a monthly report answered from the roll-ups
// over ledgers of 1M and 10M events on SQLite, against the 200 ms target,
// and the same month counted the naive way (scanning the events table).
//
// 1. Builds each ledger through the real write path: SqliteStore::OpenSqlite,
//    Store::Write with WriteTxn::InsertPackage / UpdatePackage / AppendEvents,
//    packages priced by the default catalog, events made by the domain
//    (MakeEvent, ApplyOptOut, ApplyBooking, ApplyCancellation) with the price
//    band of the catalog, as PartnerApi does; so the roll-ups are maintained
//    exactly as in production. Several packages per Write(), Write() from a
//    few threads (group commit). Cached as DIR/ledger-<N>.db (+ .meta.json).
// 2. Times ConversionReport over ReadRollups for one calendar month, grouped
//    by partner,policy_type,price_band,country, by=day and by=none: cold-ish
//    (a fresh store open per run) and warm (one open store), median and p95.
// 3. Times the naive equivalent: a GROUP BY over the events of the month.
// 4. Checks ReadRollups == RecountRollups for the month (1M; --verify-large).
// Prints a table and writes JSON. See bench/README.md.
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "analytics/conversion_report.h"
#include "common/time.h"
#include "domain/catalog.h"
#include "domain/conversion.h"
#include "domain/ids.h"
#include "domain/money.h"
#include "domain/quote_package.h"
#include "store/sqlite/sqlite_store.h"

namespace ol = offerledger;
namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Bump when the generated ledger changes: cached ledgers of another version are rebuilt.
constexpr int kGeneratorVersion = 1;

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "report_bench: %s\n", msg.c_str());
  std::exit(1);
}

void Check(const ol::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string Human(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

std::string Count(std::int64_t n) {  // 10000000 -> "10M", 1500000 -> "1.5M"
  char buf[32];
  if (n >= 1000000 && n % 100000 == 0) {
    std::snprintf(buf, sizeof buf, n % 1000000 == 0 ? "%.0fM" : "%.1fM", n / 1e6);
  } else if (n >= 1000 && n % 1000 == 0) {
    std::snprintf(buf, sizeof buf, "%" PRId64 "k", n / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%" PRId64, n);
  }
  return buf;
}

// ------------------------------------------------------------ the ledger's mix

constexpr int kEvent = 0, kTravel = 1, kParcel = 2;
constexpr const char* kProductNames[] = {"event_ticket_protection", "travel_insurance",
                                         "parcel_protection"};

struct Market {
  const char* country;  // "" = unknown customer country
  const char* currency;
};

struct PartnerProfile {
  std::string code;
  std::vector<int> products;
  std::vector<Market> markets;  // the first is the partner's home market
  double weight = 1;            // share of the traffic (Zipf-like)
  double book = 0.35;           // outcome probabilities; the rest: no answer
  double opt_out = 0.45;
  double price_scale = 1;  // the partner's typical basket, relative
};

// 20 partners: each sells one or two of the three products in one to three
// markets (7 countries, 4 currencies); a few big partners, many small ones.
std::vector<PartnerProfile> Partners() {
  const std::vector<std::vector<Market>> regions = {
      {{"GB", "GBP"}},
      {{"GB", "GBP"}, {"IE", "EUR"}},
      {{"FR", "EUR"}, {"DE", "EUR"}, {"ES", "EUR"}},
      {{"US", "USD"}},
      {{"AU", "AUD"}},
      {{"US", "USD"}, {"GB", "GBP"}},
      {{"GB", "GBP"}, {"IE", "EUR"}, {"FR", "EUR"}},
  };
  std::vector<PartnerProfile> out;
  for (int i = 0; i < 20; ++i) {
    PartnerProfile p;
    char code[16];
    std::snprintf(code, sizeof code, "BENCH%02d", i + 1);
    p.code = code;
    p.products = {i % 3};
    if (i % 4 == 3) p.products.push_back((i + 1) % 3);
    p.markets = regions[i % regions.size()];
    p.weight = 1.0 / std::pow(i + 1.0, 0.8);
    p.book = 0.30 + 0.025 * (i % 5);      // 0.30 .. 0.40, 0.35 on average
    p.opt_out = 0.55 - 0.05 * (i % 5);    // 0.55 .. 0.35, 0.45 on average
    p.price_scale = 0.6 + 0.2 * (i % 5);  // 0.6 .. 1.4
    out.push_back(std::move(p));
  }
  return out;
}

// What happens to one package; decides its number of events before any pricing.
struct Plan {
  std::uint64_t seed = 0;  // prices, dates, delays
  std::uint8_t partner = 0;
  std::uint8_t market = 0;  // index into the partner's markets; 255: unknown country
  std::uint8_t quotes = 1;
  std::uint8_t products[3] = {0, 0, 0};
  enum Outcome : std::uint8_t { kNoAnswer, kOptedOut, kBooked } outcome = kNoAnswer;
  bool opted_out_first = false;  // booked after an opt-out (changed their mind)
  bool cancelled = false;
  bool cooling_off = false;      // cancelled within the 14-day cooling-off period
  std::uint8_t booked_mask = 0;  // which quotes a booking selects

  int Events() const {
    const int booked = std::popcount(static_cast<unsigned>(booked_mask));
    int n = quotes;                                            // offered
    if (outcome == kOptedOut || opted_out_first) n += quotes;  // opted_out
    if (outcome == kBooked) n += quotes;                       // booked + not_selected
    if (outcome == kBooked && cancelled) n += booked;          // cancelled
    return n;
  }
};

std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

struct Planner {
  std::vector<PartnerProfile> partners = Partners();
  std::discrete_distribution<int> pick_partner;

  Planner() {
    std::vector<double> w;
    for (const auto& p : partners) w.push_back(p.weight);
    pick_partner = std::discrete_distribution<int>(w.begin(), w.end());
  }

  Plan Make(std::uint64_t seed, std::uint64_t i) {
    std::mt19937_64 rng(SplitMix(seed * 0x100000001B3ULL + i));
    std::uniform_real_distribution<double> u(0, 1);
    Plan p;
    p.seed = rng();
    p.partner = static_cast<std::uint8_t>(pick_partner(rng));
    const PartnerProfile& pp = partners[p.partner];
    // Home market first: 70% home, the rest spread; 2% unknown country.
    const double m = u(rng);
    if (m < 0.02) {
      p.market = 255;
    } else if (m < 0.72 || pp.markets.size() == 1) {
      p.market = 0;
    } else {
      p.market = static_cast<std::uint8_t>(1 + rng() % (pp.markets.size() - 1));
    }
    const double q = u(rng);
    p.quotes = q < 0.75 ? 1 : q < 0.95 ? 2 : 3;
    for (int k = 0; k < p.quotes; ++k) {
      p.products[k] = static_cast<std::uint8_t>(pp.products[rng() % pp.products.size()]);
    }
    const double o = u(rng);
    if (o < pp.book) {
      p.outcome = Plan::kBooked;
      p.opted_out_first = u(rng) < 0.05;
      p.cancelled = u(rng) < 0.07;
      p.cooling_off = u(rng) < 0.6;
      const unsigned all = (1u << p.quotes) - 1;
      if (p.quotes == 1 || u(rng) < 0.6) {
        p.booked_mask = static_cast<std::uint8_t>(all);
      } else {
        p.booked_mask = static_cast<std::uint8_t>(1 + rng() % all);  // a non-empty subset
      }
    } else if (o < pp.book + pp.opt_out) {
      p.outcome = Plan::kOptedOut;
    }
    return p;
  }
};

// ------------------------------------------------------------ building packages

const ol::Catalog& DefaultCatalog() {
  static const std::shared_ptr<const ol::Catalog> catalog = [] {
    auto c = ol::Catalog::LoadFile(OFFERLEDGER_SOURCE_DIR "/catalog/default.json");
    if (!c.ok()) Die("cannot load the default catalog: " + c.status().ToString());
    return *c;
  }();
  return *catalog;
}

// The money amount `major` (e.g. 59.99) as the decimal string a partner sends.
std::string Money(double major) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", std::max(0.0, major));
  return buf;
}

// A realistic quote request of `product`, around `now`.
json::object QuoteRequest(int product, std::mt19937_64& rng, ol::Micros now, double scale,
                          const std::string& country) {
  std::uniform_real_distribution<double> u(0, 1);
  std::lognormal_distribution<double> ln(0, 0.6);
  const auto day = ol::kMicrosPerDay;
  json::object r;
  r["policy_type"] = kProductNames[product];
  r["policy_type_version"] = 1;
  const std::string dest = country.empty() ? "GB" : country;
  switch (product) {
    case kEvent: {
      const ol::Micros start = now + static_cast<ol::Micros>(u(rng) * 2 * day);
      const ol::Micros event = start + static_cast<ol::Micros>((1 + u(rng) * 90) * day);
      const int tickets = 1 + static_cast<int>(rng() % 6);
      const double each = 45 * scale * ln(rng);
      json::array t;
      for (int k = 0; k < tickets; ++k) t.push_back(json::object{{"price", Money(each)}});
      r["policy_start_date"] = ol::FormatIsoOffset(start);
      r["event_datetime"] = ol::FormatIsoOffset(event);
      r["event_name"] = "Bench Live " + std::to_string(rng() % 1000);
      r["event_location"] = "Arena " + std::to_string(rng() % 50);
      r["number_of_tickets"] = tickets;
      r["tickets"] = std::move(t);
      r["resale_ticket"] = false;
      r["event_country"] = dest;
      break;
    }
    case kTravel: {
      const ol::Micros start = now + static_cast<ol::Micros>((7 + u(rng) * 120) * day);
      const ol::Micros end = start + static_cast<ol::Micros>((3 + u(rng) * 18) * day);
      json::array travellers;
      const int n = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < n; ++k)
        travellers.push_back(json::object{{"age", static_cast<std::int64_t>(5 + rng() % 75)}});
      r["trip_start_date"] = ol::FormatIsoOffset(start);
      r["trip_end_date"] = ol::FormatIsoOffset(end);
      r["destination_country"] = (rng() % 3 == 0) ? "ES" : "FR";
      r["travellers"] = std::move(travellers);
      r["trip_cost"] = Money(400 * scale * ln(rng) * n);
      break;
    }
    default: {
      r["parcel_value"] = Money(120 * scale * ln(rng) * ln(rng));
      r["shipping_date"] = ol::FormatIsoOffset(now + static_cast<ol::Micros>(u(rng) * 3 * day));
      r["destination_country"] = dest;
      r["carrier"] = (rng() % 2 == 0) ? "Royal Mail" : "DHL";
      break;
    }
  }
  return r;
}

// One package's writes, in order: the insert (POST quotes/) and its offered
// events, then each later change (opt_out, bookings/, cancel) and its events.
struct PackageWrites {
  std::vector<ol::QuotePackage> states;
  std::vector<std::vector<ol::LedgerEvent>> events;
};

// As PartnerApi's AppendEvents: the price band of each event from the catalog.
void SetBands(const ol::Catalog& catalog, std::vector<ol::LedgerEvent>& events) {
  for (ol::LedgerEvent& e : events) {
    const ol::Currency* currency = ol::FindCurrency(e.currency);
    e.price_band = catalog.PriceBandsFor(e.currency)
                       .Label(e.price, currency != nullptr ? currency->exponent : 2);
  }
}

PackageWrites BuildPackage(const Planner& planner, const Plan& plan, ol::Micros created) {
  const ol::Catalog& catalog = DefaultCatalog();
  const PartnerProfile& pp = planner.partners[plan.partner];
  std::mt19937_64 rng(plan.seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::exponential_distribution<double> minutes(1.0 / 20);  // mean 20 minutes

  ol::QuotePackage pkg;
  pkg.id = ol::NewPackageId();
  pkg.partner = pp.code;
  pkg.security_token = ol::NewSecurityToken();
  const Market market =
      plan.market == 255 ? Market{"", pp.markets[0].currency} : pp.markets[plan.market];
  pkg.currency = market.currency;
  pkg.customer_country = market.country;
  pkg.customer_language = "en";
  pkg.created_at = created;
  pkg.updated_at = created;
  const ol::PricingContext pricing{pkg.currency, pkg.customer_country, created,
                                   ol::Rate{ol::Rate::kOne}};
  for (int k = 0; k < plan.quotes; ++k) {
    const json::object req =
        QuoteRequest(plan.products[k], rng, created, pp.price_scale, pkg.customer_country);
    auto priced = catalog.PriceQuote(req, pricing, "request." + std::to_string(k));
    if (!priced.ok()) {
      Die("pricing a generated request failed: " + priced.status().ToString() + "\n" +
          json::serialize(req));
    }
    ol::Quote q;  // as PartnerApi's NewQuote
    q.id = ol::NewUuid();
    priced->FillQuote(q);
    q.created_at = created;
    q.updated_at = created;
    pkg.quotes.push_back(std::move(q));
  }

  PackageWrites w;
  auto add = [&](std::vector<ol::LedgerEvent> events) {
    SetBands(catalog, events);
    w.states.push_back(pkg);
    w.events.push_back(std::move(events));
  };
  auto apply = [&](ol::Result<std::vector<ol::LedgerEvent>> r, const char* what) {
    if (!r.ok()) Die(std::string(what) + " failed: " + r.status().ToString());
    add(std::move(r).value());
  };

  std::vector<ol::LedgerEvent> offered;
  for (const auto& q : pkg.quotes) {
    offered.push_back(ol::MakeEvent(ol::EventKind::kOffered, pkg, q, created));
  }
  add(std::move(offered));

  ol::Micros t = created;
  if (plan.outcome == Plan::kOptedOut || plan.opted_out_first) {
    t += static_cast<ol::Micros>((0.5 + minutes(rng)) * 60 * ol::kMicrosPerSecond);
    apply(ol::ApplyOptOut(pkg, t), "ApplyOptOut");
  }
  if (plan.outcome == Plan::kBooked) {
    // A customer who opted out first comes back a day or two later.
    t += plan.opted_out_first
             ? static_cast<ol::Micros>((1 + u(rng)) * ol::kMicrosPerDay)
             : static_cast<ol::Micros>((1 + minutes(rng)) * 60 * ol::kMicrosPerSecond);
    std::vector<std::string> selected;
    for (int k = 0; k < plan.quotes; ++k) {
      if (plan.booked_mask & (1u << k)) selected.push_back(pkg.quotes[k].id);
    }
    const std::string holder =
        R"({"first_name":"Ada","last_name":"Bench","email":"ada@example.com","country":")" +
        pkg.customer_country + R"("})";
    apply(ol::ApplyBooking(pkg, selected, holder, t), "ApplyBooking");
    if (plan.cancelled) {
      t += plan.cooling_off ? static_cast<ol::Micros>(u(rng) * 13 * ol::kMicrosPerDay)
                            : static_cast<ol::Micros>((15 + u(rng) * 45) * ol::kMicrosPerDay);
      apply(ol::ApplyCancellation(pkg, t), "ApplyCancellation");
    }
  }
  return w;
}

// ------------------------------------------------------------ building a ledger

struct LedgerSpec {
  std::int64_t events = 0;
  std::uint64_t seed = 1;
  std::int64_t first_day = 0;  // the ledger's offers span [first_day, first_day + days)
  std::int64_t days = 0;
};

struct LedgerMeta {
  std::int64_t events = 0;
  std::int64_t packages = 0;
  double build_seconds = 0;
  bool reused = false;
};

std::string MetaText(const LedgerSpec& spec, const LedgerMeta& meta) {
  json::object o;
  o["generator"] = kGeneratorVersion;
  o["seed"] = spec.seed;
  o["first_day"] = ol::FormatReportDate(spec.first_day);
  o["days"] = spec.days;
  o["events"] = meta.events;
  o["packages"] = meta.packages;
  o["build_seconds"] = meta.build_seconds;
  return json::serialize(o);
}

// Runs one SQL statement returning one integer; -1 when there is no row.
std::int64_t QueryInt(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    Die("SQL error: " + std::string(sqlite3_errmsg(db)) + " in: " + sql);
  }
  std::int64_t v = -1;
  const int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    v = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
  } else if (rc != SQLITE_DONE) {
    Die("SQL error: " + std::string(sqlite3_errmsg(db)) + " in: " + sql);
  }
  sqlite3_finalize(st);
  return v;
}

sqlite3* OpenReadOnly(const fs::path& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    Die("cannot open " + path.string() + ": " + (db ? sqlite3_errmsg(db) : "?"));
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

std::optional<LedgerMeta> CachedLedger(const fs::path& db_path, const fs::path& meta_path,
                                       const LedgerSpec& spec, std::string* why) {
  if (!fs::exists(db_path) || !fs::exists(meta_path)) {
    *why = "no cached ledger";
    return std::nullopt;
  }
  std::ifstream in(meta_path);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const json::value v = json::parse(text.str(), ec);
  if (ec || !v.is_object()) {
    *why = "unreadable " + meta_path.string();
    return std::nullopt;
  }
  const json::object& o = v.get_object();
  auto num = [&](const char* k) -> std::int64_t {
    const json::value* x = o.if_contains(k);
    return x != nullptr && x->is_int64() ? x->get_int64()
           : x && x->is_uint64()         ? static_cast<std::int64_t>(x->get_uint64())
                                         : -1;
  };
  const json::value* first = o.if_contains("first_day");
  if (num("generator") != kGeneratorVersion ||
      num("seed") != static_cast<std::int64_t>(spec.seed) || num("days") != spec.days ||
      num("events") != spec.events || first == nullptr || !first->is_string() ||
      first->get_string() != ol::FormatReportDate(spec.first_day)) {
    *why = "cached ledger made with other parameters";
    return std::nullopt;
  }
  sqlite3* db = OpenReadOnly(db_path);
  const std::int64_t max_seq = QueryInt(db, "SELECT max(seq) FROM events");
  sqlite3_close(db);
  if (max_seq != spec.events) {
    *why = "cached ledger holds " + std::to_string(max_seq) + " events";
    return std::nullopt;
  }
  LedgerMeta meta;
  meta.events = spec.events;
  meta.packages = num("packages");
  const json::value* bs = o.if_contains("build_seconds");
  meta.build_seconds = bs != nullptr && bs->is_number() ? bs->to_number<double>() : 0;
  meta.reused = true;
  return meta;
}

void RemoveDb(const fs::path& p) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(p.string() + suffix, ec);
  }
}

LedgerMeta BuildLedger(const fs::path& db_path, const fs::path& meta_path, const LedgerSpec& spec,
                       int threads, int per_write) {
  Planner planner;
  // Plans first (no pricing): exactly spec.events events; the last package is
  // trimmed to a no-answer package with as many quotes as events remain.
  std::vector<Plan> plans;
  plans.reserve(static_cast<std::size_t>(spec.events / 2.4) + 16);
  std::int64_t planned = 0;
  for (std::uint64_t i = 0; planned < spec.events; ++i) {
    Plan p = planner.Make(spec.seed, i);
    const std::int64_t left = spec.events - planned;
    if (p.Events() > left) {
      p.outcome = Plan::kNoAnswer;
      p.opted_out_first = false;
      p.quotes = static_cast<std::uint8_t>(std::min<std::int64_t>(left, 3));
    }
    planned += p.Events();
    plans.push_back(p);
  }
  const std::int64_t packages = static_cast<std::int64_t>(plans.size());

  const fs::path tmp = db_path.string() + ".tmp";
  RemoveDb(tmp);
  RemoveDb(db_path);
  fs::remove(meta_path);
  auto opened = ol::SqliteStore::OpenSqlite(tmp.string());
  if (!opened.ok()) Die("cannot create " + tmp.string() + ": " + opened.status().ToString());
  ol::SqliteStore& store = **opened;
  const ol::Micros span_start = spec.first_day * ol::kMicrosPerDay;
  for (const auto& p : planner.partners) {
    Check(store.CreatePartner(
              ol::Partner{p.code, "Bench partner " + p.code, span_start, 0, 0},
              ol::ApiKey{ol::NewApiKey(), ol::NewApiSecret(), p.code, span_start, std::nullopt}),
          "CreatePartner " + p.code);
  }

  std::printf(
      "  building %s: %s events, %s packages, %d writer threads x %d packages per Write()\n",
      tmp.filename().c_str(), Count(spec.events).c_str(), Count(packages).c_str(), threads,
      per_write);
  std::fflush(stdout);

  const double span_us = static_cast<double>(spec.days) * ol::kMicrosPerDay;
  std::atomic<std::int64_t> next_job{0};
  std::atomic<std::int64_t> done_events{0};
  std::atomic<bool> failed{false};
  std::mutex err_mu;
  std::string error;
  const std::int64_t jobs = (packages + per_write - 1) / per_write;
  const auto t0 = Clock::now();

  auto worker = [&] {
    std::vector<PackageWrites> batch;
    for (;;) {
      const std::int64_t j = next_job.fetch_add(1);
      if (j >= jobs || failed.load()) return;
      batch.clear();
      std::int64_t events = 0;
      const std::int64_t end = std::min(packages, (j + 1) * per_write);
      for (std::int64_t i = j * per_write; i < end; ++i) {
        const Plan& plan = plans[static_cast<std::size_t>(i)];
        // Chronological: package i at i/packages of the span, plus a jitter.
        const double jitter = static_cast<double>(plan.seed % 1000) / 1000.0;
        const auto created =
            span_start + static_cast<ol::Micros>(span_us * (static_cast<double>(i) + jitter) /
                                                 static_cast<double>(packages));
        batch.push_back(BuildPackage(planner, plan, created));
        events += plan.Events();
      }
      const ol::Status s = store.Write([&](ol::WriteTxn& tx) -> ol::Status {
        for (const PackageWrites& w : batch) {
          for (std::size_t k = 0; k < w.states.size(); ++k) {
            ol::Status st = k == 0 ? tx.InsertPackage(w.states[0]) : tx.UpdatePackage(w.states[k]);
            if (!st.ok()) return st;
            st = tx.AppendEvents(w.events[k]);
            if (!st.ok()) return st;
          }
        }
        return ol::Status::Ok();
      });
      if (!s.ok()) {
        std::lock_guard lock(err_mu);
        error = s.ToString();
        failed = true;
        return;
      }
      done_events += events;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);

  // Progress every 5 s: events/s of the last interval and overall, ETA.
  std::int64_t last_events = 0;
  auto last_t = Clock::now();
  for (;;) {
    bool finished = false;
    for (int k = 0; k < 50 && !finished; ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      finished = done_events.load() >= spec.events || failed.load();
    }
    const std::int64_t now_events = done_events.load();
    const double dt = std::chrono::duration<double>(Clock::now() - last_t).count();
    const double total_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const double rate = dt > 0 ? static_cast<double>(now_events - last_events) / dt : 0;
    const double avg = total_s > 0 ? static_cast<double>(now_events) / total_s : 0;
    const double eta = avg > 0 ? static_cast<double>(spec.events - now_events) / avg : 0;
    const auto ws = store.write_stats();
    std::printf(
        "    %5.1f%%  %10" PRId64
        " events  %7.0f events/s (avg %.0f)  %6.0f s  ETA %5.0f s  "
        "%.1f jobs/commit\n",
        100.0 * static_cast<double>(now_events) / static_cast<double>(spec.events), now_events,
        rate, avg, total_s, eta,
        ws.batches > 0 ? static_cast<double>(ws.jobs) / static_cast<double>(ws.batches) : 0.0);
    std::fflush(stdout);
    last_events = now_events;
    last_t = Clock::now();
    if (finished) break;
  }
  for (auto& t : pool) t.join();
  if (failed) Die("writing the ledger failed: " + error);
  store.Close();
  opened->reset();

  LedgerMeta meta;
  meta.events = done_events.load();
  meta.packages = packages;
  meta.build_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  {
    sqlite3* db = OpenReadOnly(tmp);
    const std::int64_t max_seq = QueryInt(db, "SELECT max(seq) FROM events");
    sqlite3_close(db);
    if (max_seq != spec.events) {
      Die("the built ledger holds " + std::to_string(max_seq) + " events, expected " +
          std::to_string(spec.events));
    }
  }
  RemoveDb(db_path);
  fs::rename(tmp, db_path);
  RemoveDb(tmp);
  std::ofstream(meta_path) << MetaText(spec, meta) << "\n";
  std::printf("  built in %.0f s (%.0f events/s)\n", meta.build_seconds,
              static_cast<double>(meta.events) / meta.build_seconds);
  return meta;
}

// ------------------------------------------------------------ timing the report

struct Stats {
  std::vector<double> ms;
  double Median() const { return Percentile(50); }
  double P95() const { return Percentile(95); }
  double Percentile(double p) const {  // nearest rank
    if (ms.empty()) return 0;
    std::vector<double> s = ms;
    std::sort(s.begin(), s.end());
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(s.size())));
    return s[std::clamp<std::size_t>(rank, 1, s.size()) - 1];
  }
  json::object Json() const {
    json::array a;
    for (double v : ms) a.push_back(std::round(v * 1000) / 1000);
    return {{"median_ms", Median()}, {"p95_ms", P95()}, {"runs_ms", a}};
  }
};

struct ReportRun {
  double report_ms = 0;  // ReadRollups + BuildConversionReport: the report
  double answer_ms = 0;  // ... + RenderReport(json): the HTTP answer's body
  double read_ms = 0;    // ReadRollups
  double build_ms = 0;   // BuildConversionReport
  double render_ms = 0;  // RenderReport(json)
  std::size_t rollup_rows = 0;
  std::size_t report_rows = 0;
  std::size_t bytes = 0;
  std::int64_t quotes_offered = 0;
};

// What GET /admin/v1/reports/conversion does: read the roll-ups, build, render JSON.
ReportRun RunReport(ol::Store& store, const ol::ReportQuery& q) {
  ReportRun r;
  const auto t0 = Clock::now();
  ol::RollupFilter filter;  // as RunConversionReport
  filter.from_day = q.from_day;
  filter.to_day = q.to_day + 1;
  filter.partner = q.partner;
  auto rollups = store.ReadRollups(filter);
  if (!rollups.ok()) Die("ReadRollups: " + rollups.status().ToString());
  const auto t1 = Clock::now();
  const ol::ConversionReport report = ol::BuildConversionReport(q, *rollups);
  const auto t2 = Clock::now();
  const std::string body = ol::RenderReport(report, ol::ReportFormat::kJson);
  const auto t3 = Clock::now();
  using ms = std::chrono::duration<double, std::milli>;
  r.read_ms = ms(t1 - t0).count();
  r.build_ms = ms(t2 - t1).count();
  r.render_ms = ms(t3 - t2).count();
  r.report_ms = ms(t2 - t0).count();
  r.answer_ms = ms(t3 - t0).count();
  r.rollup_rows = rollups->size();
  r.report_rows = report.rows.size();
  r.bytes = body.size();
  for (const auto& row : report.rows) r.quotes_offered += row.counts.quotes_offered;
  return r;
}

std::unique_ptr<ol::SqliteStore> OpenStore(const fs::path& p) {
  auto s = ol::SqliteStore::OpenSqlite(p.string());
  if (!s.ok()) Die("cannot open " + p.string() + ": " + s.status().ToString());
  return std::move(s).value();
}

struct VariantResult {
  std::string by;                  // "day" | "none"
  Stats cold, warm;                // the report: ReadRollups + BuildConversionReport
  Stats cold_answer, warm_answer;  // the same + rendering JSON
  Stats cold_open;                 // OpenSqlite time of the cold runs (not in the report time)
  ReportRun last;                  // a warm run: rows, bytes, breakdown
  Stats warm_read, warm_build, warm_render;
};

// One cold run: a freshly opened store (SQLite's page cache empty), one report.
void ColdRun(const fs::path& db, const ol::ReportQuery& q, VariantResult& v) {
  const auto t0 = Clock::now();
  auto store = OpenStore(db);
  v.cold_open.ms.push_back(MsSince(t0));
  const ReportRun run = RunReport(*store, q);
  v.cold.ms.push_back(run.report_ms);
  v.cold_answer.ms.push_back(run.answer_ms);
}

// One warm run, on a store kept open (and warmed up) across runs.
void WarmRun(ol::Store& store, const ol::ReportQuery& q, VariantResult& v) {
  v.last = RunReport(store, q);
  v.warm.ms.push_back(v.last.report_ms);
  v.warm_answer.ms.push_back(v.last.answer_ms);
  v.warm_read.ms.push_back(v.last.read_ms);
  v.warm_build.ms.push_back(v.last.build_ms);
  v.warm_render.ms.push_back(v.last.render_ms);
}

// The naive way: the month's events grouped by cohort day and group, per kind.
struct NaiveResult {
  Stats ms;
  std::int64_t month_events = 0;
  std::int64_t groups = 0;
};

void NaiveRun(const fs::path& db_path, std::int64_t from_day, std::int64_t to_day, NaiveResult& r) {
  const std::string sql =
      "SELECT offered_at / 86400000000 AS day, partner, policy_type, price_band, "
      "customer_country, currency, kind, count(*), sum(price), sum(amount) FROM events "
      "WHERE offered_at >= ?1 AND offered_at < ?2 "
      "GROUP BY day, partner, policy_type, price_band, customer_country, currency, kind";
  sqlite3* db = OpenReadOnly(db_path);
  const auto t0 = Clock::now();
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    Die(std::string("naive query: ") + sqlite3_errmsg(db));
  }
  sqlite3_bind_int64(st, 1, from_day * ol::kMicrosPerDay);
  sqlite3_bind_int64(st, 2, (to_day + 1) * ol::kMicrosPerDay);
  std::int64_t events = 0, groups = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    events += sqlite3_column_int64(st, 7);
    ++groups;
  }
  if (rc != SQLITE_DONE) Die(std::string("naive query: ") + sqlite3_errmsg(db));
  sqlite3_finalize(st);
  r.ms.ms.push_back(MsSince(t0));
  sqlite3_close(db);
  r.month_events = events;
  r.groups = groups;
}

struct VerifyResult {
  bool ran = false;
  bool equal = false;
  std::size_t rows = 0;
  double ms = 0;
  std::string detail;
};

VerifyResult Verify(const fs::path& db, std::int64_t from_day, std::int64_t to_day) {
  VerifyResult v;
  v.ran = true;
  auto store = OpenStore(db);
  ol::RollupFilter f;
  f.from_day = from_day;
  f.to_day = to_day + 1;
  const auto t0 = Clock::now();
  auto read = store->ReadRollups(f);
  if (!read.ok()) Die("ReadRollups: " + read.status().ToString());
  auto recount = store->RecountRollups(f);
  if (!recount.ok()) Die("RecountRollups: " + recount.status().ToString());
  v.ms = MsSince(t0);
  v.rows = read->size();
  v.equal = read->size() == recount->size();
  if (!v.equal) {
    v.detail = std::to_string(read->size()) + " roll-up rows, " + std::to_string(recount->size()) +
               " recounted";
  }
  for (std::size_t i = 0; v.equal && i < read->size(); ++i) {
    const auto& a = (*read)[i];
    const auto& b = (*recount)[i];
    if (!(a.key == b.key) || !(a.counts == b.counts)) {
      v.equal = false;
      v.detail = "first difference at row " + std::to_string(i) + " (day " +
                 ol::FormatReportDate(a.key.day) + ", " + a.key.partner + ", " + a.key.policy_type +
                 ", " + a.key.price_band + ", " + a.key.country + ", " + a.key.currency + ")";
    }
  }
  return v;
}

struct SizeResult {
  std::int64_t events = 0;
  fs::path db;
  LedgerMeta meta;
  std::int64_t db_bytes = 0;
  std::int64_t rollup_rows = 0;  // whole table
  std::int64_t offer_rows = 0;
  // Distinct groups (partner, product, band, country, currency) with a roll-up row
  // in the month: the month can hold at most days x month_groups rows.
  std::int64_t month_groups = 0;
  std::int64_t month_days = 0;
  double Fill() const {
    const double cap = static_cast<double>(month_groups * month_days);
    return cap > 0 ? static_cast<double>(by_day.last.rollup_rows) / cap : 0;
  }
  VariantResult by_day, by_none;
  NaiveResult naive;
  VerifyResult verify;
};

std::string Ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int64_t> sizes = {1000000, 10000000};
  std::string dir = OFFERLEDGER_BENCH_DIR;
  std::string json_out;
  std::string month = "2024-06";
  int cold_reps = 7;
  int warm_reps = 21;
  int naive_reps = 3;
  int threads = 3;
  int per_write = 16;
  std::uint64_t seed = 1;
  bool verify_large = false;
  bool no_verify = false;
  bool rebuild = false;
  double target_ms = 200;

  CLI::App app{
      "Conversion report benchmark: builds ledgers through the real store write path (roll-ups "
      "kept by AppendEvents), then times a monthly report answered from the roll-ups, and the "
      "naive scan of the events table for comparison."};
  app.add_option("--events", sizes, "Ledger sizes in events, comma-separated")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1000}, std::int64_t{1000000000}));
  app.add_option("--dir", dir, "Where ledgers are cached (ledger-<N>.db) and JSON written")
      ->capture_default_str();
  app.add_option("--json", json_out, "JSON results (default: DIR/report.json)");
  app.add_option("--month", month, "The report's calendar month, YYYY-MM, within 2024")
      ->capture_default_str();
  app.add_option("--cold-reps", cold_reps, "Runs on a freshly opened store, per variant")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--warm-reps", warm_reps, "Runs on one open store, per variant")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--naive-reps", naive_reps, "Runs of the naive events scan (0: skip)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_option("--threads", threads, "Threads calling Write() while building a ledger")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--packages-per-write", per_write, "Packages per Write() job while building")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--seed", seed, "Seed of the generated ledger")->capture_default_str();
  app.add_flag("--verify-large", verify_large,
               "Also check ReadRollups == RecountRollups on ledgers over 2M events (replays "
               "every event in memory)");
  app.add_flag("--no-verify", no_verify, "Skip the ReadRollups == RecountRollups check");
  app.add_flag("--rebuild", rebuild, "Rebuild the ledgers even if cached");
  app.add_option("--target-ms", target_ms, "Report time target")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  fs::create_directories(dir);
  if (json_out.empty()) json_out = (fs::path(dir) / "report.json").string();

  const auto month_start = ol::ParseReportDate(month + "-01");
  if (!month_start) Die("--month must be YYYY-MM");
  int y;
  unsigned m, d;
  ol::CivilFromDays(*month_start, y, m, d);
  const std::int64_t month_end =
      (m == 12 ? ol::DaysFromCivil(y + 1, 1, 1) : ol::DaysFromCivil(y, m + 1, 1)) - 1;

  LedgerSpec spec;
  spec.seed = seed;
  spec.first_day = ol::DaysFromCivil(2024, 1, 1);
  spec.days = ol::DaysFromCivil(2025, 1, 1) - spec.first_day;  // 366: the whole of 2024
  if (*month_start < spec.first_day || month_end >= spec.first_day + spec.days) {
    Die("--month must be within 2024 (the ledgers' span)");
  }

  // The query as the CLI and the HTTP routes parse it; "today" is fixed, a
  // month after the ledger's end, so every run reports the same numbers.
  const std::int64_t today = spec.first_day + spec.days + 30;
  auto make_query = [&](const char* by) {
    ol::ReportParams p;
    p.from = ol::FormatReportDate(*month_start);
    p.to = ol::FormatReportDate(month_end);
    if (by != nullptr) p.by = by;
    p.group = "partner,policy_type,price_band,country";
    p.format = "json";
    auto r = ol::ParseReportParams(p, today, 7, ol::ReportFormat::kJson);
    if (!r.ok()) Die("report parameters: " + r.status().ToString());
    return r->query;
  };
  const ol::ReportQuery q_day = make_query("day");
  const ol::ReportQuery q_none = make_query(nullptr);

  std::printf(
      "report_bench: conversion report of %s (%s..%s), group partner,policy_type,price_band,"
      "country, on SQLite\n  ledgers: 2024, 20 partners, 3 products, 7 countries, 4 "
      "currencies; %u cores shared with other work\n",
      month.c_str(), ol::FormatReportDate(*month_start).c_str(),
      ol::FormatReportDate(month_end).c_str(), std::thread::hardware_concurrency());
  std::fflush(stdout);

  std::vector<SizeResult> results;
  for (const std::int64_t n : sizes) {
    SizeResult r;
    r.events = n;
    spec.events = n;
    const fs::path db = fs::path(dir) / ("ledger-" + std::to_string(n) + ".db");
    const fs::path meta = fs::path(dir) / ("ledger-" + std::to_string(n) + ".meta.json");
    std::printf("\n== %s events: %s\n", Count(n).c_str(), db.c_str());
    std::string why = "--rebuild";
    std::optional<LedgerMeta> cached;
    if (!rebuild) cached = CachedLedger(db, meta, spec, &why);
    if (cached) {
      r.meta = *cached;
      std::printf("  reusing the cached ledger (built in %.0f s)\n", r.meta.build_seconds);
    } else {
      std::printf("  %s: building it\n", why.c_str());
      r.meta = BuildLedger(db, meta, spec, threads, per_write);
    }
    r.db_bytes = static_cast<std::int64_t>(fs::file_size(db));
    {
      sqlite3* h = OpenReadOnly(db);
      r.rollup_rows = QueryInt(h, "SELECT count(*) FROM rollups");
      r.offer_rows = QueryInt(h, "SELECT count(*) FROM offer_state");
      r.month_groups = QueryInt(
          h,
          "SELECT count(*) FROM (SELECT DISTINCT partner, policy_type, price_band, country, "
          "currency FROM rollups WHERE day BETWEEN " +
              std::to_string(*month_start) + " AND " + std::to_string(month_end) + ")");
      r.month_days = month_end - *month_start + 1;
      sqlite3_close(h);
    }
    std::printf("  %s, %s packages, %s roll-up rows, %s offers\n", Human(r.db_bytes).c_str(),
                Count(r.meta.packages).c_str(), Count(r.rollup_rows).c_str(),
                Count(r.offer_rows).c_str());
    std::fflush(stdout);

    if (!no_verify && (n <= 2000000 || verify_large)) {
      r.verify = Verify(db, *month_start, month_end);
      std::printf("  verify: ReadRollups %s RecountRollups for %s (%zu rows; recount %.1f s)%s%s\n",
                  r.verify.equal ? "==" : "!=", month.c_str(), r.verify.rows, r.verify.ms / 1000,
                  r.verify.detail.empty() ? "" : ": ", r.verify.detail.c_str());
      std::fflush(stdout);
    }

    r.db = db;
    r.by_day.by = "day";
    r.by_none.by = "none";
    results.push_back(std::move(r));
  }

  // ---- timing, in rounds that visit every size in turn (alternating the order), so
  // that the load of a shared machine falls on every size alike.
  std::printf(
      "\ntiming: %d cold and %d warm runs per variant and size, %d naive scans, "
      "interleaved across sizes\n",
      cold_reps, warm_reps, naive_reps);
  std::fflush(stdout);
  std::vector<std::unique_ptr<ol::SqliteStore>> warm_stores;
  for (SizeResult& r : results) {
    warm_stores.push_back(OpenStore(r.db));
    for (int i = 0; i < 2; ++i) {  // warm-up
      RunReport(*warm_stores.back(), q_day);
      RunReport(*warm_stores.back(), q_none);
    }
  }
  const int rounds = std::max({cold_reps, warm_reps, naive_reps});
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t k = 0; k < results.size(); ++k) {
      const std::size_t i = round % 2 == 0 ? k : results.size() - 1 - k;
      SizeResult& r = results[i];
      if (round < cold_reps) {
        ColdRun(r.db, q_day, r.by_day);
        ColdRun(r.db, q_none, r.by_none);
      }
      if (round < warm_reps) {
        WarmRun(*warm_stores[i], q_day, r.by_day);
        WarmRun(*warm_stores[i], q_none, r.by_none);
      }
      if (round < naive_reps) NaiveRun(r.db, *month_start, month_end, r.naive);
    }
  }
  warm_stores.clear();

  for (const SizeResult& r : results) {
    std::printf("\n== %s events\n", Count(r.events).c_str());
    for (const VariantResult* v : {&r.by_day, &r.by_none}) {
      std::printf(
          "  report by=%-4s  cold %s / %s ms  warm %s / %s ms (median / p95; read %s + build %s)"
          "  + JSON: cold %s / %s, warm %s / %s ms (render %s)  %zu roll-up rows -> %zu report "
          "rows, %s JSON, %.2f us per roll-up row\n",
          v->by.c_str(), Ms(v->cold.Median()).c_str(), Ms(v->cold.P95()).c_str(),
          Ms(v->warm.Median()).c_str(), Ms(v->warm.P95()).c_str(),
          Ms(v->warm_read.Median()).c_str(), Ms(v->warm_build.Median()).c_str(),
          Ms(v->cold_answer.Median()).c_str(), Ms(v->cold_answer.P95()).c_str(),
          Ms(v->warm_answer.Median()).c_str(), Ms(v->warm_answer.P95()).c_str(),
          Ms(v->warm_render.Median()).c_str(), v->last.rollup_rows, v->last.report_rows,
          Human(static_cast<double>(v->last.bytes)).c_str(),
          1000.0 * v->warm.Median() /
              static_cast<double>(std::max<std::size_t>(1, v->last.rollup_rows)));
    }
    std::printf("  the month's %zu roll-up rows fill %.0f%% of their bound: %" PRId64
                " days x %" PRId64 " groups seen in the month\n",
                r.by_day.last.rollup_rows, 100 * r.Fill(), r.month_days, r.month_groups);
    if (!r.naive.ms.ms.empty()) {
      std::printf(
          "  naive scan of events (GROUP BY, by day): %s / %s ms (median / p95), %s "
          "events of the month, %s groups x kinds\n",
          Ms(r.naive.ms.Median()).c_str(), Ms(r.naive.ms.P95()).c_str(),
          Count(r.naive.month_events).c_str(), Count(r.naive.groups).c_str());
    }
  }
  std::fflush(stdout);

  // ---- the table
  std::printf(
      "\nMonthly conversion report (%s): ConversionReport over ReadRollups (read + build), ms "
      "median / p95; target < %.0f ms (p95, cold and warm)\n\n",
      month.c_str(), target_ms);
  std::printf(
      "| events | packages | DB size | roll-up rows (all / month) | by=day cold | by=day warm | "
      "by=none cold | by=none warm | by=day + JSON, warm | naive scan (by day) | naive / "
      "roll-ups | target |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  bool all_ok = true;
  bool verify_failed = false;
  for (const SizeResult& r : results) {
    const double worst = std::max(
        {r.by_day.cold.P95(), r.by_day.warm.P95(), r.by_none.cold.P95(), r.by_none.warm.P95()});
    const bool ok = worst < target_ms;
    all_ok = all_ok && ok;
    if (r.verify.ran && !r.verify.equal) verify_failed = true;
    char naive[64] = "-", speedup[32] = "-";
    if (!r.naive.ms.ms.empty()) {
      std::snprintf(naive, sizeof naive, "%s / %s", Ms(r.naive.ms.Median()).c_str(),
                    Ms(r.naive.ms.P95()).c_str());
      std::snprintf(speedup, sizeof speedup, "%.0fx",
                    r.naive.ms.Median() / std::max(1e-3, r.by_day.warm.Median()));
    }
    auto mp = [](const Stats& st) { return Ms(st.Median()) + " / " + Ms(st.P95()); };
    std::printf("| %s | %s | %s | %s / %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                Count(r.events).c_str(), Count(r.meta.packages).c_str(),
                Human(static_cast<double>(r.db_bytes)).c_str(), Count(r.rollup_rows).c_str(),
                Count(static_cast<std::int64_t>(r.by_day.last.rollup_rows)).c_str(),
                mp(r.by_day.cold).c_str(), mp(r.by_day.warm).c_str(), mp(r.by_none.cold).c_str(),
                mp(r.by_none.warm).c_str(), mp(r.by_day.warm_answer).c_str(), naive, speedup,
                ok ? "OK" : "**MISSED**");
  }
  json::object ratio_json;
  if (results.size() >= 2) {
    const SizeResult& a = results.front();
    const SizeResult& b = results.back();
    auto ratio = [](double x, double y) { return y > 0 ? x / y : 0.0; };
    const double rd_c = ratio(b.by_day.cold.Median(), a.by_day.cold.Median());
    const double rd_w = ratio(b.by_day.warm.Median(), a.by_day.warm.Median());
    const double rn_c = ratio(b.by_none.cold.Median(), a.by_none.cold.Median());
    const double rn_w = ratio(b.by_none.warm.Median(), a.by_none.warm.Median());
    const double rows = ratio(static_cast<double>(b.by_day.last.rollup_rows),
                              static_cast<double>(a.by_day.last.rollup_rows));
    const double ev = ratio(static_cast<double>(b.events), static_cast<double>(a.events));
    const double naive =
        a.naive.ms.ms.empty() ? 0 : ratio(b.naive.ms.Median(), a.naive.ms.Median());
    const bool flat = std::max({rd_c, rd_w, rn_c, rn_w}) < 1.5;
    std::printf(
        "\nratio %s/%s (%.0fx the events, same month): report by=day cold %.2fx, warm %.2fx; "
        "by=none cold %.2fx, warm %.2fx; month's roll-up rows %.2fx; naive scan %.1fx -> %s\n",
        Count(b.events).c_str(), Count(a.events).c_str(), ev, rd_c, rd_w, rn_c, rn_w, rows, naive,
        flat ? "does not grow (OK: < 1.5x)" : "GROWS (MISSED: >= 1.5x)");
    // Why: the report's cost follows the month's roll-up rows, at most days x groups.
    auto per_row = [](const VariantResult& v) {
      return v.warm.Median() / static_cast<double>(std::max<std::size_t>(1, v.last.rollup_rows));
    };
    const double per_row_day = ratio(per_row(b.by_day), per_row(a.by_day));
    const double per_row_none = ratio(per_row(b.by_none), per_row(a.by_none));
    std::printf(
        "  the report's cost follows the month's roll-up rows, not the events: warm time per "
        "roll-up row %.2fx (by=day), %.2fx (by=none); the rows fill %.0f%% -> %.0f%% of days x "
        "groups seen (%" PRId64 " -> %" PRId64
        "): once every group has offers every day, more "
        "events add no rows\n",
        per_row_day, per_row_none, 100 * a.Fill(), 100 * b.Fill(), a.month_days * a.month_groups,
        b.month_days * b.month_groups);
    all_ok = all_ok && flat;
    ratio_json = {{"of", Count(b.events) + "/" + Count(a.events)},
                  {"warm_per_rollup_row_by_day", per_row_day},
                  {"warm_per_rollup_row_by_none", per_row_none},
                  {"events", ev},
                  {"by_day_cold", rd_c},
                  {"by_day_warm", rd_w},
                  {"by_none_cold", rn_c},
                  {"by_none_warm", rn_w},
                  {"month_rollup_rows", rows},
                  {"naive_scan", naive},
                  {"flat", flat}};
  }
  std::printf("%s\n", all_ok ? "all targets met" : "MISSED: see the table");
  if (verify_failed) std::printf("VERIFY FAILED: ReadRollups != RecountRollups\n");

  // ---- JSON
  json::array sizes_json;
  for (const SizeResult& r : results) {
    auto variant = [](const VariantResult& v) {
      return json::object{{"cold", v.cold.Json()},
                          {"warm", v.warm.Json()},
                          {"cold_open_median_ms", v.cold_open.Median()},
                          {"cold_with_json", v.cold_answer.Json()},
                          {"warm_with_json", v.warm_answer.Json()},
                          {"warm_read_median_ms", v.warm_read.Median()},
                          {"warm_build_median_ms", v.warm_build.Median()},
                          {"warm_render_median_ms", v.warm_render.Median()},
                          {"rollup_rows_read", v.last.rollup_rows},
                          {"report_rows", v.last.report_rows},
                          {"json_bytes", v.last.bytes},
                          {"quotes_offered", v.last.quotes_offered}};
    };
    json::object o{{"events", r.events},
                   {"packages", r.meta.packages},
                   {"ledger_reused", r.meta.reused},
                   {"ledger_build_seconds", r.meta.build_seconds},
                   {"db_bytes", r.db_bytes},
                   {"rollup_rows", r.rollup_rows},
                   {"offer_state_rows", r.offer_rows},
                   {"month_groups", r.month_groups},
                   {"month_rollup_fill", r.Fill()},
                   {"report_by_day", variant(r.by_day)},
                   {"report_by_none", variant(r.by_none)}};
    if (!r.naive.ms.ms.empty()) {
      o["naive_scan"] = {{"time", r.naive.ms.Json()},
                         {"month_events", r.naive.month_events},
                         {"groups", r.naive.groups}};
    }
    if (r.verify.ran) {
      o["verify"] = {{"equal", r.verify.equal},
                     {"rows", r.verify.rows},
                     {"ms", r.verify.ms},
                     {"detail", r.verify.detail}};
    }
    sizes_json.push_back(std::move(o));
  }
  const json::object out{{"benchmark", "report_bench"},
                         {"month", month},
                         {"from", ol::FormatReportDate(*month_start)},
                         {"to", ol::FormatReportDate(month_end)},
                         {"group", "partner,policy_type,price_band,country"},
                         {"target_ms", target_ms},
                         {"cores", std::thread::hardware_concurrency()},
                         {"sizes", sizes_json},
                         {"ratio", ratio_json},
                         {"targets_met", all_ok},
                         {"verify_ok", !verify_failed}};
  std::ofstream(json_out) << json::serialize(out) << "\n";
  std::printf("JSON: %s\n", json_out.c_str());
  return verify_failed ? 1 : 0;
}
