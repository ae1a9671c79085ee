// Opt-out load benchmark against the REAL server binary.
//
//   1. `offerledger partner add BENCH --db sqlite:DIR/bench.db --json` for credentials;
//   2. `offerledger serve --listen 127.0.0.1:0 --db sqlite:DIR/bench.db` (port read
//      from its first stdout line);
//   3. preloads quote packages (the one-quote cassette body), not measured;
//   4. for each connection count (default 1, then 32): N threads, each with its own
//      keep-alive connection, opt out distinct packages (every 204 is the write
//      path: committed with synchronous=FULL before it is sent), bounded in count
//      and time; prints requests/s and p50/p99/p99.9 latency, and the ratio of
//      each rate to the first (the effect of group commit);
//   5. stops the server with SIGTERM, opens the SQLite file directly and checks
//      that `events` holds exactly one kind='opted_out' row per 204 counted.
//
// Exit status: 0 when every request succeeded and the durability check
// passed; 1 otherwise (2 for bad arguments). It only connects to 127.0.0.1.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "load_support.h"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
namespace ob = offerledger::bench;

struct Options {
  std::string bin = OFFERLEDGER_BINARY;
  std::size_t packages = 5000;          // per measured run
  std::vector<int> connections{1, 32};  // one measured run each, in order
  double run_seconds = 9;               // time limit of each measured run
  double preload_seconds = 10;          // time limit of the preload
  int preload_connections = 32;
  int server_threads = 0;  // 0: the server's default
  std::string json_out;
  std::string dir;  // default: a fresh temp dir, removed at the end
  bool keep = false;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Opt-out load benchmark: starts the real offerledger server on 127.0.0.1, "
      "opts out distinct quote packages at increasing concurrency, then checks "
      "durability in the SQLite file."};
  app.add_option("--bin", o.bin, "The offerledger binary")->capture_default_str();
  app.add_option("--packages", o.packages, "Opt-outs (distinct packages) per measured run")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--connections", o.connections,
                 "Connection counts, one measured run each, in order; the ratio is last/first")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--run-seconds", o.run_seconds, "Time limit of each measured run")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--preload-seconds", o.preload_seconds, "Time limit of the (unmeasured) preload")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--preload-connections", o.preload_connections, "Connections for the preload")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--server-threads", o.server_threads,
                 "Pass --threads N to `offerledger serve` (0: its default, 4 per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--json", o.json_out, "Also write the results to this JSON file");
  app.add_option("--dir", o.dir, "Work directory (default: a fresh one under $TMPDIR, removed)");
  app.add_flag("--keep", o.keep, "Keep the work directory (database, server logs)");
  CLI11_PARSE(app, argc, argv);

  ob::SetProgramName("optout_load");
  ::signal(SIGPIPE, SIG_IGN);
  if (!fs::exists(o.bin)) ob::Die("no server binary at " + o.bin + " (see --bin)");

  // ---- work directory, credentials, server
  if (!o.dir.empty() && fs::exists(fs::path(o.dir) / "bench.db")) {
    ob::Die((fs::path(o.dir) / "bench.db").string() + " exists already");
  }
  const ob::WorkDir work(o.dir, o.keep);
  const fs::path& dir = work.path();
  const fs::path db_path = dir / "bench.db";
  const std::string db_url = "sqlite:" + db_path.string();

  const unsigned cores = std::thread::hardware_concurrency();
  std::printf("opt-out load: %s, %u cores shared by the server and this load generator\n",
              o.bin.c_str(), cores);
  const ob::Credentials creds = ob::AddPartner(o.bin, dir, db_url);
  std::vector<std::string> extra;
  if (o.server_threads > 0) extra = {"--threads", std::to_string(o.server_threads)};
  ob::Server server(o.bin, dir, db_url, extra);
  std::printf("  %s\n", server.first_line().c_str());
  std::fflush(stdout);

  // A watchdog: if anything hangs (a server that stops answering), kill the
  // server (which unblocks every read) and give up.
  const double hard_limit_s =
      o.preload_seconds + o.run_seconds * static_cast<double>(o.connections.size()) + 30;
  const pid_t server_pid = server.pid();
  ob::Watchdog watchdog(hard_limit_s, [&] {
    std::fprintf(stderr, "optout_load: no progress within %.0f s; killing the server\n",
                 hard_limit_s);
    ::kill(server_pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::seconds(5));
    std::_Exit(1);
  });
  auto stop_watchdog = [&] { watchdog.Stop(); };

  // ---- preload: packages for every run, not measured
  const std::size_t wanted = o.packages * o.connections.size();
  std::vector<std::string> pool;
  const ob::RunResult preload =
      ob::CreatePackages("preload (POST quotes/)", o.preload_connections, wanted, o.preload_seconds,
                         {server.port()}, {server.pid()}, creds, pool);
  std::printf("preload:\n");
  ob::PrintRun(preload);
  const std::size_t per_run = pool.size() / o.connections.size();
  if (per_run == 0) {
    stop_watchdog();
    ob::Die("the preload created no package: " + server.stderr_text());
  }
  if (per_run < o.packages) {
    std::printf("  (preload hit its time limit: %zu packages per run instead of %zu)\n", per_run,
                o.packages);
  }

  // ---- measured runs: every opt-out hits a distinct package
  std::printf("opt-out (POST bookings/{id}/opt_out, 204 = committed with synchronous=FULL):\n");
  std::vector<ob::RunResult> runs;
  std::vector<char> acked(per_run * o.connections.size(), 0);
  std::vector<char> tried(per_run * o.connections.size(), 0);
  for (std::size_t k = 0; k < o.connections.size(); ++k) {
    const std::size_t base = k * per_run;
    const int conns = o.connections[k];
    runs.push_back(ob::OptOutPackages("opt-out", conns, std::span(pool).subspan(base, per_run),
                                      o.run_seconds, {server.port()}, {server.pid()}, creds,
                                      std::span(tried).subspan(base, per_run),
                                      std::span(acked).subspan(base, per_run)));
    ob::PrintRun(runs.back());
  }
  std::vector<double> ratios;
  for (const auto& r : runs) ratios.push_back(runs.front().rps > 0 ? r.rps / runs.front().rps : 0);
  const double ratio = ratios.back();
  std::printf("  ratio %d/%d connections: %.2fx\n", o.connections.back(), o.connections.front(),
              ratio);

  // ---- durability: stop the server, then read the file directly
  const auto stop_t0 = ob::Clock::now();
  const auto stop_rc = server.Terminate(std::chrono::seconds(20));
  const double stop_s = ob::Seconds(ob::Clock::now() - stop_t0);
  stop_watchdog();
  if (!stop_rc) {
    server.Kill();
    std::printf("  the server did not stop within 20 s of SIGTERM (killed)\n");
  }
  std::set<std::string> acked_ids;
  std::set<std::string> tried_ids;
  for (std::size_t i = 0; i < acked.size(); ++i) {
    if (acked[i] != 0) acked_ids.insert(pool[i]);
    if (tried[i] != 0) tried_ids.insert(pool[i]);
  }
  const ob::DurabilityResult d =
      ob::CheckOptOuts(ob::ReadSqliteLedger(db_path), acked_ids, tried_ids);
  std::printf("durability (SIGTERM, exit %s in %.2f s; then %s read directly):\n",
              stop_rc ? std::to_string(*stop_rc).c_str() : "none", stop_s,
              db_path.filename().c_str());
  if (!d.error.empty()) {
    std::printf("  FAILED: %s\n", d.error.c_str());
  } else {
    std::printf(
        "  %s: %zu opt-outs answered 204, %lld kind='opted_out' rows; %zu with exactly one row, "
        "%zu missing, %zu duplicated, %zu committed without a 204, %zu unexpected; "
        "%lld 'offered' rows for %zu packages preloaded\n",
        d.ok ? "OK" : "FAILED", d.acknowledged, static_cast<long long>(d.opted_out_rows),
        d.acked_with_one_row, d.acked_missing, d.acked_duplicated, d.unacked_committed,
        d.unknown_packages, static_cast<long long>(d.offered_rows), pool.size());
  }
  std::fflush(stdout);

  std::size_t errors = 0;
  for (const auto& r : runs) errors += r.errors;
  const bool clean_stop = stop_rc && *stop_rc == 0;
  const bool pass = d.ok && errors == 0 && clean_stop;

  if (!o.json_out.empty()) {
    json::object out;
    out["binary"] = o.bin;
    out["cores"] = cores;
    out["note"] = "server and load generator share the machine's cores";
    out["server_first_line"] = server.first_line();
    out["server_threads_option"] = o.server_threads;
    out["preload"] = ob::RunJson(preload);
    json::array rs;
    for (std::size_t k = 0; k < runs.size(); ++k) {
      json::object r = ob::RunJson(runs[k]);
      r["ratio_to_first"] = ratios[k];
      rs.push_back(std::move(r));
    }
    out["runs"] = std::move(rs);
    out["ratio"] = ratio;
    out["ratio_connections"] = json::array{o.connections.back(), o.connections.front()};
    json::object dj = ob::DurabilityJson(d);
    dj["server_exit"] = stop_rc ? json::value(*stop_rc) : json::value(nullptr);
    out["durability"] = std::move(dj);
    out["pass"] = pass;
    ob::WriteJsonFile(o.json_out, out);
  }

  if (o.keep) std::printf("work directory kept: %s\n", dir.c_str());
  if (!pass) {
    if (errors != 0) std::printf("FAILED: %zu opt-outs did not get a 204\n", errors);
    if (!clean_stop) {
      std::printf("FAILED: the server did not stop cleanly on SIGTERM; its stderr:\n%s\n",
                  server.stderr_text().c_str());
    }
    return 1;
  }
  return 0;
}
