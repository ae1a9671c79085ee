// The HTTP benchmark of issue 7: offerledger against nginx, driven by wrk,
// in the same run, on the same machine.
//
//   1. the run ledger: --packages (300,000) one-quote packages seeded through
//      the real store (seed_packages.h), built once and cached in the build's
//      bench directory, copied into a fresh work directory for every run (so
//      every run starts from the same ledger, whatever the speed measured);
//      `offerledger partner add BENCH` on the copy;
//   2. nginx (nginx_reference.h) answering 204 to everything, and
//      `offerledger serve` (its defaults: SQLite with synchronous=FULL);
//   3. a short calibration: wrk opts out the first packages; the Lua signer's
//      Authorization for a fixed date must equal the C++ signer's byte for
//      byte, and the server must answer 204 (else it stops there, loudly);
//   4. per scenario (opt-out, create quote, get quote, checkout): wrk against
//      nginx, then against offerledger, the same script (bench/wrk/*.lua),
//      threads, connections and duration; each opt-out hits a distinct
//      package; the server's peak RSS per scenario (VmHWM, reset through
//      /proc/PID/clear_refs before each run) and CPU per request;
//   5. durability, after the opt-out scenario and at the end: SIGTERM (the
//      server must exit 0), then the SQLite file itself (CheckLedger);
//   6. start-up: `serve` on a cached ledger of a million packages, spawn to
//      its first stdout line and to the first 200 from /healthz, median of 5,
//      and its idle RSS;
//   7. a table with the targets of issue 7, and JSON (--json).
//
// Exit status: 0; 1 on an error or a durability failure (a missed target is
// shown as MISSED, not a failure); 2 for bad arguments. Every phase has a time
// limit; on a failure or Ctrl-C the servers and wrk are killed. Only ever
// 127.0.0.1.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "auth/signer.h"
#include "common/time.h"
#include "ledger_check.h"
#include "load_support.h"
#include "nginx_reference.h"
#include "seed_packages.h"
#include "startup_timing.h"
#include "wrk_runner.h"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
namespace ob = offerledger::bench;
using offerledger::Micros;
using offerledger::NowMicros;
using offerledger::bench::ExitText;
using offerledger::bench::HttpGetStatus;
using offerledger::bench::ProcStatusKb;
using offerledger::bench::ResetPeakRss;
using offerledger::bench::Thousands;

struct Options {
  std::string bin = OFFERLEDGER_BINARY;
  std::string wrk = "wrk";
  std::string nginx = "nginx";
  std::string scripts = OFFERLEDGER_SOURCE_DIR "/bench/wrk";
  int threads = 2;
  int connections = 64;
  int duration_s = 10;
  std::vector<std::string> scenarios{"optout", "create_quote", "get_quote", "checkout"};
  std::size_t packages = 300000;  // in the run ledger
  std::size_t calibration_packages = 10000;
  int calibration_s = 2;
  double margin = 1.5;
  std::size_t startup_packages = 1000000;  // 0: no start-up measurement
  int startup_runs = 5;
  std::string cache_dir = OFFERLEDGER_BENCH_DIR;
  bool rebuild = false;
  int server_threads = 0;
  int seed_threads = 2;
  std::string json_out;
  std::string dir;
  bool keep = false;
};

// ================================================================ helpers

std::string Mb(std::int64_t kb) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(kb) / 1024.0);
  return buf;
}

std::string Ms(double us) {
  char buf[32];
  const double ms = us / 1000.0;
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f ms" : ms < 100 ? "%.1f ms" : "%.0f ms", ms);
  return buf;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The CMAKE_BUILD_TYPE of the build directory holding `bin`, or "unknown".
std::string BuildType(const std::string& bin) {
  std::ifstream in(fs::path(bin).parent_path() / "CMakeCache.txt");
  std::string line;
  const std::string key = "CMAKE_BUILD_TYPE:STRING=";
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0) return line.substr(key.size());
  }
  return "unknown";
}

void WriteLines(const fs::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& l : lines) out << l << '\n';
  if (!out) ob::Die("cannot write " + path.string());
}

// Gives up (Die(): every child killed) if the phase has not ended in time.
class Phase {
 public:
  Phase(std::string name, double limit_s)
      : watchdog_(limit_s, [name, limit_s] {
          ob::Die(name + " did not finish within " + std::to_string(static_cast<int>(limit_s)) +
                  " s");
        }) {}
  void End() { watchdog_.Stop(); }

 private:
  ob::Watchdog watchdog_;
};

// ================================================================ the server

class ServerUnderTest {
 public:
  ServerUnderTest(const Options& o, const fs::path& dir, const std::string& db_url)
      : o_(o), dir_(dir), db_url_(db_url) {}

