// The soak (issue 8, `make soak`, bench/README.md): mixed traffic (quote, read
// it, then opt-out 3/5 or booking 2/5: bench/wrk/soak.lua) at half the
// measured peak rate for SOAK_MINUTES minutes against the real server on a
// copy of the cached run ledger, one wrk run per minute so that every minute
// has its own requests, achieved rate, latency percentiles, statuses and the
// server's RSS (VmRSS from /proc). Exit status 1 if any answer was a 5xx or
// a socket error, the RSS at the end is more than 5% above the RSS after the
// first minute, the server did not exit 0 on SIGTERM, or the ledger does not
// hold every 2xx (http_bench's durability check, ledger_check.h).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "common/time.h"
#include "ledger_check.h"
#include "load_support.h"
#include "seed_packages.h"
#include "wrk_runner.h"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
namespace ob = offerledger::bench;
using offerledger::Micros;
using offerledger::NowMicros;

struct Options {
  std::string bin = OFFERLEDGER_BINARY;
  std::string wrk = "wrk";
  std::string scripts = OFFERLEDGER_SOURCE_DIR "/bench/wrk";
  int minutes = 10;
  double rate = 0;       // requests/s; 0: half the measured peak
  int peak_s = 15;       // the peak measurement
  int threads = 2;       // wrk -t
  int connections = 32;  // wrk -c
  std::size_t packages = 300000;
  std::string cache_dir = OFFERLEDGER_BENCH_DIR;
  std::string json_out;
  std::string dir;
  bool keep = false;
};

struct Minute {
  int index = 0;
  double target = 0;  // req/s
  int delay_ms = 0;
  ob::WrkResult r;
  std::int64_t rss_kb = 0;  // after the minute
  double rate() const { return r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0; }
  std::uint64_t n4xx() const { return JsonInt("4xx"); }
  std::uint64_t n5xx() const { return JsonInt("5xx"); }
  std::uint64_t booked() const {
    const auto* v = r.raw.if_contains("booked");
    return v != nullptr && v->is_int64() ? static_cast<std::uint64_t>(v->as_int64()) : 0;
  }

 private:
  std::uint64_t JsonInt(const char* key) const {
    const auto* st = r.raw.if_contains("status");
    if (st == nullptr || !st->is_object()) return 0;
    const auto* v = st->as_object().if_contains(key);
    return v != nullptr && v->is_int64() ? static_cast<std::uint64_t>(v->as_int64()) : 0;
  }
};

double Ms(std::uint64_t us) { return static_cast<double>(us) / 1000.0; }

// The per-connection pause for `rate` req/s over `connections`, given the
// latency seen so far (a connection's cycle is pause + latency).
int DelayFor(double rate, int connections, double latency_ms) {
  const double cycle_ms = 1000.0 * connections / std::max(rate, 1.0);
  return std::max(0, static_cast<int>(cycle_ms - latency_ms + 0.5));
}

}  // namespace

