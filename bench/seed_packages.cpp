#include "seed_packages.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include <sqlite3.h>
#include <boost/json.hpp>

#include "api/request_decoder.h"
#include "common/time.h"
#include "domain/catalog.h"
#include "domain/ids.h"
#include "domain/money.h"
#include "domain/quote_package.h"
#include "load_support.h"
#include "store/sqlite/sqlite_store.h"

namespace offerledger::bench {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const Catalog& DefaultCatalog() {
  static const std::shared_ptr<const Catalog> catalog = [] {
    auto c = Catalog::LoadFile(OFFERLEDGER_SOURCE_DIR "/catalog/default.json");
    if (!c.ok()) Die("cannot load the default catalog: " + c.status().ToString());
    return *c;
  }();
  return *catalog;
}

std::unique_ptr<SqliteStore> OpenStore(const fs::path& db_path) {
  auto store = SqliteStore::OpenSqlite(db_path.string());
  if (!store.ok()) Die("cannot open " + db_path.string() + ": " + store.status().ToString());
  return std::move(store).value();
}

// One package with its offered events, as PartnerApi::NewPackage and
// CreateQuote make it (catalog pricing, multiplier 1).
struct NewPackage {
  QuotePackage pkg;
  std::vector<LedgerEvent> offered;
};

NewPackage MakePackage(const CreatePackageRequest& req, std::string_view partner) {
  const Catalog& catalog = DefaultCatalog();
  const Micros now = NowMicros();
  NewPackage out;
  QuotePackage& pkg = out.pkg;
  pkg.id = NewPackageId();
  pkg.partner = std::string(partner);
  pkg.security_token = NewSecurityToken();
  pkg.currency = req.currency.empty() ? catalog.default_currency() : req.currency;
  pkg.customer_country = req.customer_country;
  pkg.customer_region = req.customer_region;
  pkg.customer_language = req.customer_language;
  pkg.partner_transaction_id = req.partner_transaction_id;
  pkg.created_at = now;
  pkg.updated_at = now;
  const PricingContext pricing{pkg.currency, pkg.customer_country, now, Rate{Rate::kOne}};
  for (std::size_t i = 0; i < req.quote_requests.size(); ++i) {
    auto priced =
        catalog.PriceQuote(req.quote_requests[i], pricing, "request." + std::to_string(i));
    if (!priced.ok()) Die("pricing the cassette quote failed: " + priced.status().ToString());
    Quote q;
    q.id = NewUuid();
    priced->FillQuote(q);
    q.created_at = now;
    q.updated_at = now;
    pkg.quotes.push_back(std::move(q));
  }
  for (const Quote& q : pkg.quotes) {
    LedgerEvent e = MakeEvent(EventKind::kOffered, pkg, q, now);
    const Currency* currency = FindCurrency(e.currency);
    e.price_band = catalog.PriceBandsFor(e.currency)
                       .Label(e.price, currency != nullptr ? currency->exponent : 2);
    out.offered.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::vector<std::string> SeedQuotePackages(const fs::path& db_path, std::string_view partner,
                                           std::size_t count, const SeedOptions& options) {
  auto decoded = DecodeCreatePackage(json::parse(kQuoteBody), /*instant_booking=*/false);
  if (!decoded.ok()) Die("decoding the cassette body failed: " + decoded.status().ToString());
  const CreatePackageRequest req = std::move(decoded).value();

  std::unique_ptr<SqliteStore> store = OpenStore(db_path);
  std::vector<std::string> ids(count);
  const std::size_t per_write = static_cast<std::size_t>(std::max(1, options.per_write));
  const std::size_t jobs = (count + per_write - 1) / per_write;
  std::atomic<std::size_t> next_job{0};
  std::atomic<std::size_t> done{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  std::string error;

  auto worker = [&] {
    std::vector<NewPackage> batch;
    for (;;) {
      const std::size_t j = next_job.fetch_add(1);
      if (j >= jobs || failed.load()) return;
      const std::size_t begin = j * per_write;
      const std::size_t end = std::min(count, begin + per_write);
      batch.clear();
      for (std::size_t i = begin; i < end; ++i) batch.push_back(MakePackage(req, partner));
      const Status s = store->Write([&](WriteTxn& tx) -> Status {
        for (const NewPackage& p : batch) {
          if (Status st = tx.InsertPackage(p.pkg); !st.ok()) return st;
          if (Status st = tx.AppendEvents(p.offered); !st.ok()) return st;
        }
        return Status::Ok();
      });
      if (!s.ok()) {
        std::lock_guard lock(error_mu);
        error = s.ToString();
        failed = true;
        return;
      }
      for (std::size_t i = begin; i < end; ++i) ids[i] = std::move(batch[i - begin].pkg.id);
      done += end - begin;
    }
  };

  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, options.threads); ++t) pool.emplace_back(worker);
  if (options.progress) {
    auto last = Clock::now();
    while (done.load() < count && !failed.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (Seconds(Clock::now() - last) >= options.progress_s) {
        last = Clock::now();
        options.progress(done.load(), Seconds(last - t0));
      }
    }
  }
  for (auto& t : pool) t.join();
  if (failed) Die("seeding " + db_path.string() + " failed: " + error);
  store->Close();
  if (options.progress) options.progress(done.load(), Seconds(Clock::now() - t0));
  return ids;
}

namespace {

constexpr int kLedgerVersion = 1;  // bump when seeded ledgers change: cached ones are rebuilt

void RemoveDb(const fs::path& p) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(p.string() + suffix, ec);
}

// SELECT max(rowid) FROM packages (packages are only ever inserted), or -1.
std::int64_t MaxPackageRowid(const fs::path& db_path) {
  sqlite3* db = nullptr;
  std::int64_t n = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT max(rowid) FROM packages", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

}  // namespace

CachedLedgerInfo CachedLedger(const fs::path& dir, const std::string& name,
                              std::string_view partner, std::size_t count,
                              const SeedOptions& options, bool rebuild) {
  fs::create_directories(dir);
  const std::string stem = name + "-" + std::to_string(count);
  CachedLedgerInfo info;
  info.path = dir / (stem + ".db");
  const fs::path meta = dir / (stem + ".meta.json");
  if (!rebuild && fs::exists(info.path) && fs::exists(meta)) {
    json::error_code ec;
    const json::value m = json::parse(ReadFile(meta), ec);
    const json::object* o = !ec && m.is_object() ? &m.get_object() : nullptr;
    auto number = [&](const char* key) {
      const json::value* v = o != nullptr ? o->if_contains(key) : nullptr;
      return v != nullptr && v->is_number() ? v->to_number<double>() : -1.0;
    };
    if (number("version") == kLedgerVersion && number("packages") == static_cast<double>(count) &&
        o->contains("partner") && o->at("partner") == json::value(partner) &&
        MaxPackageRowid(info.path) == static_cast<std::int64_t>(count)) {
      info.reused = true;
      info.build_seconds = number("build_seconds");
      // A ledger cached by an older build has an older schema: opening the
      // store applies the missing migrations once (some rewrite every
      // package row), so that the start-up measured later is a start-up,
      // not a migration.
      const auto t0 = Clock::now();
      OpenStore(info.path).reset();
      const double migrate_s = Seconds(Clock::now() - t0);
      if (migrate_s > 1.0) {
        std::printf("%s: brought up to the current schema in %.1f s (once)\n",
                    info.path.c_str(), migrate_s);
        std::fflush(stdout);
      }
      return info;
    }
  }
  const fs::path tmp = info.path.string() + ".tmp";
  RemoveDb(tmp);
  RemoveDb(info.path);
  fs::remove(meta);
  std::printf("building %s: %zu packages (once: later runs reuse it)\n", info.path.c_str(), count);
  std::fflush(stdout);
  SeedOptions seed = options;
  if (!seed.progress) {
    seed.progress = [count](std::size_t done, double s) {
      std::printf("  %5.1f%%  %9zu packages  %5.0f s  %6.0f packages/s\n",
                  100.0 * static_cast<double>(done) / static_cast<double>(count), done, s,
                  s > 0 ? static_cast<double>(done) / s : 0.0);
      std::fflush(stdout);
    };
  }
  const auto t0 = Clock::now();
  SeedQuotePackages(tmp, partner, count, seed);
  info.build_seconds = Seconds(Clock::now() - t0);
  fs::rename(tmp, info.path);
  RemoveDb(tmp);
  std::ofstream(meta) << json::serialize(json::object{{"version", kLedgerVersion},
                                                      {"partner", partner},
                                                      {"packages", count},
                                                      {"build_seconds", info.build_seconds}})
                      << "\n";
  return info;
}

std::vector<std::string> ReadPackageIds(const fs::path& db_path) {
  std::vector<std::string> ids;
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "SELECT id FROM packages ORDER BY rowid", -1, &st, nullptr) !=
          SQLITE_OK) {
    const std::string why = sqlite3_errmsg(db);
    sqlite3_close(db);
    Die("cannot read the package ids of " + db_path.string() + ": " + why);
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  }
  const std::string why = sqlite3_errmsg(db);
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (rc != SQLITE_DONE) Die("reading the package ids of " + db_path.string() + ": " + why);
  return ids;
}

void CopyLedger(const fs::path& from, const fs::path& to) {
  RemoveDb(to);
  std::error_code ec;
  fs::copy_file(from, to, ec);
  if (ec) Die("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
  const int fd = ::open(to.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fdatasync(fd) != 0) Die("cannot flush " + to.string());
  ::close(fd);
}

}  // namespace offerledger::bench