  ob::Server& Start() {
    std::vector<std::string> extra;
    if (o_.server_threads > 0) extra = {"--threads", std::to_string(o_.server_threads)};
    server_ = std::make_unique<ob::Server>(o_.bin, dir_, db_url_, extra,
                                           "server-" + std::to_string(++starts_));
    const auto deadline = ob::Clock::now() + std::chrono::seconds(10);
    while (HttpGetStatus(server_->port(), "/healthz") != 200) {
      if (ob::Clock::now() >= deadline) ob::Die("the server never answered /healthz with 200");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return *server_;
  }

  ob::Server& server() { return *server_; }

  // SIGTERM; the exit status (none: killed after 20 s) and how long it took.
  std::pair<std::optional<int>, double> Stop() {
    const auto t0 = ob::Clock::now();
    const auto rc = server_->Terminate(std::chrono::seconds(20));
    const double s = ob::Seconds(ob::Clock::now() - t0);
    if (!rc) server_->Kill();
    stderr_ = server_->stderr_text();
    server_.reset();
    return {rc, s};
  }
  const std::string& last_stderr() const { return stderr_; }

 private:
  const Options& o_;
  fs::path dir_;
  std::string db_url_;
  std::unique_ptr<ob::Server> server_;
  int starts_ = 0;
  std::string stderr_;
};

// ================================================================ scenarios

struct Target {
  std::string what;   // "opt-out req/s ratio to nginx"
  std::string limit;  // ">= 0.50"
  double value = 0;
  std::string shown;  // "0.43"
  bool met = false;
};

struct ScenarioResult {
  std::string name;   // "optout"
  std::string label;  // "opt-out"
  ob::WrkResult nginx, server;
  double ratio = 0;
  std::int64_t peak_rss_kb = -1;
  double server_cpu_us = 0;  // server CPU per 2xx
  double nginx_cpu_us = 0;   // nginx's CPU per 2xx (master and worker)
  std::vector<std::string> errors;
  std::optional<double> ratio_target;  // issue 7's minimum ratio to nginx
};

// The rate the ratio target asks of the server in this run (0: no target).
double TargetRps(const ScenarioResult& r) {
  return r.ratio_target ? *r.ratio_target * r.nginx.ok_per_second() : 0;
}

// The CPU time per request left to the server if it answered TargetRps() on
// `cores` cores that wrk shares, wrk costing the cheaper of its two runs'
// figures per request: an upper bound (nothing else running, every core busy).
double ServerBudgetUs(const ScenarioResult& r, unsigned cores) {
  const double rps = TargetRps(r);
  if (rps <= 0) return 0;
  const double wrk_us = std::min(r.nginx.cpu_us_per_response(), r.server.cpu_us_per_response());
  return static_cast<double>(cores) * 1e6 / rps - wrk_us;
}

std::string Label(const std::string& scenario) {
  if (scenario == "optout") return "opt-out";
  if (scenario == "create_quote") return "create quote";
  if (scenario == "get_quote") return "get quote";
  if (scenario == "checkout") return "checkout (mixed)";
  return scenario;
}

std::optional<double> RatioTarget(const std::string& scenario) {
  if (scenario == "optout") return 0.50;
  if (scenario == "create_quote") return 0.25;
  if (scenario == "get_quote") return 0.40;
  return std::nullopt;  // no target for the mixed checkout in issue 7
}

// What a server run must not have: anything but the expected answers.
std::vector<std::string> RunErrors(const ob::WrkResult& r, const std::string& who) {
  std::vector<std::string> e;
  if (r.exhausted) {
    e.push_back(who + ": a wrk thread ran out of distinct packages to opt out (raise --packages)");
  }
  if (r.other != 0) {
    e.push_back(who + ": " + std::to_string(r.other) +
                " unexpected answers, the first: " + r.first_error);
  }
  if (r.unusable != 0) {
    e.push_back(who + ": " + std::to_string(r.unusable) +
                " answers the script could not use: " + r.first_error);
  }
  if (r.socket_errors() != 0) {
    e.push_back(who + ": socket errors: connect " + std::to_string(r.connect_errors) + ", read " +
                std::to_string(r.read_errors) + ", write " + std::to_string(r.write_errors) +
                ", timeout " + std::to_string(r.timeouts));
  }
  if (r.ok() == 0) e.push_back(who + ": no successful answer at all");
  return e;
}

// The ids an opt-out was sent for: the first `sent` of each thread's slice.
void AddSent(const ob::WrkResult& r, const std::vector<std::string>& ids,
             std::set<std::string>& out) {
  for (const auto& s : r.slices) {
    for (std::size_t i = 0; i < s.sent && s.first + i < ids.size(); ++i) {
      out.insert(ids[s.first + i]);
    }
  }
}

// ================================================================ output

std::string Fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

json::object TargetJson(const Target& t) {
  return {
      {"what", t.what}, {"limit", t.limit}, {"value", t.value}, {"shown", t.shown}, {"met", t.met}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "HTTP benchmark (issue 7): offerledger `serve` (Release, SQLite, synchronous=FULL) against "
      "nginx answering a static 204, both driven by wrk with the same signed requests "
      "(bench/wrk/*.lua), in the same run. Scenarios: opt-out of distinct preloaded packages, "
      "create quote, get quote, and a mixed checkout (a quote, then 60% opt-out / 40% booking). "
      "Then checks the ledger against the 2xx counted, measures start-up on a million packages, "
      "and prints one table with the targets of issue 7."};
  app.add_option("--bin", o.bin, "The offerledger binary (a Release build)")->capture_default_str();
  app.add_option("--wrk", o.wrk, "The wrk binary (Debian's `wrk`, with LuaJIT)")
      ->capture_default_str();
  app.add_option("--nginx", o.nginx, "The nginx binary (Debian's `nginx-light`)")
      ->capture_default_str();
  app.add_option("--scripts", o.scripts, "Directory of the wrk scenario scripts")
      ->capture_default_str();
  app.add_option("--threads,-t", o.threads, "wrk threads (the same for nginx and offerledger)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--connections,-c", o.connections,
                 "wrk connections in all (spread over the threads); a multiple of --threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--duration,-d", o.duration_s, "Seconds of each wrk run (8 runs: 2 per scenario)")
      ->capture_default_str()
      ->check(CLI::Range(1, 600));
  app.add_option("--scenarios", o.scenarios,
                 "Which scenarios, comma-separated: optout, create_quote, get_quote, checkout "
                 "(always run in that order)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::IsMember({"optout", "create_quote", "get_quote", "checkout"}));
  app.add_option("--packages", o.packages,
                 "Quote packages in the run ledger: built once through the real store, cached in "
                 "--cache-dir, copied for every run. Each opt-out takes its own package, never "
                 "twice, from its wrk thread's slice; the other scenarios read them (get quote) "
                 "or add their own")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{20000}, std::size_t{10000000}));
  app.add_option("--calibration-packages", o.calibration_packages,
                 "Of those, how many the calibration run may opt out (never used again)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1000}, std::size_t{1000000}));
  app.add_option("--calibration-seconds", o.calibration_s,
                 "Seconds of the calibration opt-out run: it checks the Lua signer against the C++ "
                 "one and the server's 204s, and warns when the packages may run out")
      ->capture_default_str()
      ->check(CLI::Range(1, 60));
  app.add_option("--margin", o.margin,
                 "The warning: when the calibration's opt-out rate x duration x this exceeds the "
                 "packages (wrk's threads rarely get equal shares of the CPU, and each has its own "
                 "slice of ids)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 10.0));
  app.add_option("--startup-packages", o.startup_packages,
                 "Packages in the start-up ledger (cached in --cache-dir); 0: no start-up "
                 "measurement")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{100000000}));
  app.add_option("--startup-runs", o.startup_runs, "Starts of `serve` to take the median of")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--cache-dir", o.cache_dir, "Where the run and start-up ledgers are cached")
      ->capture_default_str();
  app.add_flag("--rebuild", o.rebuild, "Rebuild the cached ledgers");
  app.add_option("--server-threads", o.server_threads,
                 "Pass --threads N to `offerledger serve` (0: its default)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  app.add_option("--seed-threads", o.seed_threads, "Threads seeding ledgers")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--json", o.json_out, "Also write the results to this JSON file");
  app.add_option("--dir", o.dir, "Work directory (default: a fresh one under $TMPDIR, removed)");
  app.add_flag("--keep", o.keep, "Keep the work directory (database, logs, wrk summaries)");
  CLI11_PARSE(app, argc, argv);
  if (o.connections % o.threads != 0 || o.connections < o.threads) {
    std::fprintf(stderr, "http_bench: --connections must be a multiple of --threads\n");
    return 2;
  }
  if (2 * o.calibration_packages > o.packages) {
    std::fprintf(stderr, "http_bench: --calibration-packages must be at most half of --packages\n");
    return 2;
  }