int main(int argc, char** argv) {
  ob::SetProgramName("soak");
  Options o;
  CLI::App app{
      "The soak of issue 8: mixed traffic (quote, read, opt-out 3/5 or booking 2/5) at half the "
      "measured peak for --minutes minutes against the real server, one wrk run per minute: "
      "requests, achieved rate, p50/p99/p99.9, statuses and the server's RSS per minute. Fails "
      "on any 5xx or socket error, RSS growth over 5% after the first minute, or a 2xx missing "
      "from the ledger."};
  app.add_option("--bin", o.bin, "The offerledger binary")->capture_default_str();
  app.add_option("--wrk", o.wrk, "The wrk binary")->capture_default_str();
  app.add_option("--scripts", o.scripts, "The directory of the wrk Lua scripts")
      ->capture_default_str();
  app.add_option("--minutes", o.minutes, "Minutes of load (one wrk run each)")
      ->check(CLI::Range(1, 24 * 60))
      ->capture_default_str();
  app.add_option("--rate", o.rate,
                 "Target requests/s; 0 measures the peak first and takes half of it")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--peak-seconds", o.peak_s, "Length of the unpaced peak measurement")
      ->check(CLI::Range(3, 600))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "wrk threads (-t)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--connections", o.connections, "wrk connections (-c)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--packages", o.packages,
                 "Packages in the run ledger (built once and cached, as http_bench's)")
      ->capture_default_str();
  app.add_option("--cache-dir", o.cache_dir, "Where the run ledger is cached")
      ->capture_default_str();
  app.add_option("--json", o.json_out, "Also write the results there (default DIR/soak.json)");
  app.add_option("--dir", o.dir, "Work directory (default: a fresh one under $TMPDIR, removed)");
  app.add_flag("--keep", o.keep, "Keep the work directory");
  CLI11_PARSE(app, argc, argv);
  if (o.connections < o.threads) o.connections = o.threads;
  const std::string wrk = ob::FindProgram(o.wrk);
  if (wrk.empty()) ob::Die("wrk not found (scripts/install-deps.sh installs it)");

  ob::WorkDir work(o.dir, o.keep);
  const fs::path dir = work.path();
  const fs::path db_path = dir / "soak.db";
  const std::string db_url = "sqlite:" + db_path.string();
  if (o.json_out.empty()) o.json_out = (dir / "soak.json").string();

  ob::SeedOptions seed;
  const ob::CachedLedgerInfo ledger =
      ob::CachedLedger(o.cache_dir, "run-ledger", ob::kPartner, o.packages, seed, false);
  ob::CopyLedger(ledger.path, db_path);
  const ob::Credentials creds = ob::AddPartner(o.bin, dir, db_url);
  ob::Expected expected;
  expected.seeded = o.packages;
  expected.http_since = NowMicros();

  ob::Server server(o.bin, dir, db_url, {});
  const pid_t pid = server.pid();
  double load[3] = {0, 0, 0};
  ::getloadavg(load, 3);
  std::printf(
      "soak: %u cores shared by the server, wrk and whatever else runs (load average "
      "%.2f)\n  %s\n  ledger: %zu packages (%s)\n",
      std::thread::hardware_concurrency(), load[0], server.first_line().c_str(), o.packages,
      ledger.path.c_str());
  std::fflush(stdout);

  ob::WrkOptions wo;
  wo.wrk = wrk;
  wo.scripts = o.scripts;
  wo.threads = o.threads;
  wo.connections = o.connections;
  auto window = [&](const std::string& name, Micros from, const ob::WrkResult& r,
                    std::uint64_t booked) {
    ob::Expected::Window w;
    w.scenario = name;
    w.from = from;
    w.n201 = r.s201;
    w.n204 = r.s204;
    w.n200 = booked;
    w.unanswered = r.unanswered();
    w.sends_optouts = w.sends_bookings = true;
    expected.windows.push_back(w);
  };
  // wrk stops at its deadline without waiting for the requests in flight (at
  // most one per connection); the server still commits them. A pause after
  // each run lets them finish before the next run's window opens, so the
  // ledger check counts them in the run that sent them.
  auto settle = [] { std::this_thread::sleep_for(std::chrono::seconds(2)); };

  // ---- the peak: unpaced, --peak-seconds
  double peak = 0;
  json::object out;
  if (o.rate <= 0) {
    wo.seconds = o.peak_s;
    const Micros from = NowMicros();
    Minute m;
    m.r = ob::RunWrk(wo, "soak", server.port(), {"delay_ms=0"}, creds, dir / "peak.json",
                     dir / "wrk-peak");
    settle();
    window("peak", from, m.r, m.booked());
    peak = m.rate();
    o.rate = peak / 2;
    std::printf(
        "peak (unpaced, %d s, -c%d): %.0f req/s, p99 %.2f ms, %llu 5xx -> target %.0f "
        "req/s\n",
        o.peak_s, o.connections, peak, Ms(m.r.p99_us), static_cast<unsigned long long>(m.n5xx()),
        o.rate);
    out["peak"] = ob::WrkJson(m.r);
  }
  out["peak_rps"] = peak;
  out["target_rps"] = o.rate;

  // ---- the soak: one paced wrk run per minute
  std::printf("%6s %9s %9s %9s %8s %8s %8s %8s %6s %6s %6s %8s %9s\n", "minute", "requests",
              "req/s", "target", "delay", "p50 ms", "p99 ms", "p99.9ms", "2xx", "4xx", "5xx",
              "sockerr", "RSS MB");
  std::fflush(stdout);
  std::vector<Minute> minutes;
  double latency_ms = 0;
  wo.seconds = 60;
  for (int i = 1; i <= o.minutes; ++i) {
    Minute m;
    m.index = i;
    m.target = o.rate;
    m.delay_ms = DelayFor(o.rate, o.connections, latency_ms);
    const Micros from = NowMicros();
    m.r = ob::RunWrk(wo, "soak", server.port(), {"delay_ms=" + std::to_string(m.delay_ms)}, creds,
                     dir / ("minute-" + std::to_string(i) + ".json"),
                     dir / ("wrk-minute-" + std::to_string(i)));
    settle();
    m.rss_kb = ob::ProcStatusKb(pid, "VmRSS");
    window("minute " + std::to_string(i), from, m.r, m.booked());
    // The cycle a connection saw beyond its pause: the next minute's correction.
    if (m.r.requests > 0) {
      const double cycle_ms =
          1000.0 * o.connections * m.r.seconds / static_cast<double>(m.r.requests);
      latency_ms = std::max(0.0, cycle_ms - m.delay_ms);
    }
    std::printf(
        "%6d %9llu %9.0f %9.0f %6d ms %8.2f %8.2f %8.2f %6llu %6llu %6llu %8llu %9.1f\n", i,
        static_cast<unsigned long long>(m.r.requests), m.rate(), m.target, m.delay_ms,
        Ms(m.r.p50_us), Ms(m.r.p99_us), Ms(m.r.p999_us), static_cast<unsigned long long>(m.r.ok()),
        static_cast<unsigned long long>(m.n4xx()), static_cast<unsigned long long>(m.n5xx()),
        static_cast<unsigned long long>(m.r.socket_errors()),
        static_cast<double>(m.rss_kb) / 1024.0);
    std::fflush(stdout);
    minutes.push_back(std::move(m));
  }

  // ---- verdict, stop, ledger
  std::vector<std::string> errors;
  std::uint64_t n5xx = 0, n4xx = 0, sock = 0, requests = 0;
  json::array per_minute;
  for (const Minute& m : minutes) {
    n5xx += m.n5xx();
    n4xx += m.n4xx();
    sock += m.r.socket_errors();
    requests += m.r.requests;
    json::object j = ob::WrkJson(m.r);
    j["minute"] = m.index;
    j["target_rps"] = m.target;
    j["achieved_rps"] = m.rate();
    j["delay_ms"] = m.delay_ms;
    j["rss_kb"] = m.rss_kb;
    per_minute.push_back(std::move(j));
    if (!m.r.first_error.empty() && errors.size() < 5) {
      std::printf("  minute %d, first unexpected answer: %s\n", m.index, m.r.first_error.c_str());
    }
  }
  if (n5xx > 0) errors.push_back(std::to_string(n5xx) + " answers were 5xx");
  if (sock > 0) errors.push_back(std::to_string(sock) + " socket errors or timeouts");
  const std::int64_t rss1 = minutes.front().rss_kb;
  const std::int64_t rss_end = minutes.back().rss_kb;
  const double growth = rss1 > 0 ? static_cast<double>(rss_end) / static_cast<double>(rss1) : 0;
  if (minutes.size() > 1 && growth > 1.05) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "RSS grew %.1f%% after the first minute (%.1f -> %.1f MB)",
                  (growth - 1) * 100, rss1 / 1024.0, rss_end / 1024.0);
    errors.push_back(buf);
  }
  const auto rc = server.Terminate(std::chrono::seconds(30));
  if (rc != 0) errors.push_back("the server exited with " + ob::ExitText(rc) + " on SIGTERM");
  ob::LedgerCheck check = ob::CheckLedger(ob::ReadLedger(db_path, expected.http_since), expected);
  if (!check.ok) errors.push_back("the ledger check failed");

  std::printf(
      "total: %llu requests in %d minutes, %llu 4xx, %llu 5xx, %llu socket errors; RSS "
      "after minute 1 %.1f MB, at the end %.1f MB (%+.1f%%); SIGTERM: exit %s\n",
      static_cast<unsigned long long>(requests), o.minutes, static_cast<unsigned long long>(n4xx),
      static_cast<unsigned long long>(n5xx), static_cast<unsigned long long>(sock), rss1 / 1024.0,
      rss_end / 1024.0, (growth - 1) * 100, ob::ExitText(rc).c_str());
  std::printf("ledger (read directly after the stop): %s\n", check.ok ? "OK" : "FAILED");
  for (const auto& l : check.lines) std::printf("  %s\n", l.c_str());
  for (const auto& e : errors) std::printf("FAILED: %s\n", e.c_str());

  out["minutes"] = std::move(per_minute);
  out["requests"] = requests;
  out["n4xx"] = n4xx;
  out["n5xx"] = n5xx;
  out["socket_errors"] = sock;
  out["rss_after_minute_1_kb"] = rss1;
  out["rss_end_kb"] = rss_end;
  out["rss_growth"] = growth - 1;
  out["ledger"] = check.detail;
  out["ok"] = errors.empty();
  ob::WriteJsonFile(o.json_out, out);
  std::printf("results: %s\n", o.json_out.c_str());
  ob::WaitIfDying();
  return errors.empty() ? 0 : 1;
}
