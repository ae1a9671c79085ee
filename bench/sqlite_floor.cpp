// sqlite_floor: what the durable minimum of an opt-out costs SQLite alone, on
// a copy of a real ledger, so that the opt-out's CPU per request can be read
// against a floor measured on the same machine (bench/README.md, "The floor
// under the opt-out").
//
// Each mode runs `--ops` opt-outs of distinct random packages, 64 per
// transaction (a full group commit), WAL, synchronous=FULL, automatic
// checkpoints (every 1000 pages) in the same thread, and prints the process
// CPU time per opt-out:
//   full    read the package document, write it back changed, append one event
//           (what the store does, without the offer state, roll-ups, arms and
//           JSON);
//   status  read the document, update only the status and updated_at columns,
//           append one event;
//   narrow  the package's state in a narrow table of its own (id, status,
//           updated_at; copied from packages before the clock starts), its
//           status updated there without reading the document, one event
//           appended: the floor of any schema that keeps each package's state
//           durable in SQLite (no offer state, roll-ups or arms at all);
//   append  append one event only.
// Run it on a copy: it changes the file.
//   sqlite_floor --db COPY.db --mode full --ops 40000
#include <sqlite3.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

double CpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void Die(sqlite3* db, const char* what) {
  std::fprintf(stderr, "sqlite_floor: %s: %s\n", what, sqlite3_errmsg(db));
  std::exit(1);
}

sqlite3_stmt* Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) Die(db, sql);
  return st;
}

void Step(sqlite3* db, sqlite3_stmt* st, const char* what) {
  const int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) Die(db, what);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The durable minimum of an opt-out in SQLite, per opt-out (bench/README.md)"};
  std::string path;
  std::string mode = "full";
  int ops = 40000;
  app.add_option("--db", path, "A COPY of a bench ledger (it is changed)")->required();
  app.add_option("--mode", mode, "full, status, narrow or append")
      ->check(CLI::IsMember({"full", "status", "narrow", "append"}));
  app.add_option("--ops", ops, "Opt-outs to run (distinct random packages)")
      ->check(CLI::Range(64, 10'000'000));
  CLI11_PARSE(app, argc, argv);

  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die(db, "open");
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-16384",
               nullptr, nullptr, nullptr);
  std::vector<std::string> ids;
  {
    sqlite3_stmt* st =
        Prepare(db, "SELECT id FROM packages WHERE status = 'RECEIVED' ORDER BY random() LIMIT ?1");
    sqlite3_bind_int(st, 1, ops);
    while (sqlite3_step(st) == SQLITE_ROW) {
      ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
    sqlite3_finalize(st);
  }
  if (static_cast<int>(ids.size()) < ops) {
    std::fprintf(stderr, "sqlite_floor: only %zu packages to opt out\n", ids.size());
    return 1;
  }
  if (mode == "narrow") {
    const char* build =
        "DROP TABLE IF EXISTS floor_state; "
        "CREATE TABLE floor_state(id TEXT NOT NULL PRIMARY KEY, status TEXT NOT NULL, "
        "updated_at INTEGER NOT NULL) STRICT, WITHOUT ROWID; "
        "INSERT INTO floor_state SELECT id, status, updated_at FROM packages; "
        "PRAGMA wal_checkpoint(TRUNCATE);";
    if (sqlite3_exec(db, build, nullptr, nullptr, nullptr) != SQLITE_OK) Die(db, "floor_state");
  }
  sqlite3_stmt* select = Prepare(db, "SELECT doc FROM packages WHERE id = ?1");
  sqlite3_stmt* update_narrow =
      mode != "narrow"
          ? nullptr
          : Prepare(db,
                    "UPDATE floor_state SET status = 'OPTED_OUT', updated_at = ?2 WHERE id = ?1");
  sqlite3_stmt* update_doc = Prepare(
      db, "UPDATE packages SET status = 'OPTED_OUT', updated_at = ?2, doc = ?3 WHERE id = ?1");
  sqlite3_stmt* update_status =
      Prepare(db, "UPDATE packages SET status = 'OPTED_OUT', updated_at = ?2 WHERE id = ?1");
  sqlite3_stmt* insert = Prepare(
      db,
      "INSERT INTO events(kind, at, partner, package_id, quote_id, policy_type, "
      "policy_type_version, policy_code, price, premium, tax, amount, currency, "
      "customer_country, price_multiplier_nanos) VALUES ('opted_out', ?2, 'BENCH', ?1, ?1, "
      "'event_ticket_protection', 1, 'MECG0001', 201, 90, 111, 201, 'GBP', 'GB', 1000000000)");
  sqlite3_stmt* begin = Prepare(db, "BEGIN IMMEDIATE");
  sqlite3_stmt* commit = Prepare(db, "COMMIT");

  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < ops; i += 64) {
    Step(db, begin, "BEGIN");
    sqlite3_reset(begin);
    for (int j = i; j < i + 64 && j < ops; ++j) {
      const std::string& id = ids[static_cast<std::size_t>(j)];
      if (mode == "narrow") {
        sqlite3_bind_text(update_narrow, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
        sqlite3_bind_int64(update_narrow, 2, j);
        Step(db, update_narrow, "UPDATE");
        sqlite3_reset(update_narrow);
      } else if (mode != "append") {
        sqlite3_bind_text(select, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
        Step(db, select, "SELECT");
        std::string doc(reinterpret_cast<const char*>(sqlite3_column_text(select, 0)),
                        static_cast<std::size_t>(sqlite3_column_bytes(select, 0)));
        sqlite3_reset(select);
        sqlite3_stmt* update = mode == "full" ? update_doc : update_status;
        sqlite3_bind_text(update, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
        sqlite3_bind_int64(update, 2, j);
        if (mode == "full") {
          // A change of the same size, as the status name in the document.
          if (auto at = doc.find("RECEIVED"); at != std::string::npos) {
            doc.replace(at, 8, "OPTEDOUT");
          }
          sqlite3_bind_text(update, 3, doc.data(), static_cast<int>(doc.size()), SQLITE_STATIC);
        }
        Step(db, update, "UPDATE");
        sqlite3_reset(update);
      }
      sqlite3_bind_text(insert, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
      sqlite3_bind_int64(insert, 2, j);
      Step(db, insert, "INSERT");
      sqlite3_reset(insert);
    }
    Step(db, commit, "COMMIT");
    sqlite3_reset(commit);
  }
  const double cpu = CpuSeconds() - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "%-6s %d opt-outs: CPU %.1f us per opt-out (checkpoints included), wall %.1f us, "
      "%.0f per second\n",
      mode.c_str(), ops, cpu / ops * 1e6, wall / ops * 1e6, ops / wall);
  for (sqlite3_stmt* st :
       {select, update_doc, update_status, update_narrow, insert, begin, commit}) {
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return 0;
}