  ob::SetProgramName("http_bench");
  ::signal(SIGPIPE, SIG_IGN);
  // Ctrl-C (and SIGTERM, SIGHUP): every child is killed before we exit.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, s);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::thread([stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    ob::Die(std::string("interrupted (") + strsignal(sig) + ")");
  }).detach();

  const std::string wrk = ob::FindProgram(o.wrk);
  const std::string nginx = ob::FindProgram(o.nginx);
  if (!fs::exists(o.bin)) ob::Die("no server binary at " + o.bin + " (see --bin)");
  if (wrk.empty())
    ob::Die("no wrk (" + o.wrk + "): `apt-get install wrk` (scripts/install-deps.sh)");
  if (nginx.empty()) {
    ob::Die("no nginx (" + o.nginx + "): `apt-get install nginx-light` (scripts/install-deps.sh)");
  }
  if (!fs::exists(fs::path(o.scripts) / "common.lua")) ob::Die("no wrk scripts in " + o.scripts);
  std::set<std::string> want(o.scenarios.begin(), o.scenarios.end());

  if (!o.dir.empty() && fs::exists(fs::path(o.dir) / "bench.db")) {
    ob::Die((fs::path(o.dir) / "bench.db").string() + " exists already");
  }
  const ob::WorkDir work(o.dir, o.keep);
  const fs::path& dir = work.path();
  if (o.dir.empty() && !o.keep) {
    ob::SetAtDie([dir] {
      std::error_code ec;
      fs::remove_all(dir, ec);
    });
  }
  const fs::path db_path = dir / "bench.db";
  const std::string db_url = "sqlite:" + db_path.string();
  const unsigned cores = std::thread::hardware_concurrency();
  double load[3] = {0, 0, 0};
  ::getloadavg(load, 3);
  const std::string build_type = BuildType(o.bin);
  std::printf(
      "http_bench: %u cores shared by the server (or nginx), wrk and whatever else runs "
      "(load average %.2f)\n  server %s (%s build%s)\n  wrk %s -t%d -c%d -d%ds\n",
      cores, load[0], o.bin.c_str(), build_type.c_str(),
      build_type == "Release" ? "" : "; issue 7's figures are for a Release build", wrk.c_str(),
      o.threads, o.connections, o.duration_s);
  std::fflush(stdout);

  ob::WrkOptions wo;
  wo.wrk = wrk;
  wo.scripts = o.scripts;
  wo.threads = o.threads;
  wo.connections = o.connections;
  wo.seconds = o.duration_s;
  std::vector<std::string> errors;  // anything that makes the exit status 1
  json::object out;

  // ---- the run ledger: built once (cached), copied for this run, `partner add`
  ob::SeedOptions seed;
  seed.threads = o.seed_threads;
  Phase building("building the cached run ledger", 7200);
  const ob::CachedLedgerInfo run_ledger =
      ob::CachedLedger(o.cache_dir, "run-ledger", ob::kPartner, o.packages, seed, o.rebuild);
  building.End();

  Phase setup("setting up (copy, partner add, calibration)", 300 + o.calibration_s);
  const auto t_copy = ob::Clock::now();
  ob::CopyLedger(run_ledger.path, db_path);
  const std::vector<std::string> all_ids = ob::ReadPackageIds(db_path);
  if (all_ids.size() != o.packages) {
    ob::Die(run_ledger.path.string() + " holds " + std::to_string(all_ids.size()) +
            " packages, not " + std::to_string(o.packages) + " (--rebuild)");
  }
  const ob::Credentials creds = ob::AddPartner(o.bin, dir, db_url);
  std::printf("run ledger: %s packages from %s (%s), copied in %.1f s\n",
              Thousands(all_ids.size()).c_str(), run_ledger.path.c_str(),
              run_ledger.reused ? "cached" : "built now", ob::Seconds(ob::Clock::now() - t_copy));
  // The first packages for the calibration, the others for the measured runs.
  const std::vector<std::string> calib_ids(
      all_ids.begin(), all_ids.begin() + static_cast<std::ptrdiff_t>(o.calibration_packages));
  const std::vector<std::string> ids(
      all_ids.begin() + static_cast<std::ptrdiff_t>(o.calibration_packages), all_ids.end());
  WriteLines(dir / "calibration-ids.txt", calib_ids);
  const fs::path ids_file = dir / "ids.txt";
  WriteLines(ids_file, ids);
  ob::Expected expected;
  expected.seeded = all_ids.size();

  // ---- the reference server, and ours
  ob::NginxReference reference(nginx, dir / "nginx");
  std::printf("  reference: %s on 127.0.0.1:%u (1 worker, access log off, `return 204`)\n",
              reference.version().c_str(), reference.port());
  expected.http_since = NowMicros();
  ServerUnderTest sut(o, dir, db_url);
  sut.Start();
  std::printf("  %s\n", sut.server().first_line().c_str());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::int64_t idle_rss_start_kb = ProcStatusKb(sut.server().pid(), "VmRSS");
  std::int64_t idle_rss_end_kb = -1;
  std::fflush(stdout);

  // ---- calibration: the signer, the server's 204s, and whether the packages suffice
  ob::WrkOptions calib_wo = wo;
  calib_wo.seconds = o.calibration_s;
  const fs::path selftest = dir / "selftest.txt";
  const ob::WrkResult calib =
      ob::RunWrk(calib_wo, "optout", sut.server().port(),
                 {"ids=" + (dir / "calibration-ids.txt").string(), "selftest=" + selftest.string()},
                 creds, dir / "calibration.json", dir / "wrk-calibration");
  // The Lua signer against the C++ one, byte for byte.
  const std::string lua_auth = ob::ReadFile(selftest);
  const std::string fixed_date = "Thu, 04 Nov 2021 18:07:11 GMT";
  const std::string cpp_auth = offerledger::BuildAuthorization(
      creds.api_key, creds.api_secret, offerledger::Algorithm::kHmacSha512,
      {"(request-target)", "date"}, "POST",
      "/x/partners/" + std::string(ob::kPartner) + "/bookings/PYWUR-TAPHT-INS/opt_out",
      [&](std::string_view name) -> std::optional<std::string_view> {
        if (name == "date") return fixed_date;
        return std::nullopt;
      });
  if (lua_auth != cpp_auth) {
    ob::Die(
        "the Lua signer (bench/wrk/common.lua) disagrees with the C++ one for the same "
        "request:\n  lua: " +
        lua_auth + "\n  C++: " + cpp_auth);
  }
  // Running out of ids here only means the rate is higher than the chunk can show.
  ob::WrkResult calib_checked = calib;
  calib_checked.exhausted = false;
  if (const auto e = RunErrors(calib_checked, "calibration"); !e.empty() || calib.s204 == 0) {
    std::string all;
    for (const auto& x : e) all += "\n  " + x;
    ob::Die("the calibration opt-out run failed (the signed requests must get 204):" + all +
            "\nserver stderr: " + sut.server().stderr_text());
  }
  const double calib_rate = calib.ok_per_second();
  std::printf(
      "calibration: %s opt-outs in %.1f s, %.0f/s%s; the Lua signer agrees with the C++ "
      "one, and the server accepts it\n",
      Thousands(calib.s204).c_str(), calib.seconds, calib_rate,
      calib.exhausted ? " (ran out of packages: faster than that)" : "");
  AddSent(calib, calib_ids, expected.optout_sent);
  expected.optout_204 += calib.s204;
  expected.optout_unanswered += calib.unanswered();
  if (calib.exhausted || calib_rate * o.duration_s * o.margin > static_cast<double>(ids.size())) {
    std::printf(
        "  WARNING: at this rate the opt-out run may use up its %s packages (each wrk "
        "thread has its own slice): raise --packages\n",
        Thousands(ids.size()).c_str());
  }
  setup.End();
  const double run_limit = 4.0 * (o.duration_s + 60) + 60;

  std::vector<ScenarioResult> results;
  std::vector<std::pair<std::string, ob::LedgerCheck>> checks;
  std::vector<std::string> stops;  // "after opt-out: exit 0 in 0.03 s"
  auto stop_and_check = [&](const std::string& after) {
    auto [rc, s] = sut.Stop();
    char buf[128];
    std::snprintf(buf, sizeof buf, " in %.2f s", s);
    stops.push_back("after " + after + ": exit " + ExitText(rc) + buf);
    if (rc != 0) {
      errors.push_back("the server exited with " + ExitText(rc) + " on SIGTERM after " + after +
                       "; its stderr: " + sut.last_stderr());
    }
    ob::LedgerCheck c = ob::CheckLedger(ob::ReadLedger(db_path, expected.http_since), expected);
    if (!c.ok) errors.push_back("durability check after " + after + " failed");
    std::printf(
        "durability after %s (server stopped with SIGTERM: exit %s in %.2f s; %s read "
        "directly): %s\n",
        after.c_str(), ExitText(rc).c_str(), s, db_path.filename().c_str(), c.ok ? "OK" : "FAILED");
    for (const auto& l : c.lines) std::printf("  %s\n", l.c_str());
    std::fflush(stdout);
    checks.emplace_back(after, std::move(c));
  };

  std::vector<std::string> order_wanted;  // the scenarios asked for, in their fixed order
  for (const char* name : {"optout", "create_quote", "get_quote", "checkout"}) {
    if (want.count(name) != 0) order_wanted.emplace_back(name);
  }
  for (const std::string& name : order_wanted) {
    Phase phase("the " + name + " scenario", run_limit);
    ScenarioResult sr;
    sr.name = name;
    sr.label = Label(name);
    sr.ratio_target = RatioTarget(name);
    const std::vector<std::string> ids_arg{"ids=" + ids_file.string()};
    std::vector<std::string> ref_args = ids_arg;
    ref_args.push_back("reference=1");
    const double nginx_cpu0 = reference.CpuSeconds();
    sr.nginx = ob::RunWrk(wo, name, reference.port(), ref_args, creds, dir / (name + "-nginx.json"),
                          dir / ("wrk-" + name + "-nginx"));
    if (sr.nginx.ok() > 0) {
      sr.nginx_cpu_us =
          (reference.CpuSeconds() - nginx_cpu0) / static_cast<double>(sr.nginx.ok()) * 1e6;
    }
    for (auto& e : RunErrors(sr.nginx, "nginx")) sr.errors.push_back(e);

    const pid_t pid = sut.server().pid();
    if (!ResetPeakRss(pid)) sr.errors.push_back("cannot reset the server's peak RSS");
    const double cpu0 = ob::ProcessCpuSeconds(pid);
    const Micros from = NowMicros();
    sr.server =
        ob::RunWrk(wo, name, sut.server().port(), ids_arg, creds,
                   dir / (name + "-offerledger.json"), dir / ("wrk-" + name + "-offerledger"));
    sr.peak_rss_kb = ProcStatusKb(pid, "VmHWM");
    const double cpu = ob::ProcessCpuSeconds(pid) - cpu0;
    for (auto& e : RunErrors(sr.server, "offerledger")) sr.errors.push_back(e);
    if (sr.server.ok() > 0) sr.server_cpu_us = cpu / static_cast<double>(sr.server.ok()) * 1e6;
    const double nginx_rps = sr.nginx.ok_per_second();
    sr.ratio = nginx_rps > 0 ? sr.server.ok_per_second() / nginx_rps : 0;
    for (const auto& e : sr.errors) errors.push_back(sr.label + ": " + e);

    std::printf(
        "%-17s nginx %9.0f req/s   offerledger %9.0f req/s   ratio %.2f   p50 %s  p99 %s  "
        "p99.9 %s  peak RSS %s\n",
        sr.label.c_str(), nginx_rps, sr.server.ok_per_second(), sr.ratio,
        Ms(static_cast<double>(sr.server.p50_us)).c_str(),
        Ms(static_cast<double>(sr.server.p99_us)).c_str(),
        Ms(static_cast<double>(sr.server.p999_us)).c_str(), Mb(sr.peak_rss_kb).c_str());
    for (const auto& e : sr.errors) std::printf("  ERROR %s\n", e.c_str());
    std::fflush(stdout);

    if (name == "optout") {
      AddSent(sr.server, ids, expected.optout_sent);
      expected.optout_204 += sr.server.s204;
      expected.optout_unanswered += sr.server.unanswered();
    } else if (name == "create_quote" || name == "checkout") {
      ob::Expected::Window w;
      w.scenario = name;
      w.from = from;
      w.n201 = sr.server.s201;
      w.n204 = name == "checkout" ? sr.server.s204 : 0;
      w.n200 = name == "checkout" ? sr.server.s200 : 0;
      w.unanswered = sr.server.unanswered();
      w.sends_optouts = w.sends_bookings = name == "checkout";
      expected.windows.push_back(w);
    }
    results.push_back(std::move(sr));
    phase.End();

    // After the opt-out scenario, a check (and a fresh server for the others).
    if (name == "optout" && name != order_wanted.back()) {
      stop_and_check("the opt-out scenario");
      sut.Start();
      std::printf("  %s\n", sut.server().first_line().c_str());
    }
  }
  {
    Phase phase("the final stop and check", 120);
    std::this_thread::sleep_for(std::chrono::seconds(1));  // idle, after the last run
    idle_rss_end_kb = ProcStatusKb(sut.server().pid(), "VmRSS");
    stop_and_check("the " + Label(order_wanted.back()) + " scenario");
    reference.Stop();
    phase.End();
  }

  // ---- start-up on a million packages
  ob::StartupResult startup;
  if (o.startup_packages > 0) {
    Phase phase("the start-up measurement", 7200);
    const ob::CachedLedgerInfo ledger = ob::CachedLedger(
        o.cache_dir, "startup-ledger", ob::kPartner, o.startup_packages, seed, o.rebuild);
    startup.packages = o.startup_packages;
    startup.reused = ledger.reused;
    startup.build_s = ledger.build_seconds;
    const fs::path& db = ledger.path;
    std::error_code ec;
    startup.db_bytes = static_cast<std::int64_t>(fs::file_size(db, ec));
    for (int k = 1; k <= o.startup_runs; ++k) ob::TimeStart(o.bin, db, dir, k, startup);
    for (const auto& e : startup.errors) errors.push_back(e);
    phase.End();
  }

  // ---- the table
  std::vector<Target> targets;
  auto target = [&](std::string what, std::string limit, double value, std::string shown,
                    bool met) {
    targets.push_back({std::move(what), std::move(limit), value, std::move(shown), met});
    return met ? "MET" : "MISSED";
  };
  std::printf("\n%-17s %12s %18s %6s  %-22s %9s %9s %9s %10s %9s\n", "scenario", "nginx req/s",
              "offerledger req/s", "ratio", "target", "p50", "p99", "p99.9", "peak RSS", "cpu/req");
  std::int64_t peak_kb = 0;
  for (const auto& r : results) {
    std::string tgt = "-";
    if (r.ratio_target) {
      tgt = ">= " + Fixed(*r.ratio_target, 2) + " " +
            target(r.label + ": req/s ratio to nginx", ">= " + Fixed(*r.ratio_target, 2), r.ratio,
                   Fixed(r.ratio, 2), r.ratio >= *r.ratio_target);
    }
    peak_kb = std::max(peak_kb, r.peak_rss_kb);
    std::printf("%-17s %12.0f %18.0f %6.2f  %-22s %9s %9s %9s %10s %6.0f us\n", r.label.c_str(),
                r.nginx.ok_per_second(), r.server.ok_per_second(), r.ratio, tgt.c_str(),
                Ms(static_cast<double>(r.server.p50_us)).c_str(),
                Ms(static_cast<double>(r.server.p99_us)).c_str(),
                Ms(static_cast<double>(r.server.p999_us)).c_str(), Mb(r.peak_rss_kb).c_str(),
                r.server_cpu_us);
    if (r.name == "optout") {
      const double p99_ms = static_cast<double>(r.server.p99_us) / 1000.0;
      const char* met =
          target("opt-out: p99 latency at " + std::to_string(o.connections) + " connections",
                 "<= 5 ms", p99_ms, Ms(static_cast<double>(r.server.p99_us)), p99_ms <= 5.0);
      std::printf("%-17s %12s %18s %6s  %-22s\n", "", "", "", "",
                  ("p99 <= 5 ms " + std::string(met)).c_str());
    }
  }
  std::printf(
      "(req/s: 2xx answers per second of the run; latency and peak RSS: offerledger's; "
      "cpu/req: the server's CPU time per 2xx)\n");
  // What the ratio targets leave the server: wrk's own CPU is measured in both
  // runs, and at the target rate the server has what the cores give minus wrk's
  // share (the cheaper of wrk's two figures, so the budget is an upper bound).
  std::printf("\nwhere the CPU goes, us of CPU per 2xx (%u cores shared by wrk and the server):\n",
              cores);
  std::printf("%-17s %10s %8s %16s %12s   %s\n", "scenario", "wrk>nginx", "nginx",
              "wrk>offerledger", "offerledger", "offerledger's budget at the target");
  for (const auto& r : results) {
    std::string budget = "-";
    if (r.ratio_target) {
      budget = "<= " + Fixed(ServerBudgetUs(r, cores), 0) + " us (" + Fixed(*r.ratio_target, 2) +
               " x nginx = " + Thousands(static_cast<std::uint64_t>(TargetRps(r))) + " req/s)";
    }
    std::printf("%-17s %10.1f %8.1f %16.1f %12.1f   %s\n", r.label.c_str(),
                r.nginx.cpu_us_per_response(), r.nginx_cpu_us, r.server.cpu_us_per_response(),
                r.server_cpu_us, budget.c_str());
  }
  if (idle_rss_start_kb > 0) {
    // Idle: after start-up, and again after the runs (what the process kept).
    const std::int64_t idle = std::max(idle_rss_start_kb, idle_rss_end_kb);
    const std::string idle_met =
        target("server idle RSS (after start-up and after the runs)", "<= 64 MB",
               static_cast<double>(idle) / 1024.0, Mb(idle), idle <= 64 * 1024);
    const std::string peak_met =
        target("server peak RSS under load", "<= 256 MB", static_cast<double>(peak_kb) / 1024.0,
               Mb(peak_kb), peak_kb <= 256 * 1024);
    std::printf(
        "server RSS (%s packages): idle %s after start-up, %s after the runs: <= 64 MB %s; "
        "peak under load %s: <= 256 MB %s\n",
        Thousands(expected.seeded).c_str(), Mb(idle_rss_start_kb).c_str(),
        Mb(idle_rss_end_kb).c_str(), idle_met.c_str(), Mb(peak_kb).c_str(), peak_met.c_str());
  }
  if (!startup.healthy_ms.empty()) {
    const double line_ms = Median(startup.first_line_ms);
    const double healthy_ms = Median(startup.healthy_ms);
    const double rss_kb = Median(startup.idle_rss_kb);
    const std::string n = Thousands(startup.packages);
    const std::string start_met =
        target("start-up, " + n + " packages (spawn to /healthz 200)", "<= 200 ms", healthy_ms,
               Fixed(healthy_ms, 0) + " ms", healthy_ms <= 200);
    const std::string rss_met =
        target("server idle RSS after start-up, " + n + " packages", "<= 64 MB", rss_kb / 1024.0,
               Mb(static_cast<std::int64_t>(rss_kb)), rss_kb <= 64 * 1024);
    std::printf(
        "start-up with %s packages (%.1f GB): first line after %.0f ms, /healthz 200 after "
        "%.0f ms (median of %zu): <= 200 ms %s; idle RSS %s: <= 64 MB %s\n",
        n.c_str(), static_cast<double>(startup.db_bytes) / 1e9, line_ms, healthy_ms,
        startup.healthy_ms.size(), start_met.c_str(), Mb(static_cast<std::int64_t>(rss_kb)).c_str(),
        rss_met.c_str());
  }
  bool durable = true;
  for (const auto& [after, c] : checks) durable = durable && c.ok;
  std::printf(
      "durability: %s -- every 204 has its opted_out row (and every 201 its package, "
      "every 200 its booked row); rows beyond them only from requests wrk abandoned in "
      "flight at its deadline (at most one per connection)\n",
      durable ? "OK" : "FAILED");

  // ---- JSON
  if (!o.json_out.empty()) {
    out["cores"] = cores;
    out["load_average"] = load[0];
    out["note"] =
        "the server (or nginx) and wrk share the machine's cores; latency and RSS are the "
        "server's; req/s counts 2xx answers";
    out["binary"] = o.bin;
    out["build_type"] = build_type;
    out["nginx"] = reference.version();
    out["wrk"] = json::object{{"binary", wrk},
                              {"threads", o.threads},
                              {"connections", o.connections},
                              {"duration_s", o.duration_s}};
    out["packages_seeded"] = expected.seeded;
    out["run_ledger"] = json::object{{"path", run_ledger.path.string()},
                                     {"reused", run_ledger.reused},
                                     {"build_seconds", run_ledger.build_seconds}};
    out["calibration"] =
        json::object{{"opt_outs_per_second", calib_rate}, {"run", ob::WrkJson(calib)}};
    json::array scen;
    for (const auto& r : results) {
      json::object s{{"scenario", r.name},
                     {"label", r.label},
                     {"nginx", ob::WrkJson(r.nginx)},
                     {"offerledger", ob::WrkJson(r.server)},
                     {"ratio", r.ratio},
                     {"peak_rss_kb", r.peak_rss_kb},
                     {"server_cpu_us_per_request", r.server_cpu_us},
                     {"nginx_cpu_us_per_request", r.nginx_cpu_us}};
      if (r.ratio_target) {
        s["ratio_target"] = *r.ratio_target;
        s["server_cpu_budget_us_at_target"] = ServerBudgetUs(r, cores);
      }
      json::array errs;
      for (const auto& e : r.errors) errs.push_back(json::string(e));
      s["errors"] = std::move(errs);
      scen.push_back(std::move(s));
    }
    out["scenarios"] = std::move(scen);
    out["idle_rss_kb"] =
        json::object{{"after_start", idle_rss_start_kb}, {"after_runs", idle_rss_end_kb}};
    if (!startup.healthy_ms.empty()) {
      out["startup"] = json::object{{"packages", startup.packages},
                                    {"db_bytes", startup.db_bytes},
                                    {"ledger_reused", startup.reused},
                                    {"ledger_build_seconds", startup.build_s},
                                    {"first_line_ms_median", Median(startup.first_line_ms)},
                                    {"healthz_ms_median", Median(startup.healthy_ms)},
                                    {"idle_rss_kb_median", Median(startup.idle_rss_kb)},
                                    {"first_line_ms", json::value_from(startup.first_line_ms)},
                                    {"healthz_ms", json::value_from(startup.healthy_ms)},
                                    {"idle_rss_kb", json::value_from(startup.idle_rss_kb)}};
    }
    json::array dur;
    for (const auto& [after, c] : checks) {
      json::object d = c.detail;
      d["after"] = after;
      json::array lines;
      for (const auto& l : c.lines) lines.push_back(json::string(l));
      d["lines"] = std::move(lines);
      dur.push_back(std::move(d));
    }
    out["durability"] = json::object{{"ok", durable}, {"checks", std::move(dur)}};
    json::array st;
    for (const auto& s : stops) st.push_back(json::string(s));
    out["server_stops"] = std::move(st);
    json::array tj;
    for (const auto& t : targets) tj.push_back(TargetJson(t));
    out["targets"] = std::move(tj);
    json::array ej;
    for (const auto& e : errors) ej.push_back(json::string(e));
    out["errors"] = std::move(ej);
    out["pass"] = errors.empty();
    ob::WriteJsonFile(o.json_out, out);
  }

  if (o.keep) std::printf("work directory kept: %s\n", dir.c_str());
  if (!errors.empty()) {
    std::printf("FAILED:\n");
    for (const auto& e : errors) std::printf("  %s\n", e.c_str());
    std::fflush(stdout);
    return 1;
  }
  return 0;
}
