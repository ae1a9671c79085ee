// Seeding SQLite ledgers with quote packages quickly: not through HTTP but
// through the real store (SqliteStore, Store::Write, WriteTxn::InsertPackage
// and AppendEvents), each package made as PartnerApi::CreateQuote makes it for
// the cassette body (kQuoteBody): decoded, priced by the catalog, fresh ids,
// one `offered` event per quote with the catalog's price band. Many packages
// per Write() and Write() from several threads (group commit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace offerledger::bench {

struct SeedOptions {
  int threads = 2;        // threads building packages and calling Write()
  int per_write = 250;    // packages per Write() (one unit of work)
  double progress_s = 5;  // `progress` is called this often (and at the end)
  std::function<void(std::size_t done, double seconds)> progress;
};

// Inserts `count` one-quote packages of `partner` into the SQLite database at
// `db_path` (created with its schema if missing; the partner need not exist)
// and returns their ids, in no particular order. Die()s on failure. The
// catalog is the repository's catalog/default.json, the one `serve` has built
// in.
std::vector<std::string> SeedQuotePackages(const std::filesystem::path& db_path,
                                           std::string_view partner, std::size_t count,
                                           const SeedOptions& options);

struct CachedLedgerInfo {
  std::filesystem::path path;
  bool reused = false;
  double build_seconds = 0;  // of the build, now or when it was cached
};

// DIR/NAME-COUNT.db: a ledger of `count` packages of `partner` and nothing
// else (no partner row), built with SeedQuotePackages (printing progress)
// into a temporary file renamed when complete, and reused as long as its
// DIR/NAME-COUNT.meta.json matches and it holds `count` packages. Building
// takes a few minutes per million packages; a cached one is a file away.
CachedLedgerInfo CachedLedger(const std::filesystem::path& dir, const std::string& name,
                              std::string_view partner, std::size_t count,
                              const SeedOptions& options, bool rebuild);

// The package ids of the SQLite ledger at `db_path`, in insertion order.
std::vector<std::string> ReadPackageIds(const std::filesystem::path& db_path);

// Copies the database file `from` (no -wal: a closed, checkpointed ledger) to
// `to` and flushes the copy to disk, so that its write-back does not compete
// with the benchmark's fsyncs.
void CopyLedger(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace offerledger::bench
